/*
 * Runs the fuzz target of fuzz-line.c without libFuzzer: over the files
 * named on the command line, or, with none, over random check lists built
 * from pieces of real and broken lines (a fixed seed, so a failure
 * repeats).  Exit 0 if every input passed; the target aborts otherwise.
 *
 *	fuzz-replay [-n COUNT] [-s SEED] [FILE...]
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 88172645463325252ull;

static unsigned int pick(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

static const char *pieces[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
	"d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
	"d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
	"SHA256", "SHA1", "SHA512", "MD5", "BLAKE2b", "BLAKE2b-256", "XXH128",
	"BLAKE2b-", "-0x100", "-08", "-512", "-9999999999999999999999",
	" ", "  ", " *", "*", "\t", "(", ")", " (", ") = ", "=", " = ",
	"\\", "\\\\", "\\n", "\\r", "\\x", "\n", "\r\n", "\r", "#", "-",
	"name", "a b", "x)y", "\377\376", "\303\251", "\0", "fF", "0",
};

static size_t build(char *buf, size_t cap)
{
	size_t n = 0, k = 1 + pick(40), i;

	for (i = 0; i < k; i++) {
		const char *p = pieces[pick(sizeof(pieces) / sizeof(pieces[0]))];
		size_t len = p[0] ? strlen(p) : 1;

		if (pick(8) == 0) {
			/* A random byte now and then. */
			if (n < cap)
				buf[n++] = (char)pick(256);
			continue;
		}
		if (n + len > cap)
			break;
		memcpy(buf + n, p, len);
		n += len;
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long count = 20000, i;
	static char buf[4096];
	int c;

	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			rng = strtoull(optarg, NULL, 10) * 2654435761u + 1;
			break;
		default:
			fprintf(stderr, "usage: fuzz-replay [-n count] "
			    "[-s seed] [file...]\n");
			return 2;
		}
	}
	if (optind < argc) {
		for (; optind < argc; optind++) {
			FILE *f = fopen(argv[optind], "rb");
			size_t n;

			if (!f) {
				perror(argv[optind]);
				return 1;
			}
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		}
		return 0;
	}
	for (i = 0; i < count; i++) {
		size_t n = build(buf, sizeof(buf));

		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	}
	printf("fuzz-replay: %lu random inputs passed\n", count);
	return 0;
}
