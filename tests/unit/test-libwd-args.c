// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwd argument validation: every call with NULL, unrequested or malformed
 * arguments fails with the documented errno and a message, never a crash;
 * ops the device does not offer give -EOPNOTSUPP; wd_strerror() answers
 * every errno libwd returns with advice.
 */
#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 4, .algs = "memcpy crc32c" },
};

int main(void)
{
	struct wd_queue q = { 0 }, z = { 0 };
	uint8_t buf[64], out[64];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = buf, .src_len = 8, .dst = out, .dst_len = 8 };
	struct wd_msg *mp[2] = { &m, &m };
	void *done;

	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	/* wd_request_queue */
	ok_errno(wd_request_queue(NULL), -EINVAL, "request(NULL) -> -EINVAL");
	q = (struct wd_queue){ .alg = "memcpy", .flags = 0x80 };
	ok_errno(wd_request_queue(&q), -EINVAL, "unknown queue flag -> -EINVAL");
	ok(strstr(q.errmsg, "unknown flags"), "message names the problem: %s", q.errmsg);
	q = (struct wd_queue){ .alg = "md5" };
	ok_errno(wd_request_queue(&q), -EINVAL, "unknown algorithm -> -EINVAL");
	ok(strstr(wd_queue_errmsg(&q), "md5"), "message names the algorithm: %s", wd_queue_errmsg(&q));
	{	/* algorithm sets: each bad spelling -EINVAL with a sentence naming it */
		static const struct { const char *alg, *says, *what; } bad[] = {
			{ "", "empty", "an empty set" },
			{ "memcpy,,crc32c", "empty name", "an empty name" },
			{ "crc32c,", "empty name", "a trailing comma" },
			{ "memcpy,crc32c,memcpy", "memcpy is named twice", "a name twice" },
			{ "memcpy,md5", "unknown algorithm \"md5\"", "an unknown name" },
			{ "memcpy,CRC32C", "unknown algorithm \"CRC32C\"", "a name in capitals" },
			{ "memcpy, crc32c", "\" crc32c\" is not an algorithm name", "a blank" },
		};
		char longset[300];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			q = (struct wd_queue){ .alg = bad[i].alg };
			ok(wd_request_queue(&q) == -EINVAL && strstr(q.errmsg, bad[i].says),
			   "set with %s -> -EINVAL: %s", bad[i].what, q.errmsg);
		}
		memset(longset, 0, sizeof(longset));
		for (int i = 0; strlen(longset) < 270; i++)	/* ends below 300 */
			strcat(longset, i % 2 ? "memcpy," : "crc32c,");
		strcat(longset, "sha256");
		q = (struct wd_queue){ .alg = longset };
		ok(wd_request_queue(&q) == -EINVAL && strstr(q.errmsg, "longer than 255"),
		   "a set of %zu characters -> -EINVAL: %s", strlen(longset), q.errmsg);
		q = (struct wd_queue){ .alg = "crc32c,memcpy", .flags = WD_QUEUE_DIRECT };
		ok_errno(wd_request_queue(&q), 0, "a well-spelled set, direct mode");
		wd_release_queue(&q);
	}
	q = (struct wd_queue){ .alg = "memcpy", .node = -7 };
	ok_errno(wd_request_queue(&q), -EINVAL, "node -7 -> -EINVAL");
	q = (struct wd_queue){ .alg = "memcpy", .dev = "" };
	ok_errno(wd_request_queue(&q), -EINVAL, "empty device name -> -EINVAL");
	q = (struct wd_queue){ .alg = "memcpy", .flags = WD_QUEUE_DIRECT | WD_QUEUE_NO_FALLBACK };
	ok_errno(wd_request_queue(&q), -EINVAL, "DIRECT with NO_FALLBACK -> -EINVAL");
	ok(q.priv == NULL, "failed request leaves no state");

	/* calls on a queue never requested */
	ok_errno(wd_send(&z, &m), -EINVAL, "send on an unrequested queue -> -EINVAL");
	ok_errno(wd_send(NULL, &m), -EINVAL, "send(NULL queue) -> -EINVAL");
	ok_errno(wd_recv(&z, &done), -EINVAL, "recv on an unrequested queue -> -EINVAL");
	ok_errno(wd_recv_sync(&z, &done), -EINVAL, "recv_sync on an unrequested queue -> -EINVAL");
	ok_errno(wd_send_batch(&z, mp, 2), -EINVAL, "send_batch on an unrequested queue -> -EINVAL");
	ok_errno(wd_recv_batch(&z, mp, 2), -EINVAL, "recv_batch on an unrequested queue -> -EINVAL");
	ok_errno(wd_inflight(&z), -EINVAL, "inflight on an unrequested queue -> -EINVAL");
	ok_errno(wd_queue_fd(&z), -EINVAL, "queue_fd on an unrequested queue -> -EINVAL");
	ok_errno(wd_queue_arm(&z), -EINVAL, "queue_arm on an unrequested queue -> -EINVAL");
	errno = 0;
	ok(wd_reserve_memory(&z, 10) == NULL && errno == EINVAL, "reserve_memory on an unrequested queue -> NULL, EINVAL");
	ok_errno(wd_share_reserved_memory(&z, &q), -EINVAL, "share between unrequested queues -> -EINVAL");
	wd_flush(&z);
	wd_flush(NULL);
	wd_release_queue(&z);
	wd_release_queue(NULL);
	ok(1, "flush and release on unrequested/NULL queues are harmless");

	/* messages */
	q = (struct wd_queue){ .alg = "memcpy", .flags = WD_QUEUE_DIRECT };
	ok_errno(wd_request_queue(&q), 0, "request a memcpy queue");
	ok_errno(wd_request_queue(&q), -EBUSY, "requesting it again -> -EBUSY");
	ok(strstr(q.errmsg, "already requested"), "message says so: %s", q.errmsg);
	ok_errno(wd_send(&q, NULL), -EINVAL, "send(NULL msg) -> -EINVAL");
	m.op = 0;
	ok_errno(wd_send(&q, &m), -EINVAL, "op 0 -> -EINVAL");
	m.op = 99;
	ok_errno(wd_send(&q, &m), -EINVAL, "op 99 -> -EINVAL");
	m.op = WD_OP_MEMCPY;
	m.flags = 1U << 20;
	ok_errno(wd_send(&q, &m), -EINVAL, "unknown msg flag -> -EINVAL");
	m.flags = 0;
	m.src = NULL;
	ok_errno(wd_send(&q, &m), -EINVAL, "NULL src with a length -> -EINVAL");
	m.src = buf;
	m.dst = NULL;
	ok_errno(wd_send(&q, &m), -EINVAL, "NULL dst with a length -> -EINVAL");
	m.dst = out;
	m.op = WD_OP_CRC32C;
	m.dst_len = 3;
	ok_errno(wd_send(&q, &m), -EINVAL, "crc32c into 3 bytes -> -EINVAL");
	m.op = WD_OP_SHA256;
	m.dst_len = 31;
	ok_errno(wd_send(&q, &m), -EOPNOTSUPP, "sha256 on a device without it -> -EOPNOTSUPP");
	m.op = WD_OP_DEFLATE;
	m.dst_len = 64;
	ok_errno(wd_send(&q, &m), -EOPNOTSUPP, "deflate on a device without it -> -EOPNOTSUPP");
	is(wd_inflight(&q), 0, "no rejected message is in flight");
	ok_errno(wd_recv(&q, NULL), -EINVAL, "recv(NULL out) -> -EINVAL");
	ok_errno(wd_recv_sync(&q, NULL), -EINVAL, "recv_sync(NULL out) -> -EINVAL");
	ok_errno(wd_send_batch(&q, NULL, 2), -EINVAL, "send_batch(NULL array) -> -EINVAL");
	ok_errno(wd_send_batch(&q, mp, -1), -EINVAL, "send_batch(-1) -> -EINVAL");
	is(wd_send_batch(&q, mp, 0), 0, "send_batch(0) -> 0");
	ok_errno(wd_recv_batch(&q, NULL, 1), -EINVAL, "recv_batch(NULL array) -> -EINVAL");
	errno = 0;
	ok(wd_reserve_memory(&q, 4096) == NULL && errno == EOPNOTSUPP,
	   "reserve_memory on an SVA device -> NULL, EOPNOTSUPP");
	ok(strstr(q.errmsg, "SVA"), "and says why: %s", q.errmsg);
	ok_errno(wd_share_reserved_memory(&q, NULL), -EINVAL, "share with NULL target -> -EINVAL");
	ok_errno(wd_share_reserved_memory(&q, &q), -EINVAL, "share with itself -> -EINVAL");
	wd_release_queue(&q);
	wd_release_queue(&q);
	ok(q.priv == NULL, "double release is harmless");

	/* wd_strerror */
	{
		static const int errs[] = { EINVAL, ENODEV, EBUSY, EAGAIN, EACCES, EDQUOT,
					    EPROTONOSUPPORT, EPROTO, EBADMSG, ENOSPC,
					    EOPNOTSUPP, EFAULT, ENOMEM, ECONNREFUSED, EIO, EXDEV };
		bool all = true;

		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			const char *s = wd_strerror(-errs[i]);

			if (!s || !strstr(s, ":") || !strcmp(s, wd_strerror(-12345)))
				all = false;
		}
		ok(all, "wd_strerror explains every errno libwd returns, with advice");
		is_str(wd_strerror(0), "success", "wd_strerror(0)");
		ok(wd_strerror(-12345) != NULL, "unknown errno still gives a string");
		ok(!strcmp(wd_strerror(EBUSY), wd_strerror(-EBUSY)), "sign does not matter");
		is_str(wd_queue_errmsg(NULL), "no queue given", "wd_queue_errmsg(NULL)");
	}

	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
