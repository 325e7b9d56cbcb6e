#!/bin/sh
# HTTP cases against curl: redirects and their limits, error statuses
# among good URLs, chunked and 20 MiB bodies, a server that never answers,
# one that closes without answering, a refused port, --retry, IPv6.
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

h=http://127.0.0.1:$HTTP
# How many requests curl makes with --retry 2 (not to /dev/null, which
# curl cannot truncate for the next try).
for s in 503 429 404; do
	marker
	curl -s -o "$tmp/retry.out" --retry 2 --retry-delay 1 \
	    "$h/status/$s?m=$m"
	eval "retry_$s=$(requests "$m" | wc -l)"
done

for cfg in $CONFIGS; do
	check "redirects" "$cfg" "" "-L" "$h/hop/3" "$h/rel/abs" "$h/a/rel" \
	    "$h/rel/dots" "$h/rel/query" "$h/rel/scheme" "$h/file.txt"
	check "redirects not followed" "$cfg" "" "" "$h/hop/1" "$h/file.txt"
	check "redirect limit" "$cfg" "" "-L --max-redirs 2" "$h/hop/3" \
	    "$h/hop/2" "$h/file.txt"
	check "redirect loop" "$cfg" "" "-L" "$h/rel/loop" "$h/file.txt"
	check "404 and 500 among others" "$cfg" "" "" "$h/file.txt" \
	    "$h/status/404" "$h/a/b/c.txt" "$h/status/500" \
	    "http://localhost:$HTTP2/file.txt"
	check "chunked" "$cfg" "" "" "$h/chunked" "$h/delay?i=7"
	check "20 MiB" "$cfg" "" "" "$h/big" "$h/file.txt"
	check "never answers" "$cfg" "" "-m 0.5" "$h/never" "$h/file.txt"
	check "body stalls" "$cfg" "" "-m 0.5" "$h/stall" "$h/file.txt"
	check "closes without answering" "$cfg" "" "" "$h/empty" \
	    "$h/file.txt"
	check "refused port" "$cfg" "" "" "http://127.0.0.1:1/" "$h/file.txt"
	check "unknown host" "$cfg" "" "" "http://no-such-host.invalid/" \
	    "$h/file.txt"
	check "not http" "$cfg" "" "" "foo://127.0.0.1/x" "$h/file.txt"
	if [ "$HAVE_V6" = 1 ]; then
		check "IPv6 loopback" "$cfg" "" "" "http://[::1]:$HTTP/file.txt" \
		    "http://[::1]:$HTTP/big"
	fi

	# --retry: transient statuses are tried again, as often as curl
	# does (counted before the loop), Retry-After honoured; 404 is not.
	for s in 503 429 404; do
		marker
		expect "--retry, $s" 22 "$cfg" --retry 2 --retry-delay 0.05 \
		    "$h/status/$s?m=$m"
		got=$(requests "$m" | wc -l)
		eval "want=\$retry_$s"
		[ "$got" = "$want" ] ||
		    bad "--retry, $s [$cfg]: $got requests, curl made $want"
	done
	# Connection failures are retried too (curl only with
	# --retry-connrefused); -m bounds the whole.
	expect "--retry, refused" 7 "$cfg" --retry 1 --retry-delay 0 \
	    "http://127.0.0.1:1/"

	# Usage errors exit 2, as curl's.
	expect "no URL" 2 "$cfg"
	expect "bad number" 2 "$cfg" --parallel-max x "$h/file.txt"
	expect "-o with two URLs" 2 "$cfg" -o "$tmp/x" "$h/file.txt" \
	    "$h/a/b/c.txt"
done
finish
