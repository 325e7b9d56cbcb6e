/*
 * The calls for servers and clients beyond the first ones: kiln_readv and
 * kiln_writev, kiln_sendmsg and kiln_recvmsg (UDP with addresses), and
 * kiln_getaddrinfo; their timeouts and their cancellation; and 10,000
 * idle connections, which on the fallback must not hold threads.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* Vectored reads and writes, content checked.                         */

#define VEC 7                  /* buffers of the vectors */
#define VLEN 1000              /* bytes of each */

struct vec {
	int fd, p[2];
	uint8_t out[VEC][VLEN], in[VEC][VLEN];
	long wrote, read, pwrote, pread, again;
};

static void set_iov(struct iovec *v, uint8_t b[VEC][VLEN])
{
	for (int i = 0; i < VEC; i++) {
		v[i].iov_base = b[i];
		v[i].iov_len = VLEN;
	}
}

static void vec_task(void *p)
{
	struct vec *x = p;
	struct iovec v[VEC];

	set_iov(v, x->out);
	x->pwrote = kiln_writev(x->fd, v, VEC, 4096);
	set_iov(v, x->in);
	x->pread = kiln_readv(x->fd, v, VEC, 4096);
	set_iov(v, x->out);
	x->wrote = kiln_writev(x->p[1], v, 2, -1);  /* 2000 bytes */
	set_iov(v, x->in);
	x->read = kiln_readv(x->p[0], v, VEC, -1);
	x->again = kiln_readv(x->fd, v, -1, 0);
}

Test(io, readv_writev_move_every_buffer)
{
	struct vec *x = calloc(1, sizeof(*x));

	cr_assert(not(eq(ptr, x, NULL)));
	for (int i = 0; i < VEC; i++)
		fill(x->out[i], VLEN, 42, (uint64_t)i * VLEN);
	x->fd = openat(dir, "vec", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(ge(int, x->fd, 0));
	cr_assert(eq(int, pipe2(x->p, O_CLOEXEC), 0));
	run_on(pool, vec_task, x);
	cr_expect(eq(long, x->pwrote, VEC * VLEN));
	cr_expect(eq(long, x->pread, VEC * VLEN));
	cr_expect(eq(long, x->wrote, 2 * VLEN));
	cr_expect(eq(long, x->read, 2 * VLEN));
	cr_expect(eq(long, x->again, (long)-EINVAL), "iovcnt -1");
	/* Buffers 0-1 from the pipe, 2-6 still from the file: each holds
	 * what was written from the same place of the vector. */
	for (int i = 0; i < VEC; i++)
		cr_expect(eq(sz, mismatch(x->in[i], VLEN, 42,
		    (uint64_t)i * VLEN), VLEN), "buffer %d", i);
	close(x->fd);
	close(x->p[0]);
	close(x->p[1]);
	free(x);
}

/* ------------------------------------------------------------------ */
/* UDP round trips through kiln_sendmsg and kiln_recvmsg.              */

#define DGRAMS 200

struct udp {
	int a, b;                 /* two bound sockets */
	struct sockaddr_in aa, ba;
	int bad_len, bad_from, bad_data, sent, echoed;
};

static int udp_socket(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(ge(int, fd, 0));
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(eq(int, bind(fd, (struct sockaddr *)a, sizeof(*a)), 0));
	cr_assert(eq(int, getsockname(fd, (struct sockaddr *)a, &len), 0));
	return fd;
}

/* b echoes each datagram to whoever sent it. */
static void udp_echo(void *p)
{
	struct udp *u = p;

	for (int i = 0; i < DGRAMS; i++) {
		uint8_t buf[256];
		struct sockaddr_in from;
		struct iovec v = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from,
		    .msg_namelen = sizeof(from), .msg_iov = &v,
		    .msg_iovlen = 1 };
		ssize_t n = kiln_recvmsg(u->b, &m, 0);

		if (n <= 0)
			return;
		v.iov_len = (size_t)n;
		if (kiln_sendmsg(u->b, &m, 0) == n)
			u->echoed++;
	}
}

