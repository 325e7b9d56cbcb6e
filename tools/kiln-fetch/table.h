/*
 * An insert-only table of records keyed by strings, shared by all tasks
 * without a lock: the DNS cache (hosts) and the connection pools (origins).
 * Records are never removed during a run, so a pointer found stays valid
 * until table_fini.
 */
#ifndef KILN_FETCH_TABLE_H
#define KILN_FETCH_TABLE_H

#include <stdatomic.h>

#define TABLE_BUCKETS 64

/* The first member of every record. */
struct table_node {
	struct table_node *next;  /* written before the node is published */
	char *key;                /* case-insensitive, owned by the node */
};

struct table {
	_Atomic(struct table_node *) bucket[TABLE_BUCKETS];
};

/*
 * The record with key, made with make(key) if there is none yet (make
 * returns a record whose node.key it owns, or NULL).  When two tasks make
 * the same record at once, one wins and the other's is given to drop.
 * Returns NULL only when make fails.  Any task.
 */
struct table_node *table_get(struct table *t, const char *key,
    struct table_node *(*make)(const char *key),
    void (*drop)(struct table_node *));

/*
 * fn(record, arg) for the records of t, in no order, until it returns
 * non-zero; returns that, or 0.  Records made meanwhile may be missed.
 * Any task.
 */
int table_each(struct table *t, int (*fn)(struct table_node *n, void *arg),
    void *arg);

/* Give every record to drop.  Only once no task uses the table. */
void table_fini(struct table *t, void (*drop)(struct table_node *));

#endif
