/*
 * io_uring definitions newer than the liburing kiln builds against
 * (Debian 12 ships 2.3).  Each is stable kernel ABI; a kernel too old for
 * one refuses it with EINVAL, and its user then does without.  Used by
 * io.c.
 */
#ifndef KILN_URING_COMPAT_H
#define KILN_URING_COMPAT_H

#include <liburing.h>

/* Linux 6.10: an accept that fails with EAGAIN instead of waiting. */
#ifndef IORING_ACCEPT_DONTWAIT
#define IORING_ACCEPT_DONTWAIT (1U << 1)
#endif

#endif /* KILN_URING_COMPAT_H */
