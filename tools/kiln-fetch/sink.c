/*
 * Bodies to their destinations (sink.h).  The file is opened with the
 * first byte of the body (or at its end, when it is empty), as curl does,
 * and what is already at its path decides how:
 *
 *  - nothing: the body is written under a temporary name in the same
 *    directory (".kiln-fetch.PID.ID", short, so that any name that fits
 *    NAME_MAX fits), renamed to its name only once complete, and removed
 *    after a failure: a failed download never leaves a partial file under
 *    its final name.
 *  - a regular file of its own (one link): the same, and the new file
 *    takes the old one's owner and mode, so that a file of mode 600 is
 *    not made readable by all.  If the directory lets us make no file
 *    beside it, or the owner cannot be given, it is written in place.
 *  - anything else is opened and written in place, O_WRONLY | O_TRUNC, as
 *    curl does: a device (/dev/null), a FIFO, a symlink (written through:
 *    the link stays, as /dev/stdout must), a file with other hard links
 *    (which must see the new body too).  A rename would replace the
 *    object itself.  -o - is the standard output.
 *
 * Files are written with kiln_write from a buffer, at explicit offsets,
 * or at the current position where the file may not seek.  The
 * temporary files are also removed when SIGINT, SIGTERM, SIGHUP or
 * SIGPIPE ends the process: the handler unlinks the names it finds in a
 * fixed, lock-free list (one slot per lane), which is all it may do
 * safely.  The digest is updated as the body streams in, on the task's
 * worker, while other URLs wait on the network, with kiln-sum's hashers
 * (tools/kiln-sum/hash.c, no kiln in them).  Used by fetch.c and main.c;
 * its files are counted in budget.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kiln.h>

#include "budget.h"
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

/* Every sink, for the signal handler: pushed by sink_init. */
static _Atomic(struct sink *) sinks;
/* Set by the signal handler: temporary names are no longer freed. */
static _Atomic int dying;

static const int caught[] = { SIGHUP, SIGINT, SIGPIPE, SIGTERM };
static struct sigaction before[sizeof(caught) / sizeof(caught[0])];

int sink_init(struct sink *s)
{
	memset(s, 0, sizeof(s[0]));
	s->fd = -1;
	atomic_init(&s->live, NULL);
	if (digest.algo) {
		if (ks_hasher_new(&s->h, &digest) < 0)
			return -ENOMEM;
		s->hashing = 1;
	}
	/* Relaxed: the handlers are installed after, by this thread; the
	 * release in sink_catch_signals publishes the list. */
	s->next_sink = atomic_load_explicit(&sinks, memory_order_relaxed);
	atomic_store_explicit(&sinks, s, memory_order_relaxed);
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

/* Async-signal-safe: atomic loads of lock-free pointers, unlink. */
static void on_signal(int sig)
{
	struct sink *s;
	char *t;

	/* Seq_cst: see forget_tmp. */
	atomic_store_explicit(&dying, 1, memory_order_seq_cst);
	/* Acquire: pairs with the release in sink_catch_signals. */
	for (s = atomic_load_explicit(&sinks, memory_order_acquire); s;
	    s = s->next_sink)
		if ((t = atomic_load_explicit(&s->live, memory_order_seq_cst)))
			unlink(t);
	signal(sig, SIG_DFL);
	raise(sig);     /* delivered when the handler returns */
}

void sink_catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&sa.sa_mask, caught[i]);
	/* Release: publishes the list of sinks to the handler's acquire. */
	atomic_store_explicit(&sinks, atomic_load_explicit(&sinks,
	    memory_order_relaxed), memory_order_release);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		/* A signal ignored when we started (nohup, a background
		 * job's SIGINT) stays ignored. */
		if (sigaction(caught[i], NULL, &before[i]) == 0 &&
		    before[i].sa_handler != SIG_IGN)
			sigaction(caught[i], &sa, NULL);
	}
}

void sink_release_signals(void)
{
	size_t i;

	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (before[i].sa_handler != SIG_IGN)
			sigaction(caught[i], &before[i], NULL);
	atomic_store_explicit(&sinks, NULL, memory_order_relaxed);
}

/* The temporary name of path: ".kiln-fetch.PID.ID" beside it. */
static char *temp_name(const char *path, unsigned long id)
{
	const char *base = strrchr(path, '/');
	int dir = base ? (int)(base - path + 1) : 0;
	char *t;

	if (asprintf(&t, "%.*s.kiln-fetch.%ld.%lu", dir, path,
	    (long)getpid(), id) < 0)
		return NULL;
	return t;
}

/* The temporary name is gone (renamed or removed): off the list. */
static void forget_tmp(struct sink *s)
{
	/*
	 * Seq_cst, this store and the load of dying, the store of dying and
	 * the loads of live in on_signal: of two threads that each store
	 * then load, one sees the other's store.  So a handler that may
	 * still read the name has set dying before we look, and we leave
	 * the name to it.
	 */
	atomic_store_explicit(&s->live, NULL, memory_order_seq_cst);
	if (!atomic_load_explicit(&dying, memory_order_seq_cst))
		free(s->tmp);
	s->tmp = NULL;
}

struct opening {
	const char *path;
	int flags;
	mode_t mode;
};

static int open_path(void *p)
{
	const struct opening *o = p;

	return kiln_openat(AT_FDCWD, o->path, o->flags, o->mode);
}

