/*
 * Workers: one thread each, the scheduling loop, parking and resuming
 * fibers (park.h), stealing, sleeping and waking.  Uses readyq, split,
 * fiber and io; used by task.c and pool.c.  See worker.c.
 */
#ifndef KILN_WORKER_H
#define KILN_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fiber.h"
#include "io.h"
#include "kiln.h"
#include "park.h"
#include "readyq.h"
#include "split.h"

/* A task's state (kiln_task.kiln__state, word 1 of a record): 0 once
 * taken, this once run, else the fiber that waits for it. */
#define KILN__DONE ((uintptr_t)1)

/* A kiln_go task or the task of a kiln_run call. */
struct kiln__call {
	struct kiln__job job;       /* KILN__JOB_GO or KILN__JOB_ROOT */
	void (*fn)(void *);
	void *arg;
	uintptr_t state;            /* ROOT: a task's state, awaited */
	/* ROOT: the worker of another pool whose task called kiln_run and
	 * waits, parked, in task's state; NULL: a thread waits on done. */
	struct kiln__worker *home;
	_Atomic uint32_t done;      /* ROOT: futex word kiln_run waits on */
};

/* The worker's counters, each the field of struct kiln_stats it adds to. */
#define KILN__WORKER_COUNTERS(X)                                            \
	X(steals) X(steal_attempts) X(suspends) X(resumes) X(fibers)        \
	X(detached) X(sleeps)

/* Each written by its worker's thread only; read by kiln_pool_stats. */
struct kiln__counters {
#define KILN__COUNTER_FIELD(name) _Atomic uint64_t name;
	KILN__WORKER_COUNTERS(KILN__COUNTER_FIELD)
#undef KILN__COUNTER_FIELD
};

struct kiln__worker {
	/* The running fiber's deque, for thieves (each fiber has its own). */
	_Alignas(64) _Atomic(struct kiln__split *) cur;
	struct kiln__readyq ready;       /* ready fibers, detached tasks */
	/* Jobs pushed by other threads (Treiber stack); owner drains it. */
	_Alignas(64) _Atomic(struct kiln__job *) inbox;
	/* KILN__AWAKE or KILN__SLEEPING: the sleep protocol of worker.c. */
	_Alignas(64) _Atomic uint32_t sleep;

	/* From here on: this worker's thread only. */
	_Alignas(64) struct kiln_pool *pool;
	/* Tasks left by fibers that parked here: the scheduling loop pops
	 * them, thieves steal them (split.c). */
	struct kiln__split *orphans;
	/* Every deque this worker made, for kiln_pool_stats (it adds the
	 * spawns counters); unmapped by kiln__worker_fini. */
	_Atomic(struct kiln__split *) deques;
	struct kiln__split *spare;       /* deques of fibers destroyed */
	unsigned int id;
	uint64_t rng;
	struct kiln__fiber *current;     /* the fiber running on this thread */
	struct kiln__fiber native;       /* the thread's own stack */
	struct kiln__fiber *free_fibers;
	unsigned int nfree;
	struct kiln__job *overflow;      /* ready jobs the queue had no room for */
	struct kiln__job *overflow_tail;
	struct {                         /* for the fiber switched to */
		kiln__after_fn *fn;      /* NULL: nothing to do */
		void *arg;
		struct kiln__fiber *fiber; /* the fiber switched from */
	} after;
	pthread_t thread;
	struct kiln__counters stats;
	struct kiln__wio io;             /* ring or fallback; see io.h */
};

enum { KILN__AWAKE, KILN__SLEEPING };

struct kiln_pool {
	struct kiln__worker **workers;
	unsigned int nworkers;
	size_t stack_size;
	_Alignas(64) _Atomic uint32_t nsleep; /* workers asleep or going to */
	_Alignas(64) _Atomic uint32_t live;   /* kiln_go tasks not finished */
	_Atomic uint32_t stop;
	_Atomic uint32_t next;                /* round robin for kiln_run */
	_Atomic uint32_t started;             /* workers through start-up */
	struct kiln__pool_io io;              /* closing, helpers; see io.h */
};

struct kiln__worker *kiln__worker_self(void);
int kiln__worker_init(struct kiln__worker *w, struct kiln_pool *pool,
    unsigned int id);
void kiln__worker_fini(struct kiln__worker *w);
void *kiln__worker_main(void *arg);
void kiln__wake_one(struct kiln_pool *pool);
void kiln__kick(struct kiln__worker *w);
void kiln__inbox_push(struct kiln__worker *w, struct kiln__job *j);
void kiln__push_and_wake(struct kiln__worker *w, struct kiln__job *j);
void kiln__wait_task(uintptr_t *state);
uint64_t kiln__worker_spawns(struct kiln__worker *w);

static inline void kiln__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

#endif /* KILN_WORKER_H */
