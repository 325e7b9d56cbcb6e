/*
 * Helpers shared by kiln's tests: the Criterion suites and the stress
 * programs (which also have tests/stress/stress.h).  Through <kiln.h>
 * only, as users get it.
 *
 * The plain helpers are in tests/common.c (tests/libcommon.la).  The ones
 * that assert, at the end, are there only where <criterion/criterion.h>
 * was included first: the stress programs do not link Criterion.
 */
#ifndef KILN_TESTS_COMMON_H
#define KILN_TESTS_COMMON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <kiln.h>

/* Atomic reads by a function, so that assertion messages stay legible. */
static inline int ld(atomic_int *p)
{
	return atomic_load(p);
}

/* CLOCK_MONOTONIC, in nanoseconds. */
uint64_t now_ns(void);

/*
 * The number of CPUs this process may run on (its sched_getaffinity(2)
 * mask): the workers of a pool made with workers = 0.  0 if unknown.
 */
unsigned int cpus_allowed(void);

/* Fibonacci by iteration: the reference the task versions must match. */
uint64_t fib_ref(unsigned int n);

/* Fibonacci with a typed task per call (pfib_task); inside a task only. */
uint64_t pfib(unsigned int n);
KILN_TASK(pfib_task, uint64_t, pfib, unsigned int);

/* The spawns pfib(n) makes: one per call with n >= 2. */
uint64_t fib_spawns(unsigned int n);

/*
 * Test data that a reader can check without a copy: pat(seed, off) is byte
 * off of the stream named seed.  fill writes bytes off .. off + n - 1 of a
 * stream to b; mismatch returns the index of the first byte of b that is
 * not the stream's, or n.
 */
uint8_t pat(uint64_t seed, uint64_t off);
void fill(uint8_t *b, size_t n, uint64_t seed, uint64_t off);
size_t mismatch(const uint8_t *b, size_t n, uint64_t seed, uint64_t off);

#ifdef cr_assert
#include <criterion/new/assert.h>

/* A pool made with o (NULL: the defaults), or the test fails. */
static inline kiln_pool *make_pool_with(const struct kiln_options *o)
{
	kiln_pool *p = NULL;

	cr_assert(eq(int, kiln_pool_create(&p, o), 0));
	cr_assert(not(eq(ptr, p, NULL)));
	return p;
}

/* A pool of that many workers, other options the defaults. */
static inline kiln_pool *make_pool(unsigned int workers)
{
	struct kiln_options o = { .workers = workers };

	return make_pool_with(&o);
}

/* kiln_run(p, fn, arg), which must succeed. */
static inline void run_on(kiln_pool *p, void (*fn)(void *), void *arg)
{
	cr_assert(eq(int, kiln_run(p, fn, arg), 0));
}
#endif /* cr_assert */

#endif /* KILN_TESTS_COMMON_H */
