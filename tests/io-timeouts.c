/*
 * kiln_timeout: it fires on every kind of waiting call, not before its
 * time; it bounds the next call only, not a child's; and on a one-entry
 * ring.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* kiln_timeout.                                                       */

struct tmo {
	int sv[2], p[2], lfd;
	int set_ret;
	long recv_r, read_r, poll_r, accept_r, late_recv_r;
	uint64_t recv_t, read_t, poll_t, accept_t;
	long fast_r, badf_r, full_r;
	uint64_t fast_t, full_t;
	int closed;
	char buf[8];
};

/* Fill a pipe, so that a write to it waits for room; 0 on success. */
static int fill_pipe(int fd)
{
	static char junk[4096];
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	while (write(fd, junk, 1) > 0)
		;
	return fcntl(fd, F_SETFL, fl);
}

static void tmo_root(void *p)
{
	struct tmo *s = p;
	uint64_t t0;

	t0 = now_ns();
	s->set_ret = kiln_timeout(TMO_NS);
	s->recv_r = kiln_recv(s->sv[0], s->buf, sizeof(s->buf), 0);
	s->recv_t = now_ns() - t0;

	t0 = now_ns();
	kiln_timeout(TMO_NS);
	s->read_r = kiln_read(s->p[0], s->buf, sizeof(s->buf), -1);
	s->read_t = now_ns() - t0;

	t0 = now_ns();
	kiln_timeout(TMO_NS);
	s->poll_r = kiln_poll(s->p[0], POLLIN);
	s->poll_t = now_ns() - t0;

	t0 = now_ns();
	kiln_timeout(TMO_NS);
	s->accept_r = kiln_accept(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	s->accept_t = now_ns() - t0;

	/* The socket is intact after the cancelled recv: data gets through. */
	if (send(s->sv[1], "late", 4, 0) == 4)
		s->late_recv_r = kiln_recv(s->sv[0], s->buf, sizeof(s->buf), 0);

	/* A call that completes at once does not wait for its timeout. */
	if (write(s->p[1], "y", 1) == 1) {
		t0 = now_ns();
		kiln_timeout(10000 * MS);
		s->fast_r = kiln_read(s->p[0], s->buf, sizeof(s->buf), -1);
		s->fast_t = now_ns() - t0;
	}

	/* A call that fails at once fails with its own error. */
	kiln_timeout(TMO_NS);
	s->badf_r = kiln_read(s->closed, s->buf, 1, 0);

	/* A write to a full pipe waits, and times out like a read. */
	if (fill_pipe(s->p[1]) != 0)
		return;
	t0 = now_ns();
	kiln_timeout(TMO_NS);
	s->full_r = kiln_write(s->p[1], "f", 1, -1);
	s->full_t = now_ns() - t0;
}


static void timeouts(unsigned int workers)
{
	kiln_pool *p = workers == 2 ? pool : make_pool(workers);
	struct tmo s;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s.sv), 0));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	s.lfd = listen_loopback(4, NULL);
	s.closed = closed_fd();

	run_on(p, tmo_root, &s);
	cr_expect(eq(int, s.set_ret, 0));
	cr_expect(eq(long, s.recv_r, (long)-ETIME), "kiln_recv");
	cr_expect(eq(long, s.read_r, (long)-ETIME), "kiln_read of a pipe");
	cr_expect(eq(long, s.poll_r, (long)-ETIME), "kiln_poll");
	cr_expect(eq(long, s.accept_r, (long)-ETIME), "kiln_accept");
	/* A timeout never fires before its time. */
	cr_expect(ge(u64, s.recv_t, TMO_NS), "recv: %.3f s", secs(s.recv_t));
	cr_expect(ge(u64, s.read_t, TMO_NS), "read: %.3f s", secs(s.read_t));
	cr_expect(ge(u64, s.poll_t, TMO_NS), "poll: %.3f s", secs(s.poll_t));
	cr_expect(ge(u64, s.accept_t, TMO_NS), "accept: %.3f s",
	    secs(s.accept_t));
	/* A timeout that does not fire would leave the call waiting forever
	 * (the suite's timeout); 5 s only makes the failure legible. */
	cr_expect(lt(u64, s.recv_t + s.read_t + s.poll_t + s.accept_t,
	    5000 * MS));
	cr_expect(eq(long, s.late_recv_r, 4L));
	cr_expect(eq(long, s.fast_r, 1L));
	/* 10 s timeout, data already there: a call that waited for the
	 * timeout to end would take 10 s. */
	cr_expect(lt(u64, s.fast_t, 5000 * MS), "a ready read took %.3f s",
	    secs(s.fast_t));
	cr_expect(eq(long, s.badf_r, (long)-EBADF));
	cr_expect(eq(long, s.full_r, (long)-ETIME), "kiln_write to a full "
	    "pipe");
	cr_expect(ge(u64, s.full_t, TMO_NS), "write: %.3f s", secs(s.full_t));
	cr_expect(lt(u64, s.full_t, 5000 * MS));
	close(s.sv[0]);
	close(s.sv[1]);
	close(s.p[0]);
	close(s.p[1]);
	close(s.lfd);
	if (p != pool)
		kiln_pool_destroy(p);
}

