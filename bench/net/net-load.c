/*
 * net-load: a closed-loop load generator for bench/net's echo servers,
 * written with epoll (not kiln), so that it is the same peer for every
 * server.  One thread.
 *
 *	net-load [-p PORT] [-c CONNS] [-s SIZE] [-d SECONDS] [-n MSGS]
 *	    [-H HEAVY] [-K KIB] [-L KIB] [-T SECONDS] [-P PID] [-v]
 *
 * opens CONNS connections to 127.0.0.1:PORT (default 61200) at once, non-
 * blocking, once the port accepts a probe connection (5 s at most); each
 * sends a message of SIZE bytes (default 128; net.h's
 * header, then a payload made from its number), waits for the answer,
 * checks every byte, and sends the next.  The first HEAVY connections in
 * every CONNS/HEAVY send heavy messages, which ask the server to hash KIB
 * KiB (default 256) before answering; the others light ones, of LKIB KiB
 * (default 0).
 *
 * The clock starts before the first connect.  Once every connection has
 * had its first answer (or after -T SECONDS, default 30: then first_max_ms
 * is -1 and `late` says how many had none), the measured window opens: it
 * lasts SECONDS (default 2; decimals allowed), or until MSGS answers if
 * -n is given.  Then every connection is reset (SO_LINGER 0: no TIME_WAIT,
 * so that runs do not use up the ports).
 *
 * One line of key=value fields on stdout:
 *	msgs, seconds, msgs_per_s     answers in the window and its length
 *	p50_us p99_us                 latency of every message of the window
 *	light_p50_us light_p90_us ... the same by kind
 *	first_p50_ms first_max_ms     time from the start until a connection's
 *	                              first answer: the median, the last
 *	first_msgs                    answers the server had sent (to all) by
 *	                              then: the starvation in work, not time,
 *	                              steadier on a busy machine (0 if late)
 *	connect_ms                    time to issue every connect
 *	listen_overflows              the system's TcpExtListenOverflows
 *	                              during the run (a full accept queue: the
 *	                              SYN is dropped and retried after 1 s, 3 s)
 *	server_cpu load_cpu           CPUs busy in the window: the server's
 *	                              (-P PID, /proc), this program's
 *	msgs_per_cpu_s                msgs / the server's CPU seconds
 * -v prints, on stderr, how many connections had their first answer in
 * each 100 ms.  Exit status 0; 1 on a wrong or short answer, a refused or
 * failed connection, or a runtime error; 2 on bad arguments.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "net.h"

#define EVENTS 512
/* Latency histogram: 32 buckets per power of two (3 % apart), in ns. */
#define SUB_BITS 5
#define BUCKETS (64 << SUB_BITS)
#define FIRST_BIN_MS 100

enum { CONNECTING, RUNNING };

struct lconn {
	int fd;
	int state;
	unsigned int kind;      /* NET_LIGHT or NET_HEAVY */
	size_t sent, got;
	uint64_t seq;
	double t_send, t_first; /* t_first: 0 until the first answer */
	unsigned char *tx, *rx;
};

struct hist {
	uint64_t n;
	uint64_t b[BUCKETS];
};

struct load {
	unsigned int port, conns, heavy, heavy_kib, light_kib, verbose;
	size_t size;
	double seconds, first_timeout;
	uint64_t max_msgs;
	long server_pid;
	/* Run state. */
	int ep;
	struct lconn *c;
	unsigned int nfirst;    /* connections that had their first answer */
	int window;             /* 1 while the measured window is open */
	double t0, w0;          /* start, window start */
	uint64_t msgs;          /* answers in the window */
	uint64_t answers;       /* answers since the start */
	uint64_t first_msgs;    /* answers when the last first answer came */
	struct hist all, kinds[2];
};

static unsigned int bucket(uint64_t v)
{
	unsigned int b, s;

	if (v < (1u << SUB_BITS))
		return (unsigned int)v;
	b = 63u - (unsigned int)__builtin_clzll(v);
	s = b - SUB_BITS;
	return ((s + 1) << SUB_BITS) | (unsigned int)((v >> s) &
	    ((1u << SUB_BITS) - 1));
}

/* The middle of bucket i, in ns. */
static double bucket_mid(unsigned int i)
{
	unsigned int s, sub;

	if (i < (1u << SUB_BITS))
		return i;
	s = (i >> SUB_BITS) - 1;
	sub = i & ((1u << SUB_BITS) - 1);
	return ((double)((1u << SUB_BITS) + sub) + 0.5) * ldexp(1.0, (int)s);
}

