#!/bin/sh
# SPDX-License-Identifier: MIT
# House-style checks (aesthetics §10.11): banned calls on untrusted bytes,
# raw allocation outside core/alloc.c, <ctype.h> in the core, trailing
# whitespace, header guards.
rc=0
files=$(git ls-files '*.c' '*.h' | grep -v -E '^(tests|fuzz|bench)/')
if grep -n -E '\b(sscanf|atoi|atol|atof|strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|strncat)\s*\(' $files; then
	echo "stylecheck: banned function (use the cursor API / snprintf)"; rc=1
fi
if grep -n -E '\b(malloc|calloc|realloc|free)\s*\(' $(echo "$files" | grep -v '^core/alloc.c$') | grep -v -E 'atp_(malloc|calloc|realloc|free)|json_|_free\(|free\(\)'; then
	echo "stylecheck: raw allocation outside core/alloc.c (use atp_malloc)"; rc=1
fi
if grep -n '#include <ctype.h>' $(echo "$files" | grep '^core/'); then
	echo "stylecheck: <ctype.h> in the core (use ATP_ISDIGIT...)"; rc=1
fi
if grep -n -E '[[:space:]]+$' $files; then
	echo "stylecheck: trailing whitespace"; rc=1
fi
for h in $(echo "$files" | grep '^include/atproof/.*\.h$'); do
	g=$(echo "$h" | sed 's|^include/||; s|[/.]|_|g' | tr a-z A-Z)
	grep -q "#ifndef $g" "$h" || { echo "stylecheck: $h: guard should be $g"; rc=1; }
done
exit $rc
