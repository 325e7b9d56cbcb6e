/*
 * A worker's ready queue: one owner pushes, any thread (the owner
 * included) takes the oldest entry.  Holds the worker's ready fibers and
 * detached tasks.  See readyq.c for the algorithm (Chase-Lev's).
 */
#ifndef KILN_READYQ_H
#define KILN_READYQ_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct kiln__rqarray;

struct kiln__readyq {
	/* Thieves CAS top: its own line, away from the owner's bottom. */
	_Alignas(64) _Atomic int64_t top;
	_Alignas(64) _Atomic int64_t bottom;
	_Atomic(struct kiln__rqarray *) array;
	struct kiln__rqarray *retired; /* owner only: outgrown arrays */
};

#define KILN__READYQ_ABORT ((void *)1) /* lost a race: try again */

int kiln__readyq_init(struct kiln__readyq *q, size_t capacity);
void kiln__readyq_fini(struct kiln__readyq *q);
int kiln__readyq_push(struct kiln__readyq *q, void *x);
void *kiln__readyq_take(struct kiln__readyq *q);
int kiln__readyq_empty(struct kiln__readyq *q);
size_t kiln__readyq_size(struct kiln__readyq *q);

#endif /* KILN_READYQ_H */
