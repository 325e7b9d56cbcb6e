#!/bin/sh
# kiln-sum benchmark: many files in the page cache, hashed by kiln-sum, by
# coreutils' sha256sum alone and by sha256sum under xargs -P; and the
# overlap figure: kiln-sum's wall time against the time to only read the
# files (cat > /dev/null) and to only hash them from memory
# (sum-hashmem: kiln-sum's hashers, in blocks of kiln-sum's default size,
# on files read into memory first; 1 and W threads).
#
# usage: run.sh [-w workers] [-r repeats] [-d datadir] [-o csv]
#   SMALL_N, SMALL_KB, BIG_N, BIG_MB  the files (2000 of 1024 KiB, 8 of 256 MiB)
#   KILN_SUM, SUM_HASHMEM              the programs (from the build directory)
# Runs are interleaved round by round, so that other load on the machine
# hurts every command alike; the table gives medians (and the best run).
set -u
workers=$(nproc)
repeats=5
data=${TMPDIR:-/tmp}/kiln-sum-bench
csv=bench-sum.csv
while getopts w:r:d:o: c; do
	case $c in
	w) workers=$OPTARG ;;
	r) repeats=$OPTARG ;;
	d) data=$OPTARG ;;
	o) csv=$OPTARG ;;
	*) echo "usage: run.sh [-w workers] [-r repeats] [-d dir] [-o csv]" >&2
	   exit 2 ;;
	esac
done
SMALL_N=${SMALL_N:-2000} SMALL_KB=${SMALL_KB:-1024}
BIG_N=${BIG_N:-8} BIG_MB=${BIG_MB:-256}
KILN_SUM=${KILN_SUM:-./tools/kiln-sum/kiln-sum}
SUM_HASHMEM=${SUM_HASHMEM:-./bench/sum/sum-hashmem}
for p in "$KILN_SUM" "$SUM_HASHMEM"; do
	[ -x "$p" ] || { echo "no $p: run from the build directory" >&2; exit 1; }
