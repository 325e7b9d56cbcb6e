/*
 * kiln-sum: the algorithm table and the hashers (see hash.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#ifdef HAVE_XXHASH
#include <xxhash.h>
#endif

#include "blake2b.h"
#include "hash.h"

const struct ks_algo ks_algos[] = {
	{ "sha256", "SHA256", { "SHA256", 64, 0 }, 32 },
	{ "sha1", "SHA1", { "SHA1", 40, 0 }, 20 },
	{ "sha512", "SHA512", { "SHA512", 128, 0 }, 64 },
	{ "md5", "MD5", { "MD5", 32, 0 }, 16 },
	{ "blake2b", "BLAKE2B-512", { "BLAKE2b", 128, 1 }, 64 },
#ifdef HAVE_XXHASH
	{ "xxh128", NULL, { "XXH128", 32, 0 }, 16 },
#endif
};

const size_t ks_nalgos = sizeof(ks_algos) / sizeof(ks_algos[0]);

const struct ks_algo *ks_algo_find(const char *name)
{
	size_t i;

	for (i = 0; i < ks_nalgos; i++)
		if (strcmp(name, ks_algos[i].name) == 0)
			return &ks_algos[i];
	return NULL;
}

int ks_hash_open(struct ks_hash *h, const struct ks_algo *a)
{
	h->algo = a;
	h->md = NULL;
	if (!a->evp)
		return 0;
	h->md = EVP_MD_fetch(NULL, a->evp, NULL);
	if (h->md)
		return 0;
	ERR_clear_error();
	return -ENOENT;
}

void ks_hash_close(struct ks_hash *h)
{
	EVP_MD_free(h->md);
	h->md = NULL;
}

/*
 * What a failed EVP call means, from OpenSSL's error queue, which is then
 * emptied: the queue is per thread, and the task that called may run on
 * another thread next time.  (No kiln call comes between the failure and
 * this, so the entry is this thread's.)
 */
static int evp_error(void)
{
	unsigned long e = ERR_peek_last_error();

	ERR_clear_error();
	return ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE ? -ENOMEM : -EINVAL;
}

int ks_hasher_new(struct ks_hasher *h, const struct ks_hash *hash)
{
	memset(h, 0, sizeof(*h));
	h->hash = hash;
#ifdef HAVE_XXHASH
	if (!hash->algo->evp) {
		h->xxh = XXH3_createState();
		return h->xxh ? 0 : -ENOMEM;
	}
#endif
	h->evp = EVP_MD_CTX_new();
	if (hash->algo->fmt.blake2)
		h->b2 = malloc(sizeof(*h->b2));
	if (!h->evp || (hash->algo->fmt.blake2 && !h->b2)) {
		ks_hasher_free(h);
		return -ENOMEM;
	}
	return 0;
}

void ks_hasher_free(struct ks_hasher *h)
{
	EVP_MD_CTX_free(h->evp);
	free(h->b2);
#ifdef HAVE_XXHASH
	if (h->xxh)
		XXH3_freeState(h->xxh);
#endif
	memset(h, 0, sizeof(*h));
}

int ks_hasher_init(struct ks_hasher *h, unsigned int len)
{
	const struct ks_algo *a = h->hash->algo;

	if (len == 0 || len > a->size || (len != a->size && !a->fmt.blake2))
		return -EINVAL;
	h->len = len;
#ifdef HAVE_XXHASH
	if (h->xxh)
		return XXH3_128bits_reset(h->xxh) == XXH_OK ? 0 : -EINVAL;
#endif
	if (len != a->size) {
		ks_blake2b_init(h->b2, len);
		return 0;
	}
	return EVP_DigestInit_ex2(h->evp, h->hash->md, NULL) == 1 ? 0 :
	    evp_error();
}

int ks_hasher_update(struct ks_hasher *h, const void *p, size_t n)
{
#ifdef HAVE_XXHASH
	if (h->xxh)
		return XXH3_128bits_update(h->xxh, p, n) == XXH_OK ? 0 :
		    -EINVAL;
#endif
	if (h->len != h->hash->algo->size) {
		ks_blake2b_update(h->b2, p, n);
		return 0;
	}
	return EVP_DigestUpdate(h->evp, p, n) == 1 ? 0 : evp_error();
}

int ks_hasher_final(struct ks_hasher *h, unsigned char *out)
{
#ifdef HAVE_XXHASH
	if (h->xxh) {
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->xxh));
		memcpy(out, c.digest, sizeof(c.digest));
		return 0;
	}
#endif
	if (h->len != h->hash->algo->size) {
		ks_blake2b_final(h->b2, out);
		return 0;
	}
	return EVP_DigestFinal_ex(h->evp, out, NULL) == 1 ? 0 : evp_error();
}
