#!/bin/sh
# kiln-sum against coreutils: the same bytes on stdout and stderr and the
# same exit status as sha256sum, sha1sum, sha512sum, md5sum and b2sum on a
# tree of files with awkward sizes and names, at 1 and 2 workers and with
# the io_uring fallback (KILN_NO_URING=1); standard input; --tag, -z,
# --binary; -r against find.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

t=$tmp/tree
mkdir "$t" || exit 99
cd "$t" || exit 99

# Sizes around block boundaries (of -b 4K, 64K, 256K and the default 1M).
for n in 0 1 4095 4096 4097 65535 65536 65537 131071 131073 262143 262144 \
    262145 524288 1048575 1048576 1048577 2097151 2097153; do
	head -c "$n" /dev/urandom >"size-$n" || exit 99
done
# A few of tens of MiB.
head -c $((24 * 1048576)) /dev/urandom >big-24m || exit 99
head -c $((40 * 1048576 + 1)) /dev/urandom >big-40m1 || exit 99
head -c $((16 * 1048576 - 1)) /dev/urandom >big-16m-1 || exit 99
# Names: spaces, a newline, a backslash, a carriage return, a tab, bytes
# that are not UTF-8, a colon, an apostrophe, a leading dash and blank,
# shell specials, non-ASCII.
for name in 'with space' "$(printf 'new\nline')" 'back\slash' \
    "$(printf 'cr\rx')" "$(printf 'tab\tx')" "$(printf 'bad\377\376')" \
    'co:lon' "it's" '-dash' ' lead' 'a$b"c' 'é' "$(printf 'x\\\\n\ny')"; do
	printf '%s' "$name" >"$name" || exit 99
done

for cfg in $CONFIGS; do
	for a in sha256 sha1 sha512 md5 b2; do
		case $a in
		b2) algo=blake2b ;;
		*) algo=$a ;;
		esac
		same "all files, $algo" "${a}sum" "$cfg" "-a$algo" -- *
	done
	same "missing, a directory" sha256sum "$cfg" "" -- nothere \
	    size-1 "$t" 'no such' size-0
	same "-b 4K" sha256sum "$cfg" "-b4K" -- *
	same "-b 64K" md5sum "$cfg" "-amd5 -b64K" -- *
	same "-b 256K" sha512sum "$cfg" "-asha512 -b256K" -- *
	same "--tag" sha256sum "$cfg" "" --tag -- *
	same "--tag blake2b" b2sum "$cfg" "-ablake2b" --tag -- *
	same "-l 256" b2sum "$cfg" "-ablake2b" -l 256 -- *
	same "-l 8 --tag" b2sum "$cfg" "-ablake2b" -l 8 --tag -- *
	same "--binary" sha1sum "$cfg" "-asha1" --binary -- *
	same "-z" sha256sum "$cfg" "" -z -- *
	# Standard input: a pipe, a file, twice, nothing given.
	cp big-24m "$tmp/stdin"
	same "stdin (file), no operand" sha256sum "$cfg" ""
	same "stdin (file) twice" sha256sum "$cfg" "" - size-1 -
	rm -f "$tmp/stdin"
	checks=$((checks + 1))
	r=$(head -c 3000000 big-40m1 | sha256sum)
	k=$(head -c 3000000 big-40m1 | run_kiln "$cfg" -b 4K)
	if [ "$r" != "$k" ]; then
		echo "FAIL: stdin (pipe) [$cfg]: $k, expected $r"
		fail=1
	fi
	# A named pipe given as a file: read as a stream.
	checks=$((checks + 1))
	rm -f "$tmp/fifo" && mkfifo "$tmp/fifo" || exit 99
	head -c 2000000 big-24m >"$tmp/fifo" &
	k=$(run_kiln "$cfg" -b 64K "$tmp/fifo" | cut -c1-64)
	wait
	r=$(head -c 2000000 big-24m | sha256sum | cut -c1-64)
	if [ "$r" != "$k" ]; then
		echo "FAIL: named pipe [$cfg]: $k, expected $r"
		fail=1
	fi
	checks=$((checks + 1))
	r=$(cat size-262145 | sha256sum - size-1 -)
	k=$(cat size-262145 | run_kiln "$cfg" - size-1 -)
	if [ "$r" != "$k" ]; then
		echo "FAIL: stdin (pipe) twice [$cfg]"
		fail=1
	fi
done

# --progress: a line on stderr while standard input is slow to come, then
# erased; stdout as without it.
checks=$((checks + 1))
r=$(cat size-262145 size-1 | sha256sum)
k=$( (cat size-262145; sleep 1; cat size-1) |
    "$KILN_SUM" --progress 2>"$tmp/progress")
if [ "$r" != "$k" ] || ! grep -q 'kiln-sum: 256.0 KiB, ' "$tmp/progress" ||
    [ "$(tail -c 4 "$tmp/progress" | od -An -c | tr -d ' ')" != '\r033[K' ]; then
	echo "FAIL: --progress"
	od -c "$tmp/progress" | head
	fail=1
fi

# -r: the regular files of a tree (order aside), against find.
mkdir -p "$tmp/r/sub/deeper" "$tmp/r/empty" && cd "$tmp/r" || exit 99
cp "$t/size-4097" "$t/with space" "$t/back\\slash" sub/ &&
cp "$t/size-65537" "$t"/size-1 sub/deeper/ && cp "$t/size-0" . || exit 99
for cfg in $CONFIGS; do
	checks=$((checks + 1))
	find . -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort >"$tmp/ref"
	run_kiln "$cfg" -r . | LC_ALL=C sort >"$tmp/k"
	if ! cmp -s "$tmp/ref" "$tmp/k"; then
		echo "FAIL: -r [$cfg]"
		diff "$tmp/ref" "$tmp/k" | head
		fail=1
	fi
done
# Its order: names sorted bytewise at each level, depth first.
checks=$((checks + 1))
run_kiln w2 -r . | sed 's/^[^ ]*  //' >"$tmp/k"
printf '%s\n' ./size-0 './sub/back\\slash' ./sub/deeper/size-1 \
    ./sub/deeper/size-65537 ./sub/size-4097 './sub/with space' >"$tmp/ref"
if ! cmp -s "$tmp/ref" "$tmp/k"; then
	echo "FAIL: -r order"
	diff "$tmp/ref" "$tmp/k"
	fail=1
fi
finish
