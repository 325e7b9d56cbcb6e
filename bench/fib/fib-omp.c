/*
 * fib-omp: the same recursion in OpenMP tasks: a task per call above the
 * cutoff, shared(x) and taskwait, started by one thread of the team.
 * Usage: fib-omp N [WORKERS [CUTOFF]]; WORKERS sets the team size.
 */
#include <omp.h>

#include "bench.h"
#include "fib.h"

static unsigned int cutoff;

static uint64_t fib_omp(unsigned int n)
{
	uint64_t x, y;

	if (n < 2)
		return n;
	if (n < cutoff)
		return fib_serial(n);
#pragma omp task shared(x)
	x = fib_omp(n - 1);
	y = fib_omp(n - 2);
#pragma omp taskwait
	return x + y;
}

int main(int argc, char **argv)
{
	unsigned int n, workers = 0;
	uint64_t r = 0;
	char extra[48];
	double t0, t;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0, FIB_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)omp_get_num_procs(), 1, 4096);
	cutoff = (unsigned int)bench_arg(argc, argv, 3, "CUTOFF", 0, 0,
	    FIB_MAX_N);
	omp_set_num_threads((int)workers);
#pragma omp parallel
	{
		/* Warm-up: the team's threads are created here, untimed. */
	}
	t0 = bench_now();
#pragma omp parallel
#pragma omp single
	r = fib_omp(n);
	t = bench_now() - t0;
	snprintf(extra, sizeof(extra), " spawns=%" PRIu64,
	    fib_spawns(n, cutoff));
	bench_report("fib", "omp", n, cutoff, workers, r, t, extra);
	return 0;
}
