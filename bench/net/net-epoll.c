/*
 * net-epoll: the echo server a C programmer writes without a runtime, the
 * baseline of bench/net.  WORKERS threads, one per core, each with a
 * listening socket of its own on the same port (SO_REUSEPORT: the kernel
 * spreads new connections over them) and an epoll set; non-blocking
 * sockets, edge-triggered.  A readable listener is accepted until EAGAIN; a
 * readable connection is read until a short read (epoll(7): the socket is
 * then drained), its complete messages are served (net.h) and sent back; a
 * send that would block waits for EPOLLOUT, and reading stops until it is
 * done.  A connection stays on the thread that accepted it.
 * Usage and output: net.h (ACCEPTORS is ignored: each thread accepts; -y
 * is refused).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define EVENTS 256  /* per epoll_wait */

struct conn {
	int fd;
	size_t have;            /* bytes in buf */
	size_t out, out_len;    /* buf[out..out_len) still to send */
	struct conn *prev, *next;
	unsigned char buf[NET_MAX_MSG];
};

struct thread {
	pthread_t tid;
	int ep, ls;             /* epoll set, listening socket */
	int stop;               /* eventfd, shared: readable means stop */
	struct conn head;       /* open connections, to free at the end */
	uint64_t conns, msgs, sum;  /* read after pthread_join */
	int err;
};

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

/* Send what is pending: 1 when it is all sent, 0 if the socket is full,
 * -1 on an error. */
static int flush_out(struct conn *c)
{
	while (c->out < c->out_len) {
		ssize_t w = send(c->fd, c->buf + c->out, c->out_len - c->out,
		    MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out += (size_t)w;
	}
	/* All sent: what followed the answered messages moves up. */
	memmove(c->buf, c->buf + c->out_len, c->have - c->out_len);
	c->have -= c->out_len;
	c->out = c->out_len = 0;
	return 1;
}

/* The connection is readable or writable (edge): catch up. */
static int on_conn(struct thread *t, struct conn *c)
{
	for (;;) {
		size_t room = sizeof(c->buf) - c->have;
		ssize_t n;
		long done;
		int f;

		if (c->out_len) {
			f = flush_out(c);
			if (f <= 0)
				return f;
		}
		n = recv(c->fd, c->buf + c->have, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		c->have += (size_t)n;
		done = net_serve(c->buf, c->have, &t->sum, &t->msgs, NULL);
		if (done < 0)
			return -1;
		c->out_len = (size_t)done;
		if (done)
			f = flush_out(c);
		else
			f = 1;
		if (f <= 0)
			return f;
		if ((size_t)n < room)  /* a short read: drained (epoll(7)) */
			return 0;
	}
}

/* The listener is readable: take every connection waiting. */
static void on_listener(struct thread *t)
{
	for (;;) {
		struct epoll_event ev;
		struct conn *c;
		int fd = accept4(t->ls, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				fprintf(stderr, "net-epoll: accept4: %s\n",
				    strerror(errno));
			return;
		}
		net_nodelay(fd);
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->have = c->out = c->out_len = 0;
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = t->head.next;
		c->prev = &t->head;
		c->next->prev = c;
		t->head.next = c;
		t->conns++;
	}
}

static void *run(void *arg)
{
	struct thread *t = arg;
	struct epoll_event ev[EVENTS];

	for (;;) {
		int n = epoll_wait(t->ep, ev, EVENTS, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			t->err = errno;
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == &t->ls)
				on_listener(t);
			else if (ev[i].data.ptr == &t->stop)
				return NULL;
			else if (on_conn(t, ev[i].data.ptr) < 0)
				conn_close(ev[i].data.ptr);
		}
	}
	return NULL;
}

static int thread_init(struct thread *t, const struct net_server_args *a,
    int stop)
{
	struct epoll_event ev = { .events = EPOLLIN };

	memset(t, 0, sizeof(*t));
	t->ls = t->ep = -1;
	t->head.next = t->head.prev = &t->head;
	t->stop = stop;
	t->ls = net_listen(a->port, a->backlog, 1, SOCK_NONBLOCK);
	if (t->ls < 0)
		return t->ls;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	if (t->ep < 0)
		return -errno;
	ev.data.ptr = &t->ls;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->ls, &ev) < 0)
		return -errno;
	ev.data.ptr = &t->stop;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, stop, &ev) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	struct net_server_args a;
	struct thread *th;
	uint64_t conns = 0, msgs = 0, sum = 0;
	sigset_t stopset;
	unsigned int i, started = 0;
	int stop, ret = 0, status = 0;

	net_server_args(argc, argv, &a);
	if (a.yield_kib) {
		fprintf(stderr, "%s: -y: kiln only\n", argv[0]);
		return 2;
	}
	net_raise_nofile();
	net_block_stop(&stopset);  /* before the threads: they inherit it */
	stop = eventfd(0, EFD_CLOEXEC);
	th = calloc(a.workers, sizeof(*th));
	if (stop < 0 || !th) {
		fprintf(stderr, "%s: out of resources\n", argv[0]);
		return 1;
	}
	/*
	 * SO_REUSEPORT would let us share the port with another server left
	 * running there: bind it once without, to be sure it is free.
	 */
	ret = net_listen(a.port, 1, 0, 0);
	if (ret < 0) {
		fprintf(stderr, "%s: port %u: %s\n", argv[0], a.port,
		    strerror(-ret));
		return 1;
	}
	close(ret);
	for (i = 0; i < a.workers; i++) {
		ret = thread_init(&th[i], &a, stop);
		if (ret < 0) {
			fprintf(stderr, "%s: listener %u on port %u: %s\n",
			    argv[0], i, a.port, strerror(-ret));
			status = 1;
			break;
		}
		ret = pthread_create(&th[i].tid, NULL, run, &th[i]);
		if (ret) {
			fprintf(stderr, "%s: pthread_create: %s\n", argv[0],
			    strerror(ret));
			status = 1;
			break;
		}
		started++;
	}
	if (!status)
		net_wait_stop(&stopset, a.seconds);
	eventfd_write(stop, 1);
	/* The threads started, and the one that failed to, if one did. */
	for (i = 0; i < a.workers && i <= started; i++) {
		if (i < started)
			pthread_join(th[i].tid, NULL);
		while (th[i].head.next && th[i].head.next != &th[i].head)
			conn_close(th[i].head.next);
		if (th[i].err) {
			fprintf(stderr, "%s: epoll_wait: %s\n", argv[0],
			    strerror(th[i].err));
			status = 1;
		}
		conns += th[i].conns;
		msgs += th[i].msgs;
		sum += th[i].sum;
		if (th[i].ls >= 0)
			close(th[i].ls);
		if (th[i].ep >= 0)
			close(th[i].ep);
	}
	free(th);
	close(stop);
	if (!status)
		net_server_report("epoll", a.workers, conns, msgs, sum, NULL);
	return status;
}
