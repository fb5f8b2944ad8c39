/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <warpdrive/wd.h> - the WarpDrive user library (libwd).
 *
 * An accelerator queue used like another thread of the process: requests go
 * into a ring in memory shared with the device and completions come back the
 * same way, with no system call on the data path while the device is busy.
 *
 * Quick start:
 *
 *	struct wd_queue q = { .alg = "crc32c", .node = WD_NODE_ANY };
 *	uint8_t out[4];
 *	struct wd_msg m = { .op = WD_OP_CRC32C, .src = buf, .src_len = len,
 *			    .dst = out, .dst_len = sizeof(out) };
 *	void *done;
 *	int r = wd_request_queue(&q);
 *	if (r < 0) { fprintf(stderr, "%s\n", wd_queue_errmsg(&q)); ... }
 *	r = wd_send(&q, &m);
 *	r = wd_recv_sync(&q, &done);	// done == &m, m.status == 0
 *	wd_release_queue(&q);
 *
 * Or, with no queue management at all: wd_crc32c(buf, len).
 *
 * Conventions:
 *  - Every function that can fail returns a negative errno (or NULL for the
 *    two pointer-returning ones, with errno set *and* the reason recorded in
 *    the queue, see wd_queue_errmsg()). libwd never reports an error through
 *    errno alone.
 *  - wd_strerror() turns an error into a sentence that says what to do.
 *  - A revoked queue, or one whose device was removed, fails every call with
 *    -ENODEV; libwd never faults on it. Release it and request a new one.
 *
 * Threads: every call is thread-safe per queue. Calls on one queue serialise
 * on a lock private to that queue (uncontended, it costs no system call);
 * queues share nothing on the data path, so the fastest pattern is one queue
 * per thread. wd_recv_sync() does not hold the lock while it sleeps.
 *
 * fork(): the child starts clean. Queues inherited from the parent are
 * detached in the child (their mappings are not inherited, their fds are
 * closed): every call on them returns -ENODEV there and wd_release_queue()
 * only frees their memory. The child may request its own queues. The
 * parent's queues keep working. A fork() from one thread waits until
 * requests and releases running in other threads are done (so no child
 * ever holds a descriptor the parent is still taking or giving back).
 */
#ifndef WARPDRIVE_WD_H
#define WARPDRIVE_WD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* wd_queue.node: the NUMA node nearest to the calling thread's CPU. */
#define WD_NODE_ANY		(-1)

/*
 * wd_queue.flags
 * WD_QUEUE_DIRECT: open the device node directly, never ask the broker
 *	(needs permission on /dev/<device>, usually root).
 * WD_QUEUE_NO_FALLBACK: ask the broker only; fail instead of opening the
 *	device directly when no broker is listening.
 */
#define WD_QUEUE_DIRECT		(1U << 0)
#define WD_QUEUE_NO_FALLBACK	(1U << 1)

/* wd_msg.op */
enum wd_op {
	WD_OP_MEMCPY = 1,
	WD_OP_CRC32C = 2,
	WD_OP_SHA256 = 3,
	WD_OP_DEFLATE = 4,
	WD_OP_INFLATE = 5,
};

/*
 * wd_msg.flags
 * WD_MSG_ZLIB: deflate/inflate with the RFC 1950 (zlib) wrapper; raw RFC 1951
 *	is the default.
 * WD_MSG_LEVEL(n): deflate level 1..9; 0 (or no flag) means the default, 6.
 */
#define WD_MSG_ZLIB		(1U << 0)
/*
 * Streaming SHA-256 (and SHA-224), for WD_OP_SHA256 only; see
 * wd_hash_state_init(3). The state travels in @dst, a struct wd_hash_state:
 * WD_MSG_HASH_IN: continue from the state at @dst, not from the start.
 * WD_MSG_HASH_OUT: more input follows: @src_len is a multiple of
 *	WD_HASH_BLOCK_SIZE, and the state after it is written to @dst in
 *	place of a digest.
 */
#define WD_MSG_HASH_IN		(1U << 1)
#define WD_MSG_HASH_OUT		(1U << 2)
/*
 * WD_MSG_EXACT: WD_OP_INFLATE only: the stream must end exactly at the end
 *	of @src; input left after its end fails the request with -EMSGSIZE
 *	(without the flag such input is ignored). A caller that must know how
 *	much input a stream used learns it from success: all of it. Devices
 *	that cannot check (wd_send: -EOPNOTSUPP) predate the flag.
 */
#define WD_MSG_EXACT		(1U << 3)
#define WD_MSG_LEVEL(n)		(((uint32_t)(n) & 0xfU) << 8)
#define WD_MSG_LEVEL_MASK	(0xfU << 8)

