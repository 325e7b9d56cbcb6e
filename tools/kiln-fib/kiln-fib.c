/*
 * kiln-fib: Fibonacci numbers by naive recursion, one task per call: the
 * classic stress test of a fork/join scheduler.  Prints the results, the
 * time kiln took, the time the same computation takes as plain serial C,
 * and the speedup.  Uses only <kiln.h>, and tools/common for what every
 * tool does alike.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln.h>

#include "tool.h"

#define MAX_N 92 /* fib(93) does not fit in 64 bits */

struct options {
	struct kiln_options pool;
	unsigned int cutoff;    /* -c: calls below fib(cutoff) are serial */
	unsigned int repeats;   /* -r */
	int serial;             /* not -s: time and check serial C */
	int verbose;            /* -v */
	unsigned int *n;        /* the operands */
	size_t count;
};

static uint64_t fib_serial(unsigned int n)
{
	return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

/*
 * Context tasks (kiln_ctx_get(3)), the fastest form.  Two versions, so
 * that the stress test (a task for every call) carries no cutoff test: gcc
 * would inline the serial fib into it, and every call would pay for a
 * larger frame.
 */
static uint64_t fib_task(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(fib, uint64_t, fib_task, unsigned int);

static uint64_t fib_task(kiln_ctx c, unsigned int n)
{
	struct fib child;
	uint64_t b;

	if (n < 2)
		return n;
	KILN_CTX_SPAWN(fib, c, &child, n - 1);
	b = fib_task(c, n - 2);
	return KILN_CTX_SYNC(fib, c, &child) + b;
}

static unsigned int cutoff;

static uint64_t fib_cut(kiln_ctx c, unsigned int n);
KILN_CTX_TASK(fib_c, uint64_t, fib_cut, unsigned int);

static uint64_t fib_cut(kiln_ctx c, unsigned int n)
{
	struct fib_c child;
	uint64_t b;

	if (n < cutoff)
		return fib_serial(n);
	KILN_CTX_SPAWN(fib_c, c, &child, n - 1);
	b = fib_cut(c, n - 2);
	return KILN_CTX_SYNC(fib_c, c, &child) + b;
}

/*
 * The tasks fib(n) spawns, one per call with n >= m = max(cutoff, 2):
 * fib(n - m + 3) - 1.  Computed, since the fast path counts nothing
 * unless built with KILN_STATS (kiln_pool_stats(3)).
 */
static uint64_t spawns_of(unsigned int n)
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

struct job {
	const unsigned int *n;
	uint64_t *out;
	size_t count;
};

static void run_all(void *p)
{
	struct job *j = p;
	size_t i;

	for (i = 0; i < j->count; i++)
		j->out[i] = (cutoff > 1 ? fib_cut : fib_task)(kiln_ctx_get(),
		    j->n[i]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double seconds_since(uint64_t t0)
{
	return (double)(tool_now_ns() - t0) * 1e-9;
}

static void usage(void)
{
	printf("usage: %s [-svV] [-w workers] [-c cutoff] [-r repeats] N...\n"
	    "Compute fib(N) with one kiln task per call and compare with\n"
	    "plain serial C.  N is from 0 to %d.\n\n"
	    "  -w, --workers=W   worker threads (default: one per CPU)\n"
	    "  -c, --cutoff=C    calls below fib(C) run serially (default 0:\n"
	    "                    a task for every call)\n"
	    "  -r, --repeats=R   time R runs of each, report medians (1)\n"
	    "  -s, --no-serial   skip the serial baseline\n"
	    "  -v, --verbose     print the pool's statistics\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n", tool_name(),
	    MAX_N);
}

/* Fills *o from the command line; exits on a usage error, --help or
 * --version. */
static void parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		TOOL_WORKERS_LONGOPT,
		{ "cutoff", required_argument, NULL, 'c' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "no-serial", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		TOOL_COMMON_LONGOPTS,
	};
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	o->repeats = 1;
	o->serial = 1;
	while ((c = getopt_long(argc, argv, "w:c:r:svhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'w':
			o->pool.workers = tool_workers(optarg);
			break;
		case 'c':
			o->cutoff = (unsigned int)tool_number(optarg, "cutoff",
			    0, MAX_N);
			break;
		case 'r':
			o->repeats = (unsigned int)tool_number(optarg,
			    "repeats", 1, 1000);
			break;
		case 's':
			o->serial = 0;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			tool_common_option(c, usage);
		}
	}
	if (optind == argc)
		tool_usage_error("no N given");
	o->count = (size_t)(argc - optind);
	o->n = xcalloc(o->count, sizeof(*o->n));
	for (i = 0; i < o->count; i++)
		o->n[i] = (unsigned int)tool_number(argv[optind + (int)i], "N",
		    0, MAX_N);
}

/*
 * Times o->repeats runs of kiln and of serial C, interleaved so that a
 * noisy neighbour hurts both alike, into tk and ts.  0, or 1 after saying
 * why (kiln_run failed, or kiln and serial C disagree).
 */
static int time_runs(const struct options *o, kiln_pool *pool, uint64_t *out,
    double *tk, double *ts)
{
	struct job job = { o->n, out, o->count };
	unsigned int r;
	uint64_t t0, check;
	size_t i;
	int ret;

	for (r = 0; r < o->repeats; r++) {
		t0 = tool_now_ns();
		ret = kiln_run(pool, run_all, &job);
		tk[r] = seconds_since(t0);
		if (ret < 0) {
			fprintf(stderr, "%s: kiln_run: %s\n", tool_name(),
			    strerror(-ret));
			return 1;
		}
		if (!o->serial)
			continue;
		t0 = tool_now_ns();
		for (i = 0; i < o->count; i++) {
			check = fib_serial(o->n[i]);
			if (check != out[i]) {
				fprintf(stderr, "%s: fib(%u): kiln gave %"
				    PRIu64 ", serial %" PRIu64 "\n",
				    tool_name(), o->n[i], out[i], check);
				return 1;
			}
		}
		ts[r] = seconds_since(t0);
	}
	return 0;
}

static void report(const struct options *o, const uint64_t *out, double *tk,
    double *ts, const struct kiln_stats *st)
{
	const char *med = o->repeats > 1 ? " (median)" : "";
	double mk = median(tk, o->repeats), ms;
	size_t i;

	for (i = 0; i < o->count; i++)
		printf("fib(%u) = %" PRIu64 "\n", o->n[i], out[i]);
	printf("workers: %u\n", st->workers);
	printf("kiln:    %.3f s%s\n", mk, med);
	if (o->serial) {
		ms = median(ts, o->repeats);
		printf("serial:  %.3f s%s\n", ms, med);
		printf("speedup: %.2f\n", mk > 0 ? ms / mk : 0.0);
	}
	if (o->verbose) {
		uint64_t tasks = 0;

		for (i = 0; i < o->count; i++)
			tasks += o->repeats * spawns_of(o->n[i]);
		printf("tasks: %" PRIu64 "  steals: %" PRIu64 " of %" PRIu64
		    " attempts  suspends: %" PRIu64 "  resumes: %" PRIu64
		    "  fibers: %" PRIu64 "  sleeps: %" PRIu64 "\n",
		    tasks, st->steals, st->steal_attempts, st->suspends,
		    st->resumes, st->fibers, st->sleeps);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct kiln_stats st;
	kiln_pool *pool;
	uint64_t *out;
	double *tk, *ts;
	int ret;

	tool_set_name("kiln-fib", argv);
	parse_options(&o, argc, argv);
	cutoff = o.cutoff;
	out = xcalloc(o.count, sizeof(*out));
	tk = xcalloc(o.repeats, sizeof(*tk));
	ts = xcalloc(o.repeats, sizeof(*ts));
	ret = kiln_pool_create(&pool, &o.pool);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot create the pool: %s\n",
		    tool_name(), strerror(-ret));
		return 1;
	}
	ret = time_runs(&o, pool, out, tk, ts);
	kiln_pool_stats(pool, &st);
	kiln_pool_destroy(pool);
	if (ret == 0)
		report(&o, out, tk, ts, &st);
	free(o.n);
	free(out);
	free(tk);
	free(ts);
	return ret;
}
