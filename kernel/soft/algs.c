// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft digest drivers: which crypto API driver each engine hashes on,
 * picking it again when a better one registers, and showing it in debugfs.
 */
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <wd_compat.h>

#include "soft.h"

/*
 * The digests' implementations. The engine computes crc32c and sha256 with
 * what the crypto API gives for those algorithm names: the driver of
 * highest priority the kernel has (crc32c-intel, sha256-ni, sha256-avx2,
 * ... or the generic C ones), as AF_ALG would. An engine allocates its
 * tfms when it starts. A CPU's own driver is often a module that udev
 * loads after wdsoft (sha256_ssse3, crc32c_intel), so each queue start
 * flags every engine of the device to look again (struct wdsoft_engine's
 * @refresh) without waking it: an engine looks when it next runs its
 * loop, before any pass over its queues, so a queue started after a driver
 * registers runs on it from its first descriptor. The queue's own engine
 * is woken by the start; a parked engine looks once when something next
 * wakes it, however many queues started meanwhile.
 *
 * Looking (wdsoft_work_algs_refresh(), from the engine thread, outside its
 * mutex: allocation may sleep and load modules) is cheap when nothing
 * changed: it allocates only the best tfm of each digest and compares its
 * driver name with the one in use. Only for a digest whose name differs
 * does it build the descriptor (and, for sha256, run the state check),
 * and swap it in under the engine's mutex; the rest is freed at once. A
 * tfm or descriptor that cannot be had then keeps the engine where it is.
 * debugfs "engines" counts the looks, the descriptors built and the moves.
 *
 * The shash calls do not sleep, so the engine runs them under its mutex
 * and mmap_lock. SIMD drivers check crypto_simd_usable() themselves and
 * fall back to their generic code where the FPU cannot be had.
 *
 * wdsoft's own crc32c-wdsoft and sha256-wdsoft (crypto.c) must never be
 * picked: they would run the engine's code from inside itself. They only
 * exist with uacce_mode=0, where there are no engines, and rank below the
 * generic drivers; a driver name ending in "-wdsoft" is refused anyway.
 * Without a usable driver the engine keeps the crc32c and sha256 library
 * routines. The debugfs file "impl" names what each digest runs on.
 */
static const char wdsoft_own_suffix[] = "-wdsoft";

/**
 * wdsoft_best_shash() - the crypto API's best driver for a digest
 * @name: algorithm name, "crc32c" or "sha256"
 *
 * Process context (allocation may sleep and load modules). Never one of
 * wdsoft's own drivers (see "The digests' implementations").
 *
 * Return: a tfm to free with crypto_free_shash(), or an ERR_PTR.
 */
struct crypto_shash *wdsoft_best_shash(const char *name)
{
	size_t sfx = sizeof(wdsoft_own_suffix) - 1;
	struct crypto_shash *tfm;
	const char *drv;
	size_t len;

	tfm = crypto_alloc_shash(name, 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	drv = crypto_shash_driver_name(tfm);
	len = strlen(drv);
	if (len >= sfx && !strcmp(drv + len - sfx, wdsoft_own_suffix)) {
		crypto_free_shash(tfm);
		return ERR_PTR(-ENOENT);
	}
	return tfm;
}

/*
 * A descriptor for @tfm, which it owns from then on; counted in @w's
 * algs_builds. NULL, with @tfm freed, without memory.
 */
static struct shash_desc *wdsoft_shash_desc(struct wdsoft_work *w,
					    struct crypto_shash *tfm, int node)
{
	struct shash_desc *d;

