# Shared by the kiln-sum tests: sourced, not run.  Run from the build
# directory (as make check does), or set KILN_SUM to the binary.
# Exit codes of the scripts: 0 pass, 1 fail, 77 skip, 99 hard error.

KILN_SUM=${KILN_SUM:-./tools/kiln-sum/kiln-sum}
srcdir=${srcdir:-$(dirname "$0")/../..}
# Absolute: the tests change directory.
srcdir=$(cd "$srcdir" && pwd) || exit 99
[ -x "$KILN_SUM" ] || { echo "no $KILN_SUM (run from the build directory)"; exit 99; }
case $KILN_SUM in /*) ;; *) KILN_SUM=$(pwd)/$KILN_SUM ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-sum-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
checks=0

# How kiln-sum is run: each configuration the tests go through (see
# run-kiln.sh), unless KILN_SUM_CONFIGS names some of them.
CONFIGS=${KILN_SUM_CONFIGS:-"w2 w1 nouring"}

# run_kiln CONFIG ARGS...: kiln-sum in one configuration.
. "$srcdir/tests/sum/run-kiln.sh"

# same DESC REF CONFIG KOPTS ARGS...: REF ARGS... and kiln-sum KOPTS ARGS...
# must write the same (stdout and stderr interleaved, the program name at
# the start of stderr lines aside) and exit the same.  KOPTS are options
# for kiln-sum only, split at blanks ("" for none).  Standard input, if any, is $tmp/stdin.
same() {
	desc=$1 ref=$2 cfg=$3 kopts=$4
	shift 4
	checks=$((checks + 1))
	[ -f "$tmp/stdin" ] || : >"$tmp/stdin"
	"$ref" "$@" <"$tmp/stdin" >"$tmp/ref.out" 2>&1
	echo "exit $?" >>"$tmp/ref.out"
	# shellcheck disable=SC2086
	run_kiln "$cfg" $kopts "$@" <"$tmp/stdin" >"$tmp/k.out" 2>&1
	echo "exit $?" >>"$tmp/k.out"
	sed "s/^$ref: /kiln-sum: /" "$tmp/ref.out" >"$tmp/ref.cmp"
	if ! cmp -s "$tmp/ref.cmp" "$tmp/k.out"; then
		echo "FAIL: $desc [$cfg]: kiln-sum ${kopts:+$kopts }differs from $ref"
		diff "$tmp/ref.cmp" "$tmp/k.out" | head -20 | cat -A
		fail=1
	fi
}

# expect DESC STATUS CMD...: CMD must exit with STATUS.
expect() {
	desc=$1 want=$2
	shift 2
	checks=$((checks + 1))
	"$@" >"$tmp/e.out" 2>"$tmp/e.err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $desc: exit $got, expected $want"
		head -5 "$tmp/e.out" "$tmp/e.err"
		fail=1
	fi
}

finish() {
	echo "$checks checks"
	exit $fail
}
