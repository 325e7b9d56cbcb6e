/*
 * net.h: what the echo servers and the load generator of bench/net share:
 * the message format, the request's cost, option parsing, the listening
 * socket and the server's one line of output.
 *
 * A message is a 16-byte header and a payload, NET_MIN_MSG to NET_MAX_MSG
 * bytes in all:
 *
 *	len   (uint32) the whole message, header included
 *	kind  (uint16) NET_LIGHT or NET_HEAVY: what the load generator counts
 *	               it as (the server only passes it back)
 *	cost  (uint16) KiB the server hashes before it answers
 *	seq   (uint64) the sender's number for it
 *
 * in the host's byte order (both ends are on one machine: loopback only).
 * The server answers each message with the same bytes, after hashing `cost`
 * KiB of its payload, the payload over and over (net_hash).  The hash goes
 * to a sum the server prints at exit, so that the compiler cannot drop it.
 * The load generator checks every byte of every answer.
 *
 * The servers take the same options (net_server_args):
 *
 *	PROG [-p PORT] [-w WORKERS] [-a ACCEPTORS] [-b BACKLOG] [-t SECONDS]
 *	    [-y KIB]
 *
 * listen on 127.0.0.1:PORT (default 61200) with a backlog of BACKLOG
 * (default SOMAXCONN), with WORKERS workers or threads (default 1) and, on
 * kiln, ACCEPTORS accept loops (default 1), and run until SIGTERM or
 * SIGINT, or SECONDS (default 600) at most.  -y (kiln only) makes a task
 * call kiln_yield after every KIB KiB it hashes (default 0: never).  Then
 * they print one line of key=value fields on stdout:
 * server=, workers=, conns= (accepted), msgs= (answered), sum= (of the
 * hashes), cpu= (user + system seconds over the whole run), and fields of
 * their own.  Exit status 0, 1 on a runtime error, 2 on bad arguments.
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define NET_HDR 16u
#define NET_MIN_MSG NET_HDR
#define NET_MAX_MSG 16384u
#define NET_LIGHT 0u
#define NET_HEAVY 1u
#define NET_DEFAULT_PORT 61200u

struct net_hdr {
	uint32_t len;
	uint16_t kind;
	uint16_t cost;
	uint64_t seq;
};

/*
 * What a server may do while it hashes: call pause() after every `kib` KiB
 * (kiln: kiln_yield, so that the worker reaps its ring and other tasks
 * run); kib 0 means never.
 */
struct net_pause {
	unsigned int kib;
	void (*pause)(void);
};

/*
 * The request's cost: `kib` KiB of FNV-1a (64-bit, a byte at a time), over
 * the payload p[0..n) repeated.  FNV-1a's multiply chain makes it a few
 * cycles per byte, steady and impossible to vectorise: the cost of a request
 * is its size in KiB times a constant (bench/README.md).
 */
static inline uint64_t net_hash(const unsigned char *p, size_t n,
    unsigned int kib, const struct net_pause *pz)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t left = (size_t)kib * 1024, i, since = 0;

	if (n == 0)
		return h;
	while (left) {
		size_t m = left < n ? left : n;

		for (i = 0; i < m; i++) {
			h ^= p[i];
			h *= 0x100000001b3ull;
		}
		left -= m;
		since += m;
		if (pz && pz->kib && since >= (size_t)pz->kib * 1024) {
			pz->pause();
			since = 0;
		}
	}
	return h;
}

/*
 * Serve the complete messages at the start of buf[0..have): hash each as
 * its header asks (pausing as pz says, if pz), add the hashes to *sum and count them in *msgs.  Returns
 * the bytes they fill (to be sent back as they are), or -1 if a header is
 * not one of ours (the connection is then to be closed).
 */
