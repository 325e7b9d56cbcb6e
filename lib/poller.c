/*
 * The fallback's readiness waits: one epoll set per worker, used by that
 * worker's thread only.  A task whose socket call would block registers a
 * waiter for its descriptor and parks; the worker collects readiness
 * between tasks and when idle (it sleeps in epoll_wait, its wake-up
 * eventfd being in the set), and each ready waiter's task retries its call.
 * 10,000 idle connections cost 10,000 registrations, not 10,000 threads.
 *
 * Each descriptor has a list of waiters (a reader and a writer, or several
 * tasks on one listening socket).  Its registration is EPOLLONESHOT for the
 * union of their events, armed again after each event for the waiters that
 * remain: an event wakes the first waiter for each kind of readiness it
 * reports (all of them on an error or hang-up), so that a readable
 * listening socket wakes one accepting task, not every one (the thundering
 * herd).  Re-arming with EPOLL_CTL_MOD reports readiness that is still
 * there, so the next waiter is woken on the next pass if there is more.
 *
 * A registration outlives its waiters (it is disarmed, as ONESHOT, once it
 * fired); the kernel drops it when the file is closed.  A descriptor number
 * reused for another file gets EPOLL_CTL_MOD's ENOENT, then is added anew.
 *
 * Uses alloc.h; used by io.c.
 */
#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "alloc.h"
#include "poller.h"

/* epoll_event.data of the wake-up eventfd; descriptors are >= 0. */
#define WAKE_DATA UINT64_MAX
#define BATCH 64

int kiln__poller_init(struct kiln__poller *p, int wake_fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_DATA };

	p->byfd = NULL;
	p->cap = 0;
	p->waiting = 0;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		return -errno;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, wake_fd, &ev) < 0) {
		int err = errno;

		close(p->epfd);
		return -err;
	}
	return 0;
}

void kiln__poller_fini(struct kiln__poller *p)
{
	close(p->epfd);
	kiln__free(p->byfd);
}

/* Arm fd for the union of its waiters' events (if it has any). */
static int arm(struct kiln__poller *p, int fd)
{
	struct epoll_event ev = { .events = EPOLLONESHOT,
	    .data.u64 = (uint64_t)fd };
	struct kiln__pollwait *pw;

	for (pw = p->byfd[fd]; pw; pw = pw->next)
		ev.events |= pw->events;
	if (ev.events == EPOLLONESHOT)
		return 0;
	if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return -errno;
}

static int grow(struct kiln__poller *p, size_t need)
{
	size_t cap = p->cap ? p->cap : 64;
	struct kiln__pollwait **b;

	while (cap <= need)
		cap *= 2;
	b = kiln__grow(p->byfd, p->cap * sizeof(*b), cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	p->byfd = b;
	p->cap = cap;
	return 0;
}

/*
 * Wait for pw->events on pw->fd; pw->ready(pw, ctx) runs when they come,
 * from kiln__poller_wait.  -EPERM if the file cannot be polled (a regular
 * file), or another negative errno; then nothing was registered.
 */
int kiln__poller_add(struct kiln__poller *p, struct kiln__pollwait *pw)
{
	struct kiln__pollwait **l;
	int ret;

	if (pw->fd < 0)
		return -EBADF;
	if ((size_t)pw->fd >= p->cap && (ret = grow(p, (size_t)pw->fd)) < 0)
		return ret;
	for (l = &p->byfd[pw->fd]; *l; l = &(*l)->next)
		;
	*l = pw;
	pw->next = NULL;
	ret = arm(p, pw->fd);
	if (ret < 0) {
		*l = NULL;
		return ret;
	}
	p->waiting++;
	return 0;
}

/* Stop waiting (a timeout): pw's registration stays until it fires. */
void kiln__poller_remove(struct kiln__poller *p, struct kiln__pollwait *pw)
{
	struct kiln__pollwait **l;

	for (l = &p->byfd[pw->fd]; *l != pw; l = &(*l)->next)
		;
	*l = pw->next;
	p->waiting--;
}

/* Wake the waiters of fd that ev reports ready for, re-arm for the rest. */
static void deliver(struct kiln__poller *p, int fd, uint32_t ev, void *ctx)
{
	uint32_t wake = ev & (EPOLLERR | EPOLLHUP) ? ~0u : ev;
	struct kiln__pollwait **l = &p->byfd[fd], *pw, *ready = NULL;

	while ((pw = *l)) {
		uint32_t mine = pw->events & wake;

		if (!mine) {
			l = &pw->next;
			continue;
		}
		/* The first waiter for each readiness takes it. */
		if (wake != ~0u)
			wake &= ~mine;
		*l = pw->next;
		p->waiting--;
		pw->revents = ev;
		pw->next = ready;
		ready = pw;
	}
	/* Cannot re-arm (the file is gone?): nobody would wake the others,
	 * so they retry now and see for themselves. */
	if (p->byfd[fd] && arm(p, fd) < 0) {
		while ((pw = p->byfd[fd])) {
			p->byfd[fd] = pw->next;
			p->waiting--;
			pw->revents = EPOLLERR;
			pw->next = ready;
			ready = pw;
		}
	}
	while ((pw = ready)) {
		ready = pw->next;
		pw->ready(pw, ctx);
	}
}

/*
 * Collect readiness, waiting up to *ts (NULL: until something comes; zero:
 * not at all).  Returns how many waiters were made ready; an event of the
 * wake-up eventfd is left to the caller to drain.
 */
int kiln__poller_wait(struct kiln__poller *p, const struct timespec *ts,
    void *ctx)
{
	struct epoll_event ev[BATCH];
	size_t before = p->waiting;
	int i, n;

	n = epoll_pwait2(p->epfd, ev, BATCH, ts, NULL);
	for (i = 0; i < n; i++) {
		uint64_t fd = ev[i].data.u64;

		if (fd != WAKE_DATA && fd < p->cap)
			deliver(p, (int)fd, ev[i].events, ctx);
	}
	return (int)(before - p->waiting);
}

/* Destroy has begun: every waiter is made ready with revents 0. */
void kiln__poller_cancel(struct kiln__poller *p, void *ctx)
{
	size_t fd;

	for (fd = 0; fd < p->cap && p->waiting; fd++) {
		struct kiln__pollwait *pw;

		while ((pw = p->byfd[fd])) {
			p->byfd[fd] = pw->next;
			p->waiting--;
			pw->revents = 0;
			pw->ready(pw, ctx);
		}
	}
}
