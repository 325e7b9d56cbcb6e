/*
 * pfor-omp: the sum as "omp parallel for reduction(+:s)", default
 * (static) schedule.  Usage: pfor-omp N [WORKERS]
 */
#include <omp.h>

#include "bench.h"
#include "pfor.h"

int main(int argc, char **argv)
{
	uint64_t n, s = 0, i;
	unsigned int workers;
	double t0, t;

	n = bench_arg(argc, argv, 1, "N", 0, 0, PFOR_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)omp_get_num_procs(), 1, 4096);
	omp_set_num_threads((int)workers);
#pragma omp parallel
	{
		/* Warm-up: the team's threads are created here, untimed. */
	}
	t0 = bench_now();
#pragma omp parallel for reduction(+:s)
	for (i = 0; i < n; i++)
		s += pfor_f(i);
	t = bench_now() - t0;
	bench_report("pfor", "omp", n, 0, workers, s, t, NULL);
	return 0;
}
