/*
 * kiln-sum: the items of a run, in the order they are printed: the files
 * to hash, the errors met while finding them, and, with -c, the lines and
 * ends of the check lists.  Built before the pool starts (operands, -r
 * walks, -c lists), then hashed by the lanes and printed by output.c.
 * No kiln here.
 */
#ifndef KS_ITEMS_H
#define KS_ITEMS_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "hash.h"
#include "line.h"
#include "options.h"

enum ks_kind {
	KS_FILE,        /* hash the named file */
	KS_STDIN,       /* hash standard input */
	KS_ERROR,       /* report err about name; nothing to hash */
	KS_BADLINE,     /* -c: an improperly formatted line */
	KS_LIST_ERR,    /* -c: a list that could not be opened */
	KS_LIST_END,    /* -c: end of a list: its summary */
};

struct ks_item {
	char *name;             /* the file (or the list) */
	char *hex;              /* -c: the digest expected; KS_LIST_END:
	                         * the list's text, which names point into */
	uintmax_t line;         /* KS_BADLINE: its line number */
	off_t size;             /* bytes, -1 unknown */
	unsigned char kind;     /* enum ks_kind */
	unsigned char binary;   /* -c: read as binary ('*') */
	unsigned char len;      /* digest bytes (-c: as the line has it) */
	unsigned char own;      /* name is ours to free */
	int err;                /* errno value of the failure, or 0 */
	/* Written by a lane, then done is set (see output.h); the printer
	 * reads err and digest once it has seen done. */
	_Atomic int done;
	unsigned char digest[KS_MAX_DIGEST];
};

struct ks_items {
	struct ks_item *v;
	size_t n, cap;
	uint64_t total_bytes;   /* ks_items_measure: of the files it sized */
	int total_known;        /* and whether that is all of them */
	int stdin_list;         /* -c read a list from standard input */
};

/* Does a lane hash it? */
static inline int ks_item_hashed(const struct ks_item *it)
{
	return it->kind == KS_FILE || it->kind == KS_STDIN;
}

/* The operands of a run without -c (with -r, directories walked). */
void ks_items_add_operands(struct ks_items *s, const struct ks_options *o,
    int argc, char **argv);
/* The lines of each -c list (standard input for "-"), then its end. */
void ks_items_add_lists(struct ks_items *s, const struct ks_options *o,
    int argc, char **argv);
void ks_items_free(struct ks_items *s);

/*
 * Add up the sizes of the files into s->total_bytes, stat()ing those
 * whose size the walk did not give; the files of -c lists only if lists
 * is set (there may be millions, and a stat costs about as much as
 * opening the file).
 */
void ks_items_measure(struct ks_items *s, const struct ks_options *o,
    int lists);

/*
 * The order the lanes take the files in, into work (room for s->n):
 * files too large to be left for the end, largest first, then the others
 * as given.  Returns how many.
 */
size_t ks_items_order(const struct ks_items *s, size_t block_size,
    unsigned int workers, size_t *work);

#endif /* KS_ITEMS_H */
