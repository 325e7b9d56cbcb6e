#!/bin/sh
# kiln-fib as its man page says: the results, the report's lines, exit 0;
# exit 2 and nothing on the standard output for a usage error (an unknown
# option, no N, a number that is malformed or out of range, by the one
# rule of tools/common: decimal digits only); --help and --version.
# Run from the build directory (as make check does), or set KILN_FIB.
KILN_FIB=${KILN_FIB:-./tools/kiln-fib/kiln-fib}
[ -x "$KILN_FIB" ] || { echo "no $KILN_FIB (run from the build directory)"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fib-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# run WANT-STATUS ARGS...: kiln-fib must exit so; output in $tmp/out, err.
run() {
	want=$1
	shift
	"$KILN_FIB" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: kiln-fib $*: exit $got, expected $want"
		head -5 "$tmp/out" "$tmp/err"
		fail=1
		return 1
	fi
}

# has FILE LINE: LINE must be a line of FILE.
has() {
	if ! grep -qxF -- "$2" "$1"; then
		echo "FAIL: no line '$2' in:"
		cat "$1"
		fail=1
	fi
}

for w in 1 2; do
	run 0 -w "$w" 0 1 2 10 25 &&
	    has "$tmp/out" "fib(0) = 0" && has "$tmp/out" "fib(1) = 1" &&
	    has "$tmp/out" "fib(2) = 1" && has "$tmp/out" "fib(10) = 55" &&
	    has "$tmp/out" "fib(25) = 75025" && has "$tmp/out" "workers: $w"
	grep -q '^speedup: ' "$tmp/out" ||
	    { echo "FAIL: no speedup line (-w $w)"; fail=1; }
done
run 0 -s -c 10 -r 3 -v 27 && has "$tmp/out" "fib(27) = 196418"
grep -q '^kiln: .* (median)$' "$tmp/out" ||
    { echo "FAIL: -r 3 reports no median"; cat "$tmp/out"; fail=1; }
grep -q '^serial:' "$tmp/out" && { echo "FAIL: -s still runs serial"; fail=1; }
grep -q '^tasks: [0-9]' "$tmp/out" || { echo "FAIL: -v prints no counters"; fail=1; }
run 0 -c 92 -s 20 && has "$tmp/out" "fib(20) = 6765"
run 0 -w 16 -s 5 && has "$tmp/out" "fib(5) = 5" && has "$tmp/out" "workers: 16"

run 0 --help && grep -q '^usage: kiln-fib ' "$tmp/out" ||
    { echo "FAIL: --help"; fail=1; }
run 0 --version && grep -q '^kiln-fib (kiln) [0-9]*\.[0-9]*\.[0-9]*$' \
    "$tmp/out" || { echo "FAIL: --version"; fail=1; }

# Usage errors: exit 2, a message on stderr, nothing on stdout.
for bad in "" "-w 0" "-w 4097" "-w x" "-w 1x" "-w +1" "-w -1" "-c 93" \
    "-r 0" "-r 1001" "--bogus" "-q 5" "93" "-1" "+5" "0x10" "5x" "1e3" \
    "99999999999999999999999" "10 93"; do
	# shellcheck disable=SC2086
	run 2 $bad || continue
	if [ -s "$tmp/out" ] || [ ! -s "$tmp/err" ]; then
		echo "FAIL: kiln-fib $bad: stdout not empty or no message"
		fail=1
	fi
done
# Operands the shell would split: a blank before or after, an empty one.
for bad in " 5" "5 " ""; do
	run 2 -s "$bad" || continue
	grep -q "^kiln-fib: N must be a number from 0 to 92, not '$bad'\$" \
	    "$tmp/err" || { echo "FAIL: message for '$bad':"; cat "$tmp/err"; fail=1; }
done
exit $fail
