#!/bin/sh
# run-test.sh - the LOG_COMPILER of kiln's tests (tests/Makemodule.am).
#
#	run-test.sh PROGRAM [ARG...]
#
# Runs PROGRAM (through $SHELL if its name ends in .sh) with its output
# going, as automake expects, to our standard output (the test's .log), and
# then:
#  - copies Criterion's closing "Synthesis: Tested: N | Passing: ..." line to
#    file descriptor 9, if it is open (AM_TESTS_FD_REDIRECT = 9>&1 sends it
#    to the terminal of `make check`);
#  - fails the test if the output holds a sanitizer report, even when the
#    program exited 0 (UBSan recovers, LSan and TSan may exit 0 depending on
#    their options, and a report in a forked Criterion worker may not change
#    the exit status at all).
# The exit status is otherwise PROGRAM's: 0 pass, 77 skip, 99 hard error,
# anything else a failure.

if [ $# -eq 0 ]; then
	echo "usage: run-test.sh PROGRAM [ARG...]" >&2
	exit 99
fi

out=$(mktemp "${TMPDIR:-/tmp}/kiln-test.XXXXXX") || exit 99
trap 'rm -f "$out" "$out.rc"' EXIT
trap 'exit 99' HUP INT TERM

# Stream the output (a hung test still leaves a useful .log) and keep a copy.
{
	case $1 in
	*.sh) ${SHELL:-/bin/sh} "$@" 2>&1 ;;
	*) "$@" 2>&1 ;;
	esac
	echo $? >"$out.rc"
} | tee "$out"
rc=$(cat "$out.rc" 2>/dev/null)
[ -n "$rc" ] || rc=99

# Is fd 9 open?  In a subshell: a failed redirection of a special built-in
# would end this shell.
fd9=no
if (exec >&9) 2>/dev/null; then
	fd9=yes
fi

name=${1#./}
synth=$(sed -n 's/\x1b\[[0-9;]*m//g; s/ *$//; s/.*\(Synthesis: Tested:\)/\1/p' \
    "$out" | tail -n 1)
if [ -n "$synth" ] && [ $fd9 = yes ]; then
	printf '%s: %s\n' "$name" "$synth" >&9
fi

if grep -a -q -E 'ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|ERROR: LeakSanitizer' "$out"; then
	echo "run-test.sh: $name: sanitizer report in the output above (exit status was $rc)"
	[ "$rc" -eq 99 ] || rc=1
	if [ $fd9 = yes ]; then
		echo "$name: FAILED on a sanitizer report (see its .log)" >&9
	fi
fi
exit "$rc"
