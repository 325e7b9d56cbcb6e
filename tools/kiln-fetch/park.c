/*
 * Waiting for other tasks without a mutex: kiln-fetch's tasks wait for a
 * host name another task is resolving (dns.c) and for a free connection
 * slot of an origin (conn.c).  A pthread mutex or condition variable would
 * block the worker thread, and with it every other task queued on that
 * worker; kiln has no task-level condition variable.  What it has is
 * kiln_poll(3), which parks a task until a descriptor is ready.  So each
 * waiting point is an eventfd:
 *
 *  - a latch is an eventfd written once and never read: from then on it
 *    is readable, so every poll on it, before or after, returns.  The
 *    state itself is an atomic flag; the eventfd only wakes.
 *  - a gate is an eventfd in semaphore mode holding the free slots: a
 *    read (non-blocking) takes one or fails with EAGAIN, a write of 1
 *    gives one back.  The kernel makes take and give atomic.  A task that
 *    found none polls for readability and tries again; several may wake
 *    for one slot, and all but one poll again.
 *
 * The eventfd's read and write are plain system calls that never block
 * (the descriptors are non-blocking), so they are made directly, not
 * through kiln: only the waits go through kiln_poll.  Used by dns.c and
 * conn.c; uses kiln_poll and kiln_timeout.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <kiln.h>

#include "park.h"
#include "tool.h"

int deadline_arm(uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return 0;
	now = tool_now_ns();
	if (now >= deadline)
		return -ETIME;
	return kiln_timeout(deadline - now);
}

uint64_t deadline_min(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* Park until efd is readable or deadline passes; 0, -ETIME, -ECANCELED. */
static int wait_readable(int efd, uint64_t deadline)
{
	int r = deadline_arm(deadline);

	if (r < 0)
		return r;
	r = kiln_poll(efd, POLLIN);
	return r < 0 && r != -EINTR ? r : 0;
}

int latch_init(struct latch *l)
{
	atomic_init(&l->open, 0);
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return l->efd < 0 ? -errno : 0;
}

void latch_fini(struct latch *l)
{
	close(l->efd);
}

void latch_open(struct latch *l)
{
	uint64_t one = 1;

	/* Release: pairs with the acquire loads in latch_is_open and
	 * latch_wait, after which the waiter reads what we wrote before. */
	atomic_store_explicit(&l->open, 1, memory_order_release);
	/* Never fails: the counter is far below its maximum. */
	(void)!write(l->efd, &one, sizeof(one));
}

int latch_is_open(struct latch *l)
{
	/* Acquire: pairs with the release store in latch_open. */
	return atomic_load_explicit(&l->open, memory_order_acquire);
}

int latch_wait(struct latch *l, uint64_t deadline)
{
	int r;

	/* If the store in latch_open comes after our load, so does the
	 * write that makes efd readable: the poll then returns. */
	while (!latch_is_open(l))
		if ((r = wait_readable(l->efd, deadline)) < 0)
			return r;
	return 0;
}

int gate_init(struct gate *g, unsigned int n)
{
	g->efd = eventfd(n, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	return g->efd < 0 ? -errno : 0;
}

void gate_fini(struct gate *g)
{
	close(g->efd);
}

int gate_enter(struct gate *g, uint64_t deadline)
{
	uint64_t v;
	int r;

	for (;;) {
		/* The kernel's lock on the eventfd orders this take after the
		 * give it takes, and what the giver did before it. */
		if (read(g->efd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((r = wait_readable(g->efd, deadline)) < 0)
			return r;
	}
}

void gate_leave(struct gate *g)
{
	uint64_t one = 1;

	(void)!write(g->efd, &one, sizeof(one));
}