/* Digest sizes written to wd_msg.dst. */
#define WD_CRC32C_SIZE		4	/* little-endian */
#define WD_SHA256_SIZE		32
#define WD_SHA224_SIZE		28	/* the first 28 bytes (WD_MSG_HASH_*) */
#define WD_HASH_BLOCK_SIZE	64

/**
 * struct wd_hash_state - a SHA-256 or SHA-224 computation between requests
 * @h: chaining value, host order
 * @bytes: message bytes hashed so far, a multiple of WD_HASH_BLOCK_SIZE
 * @reserved: zero
 *
 * Start one with wd_hash_state_init(). A request with WD_MSG_HASH_IN reads
 * it from wd_msg.dst (so dst_len >= sizeof(struct wd_hash_state)); one with
 * WD_MSG_HASH_OUT writes the next one there. The device writes it only when
 * the request succeeds: a failed request leaves it as it was. The caller may
 * keep it, copy it (to fork a computation) or finish the hash elsewhere:
 * it is the standard SHA-256 intermediate state.
 */
struct wd_hash_state {
	uint32_t h[8];
	uint64_t bytes;
	uint64_t reserved;
};

struct wd_queue_priv;

/**
 * struct wd_queue - one accelerator queue
 *
 * The caller zero-fills it and sets the first four fields; libwd fills in
 * the rest in wd_request_queue(). Do not copy a requested queue.
 *
 * @alg: algorithm the queue is for: "memcpy", "crc32c", "sha256", "deflate"
 *	or "inflate", matched against a device's "algorithms"; or a set of
 *	them joined by commas, "sha256,crc32c", for one queue that runs each
 *	(1 to 16 names, each once, none empty, at most 255 characters; any
 *	other spelling is -EINVAL). The broker restricts the queue to these
 *	algorithms: the device refuses other ops (status -EACCES), so name
 *	every one the queue will run. It grants the whole set or nothing, on
 *	a device offering all of it, counted as one queue. NULL: any device
 *	(direct mode only: the broker grants queues per algorithm).
 * @node: NUMA node wanted, or WD_NODE_ANY for the one nearest to the
 *	calling thread.
 * @dev: a device name ("wdsoft-0"), its node ("/dev/wdsoft-0") or a link to
 *	it ("/dev/ua0"); NULL means any device.
 * @flags: WD_QUEUE_*.
 *
 * Filled in by libwd (informative, read-only):
 * @dev_name: the device the queue lives on, e.g. "wdsoft-0".
 * @api: the device's ring protocol, e.g. "wdsoft_v1".
 * @dev_node: the device's NUMA node, -1 if it has none.
 * @dev_flags: the device's UACCE_DEV_* flags.
 * @lease: broker lease id, 0 for a directly opened queue.
 * @errmsg: why the last failing call on this queue failed, with what to
 *	do about it ("" when nothing failed). Also see wd_queue_errmsg().
 * @priv: library state. Opaque.
 */
struct wd_queue {
	const char *alg;
	int node;
	const char *dev;
	unsigned int flags;

	char dev_name[64];
	char api[64];
	int dev_node;
	unsigned int dev_flags;
	uint64_t lease;
	char errmsg[256];
	struct wd_queue_priv *priv;
	uint64_t reserved[4];
};

/**
 * struct wd_msg - one request, the same for every device
 * @op: WD_OP_*.
 * @flags: WD_MSG_*.
 * @src: input.
 * @src_len: input bytes.
 * @dst: output. crc32c writes 4 bytes little-endian, sha256 32 bytes
 *	(with WD_MSG_HASH_OUT: a struct wd_hash_state; with WD_MSG_HASH_IN the
 *	state is read from here first).
 * @dst_len: output capacity in bytes.
 * @out_len: set on completion: bytes written to @dst.
 * @status: set on completion: 0, or a negative errno (-ENOSPC: @dst too
 *	small; -EBADMSG: corrupt (or cut short) compressed stream; -EMSGSIZE:
 *	input left after the stream's end, with WD_MSG_EXACT; -EFAULT: bad
 *	address;
 *	-EOPNOTSUPP: op not offered by the device; -EACCES: op not permitted
 *	on this queue, the broker restricted it to other algorithms (request
 *	a set, see wd_queue.alg);
 *	-EINVAL: a streaming request the device refused (a state whose
 *	@bytes is not a multiple of 64, or a message of 2^61 bytes or more);
 *	-EAGAIN: a buffer lies in a file mapping whose pages the device
 *	waited for too often (a slow or stalled file system); the message
 *	may be sent again; -EIO: device error, including a completion libwd
 *	cannot believe).
 * @cookie: returned unchanged; libwd never touches it.
 *
 * The message belongs to libwd from wd_send() until wd_recv() hands it back:
 * do not modify or free it (nor the buffers) in between.
 *
 * On devices that work on a static shared region (UACCE_DEV_SS, see
 * wd_reserve_memory()), @src and @dst must point into the reserved memory.
 */
