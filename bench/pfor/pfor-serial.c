/* pfor-serial: the baseline, one loop.  Usage: pfor-serial N */
#include "bench.h"
#include "pfor.h"

int main(int argc, char **argv)
{
	uint64_t n = bench_arg(argc, argv, 1, "N", 0, 0, PFOR_MAX_N), r;
	double t0;

	t0 = bench_now();
	r = pfor_range(0, n);
	bench_report("pfor", "serial", n, 0, 1, r, bench_now() - t0, NULL);
	return 0;
}
