/*
 * fib-kiln-plain: one task per call above the cutoff, written with the
 * plain kiln_spawn and kiln_sync and a structure for the argument and the
 * result, as kiln_spawn(3) shows: the untyped API beside fib-kiln's typed
 * tasks.
 * Usage: fib-kiln-plain N [WORKERS [CUTOFF]]; CUTOFF 0 means a task per call.
 */
#include "bench-kiln.h"
#include "fib.h"

static unsigned int cutoff;

struct fib_arg {
	unsigned int n;
	uint64_t r;
};

/* As in fib-kiln.c, the version without cutoff carries no cutoff test. */
static void fib_task(void *p)
{
	struct fib_arg *f = p, a, b;
	kiln_task t;

	if (f->n < 2) {
		f->r = f->n;
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	kiln_spawn(&t, fib_task, &a);
	fib_task(&b);
	kiln_sync(&t);
	f->r = a.r + b.r;
}

static void fib_cut(void *p)
{
	struct fib_arg *f = p, a, b;
	kiln_task t;

	if (f->n < cutoff) {
		f->r = fib_serial(f->n);
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	kiln_spawn(&t, fib_cut, &a);
	fib_cut(&b);
	kiln_sync(&t);
	f->r = a.r + b.r;
}

static void run(void *p)
{
	(cutoff > 1 ? fib_cut : fib_task)(p);
}

int main(int argc, char **argv)
{
	unsigned int workers;
	struct kiln_stats st;
	struct fib_arg job;
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
	bench_report("fib", "kiln-plain", job.n, cutoff, st.workers, job.r, t,
	    extra);
	return 0;
}
