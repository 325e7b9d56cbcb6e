/*
 * The split task deque (lib/split.c) and the inline fast paths of kiln.h
 * that drive it: records are pushed and popped LIFO, kiln__split_share
 * moves the split up (publishing the older half), thieves take the oldest
 * public record and run it in place, the owner takes public records back or
 * learns that they were taken, syncs out of order leave holes that thieves
 * skip and the owner pops later, a parking fiber's tasks move to its
 * worker's orphans, and a full deque runs tasks at once.
 *
 * Tests either drive a bare deque, pushing records exactly as the inline
 * code does, or make a deque current (kiln__self) and call kiln_spawn,
 * kiln_sync and the typed forms themselves.  No pool and no fiber is
 * involved: the deque has no worker, so a sync that must wait polls; no
 * test makes a sync wait for a task that no thread will finish.
 */
#include "config.h"

#define KILN_STATS 1

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

static struct kiln__split *q;           /* a fiber's deque */
static struct kiln__split *orphans;     /* a worker's orphans */
static struct kiln__wfast *saved_self;

static void setup(void)
{
	cr_assert(eq(int, kiln__split_create(&q, 0), 0));
	cr_assert(eq(int, kiln__split_create(&orphans, 1), 0));
	saved_self = kiln__self;
}

static void teardown(void)
{
	kiln__self = saved_self;
	kiln__split_destroy(q);
	kiln__split_destroy(orphans);
}

TestSuite(split, .init = setup, .fini = teardown, .timeout = 60);

/* What a task did: how often it ran. */
struct probe {
	int runs;
};

static void run_probe(void *p)
{
	((struct probe *)p)->runs++;
}

static struct kiln__slot *slot_at(struct kiln__split *d, size_t i)
{
	return &d->base[i];
}

/* Push a kiln_spawn record for p, as kiln_spawn's fast path does. */
static struct kiln__slot *push(struct kiln__split *d, struct probe *p)
{
	struct kiln__slot *s = d->fast.tail;
	struct kiln__task_rec *r = (struct kiln__task_rec *)(void *)s;

	cr_assert(s != d->fast.end);
	r->kiln__fn = run_probe;
	r->kiln__arg = p;
	__atomic_store_n(&s->kiln__w[0], (uintptr_t)KILN__RUN_PLAIN |
	    KILN__REC, __ATOMIC_RELAXED);
	d->fast.tail = s + 1;
	return s;
}

static uintptr_t w0(struct kiln__split *d, size_t i)
{
	return __atomic_load_n(&slot_at(d, i)->kiln__w[0], __ATOMIC_ACQUIRE);
}

static size_t split_index(const struct kiln__split *d)
{
	return kiln__split_index(d, d->fast.split);
}

static size_t tail_index(const struct kiln__split *d)
{
	return kiln__split_index(d, d->fast.tail);
}

/* Steal, and on success run the task and finish it, as a thief does. */
static int steal_run(struct kiln__split *d, int *busy)
{
	struct kiln__taken t;

	if (!kiln__split_steal(d, &t, busy))
		return 0;
	t.fn(t.arg);
	__atomic_exchange_n(t.state, KILN__DONE, __ATOMIC_ACQ_REL);
	return 1;
}

Test(split, starts_empty)
{
	struct kiln__taken t;
	int busy;

	cr_expect(eq(int, kiln__split_pop(orphans, &t), KILN__POP_EMPTY));
	cr_expect(eq(int, kiln__split_public(q), 0));
	cr_expect(eq(int, kiln__split_share(q), 0));
	cr_expect(eq(int, kiln__split_steal(q, &t, &busy), 0));
	cr_expect(eq(int, busy, 0));
	cr_expect(eq(sz, q->cap, (KILN__DEQUE_BYTES - 4096) / 64));
	/* The deque is its region: its end is the region's end. */
	cr_expect(eq(ptr, (void *)KILN__DEQUE_OF(q->base), (void *)q));
	cr_expect(eq(ptr, (void *)q->fast.end,
	    (void *)((char *)q + KILN__DEQUE_BYTES)));
}

