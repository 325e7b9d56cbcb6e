/*
 * The I/O calls through <kiln.h> only: kiln_read ... kiln_sleep,
 * kiln_timeout, and the I/O side of kiln_pool_destroy and kiln_pool_stats.
 *
 * make check runs this suite twice: as tests/io (each worker on its
 * io_uring) and through tests/io-fallback.sh with KILN_NO_URING=1 (helper
 * threads make the system calls, kiln_sleep uses per-worker timers).  The
 * same tests must pass on both paths; only the statistics that name the
 * path (io_fallback, io_batches) differ, see fallback().
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
 * (see "Destroy while the last awake worker is about to sleep" below);
 * for every other caller the replacement is the plain system call.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <kiln.h>

#include "common.h"

#define MS 1000000ull  /* nanoseconds */

static kiln_pool *pool;      /* two workers, made by setup() */
static int dir = -1;         /* a fresh directory for the test's files */
static char dirpath[64];

/* Does this run use the fallback?  The same rule as kiln_pool_create. */
static int fallback(void)
{
	const char *e = getenv("KILN_NO_URING");

	return e && strcmp(e, "0") != 0;
}

static double secs(uint64_t ns)
{
	return (double)ns * 1e-9;
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dirpath, sizeof(dirpath), "%s/kiln-io.XXXXXX",
	    tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	cr_assert(not(eq(ptr, mkdtemp(dirpath), NULL)), "mkdtemp: %s",
	    strerror(errno));
	dir = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(ge(int, dir, 0));
	pool = make_pool(2);
}

static void teardown(void)
{
	DIR *d;
	struct dirent *e;

	kiln_pool_destroy(pool);
	pool = NULL;
	d = opendir(dirpath);
	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dir, e->d_name, 0);
		closedir(d);
	}
	rmdir(dirpath);
	close(dir);
}

TestSuite(io, .init = setup, .fini = teardown, .timeout = 60);

/* A file of n pattern bytes in the test directory, written plainly. */
static void make_file(const char *name, size_t n, uint64_t seed)
{
	uint8_t *b = malloc(n);
	int fd = openat(dir, name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC,
	    0600);

	cr_assert(not(eq(ptr, b, NULL)));
	cr_assert(ge(int, fd, 0));
	fill(b, n, seed, 0);
	cr_assert(eq(long, (long)pwrite(fd, b, n, 0), (long)n));
	close(fd);
	free(b);
}

/* A descriptor number that is not open, and high enough that nothing
 * the test opens next is given it. */
static int closed_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 900);

	cr_assert(ge(int, fd, 0));
	close(fd);
	return fd;
}

/*
 * Running something that may hang (when the behaviour under test is
 * broken): fn(arg) runs as a detached task and the test waits at most
 * limit seconds for it, so that the failure is reported as such, not as a
 * suite timeout.  A task that did not finish is cancelled by destroying its
 * pool (kiln_pool_destroy makes its call return -ECANCELED).
 */
struct bounded {
	void (*fn)(void *);
	void *arg;
	atomic_int done, go_failed;
};

static void bounded_task(void *p)
{
	struct bounded *b = p;

	b->fn(b->arg);
	atomic_store_explicit(&b->done, 1, memory_order_release);
}

static void bounded_root(void *p)
{
	struct bounded *b = p;

	if (kiln_go(bounded_task, b) != 0)
		atomic_store(&b->go_failed, 1);
}

/* Start b; then wait_bounded. */
static void start_bounded(kiln_pool *p, struct bounded *b,
    void (*fn)(void *), void *arg)
{
	b->fn = fn;
	b->arg = arg;
	atomic_init(&b->done, 0);
	atomic_init(&b->go_failed, 0);
	run_on(p, bounded_root, b);
	cr_assert(eq(int, ld(&b->go_failed), 0));
}

/*
 * kiln_pool_destroy(p) on a thread of its own; 1 if it returned within
 * limit seconds.  If it did not, the thread is left waiting, and the
 * caller must keep alive whatever the pool's tasks use (the process ends
 * with the test).
 */
static void *destroy_thread(void *p)
{
	kiln_pool_destroy(p);
	return NULL;
}

static int destroy_within(kiln_pool *p, double limit)
{
	uint64_t end = now_ns() + (uint64_t)(limit * 1e9);
	pthread_t th;

	cr_assert(eq(int, pthread_create(&th, NULL, destroy_thread, p), 0));
	while (pthread_tryjoin_np(th, NULL) != 0) {
		if (now_ns() > end) {
			pthread_detach(th);
			return 0;
		}
		usleep(1000);
	}
	return 1;
}

