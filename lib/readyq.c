/*
 * The ready queue of a worker: its ready fibers and detached tasks, taken
 * oldest first by any worker, the owner included, so fibers run in the
 * order they became ready (kiln_yield relies on it).
 *
 * It is the array and the steal() of a growable Chase-Lev deque: D. Chase
 * and Y. Lev, "Dynamic circular work-stealing deque" (SPAA 2005), with the
 * C11 memory orders of N. M. Le, A. Pop, A. Cohen and F. Zappa Nardelli,
 * "Correct and efficient work-stealing for weak memory models" (PPoPP
 * 2013).  Only the owner pushes, at the bottom; every consumer takes at the
 * top with the paper's steal().  Nobody takes at the bottom, so there is no
 * owner/thief race on the last element, and none of the paper's seq_cst
 * fences: the CAS on top alone decides which consumer gets an entry.
 *
 * Invariant: top <= bottom; entries [top, bottom) are live, at index
 * i & (size - 1) of the current array.  top only grows (by CAS), bottom only
 * grows (owner's stores), so an index never names two different entries and
 * there is no ABA on top.
 *
 * Growing: the owner copies the live entries into an array twice the size,
 * then publishes it.  A consumer may still read the old array; old arrays are
 * kept until the queue is destroyed (their total is below the final size).
 *
 * Uses alloc.h; used by worker.c.
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "readyq.h"

struct kiln__rqarray {
	struct kiln__rqarray *next; /* retired list */
	size_t mask;
	_Atomic(void *) slot[];
};

static struct kiln__rqarray *rqarray_new(size_t size)
{
	struct kiln__rqarray *a;

	a = kiln__alloc(sizeof(*a) + size * sizeof(a->slot[0]));
	if (!a)
		return NULL;
	a->next = NULL;
	a->mask = size - 1;
	return a;
}

int kiln__readyq_init(struct kiln__readyq *q, size_t capacity)
{
	struct kiln__rqarray *a;
	size_t size = 16;

	while (size < capacity)
		size *= 2;
	a = rqarray_new(size);
	if (!a)
		return -ENOMEM;
	atomic_init(&q->top, 0);
	atomic_init(&q->bottom, 0);
	atomic_init(&q->array, a);
	q->retired = NULL;
	return 0;
}

void kiln__readyq_fini(struct kiln__readyq *q)
{
	struct kiln__rqarray *a, *next;

	/* Relaxed: no other thread uses the queue any more. */
	kiln__free(atomic_load_explicit(&q->array, memory_order_relaxed));
	for (a = q->retired; a; a = next) {
		next = a->next;
		kiln__free(a);
	}
}

/* Owner only. */
static struct kiln__rqarray *grow(struct kiln__readyq *q,
    struct kiln__rqarray *old, int64_t top, int64_t bottom)
{
	struct kiln__rqarray *a = rqarray_new(2 * (old->mask + 1));
	int64_t i;

	if (!a)
		return NULL;
	for (i = top; i < bottom; i++) {
		/* Relaxed: these entries were written by this thread. */
		void *x = atomic_load_explicit(&old->slot[i & old->mask],
		    memory_order_relaxed);
		atomic_store_explicit(&a->slot[i & a->mask], x,
		    memory_order_relaxed);
	}
	/*
	 * Release: a consumer that loads the new array (acquire, in take)
	 * must see the entries copied into it.
	 */
	atomic_store_explicit(&q->array, a, memory_order_release);
	old->next = q->retired;
	q->retired = old;
	return a;
}

/* Owner only.  0, or -ENOMEM if the queue was full and could not grow. */
int kiln__readyq_push(struct kiln__readyq *q, void *x)
{
	/* Relaxed: only this thread writes bottom and array. */
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
	struct kiln__rqarray *a = atomic_load_explicit(&q->array,
	    memory_order_relaxed);
	/*
	 * Acquire: pairs with the consumers' CAS on top (seq_cst, so also a
	 * release).  A consumer reads the entry at top before its CAS; once we
	 * see top past an index, that read happened before we reuse the slot.
	 */
	int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);

	if (b - t > (int64_t)a->mask) {
		a = grow(q, a, t, b);
		if (!a)
			return -ENOMEM;
	}
	/* Relaxed: published by the release store of bottom just below. */
	atomic_store_explicit(&a->slot[b & a->mask], x, memory_order_relaxed);
	/*
	 * Release: pairs with the acquire load of bottom in take, which must
	 * see the entry and everything written to the object it points to.
	 * (The paper uses a release fence and a relaxed store; a release store
	 * is the same here and ThreadSanitizer understands it.)
	 */
	atomic_store_explicit(&q->bottom, b + 1, memory_order_release);
	return 0;
}

/*
 * Any thread.  The oldest entry, NULL if the queue looked empty, or
 * KILN__READYQ_ABORT if another consumer won the race for it.
 */
void *kiln__readyq_take(struct kiln__readyq *q)
{
	/* Acquire: orders this load before the loads below; a top that moved
	 * past an entry means that entry is gone (see the CAS). */
	int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
	/* Acquire: pairs with the release store of bottom in push. */
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
	struct kiln__rqarray *a;
	void *x;

	if (t >= b)
		return NULL;
	/* Acquire: pairs with the release store of a grown array. */
	a = atomic_load_explicit(&q->array, memory_order_acquire);
	/*
	 * Relaxed: the entry may be stale only if top moved, and then the CAS
	 * below fails and we drop what we read.
	 */
	x = atomic_load_explicit(&a->slot[t & a->mask], memory_order_relaxed);
	/*
	 * seq_cst: the CAS decides which consumer owns entry t; as a release
	 * it pairs with the acquire load of top in push (the slot is not
	 * reused before our read above).  seq_cst rather than acq_rel also
	 * puts it in the single order that the sleep protocol reasons about.
	 */
	if (!atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1,
	    memory_order_seq_cst, memory_order_relaxed))
		return KILN__READYQ_ABORT;
	return x;
}

/* Any thread: how many entries, roughly (both ends may move meanwhile). */
size_t kiln__readyq_size(struct kiln__readyq *q)
{
	/* Relaxed: an estimate for sizing a batch of steals; each steal
	 * checks for itself. */
	int64_t t = atomic_load_explicit(&q->top, memory_order_relaxed);
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);

	return b > t ? (size_t)(b - t) : 0;
}

/* Any thread: a snapshot, for idle workers deciding whether to sleep. */
int kiln__readyq_empty(struct kiln__readyq *q)
{
	/* seq_cst: read after the sleeper's seq_cst fence (worker.c). */
	int64_t t = atomic_load_explicit(&q->top, memory_order_seq_cst);
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_seq_cst);

	return t >= b;
}
