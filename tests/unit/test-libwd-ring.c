// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwd's ring code and wdsoft_v1 user driver against the user-space device
 * double: every op with reference results, ring full, index wrap-around,
 * batches with out-of-order cookies, park -> NEED_WAKEUP -> doorbell, the
 * poll(2) sleep of wd_recv_sync, wd_queue_fd/wd_queue_arm, completion
 * errors, and a completion with a cookie libwd never issued.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <zlib.h>

#include "common/libwd-run.h"
#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev dev0[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static int request(struct wd_queue *q, const char *alg)
{
	memset(q, 0, sizeof(*q));
	q->alg = alg;
	q->node = WD_NODE_ANY;
	q->flags = WD_QUEUE_DIRECT;
	return wd_request_queue(q);
}

static void test_ops(void)
{
	static uint8_t src[70000], dst[140000], back[70000];
	uint8_t ref[32], out[32];
	struct wd_queue q;
	struct wd_msg m;
	uLongf zlen;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)((i * 7) ^ (i >> 5));
	ok_errno(request(&q, "memcpy"), 0, "direct request on the double");
	is_str(q.dev_name, "wdsoft-0", "device name filled in");
	is_str(q.api, "wdsoft_v1", "api filled in");

	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src, .src_len = sizeof(src),
			     .dst = dst, .dst_len = sizeof(dst), .cookie = &q };
	ok_errno(lw_run(&q, &m), 0, "memcpy completes");
	ok(m.out_len == sizeof(src) && !memcmp(src, dst, sizeof(src)), "memcpy copied %zu bytes", m.out_len);
	ok(m.cookie == &q, "cookie returned unchanged");

	/* RFC 3720 / iSCSI test vector: 32 bytes of zero -> 0x8a9136aa */
	memset(back, 0, 32);
	m = (struct wd_msg){ .op = WD_OP_CRC32C, .src = back, .src_len = 32,
			     .dst = out, .dst_len = 4 };
	ok_errno(lw_run(&q, &m), 0, "crc32c completes");
	is(out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24, 0x8a9136aa,
	   "crc32c of 32 zero bytes, little-endian in dst");

	m = (struct wd_msg){ .op = WD_OP_SHA256, .src = src, .src_len = 4095,
			     .dst = out, .dst_len = 32 };
	SHA256(src, 4095, ref);
	ok_errno(lw_run(&q, &m), 0, "sha256 completes");
	ok(!memcmp(out, ref, 32) && m.out_len == 32, "sha256 matches OpenSSL");

	m = (struct wd_msg){ .op = WD_OP_DEFLATE, .flags = WD_MSG_ZLIB | WD_MSG_LEVEL(9),
			     .src = src, .src_len = sizeof(src), .dst = dst, .dst_len = sizeof(dst) };
	ok_errno(lw_run(&q, &m), 0, "deflate (zlib wrapper, level 9) completes");
	zlen = sizeof(back);
	ok(uncompress(back, &zlen, dst, m.out_len) == Z_OK && zlen == sizeof(src) &&
	   !memcmp(back, src, sizeof(src)), "zlib's uncompress() reads the device stream");

	zlen = sizeof(dst);
	compress2(dst, &zlen, src, sizeof(src), 6);
	m = (struct wd_msg){ .op = WD_OP_INFLATE, .flags = WD_MSG_ZLIB, .src = dst,
			     .src_len = zlen, .dst = back, .dst_len = sizeof(back) };
	memset(back, 0, sizeof(back));
	ok_errno(lw_run(&q, &m), 0, "inflate of a zlib compress2() stream");
	ok(m.out_len == sizeof(src) && !memcmp(back, src, sizeof(src)), "inflate restored the data");

	m = (struct wd_msg){ .op = WD_OP_INFLATE, .src = src, .src_len = 100,
			     .dst = back, .dst_len = sizeof(back) };
	ok_errno(lw_run(&q, &m), -EBADMSG, "corrupt raw deflate stream -> status -EBADMSG");
	is(m.out_len, 0, "no output length on error");
	m = (struct wd_msg){ .op = WD_OP_DEFLATE, .src = src, .src_len = sizeof(src),
			     .dst = dst, .dst_len = 10 };
	ok_errno(lw_run(&q, &m), -ENOSPC, "deflate into 10 bytes -> status -ENOSPC");

	wdd_fail_next(1);
	m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src, .src_len = 8, .dst = dst, .dst_len = 8 };
	ok_errno(lw_run(&q, &m), -EIO, "device error -> status -EIO");
	wdd_fail_next_status(1, -EPERM);
	ok_errno(lw_run(&q, &m), -EACCES, "algorithm not permitted on the queue (device -EPERM) -> status -EACCES");
	ok(strstr(wd_strerror(-EACCES), "not permitted"), "wd_strerror says so: %s", wd_strerror(-EACCES));
	wdd_fail_next_status(1, 4096);
	ok_errno(lw_run(&q, &m), -EIO, "a status that is no errno -> -EIO");

	wd_release_queue(&q);
	ok(q.priv == NULL, "release clears the queue");
}

