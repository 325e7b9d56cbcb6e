#!/bin/sh
# kiln-sum when its hasher fails (OpenSSL's EVP_DigestUpdate, made to fail
# by the preloaded tests/sum/evp-fail.so): the file's error is the
# hasher's (EINVAL: a refusal, not memory), the other files are hashed
# (xxh128 and short BLAKE2b digests do not use EVP), and the exit status
# is 1.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

shim=$(pwd)/tests/sum/.libs/evp-fail.so
[ -f "$shim" ] || { echo "no $shim"; exit 99; }
# The sanitizers' runtimes want to come first; the shim does not care.
ASAN_OPTIONS="verify_asan_link_order=0 ${ASAN_OPTIONS-}"
export ASAN_OPTIONS
cd "$tmp" || exit 99
printf 'one' >one

for cfg in $CONFIGS; do
	checks=$((checks + 1))
	LD_PRELOAD=$shim run_kiln "$cfg" one >out 2>err
	st=$?
	if [ $st != 1 ] || [ -s out ] ||
	    [ "$(cat err)" != "kiln-sum: one: Invalid argument" ]; then
		echo "FAIL: failing hasher [$cfg]: exit $st"
		cat out err
		fail=1
	fi
	checks=$((checks + 1))
	want=$(b2sum -l 256 one)
	got=$(LD_PRELOAD=$shim run_kiln "$cfg" -a blake2b -l 256 one 2>&1)
	if [ "$got" != "$want" ]; then
		echo "FAIL: short BLAKE2b needs no EVP [$cfg]: $got"
		fail=1
	fi
done
finish
