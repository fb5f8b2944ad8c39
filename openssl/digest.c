// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * digest.c - SHA2-256 and SHA2-224 for the WarpDrive provider.
 *
 * A context starts out gathering input (PENDING). If the whole message
 * stays within the threshold it is hashed at once at final, with the
 * functions the default provider's SHA-2 is made of (swhash.h): for small
 * inputs a device round trip costs more than it saves. Once the input passes the threshold the context takes a queue
 * from the pool and streams (DEVICE): block-aligned pieces go to the device
 * with the hash state carried in and out (WD_MSG_HASH_IN/OUT), small
 * updates are gathered into chunk-sized pieces, big ones are sent in place,
 * and the tail under one block waits for the next update or for final.
 *
 * Fallbacks, each counted in the provider's statistics:
 *  - no queue when the input passes the threshold: the default provider's
 *    digest takes the gathered input and the rest (SW_EVP);
 *  - a request that fails (queue revoked, device removed, a device without
 *    streaming hashes, any error): the queue is dropped and the message is
 *    finished by libcrypto from the last state the device returned, which
 *    the failed request left untouched (SW_RESUMED, swhash.h).
 *
 * dupctx copies everything but the queue: the copy takes its own from the
 * pool at its next device piece, or finishes in software.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "swhash.h"
#include "wdprov.h"

struct wdp_alg {
	const char *name;	/* for wd_hash_state_init() */
	size_t size;		/* digest bytes */
	bool sha224;
};

static const struct wdp_alg alg_sha256 = { "sha256", WD_SHA256_SIZE, false };
static const struct wdp_alg alg_sha224 = { "sha224", WD_SHA224_SIZE, true };

enum wdp_mode { WDP_PENDING, WDP_DEVICE, WDP_SW_EVP, WDP_SW_RESUMED };

struct wdp_ctx {
	struct wdp_prov *prov;
	const struct wdp_alg *alg;
	enum wdp_mode mode;
	struct wdp_queue *q;		/* DEVICE, while it holds one */
	struct wd_hash_state st;	/* DEVICE: state after the pieces sent */
	unsigned char *buf;		/* PENDING input, DEVICE gathered input */
	size_t buflen;			/* bytes in buf now */
	size_t bufcap;			/* bytes allocated at buf */
	size_t bufhw;			/* bytes of buf written since the last wipe */
	size_t bufsize;			/* what DEVICE gathers into */
	EVP_MD_CTX *sw;			/* SW_EVP */
	struct wd_swhash *rs;		/* SW_RESUMED */
};

static EVP_MD *sw_md(const struct wdp_ctx *c)
{
	return c->alg->sha224 ? c->prov->sw224 : c->prov->sw256;
}

/*
 * The buffer is sized for what the context does: the threshold while its
 * input may still stay in software, the device's gathering size once it
 * streams. Only the bytes ever written are wiped, so a 64-byte digest does
 * not pay for clearing (or, above malloc's mmap threshold, mapping) the
 * device's 256 KiB: it did, and cost the small inputs several times the
 * default provider's time.
 */
static void buf_wipe(struct wdp_ctx *c)
{
	if (c->buf)
		OPENSSL_cleanse(c->buf, c->bufhw);
	c->buflen = c->bufhw = 0;
}

static int buf_reserve(struct wdp_ctx *c, size_t need)
{
	unsigned char *nb;

	if (c->bufcap >= need)
		return 1;
	nb = malloc(need);
	if (!nb)
		return 0;
	if (c->buf) {
		memcpy(nb, c->buf, c->buflen);
		OPENSSL_cleanse(c->buf, c->bufhw);
		free(c->buf);
	}
	c->buf = nb;
	c->bufcap = need;
	c->bufhw = c->buflen;
	return 1;
}

/* Append @n bytes; the caller reserved room. */
static void buf_add(struct wdp_ctx *c, const unsigned char *in, size_t n)
{
	memcpy(c->buf + c->buflen, in, n);
	c->buflen += n;
	if (c->buflen > c->bufhw)
		c->bufhw = c->buflen;
}

static void ctx_reset(struct wdp_ctx *c)
{
	EVP_MD_CTX_free(c->sw);
	c->sw = NULL;
	wd_swhash_free(c->rs);
	c->rs = NULL;
	buf_wipe(c);
	wd_hash_state_init(&c->st, c->alg->name);
	c->mode = WDP_PENDING;
}

static void *ctx_new(void *provctx, const struct wdp_alg *alg)
{
	struct wdp_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->prov = provctx;
	c->alg = alg;
	c->bufsize = c->prov->chunk > c->prov->threshold ? c->prov->chunk :
		     c->prov->threshold;
	ctx_reset(c);
	return c;
}

