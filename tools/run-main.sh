#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job (make run): the conformance suite and the manual's flows
# against the built-in emulator, reports in $B/reports/.
set -u
B=${B:-build}
mkdir -p "$B/reports"
dirs=""
for d in scenarios/conformance scenarios/flows; do
	[ -d "$d" ] && dirs="$dirs $d"
done
if [ -z "$dirs" ]; then
	echo "atproof: no scenarios yet (scenarios/conformance, scenarios/flows); the protocol model:"
	"$B/atproof" commands | head -3
	exit 0
fi
exec "$B/atproof" run --emulator=luat --firmware luat \
	--report text:- --report json:"$B/reports/run.json" \
	--report junit:"$B/reports/junit.xml" --report html:"$B/reports/report.html" $dirs
