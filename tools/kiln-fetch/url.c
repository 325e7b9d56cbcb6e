/*
 * URLs: parsing with libhttp-parser's http_parser_parse_url, redirect
 * targets resolved as RFC 3986 says, and -O's file name.  Used by main.c
 * and fetch.c.
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

static char *field(const char *s, const struct http_parser_url *pu, int f)
{
	if (!(pu->field_set & (1u << f)))
		return NULL;
	return strndup(s + pu->field_data[f].off, pu->field_data[f].len);
}

static int is_numeric(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* Fill u from the pieces of s (without fragment), as parsed in pu. */
static int build(struct url *u, const char *s,
    const struct http_parser_url *pu)
{
	char *scheme = field(s, pu, UF_SCHEMA), *path = field(s, pu, UF_PATH);
	char *query = field(s, pu, UF_QUERY), *p;
	unsigned int dflt;
	int r = -ENOMEM, v6;
	size_t i, hlen;

	memset(u, 0, sizeof(*u));
	u->host = field(s, pu, UF_HOST);
	if (!scheme || !u->host)
		goto out;
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		r = -EPROTONOSUPPORT;
		goto out;
	}
	r = -EINVAL;
	if (!u->host[0] || (pu->field_set & (1u << UF_USERINFO)))
		goto out;
	u->tls = scheme[4] != '\0';
	dflt = u->tls ? 443 : 80;
	u->port = pu->field_set & (1u << UF_PORT) ? pu->port : dflt;
	if (!u->port)
		goto out;
	u->numeric = is_numeric(u->host);
	v6 = strchr(u->host, ':') != NULL;
	r = -ENOMEM;
	if (asprintf(&u->hostport, v6 ? "[%s]" : "%s", u->host) < 0) {
		u->hostport = NULL;
		goto out;
	}
	hlen = strlen(u->hostport);
	if (u->port != dflt) {
		p = u->hostport;
		if (asprintf(&u->hostport, "%s:%u", p, u->port) < 0)
			u->hostport = NULL;
		free(p);
		if (!u->hostport)
			goto out;
	}
	if (asprintf(&u->origin, "%s://%.*s:%u", u->tls ? "https" : "http",
	    (int)hlen, u->hostport, u->port) < 0) {
		u->origin = NULL;
		goto out;
	}
	for (i = 0; u->origin[i]; i++)
		u->origin[i] = (char)tolower((unsigned char)u->origin[i]);
	if (asprintf(&u->s, "%s://%s%s%s%s", u->tls ? "https" : "http",
	    u->hostport, path ? path : "/", query ? "?" : "",
	    query ? query : "") < 0) {
		u->s = NULL;
		goto out;
	}
	u->target = u->s + strlen(u->tls ? "https://" : "http://") +
	    strlen(u->hostport);
	r = 0;
out:
	free(scheme);
	free(path);
	free(query);
	if (r < 0)
		url_free(u);
	return r;
}

int url_parse(const char *in, struct url *u)
{
	struct http_parser_url pu;
	char *s;
	size_t n = strcspn(in, "#");
	int r;

	if (!strstr(in, "://") || !scheme_len(in)) {
		if (asprintf(&s, "http://%.*s", (int)n, in) < 0)
			return -ENOMEM;
	} else if (!(s = strndup(in, n))) {
		return -ENOMEM;
	}
	http_parser_url_init(&pu);
	if (strlen(s) > 65535 || http_parser_parse_url(s, strlen(s), 0, &pu))
		r = -EINVAL;
	else
		r = build(u, s, &pu);
	free(s);
	return r;
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

/* base's scheme and authority, then path (dots removed) and query. */
static int join(const struct url *base, const char *path, size_t plen,
    const char *rest, struct url *out)
{
	char *s, *p;
	int r;

	if (asprintf(&p, "%.*s", (int)plen, path) < 0)
		return -ENOMEM;
	remove_dots(p);
	r = asprintf(&s, "%s://%s%s%s", base->tls ? "https" : "http",
	    base->hostport, p, rest);
	free(p);
	if (r < 0)
		return -ENOMEM;
	r = url_parse(s, out);
	free(s);
	return r;
}

int url_resolve(const struct url *base, const char *ref, struct url *out)
{
	const char *bpath = base->target;
	size_t bplen = strcspn(bpath, "?"), n, dir;
	char *path;
	int r;

	while (isspace((unsigned char)*ref))
		ref++;
	n = strcspn(ref, "#");
	while (n && isspace((unsigned char)ref[n - 1]))
		n--;
	if (n == 0)
		return url_parse(base->s, out);
	if (scheme_len(ref)) {
		if (!(path = strndup(ref, n)))
			return -ENOMEM;
		r = url_parse(path, out);
		free(path);
		return r;
	}
	if (ref[0] == '/' && ref[1] == '/') {
		if (asprintf(&path, "%s:%.*s", base->tls ? "https" : "http",
		    (int)n, ref) < 0)
			return -ENOMEM;
		r = url_parse(path, out);
		free(path);
		return r;
	}
	if (!(path = strndup(ref, n)))
		return -ENOMEM;
	n = strcspn(path, "?");
	if (path[0] == '?') {
		r = join(base, bpath, bplen, path, out);
	} else if (path[0] == '/') {
		r = join(base, path, n, path + n, out);
	} else {
		/* Merge: base's path up to its last '/', then ref. */
		char *m;

		for (dir = bplen; dir && bpath[dir - 1] != '/'; dir--)
			;
		if (asprintf(&m, "%.*s%.*s", (int)dir, bpath, (int)n,
		    path) < 0) {
			m = NULL;
			r = -ENOMEM;
		}
		else
			r = join(base, m, strlen(m), path + n, out);
		free(m);
	}
	free(path);
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
