/*
 * The split task deque (lib/split.c) and the inline fast paths of kiln.h
 * that drive it: private pushes and pops are LIFO, kiln__split_share moves
 * the split up (publishing the older half), thieves take the oldest public
 * task, the owner takes public tasks back or learns that they were stolen,
 * kiln__split_find locates a task, and a full deque runs tasks at once.
 *
 * Tests either drive a bare struct kiln__split, pushing through the fast
 * struct exactly as kiln_spawn does, or make a worker-shaped object current
 * (kiln__self) and call kiln_spawn and kiln_sync themselves.  No pool and no
 * fiber is involved, so no test may make kiln_sync wait for a task that is
 * not done: that would park the calling fiber.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "split.h"
#include "worker.h"

#define HEAD(v) ((uint32_t)(v))
#define SPLIT(v) ((uint32_t)((v) >> 32))

static struct kiln_pool fake_pool;      /* no sleepers: never wakes anyone */
static struct kiln__worker *fw;         /* the fake current worker */
static struct kiln__split *q;           /* fw's deque */
static struct kiln__wfast *saved_self;

static struct kiln__worker *fake_worker(size_t cap)
{
	struct kiln__worker *w = aligned_alloc(64, sizeof(*w));

	cr_assert(not(eq(ptr, w, NULL)));
	memset(w, 0, sizeof(*w));
	cr_assert(eq(int, kiln__split_init(&w->sq, cap), 0));
	w->pool = &fake_pool;
	return w;
}

static void free_worker(struct kiln__worker *w)
{
	kiln__split_fini(&w->sq);
	free(w);
}

static void setup(void)
{
	fw = fake_worker(64);
	q = &fw->sq;
	saved_self = kiln__self;
}

static void teardown(void)
{
	kiln__self = saved_self;
	free_worker(fw);
}

TestSuite(split, .init = setup, .fini = teardown, .timeout = 30);

/* What a task did: how often it ran. */
struct probe {
	int runs;
};

static void run_probe(void *p)
{
	((struct probe *)p)->runs++;
}

static void init_task(kiln_task *t, struct probe *p)
{
	t->kiln__fn = run_probe;
	t->kiln__arg = p;
	__atomic_store_n(&t->kiln__state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->kiln__slot, NULL, __ATOMIC_RELAXED);
}

/* Push t as kiln_spawn's fast path does: record the slot in the frame,
 * store at tail, move tail up. */
static void push(struct kiln__split *d, kiln_task *t)
{
	cr_assert(d->fast.tail != d->fast.end);
	__atomic_store_n(&t->kiln__slot, d->fast.tail, __ATOMIC_RELAXED);
	__atomic_store_n(d->fast.tail, t, __ATOMIC_RELAXED);
	d->fast.tail++;
}

/* Push n fresh tasks t[0] .. t[n - 1], oldest first, all reporting to p. */
static void push_probes(kiln_task *t, int n, struct probe *p)
{
	int i;

	for (i = 0; i < n; i++) {
		init_task(&t[i], p);
		push(q, &t[i]);
	}
}

static size_t split_index(const struct kiln__split *d)
{
	return (size_t)(d->fast.split - (kiln_task **)d->base);
}

static kiln_task *steal(struct kiln__split *d, int *busy)
{
	return kiln__split_steal(d, busy);
}

Test(split, starts_empty)
{
	kiln_task *x = (kiln_task *)&x;

	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
	cr_expect(eq(i64, kiln__split_top(q), -1));
	cr_expect(eq(int, kiln__split_public(q), 0));
	cr_expect(eq(int, kiln__split_share(q), 0));
}

Test(split, private_pop_is_lifo)
{
	kiln_task t[3], *x;
	struct probe p[3] = { 0 };
	int i;

	for (i = 0; i < 3; i++) {
		init_task(&t[i], &p[i]);
		push(q, &t[i]);
	}
	cr_expect(eq(i64, kiln__split_top(q), 2));
	cr_expect(eq(int, kiln__split_public(q), 0));
	for (i = 2; i >= 0; i--) {
		cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
		cr_expect(eq(ptr, x, &t[i]));
	}
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
}

