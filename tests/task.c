/*
 * The task API through <kiln.h> only, as users get it: kiln_spawn and
 * kiln_sync in every order, typed tasks, kiln_join, kiln_parallel_for,
 * kiln_go and pool destruction, kiln_yield, kiln_run (from many threads,
 * and from inside a task), the calls outside any pool, kiln_worker_id and
 * kiln_pool_stats.
 *
 * Assertions run on the test's own thread: code running in tasks records
 * what it saw, and the test checks it after kiln_run returns.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

TestSuite(task, .init = setup, .fini = teardown, .timeout = 60);

/* Fibonacci with plain kiln_spawn and kiln_sync. */
struct ufib {
	unsigned int n;
	uint64_t r;
};

static void ufib(void *p)
{
	struct ufib *f = p, a = { f->n - 1, 0 }, b = { f->n - 2, 0 };
	kiln_task t;

	if (f->n < 2) {
		f->r = f->n;
		return;
	}
	kiln_spawn(&t, ufib, &a);
	ufib(&b);
	kiln_sync(&t);
	f->r = a.r + b.r;
}

/* A child that does real work (so that thieves take some) and counts. */
struct child {
	unsigned int n;
	uint64_t r;
	atomic_int runs;
};

static void child_run(void *p)
{
	struct child *c = p;

	c->r = pfib(c->n);
	atomic_fetch_add_explicit(&c->runs, 1, memory_order_relaxed);
}

static void check_child(struct child *c, const char *what)
{
	cr_expect(eq(int, ld(&c->runs), 1), "%s: child ran %d times",
	    what, ld(&c->runs));
	cr_expect(eq(u64, c->r, fib_ref(c->n)), "%s: child fib(%u)", what,
	    c->n);
}

struct three {
	struct child c[3];
};

static void spawn_three_lifo(void *p)
{
	struct three *s = p;
	kiln_task t[3];
	int i;

	for (i = 0; i < 3; i++)
		kiln_spawn(&t[i], child_run, &s->c[i]);
	kiln_sync(&t[2]);
	kiln_sync(&t[1]);
	kiln_sync(&t[0]);
}

Test(task, spawn_sync_lifo)
{
	struct three s = { { { 18, 0, 0 }, { 17, 0, 0 }, { 16, 0, 0 } } };
	int i;

	run_on(pool, spawn_three_lifo, &s);
	for (i = 0; i < 3; i++)
		check_child(&s.c[i], "lifo");
}

/* Every order of syncing four children, each order run a few times. */
struct perm {
	int order[4];
	struct child c[4];
};

static void spawn_four_sync_in_order(void *p)
{
	struct perm *s = p;
	kiln_task t[4];
	int i;

	for (i = 0; i < 4; i++)
		kiln_spawn(&t[i], child_run, &s->c[i]);
	for (i = 0; i < 4; i++)
		kiln_sync(&t[s->order[i]]);
}

static int next_perm(int *a, int n)
{
	int i = n - 2, j, tmp;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return 0;
	j = n - 1;
	while (a[j] <= a[i])
		j--;
	tmp = a[i], a[i] = a[j], a[j] = tmp;
	for (i++, j = n - 1; i < j; i++, j--)
		tmp = a[i], a[i] = a[j], a[j] = tmp;
	return 1;
}

Test(task, sync_in_any_order)
{
	int order[4] = { 0, 1, 2, 3 }, orders = 0, rep, i;
	char what[64];

	do {
		for (rep = 0; rep < 3; rep++) {
			struct perm s;

			memset(&s, 0, sizeof(s));
			memcpy(s.order, order, sizeof(order));
			for (i = 0; i < 4; i++)
				s.c[i].n = 12 + (unsigned int)i;
			run_on(pool, spawn_four_sync_in_order, &s);
			snprintf(what, sizeof(what), "order %d%d%d%d",
			    order[0], order[1], order[2], order[3]);
			for (i = 0; i < 4; i++)
				check_child(&s.c[i], what);
		}
		orders++;
	} while (next_perm(order, 4));
	cr_expect(eq(int, orders, 24));
}

