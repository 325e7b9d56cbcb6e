/*
 * The I/O suite (tests/io): the I/O calls through <kiln.h> only, kiln_read
 * ... kiln_sleep, kiln_timeout, and the I/O side of kiln_pool_destroy and
 * kiln_pool_stats.  One Criterion suite, "io", in one program, its tests
 * in files by topic:
 *
 *	io-suite.c      the suite's setup and the helpers declared below
 *	io-outside.c    the calls outside any pool: the plain system calls
 *	io-files.c      reads, writes, fsync, openat, the file position
 *	io-errors.c     error codes, EOF, negative descriptors
 *	io-sockets.c    TCP echo, kiln_poll of a pipe, idle connections
 *	io-connect.c    a connect that waits: its timeout, its cancellation
 *	io-sleeps.c     kiln_sleep; waits that let the worker go on
 *	io-timeouts.c   kiln_timeout
 *	io-stats.c      kiln_pool_stats' I/O counters, KILN_OPT_NO_URING
 *	io-destroy.c    kiln_pool_destroy with calls in flight
 *	io-deadlines.c  durations too long for a deadline: they saturate
 *	io-net.c        vectored and message calls, UDP, kiln_getaddrinfo
 *	io-edges.c      edges every path must treat alike
 *
 * make check runs this program on every I/O path: as tests/io (each worker
 * on its io_uring), through tests/io-fallback.sh with KILN_NO_URING=1
 * (helper threads make the system calls, kiln_sleep uses per-worker
 * timers), and with io_uring refused by the kernel (tests/no-uring.sh).
 * The same tests must pass on every path; only the statistics that name
 * the path (io_fallback, io_batches) differ, see io-stats.c.
 *
 * Assertions run on the test's own thread: code running in tasks records
 * what it saw, and the test checks it after kiln_run returns (or, for
 * detached tasks, after their done flag is set).
 *
 * Time.  No test asserts that anything is fast.  A few behaviours are
 * about time by nature (thousands of sleeps overlap; a task that waits lets
 * the worker run others; a timeout fires, and not before its time; destroy
 * does not wait for a one-hour sleep): each is asserted with a bound that
 * only a broken behaviour can miss, explained next to it.  The machine may
 * be a noisy two-core VM running other tests beside this one.
 *
 * Hangs.  Where the failure looked for is a call (or kiln_pool_destroy)
 * that never returns, the call runs in a detached task, or destroy on a
 * thread of its own, and the test waits for it with a limit far above
 * what working code takes: the failure is then reported by name, not as
 * the suite's timeout.
 *
 * One test pauses a worker at a chosen point by replacing clock_gettime
 * (see io-destroy.c); for every other caller the replacement is the plain
 * system call.
 */
#ifndef KILN_TESTS_IO_SUITE_H
#define KILN_TESTS_IO_SUITE_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <kiln.h>

#include "common.h"

#define MS 1000000ull          /* nanoseconds */
#define TMO_NS (50 * MS)       /* the timeout the tests set */

extern kiln_pool *pool;        /* two workers, made by the suite's setup */
extern int dir;                /* a fresh directory for the test's files */
extern char dirpath[64];       /* its name */

double secs(uint64_t ns);

/* A file of n pattern bytes (fill's stream seed) in dir, written plainly. */
void make_file(const char *name, size_t n, uint64_t seed);

/*
 * A TCP socket listening with that backlog on a port of the loopback
 * address that the kernel chose; its address in *a unless a is NULL.
 */
int listen_loopback(int backlog, struct sockaddr_in *a);

/*
 * A loopback listener whose accept queue is full: Linux drops the SYNs of
 * further connections, so a connect to it waits (the SYN is resent for
 * about two minutes).  full_listener_open fills the queue with
 * non-blocking connects until one of them stays pending for 200 ms; it
 * returns 0 if that never happens (the caller skips).
 */
struct full_listener {
	int lfd, nfill, fill[8];
	struct sockaddr_in a;
};

int full_listener_open(struct full_listener *f);
void full_listener_close(struct full_listener *f);

/* A descriptor number that is not open, and high enough that nothing
 * the test opens next is given it. */
int closed_fd(void);

/*
 * Running something that may hang (when the behaviour under test is
 * broken): start_bounded runs fn(arg) as a detached task on p, and the
 * test waits at most a limit for it with wait_bounded, so that the failure
 * is reported as such, not as a suite timeout.  A task that did not finish
 * is cancelled by destroying its pool (kiln_pool_destroy makes its call
 * return -ECANCELED).
 */
struct bounded {
	void (*fn)(void *);
	void *arg;
	atomic_int done, go_failed;
};

void start_bounded(kiln_pool *p, struct bounded *b, void (*fn)(void *),
    void *arg);
/* 1 if b finished within limit seconds of now. */
int wait_bounded(struct bounded *b, double limit);
/* 1 if b finished before the CLOCK_MONOTONIC time end (ns). */
int wait_bounded_until(struct bounded *b, uint64_t end);

/*
 * kiln_pool_destroy(p) on a thread of its own; 1 if it returned within
 * limit seconds.  If it did not, the thread is left waiting, and the
 * caller must keep alive whatever the pool's tasks use (the process ends
 * with the test).
 */
int destroy_within(kiln_pool *p, double limit);

#endif /* KILN_TESTS_IO_SUITE_H */
