/*
 * One I/O call described as data, and the plain blocking system calls that
 * carry it out: outside a pool, and on the helper threads of the fallback.
 * Uses nothing of the scheduler.  See sys.c.
 */
#ifndef KILN_SYS_H
#define KILN_SYS_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

enum kiln__op {
	KILN__OP_READ, KILN__OP_WRITE, KILN__OP_READV, KILN__OP_WRITEV,
	KILN__OP_OPENAT, KILN__OP_CLOSE, KILN__OP_FSYNC, KILN__OP_RECV,
	KILN__OP_SEND, KILN__OP_RECVMSG, KILN__OP_SENDMSG, KILN__OP_ACCEPT,
	KILN__OP_CONNECT, KILN__OP_POLL, KILN__OP_SLEEP,
};

struct kiln__sys {
	enum kiln__op op;
	int fd;
	int flags;          /* open flags, socket flags, poll events */
	void *buf;          /* buffer, path, sockaddr, iovec array, msghdr */
	size_t len;         /* buffer or sockaddr bytes; iovec count */
	off_t off;          /* file offset, -1: the file position; openat: mode */
	socklen_t *addrlen; /* accept */
	uint64_t ns;        /* sleep: for how long */
	uint64_t timeout;   /* ns bound on the call; 0: none */
};

/*
 * The most one read or write moves, as in Linux's own read(2): a longer
 * request is a short transfer, never a length cut to 32 bits.
 */
#define KILN__MAX_RW 0x7ffff000u

long kiln__sys_call(const struct kiln__sys *c, int cancel_fd);
int kiln__sys_try(const struct kiln__sys *c, long *res);
short kiln__sys_events(const struct kiln__sys *c);
int kiln__sys_connect_start(const struct kiln__sys *c, long *res);
long kiln__sys_connect_result(int fd);

#endif /* KILN_SYS_H */
