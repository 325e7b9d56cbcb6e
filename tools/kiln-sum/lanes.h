/*
 * kiln-sum: the lanes, the tasks that read files through kiln and hash
 * them; the one part of kiln-sum that shows kiln in use (lanes.c).
 */
#ifndef KS_LANES_H
#define KS_LANES_H

#include <kiln.h>

#include "hash.h"
#include "items.h"
#include "options.h"

struct ks_lanes;

/*
 * Start hashing every item of s that ks_item_hashed() names, on pool,
 * from a thread of its own; each item is published (ks_publish) when its
 * digest or error is final, in whatever order they finish.  Returns 0 or
 * a negative errno value (nothing started).
 */
int ks_lanes_start(struct ks_lanes **out, kiln_pool *pool,
    struct ks_items *s, const struct ks_options *o,
    const struct ks_hash *hash);

/*
 * Wait for the lanes to finish, and free them.  0, or the negative errno
 * value with which kiln_run failed (then every item was published with
 * that error).
 */
int ks_lanes_finish(struct ks_lanes *l);

#endif /* KS_LANES_H */
