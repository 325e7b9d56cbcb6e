/*
 * fib-kiln: one kiln task per call above the cutoff, written as a user is
 * told to write fine-grained tasks: with KILN_TASK, whose sync calls the
 * function directly when no thief took the task.
 * Usage: fib-kiln N [WORKERS [CUTOFF]]; CUTOFF 0 means a task per call.
 */
#include "bench-kiln.h"
#include "fib.h"

static unsigned int cutoff;

/*
 * Two versions, so that the stress test (a task for every call) carries
 * no cutoff test: gcc would inline the serial fib into it, and every
 * call would pay for a larger frame.
 */
static uint64_t fib_task(unsigned int n);
KILN_TASK(fib, uint64_t, fib_task, unsigned int);

static uint64_t fib_task(unsigned int n)
{
	struct fib child;
	uint64_t b;

	if (n < 2)
		return n;
	fib_spawn(&child, n - 1);
	b = fib_task(n - 2);
	return fib_sync(&child) + b;
}

static uint64_t fib_cut(unsigned int n);
KILN_TASK(fib_c, uint64_t, fib_cut, unsigned int);

static uint64_t fib_cut(unsigned int n)
{
	struct fib_c child;
	uint64_t b;

	if (n < cutoff)
		return fib_serial(n);
	fib_c_spawn(&child, n - 1);
	b = fib_cut(n - 2);
	return fib_c_sync(&child) + b;
}

struct job {
	unsigned int n;
	uint64_t result;
};

static void run(void *p)
{
	struct job *j = p;

	j->result = (cutoff > 1 ? fib_cut : fib_task)(j->n);
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
	bench_report("fib", "kiln", job.n, cutoff, st.workers, job.result, t,
	    extra);
	return 0;
}
