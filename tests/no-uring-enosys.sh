#!/bin/sh
# The I/O suite and kiln-sum's comparison with the io_uring system calls
# failing with ENOSYS under a seccomp filter, as on a kernel without
# io_uring or in gVisor; see no-uring.sh.
exec "${SHELL:-/bin/sh}" "$(dirname "$0")/no-uring.sh" ENOSYS
