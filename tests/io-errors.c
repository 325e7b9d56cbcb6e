/*
 * Errors: the error codes of the calls, EOF, and a negative descriptor.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* Error codes and EOF.                                                */

struct errs {
	int closed, file, rdonly, wronly, sock, lsock;
	struct sockaddr_in refused;
	ssize_t read_closed, write_closed, recv_closed, send_closed;
	ssize_t write_rdonly, read_wronly, recv_file, read_dir;
	ssize_t eof_at_end, eof_past_end, eof_peer_closed;
	int fsync_closed, close_closed, open_noent, open_baddir, open_notdir;
	int accept_notlistening, connect_refused;
};

static void errs_root(void *p)
{
	struct errs *e = p;
	char buf[8];
	int sv[2];

	e->read_closed = kiln_read(e->closed, buf, 1, 0);
	e->write_closed = kiln_write(e->closed, buf, 1, 0);
	e->recv_closed = kiln_recv(e->closed, buf, 1, 0);
	e->send_closed = kiln_send(e->closed, buf, 1, 0);
	e->fsync_closed = kiln_fsync(e->closed);
	e->close_closed = kiln_close(e->closed);
	e->open_noent = kiln_openat(dir, "no/such/file", O_RDONLY, 0);
	e->open_baddir = kiln_openat(e->closed, "x", O_RDONLY, 0);
	e->open_notdir = kiln_openat(dir, "e/x", O_RDONLY, 0);
	e->write_rdonly = kiln_write(e->rdonly, buf, 1, 0);
	e->read_wronly = kiln_read(e->wronly, buf, 1, 0);
	e->recv_file = kiln_recv(e->file, buf, 1, 0);
	e->read_dir = kiln_read(dir, buf, 1, 0);
	e->eof_at_end = kiln_read(e->file, buf, sizeof(buf), 100);
	e->eof_past_end = kiln_read(e->file, buf, sizeof(buf), 1 << 20);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		close(sv[1]);
		e->eof_peer_closed = kiln_recv(sv[0], buf, sizeof(buf), 0);
		close(sv[0]);
	}
	e->accept_notlistening = kiln_accept(e->sock, NULL, NULL, 0);
	e->connect_refused = kiln_connect(e->lsock,
	    (struct sockaddr *)&e->refused, sizeof(e->refused));
}

Test(io, error_codes_and_eof)
{
	struct errs e;
	socklen_t alen = sizeof(e.refused);
	int s;

	memset(&e, 0x55, sizeof(e));
	make_file("e", 100, 1);
	e.closed = closed_fd();
	e.file = openat(dir, "e", O_RDWR | O_CLOEXEC);
	e.rdonly = openat(dir, "e", O_RDONLY | O_CLOEXEC);
	e.wronly = openat(dir, "e", O_WRONLY | O_CLOEXEC);
	e.sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e.lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, e.file, 0));
	cr_assert(ge(int, e.rdonly, 0));
	cr_assert(ge(int, e.wronly, 0));
	cr_assert(ge(int, e.sock, 0));
	cr_assert(ge(int, e.lsock, 0));
	/* A loopback port that nothing listens on: bound, then closed. */
	memset(&e.refused, 0, sizeof(e.refused));
	e.refused.sin_family = AF_INET;
	e.refused.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(eq(int, bind(s, (struct sockaddr *)&e.refused,
	    sizeof(e.refused)), 0));
	cr_assert(eq(int, getsockname(s, (struct sockaddr *)&e.refused,
	    &alen), 0));
	close(s);

	run_on(pool, errs_root, &e);
	cr_expect(eq(long, (long)e.read_closed, (long)-EBADF));
	cr_expect(eq(long, (long)e.write_closed, (long)-EBADF));
	cr_expect(eq(long, (long)e.recv_closed, (long)-EBADF));
	cr_expect(eq(long, (long)e.send_closed, (long)-EBADF));
	cr_expect(eq(int, e.fsync_closed, -EBADF));
	cr_expect(eq(int, e.close_closed, -EBADF));
	cr_expect(eq(int, e.open_noent, -ENOENT));
	cr_expect(eq(int, e.open_baddir, -EBADF));
	cr_expect(eq(int, e.open_notdir, -ENOTDIR));
	cr_expect(eq(long, (long)e.write_rdonly, (long)-EBADF));
	cr_expect(eq(long, (long)e.read_wronly, (long)-EBADF));
	cr_expect(eq(long, (long)e.recv_file, (long)-ENOTSOCK));
	cr_expect(eq(long, (long)e.read_dir, (long)-EISDIR));
	cr_expect(eq(long, (long)e.eof_at_end, 0L));
	cr_expect(eq(long, (long)e.eof_past_end, 0L));
	cr_expect(eq(long, (long)e.eof_peer_closed, 0L));
	cr_expect(eq(int, e.accept_notlistening, -EINVAL));
	cr_expect(eq(int, e.connect_refused, -ECONNREFUSED));
	close(e.file);
	close(e.rdonly);
	close(e.wronly);
	close(e.sock);
	close(e.lsock);
}

