#!/bin/sh
# -o and -O onto what is already at the path, as curl does: a character
# device, a FIFO and a symlink are opened and written in place (the link
# kept, written through); an existing file keeps its mode and its other
# hard links; -o - is the standard output; a new file appears only whole.
# The devices are copies made with mknod in the test's own folder (as
# root; skipped otherwise), never the system's /dev/null or /dev/full.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

h=http://127.0.0.1:$HTTP
d=$tmp/t
curl -s "$h/file.txt" >"$tmp/body" || exit 99

# is KIND PATH DESC: PATH must still be of KIND (test(1)'s -c, -p, -L...).
is() {
	[ "$1" "$2" ] || bad "$3: $2 is no longer what it was ($(ls -ld "$2"))"
}

# same FILE DESC: FILE must hold the body.
same() {
	cmp -s "$tmp/body" "$1" || bad "$2: $1 does not hold the body"
}

# mode_links FILE MODE LINKS DESC
mode_links() {
	got=$(stat -c '%a %h' "$1")
	[ "$got" = "$2 $3" ] || bad "$4: $1 has mode and links $got, not $2 $3"
}

# A reader for the FIFO $1 into $2, bounded in case nothing ever opens
# the FIFO (the guard of a hang, not a time assertion).
reader() {
	timeout 60 cat "$1" >"$2" &
	rpid=$!
}

devices() {	# devices CONFIG
	cfg=$1
	mknod -m 666 "$d/null" c 1 3 2>/dev/null &&
	    mknod -m 666 "$d/full" c 1 7 2>/dev/null || {
		echo "no mknod (not root?): the device cases skipped"
		return 0
	}
	expect "-o a null device" 0 "$cfg" -o "$d/null" "$h/file.txt"
	is -c "$d/null" "-o a null device [$cfg]"
	# A full device: the write fails (23), curl's ENOSPC, and the
	# device stays.
	expect "-o a full device" 23 "$cfg" -o "$d/full" "$h/file.txt"
	is -c "$d/full" "-o a full device [$cfg]"
	grep -q 'No space left' "$tmp/e.err" ||
	    bad "-o a full device [$cfg]: says $(cat "$tmp/e.err")"
	ln -s null "$d/to-null"
	expect "-o a symlink to a device" 0 "$cfg" -o "$d/to-null" \
	    "$h/file.txt"
	is -L "$d/to-null" "-o a symlink to a device [$cfg]"
	is -c "$d/null" "-o a symlink to a device [$cfg]"
	# -O onto a device named as the URL's file.
	mkdir "$d/o" && mknod -m 666 "$d/o/file.txt" c 1 3
	expect "-O onto a device" 0 "$cfg" -O --output-dir "$d/o" \
	    "$h/file.txt"
	is -c "$d/o/file.txt" "-O onto a device [$cfg]"
}

fifos() {	# fifos CONFIG
	cfg=$1
	mkfifo "$d/fifo" || exit 99
	reader "$d/fifo" "$d/fifo.out"
	expect "-o a FIFO" 0 "$cfg" -o "$d/fifo" "$h/file.txt"
	is -p "$d/fifo" "-o a FIFO [$cfg]"
	[ -p "$d/fifo" ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	same "$d/fifo.out" "-o a FIFO [$cfg]"
	# Through a symlink, as /dev/stdout is one to a pipe.
	ln -s fifo "$d/to-fifo"
	reader "$d/fifo" "$d/fifo.out"
	expect "-o a symlink to a FIFO" 0 "$cfg" -o "$d/to-fifo" \
	    "$h/file.txt"
	is -L "$d/to-fifo" "-o a symlink to a FIFO [$cfg]"
	is -p "$d/fifo" "-o a symlink to a FIFO [$cfg]"
	[ -p "$d/fifo" ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	same "$d/fifo.out" "-o a symlink to a FIFO [$cfg]"
}

files() {	# files CONFIG
	cfg=$1
	# A symlink to a file: the link stays, the file gets the body.
	echo old >"$d/target"
	ln -s target "$d/link"
	expect "-o a symlink" 0 "$cfg" -o "$d/link" "$h/file.txt"
	is -L "$d/link" "-o a symlink [$cfg]"
	same "$d/target" "-o a symlink [$cfg]"
	# A file with another hard link, mode 600: both names get the body,
	# the mode stays.
	echo secret >"$d/secret"
	chmod 600 "$d/secret"
	ln "$d/secret" "$d/hard"
	expect "-o a hard link" 0 "$cfg" -o "$d/secret" "$h/file.txt"
	mode_links "$d/secret" 600 2 "-o a hard link [$cfg]"
	same "$d/hard" "-o a hard link [$cfg]"
	# A file of its own, mode 640: replaced whole, the mode kept.
	echo old >"$d/narrow"
	chmod 640 "$d/narrow"
	expect "-o a file, mode 640" 0 "$cfg" -o "$d/narrow" "$h/file.txt"
	mode_links "$d/narrow" 640 1 "-o a file, mode 640 [$cfg]"
	same "$d/narrow" "-o a file, mode 640 [$cfg]"
	# -o -: the body on the standard output, the line on stderr.
	checks=$((checks + 1))
	(cd "$d" && kiln "$cfg" -o - "$h/file.txt" >"$d/stdout.out" \
	    2>"$d/stdout.err")
	same "$d/stdout.out" "-o - [$cfg]"
	[ ! -e "$d/-" ] || bad "-o - [$cfg]: made a file named -"
	grep -q "^200 13 .* $h/file.txt\$" "$d/stdout.err" ||
	    bad "-o - [$cfg]: no line on stderr: $(cat "$d/stdout.err")"
}

for cfg in $CONFIGS; do
	rm -rf "$d"
	mkdir "$d" || exit 99
	devices "$cfg"
	fifos "$cfg"
	files "$cfg"
	left=$(find "$d" -name '.*kiln-fetch*')
	[ -z "$left" ] || bad "[$cfg]: temporary files left: $left"
done
finish
