// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft module parameters: queues sets available_instances (and the limit
 * is enforced), ring_depth sets the ring geometry and the DUS size, algs
 * restricts the operations (others give -EOPNOTSUPP), threads sets the
 * engine count, modes set the uacce flags; invalid values are refused at
 * load time with the module left unloaded.
 */
#include "tap.h"
#include "vm/soft-ring.h"

/* Number of engine threads; their queue counts go to @nq (up to 8). */
static int count_engines_q(const char *dev, int *nq)
{
	char path[256], line[256];
	int n = 0, idx, pid, q, parked;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%d %d %d %d", &idx, &pid, &q, &parked) == 4) {
			if (nq && n < 8)
				nq[n] = q;
			n++;
		}
	fclose(f);
	return n;
}

static int count_engines(const char *dev)
{
	return count_engines_q(dev, NULL);
}

int main(void)
{
	static const char *const bad[] = {
		"ring_depth=3", "ring_depth=8192", "queues=0", "modes=fast",
		"algs=memcpy,md5", "threads=0", "uacce_mode=2", "num_devices=65",
		"ss_pages=0", "ss_pages=1025",	/* one contiguous allocation: 4 MiB */
	};
	struct soft_ring r[4];
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	char dev[64], buf[128];
	unsigned char a[64], b[64];
	size_t i;
	int e;

	vm_require();

	e = vm_load_modules("num_devices=1 queues=3 ring_depth=8 algs=memcpy threads=2");
	if (e)
		bail_out("cannot load the modules: %s", strerror(-e));
	if (soft_find_device(0, dev, sizeof(dev)))
		bail_out("no wdsoft device");
	is(soft_attr(dev, "available_instances"), 3, "queues=3: 3 instances");
	ok(vm_sysfs_read(dev, "api", buf, sizeof(buf)) > 0 && !strcmp(buf, WDSOFT_API_NAME),
	   "api is %s", WDSOFT_API_NAME);
	ok(vm_sysfs_read(dev, "algorithms", buf, sizeof(buf)) > 0 && !strcmp(buf, "memcpy"),
	   "algs=memcpy: algorithms lists memcpy only (%s)", buf);
	is(soft_attr(dev, "flags"), UACCE_DEV_SVA, "default mode sva: flags UACCE_DEV_SVA");
	is(count_engines(dev), 2, "threads=2: two engine threads");
	is(soft_attr(dev, "region_mmio_size"), 4096, "MMIO region is one page");
	for (i = 0; i < 3; i++)
		if (soft_ring_open(&r[i], dev, false))
			bail_out("cannot open queue %zu", i);
	is(soft_attr(dev, "available_instances"), 0, "three open queues use them all");
	{
		int nq[8] = { 0 };

		ok(count_engines_q(dev, nq) == 2 && nq[0] + nq[1] == 3 &&
		   abs(nq[0] - nq[1]) == 1,
		   "queues spread over both engines (%d and %d)", nq[0], nq[1]);
	}
	ok(soft_ring_open(&r[3], dev, false) == -EBUSY, "a fourth open: EBUSY");
	ok(r[0].mmio->sq_entries == 8 && r[0].mmio->cq_entries == 8,
	   "ring_depth=8: 8 entries per ring");
	ok(r[0].mmio->cq_offset >= r[0].mmio->sq_offset + 8 * sizeof(struct wdsoft_sqe) &&
	   r[0].mmio->cq_offset + 8 * sizeof(struct wdsoft_cqe) <= r[0].mmio->dus_size &&
	   soft_attr(dev, "region_dus_size") == r[0].mmio->dus_size,
	   "rings fit the DUS region, whose size sysfs reports");
	/* Fill the ring exactly: 8 in flight, all complete. */
	for (i = 0, e = 0; i < 8; i++) {
		sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
		e |= soft_ring_queue(&r[1], &sqe);
	}
	sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
	ok(e == 0 && soft_ring_queue(&r[1], &sqe) == -EAGAIN,
	   "8 descriptors fill the ring, a 9th does not fit");
	soft_ring_doorbell(&r[1]);
	for (i = 0, e = 0; i < 8; i++)
		if (soft_ring_reap(&r[1], &cqe, 5000) || cqe.status)
			e++;
	is(e, 0, "all 8 complete");
	sqe = soft_sqe(WDSOFT_OP_CRC32C, a, sizeof(a), b, 4);
	e = soft_ring_run(&r[2], &sqe, &cqe);
	ok_errno(e ? e : cqe.status, -EOPNOTSUPP, "crc32c disabled by algs: -EOPNOTSUPP");
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
	e = soft_ring_run(&r[2], &sqe, &cqe);
	ok_errno(e ? e : cqe.status, 0, "memcpy still enabled");
	for (i = 0; i < 3; i++)
		soft_ring_close(&r[i]);
	is(soft_attr(dev, "available_instances"), 3, "instances back");

	e = vm_load_modules("num_devices=3 modes=sva,ss,noiommu algs=deflate");
	ok_errno(e, 0, "three devices in three modes");
	if (!e) {
		char d[3][64];

		for (i = 0; i < 3; i++)
			soft_find_device(i, d[i], sizeof(d[i]));
		ok(soft_attr(d[0], "flags") == UACCE_DEV_SVA &&
		   soft_attr(d[1], "flags") == UACCE_DEV_SS &&
		   soft_attr(d[2], "flags") == (UACCE_DEV_SS | UACCE_DEV_NOIOMMU),
		   "flags follow modes=sva,ss,noiommu");
		ok(vm_sysfs_read(d[0], "algorithms", buf, sizeof(buf)) > 0 &&
		   !strcmp(buf, "deflate\nzlib"), "algs=deflate: algorithms deflate, zlib");
		ok(soft_attr(d[0], "region_ss_size") <= 0 &&
		   soft_attr(d[1], "region_ss_size") == 1024 * 4096,
		   "SS region only in ss mode, ss_pages=1024 by default");
	} else {
		skip(3, "did not load");
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = vm_load_modules(bad[i]);
		ok(e < 0 && !vm_module_loaded("wdsoft"), "%s is refused", bad[i]);
	}
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
