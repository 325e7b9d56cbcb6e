/*
 * One io_uring per worker, used by that worker's thread only: no lock.
 * Uses liburing and counter.h; used by io.c.  See ring.c.
 */
#ifndef KILN_RING_H
#define KILN_RING_H

#include <liburing.h>
#include <stdatomic.h>
#include <stdint.h>

/* user_data values that are not operations. */
#define KILN__UD_IGNORE 0u  /* cancel requests: their own CQE means nothing */
#define KILN__UD_WAKE 1u    /* the eventfd read that ends an idle wait */

struct kiln__ring {
	struct io_uring ring;
	unsigned int setup_flags;  /* the flags the kernel accepted */
	int wake_fd;               /* an eventfd that ends kiln__ring_wait */
	int wake_armed;            /* a read of wake_fd is in the ring */
	uint64_t wake_buf;
	_Atomic uint64_t batches;  /* io_uring_enter calls that submitted;
	                              owner writes, kiln_pool_stats reads */
};

/* Called with each CQE's user_data and result. */
typedef void kiln__cqe_fn(void *ctx, uint64_t user_data, int res);

int kiln__ring_init(struct kiln__ring *r, unsigned int entries, int wake_fd);
void kiln__ring_fini(struct kiln__ring *r);
struct io_uring_sqe *kiln__ring_sqe(struct kiln__ring *r, kiln__cqe_fn *fn,
    void *ctx);
unsigned int kiln__ring_pending(struct kiln__ring *r);
void kiln__ring_submit(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx);
unsigned int kiln__ring_reap(struct kiln__ring *r, kiln__cqe_fn *fn,
    void *ctx);
void kiln__ring_wait(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx);
void kiln__ring_cancel_all(struct kiln__ring *r, kiln__cqe_fn *fn, void *ctx);

#endif /* KILN_RING_H */
