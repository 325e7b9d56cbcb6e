/*
 * Sockets and pipes: a loopback TCP server and client as tasks, kiln_poll
 * on a pipe, and idle connections that must not hold up a ready one.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* A loopback TCP server and client as tasks.                          */

#define TCP_BYTES (384 * 1024 + 123)
#define TCP_CHUNK (16 * 1024)
#define TCP_SEED 77

struct tcp {
	int lfd, cfd;
	struct sockaddr_in addr;
	/* server */
	int afd, srv_close, srv_shut;
	struct sockaddr_in peer;
	socklen_t peerlen;
	long srv_rcvd, srv_good, srv_sent, srv_err;
	/* client */
	int connect_ret, cli_close, cli_shut;
	long cli_sent, cli_rcvd, cli_good, cli_err;
	uint8_t *out, *srv_buf, *back;
};

/* Accept one connection, echo everything back until EOF, then shut down. */
static void tcp_server(void *p)
{
	struct tcp *t = p;

	t->peerlen = sizeof(t->peer);
	t->afd = kiln_accept(t->lfd, (struct sockaddr *)&t->peer, &t->peerlen,
	    SOCK_CLOEXEC);
	if (t->afd < 0)
		return;
	for (;;) {
		ssize_t n = kiln_recv(t->afd, t->srv_buf, TCP_CHUNK, 0), m;

		if (n <= 0) {
			if (n < 0)
				t->srv_err = n;
			break;
		}
		if (t->srv_good == t->srv_rcvd)
			t->srv_good += (long)mismatch(t->srv_buf, (size_t)n,
			    TCP_SEED, (uint64_t)t->srv_rcvd);
		t->srv_rcvd += n;
		for (m = 0; m < n;) {
			ssize_t s = kiln_send(t->afd, t->srv_buf + m,
			    (size_t)(n - m), 0);

			if (s <= 0) {
				t->srv_err = s ? s : -EPIPE;
				goto out;
			}
			m += s;
			t->srv_sent += s;
		}
	}
out:
	t->srv_shut = shutdown(t->afd, SHUT_WR);
	t->srv_close = kiln_close(t->afd);
}

static void tcp_client_send(void *p)
{
	struct tcp *t = p;

	while (t->cli_sent < TCP_BYTES) {
		size_t len = TCP_BYTES - (size_t)t->cli_sent;
		ssize_t s = kiln_send(t->cfd, t->out + t->cli_sent,
		    len < TCP_CHUNK * 3 ? len : TCP_CHUNK * 3, 0);

		if (s <= 0) {
			t->cli_err = s ? s : -EPIPE;
			break;
		}
		t->cli_sent += s;
	}
	t->cli_shut = shutdown(t->cfd, SHUT_WR);
}

static void tcp_client_recv(void *p)
{
	struct tcp *t = p;

	for (;;) {
		ssize_t n = kiln_recv(t->cfd, t->back + t->cli_rcvd,
		    TCP_BYTES + 1 - (size_t)t->cli_rcvd, 0);

		if (n <= 0) {
			if (n < 0)
				t->cli_err = n;
			break;
		}
		t->cli_rcvd += n;
		if (t->cli_rcvd > TCP_BYTES)
			break;
	}
	t->cli_good = (long)mismatch(t->back, (size_t)t->cli_rcvd, TCP_SEED, 0);
}

static void tcp_client(void *p)
{
	struct tcp *t = p;

	t->connect_ret = kiln_connect(t->cfd, (struct sockaddr *)&t->addr,
	    sizeof(t->addr));
	if (t->connect_ret < 0) {
		close(t->cfd);
		return;
	}
	/* Send and receive at once: the echo would fill both buffers. */
	kiln_join(tcp_client_send, t, tcp_client_recv, t);
	t->cli_close = kiln_close(t->cfd);
}

static void tcp_root(void *p)
{
	/* The server first, so that it waits in accept before the client. */
	kiln_join(tcp_server, p, tcp_client, p);
}

