/*
 * Workers and the scheduling loop.
 *
 * A worker thread starts on its own stack, switches at once to a fiber from
 * its pool and runs schedule() there until the pool stops.  Tasks run on
 * whatever fiber the worker is on; a fiber is parked only when a task must
 * wait (a stolen child not yet done, kiln_yield, I/O), and the worker goes on
 * with a fresh fiber.  A fiber whose wait is over becomes a job in some
 * worker's ready queue and may resume on any worker.
 *
 * Where work comes from, in the order schedule() looks:
 *  1. its own task deque (tasks left there by fibers that parked),
 *  2. its inbox (jobs from threads outside the pool), moved to 3,
 *  3. its ready queue (ready fibers and detached tasks, oldest first),
 *  4. a random victim: public tasks, then ready jobs.
 *
 * Handing over a parked fiber.  A fiber must be completely switched out
 * before another thread may resume it.  So the fiber that parks does not
 * publish itself: it records a function in w->after, and the fiber it
 * switches to calls it first thing (after_switch).  E.g. a parent waiting
 * for a stolen child is published in the child's state word only from the
 * new fiber, and the thief that finishes the child resumes it from there;
 * an I/O call of the fallback goes to the helper threads from there.
 *
 * Thread-local storage and migration.  A fiber may resume on another thread,
 * so no function here keeps the worker pointer across a switch: every switch
 * is followed by a fresh kiln__current() (an asm volatile read, which the
 * compiler can neither cache nor move).
 *
 * Sleeping without lost wake-ups.  An idle worker spins a while, then
 *	sleep = SLEEPING; nsleep++; fence; look at every deque; kiln__io_idle
 * and a thread that publishes work does
 *	publish; fence; if (nsleep) wake one SLEEPING worker:
 *	    CAS its sleep to AWAKE, then kiln__io_wake.
 * The two seq_cst fences make this Dekker's pattern: either the sleeper's
 * look sees the work, or the publisher's load sees the sleeper.  io.c's
 * wake-up is remembered (an eventfd count) if it comes before the sleeper
 * blocks in kiln__io_idle, so it cannot slip in between.  Only one sleeper
 * is woken per publication (no stampede); a woken worker that steals wakes
 * the next if more sleep, so wake-ups fan out as fast as work does.
 * (ThreadSanitizer does not model fences; the argument above is about
 * liveness, which TSan does not check.)
 *
 * Uses readyq, split, fiber and io (through its hooks); io.c calls back
 * only through park.h, whose functions are defined here.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>

#include "alloc.h"
#include "counter.h"
#include "futex.h"
#include "worker.h"

/* How long an idle worker looks for work before it sleeps. */
#define IDLE_SPINS 2048
/* How long kiln_sync polls a stolen child before parking. */
#define WAIT_SPINS 64
/* Fibers kept per worker for reuse. */
#define FIBER_CACHE 64

/*
 * Outside any pool kiln__self points at this inert deque: always full (tail
 * == end, and NULL for the typed context tasks), so kiln_spawn calls the
 * task at once, and kiln_sync finds nothing and returns.  It has no owner.
 * It is only ever read.
 */
static struct kiln__wfast nonworker;

__thread struct kiln__wfast *kiln__self
    __attribute__((tls_model("initial-exec"))) = &nonworker;

/*
 * kiln__self is this thread's own, but each fiber that runs on the thread
 * sets it (switch_to), and ThreadSanitizer models fibers as threads: it
 * would take writes by two fibers, or by a fiber and an earlier thread whose
 * TLS block a new thread reuses, for a race.  So the library reads and
 * writes it with relaxed atomics (the inline fast paths read it in asm).
 */
static inline void set_self(struct kiln__wfast *f)
{
	__atomic_store_n(&kiln__self, f, __ATOMIC_RELAXED);
}

struct kiln__wfast *kiln__current_slow(void)
{
	return __atomic_load_n(&kiln__self, __ATOMIC_RELAXED);
}

/* kiln__self is the running fiber's deque, whose owner is the worker. */
struct kiln__worker *kiln__worker_self(void)
{
	return kiln__current()->kiln__owner;
}

/* Only where the caller is known to run on a worker. */
static inline struct kiln__worker *me(void)
{
	return kiln__current()->kiln__owner;
}

static inline struct kiln__worker *of_wio(struct kiln__wio *io)
{
	return (struct kiln__worker *)(void *)((char *)io -
	    offsetof(struct kiln__worker, io));
}

