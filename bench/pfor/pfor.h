/*
 * pfor.h: the element function and the serial loop over a range, shared by
 * every runtime.  The kernel is the sum, modulo 2^64, of f(i) for i in
 * [0, N): f is SplitMix64's finaliser, a few multiplies, so the loop is
 * bound by computation, not memory bandwidth, and measures how well the
 * range is split and balanced.  Integer addition modulo 2^64 is associative
 * and commutative, so every runtime must print the same sum whatever order
 * it adds in.
 */
#ifndef PFOR_H
#define PFOR_H

#include <stdint.h>

#define PFOR_MAX_N 1000000000000ull

static inline uint64_t pfor_f(uint64_t i)
{
	uint64_t z = i * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t pfor_range(uint64_t begin, uint64_t end)
{
	uint64_t s = 0, i;

	for (i = begin; i < end; i++)
		s += pfor_f(i);
	return s;
}

#endif /* PFOR_H */
