/*
 * The plain system calls behind kiln's I/O calls, for when there is no
 * ring: outside a pool (the call is simply made), and on the fallback's
 * helper threads, where a call that may wait forever must still end when
 * its kiln_timeout passes or when the pool is destroyed (cancel_fd becomes
 * readable).  Such calls first wait for their descriptor with poll(2),
 * then make the call.  errno is left as the caller had it.
 *
 * Uses clock.h only; used by io.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sys.h"

/*
 * The events a call waits for, if it may wait on its descriptor for as long
 * as it takes (pipes and sockets; regular files poll as ready at once).
 */
static short wait_events(const struct kiln__sys *c)
{
	switch (c->op) {
	case KILN__OP_READ:
	case KILN__OP_READV:
	case KILN__OP_RECV:
	case KILN__OP_RECVMSG:
	case KILN__OP_ACCEPT:
		return POLLIN;
	case KILN__OP_WRITE:
	case KILN__OP_WRITEV:
	case KILN__OP_SEND:
	case KILN__OP_SENDMSG:
	case KILN__OP_CONNECT:
		return POLLOUT;
	case KILN__OP_POLL:
		return (short)c->flags;
	default:
		return 0;
	}
}

/*
 * Wait until c->fd has one of events, deadline end passes (-ETIME) or
 * cancel_fd becomes readable (-ECANCELED).  Returns the ready events.
 */
