/*
 * The I/O calls of tasks (kiln_read, kiln_write, ... kiln_sleep), and the
 * I/O side of the scheduling loop: reaping, flushing, idling and waking.
 *
 * Each call is described once (struct kiln__io, in the caller's frame) and
 * carried out one of three ways:
 *  - on a worker with a ring: an SQE on that worker's ring, with the op in
 *    user_data, then the task's fiber parks; the worker goes on with other
 *    tasks.  The ring is submitted in batches by the scheduling loop, and the
 *    CQE makes the fiber ready on that worker (where idle workers may steal
 *    it).  Nothing races with the park: only this thread reaps this ring,
 *    and it reaps only after the fiber has switched out.
 *  - on a worker without a ring: fallback.c (non-blocking attempts, the
 *    worker's epoll set, helper threads, a timer heap).
 *  - outside a pool: the plain system call (sys.c), same return convention.
 *
 * A one-shot timeout (kiln_timeout) bounds the next call: with a ring, an
 * IORING_OP_LINK_TIMEOUT linked to the operation; in the fallback, a timer
 * in the worker's heap for an epoll wait, or a poll of the descriptor
 * before the call on a helper.  kiln_getaddrinfo's work on the helpers is
 * a helper wait (below), which the task may give up on.
 *
 * Sleeping and waking.  An idle worker sleeps in kiln__io_idle: in its
 * ring (io_uring_submit_and_wait, with a read of its wake-up eventfd kept
 * in the ring), or without a ring in its epoll set, which holds that
 * eventfd (fallback.c).  kiln__io_wake writes the eventfd, whose count
 * keeps a wake-up that comes before the sleep: none is lost.  Deciding
 * when to sleep and whom to wake is worker.c's (the Dekker protocol there).
 *
 * Layers: the calls come down from kiln.h to here, go on to ring.c, or to
 * fallback.c (and from there poller.c, offload.c, sys.c), and come back up
 * only through park.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "counter.h"
#include "fiber.h"
#include "io.h"
#include "kiln.h"
#include "offload.h"
#include "op.h"
#include "park.h"
#include "sys.h"
#include "uring-compat.h"

/* Tags in the low bits of user_data (the pointers are 8-aligned). */
#define UD_TIMEOUT 1u  /* the link timeout of a struct kiln__io */
#define UD_HELPER 2u   /* the timeout of a struct kiln__helper_wait */
#define UD_TAGS (UD_TIMEOUT | UD_HELPER)

static void helper_timer_fired(struct kiln__timer *t, void *ctx, int res);

static unsigned int rw_len(size_t len)
{
	return len > KILN__MAX_RW ? KILN__MAX_RW : (unsigned int)len;
}

