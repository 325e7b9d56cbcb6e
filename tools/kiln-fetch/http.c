/*
 * One HTTP/1.1 exchange: the GET request, and the response read through
 * parse.h into a struct http_resp, the body handed to its destination as
 * it arrives.  It knows nothing of sockets, TLS or kiln: bytes move
 * through a struct http_stream, so that the fuzzer (tests/fetch) drives
 * this very code with its inputs.  Used by fetch.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "parse.h"

struct exchange {
	struct http_resp *r;
	const struct http_body *b;
	int keep;               /* the body goes to b */
	int failed;             /* a callback of b failed */
};

static int name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Retry-After: seconds, or an HTTP date; -1 if neither. */
static long retry_after(const char *v, size_t n)
{
	char s[64];
	struct tm tm;
	time_t t;
	long secs = 0;
	size_t i;

	if (n && isdigit((unsigned char)v[0])) {
		for (i = 0; i < n && isdigit((unsigned char)v[i]); i++)
			if ((secs = secs * 10 + (v[i] - '0')) > 86400L * 365)
				return 86400L * 365;
		return i == n ? secs : -1;
	}
	if (n >= sizeof(s))
		return -1;
	memcpy(s, v, n);
	s[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return -1;
	t = timegm(&tm) - time(NULL);
	return t > 0 ? (long)t : 0;
}

static int on_header(void *ctx, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct http_resp *r = ((struct exchange *)ctx)->r;

	while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	if (name_is(name, nlen, "location")) {
		free(r->location);
		if (!(r->location = strndup(value, vlen)))
			return -ENOMEM;
	} else if (name_is(name, nlen, "retry-after")) {
		r->retry_after = retry_after(value, vlen);
	}
	return 0;
}

static int on_head(void *ctx, unsigned int status, uint64_t length)
{
	struct exchange *x = ctx;
	int k;

	x->r->status = status;
	x->r->length = length;
	if ((k = x->b->head(x->b->ctx, x->r)) < 0) {
		x->failed = 1;
		return k;
	}
	x->keep = k;
	return 0;
}

static int on_body(void *ctx, const char *p, size_t n)
{
	struct exchange *x = ctx;
	int e;

	x->r->bytes += n;
	if (x->keep && (e = x->b->data(x->b->ctx, p, n)) < 0) {
		x->failed = 1;
		return e;
	}
	return 0;
}

static const struct resp_events events = {
	.header = on_header,
	.head = on_head,
	.body = on_body,
};

struct resp_parser *http_new_parser(void)
{
	return rp_new(&events);
}

ssize_t http_request(char **buf, size_t *cap, const struct url *u,
    const char *agent)
{
	const char *fmt = "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s%s"
	    "User-Agent: %s\r\nAccept: */*\r\n\r\n";
	const char *a1 = u->auth ? "Authorization: Basic " : "";
	const char *a2 = u->auth ? u->auth : "", *a3 = u->auth ? "\r\n" : "";
	int n = snprintf(*buf, *cap, fmt, u->target, u->hostport, a1, a2, a3,
	    agent);
	char *b;

	if (n < 0)
		return -EINVAL;
	if ((size_t)n < *cap)
		return n;
	/* A long URL: a buffer to fit. */
	if (!(b = realloc(*buf, (size_t)n + 1)))
		return -ENOMEM;
	*buf = b;
	*cap = (size_t)n + 1;
	return snprintf(b, *cap, fmt, u->target, u->hostport, a1, a2, a3,
	    agent);
}

void http_resp_free(struct http_resp *r)
{
	free(r->location);
	r->location = NULL;
}

static int failed(struct failure *f, enum fail_kind kind, int err)
{
	f->kind = err == -ETIME ? F_TIMEOUT : kind;
	f->err = err;
	return err < 0 ? err : -EPROTO;
}

/* The response ended with the connection: complete, or how not. */
static int at_end(struct resp_parser *rp, struct failure *f)
{
	enum rp_state st = rp_state(rp);

	if (st == RP_IDLE)
		return failed(f, F_EMPTY, -ENODATA);
	if (rp_eof(rp) == 0)
		return 0;
	if (st == RP_BODY)
		return failed(f, F_PARTIAL, -EPIPE);
	return failed(f, F_PROTO, rp_error(rp));
}

int http_exchange(struct resp_parser *rp, const struct http_stream *s,
    const char *req, size_t len, char *buf, size_t cap,
    const struct http_body *b, struct http_resp *r, struct failure *f)
{
	struct exchange x = { r, b, 0, 0 };
	ssize_t n, used;

	memset(r, 0, sizeof(*r));
	r->length = UINT64_MAX;
	r->retry_after = -1;
	rp_reset(rp, &x);
	if ((n = s->send(s->io, req, len)) < 0)
		return failed(f, F_SEND, (int)n);
	for (;;) {
		n = s->recv(s->io, buf, cap);
		if (n < 0)
			return failed(f, F_RECV, (int)n);
		if (n == 0)
			return at_end(rp, f);
		r->got_bytes = 1;
		used = rp_feed(rp, buf, (size_t)n);
		if (used < 0 && x.failed)
			return failed(f, F_WRITE, (int)used);
		if (used < 0)
			return failed(f, F_PROTO, used == -EPROTO ?
			    rp_error(rp) : (int)used);
		if (rp_state(rp) == RP_DONE) {
			/* Bytes after the response: not a clean connection. */
			r->keep_alive = rp_keep_alive(rp) && used == n;
			return 0;
		}
	}
}