/* Many children spawned in a loop, then synced in a given order. */
#define MANY 2000

struct many;

struct many_arg {
	struct many *m;
	unsigned int i;
};

struct many {
	int how;               /* 0 oldest first, 1 newest first, 2 shuffled */
	kiln_task t[MANY];
	struct many_arg arg[MANY];
	atomic_int runs[MANY];
	atomic_uint_fast64_t sum;
};

static void many_child(void *p)
{
	struct many_arg *a = p;
	volatile unsigned int spin;

	for (spin = 0; spin < 200; spin++)
		;
	atomic_fetch_add_explicit(&a->m->runs[a->i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&a->m->sum, a->i, memory_order_relaxed);
}

static void many_root(void *p)
{
	struct many *m = p;
	unsigned int order[MANY], i, j, tmp;
	uint64_t rng = 88172645463325252ull;

	for (i = 0; i < MANY; i++) {
		m->arg[i] = (struct many_arg){ m, i };
		kiln_spawn(&m->t[i], many_child, &m->arg[i]);
	}
	for (i = 0; i < MANY; i++)
		order[i] = m->how == 1 ? MANY - 1 - i : i;
	if (m->how == 2) {
		for (i = MANY - 1; i > 0; i--) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			j = (unsigned int)(rng % (i + 1));
			tmp = order[i], order[i] = order[j], order[j] = tmp;
		}
	}
	for (i = 0; i < MANY; i++)
		kiln_sync(&m->t[order[i]]);
}

static void many_children(int how)
{
	struct many *m = calloc(1, sizeof(*m));
	unsigned int i;

	cr_assert(not(eq(ptr, m, NULL)));
	m->how = how;
	run_on(pool, many_root, m);
	for (i = 0; i < MANY; i++)
		cr_assert(eq(int, ld(&m->runs[i]), 1),
		    "sync order %d: child %u ran %d times", how, i,
		    ld(&m->runs[i]));
	cr_expect(eq(u64, atomic_load(&m->sum),
	    (uint64_t)MANY * (MANY - 1) / 2));
	free(m);
}

Test(task, many_children_oldest_first)
{
	many_children(0);
}

Test(task, many_children_newest_first)
{
	many_children(1);
}

Test(task, many_children_shuffled)
{
	many_children(2);
}

/* Typed tasks. */
struct fibrun {
	unsigned int n;
	uint64_t typed, untyped;
};

static void fib_root(void *p)
{
	struct fibrun *f = p;
	struct ufib u = { f->n, 0 };

	f->typed = pfib(f->n);
	ufib(&u);
	f->untyped = u.r;
}

Test(task, typed_and_untyped_fib)
{
	struct fibrun f = { 22, 0, 0 };

	run_on(pool, fib_root, &f);
	cr_expect(eq(u64, f.typed, fib_ref(22)));
	cr_expect(eq(u64, f.untyped, fib_ref(22)));
}

/* KILN_TASK_VOID: count the nodes of a complete binary tree. */
struct tnode {
	unsigned int depth;
	atomic_ulong *count;
};

static void tree(struct tnode n);
KILN_TASK_VOID(tree_task, tree, struct tnode);

static void tree(struct tnode n)
{
	struct tree_task left;
	struct tnode c = { n.depth - 1, n.count };

	atomic_fetch_add_explicit(n.count, 1, memory_order_relaxed);
	if (n.depth == 0)
		return;
	tree_task_spawn(&left, c);
	tree(c);
	tree_task_sync(&left);
}

static void tree_root(void *p)
{
	tree(*(struct tnode *)p);
}

Test(task, typed_void_tree)
{
	atomic_ulong count = 0;
	struct tnode root = { 14, &count };

	run_on(pool, tree_root, &root);
	cr_expect(eq(ulong, atomic_load(&count), (1ul << 15) - 1));
}

/* Nested kiln_join: sum of [lo, hi) by halves, joins inside joins. */
struct range_sum {
	uint64_t lo, hi, sum;
};

