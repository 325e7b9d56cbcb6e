/*
 * io-kiln: DEPTH kiln tasks, each a plain loop of kiln_read over its share
 * of the reads, on WORKERS workers: each read parks its task until the
 * worker's io_uring (or, with KILN_NO_URING=1, a helper thread) has done it,
 * and the worker runs the other tasks meanwhile.  DEPTH is thus the number
 * of reads in flight, as fio's iodepth is.
 * Usage: io-kiln N [WORKERS [DEPTH [FILE [MIB]]]]; DEPTH defaults to 64.
 *
 * The runtime is printed as "kiln", or "kiln-fallback" when the workers did
 * their I/O through helper threads; after bench.h's fields come kiln's
 * counters for the timed region: batches (io_uring_enter calls that
 * submitted), reads_per_batch, suspends, steals and sleeps, and share=, the
 * per cent of the reads issued on each worker (the last one shown counts
 * for all workers from the 16th on).
 */
#include <string.h>

#include <kiln.h>

#include "io.h"

#define MAX_SHOWN 16  /* workers whose share of the reads is printed */

struct job {
	int fd;
	uint64_t n, nblocks;
	unsigned int tasks;
	/* __atomic, relaxed: read after kiln_run */
	uint64_t sum, bad;
	uint64_t on[MAX_SHOWN];  /* reads issued by worker w */
};

/* Task k: reads [part k of n) one after the other, each kiln_read parking
 * the task while the worker runs the others. */
static void task(size_t begin, size_t end, void *p)
{
	struct job *j = p;
	unsigned char buf[IO_BS] __attribute__((aligned(64)));
	size_t k;

	for (k = begin; k < end; k++) {
		uint64_t i = io_part(j->n, k, j->tasks);
		uint64_t e = io_part(j->n, k + 1, j->tasks);
		uint64_t sum = 0, bad = 0, on[MAX_SHOWN] = { 0 };
		unsigned int w;

		for (; i < e; i++) {
			uint64_t b = io_block(i, j->nblocks);
			ssize_t r;
			uint64_t s;

			/* The worker whose ring (or helpers) get the read: the
			 * task may resume on another. */
			w = (unsigned int)kiln_worker_id();
			on[w < MAX_SHOWN ? w : MAX_SHOWN - 1]++;
			r = kiln_read(j->fd, buf, IO_BS, (off_t)(b * IO_BS));
			s = io_check(buf, (long)r, b);
			bad += s == 0;
			sum += s;
		}
		/* Relaxed: the sums commute; main reads them after kiln_run
		 * returned, which orders every task before it. */
		__atomic_fetch_add(&j->sum, sum, __ATOMIC_RELAXED);
		__atomic_fetch_add(&j->bad, bad, __ATOMIC_RELAXED);
		for (w = 0; w < MAX_SHOWN; w++)
			if (on[w])
				__atomic_fetch_add(&j->on[w], on[w],
				    __ATOMIC_RELAXED);
	}
}

/* The root: one task per unit of depth, spread over the workers by
 * kiln_parallel_for's halving (grain 1). */
static void run(void *p)
{
	struct job *j = p;

	kiln_parallel_for(0, j->tasks, 1, task, j);
}

#define D(f) (after.f - before.f)

int main(int argc, char **argv)
{
	struct kiln_options opt = { 0 };
	struct kiln_stats before, after;
	kiln_pool *pool;
	struct io_args a;
	struct job job, warm;
	char extra[512];
	size_t len;
	unsigned int w;
	double t0 = 0, t = 0, c0 = 0, c = 0;
	int fd, ret;

	fd = io_setup(argc, argv, &a, 1, 64);
	opt.workers = a.workers;
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_pool_create: %s\n", argv[0],
		    strerror(-ret));
		return 1;
	}
	/* Warm-up: the threads running, and a fiber made for every task. */
	warm = (struct job){ .fd = fd, .n = 2 * (uint64_t)a.depth,
	    .nblocks = a.nblocks, .tasks = a.depth };
	job = (struct job){ .fd = fd, .n = a.n, .nblocks = a.nblocks,
	    .tasks = a.depth };
	ret = kiln_run(pool, run, &warm);
	if (ret >= 0) {
		kiln_pool_stats(pool, &before);
		c0 = io_cpu();
		t0 = bench_now();
		ret = kiln_run(pool, run, &job);
		t = bench_now() - t0;
		c = io_cpu() - c0;
		kiln_pool_stats(pool, &after);
	}
	kiln_pool_destroy(pool);
	close(fd);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_run: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	if (job.bad || warm.bad) {
		fprintf(stderr, "%s: %llu of %llu reads brought back the wrong "
		    "data\n", argv[0], (unsigned long long)(job.bad + warm.bad),
		    (unsigned long long)(a.n + warm.n));
		return 1;
	}
	snprintf(extra, sizeof(extra), " batches=%" PRIu64
	    " reads_per_batch=%.1f suspends=%" PRIu64 " steals=%" PRIu64
	    " sleeps=%" PRIu64 " fallback_workers=%u", D(io_batches),
	    D(io_batches) ? (double)D(io_completed) / (double)D(io_batches) :
	    0.0, D(suspends), D(steals), D(sleeps), after.io_fallback);
	/* How the reads were spread: per worker, in per cent. */
	len = strlen(extra);
	for (w = 0; w < after.workers && w < MAX_SHOWN; w++)
		len += (size_t)snprintf(extra + len, sizeof(extra) - len,
		    "%s%.0f", w ? "/" : " share=", 100.0 * (double)job.on[w] /
		    (double)a.n);
	io_report(after.io_fallback ? "kiln-fallback" : "kiln", &a,
	    after.workers, a.depth, job.sum, t, c, extra);
	return 0;
}
