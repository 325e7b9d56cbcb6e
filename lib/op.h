/*
 * One I/O operation in flight, as io.c (the calls, the ring) and
 * fallback.c (workers without a ring) share it.  Private to those two.
 */
#ifndef KILN_OP_H
#define KILN_OP_H

#include <linux/time_types.h>
#include <stddef.h>

#include "offload.h"
#include "poller.h"
#include "sys.h"
#include "timer.h"

struct kiln__fiber;
struct kiln__wio;

/* Lives in the frame of the task that waits for it. */
struct kiln__io {
	struct kiln__sys call;
	struct kiln__fiber *fiber;    /* the parked fiber */
	struct kiln__wio *wio;        /* the worker it parked on */
	struct __kernel_timespec kts; /* TIMEOUT / LINK_TIMEOUT operand */
	struct kiln__timer timer;     /* fallback: sleep, or a wait's bound */
	struct kiln__pollwait pw;     /* fallback: waiting for readiness */
	struct kiln__work work;       /* fallback: the helpers' item */
	int timed;                    /* fallback: timer is in the heap */
	int res;
	int again;            /* fallback: the helpers' queue was full */
	unsigned int waiting; /* CQEs still due */
	int expired;          /* the linked timeout fired */
};

/* The operation a member of it belongs to. */
#define KILN__IO_OF(ptr, member) ((struct kiln__io *)(void *)((char *)(ptr) - \
	offsetof(struct kiln__io, member)))

/* The fallback's side (fallback.c), for io.c. */
void kiln__fallback_call(struct kiln__wio *w, struct kiln__io *io);
void kiln__fallback_start(struct kiln__wio *w);
void kiln__fallback_fini(struct kiln__wio *w);
void kiln__fallback_cancel(struct kiln__wio *w);
unsigned int kiln__fallback_reap(struct kiln__wio *w, int idle);
void kiln__fallback_idle(struct kiln__wio *w);
int kiln__fallback_busy(struct kiln__wio *w);

#endif /* KILN_OP_H */
