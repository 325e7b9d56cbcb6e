/*
 * The I/O calls of tasks: kiln_read, kiln_write, ... kiln_sleep.
 *
 * Each call is described once (struct kiln__io, in the caller's frame) and
 * carried out one of three ways:
 *  - on a worker with a ring: an SQE on that worker's ring, with the op in
 *    user_data, then the task's fiber parks; the worker goes on with other
 *    tasks.  The ring is submitted in batches by the scheduling loop, and the
 *    CQE makes the fiber ready on that worker (where idle workers may steal
 *    it).  Nothing races with the park: only this thread reaps this ring,
 *    and it reaps only after the fiber has switched out.
 *  - on a worker without a ring: the fiber parks and, once it is switched
 *    out (after_switch in worker.c), the op goes to the helper threads of
 *    offload.c, which make the system call and send the fiber back through
 *    the worker's inbox.  kiln_sleep uses a timer heap of the worker instead.
 *  - outside a pool: the plain system call, same return convention.
 *
 * A one-shot timeout (kiln_timeout) bounds the next call: with a ring, an
 * IORING_OP_LINK_TIMEOUT linked to the operation; in the fallback, a poll
 * of the descriptor before the call (for calls that can wait forever).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "futex.h"
#include "io.h"
#include "offload.h"
#include "worker.h"

/* Link timeout CQEs carry the op's address with this bit set. */
#define UD_TIMEOUT 1u

uint64_t kiln__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ns_to_ts(struct __kernel_timespec *ts, uint64_t ns)
{
	ts->tv_sec = (long long)(ns / 1000000000u);
	ts->tv_nsec = (long long)(ns % 1000000000u);
}

/*
 * The events a call waits for, if it may wait on its descriptor for as long
 * as it takes (pipes and sockets; regular files poll as ready at once).
 */
static short wait_events(const struct kiln__io *io)
{
	switch (io->op) {
	case KILN__OP_READ:
	case KILN__OP_RECV:
	case KILN__OP_ACCEPT:
		return POLLIN;
	case KILN__OP_WRITE:
	case KILN__OP_SEND:
	case KILN__OP_CONNECT:
		return POLLOUT;
	case KILN__OP_POLL:
		return (short)io->flags;
	default:
		return 0;
	}
}

/*
 * Wait until io->fd is ready, the timeout passes (-ETIME) or cancel_fd
 * becomes readable (-ECANCELED).  Returns the ready events.
 */
static int wait_fd(struct kiln__io *io, short events, int cancel_fd)
{
	struct pollfd p[2] = {
		{ .fd = io->fd, .events = events },
		{ .fd = cancel_fd, .events = POLLIN },
	};
	uint64_t end = io->timeout ? kiln__now_ns() + io->timeout : 0;

	for (;;) {
		int ms = -1, n;

		if (end) {
			uint64_t now = kiln__now_ns();

			if (now >= end)
				return -ETIME;
			ms = (int)((end - now + 999999) / 1000000);
		}
		n = poll(p, cancel_fd >= 0 ? 2 : 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0 && p[1].revents)
			return -ECANCELED;
		if (n > 0 && (p[0].revents & POLLNVAL))
			return -EBADF;  /* as io_uring says it */
		if (n > 0)
			return p[0].revents;
	}
}

/*
 * Wait 10 ms at most, or until cancel_fd is readable (-ECANCELED) or the
 * deadline end (ns, 0: none) has passed (-ETIME).
 */
static int pause_bounded(int cancel_fd, uint64_t end)
{
	struct pollfd p = { .fd = cancel_fd, .events = POLLIN };
	uint64_t now = kiln__now_ns();
	int ms = 10;

	if (end && now >= end)
		return -ETIME;
	if (end && (end - now) / 1000000 < 10)
		ms = (int)((end - now + 999999) / 1000000);
	if (poll(&p, cancel_fd >= 0 ? 1 : 0, ms) > 0)
		return -ECANCELED;
	return 0;
}