Test(io, timeouts_fire)
{
	timeouts(2);
}

Test(io, timeouts_fire_one_worker)
{
	timeouts(1);
}

/*
 * kiln_timeout bounds the next call only: the call after it, and the
 * next task to run on the same worker (and fiber), wait as long as they
 * must.  Data comes 200 ms later, four times the 50 ms timeout.
 */
struct next_only {
	int p[2];
	long first, second;
	int set_ret;
	atomic_int wrote;
	int seen;
};

static void late_writer(void *p)
{
	struct next_only *s = p;

	kiln_sleep(4 * TMO_NS);
	atomic_store(&s->wrote, 1);
	if (write(s->p[1], "b", 1) != 1)
		atomic_store(&s->wrote, -1);
}

static void second_reader(void *p)
{
	struct next_only *s = p;
	char c;

	s->second = kiln_read(s->p[0], &c, 1, -1);
	s->seen = ld(&s->wrote);
}

static void next_only_root(void *p)
{
	struct next_only *s = p;
	char c;

	s->set_ret = kiln_timeout(TMO_NS);
	s->first = kiln_read(s->p[0], &c, 1, -1);   /* data is there */
	kiln_join(second_reader, s, late_writer, s);
}

static void set_timeout_only(void *p)
{
	((struct next_only *)p)->set_ret = kiln_timeout(TMO_NS);
}

static void next_task_root(void *p)
{
	kiln_join(second_reader, p, late_writer, p);
}

Test(io, timeout_applies_to_the_next_call_only)
{
	kiln_pool *one = make_pool(1);
	struct next_only s;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	cr_assert(eq(long, (long)write(s.p[1], "a", 1), 1L));
	run_on(one, next_only_root, &s);
	cr_expect(eq(int, s.set_ret, 0));
	cr_expect(eq(long, s.first, 1L));
	cr_expect(eq(long, s.second, 1L), "the second call got %ld",
	    s.second);
	cr_expect(eq(int, s.seen, 1));

	/* A task that sets a timeout and makes no call: not the next
	 * task's.  One worker, so the next task runs where it ran. */
	atomic_store(&s.wrote, 0);
	s.set_ret = -1;
	s.second = 0;
	run_on(one, set_timeout_only, &s);
	cr_expect(eq(int, s.set_ret, 0));
	run_on(one, next_task_root, &s);
	cr_expect(eq(long, s.second, 1L), "the next task's call got %ld",
	    s.second);
	cr_expect(eq(int, s.seen, 1));
	close(s.p[0]);
	close(s.p[1]);
	kiln_pool_destroy(one);
}

