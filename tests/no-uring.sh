#!/bin/sh
# no-uring.sh - the I/O suite (tests/io) and kiln-sum's comparison with
# coreutils (tests/sum/compare.sh) where the kernel refuses io_uring, and
# KILN_NO_URING is not set: every pool must find that out and take the
# fallback by itself.
#
#	no-uring.sh EPERM|ENOSYS
#		under tests/no-uring-exec's seccomp filter, which makes the
#		io_uring system calls fail with that errno: EPERM as in a
#		default Docker container, ENOSYS as on a kernel without
#		io_uring or in gVisor (tests/no-uring-eperm.sh, -enosys.sh)
#	no-uring.sh sysctl
#		the I/O suite only, run by tests/no-uring-sysctl.sh once it
#		has set kernel.io_uring_disabled
#
# Each run first has tests/no-uring-probe check, in the same conditions,
# that io_uring really is refused and that a pool really takes the
# fallback; the suite is told to expect the fallback
# (KILN_TEST_EXPECT_FALLBACK=1), and its statistics test checks it too.
# Exit status: 0 pass, 1 fail, 77 skip (no libseccomp, no Criterion
# suites), 99 hard error.

mode=$1
b=${top_builddir:-.}
srcdir=${srcdir:-$(dirname "$0")/..}
probe=$b/tests/no-uring-probe

case $mode in
EPERM|ENOSYS)
	wrap=$b/tests/no-uring-exec
	if [ ! -x "$wrap" ]; then
		echo "no-uring.sh: configure did not find libseccomp, so" \
		    "$wrap was not built (Debian: apt-get install" \
		    "libseccomp-dev, then configure again)"
		exit 77
	fi
	set -- "$wrap" "$mode"
	probe_args="seccomp $mode"
	;;
sysctl)
	set --
	probe_args=sysctl
	;;
*)
	echo "usage: no-uring.sh EPERM|ENOSYS|sysctl" >&2
	exit 99
	;;
esac

if [ ! -x "$b/tests/io" ]; then
	# Not built without Criterion, nor under ThreadSanitizer, where
	# Criterion crashes (see tests/Makemodule.am).
	echo "no-uring.sh: $b/tests/io not built: skipped"
	exit 77
fi
[ -x "$probe" ] || { echo "no-uring.sh: $probe not built" >&2; exit 99; }

unset KILN_NO_URING
KILN_TEST_EXPECT_FALLBACK=1
export KILN_TEST_EXPECT_FALLBACK

# A probe that fails makes the rest meaningless.
# shellcheck disable=SC2086
"$@" "$probe" $probe_args || exit 1

fail=0
"$@" "$b/tests/io" || fail=1
if [ "$mode" != sysctl ]; then
	# The configurations that leave the choice to the pool; KILN_NO_URING
	# (nouring) would take the fallback whatever the kernel says.
	if [ -f "$b/tools/kiln-sum/kiln-sum" ]; then
		KILN_SUM_CONFIGS="w2 w1" srcdir=$srcdir \
		    "$@" "${SHELL:-/bin/sh}" "$srcdir/tests/sum/compare.sh" ||
		    fail=1
	else
		echo "no-uring.sh: $b/tools/kiln-sum/kiln-sum not built: its" \
		    "comparison left out"
	fi
fi
exit $fail
