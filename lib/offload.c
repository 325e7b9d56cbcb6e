/*
 * Helper threads: they run work that may block, for the I/O fallback and
 * for calls that io_uring cannot make.  They know nothing of files, fibers
 * or workers: an item is a function to call (struct kiln__work), which
 * hands its own result back.  Uses alloc.h, futex.h and thread.h; used by
 * io.c.
 *
 * Workers hand items over through a bounded multi-producer, multi-consumer
 * array queue (D. Vyukov's design): a producer claims a cell by a CAS on
 * the enqueue counter, fills it, then publishes it by storing the cell's
 * sequence number with release order; a consumer does the mirror image.
 * No mutex: the worst case is a consumer waiting for a producer that was
 * preempted between its CAS and its publication.
 *
 * Idle helpers sleep on an event count (a futex word that producers bump
 * after each enqueue): a helper reads the count, looks at the queue, and
 * sleeps only if the count is unchanged, so no wake-up is lost.  Producers
 * skip the wake system call when no helper is idle (Dekker's pattern on
 * `idle` and the queue, both sides with a seq_cst fence).
 *
 * Every item may block for long (callers do what cannot block themselves),
 * so a helper that takes an item while others stay queued makes sure
 * another hand is coming: it wakes an idle helper or starts a new one, as a
 * producer does (more_hands).  Threads are started on demand, up to
 * MAX_HELPERS, with small stacks: a pool that never needs them has none.
 * When the queue is full the submitter is told to try again later (-EBUSY).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "alloc.h"
#include "futex.h"
#include "offload.h"
#include "thread.h"

#define QUEUE_SIZE 1024u  /* a power of two */
#define MAX_HELPERS 512u
#define HELPER_STACK (128u * 1024)

struct cell {
	_Atomic size_t seq;
	_Atomic(struct kiln__work *) item;
};

struct kiln__offload {
	struct cell cell[QUEUE_SIZE];
	_Alignas(64) _Atomic size_t enq;
	_Alignas(64) _Atomic size_t deq;
	_Alignas(64) _Atomic uint32_t events; /* futex: bumped per enqueue */
	_Atomic uint32_t idle;                /* helpers asleep or about to */
	_Atomic uint32_t stop;
	_Atomic uint32_t nthreads;            /* slots of thread[] taken */
	_Atomic uint32_t live;                /* helpers actually running */
	pthread_t thread[MAX_HELPERS];
};

/*
 * Claim the next position of counter ctr: the cell whose sequence number
 * is the position plus lag (0 for a producer: the cell is free; 1 for a
 * consumer: the cell is full).  NULL if there is none (the queue is full,
 * or empty).  *pos is the position claimed.
 */
static struct cell *claim(struct kiln__offload *o, _Atomic size_t *ctr,
    size_t lag, size_t *pos)
{
	/* Relaxed: the CAS below is what claims a position. */
	size_t p = atomic_load_explicit(ctr, memory_order_relaxed);

	for (;;) {
		struct cell *c = &o->cell[p & (QUEUE_SIZE - 1)];
		/*
		 * Acquire: pairs with the release store of seq by the other
		 * side: a producer then sees the consumer done with the
		 * cell's previous item, a consumer sees the item filled in.
		 */
		intptr_t diff = (intptr_t)atomic_load_explicit(&c->seq,
		    memory_order_acquire) - (intptr_t)(p + lag);

		if (diff < 0)
			return NULL;
		/* Relaxed: the cell's seq orders the data. */
		if (diff == 0 && atomic_compare_exchange_weak_explicit(ctr,
		    &p, p + 1, memory_order_relaxed, memory_order_relaxed)) {
			*pos = p;
			return c;
		}
		if (diff > 0)
			p = atomic_load_explicit(ctr, memory_order_relaxed);
	}
}