static void join_sum(void *p)
{
	struct range_sum *r = p, a, b;
	uint64_t mid;

	if (r->hi - r->lo <= 4) {
		for (r->sum = 0, mid = r->lo; mid < r->hi; mid++)
			r->sum += mid;
		return;
	}
	mid = r->lo + (r->hi - r->lo) / 2;
	a = (struct range_sum){ r->lo, mid, 0 };
	b = (struct range_sum){ mid, r->hi, 0 };
	kiln_join(join_sum, &a, join_sum, &b);
	r->sum = a.sum + b.sum;
}

Test(task, nested_join)
{
	struct range_sum r = { 3, 100003, 0 };
	uint64_t want = 0, i;

	for (i = r.lo; i < r.hi; i++)
		want += i;
	run_on(pool, join_sum, &r);
	cr_expect(eq(u64, r.sum, want));
}

/* kiln_parallel_for: every index exactly once, pieces within the grain. */
struct pfor {
	size_t begin, end, grain;
	atomic_int *hits;              /* index i - begin, plus 8 either side */
	atomic_int calls, bad_piece;
};

#define PFOR_PAD 8

static void pfor_body(size_t b, size_t e, void *arg)
{
	struct pfor *f = arg;
	size_t i;

	atomic_fetch_add_explicit(&f->calls, 1, memory_order_relaxed);
	if (b >= e || b < f->begin || e > f->end ||
	    (f->grain && e - b > f->grain)) {
		atomic_fetch_add_explicit(&f->bad_piece, 1,
		    memory_order_relaxed);
		return;
	}
	for (i = b; i < e; i++)
		atomic_fetch_add_explicit(&f->hits[i - f->begin + PFOR_PAD], 1,
		    memory_order_relaxed);
}

static void pfor_root(void *p)
{
	struct pfor *f = p;

	kiln_parallel_for(f->begin, f->end, f->grain, pfor_body, f);
}

static void check_pfor(kiln_pool *p, size_t begin, size_t end, size_t grain)
{
	size_t n = end > begin ? end - begin : 0, i;
	struct pfor f = { begin, end, grain, NULL, 0, 0 };

	f.hits = calloc(n + 2 * PFOR_PAD, sizeof(f.hits[0]));
	cr_assert(not(eq(ptr, f.hits, NULL)));
	if (p)
		run_on(p, pfor_root, &f);
	else
		pfor_root(&f);
	cr_expect(eq(int, ld(&f.bad_piece), 0),
	    "[%zu, %zu) grain %zu: a piece was empty, outside or too long",
	    begin, end, grain);
	if (n == 0)
		cr_expect(eq(int, ld(&f.calls), 0),
		    "empty range [%zu, %zu): body called", begin, end);
	for (i = 0; i < n + 2 * PFOR_PAD; i++) {
		int want = i >= PFOR_PAD && i < n + PFOR_PAD;

		cr_assert(eq(int, ld(&f.hits[i]), want),
		    "[%zu, %zu) grain %zu: index %zd covered %d times",
		    begin, end, grain, (ssize_t)i - PFOR_PAD + (ssize_t)begin,
		    ld(&f.hits[i]));
	}
	free(f.hits);
}

Test(task, parallel_for_covers_each_index_once)
{
	static const size_t grains[] = { 0, 1, 2, 3, 7, 64, 1000, 5000 };
	static const size_t ranges[][2] = {
		{ 0, 1 }, { 0, 2 }, { 5, 6 }, { 0, 997 }, { 3, 1000 },
		{ 10, 4106 }, { 1, 1025 },
	};
	size_t g, r;

	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (g = 0; g < sizeof(grains) / sizeof(grains[0]); g++)
			check_pfor(pool, ranges[r][0], ranges[r][1], grains[g]);
}

Test(task, parallel_for_empty_ranges)
{
	check_pfor(pool, 0, 0, 0);
	check_pfor(pool, 7, 7, 1);
	check_pfor(pool, 10, 3, 0);      /* end before begin: nothing */
	check_pfor(pool, 10, 3, 2);
}