/* 1 if b finished before the CLOCK_MONOTONIC time end (ns). */
static int wait_bounded_until(struct bounded *b, uint64_t end)
{
	while (!atomic_load_explicit(&b->done, memory_order_acquire)) {
		if (now_ns() > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* 1 if b finished within limit seconds of now. */
static int wait_bounded(struct bounded *b, double limit)
{
	return wait_bounded_until(b, now_ns() + (uint64_t)(limit * 1e9));
}

/* ------------------------------------------------------------------ */
/* Outside any pool: the plain system calls, same return convention.   */

/*
 * Make a kiln call with errno set to a marker, and note the first call
 * that changed it: kiln reports errors in its return value only.
 */
static const char *errno_changed_by;

#define KEEP_ERRNO(call) __extension__ ({				\
	long keep_r_;							\
	errno = EDOM;							\
	keep_r_ = (long)(call);						\
	if (errno != EDOM && !errno_changed_by)				\
		errno_changed_by = #call;				\
	keep_r_;							\
})

Test(io, outside_pool_plain_syscalls)
{
	char buf[32];
	int fd, p[2], sv[2], lfd, cfd, afd, bad = closed_fd();
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	uint64_t t0;

	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0));
	umask(022);

	fd = (int)KEEP_ERRNO(kiln_openat(dir, "plain", O_CREAT | O_EXCL |
	    O_RDWR | O_CLOEXEC, 0640));
	cr_assert(ge(int, fd, 0));
	cr_expect(eq(long, KEEP_ERRNO(kiln_openat(dir, "plain", O_CREAT |
	    O_EXCL | O_RDWR, 0640)), (long)-EEXIST));
	cr_expect(eq(long, KEEP_ERRNO(kiln_write(fd, "abc", 3, -1)), 3L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_write(fd, "def", 3, -1)), 3L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_write(fd, "XY", 2, 10)), 2L));
	cr_expect(eq(long, (long)lseek(fd, 0, SEEK_CUR), 6L),
	    "a write at an offset moved the file position");
	cr_expect(eq(long, KEEP_ERRNO(kiln_fsync(fd)), 0L));
	memset(buf, '.', sizeof(buf));
	cr_expect(eq(long, KEEP_ERRNO(kiln_read(fd, buf, sizeof(buf), 0)),
	    12L));
	cr_expect(eq(int, memcmp(buf, "abcdef\0\0\0\0XY", 12), 0));
	cr_expect(eq(long, KEEP_ERRNO(kiln_read(fd, buf, sizeof(buf), 12)),
	    0L), "EOF is 0");
	cr_expect(eq(long, (long)lseek(fd, 2, SEEK_SET), 2L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_read(fd, buf, 3, -1)), 3L));
	cr_expect(eq(int, memcmp(buf, "cde", 3), 0));
	cr_expect(eq(long, (long)lseek(fd, 0, SEEK_CUR), 5L));
	{
		struct stat st;

		cr_expect(eq(int, fstat(fd, &st), 0));
		cr_expect(eq(uint, (unsigned int)(st.st_mode & 07777), 0640u));
	}

	cr_expect(eq(long, KEEP_ERRNO(kiln_read(-1, buf, 1, 0)),
	    (long)-EBADF));
	cr_expect(eq(long, KEEP_ERRNO(kiln_write(bad, buf, 1, 0)),
	    (long)-EBADF));
	cr_expect(eq(long, KEEP_ERRNO(kiln_fsync(bad)), (long)-EBADF));
	cr_expect(eq(long, KEEP_ERRNO(kiln_openat(dir, "no/such/file",
	    O_RDONLY, 0)), (long)-ENOENT));
	cr_expect(eq(long, KEEP_ERRNO(kiln_recv(fd, buf, 1, 0)),
	    (long)-ENOTSOCK));

	cr_expect(eq(long, KEEP_ERRNO(kiln_poll(p[1], POLLOUT)),
	    (long)POLLOUT));
	cr_expect(eq(long, KEEP_ERRNO(kiln_write(p[1], "z", 1, -1)), 1L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_poll(p[0], POLLIN)), (long)POLLIN));
	cr_expect(eq(long, KEEP_ERRNO(kiln_read(p[0], buf, sizeof(buf), -1)),
	    1L));

	cr_expect(eq(long, KEEP_ERRNO(kiln_send(sv[0], "ping", 4, 0)), 4L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_recv(sv[1], buf, sizeof(buf), 0)),
	    4L));
	cr_expect(eq(int, memcmp(buf, "ping", 4), 0));

	/* TCP on loopback: the connection waits in the backlog. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, lfd, 0));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0));
	cr_assert(eq(int, listen(lfd, 4), 0));
	cr_assert(eq(int, getsockname(lfd, (struct sockaddr *)&a, &alen), 0));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_expect(eq(long, KEEP_ERRNO(kiln_connect(cfd, (struct sockaddr *)&a,
	    sizeof(a))), 0L));
	afd = (int)KEEP_ERRNO(kiln_accept(lfd, NULL, NULL, SOCK_CLOEXEC));
	cr_expect(ge(int, afd, 0));
	cr_expect(eq(long, KEEP_ERRNO(kiln_accept(cfd, NULL, NULL, 0)),
	    (long)-EINVAL), "accept on a socket that does not listen");

	t0 = now_ns();
	cr_expect(eq(long, KEEP_ERRNO(kiln_sleep(20 * MS)), 0L));
	cr_expect(ge(u64, now_ns() - t0, 20 * MS), "kiln_sleep returned early");
	cr_expect(eq(long, KEEP_ERRNO(kiln_sleep(0)), 0L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_timeout(MS)), (long)-EPERM));

	cr_expect(eq(long, KEEP_ERRNO(kiln_close(fd)), 0L));
	cr_expect(eq(long, KEEP_ERRNO(kiln_close(fd)), (long)-EBADF));
	cr_expect(eq(ptr, (void *)errno_changed_by, NULL), "errno changed by "
	    "%s", errno_changed_by);
	close(afd);
	close(cfd);
	close(lfd);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* kiln_timeout is for tasks: -EPERM on any other thread, pool or not. */
