// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One-call helpers: wd_crc32c (standard vectors), wd_sha256 (OpenSSL),
 * wd_compress/wd_decompress (round trip, zlib interop, errors); one cached
 * queue per thread, reused across ops the device offers, released when the
 * thread exits.
 */
#include <pthread.h>

#include <openssl/sha.h>
#include <zlib.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static void *worker(void *arg)
{
	long bad = 0;

	for (int i = 0; i < 100; i++)
		bad += wd_crc32c("123456789", 9) != 0xE3069283;
	return (void *)bad;
}

int main(void)
{
	static uint8_t src[100000], z[120000], back[100000];
	uint8_t d[32], ref[32];
	ssize_t n, m;
	uLongf blen;
	pthread_t t[4];
	void *ret;
	long bad = 0;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)("warpdrive "[i % 10] + (i / 1000));
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	is(wd_crc32c("123456789", 9), 0xE3069283, "crc32c(\"123456789\") = 0xE3069283");
	is(wd_crc32c("", 0), 0, "crc32c of nothing = 0");
	is(wd_crc32c(NULL, 0), 0, "crc32c(NULL, 0) = 0");
	ok_errno(wd_crc32c(NULL, 5), -EINVAL, "crc32c(NULL, 5) -> -EINVAL");
	is(wdd_stats().opens, 1, "one queue opened for the thread");

	ok_errno(wd_sha256("abc", 3, d), 0, "sha256(\"abc\")");
	SHA256((const uint8_t *)"abc", 3, ref);
	ok(!memcmp(d, ref, 32), "matches OpenSSL");
	ok_errno(wd_sha256(src, sizeof(src), d), 0, "sha256 of 100 kB");
	SHA256(src, sizeof(src), ref);
	ok(!memcmp(d, ref, 32), "matches OpenSSL");
	ok_errno(wd_sha256("abc", 3, NULL), -EINVAL, "sha256 NULL digest -> -EINVAL");
	is(wdd_stats().opens, 1, "sha256 reused the crc32c queue (same device offers both)");

	n = wd_compress(src, sizeof(src), z, sizeof(z), 0);
	ok(n > 0 && n < (ssize_t)sizeof(src), "raw deflate: %zd bytes", n);
	m = wd_decompress(z, (size_t)n, back, sizeof(back), 0);
	ok(m == (ssize_t)sizeof(src) && !memcmp(back, src, sizeof(src)), "round trip");
	n = wd_compress(src, sizeof(src), z, sizeof(z), WD_MSG_ZLIB | WD_MSG_LEVEL(1));
	blen = sizeof(back);
	ok(n > 0 && uncompress(back, &blen, z, (uLong)n) == Z_OK && blen == sizeof(src),
	   "zlib-wrapped, level 1: zlib's uncompress reads it");
	blen = sizeof(z);
	compress2(z, &blen, src, sizeof(src), 9);
	m = wd_decompress(z, blen, back, sizeof(back), WD_MSG_ZLIB);
	ok(m == (ssize_t)sizeof(src) && !memcmp(back, src, sizeof(src)), "decompress a zlib compress2 stream");
	ok_errno(wd_decompress(z, blen, back, 100, WD_MSG_ZLIB), -ENOSPC, "output too small -> -ENOSPC");
	ok_errno(wd_decompress(src, 1000, back, sizeof(back), 0), -EBADMSG, "corrupt stream -> -EBADMSG");
	ok_errno(wd_compress(src, sizeof(src), z, 10, 0), -ENOSPC, "compress into 10 bytes -> -ENOSPC");
	ok_errno(wd_compress(src, 10, z, 100, 1U << 30), -EINVAL, "unknown flag -> -EINVAL");
	ok_errno(wd_compress(NULL, 10, z, 100, 0), -EINVAL, "NULL src -> -EINVAL");

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		bad += (long)ret;
	}
	is(bad, 0, "4 threads x 100 helper calls");
	is(wdd_stats().live, 1, "thread exit released their queues (only main's left)");

	wdd_uninstall();
	{
		const struct wdd_dev none[] = { { .name = "wdsoft-0", .avail = 1, .algs = "memcpy" } };

		/* a fresh thread, and no device offers crc32c */
		wdd_sysfs(none, 1, 1);
		wdd_install(NULL);
		pthread_create(&t[0], NULL, (void *(*)(void *))worker, NULL);
		pthread_join(t[0], &ret);
		is((long)ret, 100, "no device offers crc32c: every helper call fails, none crashes");
	}
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
