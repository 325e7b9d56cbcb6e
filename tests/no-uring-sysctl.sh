#!/bin/sh
# The I/O suite with kernel.io_uring_disabled=2, which makes io_uring_setup
# fail with EPERM for every process on the machine; see no-uring.sh.
#
# Because it is machine-wide, this runs only when asked to, with
# KILN_TEST_SYSCTL=1, by root, where /proc/sys is writable: while it runs,
# io_uring is refused to everything else too (another `make check` would
# see its io_uring runs fail, a benchmark would measure the fallback).
# Runs of this script wait for each other (flock), and the old value is put
# back on exit.  Skipped (77) otherwise.

knob=/proc/sys/kernel/io_uring_disabled
lock=/tmp/kiln-io_uring_disabled.lock

if [ "${KILN_TEST_SYSCTL-}" != 1 ]; then
	echo "no-uring-sysctl.sh: sets $knob for the whole machine: only" \
	    "with KILN_TEST_SYSCTL=1; skipped"
	exit 77
fi
if [ "$(id -u)" != 0 ] || [ ! -w "$knob" ]; then
	echo "no-uring-sysctl.sh: $knob cannot be written here: skipped"
	exit 77
fi
command -v flock >/dev/null 2>&1 ||
    { echo "no-uring-sysctl.sh: no flock(1): skipped"; exit 77; }

exec 8>>"$lock" || exit 99
flock 8 || exit 99
old=$(cat "$knob") || exit 99
trap 'echo "$old" >"$knob"' EXIT
trap 'exit 99' HUP INT TERM
if ! echo 2 >"$knob" || [ "$(cat "$knob")" != 2 ]; then
	echo "no-uring-sysctl.sh: could not set $knob to 2: skipped"
	exit 77
fi
echo "no-uring-sysctl.sh: $knob was $old, is 2 until the end of this test"
"${SHELL:-/bin/sh}" "$(dirname "$0")/no-uring.sh" sysctl
