/*
 * fib-kiln-ctx: one task per call above the cutoff, written with context
 * tasks (KILN_CTX_TASK): each call takes the calling task's context and
 * hands it on, so that spawns and syncs keep the deque's tail in a
 * register.  The fastest form kiln_spawn(3) shows.
 * Usage: fib-kiln-ctx N [WORKERS [CUTOFF]]; CUTOFF 0 means a task per call.
 */
#include "bench-kiln.h"
#include "fib.h"

static unsigned int cutoff;

/* As in fib-kiln.c, the version without cutoff carries no cutoff test. */
static uint64_t fib_task(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(fib, uint64_t, fib_task, unsigned int);

static uint64_t fib_task(kiln_ctx c, unsigned int n)
{
	struct fib child;
	uint64_t b;

	if (n < 2)
		return n;
	KILN_CTX_SPAWN(fib, c, &child, n - 1);
	b = fib_task(c, n - 2);
	return KILN_CTX_SYNC(fib, c, &child) + b;
}

static uint64_t fib_cut(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(fib_c, uint64_t, fib_cut, unsigned int);

static uint64_t fib_cut(kiln_ctx c, unsigned int n)
{
	struct fib_c child;
	uint64_t b;

	if (n < cutoff)
		return fib_serial(n);
	KILN_CTX_SPAWN(fib_c, c, &child, n - 1);
	b = fib_cut(c, n - 2);
	return KILN_CTX_SYNC(fib_c, c, &child) + b;
}

struct job {
	unsigned int n;
	uint64_t result;
};

static void run(void *p)
{
	struct job *j = p;

	j->result = (cutoff > 1 ? fib_cut : fib_task)(kiln_ctx_get(), j->n);
}

int main(int argc, char **argv)
{
	unsigned int workers;
	struct kiln_stats st;
	struct job job;
	char extra[128];
	double t;

	job.n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0, FIB_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS", 0, 1,
	    4096);
	cutoff = (unsigned int)bench_arg(argc, argv, 3, "CUTOFF", 0, 0,
	    FIB_MAX_N);
	if (bench_kiln_time(argv[0], workers, run, &job, &t, &st))
		return 1;
	snprintf(extra, sizeof(extra), " spawns=%" PRIu64 " tasks=%" PRIu64
	    " steals=%" PRIu64, fib_spawns(job.n, cutoff), st.spawns,
	    st.steals);
	bench_report("fib", "kiln-ctx", job.n, cutoff, st.workers, job.result,
	    t, extra);
	return 0;
}
