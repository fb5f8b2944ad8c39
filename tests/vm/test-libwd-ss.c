// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Static-shared mode on the real device (wdsoft modes=ss): libwd reports
 * the SS flag, wd_reserve_memory maps the region, requests on reserved
 * buffers work (addresses become region offsets), buffers outside are
 * refused with -EFAULT before reaching the device, a second queue works on
 * the first one's region after wd_share_reserved_memory, and the helpers
 * bounce through reserved memory. On an SVA device wd_reserve_memory says
 * it is not needed.
 */
#include <pthread.h>

#include <openssl/sha.h>

#include <misc/uacce/uacce.h>

#include "vm/test-libwd-vm.h"

static void *helper_thread(void *arg)
{
	uint8_t d[32], ref[32];

	SHA256((const uint8_t *)"abc", 3, ref);
	if (wd_crc32c("123456789", 9) != 0xE3069283 || wd_sha256("abc", 3, d) || memcmp(d, ref, 32))
		return (void *)1;
	return NULL;
}

int main(void)
{
	struct wd_queue q, q2;
	uint8_t heap[64], dig[32], ref[32];
	struct wd_msg m;
	uint8_t *ss;
	long avail0;

	lw_setup("num_devices=1 modes=ss ss_pages=64");
	avail0 = lw_avail_total();
	ok_errno(lw_request(&q, "sha256", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request on an ss device: %s", q.errmsg);
	ok(q.dev_flags & UACCE_DEV_SS, "dev_flags has UACCE_DEV_SS (0x%x)", q.dev_flags);
	m = (struct wd_msg){ .op = WD_OP_SHA256, .src = heap, .src_len = 64, .dst = dig, .dst_len = 32 };
	ok_errno(wd_send(&q, &m), -EFAULT, "heap buffers are refused before reserving");
	ss = wd_reserve_memory(&q, 65536);
	ok(ss != NULL, "reserve 64 KiB: %s", ss ? "ok" : q.errmsg);
	if (!ss)
		bail_out("no reserved memory");
	errno = 0;
	ok(!wd_reserve_memory(&q, 1 << 30) && errno == ENOMEM, "1 GiB -> NULL, ENOMEM: %s", q.errmsg);
	for (int i = 0; i < 4096; i++)
		ss[i] = (uint8_t)i;
	m = (struct wd_msg){ .op = WD_OP_SHA256, .src = ss, .src_len = 4096, .dst = ss + 8192, .dst_len = 32 };
	SHA256(ss, 4096, ref);
	ok(lw_run(&q, &m) == 0 && !memcmp(ss + 8192, ref, 32), "sha256 in reserved memory = OpenSSL");
	m.dst = dig;
	ok_errno(wd_send(&q, &m), -EFAULT, "dst outside the region -> -EFAULT");

	ok_errno(lw_request(&q2, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "second queue");
	ok_errno(wd_share_reserved_memory(&q, &q2), 0, "share q's region with q2: %s", q2.errmsg);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = ss, .src_len = 4096, .dst = ss + 16384, .dst_len = 4096 };
	ok(lw_run(&q2, &m) == 0 && !memcmp(ss, ss + 16384, 4096), "q2's device works on q's region");
	wd_release_queue(&q2);

	/* In a thread, so its cached queue is gone before the modules unload. */
	{
		pthread_t t;
		void *ret;

		pthread_create(&t, NULL, helper_thread, NULL);
		pthread_join(t, &ret);
		ok(ret == NULL, "wd_crc32c and wd_sha256 bounce through reserved memory");
	}
	wd_release_queue(&q);
	vm_unload_modules();

	lw_setup("num_devices=1 modes=sva");
	ok_errno(lw_request(&q, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request on an sva device");
	errno = 0;
	ok(!wd_reserve_memory(&q, 4096) && errno == EOPNOTSUPP, "reserve on SVA -> NULL, EOPNOTSUPP: %s", q.errmsg);
	wd_release_queue(&q);
	is(lw_avail_total(), avail0, "available_instances restored");
	vm_unload_modules();
	return exit_status();
}
