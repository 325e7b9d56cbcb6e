/*
 * fib.h: the serial kernel, shared so that every runtime runs the very same
 * code below its cutoff, and the serial baseline is exactly that code.
 */
#ifndef FIB_H
#define FIB_H

#include <stdint.h>

#define FIB_MAX_N 92 /* fib(93) does not fit in 64 bits */

static uint64_t fib_serial(unsigned int n)
{
	return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

/*
 * The number of tasks fib(n) spawns when each call with n >= max(cutoff, 2)
 * spawns one: S(n) = 1 + S(n-1) + S(n-2) from n = m = max(cutoff, 2) on,
 * 0 below, which is fib(n - m + 3) - 1.  For the per-spawn figures of
 * bench/run.
 */
static inline uint64_t fib_spawns(unsigned int n, unsigned int cutoff)
{
	unsigned int m = cutoff > 2 ? cutoff : 2, i;
	uint64_t a = 0, b = 1, t;

	if (n < m)
		return 0;
	for (i = 0; i < n - m + 3; i++) {
		t = a + b;
		a = b;
		b = t;
	}
	return a - 1;
}

#endif /* FIB_H */
