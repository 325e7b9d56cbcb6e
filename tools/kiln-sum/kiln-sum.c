/*
 * kiln-sum: checksums of many files, in coreutils' formats, with reads
 * through kiln's per-worker io_uring overlapping the hashing on every core.
 * Uses only <kiln.h> from kiln; hashes with OpenSSL's libcrypto (and
 * libxxhash for xxh128).
 *
 * How the work is laid out.
 *
 *  - Files are items in an array, in the order they were given (or walked
 *    with -r, or listed in the -c lists); the main thread prints item i as
 *    soon as items 0..i are done, whatever order they finish in.  It is the
 *    only thread that writes to stdout and stderr.
 *
 *  - A kiln_run on a runner thread starts the root task, which spawns a
 *    fixed number of lanes (about four per worker).  A lane is a task that
 *    takes the next file from a shared cursor, hashes it, publishes the
 *    result and takes the next, until none are left.  Lanes bound the
 *    memory (two blocks each) and the open files.  Workers steal lanes, and
 *    the fibers of lanes whose reads completed, from one another.
 *
 *  - One file, read ahead by one block: the lane reads block 0, then loops
 *
 *	spawn  hash(block k)           a child task, stealable
 *	read   block k+1               parks the lane until it completes
 *	sync   hash(block k)
 *
 *    While the lane is parked in kiln_read, its worker runs the hash of
 *    block k (the newest task in its deque) or any other lane's work; so
 *    the read of block k+1 is in flight while block k is hashed.  When
 *    fewer files are in hand than there are workers, the roles swap: the
 *    child reads and the lane hashes, so that an idle worker steals the
 *    read and the copy from the page cache runs on another core (see
 *    hash_fd).  Hash state is sequential, so a file's blocks are hashed in
 *    order, one at a time; many files give the parallelism across cores.
 *
 *  - Standard input ("-", maybe several times) is read by one extra lane,
 *    in order, from its current position.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#ifdef HAVE_XXHASH
#include <xxhash.h>
#endif

#include <kiln.h>

#include "blake2b.h"
#include "line.h"

#define DEFAULT_BLOCK (1024u * 1024)
#define MIN_BLOCK (4u * 1024)
#define MAX_BLOCK (64u * 1024 * 1024)
/* A hash task yields after this much, so the worker reaps its ring. */
#define HASH_SLICE (1u * 1024 * 1024)
/* Lanes per worker, and the memory their blocks may take together. */
#define LANES_PER_WORKER 4u
#define LANE_MEMORY (256u * 1024 * 1024)
/* --progress by default: stderr a terminal and at least this much. */
#define PROGRESS_MIN_TOTAL (256ull * 1024 * 1024)
#define PROGRESS_DELAY_NS 500000000ull
#define PROGRESS_TICK_NS 200000000ull
#define MAX_DIGEST 64

static const char *prog = "kiln-sum";

/* --- algorithms --- */

struct algo {
	const char *name;       /* -a NAME */
	const char *evp;        /* OpenSSL's name, NULL for xxh128 */
	struct ks_format fmt;   /* tag and digest length of its lines */
	unsigned int size;      /* digest bytes */
};

static const struct algo algos[] = {
	{ "sha256", "SHA256", { "SHA256", 64, 0 }, 32 },
	{ "sha1", "SHA1", { "SHA1", 40, 0 }, 20 },
	{ "sha512", "SHA512", { "SHA512", 128, 0 }, 64 },
	{ "md5", "MD5", { "MD5", 32, 0 }, 16 },
	{ "blake2b", "BLAKE2B-512", { "BLAKE2b", 128, 1 }, 64 },
#ifdef HAVE_XXHASH
	{ "xxh128", NULL, { "XXH128", 32, 0 }, 16 },
#endif
};

static const struct algo *alg = &algos[0];
static EVP_MD *md;
/* Digest bytes: alg->size, or less with blake2b -l. */
static unsigned int digest_len;

struct hasher {
	EVP_MD_CTX *evp;
	struct ks_blake2b *b2;  /* blake2b, when the digest is short */
	int own;                /* this file: b2, not evp */
#ifdef HAVE_XXHASH
	XXH3_state_t *xxh;
#endif
};

static int hasher_new(struct hasher *h)
{
	memset(h, 0, sizeof(*h));
#ifdef HAVE_XXHASH
	if (!alg->evp) {
		h->xxh = XXH3_createState();
		return h->xxh ? 0 : -1;
	}
#endif
	h->evp = EVP_MD_CTX_new();
	if (alg->fmt.blake2)
		h->b2 = malloc(sizeof(*h->b2));
	return h->evp && (h->b2 || !alg->fmt.blake2) ? 0 : -1;
}

static void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->evp);
	free(h->b2);
#ifdef HAVE_XXHASH
	if (h->xxh)
		XXH3_freeState(h->xxh);
#endif
}

/* For a digest of len bytes (less than alg->size: blake2b only). */
static int hasher_init(struct hasher *h, unsigned int len)
{
#ifdef HAVE_XXHASH
	if (!alg->evp)
		return XXH3_128bits_reset(h->xxh) == XXH_OK ? 0 : -1;
#endif
	h->own = len != alg->size;
	if (h->own) {
		ks_blake2b_init(h->b2, len);
		return 0;
	}
	return EVP_DigestInit_ex2(h->evp, md, NULL) == 1 ? 0 : -1;
}

