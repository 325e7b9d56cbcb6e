/*
 * What every kiln benchmark program does around its kernel: a pool of the
 * asked-for workers, started by one empty task so that the timed run does
 * not include thread start-up, one timed kiln_run, the pool's statistics.
 */
#ifndef BENCH_KILN_H
#define BENCH_KILN_H

#include <string.h>

#include <kiln.h>

#include "bench.h"

static inline void bench_kiln_nothing(void *p)
{
	(void)p;
}

/*
 * Time fn(arg) run as one task on a fresh pool of `workers` (0: one per
 * CPU).  On success fills *seconds and *st and returns 0; on failure says
 * why on stderr and returns 1, the exit status to use.
 */
static inline int bench_kiln_time(const char *prog, unsigned int workers,
    void (*fn)(void *), void *arg, double *seconds, struct kiln_stats *st)
{
	struct kiln_options opt = { 0 };
	kiln_pool *pool;
	double t0 = 0;
	int ret;

	opt.workers = workers;
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_pool_create: %s\n", prog,
		    strerror(-ret));
		return 1;
	}
	ret = kiln_run(pool, bench_kiln_nothing, NULL);
	if (ret >= 0) {
		t0 = bench_now();
		ret = kiln_run(pool, fn, arg);
		*seconds = bench_now() - t0;
	}
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_run: %s\n", prog, strerror(-ret));
		kiln_pool_destroy(pool);
		return 1;
	}
	kiln_pool_stats(pool, st);
	kiln_pool_destroy(pool);
	return 0;
}

#endif /* BENCH_KILN_H */
