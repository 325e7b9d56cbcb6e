/*
 * kiln-sum: BLAKE2b (RFC 7693) with any digest length from 1 to 64 bytes,
 * for b2sum's -l and for the check lines b2sum writes with it.  OpenSSL
 * 3.0 offers only the 64-byte digest, which kiln-sum takes from OpenSSL.
 */
#ifndef KS_BLAKE2B_H
#define KS_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>

struct ks_blake2b {
	uint64_t h[8];
	uint64_t t[2];          /* bytes compressed so far */
	unsigned char b[128];   /* the block being filled */
	size_t c;               /* bytes in b */
	size_t outlen;
};

/* outlen from 1 to 64; no key. */
void ks_blake2b_init(struct ks_blake2b *s, size_t outlen);
void ks_blake2b_update(struct ks_blake2b *s, const void *in, size_t n);
/* Writes outlen bytes. */
void ks_blake2b_final(struct ks_blake2b *s, unsigned char *out);

#endif /* KS_BLAKE2B_H */
