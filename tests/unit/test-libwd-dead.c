// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A revoked or removed queue (every region reads zero, the fd hangs up)
 * fails every libwd call with -ENODEV and never faults: with requests in
 * flight, with a thread asleep in wd_recv_sync, and for many queues at
 * once. Release still frees everything, and the helpers replace a dead
 * cached queue by themselves.
 */
#include <pthread.h>
#include <unistd.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static int request(struct wd_queue *q)
{
	*q = (struct wd_queue){ .alg = "memcpy", .flags = WD_QUEUE_DIRECT };
	return wd_request_queue(q);
}

static void *sleeper(void *arg)
{
	struct wd_queue *q = arg;
	void *done;

	return (void *)(long)wd_recv_sync(q, &done);
}

int main(void)
{
	struct wd_queue q, qs[4];
	uint8_t a[16] = { 0 }, b[16];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = 16, .dst = b, .dst_len = 16 };
	struct wd_msg *mp[1] = { &m };
	void *done;
	pthread_t t;
	void *ret;

	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	ok_errno(request(&q), 0, "request");
	wdd_stall(true);
	ok_errno(wd_send(&q, &m), 0, "one request in flight");
	wdd_revoke_fd(wd_queue_fd(&q));
	ok_errno(wd_send(&q, &m), -ENODEV, "send on a revoked queue -> -ENODEV");
	ok_errno(wd_recv(&q, &done), -ENODEV, "recv -> -ENODEV");
	ok_errno(wd_recv_sync(&q, &done), -ENODEV, "recv_sync -> -ENODEV");
	ok_errno(wd_send_batch(&q, mp, 1), -ENODEV, "send_batch -> -ENODEV");
	ok_errno(wd_recv_batch(&q, mp, 1), -ENODEV, "recv_batch -> -ENODEV");
	ok_errno(wd_queue_arm(&q), -ENODEV, "queue_arm -> -ENODEV");
	ok_errno(wd_queue_fd(&q), -ENODEV, "queue_fd -> -ENODEV");
	errno = 0;
	ok(wd_reserve_memory(&q, 16) == NULL && errno == ENODEV, "reserve_memory -> NULL, ENODEV");
	ok(strstr(q.errmsg, "request a new one"), "with advice: %s", q.errmsg);
	wd_flush(&q);
	ok(1, "flush on a dead queue is harmless");
	wd_release_queue(&q);
	is(wdd_stats().live, 0, "release of a dead queue closes it");
	wdd_stall(false);

	/* Dead while a thread sleeps in poll. */
	ok_errno(request(&q), 0, "request");
	wdd_stall(true);
	ok_errno(wd_send(&q, &m), 0, "a request that will never complete");
	pthread_create(&t, NULL, sleeper, &q);
	usleep(100 * 1000);
	wdd_revoke_fd(wd_queue_fd(&q));
	pthread_join(t, &ret);
	ok_errno((long)ret, -ENODEV, "wd_recv_sync asleep in poll wakes with -ENODEV");
	wd_release_queue(&q);
	wdd_stall(false);

	/* Magic gone but no hang-up yet: the ring check alone catches it. */
	ok_errno(request(&q), 0, "request");
	((struct wdsoft_mmio_view { uint32_t magic; } *)q.priv->region[UACCE_QFRT_MMIO])->magic = 0;
	ok_errno(wd_send(&q, &m), -ENODEV, "cleared magic -> send -ENODEV");
	ok_errno(wd_recv(&q, &done), -ENODEV, "cleared magic -> recv -ENODEV");
	wd_release_queue(&q);

	/* Device removal: all queues at once. */
	for (int i = 0; i < 4; i++)
		ok_errno(request(&qs[i]), 0, "queue %d", i);
	wdd_revoke_all();
	{
		int n = 0;

		for (int i = 0; i < 4; i++)
			n += wd_send(&qs[i], &m) == -ENODEV;
		is(n, 4, "after removal every queue fails with -ENODEV");
	}
	for (int i = 0; i < 4; i++)
		wd_release_queue(&qs[i]);

	/* Helpers recover from a dead cached queue. */
	ok(wd_crc32c("123456789", 9) == 0xE3069283, "helper works");
	wdd_revoke_all();
	ok(wd_crc32c("123456789", 9) == 0xE3069283, "helper works again after its queue died");
	is(wdd_stats().live, 1, "the dead queue was released, one live");

	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
