/*
 * What every kiln tool needs and does the same way: its name in messages,
 * allocation that exits when memory runs out, usage errors, --version,
 * and the one rule for numbers on the command line.  Plain C and the
 * version macros of <kiln.h>; no kiln calls, so the parts of a tool that
 * run no tasks (and its tests and benchmarks) may use it too.
 *
 * Exit statuses, as each tool's man page says: 1 when memory runs out,
 * 2 on a usage error.
 */
#ifndef KILN_TOOL_H
#define KILN_TOOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The name messages start with ("kiln-sum: ..."); set it first thing.  It
 * also replaces argv[0], whose path getopt's own messages would show.
 */
void tool_set_name(const char *name, char **argv);
const char *tool_name(void);

/* malloc and its kin, which print "NAME: out of memory" and exit 1. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* n bytes aligned to align (a power of two, a multiple of sizeof(void *)). */
void *xmemalign(size_t align, size_t n);

/*
 * "NAME: MESSAGE" and "Try 'NAME --help' for more information." on the
 * standard error, then exit 2.  tool_try_help prints only the second line
 * (after getopt's own message).
 */
_Noreturn void tool_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
_Noreturn void tool_try_help(void);

/* "NAME (kiln) MAJOR.MINOR.PATCH" on the standard output. */
void tool_print_version(void);

/*
 * The options every tool has, for the default case of its getopt switch:
 * 'h' calls usage (which prints to the standard output) and exits 0, 'V'
 * prints the version and exits 0; anything else is a usage error that
 * getopt has already described.
 */
_Noreturn void tool_common_option(int c, void (*usage)(void));

/* -w, --workers: the worker threads of the pool, 1 to 4096. */
#define TOOL_WORKERS_LONGOPT { "workers", required_argument, NULL, 'w' }
unsigned int tool_workers(const char *arg);

/* The end of every tool's struct option table: --help, --version. */
#define TOOL_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/*
 * A number on the command line: decimal digits only (no sign, blank or
 * base prefix), from lo to hi.  0 with *out set, -EINVAL if s is not such
 * a number, -ERANGE if it is out of [lo, hi].  *out is left alone on
 * failure.
 */
int tool_parse_number(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out);

/*
 * A size: a number as above, then optionally K, M or G in either case
 * (powers of 1024), which may be followed by "iB".  From lo to hi bytes;
 * returns as tool_parse_number does.
 */
int tool_parse_size(const char *s, size_t lo, size_t hi, size_t *out);

/* tool_parse_number, or a usage error: "WHAT must be a number from LO to
 * HI, not 'S'". */
unsigned long tool_number(const char *s, const char *what, unsigned long lo,
    unsigned long hi);

/*
 * How many more descriptors the process could open now, counted up to
 * want: the numbers below the soft RLIMIT_NOFILE that are not in use
 * (probed one by one, so the cost is one call per descriptor in use
 * below them, plus want).  Any thread; a snapshot.
 */
unsigned int tool_fds_free(unsigned int want);

/*
 * A closed standard descriptor (0, 1 or 2) would be handed to the first
 * descriptor the tool opens, and its output written there: open
 * /dev/null onto each closed one, as coreutils does, and set closed[i].
 * First thing in main.  0, or -1 if that failed.
 */
int tool_guard_std_fds(int closed[3]);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tool_now_ns(void);

#endif /* KILN_TOOL_H */