/* The SQE for an op. */
static void prep(struct io_uring_sqe *sqe, struct kiln__io *io)
{
	const struct kiln__sys *c = &io->call;

	switch (c->op) {
	case KILN__OP_READ:
		io_uring_prep_read(sqe, c->fd, c->buf, rw_len(c->len),
		    (uint64_t)c->off);
		break;
	case KILN__OP_WRITE:
		io_uring_prep_write(sqe, c->fd, c->buf, rw_len(c->len),
		    (uint64_t)c->off);
		break;
	case KILN__OP_READV:
		io_uring_prep_readv(sqe, c->fd, c->buf, (unsigned)c->len,
		    (uint64_t)c->off);
		break;
	case KILN__OP_WRITEV:
		io_uring_prep_writev(sqe, c->fd, c->buf, (unsigned)c->len,
		    (uint64_t)c->off);
		break;
	case KILN__OP_OPENAT:
		io_uring_prep_openat(sqe, c->fd, c->buf, c->flags,
		    (mode_t)c->off);
		break;
	case KILN__OP_CLOSE:
		io_uring_prep_close(sqe, c->fd);
		break;
	case KILN__OP_FSYNC:
		io_uring_prep_fsync(sqe, c->fd, 0);
		break;
	case KILN__OP_RECV:
		io_uring_prep_recv(sqe, c->fd, c->buf, rw_len(c->len),
		    c->flags);
		break;
	case KILN__OP_SEND:
		io_uring_prep_send(sqe, c->fd, c->buf, rw_len(c->len),
		    c->flags | MSG_NOSIGNAL);
		break;
	case KILN__OP_RECVMSG:
		io_uring_prep_recvmsg(sqe, c->fd, c->buf, (unsigned)c->flags);
		break;
	case KILN__OP_SENDMSG:
		io_uring_prep_sendmsg(sqe, c->fd, c->buf,
		    (unsigned)(c->flags | MSG_NOSIGNAL));
		break;
	case KILN__OP_ACCEPT:
		io_uring_prep_accept(sqe, c->fd, c->buf, c->addrlen,
		    c->flags);
		break;
	case KILN__OP_CONNECT:
		io_uring_prep_connect(sqe, c->fd, c->buf, (socklen_t)c->len);
		break;
	case KILN__OP_POLL:
		io_uring_prep_poll_add(sqe, c->fd, (unsigned)c->flags);
		break;
	case KILN__OP_SLEEP:
		kiln__kts(&io->kts, c->ns);
		io_uring_prep_timeout(sqe, &io->kts, 0, 0);
		break;
	}
}

/* Any thread: use_ring is written once, by the owner, at start-up. */
int kiln__io_has_ring(struct kiln__wio *w)
{
	return atomic_load_explicit(&w->use_ring, memory_order_relaxed);
}

/* A CQE of worker ctx's ring. */
static void on_cqe(void *ctx, uint64_t ud, int res)
{
	struct kiln__wio *w = ctx;
	struct kiln__io *io = (struct kiln__io *)(uintptr_t)(ud & ~(uint64_t)
	    UD_TAGS);

	if (ud & UD_HELPER) {
		struct kiln__helper_wait *hw = (void *)io;

		kiln__owner_add(&w->inflight, -1);
		/* -ETIME: it expired; -ECANCELED: destroy cancelled it. */
		helper_timer_fired(&hw->timer, w, res == -ETIME ? 0 : res);
		return;
	}
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
	kiln__owner_add(&w->inflight, -1);
	if (io->fiber)  /* NULL: its task waits in place (via_ring) */
		kiln__fiber_ready(w, io->fiber);
}

/* Park until a ring CQE for io arrives.  On a worker with a ring. */
static void via_ring(struct kiln__wio *w, struct kiln__io *io)
{
	struct kiln__ring *r = &w->ring;
	struct io_uring_sqe *sqe;

	/* A linked pair must go in together: make room for both first. */
	if (io->call.timeout && io_uring_sq_space_left(&r->ring) < 2)
		kiln__ring_submit(r, on_cqe, w);
	sqe = kiln__ring_sqe(r, on_cqe, w);
	prep(sqe, io);
	io_uring_sqe_set_data(sqe, io);
	io->waiting = 1;
	if (io->call.timeout && io->call.op != KILN__OP_SLEEP) {
		io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
		sqe = kiln__ring_sqe(r, on_cqe, w);
		kiln__kts(&io->kts, io->call.timeout);
		io_uring_prep_link_timeout(sqe, &io->kts, 0);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io |
		    UD_TIMEOUT);
		io->waiting = 2;
	}
	kiln__owner_add(&w->inflight, 1);
	if (kiln__park(NULL, NULL) == 0)
		return;
	/* No fiber to go on with: wait right here, on this worker. */
	io->fiber = NULL;
	while (io->waiting)
		kiln__ring_wait(r, on_cqe, w);
}

static int is_rw(const struct kiln__io *io)
{
	return io->call.op == KILN__OP_READ || io->call.op == KILN__OP_WRITE ||
	    io->call.op == KILN__OP_READV || io->call.op == KILN__OP_WRITEV;
}

