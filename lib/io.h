/*
 * I/O operations of tasks: one description of each call, carried out by the
 * worker's ring, by a helper thread (fallback), or directly outside a pool.
 * See io.c.
 */
#ifndef KILN_IO_H
#define KILN_IO_H

#include <linux/time_types.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct kiln__fiber;
struct kiln__worker;

enum kiln__op {
	KILN__OP_READ, KILN__OP_WRITE, KILN__OP_OPENAT, KILN__OP_CLOSE,
	KILN__OP_FSYNC, KILN__OP_RECV, KILN__OP_SEND, KILN__OP_ACCEPT,
	KILN__OP_CONNECT, KILN__OP_POLL, KILN__OP_SLEEP,
};

/* One operation; lives in the frame of the task that waits for it. */
struct kiln__io {
	enum kiln__op op;
	int fd;
	int flags;          /* open flags, socket flags, poll events */
	void *buf;          /* buffer, path, or sockaddr */
	size_t len;
	off_t off;          /* file offset; mode for openat */
	socklen_t *addrlen; /* accept */
	uint64_t timeout;   /* ns bound on the call; 0: none */
	/* Filled in as it runs: */
	struct kiln__fiber *fiber;    /* the parked fiber */
	struct kiln__worker *worker;  /* where it parked */
	struct __kernel_timespec ts;  /* TIMEOUT / LINK_TIMEOUT operand */
	uint64_t deadline;  /* fallback sleep: CLOCK_MONOTONIC ns */
	int res;
	int again;            /* fallback: the helpers' queue was full */
	unsigned int waiting; /* CQEs still due */
	int expired;          /* the linked timeout fired */
};

long kiln__io_syscall(struct kiln__io *io, int cancel_fd);
int kiln__io_try(struct kiln__io *io, long *res);
void kiln__io_offload_done(struct kiln__io *io);
uint64_t kiln__now_ns(void);

/* Hooks of the scheduling loop (worker.c). */
int kiln__io_start(struct kiln__worker *w);
void kiln__io_stop(struct kiln__worker *w);
void kiln__io_poll(struct kiln__worker *w);
void kiln__io_flush(struct kiln__worker *w, int more_ready);
void kiln__io_idle(struct kiln__worker *w);
void kiln__io_cancel(struct kiln__worker *w);
int kiln__io_busy(struct kiln__worker *w);

#endif /* KILN_IO_H */
