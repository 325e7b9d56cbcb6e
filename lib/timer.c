/*
 * Per-worker timers for the I/O fallback: a binary min-heap keyed by
 * deadline.  Owner only, so no synchronisation.  Used by io.c.
 */
#include "config.h"

#include <errno.h>

#include "alloc.h"
#include "timer.h"

static void swap(struct kiln__timer **a, struct kiln__timer **b)
{
	struct kiln__timer *x = *a;

	*a = *b;
	*b = x;
}

int kiln__timers_add(struct kiln__timers *t, struct kiln__timer *tm)
{
	size_t i;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct kiln__timer **h = kiln__alloc(cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		if (t->n)
			memcpy(h, t->heap, t->n * sizeof(*h));
		kiln__free(t->heap);
		t->heap = h;
		t->cap = cap;
	}
	i = t->n++;
	t->heap[i] = tm;
	while (i > 0 && t->heap[(i - 1) / 2]->deadline > t->heap[i]->deadline) {
		swap(&t->heap[(i - 1) / 2], &t->heap[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

/* Remove and return one timer due at now, or NULL. */
struct kiln__timer *kiln__timers_expired(struct kiln__timers *t,
    uint64_t now)
{
	struct kiln__timer *top;
	size_t i = 0;

	if (t->n == 0 || t->heap[0]->deadline > now)
		return NULL;
	top = t->heap[0];
	t->heap[0] = t->heap[--t->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && t->heap[l]->deadline < t->heap[m]->deadline)
			m = l;
		if (r < t->n && t->heap[r]->deadline < t->heap[m]->deadline)
			m = r;
		if (m == i)
			break;
		swap(&t->heap[i], &t->heap[m]);
		i = m;
	}
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
