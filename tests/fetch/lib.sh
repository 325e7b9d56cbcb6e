# Shared by the kiln-fetch tests: sourced, not run.  Run from the build
# directory (as make check does), or set KILN_FETCH to the binary.  Each
# test script starts its own private nginx (tests/fetch/nginx.sh) and
# compares kiln-fetch with curl, the oracle, in each configuration: two
# workers on io_uring and with KILN_NO_URING=1 (the fallback), and for
# job.sh one worker too.  Exit codes: 0 pass, 1 fail, 77 skip (no
# nginx), 99 hard error.

KILN_FETCH=${KILN_FETCH:-./tools/kiln-fetch/kiln-fetch}
srcdir=${srcdir:-$(dirname "$0")/../..}
srcdir=$(cd "$srcdir" && pwd) || exit 99
[ -x "$KILN_FETCH" ] || { echo "no $KILN_FETCH (run from the build directory)"; exit 99; }
case $KILN_FETCH in /*) ;; *) KILN_FETCH=$(pwd)/$KILN_FETCH ;; esac
command -v curl >/dev/null 2>&1 || { echo "no curl, the oracle"; exit 99; }

. "$srcdir/tests/fetch/nginx.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fetch-test.XXXXXX") || exit 99
ng=$tmp/nginx
trap 'raw_stop; nginx_stop "$ng"; rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM
nginx_start "$ng" || exit $?
fail=0
checks=0
# A marker unique to each run, so that its requests can be found in the
# access log.
runs=0
syncs=0

# Two workers on io_uring and on the fallback; job.sh adds one worker.
CONFIGS=${KILN_FETCH_CONFIGS:-"w2 nouring"}

# kiln CONFIG ARGS...: kiln-fetch in one configuration.  A sanitizer's
# report on its stderr fails the test, and is copied to stdout, where
# tests/run-test.sh looks for them too.
kiln() {
	cfg=$1
	shift
	case $cfg in
	w2) "$KILN_FETCH" --workers 2 "$@" 2>"$tmp/kiln.err" ;;
	w1) "$KILN_FETCH" --workers 1 "$@" 2>"$tmp/kiln.err" ;;
	nouring) KILN_NO_URING=1 "$KILN_FETCH" --workers 2 "$@" \
	    2>"$tmp/kiln.err" ;;
	*) echo "bad config $cfg" >&2; return 99 ;;
	esac
	st=$?
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$tmp/kiln.err"; then
		bad "a sanitizer's report [$cfg]: kiln-fetch $1 $2 $3 ..."
		cat "$tmp/kiln.err"
	fi
	cat "$tmp/kiln.err" >&2
	return $st
}

# raw_start FILE: a tiny python3 server on 127.0.0.1 for what nginx
# cannot send: it answers every request with the bytes of FILE, then
# closes, and appends the request's head to $tmp/raw.log.  Sets RAW (its
# port); returns 77 without python3.
raw_start() {
	command -v python3 >/dev/null 2>&1 || { echo "no python3"; return 77; }
	python3 -c '
import socket, sys
reply = open(sys.argv[1], "rb").read()
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        b = c.recv(65536)
        if not b:
            break
        head += b
    with open(sys.argv[2], "ab") as log:
        log.write(head)
    c.sendall(reply)
    c.close()
' "$1" "$tmp/raw.log" >"$tmp/raw.port" &
	echo $! >"$tmp/raw.pid"
	n=0
	while [ ! -s "$tmp/raw.port" ] && [ $n -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	RAW=$(cat "$tmp/raw.port")
	[ -n "$RAW" ] || { echo "the python3 server did not start"; return 99; }
}

raw_stop() {
	[ -s "$tmp/raw.pid" ] && kill "$(cat "$tmp/raw.pid")" 2>/dev/null
	rm -f "$tmp/raw.pid"
}

bad() {
	echo "FAIL: $*"
	fail=1
}

# oracle COPTS URL...: curl fetches the URLs (in parallel, each to its own
# file) and writes $tmp/want, one "EXIT STATUS BYTES" line per URL in the
# order given, and $tmp/want.sha, "DIGEST  URL" for each that succeeded
# (curl exit 0 and a 2xx status); $tmp/want.exit is kiln-fetch's exit
# status by its rule: the first failure that is not an HTTP status, else
# 22 if a status was not 2xx, else 0.
oracle() {
	copts=$1
	shift
	rm -rf "$tmp/c" && mkdir "$tmp/c" || exit 99
	# Each URL with its own -o; then the URLs again as this function's
	# arguments.
	n=$#
	i=0
	for u in "$@"; do
		i=$((i + 1))
		set -- "$@" -o "$tmp/c/$i" "$u"
	done
	shift "$n"
	# curl 7.88 in parallel (-Z) may fail other transfers with 28 when
	# one runs out of -m time: one at a time then.
	par="-Z --parallel-max 50"
	case " $copts " in *" -m "*) par= ;; esac
	# shellcheck disable=SC2086
	curl $par -s $copts \
	    -w '%{filename_effective} %{exitcode} %{http_code} %{size_download}\n' \
	    "$@" >"$tmp/c.out" 2>/dev/null
	i=0
	while [ $i -lt "$n" ]; do
		i=$((i + 1))
		set -- "$@" "$3"
		shift 3
	done
	sed "s|^$tmp/c/||" "$tmp/c.out" | sort -n >"$tmp/c.sorted"
	cut -d' ' -f2- "$tmp/c.sorted" >"$tmp/want"
	: >"$tmp/want.sha"
	i=0
	st=0 http=0
	for u in "$@"; do
		i=$((i + 1))
		set -- $(sed -n "${i}p" "$tmp/want")
		if [ "$1" = 0 ] && [ "${2#2}" != "$2" ]; then
			printf '%s  %s\n' "$(sha256sum <"$tmp/c/$i" |
			    cut -d' ' -f1)" "$u" >>"$tmp/want.sha"
		elif [ "$1" = 0 ]; then
			http=22
		elif [ "$st" = 0 ]; then
			st=$1
		fi
	done
	[ "$st" = 0 ] && st=$http
	echo "$st" >"$tmp/want.exit"
}

# check DESC CONFIG KOPTS COPTS URL...: kiln-fetch with KOPTS and COPTS
# (options for kiln-fetch only; options for both, curl's names) must print
# one line per URL in the order given, with curl's status and byte count,
# exit with the status the rule above gives, name each failed URL on
# stderr, and with --sha256 print the digests of curl's bodies.
check() {
	desc=$1 cfg=$2 kopts=$3 copts=$4
	shift 4
	checks=$((checks + 1))
	before=$fail
	fail=0
	oracle "$copts" "$@"
	# shellcheck disable=SC2086
	kiln "$cfg" $kopts $copts "$@" >"$tmp/k.out" 2>"$tmp/k.err"
	got=$?
	want=$(cat "$tmp/want.exit")
	[ "$got" = "$want" ] ||
	    bad "$desc [$cfg]: exit $got, curl says $want"
	printf '%s\n' "$@" >"$tmp/urls"
	cut -d' ' -f4- "$tmp/k.out" | cmp -s - "$tmp/urls" ||
	    bad "$desc [$cfg]: the lines are not the URLs in order"
	cut -d' ' -f1,2 "$tmp/k.out" >"$tmp/k.sb"
	cut -d' ' -f2,3 "$tmp/want" | cmp -s - "$tmp/k.sb" || {
		bad "$desc [$cfg]: status and bytes differ from curl's"
		paste -d'|' "$tmp/want" "$tmp/k.out" | head -10
	}
	nfail=$(awk '$1 != 0 || $2 !~ /^2/' "$tmp/want" | wc -l)
	nmsg=$(grep -c '^kiln-fetch: .*: ' "$tmp/k.err")
	[ "$nfail" = "$nmsg" ] ||
	    bad "$desc [$cfg]: $nmsg failures on stderr, curl has $nfail"
	# shellcheck disable=SC2086
	kiln "$cfg" --sha256 $kopts $copts "$@" >"$tmp/k.sha" 2>/dev/null
	cmp -s "$tmp/want.sha" "$tmp/k.sha" || {
		bad "$desc [$cfg]: --sha256 lines differ from curl's bodies"
		diff "$tmp/want.sha" "$tmp/k.sha" | head -10
	}
	[ $fail = 0 ] || head -5 "$tmp/k.err"
	[ $before = 0 ] || fail=1
}

# expect DESC STATUS CONFIG ARGS...: kiln-fetch must exit with STATUS.
expect() {
	desc=$1 want=$2 cfg=$3
	shift 3
	checks=$((checks + 1))
	kiln "$cfg" "$@" >"$tmp/e.out" 2>"$tmp/e.err"
	got=$?
	[ "$got" = "$want" ] || {
		bad "$desc [$cfg]: exit $got, expected $want"
		head -5 "$tmp/e.out" "$tmp/e.err"
	}
}

# marker: sets m to a new query value, to find one run's requests in
# the log (not in a subshell, which would lose the count).
marker() {
	runs=$((runs + 1))
	m="run$$x${runs}z"
}

# requests MARKER: the access log lines of the requests carrying MARKER.
# nginx logs a request just after sending its response, so a client may
# be done before the line is written.  nginx's one worker handles events
# in turn: once the line of a request made afterwards is in, so are the
# lines of everything before it.
requests() {
	syncs=$((syncs + 1))
	curl -s -o /dev/null "http://127.0.0.1:$HTTP/file.txt?sync=$$x$syncs"
	n=0
	while ! grep -q "sync=$$x$syncs\$" "$ng/access.log" && [ $n -lt 200 ]
	do
		sleep 0.05
		n=$((n + 1))
	done
	grep -e "$1" "$ng/access.log"
}

finish() {
	echo "$checks checks"
	exit $fail
}
