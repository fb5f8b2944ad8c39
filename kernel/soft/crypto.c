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
 * the digests use the same crypto API drivers as the engine, incrementally.
 */
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

/*
 * The digests. crc32c-wdsoft and sha256-wdsoft compute with the crypto
 * API's best driver for the same algorithm name, the one each engine uses
 * (wdsoft_best_shash(), never a -wdsoft driver), so AF_ALG on these names
 * and a uacce queue run the same code and comparing them compares the
 * paths, not two implementations. The driver is looked up once, when the
 * algorithm is registered; each wdsoft tfm then holds a tfm of that driver
 * (allocated in init_tfm, which may sleep).
 *
 * sha256's descriptor holds that driver's descriptor, and every operation
 * passes through. crc32c's descriptor must stay the bare u32 CRC: the
 * kernel's self-test of every crc32c driver writes it directly. So crc32c
 * keeps its seed (the optional 4-byte little-endian key) and its CRC itself,
 * and only update runs on the driver, whose state is that same u32 (checked
 * at register time), moved in and out with import and export.
 */
struct wdsoft_hash_alg {
	struct shash_alg alg;
	char inner[CRYPTO_MAX_ALG_NAME];	/* driver name, set at register */
};

struct wdsoft_hash_ctx {
	struct crypto_shash *inner;
	u32 seed;				/* crc32c only */
};

struct wdsoft_crc_desc {
	u32 crc;
};

static struct wdsoft_hash_alg *wdsoft_hash_alg(struct crypto_shash *tfm)
{
	return container_of(crypto_shash_alg(tfm), struct wdsoft_hash_alg, alg);
}

static int wdsoft_hash_init_tfm(struct crypto_shash *tfm)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(tfm);
	struct crypto_shash *inner;

	inner = crypto_alloc_shash(wdsoft_hash_alg(tfm)->inner, 0, 0);
	if (IS_ERR(inner))
		return PTR_ERR(inner);
	c->inner = inner;
	c->seed = ~0U;
	return 0;
}

static void wdsoft_hash_exit_tfm(struct crypto_shash *tfm)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(tfm);

	crypto_free_shash(c->inner);
}

static int wdsoft_crc_setkey(struct crypto_shash *tfm, const u8 *key,
			     unsigned int keylen)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(tfm);

	if (keylen != sizeof(c->seed))
		return -EINVAL;
	c->seed = get_unaligned_le32(key);
	return 0;
}

static int wdsoft_crc_init(struct shash_desc *desc)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(desc->tfm);
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);

	d->crc = c->seed;
	return 0;
}

static int wdsoft_crc_update(struct shash_desc *desc, const u8 *data,
			     unsigned int len)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(desc->tfm);
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);
	SHASH_DESC_ON_STACK(in, c->inner);
	int r;

	in->tfm = c->inner;
	r = crypto_shash_import(in, &d->crc);
	if (!r)
		r = crypto_shash_update(in, data, len);
	if (!r)
		r = crypto_shash_export(in, &d->crc);
	shash_desc_zero(in);
	return r;
}

static int wdsoft_crc_final(struct shash_desc *desc, u8 *out)
{
	struct wdsoft_crc_desc *d = shash_desc_ctx(desc);

	put_unaligned_le32(~d->crc, out);
	return 0;
}

/* sha256's descriptor: the inner driver's, inside ours. */
static struct shash_desc *wdsoft_sha_desc(struct shash_desc *desc)
{
	struct wdsoft_hash_ctx *c = crypto_shash_ctx(desc->tfm);
	struct shash_desc *d = shash_desc_ctx(desc);

	d->tfm = c->inner;
	return d;
}

static int wdsoft_sha_init(struct shash_desc *desc)
{
	return crypto_shash_init(wdsoft_sha_desc(desc));
}

static int wdsoft_sha_update(struct shash_desc *desc, const u8 *data,
			     unsigned int len)
{
	return crypto_shash_update(wdsoft_sha_desc(desc), data, len);
}

static int wdsoft_sha_final(struct shash_desc *desc, u8 *out)
{
	return crypto_shash_final(wdsoft_sha_desc(desc), out);
}

static int wdsoft_sha_export(struct shash_desc *desc, void *out)
{
	return crypto_shash_export(wdsoft_sha_desc(desc), out);
}

