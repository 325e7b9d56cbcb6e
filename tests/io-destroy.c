/*
 * kiln_pool_destroy with calls in flight: every kind of waiting call is
 * cancelled; and destroy while the last awake worker is about to sleep.
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* kiln_pool_destroy with operations in flight.                        */

#define HOUR_NS (3600ull * 1000 * MS)

enum { W_RECV, W_SLEEP, W_POLL, W_READ, W_ACCEPT, NWAIT };

static const char *const wait_name[NWAIT] = {
	"kiln_recv on a socketpair", "kiln_sleep of an hour",
	"kiln_poll of a pipe", "kiln_read of a pipe",
	"kiln_accept",
};

struct waits {
	int sv[2], p[2], lfd;
	atomic_int started, go_failed;
	struct waiter {
		struct waits *s;
		int kind;
		long r, after;
		atomic_int done;
	} w[NWAIT];
};

static void waiter(void *p)
{
	struct waiter *w = p;
	struct waits *s = w->s;
	char buf[4];

	atomic_fetch_add(&s->started, 1);
	switch (w->kind) {
	case W_RECV:
		w->r = kiln_recv(s->sv[0], buf, sizeof(buf), 0);
		break;
	case W_SLEEP:
		w->r = kiln_sleep(HOUR_NS);
		break;
	case W_POLL:
		w->r = kiln_poll(s->p[0], POLLIN);
		break;
	case W_READ:
		w->r = kiln_read(s->p[0], buf, sizeof(buf), -1);
		break;
	case W_ACCEPT:
		w->r = kiln_accept(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		break;
	}
	/* Destroy has begun: every further call is cancelled at once. */
	w->after = kiln_sleep(MS);
	atomic_store(&w->done, 1);
}

static void waits_root(void *p)
{
	struct waits *s = p;
	int i;

	for (i = 0; i < NWAIT; i++)
		if (kiln_go(waiter, &s->w[i]) != 0)
			atomic_fetch_add(&s->go_failed, 1);
}

static void destroy_in_flight(unsigned int workers, unsigned int flags)
{
	struct kiln_options o = { .workers = workers, .flags = flags };
	kiln_pool *p = make_pool_with(&o);
	struct kiln_stats st;
	struct waits s;
	uint64_t t0, took, end;
	int i;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s.sv), 0));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	s.lfd = listen_loopback(4, NULL);
	for (i = 0; i < NWAIT; i++) {
		s.w[i].s = &s;
		s.w[i].kind = i;
		s.w[i].r = s.w[i].after = 1;
	}
	run_on(p, waits_root, &s);
	cr_assert(eq(int, ld(&s.go_failed), 0));
	/* Wait until every call is in flight (the limit only turns a hang
	 * into a failure). */
	end = now_ns() + 10000 * MS;
	do {
		kiln_pool_stats(p, &st);
		if (st.io_waiting == NWAIT)
			break;
		usleep(1000);
	} while (now_ns() < end);
	cr_expect(eq(u64, st.io_waiting, NWAIT), "%d calls in flight",
	    (int)st.io_waiting);
	t0 = now_ns();
	kiln_pool_destroy(p);
	took = now_ns() - t0;
	/*
	 * Without cancellation, destroy would wait for an hour (the sleep)
	 * or forever (the others): 5 s is far from both and far above what
	 * cancelling costs.
	 */
	cr_expect(lt(u64, took, 5000 * MS), "destroy took %.3f s", secs(took));
	cr_expect(eq(int, ld(&s.started), NWAIT));
	for (i = 0; i < NWAIT; i++) {
		cr_expect(eq(int, ld(&s.w[i].done), 1), "%s: not finished",
		    wait_name[i]);
		cr_expect(eq(long, s.w[i].r, (long)-ECANCELED), "%s",
		    wait_name[i]);
		cr_expect(eq(long, s.w[i].after, (long)-ECANCELED),
		    "%s: the next call", wait_name[i]);
	}
	close(s.sv[0]);
	close(s.sv[1]);
	close(s.p[0]);
	close(s.p[1]);
	close(s.lfd);
}

Test(io, destroy_cancels_calls_in_flight)
{
	destroy_in_flight(2, 0);
}

Test(io, destroy_cancels_calls_in_flight_one_worker)
{
	destroy_in_flight(1, 0);
}

Test(io, destroy_cancels_calls_in_flight_no_uring_flag)
{
	destroy_in_flight(2, KILN_OPT_NO_URING);
}

/* ------------------------------------------------------------------ */
/* Destroy while the last awake worker is about to sleep.              */

/*
 * Pausing a worker at a chosen point.  This program's clock_gettime
 * replaces the C library's for libkiln as well (the executable comes first
 * in symbol lookup), so it can count the calls that one thread makes and
 * hold that thread for a while at the n-th.  Unmarked threads, and marked
 * ones while pause_at is 0, only pay a system call instead of the vDSO.
 */
