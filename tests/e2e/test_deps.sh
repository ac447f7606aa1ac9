#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/deps.sh, which every make target runs first, installs exactly the
# Debian packages whose library or program is missing, says so, goes
# through sudo when not root, refreshes the package list when an install
# fails, and installs nothing when nothing is missing. pkg-config, apt-get,
# sudo, id and clang are stand-ins on PATH that record their calls: the
# machine's packages are not touched.
set -eu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fake=$out/bin
mkdir -p "$fake"
log=$out/calls

# pkg-config: a module named in $MISSING does not exist.
cat >"$fake/pkg-config" <<'EOF'
#!/bin/sh
[ "$1" = --exists ] || exit 0
for m in $MISSING; do [ "$m" = "$2" ] && exit 1; done
exit 0
EOF
# apt-get: records; "install" fails while $out/stale exists, "update" removes it.
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$log"
case " \$* " in
*" update "*) rm -f "$out/stale" ;;
*" install "*) [ ! -e "$out/stale" ] ;;
esac
EOF
cat >"$fake/sudo" <<EOF
#!/bin/sh
echo "sudo" >>"$log"
exec "\$@"
EOF
cat >"$fake/id" <<'EOF'
#!/bin/sh
echo "${FAKE_UID:-0}"
EOF
# clang: links only when $CLANG_OK is 1 (the libFuzzer probe).
cat >"$fake/clang" <<'EOF'
#!/bin/sh
[ "${CLANG_OK:-1}" = 1 ]
EOF
chmod +x "$fake"/*

run() {
	: >"$log"
	rc=0
	env PATH="$fake:$PATH" "$@" sh tools/deps.sh "$MODE" >"$out/stdout" 2>"$out/stderr" || rc=$?
}
fail() { echo "FAIL: $*"; echo "calls:"; cat "$log"; echo "stderr:"; cat "$out/stderr"; exit 1; }

# 1. Nothing missing: no apt-get, silence.
MODE=build
run MISSING=""
[ $rc -eq 0 ] || fail "nothing missing: exit $rc"
[ ! -s "$log" ] || fail "nothing missing, yet apt-get ran"
[ ! -s "$out/stderr" ] || fail "nothing missing, yet it said something"

# 2. Two libraries missing, as root: their packages, no others, said.
run MISSING="yaml-0.1 cmocka"
[ $rc -eq 0 ] || fail "missing libs: exit $rc"
grep -qx 'apt-get install -y -q --no-install-recommends libyaml-dev libcmocka-dev' "$log" ||
	fail "not the two packages"
! grep -q sudo "$log" || fail "sudo as root"
grep -q 'installing missing Debian packages: libyaml-dev libcmocka-dev' "$out/stderr" ||
	fail "it did not say what it installs"

# 3. Not root: through sudo.
run MISSING="libpcap" FAKE_UID=1000
[ $rc -eq 0 ] || fail "not root: exit $rc"
[ "$(head -1 "$log")" = sudo ] || fail "not root, yet no sudo"
grep -q 'install .* libpcap-dev' "$log" || fail "not root: no libpcap-dev"

# 4. A stale package list: install fails, update, install again.
touch "$out/stale"
run MISSING="libpcre2-8"
[ $rc -eq 0 ] || fail "stale list: exit $rc"
[ "$(grep -c 'install' "$log")" -eq 2 ] || fail "stale list: not two installs"
grep -q '^apt-get update' "$log" || fail "stale list: no update"
[ "$(sed -n 2p "$log")" = "apt-get update -q" ] || fail "stale list: update not between the installs"

# 5. An install that keeps failing fails the script (and so make).
touch "$out/stale"
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$log"
case " \$* " in *" install "*) exit 100 ;; esac
EOF
run MISSING="jansson"
[ $rc -ne 0 ] || fail "a failed install exited 0"

# 6. make fuzz: clang that cannot link libFuzzer gets its runtime.
MODE=fuzz
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$log"
EOF
run MISSING="" CLANG_OK=0
[ $rc -eq 0 ] || fail "fuzz: exit $rc"
grep -q 'install .* libclang-rt-dev' "$log" || fail "fuzz: no libclang-rt-dev"
run MISSING="" CLANG_OK=1
[ ! -s "$log" ] || fail "fuzz: clang links, yet apt-get ran"
echo ok
