/*
 * no-uring-exec: run a program with io_uring refused by the kernel, the
 * way seccomp profiles refuse it.  A filter makes io_uring_setup,
 * io_uring_enter and io_uring_register fail with the errno given (EPERM:
 * Docker's default profile; ENOSYS: what a kernel without io_uring, or
 * gVisor, answers), and then the program is executed.  The filter stays
 * with the program and with everything it runs; other system calls are
 * untouched.  Used by tests/no-uring.sh; needs libseccomp.
 *
 *	no-uring-exec ERRNO PROGRAM [ARG...]
 *
 * ERRNO is the name of an errno value (EPERM, ENOSYS, ...).  Exit status:
 * the program's, or 99 (a hard error to automake) if the filter could not
 * be installed or the program not executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const refused[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* The errno value called name, or -1. */
static int errno_named(const char *name)
{
	int e;

	for (e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -1;
}

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	size_t i;
	int err, r;

	if (argc < 3 || (err = errno_named(argv[1])) < 0) {
		fprintf(stderr, "usage: no-uring-exec ERRNO PROGRAM [ARG...]"
		    "\n  (ERRNO a name: EPERM, ENOSYS, ...)\n");
		return 99;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "no-uring-exec: seccomp_init failed\n");
		return 99;
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int nr = seccomp_syscall_resolve_name(refused[i]);

		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "no-uring-exec: libseccomp does not "
			    "know %s\n", refused[i]);
			return 99;
		}
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned int)err),
		    nr, 0);
		if (r < 0) {
			fprintf(stderr, "no-uring-exec: seccomp_rule_add %s: "
			    "%s\n", refused[i], strerror(-r));
			return 99;
		}
	}
	/* Sets no_new_privs first, which an unprivileged caller needs. */
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "no-uring-exec: seccomp_load: %s\n",
		    strerror(-r));
		return 99;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "no-uring-exec: %s: %s\n", argv[2], strerror(errno));
	return 99;
}
