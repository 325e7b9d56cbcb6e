#!/bin/sh
# A short libFuzzer run of the check-list parser (tests/sum/fuzz-line.c):
# its seed corpus, then KILN_SUM_FUZZ_SECONDS (3) of fuzzing.  Skipped
# (77) without clang.  For a longer run by hand, from the build directory:
#	KILN_SUM_FUZZ_SECONDS=600 sh $srcdir/tests/sum/fuzz.sh
# or build it as the comment at the top of fuzz-line.c says.
srcdir=${srcdir:-$(dirname "$0")/../..}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || { echo "no clang: skipped"; exit 77; }
[ -f config.h ] || { echo "run from the build directory"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-sum-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I. -I"$srcdir/tools/kiln-sum" \
    "$srcdir/tests/sum/fuzz-line.c" "$srcdir/tools/kiln-sum/line.c" \
    -o "$tmp/fuzz-line" 2>"$tmp/cc.err"; then
	# An installed clang without its fuzzer runtime.
	echo "clang cannot build a libFuzzer target: skipped"
	head -5 "$tmp/cc.err"
	exit 77
fi
mkdir "$tmp/new" || exit 99
"$tmp/fuzz-line" -max_total_time="${KILN_SUM_FUZZ_SECONDS:-3}" \
    -max_len=4096 -print_final_stats=1 "$tmp/new" \
    "$srcdir/tests/sum/corpus" >"$tmp/log" 2>&1
st=$?
grep -E '^(Done|stat::number_of_executed_units)' "$tmp/log"
if [ $st != 0 ]; then
	tail -40 "$tmp/log"
	for f in crash-* leak-* timeout-*; do
		[ -f "$f" ] && echo "reproducer: $(pwd)/$f"
	done
	exit 1
fi
exit 0
