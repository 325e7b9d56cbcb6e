/*
 * pfor-tbb: the sum with tbb::parallel_reduce over a blocked_range, default
 * (auto) partitioner.  Usage: pfor-tbb N [WORKERS]
 */
#include <functional>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include "bench.h"
#include "pfor.h"

int main(int argc, char **argv)
{
	unsigned int workers;
	uint64_t n, s;
	double t0, t;

	n = bench_arg(argc, argv, 1, "N", 0, 0, PFOR_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)tbb::this_task_arena::max_concurrency(), 1,
	    4096);
	tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
	    workers);
	/* Warm-up: TBB starts its worker threads on first use, untimed. */
	tbb::parallel_for(0u, 64u * workers, [](unsigned int) {});
	t0 = bench_now();
	s = tbb::parallel_reduce(tbb::blocked_range<uint64_t>(0, n),
	    (uint64_t)0,
	    [](const tbb::blocked_range<uint64_t> &r, uint64_t acc) {
		    return acc + pfor_range(r.begin(), r.end());
	    },
	    std::plus<uint64_t>());
	t = bench_now() - t0;
	bench_report("pfor", "tbb", n, 0, workers, s, t, NULL);
	return 0;
}
