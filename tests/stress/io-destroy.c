/*
 * io-destroy: pools destroyed while I/O is in flight, in a loop.  Each
 * iteration makes a pool (io_uring or the fallback, one or two workers)
 * and starts detached tasks that each make one call: long sleeps, recvs
 * on socketpairs and reads and polls of pipes that never get data, accepts
 * that no one connects to, short sleeps, reads of a file, calls with a
 * short kiln_timeout, and then one more call.  Then it destroys the pool:
 * at once, after a random short delay, or once every call is in flight.
 *
 * Destroy must return (a watchdog turns a hang into a failure), every task
 * must have finished, and every call must have returned what it may: a
 * call that can wait forever returns -ECANCELED (or -ETIME under its own
 * timeout), one that completes returns its result or -ECANCELED; a call
 * made after destroy began returns -ECANCELED.  At the end the process has
 * as many descriptors open as at the start (rings, eventfds), and under
 * AddressSanitizer LeakSanitizer checks the memory.
 *
 *	io-destroy [iterations [tasks]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kiln.h>

#include "../common.h"
#include "stress.h"

#define MS 1000000ull
#define HOUR (3600ull * 1000 * MS)
#define WATCHDOG 30  /* seconds for one iteration */

enum kind {
	K_SLEEP_LONG, K_RECV, K_READ_PIPE, K_POLL, K_ACCEPT,
	K_SLEEP_SHORT, K_READ_FILE, K_RECV_TIMEOUT, K_WRITE_FILE, NKINDS
};

static const char *const kind_name[NKINDS] = {
	"sleep(1 h)", "recv", "read(pipe)", "poll(pipe)", "accept",
	"sleep(1 ms)", "read(file)", "recv+timeout", "write(file)",
};

/* Whether a call of this kind waits forever (until cancelled). */
static int waits_forever(enum kind k)
{
	return k <= K_ACCEPT;
}

struct shared {
	int sv[2], p[2], lfd, file;
	atomic_int finished, go_failed;
};

struct op {
	struct shared *s;
	enum kind kind;
	long r, after;   /* plain: read after destroy, which waits for us */
	char buf[64];
};