/*
 * connect(2) that a timeout and cancel_fd can interrupt: made non-blocking
 * for the call (the descriptor's flags are restored after), then waited
 * for like the other calls.  A Unix-domain listener with a full backlog
 * says EAGAIN instead of EINPROGRESS, and there is nothing to poll for:
 * we try again every 10 ms, as the blocking call would have waited.
 */
static long connect_bounded(struct kiln__io *io, int cancel_fd)
{
	uint64_t end = io->timeout ? kiln__now_ns() + io->timeout : 0;
	int fl = fcntl(io->fd, F_GETFL);
	socklen_t elen = sizeof(int);
	int err = 0;
	long r;

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(io->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	while ((r = connect(io->fd, io->buf, (socklen_t)io->len)) < 0 &&
	    errno == EAGAIN && !(fl & O_NONBLOCK)) {
		r = pause_bounded(cancel_fd, end);
		if (r < 0)
			goto out;
	}
	if (r < 0 && errno == EINPROGRESS) {
		r = wait_fd(io, POLLOUT, cancel_fd);
		if (r >= 0) {
			r = getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err,
			    &elen) < 0 ? -errno : -err;
		}
	} else if (r < 0) {
		r = -errno;
	}
out:
	if (!(fl & O_NONBLOCK))
		fcntl(io->fd, F_SETFL, fl);
	return r;
}

/*
 * A read or write that can be done without waiting (a regular file in the
 * page cache, a pipe with data): done, with the result in *res, and 1
 * returned.  0 if it would wait (EAGAIN), or the file or kernel cannot say
 * (EOPNOTSUPP, ESPIPE), or it is another call: then kiln__io_syscall.
 * For helper threads, which then need no poll and wake no other helper.
 */
int kiln__io_try(struct kiln__io *io, long *res)
{
	struct iovec v = { .iov_base = io->buf, .iov_len = io->len };
	int saved = errno;
	long r;

	if ((io->op != KILN__OP_READ && io->op != KILN__OP_WRITE) ||
	    io->fd < 0)
		return 0;
	r = io->op == KILN__OP_READ ?
	    preadv2(io->fd, &v, 1, io->off, RWF_NOWAIT) :
	    pwritev2(io->fd, &v, 1, io->off, RWF_NOWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EOPNOTSUPP ||
	    errno == ESPIPE)) {
		errno = saved;
		return 0;
	}
	*res = r < 0 ? -errno : r;
	errno = saved;
	return 1;
}

/*
 * Make the call as a plain system call: outside a pool, or on a helper
 * thread (then cancel_fd >= 0 interrupts calls that wait for a descriptor).
 * errno is left as it was.
 */