struct kiln__wio *kiln__wio_self(void)
{
	struct kiln__worker *w = kiln__worker_self();

	return w ? &w->io : NULL;
}

struct kiln__fiber *kiln__fiber_self(void)
{
	return me()->current;
}

static uint64_t rng_next(struct kiln__worker *w)
{
	/* xorshift64 */
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void schedule(void) __attribute__((noreturn));
static void after_switch(void);

static void fiber_main(void)
{
	kiln__fiber_entered();
	after_switch();
	schedule();
}

/*
 * A task deque for a new fiber.  Deques are never unmapped before the pool
 * goes: a thief may still hold a pointer read from a worker's cur, and
 * steal from it (harmlessly: it is someone's deque, or empty).
 */
static struct kiln__split *deque_get(struct kiln__worker *w)
{
	struct kiln__split *q = w->spare;

	if (q) {
		w->spare = q->free_next;
		return q;
	}
	if (kiln__split_create(&q, 0) != 0)
		return NULL;
	/* Relaxed: only this thread writes the list. */
	q->next = atomic_load_explicit(&w->deques, memory_order_relaxed);
	/* Release: pairs with the acquire load in kiln__worker_spawns. */
	atomic_store_explicit(&w->deques, q, memory_order_release);
	return q;
}

/* A fiber ready to start at fiber_main, or NULL if none can be made. */
static struct kiln__fiber *fiber_get(struct kiln__worker *w)
{
	struct kiln__fiber *f = w->free_fibers;

	if (f) {
		w->free_fibers = f->next;
		w->nfree--;
	} else {
		if (kiln__fiber_create(&f, w->pool->stack_size) != 0)
			return NULL;
		f->dq = deque_get(w);
		if (!f->dq) {
			kiln__fiber_destroy(f);
			return NULL;
		}
		kiln__owner_add(&w->stats.fibers, 1);
	}
	kiln__fiber_start(f, fiber_main);
	return f;
}

static void fiber_put(struct kiln__worker *w, struct kiln__fiber *f)
{
	if (w->nfree >= FIBER_CACHE) {
		/* Its deque is empty: the fiber finished at the loop. */
		f->dq->free_next = w->spare;
		w->spare = f->dq;
		kiln__fiber_destroy(f);
		return;
	}
	f->next = w->free_fibers;
	w->free_fibers = f;
	w->nfree++;
}

/*
 * Continue on fiber to; the fiber we leave is handed to after(from, arg) on
 * the new fiber (see after_switch).  Returns when something switches back
 * to this fiber, possibly on another thread: callers must re-read the
 * worker.  from_done: the fiber we leave will never run again.  The
 * fiber's task deque comes with it: this thread owns it from here on.
 */
static void switch_to(struct kiln__worker *w, struct kiln__fiber *to,
    kiln__after_fn *after, void *arg, int from_done)
{
	struct kiln__fiber *from = w->current;

	w->after.fn = after;
	w->after.arg = arg;
	w->after.fiber = from;
	w->current = to;
	to->dq->fast.kiln__owner = w;
	set_self(&to->dq->fast);
	/* Release: pairs with the acquire load in steal_one; the deque was
	 * made (and its owner set) before. */
	atomic_store_explicit(&w->cur, to->dq, memory_order_release);
	kiln__fiber_switch(from, to, from_done);
	after_switch();
}

/* What the fiber switched to does first, for the one switched from. */
static void after_switch(void)
{
	struct kiln__worker *w = me();
	kiln__after_fn *fn = w->after.fn;

	w->after.fn = NULL;
	if (fn)
		fn(w->after.fiber, w->after.arg);
}

/* After a fiber finished: back to the free list. */
static void recycle(struct kiln__fiber *f, void *arg)
{
	fiber_put(me(), f);
}

/* Continue a parked fiber; the current one is finished. */
static __attribute__((noreturn)) void resume(struct kiln__worker *w,
    struct kiln__fiber *f)
{
	kiln__owner_add(&w->stats.resumes, 1);
	switch_to(w, f, recycle, NULL, 1);
	__builtin_unreachable();
}

/*
 * After kiln__wait_task's park: f waits for the task whose state is arg.  f
 * is fully switched out now, so it may be published.  Release: pairs with
 * the acquire exchange in finish_task, which then sees f's saved context.
 * Acquire on failure: the task is done, and f will read its results.
 */
static void publish_waiter(struct kiln__fiber *f, void *arg)
{
	uintptr_t *state = arg;
	uintptr_t expect = 0;

	if (!__atomic_compare_exchange_n(state, &expect, (uintptr_t)f, 0,
	    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		resume(me(), f);
}

/*
 * The parking fiber's tasks must not wait for it: they go to this worker's
 * orphans (split.c), where the loop and thieves find them.
 */
int kiln__park(kiln__after_fn *after, void *arg)
{
	struct kiln__worker *w = me();
	struct kiln__fiber *g = fiber_get(w);

	if (!g)
		return -ENOMEM;
	kiln__owner_add(&w->stats.suspends, 1);
	if (kiln__split_evacuate(w->current->dq, w->orphans))
		kiln__wake_one(w->pool);
	switch_to(w, g, after, arg, 0);
	return 0;
}

/* Make a job runnable on worker w (the caller's own worker), quietly. */
static void ready_push(struct kiln__worker *w, struct kiln__job *j)
{
	if (kiln__readyq_push(&w->ready, j) != 0) {
		/* Out of memory: keep it private rather than lose it. */
		j->next = NULL;
		if (w->overflow)
			w->overflow_tail->next = j;
		else
			w->overflow = j;
		w->overflow_tail = j;
	}
}

/* The same, and wake a sleeping worker to take it, if one sleeps. */
void kiln__push_and_wake(struct kiln__worker *w, struct kiln__job *j)
{
	ready_push(w, j);
	kiln__wake_one(w->pool);
}

void kiln__fiber_ready(struct kiln__wio *io, struct kiln__fiber *f)
{
	ready_push(of_wio(io), &f->job);
}

void kiln__fiber_ready_remote(struct kiln__wio *io, struct kiln__fiber *f)
{
	kiln__inbox_push(of_wio(io), &f->job);
}

void kiln__wake_idle(struct kiln__wio *io)
{
	struct kiln__worker *w = of_wio(io);

	/*
	 * One ready job is the one this worker takes next: waking another
	 * worker for it would only have that one find nothing and sleep
	 * again (once per message, on a server).  Two, or tasks of this
	 * worker's own that come first, are work to spare.
	 */
	if (kiln__readyq_size(&w->ready) > 1 || w->overflow ||
	    kiln__split_used(w->orphans) || kiln__split_used(w->current->dq))
		kiln__wake_one(w->pool);
}

/*
 * Move the jobs of from's inbox to w's ready queue, oldest first.  Any
 * worker may empty any inbox: the exchange takes the whole list at once,
 * so there is no ABA, and a job left at a busy worker is not stuck there.
 */
static int drain_inbox(struct kiln__worker *w, struct kiln__worker *from)
{
	struct kiln__job *j, *fifo = NULL, *next;

	/* Relaxed: a peek; the exchange below is what takes the jobs. */
	if (!atomic_load_explicit(&from->inbox, memory_order_relaxed))
		return 0;
	/*
	 * Acquire: pairs with the release CAS in kiln__inbox_push, so the
	 * jobs' contents are visible.
	 */
	j = atomic_exchange_explicit(&from->inbox, NULL, memory_order_acquire);
	for (; j; j = next) {
		next = j->next;
		j->next = fifo;
		fifo = j;
	}
	for (j = fifo; j; j = next) {
		next = j->next;
		ready_push(w, j);
	}
	kiln__wake_one(w->pool);
	return 1;
}

/* Any thread: hand a job to worker w and make sure it is awake. */
void kiln__inbox_push(struct kiln__worker *w, struct kiln__job *j)
{
	/* Relaxed: the CAS below re-checks it. */
	struct kiln__job *head = atomic_load_explicit(&w->inbox,
	    memory_order_relaxed);

	do {
		j->next = head;
		/*
		 * Release: pairs with the acquire exchange in drain_inbox;
		 * the job and j->next must be visible to the worker.
		 */
	} while (!atomic_compare_exchange_weak_explicit(&w->inbox, &head, j,
	    memory_order_release, memory_order_relaxed));
	/* seq_cst: the publisher's fence of the sleep protocol (see top).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordered by the fence.  A busy w may not look at its
	 * inbox for long; then a sleeper comes and takes the job. */
	if (atomic_load_explicit(&w->sleep, memory_order_relaxed) ==
	    KILN__SLEEPING)
		kiln__kick(w);
	else
		kiln__wake_one(w->pool);
}

/* Wake w if it sleeps.  Call after the publisher's seq_cst fence. */
void kiln__kick(struct kiln__worker *w)
{
	uint32_t s = KILN__SLEEPING;

	/* Relaxed: a cheap test before the CAS; a stale AWAKE is fine, as
	 * the fence before it orders our publication first (see top). */
	if (atomic_load_explicit(&w->sleep, memory_order_relaxed) != s)
		return;
	/*
	 * Release: the work we published is visible to the sleeper's acquire
	 * load of the word when it wakes.  Whoever moves the word from
	 * SLEEPING to AWAKE also takes the sleeper off nsleep.
	 */
	if (!atomic_compare_exchange_strong_explicit(&w->sleep, &s,
	    KILN__AWAKE, memory_order_release, memory_order_relaxed))
		return;
	/* Relaxed: only a count; the fence protocol orders what matters. */
	atomic_fetch_sub_explicit(&w->pool->nsleep, 1, memory_order_relaxed);
	kiln__io_wake(&w->io);
}

/* Any thread, after publishing work: wake one sleeping worker, if any. */
void kiln__wake_one(struct kiln_pool *pool)
{
	unsigned int i, n = pool->nworkers, start;

	/* seq_cst: the publisher's fence of the sleep protocol (see top).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordered by the fence just above. */
	if (atomic_load_explicit(&pool->nsleep, memory_order_relaxed) == 0)
		return;
	/* Relaxed: only spreads the start of the search. */
	start = atomic_fetch_add_explicit(&pool->next, 1,
	    memory_order_relaxed);
	for (i = 0; i < n; i++) {
		struct kiln__worker *v = pool->workers[(start + i) % n];

		/* Relaxed: kiln__kick's CAS decides. */
		if (atomic_load_explicit(&v->sleep, memory_order_relaxed) ==
		    KILN__SLEEPING) {
			kiln__kick(v);
			return;
		}
	}
}

/*
 * Mark t done; return the fiber waiting for it, if one is.  Acq_rel: the
 * release makes the task's effects visible to the parent's acquire load of
 * the state; the acquire pairs with the release CAS that published the
 * waiting fiber (publish_waiter), whose saved context we are about to use.
 */
static struct kiln__fiber *finish_task(uintptr_t *state)
{
	uintptr_t old = __atomic_exchange_n(state, KILN__DONE,
	    __ATOMIC_ACQ_REL);

	return old > KILN__DONE ? (struct kiln__fiber *)old : NULL;
}

/*
 * Wait until the task whose state this is is done.  Inside a task only
 * (elsewhere: polls).  The thief that finishes it resumes this fiber; it may
 * be on another worker.
 */
void kiln__wait_task(uintptr_t *state)
{
	unsigned int i;

	for (i = 0; i < WAIT_SPINS; i++) {
		/* Acquire: pairs with the release in finish_task. */
		if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == KILN__DONE)
			return;
		kiln__cpu_relax();
	}
	if (kiln__worker_self() && kiln__park(publish_waiter, state) == 0)
		return;
	/* Not a worker, or no memory for a fiber: poll politely. */
	while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != KILN__DONE)
		sched_yield();
}

/*
 * The task of a kiln_run call is done: wake who waits for it.  c may be
 * gone as soon as that one sees it done.
 */
static void root_done(struct kiln__call *c)
{
	struct kiln__worker *home = c->home;
	struct kiln__fiber *f;

	if (home) {
		/* A fiber of another pool: back to a worker of its own pool,
		 * which alone may run it. */
		f = finish_task(&c->state);
		if (f)
			kiln__inbox_push(home, &f->job);
		return;
	}
	/*
	 * Release: pairs with the acquire load in kiln_run, which may free c
	 * as soon as it sees 1: the wake may then hit a dead word, which
	 * only causes a harmless spurious wake-up.
	 */
	atomic_store_explicit(&c->done, 1, memory_order_release);
	kiln__futex_wake(&c->done, 1);
}

/*
 * A task run at the scheduling loop has returned: its fiber's deque holds
 * nothing live, but slots that its syncs left dead may still be stacked up
 * (split.c); pop them, so that the deque is empty again.
 */
static void tidy(void)
{
	kiln__split_drop_dead((struct kiln__split *)(void *)kiln__current());
}

/* Run a job taken from a ready queue.  At the scheduling loop only. */
static void run_job(struct kiln__worker *w, struct kiln__job *j)
{
	struct kiln__call *c = (struct kiln__call *)j;

	switch (j->kind) {
	case KILN__JOB_FIBER:
		resume(w, (struct kiln__fiber *)j);
	case KILN__JOB_GO:
		c->fn(c->arg);
		tidy();
		w = me();
		kiln__owner_add(&w->stats.detached, 1);
		/*
		 * Acq_rel: the release orders the task's effects before
		 * kiln_pool_destroy sees the count drop (acquire load there);
		 * the acquire keeps the last decrement after all others.
		 */
		if (atomic_fetch_sub_explicit(&w->pool->live, 1,
		    memory_order_acq_rel) == 1)
			kiln__futex_wake(&w->pool->live, INT32_MAX);
		kiln__free(c);
		break;
	case KILN__JOB_ROOT:
		c->fn(c->arg);
		tidy();
		root_done(c);
		break;
	}
}

/*
 * Run a task taken from a deque at the scheduling loop: if its parent
 * waits for it, this fiber has nothing left to do, so it switches to the
 * parent directly (the thief that finishes a child continues its parent).
 */
static void run_and_continue_parent(const struct kiln__taken *t)
{
	struct kiln__fiber *f;

	t->fn(t->arg);
	tidy();
	f = finish_task(t->state);
	if (f)
		resume(me(), f);
}

static struct kiln__job *take_ready(struct kiln__worker *w)
{
	struct kiln__job *j = w->overflow;

	if (j) {
		w->overflow = j->next;
		return j;
	}
	do
		j = kiln__readyq_take(&w->ready);
	while (j == KILN__READYQ_ABORT);
	return j;
}

/* A random worker other than w (w itself if it is alone). */
static struct kiln__worker *victim(struct kiln__worker *w)
{
	struct kiln_pool *pool = w->pool;
	struct kiln__worker *v;

	if (pool->nworkers < 2)
		return w;
	v = pool->workers[rng_next(w) % (pool->nworkers - 1)];
	return v == w ? pool->workers[pool->nworkers - 1] : v;
}

/*
 * Take half of v's ready jobs (at least one): run the first, keep the rest.
 * Fibers waiting on I/O come back in bursts; taking them one at a time
 * leaves a worker that holds many busy forever while the thief returns for
 * each next one.
 */
static struct kiln__job *steal_ready(struct kiln__worker *w,
    struct kiln__worker *v)
{
	size_t n = kiln__readyq_size(&v->ready) / 2;
	struct kiln__job *first = NULL, *j;

	do {
		j = kiln__readyq_take(&v->ready);
		if (j == KILN__READYQ_ABORT)
			continue;
		if (!j)
			break;
		kiln__owner_add(&w->stats.steals, 1);
		if (first)
			ready_push(w, j);
		else
			first = j;
	} while (n-- > 1);
	return first;
}

/* Take the oldest public task of q: 1 with *t filled, else 0. */
static int steal_from(struct kiln__split *q, struct kiln__taken *t)
{
	int got, busy;

	do
		got = kiln__split_steal(q, t, &busy);
	while (!got && busy);
	return got;
}

static int steal_one(struct kiln__worker *w)
{
	struct kiln__worker *v = victim(w);
	struct kiln__job *j;
	struct kiln__taken t;

	if (v == w)
		return 0;
	kiln__owner_add(&w->stats.steal_attempts, 1);
	/* Acquire: pairs with the release store in switch_to.  The deque
	 * may be another fiber's by now: stealing from it is as good. */
	if (steal_from(v->orphans, &t) || steal_from(atomic_load_explicit(
	    &v->cur, memory_order_acquire), &t)) {
		kiln__owner_add(&w->stats.steals, 1);
		/* More hands may help: pass the wake-up on. */
		kiln__wake_one(w->pool);
		run_and_continue_parent(&t);
		return 1;
	}
	j = steal_ready(w, v);
	if (!j && drain_inbox(w, v))
		j = take_ready(w);
	if (j) {
		run_job(w, j);
		return 1;
	}
	return 0;
}

/* Find one thing to do and do it; 0 if there was nothing. */
static int run_one(struct kiln__worker *w)
{
	struct kiln__job *j;
	struct kiln__taken t;

	kiln__io_reap(&w->io, 0);
	/* A kiln_timeout that the last task here left unused is not ours,
	 * nor is its accept loop (see kiln_accept). */
	w->current->timeout = 0;
	w->current->accepted = 0;
	/* Nobody spawns onto the orphans: share them when asked, here.
	 * Relaxed: a hint, as in kiln_spawn. */
	if (__atomic_load_n(&w->orphans->fast.movesplit, __ATOMIC_RELAXED) &&
	    kiln__split_share(w->orphans))
		kiln__wake_one(w->pool);
	switch (kiln__split_pop(w->orphans, &t)) {
	case KILN__POP_TASK:
		kiln__io_flush(&w->io, 0);
		run_and_continue_parent(&t);
		return 1;
	case KILN__POP_STOLEN:
		return 1;
	case KILN__POP_EMPTY:
		break;
	}
	/*
	 * Jobs from outside the pool wait in the inbox of the worker they
	 * were given to, which may be busy for long: every pass through here
	 * also looks at one other inbox, so that a worker that is never idle
	 * (and so never steals) still takes them.
	 */
	if (!drain_inbox(w, w))
		drain_inbox(w, victim(w));
	j = take_ready(w);
	/* Nothing ready here: what waits on this worker may be, now. */
	if (!j && kiln__io_reap(&w->io, 1))
		j = take_ready(w);
	if (j) {
		/* Only a resumed fiber is likely to add to the batch soon;
		 * a detached task may compute for long. */
		kiln__io_flush(&w->io, j->kind == KILN__JOB_FIBER &&
		    !kiln__readyq_empty(&w->ready));
		run_job(w, j);
		return 1;
	}
	/* Nothing of our own: what is queued goes to the kernel now. */
	kiln__io_flush(&w->io, 0);
	return steal_one(w);
}

/* Anything for this worker to do, anywhere?  After the sleeper's fence. */
static int work_visible(struct kiln__worker *w)
{
	struct kiln_pool *pool = w->pool;
	unsigned int i;

	/*
	 * seq_cst: loads of the sleep protocol, after the fence (see top).
	 * closing counts as work until this worker has cancelled its I/O:
	 * kiln_pool_destroy only kicks workers it sees asleep.
	 */
	if (atomic_load_explicit(&pool->stop, memory_order_seq_cst) ||
	    kiln__io_cancel_due(&w->io) || w->overflow)
		return 1;
	for (i = 0; i < pool->nworkers; i++) {
		struct kiln__worker *v = pool->workers[i];

		/* seq_cst, as the loads below (see the top). */
		if (kiln__split_public(v->orphans) ||
		    kiln__split_public(atomic_load_explicit(&v->cur,
		    memory_order_seq_cst)) ||
		    !kiln__readyq_empty(&v->ready) ||
		    atomic_load_explicit(&v->inbox, memory_order_seq_cst))
			return 1;
	}
	return 0;
}

static void sleep_idle(struct kiln__worker *w)
{
	struct kiln_pool *pool = w->pool;
	uint32_t s = KILN__SLEEPING;

	/* Relaxed: ordered before the look below by the fence. */
	atomic_store_explicit(&w->sleep, KILN__SLEEPING, memory_order_relaxed);
	atomic_fetch_add_explicit(&pool->nsleep, 1, memory_order_relaxed);
	/* seq_cst: the sleeper's fence of the sleep protocol (see top).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	while (!work_visible(w)) {
		kiln__owner_add(&w->stats.sleeps, 1);
		/* Ends at a kiln__io_wake, or when our own I/O completes
		 * or a timer is due (see io.c). */
		kiln__io_idle(&w->io);
		kiln__io_reap(&w->io, 1);
		/* Acquire: pairs with the release CAS in kiln__kick. */
		if (atomic_load_explicit(&w->sleep, memory_order_acquire) ==
		    KILN__AWAKE)
			return;
	}
	/* Relaxed: if a waker got here first, it also took us off nsleep;
	 * either way we go on looking. */
	if (atomic_compare_exchange_strong_explicit(&w->sleep, &s, KILN__AWAKE,
	    memory_order_relaxed, memory_order_relaxed))
		atomic_fetch_sub_explicit(&pool->nsleep, 1, memory_order_relaxed);
}

