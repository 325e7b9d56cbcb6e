#!/bin/sh
# manlint.sh - every man page under man/ is lint-clean: one `mandoc -Tlint`
# over all pages at once (so that .Xr links between our pages resolve)
# must print nothing.  Skips if mandoc is missing or there are no pages.
#
# Environment: top_srcdir (set by `make check`; default .), MANDOC.

srcdir=${top_srcdir:-.}
mandoc=${MANDOC:-mandoc}

if ! command -v "$mandoc" >/dev/null 2>&1; then
	echo "manlint.sh: mandoc not found; skipping"
	exit 77
fi
if [ ! -d "$srcdir/man" ]; then
	echo "manlint.sh: no $srcdir/man directory; skipping"
	exit 77
fi

# Pages are files named NAME.SECTION (section 1-9, maybe a suffix).
pages=$(find "$srcdir/man" -type f -name '*.[1-9]*' ! -name '*.am' \
    ! -name '*.in' ! -name '*~' | LC_ALL=C sort)
if [ -z "$pages" ]; then
	echo "manlint.sh: no man pages under $srcdir/man yet; skipping"
	exit 77
fi

# Word splitting on purpose: page paths come from our own tree.
# shellcheck disable=SC2086
out=$("$mandoc" -Tlint $pages 2>&1)
rc=$?
if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
	printf '%s\n' "$out"
	echo "manlint.sh: mandoc -Tlint is not clean (exit status $rc)"
	exit 1
fi
echo "manlint.sh: $(echo "$pages" | wc -l) pages lint-clean"
exit 0
