/*
 * Preloaded by tests/sum/fds.sh: as if kiln-sum's own open files had used
 * up the descriptors.  While a file whose path contains "emfile-" is open,
 * every other openat() of such a file fails with EMFILE; close() notes
 * when they close.  Only the helper threads of kiln's fallback call
 * openat() and close() (io_uring opens and closes in the kernel), so the
 * test runs with KILN_NO_URING=1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define MAX_FD 65536

static _Atomic int open_now, calls;
static _Atomic unsigned char ours[MAX_FD];

static int matches(const char *path)
{
	return strstr(path, "emfile-") != NULL;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, unsigned int);
		va_end(ap);
	}
	/* Seq_cst throughout: a test double, not a hot path. */
	if (matches(path) && atomic_load(&open_now) > 0 &&
	    atomic_fetch_add(&calls, 1) % 2 == 0) {
		errno = EMFILE;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "openat");
	fd = real(dirfd, path, flags, mode);
	if (fd >= 0 && fd < MAX_FD && matches(path)) {
		atomic_store(&ours[fd], 1);
		atomic_fetch_add(&open_now, 1);
	}
	return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

int close(int fd)
{
	int (*real)(int);

	if (fd >= 0 && fd < MAX_FD && atomic_exchange(&ours[fd], 0))
		atomic_fetch_sub(&open_now, 1);
	*(void **)&real = dlsym(RTLD_NEXT, "close");
	return real(fd);
}
