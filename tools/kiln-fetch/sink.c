/*
 * Bodies to their destinations (sink.h).  Files are written with
 * kiln_write at explicit offsets, from a buffer, under a temporary name in
 * the same directory (".NAME.kiln-fetch.PID.ID"), renamed to NAME only
 * once the body is complete, and removed after a failure: a failed
 * download never leaves a partial file under its final name.  The digest
 * is updated as the body streams in, on the task's worker, while other
 * URLs wait on the network, with kiln-sum's hashers (tools/kiln-sum/hash.c,
 * no kiln in them).  Used by fetch.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kiln.h>

#include "sink.h"

#define SINK_BUF (256u * 1024)
/* --cpu-work hashes in slices, letting the worker reap its ring between. */
#define BURN_SLICE (256u * 1024)

static struct ks_hash digest, burner;

int sink_setup(const char *algo, int burn)
{
	if (burn && ks_hash_open(&burner, ks_algo_find("sha256")) < 0)
		return -1;
	if (!algo)
		return 0;
	if (ks_hash_open(&digest, ks_algo_find(algo)) < 0)
		return -1;
	return (int)digest.algo->size;
}

void sink_cleanup(void)
{
	if (digest.algo)
		ks_hash_close(&digest);
	if (burner.algo)
		ks_hash_close(&burner);
	memset(&digest, 0, sizeof(digest));
	memset(&burner, 0, sizeof(burner));
}

int sink_init(struct sink *s)
{
	memset(s, 0, sizeof(s[0]));
	s->fd = -1;
	if (digest.algo) {
		if (ks_hasher_new(&s->h, &digest) < 0)
			return -ENOMEM;
		s->hashing = 1;
	}
	return 0;
}

void sink_fini(struct sink *s)
{
	sink_abort(s);
	if (s->hashing)
		ks_hasher_free(&s->h);
	free(s->buf);
	s->hashing = 0;
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
	int fd, r;

	if (s->hashing && (r = ks_hasher_init(&s->h, digest.algo->size)) < 0)
		return r;
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

	if (s->hashing && (r = ks_hasher_update(&s->h, p, n)) < 0)
		return r;
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

	if (s->hashing)
		r = ks_hasher_final(&s->h, md);
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
	unsigned char out[KS_MAX_DIGEST];
	struct ks_hasher h;

	if (!n || !burner.algo || ks_hasher_new(&h, &burner) < 0)
		return;
	(void)ks_hasher_init(&h, burner.algo->size);
	while (n) {
		size_t k = n < BURN_SLICE ? n : BURN_SLICE;

		(void)ks_hasher_update(&h, zeros, k);
		n -= k;
		if (n)
			kiln_yield();
	}
	(void)ks_hasher_final(&h, out);
	ks_hasher_free(&h);
}
