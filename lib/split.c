/*
 * The split task deque: the idea of T. van Dijk and J. van de Pol, "Lace:
 * non-blocking split deque for work-stealing" (Euro-Par 2014 workshops),
 * written anew for C11 atomics, for caller-owned task frames, for typed
 * tasks kept in the deque like Lace's, and for fibers that move between
 * workers.
 *
 * Each deque is an aligned region (KILN__DEQUE_BYTES): its first page holds
 * struct kiln__split, 64-byte slots fill the rest.  Its live slots are
 * split in three runs:
 *
 *	base        head           split             tail          end
 *	|  taken     |   public     |    private      |    free     |
 *
 *  - private [split, tail): only the owner touches these slots.  Spawns
 *    store at tail and syncs take tail - 1 back with plain loads and stores
 *    (inline, in kiln.h): no fence, no read-modify-write.
 *  - public [head, split): thieves take the oldest, at head, by a CAS on
 *    the word ts = head | split << 32.
 *  - taken [base, head): taken by thieves, or by the owner for its
 *    worker's orphans (below).
 *
 * One deque per fiber.  A fiber's deque moves with it: whichever thread
 * runs the fiber is the owner, handed over by the park and resume of the
 * fiber (worker.c), which order everything.  So a task's record, and the
 * tail that typed context tasks keep in a register (kiln_ctx), stay valid
 * when the fiber resumes on another worker.  When a fiber parks, its
 * remaining tasks must not wait for it: kiln__split_evacuate takes them all
 * (as a thief would, head up to tail) and pushes them onto its worker's
 * orphans, a deque of the same kind whose owner is the worker's scheduling
 * loop; thieves steal from both.  The parked fiber later finds those tasks
 * taken, like stolen ones, and waits for them.
 *
 * What a slot holds: every task is a record kept in a slot (kiln.h), and
 * word 0 of the slot (w0) says what state it is in.
 *  - run | KILN__REC: a task pending here: run(slot) runs it; word 1 is
 *    its state, the rest whatever run needs (fn and arg for kiln_spawn,
 *    whose run is the constant KILN__RUN_PLAIN that kiln__run_of turns
 *    into kiln__run_task; the argument and the result of a typed task).
 *  - KILN__W_HOLE: dead (a task synced out of order, taken from the middle
 *    of the private run), still between head and tail.  Thieves that take
 *    a hole find nothing.
 *  - KILN__W_STOLEN: a record that a thief runs in place: the slot is the
 *    task's until its parent synced it.
 *  - run | KILN__W_MOVED: a record whose task went to the orphans (and is
 *    run in place from there).
 *  - KILN__W_FREE: reusable.
 * In the orphans, a record is referred to by its address | KILN__W_REF.
 * A record's slot is never reused before its parent synced it: only the
 * parent frees it (FREE, or by popping it), after its task is done.
 *
 * The task's state.  A spawn stores no state: whoever takes a task out of
 * the owner's reach first (a thief, or the evacuation) writes 0, and a thief
 * releases the slot (w0, STOLEN) after that, so that a parent that finds its
 * task taken waits for w0 to leave the pending word (acquire) and only then
 * reads the state.  Then the usual protocol (worker.c): the parent parks and
 * publishes itself by a CAS of the state from 0, the finisher exchanges it
 * for 1.
 *
 * The owner keeps its own copy of split (fast.split, as a pointer); it is
 * the only writer of split, so the copy is exact.  Thieves never see the
 * private part grow: when a thief finds nothing public it raises the
 * movesplit flag, and the owner's next spawn calls kiln__split_share,
 * which moves split up by a CAS with release order (publishing the slots).
 *
 * Why one word.  The owner lowers split (to take public slots back) and a
 * thief raises head (to steal) with a CAS on the same word, so the two can
 * never both succeed on one slot: whichever CAS comes first in ts's
 * modification order wins, and the other fails and re-reads.
 *
 * Lowering head.  When every public slot was taken, the owner resets ts to
 * (i, i) to reuse the slots from i up.  That may lower head, so ts values
 * repeat (ABA).  It is harmless because a thief uses nothing it read before
 * its CAS except ts itself: if its CAS succeeds, ts equals what it read, so
 * slot head is public now, whatever happened in between, and the thief
 * reads the slot after the CAS.  Reading after the CAS has its own hazard:
 * the owner might reuse a slot before the thief read it.  So a thief, once
 * it has read a slot, stores to w0 (release), and the owner waits for that
 * (acquire) before it reuses a taken slot; the wait is a few instructions
 * long unless the thief was preempted in between.
 *
 * Holes.  A task synced out of order is taken out of the middle of the
 * private run (kiln__split_take lowers split to it first), and its slot
 * becomes a hole until the top comes down to it; kiln__split_share may
 * make it public meanwhile, and thieves skip it.  When the frame that
 * synced returns, holes it left may remain above its caller's tail: dead,
 * so the caller overwrites them, but a typed context task writes at its own
 * tail (kiln_ctx), not at the deque's, and must not write into a slot that
 * is public.  So a context spawn compares its tail with the deque's first
 * (kiln.h), and kiln__split_settle takes the dead slots back.
 *
 * Uses nothing else of kiln; used by task.c and worker.c.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "split.h"

#define HEAD(v) ((uint32_t)(v))
#define SPLIT(v) ((uint32_t)((v) >> 32))
#define TS(h, s) ((uint64_t)(h) | (uint64_t)(s) << 32)
/* The header page: struct kiln__split, then the slots. */
#define HEADER_BYTES ((size_t)4096)

