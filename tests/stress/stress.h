/*
 * Helpers shared by the stress programs: size arguments, failure reports
 * and the exit codes automake expects (0 pass, 1 fail, 77 skip).
 */
#ifndef KILN_STRESS_H
#define KILN_STRESS_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define STRESS_PASS 0
#define STRESS_FAIL 1
#define STRESS_SKIP 77

static const char *stress_prog = "stress";
static unsigned long stress_failures;

/* argv[i] as a positive number, or def if absent; exits 99 if malformed. */
static inline unsigned long stress_arg(int argc, char **argv, int i,
    unsigned long def)
{
	char *end;
	unsigned long v;

	if (i >= argc)
		return def;
	errno = 0;
	v = strtoul(argv[i], &end, 0);
	if (errno || *end || end == argv[i] || v == 0) {
		fprintf(stderr, "%s: bad size argument %d: '%s'\n",
		    stress_prog, i, argv[i]);
		exit(99);
	}
	return v;
}

/* Report a failure and go on (so that one run shows all of them). */
static inline void __attribute__((format(printf, 1, 2)))
stress_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: FAIL: ", stress_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	stress_failures++;
}

/* Give up at once (a broken invariant would only cascade). */
static inline void __attribute__((format(printf, 1, 2), noreturn))
stress_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: FAIL: ", stress_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(STRESS_FAIL);
}

static inline int stress_exit(void)
{
	if (stress_failures) {
		fprintf(stderr, "%s: %lu failures\n", stress_prog,
		    stress_failures);
		return STRESS_FAIL;
	}
	printf("%s: PASS\n", stress_prog);
	return STRESS_PASS;
}

/* xorshift64: deterministic choices, seeded per thread. */
static inline uint64_t stress_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The payload word k of item seq: what a reader must find. */
static inline uint64_t stress_word(uint64_t seq, unsigned int k)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ull + k;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	return x;
}

#endif /* KILN_STRESS_H */
