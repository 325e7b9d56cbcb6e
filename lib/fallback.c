/*
 * The I/O fallback: how a worker without an io_uring carries out a call
 * (io.c hands it over).  Used where io_uring is refused or unwanted
 * (KILN_OPT_NO_URING, KILN_NO_URING=1, seccomp, an old kernel).
 *
 *  - A call on a descriptor is first tried without blocking (sys.c:
 *    RWF_NOWAIT, MSG_DONTWAIT, a non-blocking listener's accept4): a
 *    page-cache hit or a socket with data completes at once, in the task,
 *    as a plain pread would.
 *  - If it would block on a socket or pipe, the task registers in the
 *    worker's epoll set (poller.c), parks, and tries again once the
 *    descriptor is ready; kiln_timeout bounds the wait with a timer in the
 *    worker's heap (timer.c).  10,000 idle connections hold no threads.
 *  - What cannot be polled (a regular file not in the page cache, openat,
 *    fsync, close, a blocking listener's accept) parks and, once switched
 *    out (the after-park hook), goes to the helper threads (offload.c),
 *    which make the blocking call (sys.c, interruptible by the pool's
 *    cancel eventfd) and hand the fiber back through its worker's inbox.
 *  - kiln_sleep is a timer in the heap.
 *
 * The idle worker sleeps in epoll_pwait2 on its set, which holds its
 * wake-up eventfd (or in ppoll on that eventfd if the set could not be
 * made); the set is looked at every POLL_EVERY passes of the scheduling
 * loop, or at once when the worker has nothing else to do.
 *
 * Uses sys, offload, poller, timer and park.h; used by io.c only.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "clock.h"
#include "counter.h"
#include "fiber.h"
#include "io.h"
#include "op.h"
#include "park.h"

/* A fallback sleep is due: io->fiber may run again (NULL: see sleep_timer). */
static void sleep_fired(struct kiln__timer *t, void *ctx, int res)
{
	struct kiln__io *io = KILN__IO_OF(t, timer);

	io->res = res;
	io->waiting = 0;
	if (io->fiber)
		kiln__fiber_ready(ctx, io->fiber);
}

/* kiln_sleep without a ring: a timer in the worker's heap. */
static void sleep_timer(struct kiln__wio *w, struct kiln__io *io)
{
	io->timer.deadline = kiln__deadline(io->call.ns);
	io->timer.fire = sleep_fired;
	io->waiting = 1;
	if (kiln__timers_add(&w->timers, &io->timer) < 0) {
		io->res = (int)kiln__sys_call(&io->call, -1);
		return;
	}
	if (kiln__park(NULL, NULL) == 0)
		return;
	/*
	 * No fiber to go on with: the timer is in the heap; wait for it here,
	 * on this worker, without being queued when due.  The pool's cancel
	 * eventfd ends the wait once destroy begins (kiln__io_reap then
	 * cancels the timer).
	 */
	io->fiber = NULL;
	while (io->waiting) {
		uint64_t now = kiln__now_ns();
		uint64_t next = kiln__timers_next(&w->timers);
		struct timespec ts = kiln__ts(kiln__ns_until(next, now));
		struct pollfd p = { .fd = w->pool->cancel_fd, .events = POLLIN };

		ppoll(&p, 1, next == KILN__NEVER ? NULL : &ts, NULL);
		kiln__io_reap(w, 1);
	}
}

/* On a helper thread: the call, then the fiber goes back to its worker. */
static void helper_call(struct kiln__work *work)
{
	struct kiln__io *io = KILN__IO_OF(work, work);

	io->res = (int)kiln__sys_call(&io->call, io->wio->pool->cancel_fd);
	kiln__fiber_ready_remote(io->wio, io->fiber);
}

/* After the park: the fiber is switched out, so a helper may now finish
 * the call and resume it. */
static void to_helpers(struct kiln__fiber *f, void *arg)
{
	struct kiln__io *io = arg;
	struct kiln__wio *w = io->wio;
	int ret = kiln__offload_submit(w->pool->offload, &io->work);

	if (ret == 0)
		return;
	/* Not queued: f tries again after others ran, or (no helper could
	 * be started at all) makes the call itself. */
	io->again = ret;
	kiln__fiber_ready(w, f);
	kiln__wake_idle(w);
}