Test(split, share_moves_split_by_half)
{
	struct probe p = { 0 };
	uint64_t v;
	int i;

	for (i = 0; i < 4; i++)
		push(q, &p);
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
	cr_expect(eq(int, kiln__split_share(q), 0));
}

Test(split, steal_takes_oldest_and_runs_it_in_place)
{
	struct probe p[4] = { 0 };
	struct kiln__taken t;
	int i, busy;

	for (i = 0; i < 4; i++)
		push(q, &p[i]);
	while (kiln__split_share(q))
		;
	for (i = 0; i < 4; i++) {
		cr_assert(eq(int, kiln__split_steal(q, &t, &busy), 1));
		cr_expect(eq(ptr, t.arg, (void *)slot_at(q, i)));
		cr_expect(eq(ptr, (void *)t.state,
		    (void *)&slot_at(q, i)->kiln__w[1]));
		/* The thief wrote the state, then released the slot. */
		cr_expect(eq(u64, *t.state, 0));
		cr_expect(eq(u64, w0(q, i), KILN__W_STOLEN));
		t.fn(t.arg);
		cr_expect(eq(int, p[i].runs, 1));
	}
	cr_expect(eq(u32, q->fast.movesplit, 0));
	cr_expect(eq(int, kiln__split_steal(q, &t, &busy), 0));
	cr_expect(eq(int, busy, 0));
	/* Finding nothing public asks the owner to share. */
	cr_expect(eq(u32, q->fast.movesplit, 1));
}

Test(split, private_tasks_cannot_be_stolen)
{
	struct probe p = { 0 };
	int busy;

	push(q, &p);
	push(q, &p);
	cr_expect(eq(int, steal_run(q, &busy), 0));
	cr_expect(eq(int, busy, 0));
	cr_expect(eq(u32, q->fast.movesplit, 1));
	cr_expect(eq(int, p.runs, 0));
}

Test(split, take_gets_a_public_task_back)
{
	struct probe p[4] = { 0 };
	int i, busy;

	for (i = 0; i < 4; i++)
		push(q, &p[i]);
	kiln__split_share(q);
	kiln__split_share(q);
	cr_assert(eq(sz, split_index(q), 3));      /* 0..2 public */
	cr_expect(eq(int, kiln__split_take(q, 3), 1));  /* private */
	cr_expect(eq(int, kiln__split_take(q, 1), 1));
	/* Taking back lowers the split to the slot taken. */
	cr_expect(eq(sz, split_index(q), 1));
	cr_expect(eq(u32, SPLIT(atomic_load(&q->ts)), 1));
	cr_expect(eq(int, steal_run(q, &busy), 1));
	cr_expect(eq(int, p[0].runs, 1));
	cr_expect(eq(int, steal_run(q, &busy), 0)); /* 1 is private again */
	/* A stolen slot cannot be taken back. */
	cr_expect(eq(int, kiln__split_take(q, 0), 0));
}

Test(split, thieves_skip_holes)
{
	struct probe p[3] = { 0 };
	int busy;

	push(q, &p[0]);
	push(q, &p[1]);
	push(q, &p[2]);
	/* The middle one was synced out of order. */
	__atomic_store_n(&slot_at(q, 1)->kiln__w[0], KILN__W_HOLE,
	    __ATOMIC_RELAXED);
	while (kiln__split_share(q))
		;
	cr_expect(eq(int, steal_run(q, &busy), 1));
	cr_expect(eq(int, steal_run(q, &busy), 0));
	cr_expect(eq(int, busy, 1), "a hole is worth a retry");
	/* The thief released the hole it took. */
	cr_expect(eq(u64, w0(q, 1), KILN__W_FREE));
	cr_expect(eq(int, steal_run(q, &busy), 1));
	cr_expect(eq(int, p[0].runs, 1));
	cr_expect(eq(int, p[1].runs, 0));
	cr_expect(eq(int, p[2].runs, 1));
}

