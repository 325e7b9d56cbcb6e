/*
 * io.h: what the io programs share: the file, where each read goes, and the
 * check of what it brought back.
 *
 * Every io program is called as
 *
 *	PROG N [WORKERS [DEPTH [FILE [MIB]]]]
 *
 * and makes N random 4 KiB reads of FILE (default
 * ${TMPDIR:-/tmp}/kiln-bench-io.dat, MIB mebibytes, default 1024), from the
 * page cache: the file is created if it is missing or is not ours, then read
 * once from end to end before the clock starts.  WORKERS threads or kiln
 * workers; DEPTH reads in flight (kiln: tasks; the pread programs have one
 * per thread and print that).  The line printed is bench.h's, with
 * cutoff=DEPTH, and fields of its own: iops=, mib=, cpu= (the CPU time, user
 * and system, of all the process's threads over the timed region: on a
 * shared machine, ops per CPU second is steadier than ops per second), and
 * for kiln its counters.
 *
 * Read i (0 <= i < N) is of block io_block(i): a hash of i, not a stream per
 * thread, so that every program reads the same blocks whatever its threads
 * and depth, and result (the sum of the stamps read, modulo 2^64) must be
 * the same for all; bench/io/run checks it.  Each block starts with its
 * stamp and ends with the stamp's complement, so a short, misplaced or
 * unfinished read is caught (io_check).
 */
#ifndef BENCH_IO_H
#define BENCH_IO_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define IO_BS 4096u
#define IO_DEFAULT_MIB 1024u
#define IO_MAX_DEPTH 65536u

struct io_args {
	uint64_t n;            /* reads in all */
	unsigned int workers;
	unsigned int depth;
	const char *path;
	uint64_t nblocks;
	char pathbuf[4096];
};

/* SplitMix64's finaliser: a good 64-bit mix in a few instructions. */
static inline uint64_t io_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The stamp at the start of block b (its complement ends the block). */
static inline uint64_t io_stamp(uint64_t b)
{
	return io_mix(b ^ 0x6b696c6e2d696f00ull);  /* "kiln-io" */
}

/* The block of read i: uniform in [0, nblocks) by a multiply-high. */
static inline uint64_t io_block(uint64_t i, uint64_t nblocks)
{
	return (uint64_t)(((unsigned __int128)io_mix(i) * nblocks) >> 64);
}

/* The stamp of block b if buf holds it after a read that returned r, else
 * 0 (no stamp is 0 in any file of a useful size; io_create checks). */
static inline uint64_t io_check(const unsigned char *buf, long r, uint64_t b)
{
	uint64_t head, tail, s = io_stamp(b);

	if (r != (long)IO_BS)
		return 0;
	memcpy(&head, buf, 8);
	memcpy(&tail, buf + IO_BS - 8, 8);
	return head == s && tail == ~s ? s : 0;
}

/*
 * The file as it must be: a new one, written to PATH.tmp.PID and renamed,
 * so a reader never sees half of it.  Returns 0 or -1 (with a message).
 */
