/* nqueens-serial: the baseline, plain recursive search.  Usage: nqueens-serial N */
#include "bench.h"
#include "nqueens.h"

int main(int argc, char **argv)
{
	struct nq_pos start = { 0, 0, 0, 0 };
	unsigned int n;
	uint64_t r;
	double t0;

	n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 1, NQ_MAX_N);
	t0 = bench_now();
	r = nq_serial(n, start);
	bench_report("nqueens", "serial", n, 0, 1, r, bench_now() - t0, NULL);
	return 0;
}