Test(io, timeout_outside_task_is_eperm)
{
	cr_expect(eq(int, kiln_timeout(10 * MS), -EPERM));
	cr_expect(eq(int, kiln_timeout(0), -EPERM));
}

/* ------------------------------------------------------------------ */
/* Many concurrent reads at different offsets of one file.             */

#define RFILE (1024 * 1024 + 4093)
#define NREAD 512
#define MAXREAD (64 * 1024)
#define RSEED 11

struct rd {
	kiln_task t;
	int fd;
	off_t off;
	size_t len;
	ssize_t r;
	size_t good;    /* bytes that matched before the first that did not */
	uint8_t *buf;
};

static void reader(void *p)
{
	struct rd *r = p;

	r->r = kiln_read(r->fd, r->buf, r->len, r->off);
	r->good = r->r > 0 ? mismatch(r->buf, (size_t)r->r, RSEED,
	    (uint64_t)r->off) : 0;
}

struct reads {
	struct rd *rd;
	unsigned int n;
};

static void reads_root(void *p)
{
	struct reads *s = p;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		kiln_spawn(&s->rd[i].t, reader, &s->rd[i]);
	/* Oldest first: out of order, so the scheduler's slow paths run. */
	for (i = 0; i < s->n; i++)
		kiln_sync(&s->rd[i].t);
}

Test(io, concurrent_reads_content_checked)
{
	struct reads s = { calloc(NREAD, sizeof(struct rd)), NREAD };
	uint64_t rng = 0x1234567;
	unsigned int i, bad = 0;
	int fd;

	cr_assert(not(eq(ptr, s.rd, NULL)));
	make_file("r", RFILE, RSEED);
	fd = openat(dir, "r", O_RDONLY | O_CLOEXEC);
	cr_assert(ge(int, fd, 0));
	for (i = 0; i < NREAD; i++) {
		struct rd *r = &s.rd[i];

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r->fd = fd;
		/* Some reads cross the end of the file, some start past it. */
		r->off = (off_t)(rng % (RFILE + MAXREAD / 2));
		r->len = 1 + (size_t)((rng >> 32) % MAXREAD);
		r->buf = malloc(r->len);
		cr_assert(not(eq(ptr, r->buf, NULL)));
	}
	run_on(pool, reads_root, &s);
	for (i = 0; i < NREAD; i++) {
		struct rd *r = &s.rd[i];
		long want = r->off >= RFILE ? 0 : (long)(RFILE - r->off);

		if (want > (long)r->len)
			want = (long)r->len;
		cr_expect(eq(long, (long)r->r, want),
		    "read %u: %zu bytes at %ld", i, r->len, (long)r->off);
		if (r->r > 0 && r->good != (size_t)r->r && bad++ < 5)
			cr_expect(eq(sz, r->good, (size_t)r->r),
			    "read %u: wrong byte at offset %ld", i,
			    (long)r->off + (long)r->good);
		free(r->buf);
	}
	cr_expect(eq(uint, bad, 0u), "%u reads returned wrong content", bad);
	close(fd);
	free(s.rd);
}

