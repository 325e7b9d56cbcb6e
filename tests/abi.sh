#!/bin/sh
# abi.sh - the ABI is checked in: the dynamic symbols that libkiln.so
# exports must be exactly the global names of lib/kiln.map.  A name missing
# from either side fails the test with a diff (map on the left).
#
# Environment: top_srcdir, top_builddir (set by `make check`; default .).

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
map=$srcdir/lib/kiln.map
so=$builddir/lib/.libs/libkiln.so

if [ ! -r "$map" ]; then
	echo "abi.sh: $map not found" >&2
	exit 99
fi
if [ ! -e "$so" ]; then
	echo "abi.sh: $so not built (--disable-shared?); skipping"
	exit 77
fi
if ! command -v nm >/dev/null 2>&1; then
	echo "abi.sh: nm not found; skipping"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-abi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# The names under "global:" in every version node, comments removed.
awk '
{ s = s $0 "\n" }
END {
	while ((i = index(s, "/*")) > 0) {
		rest = substr(s, i + 2)
		e = index(rest, "*/")
		if (e == 0) {
			print "abi.sh: unterminated comment in the map" > "/dev/stderr"
			exit 1
		}
		s = substr(s, 1, i - 1) " " substr(rest, e + 2)
	}
	gsub(/[{};]/, " & ", s)
	n = split(s, tok, /[ \t\n]+/)
	scope = ""
	for (i = 1; i <= n; i++) {
		t = tok[i]
		if (t == "global:")
			scope = "global"
		else if (t == "local:")
			scope = "local"
		else if (t == "}")
			scope = ""
		else if (scope == "global" && t != "" && t != ";")
			print t
	}
}' "$map" | sort -u >"$tmp/map" || exit 99

if grep -q '[*?[]' "$tmp/map"; then
	echo "abi.sh: the map exports by pattern; list every name instead:" >&2
	grep '[*?[]' "$tmp/map" >&2
	exit 1
fi

# Defined dynamic symbols, without version suffixes; type A are the
# version nodes themselves.
nm -D --defined-only "$so" |
    awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
    sort -u >"$tmp/so" || exit 99

if [ ! -s "$tmp/so" ]; then
	echo "abi.sh: no symbols read from $so" >&2
	exit 99
fi

if ! diff -u "$tmp/map" "$tmp/so" >"$tmp/diff"; then
	echo "abi.sh: exports of $so differ from $map (- map, + library):"
	sed '1,2d' "$tmp/diff"
	exit 1
fi
echo "abi.sh: $(wc -l <"$tmp/so") exported symbols match $map"
exit 0
