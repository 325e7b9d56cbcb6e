/*
 * net-stress: the network calls under load, on io_uring and on the
 * fallback (KILN_OPT_NO_URING: the workers' epoll sets).  Each round makes
 * a pool and runs, all at once:
 *  - CONNS TCP connections over loopback, each a client task and a server
 *    task, exchanging MSGS messages whose bytes the other side checks
 *    (kiln_send/kiln_recv on one side, kiln_sendmsg/kiln_recvmsg and
 *    kiln_writev/kiln_readv on the other), the listener non-blocking so
 *    that the fallback's accepts wait in epoll too;
 *  - UDP datagrams through kiln_sendmsg/kiln_recvmsg, each checked for
 *    its content and its sender's address;
 *  - lookups of localhost through kiln_getaddrinfo, some with a timeout
 *    so short that the task gives up while the helper still resolves.
 * The payload is plain memory written by one task and read by another,
 * so that ThreadSanitizer sees whether the library orders it.
 *
 *	net-stress [rounds [conns [msgs]]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kiln.h>

#include "../common.h"
#include "stress.h"

#define MSG_LEN 96
#define LOOKUPS 64
#define DATAGRAMS 64

struct net {
	unsigned long conns, msgs;
	int lfd, udp_rx, udp_tx;
	struct sockaddr_in laddr, uaddr, txaddr;
	atomic_ulong done_pairs, lookups_ok, lookups_given_up;
	atomic_ulong finished;  /* tasks that ended: root waits for all */
};

static void finished(struct net *n)
{
	atomic_fetch_add_explicit(&n->finished, 1, memory_order_release);
}

/* Message seq: MSG_LEN bytes of the tests' pattern (tests/common.h). */
static int check(const unsigned char *b, uint64_t seq)
{
	return mismatch(b, MSG_LEN, seq, 0) == MSG_LEN;
}

