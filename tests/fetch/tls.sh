#!/bin/sh
# HTTPS against curl: the test CA given with --cacert (bodies, chunked,
# 20 MiB, IPv6), a certificate from another CA and one for another name
# (rejected; -k accepts them), the system's store (which lacks the test
# CA), a redirect from http to https, and sessions resumed on new
# connections (nginx logs $ssl_session_reused).
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

s=https://localhost:$HTTPS
ca="--cacert $CA"
for cfg in $CONFIGS; do
	check "https" "$cfg" "" "$ca" "$s/file.txt" "$s/chunked" \
	    "$s/delay?i=1" "https://127.0.0.1:$HTTPS/a/b/c.txt" "$s/status/404"
	check "https 20 MiB" "$cfg" "" "$ca" "$s/big"
	check "another CA" "$cfg" "" "$ca" \
	    "https://localhost:$HTTPS_OTHER_CA/file.txt" "$s/file.txt"
	check "another name" "$cfg" "" "$ca" \
	    "https://localhost:$HTTPS_WRONG_NAME/file.txt" "$s/file.txt"
	check "-k" "$cfg" "" "-k" \
	    "https://localhost:$HTTPS_OTHER_CA/file.txt" \
	    "https://localhost:$HTTPS_WRONG_NAME/file.txt"
	check "the system's CA store" "$cfg" "" "" "$s/file.txt"
	check "http to https" "$cfg" "" "-L $ca" \
	    "http://127.0.0.1:$HTTP/to-https"
	if [ "$HAVE_V6" = 1 ]; then
		check "https, IPv6 loopback" "$cfg" "" "$ca" \
		    "https://[::1]:$HTTPS/file.txt"
	fi
	expect "a CA file that is not there" 77 "$cfg" --cacert \
	    "$tmp/none.crt" "$s/file.txt"

	# Without keep-alive, each URL on a new connection: all but the
	# first can resume the session of an earlier one.
	marker
	expect "resumption" 0 "$cfg" $ca --parallel-max 1 \
	    "$s/close/file.txt?m=$m" "$s/close/file.txt?m=$m" \
	    "$s/close/file.txt?m=$m" "$s/close/file.txt?m=$m"
	c=$(requests "$m" | cut -d' ' -f1 | sort -u | wc -l)
	r=$(requests "$m" | cut -d' ' -f3 | grep -c r)
	[ "$c" = 4 ] || bad "resumption [$cfg]: $c connections, not 4"
	[ "$r" -ge 1 ] || bad "resumption [$cfg]: no session resumed"
done
finish