/* a sends datagrams of two buffers and checks each echo: bytes, sender. */
static void udp_client(void *p)
{
	struct udp *u = p;

	for (int i = 0; i < DGRAMS; i++) {
		uint8_t out[100], in[128];
		struct sockaddr_in from;
		struct iovec ov[2] = { { out, 30 }, { out + 30, 70 } };
		struct iovec iv[2] = { { in, 10 }, { in + 10, 118 } };
		struct msghdr om = { .msg_name = &u->ba,
		    .msg_namelen = sizeof(u->ba), .msg_iov = ov,
		    .msg_iovlen = 2 };
		struct msghdr im = { .msg_name = &from,
		    .msg_namelen = sizeof(from), .msg_iov = iv,
		    .msg_iovlen = 2 };
		ssize_t n;

		fill(out, sizeof(out), 7, (uint64_t)i * 100);
		if (kiln_sendmsg(u->a, &om, 0) == 100)
			u->sent++;
		n = kiln_recvmsg(u->a, &im, 0);
		if (n != 100) {
			u->bad_len++;
			continue;
		}
		if (from.sin_port != u->ba.sin_port ||
		    from.sin_addr.s_addr != u->ba.sin_addr.s_addr)
			u->bad_from++;
		if (mismatch(in, 100, 7, (uint64_t)i * 100) != 100)
			u->bad_data++;
	}
}

static void udp_root(void *p)
{
	kiln_task echo;

	kiln_spawn(&echo, udp_echo, p);
	udp_client(p);
	kiln_sync(&echo);
}

Test(io, udp_round_trips_with_addresses)
{
	struct udp u;

	memset(&u, 0, sizeof(u));
	u.a = udp_socket(&u.aa);
	u.b = udp_socket(&u.ba);
	run_on(pool, udp_root, &u);
	cr_expect(eq(int, u.sent, DGRAMS));
	cr_expect(eq(int, u.echoed, DGRAMS));
	cr_expect(eq(int, u.bad_len, 0));
	cr_expect(eq(int, u.bad_from, 0), "echoes from the wrong address");
	cr_expect(eq(int, u.bad_data, 0));
	close(u.a);
	close(u.b);
}

/* ------------------------------------------------------------------ */
/* Timeouts on each new call.                                          */

struct tmo {
	int sv[2], p[2];
	long readv, recvmsg, writev, sendmsg;
};

static void tmo_task(void *p)
{
	struct tmo *t = p;
	static uint8_t big[1 << 16];
	char c[8];
	struct iovec v = { c, sizeof(c) }, bv = { big, sizeof(big) };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	struct msghdr bm = { .msg_iov = &bv, .msg_iovlen = 1 };

	kiln_timeout(TMO_NS);
	t->readv = kiln_readv(t->p[0], &v, 1, -1);
	kiln_timeout(TMO_NS);
	t->recvmsg = kiln_recvmsg(t->sv[0], &m, 0);
	/* Fill the socket, then one more write waits for room. */
	while (send(t->sv[0], big, sizeof(big), MSG_DONTWAIT) > 0)
		;
	kiln_timeout(TMO_NS);
	t->sendmsg = kiln_sendmsg(t->sv[0], &bm, 0);
	while (write(t->p[1], big, sizeof(big)) > 0)
		;
	kiln_timeout(TMO_NS);
	t->writev = kiln_writev(t->p[1], &bv, 1, -1);
}

Test(io, timeouts_bound_the_new_calls)
{
	struct tmo t;

	memset(&t, 0, sizeof(t));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    t.sv), 0));
	cr_assert(eq(int, pipe2(t.p, O_CLOEXEC), 0));
	cr_assert(eq(int, fcntl(t.p[1], F_SETFL, O_NONBLOCK), 0));
	run_on(pool, tmo_task, &t);
	cr_expect(eq(long, t.readv, (long)-ETIME));
	cr_expect(eq(long, t.recvmsg, (long)-ETIME));
	cr_expect(eq(long, t.sendmsg, (long)-ETIME));
	cr_expect(eq(long, t.writev, (long)-ETIME));
	close(t.sv[0]);
	close(t.sv[1]);
	close(t.p[0]);
	close(t.p[1]);
}

/* ------------------------------------------------------------------ */
/* kiln_getaddrinfo.                                                   */

struct lookup {
	const char *node;
	int r, family, port;
	uint32_t v4;
};

static void lookup_task(void *p)
{
	struct lookup *l = p;
	struct addrinfo hints = { .ai_family = AF_INET,
	    .ai_socktype = SOCK_STREAM }, *res = NULL;

	l->r = kiln_getaddrinfo(l->node, "8080", &hints, &res);
	if (l->r == 0) {
		struct sockaddr_in *a = (struct sockaddr_in *)res->ai_addr;

		l->family = res->ai_family;
		l->port = ntohs(a->sin_port);
		l->v4 = ntohl(a->sin_addr.s_addr);
		freeaddrinfo(res);
	}
}