long kiln__io_syscall(struct kiln__io *io, int cancel_fd)
{
	int saved = errno;
	short events = wait_events(io);
	long r;

	/*
	 * Wait for the descriptor first where the call could block for good,
	 * so that the timeout and cancellation apply.  Not for negative
	 * descriptors (poll ignores them; the call itself says EBADF), nor
	 * for MSG_DONTWAIT, which must not wait at all.
	 */
	if (io->op == KILN__OP_CONNECT && (io->timeout || cancel_fd >= 0)) {
		r = connect_bounded(io, cancel_fd);
		errno = saved;
		return r;
	}
	if (events && io->fd >= 0 && (io->timeout || cancel_fd >= 0) &&
	    !((io->op == KILN__OP_RECV || io->op == KILN__OP_SEND) &&
	    (io->flags & MSG_DONTWAIT))) {
		r = wait_fd(io, events, cancel_fd);
		if (r < 0 || io->op == KILN__OP_POLL) {
			errno = saved;
			return r;
		}
	}
	switch (io->op) {
	case KILN__OP_READ:
		r = io->off < 0 ? read(io->fd, io->buf, io->len) :
		    pread(io->fd, io->buf, io->len, io->off);
		/* io_uring ignores the offset of a pipe or socket: so do we. */
		if (r < 0 && errno == ESPIPE)
			r = read(io->fd, io->buf, io->len);
		break;
	case KILN__OP_WRITE:
		r = io->off < 0 ? write(io->fd, io->buf, io->len) :
		    pwrite(io->fd, io->buf, io->len, io->off);
		if (r < 0 && errno == ESPIPE)
			r = write(io->fd, io->buf, io->len);
		break;
	case KILN__OP_OPENAT:
		r = openat(io->fd, io->buf, io->flags, (mode_t)io->off);
		break;
	case KILN__OP_CLOSE:
		r = close(io->fd);
		break;
	case KILN__OP_FSYNC:
		r = fsync(io->fd);
		break;
	case KILN__OP_RECV:
		r = recv(io->fd, io->buf, io->len, io->flags);
		break;
	case KILN__OP_SEND:
		r = send(io->fd, io->buf, io->len, io->flags | MSG_NOSIGNAL);
		break;
	case KILN__OP_ACCEPT:
		r = accept4(io->fd, io->buf, io->addrlen, io->flags);
		break;
	case KILN__OP_CONNECT:
		r = connect(io->fd, io->buf, (socklen_t)io->len);
		break;
	case KILN__OP_POLL: {
		struct pollfd p = { .fd = io->fd, .events = (short)io->flags };

		if (io->fd < 0) {
			r = -1;
			errno = EBADF;
			break;
		}
		do
			r = poll(&p, 1, -1);
		while (r < 0 && errno == EINTR);
		if (r >= 0 && (p.revents & POLLNVAL)) {
			r = -1;
			errno = EBADF;
		} else if (r >= 0) {
			r = p.revents;
		}
		break;
	}
	case KILN__OP_SLEEP: {
		struct timespec ts = {
			.tv_sec = (time_t)(io->len / 1000000000u),
			.tv_nsec = (long)(io->len % 1000000000u),
		};

		while ((r = nanosleep(&ts, &ts)) < 0 && errno == EINTR)
			;
		break;
	}
	default:
		r = -1;
		errno = EINVAL;
	}
	if (r < 0)
		r = -errno;
	errno = saved;
	return r;
}

/*
 * The most one read or write moves, as in Linux's own read(2): a longer
 * request is a short transfer, never a length cut to 32 bits.
 */
#define MAX_RW 0x7ffff000u

static unsigned int rw_len(size_t len)
{
	return len > MAX_RW ? MAX_RW : (unsigned int)len;
}

/* The SQE for an op. */
static void prep(struct io_uring_sqe *sqe, struct kiln__io *io)
{
	switch (io->op) {
	case KILN__OP_READ:
		io_uring_prep_read(sqe, io->fd, io->buf, rw_len(io->len),
		    (uint64_t)io->off);
		break;
	case KILN__OP_WRITE:
		io_uring_prep_write(sqe, io->fd, io->buf, rw_len(io->len),
		    (uint64_t)io->off);
		break;
	case KILN__OP_OPENAT:
		io_uring_prep_openat(sqe, io->fd, io->buf, io->flags,
		    (mode_t)io->off);
		break;
	case KILN__OP_CLOSE:
		io_uring_prep_close(sqe, io->fd);
		break;
	case KILN__OP_FSYNC:
		io_uring_prep_fsync(sqe, io->fd, 0);
		break;
	case KILN__OP_RECV:
		io_uring_prep_recv(sqe, io->fd, io->buf, rw_len(io->len),
		    io->flags);
		break;
	case KILN__OP_SEND:
		io_uring_prep_send(sqe, io->fd, io->buf, rw_len(io->len),
		    io->flags | MSG_NOSIGNAL);
		break;
	case KILN__OP_ACCEPT:
		io_uring_prep_accept(sqe, io->fd, io->buf, io->addrlen,
		    io->flags);
		break;
	case KILN__OP_CONNECT:
		io_uring_prep_connect(sqe, io->fd, io->buf,
		    (socklen_t)io->len);
		break;
	case KILN__OP_POLL:
		io_uring_prep_poll_add(sqe, io->fd, (unsigned)io->flags);
		break;
	case KILN__OP_SLEEP:
		ns_to_ts(&io->ts, io->len);
		io_uring_prep_timeout(sqe, &io->ts, 0, 0);
		break;
	}
}

