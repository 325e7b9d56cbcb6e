/*
 * URLs: parsing with libhttp-parser's http_parser_parse_url (and, past
 * the 64 KiB its offsets reach, of what comes before the path), as curl
 * takes them: an empty port is the default one, credentials are sent as
 * Basic authorization, dot segments are removed from the path (RFC 3986,
 * 5.2.4) before it is sent; redirect targets resolved as RFC 3986 says,
 * with curl's encoding of spaces; -O's file name.  Used by main.c and
 * fetch.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "url.h"

void url_free(struct url *u)
{
	free(u->s);
	free(u->host);
	free(u->hostport);
	free(u->origin);
	free(u->auth);
	memset(u, 0, sizeof(*u));
}

/* The length of in's scheme, if it starts with "scheme:", else 0. */
static size_t scheme_len(const char *in)
{
	size_t n = 0;

	if (!isalpha((unsigned char)in[0]))
		return 0;
	while (isalnum((unsigned char)in[n]) || in[n] == '+' ||
	    in[n] == '-' || in[n] == '.')
		n++;
	return in[n] == ':' ? n : 0;
}

/* The pieces of a URL, malloc'd (NULL if absent). */
struct parts {
	char *scheme, *userinfo, *host, *path, *query;
	unsigned int port;      /* 0: none given */
};

static void parts_free(struct parts *p)
{
	free(p->scheme);
	free(p->userinfo);
	free(p->host);
	free(p->path);
	free(p->query);
}

static int field(const char *s, const struct http_parser_url *pu, int f,
    char **out)
{
	*out = NULL;
	if (!(pu->field_set & (1u << f)))
		return 0;
	*out = strndup(s + pu->field_data[f].off, pu->field_data[f].len);
	return *out ? 0 : -ENOMEM;
}

/* Split s (n bytes, at most 65535: libhttp-parser's offsets are 16-bit)
 * with libhttp-parser's URL parser. */
static int split(const char *s, size_t n, struct parts *p)
{
	struct http_parser_url pu;

	memset(p, 0, sizeof(*p));
	http_parser_url_init(&pu);
	if (n > 65535 || http_parser_parse_url(s, n, 0, &pu))
		return -EINVAL;
	if (pu.field_set & (1u << UF_PORT))
		p->port = pu.port ? pu.port : 65536;    /* 0: malformed */
	if (field(s, &pu, UF_SCHEMA, &p->scheme) ||
	    field(s, &pu, UF_USERINFO, &p->userinfo) ||
	    field(s, &pu, UF_HOST, &p->host) ||
	    field(s, &pu, UF_PATH, &p->path) ||
	    field(s, &pu, UF_QUERY, &p->query))
		return -ENOMEM;
	return 0;
}

/*
 * Split a URL longer than the parser takes: the parser splits what comes
 * before the path, and the path and query are checked as it checks them
 * (no control characters, no blanks).
 */