Test(task, parallel_for_near_size_max)
{
	check_pfor(pool, SIZE_MAX - 777, SIZE_MAX, 5);
	check_pfor(pool, SIZE_MAX - 777, SIZE_MAX, 0);
}

Test(task, parallel_for_many_workers)
{
	kiln_pool *p = make_pool(5);

	check_pfor(p, 0, 3001, 0);
	check_pfor(p, 0, 3001, 1);
	check_pfor(p, 17, 1234, 10);
	kiln_pool_destroy(p);
}

/* Outside a pool: one call over the whole range, whatever the grain. */
static void whole_body(size_t b, size_t e, void *arg)
{
	size_t *got = arg;

	got[0]++;
	got[1] = b;
	got[2] = e;
}

Test(task, parallel_for_outside_pool)
{
	size_t got[3] = { 0 };

	kiln_parallel_for(4, 104, 10, whole_body, got);
	cr_expect(eq(sz, got[0], 1));
	cr_expect(eq(sz, got[1], 4));
	cr_expect(eq(sz, got[2], 104));
	got[0] = 0;
	kiln_parallel_for(4, 4, 10, whole_body, got);
	cr_expect(eq(sz, got[0], 0));
	check_pfor(NULL, 0, 100, 0);
}

/* kiln_go: detached tasks that spawn and yield; destroy waits for them. */
#define NGO 40

struct godata {
	atomic_int started, finished, bad, go_failed;
};

static void detached_leaf(void *p)
{
	struct godata *g = p;

	atomic_fetch_add_explicit(&g->started, 1, memory_order_relaxed);
	kiln_yield();
	if (pfib(12) != fib_ref(12))
		atomic_fetch_add_explicit(&g->bad, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&g->finished, 1, memory_order_release);
}

static void detached(void *p)
{
	struct godata *g = p;
	struct pfib_task t;
	uint64_t r;
	int i;

	atomic_fetch_add_explicit(&g->started, 1, memory_order_relaxed);
	pfib_task_spawn(&t, 15);
	for (i = 0; i < 3; i++)
		kiln_yield();
	r = pfib_task_sync(&t);
	if (r != fib_ref(15))
		atomic_fetch_add_explicit(&g->bad, 1, memory_order_relaxed);
	/* A detached task may start another: destroy waits for it too. */
	if (kiln_go(detached_leaf, g) != 0)
		atomic_fetch_add_explicit(&g->go_failed, 1,
		    memory_order_relaxed);
	kiln_yield();
	atomic_fetch_add_explicit(&g->finished, 1, memory_order_release);
}

static void go_root(void *p)
{
	int i;

	for (i = 0; i < NGO; i++)
		if (kiln_go(detached, p) != 0)
			atomic_fetch_add_explicit(
			    &((struct godata *)p)->go_failed, 1,
			    memory_order_relaxed);
}

Test(task, go_and_destroy_waits)
{
	struct godata g = { 0 };

	run_on(pool, go_root, &g);
	kiln_pool_destroy(pool);
	pool = NULL;
	cr_expect(eq(int, ld(&g.go_failed), 0));
	cr_expect(eq(int, ld(&g.started), 2 * NGO));
	cr_expect(eq(int, ld(&g.finished), 2 * NGO),
	    "kiln_pool_destroy returned before its detached tasks ended");
	cr_expect(eq(int, ld(&g.bad), 0));
}

Test(task, go_counted_in_stats)
{
	struct godata g = { 0 };
	struct kiln_stats s;
	int i;

	run_on(pool, go_root, &g);
	/*
	 * The counter is bumped after each detached task returns, so look
	 * until it is complete; the bound only turns a hang into a failure.
	 */
	for (i = 0; i < 20000; i++) {
		kiln_pool_stats(pool, &s);
		if (s.detached >= 2 * NGO)
			break;
		usleep(1000);
	}
	cr_expect(eq(u64, s.detached, 2 * NGO));
	cr_expect(eq(int, ld(&g.finished), 2 * NGO));
	cr_expect(eq(int, ld(&g.bad), 0));
}