	d = kzalloc_node(sizeof(*d) + crypto_shash_descsize(tfm), GFP_KERNEL,
			 node);
	if (!d) {
		crypto_free_shash(tfm);
		return NULL;
	}
	d->tfm = tfm;
	WRITE_ONCE(w->algs_builds, w->algs_builds + 1);
	return d;
}

static struct shash_desc *wdsoft_shash_get(struct wdsoft_work *w,
					   const char *name, int node)
{
	struct crypto_shash *tfm;

	tfm = wdsoft_best_shash(name);
	if (IS_ERR(tfm))
		return NULL;
	return wdsoft_shash_desc(w, tfm, node);
}

static void wdsoft_shash_put(struct shash_desc *d)
{
	if (!d)
		return;
	crypto_free_shash(d->tfm);
	kfree_sensitive(d);
}

/**
 * wdsoft_work_algs_free() - free what wdsoft_work_algs_init() allocated
 * @w: scratch structure (partially initialised is fine)
 */
void wdsoft_work_algs_free(struct wdsoft_work *w)
{
	wdsoft_shash_put(w->crc);
	wdsoft_shash_put(w->sha);
	w->crc = NULL;
	w->sha = NULL;
}

/*
 * Whether @d's exported state is struct sha256_state as the library keeps
 * it (the "version 1" hash state of wdsoft.h is made from it): export after
 * two blocks must give the library's state, and hashing a third block
 * after importing that state must give the library's state after three
 * (an import that did nothing would leave one block's worth).
 */
static bool wdsoft_sha_state_ok(struct shash_desc *d)
{
	struct sha256_state want, got;
	u8 block[SHA256_BLOCK_SIZE];
	bool ok = false;
	unsigned int i;

	if (crypto_shash_statesize(d->tfm) != sizeof(got))
		return false;
	for (i = 0; i < sizeof(block); i++)
		block[i] = i * 7 + 1;
	sha256_init(&want);
	sha256_update(&want, block, sizeof(block));
	sha256_update(&want, block, sizeof(block));
	if (crypto_shash_init(d) ||
	    crypto_shash_update(d, block, sizeof(block)) ||
	    crypto_shash_update(d, block, sizeof(block)) ||
	    crypto_shash_export(d, &got))
		goto out;
	if (memcmp(got.state, want.state, sizeof(got.state)) ||
	    got.count != want.count)
		goto out;
	sha256_update(&want, block, sizeof(block));
	if (crypto_shash_init(d) || crypto_shash_import(d, &got) ||
	    crypto_shash_update(d, block, sizeof(block)) ||
	    crypto_shash_export(d, &got))
		goto out;
	ok = !memcmp(got.state, want.state, sizeof(got.state)) &&
	     got.count == want.count;
out:
	memzero_explicit(shash_desc_ctx(d), crypto_shash_descsize(d->tfm));
	return ok;
}

/**
 * wdsoft_work_algs_init() - pick the digests' implementations of an engine
 * @w: scratch structure set up by wdsoft_work_init()
 * @node: NUMA node to allocate on, or NUMA_NO_NODE
 *
 * Process context only. Never fails: what cannot be had stays on the
 * library (see "The digests' implementations" above).
 */
void wdsoft_work_algs_init(struct wdsoft_work *w, int node)
{
	w->crc = wdsoft_shash_get(w, "crc32c", node);
	w->sha = wdsoft_shash_get(w, "sha256", node);
	w->sha_state = w->sha && wdsoft_sha_state_ok(w->sha);
}

/*
 * A descriptor on @name's best driver if that is not @cur's, else NULL:
 * the same driver, or none to be had now (the engine keeps @cur).
 */
static struct shash_desc *wdsoft_shash_newer(struct wdsoft_work *w,
					     const struct shash_desc *cur,
					     const char *name, int node)
{
	struct crypto_shash *tfm;

	tfm = wdsoft_best_shash(name);
	if (IS_ERR(tfm))
		return NULL;
	if (cur && !strcmp(crypto_shash_driver_name(cur->tfm),
			   crypto_shash_driver_name(tfm))) {
		crypto_free_shash(tfm);
		return NULL;
	}
	return wdsoft_shash_desc(w, tfm, node);
}

/**
 * wdsoft_work_algs_refresh() - move an engine's digests to the drivers the
 *	crypto API ranks best now
 * @w: scratch structure set up by wdsoft_work_algs_init()
 * @lock: the mutex every other reader of @w's digests holds (the engine's)
 * @node: NUMA node to allocate on, or NUMA_NO_NODE
 *
 * Process context; called without @lock held, by the only thread that
 * computes with @w (so it reads @w's digests without @lock). Each digest's
 * best tfm is compared by driver name with the one in use, and only one
 * that differs gets a descriptor (see "The digests' implementations").
 * The new descriptors are swapped in under @lock, so a reader of @lock
 * (debugfs "impl") never sees a freed one.
 *
 * Return: true if a digest moved to another driver.
 */
bool wdsoft_work_algs_refresh(struct wdsoft_work *w, struct mutex *lock,
			      int node)
{
	struct shash_desc *crc, *sha;
	unsigned int moves = 0;
	bool sha_state = false;

	WRITE_ONCE(w->algs_refreshes, w->algs_refreshes + 1);
	crc = wdsoft_shash_newer(w, w->crc, "crc32c", node);
	sha = wdsoft_shash_newer(w, w->sha, "sha256", node);
	if (!crc && !sha)
		return false;
	if (sha)
		sha_state = wdsoft_sha_state_ok(sha);
	mutex_lock(lock);
	if (crc) {
		swap(w->crc, crc);
		moves++;
	}
	if (sha) {
		swap(w->sha, sha);
		w->sha_state = sha_state;
		moves++;
	}
	mutex_unlock(lock);
	WRITE_ONCE(w->algs_moves, w->algs_moves + moves);
	wdsoft_shash_put(crc);
	wdsoft_shash_put(sha);
	return true;
}

static const char *wdsoft_shash_name(const struct shash_desc *d, bool use)
{
	return d && use ? crypto_shash_driver_name(d->tfm) : "library";
}

/**
 * wdsoft_work_show_algs() - print what each digest of @w runs on
 * @m: debugfs file
 * @w: an engine's scratch structure
 *
 * One line each: "crc32c DRIVER", "sha256 DRIVER" (one-shot descriptors)
 * and "sha256-stream DRIVER" (WDSOFT_SQE_HASH_IN/OUT), where DRIVER is a
 * crypto API driver name or "library".
 */
void wdsoft_work_show_algs(struct seq_file *m, const struct wdsoft_work *w)
{
	seq_printf(m, "crc32c %s\n", wdsoft_shash_name(w->crc, true));
	seq_printf(m, "sha256 %s\n", wdsoft_shash_name(w->sha, true));
	seq_printf(m, "sha256-stream %s\n",
		   wdsoft_shash_name(w->sha, w->sha_state));
}
