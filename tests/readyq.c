/*
 * The ready queue (lib/readyq.c): entries come out oldest first,
 * the array grows past its initial capacity without losing or reordering
 * entries, emptiness is reported, and concurrent consumers (the owner
 * included) take every entry exactly once while the owner pushes.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "common.h"
#include "readyq.h"

static struct kiln__readyq dq;

static void setup(void)
{
	cr_assert(eq(int, kiln__readyq_init(&dq, 16), 0));
}

static void teardown(void)
{
	kiln__readyq_fini(&dq);
}

TestSuite(readyq, .init = setup, .fini = teardown, .timeout = 30);

/* The entry for index i: any distinct non-NULL pointers will do. */
static void *item(uintptr_t i)
{
	return (void *)((i + 1) * 16);
}

/* Steal until something other than KILN__READYQ_ABORT comes back. */
static void *steal(struct kiln__readyq *q)
{
	void *x;

	do
		x = kiln__readyq_take(q);
	while (x == KILN__READYQ_ABORT);
	return x;
}

Test(readyq, starts_empty)
{
	cr_expect(eq(int, kiln__readyq_empty(&dq), 1));
	cr_expect(eq(ptr, kiln__readyq_take(&dq), NULL));
}

Test(readyq, steal_is_fifo)
{
	uintptr_t i;

	for (i = 0; i < 5; i++)
		cr_assert(eq(int, kiln__readyq_push(&dq, item(i)), 0));
	cr_expect(eq(int, kiln__readyq_empty(&dq), 0));
	for (i = 0; i < 5; i++)
		cr_expect(eq(ptr, steal(&dq), item(i)));
	cr_expect(eq(int, kiln__readyq_empty(&dq), 1));
	cr_expect(eq(ptr, kiln__readyq_take(&dq), NULL));
}

Test(readyq, interleaved_push_and_steal)
{
	uintptr_t next = 0, want = 0;
	int round;

	/* Push 3, take 2, many times: indices wrap the array repeatedly. */
	for (round = 0; round < 200; round++) {
		int k;

		for (k = 0; k < 3; k++)
			cr_assert(eq(int, kiln__readyq_push(&dq, item(next++)),
			    0));
		for (k = 0; k < 2; k++)
			cr_assert(eq(ptr, steal(&dq), item(want++)));
	}
	while (want < next)
		cr_assert(eq(ptr, steal(&dq), item(want++)));
	cr_expect(eq(int, kiln__readyq_empty(&dq), 1));
}

Test(readyq, grows_and_keeps_content)
{
	const uintptr_t n = 16 * 64 + 3;
	uintptr_t i, want = 0;

	/* Take a few first, so that the live run does not start at slot 0
	 * when the array is copied. */
	for (i = 0; i < 7; i++)
		cr_assert(eq(int, kiln__readyq_push(&dq, item(i)), 0));
	for (; want < 5; want++)
		cr_assert(eq(ptr, steal(&dq), item(want)));
	for (; i < n; i++)
		cr_assert(eq(int, kiln__readyq_push(&dq, item(i)), 0));
	for (; want < n; want++)
		cr_assert(eq(ptr, steal(&dq), item(want)),
		    "entry %ju lost or out of order", (uintmax_t)want);
	cr_expect(eq(int, kiln__readyq_empty(&dq), 1));
}

Test(readyq, init_rounds_capacity_up)
{
	struct kiln__readyq q;
	uintptr_t i;

	/* Odd capacities work; 1000 entries fit and come back in order. */
	cr_assert(eq(int, kiln__readyq_init(&q, 1000), 0));
	for (i = 0; i < 1000; i++)
		cr_assert(eq(int, kiln__readyq_push(&q, item(i)), 0));
	for (i = 0; i < 1000; i++)
		cr_assert(eq(ptr, steal(&q), item(i)));
	kiln__readyq_fini(&q);
}

/*
 * Concurrent consumers: the owner pushes N entries (and takes some itself,
 * as workers do with their ready deques) while THIEVES threads steal.
 * Every entry must be taken exactly once.
 */
#define N 200000u
#define THIEVES 3

static atomic_int taken[N];
static atomic_int nr_taken;
static atomic_int pushing_done;
static atomic_int dupes;

static void consume(void *x)
{
	uintptr_t i = (uintptr_t)x / 16 - 1;

	if (i >= N || atomic_fetch_add_explicit(&taken[i], 1,
	    memory_order_relaxed) != 0)
		atomic_fetch_add_explicit(&dupes, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&nr_taken, 1, memory_order_relaxed);
}

static void *thief(void *arg)
{
	for (;;) {
		void *x = kiln__readyq_take(&dq);

		if (x == KILN__READYQ_ABORT)
			continue;
		if (x) {
			consume(x);
			continue;
		}
		if (atomic_load_explicit(&pushing_done, memory_order_acquire) &&
		    kiln__readyq_empty(&dq))
			break;
		sched_yield();
	}
	return NULL;
}

Test(readyq, concurrent_consumers_take_each_once)
{
	pthread_t th[THIEVES];
	uintptr_t i;
	int k;

	for (k = 0; k < THIEVES; k++)
		cr_assert(eq(int, pthread_create(&th[k], NULL, thief, NULL), 0));
	for (i = 0; i < N; i++) {
		cr_assert(eq(int, kiln__readyq_push(&dq, item(i)), 0));
		/* The owner consumes too, now and then. */
		if (i % 7 == 0) {
			void *x = kiln__readyq_take(&dq);

			if (x && x != KILN__READYQ_ABORT)
				consume(x);
		}
	}
	atomic_store_explicit(&pushing_done, 1, memory_order_release);
	for (k = 0; k < THIEVES; k++)
		pthread_join(th[k], NULL);

	cr_expect(eq(int, ld(&dupes), 0));
	cr_expect(eq(int, ld(&nr_taken), (int)N));
	for (i = 0; i < N; i++)
		cr_assert(eq(int, ld(&taken[i]), 1),
		    "entry %ju taken %d times", (uintmax_t)i,
		    ld(&taken[i]));
	cr_expect(eq(int, kiln__readyq_empty(&dq), 1));
}