static int enqueue(struct kiln__offload *o, struct kiln__work *w)
{
	size_t pos;
	struct cell *c = claim(o, &o->enq, 0, &pos);

	if (!c)
		return -EBUSY;
	/* Relaxed: published by the release store of seq just below. */
	atomic_store_explicit(&c->item, w, memory_order_relaxed);
	/* Release: pairs with the acquire load of seq in a consumer's claim. */
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

static struct kiln__work *dequeue(struct kiln__offload *o)
{
	size_t pos;
	struct cell *c = claim(o, &o->deq, 1, &pos);
	struct kiln__work *w;

	if (!c)
		return NULL;
	/* Relaxed: made visible by the acquire load of seq in claim. */
	w = atomic_load_explicit(&c->item, memory_order_relaxed);
	/* Release: pairs with the acquire load of seq in a producer's claim. */
	atomic_store_explicit(&c->seq, pos + QUEUE_SIZE, memory_order_release);
	return w;
}

static int add_helper(struct kiln__offload *o);

/*
 * After an enqueue, or after a dequeue that may leave items behind: make
 * sure some helper will take them, waking an idle one or starting one.
 */
static void more_hands(struct kiln__offload *o)
{
	/* seq_cst: the publisher's fence (Dekker, see the top).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordered by the fence; a stale count errs on more hands. */
	if (atomic_load_explicit(&o->enq, memory_order_relaxed) ==
	    atomic_load_explicit(&o->deq, memory_order_relaxed))
		return;
	if (atomic_load_explicit(&o->idle, memory_order_relaxed))
		kiln__futex_wake(&o->events, 1);
	else
		add_helper(o);  /* all busy: perhaps blocked for long */
}

/* Run one item; it may block, so others queued need another hand. */
static void run(struct kiln__offload *o, struct kiln__work *w)
{
	more_hands(o);
	w->fn(w);
}

static void *helper_main(void *arg)
{
	struct kiln__offload *o = arg;

	pthread_setname_np(pthread_self(), "kiln-io");
	for (;;) {
		struct kiln__work *w = dequeue(o);
		uint32_t ev;

		if (w) {
			run(o, w);
			continue;
		}
		/* Acquire: pairs with the release increment in submit. */
		ev = atomic_load_explicit(&o->events, memory_order_acquire);
		/* Relaxed: ordered by the fence below. */
		atomic_fetch_add_explicit(&o->idle, 1, memory_order_relaxed);
		/* seq_cst: the sleeper's fence (Dekker, see the top).
		 * (TSan does not model fences: liveness only.) */
		atomic_thread_fence(memory_order_seq_cst);
		w = dequeue(o);
		if (!w && !atomic_load_explicit(&o->stop,
		    memory_order_acquire))
			kiln__futex_wait(&o->events, ev);
		atomic_fetch_sub_explicit(&o->idle, 1, memory_order_relaxed);
		if (w)
			run(o, w);
		else if (atomic_load_explicit(&o->stop,
		    memory_order_acquire)) {
			return NULL;
		}
	}
}

/* Start one more helper if there is room; 0 if one was started. */
static int add_helper(struct kiln__offload *o)
{
	uint32_t i;
	int ret;

	/* Relaxed: only reserves a slot of the array. */
	i = atomic_fetch_add_explicit(&o->nthreads, 1, memory_order_relaxed);
	if (i >= MAX_HELPERS) {
		atomic_fetch_sub_explicit(&o->nthreads, 1,
		    memory_order_relaxed);
		return -EAGAIN;
	}
	ret = kiln__thread_start(&o->thread[i], helper_main, o, HELPER_STACK);
	if (ret < 0) {
		o->thread[i] = 0;  /* the slot stays unused; destroy skips it */
		return ret;
	}
	/* Relaxed: only tells submit that some helper will take its item. */
	atomic_fetch_add_explicit(&o->live, 1, memory_order_relaxed);
	return 0;
}

int kiln__offload_create(struct kiln__offload **out)
{
	struct kiln__offload *o = kiln__alloc_aligned(sizeof(*o), 64);
	unsigned int i;

	if (!o)
		return -ENOMEM;
	for (i = 0; i < QUEUE_SIZE; i++) {
		atomic_init(&o->cell[i].seq, i);
		atomic_init(&o->cell[i].item, NULL);
	}
	atomic_init(&o->enq, 0);
	atomic_init(&o->deq, 0);
	atomic_init(&o->events, 0);
	atomic_init(&o->idle, 0);
	atomic_init(&o->stop, 0);
	atomic_init(&o->nthreads, 0);
	atomic_init(&o->live, 0);
	*out = o;
	return 0;
}

/*
 * Any thread: queue w for a helper.  -EBUSY if the queue is full; the
 * error of starting a thread if no helper runs and none could be started.
 */
int kiln__offload_submit(struct kiln__offload *o, struct kiln__work *w)
{
	int ret;

	/* Relaxed: helpers never exit before destroy, so once one runs,
	 * some helper takes every item queued after. */
	if (!atomic_load_explicit(&o->live, memory_order_relaxed)) {
		ret = add_helper(o);
		if (ret < 0)
			return ret;
	}
	ret = enqueue(o, w);
	if (ret < 0)
		return ret;
	/* Release: pairs with the helpers' acquire load of the count. */
	atomic_fetch_add_explicit(&o->events, 1, memory_order_release);
	more_hands(o);
	return 0;
}

void kiln__offload_destroy(struct kiln__offload *o)
{
	uint32_t i, n;

	/* Release: pairs with the helpers' acquire loads of stop. */
	atomic_store_explicit(&o->stop, 1, memory_order_release);
	atomic_fetch_add_explicit(&o->events, 1, memory_order_release);
	kiln__futex_wake(&o->events, INT32_MAX);
	n = atomic_load_explicit(&o->nthreads, memory_order_relaxed);
	for (i = 0; i < n && i < MAX_HELPERS; i++)
		if (o->thread[i])
			pthread_join(o->thread[i], NULL);
	kiln__free(o);
}
