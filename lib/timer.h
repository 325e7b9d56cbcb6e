/*
 * A binary min-heap of timers by deadline, one per worker, used only by its
 * owner: kiln_sleep when the worker has no io_uring.  Uses alloc.h only.
 */
#ifndef KILN_TIMER_H
#define KILN_TIMER_H

#include <stddef.h>
#include <stdint.h>

/* Embedded in whatever waits; found again with container_of. */
struct kiln__timer {
	uint64_t deadline;  /* CLOCK_MONOTONIC ns */
	/* Called by the heap's user when the timer is due (res 0) or
	 * cancelled (res < 0); ctx is the user's. */
	void (*fire)(struct kiln__timer *t, void *ctx, int res);
	size_t idx;         /* its place in the heap, while it is there */
};

struct kiln__timers {
	struct kiln__timer **heap;
	size_t n, cap;
};

int kiln__timers_add(struct kiln__timers *t, struct kiln__timer *tm);
void kiln__timers_remove(struct kiln__timers *t, struct kiln__timer *tm);
struct kiln__timer *kiln__timers_expired(struct kiln__timers *t,
    uint64_t now);
uint64_t kiln__timers_next(const struct kiln__timers *t);
void kiln__timers_fini(struct kiln__timers *t);

#endif /* KILN_TIMER_H */
