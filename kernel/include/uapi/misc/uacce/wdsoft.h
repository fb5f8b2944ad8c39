/* SPDX-License-Identifier: GPL-2.0+ WITH Linux-syscall-note */
/*
 * wdsoft ring protocol, version 1 (device api string "wdsoft_v1").
 *
 * The software accelerator speaks this protocol; so may any device that
 * advertises the same api string. A queue has two mappable regions:
 *
 *  MMIO (UACCE_QFRT_MMIO, one page): struct wdsoft_mmio — geometry, the
 *       doorbell (sq_tail), the interrupt-arm word and the engine status.
 *  DUS  (UACCE_QFRT_DUS): struct wdsoft_dus_hdr at offset 0, the submission
 *       ring (struct wdsoft_sqe[sq_entries]) at mmio->sq_offset and the
 *       completion ring (struct wdsoft_cqe[cq_entries]) at mmio->cq_offset.
 *
 * Indices are free-running __u32 counters; slot = index & (entries - 1).
 * Each index has exactly one writer:
 *   sq_tail  user   (store-release after filling SQEs; the doorbell)
 *   sq_head  engine (store-release after consuming SQEs)
 *   cq_tail  engine (store-release after filling CQEs)
 *   cq_head  user   (store-release after consuming CQEs)
 * Readers load the other side's index with load-acquire.
 *
 * The engine consumes an SQE only when the CQ has room for its completion,
 * so a submitter that keeps at most sq_entries requests in flight can never
 * lose a completion. (One that overfills the CQ finds the engine parked
 * with SQEs pending: it must reap, then call WDSOFT_CMD_WAKE.)
 *
 * Wake-up (the io_uring SQPOLL pattern): an idle engine sets
 * WDSOFT_STATUS_NEED_WAKEUP in mmio->status, issues a full barrier, re-reads
 * sq_tail and only then parks. A submitter stores sq_tail, issues a full
 * barrier, and if it then sees NEED_WAKEUP calls ioctl(fd, WDSOFT_CMD_WAKE).
 *
 * Interrupts: a consumer that wants poll(2)/epoll to report EPOLLIN writes 1
 * to mmio->irq_armed, issues a full barrier, re-checks the CQ, and sleeps.
 * The engine, after publishing completions, wakes pollers if irq_armed is set
 * and clears it.
 *
 * Dead queue: after revoke or device removal every page of every region reads
 * as zero, so mmio->magic != WDSOFT_MAGIC tells user space the queue is gone.
 *
 * Additions to version 1 are announced by bits in mmio->features (line 0,
 * zero on a device without them); a consumer uses a field only when its
 * bit is set, so old and new sides keep working together.
 *
 * WDSOFT_FEAT_ENGINE_CPU (bit 0): where the queue's engine runs. The engine keeps
 * mmio->engine_cpu equal to the CPU it last ran a pass of its rings on
 * (WDSOFT_ENGINE_CPU_NONE before the first), and its state is in status:
 * parked (asleep until woken) while WDSOFT_STATUS_NEED_WAKEUP is set,
 * polling while RUNNING is set and NEED_WAKEUP and STALLED are clear. A
 * submitter waiting for a completion should spin only while the engine
 * polls on another CPU: on its own CPU, spinning keeps the engine from
 * running, so it should sleep (irq_armed and poll(2)) or yield the CPU. A
 * polling engine gives its CPU up whenever another task is runnable there.
 * Both words are hints read with plain loads: a stale value costs time,
 * never correctness.
 *
 * WDSOFT_FEAT_HASH_STATE (bit 1): streaming SHA-256. A long message goes
 * to the device in several descriptors, the intermediate hash state
 * (struct wdsoft_hash_state) travelling in @dst between them:
 *   - WDSOFT_SQE_HASH_OUT: more input follows. src_len must be a multiple
 *     of the 64-byte block; instead of a digest the engine writes the
 *     state after this input to dst (48 bytes, out_len 48).
 *   - WDSOFT_SQE_HASH_IN: continue from the state found at dst (read
 *     before any output is written) instead of the initial state.
 *   - both: a middle piece; neither: a one-shot digest, as before.
 * Without HASH_OUT the engine writes the 32-byte digest of the state
 * after the input (SHA-256 padding, length from state.bytes + input).
 * SHA-224 is the same computation from the SHA-224 initial state, its
 * digest the first 28 bytes of that output; the engine needs nothing else.
 * Rules, each an -EINVAL completion: the flags on any op but
 * WDSOFT_OP_SHA256, with WDSOFT_SQE_DST_SGL, a state whose bytes is not a
 * multiple of 64 or whose rsvd is not zero, a message of 2^61 bytes or
 * more; with HASH_OUT a src_len (total) that is not a multiple of 64.
 * dst shorter than the state with HASH_IN or HASH_OUT is -ENOSPC. The
 * state is written only when the descriptor succeeds, so a failed or
 * cancelled piece leaves dst as it was and may be sent again.
 *
 * WDSOFT_FEAT_INFLATE_EXACT (bit 2): WDSOFT_SQE_EXACT on WDSOFT_OP_INFLATE
 * asks the engine to check that the stream ends exactly at src_len. Input
 * left over after the stream's end completes with -EMSGSIZE (without the
 * flag it is ignored), so a consumer that must know how much input a
 * stream used (zlib's inflate leaves what follows the stream unconsumed)
 * learns it from success: all of it. The flag on any other op is -EINVAL.
 *
 * WDSOFT_FEAT_IRQ_AT (bit 3): one wake-up for a batch of completions. A
 * consumer that arms with WDSOFT_IRQ_AT instead of WDSOFT_IRQ_NEXT (1)
 * first stores in mmio->irq_at the cq_tail value it waits for, then
 * WDSOFT_IRQ_AT in irq_armed, then issues the full barrier and re-checks
 * as above. The engine then wakes pollers (and poll(2) reports EPOLLIN)
 * only once cq_tail has reached irq_at (compared as free-running counters:
 * (__s32)(cq_tail - irq_at) >= 0), or once the queue has no descriptor left
 * to run (sq_head == sq_tail) and at least one completion waits, so a
 * batch shorter than asked for is never stranded. The engine clears
 * irq_armed when it wakes. irq_at is read only while irq_armed is
 * WDSOFT_IRQ_AT; a device without the bit treats any non-zero irq_armed as
 * WDSOFT_IRQ_NEXT, which costs wake-ups, never completions.
 */
