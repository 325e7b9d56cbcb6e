/*
 * The insert-only table of table.h: per bucket, a singly linked list with
 * new records pushed at the head by compare-and-swap.  Since nothing is
 * ever removed before table_fini, a list only grows at its head, a node's
 * next never changes once published, and there is no ABA problem.  Used
 * by dns.c and conn.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "table.h"

static unsigned int hash(const char *s)
{
	unsigned int h = 2166136261u;   /* FNV-1a, case-folded */

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h % TABLE_BUCKETS;
}

static struct table_node *find(struct table_node *n, struct table_node *stop,
    const char *key)
{
	for (; n != stop; n = n->next)
		if (strcasecmp(n->key, key) == 0)
			return n;
	return NULL;
}

struct table_node *table_get(struct table *t, const char *key,
    struct table_node *(*make)(const char *key),
    void (*drop)(struct table_node *))
{
	_Atomic(struct table_node *) *b = &t->bucket[hash(key)];
	/* Acquire: pairs with the release of the CAS below, by which another
	 * task published the nodes we walk (their key and next). */
	struct table_node *head = atomic_load_explicit(b, memory_order_acquire);
	struct table_node *seen = NULL, *n, *mine = NULL;

	for (;;) {
		/* Only the nodes pushed since the last walk are new. */
		if ((n = find(head, seen, key))) {
			if (mine)
				drop(mine);
			return n;
		}
		if (!mine && !(mine = make(key)))
			return NULL;
		mine->next = head;
		/* Release: publishes mine (its key, its next) to the acquire
		 * loads of other tasks; acquire on failure, as above, for the
		 * nodes we then walk. */
		if (atomic_compare_exchange_weak_explicit(b, &head, mine,
		    memory_order_release, memory_order_acquire))
			return mine;
		/* head is the new head: walk it down to what we saw. */
		seen = mine->next;
	}
}

int table_each(struct table *t, int (*fn)(struct table_node *n, void *arg),
    void *arg)
{
	struct table_node *n;
	unsigned int i;
	int r;

	for (i = 0; i < TABLE_BUCKETS; i++)
		/* Acquire: as in table_get, for the nodes we walk. */
		for (n = atomic_load_explicit(&t->bucket[i],
		    memory_order_acquire); n; n = n->next)
			if ((r = fn(n, arg)) != 0)
				return r;
	return 0;
}

void table_fini(struct table *t, void (*drop)(struct table_node *))
{
	unsigned int i;

	for (i = 0; i < TABLE_BUCKETS; i++) {
		struct table_node *n = atomic_load_explicit(&t->bucket[i],
		    memory_order_relaxed), *next;

		/* Relaxed: the tasks are over; kiln_run's return ordered
		 * their writes before ours. */
		for (; n; n = next) {
			next = n->next;
			drop(n);
		}
		atomic_store_explicit(&t->bucket[i], NULL,
		    memory_order_relaxed);
	}
}
