/*
 * Helper threads that run work which may block (the I/O fallback, and
 * calls that io_uring cannot make).  They know nothing of what they run:
 * each item is a function and its own memory.  See offload.c.
 */
#ifndef KILN_OFFLOAD_H
#define KILN_OFFLOAD_H

struct kiln__offload;

/* Embedded in the caller's request; fn(w) runs on a helper thread and owns
 * w from then on (it may free it or hand it back). */
struct kiln__work {
	void (*fn)(struct kiln__work *w);
};

int kiln__offload_create(struct kiln__offload **out);
int kiln__offload_submit(struct kiln__offload *o, struct kiln__work *w);
void kiln__offload_destroy(struct kiln__offload *o);

#endif /* KILN_OFFLOAD_H */
