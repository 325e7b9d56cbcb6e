/*
 * Where a URL's body goes: always counted, hashed with --sha256 and the
 * like, and written to its file with -O and -o: a new file under a
 * temporary name until it is complete, what already exists in place.
 */
#ifndef KILN_FETCH_SINK_H
#define KILN_FETCH_SINK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hash.h"

/* The path that stands for the standard output (-o -). */
#define SINK_STDOUT "-"

struct sink {
	const char *path;       /* the file, or NULL */
	unsigned long id;       /* makes the temporary name unique */
	int opened;             /* the file is open */
	int fd;                 /* the file's, or -1 (none, or stdout) */
	char *tmp;              /* the temporary name while it exists */
	off_t off;              /* where the next write goes; -1: a stream */
	char *buf;              /* data not yet written */
	size_t fill;
	struct ks_hasher h;     /* the body's digest (kiln-sum's hashers) */
	int hashing;
	/* tmp while the signal handler may unlink it (see sink.c). */
	_Atomic(char *) live;
	struct sink *next_sink; /* every sink, for the signal handler */
};

/*
 * Hash bodies with kiln-sum's algorithm algo ("sha256"...; NULL: none),
 * and make sink_burn ready if burn.  Before the run.  Returns the
 * digest's size in bytes (0 without one), or -1 if OpenSSL lacks it.
 */
int sink_setup(const char *algo, int burn);
void sink_cleanup(void);

/*
 * A sink for one lane: 0 or -ENOMEM.  sink_fini frees it.  Both before
 * sink_catch_signals or after sink_release_signals, on the main thread.
 */
int sink_init(struct sink *s);
void sink_fini(struct sink *s);

/*
 * SIGHUP, SIGINT, SIGPIPE and SIGTERM (those not ignored) remove the
 * temporary files of every sink, then end the process as they would
 * have; sink_release_signals restores them.  On the main thread.
 */
void sink_catch_signals(void);
void sink_release_signals(void);

/*
 * A body starts (again, after a failed attempt): to path (NULL: no file;
 * SINK_STDOUT: the standard output), whose temporary name is made unique
 * by id.  The file is opened with the first byte.  0 or a negative errno.
 */
int sink_begin(struct sink *s, const char *path, unsigned long id);
int sink_write(struct sink *s, const char *p, size_t n);
/* The body is complete: the file takes its name, the digest goes to md.
 * 0 or a negative errno (then a new file is left under neither name). */
int sink_end(struct sink *s, unsigned char *md);
/* The body failed: close the file, remove a temporary one. */
void sink_abort(struct sink *s);

/* Burn CPU as a URL's own work would: hash n bytes (for --cpu-work). */
void sink_burn(size_t n);

#endif
