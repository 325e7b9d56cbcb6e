/*
 * kiln-sum: the algorithms and their hashers.  No kiln here: the hashers
 * are plain incremental digests (OpenSSL's EVP, libxxhash's XXH3, and
 * blake2b.c for short BLAKE2b digests), used by the lanes (lanes.c) and
 * by bench/sum's hash-only baseline alike.
 *
 * Errors are negative errno values: -ENOMEM when memory runs out, -EINVAL
 * when a digest call fails for any other reason (a bad length, or OpenSSL
 * refusing the context).
 */
#ifndef KS_HASH_H
#define KS_HASH_H

#include <stddef.h>

#include "line.h"

/* The libraries' types, by the struct names their headers give them, so
 * that this header needs neither. */
struct evp_md_st;
struct evp_md_ctx_st;
struct XXH3_state_s;

#define KS_MAX_DIGEST 64        /* bytes */

struct ks_algo {
	const char *name;       /* -a NAME */
	const char *evp;        /* OpenSSL's name; NULL for xxh128 */
	struct ks_format fmt;   /* tag and digest length of its lines */
	unsigned int size;      /* digest bytes */
};

/* The algorithms, in the order --help lists them; the first is the
 * default. */
extern const struct ks_algo ks_algos[];
extern const size_t ks_nalgos;

/* The algorithm called name, or NULL. */
const struct ks_algo *ks_algo_find(const char *name);

/* An algorithm ready to hash with: what OpenSSL has for it, fetched once
 * for the whole run. */
struct ks_hash {
	const struct ks_algo *algo;
	struct evp_md_st *md;   /* EVP_MD; NULL for xxh128 */
};

/* 0, -ENOENT if OpenSSL does not offer the algorithm, or -ENOMEM. */
int ks_hash_open(struct ks_hash *h, const struct ks_algo *a);
void ks_hash_close(struct ks_hash *h);

/* One digest at a time, reused from one file to the next.  A hasher is
 * used by one task at a time, on any thread. */
struct ks_hasher {
	const struct ks_hash *hash;
	struct evp_md_ctx_st *evp;      /* EVP_MD_CTX */
	struct ks_blake2b *b2;          /* blake2b with a shorter digest */
	struct XXH3_state_s *xxh;       /* XXH3_state_t */
	unsigned int len;       /* digest bytes of the current digest */
};

int ks_hasher_new(struct ks_hasher *h, const struct ks_hash *hash);
void ks_hasher_free(struct ks_hasher *h);
/* Start a digest of len bytes: hash->algo->size, or less for blake2b. */
int ks_hasher_init(struct ks_hasher *h, unsigned int len);
int ks_hasher_update(struct ks_hasher *h, const void *p, size_t n);
/* Writes the len bytes of the digest. */
int ks_hasher_final(struct ks_hasher *h, unsigned char *out);

#endif /* KS_HASH_H */