static void schedule(void)
{
	unsigned int idle = 0;

	for (;;) {
		struct kiln__worker *w = me();

		if (run_one(w)) {
			idle = 0;
			continue;
		}
		/* Acquire: pairs with the store in kiln_pool_destroy, made
		 * after every task finished. */
		if (atomic_load_explicit(&w->pool->stop,
		    memory_order_acquire) && !kiln__io_busy(&w->io))
			switch_to(w, &w->native, recycle, NULL, 1);
		if (++idle < IDLE_SPINS) {
			kiln__cpu_relax();
			continue;
		}
		idle = 0;
		sleep_idle(w);
	}
}

/* Unmap every deque w made (the pool is going: no thief is left). */
static void deques_free(struct kiln__worker *w)
{
	/* Relaxed: no other thread runs any more. */
	struct kiln__split *q = atomic_load_explicit(&w->deques,
	    memory_order_relaxed), *next;

	for (; q; q = next) {
		next = q->next;
		kiln__split_destroy(q);
	}
	atomic_store_explicit(&w->deques, NULL, memory_order_relaxed);
}

int kiln__worker_init(struct kiln__worker *w, struct kiln_pool *pool,
    unsigned int id)
{
	int ret;

	atomic_init(&w->deques, NULL);
	w->spare = NULL;
	ret = kiln__split_create(&w->orphans, 1);
	if (ret < 0)
		return ret;
	atomic_init(&w->deques, w->orphans);
	w->orphans->fast.kiln__owner = w;
	/* The thread's own stack runs no task; its "deque" names the
	 * worker (kiln__self) until the first switch. */
	w->native.dq = w->orphans;
	atomic_init(&w->cur, w->orphans);
	ret = kiln__readyq_init(&w->ready, 64);
	if (ret < 0) {
		deques_free(w);
		return ret;
	}
	ret = kiln__io_init(&w->io, &pool->io);
	if (ret < 0) {
		kiln__readyq_fini(&w->ready);
		deques_free(w);
		return ret;
	}
	atomic_init(&w->inbox, NULL);
	atomic_init(&w->sleep, KILN__AWAKE);
	w->pool = pool;
	w->id = id;
	w->rng = 0x9e3779b97f4a7c15ull * (id + 1);
	/* The first fiber now, so that failing to make it fails creation. */
	w->current = fiber_get(w);
	if (!w->current) {
		kiln__io_fini(&w->io);
		kiln__readyq_fini(&w->ready);
		deques_free(w);
		return -ENOMEM;
	}
	return 0;
}