static void test_ring(void)
{
	struct wd_msg msgs[64], *batch[64], *got[64];
	uint8_t buf[64][8], out[64][8];
	struct wd_queue q;
	unsigned int seen = 0;
	void *done;
	int r, n, total = 0;

	ok_errno(request(&q, "memcpy"), 0, "queue for the ring tests");

	/* Ring full: 16 entries with the engine stalled. */
	wdd_stall(true);
	for (int i = 0; i < 17; i++) {
		msgs[i] = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = buf[i], .src_len = 8,
					   .dst = out[i], .dst_len = 8,
					   .cookie = (void *)(uintptr_t)i };
		memset(buf[i], i, 8);
	}
	for (n = 0; n < 16; n++)
		if (wd_send(&q, &msgs[n]))
			break;
	is(n, 16, "16 requests fit a 16-entry ring");
	ok_errno(wd_send(&q, &msgs[16]), -EBUSY, "the 17th gets -EBUSY");
	is(wd_inflight(&q), 16, "16 in flight");
	ok_errno(wd_recv(&q, &done), -EAGAIN, "nothing completes while the engine stalls");
	wdd_stall(false);
	for (n = 0; n < 16; n++) {
		r = wd_recv_sync(&q, &done);
		if (r != 1)
			break;
		seen |= 1U << (unsigned int)(uintptr_t)((struct wd_msg *)done)->cookie;
	}
	is(n, 16, "all 16 complete after the stall");
	is(seen, 0xffff, "each message came back once");
	ok(!memcmp(out[5], buf[5], 8), "data moved");
	ok_errno(wd_recv_sync(&q, &done), -EAGAIN, "wd_recv_sync with nothing in flight -> -EAGAIN");

	/* Wrap the free-running indices many times with batches. */
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 10; i++)
			batch[i] = &msgs[i];
		n = wd_send_batch(&q, batch, 10);
		if (n != 10)
			break;
		for (int got_n = 0; got_n < 10;) {
			r = wd_recv_batch(&q, got, 10 - got_n);
			if (r < 0)
				break;
			got_n += r;
			total += r;
		}
	}
	is(total, 2000, "200 batches of 10 across index wrap-around");
	wdd_stall(true);
	for (int i = 0; i < 20; i++)
		batch[i] = &msgs[i];
	is(wd_send_batch(&q, batch, 20), 16, "a batch of 20 queues 16, the ring size");
	ok_errno(wd_send_batch(&q, batch, 1), -EBUSY, "a batch on a full ring -> -EBUSY");
	wdd_stall(false);
	for (n = 0; n < 16; n++)
		if (wd_recv_sync(&q, &done) != 1)
			break;
	is(n, 16, "drained");

	/* Park, NEED_WAKEUP, doorbell. */
	ok(wdd_wait_parked(2000), "idle engine parks");
	{
		struct wdd_stats before = wdd_stats();

		ok_errno(wd_send(&q, &msgs[0]), 0, "send to a parked engine");
		ok_errno(wd_recv_sync(&q, &done), 1, "completes: the doorbell woke the engine");
		ok(wdd_stats().wakes == before.wakes + 1, "exactly one WDSOFT_CMD_WAKE (%u -> %u)",
		   before.wakes, wdd_stats().wakes);
	}

	/* wd_recv_sync sleeps in poll and is woken by the armed interrupt. */
	{
		struct wdd_stats before;

		wdd_delay_us(50000);
		before = wdd_stats();
		ok_errno(wd_send(&q, &msgs[1]), 0, "send a slow request");
		ok_errno(wd_recv_sync(&q, &done), 1, "wd_recv_sync returns it");
		ok(wdd_stats().irqs > before.irqs, "it slept and the engine raised an interrupt");
		wdd_delay_us(0);
	}

	/* epoll/poll users: fd + arm. */
	{
		struct pollfd pfd;

		is(wd_queue_fd(&q) >= 0, 1, "wd_queue_fd gives an fd");
		ok_errno(wd_queue_arm(&q), 0, "arm with nothing pending -> 0");
		wdd_delay_us(20000);
		ok_errno(wd_send(&q, &msgs[2]), 0, "send");
		pfd = (struct pollfd){ .fd = wd_queue_fd(&q), .events = POLLIN };
		ok(__wd_sys->poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "fd turns readable on completion");
		ok_errno(wd_queue_arm(&q), 1, "arm with a completion waiting -> 1");
		ok_errno(wd_recv(&q, &done), 1, "and wd_recv takes it");
		wdd_delay_us(0);
	}

	/* A completion libwd never issued. */
	wdd_bogus_cookie_next();
	ok_errno(wd_send(&q, &msgs[3]), 0, "send");
	do {
		r = wd_recv(&q, &done);
	} while (r == -EAGAIN);
	ok_errno(r, -EIO, "completion with an unknown cookie -> -EIO, no wild pointer");
	wd_release_queue(&q);
}

