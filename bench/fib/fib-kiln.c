/*
 * fib-kiln: one kiln task per call above the cutoff, written as a user is
 * told to write fine-grained tasks: with KILN_TASK, whose sync calls the
 * function directly when no thief took the task.
 * Usage: fib-kiln N [WORKERS [CUTOFF]]; CUTOFF 0 means a task per call.
 */
#include <string.h>

#include <kiln.h>

#include "bench.h"
#include "fib.h"

static unsigned int cutoff;

static uint64_t fib_task(unsigned int n);
KILN_TASK(fib, uint64_t, fib_task, unsigned int);

static uint64_t fib_task(unsigned int n)
{
	struct fib child;
	uint64_t b;

	if (n < 2)
		return n;
	if (n < cutoff)
		return fib_serial(n);
	fib_spawn(&child, n - 1);
	b = fib_task(n - 2);
	return fib_sync(&child) + b;
}

struct job {
	unsigned int n;
	uint64_t result;
};

static void run(void *p)
{
	struct job *j = p;

	j->result = fib_task(j->n);
}

static void nothing(void *p)
{
	(void)p;
}

int main(int argc, char **argv)
{
	struct kiln_options opt = { 0 };
	struct kiln_stats st;
	kiln_pool *pool;
	struct job job;
	char extra[96];
	double t0, t;
	int ret;

	job.n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0, FIB_MAX_N);
	opt.workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS", 0, 1,
	    4096);
	cutoff = (unsigned int)bench_arg(argc, argv, 3, "CUTOFF", 0, 0,
	    FIB_MAX_N);
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_pool_create: %s\n", argv[0],
		    strerror(-ret));
		return 1;
	}
	ret = kiln_run(pool, nothing, NULL); /* warm-up: threads running */
	if (ret >= 0) {
		t0 = bench_now();
		ret = kiln_run(pool, run, &job);
		t = bench_now() - t0;
	}
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_run: %s\n", argv[0], strerror(-ret));
		kiln_pool_destroy(pool);
		return 1;
	}
	kiln_pool_stats(pool, &st);
	kiln_pool_destroy(pool);
	snprintf(extra, sizeof(extra), " tasks=%" PRIu64 " steals=%" PRIu64,
	    st.spawns, st.steals);
	bench_report("fib", "kiln", job.n, cutoff, st.workers, job.result, t,
	    extra);
	return 0;
}
