/*
 * The task API: the slow paths of kiln_spawn, kiln_sync and the typed tasks
 * (their fast paths are inline in kiln.h), kiln_join, kiln_parallel_for,
 * kiln_go, kiln_yield.
 *
 * A sync's task x was spawned by this fiber, so it is in this fiber's deque
 * (the deque moves with the fiber), or taken out of it.  When the inline
 * sync does not find x private on top:
 *  - x was taken (by a thief, or moved to a worker's orphans when this
 *    fiber parked): wait until it is done; the fiber parks.
 *  - x is on top but public: take it back, unless a thief gets it first.
 *  - x is below the top: dead slots are popped first (tasks synced out of
 *    order leave holes); if x is still below live tasks (syncs out of
 *    order), x is taken out of the middle, leaving a hole, and run here.
 *    The tasks above stay where they are, stealable, for their own syncs.
 * A task's record stays in its slot until its sync is done with it, and is
 * run in place.
 *
 * Uses split.c and worker.c (waiting, waking).
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "worker.h"

/* The running fiber's deque.  On a worker only. */
static inline struct kiln__split *my_deque(void)
{
	return (struct kiln__split *)(void *)kiln__current();
}

/*
 * kiln__spawn_slow and kiln__sync_slow: the slow paths of kiln_spawn and
 * kiln_sync as the headers of KILN_0.1 called them.  Today's inline code
 * calls neither; they stay exported, with that version's names, and do
 * what the calls do.
 */
KILN_API void kiln__spawn_slow(kiln_task *t);
KILN_API void kiln__sync_slow(kiln_task *t);

void kiln__spawn_slow(kiln_task *t)
{
	t->kiln__s = NULL;
	t->kiln__fn(t->kiln__arg);
}

/* kiln_spawn found the deque full, or no pool: run the task now (out of
 * the caller's hot path). */
void kiln__run_now(void (*fn)(void *), void *arg)
{
	fn(arg);
}

/* What runs kiln_spawn's records (their run word is KILN__RUN_PLAIN). */
void kiln__run_task(void *rec)
{
	struct kiln__task_rec *r = rec;

	r->kiln__fn(r->kiln__arg);
}

/* A thief asked for work (movesplit): share some, wake a sleeper.  (Only
 * tests have a deque without a worker.) */
void kiln__share(void)
{
	struct kiln__worker *w = kiln__worker_self();

	if (kiln__split_share(my_deque()) && w)
		kiln__wake_one(w->pool);
}

/*
 * A context spawn at tail found the deque's tail elsewhere, or a thief's
 * request.  If only dead slots lie between the context and the deque's
 * tail (a callee's holes), the context's tail becomes the deque's.  If live
 * tasks do (spawned without the context since it was got), the slot at tail
 * is theirs: 0, the task runs at once.  Then share, if asked.  Returns 1
 * if the record goes at tail.
 */
int kiln__ctx_slow(struct kiln__slot *tail)
{
	struct kiln__split *q = (struct kiln__split *)(void *)
	    KILN__DEQUE_OF(tail);
	struct kiln__slot *s;

	if (tail < q->fast.tail) {
		for (s = tail; s < q->fast.tail; s++) {
			/* Relaxed: the owner's view of its own slots; a thief's
			 * FREE only makes a taken slot look live a while. */
			uintptr_t w = __atomic_load_n(&s->kiln__w[0],
			    __ATOMIC_RELAXED);

			if (w != KILN__W_HOLE && w != KILN__W_FREE)
				break;
		}
		if (s != q->fast.tail)
			return 0;
		kiln__split_settle(q, tail);
	} else if (tail > q->fast.tail) {
		return 0;  /* a context older than a sync: misuse */
	}
	if (__atomic_load_n(&q->fast.movesplit, __ATOMIC_RELAXED))
		kiln__share();
	return 1;
}

void kiln__sync_slow(kiln_task *t)
{
	if (!KILN__RAN(t->kiln__s))
		(void)kiln__sync_rec(t->kiln__s);
}

/*
 * Run the record at slot i, ours and private, in place: its run function
 * reads the argument before calling and stores the result after, so the
 * slot may serve the task's own children meanwhile.  Then free the slot.
 */
static void run_record(struct kiln__split *q, size_t i)
{
	struct kiln__slot *r = &q->base[i];
	uintptr_t w = __atomic_load_n(&r->kiln__w[0], __ATOMIC_RELAXED);

	/* Relaxed: the owner's own private slot. */
	__atomic_store_n(&r->kiln__w[0], KILN__W_HOLE, __ATOMIC_RELAXED);
	kiln__run_of(w)(r);
	kiln__split_drop_dead(my_deque());
}

/* Sync the record at s, this fiber's: returns the deque's tail after. */
struct kiln__slot *kiln__sync_rec(struct kiln__slot *s)
{
	struct kiln__split *q = (struct kiln__split *)(void *)
	    KILN__DEQUE_OF(s);
	size_t i = kiln__split_index(q, s);
	uintptr_t w;

	for (;;) {
		if (i >= kiln__split_head(q)) {
			if (kiln__split_take(q, i)) {
				run_record(q, i);
				return q->fast.tail;
			}
			continue;
		}
		/*
		 * Taken.  Acquire: pairs with the thief's release store of
		 * KILN__W_STOLEN (split.c), after which the state is the
		 * thief's; until then the word is still the pending one.
		 */
		while (((w = __atomic_load_n(&s->kiln__w[0],
		    __ATOMIC_ACQUIRE)) & KILN__W_TAG) == KILN__REC)
			kiln__cpu_relax();
		kiln__wait_task(&s->kiln__w[1]);
		/* Done: its taker no longer touches the slot.  Relaxed: the
		 * owner's own word, past the taker's last access. */
		__atomic_store_n(&s->kiln__w[0], KILN__W_FREE, __ATOMIC_RELAXED);
		kiln__split_drop_dead(q);
		return q->fast.tail;
	}
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
	c->fn = fn;
	c->arg = arg;
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
