/*
 * The plain helpers of tests/common.h: no Criterion, so that the stress
 * programs (and a ThreadSanitizer build) link them too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "common.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A mask as large as the kernel's: doubled until sched_getaffinity fits. */
unsigned int cpus_allowed(void)
{
	size_t ncpus;

	for (ncpus = 1024; ncpus <= 1u << 20; ncpus *= 2) {
		size_t size = CPU_ALLOC_SIZE(ncpus);
		cpu_set_t *set = CPU_ALLOC(ncpus);
		int n = -1, err;

		if (!set)
			return 0;
		if (sched_getaffinity(0, size, set) == 0)
			n = CPU_COUNT_S(size, set);
		err = errno;
		CPU_FREE(set);
		if (n >= 0)
			return (unsigned int)n;
		if (err != EINVAL)
			return 0;
	}
	return 0;
}

uint64_t fib_ref(unsigned int n)
{
	uint64_t a = 0, b = 1;

	while (n--) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

uint64_t pfib(unsigned int n)
{
	struct pfib_task child;
	uint64_t b;

	if (n < 2)
		return n;
	pfib_task_spawn(&child, n - 1);
	b = pfib(n - 2);
	return pfib_task_sync(&child) + b;
}

uint64_t fib_spawns(unsigned int n)
{
	return n < 2 ? 0 : 1 + fib_spawns(n - 1) + fib_spawns(n - 2);
}

uint8_t pat(uint64_t seed, uint64_t off)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + off * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 29;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 32;
	return (uint8_t)x;
}

void fill(uint8_t *b, size_t n, uint64_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = pat(seed, off + i);
}

size_t mismatch(const uint8_t *b, size_t n, uint64_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != pat(seed, off + i))
			break;
	return i;
}
