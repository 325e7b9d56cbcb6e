/*
 * io-pool: WORKERS threads, each a plain pread loop over its share of the
 * reads: what a thread pool of blocking reads gets from the same cores.
 * Usage: io-pool N [WORKERS [DEPTH [FILE [MIB]]]]: WORKERS threads, each
 * with one read in flight, so DEPTH is ignored and reported as WORKERS.
 */
#include <pthread.h>
#include <string.h>

#include "io.h"

struct thr {
	pthread_t id;
	pthread_barrier_t *start;
	int fd;
	uint64_t begin, end, nblocks;
	uint64_t sum, bad;
	unsigned char buf[IO_BS] __attribute__((aligned(4096)));
};

static void *run(void *p)
{
	struct thr *t = p;

	pthread_barrier_wait(t->start);
	t->sum = io_pread_range(t->fd, t->buf, t->begin, t->end, t->nblocks,
	    &t->bad);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_barrier_t start;
	struct io_args a;
	struct thr *th;
	uint64_t sum = 0, bad = 0;
	unsigned int i, n;
	double t0, t, c0, c;
	int fd, ret;

	fd = io_setup(argc, argv, &a, 1, 1);
	n = a.workers;
	th = aligned_alloc(4096, n * sizeof(*th));
	if (!th || pthread_barrier_init(&start, NULL, n + 1) != 0) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		th[i].start = &start;
		th[i].fd = fd;
		th[i].begin = io_part(a.n, i, n);
		th[i].end = io_part(a.n, i + 1, n);
		th[i].nblocks = a.nblocks;
		th[i].sum = th[i].bad = 0;
		ret = pthread_create(&th[i].id, NULL, run, &th[i]);
		if (ret != 0) {
			fprintf(stderr, "%s: pthread_create: %s\n", argv[0],
			    strerror(ret));
			return 1;
		}
	}
	/* Every thread is created and waiting: the clock starts as they go. */
	c0 = io_cpu();
	pthread_barrier_wait(&start);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		pthread_join(th[i].id, NULL);
		sum += th[i].sum;
		bad += th[i].bad;
	}
	t = bench_now() - t0;
	c = io_cpu() - c0;
	close(fd);
	if (bad) {
		fprintf(stderr, "%s: %llu of %llu reads brought back the wrong "
		    "data\n", argv[0], (unsigned long long)bad,
		    (unsigned long long)a.n);
		return 1;
	}
	io_report("pread-pool", &a, n, n, sum, t, c, NULL);
	return 0;
}
