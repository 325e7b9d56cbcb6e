/*
 * Where a URL's body goes: always counted, hashed with --sha256 and the
 * like, and written to its file with -O and -o, under a temporary name
 * until it is complete.
 */
#ifndef KILN_FETCH_SINK_H
#define KILN_FETCH_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hash.h"

struct sink {
	const char *path;       /* the file, or NULL */
	char *tmp;              /* its temporary name while written */
	int fd;
	off_t off;
	char *buf;              /* data not yet written */
	size_t fill;
	struct ks_hasher h;     /* the body's digest (kiln-sum's hashers) */
	int hashing;
};

/*
 * Hash bodies with kiln-sum's algorithm algo ("sha256"...; NULL: none),
 * and make sink_burn ready if burn.  Before the run.  Returns the
 * digest's size in bytes (0 without one), or -1 if OpenSSL lacks it.
 */
int sink_setup(const char *algo, int burn);
void sink_cleanup(void);

/* A sink for one lane: 0 or -ENOMEM.  sink_fini frees it. */
int sink_init(struct sink *s);
void sink_fini(struct sink *s);

/* A body starts (again, after a failed attempt): to path (NULL: no file),
 * whose temporary name is made unique by id.  0 or a negative errno. */
int sink_begin(struct sink *s, const char *path, unsigned long id);
int sink_write(struct sink *s, const char *p, size_t n);
/* The body is complete: the file takes its name, the digest goes to md.
 * 0 or a negative errno (then nothing is left under either name). */
int sink_end(struct sink *s, unsigned char *md);
/* The body failed: remove the temporary file. */
void sink_abort(struct sink *s);

/* Burn CPU as a URL's own work would: hash n bytes (for --cpu-work). */
void sink_burn(size_t n);

#endif
