/*
 * kiln_getaddrinfo: name resolution that parks the calling task.
 *
 * This backend runs getaddrinfo(3) on the pool's helper threads (io.c's
 * helper waits), so it resolves exactly as the C library does: nsswitch.conf
 * decides the sources (files, dns, ...), /etc/hosts included.  The lookup
 * owns copies of its arguments and its result: a task that gives up
 * (kiln_timeout, or destroy) returns at once, and the lookup, still running
 * on its helper, frees itself when it ends.
 *
 * Another backend (for example c-ares, waiting for its sockets with
 * kiln_poll) would replace this file; the call stays the same.
 *
 * Uses io.h (helper waits); used by nothing else in lib/.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "alloc.h"
#include "io.h"
#include "kiln.h"
#include "park.h"

struct lookup {
	struct kiln__helper_wait hw;   /* first: the lookup is its address */
	char *node, *service;          /* copies, or NULL */
	struct addrinfo hints;
	int has_hints;
	int ret;                       /* getaddrinfo's */
	struct addrinfo *res;          /* until the task takes it */
};

static char *copy(const char *s)
{
	size_t n;
	char *c;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	c = kiln__alloc(n);
	if (c)
		memcpy(c, s, n);
	return c;
}

static void discard(struct kiln__helper_wait *hw)
{
	struct lookup *l = (struct lookup *)hw;

	if (l->res)
		freeaddrinfo(l->res);
	kiln__free(l->node);
	kiln__free(l->service);
	kiln__free(l);
}

/* On a helper thread. */
static void run(struct kiln__work *work)
{
	struct lookup *l = (struct lookup *)(void *)work;

	l->ret = getaddrinfo(l->node, l->service,
	    l->has_hints ? &l->hints : NULL, &l->res);
	if (l->ret != 0)
		l->res = NULL;
	kiln__helper_done(&l->hw);
}

static struct lookup *lookup_new(const char *node, const char *service,
    const struct addrinfo *hints)
{
	struct lookup *l = kiln__zalloc(sizeof(*l));

	if (!l)
		return NULL;
	l->node = copy(node);
	l->service = copy(service);
	if ((node && !l->node) || (service && !l->service)) {
		kiln__free(l->node);
		kiln__free(l->service);
		kiln__free(l);
		return NULL;
	}
	if (hints) {
		l->hints = *hints;
		/* getaddrinfo reads only the flags, family, type, protocol. */
		l->hints.ai_addrlen = 0;
		l->hints.ai_addr = NULL;
		l->hints.ai_canonname = NULL;
		l->hints.ai_next = NULL;
		l->has_hints = 1;
	}
	l->hw.work.fn = run;
	l->hw.discard = discard;
	return l;
}

int kiln_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	struct lookup *l;
	int ret;

	if (!res)
		return -EINVAL;
	if (!kiln__wio_self())
		return getaddrinfo(node, service, hints, res);
	l = lookup_new(node, service, hints);
	if (!l)
		return EAI_MEMORY;
	ret = kiln__helper_wait(&l->hw);
	if (ret == 0) {
		ret = l->ret;
		if (ret == 0) {
			*res = l->res;
			l->res = NULL;
		}
	} else if (ret == -ENOMEM) {
		ret = EAI_MEMORY;
	} else if (ret == -EAGAIN) {
		ret = EAI_AGAIN;
	}
	kiln__helper_release(&l->hw);
	return ret;
}