Test(io, getaddrinfo_localhost_and_a_name_that_does_not_exist)
{
	struct lookup l = { .node = "localhost" };
	struct lookup bad = { .node = "kiln-no-such-host.invalid" };
	struct addrinfo *res = (struct addrinfo *)&l;

	run_on(pool, lookup_task, &l);
	cr_expect(eq(int, l.r, 0), "%s", gai_strerror(l.r));
	cr_expect(eq(int, l.family, AF_INET));
	cr_expect(eq(int, l.port, 8080));
	cr_expect(eq(u32, l.v4, INADDR_LOOPBACK));
	/* .invalid never resolves (RFC 6761): an EAI code, not a crash. */
	run_on(pool, lookup_task, &bad);
	cr_expect(bad.r == EAI_NONAME || bad.r == EAI_AGAIN ||
	    bad.r == EAI_FAIL || bad.r == EAI_NODATA, "%d: %s", bad.r,
	    gai_strerror(bad.r));
	cr_expect(eq(int, kiln_getaddrinfo("localhost", NULL, NULL, NULL),
	    -EINVAL));
	cr_expect(eq(ptr, res, (struct addrinfo *)&l), "res was touched");
}

/*
 * A name from the test's own hosts file: tests/io-hosts.sh runs this
 * suite in a private mount namespace with /etc/hosts replaced, and says
 * so in KILN_TEST_HOSTS; elsewhere the test does not apply.
 */
Test(io, getaddrinfo_reads_the_hosts_file)
{
	struct lookup l = { .node = "kiln-test-host.example" };

	if (!getenv("KILN_TEST_HOSTS"))
		cr_skip_test("only under tests/io-hosts.sh");
	run_on(pool, lookup_task, &l);
	cr_expect(eq(int, l.r, 0), "%s", gai_strerror(l.r));
	cr_expect(eq(u32, l.v4, 0xc0000262u), "192.0.2.98 expected");
}

/* Lookups overlap each other and the tasks that compute meanwhile. */
#define NLOOKUP 100

struct overlap {
	struct lookup l[NLOOKUP];
	kiln_pool *p;
	int failed, seen_waiting;
};

static void compute_and_watch(void *p)
{
	struct overlap *o = p;
	volatile uint64_t x = 0;

	for (int round = 0; round < 200; round++) {
		struct kiln_stats st;

		for (int i = 0; i < 20000; i++)
			x += (uint64_t)i * i;
		kiln_pool_stats(o->p, &st);
		if (st.io_waiting > 0)
			o->seen_waiting = 1;
		kiln_yield();
	}
}

static void overlap_root(void *p)
{
	struct overlap *o = p;
	kiln_task t[NLOOKUP], c;

	for (int i = 0; i < NLOOKUP; i++)
		kiln_spawn(&t[i], lookup_task, &o->l[i]);
	kiln_spawn(&c, compute_and_watch, o);
	for (int i = 0; i < NLOOKUP; i++)
		kiln_sync(&t[i]);
	kiln_sync(&c);
	for (int i = 0; i < NLOOKUP; i++)
		if (o->l[i].r != 0)
			o->failed++;
}

Test(io, lookups_overlap_computation_on_one_worker)
{
	struct overlap *o = calloc(1, sizeof(*o));
	int tries;

	cr_assert(not(eq(ptr, o, NULL)));
	o->p = make_pool(1);
	/*
	 * The one worker computes while lookups are in flight: a lookup that
	 * held the worker would end before the computing task could see it
	 * waiting.  A few tries, as lookups of localhost are quick.
	 */
	for (tries = 0; tries < 5 && !o->seen_waiting; tries++) {
		for (int i = 0; i < NLOOKUP; i++)
			o->l[i] = (struct lookup){ .node = "localhost" };
		run_on(o->p, overlap_root, o);
	}
	cr_expect(eq(int, o->failed, 0));
	cr_expect(eq(int, o->seen_waiting, 1), "never saw a lookup in flight "
	    "while the worker computed");
	kiln_pool_destroy(o->p);
	free(o);
}

/* A task that gives up on a lookup (timeout) gets -ETIME; the lookup
 * frees itself (LeakSanitizer checks, under ASan). */
struct giveup {
	int etime, ok, other;
};

static void giveup_task(void *p)
{
	struct giveup *g = p;

	for (int i = 0; i < 200 && !g->etime; i++) {
		struct addrinfo *res = NULL;
		int r;

		kiln_timeout(1);
		r = kiln_getaddrinfo("localhost", "http", NULL, &res);
		if (r == -ETIME)
			g->etime++;
		else if (r == 0)
			g->ok++, freeaddrinfo(res);
		else
			g->other++;
	}
}

Test(io, getaddrinfo_timeout_gives_up_and_the_lookup_frees_itself)
{
	struct giveup g = { 0 };

	run_on(pool, giveup_task, &g);
	cr_expect(eq(int, g.other, 0), "results other than 0 and -ETIME");
	cr_expect(eq(int, g.etime, 1), "a 1 ns bound never ran out first "
	    "in %d lookups", g.ok);
}

