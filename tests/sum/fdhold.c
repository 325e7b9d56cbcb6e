/*
 * Runs a command with few file descriptors free, as a process that holds
 * most of its own would: lowers the soft RLIMIT_NOFILE to LIMIT (if -l is
 * given), opens /dev/null until no descriptor below the limit is free,
 * closes FREE of them again, then execs the command, which inherits the
 * rest.  Exit 99 if it cannot set that up (the command's status
 * otherwise).
 *
 *	fdhold [-l LIMIT] -f FREE COMMAND [ARG...]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "fdhold: %s: %s\n", what, strerror(errno));
	exit(99);
}

int main(int argc, char **argv)
{
	long limit = -1, want = -1, n = 0, cap = 1024;
	int *held = malloc(cap * sizeof(*held));
	struct rlimit rl;
	int c, fd;

	while ((c = getopt(argc, argv, "+l:f:")) != -1) {
		if (c == 'l')
			limit = atol(optarg);
		else if (c == 'f')
			want = atol(optarg);
		else
			return 99;
	}
	if (want < 0 || optind == argc || !held) {
		fprintf(stderr, "usage: fdhold [-l LIMIT] -f FREE COMMAND...\n");
		return 99;
	}
	if (limit >= 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("getrlimit");
		rl.rlim_cur = (rlim_t)limit;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit");
	}
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		if (n == cap) {
			cap *= 2;
			held = realloc(held, cap * sizeof(*held));
			if (!held)
				die("realloc");
		}
		held[n++] = fd;
	}
	if (errno != EMFILE)
		die("open");
	if (n < want) {
		fprintf(stderr, "fdhold: only %ld descriptors free\n", n);
		return 99;
	}
	while (want-- > 0)
		close(held[--n]);
	free(held);
	execvp(argv[optind], argv + optind);
	die(argv[optind]);
	return 99;
}
