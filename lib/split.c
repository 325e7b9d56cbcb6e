/*
 * The split task deque: the idea of T. van Dijk and J. van de Pol, "Lace:
 * non-blocking split deque for work-stealing" (Euro-Par 2014 workshops),
 * written anew for C11 atomics and for kiln's caller-owned task frames.
 *
 * Each worker owns an array of task pointers.  Its live slots are split in
 * three runs:
 *
 *	base        head           split             tail          end
 *	|  stolen    |   public     |    private      |    free     |
 *
 *  - private [split, tail): only the owner touches these slots.  kiln_spawn
 *    stores at tail and kiln_sync takes tail - 1 back with plain loads and
 *    stores (inline, in kiln.h): no fence, no read-modify-write.
 *  - public [head, split): thieves take the oldest, at head, by a CAS on
 *    the word ts = head | split << 32.
 *  - stolen [base, head): taken by thieves; each slot is set to NULL by its
 *    thief once the thief has read it.
 *
 * The owner keeps its own copy of split (fast.split, as a pointer); it is
 * the only writer of split, so the copy is exact.  Thieves never see the
 * private part grow: when a thief finds nothing public it raises the
 * movesplit flag, and the owner's next kiln_spawn calls kiln__split_share,
 * which moves split up by a CAS with release order (publishing the slots).
 *
 * Why one word.  The owner lowers split (to take a public slot back) and a
 * thief raises head (to steal) with a CAS on the same word, so the two can
 * never both succeed on one slot: whichever CAS comes first in ts's
 * modification order wins, and the other fails and re-reads.
 *
 * Taking the top back when it is public (kiln__split_pop): the owner lowers
 * split to the middle of the public run, keeping the older half public.  If
 * instead head has passed the slot, a thief has it: the owner drops the slot
 * and resets ts to (tail, tail).  That reset may lower head, so ts values
 * repeat (ABA).  It is harmless because a thief uses nothing it read before
 * its CAS except ts itself: if its CAS succeeds, ts equals what it read, so
 * slot head is public now, whatever happened in between, and the thief
 * reads the slot after the CAS.
 *
 * Reading after the CAS has its own hazard: the owner, having seen the slot
 * stolen, might reuse it before the thief read it.  So the thief, once it
 * has read the slot, stores NULL in it (release), and the owner waits for
 * that NULL (acquire) before reusing a stolen slot; the wait is a few
 * instructions long unless the thief was preempted in between.
 *
 * Every task taken other than by the owner's inline kiln_sync has its
 * kiln__slot set to NULL before its slot can be reused (by the thief before
 * its NULL store, by kiln__split_pop before it returns), because the inline
 * sync trusts kiln__slot instead of reading the deque (see kiln.h).
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "split.h"

#define HEAD(v) ((uint32_t)(v))
#define SPLIT(v) ((uint32_t)((v) >> 32))
#define TS(h, s) ((uint64_t)(h) | (uint64_t)(s) << 32)

static inline size_t idx(const struct kiln__split *q, kiln_task **p)
{
	return (size_t)(p - (kiln_task **)q->base);
}

static inline kiln_task **slot(const struct kiln__split *q, size_t i)
{
	return (kiln_task **)&q->base[i];
}

/*
 * The slots are reserved address space: pages are backed when first used,
 * so a deep deque costs memory only as deep as it gets.
 */
