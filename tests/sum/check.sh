#!/bin/sh
# kiln-sum -c against coreutils' --check: good lists, a changed file,
# malformed lines, missing files, every reporting option, several lists,
# lists on standard input, BSD-style lines, each algorithm; then lists of
# random lines, built from pieces of valid and broken lines, which must be
# judged line for line as sha256sum and b2sum judge them.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

t=$tmp/tree
mkdir "$t" || exit 99
cd "$t" || exit 99
for n in 0 1 4096 65537 262144 1048577; do
	head -c "$n" /dev/urandom >"size-$n" || exit 99
done
head -c 5000000 /dev/urandom >big || exit 99
for name in 'with space' "$(printf 'new\nline')" 'back\slash' \
    "$(printf 'cr\rx')" "$(printf 'bad\377')" 'co:lon' "it's" ' lead'; do
	printf '%s' "$name" >"$name" || exit 99
done
mkdir dir || exit 99

for a in sha256 sha1 sha512 md5 b2; do
	"${a}sum" -- * >"$tmp/good-$a" 2>/dev/null
	"${a}sum" --tag -- * >"$tmp/tag-$a" 2>/dev/null
done
good=$tmp/good-sha256

# A changed file.
cp "$good" "$tmp/changed"
cp size-4096 "$tmp/size-4096.orig"
# Malformed lines and a missing file.
{
	head -3 "$good"
	echo "not a checksum line"
	echo "0123  short"
	printf '%s  nothere\n' "$(sha256sum <size-1 | cut -c1-64)"
	echo
	echo "# a comment"
	printf '%s  dir\n' "$(sha256sum <size-1 | cut -c1-64)"
	tail -3 "$good"
	printf '\\%s  bad\\qescape\n' "$(sha256sum <size-1 | cut -c1-64)"
	printf 'SHA256 (size-1) = %s\n' "$(sha256sum <size-1 | cut -c1-64)"
	printf 'SHA256(size-0)= %s\r\n' "$(sha256sum <size-0 | cut -c1-64)"
	printf '  %s *big\n' "$(sha256sum <big | cut -c1-64 | tr a-f A-F)"
	printf 'SHA1 (size-1) = %s\n' "$(sha1sum <size-1 | cut -c1-40)"
	printf '%s  size-0' "$(sha256sum <size-0 | cut -c1-64)"
} >"$tmp/mixed"
# Only missing files; only malformed lines; BSD's reversed format.
printf '%s  gone\n%s  gone too\n' "$(sha256sum <size-1 | cut -c1-64)" \
    "$(sha256sum <size-0 | cut -c1-64)" >"$tmp/allmissing"
printf 'junk\n\njunk 2\n' >"$tmp/junk"
printf '%s size-1\n%s  size-0\n' "$(sha256sum <size-1 | cut -c1-64)" \
    "$(sha256sum <size-0 | cut -c1-64)" >"$tmp/reversed"
: >"$tmp/empty"

