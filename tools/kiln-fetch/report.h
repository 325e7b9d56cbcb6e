/*
 * What the user sees: one line per URL on stdout in the order given,
 * failures on stderr, the progress line and the summary; the exit status.
 */
#ifndef KILN_FETCH_REPORT_H
#define KILN_FETCH_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

/* Before the run, on the thread that will call report_all: 0 or a
 * negative errno. */
int report_setup(struct job *jobs, size_t n, unsigned int digest_len);

/* From the URLs' tasks: a URL starts, body bytes came, a URL is done. */
void report_started(struct job *j);
void report_bytes(uint64_t n);
void report_done(struct job *j);

/* Print every URL's line as soon as it and those before are done, then
 * the summary; returns the exit status.  Not from a worker. */
int report_all(void);

void report_cleanup(void);

#endif
