/*
 * The helpers every kiln tool shares (see tool.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <kiln.h>

#include "tool.h"

static const char *name = "kiln";

void tool_set_name(const char *n, char **argv)
{
	name = n;
	argv[0] = (char *)n;
}

const char *tool_name(void)
{
	return name;
}

static void *need(void *p)
{
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", name);
		exit(1);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return need(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return need(calloc(n ? n : 1, size ? size : 1));
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	size_t bytes = n * size;

	if (size && n > SIZE_MAX / size)
		return need(NULL);
	return need(realloc(p, bytes ? bytes : 1));
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void *xmemalign(size_t align, size_t n)
{
	void *p;

	return need(posix_memalign(&p, align, n ? n : 1) ? NULL : p);
}

void tool_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", name);
	exit(2);
}

void tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	tool_try_help();
}

void tool_print_version(void)
{
	printf("%s (kiln) %d.%d.%d\n", name, KILN_VERSION_MAJOR,
	    KILN_VERSION_MINOR, KILN_VERSION_PATCH);
}

void tool_common_option(int c, void (*usage)(void))
{
	if (c == 'h')
		usage();
	else if (c == 'V')
		tool_print_version();
	else
		tool_try_help();
	exit(0);
}

/* The digits at the start of s, in *v; the end in *end.  -EINVAL if s
 * does not start with a digit, -ERANGE if they overflow. */
static int digits(const char *s, unsigned long long *v, const char **end)
{
	unsigned long long x = 0;

	*end = s;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (ULLONG_MAX - d) / 10) {
			while (*s >= '0' && *s <= '9')
				s++;
			*end = s;
			return -ERANGE;
		}
		x = x * 10 + d;
	}
	*v = x;
	*end = s;
	return 0;
}

int tool_parse_number(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	unsigned long long v;
	const char *end;
	int r = digits(s, &v, &end);

	if (*end != '\0')
		return -EINVAL;
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return -ERANGE;
	*out = (unsigned long)v;
	return 0;
}

int tool_parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
	unsigned long long v, mult = 1;
	const char *end;
	int r = digits(s, &v, &end);

	switch (*end) {
	case 'k': case 'K':
		mult = 1ull << 10;
		break;
	case 'm': case 'M':
		mult = 1ull << 20;
		break;
	case 'g': case 'G':
		mult = 1ull << 30;
		break;
	}
	if (mult > 1 && strcmp(++end, "iB") == 0)
		end += 2;
	if (*end != '\0')
		return -EINVAL;
	if (r < 0)
		return r;
	if (v > hi / mult || v * mult < lo)
		return -ERANGE;
	*out = (size_t)(v * mult);
	return 0;
}

unsigned long tool_number(const char *s, const char *what, unsigned long lo,
    unsigned long hi)
{
	unsigned long v;

	if (tool_parse_number(s, lo, hi, &v) < 0)
		tool_usage_error("%s must be a number from %lu to %lu, not '%s'",
		    what, lo, hi, s);
	return v;
}

unsigned int tool_workers(const char *arg)
{
	return (unsigned int)tool_number(arg, "--workers", 1, 4096);
}

unsigned int tool_fds_free(unsigned int want)
{
	struct rlimit rl;
	rlim_t limit;
	unsigned int n = 0;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	limit = rl.rlim_cur < (rlim_t)INT_MAX ? rl.rlim_cur : (rlim_t)INT_MAX;
	for (fd = 0; (rlim_t)fd < limit && n < want; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			n++;
	return n;
}

int tool_guard_std_fds(int closed[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		closed[i] = fcntl(i, F_GETFD) < 0 && errno == EBADF;
		if (closed[i] &&
		    open("/dev/null", i ? O_WRONLY : O_RDONLY) != i)
			return -1;
	}
	return 0;
}

uint64_t tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
