/*
 * deque-stress: the split task deque (lib/split.c) under an owner and
 * thieves, as a fiber's deque is used.
 *
 *	deque-stress [tasks [thieves [depth]]]
 *
 * The owner thread makes a deque current (kiln__self, with no worker, so
 * that a sync that must wait polls) and uses the real inline kiln_spawn and
 * kiln_sync, which share when a thief asks: a random mix of spawns and
 * syncs up to depth tasks deep, the syncs mostly newest first, sometimes
 * out of order (leaving holes), and now and then the owner evacuates its
 * tasks to an orphans deque as a parking fiber does.  Thieves steal from
 * both deques and run what they take, in place.  Each task carries a
 * non-atomic payload written by the owner before the spawn; whoever runs
 * the task checks it and writes a non-atomic result that the owner checks
 * after the sync.  So a missing release/acquire pair shows up as a
 * ThreadSanitizer report or a bad payload.  Every task must run once.
 */
#include "config.h"

#define KILN_STATS 1

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "split.h"
#include "stress.h"
#include "worker.h"

struct job {
	kiln_task t;
	int live;                  /* spawned, not synced (owner only) */
	uint64_t seq;
	uint64_t payload[STRESS_WORDS];  /* plain: published by the deque */
	uint64_t result;           /* plain: published by the state word */
	atomic_int runs;           /* times run in this use of the frame */
};

static struct kiln__split *q, *orphans;
static atomic_int stop;
static atomic_ulong bad_payload, stolen, orphaned;

static void run_job(void *p)
{
	struct job *j = p;

	j->result = stress_payload_take(j->payload, j->seq, &bad_payload);
	atomic_fetch_add_explicit(&j->runs, 1, memory_order_relaxed);
}

static int steal_from(struct kiln__split *d)
{
	struct kiln__taken t;
	int busy, got;

	do
		got = kiln__split_steal(d, &t, &busy);
	while (!got && busy);
	if (!got)
		return 0;
	t.fn(t.arg);
	/* Acq_rel, as worker.c's finish_task: the owner's acquire load of
	 * the state then sees the result. */
	__atomic_exchange_n(t.state, KILN__DONE, __ATOMIC_ACQ_REL);
	return 1;
}

static void *thief(void *arg)
{
	unsigned long n = 0, o = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (steal_from(orphans))
			o++;
		else if (steal_from(q))
			n++;
		else
			sched_yield();
	}
	atomic_fetch_add(&stolen, n);
	atomic_fetch_add(&orphaned, o);
	return NULL;
}

/* After a job was synced: check it ran once and its result. */
static void retire(struct job *j)
{
	/* Relaxed: the owner ran it, or the sync's acquire ordered the run. */
	stress_payload_check(j->seq, atomic_load_explicit(&j->runs,
	    memory_order_relaxed), j->result);
	j->live = 0;
}

int main(int argc, char **argv)
{
	unsigned long ntasks = stress_arg(argc, argv, 1, 100000);
	unsigned long nthieves = stress_arg(argc, argv, 2, 2);
	unsigned long depth = stress_arg(argc, argv, 3, 64);
	struct kiln__wfast *saved_self = kiln__self;
	struct job *jobs;
	pthread_t *th;
	uint64_t seq = 0, rng = 0x2545f4914f6cdd1dull;
	unsigned long d = 0, i, out_of_order = 0, evacuations = 0;
	struct kiln__taken t;

	stress_prog = "deque-stress";
	jobs = calloc(depth, sizeof(*jobs));
	th = calloc(nthieves, sizeof(*th));
	if (!jobs || !th)
		stress_die("out of memory");
	if (kiln__split_create(&q, 0) != 0 ||
	    kiln__split_create(&orphans, 1) != 0)
		stress_die("kiln__split_create");
	kiln__self = &q->fast;

	for (i = 0; i < nthieves; i++)
		if (pthread_create(&th[i], NULL, thief, NULL) != 0)
			stress_die("pthread_create");

	while (seq < ntasks || d > 0) {
		uint64_t r = stress_rand(&rng);
		int push = seq < ntasks && d < depth &&
		    (d == 0 || r % 8 < 5);

		if (push) {
			struct job *j = &jobs[d];

			j->seq = seq++;
			stress_payload_set(j->payload, j->seq);
			j->result = 0;
			atomic_store_explicit(&j->runs, 0,
			    memory_order_relaxed);
			j->live = 1;
			kiln_spawn(&j->t, run_job, j);
			d++;
		} else {
			/* Mostly the newest; now and then any live one. */
			size_t k = d - 1;

			if (r % 8 == 0) {
				k = (size_t)(r >> 8) % d;
				if (!jobs[k].live)
					k = d - 1;
				if (k != d - 1)
					out_of_order++;
			}
			while (!jobs[k].live)
				k--;
			kiln_sync(&jobs[k].t);
			retire(&jobs[k]);
			/* The frames of synced jobs above the newest live
			 * one are free again. */
			while (d > 0 && !jobs[d - 1].live)
				d--;
		}
		/* Park now and then: our tasks go to the orphans (where
		 * thieves must run those that a sync waits for). */
		if (nthieves > 0 && r % 512 == 1) {
			kiln__split_evacuate(q, orphans);
			evacuations++;
		}
		/*
		 * The orphans' owner pops them too, but only with no sync
		 * pending: a sync here waits without running anything, while
		 * a parked fiber's worker goes on (and the orphans it takes
		 * back from thieves would wait for it).  So what it finds
		 * were run by thieves: it drops their slots.
		 */
		while (d == 0) {
			enum kiln__pop got = kiln__split_pop(orphans, &t);

			if (got == KILN__POP_EMPTY)
				break;
			if (got == KILN__POP_TASK)
				stress_die("an orphan pending with every "
				    "task synced");
		}
		/* Leave thieves a window now and then. */
		if (r % 128 == 0)
			sched_yield();
	}
	atomic_store(&stop, 1);
	for (i = 0; i < nthieves; i++)
		pthread_join(th[i], NULL);
	kiln__split_drop_dead(q);

	if (q->fast.tail != q->base)
		stress_fail("%zu slots left on the deque",
		    kiln__split_index(q, q->fast.tail));
	if (atomic_load(&bad_payload))
		stress_fail("%lu payload words read wrong",
		    atomic_load(&bad_payload));
	if (q->fast.spawns != ntasks)
		stress_fail("spawns counter %" PRIu64 ", %lu spawned",
		    q->fast.spawns, ntasks);
	if (nthieves > 0 && atomic_load(&stolen) == 0)
		stress_fail("no task was stolen from the owner's deque");
	printf("deque-stress: %lu tasks, %lu thieves, depth %lu: %lu stolen, "
	    "%lu synced out of order, %lu evacuations (%lu tasks run from "
	    "the orphans by thieves)\n", ntasks, nthieves, depth,
	    atomic_load(&stolen), out_of_order, evacuations,
	    atomic_load(&orphaned));

	kiln__self = saved_self;
	kiln__split_destroy(q);
	kiln__split_destroy(orphans);
	free(jobs);
	free(th);
	return stress_exit();
}