static inline int io_create(const char *path, uint64_t nblocks)
{
	static unsigned char chunk[256 * IO_BS];
	char tmp[4200];
	uint64_t b = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(tmp);
		return -1;
	}
	memset(chunk, 0xa5, sizeof(chunk));
	while (b < nblocks) {
		uint64_t k, m = nblocks - b < 256 ? nblocks - b : 256;
		size_t len = (size_t)m * IO_BS, done = 0;

		for (k = 0; k < m; k++) {
			uint64_t s = io_stamp(b + k), ns = ~s;

			if (s == 0) {
				fprintf(stderr, "io: block %llu stamps 0\n",
				    (unsigned long long)(b + k));
				close(fd);
				unlink(tmp);
				return -1;
			}
			memcpy(chunk + k * IO_BS, &s, 8);
			memcpy(chunk + (k + 1) * IO_BS - 8, &ns, 8);
		}
		while (done < len) {
			ssize_t w = pwrite(fd, chunk + done, len - done,
			    (off_t)(b * IO_BS + done));

			if (w <= 0) {
				perror(tmp);
				close(fd);
				unlink(tmp);
				return -1;
			}
			done += (size_t)w;
		}
		b += m;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		perror(path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Read the whole file once, checking every block: this warms it into the
 * page cache and tells whether it is as it must be.  1 if it is, 0 if not,
 * -1 on an error.
 */
static inline int io_warm(int fd, uint64_t nblocks)
{
	static unsigned char chunk[256 * IO_BS];
	struct stat st;
	uint64_t b = 0;

	if (fstat(fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size != nblocks * IO_BS)
		return 0;
	while (b < nblocks) {
		uint64_t k, m = nblocks - b < 256 ? nblocks - b : 256;
		ssize_t r = pread(fd, chunk, (size_t)m * IO_BS,
		    (off_t)(b * IO_BS));

		if (r < 0)
			return -1;
		if ((uint64_t)r < IO_BS)
			return 0;
		m = (uint64_t)r / IO_BS;
		for (k = 0; k < m; k++)
			if (!io_check(chunk + k * IO_BS, IO_BS, b + k))
				return 0;
		b += m;
	}
	return 1;
}

/*
 * Whether the file may be written over: it is empty, or one of ours (block
 * 0 bears our stamp), perhaps of another size.  Never someone else's data.
 */
static inline int io_ours(int fd)
{
	unsigned char b[IO_BS];
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	return st.st_size == 0 || (pread(fd, b, IO_BS, 0) == (ssize_t)IO_BS &&
	    io_check(b, IO_BS, 0) != 0);
}

/*
 * Parse the arguments (bench_arg's rules) and open the file, creating it if
 * needed (or writing it anew if it is one of ours of another size, or
 * damaged), warm.  Returns the descriptor; exits 2 on bad arguments, 1 on
 * failure or if FILE holds something else.  def_workers and def_depth are
 * the WORKERS and DEPTH defaults.
 */
static inline int io_setup(int argc, char **argv, struct io_args *a,
    unsigned int def_workers, unsigned int def_depth)
{
	const char *dir = getenv("TMPDIR");
	uint64_t mib;
	int fd, ok;

	a->n = bench_arg(argc, argv, 1, "N", 1000000, 1, 1ull << 40);
	a->workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    def_workers, 1, 4096);
	a->depth = (unsigned int)bench_arg(argc, argv, 3, "DEPTH", def_depth,
	    1, IO_MAX_DEPTH);
	if (argc > 4 && argv[4][0]) {
		a->path = argv[4];
	} else {
		snprintf(a->pathbuf, sizeof(a->pathbuf), "%s/kiln-bench-io.dat",
		    dir && *dir ? dir : "/tmp");
		a->path = a->pathbuf;
	}
	mib = bench_arg(argc, argv, 5, "MIB", IO_DEFAULT_MIB, 1, 1u << 20);
	a->nblocks = mib * (1024 * 1024 / IO_BS);

	for (;;) {
		fd = open(a->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && io_create(a->path, a->nblocks) == 0)
			continue;
		if (fd < 0) {
			perror(a->path);
			exit(1);
		}
		ok = io_warm(fd, a->nblocks);
		if (ok == 1)
			return fd;
		if (ok == 0 && !io_ours(fd)) {
			fprintf(stderr, "%s: %s holds something else than this "
			    "benchmark's data; give another FILE\n", argv[0],
			    a->path);
			exit(1);
		}
		close(fd);
		if (ok < 0) {
			perror(a->path);
			exit(1);
		}
		fprintf(stderr, "%s: %s is not a %llu MiB file of this "
		    "benchmark; writing it anew\n", argv[0], a->path,
		    (unsigned long long)mib);
		if (io_create(a->path, a->nblocks) < 0)
			exit(1);
	}
}

/* Reads [begin, end) of the N: the sum of their stamps, and *bad += the
 * reads that failed their check.  The plain programs' loop. */
static inline uint64_t io_pread_range(int fd, unsigned char *buf,
    uint64_t begin, uint64_t end, uint64_t nblocks, uint64_t *bad)
{
	uint64_t i, sum = 0, errs = 0;

	for (i = begin; i < end; i++) {
		uint64_t b = io_block(i, nblocks);
		ssize_t r = pread(fd, buf, IO_BS, (off_t)(b * IO_BS));
		uint64_t s = io_check(buf, (long)r, b);

		errs += s == 0;
		sum += s;
	}
	*bad += errs;
	return sum;
}

/* CPU time, user and system, of every thread of the process so far. */
static inline double io_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* The one line, with iops=, mib= and cpu= after bench.h's fields. */
static inline void io_report(const char *runtime, const struct io_args *a,
    unsigned int workers, unsigned int depth, uint64_t sum, double seconds,
    double cpu, const char *extra)
{
	char more[512];

	snprintf(more, sizeof(more), " iops=%.0f mib=%llu cpu=%.6f%s",
	    seconds > 0 ? (double)a->n / seconds : 0.0,
	    (unsigned long long)(a->nblocks * IO_BS >> 20), cpu,
	    extra ? extra : "");
	bench_report("io", runtime, a->n, depth, workers, sum, seconds, more);
}

/* Part k of n of [0, total): contiguous, sizes differing by at most one. */
static inline uint64_t io_part(uint64_t total, uint64_t k, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)total * k) / n);
}

#endif /* BENCH_IO_H */
