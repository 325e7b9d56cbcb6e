/*
 * Fibers, seen through <kiln.h>: a task deep in recursion that parks (at
 * kiln_yield and at a sync on a stolen child) finds its stack intact when
 * it resumes, also after moving to another worker; after a move,
 * kiln_worker_id names the thread the task now runs on; the floating-point
 * control state is per fiber; overflowing a fiber stack hits its guard page.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <kiln.h>

#include "common.h"

TestSuite(fiber, .timeout = 60);

/* The worker number in the calling thread's name ("kiln-wN"), or -1. */
static int thread_worker(void)
{
	char name[16];
	unsigned int id;

	if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0 ||
	    sscanf(name, "kiln-w%u", &id) != 1)
		return -1;
	return (int)id;
}

/*
 * A child that the parent's sync will most likely have to wait for: it
 * waits (boundedly) until the parent has reached kiln_sync, then works a
 * little longer, so that the parent parks.  If no thief took it, it runs
 * inside the sync, when the flag is already set.
 */
struct slow_child {
	atomic_int started, parent_at_sync;
	int ran_on;
	uint64_t r;
};

static void slow_child_run(void *p)
{
	struct slow_child *c = p;
	volatile uint64_t x = 0;
	long i;

	atomic_store(&c->started, 1);
	for (i = 0; i < 2000000 && !atomic_load(&c->parent_at_sync); i++)
		if (i % 64 == 63)
			sched_yield();
	for (i = 0; i < 20000; i++)
		x += (uint64_t)i;
	c->r = x;
	c->ran_on = kiln_worker_id();
}

static void nothing(void *p)
{
	(void)p;
}

/*
 * Spawn a slow child, give a thief the chance to take it (a second spawn
 * shares the first once a thief has asked), and sync it.
 */
static uint64_t sync_slow_child(struct slow_child *c)
{
	kiln_task t, d;
	long i;

	memset(c, 0, sizeof(*c));
	kiln_spawn(&t, slow_child_run, c);
	for (i = 0; i < 100000 && !atomic_load(&c->started); i++) {
		kiln_spawn(&d, nothing, NULL);
		kiln_sync(&d);
		if (i % 16 == 15)
			sched_yield();
	}
	atomic_store(&c->parent_at_sync, 1);
	kiln_sync(&t);
	return c->r;
}

static uint64_t sum_to(uint64_t n)
{
	return n * (n - 1) / 2;
}

/* Deep recursion, each frame with a buffer it checks after the descent. */
struct deep {
	int depth;
	int corrupt, id_mismatch, moved;
	uint64_t child_sum;
};

static void descend(struct deep *d, int level)
{
	unsigned char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(level * 31 + i);
	if (level < d->depth) {
		descend(d, level + 1);
	} else {
		struct slow_child c;
		int before = kiln_worker_id();

		kiln_yield();
		d->child_sum = sync_slow_child(&c);
		if (kiln_worker_id() != before)
			d->moved = 1;
		if (kiln_worker_id() != thread_worker())
			d->id_mismatch = 1;
	}
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != (unsigned char)(level * 31 + i))
			d->corrupt++;
}

static void deep_root(void *p)
{
	descend(p, 0);
}

Test(fiber, deep_recursion_survives_parking)
{
	kiln_pool *p = make_pool(2);
	int round, moved = 0;

	/* About 150 KiB of the default 256 KiB stack. */
	for (round = 0; round < 10; round++) {
		struct deep d = { .depth = 140 };

		run_on(p, deep_root, &d);
		cr_expect(eq(int, d.corrupt, 0), "round %d: %d bytes changed",
		    round, d.corrupt);
		cr_expect(eq(int, d.id_mismatch, 0));
		cr_expect(eq(u64, d.child_sum, sum_to(20000)));
		moved += d.moved;
	}
	cr_log_info("deep recursion resumed on another worker %d/10 times",
	    moved);
	kiln_pool_destroy(p);
}

Test(fiber, deep_recursion_on_a_small_stack)
{
	struct kiln_options o = { .workers = 2, .stack_size = 64 * 1024 };
	kiln_pool *p = make_pool_with(&o);
	struct deep d = { .depth = 30 };        /* about 35 KiB of 64 */

	run_on(p, deep_root, &d);
	cr_expect(eq(int, d.corrupt, 0));
	cr_expect(eq(u64, d.child_sum, sum_to(20000)));
	kiln_pool_destroy(p);
}