static int wdsoft_sha_import(struct shash_desc *desc, const void *in)
{
	return crypto_shash_import(wdsoft_sha_desc(desc), in);
}

static struct wdsoft_hash_alg wdsoft_crc_alg = {
	.alg = {
		.init = wdsoft_crc_init,
		.update = wdsoft_crc_update,
		.final = wdsoft_crc_final,
		.setkey = wdsoft_crc_setkey,
		.init_tfm = wdsoft_hash_init_tfm,
		.exit_tfm = wdsoft_hash_exit_tfm,
		.digestsize = 4,
		.descsize = sizeof(struct wdsoft_crc_desc),
		.base = {
			.cra_name = "crc32c",
			.cra_driver_name = "crc32c-wdsoft",
			.cra_priority = WDSOFT_CRA_PRIORITY,
			.cra_flags = CRYPTO_ALG_OPTIONAL_KEY,
			.cra_blocksize = 1,
			.cra_ctxsize = sizeof(struct wdsoft_hash_ctx),
			.cra_module = THIS_MODULE,
		},
	},
};

static struct wdsoft_hash_alg wdsoft_sha_alg = {
	.alg = {
		.init = wdsoft_sha_init,
		.update = wdsoft_sha_update,
		.final = wdsoft_sha_final,
		.export = wdsoft_sha_export,
		.import = wdsoft_sha_import,
		.init_tfm = wdsoft_hash_init_tfm,
		.exit_tfm = wdsoft_hash_exit_tfm,
		.digestsize = SHA256_DIGEST_SIZE,
		.base = {
			.cra_name = "sha256",
			.cra_driver_name = "sha256-wdsoft",
			.cra_priority = WDSOFT_CRA_PRIORITY,
			.cra_blocksize = SHA256_BLOCK_SIZE,
			.cra_ctxsize = sizeof(struct wdsoft_hash_ctx),
			.cra_module = THIS_MODULE,
		},
	},
};

/*
 * Find @a's inner driver, check it fits (crc32c: its state is the u32 CRC;
 * sha256: our descriptor has room for its descriptor and our state is its
 * state), then register. Process context, before @a is registered, so the
 * lookup by name cannot find @a itself.
 */
static int wdsoft_hash_register(struct wdsoft_hash_alg *a)
{
	bool crc = a == &wdsoft_crc_alg;
	struct crypto_shash *tfm;
	int r = 0;

	tfm = wdsoft_best_shash(a->alg.base.cra_name);
	if (IS_ERR(tfm)) {
		pr_err("wdsoft: the crypto API has no %s driver to compute %s with (%ld): load one, e.g. %s-generic\n",
		       a->alg.base.cra_name, a->alg.base.cra_driver_name,
		       PTR_ERR(tfm), a->alg.base.cra_name);
		return PTR_ERR(tfm);
	}
	strscpy(a->inner, crypto_shash_driver_name(tfm), sizeof(a->inner));
	if (crc) {
		if (crypto_shash_statesize(tfm) != sizeof(struct wdsoft_crc_desc))
			r = -EINVAL;
	} else {
		a->alg.descsize = sizeof(struct shash_desc) +
				  crypto_shash_descsize(tfm);
		a->alg.statesize = crypto_shash_statesize(tfm);
	}
	crypto_free_shash(tfm);
	if (r) {
		pr_err("wdsoft: %s keeps a state other than the CRC; cannot compute %s with it\n",
		       a->inner, a->alg.base.cra_driver_name);
		return r;
	}
	r = crypto_register_shash(&a->alg);
	if (!r)
		pr_info("wdsoft: %s computes with %s\n",
			a->alg.base.cra_driver_name, a->inner);
	return r;
}

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
		r = wdsoft_hash_register(&wdsoft_crc_alg);
		if (r)
			goto err;
		wdsoft_crypto_mask |= BIT(WDSOFT_OP_CRC32C);
	}
	if (ops_mask & BIT(WDSOFT_OP_SHA256)) {
		r = wdsoft_hash_register(&wdsoft_sha_alg);
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
		crypto_unregister_shash(&wdsoft_sha_alg.alg);
	if (wdsoft_crypto_mask & BIT(WDSOFT_OP_CRC32C))
		crypto_unregister_shash(&wdsoft_crc_alg.alg);
	wdsoft_crypto_mask = 0;
}
