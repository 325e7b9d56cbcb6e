/*
 * nqueens-omp: an OpenMP task per placement in the first DEPTH rows, one
 * taskwait per position, serial search below.
 * Usage: nqueens-omp N [WORKERS [DEPTH]]
 */
#include <omp.h>

#include "bench.h"
#include "nqueens.h"

static unsigned int n, depth;

static uint64_t nq_omp(struct nq_pos p)
{
	uint64_t counts[NQ_MAX_N], count = 0;
	unsigned int k = 0, i;
	uint32_t free, bit;

	if (p.row >= depth || p.row == n)
		return nq_serial(n, p);
	for (free = nq_free(n, p); free; free ^= bit, k++) {
		bit = free & -free;
#pragma omp task shared(counts) firstprivate(p, bit, k)
		counts[k] = nq_omp(nq_place(p, bit));
	}
#pragma omp taskwait
	for (i = 0; i < k; i++)
		count += counts[i];
	return count;
}

int main(int argc, char **argv)
{
	struct nq_pos start = { 0, 0, 0, 0 };
	unsigned int workers;
	uint64_t r = 0;
	double t0, t;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 1, NQ_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)omp_get_num_procs(), 1, 4096);
	depth = (unsigned int)bench_arg(argc, argv, 3, "DEPTH", 0, 0,
	    NQ_MAX_N);
	omp_set_num_threads((int)workers);
#pragma omp parallel
	{
		/* Warm-up: the team's threads are created here, untimed. */
	}
	t0 = bench_now();
#pragma omp parallel
#pragma omp single
	r = nq_omp(start);
	t = bench_now() - t0;
	bench_report("nqueens", "omp", n, depth, workers, r, t, NULL);
	return 0;
}
