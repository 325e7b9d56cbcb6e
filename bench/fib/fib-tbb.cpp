/*
 * fib-tbb: the same recursion with oneTBB: a tbb::task_group per call above
 * the cutoff.  Usage: fib-tbb N [WORKERS [CUTOFF]]; WORKERS is set with
 * tbb::global_control.
 */
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "bench.h"
#include "fib.h"

static unsigned int cutoff;

static uint64_t fib_tbb(unsigned int n)
{
	uint64_t x, y;
	tbb::task_group g;

	if (n < 2)
		return n;
	if (n < cutoff)
		return fib_serial(n);
	g.run([&] { x = fib_tbb(n - 1); });
	y = fib_tbb(n - 2);
	g.wait();
	return x + y;
}

int main(int argc, char **argv)
{
	unsigned int n, workers;
	uint64_t r;
	char extra[48];
	double t0, t;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0, FIB_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS",
	    (unsigned long long)tbb::this_task_arena::max_concurrency(), 1,
	    4096);
	cutoff = (unsigned int)bench_arg(argc, argv, 3, "CUTOFF", 0, 0,
	    FIB_MAX_N);
	tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
	    workers);
	/* Warm-up: TBB starts its worker threads on first use, untimed. */
	tbb::parallel_for(0u, 64u * workers, [](unsigned int) {});
	t0 = bench_now();
	r = fib_tbb(n);
	t = bench_now() - t0;
	snprintf(extra, sizeof(extra), " spawns=%" PRIu64,
	    fib_spawns(n, cutoff));
	bench_report("fib", "tbb", n, cutoff, workers, r, t, extra);
	return 0;
}