/* The descriptor is ready (or the wait was cancelled: revents 0). */
static void poll_ready(struct kiln__pollwait *pw, void *ctx)
{
	struct kiln__io *io = KILN__IO_OF(pw, pw);
	struct kiln__wio *w = ctx;

	if (io->timed)
		kiln__timers_remove(&w->timers, &io->timer);
	io->timed = 0;
	io->res = pw->revents ? 0 : -ECANCELED;
	if (io->fiber)  /* NULL: its task waits in place (wait_ready) */
		kiln__fiber_ready(w, io->fiber);
}

/* The wait's bound passed (res 0) or destroy cancelled it (res < 0). */
static void poll_timer_fired(struct kiln__timer *t, void *ctx, int res)
{
	struct kiln__io *io = KILN__IO_OF(t, timer);
	struct kiln__wio *w = ctx;

	io->timed = 0;
	kiln__poller_remove(&w->poller, &io->pw);
	io->res = res ? res : -ETIME;
	if (io->fiber)
		kiln__fiber_ready(w, io->fiber);
}

/*
 * Park until io's descriptor is ready for events, bounded by deadline end.
 * 0 once ready, -ETIME, -ECANCELED, or another negative errno if the
 * descriptor cannot be waited for here (then nothing waited).
 */
static int wait_ready(struct kiln__wio *w, struct kiln__io *io, short events,
    uint64_t end)
{
	int ret;

	/* Acquire: pairs with the release store in kiln__io_pool_close. */
	if (atomic_load_explicit(&w->pool->closing, memory_order_acquire))
		return -ECANCELED;
	if (end != KILN__NEVER && kiln__now_ns() >= end)
		return -ETIME;
	io->pw.fd = io->call.fd;
	io->pw.events = (uint16_t)events;
	io->pw.ready = poll_ready;
	ret = kiln__poller_add(&w->poller, &io->pw);
	if (ret < 0)
		return ret;
	io->timed = 0;
	io->timer.deadline = end;
	io->timer.fire = poll_timer_fired;
	if (end != KILN__NEVER && kiln__timers_add(&w->timers, &io->timer) == 0)
		io->timed = 1;
	/* As with a ring: nothing can make us ready before we have parked,
	 * since only this thread collects this poller's events. */
	if (kiln__park(NULL, NULL) < 0) {
		/* No fiber to go on with: collect events here until ours. */
		io->fiber = NULL;
		io->res = 1;
		while (io->res == 1) {
			kiln__io_idle(w);
			kiln__io_reap(w, 1);
		}
		return io->res;
	}
	return io->res;
}

/*
 * The fallback for calls on descriptors: try without blocking, and each
 * time it would block, wait in the worker's epoll set and try again.  1 if
 * done (io->res), 0 if the helpers must make the call.
 */
/*
 * A recv with MSG_WAITALL waits for all len bytes, which a non-blocking
 * try cannot: the bytes so far count, the call moves on past them and
 * waits again.  1 if more is to come; 0 when the call is complete, with *r
 * the whole result (the bytes, or the error if there were none).
 */
static int more_to_receive(struct kiln__io *io, size_t *got, long *r)
{
	struct kiln__sys *c = &io->call;

	if (c->op != KILN__OP_RECV || !(c->flags & MSG_WAITALL) ||
	    (c->flags & MSG_DONTWAIT))
		return 0;
	if (*r > 0 && (size_t)*r < c->len) {
		*got += (size_t)*r;
		c->buf = (char *)c->buf + *r;
		c->len -= (size_t)*r;
		return 1;
	}
	if (*r >= 0 || *got)
		*r = *r > 0 ? *r + (long)*got : (long)*got;
	return 0;
}

