/*
 * deque-stress: the split task deque (lib/split.c) under an owner and
 * thieves, as a worker's deque is used.
 *
 *	deque-stress [tasks [thieves [depth]]]
 *
 * The owner thread is made a worker (kiln__self points at a worker-shaped
 * object) and pushes with the real inline kiln_spawn, which shares when a
 * thief asks; it pops with kiln__split_pop, in a random mix of pushes and
 * pops up to depth tasks deep.  Thieves steal with kiln__split_steal.  Each
 * task frame carries a non-atomic payload written by the owner before the
 * spawn; whoever runs the task checks it and writes a non-atomic result that
 * the owner checks after the pop (or, for a stolen task, after the thief
 * marks it done).  So a missing release/acquire pair shows up as a
 * ThreadSanitizer report or a bad payload.  Every task must run once.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "split.h"
#include "stress.h"
#include "worker.h"

struct job {
	kiln_task t;
	uint64_t seq;
	uint64_t payload[STRESS_WORDS];  /* plain: published by the deque */
	uint64_t result;           /* plain: published by the state word */
	atomic_int runs;           /* times run in this use of the frame */
};

static struct kiln_pool fake_pool;  /* nobody sleeps: wakes are no-ops */
static struct kiln__worker *owner;
static atomic_int stop;
static atomic_ulong bad_payload, stolen;

static void run_job(void *p)
{
	struct job *j = p;

	j->result = stress_payload_take(j->payload, j->seq, &bad_payload);
	atomic_fetch_add_explicit(&j->runs, 1, memory_order_relaxed);
}

static void *thief(void *arg)
{
	struct kiln__split *q = &owner->sq;
	unsigned long n = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int busy;
		kiln_task *t = kiln__split_steal(q, &busy);

		if (!t) {
			if (!busy)
				sched_yield();
			continue;
		}
		t->kiln__fn(t->kiln__arg);
		/* Release: the owner's acquire load then sees the result. */
		__atomic_store_n(&t->kiln__state, KILN__DONE, __ATOMIC_RELEASE);
		n++;
	}
	atomic_fetch_add(&stolen, n);
	return NULL;
}

/* After a job left the deque: check it ran once and its result. */
static void retire(struct job *j, int was_stolen)
{
	if (was_stolen) {
		unsigned int spins = 0;

		/* Acquire: pairs with the thief's release store. */
		while (__atomic_load_n(&j->t.kiln__state, __ATOMIC_ACQUIRE) !=
		    KILN__DONE)
			if (++spins % 64 == 0)
				sched_yield();
	}
	/* Relaxed: the owner ran it, or the acquire above ordered the run. */
	stress_payload_check(j->seq, atomic_load_explicit(&j->runs,
	    memory_order_relaxed), j->result);
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
	unsigned long d = 0, i, own = 0, robbed = 0, finds = 0;

	stress_prog = "deque-stress";
	owner = aligned_alloc(64, sizeof(*owner));
	jobs = calloc(depth, sizeof(*jobs));
	th = calloc(nthieves, sizeof(*th));
	if (!owner || !jobs || !th)
		stress_die("out of memory");
	memset(owner, 0, sizeof(*owner));
	if (kiln__split_init(&owner->sq, depth + 1) != 0)
		stress_die("kiln__split_init");
	owner->pool = &fake_pool;
	kiln__self = &owner->sq.fast;

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
			kiln_spawn(&j->t, run_job, j);
			d++;
		} else {
			struct job *j = &jobs[d - 1];
			kiln_task *x;

			switch (kiln__split_pop(&owner->sq, &x)) {
			case KILN__POP_TASK:
				if (x != &j->t)
					stress_die("pop gave %p, not the top "
					    "task %p", (void *)x, (void *)&j->t);
				x->kiln__fn(x->kiln__arg);
				retire(j, 0);
				own++;
				break;
			case KILN__POP_STOLEN:
				retire(j, 1);
				robbed++;
				break;
			case KILN__POP_EMPTY:
				stress_die("pop found nothing at depth %lu", d);
			}
			d--;
		}
		/* Now and then look a task up: its slot or -1 (stolen). */
		if (d > 0 && r % 16 == 0) {
			size_t k = (size_t)(r >> 8) % d;
			ptrdiff_t at = kiln__split_find(&owner->sq, &jobs[k].t);

			if (at != -1 && at != (ptrdiff_t)k)
				stress_die("find: task at depth %zu found "
				    "at %td", k, at);
			finds++;
		}
		/* Leave thieves a window now and then. */
		if (r % 128 == 0)
			sched_yield();
	}
	atomic_store(&stop, 1);
	for (i = 0; i < nthieves; i++)
		pthread_join(th[i], NULL);

	if (own + robbed != ntasks)
		stress_fail("%lu tasks retired, %lu spawned", own + robbed,
		    ntasks);
	if (robbed != atomic_load(&stolen))
		stress_fail("owner saw %lu stolen, thieves ran %lu", robbed,
		    atomic_load(&stolen));
	if (atomic_load(&bad_payload))
		stress_fail("%lu payload words read wrong",
		    atomic_load(&bad_payload));
	if (owner->sq.fast.spawns != ntasks)
		stress_fail("spawns counter %" PRIu64 ", %lu spawned",
		    owner->sq.fast.spawns, ntasks);
	printf("deque-stress: %lu tasks, %lu thieves, depth %lu: %lu run by "
	    "the owner, %lu stolen, %lu finds\n", ntasks, nthieves, depth,
	    own, robbed, finds);

	kiln__self = saved_self;
	kiln__split_fini(&owner->sq);
	free(owner);
	free(jobs);
	free(th);
	return stress_exit();
}