static int hasher_update(struct hasher *h, const void *p, size_t n)
{
#ifdef HAVE_XXHASH
	if (!alg->evp)
		return XXH3_128bits_update(h->xxh, p, n) == XXH_OK ? 0 : -1;
#endif
	if (h->own) {
		ks_blake2b_update(h->b2, p, n);
		return 0;
	}
	return EVP_DigestUpdate(h->evp, p, n) == 1 ? 0 : -1;
}

static int hasher_final(struct hasher *h, unsigned char *out)
{
#ifdef HAVE_XXHASH
	if (!alg->evp) {
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->xxh));
		memcpy(out, c.digest, sizeof(c.digest));
		return 0;
	}
#endif
	if (h->own) {
		ks_blake2b_final(h->b2, out);
		return 0;
	}
	return EVP_DigestFinal_ex(h->evp, out, NULL) == 1 ? 0 : -1;
}

/* --- items: what is printed, in order --- */

enum kind {
	K_FILE,         /* hash the named file */
	K_STDIN,        /* hash standard input */
	K_ERROR,        /* report err about name; nothing to hash */
	K_BADLINE,      /* -c: an improperly formatted line */
	K_LIST_ERR,     /* -c: a list that could not be opened */
	K_LIST_END,     /* -c: end of a list: its summary */
};

struct item {
	char *name;             /* the file (or the list) */
	char *hex;              /* -c: the digest expected */
	uintmax_t line;         /* K_BADLINE: its line number */
	off_t size;             /* for --progress; -1 unknown */
	unsigned char kind;
	unsigned char binary;   /* -c: read as binary ('*') */
	unsigned char len;      /* digest bytes (-c: as the line has it) */
	unsigned char own;      /* name is ours to free */
	int err;                /* errno value of the failure, or 0 */
	/* Written by the lane, then done is set (release, under out_mu);
	 * the printer reads them after an acquire load of done. */
	_Atomic int done;
	unsigned char digest[MAX_DIGEST];
};

struct items {
	struct item *v;
	size_t n, cap;
};

static struct items items;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* own: name came from malloc and goes with the item. */
static struct item *add_item(enum kind kind, char *name, int own)
{
	struct item *it;

