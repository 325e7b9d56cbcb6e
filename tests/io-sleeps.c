/*
 * kiln_sleep: thousands of concurrent sleeps overlap, a zero sleep, and
 * the request shape (compute, wait, compute) on one worker, whose waits
 * let the worker run the other requests.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* Thousands of concurrent sleeps.                                     */

#define NSLEEP 2000
#define SLEEP_NS (100 * MS)

struct sleeper {
	kiln_task t;
	int r;
	uint64_t took;
};

static void sleeper(void *p)
{
	struct sleeper *s = p;
	uint64_t t0 = now_ns();

	s->r = kiln_sleep(SLEEP_NS);
	s->took = now_ns() - t0;
}

struct sleeps {
	struct sleeper *s;
	unsigned int n;
};

static void sleeps_root(void *p)
{
	struct sleeps *ss = p;
	unsigned int i;

	for (i = 0; i < ss->n; i++)
		kiln_spawn(&ss->s[i].t, sleeper, &ss->s[i]);
	for (i = ss->n; i-- > 0;)
		kiln_sync(&ss->s[i].t);
}

Test(io, thousands_of_sleeps_overlap)
{
	struct sleeps ss = { calloc(NSLEEP, sizeof(struct sleeper)), NSLEEP };
	uint64_t t0, took, shortest = UINT64_MAX;
	unsigned int i, bad = 0;

	cr_assert(not(eq(ptr, ss.s, NULL)));
	t0 = now_ns();
	run_on(pool, sleeps_root, &ss);
	took = now_ns() - t0;
	for (i = 0; i < NSLEEP; i++) {
		if (ss.s[i].r != 0)
			bad++;
		if (ss.s[i].took < shortest)
			shortest = ss.s[i].took;
	}
	cr_expect(eq(uint, bad, 0u), "%u sleeps did not return 0", bad);
	/* Sleeps never end early (CLOCK_MONOTONIC on both sides). */
	cr_expect(ge(u64, shortest, SLEEP_NS), "a sleep took %.3f s",
	    secs(shortest));
	/*
	 * 2000 sleeps of 100 ms on two workers.  One after the other they
	 * take 200 s (100 s per worker); overlapped, one sleep's time plus
	 * the cost of 2000 small tasks.  Under 2 s leaves a factor of
	 * about 20 for a loaded machine and a sanitizer, and still fails if
	 * even 1% of the sleeps were made one after another.
	 */
	cr_expect(lt(u64, took, 2000 * MS), "%d sleeps of %.1f s took %.3f s",
	    NSLEEP, secs(SLEEP_NS), secs(took));
	free(ss.s);
}

static void sleep_zero(void *p)
{
	int *r = p;

	r[0] = kiln_sleep(0);
	r[1] = kiln_sleep(1);
}

Test(io, sleep_zero)
{
	int r[2] = { 1, 1 };

	run_on(pool, sleep_zero, r);
	cr_expect(eq(int, r[0], 0));
	cr_expect(eq(int, r[1], 0));
}

/* ------------------------------------------------------------------ */
/* The request shape on one worker: compute, wait, compute.            */

#define NREQ 40
#define REQ_COMPUTE_NS (1 * MS)
#define REQ_WAIT_NS (200 * MS)

struct req {
	kiln_task t;
	int r;
	int worker;
};

/* Busy work that does not yield: the worker can do nothing else. */
static void compute(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static void request(void *p)
{
	struct req *q = p;

	compute(REQ_COMPUTE_NS);
	q->r = kiln_sleep(REQ_WAIT_NS);
	compute(REQ_COMPUTE_NS);
	q->worker = kiln_worker_id();
}

static void requests_root(void *p)
{
	struct req *q = p;
	int i;

	for (i = 0; i < NREQ; i++)
		kiln_spawn(&q[i].t, request, &q[i]);
	for (i = NREQ - 1; i >= 0; i--)
		kiln_sync(&q[i].t);
}

Test(io, compute_wait_compute_overlaps_on_one_worker)
{
	kiln_pool *one = make_pool(1);
	struct req q[NREQ];
	uint64_t t0, took;
	int i;

	memset(q, 0, sizeof(q));
	t0 = now_ns();
	run_on(one, requests_root, q);
	took = now_ns() - t0;
	for (i = 0; i < NREQ; i++) {
		cr_expect(eq(int, q[i].r, 0));
		cr_expect(eq(int, q[i].worker, 0));
	}
	/*
	 * 40 requests of 1 ms compute, 200 ms wait, 1 ms compute on ONE
	 * worker.  If a wait held the worker, they would take the serial
	 * sum, 40 * 202 ms = 8.1 s; overlapped, the waits run side by side:
	 * 80 ms of compute + 200 ms.  The bound is a quarter of the sum of
	 * the waits (2 s): seven times the expected time, and it fails
	 * unless at least 30 of the 40 waits overlap with others.
	 */
	cr_expect(lt(u64, took, NREQ * REQ_WAIT_NS / 4),
	    "%d requests took %.3f s (serial: %.3f s)", NREQ, secs(took),
	    secs(NREQ * (REQ_WAIT_NS + 2 * REQ_COMPUTE_NS)));
	kiln_pool_destroy(one);
}
