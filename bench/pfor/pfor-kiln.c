/*
 * pfor-kiln: the sum with kiln_parallel_for, grain chosen by kiln.  Each
 * subrange adds its partial sum into one shared counter.
 * Usage: pfor-kiln N [WORKERS [GRAIN]]; GRAIN 0 (the default) lets kiln
 * choose.
 */
#include <string.h>

#include <kiln.h>

#include "bench.h"
#include "pfor.h"

struct job {
	uint64_t n;
	size_t grain;
	uint64_t sum;
};

static void body(size_t begin, size_t end, void *p)
{
	struct job *j = p;
	uint64_t s = pfor_range(begin, end);

	/*
	 * Relaxed: the additions commute, and main reads the sum only after
	 * kiln_run has returned, which happens after every body.
	 */
	__atomic_fetch_add(&j->sum, s, __ATOMIC_RELAXED);
}

static void run(void *p)
{
	struct job *j = p;

	kiln_parallel_for(0, (size_t)j->n, j->grain, body, j);
}

static void nothing(void *p)
{
	(void)p;
}

int main(int argc, char **argv)
{
	struct kiln_options opt = { 0 };
	struct kiln_stats st;
	kiln_pool *pool;
	struct job job = { 0 };
	char extra[96];
	double t0, t;
	int ret;

	job.n = bench_arg(argc, argv, 1, "N", 0, 0, PFOR_MAX_N);
	opt.workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS", 0, 1,
	    4096);
	job.grain = (size_t)bench_arg(argc, argv, 3, "GRAIN", 0, 0,
	    PFOR_MAX_N);
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_pool_create: %s\n", argv[0],
		    strerror(-ret));
		return 1;
	}
	ret = kiln_run(pool, nothing, NULL); /* warm-up: threads running */
	if (ret >= 0) {
		t0 = bench_now();
		ret = kiln_run(pool, run, &job);
		t = bench_now() - t0;
	}
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_run: %s\n", argv[0], strerror(-ret));
		kiln_pool_destroy(pool);
		return 1;
	}
	kiln_pool_stats(pool, &st);
	kiln_pool_destroy(pool);
	snprintf(extra, sizeof(extra), " tasks=%" PRIu64 " steals=%" PRIu64,
	    st.spawns, st.steals);
	bench_report("pfor", "kiln", job.n, job.grain, st.workers, job.sum, t,
	    extra);
	return 0;
}