/* After the thread has exited, or if it never started. */
void kiln__worker_fini(struct kiln__worker *w)
{
	struct kiln__fiber *f, *next;

	if (w->current != &w->native)
		fiber_put(w, w->current);  /* the first fiber, never run */
	kiln__io_fini(&w->io);

	for (f = w->free_fibers; f; f = next) {
		next = f->next;
		kiln__fiber_destroy(f);
	}
	kiln__readyq_fini(&w->ready);
	deques_free(w);
}

/*
 * The spawns counted in w's deques (KILN_STATS): each deque's owner writes
 * its counter, which moves with the fiber; the deques stay on the list of
 * the worker that made them.  Any thread.
 */
uint64_t kiln__worker_spawns(struct kiln__worker *w)
{
	/* Acquire: pairs with the release store in deque_get. */
	struct kiln__split *q = atomic_load_explicit(&w->deques,
	    memory_order_acquire);
	uint64_t n = 0;

	for (; q; q = q->next)
		/* Relaxed: a counter, exact on its own. */
		n += __atomic_load_n(&q->fast.spawns, __ATOMIC_RELAXED);
	return n;
}

void *kiln__worker_main(void *arg)
{
	struct kiln__worker *w = arg;
	struct kiln__fiber *first = w->current;
	char name[16];

	snprintf(name, sizeof(name), "kiln-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
	set_self(&w->orphans->fast);
	kiln__fiber_native(&w->native);
	kiln__io_start(&w->io);
	/* Release: kiln_pool_create waits for every worker's start-up. */
	atomic_fetch_add_explicit(&w->pool->started, 1, memory_order_release);
	kiln__futex_wake(&w->pool->started, 1);
	w->current = &w->native;
	switch_to(w, first, NULL, NULL, 0);
	/* Back on our own stack: the pool is stopping.  The ring stays until
	 * kiln__worker_fini: other threads may still kick this worker. */
	set_self(&nonworker);
	return NULL;
}
