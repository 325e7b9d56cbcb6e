/*
 * The split task deque behind kiln_spawn, kiln_sync and the typed tasks:
 * the owner's part needs no atomic read-modify-write and no fence.  Each
 * fiber has one (it moves with the fiber), and each worker one more for the
 * tasks of fibers that parked (its orphans).  See split.c.
 */
#ifndef KILN_SPLIT_H
#define KILN_SPLIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* Word 0 of a slot (see split.c). */
#define KILN__W_FREE ((uintptr_t)0)   /* may be reused */
#define KILN__W_STOLEN ((uintptr_t)1) /* a record a thief runs in place */
#define KILN__W_HOLE ((uintptr_t)4)   /* dead, still between head and tail */
#define KILN__W_TAG ((uintptr_t)3)    /* low bits of a run function: */
/*	KILN__REC (kiln.h): a task pending here, */
#define KILN__W_MOVED ((uintptr_t)3)  /* or moved to the orphans */
#define KILN__W_REF ((uintptr_t)1)    /* in orphans: a record's address */

struct kiln__split {
	struct kiln__wfast fast;  /* first: kiln__self points here */
	/*
	 * head (low 32 bits) and split (high 32 bits) as slot indices, one
	 * word so that one CAS sees both.  Thieves CAS it; own cache line.
	 */
	_Alignas(64) _Atomic uint64_t ts;
	_Alignas(64) struct kiln__slot *base; /* slot 0; owner's line */
	uint32_t cap;
	int orphans;              /* a worker's deque of moved tasks */
	struct kiln__split *next; /* the creating worker's list, for stats */
	struct kiln__split *free_next; /* a worker's spare deques */
};

/* A task taken from a deque: run fn(arg), then finish *state. */
struct kiln__taken {
	void (*fn)(void *);
	void *arg;
	uintptr_t *state;
};

/* What kiln__split_pop found at the top. */
enum kiln__pop { KILN__POP_EMPTY, KILN__POP_TASK, KILN__POP_STOLEN };

int kiln__split_create(struct kiln__split **out, int orphans);
void kiln__split_destroy(struct kiln__split *q);
size_t kiln__split_index(const struct kiln__split *q,
    const struct kiln__slot *s);
uint32_t kiln__split_head(struct kiln__split *q);
int kiln__split_share(struct kiln__split *q);
int kiln__split_steal(struct kiln__split *q, struct kiln__taken *out,
    int *busy);
int kiln__split_public(struct kiln__split *q);
int kiln__split_take(struct kiln__split *q, size_t i);
void kiln__split_drop_dead(struct kiln__split *q);
void kiln__split_settle(struct kiln__split *q, struct kiln__slot *tail);
size_t kiln__split_evacuate(struct kiln__split *from,
    struct kiln__split *to);
enum kiln__pop kiln__split_pop(struct kiln__split *q,
    struct kiln__taken *out);

/* The library's runner of kiln_spawn's records (task.c). */
void kiln__run_task(void *rec);

/* The function that runs a record whose word 0 is w. */
static inline void (*kiln__run_of(uintptr_t w))(void *)
{
	void (*run)(void *) = (void (*)(void *))(w & ~KILN__W_TAG);

	return run == KILN__RUN_PLAIN ? kiln__run_task : run;
}

/* Owner: whether any slot is in use (a task pending, or one not yet
 * tidied away). */
static inline int kiln__split_used(const struct kiln__split *q)
{
	return q->fast.tail != q->base;
}

#endif /* KILN_SPLIT_H */