Test(split, share_moves_split_by_half)
{
	kiln_task t[4];
	struct probe p = { 0 };
	uint64_t v;

	push_probes(t, 4, &p);
	q->fast.movesplit = 1;
	cr_assert(eq(int, kiln__split_share(q), 1));
	cr_expect(eq(u32, q->fast.movesplit, 0));
	cr_expect(eq(sz, split_index(q), 2));
	v = atomic_load(&q->ts);
	cr_expect(eq(u32, HEAD(v), 0));
	cr_expect(eq(u32, SPLIT(v), 2));
	cr_expect(eq(int, kiln__split_public(q), 1));

	/* Half of the rest, rounded up: at least one task each time. */
	cr_assert(eq(int, kiln__split_share(q), 1));
	cr_expect(eq(sz, split_index(q), 3));
	cr_assert(eq(int, kiln__split_share(q), 1));
	cr_expect(eq(sz, split_index(q), 4));
	cr_expect(eq(u32, SPLIT(atomic_load(&q->ts)), 4));
	cr_expect(eq(int, kiln__split_share(q), 0));
	cr_expect(eq(sz, split_index(q), 4));
}

Test(split, steal_takes_oldest)
{
	kiln_task t[4];
	struct probe p = { 0 };
	int i, busy;

	push_probes(t, 4, &p);
	while (kiln__split_share(q))
		;
	for (i = 0; i < 4; i++) {
		cr_expect(eq(ptr, steal(q, &busy), &t[i]));
		cr_expect(eq(int, busy, 0));
	}
	cr_expect(eq(u32, q->fast.movesplit, 0));
	cr_expect(eq(ptr, steal(q, &busy), NULL));
	cr_expect(eq(int, busy, 0));
	/* Finding nothing public asks the owner to share. */
	cr_expect(eq(u32, q->fast.movesplit, 1));
	cr_expect(eq(int, kiln__split_public(q), 0));
}

Test(split, private_tasks_cannot_be_stolen)
{
	kiln_task t[2], *x;
	struct probe p = { 0 };
	int busy;

	push_probes(t, 2, &p);
	cr_expect(eq(ptr, steal(q, &busy), NULL));
	cr_expect(eq(int, busy, 0));
	cr_expect(eq(u32, q->fast.movesplit, 1));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[1]));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[0]));
}

Test(split, pop_takes_public_back)
{
	kiln_task t[4], *x;
	struct probe p = { 0 };
	int busy;

	push_probes(t, 4, &p);
	kiln__split_share(q);
	kiln__split_share(q);
	cr_assert(eq(sz, split_index(q), 3));      /* t0..t2 public */

	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[3]));               /* private */
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[2]));               /* public, taken back */
	/* Taking back keeps the older half of the public run public. */
	cr_expect(eq(sz, split_index(q), 1));
	cr_expect(eq(u32, SPLIT(atomic_load(&q->ts)), 1));

	cr_expect(eq(ptr, steal(q, &busy), &t[0]));
	cr_expect(eq(ptr, steal(q, &busy), NULL));  /* t1 is private again */
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[1]));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_STOLEN));
	cr_expect(eq(ptr, x, NULL));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
}

Test(split, owner_wins_the_last_task)
{
	kiln_task t, *x;
	struct probe p = { 0 };
	int busy;

	push_probes(&t, 1, &p);
	cr_assert(eq(int, kiln__split_share(q), 1));
	cr_assert(eq(int, kiln__split_public(q), 1));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t));
	cr_expect(eq(ptr, steal(q, &busy), NULL));
	cr_expect(eq(int, busy, 0));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
}

Test(split, steal_after_pop)
{
	kiln_task t[2], *x;
	struct probe p = { 0 };
	int busy;

	push_probes(t, 2, &p);
	cr_assert(eq(int, kiln__split_share(q), 1));
	cr_assert(eq(sz, split_index(q), 1));       /* t0 public */
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &t[1]));
	cr_expect(eq(ptr, steal(q, &busy), &t[0]));
	/* The owner learns that its top was stolen, and drops the slot. */
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_STOLEN));
	cr_expect(eq(ptr, x, NULL));
	cr_expect(eq(i64, kiln__split_top(q), -1));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
	cr_expect(eq(ptr, steal(q, &busy), NULL));
}

