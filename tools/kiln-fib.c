/*
 * kiln-fib: Fibonacci numbers by naive recursion, one task per call: the
 * classic stress test of a fork/join scheduler.  Prints the results, the
 * time kiln took, the time the same computation takes as plain serial C,
 * and the speedup.  Uses only <kiln.h>.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kiln.h>

#define MAX_N 92 /* fib(93) does not fit in 64 bits */

static const char *prog = "kiln-fib";
static unsigned int cutoff;

static uint64_t fib_serial(unsigned int n)
{
	return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

/*
 * Two versions, so that the stress test (a task for every call) carries
 * no cutoff test: gcc would inline the serial fib into it, and every
 * call would pay for a larger frame.
 */
static uint64_t fib_task(unsigned int n);
KILN_TASK(fib, uint64_t, fib_task, unsigned int);

static uint64_t fib_task(unsigned int n)
{
	struct fib child;
	uint64_t b;

	if (n < 2)
		return n;
	fib_spawn(&child, n - 1);
	b = fib_task(n - 2);
	return fib_sync(&child) + b;
}

static uint64_t fib_cut(unsigned int n);
KILN_TASK(fib_c, uint64_t, fib_cut, unsigned int);

static uint64_t fib_cut(unsigned int n)
{
	struct fib_c child;
	uint64_t b;

	if (n < cutoff)
		return fib_serial(n);
	fib_c_spawn(&child, n - 1);
	b = fib_cut(n - 2);
	return fib_c_sync(&child) + b;
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
		j->out[i] = (cutoff > 1 ? fib_cut : fib_task)(j->n[i]);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-svV] [-w workers] [-c cutoff] [-r repeats] N...\n"
	    "Compute fib(N) with one kiln task per call and compare with\n"
	    "plain serial C.\n\n"
	    "  -w, --workers=W   worker threads (default: one per CPU)\n"
	    "  -c, --cutoff=C    calls below fib(C) run serially (default 0:\n"
	    "                    a task for every call)\n"
	    "  -r, --repeats=R   time R runs of each, report medians (1)\n"
	    "  -s, --no-serial   skip the serial baseline\n"
	    "  -v, --verbose     print the pool's statistics\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n", prog);
}

/* Parse a number in [lo, hi]; on error print why and exit 2. */
static unsigned long number(const char *s, const char *what,
    unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *s == '+' || *end != '\0' || errno) {
		fprintf(stderr, "%s: %s: not a number: '%s'\n", prog, what, s);
		exit(2);
	}
	if (v < lo || v > hi) {
		fprintf(stderr, "%s: %s must be from %lu to %lu, not %s%s\n",
		    prog, what, lo, hi, s,
		    v > MAX_N && hi == MAX_N ?
		    " (fib(93) overflows 64 bits)" : "");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "cutoff", required_argument, NULL, 'c' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "no-serial", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kiln_options opt = { 0 };
	unsigned int repeats = 1, r, *n;
	int serial = 1, verbose = 0, c, ret;
	double *tk, *ts, t0, mk, ms = 0;
	uint64_t *out, check;
	struct kiln_stats st;
	kiln_pool *pool;
	struct job job;
	size_t i, count;

	while ((c = getopt_long(argc, argv, "w:c:r:svhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'w':
			opt.workers = (unsigned int)number(optarg, "workers",
			    1, 4096);
			break;
		case 'c':
			cutoff = (unsigned int)number(optarg, "cutoff", 0,
			    MAX_N);
			break;
		case 'r':
			repeats = (unsigned int)number(optarg, "repeats", 1,
			    1000);
			break;
		case 's':
			serial = 0;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kiln-fib (kiln) %d.%d.%d\n", KILN_VERSION_MAJOR,
			    KILN_VERSION_MINOR, KILN_VERSION_PATCH);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "%s: no N given\n", prog);
		usage(stderr);
		return 2;
	}
	count = (size_t)(argc - optind);
	n = calloc(count, sizeof(*n));
	out = calloc(count, sizeof(*out));
	tk = calloc(repeats, sizeof(*tk));
	ts = calloc(repeats, sizeof(*ts));
	if (!n || !out || !tk || !ts) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (i = 0; i < count; i++)
		n[i] = (unsigned int)number(argv[optind + (int)i], "N", 0,
		    MAX_N);

	ret = kiln_pool_create(&pool, &opt);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot create the pool: %s\n", prog,
		    strerror(-ret));
		return 1;
	}
	job.n = n;
	job.out = out;
	job.count = count;
	/* Interleaved, so that a noisy neighbour hurts both alike. */
	for (r = 0; r < repeats; r++) {
		t0 = now();
		ret = kiln_run(pool, run_all, &job);
		tk[r] = now() - t0;
		if (ret < 0) {
			fprintf(stderr, "%s: kiln_run: %s\n", prog,
			    strerror(-ret));
			kiln_pool_destroy(pool);
			return 1;
		}
		if (!serial)
			continue;
		t0 = now();
		for (i = 0; i < count; i++) {
			check = fib_serial(n[i]);
			if (check != out[i]) {
				fprintf(stderr, "%s: fib(%u): kiln gave %"
				    PRIu64 ", serial %" PRIu64 "\n", prog,
				    n[i], out[i], check);
				kiln_pool_destroy(pool);
				return 1;
			}
		}
		ts[r] = now() - t0;
	}
	kiln_pool_stats(pool, &st);
	kiln_pool_destroy(pool);

	for (i = 0; i < count; i++)
		printf("fib(%u) = %" PRIu64 "\n", n[i], out[i]);
	mk = median(tk, repeats);
	printf("workers: %u\n", st.workers);
	printf("kiln:    %.3f s%s\n", mk, repeats > 1 ? " (median)" : "");
	if (serial) {
		ms = median(ts, repeats);
		printf("serial:  %.3f s%s\n", ms, repeats > 1 ?
		    " (median)" : "");
		printf("speedup: %.2f\n", mk > 0 ? ms / mk : 0.0);
	}
	if (verbose)
		printf("tasks: %" PRIu64 "  steals: %" PRIu64 " of %" PRIu64
		    " attempts  suspends: %" PRIu64 "  resumes: %" PRIu64
		    "  fibers: %" PRIu64 "  sleeps: %" PRIu64 "\n",
		    st.spawns, st.steals, st.steal_attempts, st.suspends,
		    st.resumes, st.fibers, st.sleeps);
	free(n);
	free(out);
	free(tk);
	free(ts);
	return 0;
}