static void *sha256_newctx(void *provctx)
{
	return ctx_new(provctx, &alg_sha256);
}

static void *sha224_newctx(void *provctx)
{
	return ctx_new(provctx, &alg_sha224);
}

static void ctx_free(void *vctx)
{
	struct wdp_ctx *c = vctx;

	if (!c)
		return;
	ctx_reset(c);
	wdp_queue_put(c->prov, c->q, false);
	free(c->buf);
	free(c);
}

static void *ctx_dup(void *vctx)
{
	const struct wdp_ctx *c = vctx;
	struct wdp_ctx *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	*d = *c;
	d->q = NULL;
	d->buf = NULL;
	d->sw = NULL;
	d->rs = NULL;
	d->bufcap = d->bufhw = 0;
	if (c->buf) {
		d->buf = malloc(c->bufcap);
		if (!d->buf)
			goto err;
		d->bufcap = c->bufcap;
		memcpy(d->buf, c->buf, c->buflen);
		d->bufhw = c->buflen;
	}
	if (c->sw) {
		d->sw = EVP_MD_CTX_new();
		if (!d->sw || !EVP_MD_CTX_copy_ex(d->sw, c->sw))
			goto err;
	}
	if (c->rs) {
		d->rs = wd_swhash_dup(c->rs);
		if (!d->rs)
			goto err;
	}
	return d;
err:
	ctx_free(d);
	return NULL;
}

static int ctx_init(void *vctx, const OSSL_PARAM params[])
{
	struct wdp_ctx *c = vctx;

	ctx_reset(c);
	return 1;
}

/* Leave the device for good: finish from the last state it returned. */
static int to_resumed(struct wdp_ctx *c)
{
	c->rs = wd_swhash_resume(&c->st);
	if (!c->rs)
		return 0;
	c->mode = WDP_SW_RESUMED;
	wdp_count(c->prov, &c->prov->stats.sw_resumed, 1);
	return 1;
}

/*
 * One piece to the device: @len bytes (a multiple of 64 unless @out) from
 * the current state; the next state goes to c->st, or the digest to @out.
 * On any failure the queue is dropped and the piece is hashed in software
 * from the unchanged state: the result is the same, only slower.
 */
static int device_piece(struct wdp_ctx *c, const unsigned char *data,
			size_t len, unsigned char *out)
{
	struct wd_hash_state s = c->st;
	struct wd_msg m = {
		.op = WD_OP_SHA256,
		.flags = WD_MSG_HASH_IN | (out ? 0 : WD_MSG_HASH_OUT),
		.src = data, .src_len = len,
		.dst = &s, .dst_len = sizeof(s),
	};
	void *done;
	int r;

	if (!c->q)
		c->q = wdp_queue_get(c->prov);
	r = c->q ? wd_send(&c->q->q, &m) : -ENODEV;
	if (!r)
		r = wd_recv_sync(&c->q->q, &done);
	if (r >= 0)
		r = m.status;
	if (!r) {
		if (out)
			memcpy(out, &s, c->alg->size);
		else
			c->st = s;
		wdp_count(c->prov, &c->prov->stats.device_requests, 1);
		wdp_count(c->prov, &c->prov->stats.device_bytes, len);
		OPENSSL_cleanse(&s, sizeof(s));
		return 1;
	}
	wdp_queue_put(c->prov, c->q, true);
	c->q = NULL;
	if (!to_resumed(c))
		return 0;
	wd_swhash_update(c->rs, data, len);
	if (out) {
		unsigned char full[WD_SHA256_SIZE];

		wd_swhash_final(c->rs, full);
		c->rs = NULL;
		memcpy(out, full, c->alg->size);
		OPENSSL_cleanse(full, sizeof(full));
	}
	return 1;
}

/* Input passed the threshold: stream to the device, or software if none. */
static int leave_pending(struct wdp_ctx *c)
{
	c->q = wdp_queue_get(c->prov);
	if (c->q) {
		c->mode = WDP_DEVICE;
		return 1;
	}
	wdp_count(c->prov, &c->prov->stats.sw_noqueue, 1);
	c->sw = EVP_MD_CTX_new();
	if (!c->sw || !EVP_DigestInit_ex(c->sw, sw_md(c), NULL) ||
	    (c->buflen && !EVP_DigestUpdate(c->sw, c->buf, c->buflen)))
		return 0;
	buf_wipe(c);
	c->mode = WDP_SW_EVP;
	return 1;
}

