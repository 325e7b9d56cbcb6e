/* Name resolution for the run: one lookup per host, shared and cached. */
#ifndef KILN_FETCH_DNS_H
#define KILN_FETCH_DNS_H

#include <netdb.h>
#include <stdint.h>

/*
 * The addresses of host (a name or a numeric address), resolved once for
 * the whole run however many tasks ask, the first one resolving while the
 * others wait, each until its own deadline (0: none).  Returns 0 and sets
 * *ai (owned by the cache, valid until dns_fini), or getaddrinfo's EAI_*
 * code, -ETIME or -ECANCELED.  Inside a task.
 */
int dns_lookup(const char *host, uint64_t deadline,
    const struct addrinfo **ai);

/* Free the cache.  After the run. */
void dns_fini(void);

#endif