static void *thread_main(void *arg)
{
	struct wd_queue q;
	uint8_t a[32] = { 1 }, b[32];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = 32, .dst = b, .dst_len = 32 };
	long bad = 0;

	if (request(&q, "memcpy"))
		return (void *)1L;
	for (int i = 0; i < 500; i++)
		if (lw_run(&q, &m))
			bad++;
	wd_release_queue(&q);
	return (void *)bad;
}

#define SHARED_SENDS 300

/*
 * Either thread may receive either thread's message, so a message (and
 * its buffers) must outlive the thread that sent it and must not be sent
 * again while in flight: each send has its own slot here.
 */
struct shared {
	struct wd_queue *q;
	int done;
	struct shared_slot {
		struct wd_msg m;
		uint8_t a[8], b[8];
	} slot[2][SHARED_SENDS];
};

struct shared_arg {
	struct shared *s;
	int idx;
};

static void *shared_main(void *arg)
{
	struct shared_arg *sa = arg;
	struct shared *s = sa->s;
	void *got;

	for (int i = 0; i < SHARED_SENDS; i++) {
		struct shared_slot *sl = &s->slot[sa->idx][i];

		sl->m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = sl->a, .src_len = 8,
					 .dst = sl->b, .dst_len = 8 };
		int r;

		/* Yield while waiting: valgrind runs one thread at a time. */
		while ((r = wd_send(s->q, &sl->m)) == -EBUSY)
			sched_yield();
		if (r < 0)
			break;	/* s->done falls short: the test fails */
		while (wd_recv(s->q, &got) == -EAGAIN)
			sched_yield();
		__atomic_fetch_add(&s->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[3];
	void *ret;
	long bad = 0;
	struct wd_queue q;
	static struct shared s;
	struct shared_arg sa[2] = { { &s, 0 }, { &s, 1 } };

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, thread_main, NULL);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &ret);
		bad += (long)ret;
	}
	is(bad, 0, "three threads, a queue each, 500 requests each");

	ok_errno(request(&q, "memcpy"), 0, "one queue for two threads");
	s.q = &q;
	pthread_create(&t[0], NULL, shared_main, &sa[0]);
	pthread_create(&t[1], NULL, shared_main, &sa[1]);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	is(s.done, 600, "two threads share one queue safely");
	is(wd_inflight(&q), 0, "nothing left in flight");
	wd_release_queue(&q);
}

int main(void)
{
	wdd_sysfs(dev0, 1, 1);
	wdd_install(NULL);
	test_ops();
	test_ring();
	test_threads();
	is(wdd_stats().live, 0, "every queue closed");
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
