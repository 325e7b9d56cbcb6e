/*
 * The HTTP/1.x response parser, behind an interface of our own so that the
 * library under it (libhttp-parser today) can be swapped.
 */
#ifndef KILN_FETCH_PARSE_H
#define KILN_FETCH_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What the parser reports, for the final response only (interim 1xx
 * responses are skipped).  Each returns 0 to go on, or a negative errno
 * that stops the parser and comes out of rp_feed.
 */
struct resp_events {
	/* A complete header line; name and value are not terminated. */
	int (*header)(void *ctx, const char *name, size_t nlen,
	    const char *value, size_t vlen);
	/* The status line and headers are in; length: Content-Length, or
	 * UINT64_MAX when the body is chunked or ends with the connection. */
	int (*head)(void *ctx, unsigned int status, uint64_t length);
	/* Body bytes, decoded from chunks. */
	int (*body)(void *ctx, const char *p, size_t n);
};

enum rp_state { RP_IDLE, RP_HEAD, RP_BODY, RP_DONE };

struct resp_parser;

struct resp_parser *rp_new(const struct resp_events *ev);
void rp_free(struct resp_parser *rp);
/* Ready for a response, whose events get ctx.  Before the first feed. */
void rp_reset(struct resp_parser *rp, void *ctx);

/*
 * Parse n bytes: the number used, less than n only once the response is
 * complete; or a callback's negative errno, or -EPROTO for a malformed
 * response (rp_error then tells what).
 */
ssize_t rp_feed(struct resp_parser *rp, const char *buf, size_t n);

/* The connection has ended: completes a body that ends with it.  0, or
 * -EPROTO if the response was cut short. */
int rp_eof(struct resp_parser *rp);

enum rp_state rp_state(const struct resp_parser *rp);
/* May the connection carry another exchange (once RP_DONE)? */
int rp_keep_alive(const struct resp_parser *rp);
/* After -EPROTO: a number for rp_strerror. */
int rp_error(const struct resp_parser *rp);
const char *rp_strerror(int err);

#endif