static void go_errors_root(void *p)
{
	int *ret = p;

	ret[0] = kiln_go(NULL, NULL);
}

Test(task, go_errors)
{
	int ret[1] = { 1 };

	cr_expect(eq(int, kiln_go(detached_leaf, NULL), -EPERM));
	cr_expect(eq(int, kiln_go(NULL, NULL), -EINVAL));
	run_on(pool, go_errors_root, ret);
	cr_expect(eq(int, ret[0], -EINVAL));
}

/*
 * kiln_yield lets other tasks run: on one worker, two detached tasks each
 * wait for the other to start, and the root waits for both, all by
 * yielding.  Without working yields this never ends (the timeout fails it).
 */
struct pingpong {
	atomic_int a, b, done, yields;
};

static void player_a(void *p)
{
	struct pingpong *pp = p;

	atomic_store(&pp->a, 1);
	while (!atomic_load(&pp->b)) {
		atomic_fetch_add(&pp->yields, 1);
		kiln_yield();
	}
	atomic_fetch_add(&pp->done, 1);
}

static void player_b(void *p)
{
	struct pingpong *pp = p;

	atomic_store(&pp->b, 1);
	while (!atomic_load(&pp->a)) {
		atomic_fetch_add(&pp->yields, 1);
		kiln_yield();
	}
	atomic_fetch_add(&pp->done, 1);
}

static void pingpong_root(void *p)
{
	struct pingpong *pp = p;
	int r1 = kiln_go(player_a, pp), r2 = kiln_go(player_b, pp);

	if (r1 || r2)
		return;
	while (atomic_load(&pp->done) < 2) {
		atomic_fetch_add(&pp->yields, 1);
		kiln_yield();
	}
}

Test(task, yield_lets_others_run)
{
	kiln_pool *one = make_pool(1);
	struct pingpong pp = { 0 };
	struct kiln_stats s;

	run_on(one, pingpong_root, &pp);
	cr_expect(eq(int, ld(&pp.done), 2));
	kiln_pool_stats(one, &s);
	/* Every kiln_yield on a worker parks the fiber once. */
	cr_expect(ge(u64, s.suspends, (uint64_t)ld(&pp.yields)));
	cr_expect(eq(u64, s.steals, 0));
	kiln_pool_destroy(one);
}

struct yielder {
	int id_ok;
	uint64_t r;
};

static void yield_many(void *p)
{
	struct yielder *y = p;
	int i;

	y->id_ok = 1;
	for (i = 0; i < 100; i++) {
		int id;

		kiln_yield();
		id = kiln_worker_id();
		if (id < 0 || id >= 2)
			y->id_ok = 0;
	}
	y->r = pfib(16);
}

Test(task, yield_and_continue)
{
	struct yielder y = { 0, 0 };

	run_on(pool, yield_many, &y);
	cr_expect(eq(int, y.id_ok, 1));
	cr_expect(eq(u64, y.r, fib_ref(16)));
	kiln_yield();                    /* outside a pool: a no-op */
}

/* kiln_run from several threads at once on one pool. */
#define RUNNERS 4
#define RUNS 15

struct runner {
	pthread_t th;
	unsigned int n;
	int errors, ret;
};

static void runner_task(void *p)
{
	struct runner *r = p;

	if (pfib(r->n) != fib_ref(r->n))
		r->errors++;
}

static void *runner_main(void *p)
{
	struct runner *r = p;
	int i;

	for (i = 0; i < RUNS; i++) {
		int ret = kiln_run(pool, runner_task, r);

		if (ret != 0)
			r->ret = ret;
	}
	return NULL;
}

