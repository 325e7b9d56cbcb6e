/* One HTTP/1.1 exchange: a GET request and its response. */
#ifndef KILN_FETCH_HTTP_H
#define KILN_FETCH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"
#include "url.h"

struct http_resp {
	unsigned int status;
	uint64_t length;        /* Content-Length, or UINT64_MAX */
	uint64_t bytes;         /* body bytes received */
	char *location;         /* Location, malloc'd, or NULL */
	long retry_after;       /* Retry-After in seconds, or -1 */
	int keep_alive;         /* the connection may carry another */
	int got_bytes;          /* any byte of a response came */
};

/* How the exchange moves bytes (a connection, or the fuzzer's input). */
struct http_stream {
	/* Send all of buf: len, or a negative errno. */
	ssize_t (*send)(void *io, const void *buf, size_t len);
	/* Bytes received, 0 at the end, or a negative errno. */
	ssize_t (*recv)(void *io, void *buf, size_t len);
	void *io;
};

/* Where the body goes. */
struct http_body {
	/* The status and headers are in *r: 1 to have the body, 0 to drop
	 * it, or a negative errno. */
	int (*head)(void *ctx, const struct http_resp *r);
	/* 0 or a negative errno (the failure is then F_WRITE). */
	int (*data)(void *ctx, const char *p, size_t n);
	void *ctx;
};

struct resp_parser;

/* The parser an exchange uses (one per lane): NULL if out of memory. */
struct resp_parser *http_new_parser(void);

/* The request for u into *buf (malloc'd, *cap bytes; made larger for a
 * long URL): its length, or -ENOMEM. */
ssize_t http_request(char **buf, size_t *cap, const struct url *u,
    const char *agent);

/*
 * Send the request req (len bytes) and read the response with rp into
 * *r (which http_resp_free frees), the body to b, buf (cap bytes) as the
 * receive buffer.  Returns 0, or a negative errno with *f filled.
 */
int http_exchange(struct resp_parser *rp, const struct http_stream *s,
    const char *req, size_t len, char *buf, size_t cap,
    const struct http_body *b, struct http_resp *r, struct failure *f);

void http_resp_free(struct http_resp *r);

#endif
