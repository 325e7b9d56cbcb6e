#!/bin/sh
# The textbook's job: 160 URLs, two sites (two origins, one a host name to
# resolve) 80 times each, unique query strings, 50 ms of server delay;
# lines in the order given; keep-alive (connections counted in nginx's
# log); identical URLs fetched as often as given; -i lists.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"
CONFIGS=${KILN_FETCH_CONFIGS:-"w2 w1 nouring"}

# urls MARKER: the 160 URLs.
urls() {
	i=0
	while [ $i -lt 80 ]; do
		i=$((i + 1))
		echo "http://127.0.0.1:$HTTP/delay?i=$i&m=$1"
		echo "http://localhost:$HTTP2/delay?i=$i&m=$1"
	done
}

# connections MARKER: how many connections its requests came on.
connections() {
	requests "$1" | cut -d' ' -f1 | sort -u | wc -l
}

for cfg in $CONFIGS; do
	marker
	urls "$m" >"$tmp/list"
	# shellcheck disable=SC2046
	check "160 URLs" "$cfg" "" "" $(cat "$tmp/list")

	# Keep-alive: at most --max-per-host connections per origin, each
	# carrying many requests.
	for per in 6 2; do
		marker
		urls "$m" | head -$((per * 20)) >"$tmp/list"
		expect "--max-per-host $per" 0 "$cfg" --max-per-host "$per" \
		    -i "$tmp/list"
		n=$(requests "$m" | wc -l)
		c=$(connections "$m")
		[ "$n" = $((per * 20)) ] ||
		    bad "--max-per-host $per [$cfg]: $n requests"
		[ "$c" -le $((2 * per)) ] ||
		    bad "--max-per-host $per [$cfg]: $c connections for 2 hosts"
	done

	# The lines come in the order given, though the first URL is the
	# last to finish.
	check "order" "$cfg" "" "" "http://127.0.0.1:$HTTP/sleep/0.3" \
	    "http://127.0.0.1:$HTTP/sleep/0.1" "http://127.0.0.1:$HTTP/file.txt" \
	    "http://localhost:$HTTP2/delay?i=0"

	# Identical URLs: fetched as often as given.
	marker
	u="http://127.0.0.1:$HTTP/file.txt?m=$m"
	check "identical URLs" "$cfg" "" "" "$u" "$u" "$u"
	n=$(requests "$m" | wc -l)
	[ "$n" = 9 ] || bad "identical URLs [$cfg]: $n requests, not 3 x 3"

	# -i FILE and -i - give the URLs of the list, blank lines and
	# comments aside, before those of the command line.
	marker
	printf '# a list\n\n  %s  \n%s\n' "http://127.0.0.1:$HTTP/delay?i=1&m=$m" \
	    "http://localhost:$HTTP2/file.txt" >"$tmp/list"
	kiln "$cfg" -i "$tmp/list" "http://127.0.0.1:$HTTP/a/b/c.txt" \
	    >"$tmp/i.out" 2>/dev/null
	kiln "$cfg" -i - "http://127.0.0.1:$HTTP/a/b/c.txt" <"$tmp/list" \
	    >"$tmp/i2.out" 2>/dev/null
	cut -d' ' -f4 "$tmp/i.out" >"$tmp/i.urls"
	printf '%s\n' "http://127.0.0.1:$HTTP/delay?i=1&m=$m" \
	    "http://localhost:$HTTP2/file.txt" \
	    "http://127.0.0.1:$HTTP/a/b/c.txt" | cmp -s - "$tmp/i.urls" ||
	    bad "-i FILE [$cfg]: not the URLs of the list, then the others"
	cut -d' ' -f4 "$tmp/i2.out" | cmp -s - "$tmp/i.urls" ||
	    bad "-i - [$cfg]: not as -i FILE"

	# One URL at a time.
	marker
	urls "$m" | head -10 >"$tmp/list"
	# shellcheck disable=SC2046
	check "--parallel-max 1" "$cfg" "--parallel-max 1" "" \
	    $(cat "$tmp/list")
done
finish
