/*
 * pfor-kiln: the sum with kiln_parallel_for, grain chosen by kiln.  Each
 * subrange adds its partial sum into one shared counter.
 * Usage: pfor-kiln N [WORKERS [GRAIN]]; GRAIN 0 (the default) lets kiln
 * choose.
 */
#include "bench-kiln.h"
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

int main(int argc, char **argv)
{
	unsigned int workers;
	struct kiln_stats st;
	struct job job = { 0 };
	char extra[96];
	double t;

	job.n = bench_arg(argc, argv, 1, "N", 0, 0, PFOR_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS", 0, 1,
	    4096);
	job.grain = (size_t)bench_arg(argc, argv, 3, "GRAIN", 0, 0,
	    PFOR_MAX_N);
	if (bench_kiln_time(argv[0], workers, run, &job, &t, &st))
		return 1;
	snprintf(extra, sizeof(extra), " tasks=%" PRIu64 " steals=%" PRIu64,
	    st.spawns, st.steals);
	bench_report("pfor", "kiln", job.n, job.grain, st.workers, job.sum, t,
	    extra);
	return 0;
}
