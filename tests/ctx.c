/*
 * Typed context tasks (KILN_CTX_TASK, KILN_CTX_SPAWN, KILN_CTX_SYNC) through
 * <kiln.h> only, and the paths that the deque moving with its fiber made:
 * results on 1, 2 and 4 workers, syncs in every order, holes left by syncs
 * out of order and the spawns that follow them, a fiber that parks and
 * moves in the middle of a chain of typed calls (kiln_yield, kiln_sleep in
 * a leaf; context, KILN_TASK and kiln_spawn alike), context code and plain
 * code nested in each other across parks, and the tasks of a parked fiber
 * running while it waits.
 *
 * Assertions run on the test's own thread: code running in tasks records
 * what it saw, and the test checks it after kiln_run returns.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

/* Count every spawn in kiln_pool_stats (see kiln_pool_stats(3)). */
#define KILN_STATS 1
#include <kiln.h>

#include "common.h"

static kiln_pool *pool;

static void setup(void)
{
	pool = make_pool(2);
}

static void teardown(void)
{
	kiln_pool_destroy(pool);
}

TestSuite(ctx, .init = setup, .fini = teardown, .timeout = 120);

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

struct fibjob {
	unsigned int n;
	uint64_t r;
};

static void cfib_root(void *p)
{
	struct fibjob *j = p;

	j->r = cfib(kiln_ctx_get(), j->n);
}

Test(ctx, fib_on_1_2_4_workers)
{
	unsigned int workers[] = { 1, 2, 4 }, i;

	for (i = 0; i < 3; i++) {
		kiln_pool *p = make_pool(workers[i]);
		struct fibjob j = { 24, 0 };
		struct kiln_stats s;

		run_on(p, cfib_root, &j);
		cr_expect(eq(u64, j.r, fib_ref(24)), "%u workers", workers[i]);
		kiln_pool_stats(p, &s);
		cr_expect(eq(u64, s.spawns, fib_spawns(24)), "%u workers",
		    workers[i]);
		cr_expect(eq(u64, s.suspends, s.resumes));
		kiln_pool_destroy(p);
	}
}

/* Four context children, synced in a given order. */
struct order {
	int at[4];
	uint64_t r[4];
};

static void four_in_order(void *p)
{
	static const unsigned int n[4] = { 19, 18, 17, 16 };
	struct order *o = p;
	struct cfib_task t[4];
	kiln_ctx c = kiln_ctx_get();
	int i;

	for (i = 0; i < 4; i++)
		KILN_CTX_SPAWN(cfib_task, c, &t[i], n[i]);
	for (i = 0; i < 4; i++)
		o->r[o->at[i]] = KILN_CTX_SYNC(cfib_task, c, &t[o->at[i]]);
}

Test(ctx, sync_in_any_order)
{
	int a[4] = { 0, 1, 2, 3 }, round, i, j, k, tmp;

	for (;;) {
		for (round = 0; round < 3; round++) {
			struct order o;

			memcpy(o.at, a, sizeof(a));
			run_on(pool, four_in_order, &o);
			for (i = 0; i < 4; i++)
				cr_expect(eq(u64, o.r[i], fib_ref(19 - i)),
				    "order %d%d%d%d, child %d", a[0], a[1],
				    a[2], a[3], i);
		}
		for (i = 2; i >= 0 && a[i] >= a[i + 1]; i--)
			;
		if (i < 0)
			break;
		for (j = 3; a[j] <= a[i]; j--)
			;
		tmp = a[i], a[i] = a[j], a[j] = tmp;
		for (j = i + 1, k = 3; j < k; j++, k--)
			tmp = a[j], a[j] = a[k], a[k] = tmp;
	}
}

/*
 * Many children synced oldest first (each sync takes a task out of the
 * middle and leaves a hole, which thieves may be given meanwhile), then more
 * children newest first from the same context, then a call: the frame's
 * context stays right past all of it.
 */
#define MANY 64

struct many {
	uint64_t r[2 * MANY];
	uint64_t last;
};

static void many_children(void *p)
{
	struct many *m = p;
	struct cfib_task t[MANY];
	kiln_ctx c = kiln_ctx_get();
	int i;

	for (i = 0; i < MANY; i++)
		KILN_CTX_SPAWN(cfib_task, c, &t[i], 10 + i % 8);
	for (i = 0; i < MANY; i++)
		m->r[i] = KILN_CTX_SYNC(cfib_task, c, &t[i]);
	for (i = 0; i < MANY; i++)
		KILN_CTX_SPAWN(cfib_task, c, &t[i], 10 + i % 8);
	for (i = MANY; i-- > 0;)
		m->r[MANY + i] = KILN_CTX_SYNC(cfib_task, c, &t[i]);
	m->last = cfib(c, 20);
}