struct wd_msg {
	uint32_t op;
	uint32_t flags;
	const void *src;
	size_t src_len;
	void *dst;
	size_t dst_len;
	size_t out_len;
	int status;
	void *cookie;
};

/* ------------------------------------------------------------------ */
/* The queue API                                                       */

/**
 * wd_request_queue() - get a queue and map it into this process
 *
 * Unless @q->flags has WD_QUEUE_DIRECT, asks the broker on
 * /run/warpdrive/broker.sock ($WD_BROKER_SOCKET overrides, but not in a
 * setuid/setgid/capability program: see "Environment" in libwd/README.md,
 * which also lists $WD_SYSFS_ROOT and $WD_DEV_ROOT). When no broker
 * listens, falls back to opening a device directly (unless
 * WD_QUEUE_NO_FALLBACK): the one nearest by NUMA distance, then with the most
 * free instances, never an isolated one.
 *
 * Return: 0, or a negative errno with @q->errmsg saying why: -ENODEV no
 * device offers @q->alg (every algorithm of a set), -EBUSY every suitable
 * device is full, -EACCES neither a broker nor permission to open a device,
 * or the broker's policy forbids an algorithm (@q->errmsg names it),
 * -EDQUOT the broker's quota is used up, -EPROTONOSUPPORT the device
 * speaks a ring protocol this libwd does not know, -EINVAL bad arguments
 * (including a misspelt set: an empty or unknown name, a name twice).
 */
int wd_request_queue(struct wd_queue *q);

/*
 * Stop using @q and give it back (messages still in flight are dropped:
 * libwd never writes to them again). Safe on a zeroed or failed queue.
 * No other call on @q may be running.
 *
 * Use after release is defined as long as the struct itself is still
 * valid memory: a released struct wd_queue is as a zeroed one, so every
 * call on it returns -EINVAL (wd_reserve_memory: NULL, EINVAL), releasing
 * it again does nothing, and the queue's fd is closed. Using a copy of a
 * requested struct (see struct wd_queue) is undefined.
 */
void wd_release_queue(struct wd_queue *q);

/**
 * wd_send() - submit one request (a struct wd_msg *)
 * Return: 0; -EBUSY when the ring is full (receive some completions first);
 * -EINVAL for a malformed message (unknown op or flag, a level above 9, a
 * NULL buffer with a length, a buffer that runs past the end of the
 * address space, a digest destination too small, WD_MSG_HASH_* on an op
 * other than WD_OP_SHA256, a WD_MSG_HASH_OUT piece that is not a multiple
 * of WD_HASH_BLOCK_SIZE); -EOPNOTSUPP for an op the device does not
 * offer, or WD_MSG_HASH_* on a device without streaming hashes; -EFAULT for a buffer outside the reserved memory of an SS device;
 * -ENODEV when the queue was revoked or its device removed.
 */
int wd_send(struct wd_queue *q, void *req);

/**
 * wd_recv() - take one completed request, without waiting
 * Return: 1 with *@req set to the completed struct wd_msg (its @status and
 * @out_len filled in); -EAGAIN when nothing has completed yet; -ENODEV for
 * a dead queue; -EIO when the device returned a completion libwd cannot
 * match to a request. When nothing has completed and the device's engine
 * polls on the caller's CPU (wdsoft says where it runs), wd_recv() and
 * wd_recv_batch() call sched_yield() once before returning -EAGAIN, so a
 * loop polling them lets that engine run instead of starving it.
 */
int wd_recv(struct wd_queue *q, void **req);

/*
 * wd_recv_sync() - like wd_recv() but waits. While the device's engine
 * polls on another CPU it spins (no system call), for at most 100 us; while
 * the engine polls on the caller's CPU it yields that CPU instead, for as
 * long; then, or at once when the engine is parked, it sleeps in poll(2)
 * on the queue fd. A device that does not say where its engine runs gets
 * the spin. Returns 1, or -EAGAIN at once when no request is in flight
 * (nothing could ever complete), or an error as wd_recv().
 */
int wd_recv_sync(struct wd_queue *q, void **req);

/*
 * wd_flush() - make every request sent so far visible to the device, waking
 * it if it parked. wd_send() already publishes each request; this is for
 * callers that batch with wd_send_batch() or want a wake-up guaranteed.
 */
void wd_flush(struct wd_queue *q);

/**
 * wd_reserve_memory() - map the queue's static shared (SS) region
 *
 * Devices flagged UACCE_DEV_SS work only on memory they share with the
 * process: put request buffers there. Returns the region (at least @size
 * bytes), or NULL with errno set and @q->errmsg saying why (EOPNOTSUPP on
 * devices that address the process's memory directly (SVA) and need no
 * reserved memory; ENOMEM when @size exceeds the region; ENODEV dead).
 */
