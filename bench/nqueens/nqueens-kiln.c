/*
 * nqueens-kiln: a KILN_TASK per placement in the first DEPTH rows, synced
 * newest first (so that each sync finds its task on top of the deque when
 * nobody stole it), serial search below.
 * Usage: nqueens-kiln N [WORKERS [DEPTH]]; DEPTH N makes every placement a
 * task.
 */
#include "bench-kiln.h"
#include "nqueens.h"

static unsigned int n, depth;

static uint64_t nq_task(struct nq_pos p);
KILN_TASK(nq, uint64_t, nq_task, struct nq_pos);

static uint64_t nq_task(struct nq_pos p)
{
	struct nq kids[NQ_MAX_N];
	unsigned int k = 0;
	uint32_t free, bit;
	uint64_t count = 0;

	if (p.row >= depth || p.row == n)
		return nq_serial(n, p);
	for (free = nq_free(n, p); free; free ^= bit) {
		bit = free & -free;
		nq_spawn(&kids[k++], nq_place(p, bit));
	}
	while (k > 0)
		count += nq_sync(&kids[--k]);
	return count;
}

struct job {
	uint64_t result;
};

static void run(void *p)
{
	struct job *j = p;
	struct nq_pos start = { 0, 0, 0, 0 };

	j->result = nq_task(start);
}

int main(int argc, char **argv)
{
	unsigned int workers;
	struct kiln_stats st;
	struct job job;
	char extra[96];
	double t;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 1, NQ_MAX_N);
	workers = (unsigned int)bench_arg(argc, argv, 2, "WORKERS", 0, 1,
	    4096);
	depth = (unsigned int)bench_arg(argc, argv, 3, "DEPTH", 0, 0,
	    NQ_MAX_N);
	if (bench_kiln_time(argv[0], workers, run, &job, &t, &st))
		return 1;
	snprintf(extra, sizeof(extra), " tasks=%" PRIu64 " steals=%" PRIu64,
	    st.spawns, st.steals);
	bench_report("nqueens", "kiln", n, depth, st.workers, job.result, t,
	    extra);
	return 0;
}
