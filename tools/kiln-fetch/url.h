/* URLs: http and https only, parsed with libhttp-parser's URL parser. */
#ifndef KILN_FETCH_URL_H
#define KILN_FETCH_URL_H

struct url {
	char *s;                /* the whole URL, without its fragment */
	int tls;                /* https */
	unsigned int port;
	char *host;             /* without IPv6 brackets */
	char *hostport;         /* for the Host header */
	char *origin;           /* scheme://hostport, lower case */
	const char *target;     /* path and query, in s */
	int numeric;            /* host is an IP address */
	char *auth;             /* user:password in base64, or NULL */
};

/*
 * Parse in (a missing "scheme://" is taken as http://, as curl does) into
 * *u, which url_free frees: the path without dot segments, the
 * credentials of "user:password@" in u->auth.  Returns 0, -EINVAL if
 * malformed, -EPROTONOSUPPORT for a scheme other than http and https,
 * -ENOMEM.
 */
int url_parse(const char *in, struct url *u);

/* Resolve the reference ref (a Location header) against base (RFC 3986,
 * section 5.2) into *out, its spaces percent-encoded; base's credentials
 * kept if it is of the same origin.  Returns as url_parse. */
int url_resolve(const struct url *base, const char *ref, struct url *out);

void url_free(struct url *u);

/* A malloc'd copy of the last segment of in's path (curl's -O rule), or
 * NULL if it is empty or in is malformed. */
char *url_remote_name(const char *in);

#endif