/* ------------------------------------------------------------------ */
/* Write to distinct regions, fsync, close, reopen, read back.         */

#define NWR 64
#define REGION (16 * 1024 + 7)
#define WSEED 23

struct wr {
	kiln_task t;
	int fd;
	unsigned int i;
	ssize_t w, r;
	size_t good;
	uint8_t *buf;
};

static void region_writer(void *p)
{
	struct wr *w = p;
	off_t off = (off_t)w->i * REGION;

	fill(w->buf, REGION, WSEED, (uint64_t)off);
	w->w = kiln_write(w->fd, w->buf, REGION, off);
}

static void region_reader(void *p)
{
	struct wr *w = p;
	off_t off = (off_t)w->i * REGION;

	memset(w->buf, 0, REGION);
	w->r = kiln_read(w->fd, w->buf, REGION, off);
	w->good = w->r > 0 ? mismatch(w->buf, (size_t)w->r, WSEED,
	    (uint64_t)off) : 0;
}

struct wfr {
	struct wr w[NWR];
	int fd, fd2, fsync_ret, close_ret, close2_ret;
	ssize_t eof;
	off_t size;
};

static void wfr_root(void *p)
{
	struct wfr *s = p;
	struct stat st;
	char c;
	int i;

	s->fd = kiln_openat(dir, "w", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
	    0600);
	if (s->fd < 0)
		return;
	for (i = 0; i < NWR; i++) {
		s->w[i].fd = s->fd;
		kiln_spawn(&s->w[i].t, region_writer, &s->w[i]);
	}
	for (i = NWR - 1; i >= 0; i--)
		kiln_sync(&s->w[i].t);
	s->fsync_ret = kiln_fsync(s->fd);
	s->close_ret = kiln_close(s->fd);
	s->fd2 = kiln_openat(dir, "w", O_RDONLY | O_CLOEXEC, 0);
	if (s->fd2 < 0)
		return;
	for (i = 0; i < NWR; i++) {
		s->w[i].fd = s->fd2;
		kiln_spawn(&s->w[i].t, region_reader, &s->w[i]);
	}
	for (i = NWR - 1; i >= 0; i--)
		kiln_sync(&s->w[i].t);
	s->eof = kiln_read(s->fd2, &c, 1, (off_t)NWR * REGION);
	s->size = fstat(s->fd2, &st) == 0 ? st.st_size : -1;
	s->close2_ret = kiln_close(s->fd2);
}

Test(io, write_fsync_read_back)
{
	struct wfr *s = calloc(1, sizeof(*s));
	int i;

	cr_assert(not(eq(ptr, s, NULL)));
	for (i = 0; i < NWR; i++) {
		s->w[i].i = (unsigned int)i;
		s->w[i].buf = malloc(REGION);
		cr_assert(not(eq(ptr, s->w[i].buf, NULL)));
	}
	s->fd2 = -1;
	run_on(pool, wfr_root, s);
	cr_assert(ge(int, s->fd, 0), "kiln_openat O_CREAT: %d", s->fd);
	cr_expect(eq(int, s->fsync_ret, 0));
	cr_expect(eq(int, s->close_ret, 0));
	cr_assert(ge(int, s->fd2, 0), "kiln_openat O_RDONLY: %d", s->fd2);
	for (i = 0; i < NWR; i++) {
		cr_expect(eq(long, (long)s->w[i].w, (long)REGION),
		    "write %d", i);
		cr_expect(eq(long, (long)s->w[i].r, (long)REGION),
		    "read back %d", i);
		cr_expect(eq(sz, s->w[i].good, (size_t)REGION),
		    "region %d: wrong byte at %zu", i, s->w[i].good);
		free(s->w[i].buf);
	}
	cr_expect(eq(long, (long)s->eof, 0L), "a read at EOF returns 0");
	cr_expect(eq(long, (long)s->size, (long)NWR * REGION));
	cr_expect(eq(int, s->close2_ret, 0));
	free(s);
}

/* ------------------------------------------------------------------ */
/* kiln_openat with O_CREAT and a mode; kiln_close.                    */

