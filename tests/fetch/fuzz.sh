#!/bin/sh
# A short libFuzzer run of kiln-fetch's response path (fuzz-resp.c),
# seeded with 200 replies from fuzz-replay, then KILN_FETCH_FUZZ_SECONDS
# (3) of fuzzing.  Skipped (77) without clang and its fuzzer runtime.
# For a longer run by hand, from the build directory:
#	KILN_FETCH_FUZZ_SECONDS=600 sh $srcdir/tests/fetch/fuzz.sh
srcdir=${srcdir:-$(dirname "$0")/../..}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || { echo "no clang: skipped"; exit 77; }
[ -x tests/fetch/fuzz-replay ] || { echo "run from the build directory"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fetch-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
k=$srcdir/tools/kiln-fetch
if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I. -I"$k" \
    "$srcdir/tests/fetch/fuzz-resp.c" "$k/http.c" "$k/parse.c" "$k/url.c" \
    -lhttp_parser -o "$tmp/fuzz-resp" 2>"$tmp/cc.err"; then
	echo "clang cannot build a libFuzzer target: skipped"
	head -5 "$tmp/cc.err"
	exit 77
fi
mkdir "$tmp/seed" "$tmp/new" || exit 99
tests/fetch/fuzz-replay 200 1 "$tmp/seed" || exit 99
(cd "$tmp" && ./fuzz-resp -max_total_time="${KILN_FETCH_FUZZ_SECONDS:-3}" \
    -max_len=200000 -print_final_stats=1 new seed >log 2>&1)
st=$?
grep -E '^(Done|stat::number_of_executed_units)' "$tmp/log"
if [ $st != 0 ]; then
	tail -40 "$tmp/log"
	for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
		[ -f "$f" ] && cp "$f" . && echo "reproducer: $(pwd)/${f##*/}"
	done
	exit 1
fi
exit 0