/*
 * Migration: a parent that parks at a sync is resumed by the thief that
 * finished its child, so it usually continues on another worker.  Never
 * required (a sync may find the child done, or not stolen); when it
 * happens, locals, results and kiln_worker_id must be right.
 */
#define TRIALS 200

struct migrate {
	int trials, moved, wrong_sum, id_mismatch, bad_id;
	int locals_bad;
};

static void migrate_root(void *p)
{
	struct migrate *m = p;
	int i;

	for (i = 0; i < TRIALS; i++) {
		struct slow_child c;
		volatile int local = i * 7 + 1;
		int before = kiln_worker_id(), after;

		if (sync_slow_child(&c) != sum_to(20000))
			m->wrong_sum++;
		after = kiln_worker_id();
		if (after != before)
			m->moved++;
		if (after < 0 || after >= 2)
			m->bad_id++;
		if (after != thread_worker())
			m->id_mismatch++;
		if (local != i * 7 + 1)
			m->locals_bad++;
		m->trials++;
	}
}

Test(fiber, resume_on_another_worker)
{
	kiln_pool *p = make_pool(2);
	struct migrate m;
	struct kiln_stats s;

	memset(&m, 0, sizeof(m));
	run_on(p, migrate_root, &m);
	cr_expect(eq(int, m.trials, TRIALS));
	cr_expect(eq(int, m.wrong_sum, 0));
	cr_expect(eq(int, m.bad_id, 0));
	cr_expect(eq(int, m.id_mismatch, 0),
	    "kiln_worker_id named a worker other than the running thread");
	cr_expect(eq(int, m.locals_bad, 0));
	kiln_pool_stats(p, &s);
	cr_expect(eq(u64, s.suspends, s.resumes));
	cr_log_info("moved %d/%d times; %llu suspends, %llu steals", m.moved,
	    TRIALS, (unsigned long long)s.suspends,
	    (unsigned long long)s.steals);
	kiln_pool_destroy(p);
}

/*
 * Floating-point control state is part of a fiber's context (the x86-64
 * switch saves MXCSR and the x87 control word): a task that sets a
 * rounding mode keeps it across a park, and tasks that run meanwhile on
 * the same worker do not see it.
 */
struct fpenv {
	atomic_int other_mode, other_ran;
	int mode_after_yield;
};

static void fp_other(void *p)
{
	struct fpenv *f = p;

	atomic_store(&f->other_mode, fegetround());
	atomic_store(&f->other_ran, 1);
}

static void fp_root(void *p)
{
	struct fpenv *f = p;
	int saved = fegetround();

	fesetround(FE_UPWARD);
	if (kiln_go(fp_other, f) == 0) {
		/* One worker: fp_other runs while we are parked. */
		while (!atomic_load(&f->other_ran))
			kiln_yield();
	}
	f->mode_after_yield = fegetround();
	fesetround(saved);
}

Test(fiber, fp_rounding_mode_is_per_fiber)
{
	kiln_pool *p = make_pool(1);
	struct fpenv f;

	memset(&f, 0, sizeof(f));
	atomic_store(&f.other_mode, -1);
	run_on(p, fp_root, &f);
	kiln_pool_destroy(p);
	cr_expect(eq(int, f.mode_after_yield, FE_UPWARD),
	    "a task lost its rounding mode across kiln_yield");
	cr_assert(eq(int, ld(&f.other_ran), 1));
	cr_expect(eq(int, ld(&f.other_mode), FE_TONEAREST),
	    "another task inherited the parked task's rounding mode");
}

/*
 * An overflowing fiber stack hits the guard page below it and the process
 * dies of SIGSEGV.  Not under AddressSanitizer, which catches the fault
 * and reports a stack overflow instead.
 */
static volatile int overflow_limit = -1;      /* never reached */

static int overflow(int n)
{
	volatile char buf[512];

	if (n == overflow_limit)
		return 0;
	buf[0] = (char)n;
	buf[sizeof(buf) - 1] = (char)n;
	return overflow(n + 1) + buf[0] + buf[sizeof(buf) - 1];
}

static void overflow_root(void *p)
{
	*(int *)p = overflow(0);
}

#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

Test(fiber, stack_overflow_hits_guard, .signal = SIGSEGV,
    .disabled = UNDER_ASAN)
{
	struct kiln_options o = { .workers = 1, .stack_size = 16 * 1024 };
	kiln_pool *p = make_pool_with(&o);
	int r = 0, ret;

	ret = kiln_run(p, overflow_root, &r);
	cr_log_error("recursion on a 16 KiB fiber came back: %d, %d", ret, r);
}