	if (items.n == items.cap) {
		size_t cap = items.cap ? items.cap * 2 : 256;
		struct item *v = realloc(items.v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		items.v = v;
		items.cap = cap;
	}
	it = &items.v[items.n++];
	memset(it, 0, sizeof(*it));
	it->kind = (unsigned char)kind;
	it->name = name;
	it->own = (unsigned char)own;
	it->size = -1;
	it->len = (unsigned char)digest_len;
	atomic_init(&it->done, 0);
	return it;
}

static int hashed(const struct item *it)
{
	return it->kind == K_FILE || it->kind == K_STDIN;
}

/* --- options --- */

static size_t block_size = DEFAULT_BLOCK;
static int check_mode, recursive, tag, zero, progress = -1;
static int read_stdin_list;     /* -c read a list from standard input */
static int binary = -1;         /* --binary 1, --text 0 */
static int status_only, warn_lines, quiet, strict, ignore_missing;

/* Standard descriptors we found closed (and put /dev/null on). */
static int closed_fd[3];

/* --- the hashing engine: lanes in kiln tasks --- */

struct lane {
	unsigned char *buf[2];
	struct hasher h;
	int herr;
	/* The child task's job, a hash or a read: set before kiln_spawn,
	 * used by the child; the spawn and the sync order the accesses. */
	const unsigned char *hbuf;
	size_t hlen;
	int rfd, rstream;
	unsigned char *rbuf;
	off_t roff;
	ssize_t rn;
	size_t *work;           /* indices of the items this lane may take */
	size_t nwork;
	_Atomic size_t *next;   /* shared cursor into work */
};

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t out_cv;   /* on CLOCK_MONOTONIC: see main() */
static struct item *waiting;    /* under out_mu: what the printer awaits */
/* Bytes read, for --progress only: relaxed. */
static _Atomic uint64_t bytes_done;
/* Files being hashed now, against the workers: a hint, relaxed. */
static _Atomic unsigned int active;
static unsigned int workers;

/* A lane's result is ready: wake the printer if it waits for this one. */
static void publish(struct item *it)
{
	pthread_mutex_lock(&out_mu);
	/* Release: pairs with the printer's acquire load of done, which then
	 * reads err and digest. */
	atomic_store_explicit(&it->done, 1, memory_order_release);
	if (waiting == it)
		pthread_cond_signal(&out_cv);
	pthread_mutex_unlock(&out_mu);
}

/*
 * Hash a block.  Large blocks are hashed in slices with a suspension point
 * between, so that this worker's ring is reaped meanwhile.
 */
static void hash_block(struct lane *l, const unsigned char *b, size_t n)
{
	while (n > HASH_SLICE) {
		l->herr |= hasher_update(&l->h, b, HASH_SLICE);
		b += HASH_SLICE;
		n -= HASH_SLICE;
		kiln_yield();
	}
	l->herr |= hasher_update(&l->h, b, n);
}

static void hash_child(void *p)
{
	struct lane *l = p;

	hash_block(l, l->hbuf, l->hlen);
}

/*
 * Read one block: at off, or from the current position if *stream is set
 * (pipes, terminals: then fill the block, as reads there come in pieces).
 * A file that cannot seek is switched to *stream.  Returns the bytes read,
 * 0 at the end, or a negative errno value.
 */
static ssize_t read_block(int fd, unsigned char *buf, off_t off, int *stream)
{
	size_t got = 0;

	while (got < block_size) {
		ssize_t n = kiln_read(fd, buf + got, block_size - got,
		    *stream ? -1 : off + (off_t)got);

		if (n == -ESPIPE && !*stream && off == 0 && got == 0) {
			*stream = 1;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			/* A non-blocking descriptor we were given. */
			int r = kiln_poll(fd, POLLIN);

			if (r < 0 && r != -EINTR)
				return r;
			continue;
		}
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
		atomic_fetch_add_explicit(&bytes_done, (uint64_t)n,
		    memory_order_relaxed);
		if (!*stream)
			break;
	}
	return (ssize_t)got;
}

static void read_child(void *p)
{
	struct lane *l = p;

	l->rn = read_block(l->rfd, l->rbuf, l->roff, &l->rstream);
}

/*
 * Hash what fd gives until its end into it->digest; 0 or an errno value.
 *
 * Block k+1 is read while block k is hashed, one of them in a child task
 * that another worker may steal.  Which one depends on whether a worker
 * is likely idle, that is, fewer files are in hand than there are
 * workers (one large file, or the last ones):
 *
 *  - All busy: the child hashes block k and this task reads block k+1.
 *    The read parks this task; the worker hashes block k (the newest task
 *    in its deque) meanwhile, so the device works while the core hashes,
 *    even on one worker.
 *
 *  - A worker idle: the child reads block k+1 and this task hashes block
 *    k.  During the hash, the idle worker steals the read, and the copy
 *    out of the page cache (a sixth of the work for SHA-256 with SHA-NI)
 *    runs on its core instead of this one.  Unstolen, the read runs at
 *    the sync, after the hash.
 */
static int hash_fd(struct lane *l, int fd, int stream, struct item *it)
{
	kiln_task t;
	off_t off = 0;
	ssize_t n;
	int cur = 0;

	if (hasher_init(&l->h, it->len) < 0)
		return ENOMEM;
	l->herr = 0;
	n = read_block(fd, l->buf[0], 0, &stream);
	while (n > 0) {
		size_t len = (size_t)n;

		off += n;
		/* Relaxed: a hint; a stale count only picks the other way. */
		if (atomic_load_explicit(&active, memory_order_relaxed) <
		    workers) {
			l->rfd = fd;
			l->rbuf = l->buf[cur ^ 1];
			l->roff = off;
			l->rstream = stream;
			kiln_spawn(&t, read_child, l);
			hash_block(l, l->buf[cur], len);
			kiln_sync(&t);
			n = l->rn;
			stream = l->rstream;
		} else {
			l->hbuf = l->buf[cur];
			l->hlen = len;
			kiln_spawn(&t, hash_child, l);
			n = read_block(fd, l->buf[cur ^ 1], off, &stream);
			kiln_sync(&t);
		}
		cur ^= 1;
	}
	if (n < 0)
		return (int)-n;
	if (l->herr || hasher_final(&l->h, it->digest) < 0)
		return ENOMEM;
	return 0;
}

static void do_item(struct lane *l, struct item *it)
{
	int fd, r;

	atomic_fetch_add_explicit(&active, 1, memory_order_relaxed);
	if (it->kind == K_STDIN) {
		it->err = closed_fd[STDIN_FILENO] ? EBADF :
		    hash_fd(l, STDIN_FILENO, 1, it);
	} else {
		fd = kiln_openat(AT_FDCWD, it->name,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
		if (fd < 0) {
			it->err = -fd;
		} else {
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			it->err = hash_fd(l, fd, 0, it);
			r = kiln_close(fd);
			if (r < 0 && !it->err)
				it->err = -r;
		}
	}
	atomic_fetch_sub_explicit(&active, 1, memory_order_relaxed);
	publish(it);
}

static void lane_main(void *p)
{
	struct lane *l = p;
	size_t k;

	/* Relaxed: the cursor only hands out indices; the items themselves
	 * were written before kiln_run. */
	while ((k = atomic_fetch_add_explicit(l->next, 1,
	    memory_order_relaxed)) < l->nwork)
		do_item(l, &items.v[l->work[k]]);
}

struct run {
	struct lane *lanes;
	unsigned int nlanes;
	kiln_task *tasks;
};

static void root(void *p)
{
	struct run *r = p;
	unsigned int i;

	for (i = 1; i < r->nlanes; i++)
		kiln_spawn(&r->tasks[i], lane_main, &r->lanes[i]);
	if (r->nlanes)
		lane_main(&r->lanes[0]);
	for (i = r->nlanes; i-- > 1;)
		kiln_sync(&r->tasks[i]);
}

static kiln_pool *pool;
static struct run run;
static int run_err;

static void *runner(void *p)
{
	int r = kiln_run(pool, root, &run);
	size_t i;

	if (r < 0) {
		/* Nothing ran: fail whatever is not done, so that the
		 * printer does not wait for it. */
		run_err = -r;
		for (i = 0; i < items.n; i++)
			if (hashed(&items.v[i]) && !atomic_load_explicit(
			    &items.v[i].done, memory_order_acquire)) {
				items.v[i].err = -r;
				publish(&items.v[i]);
			}
	}
	return p;
}

/* --- progress --- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t total_bytes;
static int total_known = 1;
static int progress_shown, stdout_tty;
static uint64_t start_ns, next_draw_ns;

static void human(char *out, size_t n, double v)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	unsigned int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void progress_erase(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

static void progress_draw(uint64_t now)
{
	uint64_t done = atomic_load_explicit(&bytes_done,
	    memory_order_relaxed);
	double secs = (double)(now - start_ns) * 1e-9;
	double rate = secs > 0 ? (double)done / secs : 0;
	char a[32], b[32], r[32], eta[32] = "";

	next_draw_ns = now + PROGRESS_TICK_NS;
	human(a, sizeof(a), (double)done);
	human(r, sizeof(r), rate);
	if (total_known && total_bytes) {
		uint64_t left = total_bytes > done ? total_bytes - done : 0;
		unsigned long s = rate > 0 ?
		    (unsigned long)((double)left / rate + 0.5) : 0;

		human(b, sizeof(b), (double)total_bytes);
		if (rate > 0 && s >= 3600)
			snprintf(eta, sizeof(eta), ", %lu:%02lu:%02lu left",
			    s / 3600, s / 60 % 60, s % 60);
		else if (rate > 0)
			snprintf(eta, sizeof(eta), ", %lu:%02lu left",
			    s / 60, s % 60);
		fprintf(stderr, "\r%s: %s of %s (%.0f%%), %s/s%s\033[K", prog,
		    a, b, 100.0 * (double)done / (double)total_bytes, r, eta);
	} else {
		fprintf(stderr, "\r%s: %s, %s/s\033[K", prog, a, r);
	}
	progress_shown = 1;
}

static void progress_tick(void)
{
	uint64_t now;

	if (progress <= 0)
		return;
	now = now_ns();
	if (now >= next_draw_ns)
		progress_draw(now);
}

/* --- printing, in the order given --- */

static int exit_status;

/* Wait until a lane has published it (drawing progress meanwhile). */
static void wait_done(struct item *it)
{
	/* Acquire: pairs with the release store in publish(). */
	if (atomic_load_explicit(&it->done, memory_order_acquire))
		return;
	fflush(stdout);
	pthread_mutex_lock(&out_mu);
	while (!atomic_load_explicit(&it->done, memory_order_acquire)) {
		waiting = it;
		if (progress > 0) {
			/* Until the next redraw is due (monotonic time). */
			struct timespec ts = {
				.tv_sec = (time_t)(next_draw_ns / 1000000000u),
				.tv_nsec = (long)(next_draw_ns % 1000000000u),
			};

			if (pthread_cond_timedwait(&out_cv, &out_mu, &ts) ==
			    ETIMEDOUT) {
				pthread_mutex_unlock(&out_mu);
				progress_tick();
				pthread_mutex_lock(&out_mu);
			}
		} else {
			pthread_cond_wait(&out_cv, &out_mu);
		}
	}
	waiting = NULL;
	pthread_mutex_unlock(&out_mu);
}

/* "kiln-sum: " fmt, on stderr, after what stdout has so far. */
static void __attribute__((format(printf, 1, 2))) msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	progress_erase();
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
}

/* "kiln-sum: NAME: strerror(err)", NAME quoted as coreutils does. */
static void msg_errno(const char *name, int err)
{
	char *q = ks_quote(name);

	msg("%s: %s", q ? q : name, strerror(err));
	free(q);
}

static void print_sum(const struct item *it)
{
	char hex[2 * MAX_DIGEST + 1];
	int esc = !zero && ks_needs_escape(it->name);

	if (stdout_tty)
		progress_erase();
	ks_hex(hex, it->digest, it->len);
	if (esc)
		putchar('\\');
	if (tag) {
		fputs(alg->fmt.tag, stdout);
		if (it->len != alg->size)
			printf("-%u", 8 * it->len);
		fputs(" (", stdout);
		ks_put_name(stdout, it->name, esc);
		printf(") = %s", hex);
	} else {
		printf("%s %c", hex, binary > 0 ? '*' : ' ');
		ks_put_name(stdout, it->name, esc);
	}
	putchar(zero ? '\0' : '\n');
}

/* The counters of the -c list being printed. */
static struct {
	uintmax_t bad_lines, unreadable, mismatched;
	int formatted, matched;
} list;

/* One line of check mode: NAME: WHAT, the name escaped as coreutils does. */
static void verdict(const char *name, int esc, const char *what)
{
	if (stdout_tty)
		progress_erase();
	if (esc)
		putchar('\\');
	ks_put_name(stdout, name, esc);
	printf(": %s\n", what);
}

static void print_check(const struct item *it)
{
	/* coreutils 9.1 escapes a name in these lines only if it has a
	 * newline (then its backslashes and CRs too). */
	int esc = !status_only && strchr(it->name, '\n');
	int match;

	list.formatted = 1;
	if (it->err == ENOENT && ignore_missing)
		return;
	if (it->err) {
		msg_errno(it->name, it->err);
		list.unreadable++;
		if (!status_only)
			verdict(it->name, esc, "FAILED open or read");
		return;
	}
	match = ks_hex_equal(it->hex, it->digest, 2 * (size_t)it->len);
	if (match)
		list.matched = 1;
	else
		list.mismatched++;
	if (status_only || (match && quiet))
		return;
	verdict(it->name, esc, match ? "OK" : "FAILED");
}

static const char *plural(uintmax_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The end of a -c list: coreutils' warnings, and whether it passed. */
static void print_list_end(const struct item *it)
{
	char *q = ks_quote(it->name);
	const char *name = q ? q : it->name;

	if (it->err) {
		/* Its lines so far were checked; no summary, as coreutils. */
		msg("%s: read error", name);
		exit_status = 1;
	} else if (!list.formatted) {
		msg("%s: no properly formatted checksum lines found", name);
		exit_status = 1;
	} else {
		if (!status_only) {
			if (list.bad_lines)
				msg("WARNING: %ju %s", list.bad_lines,
				    plural(list.bad_lines,
				    "line is improperly formatted",
				    "lines are improperly formatted"));
			if (list.unreadable)
				msg("WARNING: %ju %s", list.unreadable,
				    plural(list.unreadable,
				    "listed file could not be read",
				    "listed files could not be read"));
			if (list.mismatched)
				msg("WARNING: %ju %s", list.mismatched,
				    plural(list.mismatched,
				    "computed checksum did NOT match",
				    "computed checksums did NOT match"));
			if (ignore_missing && !list.matched)
				msg("%s: no file was verified", name);
		}
		if (!list.matched || list.mismatched || list.unreadable ||
		    (strict && list.bad_lines))
			exit_status = 1;
	}
	free(q);
	memset(&list, 0, sizeof(list));
}

static void print_item(struct item *it)
{
	switch ((enum kind)it->kind) {
	case K_FILE:
	case K_STDIN:
		if (check_mode) {
			print_check(it);
			if (it->err && !(it->err == ENOENT && ignore_missing))
				exit_status = 1;
		} else if (it->err) {
			msg_errno(it->name, it->err);
			exit_status = 1;
		} else {
			print_sum(it);
		}
		break;
	case K_ERROR:
		msg_errno(it->name, it->err);
		exit_status = 1;
		break;
	case K_BADLINE:
		list.bad_lines++;
		if (warn_lines) {
			char *q = ks_quote(it->name);

			msg("%s: %ju: improperly formatted %s checksum line",
			    q ? q : it->name, it->line, alg->fmt.tag);
			free(q);
		}
		break;
	case K_LIST_ERR:
		msg_errno(it->name, it->err);
		exit_status = 1;
		memset(&list, 0, sizeof(list));
		break;
	case K_LIST_END:
		print_list_end(it);
		break;
	}
	progress_tick();
}

/* --- building the items --- */

static void add_operand(const char *arg)
{
	if (strcmp(arg, "-") == 0)
		add_item(K_STDIN, xstrdup(arg), 1);
	else
		add_item(K_FILE, xstrdup(arg), 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);
	int slash = d && dir[d - 1] != '/';
	char *p = xmalloc(d + slash + n + 1);

	memcpy(p, dir, d);
	if (slash)
		p[d] = '/';
	memcpy(p + d + slash, name, n + 1);
	return p;
}

/*
 * -r: the regular files under dir, names sorted bytewise at each level,
 * depth first.  Symbolic links are followed to regular files only, so the
 * walk cannot loop; other kinds of files are skipped.
 */
static void walk(const char *dir)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		add_item(K_ERROR, xstrdup(dir), 1)->err = errno;
		return;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **v;

			cap = cap ? cap * 2 : 64;
			v = realloc(names, cap * sizeof(*v));
			if (!v) {
				fprintf(stderr, "%s: out of memory\n", prog);
				exit(1);
			}
			names = v;
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (errno)
		add_item(K_ERROR, xstrdup(dir), 1)->err = errno;
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char *path = join(dir, names[i]);
		struct stat st;

		free(names[i]);
		if (lstat(path, &st) < 0) {
			add_item(K_ERROR, path, 1)->err = errno;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk(path);
			free(path);
		} else if (S_ISREG(st.st_mode)) {
			add_item(K_FILE, path, 1)->size = st.st_size;
		} else if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			add_item(K_FILE, path, 1)->size = st.st_size;
		} else {
			free(path);
		}
	}
	free(names);
}

