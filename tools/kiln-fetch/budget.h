/*
 * kiln-fetch's descriptor budget (tools/common's rule, fds.h): how many
 * URLs may be in flight for the descriptors free, and the wait when the
 * process runs out all the same.  Its own descriptors are the sockets,
 * the files and the eventfds its tasks wait on.
 */
#ifndef KILN_FETCH_BUDGET_H
#define KILN_FETCH_BUDGET_H

/*
 * How many lanes, at most want, the descriptors free now allow, each
 * holding per_lane at once (a socket, and a file with -O or -o).  Returns
 * at least 1, or 0 if not even one lane fits: then *free_fds and *need
 * say how many are free and how many one lane needs.  Before the run.
 */
unsigned int budget_lanes(unsigned int want, unsigned int per_lane,
    unsigned int per_host, unsigned int *free_fds, unsigned int *need);

/* Did budget_lanes find the descriptors few?  Then waiters spare theirs
 * (park.c).  Any task. */
int budget_tight(void);

/* Before a host name is resolved: if descriptors are few, close idle
 * connections until the resolver has some.  Inside a task. */
void budget_room_to_resolve(void);

/*
 * A descriptor from fn(arg) (it or a negative errno).  On EMFILE or
 * ENFILE, idle connections are closed first, then the task waits for one
 * of kiln-fetch's descriptors to close, and tries again; the error is
 * returned only when none could close.  held: the descriptors the caller
 * holds meanwhile.  Inside a task.
 */
int budget_open(unsigned int held, int (*fn)(void *arg), void *arg);

/* A descriptor budget_open gave was closed (after the close).  Any
 * thread. */
void budget_closed(void);

#endif
