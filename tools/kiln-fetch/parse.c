/*
 * parse.h over libhttp-parser 2.9 (Node's former parser, in Debian 12):
 * it checks the syntax, decodes chunks and tracks Content-Length and
 * keep-alive; this file joins header names and values that arrive in
 * pieces, skips interim 1xx responses and stops at the end of the final
 * one (by pausing the parser).  Used by http.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "parse.h"

struct resp_parser {
	http_parser p;
	const struct resp_events *ev;
	void *ctx;
	char *line;             /* the header being read: name then value */
	size_t cap, nlen, vlen;
	int in_value;
	int cb_err;             /* a callback's error */
	enum rp_state state;
};

static struct resp_parser *of(http_parser *p)
{
	return (struct resp_parser *)p;
}

/* Not an interim 1xx response (known once the status line is in). */
static int final(const http_parser *p)
{
	return p->status_code >= 200 || p->status_code == 101;
}

static int append(struct resp_parser *rp, const char *at, size_t n)
{
	size_t len = rp->nlen + rp->vlen;

	if (len + n > rp->cap) {
		size_t cap = rp->cap ? rp->cap : 256;
		char *l;

		while (cap < len + n)
			cap *= 2;
		if (!(l = realloc(rp->line, cap))) {
			rp->cb_err = -ENOMEM;
			return -1;
		}
		rp->line = l;
		rp->cap = cap;
	}
	memcpy(rp->line + len, at, n);
	return 0;
}

/* Hand the header read so far to the caller. */
static int flush_header(struct resp_parser *rp)
{
	int r = 0;

	if (rp->in_value && final(&rp->p))
		r = rp->ev->header(rp->ctx, rp->line, rp->nlen,
		    rp->line + rp->nlen, rp->vlen);
	rp->nlen = rp->vlen = 0;
	rp->in_value = 0;
	if (r < 0) {
		rp->cb_err = r;
		return -1;
	}
	return 0;
}

static int on_begin(http_parser *p)
{
	struct resp_parser *rp = of(p);

	rp->state = RP_HEAD;
	rp->nlen = rp->vlen = 0;
	rp->in_value = 0;
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t n)
{
	struct resp_parser *rp = of(p);

	if (rp->in_value && flush_header(rp) < 0)
		return -1;
	if (append(rp, at, n) < 0)
		return -1;
	rp->nlen += n;
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t n)
{
	struct resp_parser *rp = of(p);

	rp->in_value = 1;
	if (append(rp, at, n) < 0)
		return -1;
	rp->vlen += n;
	return 0;
}

static int on_headers(http_parser *p)
{
	struct resp_parser *rp = of(p);
	uint64_t len = UINT64_MAX;
	int r, nobody;

	/* A header without a value comes here without on_value. */
	rp->in_value = rp->in_value || rp->nlen;
	if (flush_header(rp) < 0)
		return -1;
	/* 1xx, 204 and 304 responses have no body, whatever their headers
	 * say: returning 1 tells the parser so. */
	if (!final(p))
		return 1;
	if (p->status_code == 101) {
		/* We asked for no upgrade. */
		rp->cb_err = -EPROTO;
		return -1;
	}
	nobody = p->status_code == 204 || p->status_code == 304;
	if (nobody)
		len = 0;
	else if (!(p->flags & F_CHUNKED) && (p->flags & F_CONTENTLENGTH))
		len = p->content_length;
	rp->state = RP_BODY;
	if ((r = rp->ev->head(rp->ctx, p->status_code, len)) < 0) {
		rp->cb_err = r;
		return -1;
	}
	return nobody;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct resp_parser *rp = of(p);
	int r;

	if (!final(p))
		return 0;
	if ((r = rp->ev->body(rp->ctx, at, n)) < 0) {
		rp->cb_err = r;
		return -1;
	}
	return 0;
}

static int on_complete(http_parser *p)
{
	struct resp_parser *rp = of(p);

	if (!final(p))
		return 0;
	rp->state = RP_DONE;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

struct resp_parser *rp_new(const struct resp_events *ev)
{
	struct resp_parser *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	rp->ev = ev;
	rp_reset(rp, NULL);
	return rp;
}

void rp_free(struct resp_parser *rp)
{
	if (rp)
		free(rp->line);
	free(rp);
}

void rp_reset(struct resp_parser *rp, void *ctx)
{
	rp->ctx = ctx;
	/* http_parser is the first member: of() depends on it. */
	http_parser_init(&rp->p, HTTP_RESPONSE);
	rp->nlen = rp->vlen = 0;
	rp->in_value = 0;
	rp->cb_err = 0;
	rp->state = RP_IDLE;
}

static ssize_t result(struct resp_parser *rp, size_t used)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&rp->p);

	if (e == HPE_OK || (e == HPE_PAUSED && rp->state == RP_DONE))
		return (ssize_t)used;
	if (rp->cb_err)
		return rp->cb_err;
	return -EPROTO;
}

ssize_t rp_feed(struct resp_parser *rp, const char *buf, size_t n)
{
	if (rp->state == RP_DONE)
		return 0;
	if (rp->cb_err || HTTP_PARSER_ERRNO(&rp->p) != HPE_OK)
		return result(rp, 0);
	return result(rp, http_parser_execute(&rp->p, &settings, buf, n));
}

int rp_eof(struct resp_parser *rp)
{
	ssize_t r;

	if (rp->state == RP_DONE)
		return 0;
	if (rp->state == RP_IDLE)
		return -EPROTO;
	r = rp_feed(rp, NULL, 0);
	if (r < 0)
		return (int)r;
	return rp->state == RP_DONE ? 0 : -EPROTO;
}

enum rp_state rp_state(const struct resp_parser *rp)
{
	return rp->state;
}

int rp_keep_alive(const struct resp_parser *rp)
{
	return rp->state == RP_DONE && http_should_keep_alive(&rp->p);
}

int rp_error(const struct resp_parser *rp)
{
	return (int)HTTP_PARSER_ERRNO(&rp->p);
}

const char *rp_strerror(int err)
{
	return http_errno_description((enum http_errno)err);
}
