/*
 * Preloaded by tests/sum/faults.sh: OpenSSL's EVP_DigestUpdate fails, as
 * it may when a provider refuses, with nothing in the error queue; so the
 * test sees how kiln-sum reports a hasher's failure.
 */
#include <openssl/evp.h>

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
	(void)ctx;
	(void)d;
	(void)n;
	return 0;
}
