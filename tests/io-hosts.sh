#!/bin/sh
# io-hosts.sh - kiln_getaddrinfo reads the hosts file: the I/O suite's
# lookup tests in a private mount namespace whose /etc/hosts also names
# kiln-test-host.example (192.0.2.98, a documentation address), on both
# I/O paths.  Needs root and unshare(1); skips (77) where a mount
# namespace cannot be made.

bin=${top_builddir:-.}/tests/io
if [ ! -x "$bin" ]; then
	echo "io-hosts.sh: $bin not built" >&2
	exit 77
fi
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! unshare --mount true 2>/dev/null; then
	echo "io-hosts.sh: cannot make a mount namespace here" >&2
	exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
{ cat /etc/hosts; echo "192.0.2.98 kiln-test-host.example"; } >"$tmp/hosts"
KILN_TEST_HOSTS=1
export KILN_TEST_HOSTS
for path in uring fallback; do
	if [ $path = fallback ]; then
		KILN_NO_URING=1
		export KILN_NO_URING
	fi
	unshare --mount sh -c 'mount --bind "$1" /etc/hosts && shift &&
	    exec "$@"' sh "$tmp/hosts" "$bin" --filter='io/getaddrinfo*' ||
	    exit 1
done
