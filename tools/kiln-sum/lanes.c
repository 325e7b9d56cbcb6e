/*
 * kiln-sum: the lanes, where kiln is used (see lanes.h).
 *
 *  - kiln_run, on a thread of its own, starts the root task, which spawns
 *    a fixed number of lanes (about four per worker).  A lane is a task
 *    that takes the next file from a shared cursor, hashes it, publishes
 *    the result and takes the next, until none are left.  Lanes bound the
 *    memory (two blocks each) and the open files.  Workers steal lanes,
 *    and the fibers of lanes whose reads completed, from one another.
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
 *
 * Errors are negative errno values until they reach the item's record.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fds.h"
#include "lanes.h"
#include "output.h"
#include "progress.h"
#include "tool.h"

/* A hash task yields after this much, so that the worker reaps its ring. */
#define HASH_SLICE (1u * 1024 * 1024)
/* Lanes per worker, and the memory their blocks may take together. */
#define LANES_PER_WORKER 4u
#define LANE_MEMORY (256u * 1024 * 1024)

struct lane {
	struct ks_lanes *run;
	unsigned char *buf[2];
	struct ks_hasher h;
	int herr;               /* the file's first hashing error, or 0 */
	/* The child task's job, a hash or a read: set before kiln_spawn,
	 * used by the child; the spawn and the sync order the accesses. */
	const unsigned char *hbuf;
	size_t hlen;
	int rfd, rstream;
	unsigned char *rbuf;
	off_t roff;
	ssize_t rn;
	const size_t *work;     /* indices of the items this lane may take */
	size_t nwork;
	_Atomic size_t *next;   /* shared cursor into work */
};

struct ks_lanes {
	struct ks_items *items;
	const struct ks_options *o;
	kiln_pool *pool;
	unsigned int workers;
	/* Files being hashed now, against the workers: a hint, relaxed. */
	_Atomic unsigned int active;
	struct tool_fds fds;            /* the lanes' files (see open_file) */
	struct lane *lane;
	kiln_task *task;
	unsigned int nlanes;
	size_t *work, nwork;            /* the files, in the order taken */
	size_t *work_stdin, nstdin;     /* the "-" items, for the last lane */
	_Atomic size_t next, next_stdin;
	pthread_t thread;
	int err;                        /* kiln_run's, for ks_lanes_finish */
};

/* Keep the first error of a file. */
static void note(int *err, int r)
{
	if (r < 0 && !*err)
		*err = r;
}

/*
 * Hash a block.  Large blocks are hashed in slices with a suspension point
 * between, so that this worker's ring is reaped meanwhile.
 */
static void hash_block(struct lane *l, const unsigned char *b, size_t n)
{
	while (n > HASH_SLICE) {
		note(&l->herr, ks_hasher_update(&l->h, b, HASH_SLICE));
		b += HASH_SLICE;
		n -= HASH_SLICE;
		kiln_yield();
	}
	note(&l->herr, ks_hasher_update(&l->h, b, n));
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
static ssize_t read_block(struct lane *l, int fd, unsigned char *buf,
    off_t off, int *stream)
{
	size_t got = 0, size = l->run->o->block_size;

	while (got < size) {
		ssize_t n = kiln_read(fd, buf + got, size - got,
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
		if (n <= 0) {
			if (n < 0)
				return n;
			break;
		}
		got += (size_t)n;
		ks_progress_add((uint64_t)n);
		if (!*stream)
			break;
	}
	return (ssize_t)got;
}

static void read_child(void *p)
{
	struct lane *l = p;

	l->rn = read_block(l, l->rfd, l->rbuf, l->roff, &l->rstream);
}

/*
 * Hash what fd gives until its end into it->digest: 0 or a negative errno
 * value, a read's or the hasher's.
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
static int hash_fd(struct lane *l, int fd, int stream, struct ks_item *it)
{
	kiln_task t;
	off_t off = 0;
	ssize_t n;
	int cur = 0;

	l->herr = ks_hasher_init(&l->h, it->len);
	if (l->herr)
		return l->herr;
	n = read_block(l, fd, l->buf[0], 0, &stream);
	while (n > 0) {
		size_t len = (size_t)n;

		off += n;
		/* Relaxed: a hint; a stale count only picks the other way. */
		if (atomic_load_explicit(&l->run->active,
		    memory_order_relaxed) < l->run->workers) {
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
			n = read_block(l, fd, l->buf[cur ^ 1], off, &stream);
			kiln_sync(&t);
		}
		cur ^= 1;
	}
	if (n < 0)
		return (int)n;
	if (!l->herr)
		l->herr = ks_hasher_final(&l->h, it->digest);
	return l->herr;
}

