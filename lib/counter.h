/*
 * Statistics counters that one thread writes and others only read
 * (kiln_pool_stats).  Uses nothing else of kiln.
 */
#ifndef KILN_COUNTER_H
#define KILN_COUNTER_H

#include <stdatomic.h>

/*
 * Add d to *c, an _Atomic integer that only the calling thread writes:
 * a relaxed load and store, no read-modify-write.  Relaxed, because a
 * reader only wants each counter exact on its own, not ordered with
 * anything else.
 */
#define kiln__owner_add(c, d)                                              \
	atomic_store_explicit((c), atomic_load_explicit((c),               \
	    memory_order_relaxed) + (d), memory_order_relaxed)

#endif /* KILN_COUNTER_H */