/* Owner only: use_ring is written once, by this thread, at start-up. */
static inline int has_ring(struct kiln__worker *w)
{
	return atomic_load_explicit(&w->use_ring, memory_order_relaxed);
}

/* Owner only: a relaxed load and store, as only this thread writes it. */
static void inflight_add(struct kiln__worker *w, int d)
{
	atomic_store_explicit(&w->io_inflight, atomic_load_explicit(
	    &w->io_inflight, memory_order_relaxed) + (uint32_t)d,
	    memory_order_relaxed);
}

/* A CQE of worker ctx's ring. */
static void on_cqe(void *ctx, uint64_t ud, int res)
{
	struct kiln__worker *w = ctx;
	struct kiln__io *io = (struct kiln__io *)(uintptr_t)(ud & ~(uint64_t)
	    UD_TIMEOUT);

	if (ud & UD_TIMEOUT) {
		/*
		 * -ECANCELED: the operation finished first.  Anything else
		 * means the timeout fired: -ETIME, or the result of its
		 * attempt to cancel an operation running in the kernel's
		 * worker threads (-EALREADY, -ENOENT).
		 */
		if (res != -ECANCELED)
			io->expired = 1;
	} else {
		io->res = res;
	}
	if (--io->waiting)
		return;
	inflight_add(w, -1);
	if (io->fiber)  /* NULL: its task waits in place (via_ring) */
		kiln__ready_push(w, &io->fiber->job);
}

/* A fallback timer is due: io->fiber may run again (NULL: see via_helpers). */
static void timer_done(struct kiln__worker *w, struct kiln__io *io, int res)
{
	io->res = res;
	io->waiting = 0;
	if (io->fiber)
		kiln__ready_push(w, &io->fiber->job);
}

/* Back from a helper thread: wake the fiber on the worker it left. */
void kiln__io_offload_done(struct kiln__io *io)
{
	kiln__inbox_push(io->worker, &io->fiber->job);
}

/* Park until a ring CQE for io arrives.  On a worker with a ring. */
static void via_ring(struct kiln__worker *w, struct kiln__io *io)
{
	struct io_uring_sqe *sqe;

	/* A linked pair must go in together: make room for both first. */
	if (io->timeout && io_uring_sq_space_left(&w->ring.ring) < 2)
		kiln__ring_submit(&w->ring, on_cqe, w);
	sqe = kiln__ring_sqe(&w->ring, on_cqe, w);
	prep(sqe, io);
	io_uring_sqe_set_data(sqe, io);
	io->waiting = 1;
	if (io->timeout && io->op != KILN__OP_SLEEP) {
		io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
		sqe = kiln__ring_sqe(&w->ring, on_cqe, w);
		ns_to_ts(&io->ts, io->timeout);
		io_uring_prep_link_timeout(sqe, &io->ts, 0);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io |
		    UD_TIMEOUT);
		io->waiting = 2;
	}
	inflight_add(w, 1);
	kiln__bump(&w->stats.io_submitted);
	if (kiln__park(KILN__AFTER_NONE, NULL) == 0)
		return;
	/* No fiber to go on with: wait right here, on this worker. */
	io->fiber = NULL;
	while (io->waiting)
		kiln__ring_wait(&w->ring, on_cqe, w);
}

static void via_helpers(struct kiln__worker *w, struct kiln__io *io)
{
	kiln__bump(&w->stats.io_submitted);
	if (io->op == KILN__OP_SLEEP) {
		io->deadline = kiln__now_ns() + io->len;
		io->waiting = 1;
		if (kiln__timers_add(&w->timers, io) < 0) {
			io->res = (int)kiln__io_syscall(io, -1);
			return;
		}
		if (kiln__park(KILN__AFTER_NONE, NULL) == 0)
			return;
		/* No fiber to go on with: the timer is in the heap; wait for
		 * it here, on this worker, without being queued when due. */
		io->fiber = NULL;
		while (io->waiting) {
			uint64_t now = kiln__now_ns();
			uint64_t next = kiln__timers_next(&w->timers);
			struct timespec ts = { 0, 0 };

			if (next > now) {
				ts.tv_sec = (time_t)((next - now) / 1000000000u);
				ts.tv_nsec = (long)((next - now) % 1000000000u);
				nanosleep(&ts, NULL);
			}
			kiln__io_poll(w);
		}
		return;
	}
	do {
		io->again = 0;
		if (kiln__park(KILN__AFTER_OFFLOAD, io) < 0) {
			io->res = (int)kiln__io_syscall(io, -1);
			return;
		}
	} while (io->again);  /* the queue was full: other work went first */
}