static int ctx_update(void *vctx, const unsigned char *in, size_t len)
{
	struct wdp_ctx *c = vctx;

	while (len) {
		size_t n;

		switch (c->mode) {
		case WDP_SW_EVP:
			return EVP_DigestUpdate(c->sw, in, len);
		case WDP_SW_RESUMED:
			wd_swhash_update(c->rs, in, len);
			return 1;
		case WDP_PENDING:
			if (c->buflen + len <= c->prov->threshold) {
				if (!buf_reserve(c, c->prov->threshold))
					return 0;
				buf_add(c, in, len);
				return 1;
			}
			if (!leave_pending(c))
				return 0;
			continue;
		case WDP_DEVICE:
			break;
		}
		if (!buf_reserve(c, c->bufsize))
			return 0;
		/* A large update with nothing gathered goes in place. */
		if (!c->buflen && len >= c->prov->chunk) {
			n = len & ~(size_t)(WD_HASH_BLOCK_SIZE - 1);
			if (!device_piece(c, in, n, NULL))
				return 0;
			in += n;
			len -= n;
			continue;
		}
		n = c->bufsize - c->buflen;
		if (n > len)
			n = len;
		buf_add(c, in, n);
		in += n;
		len -= n;
		if (c->buflen >= c->prov->chunk) {
			size_t piece = c->buflen & ~(size_t)(WD_HASH_BLOCK_SIZE - 1);

			if (!device_piece(c, c->buf, piece, NULL))
				return 0;
			memmove(c->buf, c->buf + piece, c->buflen - piece);
			c->buflen -= piece;
		}
	}
	return 1;
}

static int ctx_final(void *vctx, unsigned char *out, size_t *outl,
		     size_t outsz)
{
	struct wdp_ctx *c = vctx;
	unsigned char full[WD_SHA256_SIZE];
	unsigned int n;
	int ok = 0;

	if (outsz < c->alg->size)
		return 0;
	switch (c->mode) {
	case WDP_PENDING:
		/*
		 * The whole message is here and small: hashed at once, not
		 * through a second EVP context (EVP_Digest allocated one and
		 * the default provider's context in it for every message).
		 */
		wdp_count(c->prov, &c->prov->stats.sw_small, 1);
		wd_swhash_oneshot(c->alg->sha224, c->buf ? c->buf : (const unsigned char *)"",
				  c->buflen, out);
		ok = 1;
		break;
	case WDP_SW_EVP:
		ok = EVP_DigestFinal_ex(c->sw, out, &n);
		break;
	case WDP_DEVICE:
		ok = device_piece(c, c->buf, c->buflen, out);
		break;
	case WDP_SW_RESUMED:
		wd_swhash_final(c->rs, full);
		c->rs = NULL;
		memcpy(out, full, c->alg->size);
		OPENSSL_cleanse(full, sizeof(full));
		ok = 1;
		break;
	}
	/* The queue serves other contexts until this one streams again. */
	wdp_queue_put(c->prov, c->q, false);
	c->q = NULL;
	if (ok)
		*outl = c->alg->size;
	return ok;
}

static int get_params(OSSL_PARAM params[], const struct wdp_alg *alg)
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, WD_HASH_BLOCK_SIZE))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, alg->size))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	/* Like the default provider's SHA-2: no AlgorithmIdentifier parameters. */
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static int sha256_get_params(OSSL_PARAM params[])
{
	return get_params(params, &alg_sha256);
}

static int sha224_get_params(OSSL_PARAM params[])
{
	return get_params(params, &alg_sha224);
}

static const OSSL_PARAM digest_param_types[] = {
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
	OSSL_PARAM_END
};

static const OSSL_PARAM *gettable_params(void *provctx)
{
	return digest_param_types;
}

#define WDP_DIGEST_FUNCTIONS(alg)						\
const OSSL_DISPATCH wdp_##alg##_functions[] = {					\
	{ OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))alg##_newctx },		\
	{ OSSL_FUNC_DIGEST_INIT, (void (*)(void))ctx_init },			\
	{ OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))ctx_update },		\
	{ OSSL_FUNC_DIGEST_FINAL, (void (*)(void))ctx_final },			\
	{ OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))ctx_free },			\
	{ OSSL_FUNC_DIGEST_DUPCTX, (void (*)(void))ctx_dup },			\
	{ OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))alg##_get_params },	\
	{ OSSL_FUNC_DIGEST_GETTABLE_PARAMS, (void (*)(void))gettable_params },	\
	{ 0, NULL }								\
}

WDP_DIGEST_FUNCTIONS(sha256);
WDP_DIGEST_FUNCTIONS(sha224);
