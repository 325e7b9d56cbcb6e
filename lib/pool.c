/*
 * Pools: creating and destroying the workers, kiln_run, statistics.
 * Uses worker.c and io.c's pool-wide state; the top of the library.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "futex.h"
#include "thread.h"
#include "worker.h"

#define DEFAULT_STACK (256u * 1024)
#define MIN_STACK (16u * 1024)
#define MAX_WORKERS 4096u
#define DEFAULT_RING_ENTRIES 256u
/* 2 at least: an operation and its linked timeout go in together. */
#define MIN_RING_ENTRIES 2u
#define MAX_RING_ENTRIES 32768u  /* the kernel's IORING_MAX_ENTRIES */

static unsigned int cpus_allowed(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned int)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

/* After the workers' threads are joined (or were never started). */
static void free_pool(struct kiln_pool *pool, unsigned int inited)
{
	unsigned int i;

	/*
	 * Helpers first: one that has just handed a fiber back may still be
	 * inside kiln__inbox_push, kicking that fiber's worker, when the
	 * task it woke has already finished.
	 */
	kiln__io_pool_fini(&pool->io);
	for (i = 0; i < inited; i++) {
		kiln__worker_fini(pool->workers[i]);
		kiln__free(pool->workers[i]);
	}
	kiln__free(pool->workers);
	kiln__free(pool);
}