/*
 * kiln_timeout bounds the next I/O call made on the calling fiber, which is
 * the calling task's next call when, as kiln_timeout(3) asks, it comes
 * right before the call it bounds: a child that kiln_sync runs in place
 * runs on the same fiber, and telling it apart would cost the inline sync
 * (see kiln_timeout(3), BUGS).  Here the parent has a child in flight that
 * reads a pipe written 200 ms later, four times the timeout; the parent
 * bounds its own read, which must time out, and the child's read, made
 * without a bound, must still get its byte, whether the child ran in place
 * or was stolen.
 */
struct own {
	int p[2], q[2];
	long child_r, parent_r;
	int go_ret;
	struct bounded b;
};

static void own_writer(void *p)
{
	struct own *s = p;

	kiln_sleep(4 * TMO_NS);
	if (write(s->p[1], "c", 1) != 1)
		s->go_ret = -EIO;
}

static void own_child(void *p)
{
	struct own *s = p;
	char c;

	s->child_r = kiln_read(s->p[0], &c, 1, -1);
}

static void own_parent(void *p)
{
	struct own *s = p;
	kiln_task t;
	char c;

	s->go_ret = kiln_go(own_writer, s);
	kiln_spawn(&t, own_child, s);
	kiln_timeout(TMO_NS);
	s->parent_r = kiln_read(s->q[0], &c, 1, -1);  /* nothing comes */
	kiln_sync(&t);
}

Test(io, timeout_bounds_the_call_after_it_not_a_childs)
{
	kiln_pool *one = make_pool(1);
	struct own s;
	int finished;

	memset(&s, 0, sizeof(s));
	s.child_r = s.parent_r = 1;
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	cr_assert(eq(int, pipe2(s.q, O_CLOEXEC), 0));
	start_bounded(one, &s.b, own_parent, &s);
	/* 250 ms if it works; 2 s only bounds the wait. */
	finished = wait_bounded(&s.b, 2.0);
	kiln_pool_destroy(one);
	cr_expect(eq(int, s.go_ret, 0));
	cr_expect(eq(int, finished, 1), "the parent's bounded call or the "
	    "child's read did not finish (parent %ld, child %ld)",
	    s.parent_r, s.child_r);
	cr_expect(eq(long, s.parent_r, (long)-ETIME));
	cr_expect(eq(long, s.child_r, 1L), "the child's read returned %ld",
	    s.child_r);
	close(s.p[0]);
	close(s.p[1]);
	close(s.q[0]);
	close(s.q[1]);
}

/*
 * The smallest ring: a call with a timeout needs two submission entries
 * (the call and its IORING_OP_LINK_TIMEOUT) in one submission.  A pool
 * may refuse ring_entries = 1 (-EINVAL); if it accepts it, the timeout
 * must work there too.  Without io_uring the option is ignored.
 */
struct tiny {
	int sv[2];
	long r;
	struct bounded b;
};

static void tiny_recv(void *p)
{
	struct tiny *t = p;
	char c;

	kiln_timeout(TMO_NS);
	t->r = kiln_recv(t->sv[0], &c, 1, 0);
}

Test(io, timeout_on_a_one_entry_ring)
{
	struct kiln_options o = { .workers = 1, .ring_entries = 1 };
	kiln_pool *p = NULL;
	struct tiny t;
	int ret, finished;

	ret = kiln_pool_create(&p, &o);
	if (ret == -EINVAL)
		return;
	cr_assert(eq(int, ret, 0));
	memset(&t, 0, sizeof(t));
	t.r = 1;
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    t.sv), 0));
	start_bounded(p, &t.b, tiny_recv, &t);
	/* 50 ms if it works; 2 s only bounds the wait. */
	finished = wait_bounded(&t.b, 2.0);
	kiln_pool_destroy(p);
	cr_expect(eq(int, finished, 1), "a kiln_recv with a 50 ms timeout "
	    "did not return within 2 s (after destroy it returned %ld)", t.r);
	if (finished)
		cr_expect(eq(long, t.r, (long)-ETIME));
	close(t.sv[0]);
	close(t.sv[1]);
}