/* Read all of fd; NUL-terminated (one spare byte).  -errno on failure,
 * with what was read before it in *out all the same. */
static int slurp(int fd, char **out, size_t *len)
{
	size_t n = 0, cap = 65536;
	char *p = xmalloc(cap + 1);
	int err = 0;

	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *q;

			cap *= 2;
			q = realloc(p, cap + 1);
			if (!q) {
				fprintf(stderr, "%s: out of memory\n", prog);
				exit(1);
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	return err;
}

/* -c: one list's lines become items, then its K_LIST_END. */
static void add_list(const char *arg, struct ks_parser *parser)
{
	int is_stdin = strcmp(arg, "-") == 0;
	const char *name = is_stdin ? "standard input" : arg;
	struct ks_lines lines;
	struct ks_entry e;
	struct item *it;
	char *buf, *s;
	size_t len, n;
	int fd, err;

	if (is_stdin) {
		fd = STDIN_FILENO;
		read_stdin_list = 1;
	} else {
		fd = open(arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			add_item(K_LIST_ERR, xstrdup(arg), 1)->err = errno;
			return;
		}
	}
	err = slurp(fd, &buf, &len);
	if (!is_stdin)
		close(fd);
	/* buf is kept to the end: the items point into it. */
	ks_lines_init(&lines, buf, len);
	while (ks_lines_next(&lines, &s, &n)) {
		if (!ks_parse_line(parser, &alg->fmt, s, n, &e) ||
		    (is_stdin && strcmp(e.name, "-") == 0)) {
			it = add_item(K_BADLINE, (char *)name, 0);
			it->line = lines.no;
		} else {
			it = add_item(strcmp(e.name, "-") == 0 ? K_STDIN :
			    K_FILE, (char *)e.name, 0);
			it->hex = (char *)e.hex;
			it->binary = (unsigned char)e.binary;
			it->len = (unsigned char)(e.hex_len / 2);
		}
	}
	/* The list's buffer goes with its end: the items point into it. */
	it = add_item(K_LIST_END, (char *)name, 0);
	it->err = err ? -err : 0;
	it->hex = buf;
}

/* --- sizes: for --progress, and to start the large files first --- */

/*
 * Add up the sizes of the files, stat()ing those whose size the walk did
 * not give; the files of -c lists only if lists is set (there may be
 * millions, and a stat costs about as much as opening the file).
 */
static void measure(int lists)
{
	size_t i;

	for (i = 0; i < items.n; i++) {
		struct item *it = &items.v[i];
		struct stat st;

		if (it->kind == K_STDIN) {
			off_t pos;

			if (fstat(STDIN_FILENO, &st) == 0 &&
			    S_ISREG(st.st_mode) &&
			    (pos = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0) {
				if (st.st_size > pos)
					total_bytes += (uint64_t)(st.st_size -
					    pos);
			} else {
				total_known = 0;
			}
			continue;
		}
		if (it->kind != K_FILE || (check_mode && !lists))
			continue;
		if (it->size < 0 && stat(it->name, &st) == 0) {
			if (S_ISREG(st.st_mode))
				it->size = st.st_size;
			else if (!S_ISDIR(st.st_mode))
				total_known = 0;
		}
		if (it->size > 0)
			total_bytes += (uint64_t)it->size;
	}
}

static int cmp_larger(const void *a, const void *b)
{
	const struct item *x = &items.v[*(const size_t *)a];
	const struct item *y = &items.v[*(const size_t *)b];

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x < y ? -1 : x > y;
}

/*
 * The order the lanes take the files in: files too large to be left for
 * the end, largest first, then the others as given.  A file started last
 * keeps one worker busy alone for as long as it takes to hash; with the
 * large ones started first, what is left at the end is small.  Output is
 * in the order given all the same.
 */
static size_t order_work(size_t *work)
{
	uint64_t big = total_bytes / (16 * (uint64_t)workers);
	size_t k, n = 0, nbig = 0;

	if (big < 4 * (uint64_t)block_size)
		big = 4 * (uint64_t)block_size;
	for (k = 0; k < items.n; k++)
		if (items.v[k].kind == K_FILE && items.v[k].size >= 0 &&
		    (uint64_t)items.v[k].size >= big && workers > 1)
			work[nbig++] = k;
	if (nbig)
		qsort(work, nbig, sizeof(*work), cmp_larger);
	n = nbig;
	for (k = 0; k < items.n; k++)
		if (items.v[k].kind == K_FILE && !(items.v[k].size >= 0 &&
		    (uint64_t)items.v[k].size >= big && workers > 1))
			work[n++] = k;
	return n;
}

/* --- main --- */

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: %s [-chrV] [-a algorithm] [-b blocksize] [-l bits] [-w workers]\n"
	    "       [--progress] [--tag] [-z] [FILE...]\n"
	    "Print or check checksums of files in coreutils' formats, reading\n"
	    "through io_uring while other cores hash.  With no FILE, or when\n"
	    "FILE is -, read standard input.\n\n"
	    "  -a, --algorithm=ALGO  ", prog);
	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		fprintf(f, "%s%s", i ? ", " : "", algos[i].name);
	fprintf(f, " (sha256)\n"
	    "  -b, --block-size=SIZE read SIZE bytes at a time; K, M suffixes\n"
	    "                        (1M; from 4K to 64M)\n"
	    "  -c, --check           read checksums from the FILEs and check them\n"
	    "  -l, --length=BITS     blake2b: digest length, a multiple of 8 up\n"
	    "                        to 512 (512)\n"
	    "  -r, --recursive       hash the regular files under directories\n"
	    "  -w, --workers=N       worker threads (default: one per CPU)\n"
	    "      --progress        show bytes done, rate and time left on stderr\n"
	    "                        (default when stderr is a terminal and the\n"
	    "                        files are large)\n"
	    "      --no-progress     never show it\n"
	    "      --tag             create a BSD-style checksum\n"
	    "      --binary, --text  mark names with '*' or ' ' (no difference)\n"
	    "  -z, --zero            end each output line with NUL, not newline,\n"
	    "                        and disable file name escaping\n"
	    "\nWhen checking:\n"
	    "      --ignore-missing  don't fail or report status for missing files\n"
	    "      --quiet           don't print OK for each verified file\n"
	    "      --status          don't output anything, exit status tells\n"
	    "      --strict          exit non-zero for improperly formatted lines\n"
	    "      --warn            warn about improperly formatted lines\n"
	    "\n  -h, --help            print this help and exit\n"
	    "  -V, --version         print the version and exit\n");
}

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	exit(2);
}