#ifndef _UAPI_MISC_UACCE_WDSOFT_H
#define _UAPI_MISC_UACCE_WDSOFT_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <misc/uacce/uacce.h>

#define WDSOFT_API_NAME		"wdsoft_v1"
#define WDSOFT_MAGIC		0x57445346U	/* "WDSF" */
#define WDSOFT_VERSION		1

/* Operations (wdsoft_sqe.op). */
enum wdsoft_op {
	WDSOFT_OP_NOP = 0,
	WDSOFT_OP_MEMCPY = 1,
	WDSOFT_OP_CRC32C = 2,
	WDSOFT_OP_SHA256 = 3,
	WDSOFT_OP_DEFLATE = 4,
	WDSOFT_OP_INFLATE = 5,
	WDSOFT_OP_MAX,
};

/* wdsoft_sqe.flags */
#define WDSOFT_SQE_ZLIB		(1U << 0) /* RFC 1950 wrapper; raw RFC 1951 otherwise */
#define WDSOFT_SQE_SRC_SGL	(1U << 1) /* src: wdsoft_sge[src_len] */
#define WDSOFT_SQE_DST_SGL	(1U << 2) /* dst: wdsoft_sge[dst_len] */
#define WDSOFT_SQE_HASH_IN	(1U << 3) /* sha256: continue from the state at dst */
#define WDSOFT_SQE_HASH_OUT	(1U << 4) /* sha256: more follows, write the state to dst */
#define WDSOFT_SQE_EXACT	(1U << 5) /* inflate: the stream ends at src_len */


/**
 * struct wdsoft_hash_state - SHA-256 state between descriptors, 48 bytes
 * @h: the chaining value H0..H7, host order
 * @bytes: message bytes hashed into @h; a multiple of 64
 * @rsvd: must be zero
 */
struct wdsoft_hash_state {
	__u32 h[8];
	__u64 bytes;
	__u64 rsvd;
};

#define WDSOFT_SGL_MAX		256

/* wdsoft_mmio.mode */
#define WDSOFT_MODE_SVA		1	/* addresses are the owner's virtual addresses */
#define WDSOFT_MODE_SS		2	/* addresses are byte offsets into the SS region */
#define WDSOFT_MODE_NOIOMMU	3	/* addresses are DMA addresses inside the SS region */

/* wdsoft_mmio.status, written by the engine */
#define WDSOFT_STATUS_RUNNING		(1U << 0)
#define WDSOFT_STATUS_NEED_WAKEUP	(1U << 1)
#define WDSOFT_STATUS_STALLED		(1U << 2)	/* fault injection */

/* wdsoft_mmio.features, written by the driver with line 0 */
#define WDSOFT_FEAT_ENGINE_CPU		(1U << 0)	/* engine_cpu is kept */
#define WDSOFT_FEAT_HASH_STATE		(1U << 1)	/* WDSOFT_SQE_HASH_IN/OUT */
#define WDSOFT_FEAT_INFLATE_EXACT	(1U << 2)	/* WDSOFT_SQE_EXACT */
#define WDSOFT_FEAT_IRQ_AT		(1U << 3)	/* irq_at, WDSOFT_IRQ_AT */

/* wdsoft_mmio.irq_armed, written by user space; the engine clears it */
#define WDSOFT_IRQ_NEXT			1	/* wake at the next completion */
#define WDSOFT_IRQ_AT			2	/* wake when cq_tail reaches irq_at */

