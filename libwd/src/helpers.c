// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * helpers.c - one-call helpers (wd_crc32c, wd_sha256, wd_compress,
 * wd_decompress) on queues cached per thread.
 *
 * Each thread keeps at most one queue per operation, and reuses a queue it
 * already holds when that queue's device also offers the next operation and
 * its lease allows it (the broker restricts each queue to the algorithms it
 * was requested for), so in direct mode a thread that checksums and hashes
 * usually holds one queue. The queues are
 * released when the thread exits. A cached queue that died (revoked, device
 * removed) or was inherited across fork() is replaced on the next call.
 * On static-shared (SS) devices the helpers bounce the data through the
 * queue's reserved memory.
 */
#include <string.h>

#include "wd-internal.h"

struct helper_cache {
	struct wd_queue *q[WD_OP_LAST + 1];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static __thread struct helper_cache *cache;

static void cache_release(struct helper_cache *c, struct wd_queue *q)
{
	for (int i = 0; i <= WD_OP_LAST; i++)
		if (c->q[i] == q)
			c->q[i] = NULL;
	wd_release_queue(q);
	free(q);
}

static void cache_destroy(void *arg)
{
	struct helper_cache *c = arg;

	for (int i = 0; i <= WD_OP_LAST; i++)
		if (c->q[i])
			cache_release(c, c->q[i]);
	free(c);
	cache = NULL;
}

static void cache_key_create(void)
{
	pthread_key_create(&cache_key, cache_destroy);
}

static int helper_queue(unsigned int op, struct wd_queue **out)
{
	struct wd_queue *q;
	int r;

	if (!cache) {
		pthread_once(&cache_once, cache_key_create);
		cache = calloc(1, sizeof(*cache));
		if (!cache)
			return -ENOMEM;
		pthread_setspecific(cache_key, cache);
	}
	for (int i = 0; i <= WD_OP_LAST; i++) {
		q = cache->q[i];
		if (q && q->priv && q->priv->detached) {
			cache_release(cache, q);
			continue;
		}
		/* Under the broker, only a queue whose lease covers @op will do. */
		if (q && q->priv && (q->priv->ops & q->priv->lease_ops & (1U << op))) {
			cache->q[op] = q;
			*out = q;
			return 0;
		}
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->alg = __wd_op_alg(op);
	q->node = WD_NODE_ANY;
	r = wd_request_queue(q);
	if (r < 0) {
		free(q);
		return r;
	}
	cache->q[op] = q;
	*out = q;
	return 0;
}

/*
 * Run @m synchronously; bounce through reserved memory on SS devices.
 * *@in_flight tells the caller the request was sent but never came back:
 * the queue must then not be reused, or the late completion of this
 * stack-allocated message would be taken for the next caller's.
 */
static int helper_run_on(struct wd_queue *q, struct wd_msg *m, bool *in_flight)
{
	struct wd_msg b = *m;
	void *done;
	char *ss;
	int r;

	if (q->dev_flags & (UACCE_DEV_SS | UACCE_DEV_NOIOMMU)) {
		size_t dst_off = (m->src_len + 63) & ~(size_t)63;

		if (dst_off < m->src_len || dst_off + m->dst_len < dst_off)
			return -EFBIG;
		ss = wd_reserve_memory(q, dst_off + m->dst_len);
		if (!ss)
			return -errno == -ENOMEM ? -EFBIG : -errno;
		if (m->src_len)
			memcpy(ss, m->src, m->src_len);
		b.src = ss;
		b.dst = ss + dst_off;
	}
	r = wd_send(q, &b);
	if (r < 0)
		return r;
	*in_flight = true;
	r = wd_recv_sync(q, &done);
	if (r < 0)
		return r;
	if (done != &b)
		return -EIO;
	*in_flight = false;
	if (b.dst != m->dst && !b.status)
		memcpy(m->dst, b.dst, b.out_len);
	m->status = b.status;
	m->out_len = b.out_len;
	return 0;
}

static int helper_run(struct wd_msg *m)
{
	struct wd_queue *q;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool in_flight = false;

		r = helper_queue(m->op, &q);
		if (r < 0)
			return r;
		r = helper_run_on(q, m, &in_flight);
		if (r == -ENODEV) {
			/* revoked or removed: drop it and try a fresh queue once */
			cache_release(cache, q);
			continue;
		}
		if (r < 0 && in_flight)
			cache_release(cache, q);
		break;
	}
	if (r < 0)
		return r;
	return m->status;
}

WD_EXPORT int64_t wd_crc32c(const void *buf, size_t len)
{
	uint8_t out[WD_CRC32C_SIZE];
	struct wd_msg m = {
		.op = WD_OP_CRC32C, .src = buf, .src_len = len,
		.dst = out, .dst_len = sizeof(out),
	};
	int r;

	if (len && !buf)
		return -EINVAL;
	r = helper_run(&m);
	if (r < 0)
		return r;
	return (int64_t)((uint32_t)out[0] | (uint32_t)out[1] << 8 |
			 (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24);
}

WD_EXPORT int wd_sha256(const void *buf, size_t len, uint8_t digest[WD_SHA256_SIZE])
{
	struct wd_msg m = {
		.op = WD_OP_SHA256, .src = buf, .src_len = len,
		.dst = digest, .dst_len = WD_SHA256_SIZE,
	};

	if ((len && !buf) || !digest)
		return -EINVAL;
	return helper_run(&m);
}

static ssize_t helper_zip(uint32_t op, const void *src, size_t src_len,
			  void *dst, size_t dst_len, unsigned int flags)
{
	struct wd_msg m = {
		.op = op, .flags = flags, .src = src, .src_len = src_len,
		.dst = dst, .dst_len = dst_len,
	};
	int r;

	if ((src_len && !src) || (dst_len && !dst) ||
	    (flags & ~(WD_MSG_ZLIB | WD_MSG_LEVEL_MASK | WD_MSG_EXACT)) ||
	    ((flags & WD_MSG_EXACT) && op != WD_OP_INFLATE))
		return -EINVAL;
	r = helper_run(&m);
	if (r < 0)
		return r;
	return (ssize_t)m.out_len;
}

WD_EXPORT ssize_t wd_compress(const void *src, size_t src_len, void *dst,
			      size_t dst_len, unsigned int flags)
{
	return helper_zip(WD_OP_DEFLATE, src, src_len, dst, dst_len, flags);
}

WD_EXPORT ssize_t wd_decompress(const void *src, size_t src_len, void *dst,
				size_t dst_len, unsigned int flags)
{
	return helper_zip(WD_OP_INFLATE, src, src_len, dst, dst_len, flags);
}
