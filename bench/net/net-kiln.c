/*
 * net-kiln: an echo server on kiln, written as kiln_recv(3)'s EXAMPLES
 * shows: ACCEPTORS accept loops on one blocking listening socket (1 by
 * default), each a kiln_go task calling kiln_accept, and a kiln_go task per
 * connection, a loop of kiln_recv and kiln_send; net.h's framing and cost in
 * between.  Every call parks its task while the worker runs the others.
 * Usage and output: net.h; server= is kiln, or kiln-fallback when the
 * workers did their I/O through helper threads (KILN_NO_URING=1), and the
 * line ends with kiln's counters over the whole run.
 */
#include "config.h"

#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kiln.h>

#include "net.h"

struct server {
	int s;                  /* the listening socket */
	unsigned int acceptors;
	/* __atomic, relaxed: sums, read after kiln_pool_destroy, which
	 * waits for every task. */
	uint64_t conns, msgs, sum;
};

static struct server sv;
static struct net_pause pz = { 0, kiln_yield };

/* Send buf[0..len) whole; 0 or a negative errno. */
static int send_all(int c, const unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = kiln_send(c, buf + done, len - done, 0);

		if (w < 0)
			return (int)w;
		done += (size_t)w;
	}
	return 0;
}

/* One connection: answer every message until the peer goes or destroy. */
static void echo(void *arg)
{
	int c = (int)(intptr_t)arg;
	unsigned char buf[NET_MAX_MSG];
	uint64_t sum = 0, msgs = 0;
	size_t have = 0;

	for (;;) {
		ssize_t n = kiln_recv(c, buf + have, sizeof(buf) - have, 0);
		long done;

		if (n <= 0)
			break;
		have += (size_t)n;
		done = net_serve(buf, have, &sum, &msgs, &pz);
		if (done < 0 || send_all(c, buf, (size_t)done) < 0)
			break;
		memmove(buf, buf + done, have - (size_t)done);
		have -= (size_t)done;
	}
	kiln_close(c);  /* closes even during kiln_pool_destroy */
	__atomic_fetch_add(&sv.msgs, msgs, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sv.sum, sum, __ATOMIC_RELAXED);
}

/* An accept loop; kiln_pool_destroy ends it (-ECANCELED). */
static void serve(void *arg)
{
	int c;

	(void)arg;
	for (;;) {
		c = kiln_accept(sv.s, NULL, NULL, SOCK_CLOEXEC);
		if (c == -ECANCELED)
			break;
		if (c < 0) {
			/* EMFILE, ECONNABORTED...: say so, let others run. */
			fprintf(stderr, "net-kiln: kiln_accept: %s\n",
			    strerror(-c));
			kiln_sleep(1000000);
			continue;
		}
		net_nodelay(c);
		__atomic_fetch_add(&sv.conns, 1, __ATOMIC_RELAXED);
		if (kiln_go(echo, (void *)(intptr_t)c) < 0)
			close(c);
	}
}

static void start(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < sv.acceptors; i++)
		if (kiln_go(serve, NULL) < 0)
			fprintf(stderr, "net-kiln: kiln_go: out of memory\n");
}

int main(int argc, char **argv)
{
	struct kiln_options opt = { 0 };
	struct net_server_args a;
	struct kiln_stats st;
	kiln_pool *pool;
	sigset_t stop;
	char extra[256];
	int ret;

	net_server_args(argc, argv, &a);
	net_raise_nofile();
	net_block_stop(&stop);  /* before the workers start: they inherit it */
	sv.acceptors = a.acceptors;
	pz.kib = a.yield_kib;
	sv.s = net_listen(a.port, a.backlog, 0, 0);
	if (sv.s < 0) {
		fprintf(stderr, "%s: listen on port %u: %s\n", argv[0], a.port,
		    strerror(-sv.s));
		return 1;
	}
	opt.workers = a.workers;
	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_pool_create: %s\n", argv[0],
		    strerror(-ret));
		return 1;
	}
	ret = kiln_run(pool, start, NULL);
	if (ret < 0) {
		fprintf(stderr, "%s: kiln_run: %s\n", argv[0], strerror(-ret));
		kiln_pool_destroy(pool);
		return 1;
	}
	net_wait_stop(&stop, a.seconds);
	kiln_pool_stats(pool, &st);
	kiln_pool_destroy(pool);
	close(sv.s);
	snprintf(extra, sizeof(extra), " acceptors=%u yield_kib=%u "
	    "suspends=%llu io_batches=%llu io_completed=%llu steals=%llu "
	    "sleeps=%llu fibers=%llu", a.acceptors, a.yield_kib,
	    (unsigned long long)st.suspends,
	    (unsigned long long)st.io_batches,
	    (unsigned long long)st.io_completed,
	    (unsigned long long)st.steals, (unsigned long long)st.sleeps,
	    (unsigned long long)st.fibers);
	net_server_report(st.io_fallback ? "kiln-fallback" : "kiln",
	    st.workers, __atomic_load_n(&sv.conns, __ATOMIC_RELAXED),
	    __atomic_load_n(&sv.msgs, __ATOMIC_RELAXED),
	    __atomic_load_n(&sv.sum, __ATOMIC_RELAXED), extra);
	return 0;
}
