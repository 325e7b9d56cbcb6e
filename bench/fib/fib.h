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

#endif /* FIB_H */
