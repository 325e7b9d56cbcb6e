/*
 * A growable Chase-Lev deque of pointers: one owner pushes, any thread
 * (the owner included) takes the oldest entry.  Holds each worker's ready
 * fibers and detached tasks.  See deque.c for the algorithm.
 */
#ifndef KILN_DEQUE_H
#define KILN_DEQUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct kiln__darray;

struct kiln__deque {
	/* Thieves CAS top: its own line, away from the owner's bottom. */
	_Alignas(64) _Atomic int64_t top;
	_Alignas(64) _Atomic int64_t bottom;
	_Atomic(struct kiln__darray *) array;
	struct kiln__darray *retired; /* owner only: outgrown arrays */
};

#define KILN__DEQUE_ABORT ((void *)1) /* lost a race: try again */

int kiln__deque_init(struct kiln__deque *q, size_t capacity);
void kiln__deque_fini(struct kiln__deque *q);
int kiln__deque_push(struct kiln__deque *q, void *x);
void *kiln__deque_steal(struct kiln__deque *q);
int kiln__deque_empty(struct kiln__deque *q);
size_t kiln__deque_size(struct kiln__deque *q);

#endif /* KILN_DEQUE_H */
