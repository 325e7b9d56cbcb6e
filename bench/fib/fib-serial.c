/* fib-serial: the baseline, plain recursive C.  Usage: fib-serial N */
#include "bench.h"
#include "fib.h"

int main(int argc, char **argv)
{
	unsigned int n = (unsigned int)bench_arg(argc, argv, 1, "N", 0, 0,
	    FIB_MAX_N);
	uint64_t r;
	double t0;

	t0 = bench_now();
	r = fib_serial(n);
	bench_report("fib", "serial", n, 0, 1, r, bench_now() - t0, NULL);
	return 0;
}
