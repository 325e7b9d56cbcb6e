/*
 * Monotonic time, and the one place where a duration in nanoseconds becomes
 * a deadline, a timespec or a poll(2) timeout.  Every conversion saturates:
 * a duration too long to represent means "never", it does not wrap around
 * into the past.  Uses nothing else of kiln.
 */
#ifndef KILN_CLOCK_H
#define KILN_CLOCK_H

#include <limits.h>
#include <linux/time_types.h>
#include <stdint.h>
#include <time.h>

#define KILN__NS_PER_SEC 1000000000u
/* A deadline that never comes: kiln__deadline saturates to it. */
#define KILN__NEVER UINT64_MAX

_Static_assert(sizeof(time_t) >= 8, "UINT64_MAX ns must fit in a time_t");

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t kiln__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * KILN__NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* now + ns, or KILN__NEVER if that does not fit. */
static inline uint64_t kiln__deadline_after(uint64_t now, uint64_t ns)
{
	return ns > KILN__NEVER - now ? KILN__NEVER : now + ns;
}

static inline uint64_t kiln__deadline(uint64_t ns)
{
	return kiln__deadline_after(kiln__now_ns(), ns);
}

/* Nanoseconds from now until deadline end, 0 if it has passed. */
static inline uint64_t kiln__ns_until(uint64_t end, uint64_t now)
{
	return end > now ? end - now : 0;
}

/* A relative timespec of ns nanoseconds (any uint64_t fits in 64 bits). */
static inline struct timespec kiln__ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / KILN__NS_PER_SEC),
		.tv_nsec = (long)(ns % KILN__NS_PER_SEC),
	};

	return ts;
}

/* The same for io_uring's timeout operands. */
static inline void kiln__kts(struct __kernel_timespec *kts, uint64_t ns)
{
	kts->tv_sec = (long long)(ns / KILN__NS_PER_SEC);
	kts->tv_nsec = (long long)(ns % KILN__NS_PER_SEC);
}

/*
 * poll(2)'s timeout until deadline end: -1 (no limit) for KILN__NEVER,
 * else milliseconds rounded up, at most INT_MAX (a caller that wakes
 * early looks at the clock and waits again).
 */
static inline int kiln__poll_ms(uint64_t end, uint64_t now)
{
	uint64_t ms;

	if (end == KILN__NEVER)
		return -1;
	ms = (kiln__ns_until(end, now) + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

#endif /* KILN_CLOCK_H */