/*
 * A negative descriptor is -EBADF, like any other descriptor that is not
 * open (read(2) and the others return EBADF for it).  Each call runs in a
 * task of its own, in a pool of its own (so that a call that hangs holds
 * up no other), bounded: a call that does not return is reported by name.
 */
struct negcall {
	const char *name;
	long r;
	struct bounded b;
};

static void neg_read(void *p)
{
	char c;

	((struct negcall *)p)->r = kiln_read(-1, &c, 1, 0);
}

static void neg_write(void *p)
{
	((struct negcall *)p)->r = kiln_write(-1, "x", 1, 0);
}

static void neg_recv(void *p)
{
	char c;

	((struct negcall *)p)->r = kiln_recv(-1, &c, 1, 0);
}

static void neg_send(void *p)
{
	((struct negcall *)p)->r = kiln_send(-1, "x", 1, 0);
}

static void neg_accept(void *p)
{
	((struct negcall *)p)->r = kiln_accept(-1, NULL, NULL, 0);
}

static void neg_connect(void *p)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(9);
	((struct negcall *)p)->r = kiln_connect(-1, (struct sockaddr *)&a,
	    sizeof(a));
}

static void neg_fsync(void *p)
{
	((struct negcall *)p)->r = kiln_fsync(-1);
}

static void neg_close(void *p)
{
	((struct negcall *)p)->r = kiln_close(-1);
}

Test(io, negative_fd_is_ebadf)
{
	static const struct {
		const char *name;
		void (*fn)(void *);
	} calls[] = {
		{ "kiln_read", neg_read }, { "kiln_write", neg_write },
		{ "kiln_recv", neg_recv }, { "kiln_send", neg_send },
		{ "kiln_accept", neg_accept }, { "kiln_connect", neg_connect },
		{ "kiln_fsync", neg_fsync }, { "kiln_close", neg_close },
	};
	enum { N = sizeof(calls) / sizeof(calls[0]) };
	struct negcall c[N];
	kiln_pool *p[N];
	int i, finished[N];
	uint64_t end;

	for (i = 0; i < N; i++) {
		p[i] = make_pool(1);
		c[i].name = calls[i].name;
		c[i].r = 1;
		start_bounded(p[i], &c[i].b, calls[i].fn, &c[i]);
	}
	/* Each call fails at once; 2 s is only the limit of the wait. */
	end = now_ns() + 2000 * MS;
	for (i = 0; i < N; i++)
		finished[i] = wait_bounded_until(&c[i].b, end);
	/* Cancel what still waits, while c is alive. */
	for (i = 0; i < N; i++)
		kiln_pool_destroy(p[i]);
	for (i = 0; i < N; i++) {
		cr_expect(eq(int, finished[i], 1), "%s(-1, ...) did not "
		    "return within 2 s (after destroy it returned %ld)",
		    c[i].name, c[i].r);
		if (finished[i])
			cr_expect(eq(long, c[i].r, (long)-EBADF),
			    "%s(-1, ...)", c[i].name);
	}
}
