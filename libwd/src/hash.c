// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hash.c - streaming SHA-256 and SHA-224 (WD_MSG_HASH_IN/OUT).
 *
 * A long message goes to the device as several requests; between them the
 * caller holds a struct wd_hash_state, the standard SHA-256 intermediate
 * state (chaining value plus the byte count, always on a block boundary).
 * SHA-224 is SHA-256 from other initial values with a shorter digest, so a
 * device that streams SHA-256 serves both: the caller starts from the
 * SHA-224 values here and keeps the first 28 bytes of the digest.
 */
#include <string.h>

#include <misc/uacce/wdsoft.h>

#include "wd-internal.h"

/* Initial hash values, FIPS 180-4 sections 5.3.2 and 5.3.3. */
static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint32_t sha224_iv[8] = {
	0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
	0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4,
};

_Static_assert(sizeof(struct wd_hash_state) == sizeof(struct wdsoft_hash_state),
	       "struct wd_hash_state is what the wdsoft protocol carries");

WD_EXPORT int wd_hash_state_init(struct wd_hash_state *s, const char *alg)
{
	const uint32_t *iv;

	if (!s || !alg)
		return -EINVAL;
	if (!strcmp(alg, "sha256"))
		iv = sha256_iv;
	else if (!strcmp(alg, "sha224"))
		iv = sha224_iv;
	else
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	memcpy(s->h, iv, sizeof(s->h));
	return 0;
}

int __wd_hash_msg_check(const struct wd_msg *m)
{
	if (m->op != WD_OP_SHA256)
		return -EINVAL;
	if (m->dst_len < sizeof(struct wd_hash_state))
		return -EINVAL;
	if ((m->flags & WD_MSG_HASH_OUT) && m->src_len % WD_HASH_BLOCK_SIZE)
		return -EINVAL;
	return 0;
}
