// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Streaming SHA-256/224 through libwd (WD_MSG_HASH_IN/OUT) against the
 * device double: pieces chained through struct wd_hash_state give OpenSSL's
 * digest; libwd refuses malformed streaming messages before the device sees
 * them; a device without WDSOFT_FEAT_HASH_STATE gets none (-EOPNOTSUPP); a
 * failed piece leaves the state as it was.
 */
#include <openssl/evp.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static int piece(struct wd_queue *q, const void *src, size_t len,
		 struct wd_hash_state *s, uint32_t flags)
{
	struct wd_msg m = { .op = WD_OP_SHA256, .flags = flags, .src = src,
			    .src_len = len, .dst = s, .dst_len = sizeof(*s) };
	void *done;
	int r = wd_send(q, &m);

	if (!r)
		r = wd_recv_sync(q, &done);
	return r < 0 ? r : m.status;
}

static bool stream_matches(struct wd_queue *q, const char *alg, const uint8_t *buf,
			   size_t len, size_t step)
{
	union { struct wd_hash_state s; uint8_t d[48]; } u;
	uint8_t ref[32];
	unsigned int n;
	size_t off = 0;

	wd_hash_state_init(&u.s, alg);
	while (len - off > step) {
		if (piece(q, buf + off, step, &u.s, WD_MSG_HASH_IN | WD_MSG_HASH_OUT))
			return false;
		off += step;
	}
	if (piece(q, buf + off, len - off, &u.s, WD_MSG_HASH_IN))
		return false;
	EVP_Digest(buf, len, ref, &n, !strcmp(alg, "sha224") ? EVP_sha224() : EVP_sha256(), NULL);
	return !memcmp(u.d, ref, n);
}

int main(void)
{
	static uint8_t buf[100000];
	struct wd_queue q = { .alg = "sha256", .node = WD_NODE_ANY, .flags = WD_QUEUE_DIRECT };
	struct wd_hash_state s, before;
	uint8_t small[32];
	struct wdd_config nofeat = { .features = WDD_NO_FEATURES };

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9));
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	ok_errno(wd_hash_state_init(&s, "sha256"), 0, "sha256 initial state");
	is(s.h[0], 0x6a09e667, "H0 of SHA-256");
	ok_errno(wd_hash_state_init(&s, "sha224"), 0, "sha224 initial state");
	is(s.h[0], 0xc1059ed8, "H0 of SHA-224");
	ok_errno(wd_hash_state_init(&s, "md5"), -EINVAL, "unknown algorithm -> -EINVAL");
	ok_errno(wd_hash_state_init(NULL, "sha256"), -EINVAL, "NULL state -> -EINVAL");

	ok_errno(wd_request_queue(&q), 0, "queue");
	ok(stream_matches(&q, "sha256", buf, sizeof(buf), 64), "sha256 in 64-byte pieces");
	ok(stream_matches(&q, "sha256", buf, sizeof(buf), 4096), "sha256 in 4 KiB pieces, odd tail");
	ok(stream_matches(&q, "sha256", buf, 0, 64), "sha256 of nothing, final piece only");
	ok(stream_matches(&q, "sha256", buf, 64, 64), "sha256 of one block as the final piece");
	ok(stream_matches(&q, "sha224", buf, sizeof(buf), 65536), "sha224: first 28 bytes from the SHA-224 state");

	wd_hash_state_init(&s, "sha256");
	ok_errno(piece(&q, buf, 100, &s, WD_MSG_HASH_OUT), -EINVAL,
		 "HASH_OUT piece that is not whole blocks -> -EINVAL");
	{
		struct wd_msg m = { .op = WD_OP_CRC32C, .flags = WD_MSG_HASH_IN, .src = buf,
				    .src_len = 64, .dst = &s, .dst_len = sizeof(s) };
		ok_errno(wd_send(&q, &m), -EINVAL, "HASH flags on crc32c -> -EINVAL");
	}
	{
		struct wd_msg m = { .op = WD_OP_SHA256, .flags = WD_MSG_HASH_IN, .src = buf,
				    .src_len = 64, .dst = small, .dst_len = sizeof(small) };
		ok_errno(wd_send(&q, &m), -EINVAL, "state buffer smaller than the state -> -EINVAL");
	}
	wd_hash_state_init(&s, "sha256");
	s.bytes = 3;
	ok_errno(piece(&q, buf, 64, &s, WD_MSG_HASH_IN | WD_MSG_HASH_OUT), -EINVAL,
		 "device refuses a state that is not on a block boundary");
	wd_hash_state_init(&s, "sha256");
	ok_errno(piece(&q, buf, 128, &s, WD_MSG_HASH_IN | WD_MSG_HASH_OUT), 0, "a good piece");
	before = s;
	wdd_fail_next(1);
	ok_errno(piece(&q, buf, 64, &s, WD_MSG_HASH_IN | WD_MSG_HASH_OUT), -EIO, "a failing piece");
	ok(!memcmp(&s, &before, sizeof(s)), "a failed piece leaves the state as it was");
	wd_release_queue(&q);

	wdd_uninstall();
	wdd_install(&nofeat);
	memset(&q, 0, sizeof(q));
	q.alg = "sha256";
	q.node = WD_NODE_ANY;
	q.flags = WD_QUEUE_DIRECT;
	ok_errno(wd_request_queue(&q), 0, "queue on a device without streaming hashes");
	wd_hash_state_init(&s, "sha256");
	ok_errno(piece(&q, buf, 64, &s, WD_MSG_HASH_IN | WD_MSG_HASH_OUT), -EOPNOTSUPP,
		 "streaming request -> -EOPNOTSUPP");
	ok_errno(wd_sha256(buf, 64, small), 0, "one-shot sha256 still works there");
	wd_release_queue(&q);
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return done_testing();
}
