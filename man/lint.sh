#!/bin/sh
# mandoc -Tlint over every page at once, and a check for words lost to
# mdoc's macro calls; passes if they print nothing.
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

# Words that vanish from the page: on a macro line, a word that is the
# name of a callable mdoc macro is taken as that macro, not printed (so
# ".Ql file: No such file" renders "file: such file").  mandoc's parse
# tree shows every macro called in the middle of a line; the pages call
# only these there on purpose.  Any other is a word lost: escape it as
# \&No.
inline="Ar Bq Cm Dq Dv Er Ev Fa Fl Fn Ic Li Ns Op Pq Ql Sq Sx Va Xr"
for p in $pages; do
	(cd "$tmp" && "$MANDOC" -Ttree "$p") |
	    awk -v page="$p" -v ok=" $inline " '
	$2 ~ /^\((elem|block)\)$/ {
		for (i = 3; i <= NF; i++)
			if ($i ~ /^\*?[0-9]+:[0-9]+$/)
				break
		if (i <= NF && $i !~ /^\*/ && index(ok, " " $1 " ") == 0)
			printf "%s:%s: \"%s\" is read as a macro: the word is lost (write \\&%s)\n",
			    page, $i, $1, $1
	}'
done >"$tmp/lost"
if [ -s "$tmp/lost" ]; then
	cat "$tmp/lost"
	exit 1
fi
exit 0