static long io_call(struct kiln__io *io)
{
	struct kiln__wio *w = kiln__wio_self();
	struct kiln__fiber *f;

	/* -1 is the file position; other negative offsets are errors, on
	 * every path alike. */
	if (io->call.off < -1 && io->call.op != KILN__OP_OPENAT)
		return -EINVAL;
	if (!w)
		return kiln__sys_call(&io->call, -1);
	f = kiln__fiber_self();
	io->call.timeout = f->timeout;
	f->timeout = 0;
	/*
	 * Once destroy has begun, calls fail rather than wait; but a close
	 * is still done (here, at once), or the descriptor would leak.
	 * Acquire: pairs with the release store in kiln__io_pool_close.
	 */
	if (atomic_load_explicit(&w->pool->closing, memory_order_acquire))
		return io->call.op == KILN__OP_CLOSE ?
		    kiln__sys_call(&io->call, -1) : -ECANCELED;
	io->fiber = f;
	io->wio = w;
	io->res = 0;
	io->expired = 0;
	kiln__owner_add(&w->submitted, 1);
	if (kiln__io_has_ring(w)) {
		via_ring(w, io);
		/*
		 * io_uring fails an offset on a pipe or socket with ESPIPE;
		 * kiln's calls ignore it there, as the fallback's do.
		 */
		if (io->res == -ESPIPE && io->call.off > 0 && is_rw(io)) {
			io->call.off = -1;
			io->res = 0;
			via_ring(kiln__wio_self(), io);
		}
	} else {
		kiln__fallback_call(w, io);
	}
	/* Counted where the task resumes, which may be another worker. */
	w = kiln__wio_self();
	kiln__owner_add(&w->completed, 1);
	/*
	 * A linked timeout that fired, or destroy, cancelled the call: say
	 * why.  Some operations report their cancellation as -EINTR (a
	 * Unix-domain connect waiting for room in the listener's backlog).
	 */
	if (io->expired && (io->res == -ECANCELED || io->res == -EINTR))
		return -ETIME;
	/* Acquire: pairs with the release store in kiln__io_pool_close. */
	if (io->res == -EINTR && atomic_load_explicit(&w->pool->closing,
	    memory_order_acquire))
		return -ECANCELED;
	/* io_uring's poll also reports events not asked for (POLLRDHUP). */
	if (io->call.op == KILN__OP_POLL && io->res > 0)
		return io->res & (io->call.flags | POLLERR | POLLHUP | POLLNVAL);
	return io->res;
}

/* The calls that move data: reads, writes, socket messages. */
static ssize_t data_call(enum kiln__op op, int fd, const void *buf,
    size_t len, off_t off, int flags)
{
	struct kiln__io io = { .call = { .op = op, .fd = fd,
	    .buf = (void *)buf, .len = len, .off = off, .flags = flags } };

	return io_call(&io);
}

ssize_t kiln_read(int fd, void *buf, size_t len, off_t off)
{
	return data_call(KILN__OP_READ, fd, buf, len, off, 0);
}

ssize_t kiln_write(int fd, const void *buf, size_t len, off_t off)
{
	return data_call(KILN__OP_WRITE, fd, buf, len, off, 0);
}

ssize_t kiln_readv(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	return data_call(KILN__OP_READV, fd, iov, (size_t)iovcnt, off, 0);
}

ssize_t kiln_writev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	return data_call(KILN__OP_WRITEV, fd, iov, (size_t)iovcnt, off, 0);
}

int kiln_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	struct kiln__io io = { .call = { .op = KILN__OP_OPENAT, .fd = dirfd,
	    .buf = (void *)path, .flags = flags, .off = (off_t)mode } };

	return (int)io_call(&io);
}

int kiln_close(int fd)
{
	struct kiln__io io = { .call = { .op = KILN__OP_CLOSE, .fd = fd } };

	return (int)io_call(&io);
}

