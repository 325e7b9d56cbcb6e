/*
 * kiln-sum: BLAKE2b after RFC 7693 (sections 2 and 3): a 128-byte block,
 * 12 rounds of the G function on a 16-word state, the digest length in
 * the parameter block XORed into h[0].  Plain C: it serves the digest
 * lengths OpenSSL does not offer; the full length goes through OpenSSL.
 */
#include "config.h"

#include <string.h>

#include "blake2b.h"

static const uint64_t iv[8] = {
	0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull,
	0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
	0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
	0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

/* The message schedule of each round; rounds 10 and 11 repeat 0 and 1. */
static const unsigned char sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static uint64_t rotr(uint64_t x, unsigned int n)
{
	return (x >> n) | (x << (64 - n));
}

static uint64_t load64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define G(a, b, c, d, x, y)                                                  \
	do {                                                                 \
		v[a] = v[a] + v[b] + (x);                                    \
		v[d] = rotr(v[d] ^ v[a], 32);                                \
		v[c] = v[c] + v[d];                                          \
		v[b] = rotr(v[b] ^ v[c], 24);                                \
		v[a] = v[a] + v[b] + (y);                                    \
		v[d] = rotr(v[d] ^ v[a], 16);                                \
		v[c] = v[c] + v[d];                                          \
		v[b] = rotr(v[b] ^ v[c], 63);                                \
	} while (0)

static void compress(struct ks_blake2b *s, int last)
{
	uint64_t v[16], m[16];
	int i;

	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (last)
		v[14] = ~v[14];
	for (i = 0; i < 16; i++)
		m[i] = load64(s->b + 8 * i);
	for (i = 0; i < 12; i++) {
		const unsigned char *z = sigma[i % 10];

		G(0, 4, 8, 12, m[z[0]], m[z[1]]);
		G(1, 5, 9, 13, m[z[2]], m[z[3]]);
		G(2, 6, 10, 14, m[z[4]], m[z[5]]);
		G(3, 7, 11, 15, m[z[6]], m[z[7]]);
		G(0, 5, 10, 15, m[z[8]], m[z[9]]);
		G(1, 6, 11, 12, m[z[10]], m[z[11]]);
		G(2, 7, 8, 13, m[z[12]], m[z[13]]);
		G(3, 4, 9, 14, m[z[14]], m[z[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
}

void ks_blake2b_init(struct ks_blake2b *s, size_t outlen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, iv, sizeof(iv));
	/* Parameter block: digest length, no key, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000ull ^ (uint64_t)outlen;
	s->outlen = outlen;
}

void ks_blake2b_update(struct ks_blake2b *s, const void *in, size_t n)
{
	const unsigned char *p = in;

	while (n) {
		size_t k;

		/* The last block is compressed by final, with the flag. */
		if (s->c == sizeof(s->b)) {
			s->t[0] += sizeof(s->b);
			if (s->t[0] < sizeof(s->b))
				s->t[1]++;
			compress(s, 0);
			s->c = 0;
		}
		k = sizeof(s->b) - s->c;
		if (k > n)
			k = n;
		memcpy(s->b + s->c, p, k);
		s->c += k;
		p += k;
		n -= k;
	}
}

void ks_blake2b_final(struct ks_blake2b *s, unsigned char *out)
{
	size_t i;

	s->t[0] += s->c;
	if (s->t[0] < s->c)
		s->t[1]++;
	memset(s->b + s->c, 0, sizeof(s->b) - s->c);
	compress(s, 1);
	for (i = 0; i < s->outlen; i++)
		out[i] = (unsigned char)(s->h[i / 8] >> (8 * (i % 8)));
}