static int wait_fd(const struct kiln__sys *c, short events, int cancel_fd,
    uint64_t end)
{
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = events },
		{ .fd = cancel_fd, .events = POLLIN },
	};

	for (;;) {
		uint64_t now = end == KILN__NEVER ? 0 : kiln__now_ns();
		int n;

		if (now >= end)
			return -ETIME;
		n = poll(p, cancel_fd >= 0 ? 2 : 1, kiln__poll_ms(end, now));
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
 * Wait 10 ms at most, or until cancel_fd is readable (-ECANCELED) or
 * deadline end has passed (-ETIME).
 */
static int pause_bounded(int cancel_fd, uint64_t end)
{
	struct pollfd p = { .fd = cancel_fd, .events = POLLIN };
	uint64_t now = kiln__now_ns();
	int ms = kiln__poll_ms(end, now);

	if (now >= end)
		return -ETIME;
	if (ms < 0 || ms > 10)
		ms = 10;
	if (poll(&p, cancel_fd >= 0 ? 1 : 0, ms) > 0)
		return -ECANCELED;
	return 0;
}

/* A socket call whose flags are send(2)'s or recv(2)'s. */
static int is_msg_op(enum kiln__op op)
{
	return op == KILN__OP_RECV || op == KILN__OP_SEND ||
	    op == KILN__OP_RECVMSG || op == KILN__OP_SENDMSG;
}

/* The deadline of c's kiln_timeout, KILN__NEVER if it has none. */
static uint64_t call_deadline(const struct kiln__sys *c)
{
	return c->timeout ? kiln__deadline(c->timeout) : KILN__NEVER;
}

/*
 * connect(2) that a timeout and cancel_fd can interrupt: made non-blocking
 * for the call (the descriptor's flags are restored after), then waited
 * for like the other calls.  A Unix-domain listener with a full backlog
 * says EAGAIN instead of EINPROGRESS, and there is nothing to poll for:
 * we try again every 10 ms, as the blocking call would have waited.
 */
static long connect_bounded(const struct kiln__sys *c, int cancel_fd)
{
	uint64_t end = call_deadline(c);
	int fl = fcntl(c->fd, F_GETFL);
	long r;

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	while ((r = connect(c->fd, c->buf, (socklen_t)c->len)) < 0 &&
	    errno == EAGAIN && !(fl & O_NONBLOCK)) {
		r = pause_bounded(cancel_fd, end);
		if (r < 0)
			goto out;
	}
	if (r < 0 && errno == EINPROGRESS) {
		r = wait_fd(c, POLLOUT, cancel_fd, end);
		if (r >= 0)
			r = kiln__sys_connect_result(c->fd);
	} else if (r < 0) {
		r = -errno;
	}
out:
	if (!(fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl);
	return r;
}

/*
 * The four reads and writes through preadv2/pwritev2 (offset -1: the file
 * position), with flags (RWF_NOWAIT or 0); -1 and errno as the calls do.
 */
static long rw(const struct kiln__sys *c, int flags)
{
	struct iovec one = { .iov_base = c->buf,
	    .iov_len = c->len > KILN__MAX_RW ? KILN__MAX_RW : c->len };
	const struct iovec *v = &one;
	int n = 1, rd;
	off_t off = c->off;
	long r;

	if (c->op == KILN__OP_READV || c->op == KILN__OP_WRITEV) {
		v = c->buf;
		n = (int)c->len;
	}
	rd = c->op == KILN__OP_READ || c->op == KILN__OP_READV;
	for (;;) {
		r = rd ? preadv2(c->fd, v, n, off, flags) :
		    pwritev2(c->fd, v, n, off, flags);
		/* io_uring ignores the offset of a pipe or socket: so do we. */
		if (r < 0 && errno == ESPIPE && off != -1) {
			off = -1;
			continue;
		}
		return r;
	}
}

/* accept4 on a non-blocking listener only: a blocking one could block us
 * even after poll said ready (another thread may take the connection). */
static long accept_nowait(const struct kiln__sys *c)
{
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0)
		return -1;
	if (!(fl & O_NONBLOCK)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return accept4(c->fd, c->buf, c->addrlen, c->flags);
}

/* poll(2) without waiting: the events if any, else EAGAIN. */
static long poll_nowait(const struct kiln__sys *c)
{
	struct pollfd p = { .fd = c->fd, .events = (short)c->flags };
	int n = poll(&p, 1, 0);

	if (n < 0)
		return -1;
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (p.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	return p.revents;
}

/*
 * Try c without blocking.  1: done, the result in *res.  0: it would block
 * (EAGAIN): wait until fd is ready (kiln__sys_events) and try again.  -1:
 * it cannot be tried so (a call that is not on a descriptor, a blocking
 * listener, a file that does not support RWF_NOWAIT): kiln__sys_call.
 * A call made with MSG_DONTWAIT is always done: its EAGAIN is its result.
 * Connect is not tried here (see kiln__sys_connect_start).
 */
int kiln__sys_try(const struct kiln__sys *c, long *res)
{
	int saved = errno, dontwait = c->flags & MSG_DONTWAIT;
	long r;

	if (c->fd < 0)
		return -1;
	switch (c->op) {
	case KILN__OP_READ:
	case KILN__OP_WRITE:
	case KILN__OP_READV:
	case KILN__OP_WRITEV:
		r = rw(c, RWF_NOWAIT);
		dontwait = 0;
		break;
	case KILN__OP_RECV:
		r = recv(c->fd, c->buf, c->len, c->flags | MSG_DONTWAIT);
		break;
	case KILN__OP_SEND:
		r = send(c->fd, c->buf, c->len,
		    c->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case KILN__OP_RECVMSG:
		r = recvmsg(c->fd, c->buf, c->flags | MSG_DONTWAIT);
		break;
	case KILN__OP_SENDMSG:
		r = sendmsg(c->fd, c->buf,
		    c->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case KILN__OP_ACCEPT:
		r = accept_nowait(c);
		dontwait = 0;
		break;
	case KILN__OP_POLL:
		r = poll_nowait(c);
		dontwait = 0;
		break;
	default:
		return -1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !dontwait) {
		errno = saved;
		return 0;
	}
	if (r < 0 && errno == EOPNOTSUPP && c->op != KILN__OP_RECV &&
	    c->op != KILN__OP_SEND && c->op != KILN__OP_RECVMSG &&
	    c->op != KILN__OP_SENDMSG) {
		errno = saved;
		return -1;
	}
	*res = r < 0 ? -errno : r;
	errno = saved;
	return 1;
}

/* The poll events c waits for when kiln__sys_try says it would block. */
short kiln__sys_events(const struct kiln__sys *c)
{
	return wait_events(c);
}

/*
 * Start a connect without blocking: the descriptor is made non-blocking for
 * the call only.  1: done (*res), 0: in progress (wait for POLLOUT, then
 * kiln__sys_connect_result), -1: a Unix-domain backlog is full and there is
 * nothing to wait for: kiln__sys_call, which retries.
 */
int kiln__sys_connect_start(const struct kiln__sys *c, long *res)
{
	int saved = errno, fl = fcntl(c->fd, F_GETFL), err = 0;
	long r;

	if (fl < 0) {
		*res = -errno;
		errno = saved;
		return 1;
	}
	if (!(fl & O_NONBLOCK) && fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		*res = -errno;
		errno = saved;
		return 1;
	}
	r = connect(c->fd, c->buf, (socklen_t)c->len);
	if (r < 0)
		err = errno;
	if (!(fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl);
	errno = saved;
	if (r < 0 && err == EINPROGRESS)
		return 0;
	if (r < 0 && err == EAGAIN && !(fl & O_NONBLOCK))
		return -1;
	*res = r < 0 ? -err : 0;
	return 1;
}

/* The outcome of a connect that kiln__sys_connect_start left in progress. */
long kiln__sys_connect_result(int fd)
{
	socklen_t len = sizeof(int);
	int saved = errno, err = 0;
	long r;

	r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ? -errno :
	    -err;
	errno = saved;
	return r;
}

/* poll(2) for one descriptor, as kiln_poll reports it. */
static long poll_one(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	long r;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	do
		r = poll(&p, 1, -1);
	while (r < 0 && errno == EINTR);
	if (r >= 0 && (p.revents & POLLNVAL)) {
		errno = EBADF;
		return -1;
	}
	return r < 0 ? r : p.revents;
}

/* The call itself, blocking; -1 and errno on failure. */
static long call(const struct kiln__sys *c)
{
	long r;

	switch (c->op) {
	case KILN__OP_READ:
	case KILN__OP_WRITE:
	case KILN__OP_READV:
	case KILN__OP_WRITEV:
		return rw(c, 0);
	case KILN__OP_OPENAT:
		return openat(c->fd, c->buf, c->flags, (mode_t)c->off);
	case KILN__OP_CLOSE:
		return close(c->fd);
	case KILN__OP_FSYNC:
		return fsync(c->fd);
	case KILN__OP_RECV:
		return recv(c->fd, c->buf, c->len, c->flags);
	case KILN__OP_SEND:
		return send(c->fd, c->buf, c->len, c->flags | MSG_NOSIGNAL);
	case KILN__OP_RECVMSG:
		return recvmsg(c->fd, c->buf, c->flags);
	case KILN__OP_SENDMSG:
		return sendmsg(c->fd, c->buf, c->flags | MSG_NOSIGNAL);
	case KILN__OP_ACCEPT:
		return accept4(c->fd, c->buf, c->addrlen, c->flags);
	case KILN__OP_CONNECT:
		return connect(c->fd, c->buf, (socklen_t)c->len);
	case KILN__OP_POLL:
		return poll_one(c->fd, (short)c->flags);
	case KILN__OP_SLEEP: {
		struct timespec ts = kiln__ts(c->ns);

		while ((r = nanosleep(&ts, &ts)) < 0 && errno == EINTR)
			;
		return r;
	}
	}
	errno = EINVAL;
	return -1;
}

/*
 * Make the call as a plain system call: outside a pool, or on a helper
 * thread (then cancel_fd >= 0 interrupts calls that wait for a descriptor).
 * Returns the result or a negative errno value; errno is left as it was.
 */
/*
 * An accept that fails at once whatever comes: bad flags, or a descriptor
 * that is not a listening socket (accept4 says EINVAL or ENOTSOCK).
 * Waiting for it to become readable first could wait forever.
 */
static int accept_fails_now(const struct kiln__sys *c)
{
	int listening = 0;
	socklen_t len = sizeof(listening);

	return (c->flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) ||
	    getsockopt(c->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &len) < 0 || !listening;
}

long kiln__sys_call(const struct kiln__sys *c, int cancel_fd)
{
	int saved = errno;
	short events = wait_events(c);
	long r;

	/*
	 * Wait for the descriptor first where the call could block for good,
	 * so that the timeout and cancellation apply.  Not for negative
	 * descriptors (poll ignores them; the call itself says EBADF), nor
	 * for MSG_DONTWAIT, which must not wait at all, nor for an accept
	 * that fails at once.
	 */
	if (c->op == KILN__OP_ACCEPT && c->fd >= 0 && accept_fails_now(c))
		events = 0;
	if (c->op == KILN__OP_CONNECT && (c->timeout || cancel_fd >= 0)) {
		r = connect_bounded(c, cancel_fd);
		errno = saved;
		return r;
	}
	if (events && c->fd >= 0 && (c->timeout || cancel_fd >= 0) &&
	    !(is_msg_op(c->op) && (c->flags & MSG_DONTWAIT))) {
		r = wait_fd(c, events, cancel_fd, call_deadline(c));
		if (r < 0 || c->op == KILN__OP_POLL) {
			errno = saved;
			return r;
		}
	}
	r = call(c);
	if (r < 0)
		r = -errno;
	errno = saved;
	return r;
}
