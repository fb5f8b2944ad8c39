// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft crypto API front end (uacce_mode=0): instead of uacce devices, the
 * engine's algorithms register with the kernel crypto API, crc32c and
 * sha256 as shash (so AF_ALG reaches them from user space) and deflate as
 * scomp (the crypto API wraps it as acomp too). Driver names carry a
 * "-wdsoft" suffix and the priority is below the generic implementations,
 * so the kernel's own users (file systems, IPsec) keep theirs; ask for the
 * driver name to get ours. (De)compression runs through the same
 * descriptor path as a uacce queue (wdsoft_execute with kernel addresses);
 * the digests use the same library routines as the engine, incrementally.
 */
#include <linux/crc32.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <crypto/internal/hash.h>
#include <crypto/internal/scompress.h>
#include <crypto/sha2.h>
#include <wd_compat.h>

#include "soft.h"

#define WDSOFT_CRA_PRIORITY	50

static unsigned long wdsoft_crypto_mask;

/* One descriptor with kernel addresses, run synchronously. */
static int wdsoft_crypto_run(struct wdsoft_work *w, u8 op, const void *src,
			     unsigned int slen, void *dst, unsigned int dlen,
			     u64 *out_len, u64 *result)
{
	const struct wdsoft_xfer x = { .mode = 0 };
	struct wdsoft_sqe sqe = {
		.op = op,
		.src = (uintptr_t)src,
		.src_len = slen,
		.dst = (uintptr_t)dst,
		.dst_len = dlen,
	};
	struct wdsoft_cqe cqe;
	u64 in;

	wdsoft_execute(w, &x, &sqe, BIT(op), &cqe, &in);
	if (out_len)
		*out_len = cqe.out_len;
	if (result)
		*result = cqe.result;
	return cqe.status;
}

/* crc32c takes an optional 4-byte little-endian seed as its key. */
struct wdsoft_crc_ctx {
	u32 seed;
};

struct wdsoft_crc_desc {
	u32 crc;
};

static int wdsoft_crc_cra_init(struct crypto_tfm *tfm)
{
	struct wdsoft_crc_ctx *c = crypto_tfm_ctx(tfm);

	c->seed = ~0U;
	return 0;
}

static int wdsoft_crc_setkey(struct crypto_shash *tfm, const u8 *key,
			     unsigned int keylen)
{
	struct wdsoft_crc_ctx *c = crypto_shash_ctx(tfm);

	if (keylen != sizeof(c->seed))
		return -EINVAL;
	c->seed = get_unaligned_le32(key);
	return 0;
}

static int wdsoft_crc_init(struct shash_desc *desc)
{
	struct wdsoft_crc_ctx *c = crypto_shash_ctx(desc->tfm);
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);

	d->crc = c->seed;
	return 0;
}

static int wdsoft_crc_update(struct shash_desc *desc, const u8 *data,
			     unsigned int len)
{
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);

	d->crc = __crc32c_le(d->crc, data, len);
	return 0;
}

static int wdsoft_crc_final(struct shash_desc *desc, u8 *out)
{
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);

	put_unaligned_le32(~d->crc, out);
	return 0;
}

static int wdsoft_sha_init(struct shash_desc *desc)
{
	sha256_init(shash_desc_ctx(desc));
	return 0;
}

static int wdsoft_sha_update(struct shash_desc *desc, const u8 *data,
			     unsigned int len)
{
	sha256_update(shash_desc_ctx(desc), data, len);
	return 0;
}

static int wdsoft_sha_final(struct shash_desc *desc, u8 *out)
{
	sha256_final(shash_desc_ctx(desc), out);
	return 0;
}

static struct shash_alg wdsoft_crc_alg = {
	.digestsize = 4,
	.init = wdsoft_crc_init,
	.update = wdsoft_crc_update,
	.final = wdsoft_crc_final,
	.setkey = wdsoft_crc_setkey,
	.descsize = sizeof(struct wdsoft_crc_desc),
	.base = {
		.cra_name = "crc32c",
		.cra_driver_name = "crc32c-wdsoft",
		.cra_priority = WDSOFT_CRA_PRIORITY,
		.cra_flags = CRYPTO_ALG_OPTIONAL_KEY,
		.cra_blocksize = 1,
		.cra_ctxsize = sizeof(struct wdsoft_crc_ctx),
		.cra_init = wdsoft_crc_cra_init,
		.cra_module = THIS_MODULE,
	},
};

static struct shash_alg wdsoft_sha_alg = {
	.digestsize = SHA256_DIGEST_SIZE,
	.init = wdsoft_sha_init,
	.update = wdsoft_sha_update,
	.final = wdsoft_sha_final,
	.descsize = sizeof(struct sha256_state),
	.base = {
		.cra_name = "sha256",
		.cra_driver_name = "sha256-wdsoft",
		.cra_priority = WDSOFT_CRA_PRIORITY,
		.cra_blocksize = SHA256_BLOCK_SIZE,
		.cra_module = THIS_MODULE,
	},
};

