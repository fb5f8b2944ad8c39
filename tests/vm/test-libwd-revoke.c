// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Revoke and removal through libwd on the real device: UACCE_CMD_REVOKE on
 * the queue fd (as the broker or an admin would) with requests in flight
 * and a thread asleep in wd_recv_sync: every call returns -ENODEV, nothing
 * faults, the instance goes back; then rmmod wdsoft under a live queue:
 * the same, and release afterwards is clean.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>

#include "vm/test-libwd-vm.h"

static void *sleeper(void *arg)
{
	void *done;

	return (void *)(long)wd_recv_sync(arg, &done);
}

int main(void)
{
	static uint8_t big[8 << 20], out[8 << 20];
	struct wd_msg m[4];
	struct wd_queue q;
	long avail0;
	pthread_t t;
	void *ret, *done;

	lw_setup("num_devices=1 queues=4");
	avail0 = lw_avail_total();

	ok_errno(lw_request(&q, "deflate", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request");
	for (int i = 0; i < 4; i++)
		m[i] = (struct wd_msg){ .op = WD_OP_DEFLATE, .flags = WD_MSG_LEVEL(9), .src = big,
					.src_len = sizeof(big), .dst = out, .dst_len = sizeof(out) };
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761U >> 13);
	for (int i = 0; i < 4; i++)
		wd_send(&q, &m[i]);
	pthread_create(&t, NULL, sleeper, &q);
	usleep(20000);
	ok(ioctl(wd_queue_fd(&q), UACCE_CMD_REVOKE) == 0, "revoke the queue mid-request");
	pthread_join(t, &ret);
	ok((long)ret == -ENODEV || (long)ret == 1, "the sleeping wd_recv_sync returns (%ld)", (long)ret);
	ok_errno(wd_send(&q, &m[0]), -ENODEV, "send -> -ENODEV");
	ok_errno(wd_recv(&q, &done), -ENODEV, "recv -> -ENODEV");
	ok_errno(wd_recv_sync(&q, &done), -ENODEV, "recv_sync -> -ENODEV");
	ok_errno(wd_queue_arm(&q), -ENODEV, "arm -> -ENODEV");
	is(lw_avail_total(), avail0, "the instance went back at revoke");
	wd_release_queue(&q);
	is(lw_avail_total(), avail0, "release after revoke is clean");

	ok_errno(lw_request(&q, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request again");
	m[0] = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = big, .src_len = 64, .dst = out, .dst_len = 64 };
	ok(wd_send(&q, &m[0]) == 0 && wd_recv_sync(&q, &done) == 1, "it works");
	is(vm_system("rmmod wdsoft"), 0, "rmmod wdsoft under a live queue");
	ok_errno(wd_send(&q, &m[0]), -ENODEV, "send after removal -> -ENODEV");
	ok_errno(wd_recv(&q, &done), -ENODEV, "recv after removal -> -ENODEV");
	wd_flush(&q);
	wd_release_queue(&q);
	ok(1, "flush and release after removal are harmless");
	ok_errno(lw_request(&q, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT), -ENODEV, "no device left -> -ENODEV");
	ok(strstr(q.errmsg, "modprobe") != NULL, "message says to load a driver: %s", q.errmsg);
	vm_unload_modules();
	return exit_status();
}
