/*
 * readyq-stress: the Chase-Lev ready deque (lib/readyq.c) under one owner that
 * pushes (and takes some entries itself, as workers do) and thieves.
 *
 *	cl-stress [items [thieves [frames]]]
 *
 * Items are frames reused round-robin, at most `frames` in flight: the
 * deque starts at 16 entries and grows, and its indices wrap.  The owner
 * writes each frame's non-atomic payload before the push; the consumer
 * checks it, writes a non-atomic result and marks the frame done (release);
 * the owner reuses a frame only after seeing it done (acquire) and checks
 * the result and that exactly one consumer took it.  A missing
 * release/acquire pair in the deque shows up under ThreadSanitizer.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "readyq.h"
#include "stress.h"

struct item {
	uint64_t seq;
	uint64_t payload[STRESS_WORDS];  /* plain: published by the push */
	uint64_t result;           /* plain: published by done */
	atomic_int takers;
	atomic_int done;
};

static struct kiln__readyq dq;
static atomic_int stop;
static atomic_ulong bad_payload, taken_by_thieves;

static void consume(struct item *it)
{
	atomic_fetch_add_explicit(&it->takers, 1, memory_order_relaxed);
	it->result = stress_payload_take(it->payload, it->seq, &bad_payload);
	/* Release: pairs with the owner's acquire before reusing it. */
	atomic_store_explicit(&it->done, 1, memory_order_release);
}

static void *thief(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	for (;;) {
		void *x = kiln__readyq_take(&dq);

		if (x == KILN__READYQ_ABORT)
			continue;
		if (x) {
			consume(x);
			n++;
			continue;
		}
		if (atomic_load_explicit(&stop, memory_order_acquire) &&
		    kiln__readyq_empty(&dq))
			break;
		sched_yield();
	}
	atomic_fetch_add(&taken_by_thieves, n);
	return NULL;
}

/* Wait until it was consumed, then check it. */
static void retire(struct item *it)
{
	unsigned int spins = 0;

	while (!atomic_load_explicit(&it->done, memory_order_acquire))
		if (++spins % 64 == 0)
			sched_yield();
	/* Relaxed: the acquire load of done ordered the takers' adds. */
	stress_payload_check(it->seq, atomic_load_explicit(&it->takers,
	    memory_order_relaxed), it->result);
}

int main(int argc, char **argv)
{
	unsigned long nitems = stress_arg(argc, argv, 1, 500000);
	unsigned long nthieves = stress_arg(argc, argv, 2, 2);
	unsigned long nframes = stress_arg(argc, argv, 3, 4096);
	struct item *items;
	pthread_t *th;
	uint64_t seq, rng = 0x9e3779b97f4a7c15ull;
	unsigned long i, by_owner = 0;

	stress_prog = "cl-stress";
	items = calloc(nframes, sizeof(*items));
	th = calloc(nthieves, sizeof(*th));
	if (!items || !th)
		stress_die("out of memory");
	if (kiln__readyq_init(&dq, 16) != 0)
		stress_die("kiln__readyq_init");
	for (i = 0; i < nframes; i++)
		atomic_init(&items[i].done, 1);
	for (i = 0; i < nthieves; i++)
		if (pthread_create(&th[i], NULL, thief, NULL) != 0)
			stress_die("pthread_create");

	for (seq = 0; seq < nitems; seq++) {
		struct item *it = &items[seq % nframes];
		uint64_t r = stress_rand(&rng);

		if (seq >= nframes)
			retire(it);
		it->seq = seq;
		stress_payload_set(it->payload, seq);
		it->result = 0;
		atomic_store_explicit(&it->takers, 0, memory_order_relaxed);
		atomic_store_explicit(&it->done, 0, memory_order_relaxed);
		if (kiln__readyq_push(&dq, it) != 0)
			stress_die("push failed at %" PRIu64, seq);
		/* The owner takes the oldest now and then, like a worker. */
		if (r % 4 == 0) {
			void *x = kiln__readyq_take(&dq);

			if (x && x != KILN__READYQ_ABORT) {
				consume(x);
				by_owner++;
			}
		}
		if (r % 1024 == 0)
			sched_yield();
	}
	atomic_store_explicit(&stop, 1, memory_order_release);
	for (i = 0; i < nthieves; i++)
		pthread_join(th[i], NULL);
	/* Anything left (no thieves): the owner drains it. */
	for (;;) {
		void *x = kiln__readyq_take(&dq);

		if (x == KILN__READYQ_ABORT)
			continue;
		if (!x)
			break;
		consume(x);
		by_owner++;
	}
	for (i = 0; i < nframes && i < nitems; i++)
		retire(&items[i]);

	if (by_owner + atomic_load(&taken_by_thieves) != nitems)
		stress_fail("%lu items consumed, %lu pushed",
		    by_owner + atomic_load(&taken_by_thieves), nitems);
	if (atomic_load(&bad_payload))
		stress_fail("%lu payload words read wrong",
		    atomic_load(&bad_payload));
	if (!kiln__readyq_empty(&dq))
		stress_fail("queue not empty at the end");
	printf("readyq-stress: %lu items, %lu thieves, %lu frames: %lu taken by "
	    "the owner, %lu by thieves\n", nitems, nthieves, nframes,
	    by_owner, atomic_load(&taken_by_thieves));

	kiln__readyq_fini(&dq);
	free(items);
	free(th);
	return stress_exit();
}
