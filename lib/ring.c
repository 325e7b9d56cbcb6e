/*
 * The per-worker io_uring.
 *
 * Each worker thread creates its own ring and is the only thread that ever
 * submits to it or reaps it, so the ring needs no lock and can be set up
 * with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: completions
 * are then posted only when this thread asks (io_uring_enter with
 * GETEVENTS), never by interrupting it.  Older kernels refuse those flags
 * with EINVAL; we fall back to COOP_TASKRUN, then to no flags.  SQPOLL is
 * never used: it would cost a core per worker.
 *
 * With TASKRUN_FLAG the kernel raises IORING_SQ_TASKRUN in the SQ flags
 * when completions wait to be posted, so reaping between tasks costs no
 * system call unless there is something to get.
 *
 * Submission is batched: SQEs accumulate while tasks run and go to the
 * kernel together (kiln__ring_submit), when the scheduler decides.
 *
 * An idle worker sleeps in io_uring_submit_and_wait on its own ring, with a
 * read of the worker's wake-up eventfd kept in the ring: another thread
 * wakes it by writing the eventfd (io.c), and an I/O completion wakes it
 * as well.
 *
 * Uses liburing and counter.h; used by io.c only.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "counter.h"
#include "ring.h"

#ifdef __SANITIZE_THREAD__
/*
 * liburing maps ring memory with a raw system call that ThreadSanitizer
 * does not see, so TSan does not forget a ring's accesses when it is
 * unmapped, and pairs them with those of a ring mapped later at the same
 * address (by another pool, on another thread).  Teardown truly happens
 * before that later set-up: this counter tells TSan so, without hiding
 * races on live rings.  It is bumped before the unmap and after the map,
 * so a ring that reuses an address reads a count bumped by its teardown
 * (acq_rel: the release carries the old ring's accesses, the acquire takes
 * them).
 */
static _Atomic unsigned long ring_epoch;
#define TSAN_RING_EPOCH() \
	atomic_fetch_add_explicit(&ring_epoch, 1, memory_order_acq_rel)
#else
#define TSAN_RING_EPOCH() ((void)0)
#endif

static const unsigned int setups[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
	    IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	0,
};

/* On the worker's own thread (SINGLE_ISSUER binds the ring to it). */
int kiln__ring_init(struct kiln__ring *r, unsigned int entries, int wake_fd)
{
	struct io_uring_params p;
	unsigned int i;
	int ret = -EINVAL;

	for (i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = setups[i];
		ret = io_uring_queue_init_params(entries, &r->ring, &p);
		if (ret != -EINVAL)
			break;
	}
	if (ret < 0)
		return ret;
	TSAN_RING_EPOCH();
	r->setup_flags = setups[i];
	r->wake_fd = wake_fd;
	r->wake_armed = 0;
	atomic_init(&r->batches, 0);
	return 0;
}

/* After the owner thread has exited: other threads may kick it until then. */
void kiln__ring_fini(struct kiln__ring *r)
{
	TSAN_RING_EPOCH();
	io_uring_queue_exit(&r->ring);
}

unsigned int kiln__ring_pending(struct kiln__ring *r)
{
	return io_uring_sq_ready(&r->ring);
}

/* Post every available CQE to fn; no system call unless the kernel holds
 * completions back for us (TASKRUN) or has overflowed the CQ. */
unsigned int kiln__ring_reap(struct kiln__ring *r, kiln__cqe_fn *fn,
    void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	if (IO_URING_READ_ONCE(*r->ring.sq.kflags) &
	    (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))
		io_uring_get_events(&r->ring);
	io_uring_for_each_cqe(&r->ring, head, cqe) {
		if (cqe->user_data == KILN__UD_WAKE)
			r->wake_armed = 0;
		else if (cqe->user_data != KILN__UD_IGNORE)
			fn(ctx, cqe->user_data, cqe->res);
		n++;
	}
	io_uring_cq_advance(&r->ring, n);
	return n;
}

/*
 * Hand every queued SQE to the kernel.  A full CQ (-EBUSY) is made room in
 * by reaping; an interrupted call is retried.
 */
void kiln__ring_submit(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx)
{
	while (io_uring_sq_ready(&r->ring)) {
		int ret;

		if (r->setup_flags & IORING_SETUP_DEFER_TASKRUN)
			ret = io_uring_submit_and_get_events(&r->ring);
		else
			ret = io_uring_submit(&r->ring);
		if (ret > 0) {
			kiln__owner_add(&r->batches, 1);
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret == -EBUSY || ret == -EAGAIN) {
			struct io_uring_cqe *cqe;

			/* Make room: take what completed, or wait for one. */
			if (!kiln__ring_reap(r, fn, ctx))
				io_uring_wait_cqe(&r->ring, &cqe);
			continue;
		}
		/* Anything else: the SQEs stay queued for the next try. */
		break;
	}
}

/* A free SQE; a full SQ is flushed first, never reported as an error. */
struct io_uring_sqe *kiln__ring_sqe(struct kiln__ring *r, kiln__cqe_fn *fn,
    void *ctx)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(&r->ring)))
		kiln__ring_submit(r, fn, ctx);
	return sqe;
}

/* Sleep until a completion or a write to wake_fd; submits what is queued. */
void kiln__ring_wait(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx)
{
	int ret;

	if (!r->wake_armed) {
		struct io_uring_sqe *sqe = kiln__ring_sqe(r, fn, ctx);

		io_uring_prep_read(sqe, r->wake_fd, &r->wake_buf,
		    sizeof(r->wake_buf), 0);
		io_uring_sqe_set_data64(sqe, KILN__UD_WAKE);
		r->wake_armed = 1;
	}
	ret = io_uring_submit_and_wait(&r->ring, 1);
	if (ret > 0)
		kiln__owner_add(&r->batches, 1);
	kiln__ring_reap(r, fn, ctx);
}

/* Ask the kernel to cancel everything in flight; results come as CQEs. */
void kiln__ring_cancel_all(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx)
{
	struct io_uring_sqe *sqe = kiln__ring_sqe(r, fn, ctx);

	io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data64(sqe, KILN__UD_IGNORE);
	kiln__ring_submit(r, fn, ctx);
}
