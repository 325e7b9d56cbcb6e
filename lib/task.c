/*
 * The task API: the slow paths of kiln_spawn and kiln_sync (their fast paths
 * are inline in kiln.h), kiln_join, kiln_parallel_for, kiln_go, kiln_yield.
 *
 * kiln_sync(t), when t is not the private top of this worker's deque:
 *  - t is in this worker's deque, not at the top (syncs out of order, or
 *    tasks of parked fibers above it): run the tasks above it, each as a
 *    thief would (their parents sync them elsewhere), then take t.
 *  - t is at the top but public: kiln__split_pop takes it back or finds it
 *    stolen.
 *  - t is not in this deque: a thief has it, or it waits in the deque of
 *    the worker this fiber ran on when it spawned t (the fiber moved since),
 *    or it is done.  Wait for it: the fiber parks until it is done.
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "worker.h"

/* The deque is full, or we are not on a worker: run the task now. */
void kiln__spawn_slow(kiln_task *t)
{
	struct kiln__worker *w = kiln__worker_self();

	if (w)  /* only this thread writes it; kiln_pool_stats reads it */
		__atomic_store_n(&w->sq.fast.spawns, __atomic_load_n(
		    &w->sq.fast.spawns, __ATOMIC_RELAXED) + 1,
		    __ATOMIC_RELAXED);
	/* Relaxed: read back by this same task's sync. */
	__atomic_store_n(&t->kiln__slot, NULL, __ATOMIC_RELAXED);
	t->kiln__fn(t->kiln__arg);
	/* Release: pairs with the acquire load in kiln__wait_task, in case
	 * the sync happens after this fiber moved to another thread. */
	__atomic_store_n(&t->kiln__state, KILN__DONE, __ATOMIC_RELEASE);
}

/* A thief asked for work (movesplit): share some, wake a sleeper. */
void kiln__share(void)
{
	struct kiln__worker *w = kiln__worker_self();

	if (w && kiln__split_share(&w->sq))
		kiln__wake_one(w->pool);
}

void kiln__sync_slow(kiln_task *t)
{
	for (;;) {
		struct kiln__worker *w = kiln__worker_self();
		ptrdiff_t i, top;
		kiln_task *x;

		if (!w)
			break;
		i = kiln__split_find(&w->sq, t);
		if (i < 0)
			break;
		top = kiln__split_top(&w->sq);
		switch (kiln__split_pop(&w->sq, &x)) {
		case KILN__POP_TASK:
			if (top == i) {
				t->kiln__fn(t->kiln__arg);
				return;
			}
			kiln__run_and_queue_parent(x);
			break;
		case KILN__POP_STOLEN:
			if (top == i)
				goto wait;
			break;
		case KILN__POP_EMPTY:
			goto wait;
		}
	}
wait:
	kiln__wait_task(t);
}

void kiln_join(void (*a)(void *), void *aa, void (*b)(void *), void *ba)
{
	kiln_task t;

	kiln_spawn(&t, b, ba);
	a(aa);
	kiln_sync(&t);
}

struct range {
	size_t begin, end, grain;
	void (*body)(size_t, size_t, void *);
	void *arg;
};

static void range_run(void *p)
{
	const struct range *r = p;
	struct range lo = *r, hi = *r;
	kiln_task t;

	if (r->end - r->begin <= r->grain) {
		r->body(r->begin, r->end, r->arg);
		return;
	}
	hi.begin = lo.end = r->begin + (r->end - r->begin) / 2;
	kiln_spawn(&t, range_run, &hi);
	range_run(&lo);
	kiln_sync(&t);
}

void kiln_parallel_for(size_t begin, size_t end, size_t grain,
    void (*body)(size_t begin, size_t end, void *arg), void *arg)
{
	struct kiln__worker *w = kiln__worker_self();
	struct range r = { begin, end, grain, body, arg };

	if (end <= begin)
		return;
	if (!w) {
		body(begin, end, arg);
		return;
	}
	if (r.grain == 0) {
		/* About 8 pieces per worker: enough to balance, few enough
		 * that the splitting costs nothing. */
		r.grain = (end - begin) / (8 * (size_t)w->pool->nworkers);
		if (r.grain == 0)
			r.grain = 1;
	}
	range_run(&r);
}

int kiln_go(void (*fn)(void *), void *arg)
{
	struct kiln__worker *w = kiln__worker_self();
	struct kiln__call *c;

	if (!fn)
		return -EINVAL;
	if (!w)
		return -EPERM;
	c = kiln__alloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->job.kind = KILN__JOB_GO;
	c->task.kiln__fn = fn;
	c->task.kiln__arg = arg;
	/* Relaxed: kiln_pool_destroy runs after this task returned (its
	 * kiln_run, or an outer kiln_go's count, orders it). */
	atomic_fetch_add_explicit(&w->pool->live, 1, memory_order_relaxed);
	kiln__push_and_wake(w, &c->job);
	return 0;
}

/* After kiln_yield's park: f is ready again, behind what completed. */
static void requeue(struct kiln__fiber *f, void *arg)
{
	struct kiln__worker *w = kiln__worker_self();

	/* Take what completed first, so that it runs before f. */
	kiln__io_reap(&w->io, 1);
	kiln__push_and_wake(w, &f->job);
}

void kiln_yield(void)
{
	if (kiln__worker_self())
		(void)kiln__park(requeue, NULL);
}

int kiln_worker_id(void)
{
	struct kiln__worker *w = kiln__worker_self();

	return w ? (int)w->id : -1;
}