Test(split, drop_dead_pops_holes_not_tasks)
{
	struct probe p = { 0 };
	int busy;

	push(q, &p);
	push(q, &p);
	push(q, &p);
	__atomic_store_n(&slot_at(q, 2)->kiln__w[0], KILN__W_HOLE,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&slot_at(q, 1)->kiln__w[0], KILN__W_HOLE,
	    __ATOMIC_RELAXED);
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 1));
	/* A task stolen and running in place keeps its slot. */
	kiln__split_share(q);
	cr_assert(eq(int, steal_run(q, &busy), 1));
	__atomic_store_n(&slot_at(q, 0)->kiln__w[0], KILN__W_STOLEN,
	    __ATOMIC_RELAXED);
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 1));
	/* Once its parent synced it, the slot is free. */
	__atomic_store_n(&slot_at(q, 0)->kiln__w[0], KILN__W_FREE,
	    __ATOMIC_RELAXED);
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 0));
	cr_expect(eq(u64, atomic_load(&q->ts), 0));
}

Test(split, settle_takes_back_dead_public_slots)
{
	struct probe p = { 0 };
	size_t i;

	/* A caller's task at 0; a callee left holes at 1..3, shared. */
	push(q, &p);
	for (i = 1; i < 4; i++) {
		push(q, &p);
		__atomic_store_n(&slot_at(q, i)->kiln__w[0], KILN__W_HOLE,
		    __ATOMIC_RELAXED);
	}
	while (kiln__split_share(q))
		;
	cr_assert(eq(sz, split_index(q), 4));
	kiln__split_settle(q, slot_at(q, 1));
	cr_expect(eq(sz, tail_index(q), 1));
	cr_expect(eq(sz, split_index(q), 1));
	cr_expect(eq(u32, SPLIT(atomic_load(&q->ts)), 1));
	cr_expect(eq(u32, HEAD(atomic_load(&q->ts)), 0));
}

Test(split, settle_after_thieves_took_the_dead_slots)
{
	struct probe p = { 0 };
	int busy;

	push(q, &p);
	push(q, &p);
	__atomic_store_n(&slot_at(q, 1)->kiln__w[0], KILN__W_HOLE,
	    __ATOMIC_RELAXED);
	while (kiln__split_share(q))
		;
	cr_assert(eq(int, steal_run(q, &busy), 1));   /* the task at 0 */
	cr_assert(eq(int, steal_run(q, &busy), 0));   /* the hole at 1 */
	cr_assert(eq(u32, HEAD(atomic_load(&q->ts)), 2));
	kiln__split_settle(q, slot_at(q, 1));
	cr_expect(eq(sz, tail_index(q), 1));
	cr_expect(eq(u64, atomic_load(&q->ts), (uint64_t)1 | (uint64_t)1 << 32));
}

Test(split, evacuate_moves_pending_tasks_to_the_orphans)
{
	struct probe p[4] = { 0 };
	struct kiln__taken t;
	int i, busy;

	for (i = 0; i < 4; i++)
		push(q, &p[i]);
	__atomic_store_n(&slot_at(q, 2)->kiln__w[0], KILN__W_HOLE,
	    __ATOMIC_RELAXED);
	kiln__split_share(q);                      /* 0, 1 public */
	cr_assert(eq(int, steal_run(q, &busy), 1));  /* 0 stolen */
	cr_expect(eq(sz, kiln__split_evacuate(q, orphans), 2));
	/* Nothing is left to steal from the parked fiber's deque... */
	cr_expect(eq(u32, HEAD(atomic_load(&q->ts)), 4));
	cr_expect(eq(int, kiln__split_public(q), 0));
	/* ...its tasks are the orphans', public, their state written. */
	cr_expect(eq(sz, tail_index(orphans), 2));
	cr_expect(eq(int, kiln__split_public(orphans), 1));
	for (i = 1; i < 4; i += 2) {
		cr_expect(eq(u64, w0(q, i) & KILN__W_TAG, KILN__W_MOVED));
		cr_expect(eq(u64, slot_at(q, i)->kiln__w[1], 0));
	}
	cr_expect(eq(u64, w0(q, 2), KILN__W_FREE));
	/* A thief takes the oldest orphan, the owner pops the newest. */
	cr_assert(eq(int, kiln__split_steal(orphans, &t, &busy), 1));
	cr_expect(eq(ptr, t.arg, (void *)slot_at(q, 1)));
	t.fn(t.arg);
	cr_assert(eq(int, kiln__split_pop(orphans, &t), KILN__POP_TASK));
	cr_expect(eq(ptr, t.arg, (void *)slot_at(q, 3)));
	t.fn(t.arg);
	cr_expect(eq(int, kiln__split_pop(orphans, &t), KILN__POP_STOLEN));
	cr_expect(eq(int, kiln__split_pop(orphans, &t), KILN__POP_EMPTY));
	for (i = 0; i < 4; i++)
		cr_expect(eq(int, p[i].runs, i == 2 ? 0 : 1));
}

