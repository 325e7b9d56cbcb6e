/*
 * Memory that kiln itself allocates (detached tasks, fiber control blocks,
 * deque arrays).  With jemalloc we call its non-standard entry points, so the
 * process keeps whatever malloc it chose: a library must not replace it.
 */
#ifndef KILN_ALLOC_H
#define KILN_ALLOC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>

static inline void *kiln__alloc(size_t n)
{
	return mallocx(n, 0);
}

static inline void *kiln__zalloc(size_t n)
{
	return mallocx(n, MALLOCX_ZERO);
}

static inline void *kiln__alloc_aligned(size_t n, size_t align)
{
	return mallocx(n, MALLOCX_ALIGN(align) | MALLOCX_ZERO);
}

static inline void kiln__free(void *p)
{
	if (p)
		dallocx(p, 0);
}

/* p (old bytes) grown to n bytes, the new ones zeroed; NULL on failure,
 * and p is left as it was. */
static inline void *kiln__grow(void *p, size_t old, size_t n)
{
	(void)old;
	return p ? rallocx(p, n, MALLOCX_ZERO) : mallocx(n, MALLOCX_ZERO);
}
#else
static inline void *kiln__alloc(size_t n)
{
	return malloc(n);
}

static inline void *kiln__zalloc(size_t n)
{
	return calloc(1, n);
}

static inline void *kiln__alloc_aligned(size_t n, size_t align)
{
	void *p;

	if (posix_memalign(&p, align, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

static inline void kiln__free(void *p)
{
	free(p);
}

static inline void *kiln__grow(void *p, size_t old, size_t n)
{
	char *q = realloc(p, n);

	if (q)
		memset(q + old, 0, n - old);
	return q;
}
#endif

#endif /* KILN_ALLOC_H */
