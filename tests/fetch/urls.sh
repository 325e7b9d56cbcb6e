#!/bin/sh
# URLs and redirects against curl: dot segments removed before sending
# (RFC 3986 5.2.4), -O on a path ending in . or .. refused before any
# request, long URLs sent, an empty port, credentials (Authorization:
# Basic), a Location with spaces, a redirect with an empty or no Location;
# control characters in lines and messages, digest lines escaped as
# sha256sum escapes names; getopt's messages under the tool's name.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

h=http://127.0.0.1:$HTTP
printf 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n' >"$tmp/noloc"
raw_start "$tmp/noloc" || exit $?
long=$(head -c 16300 /dev/zero | tr '\0' a)
longer=$(head -c 70000 /dev/zero | tr '\0' a)

# sent MARKER URI DESC: the request carrying MARKER was for URI.
sent() {
	got=$(requests "$1" | cut -d' ' -f5 | sort -u)
	[ "$got" = "$2" ] || bad "$3: requested '$got', not '$2'"
}

for cfg in $CONFIGS; do
	# Dot segments: removed before the request is sent, as curl does.
	marker
	check "dot segments" "$cfg" "" "" "$h/x/../a/./b/c.txt?m=$m"
	sent "$m" "/a/b/c.txt?m=$m" "dot segments [$cfg]"
	# -O and a last segment . or ..: no file name, said before asking.
	for p in "x/.." "a/b/." "a/b/.."; do
		marker
		expect "-O $p" 23 "$cfg" -O --output-dir "$tmp/o" "$h/$p?m=$m"
		grep -q 'no file name in the URL for -O' "$tmp/e.err" ||
		    bad "-O $p [$cfg]: said $(cat "$tmp/e.err")"
		[ -z "$(requests "$m")" ] || bad "-O $p [$cfg]: a request made"
	done

	# Long URLs are sent (nginx answers 414), not called malformed.
	check "a 16 kB URL" "$cfg" "" "" "$h/$long" "$h/file.txt"
	check "a 70 kB URL" "$cfg" "" "" "$h/$longer?q" "$h/file.txt"

	# An empty port is the default one (80), as RFC 3986 and curl say.
	check "an empty port" "$cfg" "" "" "http://127.0.0.1:/file.txt" \
	    "$h/file.txt"

	# Credentials in the URL: sent as Authorization: Basic, decoded.
	check "credentials" "$cfg" "" "" \
	    "http://user:pw@127.0.0.1:$HTTP/auth" \
	    "http://us%3Aer:p%40w%20x@127.0.0.1:$HTTP/auth" \
	    "http://user@127.0.0.1:$HTTP/auth"

	# Redirects: to "/a b c" (curl encodes the spaces), and with an
	# empty Location, which ends the chain (one request, exit 22).
	check "Location with spaces" "$cfg" "" "-L" "$h/rel/space"
	check "-L, an empty Location" "$cfg" "" "-L" "$h/r/nolocation"
	marker
	expect "-L, an empty Location" 22 "$cfg" -L "$h/r/nolocation?m=$m"
	n=$(requests "$m" | wc -l)
	[ "$n" = 1 ] || bad "-L, an empty Location [$cfg]: $n requests"
	grep -q 'HTTP status 302 (a redirect without a Location)$' \
	    "$tmp/e.err" ||
	    bad "-L, an empty Location [$cfg]: said $(cat "$tmp/e.err")"
	# No Location at all: -L was given, so it is not advised.
	expect "-L, no Location" 22 "$cfg" -L "http://127.0.0.1:$RAW/noloc"
	grep -q 'HTTP status 302 (a redirect without a Location)$' \
	    "$tmp/e.err" ||
	    bad "-L, no Location [$cfg]: said $(cat "$tmp/e.err")"
	expect "no -L" 22 "$cfg" "http://127.0.0.1:$RAW/noloc"
	grep -q '(redirect not followed: -L follows)$' "$tmp/e.err" ||
	    bad "no -L [$cfg]: said $(cat "$tmp/e.err")"

	# A URL with a CR (from a list with CRLF ends inside it) and an
	# escape: percent-encoded in the line and in the message.
	printf '%s\n' "$h/a$(printf '\r')b" "$h/c$(printf '\033')d" \
	    >"$tmp/ctl.list"
	expect "control characters" 3 "$cfg" -i "$tmp/ctl.list"
	grep -q "^000 0 [0-9.]* $h/a%0Db\$" "$tmp/e.out" &&
	    grep -q "^000 0 [0-9.]* $h/c%1Bd\$" "$tmp/e.out" ||
	    bad "control characters [$cfg]: lines $(od -c "$tmp/e.out" | head)"
	grep -q "^kiln-fetch: $h/a%0Db: malformed URL" "$tmp/e.err" &&
	    ! grep -q "$(printf '[\r\033]')" "$tmp/e.err" ||
	    bad "control characters [$cfg]: stderr $(od -c "$tmp/e.err" | head)"

	# Digest lines as sha256sum writes them for such names: a leading
	# backslash, and the backslash doubled.
	expect "--sha256, a backslash" 0 "$cfg" --sha256 "$h/file.txt?a\\b"
	d=$(curl -s "$h/file.txt" | sha256sum | cut -d' ' -f1)
	[ "$(cat "$tmp/e.out")" = "\\$d  $h/file.txt?a\\\\b" ] ||
	    bad "--sha256, a backslash [$cfg]: $(cat "$tmp/e.out")"

	if [ "$HAVE_V6" = 1 ]; then
		# A zone in an IPv6 literal: the connection fails (7), the name
		# resolves.
		check "an IPv6 zone" "$cfg" "" "" \
		    "http://[fe80::1%25lo]:$HTTP/file.txt"
	fi

	# getopt's messages under the tool's name, not its path.
	expect "an unknown option" 2 "$cfg" --no-such-option "$h/file.txt"
	head -1 "$tmp/e.err" | grep -q "^kiln-fetch: unrecognized option" ||
	    bad "an unknown option [$cfg]: said $(head -1 "$tmp/e.err")"
	expect "an unknown letter" 2 "$cfg" -j "$h/file.txt"
	head -1 "$tmp/e.err" | grep -q "^kiln-fetch: invalid option -- 'j'" ||
	    bad "an unknown letter [$cfg]: said $(head -1 "$tmp/e.err")"
done
finish
