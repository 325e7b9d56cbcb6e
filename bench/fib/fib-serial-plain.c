/*
 * fib-serial-plain: serial C in the shape that the plain API imposes on
 * fib-kiln-plain (a function of a pointer to a structure that carries the
 * argument and takes the result), with the two calls that kiln_spawn and
 * kiln_sync would make kept as calls.  No kiln at all: the difference
 * between fib-kiln-plain and this is what kiln's plain spawn and sync cost;
 * the difference between this and fib-serial is the cost of the shape.
 * Usage: fib-serial-plain N (a WORKERS and a CUTOFF are ignored)
 */
#include "bench.h"
#include "fib.h"

struct fib_arg {
	unsigned int n;
	uint64_t r;
};

/* Not inlined into itself: fib-kiln-plain's calls are real calls too. */
static __attribute__((noinline)) void fib_task(void *p)
{
	struct fib_arg *f = p, a, b;

	if (f->n < 2) {
		f->r = f->n;
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	fib_task(&b);
	fib_task(&a);
	f->r = a.r + b.r;
}

int main(int argc, char **argv)
{
	struct fib_arg job;
	char extra[64];
	double t0;

	job.n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0, FIB_MAX_N);
	t0 = bench_now();
	fib_task(&job);
	t0 = bench_now() - t0;
	/* The spawns fib-kiln-plain makes: here, the call pairs. */
	snprintf(extra, sizeof(extra), " spawns=%" PRIu64,
	    fib_spawns(job.n, 0));
	bench_report("fib", "serial-plain", job.n, 0, 1, job.r, t0, extra);
	return 0;
}