for cfg in w2 nouring; do
	for a in sha256 sha1 sha512 md5 b2; do
		case $a in b2) algo=blake2b ;; *) algo=$a ;; esac
		same "good list, $algo" "${a}sum" "$cfg" "-a$algo" -c \
		    "$tmp/good-$a"
		same "tagged list, $algo" "${a}sum" "$cfg" "-a$algo" -c \
		    "$tmp/tag-$a"
	done
	printf 'changed' >size-4096
	same "changed file" sha256sum "$cfg" "" -c "$good"
	same "changed file, --quiet" sha256sum "$cfg" "" -c --quiet "$good"
	same "changed file, --status" sha256sum "$cfg" "" -c --status "$good"
	cp "$tmp/size-4096.orig" size-4096
	for o in --warn --quiet --status --strict --ignore-missing; do
		same "mixed list, $o" sha256sum "$cfg" "" -c $o "$tmp/mixed"
	done
	same "mixed list, all options" sha256sum "$cfg" "" -c --warn \
	    --strict --ignore-missing "$tmp/mixed"
	same "mixed list" sha256sum "$cfg" "" -c "$tmp/mixed"
	same "mixed list, b2sum" b2sum "$cfg" "-ablake2b" -c --warn \
	    "$tmp/mixed"
	same "only missing files" sha256sum "$cfg" "" -c "$tmp/allmissing"
	same "only missing, --ignore-missing" sha256sum "$cfg" "" -c \
	    --ignore-missing "$tmp/allmissing"
	same "only malformed lines" sha256sum "$cfg" "" -c --warn "$tmp/junk"
	same "reversed format" sha256sum "$cfg" "" -c --warn "$tmp/reversed"
	same "empty list" sha256sum "$cfg" "" -c "$tmp/empty"
	same "several lists, missing, a directory" sha256sum "$cfg" "" -c \
	    --warn "$good" "$tmp/nolist" "$tmp/junk" dir "$tmp/mixed" "$good"
	cp "$tmp/mixed" "$tmp/stdin"
	same "list on stdin" sha256sum "$cfg" "" -c --warn -
	same "list on stdin, no operand" sha256sum "$cfg" "" -c --warn
	printf '%s  -\n' "$(sha256sum <big | cut -c1-64)" >"$tmp/dash"
	cp big "$tmp/stdin"
	same "list naming -" sha256sum "$cfg" "" -c "$tmp/dash"
	cp "$tmp/dash" "$tmp/stdin"
	same "list on stdin naming -" sha256sum "$cfg" "" -c --warn -
	rm -f "$tmp/stdin"
done

# Random lines: pieces of good and broken lines, shuffled together.  Each
# list is checked by its own process (coreutils keeps the "reversed
# format" decision for a whole run).
hex1=$(sha256sum <size-1 | cut -c1-64)
b2hex1=$(b2sum <size-1 | cut -c1-128)
awk -v seed="${KILN_SUM_SEED:-1}" -v h="$hex1" -v b="$b2hex1" -v dir="$tmp" '
function pick(n) { return int(rand() * n) + 1 }
function hexs(n,   s, i) {
	s = ""
	for (i = 0; i < n; i++) s = s substr("0123456789abcdefABCDEF", pick(22), 1)
	return s
}
BEGIN {
	srand(seed)
	np = split("size-1|size-0|nothere|with space| lead|back\\\\slash|new\\nline|a)b|x(|)|dir|-|size-1 |co:lon", names, "|")
	ns = split(" | |  | *|*|\t|\t\t|   ", seps, "|")
	nd = split("SHA256|SHA256 |SHA256-256 |BLAKE2b|BLAKE2b-512 |BLAKE2b-256 |BLAKE2bX|BLAKE2b-0x200|BLAKE2b-+512 |BLAKE2b--8 |SHA1 |", tags, "|")
	for (f = 1; f <= 60; f++) {
		file = dir "/rand-" f
		for (l = 0; l < 12; l++) {
			r = pick(10)
			if (r <= 3) dg = h
			else if (r <= 5) dg = b
			else if (r == 6) dg = hexs(pick(3) * 32)
			else if (r == 7) dg = hexs(pick(130))
			else if (r == 8) dg = substr(b, 1, 2 * pick(64))
			else if (r == 9) dg = h "z"
			else dg = ""
			nm = names[pick(np)]
			pre = (pick(6) == 1) ? "\\" : ""
			if (pick(8) == 1) pre = " " pre
			if (pick(3) == 1) {
				eq = (pick(5) == 1) ? "=" : " = "
				open = (pick(6) == 1) ? "(" : " ("
				line = pre tags[pick(nd)] open nm ")" eq dg
			} else {
				line = pre dg seps[pick(ns)] nm
			}
			if (pick(12) == 1) line = line "\r"
			if (pick(15) == 1) line = "#" line
			print line > file
		}
		close(file)
	}
}' || exit 99
for f in "$tmp"/rand-*; do
	same "random lines ${f##*/}" sha256sum w2 "" -c --warn "$f"
	same "random lines ${f##*/}, b2sum" b2sum w2 "-ablake2b" -c --warn "$f"
done
finish
