#!/bin/sh
# Bodies saved to files, against curl's: -O (with --output-dir and
# --create-dirs), -o; and never a partial file under the final name (nor
# a temporary one left) when a body fails or a status is an error.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

h=http://127.0.0.1:$HTTP
s=https://localhost:$HTTPS

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
done
finish