int kiln__split_init(struct kiln__split *q, size_t cap)
{
	void *p;

	if (cap >= UINT32_MAX)
		return -EINVAL;
	p = mmap(NULL, cap * sizeof(q->base[0]), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	q->base = p;
	q->cap = cap;
	q->fast.tail = slot(q, 0);
	q->fast.split = slot(q, 0);
	q->fast.end = slot(q, cap);
	q->fast.spawns = 0;
	q->fast.movesplit = 0;
	atomic_init(&q->ts, TS(0, 0));
	return 0;
}

void kiln__split_fini(struct kiln__split *q)
{
	munmap((void *)q->base, q->cap * sizeof(q->base[0]));
}

/*
 * Owner: make half of the private run public (at least one task).  Returns
 * 1 if anything was shared, so the caller may wake a sleeping worker.
 */
int kiln__split_share(struct kiln__split *q)
{
	size_t s = idx(q, q->fast.split), t = idx(q, q->fast.tail);
	size_t ns;
	uint64_t v;

	/* Relaxed: a hint for the owner; a thief sets it again if needed. */
	__atomic_store_n(&q->fast.movesplit, 0, __ATOMIC_RELAXED);
	if (t <= s)
		return 0;
	ns = s + (t - s + 1) / 2;
	/* Relaxed: the CAS below re-checks the value. */
	v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	/*
	 * Release: pairs with the acquire CAS in kiln__split_steal; a thief
	 * that takes a slot below ns sees the slot and the task frame that the
	 * owner wrote with relaxed stores.  Thieves only move head, so retry
	 * with their head until we get in.  seq_cst on success also orders the
	 * CAS before the caller's load of the sleeper count (worker.c).
	 */
	while (!atomic_compare_exchange_weak_explicit(&q->ts, &v,
	    TS(HEAD(v), ns), memory_order_seq_cst, memory_order_relaxed))
		;
	q->fast.split = slot(q, ns);
	return 1;
}

/*
 * The task is leaving its slot other than through the inline sync: its
 * kiln__slot must not claim the slot any more (see the top).  Relaxed: the
 * parent may read it concurrently on another worker, where any value fails
 * the comparison with that worker's tail; on this worker, program order (or
 * the release/acquire pair on the slot, for thieves) orders it first.
 */
static inline void untie(kiln_task *t)
{
	__atomic_store_n(&t->kiln__slot, NULL, __ATOMIC_RELAXED);
}

/* Owner: wait until the thief of slot i has read it (see the top). */
static void wait_slot_read(struct kiln__split *q, size_t i)
{
	unsigned int n = 0;

	/*
	 * Acquire: pairs with the thief's release store of NULL; after it the
	 * thief is done with the slot, and its NULL in the task's kiln__slot
	 * is visible to this thread, which may now reuse the slot.
	 */
	while (atomic_load_explicit(&q->base[i], memory_order_acquire)) {
		if (++n % 64 == 0)
			sched_yield();
	}
}

/*
 * Owner: take the newest task.  KILN__POP_TASK: *out is ours to run.
 * KILN__POP_STOLEN: *out was taken by a thief and its slot is dropped.
 * KILN__POP_EMPTY: nothing here.
 */
enum kiln__pop kiln__split_pop(struct kiln__split *q, kiln_task **out)
{
	kiln_task **top;
	size_t i;
	uint64_t v;

	if (q->fast.tail == slot(q, 0))
		return KILN__POP_EMPTY;
	top = q->fast.tail - 1;
	i = idx(q, top);
	if (top >= q->fast.split) {
		q->fast.tail = top;
		/* Relaxed: a private slot, written by this thread. */
		*out = atomic_load_explicit(&q->base[i], memory_order_relaxed);
		untie(*out);
		return KILN__POP_TASK;
	}
	/*
	 * The top is public, so split == tail == i + 1.  Relaxed: only the
	 * CAS result matters, and taking back our own slots needs no data
	 * from thieves.
	 */
	v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	for (;;) {
		uint32_t h = HEAD(v);
		size_t ns;

		if (h > i)
			break;
		ns = h + (i + 1 - h) / 2;
		/*
		 * Relaxed: the CAS only has to be atomic with the thieves'
		 * CAS; no data is published or acquired by taking back
		 * slots that this thread wrote.
		 */
		if (atomic_compare_exchange_weak_explicit(&q->ts, &v,
		    TS(h, ns), memory_order_relaxed, memory_order_relaxed)) {
			q->fast.split = slot(q, ns);
			q->fast.tail = top;
			*out = atomic_load_explicit(&q->base[i],
			    memory_order_relaxed);
			untie(*out);
			return KILN__POP_TASK;
		}
	}
	/* Everything public was stolen; the slot may be reused once read. */
	wait_slot_read(q, i);
	*out = NULL;
	q->fast.tail = top;
	q->fast.split = top;
	/*
	 * Relaxed: with head == split no thief CAS can succeed, so nothing
	 * races with this store, and no data is published by it.
	 */
	atomic_store_explicit(&q->ts, TS(i, i), memory_order_relaxed);
	return KILN__POP_STOLEN;
}

/*
 * Owner: the index of the slot of this deque holding t that no thief has
 * taken yet, or -1.  t's frame says where it was put (kiln__slot, cleared
 * when anyone but the owner's inline sync takes it), so no search is needed.
 */
ptrdiff_t kiln__split_find(struct kiln__split *q, const kiln_task *t)
{
	/* Relaxed: see untie(); a stale slot fails the checks below, or
	 * finds a slot that kiln__split_pop then reports as stolen. */
	kiln_task **s = __atomic_load_n(&t->kiln__slot, __ATOMIC_RELAXED);
	/* Relaxed: a stale head only lets a stolen slot through, likewise. */
	uint32_t h = HEAD(atomic_load_explicit(&q->ts, memory_order_relaxed));
	uintptr_t p = (uintptr_t)s, lo = (uintptr_t)q->base;

	if (p < lo || p >= (uintptr_t)q->fast.tail)
		return -1;
	if ((size_t)(s - (kiln_task **)q->base) < h)
		return -1;
	/* Relaxed: only a pointer comparison; a thief may NULL it. */
	if (atomic_load_explicit(&q->base[s - (kiln_task **)q->base],
	    memory_order_relaxed) != t)
		return -1;
	return s - (kiln_task **)q->base;
}

/* Owner: the index of the newest slot (-1 if none). */
ptrdiff_t kiln__split_top(const struct kiln__split *q)
{
	return (ptrdiff_t)idx(q, q->fast.tail) - 1;
}

/*
 * Thief: take the oldest public task.  NULL with *busy = 1 if another thief
 * or the owner got in first (worth retrying), *busy = 0 if nothing public.
 */
kiln_task *kiln__split_steal(struct kiln__split *q, int *busy)
{
	/* Relaxed: only a guess at the value the CAS below checks. */
	uint64_t v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	uint32_t h = HEAD(v), s = SPLIT(v);
	kiln_task *t;

	*busy = 0;
	if (h >= s) {
		/* Relaxed: a request; re-raised at the next attempt if lost. */
		if (!__atomic_load_n(&q->fast.movesplit, __ATOMIC_RELAXED))
			__atomic_store_n(&q->fast.movesplit, 1,
			    __ATOMIC_RELAXED);
		return NULL;
	}
	/*
	 * Acquire: pairs with the release CAS in kiln__split_share, so the
	 * slot and the task frame it points to are visible.  Thieves' own
	 * successful CASes continue that release sequence.  Release is not
	 * needed: nothing we wrote before matters to the owner.
	 */
	if (!atomic_compare_exchange_strong_explicit(&q->ts, &v, TS(h + 1, s),
	    memory_order_acquire, memory_order_relaxed)) {
		*busy = 1;
		return NULL;
	}
	/*
	 * Relaxed: the slot's content was made visible by the acquire above,
	 * and the owner writes the slot again only after our NULL below.
	 */
	t = atomic_load_explicit(&q->base[h], memory_order_relaxed);
	untie(t);
	/* Release: pairs with the acquire load in wait_slot_read. */
	atomic_store_explicit(&q->base[h], NULL, memory_order_release);
	return t;
}

/* Any thread: is anything public?  For idle workers deciding to sleep. */
int kiln__split_public(struct kiln__split *q)
{
	/* seq_cst: read after the sleeper's seq_cst fence (worker.c). */
	uint64_t v = atomic_load_explicit(&q->ts, memory_order_seq_cst);

	return HEAD(v) < SPLIT(v);
}

