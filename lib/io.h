/*
 * The I/O layer under the scheduler: each worker's ring (or, without one,
 * its epoll set, timers and the pool's helper threads), the way an idle worker sleeps
 * and is woken, and the calls of kiln.h that park a task for I/O.
 * Uses sys, offload, ring, timer and park.h; used by worker.c, pool.c and
 * resolve.c.
 * See io.c.
 */
#ifndef KILN_IO_H
#define KILN_IO_H

#include <linux/time_types.h>
#include <stdatomic.h>
#include <stdint.h>

#include "poller.h"
#include "ring.h"
#include "timer.h"

#include "offload.h"

struct kiln__fiber;

/* The I/O state of a pool, shared by its workers. */
struct kiln__pool_io {
	_Atomic uint32_t closing;       /* kiln_pool_destroy has begun */
	int cancel_fd;                  /* eventfd, readable once closing */
	unsigned int ring_entries;      /* 0: no rings (KILN_OPT_NO_URING) */
	struct kiln__offload *offload;  /* helper threads, started on demand */
};

/* The I/O state of one worker.  Fields are the owner's unless marked. */
struct kiln__wio {
	struct kiln__pool_io *pool;
	int wake_fd;                  /* eventfd: kiln__io_wake writes it */
	_Atomic int use_ring;         /* set once at start; stats read it */
	int use_poller;               /* no ring: sockets wait in poller */
	unsigned int poll_skipped;    /* reaps since the poller was looked at */
	int cancelled;                /* closing seen, in-flight I/O cancelled */
	/* Read by kiln_pool_stats; only the owner writes them. */
	_Atomic uint32_t inflight;    /* operations waiting on this worker */
	_Atomic uint64_t submitted;   /* operations started here */
	_Atomic uint64_t completed;   /* operations whose task resumed here */
	struct kiln__ring ring;
	struct kiln__poller poller;
	struct kiln__timers timers;
};

/*
 * Work for the helper threads that the calling task waits for, and may
 * give up on (kiln_timeout, or -ECANCELED at destroy) while it still runs:
 * then the work finishes on its own and frees itself.  The caller
 * allocates it, sets work.fn (which ends with kiln__helper_done) and
 * discard (frees it and any result it still holds), and calls
 * kiln__helper_wait then kiln__helper_release.  Used by resolve.c.
 */
struct kiln__helper_wait {
	struct kiln__work work;
	void (*discard)(struct kiln__helper_wait *hw);
	_Atomic uint32_t state;       /* HW_* in io.c: who ended the wait */
	_Atomic uint32_t refs;        /* task, helper, timer: last discards */
	int res;                      /* -ETIME or -ECANCELED if given up */
	int again;                    /* not queued: the error */
	uint64_t timeout;             /* the task's kiln_timeout, ns */
	struct kiln__fiber *fiber;
	struct kiln__wio *wio;        /* where it waits, and its timer is */
	struct __kernel_timespec kts;
	struct kiln__timer timer;
};

int kiln__helper_wait(struct kiln__helper_wait *hw);
void kiln__helper_done(struct kiln__helper_wait *hw);
void kiln__helper_release(struct kiln__helper_wait *hw);

int kiln__io_pool_init(struct kiln__pool_io *p, unsigned int ring_entries);
void kiln__io_pool_close(struct kiln__pool_io *p);
void kiln__io_pool_fini(struct kiln__pool_io *p);

int kiln__io_init(struct kiln__wio *w, struct kiln__pool_io *p);
void kiln__io_start(struct kiln__wio *w);
void kiln__io_fini(struct kiln__wio *w);
int kiln__io_has_ring(struct kiln__wio *w);

/* Hooks of the scheduling loop (worker.c), on the owner's thread. */
unsigned int kiln__io_reap(struct kiln__wio *w, int idle);
void kiln__io_flush(struct kiln__wio *w, int more_ready);
int kiln__io_busy(struct kiln__wio *w);
int kiln__io_cancel_due(struct kiln__wio *w);
void kiln__io_idle(struct kiln__wio *w);
/* Any thread: end w's kiln__io_idle, now or as soon as it starts. */
void kiln__io_wake(struct kiln__wio *w);

#endif /* KILN_IO_H */
