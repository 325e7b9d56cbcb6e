/*
 * Per-worker timers for the I/O fallback: a binary min-heap keyed by
 * deadline, each timer knowing its place so it can be removed early.
 * Owner only, so no synchronisation.  Uses alloc.h; used by io.c.
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "timer.h"

static int earlier(const struct kiln__timers *t, size_t a, size_t b)
{
	return t->heap[a]->deadline < t->heap[b]->deadline;
}

static void place(struct kiln__timers *t, size_t i, struct kiln__timer *tm)
{
	t->heap[i] = tm;
	tm->idx = i;
}

static void swap(struct kiln__timers *t, size_t a, size_t b)
{
	struct kiln__timer *x = t->heap[a];

	place(t, a, t->heap[b]);
	place(t, b, x);
}

static void sift_up(struct kiln__timers *t, size_t i)
{
	while (i > 0 && earlier(t, i, (i - 1) / 2)) {
		swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct kiln__timers *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && earlier(t, l, m))
			m = l;
		if (r < t->n && earlier(t, r, m))
			m = r;
		if (m == i)
			return;
		swap(t, i, m);
		i = m;
	}
}

int kiln__timers_add(struct kiln__timers *t, struct kiln__timer *tm)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct kiln__timer **h = kiln__grow(t->heap,
		    t->cap * sizeof(*h), cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		t->heap = h;
		t->cap = cap;
	}
	place(t, t->n++, tm);
	sift_up(t, tm->idx);
	return 0;
}

/* Take tm out of the heap before it is due. */
void kiln__timers_remove(struct kiln__timers *t, struct kiln__timer *tm)
{
	size_t i = tm->idx;

	if (--t->n == i)
		return;
	/* The last timer fills the hole, then moves to where it belongs. */
	place(t, i, t->heap[t->n]);
	if (i > 0 && earlier(t, i, (i - 1) / 2))
		sift_up(t, i);
	else
		sift_down(t, i);
}

/* Remove and return one timer due at now, or NULL. */
struct kiln__timer *kiln__timers_expired(struct kiln__timers *t,
    uint64_t now)
{
	struct kiln__timer *top;

	if (t->n == 0 || t->heap[0]->deadline > now)
		return NULL;
	top = t->heap[0];
	kiln__timers_remove(t, top);
	return top;
}

/* The earliest deadline, or UINT64_MAX if there is none. */
uint64_t kiln__timers_next(const struct kiln__timers *t)
{
	return t->n ? t->heap[0]->deadline : UINT64_MAX;
}

void kiln__timers_fini(struct kiln__timers *t)
{
	kiln__free(t->heap);
	t->heap = NULL;
	t->n = t->cap = 0;
}