Test(ctx, many_children_oldest_first_then_more)
{
	int round, i;

	for (round = 0; round < 20; round++) {
		struct many m;

		run_on(pool, many_children, &m);
		for (i = 0; i < 2 * MANY; i++)
			cr_assert(eq(u64, m.r[i], fib_ref(10 + (i % MANY) % 8)),
			    "round %d, child %d", round, i);
		cr_assert(eq(u64, m.last, fib_ref(20)));
	}
}

/*
 * A chain of typed calls whose leaves park: each level spawns the next as
 * a task and calls it too, so that parked leaves have a stack of typed
 * frames beneath them, which resume on whichever worker wakes the fiber.
 * After the park a leaf spawns, syncs and calls with the context it had,
 * and records whether it came back on another worker.
 */
struct chain {
	unsigned int depth;
	int sleep;               /* park with kiln_sleep, else kiln_yield */
	atomic_int leaves;
	atomic_int moved;
	atomic_int bad;
};

static struct chain *the_chain;

static void park(void)
{
	if (the_chain->sleep)
		kiln_sleep(10000);
	else
		kiln_yield();
}

/* The leaf's work after its park: a small fib of each kind. */
static uint64_t after_park(kiln_ctx c, int before)
{
	uint64_t r = cfib(c, 10) + pfib(10);

	if (kiln_worker_id() != before)
		atomic_fetch_add(&the_chain->moved, 1);
	if (r != 2 * fib_ref(10))
		atomic_fetch_add(&the_chain->bad, 1);
	atomic_fetch_add(&the_chain->leaves, 1);
	return r;
}

static uint64_t cchain(kiln_ctx c, unsigned int d);
KILN_CTX_TASK(cchain_task, uint64_t, cchain, unsigned int);

static uint64_t cchain(kiln_ctx c, unsigned int d)
{
	struct cchain_task t;
	uint64_t a, b;
	int id;

	if (d == 0) {
		id = kiln_worker_id();
		park();
		return after_park(c, id);
	}
	KILN_CTX_SPAWN(cchain_task, c, &t, d - 1);
	a = cchain(c, d - 1);
	b = KILN_CTX_SYNC(cchain_task, c, &t);
	return a + b;
}

static uint64_t tchain(unsigned int d);
KILN_TASK(tchain_task, uint64_t, tchain, unsigned int);

static uint64_t tchain(unsigned int d)
{
	struct tchain_task t;
	uint64_t a;
	int id;

	if (d == 0) {
		id = kiln_worker_id();
		park();
		return after_park(kiln_ctx_get(), id);
	}
	tchain_task_spawn(&t, d - 1);
	a = tchain(d - 1);
	return a + tchain_task_sync(&t);
}

struct pchain {
	unsigned int d;
	uint64_t r;
};

static void pchain(void *p)
{
	struct pchain *x = p, a = { x->d - 1, 0 }, b = { x->d - 1, 0 };
	kiln_task t;
	int id;

	if (x->d == 0) {
		id = kiln_worker_id();
		park();
		x->r = after_park(kiln_ctx_get(), id);
		return;
	}
	kiln_spawn(&t, pchain, &a);
	pchain(&b);
	kiln_sync(&t);
	x->r = a.r + b.r;
}

struct chainrun {
	int kind;                /* 0 context, 1 KILN_TASK, 2 kiln_spawn */
	uint64_t r;
};

static void chain_root(void *p)
{
	struct chainrun *cr = p;
	struct pchain x = { the_chain->depth, 0 };

	switch (cr->kind) {
	case 0:
		cr->r = cchain(kiln_ctx_get(), the_chain->depth);
		break;
	case 1:
		cr->r = tchain(the_chain->depth);
		break;
	default:
		pchain(&x);
		cr->r = x.r;
		break;
	}
}

