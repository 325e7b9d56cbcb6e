#!/bin/sh
# mandoc -Tlint over every page at once; passes if it prints nothing.
#
# mandoc resolves .Xr only against installed manuals and against files
# named NAME.SECTION in the current directory, not against the other files
# on its command line.  So the pages, and the names installed as links to
# them, are gathered in one directory and linted from there: then every
# .Xr between kiln's pages is checked.  Run by make check, or by hand.
srcdir=${srcdir:-$(dirname "$0")/..}
man=$srcdir/man
MANDOC=${MANDOC:-mandoc}

command -v "$MANDOC" >/dev/null 2>&1 || { echo "no mandoc: skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

pages=
for f in "$man"/man[0-9]/*.[0-9]; do
	cp "$f" "$tmp"/ || exit 1
	pages="$pages ${f##*/}"
done
# The link list of Makemodule.am: "name.3:page.3" words.
links=$(sed -n '/^man3_links *=/,/^$/p' "$man/Makemodule.am" |
    tr ' \t\\' '\n\n\n' | grep ':')
for l in $links; do
	page=${l#*:}
	[ -f "$tmp/$page" ] || { echo "link ${l%%:*} to missing $page"; exit 1; }
	ln -s "$page" "$tmp/${l%%:*}" || exit 1
done

out=$(cd "$tmp" && "$MANDOC" -Tlint $pages 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	exit 1
fi
exit 0
