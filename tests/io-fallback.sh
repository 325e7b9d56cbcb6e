#!/bin/sh
# io-fallback.sh - the I/O suite (tests/io) again, with KILN_NO_URING=1:
# every pool does its I/O through helper threads and per-worker timers
# instead of io_uring.  A TESTS entry of its own, run through
# tests/run-test.sh like the others, so that its Synthesis line is shown.
# Arguments go to the suite (e.g. --filter='io/timeouts*').

bin=${top_builddir:-.}/tests/io
if [ ! -x "$bin" ]; then
	echo "io-fallback.sh: $bin not built" >&2
	exit 77
fi
KILN_NO_URING=1
export KILN_NO_URING
exec "$bin" "$@"
