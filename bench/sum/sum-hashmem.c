/*
 * The hashing half of kiln-sum's work, alone: reads every file into memory
 * of its own (before the clock starts), then hashes them with W plain
 * threads, each taking the next file, through the same OpenSSL EVP calls
 * and block size as kiln-sum.  Prints the seconds the hashing took, wall
 * and CPU (loading the files is not counted).  bench/sum/run.sh uses it
 * for the "hash only" time of the overlap figure.  (Hashing the page
 * cache through mmap is about 10% slower here, 4 KiB pages and all, so
 * that would flatter the overlap figure.)
 *
 *	sum-hashmem [-a sha256] [-b bytes] [-w threads] FILE...
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

struct file {
	const unsigned char *p;
	size_t n;
};

static struct file *files;
static size_t nfiles, block = 256 * 1024;
static _Atomic size_t next;
static EVP_MD *md;
static volatile unsigned char sink;  /* keeps the digests computed */

static void *worker(void *arg)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t k, off;

	if (!c)
		abort();
	/* Relaxed: the files were set up before the threads started. */
	while ((k = atomic_fetch_add_explicit(&next, 1,
	    memory_order_relaxed)) < nfiles) {
		EVP_DigestInit_ex2(c, md, NULL);
		for (off = 0; off < files[k].n; off += block)
			EVP_DigestUpdate(c, files[k].p + off,
			    files[k].n - off < block ? files[k].n - off : block);
		EVP_DigestFinal_ex(c, out, NULL);
		sink ^= out[0];
	}
	EVP_MD_CTX_free(c);
	return arg;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *algo = "SHA256";
	unsigned int threads = 1, i;
	pthread_t *t;
	double t0, c0;
	int c;

	while ((c = getopt(argc, argv, "a:b:w:")) != -1) {
		switch (c) {
		case 'a':
			algo = optarg;
			break;
		case 'b':
			block = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			threads = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: sum-hashmem [-a algo] "
			    "[-b bytes] [-w threads] file...\n");
			return 2;
		}
	}
	md = EVP_MD_fetch(NULL, algo, NULL);
	if (!md || !threads || !block) {
		fprintf(stderr, "sum-hashmem: bad algorithm or count\n");
		return 2;
	}
	nfiles = (size_t)(argc - optind);
	files = calloc(nfiles ? nfiles : 1, sizeof(*files));
	t = calloc(threads, sizeof(*t));
	if (!files || !t)
		return 1;
	for (i = 0; i < nfiles; i++) {
		const char *name = argv[optind + (int)i];
		struct stat st;
		int fd = open(name, O_RDONLY);

		if (fd < 0 || fstat(fd, &st) < 0) {
			perror(name);
			return 1;
		}
		files[i].n = (size_t)st.st_size;
		if (files[i].n) {
			unsigned char *p = malloc(files[i].n);
			size_t got = 0;

			if (!p) {
				perror(name);
				return 1;
			}
			while (got < files[i].n) {
				ssize_t r = read(fd, p + got, files[i].n - got);

				if (r <= 0) {
					perror(name);
					return 1;
				}
				got += (size_t)r;
			}
			files[i].p = p;
		}
		close(fd);
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("%.3f %.3f\n", clock_s(CLOCK_MONOTONIC) - t0,
	    clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	for (i = 0; i < nfiles; i++)
		free((void *)files[i].p);
	free(files);
	free(t);
	EVP_MD_free(md);
	return 0;
}
