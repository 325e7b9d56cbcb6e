/*
 * A tool's descriptors under a low RLIMIT_NOFILE: the helpers of
 * tools/common that call kiln (tool.h's do not), for the tools, which
 * link libkiln.  The rule every tool follows: its own concurrency must
 * never become a user's failure.  It starts no more at once than the
 * descriptors free allow (tool_fds_free, tool.h), and when the process
 * runs out all the same (EMFILE, ENFILE: something else took some), a
 * task waits for one of the tool's own descriptors to close and tries
 * again; only when none of them could close is it the error of the item
 * at hand, as it would be for a tool that does one thing at a time.
 */
#ifndef KILN_TOOL_FDS_H
#define KILN_TOOL_FDS_H

#include <stdatomic.h>
#include <stdint.h>

#include <kiln.h>

/*
 * kiln_pool_create, made to fit the descriptors that are free: kiln's
 * pool takes some (an eventfd for the pool, one and a ring for each
 * worker).  If it cannot get them, or would leave fewer than keep free
 * (what the tool needs at the least), the pool is made again without
 * rings (kiln's fallback), then with half the workers each time, down to
 * one.  opt is updated to what was made.  Returns 0, -EMFILE if even the
 * last leaves fewer than keep (then *missing, if not NULL, says how many
 * more it needed; 0 if the pool itself could not be made), or
 * kiln_pool_create's error.  Not from a worker.
 */
int tool_pool_create(kiln_pool **pool, struct kiln_options *opt,
    unsigned int keep, unsigned int *missing);

/* The descriptors a tool's tasks open, counted. */
struct tool_fds {
	_Atomic unsigned int open;      /* open, or being opened */
	_Atomic unsigned int held;      /* open, held by tasks waiting here */
	_Atomic uint64_t closed;        /* closes so far */
};

void tool_fds_init(struct tool_fds *f);

/*
 * A descriptor from open_fn(arg) (which returns it or a negative errno),
 * counted in f.  On -EMFILE or -ENFILE the task sleeps (kiln_sleep, 50 us
 * doubling to 5 ms: its worker runs other tasks meanwhile) and tries
 * again, until it gets one; it returns the error only when none of f's
 * descriptors could close: none is open but those held by tasks waiting
 * here (held: how many of them the caller holds itself), and none closed
 * since the attempt began.  Inside a task.
 */
int tool_fds_open(struct tool_fds *f, unsigned int held,
    int (*open_fn)(void *arg), void *arg);

/* One of f's descriptors was closed (call it after the close).  Any
 * thread. */
void tool_fds_closed(struct tool_fds *f);

#endif /* KILN_TOOL_FDS_H */
