/* TLS over a socket with OpenSSL, which never sees the socket. */
#ifndef KILN_FETCH_TLS_H
#define KILN_FETCH_TLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"

struct tls;
struct ssl_session_st;

/* Where an origin keeps a session to resume (NULL: none yet). */
struct tls_resume {
	_Atomic(struct ssl_session_st *) session;
};

/*
 * The run's one SSL_CTX: verify peers against cafile (NULL: the system's
 * store) unless insecure.  Before the run, from main.  0, or -1 with the
 * reason printed on stderr.
 */
int tls_setup(const char *cafile, int insecure);
int tls_ready(void);
void tls_cleanup(void);

/* A new TLS client for host (SNI, name checked), resuming from *res when
 * it holds a session and keeping new ones there.  0 or -ENOMEM. */
int tls_new(struct tls **t, const char *host, int numeric,
    struct tls_resume *res);
/* The connection ends well (before tls_free): close_notify, and its
 * sessions stay resumable.  Does not wait. */
void tls_close(struct tls *t, int fd);
void tls_free(struct tls *t);
void tls_resume_fini(struct tls_resume *res);

/*
 * Handshake over the connected socket fd, each kiln call bounded by
 * deadline.  0, or a negative errno with *f filled (F_TLS, F_VERIFY,
 * F_TIMEOUT, F_CONNECT).
 */
int tls_handshake(struct tls *t, int fd, uint64_t deadline,
    struct failure *f);

/*
 * Plaintext in and out.  tls_recv returns the bytes read, 0 at the end of
 * the stream, or a negative errno (-EPROTO for a TLS error, whose OpenSSL
 * code tls_error then gives); tls_send returns len or a negative errno.
 */
ssize_t tls_recv(struct tls *t, int fd, void *buf, size_t len,
    uint64_t deadline);
ssize_t tls_send(struct tls *t, int fd, const void *buf, size_t len,
    uint64_t deadline);
unsigned long tls_error(const struct tls *t);

/* Was the last handshake a resumption? */
int tls_resumed(const struct tls *t);

/* The text of an OpenSSL error code, or of an X509_V_ERR_* code. */
void tls_strerror(unsigned long code, char *buf, size_t len);
const char *tls_verify_string(int code);

#endif
