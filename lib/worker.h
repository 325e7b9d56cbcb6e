/*
 * Workers: one thread each, the scheduling loop, parking and resuming
 * fibers, stealing, sleeping and waking.  See worker.c.
 */
#ifndef KILN_WORKER_H
#define KILN_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "deque.h"
#include "fiber.h"
#include "kiln.h"
#include "ring.h"
#include "split.h"
#include "timer.h"

/* kiln_task.kiln__state: 0 while pending, this once run, else a waiter. */
#define KILN__DONE ((uintptr_t)1)

/* A kiln_go task or the task of a kiln_run call. */
struct kiln__call {
	struct kiln__job job;       /* KILN__JOB_GO or KILN__JOB_ROOT */
	void (*fn)(void *);
	void *arg;
	_Atomic uint32_t done;      /* ROOT: futex word kiln_run waits on */
};

/* Each written by its worker's thread only; read by kiln_pool_stats. */
struct kiln__counters {
	_Atomic uint64_t steals;
	_Atomic uint64_t steal_attempts;
	_Atomic uint64_t suspends;
	_Atomic uint64_t resumes;
	_Atomic uint64_t fibers;
	_Atomic uint64_t detached;
	_Atomic uint64_t sleeps;
	_Atomic uint64_t io_submitted;
	_Atomic uint64_t io_completed;
};

/* What the fiber switched to must do first, for the one switched from. */
enum kiln__after {
	KILN__AFTER_NONE,
	KILN__AFTER_RECYCLE,   /* fiber: back to the free list */
	KILN__AFTER_WAIT_TASK, /* fiber waits for task ptr: publish it */
	KILN__AFTER_READY,     /* fiber is ready again (kiln_yield) */
	KILN__AFTER_OFFLOAD,   /* fiber waits for I/O ptr: to the helpers */
};

struct kiln__worker {
	struct kiln__split sq;           /* first: kiln__self points here */
	struct kiln__deque ready;        /* ready fibers, detached tasks */
	/* Jobs pushed by other threads (Treiber stack); owner drains it. */
	_Alignas(64) _Atomic(struct kiln__job *) inbox;
	/* KILN__AWAKE or KILN__SLEEPING; the futex an idle worker sleeps on. */
	_Alignas(64) _Atomic uint32_t sleep;

	/* From here on: this worker's thread only. */
	_Alignas(64) struct kiln_pool *pool;
	unsigned int id;
	uint64_t rng;
	struct kiln__fiber *current;     /* the fiber running on this thread */
	struct kiln__fiber native;       /* the thread's own stack */
	struct kiln__fiber *free_fibers;
	unsigned int nfree;
	struct kiln__job *overflow;      /* ready jobs the deque had no room for */
	struct kiln__job *overflow_tail;
	struct {
		enum kiln__after kind;
		void *ptr;
		struct kiln__fiber *fiber;
	} after;
	pthread_t thread;
	struct kiln__counters stats;
	/* I/O: the ring, if the kernel gave us one, else timers + helpers. */
	_Atomic int use_ring;            /* set once at start; kickers read */
	int cancelled;                   /* kiln__io_cancel done */
	_Atomic uint32_t io_inflight;    /* owner writes; stats read */
	struct kiln__ring ring;
	struct kiln__timers timers;
};

enum { KILN__AWAKE, KILN__SLEEPING };

struct kiln_pool {
	struct kiln__worker **workers;
	unsigned int nworkers;
	size_t stack_size;
	unsigned int ring_entries;
	unsigned int flags;
	_Alignas(64) _Atomic uint32_t nsleep; /* workers asleep or going to */
	_Alignas(64) _Atomic uint32_t live;   /* kiln_go tasks not finished */
	_Atomic uint32_t stop;
	_Atomic uint32_t closing;             /* destroy began: cancel I/O */
	_Atomic uint32_t next;                /* round robin for kiln_run */
	_Atomic uint32_t started;             /* workers through start-up */
	struct kiln__offload *offload;        /* helper threads, if needed */
};

struct kiln__worker *kiln__worker_self(void);
int kiln__worker_init(struct kiln__worker *w, struct kiln_pool *pool,
    unsigned int id);
void kiln__worker_fini(struct kiln__worker *w);
void *kiln__worker_main(void *arg);
void kiln__wake_one(struct kiln_pool *pool);
void kiln__kick(struct kiln__worker *w);
void kiln__inbox_push(struct kiln__worker *w, struct kiln__job *j);
void kiln__enqueue(struct kiln__worker *w, struct kiln__job *j);
void kiln__ready_push(struct kiln__worker *w, struct kiln__job *j);
void kiln__run_task(kiln_task *t);
void kiln__wait_task(kiln_task *t);
int kiln__park(enum kiln__after kind, void *ptr);

/* Owner-only counter: a relaxed load and store, no read-modify-write. */
static inline void kiln__bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

static inline void kiln__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

#endif /* KILN_WORKER_H */
