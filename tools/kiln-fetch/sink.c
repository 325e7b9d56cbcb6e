/*
 * Bodies to their destinations (sink.h).  Files are written with
 * kiln_write at explicit offsets, from a buffer, under a temporary name in
 * the same directory (".NAME.kiln-fetch.PID.ID"), renamed to NAME only
 * once the body is complete, and removed after a failure: a failed
 * download never leaves a partial file under its final name.  The digest
 * is updated as the body streams in, on the task's worker, while other
 * URLs wait on the network.  Used by fetch.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <kiln.h>

#include "sink.h"

#define SINK_BUF (256u * 1024)
/* --cpu-work hashes in slices, letting the worker reap its ring between. */
#define BURN_SLICE (256u * 1024)

static EVP_MD *md_type;
static EVP_MD *burn_type;

int sink_setup(const char *evp_name, int burn)
{
	if (burn && !(burn_type = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return -1;
	if (!evp_name)
		return 0;
	if (!(md_type = EVP_MD_fetch(NULL, evp_name, NULL)))
		return -1;
	return EVP_MD_get_size(md_type);
}

void sink_cleanup(void)
{
	EVP_MD_free(md_type);
	EVP_MD_free(burn_type);
	md_type = burn_type = NULL;
}

int sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (md_type && !(s->md = EVP_MD_CTX_new()))
		return -ENOMEM;
	return 0;
}

void sink_fini(struct sink *s)
{
	sink_abort(s);
	EVP_MD_CTX_free(s->md);
	free(s->buf);
	s->md = NULL;
	s->buf = NULL;
}

/* The temporary name of path: ".NAME.kiln-fetch.PID.ID" beside it. */
static char *temp_name(const char *path, unsigned long id)
{
	const char *base = strrchr(path, '/');
	int dir = base ? (int)(base - path + 1) : 0;
	char *t;

	base = base ? base + 1 : path;
	if (asprintf(&t, "%.*s.%s.kiln-fetch.%ld.%lu", dir, path, base,
	    (long)getpid(), id) < 0)
		return NULL;
	return t;
}

int sink_begin(struct sink *s, const char *path, unsigned long id)
{
	int fd;

	if (s->md && EVP_DigestInit_ex2(s->md, md_type, NULL) != 1)
		return -ENOMEM;
	s->fill = 0;
	s->off = 0;
	if (!path)
		return 0;
	if (!s->buf && !(s->buf = malloc(SINK_BUF)))
		return -ENOMEM;
	sink_abort(s);
	s->path = path;
	if (!(s->tmp = temp_name(path, id)))
		return -ENOMEM;
	fd = kiln_openat(AT_FDCWD, s->tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0666);
	if (fd < 0) {
		free(s->tmp);
		s->tmp = NULL;
		return fd;
	}
	s->fd = fd;
	return 0;
}

static int flush(struct sink *s)
{
	size_t done = 0;
	ssize_t n;

	while (done < s->fill) {
		n = kiln_write(s->fd, s->buf + done, s->fill - done,
		    s->off + (off_t)done);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	s->off += (off_t)done;
	s->fill = 0;
	return 0;
}

int sink_write(struct sink *s, const char *p, size_t n)
{
	int r;

	if (s->md && EVP_DigestUpdate(s->md, p, n) != 1)
		return -ENOMEM;
	if (s->fd < 0)
		return 0;
	while (n) {
		size_t k = SINK_BUF - s->fill < n ? SINK_BUF - s->fill : n;

		memcpy(s->buf + s->fill, p, k);
		s->fill += k;
		p += k;
		n -= k;
		if (s->fill == SINK_BUF && (r = flush(s)) < 0)
			return r;
	}
	return 0;
}

int sink_end(struct sink *s, unsigned char *md)
{
	int r = 0, c;

	if (s->md && EVP_DigestFinal_ex(s->md, md, NULL) != 1)
		r = -ENOMEM;
	if (s->fd < 0)
		return r;
	if (!r)
		r = flush(s);
	c = kiln_close(s->fd);
	s->fd = -1;
	if (!r && c < 0)
		r = c;
	/* A rename is a quick metadata update: made directly. */
	if (!r && rename(s->tmp, s->path) < 0)
		r = -errno;
	if (r < 0)
		unlink(s->tmp);
	free(s->tmp);
	s->tmp = NULL;
	return r;
}

void sink_abort(struct sink *s)
{
	if (s->fd >= 0) {
		kiln_close(s->fd);
		s->fd = -1;
	}
	if (s->tmp) {
		unlink(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
}

void sink_burn(size_t n)
{
	static const unsigned char zeros[BURN_SLICE];
	unsigned char out[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *c;

	if (!n || !burn_type || !(c = EVP_MD_CTX_new()))
		return;
	EVP_DigestInit_ex2(c, burn_type, NULL);
	while (n) {
		size_t k = n < BURN_SLICE ? n : BURN_SLICE;

		EVP_DigestUpdate(c, zeros, k);
		n -= k;
		if (n)
			kiln_yield();
	}
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}
