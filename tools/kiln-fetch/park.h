/*
 * Waiting for other tasks without a mutex, and bounding waits by a
 * deadline.  A task that waits here parks (kiln_poll on an eventfd), so its
 * worker goes on with other tasks; nothing here blocks a worker thread.
 */
#ifndef KILN_FETCH_PARK_H
#define KILN_FETCH_PARK_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Bound the calling task's next kiln I/O call by deadline (tool_now_ns()
 * time; 0: no bound).  Returns 0, or -ETIME if the deadline has passed
 * already.  Call it immediately before the call it bounds (see
 * kiln_timeout(3)).
 */
int deadline_arm(uint64_t deadline);

/* The earlier of two deadlines, 0 meaning none. */
uint64_t deadline_min(uint64_t a, uint64_t b);

/*
 * A latch: closed until latch_open, then open for good.  What the opener
 * wrote before latch_open is visible to whoever latch_wait returned 0 to.
 * Its eventfd is made by the first task that waits, and closed by the
 * last one out (the opener counting as one): a latch holds no descriptor
 * unless tasks wait on it.
 */
struct latch {
	_Atomic int open;
	_Atomic int efd;                /* -1 until a task waits */
	_Atomic unsigned int users;     /* the opener and the waiters */
};

void latch_init(struct latch *l);
/* Free a latch that was never opened (one opened frees itself). */
void latch_fini(struct latch *l);
void latch_open(struct latch *l);
int latch_is_open(struct latch *l);
/* 0 once open; -ETIME when deadline passed first; -ECANCELED. */
int latch_wait(struct latch *l, uint64_t deadline);

/*
 * A counting gate: at most n tasks between gate_enter and gate_leave.  Its
 * eventfd is made by the first gate_enter (counted in budget.c), and kept
 * until gate_fini.
 */
struct gate {
	_Atomic int efd;                /* -1 until the first gate_enter */
	unsigned int n;
};

void gate_init(struct gate *g, unsigned int n);
void gate_fini(struct gate *g);
/* 0 once in; -ETIME when deadline passed first; -ECANCELED; the error of
 * making the eventfd (-EMFILE...). */
int gate_enter(struct gate *g, uint64_t deadline);
void gate_leave(struct gate *g);

#endif
