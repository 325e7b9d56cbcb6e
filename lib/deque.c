/*
 * A growable Chase-Lev work-stealing deque: D. Chase and Y. Lev, "Dynamic
 * circular work-stealing deque" (SPAA 2005), with the C11 memory orders of
 * N. M. Le, A. Pop, A. Cohen and F. Zappa Nardelli, "Correct and efficient
 * work-stealing for weak memory models" (PPoPP 2013).
 *
 * kiln uses it for each worker's ready fibers and detached tasks.  One
 * difference from the paper: nobody pops at the bottom.  The owner pushes at
 * the bottom and every consumer, the owner included, takes the oldest entry
 * at the top with the paper's steal(), so ready fibers run in the order they
 * became ready (kiln_yield relies on it).  Without take() there is no
 * owner/thief race on the last element, and so none of the paper's seq_cst
 * fences: the CAS on top alone decides which consumer gets an entry.
 *
 * Invariant: top <= bottom; entries [top, bottom) are live, at index
 * i & (size - 1) of the current array.  top only grows (by CAS), bottom only
 * grows (owner's stores), so an index never names two different entries and
 * there is no ABA on top.
 *
 * Growing: the owner copies the live entries into an array twice the size,
 * then publishes it.  A consumer may still read the old array; old arrays are
 * kept until the deque is destroyed (their total is below the final size).
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "deque.h"

struct kiln__darray {
	struct kiln__darray *next; /* retired list */
	size_t mask;
	_Atomic(void *) slot[];
};

static struct kiln__darray *darray_new(size_t size)
{
	struct kiln__darray *a;

	a = kiln__alloc(sizeof(*a) + size * sizeof(a->slot[0]));
	if (!a)
		return NULL;
	a->next = NULL;
	a->mask = size - 1;
	return a;
}

int kiln__deque_init(struct kiln__deque *q, size_t capacity)
{
	struct kiln__darray *a;
	size_t size = 16;

	while (size < capacity)
		size *= 2;
	a = darray_new(size);
	if (!a)
		return -ENOMEM;
	atomic_init(&q->top, 0);
	atomic_init(&q->bottom, 0);
	atomic_init(&q->array, a);
	q->retired = NULL;
	return 0;
}

void kiln__deque_fini(struct kiln__deque *q)
{
	struct kiln__darray *a, *next;

	/* Relaxed: no other thread uses the deque any more. */
	kiln__free(atomic_load_explicit(&q->array, memory_order_relaxed));
	for (a = q->retired; a; a = next) {
		next = a->next;
		kiln__free(a);
	}
}

/* Owner only. */
static struct kiln__darray *grow(struct kiln__deque *q,
    struct kiln__darray *old, int64_t top, int64_t bottom)
{
	struct kiln__darray *a = darray_new(2 * (old->mask + 1));
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
	 * Release: a consumer that loads the new array (acquire, in steal)
	 * must see the entries copied into it.
	 */
	atomic_store_explicit(&q->array, a, memory_order_release);
	old->next = q->retired;
	q->retired = old;
	return a;
}

/* Owner only.  0, or -ENOMEM if the deque was full and could not grow. */
int kiln__deque_push(struct kiln__deque *q, void *x)
{
	/* Relaxed: only this thread writes bottom and array. */
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
	struct kiln__darray *a = atomic_load_explicit(&q->array,
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
	 * Release: pairs with the acquire load of bottom in steal, which must
	 * see the entry and everything written to the object it points to.
	 * (The paper uses a release fence and a relaxed store; a release store
	 * is the same here and ThreadSanitizer understands it.)
	 */
	atomic_store_explicit(&q->bottom, b + 1, memory_order_release);
	return 0;
}

/*
 * Any thread.  The oldest entry, NULL if the deque looked empty, or
 * KILN__DEQUE_ABORT if another consumer won the race for it.
 */
void *kiln__deque_steal(struct kiln__deque *q)
{
	/* Acquire: orders this load before the loads below; a top that moved
	 * past an entry means that entry is gone (see the CAS). */
	int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
	/* Acquire: pairs with the release store of bottom in push. */
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
	struct kiln__darray *a;
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
		return KILN__DEQUE_ABORT;
	return x;
}

/* Any thread: how many entries, roughly (both ends may move meanwhile). */
size_t kiln__deque_size(struct kiln__deque *q)
{
	/* Relaxed: an estimate for sizing a batch of steals; each steal
	 * checks for itself. */
	int64_t t = atomic_load_explicit(&q->top, memory_order_relaxed);
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);

	return b > t ? (size_t)(b - t) : 0;
}

/* Any thread: a snapshot, for idle workers deciding whether to sleep. */
int kiln__deque_empty(struct kiln__deque *q)
{
	/* seq_cst: read after the sleeper's seq_cst fence (worker.c). */
	int64_t t = atomic_load_explicit(&q->top, memory_order_seq_cst);
	int64_t b = atomic_load_explicit(&q->bottom, memory_order_seq_cst);

	return t >= b;
}