/* From here on the public inline API, with q as the current deque. */

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
	cr_expect(eq(sz, tail_index(q), 3));
	cr_expect(eq(u64, q->fast.spawns, 3));
	for (i = 2; i >= 0; i--) {
		kiln_sync(&t[i]);
		cr_expect(eq(int, p[i].runs, 1));
		cr_expect(eq(sz, tail_index(q), (size_t)i));
	}
}

Test(split, api_sync_out_of_order_leaves_holes)
{
	kiln_task a, b, c;
	struct probe pa = { 0 }, pb = { 0 }, pc = { 0 };

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	kiln_spawn(&b, run_probe, &pb);
	kiln_spawn(&c, run_probe, &pc);
	/* Syncing the oldest runs it alone, out of the middle. */
	kiln_sync(&a);
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 0));
	cr_expect(eq(int, pc.runs, 0));
	cr_expect(eq(u64, w0(q, 0), KILN__W_HOLE));
	cr_expect(eq(sz, tail_index(q), 3));
	kiln_sync(&c);
	kiln_sync(&b);
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(int, pc.runs, 1));
	/* The hole stays until something pops it. */
	cr_expect(eq(sz, tail_index(q), 1));
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 0));
}

/* Every order of syncing four tasks. */
Test(split, api_sync_in_every_order)
{
	int order[4] = { 0, 1, 2, 3 }, n = 0;

	kiln__self = &q->fast;
	for (;;) {
		kiln_task t[4];
		struct probe p[4] = { 0 };
		int i, j, k, tmp;

		for (i = 0; i < 4; i++)
			kiln_spawn(&t[i], run_probe, &p[i]);
		for (i = 0; i < 4; i++)
			kiln_sync(&t[order[i]]);
		for (i = 0; i < 4; i++)
			cr_expect(eq(int, p[i].runs, 1), "order %d%d%d%d: "
			    "task %d ran %d times", order[0], order[1],
			    order[2], order[3], i, p[i].runs);
		kiln__split_drop_dead(q);
		cr_expect(eq(sz, tail_index(q), 0));
		n++;
		/* Next permutation. */
		for (i = 2; i >= 0 && order[i] >= order[i + 1]; i--)
			;
		if (i < 0)
			break;
		for (j = 3; order[j] <= order[i]; j--)
			;
		tmp = order[i], order[i] = order[j], order[j] = tmp;
		for (j = i + 1, k = 3; j < k; j++, k--)
			tmp = order[j], order[j] = order[k], order[k] = tmp;
	}
	cr_expect(eq(int, n, 24));
}

Test(split, api_spawn_shares_when_asked)
{
	kiln_task a, b;
	struct probe pa = { 0 }, pb = { 0 };
	int busy;

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	cr_expect(eq(int, steal_run(q, &busy), 0));  /* raises movesplit */
	cr_assert(eq(u32, q->fast.movesplit, 1));
	kiln_spawn(&b, run_probe, &pb);               /* shares a */
	cr_expect(eq(u32, q->fast.movesplit, 0));
	cr_expect(eq(int, kiln__split_public(q), 1));
	cr_expect(eq(sz, split_index(q), 1));
	kiln_sync(&b);
	kiln_sync(&a);                                /* taken back */
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(int, kiln__split_public(q), 0));
	cr_expect(eq(sz, tail_index(q), 0));
}

