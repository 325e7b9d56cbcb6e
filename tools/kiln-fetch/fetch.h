/* The engine: one task per URL in flight, in lanes. */
#ifndef KILN_FETCH_FETCH_H
#define KILN_FETCH_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

#include "job.h"

struct lane;

struct run {
	struct job *jobs;
	size_t njobs;
	_Atomic size_t next;    /* the next job a lane takes */
	struct lane *lanes;
	unsigned int nlanes;
};

/* lanes lanes for r (at least 1): 0 or -ENOMEM.  Before the run;
 * fetch_cleanup frees them. */
int fetch_setup(struct run *r, unsigned int lanes);
void fetch_cleanup(struct run *r);

/* The root task, for kiln_run(pool, fetch_root, r): fetches every job. */
void fetch_root(void *r);

#endif