Test(task, run_from_many_threads)
{
	struct runner r[RUNNERS];
	int i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < RUNNERS; i++) {
		r[i].n = 14 + (unsigned int)i;
		cr_assert(eq(int, pthread_create(&r[i].th, NULL, runner_main,
		    &r[i]), 0));
	}
	for (i = 0; i < RUNNERS; i++) {
		pthread_join(r[i].th, NULL);
		cr_expect(eq(int, r[i].ret, 0));
		cr_expect(eq(int, r[i].errors, 0), "runner %d: wrong results",
		    i);
	}
}

/* kiln_run from inside a task of the same pool runs fn at once, inline. */
struct nested_run {
	pthread_t outer_thread, inner_thread;
	int outer_id, inner_id, ret, inner_ran, after;
};

static void inner_fn(void *p)
{
	struct nested_run *n = p;

	n->inner_thread = pthread_self();
	n->inner_id = kiln_worker_id();
	n->inner_ran = 1;
}

static void outer_fn(void *p)
{
	struct nested_run *n = p;

	n->outer_thread = pthread_self();
	n->outer_id = kiln_worker_id();
	n->ret = kiln_run(pool, inner_fn, n);
	n->after = n->inner_ran;     /* already done when kiln_run returns */
}

Test(task, run_inside_task_is_inline)
{
	struct nested_run n;

	memset(&n, 0, sizeof(n));
	n.inner_id = -2;
	run_on(pool, outer_fn, &n);
	cr_expect(eq(int, n.ret, 0));
	cr_expect(eq(int, n.after, 1));
	cr_expect(eq(int, n.inner_id, n.outer_id));
	cr_expect(pthread_equal(n.inner_thread, n.outer_thread),
	    "inner kiln_run ran on another thread");
}

/*
 * kiln_run while one worker is busy in a task that stays away from the
 * scheduler (a long serial loop, a blocking system call) and the other is
 * free (it runs a detached task that only yields, so it keeps coming back
 * to its scheduling loop, awake): the new task must not wait for the busy
 * worker.  The busy task waits, without yielding, for the new task to run;
 * after a few seconds it gives up, so that the failure is reported rather
 * than hanging.  The bound is no performance target: a working pool runs
 * the new task within microseconds.
 */
struct busy {
	atomic_int started, flag, gave_up, go_failed;
};

static void busy_yielder(void *p)
{
	struct busy *b = p;

	while (!atomic_load(&b->flag) && !atomic_load(&b->gave_up))
		kiln_yield();
}

static void busy_wait(void *p)
{
	struct busy *b = p;
	uint64_t t0 = now_ns();

	if (kiln_go(busy_yielder, b) != 0)
		atomic_store(&b->go_failed, 1);
	atomic_store(&b->started, 1);
	while (!atomic_load(&b->flag)) {
		if (now_ns() - t0 > 3000000000u) {
			atomic_store(&b->gave_up, 1);
			break;
		}
	}
}

static void busy_set_flag(void *p)
{
	atomic_store(&((struct busy *)p)->flag, 1);
}

static void *busy_thread(void *p)
{
	if (kiln_run(pool, busy_wait, p) != 0)
		atomic_store(&((struct busy *)p)->go_failed, 2);
	return NULL;
}

Test(task, run_while_another_worker_is_busy)
{
	int trial, gave_up = 0;

	for (trial = 1; trial <= 20; trial++) {
		struct busy b;
		pthread_t th;

		memset(&b, 0, sizeof(b));
		cr_assert(eq(int, pthread_create(&th, NULL, busy_thread, &b),
		    0));
		while (!atomic_load(&b.started))
			sched_yield();
		run_on(pool, busy_set_flag, &b);
		pthread_join(th, NULL);
		cr_assert(eq(int, ld(&b.go_failed), 0));
		gave_up = ld(&b.gave_up);
		if (gave_up)
			break;
	}
	cr_expect(eq(int, gave_up, 0), "trial %d: the second kiln_run waited "
	    "for the busy worker although the other one was free", trial);
}

Test(task, run_invalid)
{
	int x = 0;

	cr_expect(eq(int, kiln_run(NULL, inner_fn, &x), -EINVAL));
	cr_expect(eq(int, kiln_run(pool, NULL, &x), -EINVAL));
}