static long io_call(struct kiln__io *io)
{
	struct kiln__worker *w = kiln__worker_self();

	/* -1 is the file position; other negative offsets are errors, on
	 * every path alike. */
	if ((io->op == KILN__OP_READ || io->op == KILN__OP_WRITE) &&
	    io->off < -1)
		return -EINVAL;
	if (!w)
		return kiln__io_syscall(io, -1);
	io->timeout = w->current->timeout;
	w->current->timeout = 0;
	/*
	 * Once destroy has begun, calls fail rather than wait; but a close
	 * is still done (here, at once), or the descriptor would leak.
	 * Acquire: pairs with the release store in kiln_pool_destroy.
	 */
	if (atomic_load_explicit(&w->pool->closing, memory_order_acquire))
		return io->op == KILN__OP_CLOSE ? kiln__io_syscall(io, -1) :
		    -ECANCELED;
	io->fiber = w->current;
	io->worker = w;
	io->res = 0;
	io->expired = 0;
	if (has_ring(w))
		via_ring(w, io);
	else
		via_helpers(w, io);
	/* Counted where the task resumes, which may be another worker. */
	kiln__bump(&kiln__worker_self()->stats.io_completed);
	/*
	 * A linked timeout that fired, or destroy, cancelled the call: say
	 * why.  Some operations report their cancellation as -EINTR (a
	 * Unix-domain connect waiting for room in the listener's backlog).
	 */
	if (io->expired && (io->res == -ECANCELED || io->res == -EINTR))
		return -ETIME;
	/* Acquire: pairs with the release store in kiln_pool_destroy. */
	if (io->res == -EINTR && atomic_load_explicit(
	    &kiln__worker_self()->pool->closing, memory_order_acquire))
		return -ECANCELED;
	return io->res;
}

ssize_t kiln_read(int fd, void *buf, size_t len, off_t off)
{
	struct kiln__io io = { .op = KILN__OP_READ, .fd = fd, .buf = buf,
	    .len = len, .off = off };

	return io_call(&io);
}

ssize_t kiln_write(int fd, const void *buf, size_t len, off_t off)
{
	struct kiln__io io = { .op = KILN__OP_WRITE, .fd = fd,
	    .buf = (void *)buf, .len = len, .off = off };

	return io_call(&io);
}

int kiln_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	struct kiln__io io = { .op = KILN__OP_OPENAT, .fd = dirfd,
	    .buf = (void *)path, .flags = flags, .off = (off_t)mode };

	return (int)io_call(&io);
}

int kiln_close(int fd)
{
	struct kiln__io io = { .op = KILN__OP_CLOSE, .fd = fd };

	return (int)io_call(&io);
}

int kiln_fsync(int fd)
{
	struct kiln__io io = { .op = KILN__OP_FSYNC, .fd = fd };

	return (int)io_call(&io);
}

ssize_t kiln_recv(int fd, void *buf, size_t len, int flags)
{
	struct kiln__io io = { .op = KILN__OP_RECV, .fd = fd, .buf = buf,
	    .len = len, .flags = flags };

	return io_call(&io);
}

ssize_t kiln_send(int fd, const void *buf, size_t len, int flags)
{
	struct kiln__io io = { .op = KILN__OP_SEND, .fd = fd,
	    .buf = (void *)buf, .len = len, .flags = flags };

	return io_call(&io);
}

int kiln_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct kiln__io io = { .op = KILN__OP_ACCEPT, .fd = fd, .buf = addr,
	    .addrlen = len, .flags = flags };

	return (int)io_call(&io);
}

