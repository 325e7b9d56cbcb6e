/*
 * kiln_pool_stats: the I/O counters, and which path the pool's workers
 * took (io_uring or the fallback); the KILN_OPT_NO_URING flag.
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

/*
 * Must this run's pools use the fallback?  With KILN_NO_URING (the same
 * rule as kiln_pool_create), or KILN_TEST_EXPECT_FALLBACK=1: set by
 * tests/no-uring.sh, which runs the suite where the kernel refuses
 * io_uring, so that stats_io_counters checks that the pool found that out
 * by itself.
 */
static int fallback(void)
{
	const char *e = getenv("KILN_NO_URING");
	const char *x = getenv("KILN_TEST_EXPECT_FALLBACK");

	return (e && strcmp(e, "0") != 0) || (x && strcmp(x, "1") == 0);
}

/* ------------------------------------------------------------------ */
/* kiln_pool_stats: the I/O counters.                                  */

#define STAT_READS 64

struct statwork {
	int fd, p[2];
	long r[STAT_READS];
	int poll_r, sleep_r;
};

static void stats_root(void *p)
{
	struct statwork *w = p;
	char c;
	int i;

	for (i = 0; i < STAT_READS; i++)
		w->r[i] = kiln_read(w->fd, &c, 1, i);
	w->sleep_r = kiln_sleep(MS);
	if (write(w->p[1], "s", 1) == 1)
		w->poll_r = kiln_poll(w->p[0], POLLIN);
}

Test(io, stats_io_counters)
{
	struct statwork *w = calloc(1, sizeof(*w));
	struct kiln_stats s0, s;
	int i;

	cr_assert(not(eq(ptr, w, NULL)));
	make_file("s", STAT_READS, 5);
	w->fd = openat(dir, "s", O_RDONLY | O_CLOEXEC);
	cr_assert(ge(int, w->fd, 0));
	cr_assert(eq(int, pipe2(w->p, O_CLOEXEC), 0));
	kiln_pool_stats(pool, &s0);
	cr_expect(eq(u64, s0.io_submitted, 0));
	cr_expect(eq(u64, s0.io_completed, 0));
	cr_expect(eq(u64, s0.io_waiting, 0));
	run_on(pool, stats_root, w);
	for (i = 0; i < STAT_READS; i++)
		cr_expect(eq(long, w->r[i], 1L));
	cr_expect(eq(int, w->sleep_r, 0));
	cr_expect(eq(int, w->poll_r, POLLIN));
	kiln_pool_stats(pool, &s);
	/* Every call made in a task is one operation: reads, sleep, poll. */
	cr_expect(ge(u64, s.io_submitted, STAT_READS + 2));
	cr_expect(eq(u64, s.io_completed, s.io_submitted));
	cr_expect(eq(u64, s.io_waiting, 0));
	cr_expect(eq(u32, s.workers, 2));
	if (fallback()) {
		cr_expect(eq(u32, s.io_fallback, 2), "every worker should use "
		    "the helpers");
		cr_expect(eq(u64, s.io_batches, 0));
	} else {
		/* io_uring is there: no worker falls back. */
		cr_expect(eq(u32, s.io_fallback, 0));
		cr_expect(gt(u64, s.io_batches, 0));
	}
	close(w->fd);
	close(w->p[0]);
	close(w->p[1]);
	free(w);
}

/* The option flag forces the fallback whatever the environment says. */
static void flag_root(void *p)
{
	long *r = p;
	int sv[2];
	char c = 0;

	r[0] = kiln_sleep(5 * MS);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	r[1] = kiln_send(sv[0], "f", 1, 0);
	r[2] = kiln_recv(sv[1], &c, 1, 0);
	r[3] = c;
	kiln_timeout(TMO_NS);
	r[4] = kiln_recv(sv[1], &c, 1, 0);
	close(sv[0]);
	close(sv[1]);
}

Test(io, no_uring_option_flag)
{
	struct kiln_options o = { .workers = 3, .flags = KILN_OPT_NO_URING };
	kiln_pool *p = make_pool_with(&o);
	long r[5] = { 1, 0, 0, 0, 0 };
	struct kiln_stats s;

	run_on(p, flag_root, r);
	cr_expect(eq(long, r[0], 0L));
	cr_expect(eq(long, r[1], 1L));
	cr_expect(eq(long, r[2], 1L));
	cr_expect(eq(long, r[3], (long)'f'));
	cr_expect(eq(long, r[4], (long)-ETIME));
	kiln_pool_stats(p, &s);
	cr_expect(eq(u32, s.io_fallback, 3));
	cr_expect(eq(u64, s.io_batches, 0));
	cr_expect(eq(u64, s.io_completed, s.io_submitted));
	cr_expect(ge(u64, s.io_submitted, 4));
	kiln_pool_destroy(p);
}