void *wd_reserve_memory(struct wd_queue *q, size_t size);

/*
 * wd_share_reserved_memory() - let @target_q's device use @q's reserved
 * region, so one buffer can flow through two queues without copying.
 * Call it before @target_q sends its first request (a started queue keeps
 * its own region: -EBUSY). @q must stay requested while @target_q uses it.
 * Returns 0 or -errno.
 */
int wd_share_reserved_memory(struct wd_queue *q, struct wd_queue *target_q);

/* ------------------------------------------------------------------ */
/* Beyond the seed                                                     */

/*
 * Async pipeline. wd_send_batch() submits up to @n messages and rings the
 * doorbell once; returns how many were queued (>= 0, fewer when the ring
 * filled) or a negative errno when not even the first could be. Completions
 * come back in any order through wd_recv()/wd_recv_batch(); match them by
 * wd_msg.cookie. wd_recv_batch() takes up to @max completions without
 * waiting and returns how many (0 when none) or a negative errno.
 * wd_inflight() returns how many requests are sent but not yet received.
 */
int wd_send_batch(struct wd_queue *q, struct wd_msg **msgs, int n);
int wd_recv_batch(struct wd_queue *q, struct wd_msg **msgs, int max);
int wd_inflight(struct wd_queue *q);

/*
 * wd_recv_wait() - wd_recv_batch() for callers that want their CPU back.
 * Takes up to @max completions into @msgs; when fewer than @min are done it
 * sleeps in poll(2) until @min are (@min is clamped to the requests in
 * flight), then takes up to @max. It never spins. On a device that counts
 * completions for its waiter (wdsoft's WDSOFT_FEAT_IRQ_AT) the batch costs
 * one wake-up; on others one per completion, with the same result.
 * Returns how many it took (>= 1); -EAGAIN when nothing is in flight;
 * -EINVAL for @max or @min below 1, @min above @max or @msgs NULL;
 * -ENODEV for a dead queue; -EIO as wd_recv(); a signal does not end the
 * wait. Completions taken before an error are returned first, the error at
 * the next call. For one request at a time, wd_recv_sync() answers sooner.
 */
int wd_recv_wait(struct wd_queue *q, struct wd_msg **msgs, int max, int min);

/*
 * Event loops: wd_queue_fd() returns the queue's fd (owned by libwd; do not
 * close it). Before sleeping on it, call wd_queue_arm(): 0 means armed, the
 * fd turns readable (EPOLLIN) when a completion arrives; 1 means completions
 * are already waiting, call wd_recv() instead of sleeping. A dead queue
 * reports EPOLLERR|EPOLLHUP. Both return -ENODEV on a dead queue.
 */
int wd_queue_fd(struct wd_queue *q);
int wd_queue_arm(struct wd_queue *q);

/*
 * One-call helpers on a queue cached per thread (requested on first use,
 * released at thread exit). They wait for the result.
 *
 * wd_crc32c(): the CRC-32C (Castagnoli) of @buf, 0..0xffffffff, or a
 *	negative errno.
 * wd_sha256(): writes the 32-byte digest to @digest; 0 or -errno.
 * wd_compress()/wd_decompress(): deflate or inflate @src into @dst; flags
 *	are WD_MSG_ZLIB and WD_MSG_LEVEL(n), and WD_MSG_EXACT for
 *	wd_decompress(). Return the bytes written to @dst, or -ENOSPC when
 *	@dst is too small, -EBADMSG for a corrupt stream, -EMSGSIZE for input
 *	left after the stream (WD_MSG_EXACT), or another -errno.
 */
int64_t wd_crc32c(const void *buf, size_t len);
int wd_sha256(const void *buf, size_t len, uint8_t digest[WD_SHA256_SIZE]);
ssize_t wd_compress(const void *src, size_t src_len, void *dst, size_t dst_len,
		    unsigned int flags);
ssize_t wd_decompress(const void *src, size_t src_len, void *dst,
		      size_t dst_len, unsigned int flags);

/*
 * wd_hash_state_init() - the initial state of @alg, "sha256" or "sha224",
 * for a stream of WD_MSG_HASH_* requests (wd_hash_state_init(3)).
 * Return: 0, or -EINVAL for another @alg or a NULL @s.
 */
int wd_hash_state_init(struct wd_hash_state *s, const char *alg);

/*
 * Errors. wd_strerror() explains a negative errno returned by libwd in one
 * sentence that says what to do; never NULL, thread-safe (static strings).
 * wd_queue_errmsg() is the detailed reason the last slow-path call on @q
 * failed (wd_request_queue, wd_reserve_memory, ...; the same text as
 * @q->errmsg). Data-path calls only return the errno: use wd_strerror().
 */
const char *wd_strerror(int err);
const char *wd_queue_errmsg(const struct wd_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* WARPDRIVE_WD_H */
