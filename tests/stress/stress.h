/*
 * Helpers shared by the stress programs: size arguments, failure reports
 * and the exit codes automake expects (0 pass, 1 fail, 77 skip).
 */
#ifndef KILN_STRESS_H
#define KILN_STRESS_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
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

static inline void __attribute__((format(printf, 1, 0)))
stress_vreport(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: FAIL: ", stress_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Report a failure and go on (so that one run shows all of them). */
static inline void __attribute__((format(printf, 1, 2)))
stress_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stress_vreport(fmt, ap);
	va_end(ap);
	stress_failures++;
}

/* Give up at once (a broken invariant would only cascade). */
static inline void __attribute__((format(printf, 1, 2), noreturn))
stress_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stress_vreport(fmt, ap);
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

/*
 * The non-atomic payload of item seq, for a structure under test to pass
 * between threads: its producer writes STRESS_WORDS words with
 * stress_payload_set; whoever takes the item checks them and folds them
 * into a result with stress_payload_take (counting wrong words in *bad);
 * the producer then checks, with stress_payload_check, that the item was
 * taken once and gave the result of stress_payload_result.
 */
#define STRESS_WORDS 4

static inline void stress_payload_set(uint64_t *w, uint64_t seq)
{
	unsigned int k;

	for (k = 0; k < STRESS_WORDS; k++)
		w[k] = stress_word(seq, k);
}

static inline uint64_t stress_payload_take(const uint64_t *w, uint64_t seq,
    atomic_ulong *bad)
{
	uint64_t r = 0;
	unsigned int k;

	for (k = 0; k < STRESS_WORDS; k++) {
		if (w[k] != stress_word(seq, k))
			atomic_fetch_add(bad, 1);
		r = r * 31 + w[k];
	}
	return r;
}

static inline uint64_t stress_payload_result(uint64_t seq)
{
	uint64_t r = 0;
	unsigned int k;

	for (k = 0; k < STRESS_WORDS; k++)
		r = r * 31 + stress_word(seq, k);
	return r;
}

static inline void stress_payload_check(uint64_t seq, int times,
    uint64_t result)
{
	if (times != 1)
		stress_die("item %" PRIu64 " taken %d times", seq, times);
	if (result != stress_payload_result(seq))
		stress_die("item %" PRIu64 ": wrong result", seq);
}

#endif /* KILN_STRESS_H */
