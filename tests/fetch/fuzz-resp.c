/*
 * Fuzz target for kiln-fetch's response path: http_exchange (http.c)
 * over parse.c and libhttp-parser, reading from a fake stream that cuts
 * the input into receives as a server's segments would, then url_resolve
 * on the Location it found.  Byte 0 of the input chooses the cuts, byte 1
 * whether the body is kept; the rest is the server's bytes.
 *
 * It checks that a failure is reported if and only if the exchange
 * failed, that no more body comes out than went in, that a completed
 * response with a Content-Length had exactly that much body, and that the
 * body handed on is the body counted.
 *
 * With clang (from a configured build directory, for config.h):
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	    -Itools/kiln-fetch tests/fetch/fuzz-resp.c \
 *	    tools/kiln-fetch/http.c tools/kiln-fetch/parse.c \
 *	    tools/kiln-fetch/url.c -lhttp_parser -o fuzz-resp
 * Without: tests/fetch/fuzz-replay.c runs it over generated responses.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t n, off;
	unsigned int cut;
};

struct body {
	int keep, heads;
	uint64_t kept;
};

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-resp: %s\n", what);
		abort();
	}
}

static ssize_t feed_send(void *io, const void *buf, size_t len)
{
	return (ssize_t)len;
}

/* Receives of 1 to 64 bytes, or whole buffers, as byte 0 says. */
static ssize_t feed_recv(void *io, void *buf, size_t cap)
{
	struct feed *f = io;
	size_t k = f->n - f->off;

	if (f->cut & 0x80) {
		size_t most = 1 + (f->cut + f->off) % 64;

		if (k > most)
			k = most;
	}
	if (k > cap)
		k = cap;
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static int body_head(void *ctx, const struct http_resp *r)
{
	struct body *b = ctx;

	check(r->status >= 200 && r->status <= 999, "a status out of range");
	b->heads++;
	return b->keep;
}

static int body_data(void *ctx, const char *p, size_t n)
{
	((struct body *)ctx)->kept += n;
	return 0;
}

static void resolve(const char *location)
{
	static struct url base;
	struct url u;

	if (!base.s && url_parse("http://example.com:8080/a/b/c?x=1", &base))
		abort();
	if (url_resolve(&base, location, &u) == 0) {
		check(u.target[0] == '/', "a resolved URL without a path");
		check(u.port > 0, "a resolved URL without a port");
		url_free(&u);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static struct resp_parser *rp;
	struct body b = { 0, 0, 0 };
	const struct http_body sink = { body_head, body_data, &b };
	struct feed f;
	const struct http_stream st = { feed_send, feed_recv, &f };
	struct http_resp r;
	struct failure fl;
	char buf[4096];
	int e;

	if (size < 2)
		return 0;
	if (!rp && !(rp = http_new_parser()))
		abort();
	f.p = data + 2;
	f.n = size - 2;
	f.off = 0;
	f.cut = data[0];
	b.keep = data[1] & 1;
	memset(&fl, 0, sizeof(fl));
	e = http_exchange(rp, &st, req, sizeof(req) - 1, buf, sizeof(buf),
	    &sink, &r, &fl);
	check((e == 0) == (fl.kind == F_NONE), "failure kind and result "
	    "disagree");
	check(r.bytes <= f.n, "more body than input");
	check(b.heads <= 1, "two heads for one response");
	check(b.kept == (b.keep ? r.bytes : 0), "kept body is not the body");
	if (e == 0) {
		check(b.heads == 1, "a response without a head");
		check(r.length == UINT64_MAX || r.bytes == r.length,
		    "a complete body that is not Content-Length long");
	}
	if (r.location)
		resolve(r.location);
	http_resp_free(&r);
	return 0;
}
