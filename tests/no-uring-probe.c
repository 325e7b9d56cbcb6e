/*
 * no-uring-probe: is io_uring refused here, and do kiln's pools notice by
 * themselves?  tests/no-uring.sh runs it in the conditions it then runs
 * the suites in, so that they cannot pass for a wrong reason (a filter
 * that did not take, a pool that did not fall back).
 *
 *	no-uring-probe seccomp ERRNO
 *		io_uring_setup, io_uring_enter and io_uring_register fail
 *		with ERRNO, a name (tests/no-uring-exec's filter)
 *	no-uring-probe sysctl
 *		io_uring_setup fails with EPERM (kernel.io_uring_disabled=2)
 *
 * Then a pool of two workers, made without KILN_NO_URING in the
 * environment or KILN_OPT_NO_URING, must report both workers on the
 * fallback (kiln_pool_stats' io_fallback), and do its I/O there.
 * Exit status: 0 all of it holds, 1 it does not, 99 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <kiln.h>

#define WORKERS 2

static int failures;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "no-uring-probe: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

/* r and errno from a raw system call that must fail with errno want. */
static void expect_refused(const char *call, long r, int err,
    const char *want)
{
	const char *got = strerrorname_np(err);

	if (r >= 0) {
		fail("%s succeeded: io_uring is not refused", call);
	} else if (!got || strcmp(got, want) != 0) {
		fail("%s failed with %s, not %s", call, got ? got : "?", want);
	} else {
		printf("no-uring-probe: %s fails with %s\n", call, got);
	}
}

static void check_calls(int all, const char *want)
{
	struct io_uring_params p;
	long r;

	memset(&p, 0, sizeof(p));
	r = syscall(__NR_io_uring_setup, 4, &p);
	expect_refused("io_uring_setup", r, errno, want);
	if (r >= 0)
		close((int)r);
	if (!all)
		return;
	/* Unfiltered, these fail otherwise (EBADF, EINVAL): no ring -1. */
	r = syscall(__NR_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	expect_refused("io_uring_enter", r, errno, want);
	r = syscall(__NR_io_uring_register, -1, 0, NULL, 0);
	expect_refused("io_uring_register", r, errno, want);
}

struct io {
	int p[2];
	long sleep_r, write_r, read_r;
	char c;
};

static void io_root(void *arg)
{
	struct io *io = arg;

	io->sleep_r = kiln_sleep(1000000);
	io->write_r = kiln_write(io->p[1], "k", 1, -1);
	io->read_r = kiln_read(io->p[0], &io->c, 1, -1);
}

static void check_pool(void)
{
	struct kiln_options o = { .workers = WORKERS };
	struct io io = { .sleep_r = 1 };
	struct kiln_stats st;
	kiln_pool *pool;
	int r;

	r = kiln_pool_create(&pool, &o);
	if (r < 0) {
		fail("kiln_pool_create: %s", strerror(-r));
		return;
	}
	if (pipe(io.p) != 0) {
		fail("pipe: %s", strerror(errno));
	} else if ((r = kiln_run(pool, io_root, &io)) < 0) {
		fail("kiln_run: %s", strerror(-r));
	} else if (io.sleep_r != 0 || io.write_r != 1 || io.read_r != 1 ||
	    io.c != 'k') {
		fail("I/O on the fallback: sleep %ld, write %ld, read %ld",
		    io.sleep_r, io.write_r, io.read_r);
	}
	kiln_pool_stats(pool, &st);
	if (st.io_fallback != WORKERS)
		fail("%u of %u workers on the fallback", st.io_fallback,
		    WORKERS);
	else
		printf("no-uring-probe: a pool of %u workers took the "
		    "fallback by itself (%llu operations)\n", WORKERS,
		    (unsigned long long)st.io_completed);
	kiln_pool_destroy(pool);
	close(io.p[0]);
	close(io.p[1]);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "seccomp") == 0) {
		check_calls(1, argv[2]);
	} else if (argc == 2 && strcmp(argv[1], "sysctl") == 0) {
		check_calls(0, "EPERM");
	} else {
		fprintf(stderr, "usage: no-uring-probe seccomp ERRNO | "
		    "no-uring-probe sysctl\n");
		return 99;
	}
	if (getenv("KILN_NO_URING")) {
		fprintf(stderr, "no-uring-probe: KILN_NO_URING is set: a pool "
		    "would not try io_uring\n");
		return 99;
	}
	check_pool();
	return failures ? 1 : 0;
}
