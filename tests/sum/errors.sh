#!/bin/sh
# kiln-sum's failures: files that cannot be opened or read (missing,
# permission, a directory, an I/O error) are reported as coreutils does and
# the others still hashed; names in messages quoted as coreutils quotes
# them, in a UTF-8 and in the C locale; usage errors exit 2; write errors.
. "${srcdir:-$(dirname "$0")/../..}/tests/sum/lib.sh"

cd "$tmp" || exit 99
printf 'one' >one
printf 'two' >two
mkdir dir

for cfg in $CONFIGS; do
	same "missing, directory" sha256sum "$cfg" "" one nothere dir two
	# An I/O error: reading /proc/self/mem at address 0 gives EIO.
	same "I/O error" sha256sum "$cfg" "" one /proc/self/mem two
	same "check list naming unreadable files" sha256sum "$cfg" "" -c \
	    "$srcdir/tests/sum/data/errors.list"
	grep -q 'one: OK' "$tmp/k.out" ||
	    { echo "FAIL: errors.list not checked"; fail=1; }
done

# Closed standard input and output: closed DESC CFG REDIR ARGS...: runs
# sha256sum and kiln-sum with ARGS and the redirection REDIR (<&- or >&-),
# which must write the same to what is left open and exit the same.
closed() {
	desc=$1 cfg=$2 redir=$3
	shift 3
	checks=$((checks + 1))
	eval "sha256sum \"\$@\" $redir" >ref.out 2>&1
	echo "exit $?" >>ref.out
	eval "run_kiln \"\$cfg\" \"\$@\" $redir" >k.out 2>&1
	echo "exit $?" >>k.out
	sed -i 's/^sha256sum: /kiln-sum: /' ref.out
	if ! cmp -s ref.out k.out; then
		echo "FAIL: $desc [$cfg]"
		diff ref.out k.out
		fail=1
	fi
}
sha256sum one two >list
for cfg in $CONFIGS; do
	closed "closed stdin" "$cfg" "<&-" - one
	closed "closed stdout" "$cfg" ">&-" one
	# A check list on a closed standard input is a read error.
	closed "-c, closed stdin" "$cfg" "<&-" -c
	closed "-c -, closed stdin" "$cfg" "<&-" -c -
	closed "-c list - list, closed stdin" "$cfg" "<&-" -c list - list
	closed "-c list, closed stdout" "$cfg" ">&-" -c list
done

# Permission denied: as an unprivileged user (root reads anything).
printf 'secret' >locked
chmod 000 locked
chmod 755 "$tmp"
chmod 644 one two
# What the other user runs: in $tmp, as the source tree may be closed.
cp "$srcdir/tests/sum/run-kiln.sh" "$tmp/" && chmod 644 "$tmp/run-kiln.sh" ||
    exit 99
if [ "$(id -u)" != 0 ]; then
	for cfg in $CONFIGS; do
		same "permission denied" sha256sum "$cfg" "" one locked two
	done
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	for cfg in $CONFIGS; do
		checks=$((checks + 1))
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		    sha256sum one locked two >ref.out 2>&1
		echo "exit $?" >>ref.out
		sed -i 's/^sha256sum: /kiln-sum: /' ref.out
		KILN_SUM=$KILN_SUM setpriv --reuid=65534 --regid=65534 \
		    --clear-groups sh -c '. "$0"; run_kiln "$1" one locked two' \
		    "$tmp/run-kiln.sh" "$cfg" >k.out 2>&1
		echo "exit $?" >>k.out
		if ! cmp -s ref.out k.out; then
			echo "FAIL: permission denied [$cfg]"
			diff ref.out k.out
			fail=1
		fi
	done
else
	echo "root without setpriv: permission test skipped"
fi

# Quoting of names in messages: every byte in a few positions, specials
# together, valid, invalid and incomplete UTF-8.  None of these exist.
mkdir q && cd q || exit 99
awk 'BEGIN {
	for (c = 1; c < 256; c++) {
		if (c == 47) continue
		ch = sprintf("%c", c)
		printf "a%sb%c%sab%c%s%c", ch, 0, ch, 0, ch, 0
		printf "x%s%c", ch, 0
	}
	n = split("it'\''s|a'\''b c|a'\''b$c|a'\''b\"|#x|x#|~x|x~|{|}|a{|{}|a=b|co:l|it'\''s:x|it'\''s{| |a b|\\|it'\''s\\", s, "|")
	for (i = 1; i <= n; i++) printf "%s%c", s[i], 0
	printf "\303\251%c\303%c\303\251\303%c\342\200\213%c\302\205x%c", 0, 0, 0, 0, 0
	printf "\360\237\230\200%c\355\240\200%c\377\376%c-%c", 0, 0, 0, 0
}' >"$tmp/names" || exit 99
for loc in C.UTF-8 C; do
	checks=$((checks + 1))
	LC_ALL=$loc xargs -0 sha256sum -- <"$tmp/names" >"$tmp/ref" 2>&1
	sed -i 's/^sha256sum: /kiln-sum: /' "$tmp/ref"
	LC_ALL=$loc xargs -0 "$KILN_SUM" -- <"$tmp/names" >"$tmp/k" 2>&1
	if ! cmp -s "$tmp/ref" "$tmp/k"; then
		echo "FAIL: quoting of names in messages, LC_ALL=$loc"
		diff "$tmp/ref" "$tmp/k" | head -20
		fail=1
	fi
done
cd "$tmp" || exit 99

# Usage errors exit 2; --help and --version exit 0.
expect "--help" 0 "$KILN_SUM" --help
expect "--version" 0 "$KILN_SUM" --version
for bad in "-b 0" "-b 1" "-b 4095" "-b 65M" "-b 1G" "-b 12Q" "-b -4K" \
    "-b K" "-b 1.5M" "-w 0" "-w x" "-w 5000" "-a sha3" "-l 7" "-l 520" \
    "-asha256 -l 256" "-asha256 -l 0" "-ablake2b -l 0" "-l 0" \
    "-amd5 -l 128" "-l -8" "-l +8" "--bogus" "-c --tag" "-c -z" "-c --binary" "-r -c" \
    "--status" "--quiet" "--warn" "--strict" "--ignore-missing" \
    "--tag --text"; do
	# shellcheck disable=SC2086
	expect "usage error: $bad" 2 "$KILN_SUM" $bad one
done
expect "-b 4K is fine" 0 "$KILN_SUM" -b 4K one
expect "-l 8 is fine" 0 "$KILN_SUM" -a blake2b -l 8 one
expect "-l 512 is fine" 0 "$KILN_SUM" -a blake2b -l 512 one
expect "-b 64MiB is fine" 0 "$KILN_SUM" -b 64MiB one
expect "-b 1048576 is fine" 0 "$KILN_SUM" -b 1048576 one

# A write error on stdout.
if [ -w /dev/full ]; then
	checks=$((checks + 1))
	"$KILN_SUM" one two >/dev/full 2>err
	st=$?
	if [ $st != 1 ] || ! grep -q '^kiln-sum: write error' err; then
		echo "FAIL: write error: exit $st"
		cat err
		fail=1
	fi
fi
finish