struct opens {
	int fd, excl, fd2, rel, close_ret, close_again, still_open;
	mode_t mode, mode2;
	char abs[128];
};

static void opens_root(void *p)
{
	struct opens *o = p;
	struct stat st;

	o->fd = kiln_openat(dir, "m", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    0640);
	o->excl = kiln_openat(dir, "m", O_CREAT | O_EXCL | O_WRONLY |
	    O_CLOEXEC, 0640);
	if (o->fd >= 0 && fstat(o->fd, &st) == 0)
		o->mode = st.st_mode & 07777;
	/* Absolute path, dirfd ignored; the umask applies to the mode. */
	o->fd2 = kiln_openat(AT_FDCWD, o->abs, O_CREAT | O_RDWR | O_CLOEXEC,
	    0666);
	if (o->fd2 >= 0 && fstat(o->fd2, &st) == 0)
		o->mode2 = st.st_mode & 07777;
	/* Relative to the current directory. */
	o->rel = kiln_openat(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC, 0);
	if (o->fd >= 0) {
		o->close_ret = kiln_close(o->fd);
		o->still_open = fcntl(o->fd, F_GETFD) != -1;
		o->close_again = kiln_close(o->fd);
	}
	if (o->fd2 >= 0)
		kiln_close(o->fd2);
	if (o->rel >= 0)
		kiln_close(o->rel);
}

Test(io, openat_create_mode_and_close)
{
	struct opens o;

	memset(&o, 0, sizeof(o));
	snprintf(o.abs, sizeof(o.abs), "%s/m2", dirpath);
	umask(022);
	run_on(pool, opens_root, &o);
	cr_assert(ge(int, o.fd, 0), "kiln_openat: %d", o.fd);
	cr_expect(eq(int, o.excl, -EEXIST));
	cr_expect(eq(uint, (unsigned int)o.mode, 0640u));
	cr_expect(ge(int, o.fd2, 0));
	cr_expect(eq(uint, (unsigned int)o.mode2, 0644u), "umask not applied");
	cr_expect(ge(int, o.rel, 0));
	cr_expect(eq(int, o.close_ret, 0));
	cr_expect(eq(int, o.still_open, 0), "kiln_close left the fd open");
	cr_expect(eq(int, o.close_again, -EBADF));
}

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

/* ------------------------------------------------------------------ */
/* off = -1 in kiln_read and kiln_write: the file position.            */

struct posio {
	int fd;
	ssize_t r1, r2, w1, r3, pr;
	off_t pos1, pos2, pos3;
	char b1[4], b2[4], b3[8], b4[8];
};

static void posio_root(void *p)
{
	struct posio *s = p;

	/* The file holds "0123456789"; its position is 2. */
	s->r1 = kiln_read(s->fd, s->b1, 3, -1);
	s->r2 = kiln_read(s->fd, s->b2, 3, -1);
	s->pos1 = lseek(s->fd, 0, SEEK_CUR);
	/* A read at an offset leaves the position alone. */
	s->pr = kiln_read(s->fd, s->b4, 2, 0);
	s->pos2 = lseek(s->fd, 0, SEEK_CUR);
	s->w1 = kiln_write(s->fd, "ab", 2, -1);
	s->pos3 = lseek(s->fd, 0, SEEK_CUR);
	s->r3 = kiln_read(s->fd, s->b3, sizeof(s->b3), 0);
}

