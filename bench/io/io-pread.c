/*
 * io-pread: the baseline, one thread, a plain pread loop over the same
 * blocks as every other io program.
 * Usage: io-pread N [WORKERS [DEPTH [FILE [MIB]]]]; WORKERS and DEPTH are
 * accepted for the runner's sake and must be 1.
 */
#include "io.h"

int main(int argc, char **argv)
{
	static unsigned char buf[IO_BS] __attribute__((aligned(4096)));
	struct io_args a;
	uint64_t sum, bad = 0;
	double t0, t, c0, c;
	int fd;

	fd = io_setup(argc, argv, &a, 1, 1);
	if (a.workers != 1 || a.depth != 1) {
		fprintf(stderr, "%s: one thread, one read at a time: WORKERS "
		    "and DEPTH must be 1\n", argv[0]);
		return 2;
	}
	c0 = io_cpu();
	t0 = bench_now();
	sum = io_pread_range(fd, buf, 0, a.n, a.nblocks, &bad);
	t = bench_now() - t0;
	c = io_cpu() - c0;
	close(fd);
	if (bad) {
		fprintf(stderr, "%s: %llu of %llu reads brought back the wrong "
		    "data\n", argv[0], (unsigned long long)bad,
		    (unsigned long long)a.n);
		return 1;
	}
	io_report("pread", &a, 1, 1, sum, t, c, NULL);
	return 0;
}
