/*
 * kiln-sum: the options of a run, all in one struct, filled by main.c
 * from the command line and read by every other part.
 */
#ifndef KS_OPTIONS_H
#define KS_OPTIONS_H

#include <stddef.h>

#include <kiln.h>

#include "hash.h"

struct ks_options {
	const struct ks_algo *algo;     /* -a */
	unsigned int digest_len;        /* bytes: algo->size, or -l / 8 */
	size_t block_size;              /* -b */
	struct kiln_options pool;       /* -w */
	int check;                      /* -c */
	int recursive;                  /* -r */
	int tag;                        /* --tag */
	int zero;                       /* -z */
	int progress;                   /* --progress 1, --no-progress 0, -1 */
	int binary;                     /* --binary 1, --text 0, -1 */
	/* -c only */
	int status_only, warn_lines, quiet, strict, ignore_missing;
	/* Standard descriptors found closed at the start (and given
	 * /dev/null, so that no file we open takes their numbers). */
	int closed_fd[3];
};

#endif /* KS_OPTIONS_H */
