/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swhash.h - carry a SHA-256 computation between the device and libcrypto.
 *
 * The device hands back the standard intermediate state (struct
 * wd_hash_state). To finish such a computation in software, libcrypto's own
 * SHA-256 is primed with it: OpenSSL's EVP interface cannot import a state,
 * so this uses the SHA256_CTX interface, deprecated in OpenSSL 3 but kept,
 * whose fields are the same state (chaining value, bit count, partial block).
 * A small message, hashed whole, takes the same functions directly.
 */
#ifndef WD_OPENSSL_SWHASH_H
#define WD_OPENSSL_SWHASH_H

#include <stdbool.h>

#include <warpdrive/wd.h>

struct wd_swhash;

/* A software SHA-256/224 computation resumed from @s; NULL: out of memory. */
struct wd_swhash *wd_swhash_resume(const struct wd_hash_state *s);
struct wd_swhash *wd_swhash_dup(const struct wd_swhash *h);
void wd_swhash_update(struct wd_swhash *h, const void *data, size_t len);
/*
 * The state after the input so far, when that input ends on a block
 * boundary: true and @s filled in; false otherwise.
 */
bool wd_swhash_export(const struct wd_swhash *h, struct wd_hash_state *s);
/* The 32-byte output (SHA-224 keeps the first 28); frees @h. */
void wd_swhash_final(struct wd_swhash *h, unsigned char out[WD_SHA256_SIZE]);
void wd_swhash_free(struct wd_swhash *h);

/*
 * The SHA-256 (or, with @sha224, SHA-224) of @len bytes at @data, into @out
 * (32 or 28 bytes): a whole message hashed at once, with no allocation and
 * no second EVP context. These are the functions the default provider's
 * SHA-2 digests are built from.
 */
void wd_swhash_oneshot(bool sha224, const void *data, size_t len, unsigned char *out);

#endif