/* Outside any pool: spawn runs the task at once, sync returns. */
static void set_flag(void *p)
{
	(*(int *)p)++;
}

static void nothing(void *p)
{
	(void)p;
}

Test(task, outside_pool_runs_inline)
{
	kiln_task t, u;
	int a = 0, b = 0;
	struct pfib_task f;
	struct range_sum r = { 0, 1000, 0 };

	cr_expect(eq(int, kiln_worker_id(), -1));
	kiln_spawn(&t, set_flag, &a);
	cr_expect(eq(int, a, 1), "kiln_spawn outside a pool did not run now");
	kiln_spawn(&u, set_flag, &b);
	kiln_sync(&t);
	kiln_sync(&u);
	cr_expect(eq(int, a, 1));
	cr_expect(eq(int, b, 1));
	pfib_task_spawn(&f, 20);
	cr_expect(eq(u64, pfib_task_sync(&f), fib_ref(20)));
	join_sum(&r);
	cr_expect(eq(u64, r.sum, 999ull * 1000 / 2));
	kiln_join(nothing, NULL, set_flag, &a);
	cr_expect(eq(int, a, 2));
}

/* kiln_worker_id is in [0, workers) inside tasks, -1 outside. */
struct ids {
	int workers;
	atomic_int bad, seen[64];
};

static void id_body(size_t b, size_t e, void *arg)
{
	struct ids *ids = arg;
	int id = kiln_worker_id();
	volatile size_t spin;

	for (spin = b; spin < e * 50; spin++)
		;
	if (id < 0 || id >= ids->workers)
		atomic_fetch_add(&ids->bad, 1);
	else
		atomic_fetch_add(&ids->seen[id], 1);
}

static void id_root(void *p)
{
	kiln_parallel_for(0, 4000, 1, id_body, p);
}

Test(task, worker_id_range)
{
	kiln_pool *p = make_pool(4);
	struct ids ids;
	int i, total = 0;

	memset(&ids, 0, sizeof(ids));
	ids.workers = 4;
	run_on(p, id_root, &ids);
	cr_expect(eq(int, ld(&ids.bad), 0));
	for (i = 0; i < 4; i++)
		total += atomic_load(&ids.seen[i]);
	cr_expect(eq(int, total, 4000));
	cr_expect(eq(int, kiln_worker_id(), -1));
	kiln_pool_destroy(p);
}

/* Statistics. */
Test(task, stats_one_worker)
{
	kiln_pool *one = make_pool(1);
	struct fibrun f = { 18, 0, 0 };
	struct kiln_stats s;

	run_on(one, fib_root, &f);
	cr_expect(eq(u64, f.typed, fib_ref(18)));
	kiln_pool_stats(one, &s);
	cr_expect(eq(u32, s.workers, 1));
	/* Both fibs spawn once per call with n >= 2. */
	cr_expect(eq(u64, s.spawns, 2 * fib_spawns(18)));
	cr_expect(eq(u64, s.steals, 0));
	cr_expect(ge(u64, s.fibers, 1));
	cr_expect(eq(u64, s.suspends, s.resumes));
	cr_expect(eq(u64, s.detached, 0));
	kiln_pool_destroy(one);
}

Test(task, stats_two_workers)
{
	struct fibrun f = { 21, 0, 0 };
	struct kiln_stats s;

	run_on(pool, fib_root, &f);
	cr_expect(eq(u64, f.typed, fib_ref(21)));
	cr_expect(eq(u64, f.untyped, fib_ref(21)));
	kiln_pool_stats(pool, &s);
	cr_expect(eq(u32, s.workers, 2));
	/* A stolen task is still spawned once. */
	cr_expect(eq(u64, s.spawns, 2 * fib_spawns(21)));
	cr_expect(le(u64, s.steals, s.steal_attempts));
	/* Everything parked during the run was resumed before it ended. */
	cr_expect(eq(u64, s.suspends, s.resumes));
	cr_expect(ge(u64, s.fibers, 2));
}
