// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft SVA mode reaches the owner's memory the way an IOMMU-SVA device
 * would: gather/scatter lists whose entries point to other buffers, pages
 * that were mmap'd but never touched (anonymous and shared file pages), and
 * clean -EFAULT/-EINVAL statuses for PROT_NONE memory, unreadable lists and
 * oversized lists.
 */
#include <openssl/evp.h>
#include <sys/mman.h>
#include <zlib.h>

#include "tap.h"
#include "vm/soft-ring.h"

static int run(struct soft_ring *r, struct wdsoft_sqe sqe,
	       struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

int main(void)
{
	static const size_t parts[] = { 1, 4095, 70000, 3, 200000 };
	enum { NPARTS = sizeof(parts) / sizeof(parts[0]) };
	unsigned char *piece[NPARTS], *flat, *out, *fresh, *none;
	struct wdsoft_sge src_sgl[NPARTS], dst_sgl[3];
	unsigned char want[32], digest[32];
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	size_t total = 0, off, i;
	unsigned int dlen = 32;
	uLongf zlen;
	char dev[64];
	int e, mfd;

	soft_setup_ring("num_devices=1", dev, sizeof(dev), &r);

	/* Separately allocated pieces; the list lives in yet another buffer. */
	for (i = 0; i < NPARTS; i++)
		total += parts[i];
	flat = malloc(total);
	out = calloc(1, total + 100);
	if (!flat || !out)
		bail_out("out of memory");
	for (i = 0, off = 0; i < NPARTS; off += parts[i], i++) {
		piece[i] = malloc(parts[i]);
		if (!piece[i])
			bail_out("out of memory");
		soft_fill(piece[i], parts[i], i & 1, (unsigned int)i + 40);
		memcpy(flat + off, piece[i], parts[i]);
		src_sgl[i].addr = (uintptr_t)piece[i];
		src_sgl[i].len = parts[i];
	}
	/* Scatter into three uneven slices of @out, the middle one empty. */
	dst_sgl[0].addr = (uintptr_t)out;
	dst_sgl[0].len = 5000;
	dst_sgl[1].addr = (uintptr_t)(out + 5000);
	dst_sgl[1].len = 0;
	dst_sgl[2].addr = (uintptr_t)(out + 5000);
	dst_sgl[2].len = total + 100 - 5000;

	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src_sgl, NPARTS, dst_sgl, 3);
	sqe.flags = WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL;
	e = run(&r, sqe, &cqe);
	ok(e == 0 && cqe.out_len == total && !memcmp(out, flat, total),
	   "memcpy gathers %d buffers and scatters into 3 slices", NPARTS);

	sqe = soft_sqe(WDSOFT_OP_SHA256, src_sgl, NPARTS, digest, 32);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	EVP_Digest(flat, total, want, &dlen, EVP_sha256(), NULL);
	ok(run(&r, sqe, &cqe) == 0 && !memcmp(digest, want, 32),
	   "sha256 over a gather list equals sha256 of the concatenation");

	sqe = soft_sqe(WDSOFT_OP_DEFLATE, src_sgl, NPARTS, dst_sgl, 3);
	sqe.flags = WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL | WDSOFT_SQE_ZLIB;
	e = run(&r, sqe, &cqe);
	zlen = total;
	{
		unsigned char *back = malloc(total);

		ok(e == 0 && back &&
		   uncompress(back, &zlen, out, cqe.out_len) == Z_OK &&
		   zlen == total && !memcmp(back, flat, total),
		   "deflate from a gather list into a scatter list inflates with zlib");
		free(back);
	}

	/* Never-touched anonymous pages, as destination and as source. */
	fresh = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	e = run(&r, soft_sqe(WDSOFT_OP_MEMCPY, flat, total, fresh + 123, total), &cqe);
	ok(e == 0 && !memcmp(fresh + 123, flat, total),
	   "memcpy into never-touched anonymous pages");
	munmap(fresh, 1 << 20);
	fresh = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	{
		static unsigned char zero[1 << 20];

		EVP_Digest(zero, sizeof(zero), want, &dlen, EVP_sha256(), NULL);
		e = run(&r, soft_sqe(WDSOFT_OP_SHA256, fresh, 1 << 20, digest, 32), &cqe);
		ok(e == 0 && !memcmp(digest, want, 32),
		   "sha256 of never-touched pages reads zeros");
	}
	munmap(fresh, 1 << 20);

	/* A shared file mapping never touched by the owner. */
	mfd = memfd_create("wdsoft-sva", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, 1 << 20) < 0)
		bail_out("memfd: %s", strerror(errno));
	fresh = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (fresh == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	e = run(&r, soft_sqe(WDSOFT_OP_MEMCPY, flat, 65536, fresh + 4096, 65536), &cqe);
	memset(out, 0, 65536);
	ok(e == 0 && pread(mfd, out, 65536, 4096) == 65536 && !memcmp(out, flat, 65536),
	   "memcpy into a never-touched shared file mapping reaches the file");
	munmap(fresh, 1 << 20);

	/*
	 * Mapped memory is copied through the owner's page table one mapping
	 * at a time: a destination across an anonymous and a file mapping,
	 * both already faulted in.
	 */
	fresh = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED ||
	    mmap(fresh + 2 * 4096, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(fresh, 0xa5, 3 * 4096);
	e = run(&r, soft_sqe(WDSOFT_OP_MEMCPY, flat, 6000, fresh + 5000, 6000), &cqe);
	ok(e == 0 && !memcmp(fresh + 5000, flat, 6000) && fresh[4999] == 0xa5 &&
	   fresh[11000] == 0xa5 && pread(mfd, out, 2808, 0) == 2808 &&
	   !memcmp(out, flat + 3192, 2808),
	   "memcpy across an anonymous and a file mapping, both mapped");
	munmap(fresh, 3 * 4096);
	close(mfd);

	/* Failure paths. */
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_MEMCPY, (void *)r.mmio, 64, out, 64), &cqe),
		 -EFAULT, "the queue's own MMIO page as source: -EFAULT");
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_MEMCPY, flat, 64,
				  (char *)r.dus + r.dus_size - 64, 64), &cqe),
		 -EFAULT, "the queue's own rings as destination: -EFAULT");
	none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_MEMCPY, none, 100, out, 100), &cqe),
		 -EFAULT, "PROT_NONE source: -EFAULT");
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_MEMCPY, flat, 100, none, 100), &cqe),
		 -EFAULT, "PROT_NONE destination: -EFAULT");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, none, 2, out, 100);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	ok_errno(run(&r, sqe, &cqe), -EFAULT, "gather list in PROT_NONE memory: -EFAULT");
	src_sgl[2].addr = (uintptr_t)none;
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src_sgl, NPARTS, out, total);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	ok_errno(run(&r, sqe, &cqe), -EFAULT, "one gather entry in PROT_NONE memory: -EFAULT");
	src_sgl[2].addr = (uintptr_t)piece[2];
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src_sgl, WDSOFT_SGL_MAX + 1, out, total);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	ok_errno(run(&r, sqe, &cqe), -EINVAL, "gather list of %d entries: -EINVAL",
		 WDSOFT_SGL_MAX + 1);
	src_sgl[1].len = UINT64_MAX - 10;
	sqe = soft_sqe(WDSOFT_OP_SHA256, src_sgl, NPARTS, digest, 32);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	e = run(&r, sqe, &cqe);
	ok(e == -EINVAL || e == -EFAULT, "gather lengths that overflow: -EINVAL or -EFAULT (%d)", e);
	src_sgl[1].len = parts[1];
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src_sgl, NPARTS, dst_sgl, 1);
	sqe.flags = WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL;
	ok_errno(run(&r, sqe, &cqe), -ENOSPC, "scatter list too short: -ENOSPC");
	munmap(none, 8192);

	soft_ring_close(&r);
	for (i = 0; i < NPARTS; i++)
		free(piece[i]);
	free(flat);
	free(out);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
