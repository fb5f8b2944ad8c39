// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Static shared memory (UACCE_DEV_SS / NOIOMMU devices): buffers must lie in
 * wd_reserve_memory(); libwd translates them to region offsets (or DMA
 * addresses), rejects anything outside with -EFAULT, refuses oversize
 * reservations, lets a second queue use the region through
 * wd_share_reserved_memory(), and the helpers bounce through it.
 */
#include <misc/uacce/wdsoft.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static int request(struct wd_queue *q, const char *dev)
{
	*q = (struct wd_queue){ .alg = "memcpy", .dev = dev, .flags = WD_QUEUE_DIRECT };
	return wd_request_queue(q);
}

static int run1(struct wd_queue *q, struct wd_msg *m)
{
	void *done;
	int r = wd_send(q, m);

	if (r < 0)
		return r;
	r = wd_recv_sync(q, &done);
	return r < 0 ? r : m->status;
}

static void scenario(uint32_t mode, unsigned int flags, const char *what)
{
	struct wdd_config c = { .mode = mode, .ss_size = 64 * 1024 };
	const struct wdd_dev devs[] = {
		{ .name = "wdsoft-0", .node = 0, .avail = 8, .flags = flags },
	};
	struct wd_queue q, q2;
	uint8_t heap[64], out[64];
	struct wd_msg m;
	uint8_t *ss;

	wdd_sysfs(devs, 1, 1);
	wdd_install(&c);
	ok_errno(request(&q, NULL), 0, "%s: request", what);
	ok(q.dev_flags & flags, "%s: dev_flags report it", what);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = heap, .src_len = 64, .dst = out, .dst_len = 64 };
	ok_errno(wd_send(&q, &m), -EFAULT, "%s: ordinary buffers before reserving -> -EFAULT", what);
	errno = 0;
	ok(!wd_reserve_memory(&q, 1 << 20) && errno == ENOMEM, "%s: 1 MiB > 64 KiB region -> NULL, ENOMEM", what);
	ok(strstr(q.errmsg, "holds 65536"), "%s: message gives the size: %s", what, q.errmsg);
	ss = wd_reserve_memory(&q, 8192);
	ok(ss != NULL, "%s: reserve 8 KiB", what);
	ok(wd_reserve_memory(&q, 100) == ss, "%s: reserving again returns the same region", what);
	memset(ss, 0x3c, 4096);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss, .src_len = 4096, .dst = ss + 4096, .dst_len = 4096 };
	ok_errno(run1(&q, &m), 0, "%s: memcpy inside the region", what);
	ok(ss[4096] == 0x3c && ss[8191] == 0x3c && m.out_len == 4096, "%s: data arrived", what);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss, .src_len = 64, .dst = out, .dst_len = 64 };
	ok_errno(wd_send(&q, &m), -EFAULT, "%s: dst outside the region -> -EFAULT", what);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss + 65536 - 8, .src_len = 16, .dst = ss, .dst_len = 16 };
	ok_errno(wd_send(&q, &m), -EFAULT, "%s: src straddling the end -> -EFAULT", what);

	ok_errno(request(&q2, NULL), 0, "%s: second queue", what);
	ok_errno(wd_share_reserved_memory(&q, &q2), 0, "%s: share q's region with q2", what);
	memset(ss, 0x77, 128);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss, .src_len = 128, .dst = ss + 1024, .dst_len = 128 };
	ok_errno(run1(&q2, &m), 0, "%s: q2 works on q's region", what);
	ok(ss[1024] == 0x77 && ss[1151] == 0x77, "%s: data arrived through q2", what);
	errno = 0;
	ok(!wd_reserve_memory(&q2, 16) && errno == EBUSY, "%s: q2 cannot reserve its own on top -> EBUSY", what);
	ok_errno(wd_share_reserved_memory(&q, &q2), -EBUSY, "%s: sharing twice -> -EBUSY", what);
	wd_release_queue(&q2);
	ok_errno(request(&q2, NULL), 0, "%s: third queue", what);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = heap, .src_len = 64, .dst = out, .dst_len = 64 };
	wd_send(&q2, &m);	/* -EFAULT, but the queue has started */
	ok(wd_reserve_memory(&q2, 64) != NULL, "%s: a started queue can still reserve its own", what);
	ok_errno(wd_share_reserved_memory(&q, &q2), -EBUSY, "%s: sharing into a queue with its own region -> -EBUSY", what);
	wd_release_queue(&q2);
	ok_errno(request(&q2, NULL), 0, "%s: fourth queue", what);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss, .src_len = 64, .dst = ss + 64, .dst_len = 64 };
	ok_errno(run1(&q2, &m), -EFAULT, "%s: its own region not reserved: q's buffers -> -EFAULT", what);
	ok_errno(wd_share_reserved_memory(&q, &q2), -EBUSY, "%s: sharing after the first send -> -EBUSY", what);
	ok(strstr(q2.errmsg, "right after requesting"), "%s: message says when to share: %s", what, q2.errmsg);
	wd_release_queue(&q2);

	ok(wd_crc32c("123456789", 9) == 0xE3069283, "%s: wd_crc32c bounces through reserved memory", what);
	{
		static uint8_t big[128 * 1024];

		ok_errno(wd_crc32c(big, sizeof(big)), -EFBIG, "%s: helper input larger than the region -> -EFBIG", what);
	}
	wd_release_queue(&q);
	wdd_uninstall();
	wdd_sysfs_cleanup();
}

int main(void)
{
	scenario(WDSOFT_MODE_SS, UACCE_DEV_SS, "SS");
	scenario(WDSOFT_MODE_NOIOMMU, UACCE_DEV_NOIOMMU, "NOIOMMU");
	return exit_status();
}