int kiln_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct kiln__io io = { .op = KILN__OP_CONNECT, .fd = fd,
	    .buf = (void *)addr, .len = len };

	return (int)io_call(&io);
}

int kiln_poll(int fd, short events)
{
	struct kiln__io io = { .op = KILN__OP_POLL, .fd = fd,
	    .flags = events };

	return (int)io_call(&io);
}

int kiln_sleep(uint64_t ns)
{
	struct kiln__io io = { .op = KILN__OP_SLEEP, .len = ns };
	long r = io_call(&io);

	/* The timer's own expiry is success. */
	return r == -ETIME ? 0 : (int)r;
}

int kiln_timeout(uint64_t ns)
{
	struct kiln__worker *w = kiln__worker_self();

	if (!w)
		return -EPERM;
	w->current->timeout = ns;
	return 0;
}

/* --- hooks of the scheduling loop --- */

/* On the worker's thread, before it schedules anything. */
int kiln__io_start(struct kiln__worker *w)
{
	struct kiln_pool *pool = w->pool;

	return !(pool->flags & KILN_OPT_NO_URING) &&
	    kiln__ring_init(&w->ring, pool->ring_entries) == 0;
}

/* After the worker's thread has exited (or never started). */
void kiln__io_stop(struct kiln__worker *w)
{
	if (has_ring(w))
		kiln__ring_fini(&w->ring);
	kiln__timers_fini(&w->timers);
}

/* Between tasks: completions and expired timers make fibers ready. */
void kiln__io_poll(struct kiln__worker *w)
{
	struct kiln__io *io;
	unsigned int n = 0;

	if (has_ring(w)) {
		if (atomic_load_explicit(&w->io_inflight, memory_order_relaxed) &&
		    kiln__ring_reap(&w->ring, on_cqe, w))
			kiln__wake_one(w->pool);
		return;
	}
	if (!w->timers.n)
		return;
	while ((io = kiln__timers_expired(&w->timers, kiln__now_ns()))) {
		timer_done(w, io, 0);
		n++;
	}
	if (n)
		kiln__wake_one(w->pool);
}

/*
 * Before the scheduler runs something: submit the queued SQEs, unless
 * more ready fibers wait that will likely add to the batch.
 */
void kiln__io_flush(struct kiln__worker *w, int more_ready)
{
	unsigned int n;

	if (!has_ring(w))
		return;
	n = kiln__ring_pending(&w->ring);
	if (n && (!more_ready || n >= 32))
		kiln__ring_submit(&w->ring, on_cqe, w);
}

/* Sleep until work may have arrived (see sleep_idle in worker.c). */
void kiln__io_idle(struct kiln__worker *w)
{
	if (has_ring(w)) {
		kiln__ring_wait(&w->ring, on_cqe, w);
	} else {
		uint64_t next = kiln__timers_next(&w->timers);
		struct timespec ts, *tp = NULL;

		if (next != UINT64_MAX) {
			uint64_t now = kiln__now_ns();
			uint64_t d = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(d / 1000000000u);
			ts.tv_nsec = (long)(d % 1000000000u);
			tp = &ts;
		}
		kiln__futex_wait_timeout(&w->sleep, KILN__SLEEPING, tp);
	}
}

/* Anything of this worker's still in flight? */
int kiln__io_busy(struct kiln__worker *w)
{
	return atomic_load_explicit(&w->io_inflight, memory_order_relaxed) ||
	    w->timers.n;
}

/* The pool is closing: every waiting call ends with -ECANCELED. */
void kiln__io_cancel(struct kiln__worker *w)
{
	struct kiln__io *io;

	if (has_ring(w) && atomic_load_explicit(&w->io_inflight,
	    memory_order_relaxed))
		kiln__ring_cancel_all(&w->ring, on_cqe, w);
	while ((io = kiln__timers_expired(&w->timers, UINT64_MAX)))
		timer_done(w, io, -ECANCELED);
	kiln__wake_one(w->pool);
}
