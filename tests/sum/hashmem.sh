#!/bin/sh
# bench/sum/sum-hashmem, the hash-only baseline of bench/sum: it takes -b
# as kiln-sum does (-b 4K is 4096 bytes: it was 4, and so hashed at a
# third of the speed of OpenSSL's), refuses what is not a size, and its
# digests are coreutils'.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

hm=$(pwd)/bench/sum/sum-hashmem
[ -x "$hm" ] || { echo "no $hm"; exit 99; }
cd "$tmp" || exit 99
for n in 0 1 4095 4096 4097 1048575 1048577 3000000; do
	head -c "$n" /dev/urandom >"f$n" || exit 99
done

# blocks SIZE BYTES: sum-hashmem -b SIZE says it hashes BYTES at a time.
blocks() {
	checks=$((checks + 1))
	"$hm" -v -b "$1" f1 >out 2>err
	if ! grep -q "^sum-hashmem: sha256, $2-byte blocks, " err; then
		echo "FAIL: -b $1 is not $2 bytes"
		cat err
		fail=1
	fi
}
blocks 4K 4096
blocks 4KiB 4096
blocks 64k 65536
blocks 1M 1048576
blocks 256 256
"$hm" -v f1 >out 2>err
grep -q ", 1048576-byte blocks," err ||
    { echo "FAIL: the default block is not kiln-sum's 1M"; cat err; fail=1; }
checks=$((checks + 1))

for bad in 4X 0 -1 K 1.5M ""; do
	expect "-b '$bad' refused" 2 "$hm" -b "$bad" f1
done
expect "-a sha3 refused" 2 "$hm" -a sha3 f1

for a in sha256 md5 b2; do
	case $a in b2) algo=blake2b ;; *) algo=$a ;; esac
	for args in "-b 4K" "-b 1M -w 2" "-b 100"; do
		checks=$((checks + 1))
		"${a}sum" f* >ref
		# shellcheck disable=SC2086
		"$hm" -d -a "$algo" $args f* | tail -n +2 >k
		if ! cmp -s ref k; then
			echo "FAIL: digests, $algo $args"
			diff ref k | head -5
			fail=1
		fi
	done
done
finish