int kiln_fsync(int fd)
{
	struct kiln__io io = { .call = { .op = KILN__OP_FSYNC, .fd = fd } };

	return (int)io_call(&io);
}

ssize_t kiln_recv(int fd, void *buf, size_t len, int flags)
{
	return data_call(KILN__OP_RECV, fd, buf, len, 0, flags);
}

ssize_t kiln_send(int fd, const void *buf, size_t len, int flags)
{
	return data_call(KILN__OP_SEND, fd, buf, len, 0, flags);
}

ssize_t kiln_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return data_call(KILN__OP_RECVMSG, fd, msg, 0, 0, flags);
}

ssize_t kiln_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return data_call(KILN__OP_SENDMSG, fd, msg, 0, 0, flags);
}

/*
 * 1 once a kernel refused IORING_ACCEPT_DONTWAIT (EINVAL, before 6.10):
 * accept_now is not tried again.  Relaxed: a hint; a stale 0 costs one
 * more refusal.
 */
static _Atomic int no_accept_now;

/*
 * The connection already waiting on io's socket, if one is, without
 * parking: an accept that does not wait, submitted at once with whatever
 * else is queued, its CQE reaped right here (the other CQEs reaped with
 * it make their fibers ready as usual).  -EAGAIN if none waits or the
 * kernel cannot say.  On a worker with a ring.
 */
static int accept_now(struct kiln__wio *w, struct kiln__io *io)
{
	struct io_uring_sqe *sqe = kiln__ring_sqe(&w->ring, on_cqe, w);

	prep(sqe, io);
	sqe->ioprio |= IORING_ACCEPT_DONTWAIT;
	io_uring_sqe_set_data(sqe, io);
	io->fiber = NULL;  /* waited for in place, as in via_ring */
	io->waiting = 1;
	kiln__owner_add(&w->inflight, 1);
	kiln__owner_add(&w->submitted, 1);
	kiln__ring_submit(&w->ring, on_cqe, w);
	while (io->waiting)
		if (!kiln__ring_reap(&w->ring, on_cqe, w))
			kiln__ring_wait(&w->ring, on_cqe, w);
	kiln__wake_idle(w);
	kiln__owner_add(&w->completed, 1);
	if (io->res == -EINVAL) {
		atomic_store_explicit(&no_accept_now, 1, memory_order_relaxed);
		return -EAGAIN;
	}
	return io->res;
}

/*
 * An accept loop takes every connection already waiting in one turn, as
 * an epoll server accepts until EAGAIN: after an accept on fd succeeded,
 * the task's next accept on fd is tried at once (accept_now), and parks
 * only if no connection waits.  Parking for each one would put the loop
 * at the back of the worker's ready fibers every time, so that a worker
 * serving thousands of busy connections accepted one connection per pass
 * over all of them: new connections starved.  (The fallback does the same
 * by itself for a non-blocking listener: its accept4 is tried first.)
 */
int kiln_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct kiln__io io = { .call = { .op = KILN__OP_ACCEPT, .fd = fd,
	    .buf = addr, .addrlen = len, .flags = flags } };
	struct kiln__wio *w = kiln__wio_self();
	struct kiln__fiber *f;
	int r;

	if (w && kiln__io_has_ring(w) && fd >= 0 &&
	    (f = kiln__fiber_self())->accepted == fd + 1 && !f->timeout &&
	    !atomic_load_explicit(&no_accept_now, memory_order_relaxed) &&
	    /* Acquire: pairs with the release in kiln__io_pool_close. */
	    !atomic_load_explicit(&w->pool->closing, memory_order_acquire)) {
		r = accept_now(w, &io);
		if (r != -EAGAIN)
			return r;
		io.res = 0;
	}
	r = (int)io_call(&io);
	/* The task may have moved to another worker; its fiber has not. */
	if (kiln__wio_self())
		kiln__fiber_self()->accepted = r >= 0 ? fd + 1 : 0;
	return r;
}

