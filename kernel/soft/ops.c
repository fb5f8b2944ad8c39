// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft operations: memcpy, crc32c, sha256, deflate and inflate over the
 * buffers a descriptor names.
 *
 * Descriptors carry addresses whose meaning depends on the device mode
 * (struct wdsoft_xfer): the owner's virtual addresses in SVA mode (reached
 * through the owner's page table, as an IOMMU-SVA device would translate
 * them: mapped pages by GUP-fast on that page table, the rest with
 * get_user_pages_remote: missing anonymous and shmem pages are faulted in
 * at once, missing pages of file mappings through a page request the
 * engine hands to a worker, kernel or unmapped addresses give -EFAULT),
 * byte offsets into the SS region in SS
 * mode, DMA addresses inside the SS region in NOIOMMU mode, and plain kernel
 * addresses for the crypto API front end. Every byte moves through
 * per-thread bounce buffers, so a buffer may be any length and a gather
 * list may point anywhere the owner can read.
 *
 * Nothing here trusts the submitter: lengths and gather lists are checked,
 * and every failure becomes a completion status.
 */
#include <linux/crc32.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/highmem.h>
#include <linux/mmap_lock.h>
#include <linux/vmalloc.h>
#include <linux/zutil.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <wd_compat.h>

#include "soft.h"

#define WDSOFT_GUP_BATCH 16

/**
 * wdsoft_unpin_all() - release the pages a descriptor pinned
 * @uva: the engine's SVA state
 */
void wdsoft_unpin_all(struct wdsoft_uva *uva)
{
	unsigned int i;

	for (i = 0; i < uva->nr_pages; i++)
		put_page(uva->pages[i]);
	atomic_long_sub(uva->nr_pages, &wdsoft_live_pages);
	uva->nr_pages = 0;
}

/*
 * May a fault on @vma wait for something no one bounds? Page cache of a
 * file (including a FUSE server that never answers) is read with the
 * fault's caller asleep, and mm/filemap.c may read synchronously even for
 * FAULT_FLAG_RETRY_NOWAIT (FOLL_NOWAIT): after MADV_RANDOM, or when the
 * filesystem reads pages synchronously. Anonymous and shmem memory only
 * wait for memory and swap, and VM_IO/VM_PFNMAP mappings are refused by
 * GUP before any fault.
 */
static bool wdsoft_vma_fault_may_block(struct vm_area_struct *vma)
{
	return vma->vm_file && !shmem_mapping(vma->vm_file->f_mapping) &&
	       !(vma->vm_flags & (VM_IO | VM_PFNMAP));
}

/*
 * Is @addr in a mapping of ordinary memory, which GUP-fast may take? The
 * walk (get_user_pages_remote) refuses VM_IO and VM_PFNMAP mappings, the
 * queue's own MMIO and rings among them; GUP-fast looks at PTEs only, and
 * a driver's pages mapped with vm_insert_page() have ordinary ones. The
 * mapping found is kept in uva->plain_* for the rest of the descriptor:
 * the caller holds mmap_lock, so it cannot change meanwhile.
 */
