/*
 * TLS with OpenSSL through a BIO pair: OpenSSL reads and writes its half
 * of the pair, and this file moves the ciphertext between the other half
 * and the socket with kiln_recv and kiln_send, between OpenSSL calls.
 *
 * Why: a kiln task may resume on another worker thread after any park,
 * and OpenSSL keeps per-thread state (the error queue that SSL_get_error
 * reads).  So no OpenSSL call ever parks: each SSL_* call runs to its end
 * on one thread, its error queue is cleared before it and read and
 * cleared right after it, and only then may the task park in a kiln call.
 * The network half's buffer is used in place (BIO_nwrite0, BIO_nread0):
 * kiln_recv fills it and kiln_send sends from it, with no copy.
 *
 * One SSL_CTX for the run (tls_setup).  Sessions are resumed per origin:
 * each origin has a slot holding its newest session, which the
 * new-session callback fills (for TLS 1.3, when the ticket arrives after
 * the handshake) and tls_new borrows.  Used by conn.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <kiln.h>

#include "park.h"
#include "tls.h"

/* Each half of the pair: two maximal TLS records. */
#define PAIR_BUF (2 * (16384 + 2048 + 5))

struct tls {
	SSL *ssl;
	BIO *net;               /* our half; OpenSSL owns the other */
	struct tls_resume *res;
	unsigned long err;      /* OpenSSL's code of the last failure */
	int eof;
};

static SSL_CTX *ctx;

/* Keep the newest session of the origin; 1: we took the reference. */
static int new_session(SSL *ssl, SSL_SESSION *s)
{
	struct tls *t = SSL_get_app_data(ssl);
	SSL_SESSION *old;

	if (!t || !t->res || !SSL_SESSION_is_resumable(s))
		return 0;
	/* Acq_rel: the release publishes s to the acquire exchange in
	 * tls_new; the acquire makes old's contents ours to free. */
	old = atomic_exchange_explicit(&t->res->session, s,
	    memory_order_acq_rel);
	SSL_SESSION_free(old);
	return 1;
}

static void print_errors(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e)
		tls_strerror(e, buf, sizeof(buf));
	fprintf(stderr, "kiln-fetch: %s%s%s\n", what, e ? ": " : "",
	    e ? buf : "");
	ERR_clear_error();
}

int tls_setup(const char *cafile, int insecure)
{
	static const unsigned char alpn[] = "\x08http/1.1";

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		print_errors("cannot set up TLS");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* A close-delimited body may end without close_notify, as curl
	 * accepts; bodies with a length are checked against it. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	if (insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cafile ? SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		char what[4096];

		snprintf(what, sizeof(what), "cannot load CA certificates "
		    "from %s", cafile ? cafile : "the system's store");
		print_errors(what);
		SSL_CTX_free(ctx);
		ctx = NULL;
		return -1;
	}
	return 0;
}

int tls_ready(void)
{
	return ctx != NULL;
}

void tls_cleanup(void)
{
	SSL_CTX_free(ctx);
	ctx = NULL;
}

void tls_resume_fini(struct tls_resume *res)
{
	SSL_SESSION_free(atomic_load_explicit(&res->session,
	    memory_order_relaxed));     /* relaxed: after the run */
}

/* Resume from the origin's session, if it has one; leave it there. */
static void borrow_session(struct tls *t)
{
	/* Acquire: pairs with the release in new_session (or below). */
	SSL_SESSION *s = atomic_exchange_explicit(&t->res->session, NULL,
	    memory_order_acquire), *none = NULL;

	if (!s)
		return;
	SSL_set_session(t->ssl, s);     /* takes its own reference */
	/* Release: as in new_session.  If a newer one came meanwhile, keep
	 * that one. */
	if (!atomic_compare_exchange_strong_explicit(&t->res->session, &none,
	    s, memory_order_release, memory_order_relaxed))
		SSL_SESSION_free(s);
}

int tls_new(struct tls **out, const char *host, int numeric,
    struct tls_resume *res)
{
	struct tls *t = calloc(1, sizeof(*t));
	BIO *inner = NULL;
	int ok;

	if (!t)
		return -ENOMEM;
	ERR_clear_error();
	t->res = res;
	t->ssl = SSL_new(ctx);
	ok = t->ssl && BIO_new_bio_pair(&inner, PAIR_BUF, &t->net, PAIR_BUF);
	if (ok) {
		SSL_set_bio(t->ssl, inner, inner);
		SSL_set_connect_state(t->ssl);
		SSL_set_app_data(t->ssl, t);
		if (!numeric)
			ok = SSL_set_tlsext_host_name(t->ssl, host) == 1;
		if (ok && SSL_get_verify_mode(t->ssl) != SSL_VERIFY_NONE)
			ok = numeric ? X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(t->ssl), host) == 1 :
			    SSL_set1_host(t->ssl, host) == 1;
	}
	ERR_clear_error();
	if (!ok) {
		tls_free(t);
		return -ENOMEM;
	}
	borrow_session(t);
	*out = t;
	return 0;
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);       /* and the inner half of the pair */
	BIO_free(t->net);
	free(t);
}