/* The q-quantile of h, in microseconds; -1 if h is empty. */
static double quantile_us(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!h->n)
		return -1;
	want = (uint64_t)ceil(q * (double)h->n);
	if (want < 1)
		want = 1;
	for (i = 0; i < BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return bucket_mid(i) / 1000.0;
	}
	return -1;
}

/* SplitMix64's finaliser, for the payload. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Make c's next message in c->tx. */
static void make_msg(const struct load *l, struct lconn *c)
{
	struct net_hdr h = { .len = (uint32_t)l->size,
	    .kind = (uint16_t)c->kind,
	    .cost = (uint16_t)(c->kind == NET_HEAVY ? l->heavy_kib :
	    l->light_kib), .seq = ++c->seq };
	size_t i;

	memcpy(c->tx, &h, sizeof(h));
	for (i = NET_HDR; i < l->size; i += 8) {
		uint64_t v = mix(h.seq ^ ((uint64_t)(c - l->c) << 40) ^ i);
		size_t m = l->size - i < 8 ? l->size - i : 8;

		memcpy(c->tx + i, &v, m);
	}
	c->sent = c->got = 0;
}

static void die(const char *what)
{
	fprintf(stderr, "net-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Send what is left of the message; 0, or -1 on an error. */
static int send_more(struct lconn *c, size_t size)
{
	while (c->sent < size) {
		ssize_t w = send(c->fd, c->tx + c->sent, size - c->sent,
		    MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += (size_t)w;
	}
	return 0;
}

static void start_msg(struct load *l, struct lconn *c)
{
	make_msg(l, c);
	c->t_send = bench_now();
	if (send_more(c, l->size) < 0)
		die("send");
}

/* An answer is complete: check it, count it, send the next message. */
static void answered(struct load *l, struct lconn *c, double now)
{
	if (memcmp(c->rx, c->tx, l->size) != 0) {
		fprintf(stderr, "net-load: connection %ld: the answer to "
		    "message %llu differs from it\n", (long)(c - l->c),
		    (unsigned long long)c->seq);
		exit(1);
	}
	l->answers++;
	if (c->t_first == 0) {
		c->t_first = now;
		if (++l->nfirst == l->conns)
			l->first_msgs = l->answers;
	}
	if (l->window && c->t_send >= l->w0) {
		uint64_t ns = (uint64_t)((now - c->t_send) * 1e9);
		unsigned int b = bucket(ns);

		l->all.b[b]++;
		l->all.n++;
		l->kinds[c->kind].b[b]++;
		l->kinds[c->kind].n++;
		l->msgs++;
	}
	start_msg(l, c);
}

static void on_event(struct load *l, struct lconn *c, uint32_t ev)
{
	if (c->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			die("getsockopt");
		if (err) {
			errno = err;
			die("connect");
		}
		c->state = RUNNING;
		start_msg(l, c);
		return;
	}
	if (ev & EPOLLOUT && c->sent < l->size && send_more(c, l->size) < 0)
		die("send");
	if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	for (;;) {
		ssize_t n = recv(c->fd, c->rx + c->got, l->size - c->got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			die("recv");
		if (n == 0) {
			fprintf(stderr, "net-load: connection %ld: closed by "
			    "the server\n", (long)(c - l->c));
			exit(1);
		}
		c->got += (size_t)n;
		if (c->got < l->size)
			continue;  /* edge-triggered: read until EAGAIN */
		answered(l, c, bench_now());
		return;        /* nothing more can be there: one in flight */
	}
}

static void open_all(struct load *l)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)l->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	unsigned int i, every = l->heavy ? l->conns / l->heavy : 0;

	for (i = 0; i < l->conns; i++) {
		struct lconn *c = &l->c[i];
		struct epoll_event ev;

		c->kind = every && i % every == 0 && i / every < l->heavy ?
		    NET_HEAVY : NET_LIGHT;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			die("socket");
		net_nodelay(c->fd);
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != EINPROGRESS)
			die("connect");
		c->state = CONNECTING;
		ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			die("epoll_ctl");
	}
}

/*
 * Wait until the server accepts connections (5 s at most, trying every
 * 10 ms): a probe connection, reset at once.
 */
static void wait_server(const struct load *l)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)l->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timespec ts = { 0, 10000000 };
	int i, fd, ret;

	for (i = 0; i < 500; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		if (ret == 0)
			return;
		if (errno != ECONNREFUSED)
			die("connect");
		nanosleep(&ts, NULL);
	}
	errno = ECONNREFUSED;
	die("no server after 5 s");
}

