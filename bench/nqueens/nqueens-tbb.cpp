/*
 * nqueens-tbb: a tbb::task_group per position in the first DEPTH rows, one
 * task per placement, serial search below.
 * Usage: nqueens-tbb N [WORKERS [DEPTH]]
 */
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "bench.h"
#include "nqueens.h"

static unsigned int n, depth;

static uint64_t nq_tbb(struct nq_pos p)
{
	uint64_t counts[NQ_MAX_N], count = 0;
	unsigned int k = 0, i;
	uint32_t free, bit;
	tbb::task_group g;

	if (p.row >= depth || p.row == n)
		return nq_serial(n, p);
	for (free = nq_free(n, p); free; free ^= bit, k++) {
		bit = free & -free;
		struct nq_pos c = nq_place(p, bit);
		uint64_t *out = &counts[k];
		g.run([c, out] { *out = nq_tbb(c); });
	}
	g.wait();
	for (i = 0; i < k; i++)
		count += counts[i];
	return count;
}

int main(int argc, char **argv)
{
	struct nq_pos start = { 0, 0, 0, 0 };
	unsigned int workers;
	uint64_t r;
	double t0, t;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 1, NQ_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)tbb::this_task_arena::max_concurrency(), 1,
	    4096);
	depth = (unsigned int)bench_arg(argc, argv, 3, "DEPTH", 0, 0,
	    NQ_MAX_N);
	tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
	    workers);
	/* Warm-up: TBB starts its worker threads on first use, untimed. */
	tbb::parallel_for(0u, 64u * workers, [](unsigned int) {});
	t0 = bench_now();
	r = nq_tbb(start);
	t = bench_now() - t0;
	bench_report("nqueens", "tbb", n, depth, workers, r, t, NULL);
	return 0;
}