/* Send what OpenSSL has written, from the pair's buffer. */
static int flush(struct tls *t, int fd, int flags, uint64_t deadline)
{
	char *p;
	int n, r;
	ssize_t w;

	while ((n = BIO_nread0(t->net, &p)) > 0) {
		if ((r = deadline_arm(deadline)) < 0)
			return r;
		w = kiln_send(fd, p, (size_t)n, flags);
		if (w == -EINTR)
			continue;
		if (w < 0)
			return (int)w;
		BIO_nread(t->net, &p, (int)w);
	}
	return 0;
}

/*
 * Send close_notify if it can go at once.  Above all this marks the
 * connection as shut down cleanly: SSL_free would otherwise take it for
 * a broken one and make its sessions (those the origin keeps) not
 * resumable.
 */
void tls_close(struct tls *t, int fd)
{
	ERR_clear_error();
	if (SSL_shutdown(t->ssl) >= 0)
		(void)flush(t, fd, MSG_DONTWAIT, 0);
	ERR_clear_error();
}

/* Receive ciphertext into the pair's buffer: > 0, 0 at the end, < 0. */
static int feed(struct tls *t, int fd, uint64_t deadline)
{
	char *p;
	int n, r;
	ssize_t got;

	if (t->eof)
		return 0;
	n = BIO_nwrite0(t->net, &p);
	if (n <= 0)
		return -ENOBUFS;        /* OpenSSL left its input unread */
	do {
		if ((r = deadline_arm(deadline)) < 0)
			return r;
		got = kiln_recv(fd, p, (size_t)n, 0);
	} while (got == -EINTR);
	if (got < 0)
		return (int)got;
	if (got == 0) {
		t->eof = 1;
		BIO_shutdown_wr(t->net);
		return 0;
	}
	BIO_nwrite(t->net, &p, (int)got);
	return (int)got;
}

/*
 * After an SSL call returned r: 1 to call it again once the ciphertext
 * has moved, or a negative errno.  The thread's error queue is read and
 * left empty, before any park.
 */
static int step(struct tls *t, int fd, int r, uint64_t deadline)
{
	int e = SSL_get_error(t->ssl, r), n;

	t->err = ERR_peek_error();
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_WRITE)
		return (n = flush(t, fd, 0, deadline)) < 0 ? n : 1;
	if (e != SSL_ERROR_WANT_READ)
		return -EPROTO;
	if ((n = flush(t, fd, 0, deadline)) < 0 ||
	    (n = feed(t, fd, deadline)) < 0)
		return n;
	return 1;
}

int tls_handshake(struct tls *t, int fd, uint64_t deadline,
    struct failure *f)
{
	long v;
	int r;

	do {
		ERR_clear_error();
		r = SSL_do_handshake(t->ssl);
		if (r == 1)
			r = flush(t, fd, 0, deadline);     /* our Finished */
		else
			r = step(t, fd, r, deadline);
	} while (r == 1);
	if (r == 0)
		return 0;
	v = SSL_get_verify_result(t->ssl);
	f->err = r;
	f->detail = t->err;
	if (r == -ETIME)
		f->kind = F_TIMEOUT;
	else if (r == -EPROTO && v != X509_V_OK) {
		f->kind = F_VERIFY;
		f->err = (int)v;
	} else
		f->kind = F_TLS;
	return r;
}

/*
 * SSL_read (send = 0) or SSL_write (send = 1) of up to len bytes, moving
 * ciphertext between tries; the bytes moved, or 0 when the peer closed.
 */
static ssize_t transfer(struct tls *t, int fd, void *buf, size_t len,
    int send, uint64_t deadline)
{
	int n, r;

	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		ERR_clear_error();
		n = send ? SSL_write(t->ssl, buf, (int)len) :
		    SSL_read(t->ssl, buf, (int)len);
		if (n > 0)
			break;
		if (SSL_get_error(t->ssl, n) == SSL_ERROR_ZERO_RETURN) {
			n = 0;
			break;
		}
		if ((r = step(t, fd, n, deadline)) < 0)
			return r;
	}
	ERR_clear_error();
	/* After a write, send it now. */
	return send && (r = flush(t, fd, 0, deadline)) < 0 ? r : n;
}

ssize_t tls_recv(struct tls *t, int fd, void *buf, size_t len,
    uint64_t deadline)
{
	return transfer(t, fd, buf, len, 0, deadline);
}

ssize_t tls_send(struct tls *t, int fd, const void *buf, size_t len,
    uint64_t deadline)
{
	/* SSL_write does not write to buf: the cast only shares the loop. */
	return transfer(t, fd, (void *)buf, len, 1, deadline);
}

unsigned long tls_error(const struct tls *t)
{
	return t->err;
}

int tls_resumed(const struct tls *t)
{
	return SSL_session_reused(t->ssl);
}

void tls_strerror(unsigned long code, char *buf, size_t len)
{
	const char *s = ERR_reason_error_string(code);

	if (s)
		snprintf(buf, len, "%s", s);
	else
		ERR_error_string_n(code, buf, len);
}

const char *tls_verify_string(int code)
{
	return X509_verify_cert_error_string(code);
}
