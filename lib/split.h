/*
 * The split task deque behind kiln_spawn and kiln_sync: the owner's part
 * needs no atomic read-modify-write and no fence.  See split.c.
 */
#ifndef KILN_SPLIT_H
#define KILN_SPLIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

struct kiln__split {
	struct kiln__wfast fast;  /* first: kiln__self points here */
	/*
	 * head (low 32 bits) and split (high 32 bits) as slot indices, one
	 * word so that one CAS sees both.  Thieves CAS it; own cache line.
	 */
	_Alignas(64) _Atomic uint64_t ts;
	_Alignas(64) _Atomic(kiln_task *) *base; /* slot 0; owner's line */
	size_t cap;
};

/* What kiln__split_pop found at the top. */
enum kiln__pop { KILN__POP_EMPTY, KILN__POP_TASK, KILN__POP_STOLEN };

int kiln__split_init(struct kiln__split *q, size_t cap);
void kiln__split_fini(struct kiln__split *q);
int kiln__split_share(struct kiln__split *q);
enum kiln__pop kiln__split_pop(struct kiln__split *q, kiln_task **out);
ptrdiff_t kiln__split_find(struct kiln__split *q, const kiln_task *t);
ptrdiff_t kiln__split_top(const struct kiln__split *q);
kiln_task *kiln__split_steal(struct kiln__split *q, int *busy);
int kiln__split_public(struct kiln__split *q);

#endif /* KILN_SPLIT_H */
