/*
 * A worker's epoll set, for the I/O fallback: tasks wait there for socket
 * and pipe readiness without holding a thread.  Owner only.  Uses alloc.h;
 * used by io.c.  See poller.c.
 */
#ifndef KILN_POLLER_H
#define KILN_POLLER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One task waiting for events on fd; embedded in its I/O operation. */
struct kiln__pollwait {
	struct kiln__pollwait *next;
	int fd;
	uint32_t events;   /* EPOLLIN and/or EPOLLOUT */
	uint32_t revents;  /* what ended the wait */
	void (*ready)(struct kiln__pollwait *pw, void *ctx);
};

struct kiln__poller {
	int epfd;
	struct kiln__pollwait **byfd;  /* waiters of each descriptor */
	size_t cap;                    /* entries of byfd */
	size_t waiting;                /* waiters in all lists */
};

int kiln__poller_init(struct kiln__poller *p, int wake_fd);
void kiln__poller_fini(struct kiln__poller *p);
int kiln__poller_add(struct kiln__poller *p, struct kiln__pollwait *pw);
void kiln__poller_remove(struct kiln__poller *p, struct kiln__pollwait *pw);
int kiln__poller_wait(struct kiln__poller *p, const struct timespec *ts,
    void *ctx);
void kiln__poller_cancel(struct kiln__poller *p, void *ctx);

#endif /* KILN_POLLER_H */