static void *wdsoft_scomp_alloc(struct crypto_scomp *tfm)
{
	struct wdsoft_work *w = kzalloc(sizeof(*w), GFP_KERNEL);
	int r;

	if (!w)
		return ERR_PTR(-ENOMEM);
	r = wdsoft_work_init(w, NUMA_NO_NODE);
	if (r) {
		wdsoft_work_free(w);
		kfree(w);
		return ERR_PTR(r);
	}
	/* scomp runs under the crypto layer's per-CPU scratch spinlock. */
	w->atomic = true;
	return w;
}

static void wdsoft_scomp_free(struct crypto_scomp *tfm, void *ctx)
{
	struct wdsoft_work *w = ctx;

	wdsoft_work_free(w);
	kfree(w);
}

static int wdsoft_scomp_run(u8 op, const u8 *src, unsigned int slen, u8 *dst,
			    unsigned int *dlen, void *ctx)
{
	u64 out;
	int r;

	r = wdsoft_crypto_run(ctx, op, src, slen, dst, *dlen, &out, NULL);
	if (r)
		return r;
	*dlen = out;
	return 0;
}

static int wdsoft_scomp_compress(struct crypto_scomp *tfm, const u8 *src,
				 unsigned int slen, u8 *dst, unsigned int *dlen,
				 void *ctx)
{
	return wdsoft_scomp_run(WDSOFT_OP_DEFLATE, src, slen, dst, dlen, ctx);
}

static int wdsoft_scomp_decompress(struct crypto_scomp *tfm, const u8 *src,
				   unsigned int slen, u8 *dst,
				   unsigned int *dlen, void *ctx)
{
	return wdsoft_scomp_run(WDSOFT_OP_INFLATE, src, slen, dst, dlen, ctx);
}

static struct scomp_alg wdsoft_deflate_alg = {
	.alloc_ctx = wdsoft_scomp_alloc,
	.free_ctx = wdsoft_scomp_free,
	.compress = wdsoft_scomp_compress,
	.decompress = wdsoft_scomp_decompress,
	.base = {
		.cra_name = "deflate",
		.cra_driver_name = "deflate-wdsoft",
		.cra_priority = WDSOFT_CRA_PRIORITY,
		.cra_module = THIS_MODULE,
	},
};

/**
 * wdsoft_crypto_register() - register the enabled algorithms
 * @ops_mask: enabled operations (bit per enum wdsoft_op); memcpy has no
 *	crypto API counterpart
 * @node: unused for now: the crypto API runs in the caller's context
 *
 * Return: 0 or -errno; on failure nothing stays registered.
 */
int wdsoft_crypto_register(unsigned long ops_mask, int node)
{
	int r;

	wdsoft_crypto_mask = 0;
	if (ops_mask & BIT(WDSOFT_OP_CRC32C)) {
		r = crypto_register_shash(&wdsoft_crc_alg);
		if (r)
			goto err;
		wdsoft_crypto_mask |= BIT(WDSOFT_OP_CRC32C);
	}
	if (ops_mask & BIT(WDSOFT_OP_SHA256)) {
		r = crypto_register_shash(&wdsoft_sha_alg);
		if (r)
			goto err;
		wdsoft_crypto_mask |= BIT(WDSOFT_OP_SHA256);
	}
	if (ops_mask & BIT(WDSOFT_OP_DEFLATE)) {
		r = crypto_register_scomp(&wdsoft_deflate_alg);
		if (r)
			goto err;
		wdsoft_crypto_mask |= BIT(WDSOFT_OP_DEFLATE);
	}
	pr_info("wdsoft: crypto API mode: registered%s%s%s\n",
		wdsoft_crypto_mask & BIT(WDSOFT_OP_CRC32C) ? " crc32c-wdsoft" : "",
		wdsoft_crypto_mask & BIT(WDSOFT_OP_SHA256) ? " sha256-wdsoft" : "",
		wdsoft_crypto_mask & BIT(WDSOFT_OP_DEFLATE) ? " deflate-wdsoft" : "");
	return 0;
err:
	pr_err("wdsoft: crypto API registration failed (%d)\n", r);
	wdsoft_crypto_unregister();
	return r;
}

/** wdsoft_crypto_unregister() - unregister what was registered */
void wdsoft_crypto_unregister(void)
{
	if (wdsoft_crypto_mask & BIT(WDSOFT_OP_DEFLATE))
		crypto_unregister_scomp(&wdsoft_deflate_alg);
	if (wdsoft_crypto_mask & BIT(WDSOFT_OP_SHA256))
		crypto_unregister_shash(&wdsoft_sha_alg);
	if (wdsoft_crypto_mask & BIT(WDSOFT_OP_CRC32C))
		crypto_unregister_shash(&wdsoft_crc_alg);
	wdsoft_crypto_mask = 0;
}
