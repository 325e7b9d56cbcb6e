/*
 * The record of one URL: what main() fills in before the run, what its
 * task writes while fetching, and the failure it ends with.  Every part of
 * kiln-fetch that can fail records the failure as a kind and a value here;
 * report.c is the one place that turns them into messages and exit codes.
 */
#ifndef KILN_FETCH_JOB_H
#define KILN_FETCH_JOB_H

#include <stdatomic.h>
#include <stdint.h>

#define MAX_DIGEST 64   /* KS_MAX_DIGEST, kiln-sum's largest */

enum fail_kind {
	F_NONE,
	F_URL,          /* malformed URL; err: negative errno */
	F_SCHEME,       /* not http or https */
	F_NONAME,       /* -O: the URL has no file name */
	F_DNS,          /* err: getaddrinfo's EAI_* code or negative errno */
	F_CONNECT,      /* err: negative errno of the last address tried */
	F_TLS,          /* handshake failed; detail: OpenSSL's error code */
	F_VERIFY,       /* certificate not trusted; err: X509_V_ERR_* */
	F_TIMEOUT,      /* --connect-timeout or --max-time ran out */
	F_SEND,         /* err: negative errno */
	F_RECV,         /* err: negative errno; detail: OpenSSL's code */
	F_EMPTY,        /* the server closed without a response */
	F_PROTO,        /* not HTTP/1.x; err: the parser's error number */
	F_PARTIAL,      /* the body ended early */
	F_REDIRS,       /* more than --max-redirs redirects; err: the limit */
	F_HTTP,         /* err: the final status, not 2xx */
	F_WRITE,        /* the output file; err: negative errno */
	F_NOMEM,
	F_CANCELED,     /* the pool went away (not expected) */
};

struct failure {
	enum fail_kind kind;
	int err;
	unsigned long detail;
};

struct job {
	const char *url;        /* as given */
	char *out;              /* the file to save the body in, or NULL */
	/* Written by the URL's task, then done is set (release); report.c
	 * reads them after an acquire load of done. */
	struct failure fail;
	unsigned int status;    /* the last response's status, 0 if none */
	uint64_t bytes;         /* body bytes of the last response */
	uint64_t ns;            /* time taken */
	unsigned char digest[MAX_DIGEST];
	_Atomic int done;
};

#endif
