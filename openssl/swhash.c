// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * swhash.c - libcrypto's SHA-256, resumed from a carried state (swhash.h).
 *
 * SHA256_CTX keeps the chaining value in h[], the message length in bits in
 * Nh:Nl and the partial block in data/num. A state that ends on a block
 * boundary has no partial block, so priming h and the bit count is all it
 * takes; SHA256_Update and SHA256_Final then do the rest, padding included.
 * SHA-224 differs only in its initial values (already in the state) and in
 * keeping 28 bytes of the output, which the caller truncates.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "swhash.h"

struct wd_swhash {
	SHA256_CTX c;
};

struct wd_swhash *wd_swhash_resume(const struct wd_hash_state *s)
{
	struct wd_swhash *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	SHA256_Init(&h->c);
	memcpy(h->c.h, s->h, sizeof(h->c.h));
	h->c.Nl = (SHA_LONG)(s->bytes << 3);
	h->c.Nh = (SHA_LONG)(s->bytes >> 29);
	return h;
}

struct wd_swhash *wd_swhash_dup(const struct wd_swhash *h)
{
	struct wd_swhash *d = malloc(sizeof(*d));

	if (d)
		*d = *h;
	return d;
}

void wd_swhash_update(struct wd_swhash *h, const void *data, size_t len)
{
	SHA256_Update(&h->c, data, len);
}

bool wd_swhash_export(const struct wd_swhash *h, struct wd_hash_state *s)
{
	if (h->c.num)
		return false;
	memset(s, 0, sizeof(*s));
	memcpy(s->h, h->c.h, sizeof(s->h));
	s->bytes = ((uint64_t)h->c.Nh << 29) | (h->c.Nl >> 3);
	return true;
}

void wd_swhash_final(struct wd_swhash *h, unsigned char out[WD_SHA256_SIZE])
{
	h->c.md_len = WD_SHA256_SIZE;
	SHA256_Final(out, &h->c);
	wd_swhash_free(h);
}

void wd_swhash_free(struct wd_swhash *h)
{
	if (h)
		OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

void wd_swhash_oneshot(bool sha224, const void *data, size_t len, unsigned char *out)
{
	SHA256_CTX c;

	/*
	 * Not SHA256() or SHA224(): in OpenSSL 3 those fetch the digest from
	 * the default library context, which may prefer this very provider.
	 */
	if (sha224) {
		SHA224_Init(&c);
		SHA224_Update(&c, data, len);
		SHA224_Final(out, &c);
	} else {
		SHA256_Init(&c);
		SHA256_Update(&c, data, len);
		SHA256_Final(out, &c);
	}
	OPENSSL_cleanse(&c, sizeof(c));
}