static int via_poller(struct kiln__wio *w, struct kiln__io *io)
{
	uint64_t end = io->call.timeout ? kiln__deadline(io->call.timeout) :
	    KILN__NEVER;
	int ret, connecting = io->call.op == KILN__OP_CONNECT;
	size_t got = 0;
	long r;

	if (!w->use_poller) {
		/* Only what needs no wait; the helpers do the rest. */
		if (!connecting && !(io->call.flags & MSG_WAITALL) &&
		    kiln__sys_try(&io->call, &r) > 0) {
			io->res = (int)r;
			return 1;
		}
		return 0;
	}
	ret = connecting ? kiln__sys_connect_start(&io->call, &r) :
	    kiln__sys_try(&io->call, &r);
	while (ret == 0 || (ret > 0 && more_to_receive(io, &got, &r))) {
		ret = wait_ready(w, io, connecting ? POLLOUT :
		    kiln__sys_events(&io->call), end);
		/* The task may have resumed on another worker: wait in its
		 * poller next time, never in the one it left. */
		w = kiln__wio_self();
		/* A connect in progress cannot go to the helpers, nor can a
		 * receive that has bytes already. */
		if (ret == -ETIME || ret == -ECANCELED ||
		    (ret < 0 && (connecting || got))) {
			io->res = got ? (int)got : ret;
			return 1;
		}
		if (ret < 0)
			return 0;
		if (connecting) {
			r = kiln__sys_connect_result(io->call.fd);
			break;
		}
		ret = kiln__sys_try(&io->call, &r);
	}
	if (ret < 0)
		return 0;
	io->res = (int)r;
	return 1;
}

/*
 * Carry out io on worker w, which has no ring: a sleep on the timer heap,
 * a call on a descriptor through the epoll set, the rest on the helpers.
 */
void kiln__fallback_call(struct kiln__wio *w, struct kiln__io *io)
{
	if (io->call.op == KILN__OP_SLEEP) {
		sleep_timer(w, io);
		return;
	}
	if (via_poller(w, io))
		return;
	w = kiln__wio_self();
	io->wio = w;
	io->work.fn = helper_call;
	do {
		io->again = 0;
		if (kiln__park(to_helpers, io) < 0)
			io->again = -ENOMEM;
	} while (io->again == -EBUSY);  /* the queue was full */
	if (io->again)
		io->res = (int)kiln__sys_call(&io->call, -1);
}

/* On the worker's own thread, when it has no ring. */
void kiln__fallback_start(struct kiln__wio *w)
{
	/* Without an epoll set, sockets wait on helper threads. */
	w->use_poller = kiln__poller_init(&w->poller, w->wake_fd) == 0;
}

void kiln__fallback_fini(struct kiln__wio *w)
{
	if (w->use_poller)
		kiln__poller_fini(&w->poller);
}

/* Destroy has begun: every timer and readiness wait ends -ECANCELED. */
void kiln__fallback_cancel(struct kiln__wio *w)
{
	struct kiln__timer *t;

	while ((t = kiln__timers_expired(&w->timers, KILN__NEVER)))
		t->fire(t, w, -ECANCELED);
	if (w->use_poller)
		kiln__poller_cancel(&w->poller, w);
}

/*
 * Ready descriptors and expired timers make fibers ready; returns how
 * many.  The epoll set costs an epoll_wait to look at: every POLL_EVERY
 * calls, or now if the worker has nothing else to do (idle), as an epoll
 * server handles a batch of events per epoll_wait.
 */
#define POLL_EVERY 16

unsigned int kiln__fallback_reap(struct kiln__wio *w, int idle)
{
	struct kiln__timer *t;
	unsigned int n = 0;

	if (w->use_poller && w->poller.waiting &&
	    (idle || ++w->poll_skipped >= POLL_EVERY)) {
		static const struct timespec zero;

		w->poll_skipped = 0;
		n += (unsigned int)kiln__poller_wait(&w->poller, &zero, w);
	}
	if (w->timers.n)
		while ((t = kiln__timers_expired(&w->timers,
		    kiln__now_ns()))) {
			t->fire(t, w, 0);
			n++;
		}
	return n;
}

/* Sleep until kiln__io_wake, a ready descriptor or the next timer. */
void kiln__fallback_idle(struct kiln__wio *w)
{
	struct pollfd p = { .fd = w->wake_fd, .events = POLLIN };
	uint64_t next = kiln__timers_next(&w->timers);
	uint64_t now = next == KILN__NEVER ? 0 : kiln__now_ns();
	struct timespec ts = kiln__ts(kiln__ns_until(next, now));
	struct timespec *tp = next == KILN__NEVER ? NULL : &ts;
	eventfd_t v;

	if (w->use_poller)
		kiln__poller_wait(&w->poller, tp, w);
	else
		ppoll(&p, 1, tp, NULL);
	/* Drain the wake-ups that came (non-blocking: maybe none). */
	eventfd_read(w->wake_fd, &v);
}

/* Anything waiting on this worker's timers or epoll set? */
int kiln__fallback_busy(struct kiln__wio *w)
{
	return w->timers.n || (w->use_poller && w->poller.waiting);
}