/* A thief on another thread: steal one task, run it, finish it. */
static void *thief_main(void *arg)
{
	int busy, got;

	do
		got = steal_run(arg, &busy);
	while (!got && busy);
	return (void *)(intptr_t)got;
}

Test(split, api_sync_of_stolen_task)
{
	kiln_task a, b;
	struct probe pa = { 0 }, pb = { 0 };
	pthread_t th;
	void *got;
	int busy;

	kiln__self = &q->fast;
	kiln_spawn(&a, run_probe, &pa);
	cr_expect(eq(int, steal_run(q, &busy), 0));
	kiln_spawn(&b, run_probe, &pb);
	cr_assert(eq(int, pthread_create(&th, NULL, thief_main, q), 0));
	pthread_join(th, &got);
	cr_assert(eq(int, (int)(intptr_t)got, 1));
	cr_assert(eq(int, pa.runs, 1));
	kiln_sync(&b);
	/* a is done elsewhere: kiln_sync must return without running it,
	 * and free its slot. */
	kiln_sync(&a);
	cr_expect(eq(int, pa.runs, 1));
	cr_expect(eq(int, pb.runs, 1));
	cr_expect(eq(sz, tail_index(q), 0));
}

static uint64_t twice(uint64_t x)
{
	return 2 * x;
}

KILN_TASK(tw, uint64_t, twice, uint64_t);

static uint64_t ctwice(kiln_ctx c, uint64_t x)
{
	(void)c;
	return 2 * x;
}

KILN_CTX_TASK(ctw, uint64_t, ctwice, uint64_t);

Test(split, api_typed_tasks_keep_their_records_in_the_deque)
{
	struct tw a, b;
	struct ctw x, y;
	kiln_ctx c;

	kiln__self = &q->fast;
	tw_spawn(&a, 1);
	tw_spawn(&b, 2);
	cr_expect(eq(ptr, (void *)a.kiln__s, (void *)slot_at(q, 0)));
	cr_expect(eq(u64, ((struct tw_kiln__rec *)(void *)a.kiln__s)->kiln__a,
	    1));
	cr_expect(eq(u64, tw_sync(&a), 2));        /* out of order */
	cr_expect(eq(u64, tw_sync(&b), 4));
	c = kiln_ctx_get();
	cr_expect(eq(ptr, (void *)c, (void *)q->fast.tail));
	KILN_CTX_SPAWN(ctw, c, &x, 3);
	KILN_CTX_SPAWN(ctw, c, &y, 4);
	cr_expect(eq(ptr, (void *)c, (void *)q->fast.tail));
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &y), 8));
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &x), 6));
	cr_expect(eq(ptr, (void *)c, (void *)q->fast.tail));
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 0));
}

/*
 * A context spawn whose context is behind the deque's tail: dead slots
 * above it (a callee's holes) are taken back; live tasks above it (spawned
 * without the context) are left alone, and the task runs at once.
 */
