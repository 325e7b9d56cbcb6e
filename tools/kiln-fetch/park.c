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
 *    state itself is an atomic flag; the eventfd only wakes.  A latch
 *    needs it only while tasks wait: the first waiter makes it, the last
 *    user (waiter or opener) closes it, so a run that resolves many hosts
 *    does not keep a descriptor for each.  A waiter that cannot have one
 *    (the descriptors ran out) looks at the flag between short sleeps.
 *  - a gate is an eventfd in semaphore mode holding the free slots: a
 *    read (non-blocking) takes one or fails with EAGAIN, a write of 1
 *    gives one back.  The kernel makes take and give atomic.  A task that
 *    found none polls for readability and tries again; several may wake
 *    for one slot, and all but one poll again.
 *
 * The eventfd's read and write are plain system calls that never block
 * (the descriptors are non-blocking), so they are made directly, not
 * through kiln: only the waits go through kiln_poll.  Used by dns.c and
 * conn.c; uses kiln_poll, kiln_timeout and budget.c.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <kiln.h>

#include "budget.h"
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

/* A waiter without an eventfd looks at the latch this often. */
#define NAP_NS 1000000u

void latch_init(struct latch *l)
{
	atomic_init(&l->open, 0);
	atomic_init(&l->efd, -1);
	atomic_init(&l->users, 1);
}

void latch_fini(struct latch *l)
{
	(void)l;        /* never opened: no waiter ever came */
}

/* One user leaves; the last closes the eventfd. */
static void latch_put(struct latch *l)
{
	int fd;

	/* Acq_rel: the last user sees the eventfd another one made (their
	 * release here follows their CAS in latch_wait), and closes it after
	 * every other use of it. */
	if (atomic_fetch_sub_explicit(&l->users, 1,
	    memory_order_acq_rel) != 1)
		return;
	/* Relaxed: ordered by the acquire above. */
	fd = atomic_load_explicit(&l->efd, memory_order_relaxed);
	if (fd >= 0)
		close(fd);
}

void latch_open(struct latch *l)
{
	uint64_t one = 1;
	int fd;

	/*
	 * Seq_cst, this store and the load of efd, the CAS of efd and the
	 * load of open in latch_wait: of two threads that each store then
	 * load, one sees the other's store, so either the waiter sees the
	 * latch open or we see its eventfd and wake it.  The store is also
	 * the release that pairs with latch_is_open's acquire.
	 */
	atomic_store_explicit(&l->open, 1, memory_order_seq_cst);
	fd = atomic_load_explicit(&l->efd, memory_order_seq_cst);
	/* Never fails: the counter is far below its maximum. */
	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
	latch_put(l);
}

int latch_is_open(struct latch *l)
{
	/* Acquire: pairs with the store in latch_open. */
	return atomic_load_explicit(&l->open, memory_order_acquire);
}

/* The latch's eventfd, made if there is none yet; -1 if it cannot be. */
static int latch_fd(struct latch *l)
{
	int fd = atomic_load_explicit(&l->efd, memory_order_seq_cst), mine;

	if (fd >= 0)
		return fd;
	/* Short of descriptors, the resolver needs them more. */
	if (budget_tight())
		return -1;
	mine = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mine < 0)
		return -1;
	/* Seq_cst: see latch_open. */
	if (atomic_compare_exchange_strong_explicit(&l->efd, &fd, mine,
	    memory_order_seq_cst, memory_order_seq_cst))
		return mine;
	close(mine);    /* another waiter's came first: fd */
	return fd;
}

int latch_wait(struct latch *l, uint64_t deadline)
{
	unsigned int u;
	int fd, r = 0;

	if (latch_is_open(l))
		return 0;
	/* Join the users, unless the last has left: the opener left last,
	 * after opening it.  Relaxed: the count orders nothing here. */
	u = atomic_load_explicit(&l->users, memory_order_relaxed);
	do {
		if (!u)
			return latch_is_open(l) ? 0 : -EINVAL;
	} while (!atomic_compare_exchange_weak_explicit(&l->users, &u, u + 1,
	    memory_order_relaxed, memory_order_relaxed));
	fd = latch_fd(l);
	/* Seq_cst: see latch_open; then acquire as latch_is_open. */
	while (!atomic_load_explicit(&l->open, memory_order_seq_cst) && !r) {
		if (fd >= 0)
			r = wait_readable(fd, deadline);
		else if (!(r = deadline_arm(deadline)))
			r = kiln_sleep(NAP_NS) == -ECANCELED ? -ECANCELED : 0;
	}
	latch_put(l);
	return r;
}

static int make_gate(void *g)
{
	int fd = eventfd(((struct gate *)g)->n, EFD_CLOEXEC | EFD_NONBLOCK |
	    EFD_SEMAPHORE);

	return fd < 0 ? -errno : fd;
}

void gate_init(struct gate *g, unsigned int n)
{
	atomic_init(&g->efd, -1);
	g->n = n;
}

void gate_fini(struct gate *g)
{
	/* Relaxed: after the run. */
	int fd = atomic_load_explicit(&g->efd, memory_order_relaxed);

	if (fd >= 0) {
		close(fd);
		budget_closed();
	}
}

/* The gate's eventfd, made by the first task to enter. */
static int gate_fd(struct gate *g)
{
	/* Acquire: pairs with the release CAS below (the eventfd's number;
	 * its count is the kernel's). */
	int fd = atomic_load_explicit(&g->efd, memory_order_acquire), mine;

	if (fd >= 0)
		return fd;
	if ((mine = budget_open(0, make_gate, g)) < 0)
		return mine;
	/* Release: publishes the descriptor to the loads above. */
	if (atomic_compare_exchange_strong_explicit(&g->efd, &fd, mine,
	    memory_order_release, memory_order_acquire))
		return mine;
	close(mine);
	budget_closed();
	return fd;
}

int gate_enter(struct gate *g, uint64_t deadline)
{
	uint64_t v;
	int fd = gate_fd(g), r;

	if (fd < 0)
		return fd;
	for (;;) {
		/* The kernel's lock on the eventfd orders this take after the
		 * give it takes, and what the giver did before it. */
		if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((r = wait_readable(fd, deadline)) < 0)
			return r;
	}
}

void gate_leave(struct gate *g)
{
	uint64_t one = 1;

	/* Relaxed: gate_enter made it, in this task, before. */
	(void)!write(atomic_load_explicit(&g->efd, memory_order_relaxed),
	    &one, sizeof(one));
}
