// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft memcpy through the ring in SVA mode: every size from empty to
 * 1 MiB arrives intact, and bad descriptors come back as completion
 * statuses (-EFAULT, -ENOSPC, -EINVAL, -EOPNOTSUPP), never as a crash.
 */
#include "tap.h"
#include "vm/soft-ring.h"

static const size_t sizes[] = { 0, 1, 4095, 4096, 65536, 1 << 20 };

static int status_of(struct soft_ring *r, struct wdsoft_sqe sqe,
		     struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

int main(void)
{
	struct soft_ring r;
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	char dev[64];
	long avail;
	unsigned char *src, *dst;
	size_t i;
	int e;

	soft_setup("num_devices=1", dev, sizeof(dev));
	avail = soft_attr(dev, "available_instances");

	e = soft_ring_open(&r, dev, false);
	if (e)
		bail_out("cannot open a queue on %s: %s", dev, strerror(-e));
	ok(r.mmio->mode == WDSOFT_MODE_SVA && r.mmio->sq_entries == 256 &&
	   (r.mmio->status & WDSOFT_STATUS_RUNNING),
	   "geometry: SVA, 256 entries, engine running");
	is(soft_attr(dev, "available_instances"), avail - 1,
	   "an open queue takes an instance");

	src = malloc(1 << 20);
	dst = malloc((1 << 20) + 1);
	if (!src || !dst)
		bail_out("out of memory");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int comp = 0; comp < 2; comp++) {
			size_t n = sizes[i];

			soft_fill(src, n, comp, (unsigned int)(n + comp));
			memset(dst, 0xa5, n + 1);
			sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, n, dst, n);
			e = status_of(&r, sqe, &cqe);
			ok(e == 0 && cqe.out_len == n && !memcmp(src, dst, n) &&
			   dst[n] == 0xa5,
			   "memcpy %zu bytes (%s)", n, comp ? "text" : "random");
			if (e)
				diag("status %d (%s)", e, strerror(-e));
		}
	}

	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 100, dst, 99);
	ok_errno(status_of(&r, sqe, &cqe), -ENOSPC, "destination too small: -ENOSPC");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, (void *)8, 100, dst, 100);
	ok_errno(status_of(&r, sqe, &cqe), -EFAULT, "unmapped source: -EFAULT");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 100,
		       (void *)0xffffffff81000000ULL, 100);
	ok_errno(status_of(&r, sqe, &cqe), -EFAULT, "kernel destination: -EFAULT");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, (void *)0xffff888000000000ULL, 100,
		       dst, 100);
	ok_errno(status_of(&r, sqe, &cqe), -EFAULT, "kernel source: -EFAULT");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 100, (void *)"read-only", 100);
	ok_errno(status_of(&r, sqe, &cqe), -EFAULT, "read-only destination: -EFAULT");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 100, dst, 100);
	sqe.rsvd0 = 1;
	ok_errno(status_of(&r, sqe, &cqe), -EINVAL, "reserved field set: -EINVAL");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 100, dst, 100);
	sqe.flags = 0x100;
	ok_errno(status_of(&r, sqe, &cqe), -EINVAL, "unknown flag: -EINVAL");
	sqe = soft_sqe(WDSOFT_OP_MAX + 7, src, 100, dst, 100);
	ok_errno(status_of(&r, sqe, &cqe), -EOPNOTSUPP, "unknown op: -EOPNOTSUPP");
	sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
	ok_errno(status_of(&r, sqe, &cqe), 0, "nop completes");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, 64, dst, 64);
	soft_fill(src, 64, false, 99);
	ok(status_of(&r, sqe, &cqe) == 0 && !memcmp(src, dst, 64),
	   "the queue still works after the errors");

	soft_ring_close(&r);
	is(soft_attr(dev, "available_instances"), avail,
	   "closing the queue gives the instance back");
	free(src);
	free(dst);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	ok(!vm_module_loaded("wdsoft"), "wdsoft is gone");
	return exit_status();
}