static void run_chains(unsigned int workers, int sleep)
{
	kiln_pool *p = make_pool(workers);
	struct chain ch;
	int kind, moved = 0;

	for (kind = 0; kind < 3; kind++) {
		struct chainrun cr = { kind, 0 };
		unsigned int leaves = 1u << 7;

		memset(&ch, 0, sizeof(ch));
		ch.depth = 7;
		ch.sleep = sleep;
		the_chain = &ch;
		run_on(p, chain_root, &cr);
		cr_expect(eq(int, ld(&ch.leaves), (int)leaves), "kind %d", kind);
		cr_expect(eq(int, ld(&ch.bad), 0), "kind %d", kind);
		cr_expect(eq(u64, cr.r, leaves * 2 * fib_ref(10)), "kind %d",
		    kind);
		moved += ld(&ch.moved);
	}
	/* Not asserted (it depends on timing): how often a leaf moved. */
	cr_log_info("%u workers, %s: %d leaves came back elsewhere", workers,
	    sleep ? "kiln_sleep" : "kiln_yield", moved);
	kiln_pool_destroy(p);
}

Test(ctx, park_in_a_leaf_mid_chain_yield)
{
	run_chains(2, 0);
	run_chains(4, 0);
}

Test(ctx, park_in_a_leaf_mid_chain_sleep)
{
	run_chains(2, 1);
	run_chains(4, 1);
}

/*
 * Context code and plain code nested in each other, with parks in between:
 * a context task's frame calls a plain function that spawns plain tasks,
 * which make their own contexts and park, and the frame goes on with its
 * own context afterwards.
 */
static void plain_inside(void *p)
{
	uint64_t *r = p;
	int i;

	for (i = 0; i < 3; i++)
		kiln_yield();
	*r = cfib(kiln_ctx_get(), 15);
}

static uint64_t mixed(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(mixed_task, uint64_t, mixed, unsigned int);

static uint64_t mixed(kiln_ctx c, unsigned int n)
{
	struct mixed_task t;
	kiln_task p1, p2;
	uint64_t x1 = 0, x2 = 0, a;

	if (n == 0)
		return cfib(c, 12);
	KILN_CTX_SPAWN(mixed_task, c, &t, n - 1);
	kiln_spawn(&p1, plain_inside, &x1);
	kiln_spawn(&p2, plain_inside, &x2);
	a = mixed(c, n - 1);
	kiln_sync(&p1);
	a += cfib(c, 11);
	kiln_sync(&p2);
	return a + x1 + x2 + KILN_CTX_SYNC(mixed_task, c, &t);
}

static void mixed_root(void *p)
{
	uint64_t *r = p;

	*r = mixed(kiln_ctx_get(), 4);
}

Test(ctx, context_and_plain_code_nested_across_parks)
{
	uint64_t r = 0, want = 0, level = fib_ref(12);
	int i;

	/* m(0) = fib(12); m(n) = 2 m(n-1) + fib(11) + 2 fib(15). */
	for (i = 1; i <= 4; i++)
		level = 2 * level + fib_ref(11) + 2 * fib_ref(15);
	want = level;
	run_on(pool, mixed_root, &r);
	cr_expect(eq(u64, r, want));
}

/*
 * The tasks of a parked fiber run while it waits: with one worker, a root
 * that spawns tasks and yields finds them all done when it comes back, as
 * they went to its worker's orphans, which the worker runs before it
 * resumes the ready root.
 */
struct flags {
	atomic_int ran[16];
	int seen_before_sync;
};

static void set_flag(kiln_ctx c, atomic_int *f)
{
	(void)c;
	atomic_fetch_add(f, 1);
}

KILN_CTX_TASK_VOID(flag_task, set_flag, atomic_int *);

static void park_with_tasks(void *p)
{
	struct flags *fl = p;
	struct flag_task t[16];
	kiln_ctx c = kiln_ctx_get();
	int i, n = 0;

	for (i = 0; i < 16; i++)
		KILN_CTX_SPAWN(flag_task, c, &t[i], &fl->ran[i]);
	kiln_yield();
	for (i = 0; i < 16; i++)
		n += atomic_load(&fl->ran[i]);
	fl->seen_before_sync = n;
	for (i = 16; i-- > 0;)
		KILN_CTX_SYNC(flag_task, c, &t[i]);
}

Test(ctx, parked_fibers_tasks_run_meanwhile)
{
	kiln_pool *one = make_pool(1);
	struct flags fl;
	int i;

	memset(&fl, 0, sizeof(fl));
	run_on(one, park_with_tasks, &fl);
	cr_expect(eq(int, fl.seen_before_sync, 16));
	for (i = 0; i < 16; i++)
		cr_expect(eq(int, ld(&fl.ran[i]), 1), "task %d", i);
	kiln_pool_destroy(one);
}

/* Outside a pool the context tasks run serially. */
Test(ctx, outside_a_pool)
{
	cr_expect(eq(u64, cfib(kiln_ctx_get(), 20), fib_ref(20)));
}
