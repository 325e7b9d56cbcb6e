/*
 * Connections, pooled per origin and kept alive between exchanges.
 *
 * How tasks share an origin without a lock.  Each origin (a record of the
 * lock-free table of table.c, made by the first task that needs it) has
 *
 *  - a gate (park.c) holding its free connection slots, --max-per-host of
 *    them: a task enters before it takes a connection and leaves when it
 *    gives it back, so at most that many are in use; the others park in
 *    gate_enter until one is given back.  Without a limit there is no
 *    gate: the lanes bound the connections in use.
 *  - an array of as many idle-connection slots, each an atomic pointer: a
 *    task takes an idle connection by exchanging a slot with NULL, and
 *    keeps one by a compare-and-swap of a NULL slot.  Exchange and CAS on
 *    single pointers have no ABA problem.  A connection given back when
 *    every slot is full (it cannot happen while the gate holds, but costs
 *    nothing to handle) is closed.
 *  - the slot of the TLS session to resume (tls.c).
 *
 * An idle connection may have been closed by the server meanwhile: it is
 * checked with a non-blocking peek before reuse, and fetch.c retries an
 * exchange that failed on a reused connection before any response byte.
 * Every connection's socket is counted in budget.c, which closes idle
 * connections (conn_close_idle) when the descriptors run out.
 * Uses dns.c, tls.c, park.c, table.c and budget.c; used by fetch.c and
 * budget.c.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kiln.h>

#include "budget.h"
#include "conn.h"
#include "dns.h"
#include "park.h"
#include "table.h"
#include "tls.h"
#include "tool.h"

struct origin {
	struct table_node node;
	int gated;
	struct gate gate;
	_Atomic(struct conn *) *idle;
	struct tls_resume res;
};

static struct table origins;
static unsigned int slots;      /* idle slots per origin */
static int limited;             /* origins have a gate */

void conn_setup(unsigned int per_host, unsigned int lanes)
{
	limited = per_host && per_host < lanes;
	slots = limited ? per_host : lanes;
	if (!slots)
		slots = 1;
}

/* clean: the connection is fine, we are only done with it. */
static void close_conn(struct conn *c, int clean)
{
	if (c->tls && clean)
		tls_close(c->tls, c->fd);
	tls_free(c->tls);
	kiln_close(c->fd);
	budget_closed();
	free(c);
}

static void origin_drop(struct table_node *n)
{
	struct origin *o = (struct origin *)n;
	unsigned int i;

	if (o->idle)
		for (i = 0; i < slots; i++) {
			/* Relaxed: after the run. */
			struct conn *c = atomic_load_explicit(&o->idle[i],
			    memory_order_relaxed);

			if (c)
				close_conn(c, 1);
		}
	if (o->gated)
		gate_fini(&o->gate);
	tls_resume_fini(&o->res);
	free(o->idle);
	free(o->node.key);
	free(o);
}

static struct table_node *origin_make(const char *key)
{
	struct origin *o = calloc(1, sizeof(*o));
	unsigned int i;

	if (!o)
		return NULL;
	o->node.key = strdup(key);
	o->idle = calloc(slots, sizeof(*o->idle));
	if (!o->node.key || !o->idle) {
		free(o->idle);
		o->idle = NULL;
		origin_drop(&o->node);
		return NULL;
	}
	o->gated = limited;
	if (limited)
		gate_init(&o->gate, slots);
	for (i = 0; i < slots; i++)
		atomic_init(&o->idle[i], NULL);
	atomic_init(&o->res.session, NULL);
	return &o->node;
}

