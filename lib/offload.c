/*
 * Helper threads for the I/O fallback.
 *
 * Workers hand operations over through a bounded multi-producer,
 * multi-consumer array queue (D. Vyukov's design): a producer claims a cell
 * by a CAS on the enqueue counter, fills it, then publishes it by storing
 * the cell's sequence number with release order; a consumer does the
 * mirror image.  No mutex: the worst case is a consumer waiting for a
 * producer that was preempted between its CAS and its publication.
 *
 * Idle helpers sleep on an event count (a futex word that producers bump
 * after each enqueue): a helper reads the count, looks at the queue, and
 * sleeps only if the count is unchanged, so no wake-up is lost.  Producers
 * skip the wake system call when no helper is idle (Dekker's pattern on
 * `idle` and the queue, both sides with a seq_cst fence).  A helper counted
 * as idle may be about to take another item instead, and then block on it
 * for long (a recv that never gets data): so a helper that takes an item
 * that may wait, and leaves others queued, wakes or starts one more helper,
 * as a producer does (more_hands).
 *
 * Operations on sockets and other pollable files may block forever, so the
 * helpers start more threads when all are busy (up to MAX_HELPERS, with
 * small stacks: they only make system calls), and a pool-wide eventfd lets
 * kiln_pool_destroy interrupt every waiting call (see kiln__io_syscall).
 * When the queue is full, the submitter is told to try again later; the
 * task then waits as a ready fiber, not the worker.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "alloc.h"
#include "futex.h"
#include "offload.h"
#include "thread.h"

#define QUEUE_SIZE 1024u  /* a power of two */
#define MIN_HELPERS 2u
#define MAX_HELPERS 512u
#define HELPER_STACK (128u * 1024)

struct cell {
	_Atomic size_t seq;
	_Atomic(struct kiln__io *) io;
};

struct kiln__offload {
	struct cell cell[QUEUE_SIZE];
	_Alignas(64) _Atomic size_t enq;
	_Alignas(64) _Atomic size_t deq;
	_Alignas(64) _Atomic uint32_t events; /* futex: bumped per enqueue */
	_Atomic uint32_t idle;                /* helpers asleep or about to */
	_Atomic uint32_t stop;
	_Atomic uint32_t nthreads;            /* started or being started */
	int cancel_fd;                        /* readable once cancelled */
	kiln__offload_done_fn *done;
	pthread_t thread[MAX_HELPERS];
};

