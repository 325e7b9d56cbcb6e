/*
 * The hashing half of kiln-sum's work, alone: reads every file into memory
 * of its own (before the clock starts), then hashes them with W plain
 * threads, each taking the next file, through kiln-sum's own hashers
 * (tools/kiln-sum/hash.c) and in blocks of its default size.  Prints the
 * seconds the hashing took, wall and CPU (loading the files is not
 * counted).  bench/sum/run.sh uses it for the "hash only" time of the
 * overlap figure.  (Hashing the page cache through mmap is about 10%
 * slower here, 4 KiB pages and all, so that would flatter the overlap
 * figure.)
 *
 *	sum-hashmem [-dv] [-a algorithm] [-b blocksize] [-w threads] FILE...
 *
 * -a and -b take what kiln-sum's take (-b 4K is 4096 bytes).  -d prints
 * each file's digest as sha256sum does, -v the algorithm, block size and
 * bytes on the standard error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "line.h"
#include "tool.h"

#define DEFAULT_BLOCK (1024u * 1024)    /* kiln-sum's */

struct file {
	const char *name;
	unsigned char *p;
	size_t n;
	unsigned char digest[KS_MAX_DIGEST];
};

static struct file *files;
static size_t nfiles, block = DEFAULT_BLOCK;
static _Atomic size_t next;
static struct ks_hash hash;

static void *worker(void *arg)
{
	struct ks_hasher h;
	size_t k, off, n;

	if (ks_hasher_new(&h, &hash) < 0)
		abort();
	/* Relaxed: the files were set up before the threads started. */
	while ((k = atomic_fetch_add_explicit(&next, 1,
	    memory_order_relaxed)) < nfiles) {
		if (ks_hasher_init(&h, hash.algo->size) < 0)
			abort();
		for (off = 0; off < files[k].n; off += n) {
			n = files[k].n - off < block ? files[k].n - off : block;
			if (ks_hasher_update(&h, files[k].p + off, n) < 0)
				abort();
		}
		if (ks_hasher_final(&h, files[k].digest) < 0)
			abort();
	}
	ks_hasher_free(&h);
	return arg;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* All of the file into memory of our own; exits 1 on failure. */
static void load(struct file *f)
{
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd = open(f->name, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(f->name);
		exit(1);
	}
	f->n = (size_t)st.st_size;
	f->p = xmalloc(f->n);
	while (got < f->n) {
		r = read(fd, f->p + got, f->n - got);
		if (r <= 0) {
			fprintf(stderr, "%s: %s\n", f->name,
			    r < 0 ? strerror(errno) : "shorter than its size");
			exit(1);
		}
		got += (size_t)r;
	}
	close(fd);
}

/* Starts threads workers and waits for them: the wall and CPU seconds. */
static void run(unsigned int threads, double *wall, double *cpu)
{
	pthread_t *t = xcalloc(threads, sizeof(*t));
	double t0 = clock_s(CLOCK_MONOTONIC);
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	unsigned int i;

	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL)) {
			fprintf(stderr, "sum-hashmem: cannot start a thread\n");
			exit(1);
		}
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	*wall = clock_s(CLOCK_MONOTONIC) - t0;
	*cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	free(t);
}

static _Noreturn void usage(const char *what, const char *arg)
{
	if (what)
		fprintf(stderr, "sum-hashmem: %s: '%s'\n", what, arg);
	fprintf(stderr, "usage: sum-hashmem [-dv] [-a algorithm] "
	    "[-b blocksize] [-w threads] file...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct ks_algo *algo = &ks_algos[0];
	unsigned int threads = 1;
	int c, digests = 0, verbose = 0;
	char hex[2 * KS_MAX_DIGEST + 1];
	double wall, cpu;
	uint64_t bytes = 0;
	size_t i;

	tool_set_name("sum-hashmem", argv);
	while ((c = getopt(argc, argv, "a:b:dvw:")) != -1) {
		switch (c) {
		case 'a':
			algo = ks_algo_find(optarg);
			if (!algo)
				usage("unknown algorithm", optarg);
			break;
		case 'b':
			if (tool_parse_size(optarg, 1, SIZE_MAX, &block) < 0)
				usage("bad block size", optarg);
			break;
		case 'd':
			digests = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			threads = tool_workers(optarg);
			break;
		default:
			usage(NULL, NULL);
		}
	}
	if (ks_hash_open(&hash, algo) < 0) {
		fprintf(stderr, "sum-hashmem: OpenSSL has no %s\n", algo->evp);
		return 1;
	}
	nfiles = (size_t)(argc - optind);
	files = xcalloc(nfiles, sizeof(*files));
	for (i = 0; i < nfiles; i++) {
		files[i].name = argv[optind + (int)i];
		load(&files[i]);
		bytes += files[i].n;
	}
	if (verbose)
		fprintf(stderr, "sum-hashmem: %s, %zu-byte blocks, %zu files, "
		    "%llu bytes, %u threads\n", algo->name, block, nfiles,
		    (unsigned long long)bytes, threads);
	run(threads, &wall, &cpu);
	printf("%.3f %.3f\n", wall, cpu);
	for (i = 0; i < nfiles; i++) {
		if (digests) {
			ks_hex(hex, files[i].digest, algo->size);
			printf("%s  %s\n", hex, files[i].name);
		}
		free(files[i].p);
	}
	free(files);
	ks_hash_close(&hash);
	return 0;
}
