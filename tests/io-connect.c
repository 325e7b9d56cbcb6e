/*
 * A connect that waits (the listener's backlog is full): kiln_timeout
 * bounds it, kiln_pool_destroy cancels it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* A connect that waits: the listener's backlog is full.               */

/* A connect to a listener whose backlog is full waits (io-suite.h). */
struct full {
	struct full_listener l;
	int cfd;
	long r;
	uint64_t took;
	struct bounded b;
};

static int full_backlog(struct full *f)
{
	if (!full_listener_open(&f->l))
		return 0;
	f->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, f->cfd, 0));
	f->r = 1;
	return 1;
}

static void full_close(struct full *f)
{
	close(f->cfd);
	full_listener_close(&f->l);
}

static void timed_connect(void *p)
{
	struct full *f = p;
	uint64_t t0 = now_ns();

	kiln_timeout(TMO_NS);
	f->r = kiln_connect(f->cfd, (struct sockaddr *)&f->l.a,
	    sizeof(f->l.a));
	f->took = now_ns() - t0;
}

static void plain_connect(void *p)
{
	struct full *f = p;

	f->r = kiln_connect(f->cfd, (struct sockaddr *)&f->l.a,
	    sizeof(f->l.a));
}

Test(io, timeout_bounds_a_connect)
{
	kiln_pool *one = make_pool(1);
	struct full *f = calloc(1, sizeof(*f));
	int finished;

	cr_assert(not(eq(ptr, f, NULL)));
	if (!full_backlog(f))
		cr_skip_test("could not fill a listener's backlog");
	start_bounded(one, &f->b, timed_connect, f);
	/* 50 ms if it works; 2 s only bounds the wait. */
	finished = wait_bounded(&f->b, 2.0);
	cr_expect(eq(int, finished, 1), "a kiln_connect with a 50 ms timeout "
	    "did not return within 2 s");
	if (finished) {
		cr_expect(eq(long, f->r, (long)-ETIME));
		cr_expect(ge(u64, f->took, TMO_NS));
	}
	/* Not finished: destroy cannot cancel it either (see below). */
	if (destroy_within(one, finished ? 60.0 : 0.5)) {
		full_close(f);
		free(f);
	}
}

Test(io, destroy_cancels_a_connect)
{
	kiln_pool *one = make_pool(1);
	struct full *f = calloc(1, sizeof(*f));
	struct kiln_stats st;
	uint64_t end;
	int finished;

	cr_assert(not(eq(ptr, f, NULL)));
	if (!full_backlog(f))
		cr_skip_test("could not fill a listener's backlog");
	start_bounded(one, &f->b, plain_connect, f);
	end = now_ns() + 5000 * MS;
	do {
		kiln_pool_stats(one, &st);
	} while (st.io_waiting < 1 && now_ns() < end && !usleep(1000));
	cr_assert(eq(u64, st.io_waiting, 1));
	usleep(20000);	/* well into the kernel's connect */
	/* The connect would wait about two minutes for the handshake;
	 * destroying a pool takes milliseconds. */
	finished = destroy_within(one, 2.0);
	cr_expect(eq(int, finished, 1), "kiln_pool_destroy did not return "
	    "within 2 s: it waits for a kiln_connect that it did not cancel");
	if (finished) {
		cr_expect(eq(long, f->r, (long)-ECANCELED));
		full_close(f);
		free(f);
	}
}