static void tcp_echo(unsigned int workers)
{
	kiln_pool *p = workers == 2 ? pool : make_pool(workers);
	struct tcp *t = calloc(1, sizeof(*t));

	cr_assert(not(eq(ptr, t, NULL)));
	t->out = malloc(TCP_BYTES);
	t->srv_buf = malloc(TCP_CHUNK);
	t->back = malloc(TCP_BYTES + 1);
	cr_assert(t->out && t->srv_buf && t->back);
	fill(t->out, TCP_BYTES, TCP_SEED, 0);
	t->lfd = listen_loopback(8, &t->addr);
	t->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, t->cfd, 0));
	t->afd = -1;

	run_on(p, tcp_root, t);
	cr_expect(ge(int, t->afd, 0), "kiln_accept: %d", t->afd);
	cr_expect(eq(uint, (unsigned int)t->peerlen,
	    (unsigned int)sizeof(t->peer)));
	cr_expect(eq(u32, ntohl(t->peer.sin_addr.s_addr), INADDR_LOOPBACK));
	cr_expect(eq(int, t->connect_ret, 0), "kiln_connect: %d",
	    t->connect_ret);
	cr_expect(eq(long, t->srv_err, 0L));
	cr_expect(eq(long, t->cli_err, 0L));
	cr_expect(eq(long, t->cli_sent, (long)TCP_BYTES));
	cr_expect(eq(long, t->srv_rcvd, (long)TCP_BYTES));
	cr_expect(eq(long, t->srv_good, (long)TCP_BYTES),
	    "server: wrong byte at %ld", t->srv_good);
	cr_expect(eq(long, t->srv_sent, (long)TCP_BYTES));
	cr_expect(eq(long, t->cli_rcvd, (long)TCP_BYTES),
	    "client: echo of %ld bytes, then EOF", t->cli_rcvd);
	cr_expect(eq(long, t->cli_good, t->cli_rcvd),
	    "client: wrong byte at %ld", t->cli_good);
	cr_expect(eq(int, t->cli_shut, 0));
	cr_expect(eq(int, t->srv_shut, 0));
	cr_expect(eq(int, t->srv_close, 0));
	cr_expect(eq(int, t->cli_close, 0));
	close(t->lfd);
	free(t->out);
	free(t->srv_buf);
	free(t->back);
	free(t);
	if (p != pool)
		kiln_pool_destroy(p);
}

Test(io, tcp_loopback_echo)
{
	tcp_echo(2);
}

/* One worker: every wait must park the task, or the two sides deadlock. */
Test(io, tcp_loopback_echo_one_worker)
{
	tcp_echo(1);
}

/* ------------------------------------------------------------------ */
/* kiln_poll on a pipe.                                                */

struct pollpipe {
	int p[2];
	int r, r_ready, r_out, r_hup;
	atomic_int written, seen_written;
	char c;
};

static void poll_waiter(void *p)
{
	struct pollpipe *s = p;

	s->r = kiln_poll(s->p[0], POLLIN);
	atomic_store(&s->seen_written, ld(&s->written));
}

static void poll_writer(void *p)
{
	struct pollpipe *s = p;

	kiln_sleep(30 * MS);
	atomic_store(&s->written, 1);
	if (kiln_write(s->p[1], "x", 1, -1) != 1)
		atomic_store(&s->written, -1);
}

static void poll_root(void *p)
{
	struct pollpipe *s = p;

	/* The waiter runs first (here), parks in kiln_poll, the writer
	 * then runs: it writes only after its sleep. */
	kiln_join(poll_waiter, s, poll_writer, s);
	s->r_ready = kiln_poll(s->p[0], POLLIN);   /* ready: at once */
	s->r_out = kiln_poll(s->p[1], POLLOUT);
	kiln_read(s->p[0], &s->c, 1, -1);
	close(s->p[1]);
	s->r_hup = kiln_poll(s->p[0], POLLIN);
}

static void poll_pipe(unsigned int workers)
{
	kiln_pool *p = workers == 2 ? pool : make_pool(workers);
	struct pollpipe s;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	run_on(p, poll_root, &s);
	cr_expect(eq(int, s.r, POLLIN), "kiln_poll returned %#x", s.r);
	cr_expect(eq(int, ld(&s.seen_written), 1),
	    "kiln_poll returned before the pipe was written");
	cr_expect(eq(int, s.r_ready, POLLIN));
	cr_expect(eq(int, s.r_out, POLLOUT));
	cr_expect(eq(int, s.c, 'x'));
	cr_expect(eq(int, s.r_hup & POLLHUP, POLLHUP),
	    "no POLLHUP after the write end closed: %#x", s.r_hup);
	close(s.p[0]);
	if (p != pool)
		kiln_pool_destroy(p);
}

