/*
 * Runs the fuzz target of fuzz-resp.c without libFuzzer, over generated
 * server replies: a status line (maybe after a 100 Continue), headers
 * (Content-Length true, short, long, doubled or bogus; chunked; Location;
 * Retry-After; now and then a header line of 100 KiB), a body as plain
 * bytes or in chunks (with extensions, bogus or huge sizes, trailers),
 * and then, at random, the whole cut short or a byte changed.  A fixed
 * seed, so a failure repeats.  Exit 0 if every input passed (the target
 * aborts otherwise).  With DIR, the replies are written there as files
 * (libFuzzer's seed corpus, see fuzz.sh) instead.
 *
 *	fuzz-replay [COUNT [SEED [DIR]]]
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (160u * 1024)

static uint64_t state = 0x9e3779b97f4a7c15ull;

/* 0..n-1, from splitmix64. */
static size_t rnd(size_t n)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (size_t)((z ^ (z >> 31)) % n);
}

static const char *any(const char *const *v, size_t n)
{
	return v[rnd(n)];
}
#define ANY(v) any(v, sizeof(v) / sizeof(v[0]))

struct out {
	char *p;
	size_t n;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > CAP - o->n)
		n = CAP - o->n;
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void say(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stdarg.h>

static void say(struct out *o, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	put(o, s, n < 0 ? 0 : (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1);
}

static void body_bytes(struct out *o, size_t n)
{
	while (n-- && o->n < CAP)
		put(o, &"abcdefgh\r\n0\n"[rnd(12)], 1);
}

static void chunks(struct out *o)
{
	static const char *const bad[] = { "zz", "-1", "fffffffffffffffffff",
	    "", " 5", "5 ", "0x5" };
	size_t k = rnd(5), len;

	while (k--) {
		len = rnd(3000);
		if (rnd(10) == 0)
			say(o, "%s\r\n", ANY(bad));
		else
			say(o, "%zx%s\r\n", len, rnd(4) ? "" : ";ext=1");
		body_bytes(o, len);
		put(o, "\r\n", 2);
	}
	put(o, "0\r\n", 3);
	if (rnd(4) == 0)
		say(o, "Trailer-Field: %zu\r\n", rnd(99));
	put(o, "\r\n", 2);
}

/* Headers whose value is picked from a list. */
struct header {
	const char *name;
	const char *const *values;
	size_t n;
};

#define HEADER(name, v) { name, v, sizeof(v) / sizeof(v[0]) }

static void headers(struct out *o, size_t *len, int *chunked)
{
	static const char *const loc[] = { "/x", "b/c", "../../y", "?q=1",
	    "//h:1/p", "http://[::1]:80/z", "https://h", "ftp://x", "",
	    "%zz", "#frag", "./.././a/../b/.", "http://h:99999/",
	    "http://user@h/" };
	static const char *const after[] = { "0", "120", "99999999999999",
	    "Wed, 21 Oct 2015 07:28:00 GMT", "soon", "" };
	static const char *const badlen[] = { "abc", "-1",
	    "99999999999999999999999" };
	static const char *const conn[] = { "close", "keep-alive" };
	static const struct header picked[] = { HEADER("Location", loc),
	    HEADER("Retry-After", after), HEADER("Content-Length", badlen),
	    HEADER("Connection", conn) };
	const struct header *h;
	size_t k = rnd(6), i;

	*len = 1 + rnd(5000);
	*chunked = 0;
	while (k--) {
		switch (rnd(7)) {
		case 0:
			say(o, "Content-Length: %zu\r\n", *len + rnd(3) - 1);
			break;
		case 1:
			put(o, "Transfer-Encoding: chunked\r\n", 28);
			*chunked = 1;
			break;
		case 2:
			put(o, "X-Long: ", 8);
			for (i = rnd(4) ? 100 : 100 * 1024; i-- && o->n < CAP;)
				put(o, "a", 1);
			put(o, "\r\n", 2);
			break;
		case 3:
			put(o, "X-Folded: a\r\n  b\r\n", 18);
			break;
		default:
			h = &picked[rnd(sizeof(picked) / sizeof(picked[0]))];
			say(o, "%s: %s\r\n", h->name, h->values[rnd(h->n)]);
		}
	}
}

static size_t build(char *buf)
{
	static const char *const status[] = { "HTTP/1.1 200 OK",
	    "HTTP/1.1 204 No Content", "HTTP/1.0 200 OK", "HTTP/1.1 302 Found",
	    "HTTP/1.1 304 Not Modified", "HTTP/1.1 404 Not Found",
	    "HTTP/1.1 101 Switching", "HTTP/1.1 999 Odd", "HTTP/1.1 20 Short",
	    "HTTP/2 200", "ICY 200 OK", "HTTP/1.1 200", "HTTP/1.1 100",
	    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK" };
	struct out o = { buf, 0 };
	size_t len;
	int chunked;

	buf[o.n++] = (char)rnd(256);    /* how the reply is cut */
	buf[o.n++] = (char)rnd(256);    /* body kept or not */
	if (rnd(8) == 0)
		put(&o, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	say(&o, "%s\r\n", ANY(status));
	headers(&o, &len, &chunked);
	put(&o, "\r\n", 2);
	if (chunked)
		chunks(&o);
	else
		body_bytes(&o, len + rnd(3) - 1);
	if (rnd(4) == 0)
		o.n = 2 + rnd(o.n - 1);         /* cut short */
	if (rnd(4) == 0 && o.n > 2)
		buf[2 + rnd(o.n - 2)] = (char)rnd(256);
	return o.n;
}

/* Write the reply to DIR/N. */
static int save(const char *dir, unsigned long i, const char *buf, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%lu", dir, i);
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	const char *dir = argc > 3 ? argv[3] : NULL;
	char *buf = malloc(CAP);
	unsigned long i;
	size_t n;

	if (argc > 2)
		state = strtoull(argv[2], NULL, 10);
	if (!buf)
		return 99;
	for (i = 0; i < count; i++) {
		n = build(buf);
		if (!dir)
			LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		else if (save(dir, i, buf, n) < 0)
			return 99;
	}
	if (!dir)
		printf("fuzz-replay: %lu generated replies passed\n", count);
	free(buf);
	return 0;
}