Test(io, offset_minus_one_uses_file_position)
{
	struct posio s;

	memset(&s, 0, sizeof(s));
	s.fd = openat(dir, "pos", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	cr_assert(ge(int, s.fd, 0));
	cr_assert(eq(long, (long)write(s.fd, "0123456789", 10), 10L));
	cr_assert(eq(long, (long)lseek(s.fd, 2, SEEK_SET), 2L));
	run_on(pool, posio_root, &s);
	cr_expect(eq(long, (long)s.r1, 3L));
	cr_expect(eq(int, memcmp(s.b1, "234", 3), 0), "first read: %.3s",
	    s.b1);
	cr_expect(eq(long, (long)s.r2, 3L));
	cr_expect(eq(int, memcmp(s.b2, "567", 3), 0), "second read: %.3s",
	    s.b2);
	cr_expect(eq(long, (long)s.pos1, 8L));
	cr_expect(eq(long, (long)s.pr, 2L));
	cr_expect(eq(long, (long)s.pos2, 8L), "a read at offset 0 moved it");
	cr_expect(eq(long, (long)s.w1, 2L));
	cr_expect(eq(long, (long)s.pos3, 10L));
	cr_expect(eq(long, (long)s.r3, 8L));
	cr_expect(eq(int, memcmp(s.b3, "01234567", 8), 0));
	{
		char all[10];

		cr_expect(eq(long, (long)pread(s.fd, all, 10, 0), 10L));
		cr_expect(eq(int, memcmp(all, "01234567ab", 10), 0),
		    "file: %.10s", all);
	}
	close(s.fd);
}

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
	socklen_t alen = sizeof(t->addr);

	cr_assert(not(eq(ptr, t, NULL)));
	t->out = malloc(TCP_BYTES);
	t->srv_buf = malloc(TCP_CHUNK);
	t->back = malloc(TCP_BYTES + 1);
	cr_assert(t->out && t->srv_buf && t->back);
	fill(t->out, TCP_BYTES, TCP_SEED, 0);
	t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, t->lfd, 0));
	t->addr.sin_family = AF_INET;
	t->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(t->lfd, (struct sockaddr *)&t->addr,
	    sizeof(t->addr)), 0));
	cr_assert(eq(int, listen(t->lfd, 8), 0));
	cr_assert(eq(int, getsockname(t->lfd, (struct sockaddr *)&t->addr,
	    &alen), 0));
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

/* ------------------------------------------------------------------ */
/* kiln_timeout.                                                       */

#define TMO_NS (50 * MS)

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
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct tmo s;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s.sv), 0));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(s.lfd, (struct sockaddr *)&a, sizeof(a)), 0));
	cr_assert(eq(int, listen(s.lfd, 4), 0));
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
		cr_expect(eq(u32, s.io_fallback, 2), "KILN_NO_URING=1: every "
		    "worker uses the helpers");
		cr_expect(eq(u64, s.io_batches, 0));
	} else {
		/* This machine has io_uring: no worker falls back. */
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
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct kiln_stats st;
	struct waits s;
	uint64_t t0, took, end;
	int i;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    s.sv), 0));
	cr_assert(eq(int, pipe2(s.p, O_CLOEXEC), 0));
	s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(s.lfd, (struct sockaddr *)&a, sizeof(a)), 0));
	cr_assert(eq(int, listen(s.lfd, 4), 0));
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
/* A connect that waits: the listener's backlog is full.               */

/*
 * A loopback listener whose accept queue is full: Linux drops the SYNs of
 * further connections, so a connect to it waits (the SYN is resent for
 * about two minutes).  Fills the queue with non-blocking connects until
 * one of them stays pending for 200 ms; 0 if that never happens.
 */
struct full {
	int lfd, nfill, fill[8], cfd;
	struct sockaddr_in a;
	long r;
	uint64_t took;
	struct bounded b;
};

static int full_backlog(struct full *f)
{
	socklen_t alen = sizeof(f->a);

	memset(&f->a, 0, sizeof(f->a));
	f->a.sin_family = AF_INET;
	f->a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, f->lfd, 0));
	cr_assert(eq(int, bind(f->lfd, (struct sockaddr *)&f->a,
	    sizeof(f->a)), 0));
	cr_assert(eq(int, listen(f->lfd, 0), 0));
	cr_assert(eq(int, getsockname(f->lfd, (struct sockaddr *)&f->a,
	    &alen), 0));
	for (f->nfill = 0; f->nfill < 8;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		struct pollfd pf = { .fd = fd, .events = POLLOUT };

		cr_assert(ge(int, fd, 0));
		f->fill[f->nfill++] = fd;
		if (connect(fd, (struct sockaddr *)&f->a, sizeof(f->a)) == 0)
			continue;
		cr_assert(eq(int, errno, EINPROGRESS));
		if (poll(&pf, 1, 200) == 0)
			break;
	}
	f->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(ge(int, f->cfd, 0));
	f->r = 1;
	return f->nfill < 8;
}

static void full_close(struct full *f)
{
	int i;

	for (i = 0; i < f->nfill; i++)
		close(f->fill[i]);
	close(f->cfd);
	close(f->lfd);
}

static void timed_connect(void *p)
{
	struct full *f = p;
	uint64_t t0 = now_ns();

	kiln_timeout(TMO_NS);
	f->r = kiln_connect(f->cfd, (struct sockaddr *)&f->a, sizeof(f->a));
	f->took = now_ns() - t0;
}

static void plain_connect(void *p)
{
	struct full *f = p;

	f->r = kiln_connect(f->cfd, (struct sockaddr *)&f->a, sizeof(f->a));
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
