/*
 * Durations too long to be a deadline: kiln_sleep and kiln_timeout take
 * any value up to UINT64_MAX nanoseconds (584 years), and a deadline that
 * does not fit in the clock must mean "never", not wrap around into the
 * past and end the wait at once.  Every kind of call that waits, with
 * every such duration, on the path under test: still waiting after a
 * while, then cancelled by kiln_pool_destroy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

static const uint64_t durations[] = {
	UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 999999999,
	(1ull << 63) + 1, 1ull << 63, (1ull << 63) - 1,
};
#define NDUR (sizeof(durations) / sizeof(durations[0]))

enum { K_SLEEP, K_RECV, K_RECVMSG, K_READ, K_POLL, K_ACCEPT,
	K_ACCEPT_NB, K_CONNECT, NKIND };

static const char *const kind_name[NKIND] = {
	"kiln_sleep", "kiln_recv", "kiln_recvmsg", "kiln_read of a pipe",
	"kiln_poll of a pipe", "kiln_accept", "kiln_accept (non-blocking "
	"listener)", "kiln_connect (full backlog)",
};

struct waits {
	int sv[2], p[2], lfd, lfd_nb;
	struct full_listener full;   /* lfd -1: none could be made */
	int cfd[NDUR];
	struct call {
		struct waits *s;
		int kind;
		unsigned int d;
		long r;
		atomic_int done;
	} c[NKIND][NDUR];
};

static void call(void *p)
{
	struct call *c = p;
	struct waits *s = c->s;
	uint64_t ns = durations[c->d];
	char buf[4];
	struct iovec v = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

	if (c->kind != K_SLEEP)
		kiln_timeout(ns);
	switch (c->kind) {
	case K_SLEEP:
		c->r = kiln_sleep(ns);
		break;
	case K_RECV:
		c->r = kiln_recv(s->sv[0], buf, sizeof(buf), 0);
		break;
	case K_RECVMSG:
		c->r = kiln_recvmsg(s->sv[0], &m, 0);
		break;
	case K_READ:
		c->r = kiln_read(s->p[0], buf, sizeof(buf), -1);
		break;
	case K_POLL:
		c->r = kiln_poll(s->p[0], POLLIN);
		break;
	case K_ACCEPT:
		c->r = kiln_accept(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		break;
	case K_ACCEPT_NB:
		c->r = kiln_accept(s->lfd_nb, NULL, NULL, SOCK_CLOEXEC);
		break;
	case K_CONNECT:
		c->r = kiln_connect(s->cfd[c->d],
		    (struct sockaddr *)&s->full.a, sizeof(s->full.a));
		break;
	}
	atomic_store(&c->done, 1);
}

static void start(void *p)
{
	struct waits *s = p;

	for (int k = 0; k < NKIND; k++)
		for (unsigned int d = 0; d < NDUR; d++)
			if ((k != K_CONNECT || s->full.lfd >= 0) &&
			    kiln_go(call, &s->c[k][d]) != 0)
				cr_fail("kiln_go failed");
}

static void setup_waits(struct waits *s)
{
	memset(s, 0, sizeof(*s));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s->sv), 0));
	cr_assert(eq(int, pipe2(s->p, O_CLOEXEC), 0));
	s->lfd = listen_loopback(4, NULL);
	s->lfd_nb = listen_loopback(4, NULL);
	cr_assert(eq(int, fcntl(s->lfd_nb, F_SETFL, O_NONBLOCK), 0));
	if (!full_listener_open(&s->full))
		s->full.lfd = -1;
	for (unsigned int d = 0; d < NDUR; d++) {
		s->cfd[d] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert(ge(int, s->cfd[d], 0));
	}
	for (int k = 0; k < NKIND; k++)
		for (unsigned int d = 0; d < NDUR; d++) {
			s->c[k][d].s = s;
			s->c[k][d].kind = k;
			s->c[k][d].d = d;
			s->c[k][d].r = 1;
		}
}

static void close_waits(struct waits *s)
{
	close(s->sv[0]);
	close(s->sv[1]);
	close(s->p[0]);
	close(s->p[1]);
	close(s->lfd);
	close(s->lfd_nb);
	if (s->full.lfd >= 0)
		full_listener_close(&s->full);
	for (unsigned int d = 0; d < NDUR; d++)
		close(s->cfd[d]);
}

Test(io, durations_that_do_not_fit_mean_never)
{
	struct waits *s = malloc(sizeof(*s));
	kiln_pool *p = make_pool(2);
	int finished;

	cr_assert(not(eq(ptr, s, NULL)));
	setup_waits(s);
	run_on(p, start, s);
	/*
	 * A deadline that wrapped would have ended these calls at once
	 * (-ETIME, or 0 for a sleep).  0.4 s: long enough for a worker on a
	 * loaded machine to have started all of them and seen a wrapped
	 * deadline pass; asserting that nothing ended is not a bound on
	 * speed.
	 */
	usleep(400000);
	for (int k = 0; k < NKIND; k++)
		for (unsigned int d = 0; d < NDUR; d++)
			cr_expect(eq(int, ld(&s->c[k][d].done), 0),
			    "%s with %llu ns ended early: %ld", kind_name[k],
			    (unsigned long long)durations[d], s->c[k][d].r);
	finished = destroy_within(p, 10.0);
	cr_assert(eq(int, finished, 1), "kiln_pool_destroy did not return");
	for (int k = 0; k < NKIND; k++) {
		if (k == K_CONNECT && s->full.lfd < 0)
			continue;
		for (unsigned int d = 0; d < NDUR; d++)
			cr_expect(eq(long, s->c[k][d].r, (long)-ECANCELED),
			    "%s with %llu ns", kind_name[k],
			    (unsigned long long)durations[d]);
	}
	close_waits(s);
	free(s);
}
