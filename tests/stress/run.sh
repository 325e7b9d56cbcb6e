#!/bin/sh
# run.sh - run every stress program with its sizes multiplied by SCALE.
#
#	tests/stress/run.sh BUILD_DIR [SCALE]
#
# BUILD_DIR is a configured build tree (the programs are built there if
# missing); SCALE is a whole number, 1 (the default) being the sizes that
# `make check` uses.  CI runs this under ThreadSanitizer with larger scales.
# Each program runs through tests/run-test.sh, so a sanitizer report fails
# it even if it exited 0.  Exit status: 0 all passed (or skipped), 1 a
# program failed, 99 usage or build error.

usage() {
	echo "usage: $0 BUILD_DIR [SCALE]" >&2
	exit 99
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
build=$1
scale=${2:-1}
case $scale in
''|*[!0-9]*|0) usage ;;
esac
here=$(cd "$(dirname "$0")" && pwd) || exit 99
[ -d "$build" ] || { echo "$0: $build: no such directory" >&2; exit 99; }

progs="deque-stress readyq-stress spawn-storm sync-race create-destroy io-stress io-destroy net-stress"

missing=
for p in $progs; do
	[ -x "$build/tests/stress/$p" ] || missing="$missing tests/stress/$p"
done
if [ -n "$missing" ]; then
	echo "run.sh: building$missing"
	# Word splitting on purpose: a list of make targets.
	# shellcheck disable=SC2086
	make -C "$build" $missing >/dev/null || exit 99
fi

TSAN_OPTIONS="suppressions=$here/../tsan.supp ${TSAN_OPTIONS-}"
export TSAN_OPTIONS

args() {
	case $1 in
	deque-stress) echo "$((100000 * scale)) 2 64" ;;
	readyq-stress) echo "$((500000 * scale)) 2 4096" ;;
	spawn-storm) echo "$((5 * scale)) 20 6" ;;
	sync-race) echo "$((200 * scale)) 32" ;;
	create-destroy) echo "$((60 * scale)) 2" ;;
	io-stress) echo "$((32 * scale)) 24 2" ;;
	io-destroy) echo "$((60 * scale)) 36" ;;
	net-stress) echo "$((2 * scale)) 64 32" ;;
	esac
}

failed=
for p in $progs; do
	a=$(args "$p")
	echo "== $p $a"
	start=$(date +%s)
	# shellcheck disable=SC2086
	${SHELL:-/bin/sh} "$here/../run-test.sh" "$build/tests/stress/$p" $a
	rc=$?
	t=$(($(date +%s) - start))
	case $rc in
	0) echo "== $p: PASS (${t}s)" ;;
	77) echo "== $p: SKIP (${t}s)" ;;
	*) echo "== $p: FAIL, exit status $rc (${t}s)"
	   failed="$failed $p" ;;
	esac
done

if [ -n "$failed" ]; then
	echo "run.sh: failed:$failed"
	exit 1
fi
echo "run.sh: all stress programs passed at scale $scale"
exit 0
