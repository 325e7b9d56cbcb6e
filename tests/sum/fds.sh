#!/bin/sh
# kiln-sum never fails a file for want of descriptors it uses itself:
#  - run by tests/sum/fdhold with only a few descriptors free (4 to 8: a
#    one-worker pool of kiln without rings takes three, two eventfds and
#    an epoll set; a file one), or under a low `ulimit -n`, on 24 files,
#    it prints what sha256sum prints, at 1 and 2 workers, with the
#    fallback (KILN_NO_URING=1), with 16 workers, and with -c;
#  - with tests/sum/emfile.so preloaded, opening a file fails with EMFILE
#    every other time while another is open, as when its own open files
#    use the descriptors up: kiln-sum waits for one to close and tries
#    again, and its output is still sha256sum's.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

fdhold=$(pwd)/tests/sum/fdhold
shim=$(pwd)/tests/sum/.libs/emfile.so
[ -x "$fdhold" ] && [ -f "$shim" ] || { echo "no $fdhold or $shim"; exit 99; }
# The program behind libtool's wrapper script: the script itself needs
# descriptors of its own to run.
bin=${KILN_SUM%/*}/.libs/${KILN_SUM##*/}
if [ -x "$bin" ] && head -c 64 "$KILN_SUM" | grep -q '^#!'; then
	LD_LIBRARY_PATH=$(cd "${KILN_SUM%/*}/../../lib/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	bin=$KILN_SUM
fi

cd "$tmp" || exit 99
mkdir files || exit 99
i=0
for n in 0 1 100 4095 4096 4097 65536 100000 262145 1048576 1048577 \
    2000000 3 30 300 3000 30000 300000 5 50 500 5000 50000 500000; do
	i=$((i + 1))
	head -c "$n" /dev/urandom >"files/emfile-$i" || exit 99
done
set -- files/*
sha256sum "$@" >ref.out 2>&1
echo "exit 0" >>ref.out
sha256sum "$@" >list
sha256sum -c list >ref-check.out 2>&1
echo "exit 0" >>ref-check.out

# expect_same DESC REF CMD...: CMD's output and status must be REF's.
expect_same() {
	desc=$1 ref=$2
	shift 2
	checks=$((checks + 1))
	"$@" >k.out 2>&1
	echo "exit $?" >>k.out
	if ! cmp -s "$ref" k.out; then
		echo "FAIL: $desc"
		diff "$ref" k.out | head -10
		fail=1
	fi
}

for free in 4 5 6 8; do
	for w in 1 2; do
		expect_same "$free free, -w $w" ref.out \
		    "$fdhold" -f "$free" "$bin" -w "$w" "$@"
		expect_same "$free free, -w $w, -c" ref-check.out \
		    "$fdhold" -f "$free" "$bin" -w "$w" -c list
		expect_same "$free free, -w $w, fallback" ref.out \
		    env KILN_NO_URING=1 "$fdhold" -f "$free" "$bin" -w "$w" "$@"
		expect_same "$free free, -w $w, fallback, -c" ref-check.out \
		    env KILN_NO_URING=1 "$fdhold" -f "$free" "$bin" -w "$w" -c list
	done
	expect_same "$free free, -w 16" ref.out \
	    "$fdhold" -f "$free" "$bin" -w 16 "$@"
	expect_same "$free free, -w 16, -c" ref-check.out \
	    "$fdhold" -f "$free" "$bin" -w 16 -c list
done
# A low limit, in the shell.
for w in 1 2 8; do
	expect_same "ulimit -n 8, -w $w" ref.out \
	    sh -c 'ulimit -n 8 && exec "$@"' sh "$bin" -w "$w" "$@"
	expect_same "ulimit -n 8, -w $w, -c" ref-check.out \
	    sh -c 'ulimit -n 8 && exec "$@"' sh "$bin" -w "$w" -c list
done

# EMFILE while its own files are open: wait for a close, try again.
ASAN_OPTIONS="verify_asan_link_order=0 ${ASAN_OPTIONS-}"
export ASAN_OPTIONS
for w in 1 2; do
	expect_same "EMFILE from its own files, -w $w" ref.out \
	    env KILN_NO_URING=1 LD_PRELOAD="$shim" "$bin" -w "$w" "$@"
	expect_same "EMFILE from its own files, -w $w, -c" ref-check.out \
	    env KILN_NO_URING=1 LD_PRELOAD="$shim" "$bin" -w "$w" -c list
done
finish