/* Reset every connection: no TIME_WAIT left behind. */
static void close_all(struct load *l)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned int i;

	for (i = 0; i < l->conns; i++) {
		setsockopt(l->c[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(l->c[i].fd);
	}
}

/* The system's TcpExt counter `name` (/proc/net/netstat), or 0. */
static uint64_t tcpext(const char *name)
{
	char keys[8192], vals[8192];
	uint64_t v = 0;
	FILE *f = fopen("/proc/net/netstat", "r");

	if (!f)
		return 0;
	while (fgets(keys, sizeof(keys), f) && fgets(vals, sizeof(vals), f)) {
		char *ks, *vs, *k, *val;

		if (strncmp(keys, "TcpExt:", 7) != 0)
			continue;
		k = strtok_r(keys, " \n", &ks);
		val = strtok_r(vals, " \n", &vs);
		while (k && val) {
			if (strcmp(k, name) == 0)
				v = strtoull(val, NULL, 10);
			k = strtok_r(NULL, " \n", &ks);
			val = strtok_r(NULL, " \n", &vs);
		}
	}
	fclose(f);
	return v;
}

/* CPU seconds (user + system) of process pid so far, or -1. */
static double proc_cpu(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	int ok;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* After the command's closing parenthesis: fields 3 on; utime and
	 * stime are fields 14 and 15. */
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	ok = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) == 2;
	return ok ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void args(int argc, char **argv, struct load *l)
{
	char *end;
	int c;

	memset(l, 0, sizeof(*l));
	l->port = NET_DEFAULT_PORT;
	l->conns = 1;
	l->size = 128;
	l->seconds = 2;
	l->heavy_kib = 256;
	l->first_timeout = 30;
	while ((c = getopt(argc, argv, "p:c:s:d:n:H:K:L:T:P:v")) != -1) {
		switch (c) {
		case 'p':
			l->port = (unsigned)net_num(argv[0], c, optarg, 1,
			    65535);
			break;
		case 'c':
			l->conns = (unsigned)net_num(argv[0], c, optarg, 1,
			    200000);
			break;
		case 's':
			l->size = net_num(argv[0], c, optarg, NET_MIN_MSG,
			    NET_MAX_MSG);
			break;
		case 'd':
		case 'T':
			errno = 0;
			*(c == 'd' ? &l->seconds : &l->first_timeout) =
			    strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(l->seconds > 0 && l->seconds <= 3600) ||
			    !(l->first_timeout > 0 &&
			    l->first_timeout <= 3600)) {
				fprintf(stderr, "%s: -%c: seconds, more than 0 "
				    "and at most 3600, not '%s'\n", argv[0], c,
				    optarg);
				exit(2);
			}
			break;
		case 'n':
			l->max_msgs = net_num(argv[0], c, optarg, 1,
			    ~0ul >> 1);
			break;
		case 'H':
			l->heavy = (unsigned)net_num(argv[0], c, optarg, 0,
			    200000);
			break;
		case 'K':
			l->heavy_kib = (unsigned)net_num(argv[0], c, optarg,
			    0, 65535);
			break;
		case 'L':
			l->light_kib = (unsigned)net_num(argv[0], c, optarg,
			    0, 65535);
			break;
		case 'P':
			l->server_pid = (long)net_num(argv[0], c, optarg, 1,
			    1ul << 22);
			break;
		case 'v':
			l->verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-p PORT] [-c CONNS] "
			    "[-s SIZE] [-d SECONDS] [-n MSGS] [-H HEAVY] "
			    "[-K KIB] [-L KIB] [-T SECONDS] [-P PID] [-v]\n",
			    argv[0]);
			exit(2);
		}
	}
	if (optind != argc || l->heavy > l->conns) {
		fprintf(stderr, "%s: %s\n", argv[0], optind != argc ?
		    "unexpected argument" : "-H is more than -c");
		exit(2);
	}
}

/* First answers: the median and the last, in ms from the start; with -v a
 * count per 100 ms on stderr. */