/* Still open, with nothing unread?  A non-blocking peek, no wait. */
static int alive(const struct conn *c)
{
	char b;

	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct conn *pop_idle(struct origin *o)
{
	unsigned int i;

	for (i = 0; i < slots; i++) {
		/* Acquire: pairs with the release CAS in push_idle; we then
		 * own the connection and see what its last user wrote. */
		struct conn *c = atomic_exchange_explicit(&o->idle[i], NULL,
		    memory_order_acquire);

		if (!c)
			continue;
		if (alive(c))
			return c;
		close_conn(c, 1);
	}
	return NULL;
}

/* table_each: close an idle connection of the origin n, if it has one. */
static int close_one(struct table_node *n, void *arg)
{
	struct origin *o = (struct origin *)n;
	unsigned int i;

	(void)arg;
	for (i = 0; i < slots; i++) {
		/* Acquire: as in pop_idle. */
		struct conn *c = atomic_exchange_explicit(&o->idle[i], NULL,
		    memory_order_acquire);

		if (c) {
			close_conn(c, 1);
			return 1;
		}
	}
	return 0;
}

int conn_close_idle(void)
{
	return table_each(&origins, close_one, NULL);
}

static void push_idle(struct origin *o, struct conn *c)
{
	unsigned int i;

	for (i = 0; i < slots; i++) {
		struct conn *none = NULL;

		/* Release: publishes c to the exchange in pop_idle. */
		if (atomic_compare_exchange_strong_explicit(&o->idle[i],
		    &none, c, memory_order_release, memory_order_relaxed))
			return;
	}
	close_conn(c, 1);
}

static void fail(struct failure *f, enum fail_kind kind, int err)
{
	f->kind = err == -ETIME ? F_TIMEOUT : err == -ECANCELED ? F_CANCELED :
	    kind;
	f->err = err;
}

static int make_socket(void *ai)
{
	int fd = socket(((const struct addrinfo *)ai)->ai_family,
	    SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* A connected socket to one of ai's addresses, tried in order. */
static int dial(const struct addrinfo *ai, unsigned int port,
    uint64_t deadline, struct failure *f)
{
	struct sockaddr_storage ss;
	int fd, r = -EHOSTUNREACH, one = 1;

	for (; ai; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(ss) ||
		    (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
			continue;
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port =
			    htons((uint16_t)port);
		fd = budget_open(0, make_socket, (void *)ai);
		if (fd < 0) {
			r = fd;
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if ((r = deadline_arm(deadline)) == 0 &&
		    (r = kiln_connect(fd, (struct sockaddr *)&ss,
		    ai->ai_addrlen)) == 0)
			return fd;
		kiln_close(fd);
		budget_closed();
		if (r == -ETIME || r == -ECANCELED)
			break;
	}
	fail(f, F_CONNECT, r);
	return r;
}

static int conn_open(struct origin *o, const struct url *u,
    uint64_t deadline, struct conn **out, struct failure *f)
{
	const struct addrinfo *ai;
	struct conn *c;
	int r = dns_lookup(u->host, deadline, &ai);

	if (r) {
		fail(f, F_DNS, r);
		return -EHOSTUNREACH;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		fail(f, F_NOMEM, -ENOMEM);
		return -ENOMEM;
	}
	c->origin = o;
	if ((c->fd = dial(ai, u->port, deadline, f)) < 0) {
		r = c->fd;
		free(c);
		return r;
	}
	if (u->tls) {
		if (!tls_ready())
			r = -ENOPROTOOPT;
		else if ((r = tls_new(&c->tls, u->host, u->numeric,
		    &o->res)) == 0)
			r = tls_handshake(c->tls, c->fd, deadline, f);
		if (r == -ENOPROTOOPT || r == -ENOMEM)
			fail(f, F_TLS, r);
		if (r < 0) {
			close_conn(c, 0);
			return r;
		}
	}
	*out = c;
	return 0;
}

int conn_take(const struct url *u, uint64_t deadline, uint64_t connect_ns,
    struct conn **out, struct failure *f)
{
	struct origin *o = (struct origin *)table_get(&origins, u->origin,
	    origin_make, origin_drop);
	struct conn *c;
	int r;

	if (!o) {
		fail(f, F_NOMEM, -ENOMEM);
		return -ENOMEM;
	}
	if (o->gated && (r = gate_enter(&o->gate, deadline)) < 0) {
		fail(f, F_CONNECT, r);
		return r;
	}
	if (!(c = pop_idle(o))) {
		r = conn_open(o, u, deadline_min(deadline,
		    connect_ns ? tool_now_ns() + connect_ns : 0), &c, f);
		if (r < 0) {
			if (o->gated)
				gate_leave(&o->gate);
			return r;
		}
	}
	c->deadline = deadline;
	*out = c;
	return 0;
}

void conn_give(struct conn *c, int reuse, int ok)
{
	struct origin *o = c->origin;

	if (reuse) {
		c->uses++;
		push_idle(o, c);
	} else {
		close_conn(c, ok);
	}
	if (o->gated)
		gate_leave(&o->gate);
}

ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
	ssize_t n;
	int r;

	if (c->tls)
		return tls_recv(c->tls, c->fd, buf, len, c->deadline);
	do {
		if ((r = deadline_arm(c->deadline)) < 0)
			return r;
		n = kiln_recv(c->fd, buf, len, 0);
	} while (n == -EINTR);
	return n;
}

ssize_t conn_send(struct conn *c, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int r;

	if (c->tls)
		return tls_send(c->tls, c->fd, buf, len, c->deadline);
	while (done < len) {
		if ((r = deadline_arm(c->deadline)) < 0)
			return r;
		n = kiln_send(c->fd, (const char *)buf + done, len - done, 0);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		done += (size_t)n;
	}
	return (ssize_t)len;
}

unsigned long conn_tls_error(const struct conn *c)
{
	return c->tls ? tls_error(c->tls) : 0;
}

void conn_fini(void)
{
	table_fini(&origins, origin_drop);
}
