/* Connections: one pool per origin (scheme, host, port), kept alive. */
#ifndef KILN_FETCH_CONN_H
#define KILN_FETCH_CONN_H

#include <stdint.h>
#include <sys/types.h>

#include "job.h"
#include "url.h"

struct origin;

struct conn {
	int fd;
	struct tls *tls;        /* NULL for http */
	struct origin *origin;
	uint64_t deadline;      /* bounds every call on it (0: none) */
	unsigned int uses;      /* exchanges before the current one */
};

/*
 * Set the bounds before the run: at most per_host connections per origin
 * (0: no limit but lanes, the most that can be in use at once).
 */
void conn_setup(unsigned int per_host, unsigned int lanes);

/*
 * A connection to u's origin, for one exchange: an idle one if the origin
 * has one, else a new one (resolving, connecting, and the TLS handshake,
 * within connect_ns nanoseconds if not 0), waiting while the origin has
 * its most in use.  Everything is bounded by deadline.  Returns 0 and *c,
 * or a negative errno with *f filled.  Inside a task.
 */
int conn_take(const struct url *u, uint64_t deadline, uint64_t connect_ns,
    struct conn **c, struct failure *f);

/* Done with c: kept for the next exchange if reuse, else closed; ok if
 * the exchange went well (then TLS is closed cleanly). */
void conn_give(struct conn *c, int reuse, int ok);

/* Plaintext over c, bounded by c->deadline: bytes, 0 at the end, or a
 * negative errno (-EPROTO: TLS; conn_tls_error gives OpenSSL's code). */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);
ssize_t conn_send(struct conn *c, const void *buf, size_t len);
unsigned long conn_tls_error(const struct conn *c);

/* Close one idle connection, of any origin: 1, or 0 if there was none.
 * Inside a task. */
int conn_close_idle(void);

/* Close every idle connection and free the pools.  After the run. */
void conn_fini(void);

#endif