Test(io, poll_pipe_returns_pollin_once_written)
{
	poll_pipe(2);
}

Test(io, poll_pipe_one_worker)
{
	poll_pipe(1);
}

/* ------------------------------------------------------------------ */
/* Idle connections do not hold up a ready one.                        */

struct idle {
	int n;
	int (*sv)[2];
	int ping[2];
	atomic_int go_failed, idle_done;
	long pong_r;
	char c;
	struct idle_arg {
		struct idle *s;
		int i;
		long r;
	} *a;
	struct bounded b;
};

static void idle_conn(void *p)
{
	struct idle_arg *a = p;
	char c;

	a->r = kiln_recv(a->s->sv[a->i][0], &c, 1, 0);
	atomic_fetch_add(&a->s->idle_done, 1);
}

static void idle_root(void *p)
{
	struct idle *s = p;
	int i;

	for (i = 0; i < s->n; i++)
		if (kiln_go(idle_conn, &s->a[i]) != 0)
			atomic_fetch_add(&s->go_failed, 1);
}

static void ready_conn(void *p)
{
	struct idle *s = p;

	/* The idle ones wait already: by now they have had 20 ms. */
	kiln_sleep(20 * MS);
	if (send(s->ping[1], "p", 1, 0) == 1)
		s->pong_r = kiln_recv(s->ping[0], &s->c, 1, 0);
}

/*
 * A server with n idle connections (each a task in kiln_recv) and one
 * whose data is there: its kiln_recv must return.  On io_uring each recv
 * is an armed poll; the fallback must not leave the ready one waiting
 * behind idle ones that hold every helper thread.  Returns 1 if the ready
 * recv returned within limit seconds.
 */
static int idle_connections(int n, double limit)
{
	kiln_pool *p = make_pool(2);
	struct idle *s = calloc(1, sizeof(*s));
	int i, finished;

	cr_assert(not(eq(ptr, s, NULL)));
	s->n = n;
	s->sv = calloc((size_t)n, sizeof(*s->sv));
	s->a = calloc((size_t)n, sizeof(*s->a));
	cr_assert(s->sv && s->a);
	for (i = 0; i < n; i++) {
		cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_CLOEXEC, 0, s->sv[i]), 0));
		s->a[i].s = s;
		s->a[i].i = i;
		s->a[i].r = 1;
	}
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s->ping), 0));
	s->pong_r = 1;
	run_on(p, idle_root, s);
	cr_assert(eq(int, ld(&s->go_failed), 0));
	start_bounded(p, &s->b, ready_conn, s);
	finished = wait_bounded(&s->b, limit);
	kiln_pool_destroy(p);  /* cancels the idle ones */
	if (finished)
		cr_expect(eq(long, s->pong_r, 1L), "the ready recv returned "
		    "%ld", s->pong_r);
	cr_expect(eq(int, ld(&s->idle_done), n));
	for (i = 0; i < n; i++) {
		if (s->a[i].r != -ECANCELED) {
			cr_expect(eq(long, s->a[i].r, (long)-ECANCELED),
			    "idle connection %d", i);
			break;
		}
	}
	for (i = 0; i < n; i++) {
		close(s->sv[i][0]);
		close(s->sv[i][1]);
	}
	close(s->ping[0]);
	close(s->ping[1]);
	free(s->sv);
	free(s->a);
	free(s);
	return finished;
}

/*
 * Four idle connections.  The failure this looks for depends on how the
 * calls meet the helper threads, so it comes up in some runs only: eight
 * tries (the data is there after 20 ms; 1 s only bounds a hang).
 */
Test(io, few_idle_connections_do_not_hold_up_a_ready_one)
{
	int trial, finished = 1;

	for (trial = 1; trial <= 8 && finished; trial++)
		finished = idle_connections(4, 1.0);
	cr_expect(eq(int, finished, 1), "try %d: with 4 idle connections, "
	    "a recv whose data was there did not return within 1 s",
	    trial - 1);
}

Test(io, many_idle_connections_do_not_hold_up_a_ready_one)
{
	cr_expect(eq(int, idle_connections(200, 2.0), 1), "with 200 idle "
	    "connections, a recv whose data was there did not return within "
	    "2 s");
}