/* wdsoft_mmio.engine_cpu before the engine ran */
#define WDSOFT_ENGINE_CPU_NONE		0xffffffffU

/*
 * Driver commands. Like every driver command they are accepted in any
 * state of the queue but dead (before START_Q, started, after PUT_Q); each
 * says which states it accepts.
 *
 * WDSOFT_CMD_WAKE: wake a parked engine. No argument. A queue that is not
 * started gives EINVAL.
 *
 * WDSOFT_CMD_SET_ENGINE: queue context, set before START_Q (or after
 * PUT_Q, for the next START_Q): which of the device's engine threads (0 to
 * threads - 1, see the module parameter) serves the queue. The argument
 * points to a __u32; WDSOFT_ENGINE_ANY restores the default, the least
 * loaded engine at START_Q. EBUSY while the queue is started, EINVAL for
 * an engine the device does not have, EFAULT for a bad pointer.
 */
#define WDSOFT_CMD_WAKE		_IO('W', UACCE_CMD_DRIVER_BASE + 0)
#define WDSOFT_CMD_SET_ENGINE	_IOW('W', UACCE_CMD_DRIVER_BASE + 1, __u32)

#define WDSOFT_ENGINE_ANY	0xffffffffU

/**
 * struct wdsoft_sqe - submission descriptor, 64 bytes
 * @op: enum wdsoft_op
 * @level: deflate level 1..9; 0 means the default (6)
 * @flags: WDSOFT_SQE_*
 * @rsvd0: must be zero
 * @src: source address (see mode) or SGL address
 * @src_len: source bytes, or SGL entries with WDSOFT_SQE_SRC_SGL
 * @dst: destination address or SGL address; digests are written here
 *	(crc32c: 4 bytes little-endian; sha256: 32 bytes). For crc32c the
 *	destination may be empty (dst_len 0): the value is in the CQE.
 *	Gather/scatter entries carry addresses of the same kind as @src.
 * @dst_len: destination capacity in bytes, or SGL entries
 * @cookie: returned unchanged in the completion
 * @rsvd: must be zero
 */
struct wdsoft_sqe {
	__u8 op;
	__u8 level;
	__u16 flags;
	__u32 rsvd0;
	__u64 src;
	__u64 src_len;
	__u64 dst;
	__u64 dst_len;
	__u64 cookie;
	__u64 rsvd[2];
};

/**
 * struct wdsoft_cqe - completion, 32 bytes
 * @cookie: from the SQE
 * @status: 0, or a negative errno:
 *	-EFAULT bad address (or a page of a file mapping that could not be
 *	read, e.g. an aborted FUSE connection), -EAGAIN too many page
 *	faults for one descriptor (submit it again), -ENOSPC output too
 *	small, -EBADMSG corrupt stream, -EOPNOTSUPP unknown or disabled op, -EINVAL malformed
 *	descriptor, -ESHUTDOWN queue torn down, -EIO injected hardware error,
 *	-EPERM algorithm not permitted on this queue (UACCE_CMD_RESTRICT_ALGS;
 *	deflate and inflate count as "deflate", or "zlib" with
 *	WDSOFT_SQE_ZLIB)
 * @rsvd: zero
 * @out_len: bytes written to dst
 * @result: crc32c value (host order) for WDSOFT_OP_CRC32C; 0 otherwise
 */
struct wdsoft_cqe {
	__u64 cookie;
	__s32 status;
	__u32 rsvd;
	__u64 out_len;
	__u64 result;
};

/** struct wdsoft_sge - scatter/gather entry */
struct wdsoft_sge {
	__u64 addr;
	__u64 len;
};

/**
 * struct wdsoft_mmio - the MMIO page
 * Line 0 is written by the driver before the queue is mapped, then read-only.
 * Line 1 is written by user space only; line 2 by the engine only.
 */
struct wdsoft_mmio {
	/* line 0: geometry */
	__u32 magic;
	__u32 version;
	__u32 mode;
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 sq_offset;
	__u32 cq_offset;
	__u32 dus_size;
	__u32 features;		/* WDSOFT_FEAT_*, see "Additions to version 1" */
	__u32 rsvd0[7];
	/* line 1: user */
	__u32 sq_tail;
	__u32 irq_armed;
	__u32 irq_at;		/* WDSOFT_FEAT_IRQ_AT */
	__u32 rsvd1[13];
	/* line 2: engine */
	__u32 status;
	__u32 engine_cpu;	/* WDSOFT_FEAT_ENGINE_CPU */
	__u32 rsvd2[14];
};

/** struct wdsoft_dus_hdr - start of the DUS region, one line per writer */
struct wdsoft_dus_hdr {
	__u32 sq_head;		/* engine */
	__u32 cq_tail;		/* engine */
	__u32 rsvd0[14];
	__u32 cq_head;		/* user */
	__u32 rsvd1[15];
};

#endif /* _UAPI_MISC_UACCE_WDSOFT_H */
