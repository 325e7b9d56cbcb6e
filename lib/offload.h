/*
 * The I/O fallback: a few helper threads that make the blocking system call
 * while the task that asked stays parked.  Used by workers without an
 * io_uring (KILN_NO_URING, seccomp, old kernels).  See offload.c.
 */
#ifndef KILN_OFFLOAD_H
#define KILN_OFFLOAD_H

#include "io.h"

struct kiln__offload;

typedef void kiln__offload_done_fn(struct kiln__io *io);

int kiln__offload_create(struct kiln__offload **out,
    kiln__offload_done_fn *done);
int kiln__offload_submit(struct kiln__offload *o, struct kiln__io *io);
void kiln__offload_cancel(struct kiln__offload *o);
void kiln__offload_destroy(struct kiln__offload *o);

#endif /* KILN_OFFLOAD_H */
