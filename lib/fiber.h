/*
 * Fibers: a stack and a saved context.  A worker runs tasks on its current
 * fiber; when a task must wait, the whole fiber is parked and the worker
 * continues on a fresh one.  See fiber.c.
 */
#ifndef KILN_FIBER_H
#define KILN_FIBER_H

#include <stddef.h>
#include <stdint.h>

#ifdef KILN_FIBER_UCONTEXT
#include <ucontext.h>
#endif

struct kiln__split;

/* Something a worker can run: a ready fiber or a detached/root task. */
struct kiln__job {
	struct kiln__job *next;  /* inbox and overflow lists */
	unsigned int kind;       /* KILN__JOB_* */
};

enum { KILN__JOB_FIBER, KILN__JOB_GO, KILN__JOB_ROOT };

struct kiln__fiber {
	struct kiln__job job;    /* kind KILN__JOB_FIBER: resume me */
#ifdef KILN_FIBER_UCONTEXT
	ucontext_t uc;
#else
	void *sp;                /* saved stack pointer while switched out */
#endif
	char *map;               /* the mapping, guard page first; NULL for a
	                            thread's own stack */
	size_t map_len;
	char *lo;                /* usable stack: [lo, lo + len) */
	size_t len;
	struct kiln__fiber *next; /* a worker's free list */
	struct kiln__split *dq;  /* its task deque (worker.c) */
	uint64_t timeout;        /* kiln_timeout for the next I/O call */
	int accepted;            /* 1 + the socket the task running here last
	                            accepted a connection on; 0: none */
#ifdef __SANITIZE_THREAD__
	void *tsan;
#endif
};

int kiln__fiber_create(struct kiln__fiber **out, size_t stack_size);
void kiln__fiber_destroy(struct kiln__fiber *f);
void kiln__fiber_native(struct kiln__fiber *f);
void kiln__fiber_start(struct kiln__fiber *f, void (*entry)(void));
void kiln__fiber_entered(void);
void kiln__fiber_switch(struct kiln__fiber *from, struct kiln__fiber *to,
    int from_is_done);

#endif /* KILN_FIBER_H */