int kiln_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct kiln__io io = { .call = { .op = KILN__OP_CONNECT, .fd = fd,
	    .buf = (void *)addr, .len = len } };

	return (int)io_call(&io);
}

int kiln_poll(int fd, short events)
{
	struct kiln__io io = { .call = { .op = KILN__OP_POLL, .fd = fd,
	    .flags = events } };

	return (int)io_call(&io);
}

int kiln_sleep(uint64_t ns)
{
	struct kiln__io io = { .call = { .op = KILN__OP_SLEEP, .ns = ns } };
	long r = io_call(&io);

	/* The timer's own expiry is success. */
	return r == -ETIME ? 0 : (int)r;
}

int kiln_timeout(uint64_t ns)
{
	if (!kiln__wio_self())
		return -EPERM;
	kiln__fiber_self()->timeout = ns;
	return 0;
}

/* --- waiting for helper work that the task may give up on --- */

/*
 * Who ended a helper wait: the helper (DONE) or the task's timer or
 * destroy (GIVEN_UP).  The one whose CAS moves state from PENDING resumes
 * the fiber; each of the task, the helper and the timer holds a reference,
 * and whoever drops the last one calls discard.
 */
enum { HW_PENDING, HW_DONE, HW_GIVEN_UP };

void kiln__helper_release(struct kiln__helper_wait *hw)
{
	/*
	 * Acq_rel: the release orders this holder's last accesses before the
	 * discard; the acquire of the last one sees every holder's accesses.
	 */
	if (atomic_fetch_sub_explicit(&hw->refs, 1, memory_order_acq_rel) == 1)
		hw->discard(hw);
}

/* The task's wait ends with res; 0 if another ended it first. */
static int end_wait(struct kiln__helper_wait *hw, uint32_t how)
{
	uint32_t pending = HW_PENDING;

	/*
	 * Acq_rel: the release publishes the helper's results (DONE) to the
	 * task; the acquire orders the fiber's saved state, published before
	 * the work was queued, before we resume it.
	 */
	return atomic_compare_exchange_strong_explicit(&hw->state, &pending,
	    how, memory_order_acq_rel, memory_order_relaxed);
}

/* On the helper, at the end of work.fn: resume the task if it still waits. */
void kiln__helper_done(struct kiln__helper_wait *hw)
{
	if (end_wait(hw, HW_DONE))
		kiln__fiber_ready_remote(hw->wio, hw->fiber);
	kiln__helper_release(hw);
}

/* The wait's timer is due (res 0) or cancelled (res < 0), on its worker. */
static void helper_timer_fired(struct kiln__timer *t, void *ctx, int res)
{
	struct kiln__helper_wait *hw = (struct kiln__helper_wait *)(void *)
	    ((char *)t - offsetof(struct kiln__helper_wait, timer));

	if (end_wait(hw, HW_GIVEN_UP)) {
		hw->res = res ? res : -ETIME;
		kiln__fiber_ready(ctx, hw->fiber);
	}
	kiln__helper_release(hw);
}

/* Arm the wait's timeout on worker w, which holds a reference for it. */
static void arm_helper_timer(struct kiln__wio *w, struct kiln__helper_wait *hw)
{
	struct io_uring_sqe *sqe;

	if (kiln__io_has_ring(w)) {
		sqe = kiln__ring_sqe(&w->ring, on_cqe, w);
		kiln__kts(&hw->kts, hw->timeout);
		io_uring_prep_timeout(sqe, &hw->kts, 0, 0);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)hw |
		    UD_HELPER);
		kiln__owner_add(&w->inflight, 1);
		return;
	}
	hw->timer.deadline = kiln__deadline(hw->timeout);
	hw->timer.fire = helper_timer_fired;
	if (kiln__timers_add(&w->timers, &hw->timer) < 0)
		kiln__helper_release(hw);  /* no memory: no bound */
}

