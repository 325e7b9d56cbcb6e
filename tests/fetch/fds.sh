#!/bin/sh
# kiln-fetch never fails a URL for want of descriptors it uses itself:
#  - run by tests/sum/fdhold with only a few descriptors free (5 and up;
#    6 with -O), or under `ulimit -n 12`, 200 URLs all succeed, with -O
#    too, with --max-per-host 0 --parallel-max 200, and with a host name
#    to resolve; below that it says it cannot start, and why;
#  - with tests/sum/emfile.so preloaded, opening a file fails with EMFILE
#    every other time while another is open, as when its own files use
#    the descriptors up: it waits for one to close and tries again;
#  - a closed standard output is reported as such (its eventfds must not
#    take descriptor 1).
. "${srcdir:-$(dirname "$0")/../..}/tests/fetch/lib.sh"

fdhold=$(pwd)/tests/sum/fdhold
shim=$(pwd)/tests/sum/.libs/emfile.so
[ -x "$fdhold" ] && [ -f "$shim" ] || { echo "no $fdhold or $shim"; exit 99; }
# The program behind libtool's wrapper script: the script itself needs
# descriptors of its own to run.
bin=${KILN_FETCH%/*}/.libs/${KILN_FETCH##*/}
if [ -x "$bin" ] && head -c 64 "$KILN_FETCH" | grep -q '^#!'; then
	LD_LIBRARY_PATH=$(cd "${KILN_FETCH%/*}/../../lib/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	bin=$KILN_FETCH
fi

mkdir -p "$ng/www/many" || exit 99
i=0
: >"$tmp/list"
while [ $i -lt 200 ]; do
	i=$((i + 1))
	echo "file $i" >"$ng/www/many/$i"
	if [ $((i % 4)) = 0 ]; then
		echo "http://localhost:$HTTP/many/$i" >>"$tmp/list"
	else
		echo "http://127.0.0.1:$HTTP/many/$i" >>"$tmp/list"
	fi
done

# all_ok DESC CONFIG [-O] COMMAND...: COMMAND (a kiln-fetch run on the
# list) must exit 0 with a 200 line for each URL in order, and with -O
# leave the 200 files, none else.
all_ok() {
	desc=$1 cfg=$2
	shift 2
	save=
	[ "$1" = -O ] && save=1 && shift
	checks=$((checks + 1))
	rm -rf "$tmp/dl"
	mkdir "$tmp/dl" || exit 99
	case $cfg in
	nouring) KILN_NO_URING=1; export KILN_NO_URING ;;
	esac
	(cd "$tmp/dl" && "$@" -i "$tmp/list" >"$tmp/f.out" 2>"$tmp/f.err")
	got=$?
	unset KILN_NO_URING
	[ "$got" = 0 ] || bad "$desc [$cfg]: exit $got: $(head -3 "$tmp/f.err")"
	sed 's/^\([0-9]*\) \([0-9]*\) [0-9.]* /\1 \2 /' "$tmp/f.out" |
	    awk '{ sub(".*/many/", "", $3); print $1, $2 - length($3) - 6, $3 }' \
	    >"$tmp/f.got"
	awk '{ print "200 0", NR }' "$tmp/list" | cmp -s - "$tmp/f.got" ||
	    bad "$desc [$cfg]: not 200 lines of the bodies, in order"
	if [ "$save" ]; then
		n=$(ls -A "$tmp/dl" | wc -l)
		[ "$n" = 200 ] && cmp -s "$ng/www/many/137" "$tmp/dl/137" ||
		    bad "$desc [$cfg]: $n files saved, not the 200"
	fi
}

# too_few DESC CONFIG FREE NEED ARGS...: with FREE descriptors free,
# kiln-fetch must say it cannot start, and that it needs NEED.
too_few() {
	desc=$1 cfg=$2 free=$3 need=$4
	shift 4
	checks=$((checks + 1))
	[ "$cfg" = nouring ] && set -- env KILN_NO_URING=1 "$@"
	"$fdhold" -l 64 -f "$free" "$@" >"$tmp/f.out" 2>"$tmp/f.err"
	got=$?
	msg="kiln-fetch: cannot start: too few file descriptors ($free free, need $need)"
	[ "$got" = 1 ] && [ "$(cat "$tmp/f.err")" = "$msg" ] ||
	    bad "$desc [$cfg]: exit $got, said: $(head -3 "$tmp/f.err")"
}

u=http://127.0.0.1:$HTTP/file.txt
for cfg in $CONFIGS; do
	for free in 5 6 8 12; do
		all_ok "$free free" "$cfg" "$fdhold" -l 64 -f "$free" "$bin"
		all_ok "$free free, --max-per-host 0 --parallel-max 200" \
		    "$cfg" "$fdhold" -l 64 -f "$free" "$bin" --max-per-host 0 \
		    --parallel-max 200
		[ "$free" = 5 ] && continue
		all_ok "$free free, -O" "$cfg" -O "$fdhold" -l 64 -f "$free" \
		    "$bin" -O
	done
	all_ok "ulimit -n 12" "$cfg" sh -c 'ulimit -n 12 && exec "$@"' sh \
	    "$bin" --max-per-host 0 --parallel-max 200
	all_ok "ulimit -n 12, -O" "$cfg" -O sh -c 'ulimit -n 12 && exec "$@"' \
	    sh "$bin" -O --parallel-max 200
	too_few "4 free" "$cfg" 4 5 "$bin" "$u"
	too_few "5 free, -O" "$cfg" 5 6 "$bin" -O "$u"

	# A closed standard output: the write fails as for coreutils.
	checks=$((checks + 1))
	if [ "$cfg" = nouring ]; then
		KILN_NO_URING=1 "$bin" "$u" >&- 2>"$tmp/f.err"
	else
		"$bin" "$u" >&- 2>"$tmp/f.err"
	fi
	got=$?
	[ "$got" = 23 ] && grep -q '^kiln-fetch: write error: Bad file descriptor$' \
	    "$tmp/f.err" ||
	    bad "stdout closed [$cfg]: exit $got, said $(cat "$tmp/f.err")"
done

# EMFILE while its own files are open: wait for a close, try again.  The
# shim sees the files of the fallback's helper threads only.
ASAN_OPTIONS="verify_asan_link_order=0 ${ASAN_OPTIONS-}"
export ASAN_OPTIONS
for w in 1 2; do
	all_ok "EMFILE from its own files, --workers $w" nouring \
	    env LD_PRELOAD="$shim" "$bin" -O --workers "$w" \
	    --output-dir "$tmp/dl/emfile-d" --create-dirs
	n=$(ls -A "$tmp/dl/emfile-d" | wc -l)
	[ "$n" = 200 ] ||
	    bad "EMFILE from its own files, --workers $w: $n files, not 200"
done
finish
