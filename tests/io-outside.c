/*
 * Outside any pool (no pool is involved, though the suite's exists): each
 * I/O call is the plain system call, with the same return convention, and
 * leaves errno alone; kiln_timeout is -EPERM outside a task.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-suite.h"

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
	struct sockaddr_in a;
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
	lfd = listen_loopback(4, &a);
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
