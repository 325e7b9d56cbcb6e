/*
 * The DNS cache: concurrent lookups of one host are coalesced into one
 * kiln_getaddrinfo, and its answer is kept for the run (200 parallel
 * transfers to one host must not send 200 queries).
 *
 * A host is a record of the lock-free table (table.c) holding a pointer to
 * its current resolution.  Whoever installs a resolution (compare-and-swap
 * from the previous one) resolves it; the others wait on its latch
 * (park.c), each until its own deadline.  An answer is final, except a
 * transient failure (the resolver's own deadline ran out, the pool is
 * going, EAI_AGAIN): the next task to look the host up installs a new
 * resolution and tries again.  Replaced resolutions stay chained to the
 * host until dns_fini, since waiters may still read them.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <kiln.h>

#include "budget.h"
#include "dns.h"
#include "park.h"
#include "table.h"
#include "tool.h"

struct resolution {
	struct latch done;
	/* Written by the resolver before latch_open. */
	int err;
	struct addrinfo *ai;
	struct resolution *older;
};

struct host {
	struct table_node node;
	_Atomic(struct resolution *) cur;
};

static struct table hosts;

static struct table_node *host_make(const char *name)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h || !(h->node.key = strdup(name))) {
		free(h);
		return NULL;
	}
	atomic_init(&h->cur, NULL);
	return &h->node;
}

static void host_drop(struct table_node *n)
{
	struct host *h = (struct host *)n;
	struct resolution *r = atomic_load_explicit(&h->cur,
	    memory_order_relaxed), *older;

	/* Relaxed: after the run (or never published). */
	for (; r; r = older) {
		older = r->older;
		if (r->ai)
			freeaddrinfo(r->ai);
		latch_fini(&r->done);
		free(r);
	}
	free(h->node.key);
	free(h);
}

static int transient(int err)
{
	return err == -ETIME || err == -ECANCELED || err == EAI_AGAIN;
}

static void resolve(const char *name, struct resolution *r,
    uint64_t deadline)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* A numeric address is only parsed, which never waits: no need to
	 * hand it to kiln's helper threads. */
	hints.ai_flags = AI_NUMERICHOST;
	r->err = getaddrinfo(name, NULL, &hints, &r->ai);
	hints.ai_flags = 0;
	if (r->err == EAI_NONAME) {
		/* It reads files, and gives up a name it cannot read them
		 * for. */
		budget_room_to_resolve();
		if (!(r->err = deadline_arm(deadline)))
			r->err = kiln_getaddrinfo(name, NULL, &hints, &r->ai);
	}
	if (!r->err && !r->ai)
		r->err = EAI_NONAME;
	latch_open(&r->done);
}

int dns_lookup(const char *name, uint64_t deadline,
    const struct addrinfo **ai)
{
	struct host *h = (struct host *)table_get(&hosts, name, host_make,
	    host_drop);
	struct resolution *r, *mine;
	int e;

	if (!h)
		return EAI_MEMORY;
	for (;;) {
		/* Acquire: pairs with the release of the CAS below, for the
		 * resolution's latch. */
		r = atomic_load_explicit(&h->cur, memory_order_acquire);
		if (!r || (latch_is_open(&r->done) && transient(r->err))) {
			if (!(mine = calloc(1, sizeof(*mine))))
				return EAI_MEMORY;
			latch_init(&mine->done);
			mine->older = r;
			/* Release: publishes mine's latch to the loads above;
			 * one task wins, and only it resolves. */
			if (!atomic_compare_exchange_strong_explicit(&h->cur,
			    &r, mine, memory_order_release,
			    memory_order_relaxed)) {
				latch_fini(&mine->done);
				free(mine);
				continue;
			}
			resolve(name, mine, deadline);
			r = mine;
		} else {
			if ((e = latch_wait(&r->done, deadline)) < 0)
				return e;
			/* The resolver's deadline, not ours, ran out. */
			if (transient(r->err) && (!deadline ||
			    tool_now_ns() < deadline))
				continue;
		}
		if (r->err)
			return r->err;
		*ai = r->ai;
		return 0;
	}
}

void dns_fini(void)
{
	table_fini(&hosts, host_drop);
}