Test(split, stolen_slot_is_reused)
{
	kiln_task a, b, c, *x;
	struct probe p = { 0 };
	int busy;

	init_task(&a, &p);
	init_task(&b, &p);
	init_task(&c, &p);
	push(q, &a);
	kiln__split_share(q);
	cr_assert(eq(ptr, steal(q, &busy), &a));
	/* The thief left NULL in the slot it read. */
	cr_expect(eq(ptr, atomic_load(&q->base[0]), NULL));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_STOLEN));
	push(q, &b);
	push(q, &c);
	cr_expect(eq(ptr, atomic_load(&q->base[0]), &b));
	kiln__split_share(q);
	cr_expect(eq(ptr, steal(q, &busy), &b));
	cr_assert(eq(int, kiln__split_pop(q, &x), KILN__POP_TASK));
	cr_expect(eq(ptr, x, &c));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_STOLEN));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
}

Test(split, find)
{
	kiln_task t[3], other;
	struct probe p = { 0 };
	int i, busy;

	init_task(&other, &p);
	push_probes(t, 3, &p);
	for (i = 0; i < 3; i++)
		cr_expect(eq(i64, kiln__split_find(q, &t[i]), i));
	cr_expect(eq(i64, kiln__split_find(q, &other), -1));
	kiln__split_share(q);
	cr_assert(eq(ptr, steal(q, &busy), &t[0]));
	/* A stolen task is no longer ours to find. */
	cr_expect(eq(i64, kiln__split_find(q, &t[0]), -1));
	cr_expect(eq(i64, kiln__split_find(q, &t[1]), 1));
	cr_expect(eq(i64, kiln__split_find(q, &t[2]), 2));
}

/* From here on the public inline API, with fw as the current worker. */

Test(split, api_spawn_defers_and_sync_is_lifo)
{
	kiln_task t[3];
	struct probe p[3] = { 0 };
	int i;

	kiln__self = &q->fast;
	for (i = 0; i < 3; i++)
		kiln_spawn(&t[i], run_probe, &p[i]);
	for (i = 0; i < 3; i++)
		cr_expect(eq(int, p[i].runs, 0), "spawn ran task %d at once", i);
	cr_expect(eq(i64, kiln__split_top(q), 2));
	cr_expect(eq(u64, q->fast.spawns, 3));
	for (i = 2; i >= 0; i--) {
		kiln_sync(&t[i]);
		cr_expect(eq(int, p[i].runs, 1));
		cr_expect(eq(i64, kiln__split_top(q), i - 1));
	}
}

Test(split, api_sync_out_of_order)
{
	kiln_task a, b, c;
	struct probe pa = { 0 }, pb = { 0 }, pc = { 0 };

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	kiln_spawn(&b, run_probe, &pb);
	kiln_spawn(&c, run_probe, &pc);
	/* Syncing the oldest runs the newer ones first, marking them done. */
	kiln_sync(&a);
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(int, pc.runs, 1));
	cr_expect(eq(u64, __atomic_load_n(&b.kiln__state, __ATOMIC_ACQUIRE),
	    KILN__DONE));
	cr_expect(eq(u64, __atomic_load_n(&c.kiln__state, __ATOMIC_ACQUIRE),
	    KILN__DONE));
	cr_expect(eq(i64, kiln__split_top(q), -1));
	kiln_sync(&c);
	kiln_sync(&b);
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(int, pc.runs, 1));
}

Test(split, api_sync_middle_first)
{
	kiln_task t[4];
	struct probe p[4] = { 0 };
	int i;

	kiln__self = &q->fast;
	for (i = 0; i < 4; i++)
		kiln_spawn(&t[i], run_probe, &p[i]);
	kiln_sync(&t[1]);
	cr_expect(eq(int, p[0].runs, 0));
	for (i = 1; i < 4; i++)
		cr_expect(eq(int, p[i].runs, 1));
	cr_expect(eq(i64, kiln__split_top(q), 0));
	kiln_sync(&t[3]);
	kiln_sync(&t[0]);
	kiln_sync(&t[2]);
	for (i = 0; i < 4; i++)
		cr_expect(eq(int, p[i].runs, 1), "task %d ran %d times", i,
		    p[i].runs);
}