/* ------------------------------------------------------------------ */
/* Destroy with lookups and receives in flight.                         */

struct inflight {
	int sv[2];
	long recv, lookup;
	atomic_int done;
};

static void inflight_recv(void *p)
{
	struct inflight *f = p;
	char c;
	struct iovec v = { &c, 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

	f->recv = kiln_recvmsg(f->sv[0], &m, 0);
	atomic_fetch_add(&f->done, 1);
}

static void inflight_lookup(void *p)
{
	struct inflight *f = p;
	struct addrinfo *res;

	f->lookup = kiln_getaddrinfo("localhost", NULL, NULL, &res);
	if (f->lookup == 0)
		freeaddrinfo(res);
	atomic_fetch_add(&f->done, 1);
}

static void inflight_root(void *p)
{
	if (kiln_go(inflight_recv, p) != 0 || kiln_go(inflight_lookup, p) != 0)
		cr_fail("kiln_go");
}

Test(io, destroy_with_lookups_and_receives_in_flight)
{
	struct inflight f = { .recv = 1, .lookup = 1 };
	kiln_pool *p = make_pool(2);

	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    f.sv), 0));
	run_on(p, inflight_root, &f);
	cr_assert(eq(int, destroy_within(p, 10.0), 1));
	cr_expect(eq(int, ld(&f.done), 2));
	cr_expect(eq(long, f.recv, (long)-ECANCELED));
	cr_expect(f.lookup == 0 || f.lookup == -ECANCELED, "lookup: %ld",
	    f.lookup);
	close(f.sv[0]);
	close(f.sv[1]);
}

/* ------------------------------------------------------------------ */
/* 10,000 idle connections, and an active one among them.              */

#define IDLE 10000

static int threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct idle {
	int (*sv)[2];
	int active[2];
	atomic_int waiting, ended;
	long echo;
	int threads;
};

static void idle_recv(void *p)
{
	int *sv = p;
	char c;

	kiln_recv(sv[0], &c, 1, 0);  /* -ECANCELED at destroy */
}

static void idle_root(void *p)
{
	struct idle *x = p;
	char buf[8];

	for (int i = 0; i < IDLE; i++)
		if (kiln_go(idle_recv, x->sv[i]) != 0)
			cr_fail("kiln_go");
	/* Let every receive start waiting, then one connection is active. */
	for (int i = 0; i < 20; i++)
		kiln_yield();
	kiln_sleep(100 * MS);
	x->threads = threads_now();
	cr_assert(eq(long, kiln_send(x->active[1], "ping", 4, 0), 4));
	kiln_timeout(5000 * MS);
	x->echo = kiln_recv(x->active[0], buf, sizeof(buf), 0);
}

Test(io, ten_thousand_idle_connections_hold_no_threads)
{
	struct rlimit rl;
	struct idle *x = calloc(1, sizeof(*x));
	kiln_pool *p;
	int base;

	cr_assert(not(eq(ptr, x, NULL)));
	cr_assert(eq(int, getrlimit(RLIMIT_NOFILE, &rl), 0));
	if (rl.rlim_cur < 2 * IDLE + 256) {
		struct rlimit want = { 2 * IDLE + 256,
		    rl.rlim_max > 2 * IDLE + 256 ? rl.rlim_max :
		    2 * IDLE + 256 };

		if (setrlimit(RLIMIT_NOFILE, &want) != 0)
			cr_skip_test("RLIMIT_NOFILE %llu and not raised",
			    (unsigned long long)rl.rlim_cur);
	}
	x->sv = calloc(IDLE, sizeof(*x->sv));
	cr_assert(not(eq(ptr, x->sv, NULL)));
	for (int i = 0; i < IDLE; i++)
		cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_CLOEXEC, 0, x->sv[i]), 0));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    x->active), 0));
	base = threads_now();
	p = make_pool(2);
	run_on(p, idle_root, x);
	cr_expect(eq(long, x->echo, 4), "the active connection");
	/*
	 * The pool's own threads are its 2 workers; a helper thread per
	 * waiting receive would make 10,000 more.  64 leaves room for the
	 * kernel's io_uring workers and a few helpers.
	 */
	cr_expect(lt(int, x->threads - base, 64), "%d threads for %d idle "
	    "receives", x->threads - base, IDLE);
	cr_assert(eq(int, destroy_within(p, 30.0), 1));
	for (int i = 0; i < IDLE; i++) {
		close(x->sv[i][0]);
		close(x->sv[i][1]);
	}
	close(x->active[0]);
	close(x->active[1]);
	free(x->sv);
	free(x);
	setrlimit(RLIMIT_NOFILE, &rl);
}