static int open_name(void *name)
{
	return kiln_openat(AT_FDCWD, name, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
}

/*
 * Open a file to hash: the descriptor, or a negative errno value.
 *
 * There are no more lanes than descriptors were free at the start, but
 * something else in the process may take some meanwhile.  On EMFILE or
 * ENFILE, wait for one of the lanes' files to close and try again; only
 * when none of them is open is it the file's error, as it would be for
 * sha256sum (tools/common's rule, fds.h).  The wait parks the task in
 * kiln_sleep, so the worker runs the other lanes meanwhile, and their
 * closes end the wait; the latency of a few milliseconds arises only when
 * the descriptors have run out.
 */
static int open_file(struct ks_lanes *s, const char *name)
{
	return tool_fds_open(&s->fds, 0, open_name, (void *)name);
}

static int close_file(struct ks_lanes *s, int fd)
{
	int r = kiln_close(fd);

	tool_fds_closed(&s->fds);
	return r;
}

/* Hash a named file: 0 or a negative errno value. */
static int hash_file(struct lane *l, struct ks_item *it)
{
	int fd, r, rc;

	fd = open_file(l->run, it->name);
	if (fd < 0)
		return fd;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = hash_fd(l, fd, 0, it);
	rc = close_file(l->run, fd);
	return r < 0 ? r : rc;
}

static void do_item(struct lane *l, struct ks_item *it)
{
	int r;

	atomic_fetch_add_explicit(&l->run->active, 1, memory_order_relaxed);
	if (it->kind == KS_STDIN)
		r = l->run->o->closed_fd[STDIN_FILENO] ? -EBADF :
		    hash_fd(l, STDIN_FILENO, 1, it);
	else
		r = hash_file(l, it);
	atomic_fetch_sub_explicit(&l->run->active, 1, memory_order_relaxed);
	/* The record: an errno value from here on. */
	it->err = -r;
	ks_publish(it);
}

static void lane_main(void *p)
{
	struct lane *l = p;
	size_t k;

	/* Relaxed: the cursor only hands out indices; the items themselves
	 * were written before kiln_run. */
	while ((k = atomic_fetch_add_explicit(l->next, 1,
	    memory_order_relaxed)) < l->nwork)
		do_item(l, &l->run->items->v[l->work[k]]);
}

static void root(void *p)
{
	struct ks_lanes *s = p;
	unsigned int i;

	for (i = 1; i < s->nlanes; i++)
		kiln_spawn(&s->task[i], lane_main, &s->lane[i]);
	if (s->nlanes)
		lane_main(&s->lane[0]);
	for (i = s->nlanes; i-- > 1;)
		kiln_sync(&s->task[i]);
}

static void *runner(void *p)
{
	struct ks_lanes *s = p;
	int r = kiln_run(s->pool, root, s);
	size_t i;

	if (r < 0) {
		/* Nothing ran: fail whatever is not done, so that the
		 * printer does not wait for it. */
		s->err = r;
		for (i = 0; i < s->items->n; i++) {
			struct ks_item *it = &s->items->v[i];

			/* Acquire: pairs with ks_publish's release store;
			 * nothing ran, so none is done, in fact. */
			if (ks_item_hashed(it) && !atomic_load_explicit(
			    &it->done, memory_order_acquire)) {
				it->err = -r;
				ks_publish(it);
			}
		}
	}
	return NULL;
}

/*
 * How many lanes for the files: enough that each worker has others to
 * run while some wait for I/O, their blocks within LANE_MEMORY, no more
 * than files, and no more than descriptors are free (each lane holds one
 * file open at a time), but at least one.
 */
static unsigned int count_lanes(const struct ks_lanes *s)
{
	size_t n = LANES_PER_WORKER * (size_t)s->workers;
	unsigned int fds;

	if (n * 2 * s->o->block_size > LANE_MEMORY)
		n = LANE_MEMORY / (2 * s->o->block_size);
	if (n < s->workers)
		n = s->workers;
	if (n > s->nwork)
		n = s->nwork;
	fds = tool_fds_free((unsigned int)n);
	if (n > fds)
		n = fds ? fds : 1;
	return (unsigned int)n;
}

/* The lanes' buffers and hashers; the last one takes standard input. */
static int make_lanes(struct ks_lanes *s, const struct ks_hash *hash)
{
	unsigned int i;
	int r;

	s->lane = xcalloc(s->nlanes, sizeof(*s->lane));
	s->task = xcalloc(s->nlanes, sizeof(*s->task));
	for (i = 0; i < s->nlanes; i++) {
		struct lane *l = &s->lane[i];
		int stdin_lane = s->nstdin && i == s->nlanes - 1;

		l->run = s;
		l->buf[0] = xmemalign(4096, s->o->block_size);
		l->buf[1] = xmemalign(4096, s->o->block_size);
		r = ks_hasher_new(&l->h, hash);
		if (r < 0)
			return r;
		l->work = stdin_lane ? s->work_stdin : s->work;
		l->nwork = stdin_lane ? s->nstdin : s->nwork;
		l->next = stdin_lane ? &s->next_stdin : &s->next;
	}
	return 0;
}

static void free_lanes(struct ks_lanes *s)
{
	unsigned int i;

	for (i = 0; s->lane && i < s->nlanes; i++) {
		free(s->lane[i].buf[0]);
		free(s->lane[i].buf[1]);
		ks_hasher_free(&s->lane[i].h);
	}
	free(s->lane);
	free(s->task);
	free(s->work);
	free(s->work_stdin);
	free(s);
}

int ks_lanes_start(struct ks_lanes **out, kiln_pool *pool,
    struct ks_items *items, const struct ks_options *o,
    const struct ks_hash *hash)
{
	struct ks_lanes *s = xcalloc(1, sizeof(*s));
	struct kiln_stats st;
	size_t k;
	int r;

	s->items = items;
	s->o = o;
	s->pool = pool;
	kiln_pool_stats(pool, &st);
	s->workers = st.workers;
	atomic_init(&s->active, 0);
	tool_fds_init(&s->fds);
	atomic_init(&s->next, 0);
	atomic_init(&s->next_stdin, 0);
	s->work = xcalloc(items->n, sizeof(*s->work));
	s->work_stdin = xcalloc(items->n, sizeof(*s->work_stdin));
	s->nwork = ks_items_order(items, o->block_size, s->workers, s->work);
	for (k = 0; k < items->n; k++)
		if (items->v[k].kind == KS_STDIN)
			s->work_stdin[s->nstdin++] = k;
	s->nlanes = count_lanes(s) + (s->nstdin > 0);
	r = make_lanes(s, hash);
	if (r == 0)
		r = -pthread_create(&s->thread, NULL, runner, s);
	if (r < 0) {
		free_lanes(s);
		return r;
	}
	*out = s;
	return 0;
}

int ks_lanes_finish(struct ks_lanes *s)
{
	int r;

	pthread_join(s->thread, NULL);
	r = s->err;
	free_lanes(s);
	return r;
}