static void op_run(void *p)
{
	struct op *o = p;
	struct shared *s = o->s;

	switch (o->kind) {
	case K_SLEEP_LONG:
		o->r = kiln_sleep(HOUR);
		break;
	case K_RECV:
		o->r = kiln_recv(s->sv[0], o->buf, sizeof(o->buf), 0);
		break;
	case K_READ_PIPE:
		o->r = kiln_read(s->p[0], o->buf, sizeof(o->buf), -1);
		break;
	case K_POLL:
		o->r = kiln_poll(s->p[0], POLLIN);
		break;
	case K_ACCEPT:
		o->r = kiln_accept(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		break;
	case K_SLEEP_SHORT:
		o->r = kiln_sleep(MS);
		break;
	case K_READ_FILE:
		o->r = kiln_read(s->file, o->buf, sizeof(o->buf), 0);
		break;
	case K_RECV_TIMEOUT:
		kiln_timeout(2 * MS);
		o->r = kiln_recv(s->sv[1], o->buf, sizeof(o->buf), 0);
		break;
	case K_WRITE_FILE:
		o->r = kiln_write(s->file, "0123456789abcdef", 16, 4096);
		break;
	default:
		break;
	}
	/* One more call: after a cancelled one, destroy has begun. */
	o->after = kiln_sleep(1000);
	atomic_fetch_add(&s->finished, 1);
}

struct start {
	struct op *ops;
	unsigned long n;
};

static void start_root(void *p)
{
	struct start *st = p;
	unsigned long i;

	for (i = 0; i < st->n; i++)
		if (kiln_go(op_run, &st->ops[i]) != 0)
			atomic_fetch_add(&st->ops[0].s->go_failed, 1);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static volatile sig_atomic_t cur_iter, cur_phase;

static void watchdog(int sig)
{
	static const char msg[] = "io-destroy: FAIL: hang (watchdog); "
	    "see the iteration below\n";
	char b[96];
	int n;

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	n = snprintf(b, sizeof(b), "io-destroy: iteration %d, phase %d\n",
	    (int)cur_iter, (int)cur_phase);
	(void)!write(2, b, (size_t)n);
	_exit(STRESS_FAIL);
}

static void check_op(unsigned long it, const struct op *o)
{
	long r = o->r;
	int ok;

	switch (o->kind) {
	case K_SLEEP_LONG:
	case K_RECV:
	case K_READ_PIPE:
	case K_POLL:
	case K_ACCEPT:
		ok = r == -ECANCELED;
		break;
	case K_SLEEP_SHORT:
		ok = r == 0 || r == -ECANCELED;
		break;
	case K_READ_FILE:
		ok = r == 64 || r == -ECANCELED;
		break;
	case K_RECV_TIMEOUT:
		ok = r == -ETIME || r == -ECANCELED;
		break;
	case K_WRITE_FILE:
		ok = r == 16 || r == -ECANCELED;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		stress_fail("iteration %lu: %s returned %ld", it,
		    kind_name[o->kind], r);
	/* A call that was cancelled returned after destroy began, so the
	 * call after it was made after that too. */
	if (r == -ECANCELED && o->after != -ECANCELED)
		stress_fail("iteration %lu: %s was cancelled, the call after "
		    "it returned %ld", it, kind_name[o->kind], o->after);
	else if (o->after != 0 && o->after != -ECANCELED)
		stress_fail("iteration %lu: %s: the call after it returned %ld",
		    it, kind_name[o->kind], o->after);
}

static void iteration(unsigned long it, unsigned long ntasks,
    const char *path)
{
	struct kiln_options opt = {
		.workers = 1 + (unsigned int)(it / 2 % 2),
		.flags = it % 2 ? KILN_OPT_NO_URING : 0,
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct shared s;
	struct op *ops = calloc(ntasks, sizeof(*ops));
	struct start st = { ops, ntasks };
	unsigned long i, blocking = 0;
	unsigned int when = (unsigned int)(it / 4 % 3);
	kiln_pool *pool;
	int ret;

	if (!ops)
		stress_die("out of memory");
	memset(&s, 0, sizeof(s));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s.sv) ||
	    pipe2(s.p, O_CLOEXEC))
		stress_die("socketpair/pipe");
	s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s.lfd < 0 || bind(s.lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s.lfd, 4))
		stress_die("listening socket");
	s.file = open(path, O_RDWR | O_CLOEXEC);
	if (s.file < 0)
		stress_die("open %s", path);
	for (i = 0; i < ntasks; i++) {
		ops[i].s = &s;
		ops[i].kind = (enum kind)((i + it) % NKINDS);
		ops[i].r = ops[i].after = 1;
		blocking += waits_forever(ops[i].kind);
	}

	cur_iter = (int)it;
	cur_phase = 1;
	alarm(WATCHDOG);
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0)
		stress_die("iteration %lu: kiln_pool_create: %d", it, ret);
	ret = kiln_run(pool, start_root, &st);
	if (ret < 0 || atomic_load(&s.go_failed))
		stress_die("iteration %lu: kiln_run %d, %d kiln_go failed", it,
		    ret, atomic_load(&s.go_failed));
	cur_phase = 2;
	switch (when) {
	case 0:		/* at once: some tasks have not even started */
		break;
	case 1: {	/* after a short while: some calls done, some not */
		uint64_t end = now_ns() + (it * 7919 % 3000) * 1000;

		while (now_ns() < end)
			;
		break;
	}
	case 2: {	/* every call that can wait forever is waiting */
		struct kiln_stats k;
		uint64_t end = now_ns() + 5000 * MS;

		do {
			kiln_pool_stats(pool, &k);
			if (k.io_waiting >= blocking)
				break;
			usleep(200);
		} while (now_ns() < end);
		if (k.io_waiting < blocking)
			stress_fail("iteration %lu: %llu calls in flight after "
			    "5 s, %lu expected", it,
			    (unsigned long long)k.io_waiting, blocking);
		break;
	}
	}
	cur_phase = 3;
	kiln_pool_destroy(pool);
	alarm(0);
	if ((unsigned long)atomic_load(&s.finished) != ntasks)
		stress_fail("iteration %lu: %d of %lu tasks finished", it,
		    atomic_load(&s.finished), ntasks);
	for (i = 0; i < ntasks; i++)
		check_op(it, &ops[i]);
	close(s.sv[0]);
	close(s.sv[1]);
	close(s.p[0]);
	close(s.p[1]);
	close(s.lfd);
	close(s.file);
	free(ops);
}

int main(int argc, char **argv)
{
	unsigned long iterations = stress_arg(argc, argv, 1, 60);
	unsigned long ntasks = stress_arg(argc, argv, 2, 36);
	const char *tmp = getenv("TMPDIR");
	char path[256], block[4096];
	unsigned long i;
	int fd, fds0, fds1;

	stress_prog = "io-destroy";
	signal(SIGALRM, watchdog);
	snprintf(path, sizeof(path), "%s/kiln-io-destroy.XXXXXX",
	    tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	fd = mkstemp(path);
	memset(block, 'k', sizeof(block));
	if (fd < 0 || write(fd, block, sizeof(block)) != sizeof(block))
		stress_die("temporary file %s", path);
	close(fd);
	fds0 = count_fds();
	for (i = 0; i < iterations; i++)
		iteration(i, ntasks, path);
	fds1 = count_fds();
	if (fds1 != fds0)
		stress_fail("%d descriptors open before, %d after", fds0,
		    fds1);
	unlink(path);
	printf("io-destroy: %lu iterations of %lu tasks\n", iterations,
	    ntasks);
	return stress_exit();
}
