// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every op through libwd on the real wdsoft device, sync and async at queue
 * depths 1..256, checked against zlib, OpenSSL and a software crc32c; device
 * deflate is read by zlib and zlib deflate by the device, at sizes from 0 to
 * 1 MiB; a corrupt stream gives -EBADMSG; available_instances is restored.
 */
#include <openssl/sha.h>
#include <zlib.h>

#include "vm/test-libwd-vm.h"

static void fill(uint8_t *p, size_t n, bool random)
{
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = random ? (uint8_t)(x >> 16) : (uint8_t)("accelerate "[i % 11]);
	}
}

static void sync_ops(struct wd_queue *q)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 65536, 1 << 20 };
	size_t cap = (1 << 20) + (1 << 17);
	uint8_t *src = malloc(cap), *dst = malloc(cap), *back = malloc(cap);
	uint8_t dig[32], ref[32];

	for (int rnd = 0; rnd < 2; rnd++) {
		fill(src, 1 << 20, rnd);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			const char *kind = rnd ? "random" : "text";
			struct wd_msg m;
			uLongf zl;
			bool good;

			m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src, .src_len = n, .dst = dst, .dst_len = cap };
			good = lw_run(q, &m) == 0 && m.out_len == n && !memcmp(src, dst, n);
			ok(good, "memcpy %zu %s", n, kind);

			m = (struct wd_msg){ .op = WD_OP_CRC32C, .src = src, .src_len = n, .dst = dig, .dst_len = 4 };
			good = lw_run(q, &m) == 0 &&
			       (dig[0] | dig[1] << 8 | dig[2] << 16 | (uint32_t)dig[3] << 24) == vm_crc32c(src, n);
			ok(good, "crc32c %zu %s", n, kind);

			m = (struct wd_msg){ .op = WD_OP_SHA256, .src = src, .src_len = n, .dst = dig, .dst_len = 32 };
			SHA256(src, n, ref);
			ok(lw_run(q, &m) == 0 && !memcmp(dig, ref, 32), "sha256 %zu %s = OpenSSL", n, kind);

			m = (struct wd_msg){ .op = WD_OP_DEFLATE, .flags = WD_MSG_ZLIB, .src = src, .src_len = n,
					     .dst = dst, .dst_len = cap };
			zl = cap;
			good = lw_run(q, &m) == 0 && uncompress(back, &zl, dst, m.out_len) == Z_OK &&
			       zl == n && !memcmp(back, src, n);
			ok(good, "device deflate %zu %s -> zlib uncompress", n, kind);

			zl = cap;
			compress2(dst, &zl, src, n, 6);
			m = (struct wd_msg){ .op = WD_OP_INFLATE, .flags = WD_MSG_ZLIB, .src = dst, .src_len = zl,
					     .dst = back, .dst_len = cap };
			good = lw_run(q, &m) == 0 && m.out_len == n && !memcmp(back, src, n);
			ok(good, "zlib compress2 %zu %s -> device inflate", n, kind);
		}
	}
	/* raw deflate both ways */
	{
		struct wd_msg m = { .op = WD_OP_DEFLATE, .flags = WD_MSG_LEVEL(9), .src = src,
				    .src_len = 65536, .dst = dst, .dst_len = cap };
		z_stream z = { 0 };
		bool good = lw_run(q, &m) == 0;

		inflateInit2(&z, -15);
		z.next_in = dst;
		z.avail_in = (uInt)m.out_len;
		z.next_out = back;
		z.avail_out = (uInt)cap;
		good = good && inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == 65536 &&
		       !memcmp(back, src, 65536);
		inflateEnd(&z);
		ok(good, "raw deflate level 9 -> zlib raw inflate");
		m = (struct wd_msg){ .op = WD_OP_INFLATE, .src = src, .src_len = 1000, .dst = back, .dst_len = cap };
		ok_errno(lw_run(q, &m), -EBADMSG, "corrupt stream -> -EBADMSG");
		m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src, .src_len = 4096, .dst = back, .dst_len = 100 };
		ok_errno(lw_run(q, &m), -ENOSPC, "memcpy into a short dst -> -ENOSPC");
	}
	free(src);
	free(dst);
	free(back);
}

/* Depth d: d requests in flight (sent as a batch), completions by cookie. */
static void async_depths(struct wd_queue *q)
{
	enum { MAXD = 256, LEN = 1024 };
	static uint8_t src[MAXD][LEN], dst[MAXD][LEN];
	static uint8_t dig[MAXD][32];
	static struct wd_msg msgs[MAXD];
	struct wd_msg *batch[MAXD], *got[MAXD];
	const uint32_t ops[] = { WD_OP_MEMCPY, WD_OP_CRC32C, WD_OP_SHA256 };

	for (int i = 0; i < MAXD; i++)
		fill(src[i], LEN, true), src[i][0] = (uint8_t)i;
	for (int depth = 1; depth <= MAXD; depth *= 2) {
		bool good = true;
		int sent = 0, recvd = 0, r;
		uint8_t seen[MAXD] = { 0 };

		for (int i = 0; i < depth; i++) {
			uint32_t op = ops[i % 3];

			msgs[i] = (struct wd_msg){ .op = op, .src = src[i], .src_len = LEN,
						   .dst = op == WD_OP_MEMCPY ? (void *)dst[i] : (void *)dig[i],
						   .dst_len = op == WD_OP_MEMCPY ? LEN : 32,
						   .cookie = (void *)(uintptr_t)(i + 1) };
			batch[i] = &msgs[i];
		}
		while (sent < depth) {
			r = wd_send_batch(q, batch + sent, depth - sent);
			if (r < 0)
				break;
			sent += r;
		}
		while (recvd < sent) {
			void *one;

			r = wd_recv_batch(q, got, MAXD);
			if (r == 0) {
				r = wd_recv_sync(q, &one);
				if (r != 1)
					break;
				got[0] = one;
				r = 1;
			}
			if (r < 0)
				break;
			for (int k = 0; k < r; k++) {
				uintptr_t c = (uintptr_t)got[k]->cookie;

				if (c < 1 || c > (uintptr_t)depth || seen[c - 1]++ || got[k]->status)
					good = false;
			}
			recvd += r;
		}
		for (int i = 0; i < depth && good; i++) {
			uint8_t ref[32];

			if (msgs[i].op == WD_OP_MEMCPY)
				good = !memcmp(dst[i], src[i], LEN);
			else if (msgs[i].op == WD_OP_SHA256)
				good = (SHA256(src[i], LEN, ref), !memcmp(ref, dig[i], 32));
			else
				good = (dig[i][0] | dig[i][1] << 8 | dig[i][2] << 16 |
					(uint32_t)dig[i][3] << 24) == vm_crc32c(src[i], LEN);
		}
		ok(sent == depth && recvd == depth && good,
		   "async depth %d: %d sent, %d completed by cookie, results right", depth, sent, recvd);
	}
	is(wd_inflight(q), 0, "nothing left in flight");
}

int main(void)
{
	struct wd_queue q;
	long avail0;

	lw_setup("num_devices=1 ring_depth=256");
	avail0 = lw_avail_total();
	ok_errno(lw_request(&q, "deflate", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request: %s", q.errmsg);
	if (!q.priv)
		bail_out("no queue: %s", q.errmsg);
	is_str(q.api, "wdsoft_v1", "api wdsoft_v1");
	is(lw_avail_total(), avail0 - 1, "one instance taken");
	sync_ops(&q);
	async_depths(&q);
	wd_release_queue(&q);
	is(lw_avail_total(), avail0, "available_instances restored");
	vm_unload_modules();
	return exit_status();
}