/* Receive exactly MSG_LEN bytes, vectored: 0 or a failure was reported. */
static int recv_all(int fd, unsigned char *b, int vectored)
{
	size_t got = 0;

	while (got < MSG_LEN) {
		struct iovec v[2] = {
			{ b + got, (MSG_LEN - got) / 2 },
			{ b + got + (MSG_LEN - got) / 2,
			    MSG_LEN - got - (MSG_LEN - got) / 2 },
		};
		struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
		ssize_t r = vectored ? kiln_recvmsg(fd, &m, 0) :
		    kiln_recv(fd, b + got, MSG_LEN - got, 0);

		if (r <= 0) {
			stress_fail("recv: %zd", r);
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static int send_all(int fd, const unsigned char *b, int vectored)
{
	size_t put = 0;

	while (put < MSG_LEN) {
		struct iovec v[2] = {
			{ (void *)(b + put), (MSG_LEN - put) / 3 },
			{ (void *)(b + put + (MSG_LEN - put) / 3),
			    MSG_LEN - put - (MSG_LEN - put) / 3 },
		};
		ssize_t r = vectored ? kiln_writev(fd, v, 2, -1) :
		    kiln_send(fd, b + put, MSG_LEN - put, 0);

		if (r <= 0) {
			stress_fail("send: %zd", r);
			return -1;
		}
		put += (size_t)r;
	}
	return 0;
}

struct peer {
	struct net *n;
	int fd;
	uint64_t base;
};

/* Echo side: receive (vectored), check, send back (vectored). */
static void server(void *p)
{
	struct peer *s = p;
	unsigned char b[MSG_LEN];

	for (unsigned long i = 0; i < s->n->msgs; i++) {
		if (recv_all(s->fd, b, 1) < 0)
			break;
		if (send_all(s->fd, b, 1) < 0)
			break;
	}
	kiln_close(s->fd);
	finished(s->n);
	free(s);
}

static void acceptor(void *p)
{
	struct net *n = p;

	for (unsigned long i = 0; i < n->conns; i++) {
		struct peer *s = malloc(sizeof(*s));
		int fd = kiln_accept(n->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0 || !s)
			stress_die("accept: %d", fd);
		s->n = n;
		s->fd = fd;
		if (kiln_go(server, s) < 0)
			stress_die("kiln_go");
	}
}

static void client(void *p)
{
	struct peer *c = p;
	struct net *n = c->n;
	unsigned char b[MSG_LEN];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = kiln_connect(fd, (struct sockaddr *)&n->laddr,
	    sizeof(n->laddr));

	if (r < 0) {
		stress_fail("connect: %d", r);
		goto out;
	}
	for (unsigned long i = 0; i < n->msgs; i++) {
		fill(b, MSG_LEN, c->base + i, 0);
		if (send_all(fd, b, 0) < 0 || recv_all(fd, b, 0) < 0)
			goto out;
		if (!check(b, c->base + i)) {
			stress_fail("echo %lu of %" PRIu64 " differs", i,
			    c->base);
			goto out;
		}
	}
	atomic_fetch_add_explicit(&n->done_pairs, 1, memory_order_relaxed);
out:
	close(fd);
	finished(n);
	free(c);
}

static void udp_receiver(void *p)
{
	struct net *n = p;

	for (int i = 0; i < DATAGRAMS; i++) {
		unsigned char b[MSG_LEN + 1];
		struct sockaddr_in from;
		struct iovec v = { b, sizeof(b) };
		struct msghdr m = { .msg_name = &from,
		    .msg_namelen = sizeof(from), .msg_iov = &v,
		    .msg_iovlen = 1 };
		ssize_t r = kiln_recvmsg(n->udp_rx, &m, 0);

		if (r != MSG_LEN) {
			stress_fail("udp recvmsg: %zd", r);
			return;
		}
		/* Loopback keeps datagrams in order and, this few, all. */
		if (!check(b, (uint64_t)i))
			stress_fail("datagram %d differs", i);
		if (from.sin_port != n->txaddr.sin_port)
			stress_fail("udp sender port %u", ntohs(from.sin_port));
	}
	finished(n);
}

static void udp_sender(void *p)
{
	struct net *n = p;

	for (int i = 0; i < DATAGRAMS; i++) {
		unsigned char b[MSG_LEN];
		struct iovec v[2] = { { b, 10 }, { b + 10, MSG_LEN - 10 } };
		struct msghdr m = { .msg_name = &n->uaddr,
		    .msg_namelen = sizeof(n->uaddr), .msg_iov = v,
		    .msg_iovlen = 2 };
		ssize_t r;

		fill(b, MSG_LEN, (uint64_t)i, 0);
		r = kiln_sendmsg(n->udp_tx, &m, 0);
		if (r != MSG_LEN)
			stress_fail("udp sendmsg: %zd", r);
		if (i % 8 == 7)
			kiln_yield();  /* let the receiver keep up */
	}
	finished(n);
}

static void lookup(void *p)
{
	struct net *n = p;
	struct addrinfo hints = { .ai_family = AF_INET,
	    .ai_socktype = SOCK_STREAM }, *res = NULL;
	static atomic_ulong seq;
	uint64_t s = atomic_fetch_add(&seq, 1) + 1;
	int r;

	if (s % 2)  /* half of them bounded by 1 ns .. 2 us */
		kiln_timeout(1 + stress_rand(&s) % 2000);
	r = kiln_getaddrinfo("localhost", "80", &hints, &res);
	if (r == 0) {
		struct sockaddr_in *a = (struct sockaddr_in *)res->ai_addr;

		if (a->sin_port != htons(80) ||
		    a->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			stress_fail("localhost resolved wrongly");
		freeaddrinfo(res);
		atomic_fetch_add_explicit(&n->lookups_ok, 1,
		    memory_order_relaxed);
	} else if (r == -ETIME) {
		atomic_fetch_add_explicit(&n->lookups_given_up, 1,
		    memory_order_relaxed);
	} else {
		stress_fail("getaddrinfo: %d", r);
	}
	finished(n);
}

static void root(void *p)
{
	struct net *n = p;

	if (kiln_go(acceptor, n) < 0 || kiln_go(udp_receiver, n) < 0 ||
	    kiln_go(udp_sender, n) < 0)
		stress_die("kiln_go");
	for (unsigned long i = 0; i < n->conns; i++) {
		struct peer *c = malloc(sizeof(*c));

		if (!c)
			stress_die("malloc");
		c->n = n;
		c->base = i * 1000003;
		if (kiln_go(client, c) < 0)
			stress_die("kiln_go");
	}
	for (int i = 0; i < LOOKUPS; i++)
		if (kiln_go(lookup, n) < 0)
			stress_die("kiln_go");
	/* Wait for every task (kiln_pool_destroy would cancel their I/O):
	 * servers and clients, two UDP tasks, the lookups. */
	for (int ms = 0; atomic_load_explicit(&n->finished,
	    memory_order_acquire) < 2 * n->conns + 2 + LOOKUPS; ms++) {
		if (ms == 60000)
			stress_die("tasks still running after 60 s");
		kiln_sleep(1000000);
	}
}

static int bound_socket(int type, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		stress_die("socket: %s", strerror(errno));
	return fd;
}

static void round_once(struct net *n, unsigned int flags, unsigned workers)
{
	struct kiln_options o = { .workers = workers, .flags = flags };
	kiln_pool *pool;

	n->lfd = bound_socket(SOCK_STREAM | SOCK_NONBLOCK, &n->laddr);
	if (listen(n->lfd, 1024) < 0)
		stress_die("listen: %s", strerror(errno));
	n->udp_rx = bound_socket(SOCK_DGRAM, &n->uaddr);
	n->udp_tx = bound_socket(SOCK_DGRAM, &n->txaddr);
	atomic_store(&n->done_pairs, 0);
	atomic_store(&n->finished, 0);
	if (kiln_pool_create(&pool, &o) < 0)
		stress_die("kiln_pool_create");
	if (kiln_run(pool, root, n) < 0)
		stress_die("kiln_run");
	kiln_pool_destroy(pool);
	if (atomic_load(&n->done_pairs) != n->conns)
		stress_fail("%lu of %lu connections completed",
		    (unsigned long)atomic_load(&n->done_pairs), n->conns);
	close(n->lfd);
	close(n->udp_rx);
	close(n->udp_tx);
}

int main(int argc, char **argv)
{
	unsigned long rounds = stress_arg(argc, argv, 1, 4);
	struct net n = { .conns = stress_arg(argc, argv, 2, 64),
	    .msgs = stress_arg(argc, argv, 3, 32) };

	stress_prog = "net-stress";
	for (unsigned long r = 0; r < rounds; r++) {
		round_once(&n, 0, 1 + (unsigned)(r % 2));
		round_once(&n, KILN_OPT_NO_URING, 1 + (unsigned)(r % 2));
	}
	printf("net-stress: %lu rounds x 2 paths, %lu connections x %lu "
	    "messages, lookups %lu resolved, %lu given up\n", rounds,
	    n.conns, n.msgs, (unsigned long)atomic_load(&n.lookups_ok),
	    (unsigned long)atomic_load(&n.lookups_given_up));
	return stress_exit();
}
