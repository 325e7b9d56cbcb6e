#!/bin/sh
# Cross-build tests/fiber-aarch64.c with lib/fiber_aarch64.S and run it
# under qemu-user, so that the AArch64 context switch is tested on x86-64
# machines too.  Skipped (77) without aarch64-linux-gnu-gcc and
# qemu-aarch64 (Debian: gcc-aarch64-linux-gnu, qemu-user); CI has them.
srcdir=${srcdir:-$(dirname "$0")/..}
CC_A64=${CC_A64:-aarch64-linux-gnu-gcc}
QEMU_A64=${QEMU_A64:-qemu-aarch64}

if [ "$(uname -m)" != aarch64 ]; then
	command -v "$CC_A64" >/dev/null 2>&1 &&
	    command -v "$QEMU_A64" >/dev/null 2>&1 ||
	    { echo "no $CC_A64 or $QEMU_A64: skipped"; exit 77; }
	run=$QEMU_A64
else
	CC_A64=${CC:-cc}
	run=
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-a64.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
"$CC_A64" -O2 -static -o "$tmp/t" "$srcdir/tests/fiber-aarch64.c" \
    "$srcdir/lib/fiber_aarch64.S" || exit 1
$run "$tmp/t"