static inline size_t idx(const struct kiln__split *q,
    const struct kiln__slot *p)
{
	return (size_t)(p - q->base);
}

static inline struct kiln__slot *slot(const struct kiln__split *q,
    size_t i)
{
	return &q->base[i];
}

/* Word 0 of slot i.  Relaxed unless said otherwise by the caller. */
static inline uintptr_t w0(const struct kiln__split *q, size_t i,
    int order)
{
	return __atomic_load_n(&q->base[i].kiln__w[0], order);
}

static inline void set_w0(struct kiln__split *q, size_t i, uintptr_t w,
    int order)
{
	__atomic_store_n(&q->base[i].kiln__w[0], w, order);
}

/*
 * The region is reserved address space: pages are backed when first used,
 * so a deep deque costs memory only as deep as it gets.  Mapped twice as
 * large, then trimmed, to get the alignment.
 */
int kiln__split_create(struct kiln__split **out, int orphans)
{
	size_t len = KILN__DEQUE_BYTES;
	char *p, *a;
	struct kiln__split *q;

	_Static_assert(sizeof(struct kiln__split) <= HEADER_BYTES,
	    "the header fits its page");
	_Static_assert(sizeof(struct kiln__slot) == 64, "a slot is a line");
	p = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	a = (char *)(((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + len - a));
	q = (struct kiln__split *)(void *)a;
	q->base = (struct kiln__slot *)(void *)(a + HEADER_BYTES);
	q->cap = (uint32_t)((len - HEADER_BYTES) / sizeof(struct kiln__slot));
	q->fast.tail = q->base;
	q->fast.split = q->base;
	q->fast.end = slot(q, q->cap);
	q->fast.spawns = 0;
	q->fast.kiln__owner = NULL;
	q->fast.movesplit = 0;
	q->orphans = orphans;
	q->next = NULL;
	q->free_next = NULL;
	atomic_init(&q->ts, TS(0, 0));
	*out = q;
	return 0;
}

void kiln__split_destroy(struct kiln__split *q)
{
	munmap(q, KILN__DEQUE_BYTES);
}

size_t kiln__split_index(const struct kiln__split *q,
    const struct kiln__slot *s)
{
	return idx(q, s);
}

/* Any thread: head, for the owner deciding whether a slot was taken. */
uint32_t kiln__split_head(struct kiln__split *q)
{
	/* Relaxed: a stale head only says "not taken" about a slot that a
	 * thief is taking now; its CAS then beats the owner's (see top). */
	return HEAD(atomic_load_explicit(&q->ts, memory_order_relaxed));
}

/*
 * Owner: make public all of the private run from split up to ns.  seq_cst,
 * see kiln__split_share.
 */
static void publish(struct kiln__split *q, size_t ns)
{
	/* Relaxed: the CAS below re-checks the value. */
	uint64_t v = atomic_load_explicit(&q->ts, memory_order_relaxed);

	/*
	 * Release: pairs with the acquire CAS in kiln__split_steal; a thief
	 * that takes a slot below ns sees the slot and the frame or record
	 * that the owner wrote with relaxed and plain stores.  Thieves only
	 * move head, so retry with their head until we get in.  seq_cst on
	 * success also orders the CAS before the caller's load of the
	 * sleeper count (worker.c).
	 */
	while (!atomic_compare_exchange_weak_explicit(&q->ts, &v,
	    TS(HEAD(v), ns), memory_order_seq_cst, memory_order_relaxed))
		;
	q->fast.split = slot(q, ns);
}

/*
 * Owner: make half of the private run public (at least one task; holes
 * too, thieves skip them).  Returns 1 if anything was shared, so the caller
 * may wake a sleeping worker.
 */
int kiln__split_share(struct kiln__split *q)
{
	size_t s = idx(q, q->fast.split), t = idx(q, q->fast.tail);

	/* Relaxed: a hint for the owner; a thief sets it again if needed. */
	__atomic_store_n(&q->fast.movesplit, 0, __ATOMIC_RELAXED);
	if (t <= s)
		return 0;
	publish(q, s + (t - s + 1) / 2);
	return 1;
}

/* Owner: wait until the thief of slot i has read it (see the top). */
static void wait_slot_read(struct kiln__split *q, size_t i)
{
	unsigned int n = 0;

	/*
	 * Acquire: pairs with the thief's release store of FREE; after it
	 * the thief is done with the slot, which this thread may reuse.
	 */
	while (w0(q, i, __ATOMIC_ACQUIRE) != KILN__W_FREE) {
		if (++n % 64 == 0)
			sched_yield();
	}
}

/* The task at record r, whose word 0 is w. */
static void record_task(struct kiln__slot *r, uintptr_t w,
    struct kiln__taken *out)
{
	out->fn = kiln__run_of(w);
	out->arg = r;
	out->state = &r->kiln__w[1];
}

/* The task an entry of the orphans stands for (state already written). */
static void orphan_task(uintptr_t w, struct kiln__taken *out)
{
	struct kiln__slot *r = (struct kiln__slot *)(w & ~(uintptr_t)63);

	/* Relaxed: written before the release that published the entry
	 * (the orphans' share), or on this thread. */
	record_task(r, __atomic_load_n(&r->kiln__w[0], __ATOMIC_RELAXED), out);
}

/*
 * Thief: take the oldest public task.  1 with *out filled; 0 with *busy = 1
 * if another thief or the owner got in first or the slot was a hole (worth
 * retrying), *busy = 0 if nothing is public.
 */
int kiln__split_steal(struct kiln__split *q, struct kiln__taken *out,
    int *busy)
{
	/* Relaxed: only a guess at the value the CAS below checks. */
	uint64_t v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	uint32_t h = HEAD(v), s = SPLIT(v);
	uintptr_t w;

	*busy = 0;
	if (h >= s) {
		/* Relaxed: a request; re-raised at the next attempt if lost. */
		if (!__atomic_load_n(&q->fast.movesplit, __ATOMIC_RELAXED))
			__atomic_store_n(&q->fast.movesplit, 1,
			    __ATOMIC_RELAXED);
		return 0;
	}
	/*
	 * Acquire: pairs with the release CAS in publish, so the slot and
	 * the frame or record it holds are visible.  Thieves' own successful
	 * CASes continue that release sequence.  Release is not needed:
	 * nothing we wrote before matters to the owner.
	 */
	if (!atomic_compare_exchange_strong_explicit(&q->ts, &v, TS(h + 1, s),
	    memory_order_acquire, memory_order_relaxed)) {
		*busy = 1;
		return 0;
	}
	/* Relaxed: made visible by the acquire above; the owner writes the
	 * slot again only after our release below. */
	w = w0(q, h, __ATOMIC_RELAXED);
	if (q->orphans) {
		/* The evacuation wrote the state. */
		orphan_task(w, out);
		/* Release: pairs with the acquire load in wait_slot_read. */
		set_w0(q, h, KILN__W_FREE, __ATOMIC_RELEASE);
		return 1;
	}
	if (w == KILN__W_HOLE) {
		/* Release: pairs with wait_slot_read. */
		set_w0(q, h, KILN__W_FREE, __ATOMIC_RELEASE);
		*busy = 1;
		return 0;
	}
	record_task(slot(q, h), w, out);
	/* Relaxed: published by the release just below. */
	__atomic_store_n(out->state, 0, __ATOMIC_RELAXED);
	/* Release: pairs with the parent's acquire load of w0 in
	 * kiln__sync_rec, which then reads the state. */
	set_w0(q, h, KILN__W_STOLEN, __ATOMIC_RELEASE);
	return 1;
}

/* Any thread: is anything public?  For idle workers deciding to sleep. */
int kiln__split_public(struct kiln__split *q)
{
	/* seq_cst: read after the sleeper's seq_cst fence (worker.c). */
	uint64_t v = atomic_load_explicit(&q->ts, memory_order_seq_cst);

	return HEAD(v) < SPLIT(v);
}

/*
 * Owner: make slot i, between head and tail, private, taking back from the
 * thieves' reach whatever is public above it.  1 if it is the owner's now,
 * 0 if a thief took it first.
 */
int kiln__split_take(struct kiln__split *q, size_t i)
{
	uint64_t v;

	if (slot(q, i) >= q->fast.split)
		return 1;
	/* Relaxed: only the CAS result matters. */
	v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	for (;;) {
		if (HEAD(v) > i)
			return 0;
		/*
		 * Relaxed: the CAS only has to be atomic with the thieves'
		 * CAS; no data is published or acquired by taking back
		 * slots that this thread wrote.
		 */
		if (atomic_compare_exchange_weak_explicit(&q->ts, &v,
		    TS(HEAD(v), i), memory_order_relaxed,
		    memory_order_relaxed)) {
			q->fast.split = slot(q, i);
			return 1;
		}
	}
}

/*
 * Owner: every slot from i up was taken (head >= tail = i + 1) and slot i
 * may be reused: start again at i.  Relaxed: with head == split no thief
 * CAS can succeed, so nothing races with this store.
 */
static void restart_at(struct kiln__split *q, size_t i)
{
	q->fast.tail = slot(q, i);
	q->fast.split = slot(q, i);
	atomic_store_explicit(&q->ts, TS(i, i), memory_order_relaxed);
}

/*
 * Owner: pop the dead slots off the top (holes, and taken slots whose
 * tasks are synced), down to the first that still holds or owes a task.
 */
void kiln__split_drop_dead(struct kiln__split *q)
{
	for (;;) {
		size_t t = idx(q, q->fast.tail), i;
		uintptr_t w;

		if (t == 0)
			return;
		i = t - 1;
		w = w0(q, i, __ATOMIC_RELAXED);
		if (slot(q, i) >= q->fast.split) {
			if (w != KILN__W_HOLE && w != KILN__W_FREE)
				return;
			q->fast.tail = slot(q, i);
			continue;
		}
		if (i >= kiln__split_head(q)) {
			/* Public: a live task stays; a hole is taken back
			 * (or was just taken: then look again). */
			if (w != KILN__W_HOLE)
				return;
			(void)kiln__split_take(q, i);
			continue;
		}
		/*
		 * Taken, so head >= i + 1 = tail: all is taken.  Acquire:
		 * pairs with the release of a thief done with the slot, or
		 * of nothing (the owner's own FREE).
		 */
		if (w0(q, i, __ATOMIC_ACQUIRE) != KILN__W_FREE)
			return;
		restart_at(q, i);
	}
}

/*
 * Owner: make tail the top, everything at and above it being dead: a typed
 * context task came back to its own tail after a callee left dead slots
 * above it (kiln.h, kiln__ctx_slot), or syncs from there.
 */
void kiln__split_settle(struct kiln__split *q, struct kiln__slot *tail)
{
	size_t ti = idx(q, tail), i;
	uint64_t v;

	if (tail >= q->fast.tail)
		return;
	/* Relaxed: only the CAS result matters (see kiln__split_take). */
	v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	for (;;) {
		uint32_t h = HEAD(v), s = SPLIT(v);

		if (s <= ti)
			break;
		if (h <= ti) {
			/* Relaxed: as in kiln__split_take. */
			if (atomic_compare_exchange_weak_explicit(&q->ts, &v,
			    TS(h, ti), memory_order_relaxed,
			    memory_order_relaxed)) {
				q->fast.split = tail;
				break;
			}
			continue;
		}
		/*
		 * Thieves took dead slots from ti up to h (holes, or tasks
		 * synced since): start again at ti once each was read.
		 * Relaxed: as in kiln__split_take; lowering head is the ABA
		 * case of the top.
		 */
		if (atomic_compare_exchange_weak_explicit(&q->ts, &v,
		    TS(ti, ti), memory_order_relaxed, memory_order_relaxed)) {
			for (i = ti; i < h; i++)
				wait_slot_read(q, i);
			q->fast.split = tail;
			break;
		}
	}
	q->fast.tail = tail;
}

/* Owner of the orphans: push w, an entry of the orphans. */
static void orphan_push(struct kiln__split *to, uintptr_t w)
{
	struct kiln__slot *s = to->fast.tail;

	/* Relaxed: published by the caller's publish (release). */
	__atomic_store_n(&s->kiln__w[0], w, __ATOMIC_RELAXED);
	to->fast.tail = s + 1;
}

/*
 * Owner, when its fiber parks: take every task of from that no thief took
 * yet (as many as to has room for, oldest first), write their state, and
 * push them onto to, the worker's orphans, all made public.  Returns how
 * many moved, so that the caller wakes a sleeper if any did.
 */
size_t kiln__split_evacuate(struct kiln__split *from,
    struct kiln__split *to)
{
	size_t t = idx(from, from->fast.tail), room, h, e, i, n = 0;
	uint64_t v;

	room = to->cap - idx(to, to->fast.tail);
	/* Relaxed: only the CAS result matters (see kiln__split_take). */
	v = atomic_load_explicit(&from->ts, memory_order_relaxed);
	for (;;) {
		h = HEAD(v);
		if (h >= t || room == 0)
			return 0;
		e = t - h > room ? h + room : t;
		/* Take [h, e) as thieves would; split at least e. */
		if (atomic_compare_exchange_weak_explicit(&from->ts, &v,
		    TS(e, SPLIT(v) > e ? SPLIT(v) : e), memory_order_relaxed,
		    memory_order_relaxed))
			break;
	}
	if (slot(from, e) > from->fast.split)
		from->fast.split = slot(from, e);
	for (i = h; i < e; i++) {
		uintptr_t w = w0(from, i, __ATOMIC_RELAXED);
		struct kiln__slot *r = slot(from, i);

		if ((w & KILN__W_TAG) != KILN__REC) {
			/* A hole (nothing else lies between head and tail). */
			set_w0(from, i, KILN__W_FREE, __ATOMIC_RELAXED);
			continue;
		}
		/*
		 * Relaxed: this fiber reads them after it resumed (ordered by
		 * the resume), the orphans' taker after the publish below
		 * (release).
		 */
		__atomic_store_n(&r->kiln__w[1], 0, __ATOMIC_RELAXED);
		set_w0(from, i, (w & ~KILN__W_TAG) | KILN__W_MOVED,
		    __ATOMIC_RELAXED);
		orphan_push(to, (uintptr_t)r | KILN__W_REF);
		n++;
	}
	if (n)
		publish(to, idx(to, to->fast.tail));
	return n;
}

/*
 * Owner of the orphans: take the newest task.  KILN__POP_TASK: *out is ours
 * to run.  KILN__POP_STOLEN: a thief took it first and its slot is dropped.
 * KILN__POP_EMPTY: nothing here.
 */
enum kiln__pop kiln__split_pop(struct kiln__split *q,
    struct kiln__taken *out)
{
	size_t i;
	uint64_t v;

	if (q->fast.tail == slot(q, 0))
		return KILN__POP_EMPTY;
	i = idx(q, q->fast.tail) - 1;
	if (slot(q, i) >= q->fast.split) {
		q->fast.tail = slot(q, i);
		orphan_task(w0(q, i, __ATOMIC_RELAXED), out);
		return KILN__POP_TASK;
	}
	/*
	 * The top is public, so split == tail == i + 1: take it back, and
	 * with it the newer half of the public run.  Relaxed: only the CAS
	 * result matters.
	 */
	v = atomic_load_explicit(&q->ts, memory_order_relaxed);
	for (;;) {
		uint32_t h = HEAD(v);
		size_t ns;

		if (h > i)
			break;
		ns = h + (i + 1 - h) / 2;
		/* Relaxed: as in kiln__split_take. */
		if (atomic_compare_exchange_weak_explicit(&q->ts, &v,
		    TS(h, ns), memory_order_relaxed, memory_order_relaxed)) {
			q->fast.split = slot(q, ns);
			q->fast.tail = slot(q, i);
			orphan_task(w0(q, i, __ATOMIC_RELAXED), out);
			return KILN__POP_TASK;
		}
	}
	/* Everything public was stolen; the slot may be reused once read. */
	wait_slot_read(q, i);
	restart_at(q, i);
	return KILN__POP_STOLEN;
}