/* A new file under the temporary name, with old's owner and mode if old
 * is the file it will replace. */
static int open_temp(struct sink *s, unsigned int held,
    const struct stat *old)
{
	struct opening o = { NULL, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    old ? old->st_mode & 0777 : 0666 };
	int fd, r = 0;

	if (!(s->tmp = temp_name(s->path, s->id)))
		return -ENOMEM;
	/* On the list before the file exists (seq_cst: see forget_tmp). */
	atomic_store_explicit(&s->live, s->tmp, memory_order_seq_cst);
	o.path = s->tmp;
	if ((fd = budget_open(held, open_path, &o)) < 0) {
		forget_tmp(s);
		return fd;
	}
	/* Quick metadata calls, made directly. */
	if (old && (((old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) < 0) ||
	    fchmod(fd, old->st_mode & 0777) < 0))
		r = -errno;
	if (r < 0) {
		kiln_close(fd);
		budget_closed();
		unlink(s->tmp);
		forget_tmp(s);
		return r;
	}
	s->fd = fd;
	s->off = 0;
	return 0;
}

/* What is at the path, opened and truncated in place; a dangling symlink
 * (link) makes its target, as curl does. */
static int open_in_place(struct sink *s, unsigned int held, int link)
{
	struct opening o = { s->path, O_WRONLY | O_TRUNC | O_CLOEXEC |
	    O_NOCTTY | (link ? O_CREAT : 0), 0666 };
	struct stat st;
	int fd = budget_open(held, open_path, &o);

	if (fd < 0)
		return fd;
	s->fd = fd;
	/* A device, FIFO or terminal may not seek: written as a stream. */
	s->off = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
	return 0;
}

/* Open the file (see the top): 0 or a negative errno.  held: the
 * descriptors the task holds meanwhile (its connection). */
static int sink_open(struct sink *s, unsigned int held)
{
	struct stat st;
	int r;

	if (strcmp(s->path, SINK_STDOUT) == 0) {
		s->opened = 1;
		s->off = -1;
		return 0;
	}
	if (lstat(s->path, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		r = open_temp(s, held, NULL);
	} else {
		r = -EPERM;
		if (S_ISREG(st.st_mode) && st.st_nlink == 1)
			r = open_temp(s, held, &st);
		/* Else, or if the directory takes no new file, in place. */
		if (r == -EACCES || r == -EPERM || r == -EROFS)
			r = open_in_place(s, held, S_ISLNK(st.st_mode));
	}
	s->opened = r == 0;
	return r;
}

int sink_begin(struct sink *s, const char *path, unsigned long id)
{
	int r;

	sink_abort(s);
	if (s->hashing && (r = ks_hasher_init(&s->h, digest.algo->size)) < 0)
		return r;
	s->path = path;
	s->id = id;
	s->fill = 0;
	s->off = 0;
	if (path && !s->buf && !(s->buf = malloc(SINK_BUF)))
		return -ENOMEM;
	return 0;
}

/* The descriptor written to: the file's, or the standard output's. */
static int out_fd(const struct sink *s)
{
	return s->fd >= 0 ? s->fd : STDOUT_FILENO;
}

static int flush(struct sink *s)
{
	size_t done = 0;
	ssize_t n;

	while (done < s->fill) {
		n = kiln_write(out_fd(s), s->buf + done, s->fill - done,
		    s->off < 0 ? -1 : s->off + (off_t)done);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	if (s->off >= 0)
		s->off += (off_t)done;
	s->fill = 0;
	return 0;
}

int sink_write(struct sink *s, const char *p, size_t n)
{
	int r;

	if (s->hashing && (r = ks_hasher_update(&s->h, p, n)) < 0)
		return r;
	if (!s->path)
		return 0;
	/* The body's first bytes come while its connection is held. */
	if (!s->opened && (r = sink_open(s, 1)) < 0)
		return r;
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

/* The file is complete: close it; the temporary one takes its name,
 * unless what is there now (made meanwhile) may not be replaced. */
static int finish_file(struct sink *s)
{
	struct stat st;
	int r = flush(s), c;

	if (s->fd >= 0) {
		c = kiln_close(s->fd);
		budget_closed();
		s->fd = -1;
		if (!r && c < 0)
			r = c;
	}
	if (!s->tmp)
		return r;
	if (!r && lstat(s->path, &st) == 0 && (!S_ISREG(st.st_mode) ||
	    st.st_nlink > 1))
		r = -EEXIST;
	/* A rename is a quick metadata update: made directly. */
	if (!r && rename(s->tmp, s->path) < 0)
		r = -errno;
	if (r < 0)
		unlink(s->tmp);
	forget_tmp(s);
	return r;
}

int sink_end(struct sink *s, unsigned char *md)
{
	int r = 0;

	if (s->hashing)
		r = ks_hasher_final(&s->h, md);
	if (!s->path || r < 0)
		return r;
	if (!s->opened && (r = sink_open(s, 0)) < 0)   /* an empty body */
		return r;
	r = finish_file(s);
	s->path = NULL;
	s->opened = 0;
	return r;
}

void sink_abort(struct sink *s)
{
	if (s->fd >= 0) {
		kiln_close(s->fd);
		budget_closed();
		s->fd = -1;
	}
	if (s->tmp) {
		unlink(s->tmp);
		forget_tmp(s);
	}
	s->path = NULL;
	s->opened = 0;
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