static int split_long(const char *s, struct parts *p)
{
	const char *auth = strstr(s, "://"), *tail, *q;
	int r;

	if (!auth)
		return -EINVAL;
	tail = auth + 3 + strcspn(auth + 3, "/?");
	if ((r = split(s, (size_t)(tail - s), p)) < 0)
		return r;
	for (q = tail; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -EINVAL;
	q = tail + strcspn(tail, "?");
	free(p->path);
	p->path = strndup(tail, (size_t)(q - tail));
	if (!p->path || (*q && !(p->query = strdup(q + 1))))
		return -ENOMEM;
	return 0;
}

static int is_numeric(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Percent-decode s in place. */
static void decode(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			*w++ = (char)(hexval((unsigned char)s[1]) * 16 +
			    hexval((unsigned char)s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	*w = '\0';
}

/* RFC 4648 base64 of n bytes of s, malloc'd. */
static char *base64(const char *s, size_t n)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(4 * ((n + 2) / 3) + 1), *w = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16 |
		    (i + 1 < n ? (unsigned long)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		*w++ = set[v >> 18 & 63];
		*w++ = set[v >> 12 & 63];
		*w++ = i + 1 < n ? set[v >> 6 & 63] : '=';
		*w++ = i + 2 < n ? set[v & 63] : '=';
	}
	*w = '\0';
	return out;
}

/*
 * The credentials of "user:password@" as curl sends them: each part
 * percent-decoded, "user:password" (the colon kept when there is no
 * password), in base64.
 */
static int credentials(char *userinfo, char **auth)
{
	char *colon = strchr(userinfo, ':'), *both;
	int r = 0;

	if (colon)
		*colon = '\0';
	decode(userinfo);
	if (colon)
		decode(colon + 1);
	if (asprintf(&both, "%s:%s", userinfo, colon ? colon + 1 : "") < 0)
		return -ENOMEM;
	if (!(*auth = base64(both, strlen(both))))
		r = -ENOMEM;
	free(both);
	return r;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * RFC 3986's remove_dot_segments, in place, on a path that starts with
 * '/' and ends at the string's end.
 */
static void remove_dots(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		char *seg = r + 1, *end = seg + strcspn(seg, "/");
		size_t n = (size_t)(end - seg);

		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			if (n == 2)     /* drop the last segment written */
				while (w > p && *--w != '/')
					;
			r = end;
			if (!*r)
				*w++ = '/';
			continue;
		}
		memmove(w, r, (size_t)(end - r));
		w += end - r;
		r = end;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

/* u's Host, origin and whole URL from its host and p's other pieces. */
static int names(struct url *u, const struct parts *p, unsigned int dflt)
{
	const char *scheme = u->tls ? "https" : "http";
	int v6 = strchr(p->host, ':') != NULL;
	size_t hlen;

	if (asprintf(&u->hostport, v6 ? "[%s]" : "%s", p->host) < 0)
		return u->hostport = NULL, -ENOMEM;
	hlen = strlen(u->hostport);
	if (u->port != dflt) {
		char *h = u->hostport;

		if (asprintf(&u->hostport, "%s:%u", h, u->port) < 0)
			u->hostport = NULL;
		free(h);
		if (!u->hostport)
			return -ENOMEM;
	}
	if (asprintf(&u->origin, "%s://%.*s:%u", scheme, (int)hlen,
	    u->hostport, u->port) < 0)
		return u->origin = NULL, -ENOMEM;
	lower(u->origin);
	if (asprintf(&u->s, "%s://%s%s%s%s", scheme, u->hostport, p->path,
	    p->query ? "?" : "", p->query ? p->query : "") < 0)
		return u->s = NULL, -ENOMEM;
	u->target = u->s + strlen(scheme) + 3 + strlen(u->hostport);
	return 0;
}

/* Fill u from the pieces p (the path's dot segments are removed). */
static int build(struct url *u, struct parts *p)
{
	unsigned int dflt;
	char *zone;
	int r;

	memset(u, 0, sizeof(*u));
	if (!p->scheme || !p->host)
		return -EINVAL;
	if (strcasecmp(p->scheme, "http") && strcasecmp(p->scheme, "https"))
		return -EPROTONOSUPPORT;
	u->tls = p->scheme[4] != '\0';
	dflt = u->tls ? 443 : 80;
	u->port = p->port ? p->port : dflt;
	if (!p->host[0] || u->port > 65535)
		return -EINVAL;
	if ((!p->path && !(p->path = strdup("/"))) ||
	    (p->userinfo && credentials(p->userinfo, &u->auth) < 0))
		return -ENOMEM;
	remove_dots(p->path);
	if ((r = names(u, p, dflt)) < 0)
		return r;
	/* An IPv6 zone, "%25" in a URL, is "%" to the resolver. */
	if ((zone = strstr(p->host, "%25")) && strchr(p->host, ':'))
		memmove(zone + 1, zone + 3, strlen(zone + 3) + 1);
	u->host = p->host;
	p->host = NULL;
	u->numeric = is_numeric(u->host);
	return 0;
}

/* An empty port ("host:/"), which RFC 3986 allows, is no port: drop the
 * colon in place. */
static void drop_empty_port(char *s)
{
	char *a = strstr(s, "://"), *end;

	if (!a)
		return;
	a += 3;
	end = a + strcspn(a, "/?");
	if (end > a && end[-1] == ':' && (end - 1 == a || end[-2] == ']' ||
	    !memchr(a, '[', (size_t)(end - a))))
		memmove(end - 1, end, strlen(end) + 1);
}

int url_parse(const char *in, struct url *u)
{
	struct parts p;
	char *s;
	size_t n = strcspn(in, "#");
	int r;

	if (!strstr(in, "://") || !scheme_len(in)) {
		if (asprintf(&s, "http://%.*s", (int)n, in) < 0)
			return -ENOMEM;
	} else if (!(s = strndup(in, n))) {
		return -ENOMEM;
	}
	drop_empty_port(s);
	memset(&p, 0, sizeof(p));
	n = strlen(s);
	r = n > 65535 ? split_long(s, &p) : split(s, n, &p);
	if (r == 0 && (r = build(u, &p)) < 0)
		url_free(u);
	parts_free(&p);
	free(s);
	return r;
}

/* base's scheme and authority, then path (plen bytes) and rest (the
 * query); url_parse removes the dot segments. */
static int join(const struct url *base, const char *path, size_t plen,
    const char *rest, struct url *out)
{
	char *s;
	int r;

	if (asprintf(&s, "%s://%s%.*s%s", base->tls ? "https" : "http",
	    base->hostport, (int)plen, path, rest) < 0)
		return -ENOMEM;
	r = url_parse(s, out);
	free(s);
	return r;
}

/*
 * A Location as curl takes it: without blanks around it and without its
 * fragment, and with the bytes a URL may not hold (spaces, control
 * characters, bytes above 127) percent-encoded.  malloc'd.
 */
static char *clean_ref(const char *ref)
{
	size_t n, i;
	char *out, *w;

	while (isspace((unsigned char)*ref))
		ref++;
	n = strcspn(ref, "#");
	while (n && isspace((unsigned char)ref[n - 1]))
		n--;
	if (!(w = out = malloc(3 * n + 1)))
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ref[i];

		if (c <= ' ' || c >= 0x7f)
			w += sprintf(w, "%%%02X", c);
		else
			*w++ = (char)c;
	}
	*w = '\0';
	return out;
}

/* ref, relative (RFC 3986, section 5.2), against base. */
static int resolve(const struct url *base, const char *ref, struct url *out)
{
	const char *bpath = base->target;
	size_t bplen = strcspn(bpath, "?"), n = strcspn(ref, "?"), dir;
	char *m;
	int r;

	if (!*ref)              /* this very document */
		return url_parse(base->s, out);
	if (scheme_len(ref))
		return url_parse(ref, out);
	if (ref[0] == '/' && ref[1] == '/') {
		if (asprintf(&m, "%s:%s", base->tls ? "https" : "http",
		    ref) < 0)
			return -ENOMEM;
		r = url_parse(m, out);
		free(m);
		return r;
	}
	if (ref[0] == '?')
		return join(base, bpath, bplen, ref, out);
	if (ref[0] == '/')
		return join(base, ref, n, ref + n, out);
	/* Merge: base's path up to its last '/', then ref. */
	for (dir = bplen; dir && bpath[dir - 1] != '/'; dir--)
		;
	if (asprintf(&m, "%.*s%.*s", (int)dir, bpath, (int)n, ref) < 0)
		return -ENOMEM;
	r = join(base, m, strlen(m), ref + n, out);
	free(m);
	return r;
}

int url_resolve(const struct url *base, const char *ref, struct url *out)
{
	char *c = clean_ref(ref);
	int r;

	if (!c)
		return -ENOMEM;
	r = resolve(base, c, out);
	free(c);
	/* Credentials go on to the same origin only, as curl's do. */
	if (r == 0 && base->auth && !out->auth &&
	    strcmp(base->origin, out->origin) == 0 &&
	    !(out->auth = strdup(base->auth))) {
		url_free(out);
		r = -ENOMEM;
	}
	return r;
}

char *url_remote_name(const char *in)
{
	struct url u;
	size_t n, i;
	char *name = NULL;

	if (url_parse(in, &u) < 0)
		return NULL;
	n = strcspn(u.target, "?");
	for (i = n; i && u.target[i - 1] != '/'; i--)
		;
	if (n > i)
		name = strndup(u.target + i, n - i);
	url_free(&u);
	return name;
}