static int enqueue(struct kiln__offload *o, struct kiln__io *io)
{
	/* Relaxed: the CAS below is what claims a position. */
	size_t pos = atomic_load_explicit(&o->enq, memory_order_relaxed);
	struct cell *c;

	for (;;) {
		intptr_t diff;

		c = &o->cell[pos & (QUEUE_SIZE - 1)];
		/* Acquire: pairs with the release store of seq in dequeue,
		 * so the consumer is done with the cell's previous value. */
		diff = (intptr_t)atomic_load_explicit(&c->seq,
		    memory_order_acquire) - (intptr_t)pos;
		if (diff == 0) {
			/* Relaxed: the cell's seq orders the data. */
			if (atomic_compare_exchange_weak_explicit(&o->enq,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (diff < 0) {
			return -EAGAIN;
		} else {
			pos = atomic_load_explicit(&o->enq,
			    memory_order_relaxed);
		}
	}
	/* Relaxed: published by the release store of seq just below. */
	atomic_store_explicit(&c->io, io, memory_order_relaxed);
	/* Release: pairs with the acquire load of seq in dequeue. */
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

static struct kiln__io *dequeue(struct kiln__offload *o)
{
	/* Relaxed: the CAS below is what claims a position. */
	size_t pos = atomic_load_explicit(&o->deq, memory_order_relaxed);
	struct kiln__io *io;
	struct cell *c;

	for (;;) {
		intptr_t diff;

		c = &o->cell[pos & (QUEUE_SIZE - 1)];
		/* Acquire: pairs with the release store of seq in enqueue,
		 * so the operation the producer filled in is visible. */
		diff = (intptr_t)atomic_load_explicit(&c->seq,
		    memory_order_acquire) - (intptr_t)(pos + 1);
		if (diff == 0) {
			/* Relaxed: the cell's seq orders the data. */
			if (atomic_compare_exchange_weak_explicit(&o->deq,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (diff < 0) {
			return NULL;
		} else {
			pos = atomic_load_explicit(&o->deq,
			    memory_order_relaxed);
		}
	}
	/* Relaxed: made visible by the acquire load of seq above. */
	io = atomic_load_explicit(&c->io, memory_order_relaxed);
	/* Release: pairs with the acquire load of seq in enqueue. */
	atomic_store_explicit(&c->seq, pos + QUEUE_SIZE, memory_order_release);
	return io;
}

static int add_helper(struct kiln__offload *o);

/*
 * After an enqueue, or after a dequeue that may leave items behind: make
 * sure some helper will take them, waking an idle one or starting one.
 */
static void more_hands(struct kiln__offload *o)
{
	/* seq_cst: the publisher's fence (Dekker, see the top).
	 * (TSan does not model fences: liveness only.) */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordered by the fence; a stale count errs on more hands. */
	if (atomic_load_explicit(&o->enq, memory_order_relaxed) ==
	    atomic_load_explicit(&o->deq, memory_order_relaxed))
		return;
	if (atomic_load_explicit(&o->idle, memory_order_relaxed))
		kiln__futex_wake(&o->events, 1);
	else
		add_helper(o);  /* all busy: perhaps blocked for long */
}

/*
 * Make the call; io may be gone once this returns.  Only a call that may
 * wait calls for more hands: a cached read is done before another helper
 * could even wake up.
 */
static void run(struct kiln__offload *o, struct kiln__io *io)
{
	long r;

	if (!kiln__io_try(io, &r)) {
		more_hands(o);
		r = kiln__io_syscall(io, o->cancel_fd);
	}
	io->res = (int)r;
	o->done(io);
}

static void *helper_main(void *arg)
{
	struct kiln__offload *o = arg;

	pthread_setname_np(pthread_self(), "kiln-io");
	for (;;) {
		struct kiln__io *io = dequeue(o);
		uint32_t ev;

		if (io) {
			run(o, io);
			continue;
		}
		/* Acquire: pairs with the release increment in submit. */
		ev = atomic_load_explicit(&o->events, memory_order_acquire);
		/* Relaxed: ordered by the fence below. */
		atomic_fetch_add_explicit(&o->idle, 1, memory_order_relaxed);
		/* seq_cst: the sleeper's fence (Dekker, see the top).
		 * (TSan does not model fences: liveness only.) */
		atomic_thread_fence(memory_order_seq_cst);
		io = dequeue(o);
		if (!io && !atomic_load_explicit(&o->stop,
		    memory_order_acquire))
			kiln__futex_wait(&o->events, ev);
		atomic_fetch_sub_explicit(&o->idle, 1, memory_order_relaxed);
		if (io)
			run(o, io);
		else if (atomic_load_explicit(&o->stop,
		    memory_order_acquire)) {
			return NULL;
		}
	}
}

/* Start one more helper if there is room; 0 if one was started. */
static int add_helper(struct kiln__offload *o)
{
	uint32_t i;
	int ret;

	/* Relaxed: only reserves a slot of the array. */
	i = atomic_fetch_add_explicit(&o->nthreads, 1, memory_order_relaxed);
	if (i >= MAX_HELPERS) {
		atomic_fetch_sub_explicit(&o->nthreads, 1,
		    memory_order_relaxed);
		return -EAGAIN;
	}
	ret = kiln__thread_start(&o->thread[i], helper_main, o, HELPER_STACK);
	if (ret < 0)
		o->thread[i] = 0;  /* the slot stays unused; destroy skips it */
	return ret;
}

int kiln__offload_create(struct kiln__offload **out,
    kiln__offload_done_fn *done)
{
	struct kiln__offload *o = kiln__alloc_aligned(sizeof(*o), 64);
	unsigned int i;

	if (!o)
		return -ENOMEM;
	for (i = 0; i < QUEUE_SIZE; i++) {
		atomic_init(&o->cell[i].seq, i);
		atomic_init(&o->cell[i].io, NULL);
	}
	atomic_init(&o->enq, 0);
	atomic_init(&o->deq, 0);
	atomic_init(&o->events, 0);
	atomic_init(&o->idle, 0);
	atomic_init(&o->stop, 0);
	atomic_init(&o->nthreads, 0);
	o->done = done;
	o->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->cancel_fd < 0) {
		int err = errno;

		kiln__free(o);
		return -err;
	}
	for (i = 0; i < MIN_HELPERS; i++) {
		int ret = add_helper(o);

		if (ret < 0 && i == 0) {
			close(o->cancel_fd);
			kiln__free(o);
			return ret;
		}
	}
	*out = o;
	return 0;
}

/* Queue io for a helper; -EAGAIN if the queue is full. */
int kiln__offload_submit(struct kiln__offload *o, struct kiln__io *io)
{
	int ret = enqueue(o, io);

	if (ret < 0)
		return ret;
	/* Release: pairs with the helpers' acquire load of the count. */
	atomic_fetch_add_explicit(&o->events, 1, memory_order_release);
	more_hands(o);
	return 0;
}

/* Make every waiting and later pollable call return -ECANCELED. */
void kiln__offload_cancel(struct kiln__offload *o)
{
	eventfd_write(o->cancel_fd, 1);
}

void kiln__offload_destroy(struct kiln__offload *o)
{
	uint32_t i, n;

	/* Release: pairs with the helpers' acquire loads of stop. */
	atomic_store_explicit(&o->stop, 1, memory_order_release);
	atomic_fetch_add_explicit(&o->events, 1, memory_order_release);
	kiln__futex_wake(&o->events, INT32_MAX);
	n = atomic_load_explicit(&o->nthreads, memory_order_relaxed);
	for (i = 0; i < n && i < MAX_HELPERS; i++)
		if (o->thread[i])
			pthread_join(o->thread[i], NULL);
	close(o->cancel_fd);
	kiln__free(o);
}