static inline long net_serve(const unsigned char *buf, size_t have,
    uint64_t *sum, uint64_t *msgs, const struct net_pause *pz)
{
	size_t off = 0;

	while (have - off >= NET_HDR) {
		struct net_hdr h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.len < NET_MIN_MSG || h.len > NET_MAX_MSG)
			return -1;
		if (have - off < h.len)
			break;
		if (h.cost)
			*sum += net_hash(buf + off + NET_HDR, h.len - NET_HDR,
			    h.cost, pz);
		++*msgs;
		off += h.len;
	}
	return (long)off;
}

/* argv's number s in [lo, hi], for option opt; else say why and exit 2. */
static inline unsigned long net_num(const char *prog, int opt,
    const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v < lo ||
	    v > hi) {
		fprintf(stderr, "%s: -%c must be a number from %lu to %lu, "
		    "not '%s'\n", prog, opt, lo, hi, s);
		exit(2);
	}
	return v;
}

struct net_server_args {
	unsigned int port;
	unsigned int workers;   /* kiln workers, epoll threads */
	unsigned int acceptors; /* kiln: accept loops (tasks) */
	unsigned int backlog;
	unsigned int seconds;   /* at most this long */
	unsigned int yield_kib; /* kiln: kiln_yield every this many KiB */
};

static inline void net_server_args(int argc, char **argv,
    struct net_server_args *a)
{
	int c;

	a->port = NET_DEFAULT_PORT;
	a->workers = 1;
	a->acceptors = 1;
	a->backlog = SOMAXCONN;
	a->seconds = 600;
	a->yield_kib = 0;
	while ((c = getopt(argc, argv, "p:w:a:b:t:y:")) != -1) {
		switch (c) {
		case 'p':
			a->port = (unsigned)net_num(argv[0], c, optarg, 1,
			    65535);
			break;
		case 'w':
			a->workers = (unsigned)net_num(argv[0], c, optarg, 1,
			    256);
			break;
		case 'a':
			a->acceptors = (unsigned)net_num(argv[0], c, optarg, 1,
			    1024);
			break;
		case 'b':
			a->backlog = (unsigned)net_num(argv[0], c, optarg, 1,
			    65535);
			break;
		case 't':
			a->seconds = (unsigned)net_num(argv[0], c, optarg, 1,
			    86400);
			break;
		case 'y':
			a->yield_kib = (unsigned)net_num(argv[0], c, optarg, 0,
			    65535);
			break;
		default:
			fprintf(stderr, "usage: %s [-p PORT] [-w WORKERS] "
			    "[-a ACCEPTORS] [-b BACKLOG] [-t SECONDS] "
			    "[-y KIB]\n",
			    argv[0]);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0],
		    argv[optind]);
		exit(2);
	}
}

/* Let the process have as many descriptors as its hard limit allows. */
static inline void net_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/*
 * A TCP socket listening on 127.0.0.1:port (SO_REUSEPORT if reuseport, so
 * that each thread can have its own), or -errno.
 */
static inline int net_listen(unsigned int port, unsigned int backlog,
    int reuseport, int flags)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s, one = 1, err;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) < 0) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, (int)backlog) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* What every accepted connection gets, in both servers: no Nagle delay. */
static inline void net_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * Block SIGTERM and SIGINT in the calling thread (call it before starting
 * threads, which inherit the mask), so that net_wait_stop receives them.
 */
static inline void net_block_stop(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Wait for SIGTERM or SIGINT, or `seconds` at most. */
static inline void net_wait_stop(const sigset_t *set, unsigned int seconds)
{
	struct timespec ts = { .tv_sec = seconds };

	while (sigtimedwait(set, NULL, &ts) < 0 && errno == EINTR)
		;
}

static inline double net_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static inline void net_server_report(const char *server,
    unsigned int workers, uint64_t conns, uint64_t msgs, uint64_t sum,
    const char *extra)
{
	printf("server=%s workers=%u conns=%llu msgs=%llu sum=%llu "
	    "cpu=%.3f%s\n", server, workers, (unsigned long long)conns,
	    (unsigned long long)msgs, (unsigned long long)sum, net_cpu(),
	    extra ? extra : "");
	fflush(stdout);
}

#endif /* BENCH_NET_H */