static __thread int clock_marked;
static atomic_long clock_calls, pause_at;
static atomic_int clock_paused;

#define PAUSE_NS (200 * MS)

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (clock_marked) {
		long n = atomic_fetch_add(&clock_calls, 1) + 1;

		if (n == atomic_load(&pause_at)) {
			struct timespec d = { 0, (long)PAUSE_NS };

			atomic_store(&clock_paused, 1);
			nanosleep(&d, NULL);
		}
	}
	return (int)syscall(SYS_clock_gettime, id, ts);
}

/* Mark the worker's thread, and count its calls from the end of this. */
static void mark_worker(void *p)
{
	(void)p;
	clock_marked = 1;
	atomic_store(&clock_calls, 0);
}

struct lone {
	long r;
	atomic_int done;
};

static void lone_sleeper(void *p)
{
	struct lone *l = p;

	l->r = kiln_sleep(HOUR_NS);
	atomic_store(&l->done, 1);
}

static void lone_root(void *p)
{
	if (kiln_go(lone_sleeper, p) != 0)
		((struct lone *)p)->r = -ENOMEM;
}

/* Wait until the one worker of p sleeps; returns its calls meanwhile. */
static long calls_until_asleep(kiln_pool *p, uint64_t sleeps_before)
{
	uint64_t end = now_ns() + 5000 * MS;
	struct kiln_stats st;
	long n;

	do {
		kiln_pool_stats(p, &st);
		if (st.sleeps > sleeps_before)
			break;
		usleep(1000);
	} while (now_ns() < end);
	cr_assert(gt(u64, st.sleeps, sleeps_before), "the worker never slept");
	/* Asleep until its timer, an hour away: the count stays put. */
	do {
		n = atomic_load(&clock_calls);
		usleep(20000);
	} while (n != atomic_load(&clock_calls));
	return n;
}

/*
 * One worker, idle but for a task in a one-hour sleep; kiln_pool_destroy
 * is called just as the worker finishes its last look for work and goes
 * to sleep.  Destroy must wake it (or it must see that destroy began),
 * cancel the sleep and return.
 *
 * The timing is made exact by pausing the worker inside that last look:
 * the fallback's timer check reads the clock once per look, so the test
 * first counts the worker's clock reads from the end of a task until it
 * sleeps (the last one is the sleep's own deadline), then, after the next
 * task, holds the worker for 200 ms at the read before that, and calls
 * kiln_pool_destroy meanwhile.  (io_uring workers have the same window;
 * with no clock read inside it, only a stress loop can hit it there.)
 */
Test(io, destroy_as_the_last_worker_falls_asleep)
{
	struct kiln_options o = { .workers = 1, .flags = KILN_OPT_NO_URING };
	kiln_pool *one = make_pool_with(&o);
	struct lone *l = calloc(1, sizeof(*l));
	struct kiln_stats st;
	uint64_t end;
	long k;
	int finished;

	cr_assert(not(eq(ptr, l, NULL)));
	l->r = 1;
	run_on(one, lone_root, l);
	end = now_ns() + 5000 * MS;
	do {
		kiln_pool_stats(one, &st);
	} while (st.io_waiting < 1 && now_ns() < end && !usleep(1000));
	cr_assert(eq(u64, st.io_waiting, 1));

	/* Count: the reads of a look for work, then the sleep's. */
	kiln_pool_stats(one, &st);
	run_on(one, mark_worker, NULL);
	k = calls_until_asleep(one, st.sleeps);
	if (k < 2)
		cr_skip_test("the worker reads the clock %ld times before it "
		    "sleeps: no point to pause it at", k);

	/* The same again, pausing at the last look's read. */
	atomic_store(&clock_paused, 0);
	atomic_store(&pause_at, k - 1);
	run_on(one, mark_worker, NULL);
	end = now_ns() + 5000 * MS;
	while (!atomic_load(&clock_paused) && now_ns() < end)
		usleep(100);
	cr_assert(eq(int, ld(&clock_paused), 1), "the worker never paused");
	/* Destroy cancels the hour's sleep: 2 s is far from an hour, and
	 * far above the milliseconds destroying a pool takes. */
	finished = destroy_within(one, 2.0);
	atomic_store(&pause_at, 0);
	cr_expect(eq(int, finished, 1), "kiln_pool_destroy did not return: "
	    "its worker went to sleep (for the hour of its timer) without "
	    "seeing that destroy had begun, and nothing woke it");
	if (finished) {
		cr_expect(eq(int, ld(&l->done), 1));
		cr_expect(eq(long, l->r, (long)-ECANCELED));
		free(l);
	}
}
