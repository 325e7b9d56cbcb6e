/*
 * A tool's descriptors under a low RLIMIT_NOFILE (see fds.h): the pool
 * made to fit, and the wait for a descriptor when the process runs out.
 * Used by kiln-sum (its files) and kiln-fetch (its sockets, files and
 * eventfds).
 *
 * The wait is a kiln_sleep, 50 us at first, doubling up to 5 ms: the
 * worker runs the other tasks meanwhile, and their closes end the wait.
 * No lock is taken: three counters are all the tasks share.  (A
 * kiln_yield loop would keep a worker spinning while every other task
 * waits for I/O; and kiln has no event a task could park on until
 * another task signals it, but a descriptor, which is what ran out.  The
 * latency of a few milliseconds arises only when the descriptors have.)
 */
#include "config.h"

#include <errno.h>

#include "fds.h"
#include "tool.h"

/* A task short of descriptors looks again after 50 us, doubling to 5 ms. */
#define FD_WAIT_MIN_NS 50000u
#define FD_WAIT_MAX_NS 5000000u

/* A pool that leaves at least keep descriptors free, or -EMFILE; its
 * workers in *workers, what it left free in *left. */
static int try_pool(kiln_pool **pool, const struct kiln_options *opt,
    unsigned int keep, unsigned int *workers, unsigned int *left)
{
	struct kiln_stats st;
	int r = kiln_pool_create(pool, opt);

	*left = keep;
	if (r < 0)
		return r;
	kiln_pool_stats(*pool, &st);
	*workers = st.workers;
	if ((*left = tool_fds_free(keep)) >= keep)
		return 0;
	kiln_pool_destroy(*pool);
	return -EMFILE;
}

int tool_pool_create(kiln_pool **pool, struct kiln_options *opt,
    unsigned int keep, unsigned int *missing)
{
	/* Without a count from the user, no more workers than descriptors
	 * are free, each needing one at least. */
	unsigned int workers = opt->workers ? opt->workers :
	    tool_fds_free(4096), left;
	int r;

	while ((r = try_pool(pool, opt, keep, &workers, &left)) == -EMFILE ||
	    r == -ENFILE) {
		if (!(opt->flags & KILN_OPT_NO_URING))
			opt->flags |= KILN_OPT_NO_URING;
		else if (workers > 1)
			opt->workers = workers /= 2;
		else
			break;
	}
	if (r < 0 && missing)
		*missing = keep - left;
	return r;
}

void tool_fds_init(struct tool_fds *f)
{
	atomic_init(&f->open, 0);
	atomic_init(&f->held, 0);
	atomic_init(&f->closed, 0);
}

/*
 * Could none of f's descriptors close: are all that are open (or being
 * opened) held by tasks waiting here, the caller's included, and was none
 * closed since closed was read?
 */
static int stuck(struct tool_fds *f, uint64_t closed)
{
	/* Acquire: pairs with the release decrement in tool_fds_closed(), so
	 * that seeing its count, the load of closed sees its increment. */
	unsigned int open = atomic_load_explicit(&f->open,
	    memory_order_acquire);

	/* Relaxed: held changes only around the sleeps here; a stale count
	 * makes a task wait one more round, or fail when every other
	 * holder is at the end of its own wait, about to fail too. */
	return open <= atomic_load_explicit(&f->held, memory_order_relaxed) &&
	    atomic_load_explicit(&f->closed, memory_order_relaxed) == closed;
}

int tool_fds_open(struct tool_fds *f, unsigned int held,
    int (*open_fn)(void *arg), void *arg)
{
	unsigned int ns = FD_WAIT_MIN_NS;
	uint64_t closed;
	int fd;

	for (;;) {
		/* Relaxed: a snapshot, compared with later loads only. */
		closed = atomic_load_explicit(&f->closed,
		    memory_order_relaxed);
		/* Relaxed: nothing is published through the count, and a
		 * task whose open fails for want of the descriptor this one
		 * takes sees it: the kernel's descriptor table, locked by
		 * both calls, orders this before that failure. */
		atomic_fetch_add_explicit(&f->open, 1, memory_order_relaxed);
		fd = open_fn(arg);
		if (fd >= 0)
			return fd;
		/* Relaxed: a failed attempt freed no descriptor. */
		atomic_fetch_sub_explicit(&f->open, 1, memory_order_relaxed);
		if (fd != -EMFILE && fd != -ENFILE)
			return fd;
		/* Relaxed: see stuck(). */
		atomic_fetch_add_explicit(&f->held, held, memory_order_relaxed);
		if (stuck(f, closed)) {
			atomic_fetch_sub_explicit(&f->held, held,
			    memory_order_relaxed);
			return fd;
		}
		kiln_sleep(ns);
		atomic_fetch_sub_explicit(&f->held, held, memory_order_relaxed);
		ns = ns < FD_WAIT_MAX_NS / 2 ? 2 * ns : FD_WAIT_MAX_NS;
	}
}

void tool_fds_closed(struct tool_fds *f)
{
	/* Relaxed: the release below orders it for stuck(). */
	atomic_fetch_add_explicit(&f->closed, 1, memory_order_relaxed);
	/* Release: pairs with the acquire load in stuck(): a task that sees
	 * this descriptor gone from the count sees the increment above, and
	 * tries again instead of failing. */
	atomic_fetch_sub_explicit(&f->open, 1, memory_order_release);
}
