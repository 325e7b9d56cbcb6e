/*
 * bench.h: what every benchmark program shares, and nothing else: argument
 * parsing, the clock and the one line of output.  Plain C that also compiles
 * as C++ (the oneTBB programs include it).
 *
 * Every program is called as
 *
 *	PROG N [WORKERS [CUTOFF]]
 *
 * and prints one line of space-separated key=value fields:
 *
 *	kernel=fib runtime=kiln n=42 cutoff=0 workers=2 result=267914296 seconds=1.234567
 *
 * A runtime may append fields of its own (kiln: tasks= steals=).
 * result is the kernel's answer (bench/run checks that all runtimes agree);
 * seconds covers the timed region only: pool or thread team creation, and a
 * warm-up that starts the threads, come before it.  Exit status 0 on
 * success, 1 on a runtime error, 2 on bad arguments.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC, in seconds. */
static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * argv[i] as a number in [lo, hi], or def if there is no argv[i].  On a bad
 * argument print why and exit 2.
 */
static inline unsigned long long bench_arg(int argc, char **argv, int i,
    const char *what, unsigned long long def, unsigned long long lo,
    unsigned long long hi)
{
	unsigned long long v;
	const char *s;
	char *end;

	if (i >= argc)
		return def;
	s = argv[i];
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v < lo ||
	    v > hi) {
		fprintf(stderr, "%s: %s must be a number from %llu to %llu, "
		    "not '%s'\nusage: %s N [WORKERS [CUTOFF]]\n", argv[0],
		    what, lo, hi, s, argv[0]);
		exit(2);
	}
	return v;
}

static inline void bench_report(const char *kernel, const char *runtime,
    unsigned long long n, unsigned long long cutoff, unsigned int workers,
    uint64_t result, double seconds, const char *extra)
{
	printf("kernel=%s runtime=%s n=%llu cutoff=%llu workers=%u "
	    "result=%" PRIu64 " seconds=%.6f%s\n", kernel, runtime, n, cutoff,
	    workers, result, seconds, extra ? extra : "");
}

#endif /* BENCH_H */