static void first_stats(struct load *l, double *p50, double *max)
{
	double *t = malloc(l->conns * sizeof(*t));
	unsigned int i, n = 0;

	if (!t)
		die("malloc");
	for (i = 0; i < l->conns; i++)
		if (l->c[i].t_first > 0)
			t[n++] = (l->c[i].t_first - l->t0) * 1e3;
	qsort(t, n, sizeof(*t), cmp_double);
	*p50 = n ? t[(n - 1) / 2] : -1;
	*max = n == l->conns ? t[n - 1] : -1;
	if (l->verbose && n) {
		unsigned int bin = 0, k = 0;

		fprintf(stderr, "net-load: first answers per %d ms:",
		    FIRST_BIN_MS);
		for (i = 0; i <= n; i++) {
			if (i < n && t[i] < (bin + 1) * (double)FIRST_BIN_MS) {
				k++;
				continue;
			}
			if (k)
				fprintf(stderr, " %u-%u:%u", bin * FIRST_BIN_MS,
				    (bin + 1) * FIRST_BIN_MS, k);
			if (i == n)
				break;
			bin = (unsigned int)(t[i] / FIRST_BIN_MS);
			k = 1;
		}
		fputc('\n', stderr);
	}
	free(t);
}

int main(int argc, char **argv)
{
	struct epoll_event ev[EVENTS];
	struct load l;
	unsigned char *bufs;
	double now, connect_ms, end = 0, s0 = -1, s1 = -1, c0 = 0, c1;
	double first_p50, first_max, window;
	uint64_t over0;
	unsigned int i;

	args(argc, argv, &l);
	net_raise_nofile();
	l.c = calloc(l.conns, sizeof(*l.c));
	bufs = malloc(2 * l.size * l.conns);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!l.c || !bufs || l.ep < 0)
		die("set-up");
	for (i = 0; i < l.conns; i++) {
		l.c[i].tx = bufs + 2 * l.size * i;
		l.c[i].rx = l.c[i].tx + l.size;
	}
	wait_server(&l);
	over0 = tcpext("ListenOverflows");
	l.t0 = bench_now();
	open_all(&l);
	connect_ms = (bench_now() - l.t0) * 1e3;

	for (;;) {
		int n = epoll_wait(l.ep, ev, EVENTS, 100), k;

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (k = 0; k < n; k++)
			on_event(&l, ev[k].data.ptr, ev[k].events);
		now = bench_now();
		if (!l.window && (l.nfirst == l.conns ||
		    now - l.t0 >= l.first_timeout)) {
			/* Every connection is up (or some never will be):
			 * the window opens. */
			l.window = 1;
			l.w0 = now;
			end = now + l.seconds;
			s0 = proc_cpu(l.server_pid);
			c0 = net_cpu();
		}
		if (l.window && (now >= end ||
		    (l.max_msgs && l.msgs >= l.max_msgs)))
			break;
	}
	window = now - l.w0;
	s1 = proc_cpu(l.server_pid);
	c1 = net_cpu();
	close_all(&l);
	first_stats(&l, &first_p50, &first_max);
	printf("load conns=%u size=%zu heavy=%u heavy_kib=%u light_kib=%u "
	    "msgs=%llu seconds=%.6f msgs_per_s=%.0f p50_us=%.1f "
	    "p99_us=%.1f light_p50_us=%.1f light_p90_us=%.1f "
	    "light_p99_us=%.1f "
	    "heavy_p50_us=%.1f heavy_p99_us=%.1f first_p50_ms=%.1f "
	    "first_max_ms=%.1f first_msgs=%llu late=%u connect_ms=%.1f "
	    "listen_overflows=%llu server_cpu=%.2f load_cpu=%.2f "
	    "msgs_per_cpu_s=%.0f\n", l.conns, l.size, l.heavy, l.heavy_kib,
	    l.light_kib, (unsigned long long)l.msgs, window,
	    (double)l.msgs / window, quantile_us(&l.all, 0.5),
	    quantile_us(&l.all, 0.99), quantile_us(&l.kinds[NET_LIGHT], 0.5),
	    quantile_us(&l.kinds[NET_LIGHT], 0.9),
	    quantile_us(&l.kinds[NET_LIGHT], 0.99),
	    quantile_us(&l.kinds[NET_HEAVY], 0.5),
	    quantile_us(&l.kinds[NET_HEAVY], 0.99), first_p50, first_max,
	    (unsigned long long)l.first_msgs, l.conns - l.nfirst, connect_ms,
	    (unsigned long long)(tcpext("ListenOverflows") - over0),
	    s0 >= 0 && s1 >= 0 ? (s1 - s0) / window : -1, (c1 - c0) / window,
	    s0 >= 0 && s1 > s0 ? (double)l.msgs / (s1 - s0) : -1);
	free(bufs);
	free(l.c);
	close(l.ep);
	return 0;
}
