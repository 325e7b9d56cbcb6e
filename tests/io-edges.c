/*
 * Edges that every I/O path must treat alike (each found by a user's
 * trial where io_uring and the fallback differed): an offset on a pipe or
 * socket is ignored, MSG_WAITALL waits for all, kiln_poll reports only
 * the events asked for (and errors), and an accept that cannot succeed
 * fails at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io-suite.h"

struct edges {
	int sv[2], quiet[2];
	long wrote_at, read_at, waitall, accept_pair, accept_flags;
	int polled;
	char buf[32];
};

/* The other end sends 10 bytes in two pieces, a moment apart. */
static void two_pieces(void *p)
{
	struct edges *e = p;

	kiln_sleep(20 * MS);
	send(e->sv[1], "01234", 5, 0);
	kiln_sleep(20 * MS);
	send(e->sv[1], "56789", 5, 0);
}

static void edges_task(void *p)
{
	struct edges *e = p;
	kiln_task t;

	/* An offset on a pipe or socket is ignored (it is not an error). */
	e->wrote_at = kiln_write(e->sv[1], "hello", 5, 4096);
	e->read_at = kiln_read(e->sv[0], e->buf, sizeof(e->buf), 4096);
	/* All 10 bytes, though they come in two pieces. */
	kiln_spawn(&t, two_pieces, e);
	e->waitall = kiln_recv(e->sv[0], e->buf, 10, MSG_WAITALL);
	kiln_sync(&t);
	/* The peer shuts down its side: POLLIN (EOF), never POLLRDHUP,
	 * which was not asked for. */
	shutdown(e->sv[1], SHUT_WR);
	e->polled = kiln_poll(e->sv[0], POLLIN);
	/* Not a listening socket (one that nothing will ever make
	 * readable); then flags accept4 does not know.  Both fail at once:
	 * a wait for readability first would end only with the timeout. */
	kiln_timeout(5000 * MS);
	e->accept_pair = kiln_accept(e->quiet[0], NULL, NULL, 0);
	kiln_timeout(5000 * MS);
	e->accept_flags = kiln_accept(e->quiet[0], NULL, NULL, 0x40000000);
}

Test(io, edges_every_path_treats_alike)
{
	struct edges e;

	memset(&e, 0, sizeof(e));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    e.sv), 0));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    e.quiet), 0));
	run_on(pool, edges_task, &e);
	cr_expect(eq(long, e.wrote_at, 5), "kiln_write at an offset, socket");
	cr_expect(eq(long, e.read_at, 5), "kiln_read at an offset, socket");
	cr_expect(eq(long, e.waitall, 10), "kiln_recv with MSG_WAITALL");
	cr_expect(eq(int, memcmp(e.buf, "0123456789", 10), 0),
	    "bytes received");
	cr_expect(eq(int, e.polled, POLLIN), "kiln_poll(POLLIN) saw %#x",
	    e.polled);
	cr_expect(eq(long, e.accept_pair, (long)-EINVAL),
	    "kiln_accept on a connected socket");
	cr_expect(eq(long, e.accept_flags, (long)-EINVAL),
	    "kiln_accept with unknown flags");
	close(e.sv[0]);
	close(e.sv[1]);
	close(e.quiet[0]);
	close(e.quiet[1]);
}