done
case $KILN_SUM in /*) ;; *) KILN_SUM=$(pwd)/$KILN_SUM ;; esac
# In a build directory tools/kiln-sum/kiln-sum is libtool's wrapper
# script, which costs 10 ms a run: run the program behind it.
if [ -x "${KILN_SUM%/*}/.libs/${KILN_SUM##*/}" ] &&
    head -c 64 "$KILN_SUM" | grep -q '^#!'; then
	LD_LIBRARY_PATH=$(cd "${KILN_SUM%/*}/../../lib/.libs" 2>/dev/null &&
	    pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	KILN_SUM=${KILN_SUM%/*}/.libs/${KILN_SUM##*/}
fi
case $SUM_HASHMEM in /*) ;; *) SUM_HASHMEM=$(pwd)/$SUM_HASHMEM ;; esac
case $csv in /*) ;; *) csv=$(pwd)/$csv ;; esac

# --- the files, made once and kept ---
mkdir -p "$data" || exit 1
cd "$data" || exit 1
stamp="$SMALL_N x $SMALL_KB KiB + $BIG_N x $BIG_MB MiB"
if [ "$(cat stamp 2>/dev/null)" != "$stamp" ]; then
	echo "making $stamp in $data ..."
	rm -f s[0-9]* b[0-9]* stamp
	i=0
	while [ $i -lt "$SMALL_N" ]; do
		head -c $((SMALL_KB * 1024)) /dev/urandom >"$(printf 's%05d' $i)"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt "$BIG_N" ]; do
		head -c $((BIG_MB * 1048576)) /dev/urandom >"b$i"
		i=$((i + 1))
	done
	echo "$stamp" >stamp
fi
# The many-files set in the order a shell gives it: the large files last,
# the hard case for finishing all workers together.
set -- s[0-9]* b[0-9]*
big=b0

warm() { cat "$@" >/dev/null; }

# timeit NAME CMD...: append "NAME wall cpu" to $tmp/times.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ -x /usr/bin/time ]; then
	timeit() {
		name=$1
		shift
		/usr/bin/time -f '%e %U %S' -o "$tmp/t" "$@" >/dev/null 2>&1
		awk -v n="$name" '{ printf "%s %s %.2f\n", n, $1, $2 + $3 }' \
		    "$tmp/t" >>"$tmp/times"
	}
else
	timeit() {
		name=$1
		shift
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		echo "$name $t0 $t1" | awk '{ printf "%s %.3f -\n", $1, $3 - $2 }' \
		    >>"$tmp/times"
	}
fi
# timeself NAME CMD...: CMD prints its own "wall cpu" (sum-hashmem, which
# does not count the loading of the files).
timeself() {
	name=$1
	shift
	"$@" | awk -v n="$name" '{ printf "%s %s %.2f\n", n, $1, $2 }' \
	    >>"$tmp/times"
}

# timerate NAME FILE: the seconds FILE's bytes take at the rate of
# `openssl speed -elapsed -evp sha256` (16 KiB buffers, wall time: without
# -elapsed it divides by CPU time, which on a loaded machine is not the
# hash-only baseline's measure), the yardstick for sum-hashmem.
timerate() {
	openssl speed -elapsed -evp sha256 -bytes 16384 -seconds 1 2>/dev/null |
	    awk -v n="$1" -v b="$(wc -c <"$2")" '
	    END { r = $2; sub(/k$/, "", r); if (r > 0)
		printf "%s %.3f -\n", n, b / (r * 1000) }' >>"$tmp/times"
}

# sha256sum under xargs, as a command that time(1) can run.
xargs_sha() {
	sh -c 'w=$1; shift; printf "%s\n" "$@" | xargs -P "$w" -n 50 sha256sum' \
	    sh "$workers" "$@"
}

echo "kiln-sum benchmark: $stamp, $workers workers, $repeats rounds"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
warm "$@"
if command -v fincore >/dev/null 2>&1; then
	fincore --bytes --noheadings "$@" 2>/dev/null |
	    awk '{ r += $1; s += $3 } END { if (s) printf "page cache: %.0f%% of the files resident\n", 100 * r / s }'
fi

# Same answers first (xargs -P prints in the order its runs finish).
"$KILN_SUM" -w "$workers" "$@" | sort >"$tmp/k.out"
xargs_sha "$@" | sort >"$tmp/x.out"
if ! cmp -s "$tmp/k.out" "$tmp/x.out"; then
	echo "kiln-sum and sha256sum disagree" >&2
	exit 1
fi

r=1
while [ $r -le "$repeats" ]; do
	warm "$@"
	timeit many.kiln-sum "$KILN_SUM" -w "$workers" "$@"
	timeit many.kiln-sum-w1 "$KILN_SUM" -w 1 "$@"
	timeit many.sha256sum sha256sum "$@"
	timeit many.xargs-sha256sum sh -c 'w=$1; shift; printf "%s\n" "$@" |
	    xargs -P "$w" -n 50 sha256sum' sh "$workers" "$@"
	timeit many.read-only cat "$@"
	timeself many.hash-only-1 "$SUM_HASHMEM" -w 1 "$@"
	timeself many.hash-only-W "$SUM_HASHMEM" -w "$workers" "$@"
	warm "$big"
	timeit one.kiln-sum "$KILN_SUM" -w "$workers" "$big"
	timeit one.sha256sum sha256sum "$big"
	timeit one.read-only cat "$big"
	timeself one.hash-only-1 "$SUM_HASHMEM" -w 1 "$big"
	if command -v openssl >/dev/null 2>&1; then
		timerate one.openssl "$big"
	fi
	echo "round $r of $repeats done"
	r=$((r + 1))
done

# Medians, best runs, the table and the CSV.
awk -v W="$workers" -v csv="$csv" '
{ n = $1; k[n]++; t[n, k[n]] = $2; c[n, k[n]] = $3 }
function med(n,   i, j, m, v, x) {
	m = k[n]
	for (i = 1; i <= m; i++) v[i] = t[n, i]
	for (i = 2; i <= m; i++) {
		x = v[i]
		for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
		v[j + 1] = x
	}
	best[n] = v[1]
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
function cpu(n,   i, m, v, x, j) {
	m = k[n]
	if (c[n, 1] == "-") return "-"
	for (i = 1; i <= m; i++) v[i] = c[n, i]
	for (i = 2; i <= m; i++) {
		x = v[i]
		for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
		v[j + 1] = x
	}
	return sprintf("%.2f", m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2)
}
function row(set, name, label, base,   m) {
	m = med(set "." name)
	printf "  %-34s %8.3f %8.3f %8s %8.2fx\n", label, m, best[set "." name],
	    cpu(set "." name), base / m
	printf "%s,%s,%.3f,%.3f,%s,%.3f\n", set, name, m, best[set "." name],
	    cpu(set "." name), base / m >> csv
}
END {
	printf "set,command,median_s,best_s,cpu_s,speedup_vs_sha256sum\n" > csv
	for (s = 1; s <= 2; s++) {
		set = s == 1 ? "many" : "one"
		base = med(set ".sha256sum")
		title = "One large file"
		if (s == 1)
			title = "Many files (wall seconds; speed-up against sha256sum)"
		printf "\n%s\n  %-34s %8s %8s %8s %9s\n", title, "command",
		    "median", "best", "cpu", "speed-up"
		row(set, "kiln-sum", "kiln-sum -w " W, base)
		if (s == 1) row(set, "kiln-sum-w1", "kiln-sum -w 1", base)
		row(set, "sha256sum", "sha256sum", base)
		if (s == 1) row(set, "xargs-sha256sum", "xargs -P" W " -n 50 sha256sum", base)
		row(set, "read-only", "read only (cat > /dev/null)", base)
		row(set, "hash-only-1", "hash only, memory, 1 thread", base)
		if (s == 2 && k["one.openssl"])
			row(set, "openssl", "openssl speed -elapsed, same bytes", base)
		if (s == 1) row(set, "hash-only-W", "hash only, memory, " W " threads", base)
		kiln = med(set ".kiln-sum")
		rd = med(set ".read-only")
		h1 = med(set ".hash-only-1")
		w = s == 1 ? W : 1
		perfect = rd > h1 / w ? rd : h1 / w
		cpubound = (rd + h1) / w
		printf "  overlap: kiln-sum %.3f s; perfect max(read, hash/%d) = %.3f s: %+.1f%%\n",
		    kiln, w, perfect, 100 * (kiln / perfect - 1)
		printf "           both on the same cores, (read + hash)/%d = %.3f s: %+.1f%%\n",
		    w, cpubound, 100 * (kiln / cpubound - 1)
		if (s == 1)
			printf "           kiln-sum against xargs -P%d sha256sum: %.2fx faster\n",
			    W, med("many.xargs-sha256sum") / kiln
	}
}' "$tmp/times"
cp "$tmp/times" "${csv%.csv}.times"
echo
echo "CSV: $csv (raw times: ${csv%.csv}.times)"
