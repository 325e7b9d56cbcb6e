/*
 * spawn-storm: fork/join at full rate on pools of 1, 2, 4 and 16 workers
 * (oversubscribed on small machines): Fibonacci with one task per call,
 * typed (KILN_TASK) and with context tasks (KILN_CTX_TASK), and a tree of
 * spawns with fan-out 4 synced in a mixed order, with kiln_spawn and with
 * context tasks whose leaves now and then park (kiln_yield), so that
 * fibers move between workers in the middle of their chains of typed calls
 * and their pending tasks go to the orphans.  Checks the results, that
 * every spawn was counted, and that every parked fiber was resumed.
 *
 *	spawn-storm [rounds [fib_n [tree_depth]]]
 */
#include <stdatomic.h>
#include <string.h>

/* Count every spawn in kiln_pool_stats (see kiln_pool_stats(3)). */
#define KILN_STATS 1
#include <kiln.h>

#include "../common.h"
#include "stress.h"

/* A node spawns 4 children and syncs them in an order set by its id. */
struct node {
	unsigned int depth;
	uint64_t id;
	uint64_t count;        /* nodes in this subtree, filled by the node */
};

static void node_run(void *p)
{
	static const int orders[4][4] = {
		{ 3, 2, 1, 0 }, { 0, 1, 2, 3 }, { 1, 3, 0, 2 }, { 2, 0, 3, 1 },
	};
	struct node *n = p, c[4];
	kiln_task t[4];
	const int *order = orders[n->id % 4];
	int i;

	n->count = 1;
	if (n->depth == 0)
		return;
	for (i = 0; i < 4; i++) {
		c[i] = (struct node){ n->depth - 1, n->id * 4 + (uint64_t)i, 0 };
		kiln_spawn(&t[i], node_run, &c[i]);
	}
	for (i = 0; i < 4; i++)
		kiln_sync(&t[order[i]]);
	for (i = 0; i < 4; i++)
		n->count += c[i].count;
}

/* Fibonacci with a context task per call. */
static uint64_t cfib(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(cfib_task, uint64_t, cfib, unsigned int);

static uint64_t cfib(kiln_ctx c, unsigned int n)
{
	struct cfib_task t;
	uint64_t b;

	if (n < 2)
		return n;
	KILN_CTX_SPAWN(cfib_task, c, &t, n - 1);
	b = cfib(c, n - 2);
	return KILN_CTX_SYNC(cfib_task, c, &t) + b;
}

/* The tree again with context tasks; one leaf in 8 parks first. */
struct cnode {
	unsigned int depth;
	uint64_t id;
};

static uint64_t ctree(kiln_ctx c, struct cnode n);
KILN_CTX_TASK(ctree_task, uint64_t, ctree, struct cnode);

static uint64_t ctree(kiln_ctx c, struct cnode n)
{
	static const int orders[4][4] = {
		{ 3, 2, 1, 0 }, { 0, 1, 2, 3 }, { 1, 3, 0, 2 }, { 2, 0, 3, 1 },
	};
	struct ctree_task t[4];
	const int *order = orders[n.id % 4];
	uint64_t count = 1;
	int i;

	if (n.depth == 0) {
		if (n.id % 8 == 0)
			kiln_yield();
		return 1;
	}
	for (i = 0; i < 4; i++) {
		struct cnode k = { n.depth - 1, n.id * 4 + (uint64_t)i };

		KILN_CTX_SPAWN(ctree_task, c, &t[i], k);
	}
	for (i = 0; i < 4; i++)
		count += KILN_CTX_SYNC(ctree_task, c, &t[order[i]]);
	return count;
}

struct job {
	unsigned int fib_n, tree_depth;
	uint64_t fib, cfib, tree, ctree;
};

static void root(void *p)
{
	struct job *j = p;
	struct node n = { j->tree_depth, 1, 0 };
	struct cnode cn = { j->tree_depth, 1 };
	kiln_ctx c = kiln_ctx_get();

	j->fib = pfib(j->fib_n);
	j->cfib = cfib(c, j->fib_n);
	node_run(&n);
	j->tree = n.count;
	j->ctree = ctree(c, cn);
}

int main(int argc, char **argv)
{
	static const unsigned int workers[] = { 1, 2, 4, 16 };
	unsigned long rounds = stress_arg(argc, argv, 1, 5);
	unsigned int fib_n = (unsigned int)stress_arg(argc, argv, 2, 20);
	unsigned int depth = (unsigned int)stress_arg(argc, argv, 3, 6);
	uint64_t nodes = 0, spawns_per_round, p4 = 1;
	unsigned int w, i;
	unsigned long r;

	stress_prog = "spawn-storm";
	if (fib_n > 40 || depth > 12) {
		fprintf(stderr, "spawn-storm: fib_n <= 40, tree_depth <= 12\n");
		return 99;
	}
	for (i = 0; i <= depth; i++, p4 *= 4)
		nodes += p4;
	spawns_per_round = 2 * fib_spawns(fib_n) + 2 * (nodes - 1);

	for (w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
		struct kiln_options o = { .workers = workers[w] };
		struct kiln_stats s;
		kiln_pool *pool;
		int ret = kiln_pool_create(&pool, &o);

		if (ret < 0)
			stress_die("kiln_pool_create(%u workers): %d",
			    workers[w], ret);
		for (r = 0; r < rounds; r++) {
			struct job j = { fib_n, depth, 0, 0, 0, 0 };

			ret = kiln_run(pool, root, &j);
			if (ret < 0)
				stress_die("kiln_run: %d", ret);
			if (j.fib != fib_ref(fib_n) ||
			    j.cfib != fib_ref(fib_n))
				stress_fail("%u workers: fib(%u) = %" PRIu64
				    " and %" PRIu64 ", not %" PRIu64,
				    workers[w], fib_n, j.fib, j.cfib,
				    fib_ref(fib_n));
			if (j.tree != nodes || j.ctree != nodes)
				stress_fail("%u workers: tree of depth %u has "
				    "%" PRIu64 " and %" PRIu64 " nodes, not %"
				    PRIu64, workers[w], depth, j.tree, j.ctree,
				    nodes);
		}
		kiln_pool_stats(pool, &s);
		if (s.workers != workers[w])
			stress_fail("stats: %u workers, not %u", s.workers,
			    workers[w]);
		if (s.spawns != rounds * spawns_per_round)
			stress_fail("%u workers: %" PRIu64 " spawns counted, "
			    "%" PRIu64 " made", workers[w], s.spawns,
			    rounds * spawns_per_round);
		if (s.suspends != s.resumes)
			stress_fail("%u workers: %" PRIu64 " suspends but %"
			    PRIu64 " resumes", workers[w], s.suspends,
			    s.resumes);
		if (workers[w] == 1 && s.steals != 0)
			stress_fail("1 worker: %" PRIu64 " steals", s.steals);
		printf("spawn-storm: %2u workers: %" PRIu64 " spawns, %" PRIu64
		    " steals, %" PRIu64 " suspends, %" PRIu64 " fibers, %"
		    PRIu64 " sleeps\n", workers[w], s.spawns, s.steals,
		    s.suspends, s.fibers, s.sleeps);
		kiln_pool_destroy(pool);
	}
	return stress_exit();
}
