// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft static-shared (SS) and NOIOMMU modes: descriptors carry byte
 * offsets into the queue's SS region (ss), or DMA addresses inside it
 * (noiommu, base from UACCE_CMD_GET_SS_DMA); results land in the region;
 * anything outside it, including a plain virtual address, is -EFAULT.
 */
#include <zlib.h>

#include "tap.h"
#include "vm/soft-ring.h"

#define MIB (1UL << 20)

static int run(struct soft_ring *r, struct wdsoft_sqe sqe,
	       struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

static struct wdsoft_sqe sqe_at(uint8_t op, uint64_t base, uint64_t src,
				uint64_t slen, uint64_t dst, uint64_t dlen)
{
	struct wdsoft_sqe s = {
		.op = op,
		.src = base + src,
		.src_len = slen,
		.dst = base + dst,
		.dst_len = dlen,
	};
	return s;
}

static void check_mode(const char *dev, bool noiommu)
{
	const char *m = noiommu ? "noiommu" : "ss";
	struct wdsoft_sge *sgl;
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	unsigned char *ss, *back;
	uint64_t base = 0;
	long flags;
	int e;

	flags = soft_attr(dev, "flags");
	ok(noiommu ? (flags & UACCE_DEV_NOIOMMU) && (flags & UACCE_DEV_SS) :
		     flags == UACCE_DEV_SS,
	   "%s: flags %ld", m, flags);
	e = soft_ring_open(&r, dev, true);
	if (e)
		bail_out("cannot open a %s queue with its SS region: %s", m, strerror(-e));
	ok(r.mmio->mode == (noiommu ? WDSOFT_MODE_NOIOMMU : WDSOFT_MODE_SS) &&
	   r.ss_size == 2 * MIB, "%s: mode in MMIO, 2 MiB SS region mapped", m);
	ss = r.ss;
	if (noiommu) {
		ok(ioctl(r.fd, UACCE_CMD_GET_SS_DMA, &base) == 0 && base,
		   "noiommu: SS DMA base %#llx", (unsigned long long)base);
	}

	/* memcpy inside the region: offset 0 -> offset 1 MiB. */
	soft_fill(ss, 65536, false, 3);
	e = run(&r, sqe_at(WDSOFT_OP_MEMCPY, base, 0, 65536, MIB, 65536), &cqe);
	ok(e == 0 && cqe.out_len == 65536 && !memcmp(ss, ss + MIB, 65536),
	   "%s: memcpy between region offsets", m);

	/* crc32c of "123456789" placed in the region. */
	memcpy(ss + 100, "123456789", 9);
	e = run(&r, sqe_at(WDSOFT_OP_CRC32C, base, 100, 9, 200, 4), &cqe);
	ok(e == 0 && cqe.result == 0xe3069283 &&
	   !memcmp(ss + 200, "\x83\x92\x06\xe3", 4), "%s: crc32c into the region", m);

	/* deflate in the region, checked by zlib; then device inflate. */
	soft_fill(ss, 300000, true, 4);
	e = run(&r, sqe_at(WDSOFT_OP_DEFLATE, base, 0, 300000, MIB, MIB), &cqe);
	back = malloc(300000);
	if (!back)
		bail_out("out of memory");
	ok(e == 0 && cqe.out_len > 0 && cqe.out_len < 300000,
	   "%s: deflate in the region compresses text (%llu bytes)", m,
	   (unsigned long long)cqe.out_len);
	{
		z_stream zs = { 0 };
		bool good;

		inflateInit2(&zs, -15);
		zs.next_in = ss + MIB;
		zs.avail_in = cqe.out_len;
		zs.next_out = back;
		zs.avail_out = 300000;
		good = e == 0 && inflate(&zs, Z_FINISH) == Z_STREAM_END &&
		       zs.total_out == 300000 && !memcmp(back, ss, 300000);
		inflateEnd(&zs);
		ok(good, "%s: zlib inflates the device's raw stream", m);
	}
	{
		uint64_t clen = cqe.out_len;

		memset(ss + 1536 * 1024, 0, 300000);
		e = run(&r, sqe_at(WDSOFT_OP_INFLATE, base, MIB, clen, 1536 * 1024,
				   512 * 1024), &cqe);
		ok(e == 0 && cqe.out_len == 300000 &&
		   !memcmp(ss + 1536 * 1024, ss, 300000), "%s: device inflate in the region", m);
	}

	/* A gather list stored in the region, entries are region addresses. */
	sgl = (struct wdsoft_sge *)(ss + 4096);
	sgl[0] = (struct wdsoft_sge){ base + 0, 1000 };
	sgl[1] = (struct wdsoft_sge){ base + 50000, 3000 };
	sqe = sqe_at(WDSOFT_OP_MEMCPY, base, 4096, 2, 8192, 4000);
	sqe.flags = WDSOFT_SQE_SRC_SGL;
	e = run(&r, sqe, &cqe);
	ok(e == 0 && !memcmp(ss + 8192, ss, 1000) && !memcmp(ss + 9192, ss + 50000, 3000),
	   "%s: gather list inside the region", m);

	/* Out of bounds. */
	ok_errno(run(&r, sqe_at(WDSOFT_OP_MEMCPY, base, 2 * MIB - 10, 100, 0, 100), &cqe),
		 -EFAULT, "%s: source running past the end: -EFAULT", m);
	ok_errno(run(&r, sqe_at(WDSOFT_OP_MEMCPY, base, 0, 100, 2 * MIB, 100), &cqe),
		 -EFAULT, "%s: destination just past the end: -EFAULT", m);
	ok_errno(run(&r, sqe_at(WDSOFT_OP_MEMCPY, base, 0, 100, 1ULL << 62, 100), &cqe),
		 -EFAULT, "%s: huge offset: -EFAULT", m);
	ok_errno(run(&r, sqe_at(WDSOFT_OP_MEMCPY, 0, (uintptr_t)back, 100, base, 100), &cqe),
		 -EFAULT, "%s: a virtual address is not a region address: -EFAULT", m);
	if (noiommu)
		ok_errno(run(&r, sqe_at(WDSOFT_OP_MEMCPY, 0, 0, 100, 4096, 100), &cqe),
			 -EFAULT, "noiommu: a bare offset is below the DMA base: -EFAULT");
	free(back);
	soft_ring_close(&r);
}

int main(void)
{
	char ss_dev[64], noiommu_dev[64];
	long a0, a1;
	int e;

	vm_require();
	e = vm_load_modules("num_devices=2 modes=ss,noiommu ss_pages=512");
	if (e)
		bail_out("cannot load the modules: %s", strerror(-e));
	if (soft_find_device(0, ss_dev, sizeof(ss_dev)) ||
	    soft_find_device(1, noiommu_dev, sizeof(noiommu_dev)))
		bail_out("expected two wdsoft devices");
	a0 = soft_attr(ss_dev, "available_instances");
	a1 = soft_attr(noiommu_dev, "available_instances");
	is(soft_attr(ss_dev, "region_ss_size"), 2 * MIB, "region_ss_size is ss_pages");
	check_mode(ss_dev, false);
	check_mode(noiommu_dev, true);
	/* A queue of another device working in the first one's SS region. */
	{
		struct wdsoft_cqe cqe = { 0 };
		struct soft_ring owner, guest;

		e = soft_ring_open(&owner, ss_dev, true);
		if (e)
			bail_out("cannot open an ss queue: %s", strerror(-e));
		e = soft_ring_open_share(&guest, ss_dev, false, owner.fd);
		ok_errno(e, 0, "a second queue adopts the first one's SS region");
		if (!e) {
			soft_fill(owner.ss, 4096, false, 21);
			e = run(&guest, sqe_at(WDSOFT_OP_MEMCPY, 0, 0, 4096, 8192, 4096), &cqe);
			ok(e == 0 && !memcmp((char *)owner.ss + 8192, owner.ss, 4096),
			   "its requests work on the shared region");
			soft_ring_close(&guest);
		} else {
			skip(1, "no shared queue");
		}
		soft_ring_close(&owner);
	}
	ok(soft_attr(ss_dev, "available_instances") == a0 &&
	   soft_attr(noiommu_dev, "available_instances") == a1,
	   "instances back on both devices");
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