/* After the park: queue the work; only now may the helper resume f. */
static void helper_submit(struct kiln__fiber *f, void *arg)
{
	struct kiln__helper_wait *hw = arg;
	struct kiln__wio *w = hw->wio;
	/* Read first: without a timer's reference, hw may be gone as soon
	 * as the helper has it. */
	uint64_t timeout = hw->timeout;
	int ret = kiln__offload_submit(w->pool->offload, &hw->work);

	if (ret < 0) {
		hw->again = ret;
		kiln__fiber_ready(w, f);
		kiln__wake_idle(w);
		return;
	}
	if (timeout)
		arm_helper_timer(w, hw);
}

/*
 * Inside a task: run hw->work on a helper thread and wait.  0 once it ran
 * (its results are the caller's), -ETIME or -ECANCELED if the task gave up
 * first (the work goes on and discards itself), -ECANCELED at once if the
 * pool is closing, -EAGAIN if no helper thread could be started, -ENOMEM.
 * In every case the caller then calls kiln__helper_release.
 */
int kiln__helper_wait(struct kiln__helper_wait *hw)
{
	struct kiln__wio *w = kiln__wio_self();
	struct kiln__fiber *f = kiln__fiber_self();

	hw->timeout = f->timeout;
	f->timeout = 0;
	atomic_init(&hw->refs, 1);
	atomic_init(&hw->state, HW_PENDING);
	/* Acquire: pairs with the release store in kiln__io_pool_close. */
	if (atomic_load_explicit(&w->pool->closing, memory_order_acquire))
		return -ECANCELED;
	hw->fiber = f;
	hw->wio = w;
	kiln__owner_add(&w->submitted, 1);
	do {
		hw->again = 0;
		/* Relaxed: published with the work by the queue's release. */
		atomic_store_explicit(&hw->refs, hw->timeout ? 3 : 2,
		    memory_order_relaxed);
		if (kiln__park(helper_submit, hw) < 0)
			hw->again = -ENOMEM;
	} while (hw->again == -EBUSY);  /* the queue was full */
	/* Counted where the task resumes, which may be another worker. */
	kiln__owner_add(&kiln__wio_self()->completed, 1);
	if (hw->again) {
		atomic_store_explicit(&hw->refs, 1, memory_order_relaxed);
		return hw->again == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	/* Acquire: pairs with the release of end_wait's CAS. */
	return atomic_load_explicit(&hw->state, memory_order_acquire) ==
	    HW_DONE ? 0 : hw->res;
}

/* --- the pool's and the workers' I/O state --- */

/* ring_entries 0: no rings, every worker uses the fallback. */
int kiln__io_pool_init(struct kiln__pool_io *p, unsigned int ring_entries)
{
	int ret;

	atomic_init(&p->closing, 0);
	p->ring_entries = ring_entries;
	p->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->cancel_fd < 0)
		return -errno;
	ret = kiln__offload_create(&p->offload);
	if (ret < 0)
		close(p->cancel_fd);
	return ret;
}

/*
 * Any thread: destroy has begun.  Calls made from now on fail, waiting
 * ones are cancelled: the helpers' through cancel_fd, the rings' by each
 * worker when it sees closing (kiln__io_reap); the caller wakes them.
 */
void kiln__io_pool_close(struct kiln__pool_io *p)
{
	/* Release: pairs with the acquire loads of closing in this file. */
	atomic_store_explicit(&p->closing, 1, memory_order_release);
	eventfd_write(p->cancel_fd, 1);
}

/* After every worker's thread has exited. */
void kiln__io_pool_fini(struct kiln__pool_io *p)
{
	kiln__offload_destroy(p->offload);
	close(p->cancel_fd);
}

/* Any thread, before the worker starts. */
int kiln__io_init(struct kiln__wio *w, struct kiln__pool_io *p)
{
	w->pool = p;
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wake_fd < 0)
		return -errno;
	atomic_init(&w->use_ring, 0);
	atomic_init(&w->inflight, 0);
	atomic_init(&w->submitted, 0);
	atomic_init(&w->completed, 0);
	return 0;
}