Test(split, api_context_behind_the_tail)
{
	struct ctw x, y, z;
	kiln_task t;
	struct probe p = { 0 };
	kiln_ctx c, old;

	kiln__self = &q->fast;
	c = kiln_ctx_get();
	KILN_CTX_SPAWN(ctw, c, &x, 1);
	old = c;
	/* A callee's out-of-order syncs left holes at 1 and 2. */
	KILN_CTX_SPAWN(ctw, c, &y, 2);
	KILN_CTX_SPAWN(ctw, c, &z, 3);
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &y), 4));   /* out of order */
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &z), 6));
	kiln__split_share(q);                           /* holes public */
	cr_assert(eq(sz, tail_index(q), 2));
	c = old;
	KILN_CTX_SPAWN(ctw, c, &y, 4);                      /* settles, pushes */
	cr_expect(eq(ptr, (void *)y.kiln__s, (void *)slot_at(q, 1)));
	cr_expect(eq(sz, tail_index(q), 2));
	cr_expect(le(sz, split_index(q), 1));
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &y), 8));
	/* Now a kiln_spawn above the context: the next context spawn must
	 * not write over it. */
	kiln_spawn(&t, run_probe, &p);
	cr_assert(eq(sz, tail_index(q), 2));
	KILN_CTX_SPAWN(ctw, c, &z, 5);
	cr_expect(eq(int, KILN__RAN(z.kiln__s), 1), "ran at once");
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &z), 10));
	kiln_sync(&t);
	cr_expect(eq(int, p.runs, 1));
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &x), 2));
	kiln__split_drop_dead(q);
	cr_expect(eq(sz, tail_index(q), 0));
}

/* The deque holds cap tasks: one more of each kind runs at once. */
Test(split, api_full_deque_runs_at_once)
{
	size_t n = q->cap, i;
	kiln_task *t = calloc(n, sizeof(*t)), extra;
	struct probe p = { 0 }, pe = { 0 };
	struct tw ta;
	struct ctw tc;
	kiln_ctx c;

	cr_assert(not(eq(ptr, t, NULL)));
	kiln__self = &q->fast;
	for (i = 0; i < n; i++)
		kiln_spawn(&t[i], run_probe, &p);
	cr_expect(eq(int, p.runs, 0));
	kiln_spawn(&extra, run_probe, &pe);
	cr_expect(eq(int, pe.runs, 1), "deque full: runs in kiln_spawn");
	tw_spawn(&ta, 5);
	cr_expect(eq(int, KILN__RAN(ta.kiln__s), 1));
	c = kiln_ctx_get();
	KILN_CTX_SPAWN(ctw, c, &tc, 6);
	cr_expect(eq(int, KILN__RAN(tc.kiln__s), 1));
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &tc), 12));
	cr_expect(eq(u64, tw_sync(&ta), 10));
	kiln_sync(&extra);
	cr_expect(eq(int, pe.runs, 1));
	for (i = n; i-- > 0;)
		kiln_sync(&t[i]);
	cr_expect(eq(int, p.runs, (int)n));
	cr_expect(eq(sz, tail_index(q), 0));
	free(t);
}

/* Outside a pool every spawn runs its task at once. */
Test(split, api_outside_a_pool)
{
	kiln_task t;
	struct probe p = { 0 };
	struct tw ta;
	struct ctw tc;
	kiln_ctx c = kiln_ctx_get();

	kiln_spawn(&t, run_probe, &p);
	cr_expect(eq(int, p.runs, 1));
	kiln_sync(&t);
	cr_expect(eq(int, p.runs, 1));
	tw_spawn(&ta, 7);
	cr_expect(eq(u64, tw_sync(&ta), 14));
	KILN_CTX_SPAWN(ctw, c, &tc, 8);
	cr_expect(eq(u64, KILN_CTX_SYNC(ctw, c, &tc), 16));
}

/* KILN_STATS counts every task pushed (this file defines it). */
Test(split, api_spawns_counted_with_kiln_stats)
{
	kiln_task t[3];
	struct probe p = { 0 };
	struct tw ta;
	struct ctw tc;
	kiln_ctx c;
	int i;

	kiln__self = &q->fast;
	for (i = 0; i < 3; i++)
		kiln_spawn(&t[i], run_probe, &p);
	tw_spawn(&ta, 1);
	c = kiln_ctx_get();
	KILN_CTX_SPAWN(ctw, c, &tc, 1);
	(void)KILN_CTX_SYNC(ctw, c, &tc);
	(void)tw_sync(&ta);
	for (i = 3; i-- > 0;)
		kiln_sync(&t[i]);
	cr_expect(eq(u64, q->fast.spawns, 5));
}
