/*
 * kiln-fetch's descriptor budget (budget.h).  The lanes are as many as
 * the descriptors free allow, but the process may run out all the same:
 * the resolver, OpenSSL and kiln's helpers open files too, and the idle
 * connections kept for reuse (conn.c) pile up, one per origin and more.
 * An idle connection is the first to go: closing one costs at most a new
 * connection later.  Then tools/common's wait.  Uses conn.c and
 * tools/common's fds.c; used by main.c, conn.c, sink.c and park.c.
 */
#include "config.h"

#include <errno.h>

#include "budget.h"
#include "conn.h"
#include "fds.h"
#include "tool.h"

/*
 * Descriptors kept aside from the lanes when they are plenty: the gates
 * of --max-per-host (an eventfd per origin), the latches of host names
 * resolved while other tasks wait (one each, while they do), and the
 * files the resolver reads.  When they are few: two for the resolver at
 * least, if they can be had (it reads /etc/hosts and the like, and fails
 * a name for good if it cannot), no gates (no more lanes than
 * --max-per-host), and no latch eventfds (waiters look between sleeps).
 */
#define SPARE_FDS 16u
#define RESOLVER_FDS 2u

/* Zero, as a static object is, is the counters' start. */
static struct tool_fds fds;
static int tight;       /* set before the run */

unsigned int budget_lanes(unsigned int want, unsigned int per_lane,
    unsigned int per_host, unsigned int *free_fds, unsigned int *need)
{
	unsigned int n = tool_fds_free(want * per_lane + SPARE_FDS), spare;

	*free_fds = n;
	*need = per_lane;
	if (n < per_lane)
		return 0;
	if (n >= want * per_lane + SPARE_FDS)
		return want;
	tight = 1;
	spare = n / 4 > RESOLVER_FDS ? n / 4 : RESOLVER_FDS;
	if (spare > SPARE_FDS)
		spare = SPARE_FDS;
	/* One lane at least: it resolves while it holds nothing. */
	n = n > spare ? (n - spare) / per_lane : 0;
	if (per_host && n > per_host)
		n = per_host;
	return n < want ? (n ? n : 1) : want;
}

int budget_tight(void)
{
	return tight;
}

void budget_room_to_resolve(void)
{
	if (!tight)
		return;
	while (tool_fds_free(RESOLVER_FDS) < RESOLVER_FDS &&
	    conn_close_idle())
		;
}

/* fn, with idle connections closed while they are what is missing. */
struct attempt {
	int (*fn)(void *);
	void *arg;
};

static int attempt(void *p)
{
	struct attempt *a = p;
	int fd;

	while (((fd = a->fn(a->arg)) == -EMFILE || fd == -ENFILE) &&
	    conn_close_idle())
		;
	return fd;
}

int budget_open(unsigned int held, int (*fn)(void *arg), void *arg)
{
	struct attempt a = { fn, arg };

	return tool_fds_open(&fds, held, attempt, &a);
}

void budget_closed(void)
{
	tool_fds_closed(&fds);
}