/*
 * On the worker's own thread (SINGLE_ISSUER binds a ring to it), before it
 * schedules anything: a ring if the pool wants one and the kernel gives it.
 */
void kiln__io_start(struct kiln__wio *w)
{
	int ok = w->pool->ring_entries && kiln__ring_init(&w->ring,
	    w->pool->ring_entries, w->wake_fd) == 0;

	/* Relaxed: others read it only in kiln_pool_stats, after
	 * kiln_pool_create saw this worker start (release/acquire on the
	 * pool's start count). */
	atomic_store_explicit(&w->use_ring, ok, memory_order_relaxed);
	if (!ok)
		kiln__fallback_start(w);
}

/* After the worker's thread has exited (or never started). */
void kiln__io_fini(struct kiln__wio *w)
{
	if (kiln__io_has_ring(w))
		kiln__ring_fini(&w->ring);
	else
		kiln__fallback_fini(w);
	kiln__timers_fini(&w->timers);
	close(w->wake_fd);
}

/* The pool is closing and this worker has not cancelled its I/O yet. */
int kiln__io_cancel_due(struct kiln__wio *w)
{
	/* Acquire: pairs with the release store in kiln__io_pool_close. */
	return !w->cancelled && atomic_load_explicit(&w->pool->closing,
	    memory_order_acquire);
}

/* Every waiting call of this worker ends with -ECANCELED. */
static void cancel_all(struct kiln__wio *w)
{
	w->cancelled = 1;
	if (kiln__io_has_ring(w) && atomic_load_explicit(&w->inflight,
	    memory_order_relaxed))
		kiln__ring_cancel_all(&w->ring, on_cqe, w);
	kiln__fallback_cancel(w);
	kiln__wake_idle(w);
}

/*
 * Between tasks: completions (or, without a ring, ready descriptors and
 * expired timers) make fibers ready; returns how many.  idle: the worker
 * has nothing else to do, so the fallback looks at its epoll set now.
 */
unsigned int kiln__io_reap(struct kiln__wio *w, int idle)
{
	unsigned int n = 0;

	if (kiln__io_cancel_due(w))
		cancel_all(w);
	if (!kiln__io_has_ring(w))
		n = kiln__fallback_reap(w, idle);
	/* Relaxed: only this thread writes inflight. */
	else if (atomic_load_explicit(&w->inflight, memory_order_relaxed))
		n = kiln__ring_reap(&w->ring, on_cqe, w);
	if (n)
		kiln__wake_idle(w);
	return n;
}

/*
 * Before the scheduler runs something: submit the queued SQEs, unless
 * more ready fibers wait that will likely add to the batch.
 */
void kiln__io_flush(struct kiln__wio *w, int more_ready)
{
	unsigned int n;

	if (!kiln__io_has_ring(w))
		return;
	n = kiln__ring_pending(&w->ring);
	if (n && (!more_ready || n >= 32))
		kiln__ring_submit(&w->ring, on_cqe, w);
}

/*
 * Sleep until kiln__io_wake, a completion, a ready descriptor or the next
 * timer (whose fibers the caller's kiln__io_reap then makes ready).
 */
void kiln__io_idle(struct kiln__wio *w)
{
	if (kiln__io_has_ring(w))
		kiln__ring_wait(&w->ring, on_cqe, w);
	else
		kiln__fallback_idle(w);
}

/* Any thread.  The eventfd's count remembers a wake-up until it is read. */
void kiln__io_wake(struct kiln__wio *w)
{
	eventfd_write(w->wake_fd, 1);
}

/* Anything of this worker's still in flight? */
int kiln__io_busy(struct kiln__wio *w)
{
	/* Relaxed: only this thread writes inflight. */
	return atomic_load_explicit(&w->inflight, memory_order_relaxed) ||
	    kiln__fallback_busy(w);
}