static bool wdsoft_uva_plain(const struct wdsoft_xfer *x, u64 addr)
{
	struct wdsoft_uva *uva = x->uva;
	struct vm_area_struct *vma;

	if (addr >= uva->plain_start && addr < uva->plain_end)
		return true;
	vma = vma_lookup(x->mm, addr);
	if (!vma || (vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return false;
	uva->plain_start = vma->vm_start;
	uva->plain_end = vma->vm_end;
	return true;
}

/*
 * Pin up to @nr pages of the owner's memory from @addr into @pages.
 *
 * Pages of ordinary memory the owner has mapped with the access needed are
 * found first by GUP-fast, the lockless walk of the page table the engine
 * thread runs on (kthread_use_mm() in engine.c): the engine's IOTLB.
 * Whatever it cannot take (not present, read-only for a write,
 * copy-on-write, NUMA hinting) goes the slow way: pages already mapped
 * are taken without a fault; a missing page is faulted in here unless
 * that could wait for a file's I/O: then the access stops with -EAGAIN and
 * uva->miss set, and the engine hands the fault to a worker (engine.c), as
 * a device hands a page request to the IOMMU driver.
 */
static long wdsoft_uva_pin(const struct wdsoft_xfer *x, u64 addr,
			   unsigned long nr, size_t n, bool write,
			   struct page **pages)
{
	unsigned int flags = write ? FOLL_WRITE : 0;
	struct vm_area_struct *vma;
	long got;

	if (current->mm == x->mm && wdsoft_uva_plain(x, addr)) {
		got = get_user_pages_fast_only(addr & PAGE_MASK,
			min_t(u64, nr, (x->uva->plain_end - (addr & PAGE_MASK)) >>
				       PAGE_SHIFT), flags, pages);
		if (got > 0)
			return got;
	}
	got = wd_get_user_pages_remote(x->mm, addr & PAGE_MASK, nr,
				       flags | FOLL_NOFAULT, pages, NULL);
	if (got > 0)
		return got;
	vma = vma_lookup(x->mm, addr);
	if (!vma)
		return -EFAULT;
	if (wdsoft_vma_fault_may_block(vma)) {
		x->uva->miss = true;
		x->uva->miss_addr = addr;
		x->uva->miss_len = n;
		x->uva->miss_write = write;
		return -EAGAIN;
	}
	got = wd_get_user_pages_remote(x->mm, addr & PAGE_MASK, nr, flags,
				       pages, NULL);
	return got > 0 ? got : -EFAULT;
}

/*
 * Copy between @buf and the owner's virtual address @addr. The caller holds
 * mmap_lock for read (taken with a trylock, see engine.c), so faults are
 * resolved here without ever waiting for that lock. The pages stay pinned
 * until the descriptor completes (wdsoft_unpin_all()).
 */
static int wdsoft_uva_access(const struct wdsoft_xfer *x, u64 addr, void *buf,
			     size_t n, bool write)
{
	struct wdsoft_uva *uva = x->uva;

	mmap_assert_locked(x->mm);
	while (n) {
		unsigned long off = offset_in_page(addr);
		unsigned long nr = min_t(u64, DIV_ROUND_UP(off + n, PAGE_SIZE),
					 WDSOFT_GUP_BATCH);
		struct page **pages;
		long got, i;

		if (uva->nr_pages + nr > WDSOFT_PINS_MAX)
			wdsoft_unpin_all(uva);
		pages = uva->pages + uva->nr_pages;
		got = wdsoft_uva_pin(x, addr, nr, n, write, pages);
		if (got < 0)
			return got;
		uva->nr_pages += got;
		atomic_long_add(got, &wdsoft_live_pages);
		for (i = 0; i < got; i++) {
			size_t c = min_t(size_t, n, PAGE_SIZE - off);
			void *k;

			if (c) {
				k = kmap_local_page(pages[i]);
				if (write)
					memcpy(k + off, buf, c);
				else
					memcpy(buf, k + off, c);
				kunmap_local(k);
			}
			if (write)
				set_page_dirty_lock(pages[i]);
			buf += c;
			n -= c;
			addr += c;
			off = 0;
		}
	}
	return 0;
}

/* Move @n bytes between @buf and the descriptor address @addr. */
static int wdsoft_access(const struct wdsoft_xfer *x, u64 addr, void *buf,
			 size_t n, bool write)
{
	if (!n)
		return 0;
	switch (x->mode) {
	case WDSOFT_MODE_SVA:
		return wdsoft_uva_access(x, addr, buf, n, write);
	case WDSOFT_MODE_NOIOMMU:
		if (addr < x->ss_dma)
			return -EFAULT;
		addr -= x->ss_dma;
		fallthrough;
	case WDSOFT_MODE_SS:
		if (!x->ss || addr > x->ss_size || n > x->ss_size - addr)
			return -EFAULT;
		if (write)
			memcpy(x->ss + addr, buf, n);
		else
			memcpy(buf, x->ss + addr, n);
		return 0;
	case 0:	/* kernel addresses: the crypto API front end */
		if (write)
			memcpy((void *)(uintptr_t)addr, buf, n);
		else
			memcpy(buf, (const void *)(uintptr_t)addr, n);
		return 0;
	}
	return -EINVAL;
}

/**
 * wdsoft_iter_init() - prepare to walk a descriptor buffer
 * @it: iterator to fill
 * @x: how addresses reach memory
 * @addr: buffer address, or gather list address if @sgl
 * @len: buffer length, or number of gather list entries if @sgl
 * @sgl: @addr names a struct wdsoft_sge array
 * @sgl_buf: engine memory for WDSOFT_SGL_MAX entries (used if @sgl)
 *
 * Return: 0, -EINVAL for a malformed list, -EFAULT if it can't be read.
 */
int wdsoft_iter_init(struct wdsoft_iter *it, const struct wdsoft_xfer *x,
		     u64 addr, u64 len, bool sgl, struct wdsoft_sge *sgl_buf)
{
	unsigned int i;
	u64 end;
	int r;

	memset(it, 0, sizeof(*it));
	it->xfer = x;
	if (!sgl) {
		if (check_add_overflow(addr, len, &end))
			return -EFAULT;
		it->one.addr = addr;
		it->one.len = len;
		it->sgl = &it->one;
		it->nr = 1;
		it->total = len;
		return 0;
	}
	if (len > WDSOFT_SGL_MAX)
		return -EINVAL;
	it->sgl = sgl_buf;
	it->nr = len;
	r = wdsoft_access(x, addr, sgl_buf, it->nr * sizeof(*sgl_buf), false);
	if (r)
		return r;
	for (i = 0; i < it->nr; i++) {
		if (check_add_overflow(sgl_buf[i].addr, sgl_buf[i].len, &end))
			return -EFAULT;
		if (check_add_overflow(it->total, sgl_buf[i].len, &it->total))
			return -EINVAL;
	}
	return 0;
}

static u64 wdsoft_iter_left(const struct wdsoft_iter *it)
{
	return it->total - it->done;
}

/* Read or write the next @n bytes; -ENOSPC when the buffer is too small. */
static int wdsoft_iter_xfer(struct wdsoft_iter *it, void *buf, size_t n,
			    bool write)
{
	if (n > wdsoft_iter_left(it))
		return write ? -ENOSPC : -EINVAL;
	while (n) {
		const struct wdsoft_sge *sge = &it->sgl[it->idx];
		u64 c = min_t(u64, sge->len - it->off, n);
		int r;

		if (!c) {
			it->idx++;
			it->off = 0;
			continue;
		}
		r = wdsoft_access(it->xfer, sge->addr + it->off, buf, c, write);
		if (r == -EAGAIN && it->xfer->uva && it->xfer->uva->miss) {
			/* One page request for the rest of this buffer. */
			struct wdsoft_uva *uva = it->xfer->uva;

			uva->miss_len = min_t(u64, WDSOFT_PAGE_REQ_MAX,
					      sge->addr + sge->len -
					      uva->miss_addr);
		}
		if (r)
			return r;
		it->off += c;
		it->done += c;
		buf += c;
		n -= c;
	}
	return 0;
}

/* Read the next chunk of input into w->in; returns its length or -errno. */
static bool wdsoft_cancelled(struct wdsoft_work *w)
{
	return w->cancel && READ_ONCE(*w->cancel);
}

static long wdsoft_read_chunk(struct wdsoft_work *w, struct wdsoft_iter *src)
{
	size_t c = min_t(u64, wdsoft_iter_left(src), WDSOFT_BOUNCE_SIZE);
	int r;

	if (!w->atomic)
		cond_resched();
	if (wdsoft_cancelled(w))
		return -ESHUTDOWN;
	r = wdsoft_iter_xfer(src, w->in, c, false);
	return r ? r : (long)c;
}

static int wdsoft_memcpy(struct wdsoft_work *w, struct wdsoft_iter *src,
			 struct wdsoft_iter *dst)
{
	if (src->total > dst->total)
		return -ENOSPC;
	while (wdsoft_iter_left(src)) {
		long c = wdsoft_read_chunk(w, src);
		int r;

		if (c < 0)
			return c;
		r = wdsoft_iter_xfer(dst, w->in, c, true);
		if (r)
			return r;
	}
	return 0;
}

static int wdsoft_crc32c(struct wdsoft_work *w, struct wdsoft_iter *src,
			 struct wdsoft_iter *dst, u64 *result)
{
	u32 crc = ~0U;
	__le32 le;
	int r = 0;

	/* The value is always in the completion; dst may be empty. */
	if (dst->total && dst->total < sizeof(le))
		return -ENOSPC;
	/* The shash starts from its default key, ~0, as the library path. */
	if (w->crc)
		r = crypto_shash_init(w->crc);
	while (!r && wdsoft_iter_left(src)) {
		long c = wdsoft_read_chunk(w, src);

		if (c < 0)
			return c;
		if (w->crc)
			r = crypto_shash_update(w->crc, w->in, c);
		else
			crc = __crc32c_le(crc, w->in, c);
	}
	if (w->crc) {
		/* crc32c's shash digest is the final value, little-endian. */
		if (!r)
			r = crypto_shash_final(w->crc, (u8 *)&le);
		if (r)
			return r;
		crc = le32_to_cpu(le);
	} else {
		crc = ~crc;
	}
	*result = crc;
	if (!dst->total)
		return 0;
	le = cpu_to_le32(crc);
	return wdsoft_iter_xfer(dst, &le, sizeof(le), true);
}

/* Longest message SHA-256 defines: its length in bits must fit 64 bits. */
#define WDSOFT_SHA256_MAX_BYTES	BIT_ULL(61)

/*
 * Read the carried state of a streaming descriptor (WDSOFT_SQE_HASH_IN)
 * from @dst into @st. The destination iterator is rewound afterwards, so
 * the result goes where the state came from.
 */
static int wdsoft_hash_state_in(struct wdsoft_iter *dst,
				struct sha256_state *st)
{
	struct wdsoft_hash_state hs;
	int r;

	r = wdsoft_iter_xfer(dst, &hs, sizeof(hs), false);
	dst->idx = 0;
	dst->off = 0;
	dst->done = 0;
	if (r)
		return r;
	if (hs.rsvd || hs.bytes % SHA256_BLOCK_SIZE ||
	    hs.bytes >= WDSOFT_SHA256_MAX_BYTES)
		return -EINVAL;
	memcpy(st->state, hs.h, sizeof(st->state));
	st->count = hs.bytes;
	memzero_explicit(&hs, sizeof(hs));
	return 0;
}

/* Check a sha256 descriptor's streaming flags against its buffers. */
static int wdsoft_sha256_check(const struct wdsoft_iter *src,
			       const struct wdsoft_iter *dst, u16 flags)
{
	const u16 stream = WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT;

	if (!(flags & stream))
		return dst->total < SHA256_DIGEST_SIZE ? -ENOSPC : 0;
	if (flags & WDSOFT_SQE_DST_SGL)
		return -EINVAL;
	if ((flags & WDSOFT_SQE_HASH_OUT) && src->total % SHA256_BLOCK_SIZE)
		return -EINVAL;
	if (src->total >= WDSOFT_SHA256_MAX_BYTES)
		return -EINVAL;
	if (dst->total < sizeof(struct wdsoft_hash_state))
		return -ENOSPC;
	return 0;
}

/*
 * SHA-256 of @src, one-shot or one piece of a stream (see "Additions to
 * version 1" in wdsoft.h). The kernel's sha256 library keeps the state as
 * chaining value plus byte count, which is what travels between pieces:
 * a piece ends on a block boundary, so no partial block is ever carried.
 * With w->sha the crypto API driver hashes; a streaming piece moves the
 * state in and out of it with import/export, whose format
 * wdsoft_work_algs_init() checked to be that same struct sha256_state, or
 * else runs on the library.
 */
static int wdsoft_sha256(struct wdsoft_work *w, struct wdsoft_iter *src,
			 struct wdsoft_iter *dst, u16 flags)
{
	const u16 stream = WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT;
	struct shash_desc *d = w->sha;
	struct sha256_state st;
	struct wdsoft_hash_state hs = { };
	u8 digest[SHA256_DIGEST_SIZE];
	int r;

	r = wdsoft_sha256_check(src, dst, flags);
	if (r)
		return r;
	if ((flags & stream) && !w->sha_state)
		d = NULL;
	sha256_init(&st);
	if (flags & WDSOFT_SQE_HASH_IN) {
		r = wdsoft_hash_state_in(dst, &st);
		if (r)
			goto out;
		if (st.count + src->total >= WDSOFT_SHA256_MAX_BYTES) {
			r = -EINVAL;
			goto out;
		}
	}
	if (d) {
		r = crypto_shash_init(d);
		if (!r && (flags & WDSOFT_SQE_HASH_IN))
			r = crypto_shash_import(d, &st);
	}
	while (!r && wdsoft_iter_left(src)) {
		long c = wdsoft_read_chunk(w, src);

		if (c < 0) {
			r = c;
			goto out;
		}
		if (d)
			r = crypto_shash_update(d, w->in, c);
		else
			sha256_update(&st, w->in, c);
	}
	if (r)
		goto out;
	if (flags & WDSOFT_SQE_HASH_OUT) {
		if (d) {
			r = crypto_shash_export(d, &st);
			if (r)
				goto out;
		}
		memcpy(hs.h, st.state, sizeof(hs.h));
		hs.bytes = st.count;
		r = wdsoft_iter_xfer(dst, &hs, sizeof(hs), true);
		memzero_explicit(&hs, sizeof(hs));
		goto out;
	}
	if (d)
		r = crypto_shash_final(d, digest);
	else
		sha256_final(&st, digest);
	if (!r)
		r = wdsoft_iter_xfer(dst, digest, sizeof(digest), true);
	memzero_explicit(digest, sizeof(digest));
out:
	memzero_explicit(&st, sizeof(st));
	if (d)
		memzero_explicit(shash_desc_ctx(d), crypto_shash_descsize(d->tfm));
	return r;
}

/* Hand the produced part of w->out to @dst and make it empty again. */
static int wdsoft_flush_out(struct wdsoft_work *w, struct wdsoft_iter *dst)
{
	struct z_stream_s *zs = &w->zs;
	size_t n = WDSOFT_BOUNCE_SIZE - zs->avail_out;
	int r;

	/* Inflate may write far more than it reads: check here too. */
	if (!w->atomic)
		cond_resched();
	if (wdsoft_cancelled(w))
		return -ESHUTDOWN;
	r = wdsoft_iter_xfer(dst, w->out, n, true);
	zs->next_out = w->out;
	zs->avail_out = WDSOFT_BOUNCE_SIZE;
	return r;
}

static int wdsoft_deflate(struct wdsoft_work *w, struct wdsoft_iter *src,
			  struct wdsoft_iter *dst, int level, bool zlib)
{
	struct z_stream_s *zs = &w->zs;
	int flush = Z_NO_FLUSH;
	int r = 0, zr;

	zs->workspace = w->deflate_ws;
	zr = zlib_deflateInit2(zs, level, Z_DEFLATED,
			       zlib ? MAX_WBITS : -MAX_WBITS, DEF_MEM_LEVEL,
			       Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return -EINVAL;
	zs->next_in = w->in;
	zs->avail_in = 0;
	zs->next_out = w->out;
	zs->avail_out = WDSOFT_BOUNCE_SIZE;
	for (;;) {
		if (!zs->avail_in && flush == Z_NO_FLUSH) {
			long c = wdsoft_read_chunk(w, src);

			if (c < 0) {
				r = c;
				break;
			}
			zs->next_in = w->in;
			zs->avail_in = c;
			if (!wdsoft_iter_left(src))
				flush = Z_FINISH;
		}
		zr = zlib_deflate(zs, flush);
		/* With output room, Z_FINISH always makes progress. */
		if ((zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) ||
		    (zr == Z_BUF_ERROR && flush == Z_FINISH && zs->avail_out)) {
			r = -EIO;
			break;
		}
		if (!zs->avail_out || zr == Z_STREAM_END) {
			r = wdsoft_flush_out(w, dst);
			if (r)
				break;
		}
		if (zr == Z_STREAM_END)
			break;
	}
	zlib_deflateEnd(zs);
	return r;
}

static int wdsoft_inflate(struct wdsoft_work *w, struct wdsoft_iter *src,
			  struct wdsoft_iter *dst, bool zlib, bool exact)
{
	struct z_stream_s *zs = &w->zs;
	int r = 0, zr;

	zs->workspace = w->inflate_ws;
	if (zlib_inflateInit2(zs, zlib ? MAX_WBITS : -MAX_WBITS) != Z_OK)
		return -EINVAL;
	zs->next_in = w->in;
	zs->avail_in = 0;
	zs->next_out = w->out;
	zs->avail_out = WDSOFT_BOUNCE_SIZE;
	for (;;) {
		unsigned int in_before, out_before;

		if (!zs->avail_in && wdsoft_iter_left(src)) {
			long c = wdsoft_read_chunk(w, src);

			if (c < 0) {
				r = c;
				break;
			}
			zs->next_in = w->in;
			zs->avail_in = c;
		}
		in_before = zs->avail_in;
		out_before = zs->avail_out;
		zr = zlib_inflate(zs, Z_NO_FLUSH);
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT) {
			r = -EBADMSG;
			break;
		}
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			r = -EIO;
			break;
		}
		if (!zs->avail_out || zr == Z_STREAM_END) {
			r = wdsoft_flush_out(w, dst);
			if (r)
				break;
		}
		if (zr == Z_STREAM_END) {
			/* WDSOFT_SQE_EXACT: nothing may follow the stream. */
			if (exact && (zs->avail_in || wdsoft_iter_left(src)))
				r = -EMSGSIZE;
			break;
		}
		/* No progress with all input consumed: the stream is cut short. */
		if (!zs->avail_in && !wdsoft_iter_left(src) &&
		    (zr == Z_BUF_ERROR ||
		     (in_before == zs->avail_in && out_before == zs->avail_out))) {
			r = -EBADMSG;
			break;
		}
	}
	zlib_inflateEnd(zs);
	return r;
}

static int wdsoft_check_sqe(const struct wdsoft_sqe *sqe,
			    unsigned long ops_mask)
{
	const u16 known = WDSOFT_SQE_ZLIB | WDSOFT_SQE_SRC_SGL |
			  WDSOFT_SQE_DST_SGL | WDSOFT_SQE_HASH_IN |
			  WDSOFT_SQE_HASH_OUT | WDSOFT_SQE_EXACT;

	if (sqe->op >= WDSOFT_OP_MAX)
		return -EOPNOTSUPP;
	if (sqe->op != WDSOFT_OP_NOP && !(ops_mask & BIT(sqe->op)))
		return -EOPNOTSUPP;
	if (sqe->rsvd0 || sqe->rsvd[0] || sqe->rsvd[1] || (sqe->flags & ~known))
		return -EINVAL;
	if (sqe->level > 9)
		return -EINVAL;
	if ((sqe->flags & WDSOFT_SQE_ZLIB) && sqe->op != WDSOFT_OP_DEFLATE &&
	    sqe->op != WDSOFT_OP_INFLATE)
		return -EINVAL;
	if ((sqe->flags & (WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT)) &&
	    sqe->op != WDSOFT_OP_SHA256)
		return -EINVAL;
	if ((sqe->flags & WDSOFT_SQE_EXACT) && sqe->op != WDSOFT_OP_INFLATE)
		return -EINVAL;
	return 0;
}

/**
 * wdsoft_execute() - run one descriptor
 * @w: the calling thread's scratch memory
 * @x: how the descriptor's addresses reach memory
 * @sqe: the descriptor (a private copy; the submitter can't change it)
 * @ops_mask: operations the device has enabled
 * @cqe: completion to fill (cookie excepted)
 * @in_bytes: set to the input bytes consumed, for statistics
 */
void wdsoft_execute(struct wdsoft_work *w, const struct wdsoft_xfer *x,
		    const struct wdsoft_sqe *sqe, unsigned long ops_mask,
		    struct wdsoft_cqe *cqe, u64 *in_bytes)
{
	struct wdsoft_iter src, dst;
	bool zlib = sqe->flags & WDSOFT_SQE_ZLIB;
	int r;

	cqe->status = 0;
	cqe->out_len = 0;
	cqe->result = 0;
	*in_bytes = 0;

	r = wdsoft_check_sqe(sqe, ops_mask);
	if (r || sqe->op == WDSOFT_OP_NOP)
		goto out;
	r = wdsoft_iter_init(&src, x, sqe->src, sqe->src_len,
			     sqe->flags & WDSOFT_SQE_SRC_SGL, w->src_sgl);
	if (r)
		goto out;
	r = wdsoft_iter_init(&dst, x, sqe->dst, sqe->dst_len,
			     sqe->flags & WDSOFT_SQE_DST_SGL, w->dst_sgl);
	if (r)
		goto out;

	switch (sqe->op) {
	case WDSOFT_OP_MEMCPY:
		r = wdsoft_memcpy(w, &src, &dst);
		break;
	case WDSOFT_OP_CRC32C:
		r = wdsoft_crc32c(w, &src, &dst, &cqe->result);
		break;
	case WDSOFT_OP_SHA256:
		r = wdsoft_sha256(w, &src, &dst, sqe->flags);
		break;
	case WDSOFT_OP_DEFLATE:
		r = wdsoft_deflate(w, &src, &dst, sqe->level ?: 6, zlib);
		break;
	case WDSOFT_OP_INFLATE:
		r = wdsoft_inflate(w, &src, &dst, zlib,
				   sqe->flags & WDSOFT_SQE_EXACT);
		break;
	default:
		r = -EOPNOTSUPP;
		break;
	}
	*in_bytes = src.done;
	if (!r)
		cqe->out_len = dst.done;
	else
		cqe->result = 0;
out:
	cqe->status = r;
}

/**
 * wdsoft_work_init() - allocate a thread's scratch memory
 * @w: zeroed scratch structure
 * @node: NUMA node to allocate on, or NUMA_NO_NODE
 *
 * Return: 0 or -ENOMEM; on failure call wdsoft_work_free().
 */
int wdsoft_work_init(struct wdsoft_work *w, int node)
{
	size_t sgl = WDSOFT_SGL_MAX * sizeof(struct wdsoft_sge);
	int dws = zlib_deflate_workspacesize(MAX_WBITS, MAX_MEM_LEVEL);

	w->in = kvmalloc_node(WDSOFT_BOUNCE_SIZE, GFP_KERNEL, node);
	w->out = kvmalloc_node(WDSOFT_BOUNCE_SIZE, GFP_KERNEL, node);
	w->src_sgl = kmalloc_node(sgl, GFP_KERNEL, node);
	w->dst_sgl = kmalloc_node(sgl, GFP_KERNEL, node);
	w->deflate_ws = vmalloc_node(dws, node);
	w->inflate_ws = kvmalloc_node(zlib_inflate_workspacesize(), GFP_KERNEL,
				      node);
	if (!w->in || !w->out || !w->src_sgl || !w->dst_sgl ||
	    !w->deflate_ws || !w->inflate_ws)
		return -ENOMEM;
	return 0;
}

/**
 * wdsoft_work_free() - free what wdsoft_work_init() and
 *	wdsoft_work_algs_init() allocated
 * @w: scratch structure (partially initialised is fine)
 */
void wdsoft_work_free(struct wdsoft_work *w)
{
	kvfree(w->in);
	kvfree(w->out);
	kfree(w->src_sgl);
	kfree(w->dst_sgl);
	vfree(w->deflate_ws);
	kvfree(w->inflate_ws);
	wdsoft_work_algs_free(w);
	memset(w, 0, sizeof(*w));
}
