/*
 * The I/O suite's setup and the helpers its files share (see io-suite.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

kiln_pool *pool;
int dir = -1;
char dirpath[64];

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

double secs(uint64_t ns)
{
	return (double)ns * 1e-9;
}

void make_file(const char *name, size_t n, uint64_t seed)
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

int listen_loopback(int backlog, struct sockaddr_in *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t alen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(ge(int, fd, 0));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	cr_assert(eq(int, listen(fd, backlog), 0));
	cr_assert(eq(int, getsockname(fd, (struct sockaddr *)&sa, &alen), 0));
	if (a)
		*a = sa;
	return fd;
}

int closed_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 900);

	cr_assert(ge(int, fd, 0));
	close(fd);
	return fd;
}

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

void start_bounded(kiln_pool *p, struct bounded *b, void (*fn)(void *),
    void *arg)
{
	b->fn = fn;
	b->arg = arg;
	atomic_init(&b->done, 0);
	atomic_init(&b->go_failed, 0);
	run_on(p, bounded_root, b);
	cr_assert(eq(int, ld(&b->go_failed), 0));
}

int wait_bounded_until(struct bounded *b, uint64_t end)
{
	while (!atomic_load_explicit(&b->done, memory_order_acquire)) {
		if (now_ns() > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

int wait_bounded(struct bounded *b, double limit)
{
	return wait_bounded_until(b, now_ns() + (uint64_t)(limit * 1e9));
}

static void *destroy_thread(void *p)
{
	kiln_pool_destroy(p);
	return NULL;
}

int destroy_within(kiln_pool *p, double limit)
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

int full_listener_open(struct full_listener *f)
{
	f->lfd = listen_loopback(0, &f->a);
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
			return 1;
	}
	full_listener_close(f);
	return 0;
}

void full_listener_close(struct full_listener *f)
{
	int i;

	for (i = 0; i < f->nfill; i++)
		close(f->fill[i]);
	close(f->lfd);
}
