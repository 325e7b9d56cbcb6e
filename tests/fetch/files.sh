#!/bin/sh
# Bodies saved to files, against curl's: -O (with --output-dir and
# --create-dirs), -o, names up to NAME_MAX; and never a partial file
# under the final name (nor a temporary one left) when a body fails, a
# status is an error, or SIGINT or SIGTERM ends the run; BYTES when the
# file cannot be written.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

h=http://127.0.0.1:$HTTP
s=https://localhost:$HTTPS
# Names of 240 and 255 bytes (NAME_MAX), served by nginx.
n240=$(head -c 240 /dev/zero | tr '\0' b)
n255=$(head -c 255 /dev/zero | tr '\0' c)
echo 240 >"$ng/www/$n240" && echo 255 >"$ng/www/$n255" || exit 99

# temps DIR: the temporary files left in DIR.
temps() {
	find "$1" -name '.*kiln-fetch*'
}

# killed SIGNAL CONFIG: kiln-fetch -O stalls in a body, its temporary file
# made, when SIGNAL ends it: the file must go with it.  (env gives the
# background job back the SIGINT that sh takes from it.)
killed() {
	sig=$1 cfg=$2
	checks=$((checks + 1))
	rm -rf "$tmp/sig"
	mkdir "$tmp/sig" || exit 99
	[ "$cfg" = nouring ] && export KILN_NO_URING=1
	env --default-signal=INT,TERM "$KILN_FETCH" -O --output-dir \
	    "$tmp/sig" "$h/stall" >/dev/null 2>&1 &
	pid=$!
	unset KILN_NO_URING
	n=0
	while [ -z "$(temps "$tmp/sig")" ] && [ $n -lt 400 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	[ -n "$(temps "$tmp/sig")" ] || bad "SIG$sig [$cfg]: no temporary file"
	kill -s "$sig" "$pid"
	wait "$pid"
	st=$?
	[ -z "$(ls -A "$tmp/sig")" ] ||
	    bad "SIG$sig [$cfg]: left $(ls -A "$tmp/sig")"
	# Ended by the signal, as without the handler.
	[ "$st" -gt 128 ] || bad "SIG$sig [$cfg]: exit $st"
}

# same_files DESC CONFIG ARGS...: kiln-fetch ARGS must leave in $tmp/k
# the files curl -f --remote-name-all ARGS leaves in $tmp/c, and exit as
# curl does.
same_files() {
	desc=$1 cfg=$2
	shift 2
	checks=$((checks + 1))
	rm -rf "$tmp/c" "$tmp/k"
	(cd "$tmp" && curl -s -f --remote-name-all --cacert "$CA" \
	    --output-dir c --create-dirs "$@")
	want=$?
	(cd "$tmp" && kiln "$cfg" -O --cacert "$CA" --output-dir k \
	    --create-dirs "$@" >/dev/null 2>&1)
	got=$?
	[ "$got" = "$want" ] || bad "$desc [$cfg]: exit $got, curl's $want"
	mkdir -p "$tmp/c" "$tmp/k"
	diff -r "$tmp/c" "$tmp/k" >/dev/null || {
		bad "$desc [$cfg]: not the files curl saved"
		ls -la "$tmp/c" "$tmp/k" | head -20
	}
}

for cfg in $CONFIGS; do
	same_files "-O" "$cfg" "$h/file.txt" "$h/a/b/c.txt" "$h/big" \
	    "$s/chunked" "$h/delay?i=3"
	same_files "-O, 404 and 500" "$cfg" "$h/file.txt" "$h/status/404" \
	    "$h/status/500"
	same_files "-O, -L" "$cfg" -L "$h/hop/2"
	# Here curl leaves the partial body under its name; kiln-fetch must
	# leave nothing, not even its temporary file.
	rm -rf "$tmp/k"
	expect "-O, a body that stalls" 28 "$cfg" -O --output-dir "$tmp/k" \
	    --create-dirs -m 0.5 "$h/stall" "$h/file.txt"
	[ "$(ls -A "$tmp/k")" = file.txt ] ||
	    bad "-O, a body that stalls [$cfg]: left $(ls -A "$tmp/k")"
	same_files "-O, a URL without a file name" "$cfg" "$h/"

	# -o, relative and into a directory made with --create-dirs.
	checks=$((checks + 1))
	rm -rf "$tmp/o"
	kiln "$cfg" -o "$tmp/o/d/big" --create-dirs "$h/big" >/dev/null 2>&1
	curl -s "$h/big" | cmp -s - "$tmp/o/d/big" ||
	    bad "-o [$cfg]: not the body curl fetches"
	[ "$(ls -A "$tmp/o/d")" = big ] ||
	    bad "-o [$cfg]: files other than the output left: $(ls -A "$tmp/o/d")"

	# A failure overwrites nothing, and -o into a missing directory
	# without --create-dirs fails as curl's does (23).
	expect "-o, stall" 28 "$cfg" -m 0.5 -o "$tmp/o/d/big" "$h/stall"
	curl -s "$h/big" | cmp -s - "$tmp/o/d/big" ||
	    bad "-o [$cfg]: a failed fetch changed the file"
	[ "$(ls -A "$tmp/o/d")" = big ] ||
	    bad "-o, stall [$cfg]: left $(ls -A "$tmp/o/d")"
	expect "-o, no directory" 23 "$cfg" -o "$tmp/none/x" "$h/file.txt"
	# The body came (curl's size_download), though it was not saved.
	grep -q "^200 13 " "$tmp/e.out" ||
	    bad "-o, no directory [$cfg]: line $(cat "$tmp/e.out")"

	# Names up to NAME_MAX: the temporary name must fit too.
	same_files "-O, long names" "$cfg" "$h/$n240" "$h/$n255"
	rm -rf "$tmp/o"
	mkdir "$tmp/o" || exit 99
	expect "-o, a 255-byte name" 0 "$cfg" -o "$tmp/o/$n255" "$h/$n255"
	[ "$(cat "$tmp/o/$n255" 2>/dev/null)" = 255 ] ||
	    bad "-o, a 255-byte name [$cfg]: not saved"

	killed INT "$cfg"
	killed TERM "$cfg"
	[ -z "$(temps "$tmp")" ] || bad "[$cfg]: left $(temps "$tmp")"
done
finish
