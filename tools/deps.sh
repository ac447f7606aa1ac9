#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages atproof needs when they are missing.
# Usage: tools/deps.sh build|check|fuzz
# Libraries are detected with pkg-config, programs with command -v; only what
# is missing is installed (apt-get as root, through sudo otherwise).
set -eu

need=""
lib() { pkg-config --exists "$1" 2>/dev/null || need="$need $2"; }
prog() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }

prog pkg-config pkg-config
lib libserialport libserialport-dev
lib yaml-0.1 libyaml-dev
lib libpcre2-8 libpcre2-dev
lib libpcap libpcap-dev
lib jansson libjansson-dev
lib cmocka libcmocka-dev
lib libcurl libcurl4-openssl-dev
lib libmosquitto libmosquitto-dev
if [ "${1:-build}" = check ]; then
	prog mosquitto mosquitto
	prog mosquitto_sub mosquitto-clients
	prog curl curl
	prog chat ppp
	prog xmllint libxml2-utils
	prog groff groff-base
	prog tshark tshark
	prog tcpdump tcpdump
	prog chromium chromium
fi

if [ "${1:-build}" = fuzz ]; then
	# make fuzz: clang, and libFuzzer with the sanitizer runtimes, which
	# come in libclang-rt-dev, only a Recommends of clang (and this script
	# installs without them): a link decides.
	if command -v clang >/dev/null 2>&1; then
		probe=$(mktemp -d)
		printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (int)n & !d; }\n' >"$probe/p.c"
		clang -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1 ||
			need="$need libclang-rt-dev"
		rm -rf "$probe"
	else
		need="$need clang libclang-rt-dev"
	fi
fi

[ -z "$need" ] && exit 0
echo "atproof: installing missing Debian packages:$need" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# A stale package list is the usual reason for "Unable to locate package".
$SUDO apt-get install -y -q --no-install-recommends $need >&2 || {
	$SUDO apt-get update -q >&2
	$SUDO apt-get install -y -q --no-install-recommends $need >&2
}