Test(split, api_spawn_shares_when_asked)
{
	kiln_task a, b;
	struct probe pa = { 0 }, pb = { 0 };
	int busy;

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	cr_expect(eq(ptr, steal(q, &busy), NULL));  /* raises movesplit */
	cr_assert(eq(u32, q->fast.movesplit, 1));
	kiln_spawn(&b, run_probe, &pb);              /* shares a */
	cr_expect(eq(u32, q->fast.movesplit, 0));
	cr_expect(eq(int, kiln__split_public(q), 1));
	cr_expect(eq(sz, split_index(q), 1));
	kiln_sync(&b);
	kiln_sync(&a);                               /* taken back */
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(int, kiln__split_public(q), 0));
	cr_expect(eq(i64, kiln__split_top(q), -1));
}

/* A thief on another thread: steal one task, run it, mark it done. */
static void *thief_main(void *arg)
{
	kiln_task *t;
	int busy;

	do
		t = kiln__split_steal(arg, &busy);
	while (!t && busy);
	if (t) {
		t->kiln__fn(t->kiln__arg);
		__atomic_store_n(&t->kiln__state, KILN__DONE, __ATOMIC_RELEASE);
	}
	return t;
}

Test(split, api_sync_of_stolen_task)
{
	kiln_task a, b, *x;
	struct probe pa = { 0 }, pb = { 0 };
	pthread_t th;
	void *got;
	int busy;

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	cr_expect(eq(ptr, steal(q, &busy), NULL));
	kiln_spawn(&b, run_probe, &pb);
	cr_assert(eq(int, pthread_create(&th, NULL, thief_main, q), 0));
	pthread_join(th, &got);
	cr_assert(eq(ptr, got, &a));
	cr_assert(eq(int, pa.runs, 1));
	kiln_sync(&b);
	/* a is done elsewhere: kiln_sync must return without running it. */
	kiln_sync(&a);
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 1));
	/* Its slot is dropped at the next pop. */
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_STOLEN));
	cr_expect(eq(int, kiln__split_pop(q, &x), KILN__POP_EMPTY));
}

Test(split, api_full_deque_runs_at_once)
{
	struct kiln__worker *small = fake_worker(4);
	kiln_task t[6];
	struct probe p[6] = { 0 };
	int i;

	kiln__self = &small->sq.fast;
	for (i = 0; i < 6; i++)
		kiln_spawn(&t[i], run_probe, &p[i]);
	for (i = 0; i < 4; i++)
		cr_expect(eq(int, p[i].runs, 0));
	for (i = 4; i < 6; i++)
		cr_expect(eq(int, p[i].runs, 1), "task %d: deque full, so it "
		    "should have run in kiln_spawn", i);
	for (i = 5; i >= 0; i--)
		kiln_sync(&t[i]);
	for (i = 0; i < 6; i++)
		cr_expect(eq(int, p[i].runs, 1), "task %d ran %d times", i,
		    p[i].runs);
	kiln__self = saved_self;
	free_worker(small);
}

/*
 * struct kiln_stats.spawns is documented as "kiln_spawn calls (and their
 * typed forms)"; a kiln_spawn that finds the deque full is still one.
 */
Test(split, api_spawns_counts_every_spawn)
{
	struct kiln__worker *small = fake_worker(4);
	kiln_task t[6];
	struct probe p[6] = { 0 };
	int i;

	kiln__self = &small->sq.fast;
	for (i = 0; i < 6; i++)
		kiln_spawn(&t[i], run_probe, &p[i]);
	for (i = 5; i >= 0; i--)
		kiln_sync(&t[i]);
	kiln__self = saved_self;
	cr_expect(eq(u64, small->sq.fast.spawns, 6),
	    "the 2 spawns that ran at once (deque full) were not counted");
	free_worker(small);
}