/* Tell the workers to leave and wait until they have. */
static void stop_workers(struct kiln_pool *pool, unsigned int started)
{
	unsigned int i;

	/* Release: pairs with the acquire load in schedule(). */
	atomic_store_explicit(&pool->stop, 1, memory_order_release);
	/* seq_cst: the publisher's fence of the sleep protocol (worker.c).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	for (i = 0; i < started; i++)
		kiln__kick(pool->workers[i]);
	for (i = 0; i < started; i++)
		pthread_join(pool->workers[i]->thread, NULL);
}

/*
 * Wait until every worker has set up its I/O (a ring must be made on the
 * worker's own thread), so that kiln_pool_stats sees how each does I/O.
 */
static void wait_started(struct kiln_pool *pool)
{
	unsigned int n;

	/* Acquire: pairs with the release increment in kiln__worker_main;
	 * each worker's use_ring is then visible here. */
	while ((n = atomic_load_explicit(&pool->started,
	    memory_order_acquire)) < pool->nworkers)
		kiln__futex_wait(&pool->started, n);
}

int kiln_pool_create(kiln_pool **out, const struct kiln_options *opt)
{
	struct kiln_options o = { 0 };
	struct kiln_pool *pool;
	unsigned int i;
	int ret = 0;

	if (!out)
		return -EINVAL;
	if (opt)
		o = *opt;
	/* The documented way to force the I/O fallback for a whole program. */
	if (getenv("KILN_NO_URING") && strcmp(getenv("KILN_NO_URING"), "0"))
		o.flags |= KILN_OPT_NO_URING;
	if (o.workers > MAX_WORKERS)
		return -EINVAL;
	if (o.stack_size && o.stack_size < MIN_STACK)
		return -EINVAL;
	if (o.flags & ~KILN_OPT_NO_URING)
		return -EINVAL;
	if (o.ring_entries && (o.ring_entries < MIN_RING_ENTRIES ||
	    o.ring_entries > MAX_RING_ENTRIES))
		return -EINVAL;
	if (!o.ring_entries)
		o.ring_entries = DEFAULT_RING_ENTRIES;
	pool = kiln__alloc_aligned(sizeof(*pool), 64);
	if (!pool)
		return -ENOMEM;
	pool->nworkers = o.workers ? o.workers : cpus_allowed();
	pool->stack_size = o.stack_size ? o.stack_size : DEFAULT_STACK;
	atomic_init(&pool->nsleep, 0);
	atomic_init(&pool->live, 0);
	atomic_init(&pool->stop, 0);
	atomic_init(&pool->next, 0);
	atomic_init(&pool->started, 0);
	pool->workers = kiln__zalloc(pool->nworkers * sizeof(pool->workers[0]));
	if (!pool->workers) {
		kiln__free(pool);
		return -ENOMEM;
	}
	ret = kiln__io_pool_init(&pool->io,
	    o.flags & KILN_OPT_NO_URING ? 0 : o.ring_entries);
	if (ret < 0) {
		kiln__free(pool->workers);
		kiln__free(pool);
		return ret;
	}
	for (i = 0; i < pool->nworkers; i++) {
		struct kiln__worker *w;

		w = kiln__alloc_aligned(sizeof(*w), 64);
		if (!w) {
			ret = -ENOMEM;
			break;
		}
		ret = kiln__worker_init(w, pool, i);
		if (ret < 0) {
			kiln__free(w);
			break;
		}
		pool->workers[i] = w;
	}
	if (ret < 0) {
		free_pool(pool, i);
		return ret;
	}
	for (i = 0; i < pool->nworkers; i++) {
		ret = kiln__thread_start(&pool->workers[i]->thread,
		    kiln__worker_main, pool->workers[i], 0);
		if (ret < 0)
			break;
	}
	if (ret < 0) {
		stop_workers(pool, i);
		free_pool(pool, pool->nworkers);
		return ret;
	}
	wait_started(pool);
	*out = pool;
	return 0;
}

void kiln_pool_destroy(kiln_pool *pool)
{
	struct kiln__worker *self = kiln__worker_self();
	uint32_t n;

	/* From a task of pool itself it would wait for its own end. */
	if (!pool || (self && self->pool == pool))
		return;
	/*
	 * Cancel what waits for I/O, so that tasks blocked on sockets that
	 * never answer get -ECANCELED and can finish.  Each worker cancels
	 * its own when it sees closing: wake the sleeping ones.
	 */
	kiln__io_pool_close(&pool->io);
	/* seq_cst: the publisher's fence of the sleep protocol (worker.c).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned int i = 0; i < pool->nworkers; i++)
		kiln__kick(pool->workers[i]);
	/* Acquire: pairs with the release decrement when a kiln_go task
	 * ends, so that its effects are complete before we free anything. */
	while ((n = atomic_load_explicit(&pool->live, memory_order_acquire)))
		kiln__futex_wait(&pool->live, n);
	stop_workers(pool, pool->nworkers);
	free_pool(pool, pool->nworkers);
}

/* A worker to hand a new root task to: a sleeping one if we find one. */
static struct kiln__worker *pick(struct kiln_pool *pool)
{
	/* Relaxed: only spreads the choice. */
	unsigned int start = atomic_fetch_add_explicit(&pool->next, 1,
	    memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < pool->nworkers; i++) {
		struct kiln__worker *w = pool->workers[(start + i) %
		    pool->nworkers];

		/* Relaxed: a preference, not a decision. */
		if (atomic_load_explicit(&w->sleep, memory_order_relaxed) ==
		    KILN__SLEEPING)
			return w;
	}
	return pool->workers[start % pool->nworkers];
}

int kiln_run(kiln_pool *pool, void (*fn)(void *), void *arg)
{
	struct kiln__worker *self = kiln__worker_self();
	struct kiln__call root;

	if (!pool || !fn)
		return -EINVAL;
	if (self && self->pool == pool) {
		fn(arg);
		return 0;
	}
	root.job.kind = KILN__JOB_ROOT;
	root.fn = fn;
	root.arg = arg;
	/* Relaxed: published by the release push into the inbox. */
	__atomic_store_n(&root.state, 0, __ATOMIC_RELAXED);
	root.home = self;
	atomic_init(&root.done, 0);
	kiln__inbox_push(pick(pool), &root.job);
	if (self) {
		/*
		 * From a task of another pool: park like a parent waiting for
		 * a stolen child; the worker goes on with its own pool's work,
		 * and root_done (worker.c) hands the fiber back to it.
		 */
		kiln__wait_task(&root.state);
		return 0;
	}
	/* Acquire: pairs with the release store when the task returns. */
	while (!atomic_load_explicit(&root.done, memory_order_acquire))
		kiln__futex_wait(&root.done, 0);
	return 0;
}

void kiln_pool_stats(kiln_pool *pool, struct kiln_stats *out)
{
	struct kiln_stats s = { 0 };
	unsigned int i;

	if (!pool || !out)
		return;
	for (i = 0; i < pool->nworkers; i++) {
		struct kiln__worker *w = pool->workers[i];
		struct kiln__counters *c = &w->stats;

		/* Relaxed throughout: counters, each exact on its own. */
		s.spawns += kiln__worker_spawns(w);
#define ADD(name) s.name += atomic_load_explicit(&c->name, \
	    memory_order_relaxed);
		KILN__WORKER_COUNTERS(ADD)
#undef ADD
		s.io_submitted += atomic_load_explicit(&w->io.submitted,
		    memory_order_relaxed);
		s.io_completed += atomic_load_explicit(&w->io.completed,
		    memory_order_relaxed);
		if (kiln__io_has_ring(&w->io))
			s.io_batches += atomic_load_explicit(
			    &w->io.ring.batches, memory_order_relaxed);
		else
			s.io_fallback++;
	}
	/* Each counter is exact, but read at slightly different times. */
	s.io_waiting = s.io_submitted > s.io_completed ?
	    s.io_submitted - s.io_completed : 0;
	s.workers = pool->nworkers;
	*out = s;
}