static unsigned long number(const char *s, const char *what,
    unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v < lo ||
	    v > hi) {
		fprintf(stderr, "%s: %s must be a number from %lu to %lu, "
		    "not '%s'\n", prog, what, lo, hi, s);
		exit(2);
	}
	return v;
}

/* A size: digits, then K, M or G (powers of 1024), optionally "iB". */
static size_t parse_size(const char *s)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !errno) {
		switch (*end) {
		case 'k': case 'K':
			mult = 1024;
			end++;
			break;
		case 'm': case 'M':
			mult = 1024 * 1024;
			end++;
			break;
		case 'g': case 'G':
			mult = 1024 * 1024 * 1024;
			end++;
			break;
		}
		if (mult > 1 && strcmp(end, "iB") == 0)
			end += 2;
		if (*end == '\0' && v <= MAX_BLOCK / mult &&
		    v * mult >= MIN_BLOCK)
			return (size_t)(v * mult);
	}
	fprintf(stderr, "%s: block size must be from 4K to 64M "
	    "(a number of bytes, or with a K or M suffix), not '%s'\n",
	    prog, s);
	exit(2);
}

enum {
	OPT_PROGRESS = 256, OPT_NO_PROGRESS, OPT_TAG, OPT_BINARY, OPT_TEXT,
	OPT_QUIET, OPT_STATUS, OPT_STRICT, OPT_WARN, OPT_IGNORE_MISSING,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "length", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'c' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "zero", no_argument, NULL, 'z' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "tag", no_argument, NULL, OPT_TAG },
		{ "binary", no_argument, NULL, OPT_BINARY },
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "warn", no_argument, NULL, OPT_WARN },
		{ "ignore-missing", no_argument, NULL, OPT_IGNORE_MISSING },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kiln_options opt = { 0 };
	struct ks_parser parser;
	struct kiln_stats kst;
	unsigned int nlanes, i;
	size_t nwork = 0, nstdin = 0, k, *work, *work_stdin;
	_Atomic size_t next = 0, next_stdin = 0;
	unsigned long bits = 0;
	int c, r, want_progress;
	pthread_t thr;

	setlocale(LC_ALL, "");
	/* A closed standard descriptor would be handed to the first file
	 * opened: give it /dev/null, and remember. */
	for (i = 0; i < 3; i++)
		if (fcntl((int)i, F_GETFD) < 0 && errno == EBADF) {
			closed_fd[i] = 1;
			if (open("/dev/null", i ? O_WRONLY : O_RDONLY) != (int)i)
				return 2;
		}
	while ((c = getopt_long(argc, argv, "a:b:cl:rw:zhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a':
			for (k = 0; k < sizeof(algos) / sizeof(algos[0]); k++)
				if (strcmp(optarg, algos[k].name) == 0)
					break;
			if (k == sizeof(algos) / sizeof(algos[0]))
				usage_error("unknown algorithm '%s' (see "
				    "--help)", optarg);
			alg = &algos[k];
			break;
		case 'b':
			block_size = parse_size(optarg);
			break;
		case 'c':
			check_mode = 1;
			break;
		case 'l':
			bits = number(optarg, "length", 0, 512);
			if (bits % 8)
				usage_error("length '%s' is not a multiple of "
				    "8", optarg);
			break;
		case 'r':
			recursive = 1;
			break;
		case 'w':
			opt.workers = (unsigned int)number(optarg, "workers",
			    1, 4096);
			break;
		case 'z':
			zero = 1;
			break;
		case OPT_PROGRESS:
			progress = 1;
			break;
		case OPT_NO_PROGRESS:
			progress = 0;
			break;
		case OPT_TAG:
			tag = 1;
			break;
		case OPT_BINARY:
			binary = 1;
			break;
		case OPT_TEXT:
			binary = 0;
			break;
		case OPT_QUIET:
			status_only = warn_lines = 0;
			quiet = 1;
			break;
		case OPT_STATUS:
			quiet = warn_lines = 0;
			status_only = 1;
			break;
		case OPT_WARN:
			status_only = quiet = 0;
			warn_lines = 1;
			break;
		case OPT_STRICT:
			strict = 1;
			break;
		case OPT_IGNORE_MISSING:
			ignore_missing = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kiln-sum (kiln) %d.%d.%d\n", KILN_VERSION_MAJOR,
			    KILN_VERSION_MINOR, KILN_VERSION_PATCH);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more "
			    "information.\n", prog);
			return 2;
		}
	}
	if (bits && !alg->fmt.blake2)
		usage_error("%s", "--length is only supported with "
		    "--algorithm=blake2b");
	digest_len = bits ? (unsigned int)bits / 8 : alg->size;
	if (tag && binary == 0)
		usage_error("%s", "--tag does not support --text mode");
	if (check_mode) {
		if (zero)
			usage_error("%s", "the --zero option is not supported "
			    "when verifying checksums");
		if (tag)
			usage_error("%s", "the --tag option is meaningless "
			    "when verifying checksums");
		if (binary >= 0)
			usage_error("%s", "the --binary and --text options "
			    "are meaningless when verifying checksums");
		if (recursive)
			usage_error("%s", "the --recursive option is "
			    "meaningless when verifying checksums");
	} else {
		const char *only = ignore_missing ? "--ignore-missing" :
		    status_only ? "--status" : warn_lines ? "--warn" :
		    quiet ? "--quiet" : strict ? "--strict" : NULL;

		if (only)
			usage_error("the %s option is meaningful only when "
			    "verifying checksums", only);
	}

	if (alg->evp) {
		md = EVP_MD_fetch(NULL, alg->evp, NULL);
		if (!md) {
			fprintf(stderr, "%s: OpenSSL has no %s\n", prog,
			    alg->evp);
			return 1;
		}
	}

	/* The items, in the order they will be printed. */
	if (check_mode) {
		ks_parser_init(&parser);
		if (optind == argc)
			add_list("-", &parser);
		for (; optind < argc; optind++)
			add_list(argv[optind], &parser);
	} else if (optind == argc) {
		add_operand("-");
	} else {
		for (; optind < argc; optind++) {
			struct stat st;

			if (recursive && strcmp(argv[optind], "-") != 0 &&
			    stat(argv[optind], &st) == 0 &&
			    S_ISDIR(st.st_mode))
				walk(argv[optind]);
			else
				add_operand(argv[optind]);
		}
	}
	r = kiln_pool_create(&pool, &opt);
	if (r < 0) {
		fprintf(stderr, "%s: cannot create the pool: %s\n", prog,
		    strerror(-r));
		return 1;
	}
	kiln_pool_stats(pool, &kst);
	workers = kst.workers;

	want_progress = progress > 0 ||
	    (progress < 0 && isatty(STDERR_FILENO));
	if (want_progress || workers > 1)
		measure(want_progress);
	if (progress < 0)
		progress = want_progress && total_bytes >= PROGRESS_MIN_TOTAL;
	stdout_tty = isatty(STDOUT_FILENO);
	setvbuf(stdout, NULL, _IOLBF, 0);

	work = xmalloc(items.n * sizeof(*work));
	work_stdin = xmalloc(items.n * sizeof(*work_stdin));
	nwork = order_work(work);
	for (k = 0; k < items.n; k++)
		if (items.v[k].kind == K_STDIN)
			work_stdin[nstdin++] = k;

	/* Lanes: enough that each worker has others to run while some wait
	 * for I/O; their blocks within LANE_MEMORY. */
	nlanes = LANES_PER_WORKER * workers;
	if ((size_t)nlanes * 2 * block_size > LANE_MEMORY)
		nlanes = (unsigned int)(LANE_MEMORY / (2 * block_size));
	if (nlanes < workers)
		nlanes = workers;
	if (nlanes > nwork)
		nlanes = (unsigned int)nwork;
	run.nlanes = nlanes + (nstdin > 0);
	run.lanes = calloc(run.nlanes ? run.nlanes : 1, sizeof(*run.lanes));
	run.tasks = calloc(run.nlanes ? run.nlanes : 1, sizeof(*run.tasks));
	if (!run.lanes || !run.tasks) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (i = 0; i < run.nlanes; i++) {
		struct lane *l = &run.lanes[i];
		int stdin_lane = nstdin && i == run.nlanes - 1;

		if (posix_memalign((void **)&l->buf[0], 4096, block_size) ||
		    posix_memalign((void **)&l->buf[1], 4096, block_size) ||
		    hasher_new(&l->h) < 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return 1;
		}
		l->work = stdin_lane ? work_stdin : work;
		l->nwork = stdin_lane ? nstdin : nwork;
		l->next = stdin_lane ? &next_stdin : &next;
	}

	/* The printer's timed waits are in CLOCK_MONOTONIC time. */
	{
		pthread_condattr_t ca;

		if (pthread_condattr_init(&ca) ||
		    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
		    pthread_cond_init(&out_cv, &ca)) {
			fprintf(stderr, "%s: cannot make a condition "
			    "variable\n", prog);
			return 1;
		}
		pthread_condattr_destroy(&ca);
	}
	start_ns = now_ns();
	next_draw_ns = start_ns + PROGRESS_DELAY_NS;
	r = pthread_create(&thr, NULL, runner, NULL);
	if (r) {
		fprintf(stderr, "%s: cannot start a thread: %s\n", prog,
		    strerror(r));
		return 1;
	}
	for (k = 0; k < items.n; k++) {
		if (hashed(&items.v[k]))
			wait_done(&items.v[k]);
		print_item(&items.v[k]);
	}
	pthread_join(thr, NULL);
	progress_erase();
	if (run_err)
		msg("cannot run the tasks: %s", strerror(run_err));
	kiln_pool_destroy(pool);

	for (i = 0; i < run.nlanes; i++) {
		free(run.lanes[i].buf[0]);
		free(run.lanes[i].buf[1]);
		hasher_free(&run.lanes[i].h);
	}
	EVP_MD_free(md);
	for (k = 0; k < items.n; k++) {
		if (items.v[k].own)
			free(items.v[k].name);
		if (items.v[k].kind == K_LIST_END)
			free(items.v[k].hex);
	}
	free(items.v);
	free(work);
	free(work_stdin);
	free(run.lanes);
	free(run.tasks);
	pthread_cond_destroy(&out_cv);
	if (closed_fd[STDIN_FILENO] && (nstdin || read_stdin_list)) {
		/* As coreutils, whose fclose(stdin) fails then. */
		msg("standard input: %s", strerror(EBADF));
		exit_status = 1;
	}
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0 ||
	    (closed_fd[STDOUT_FILENO] && (errno = EBADF))) {
		fprintf(stderr, "%s: write error: %s\n", prog,
		    strerror(errno));
		return 1;
	}
	return exit_status;
}
