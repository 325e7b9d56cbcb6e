#!/bin/sh
# The I/O suite with io_uring refused by kernel.io_uring_disabled, which
# makes io_uring_setup fail with EPERM: at 2 for every process, at 1 for
# those without CAP_SYS_ADMIN (outside kernel.io_uring_group).  See
# no-uring.sh.
#
# The switch is machine-wide.  So that io_uring stays with the other
# (privileged) programs on the machine, a benchmark or another make check
# beside this one, it is set to 1 and the suite runs without CAP_SYS_ADMIN;
# KILN_TEST_SYSCTL=2 sets 2 instead, for a machine of one's own.  Runs of
# this script wait for each other (flock), a value already as strict is
# kept, and the old value is put back on exit.  Skipped (77) where it
# cannot be set: not root, /proc/sys read-only (containers), no flock(1)
# or setpriv(1).

knob=/proc/sys/kernel/io_uring_disabled
lock=/tmp/kiln-io_uring_disabled.lock
level=${KILN_TEST_SYSCTL:-1}

skip() {
	echo "no-uring-sysctl.sh: $*: skipped"
	exit 77
}

case $level in
1|2) ;;
*) echo "no-uring-sysctl.sh: KILN_TEST_SYSCTL must be 1 or 2" >&2; exit 99 ;;
esac
[ "$(id -u)" = 0 ] && [ -w "$knob" ] || skip "$knob cannot be written"
command -v flock >/dev/null 2>&1 || skip "no flock(1)"
if [ "$level" = 1 ]; then
	command -v setpriv >/dev/null 2>&1 || skip "no setpriv(1)"
	group=$(cat /proc/sys/kernel/io_uring_group 2>/dev/null)
	for g in $(id -G); do
		[ "$g" != "$group" ] ||
		    skip "kernel.io_uring_group is our group $g"
	done
	set -- setpriv --bounding-set -sys_admin --inh-caps -sys_admin
else
	set --
fi

exec 8>>"$lock" || exit 99
flock 8 || exit 99
old=$(cat "$knob") || exit 99
trap 'echo "$old" >"$knob"' EXIT
trap 'exit 99' HUP INT TERM
if [ "$old" -lt "$level" ]; then
	echo "$level" >"$knob" && [ "$(cat "$knob")" = "$level" ] ||
	    skip "could not set $knob to $level"
fi
echo "no-uring-sysctl.sh: $knob is $(cat "$knob") (was $old) until the" \
    "end of this test"
"$@" "${SHELL:-/bin/sh}" "$(dirname "$0")/no-uring.sh" sysctl
