// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * drv-wdsoft.c - user driver for the "wdsoft_v1" ring protocol
 * (<misc/uacce/wdsoft.h>), spoken by the software accelerator.
 *
 * A wd_msg becomes one 64-byte SQE; its completion (CQE) comes back with the
 * cookie we put in. The cookie is never a pointer: it is a slot number plus
 * a generation, checked against the table of messages in flight, so a bogus
 * completion (or the zero pages of a dead queue) cannot make us write
 * through a wild pointer. At most sq_entries requests are in flight; the
 * protocol then guarantees the CQ never overflows.
 *
 * Index ownership (see the header): we write sq_tail (MMIO), cq_head (DUS),
 * irq_armed and irq_at; the engine writes sq_head, cq_tail and status. We keep
 * private copies of our own indices and never read them back from shared
 * memory.
 *
 * Dead queues: after revoke or removal every region reads as zero, so
 * mmio->magic != WDSOFT_MAGIC. Every entry point checks it before touching
 * the rings, and a completion count that makes no sense is re-checked
 * against it.
 */
#include <stdio.h>
#include <string.h>

#include <misc/uacce/wdsoft.h>

#include "barrier.h"
#include "wd-internal.h"

struct wdsoft_slot {
	struct wd_msg *msg;	/* NULL when free */
	uint32_t gen;
};

struct wdsoft_q {
	struct wdsoft_mmio *mmio;
	struct wdsoft_dus_hdr *hdr;
	struct wdsoft_sqe *sq;
	struct wdsoft_cqe *cq;
	uint32_t sq_entries, cq_entries;
	uint32_t sq_tail;	/* ours; published to mmio->sq_tail */
	uint32_t cq_head;	/* ours; published to hdr->cq_head */
	uint32_t mode;
	uint32_t features;	/* WDSOFT_FEAT_*, read once at init */
	struct wdsoft_slot *slots;
	uint32_t *free_slots;	/* stack of free slot numbers */
	uint32_t nfree;
};

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/*
 * The geometry the device wrote in line 0 of the MMIO page, read once: the
 * page is shared memory, so a check and a later use must see the same
 * values (a confused or hostile device could change them in between).
 */
struct wdsoft_geom {
	uint32_t magic, version, mode;
	uint32_t sq_entries, cq_entries, sq_offset, cq_offset, dus_size;
};

static void wdsoft_geom_read(const struct wdsoft_mmio *mmio, struct wdsoft_geom *g)
{
	g->magic = READ_ONCE(mmio->magic);
	g->version = READ_ONCE(mmio->version);
	g->mode = READ_ONCE(mmio->mode);
	g->sq_entries = READ_ONCE(mmio->sq_entries);
	g->cq_entries = READ_ONCE(mmio->cq_entries);
	g->sq_offset = READ_ONCE(mmio->sq_offset);
	g->cq_offset = READ_ONCE(mmio->cq_offset);
	g->dus_size = READ_ONCE(mmio->dus_size);
}

/* Both rings inside the DUS region, after its header, aligned, power-of-2. */
static bool wdsoft_geom_valid(const struct wdsoft_geom *g, size_t dus_size)
{
	uint64_t sq_end = (uint64_t)g->sq_offset + (uint64_t)g->sq_entries * sizeof(struct wdsoft_sqe);
	uint64_t cq_end = (uint64_t)g->cq_offset + (uint64_t)g->cq_entries * sizeof(struct wdsoft_cqe);

	return is_pow2(g->sq_entries) && is_pow2(g->cq_entries) &&
	       g->cq_entries >= g->sq_entries && g->dus_size <= dus_size &&
	       g->sq_offset >= sizeof(struct wdsoft_dus_hdr) &&
	       g->cq_offset >= sizeof(struct wdsoft_dus_hdr) &&
	       sq_end <= dus_size && cq_end <= dus_size &&
	       !(g->sq_offset % 8) && !(g->cq_offset % 8);
}

static int wdsoft_init(struct wd_queue_priv *p)
{
	struct wd_queue *q = p->q;
	struct wdsoft_mmio *mmio = p->region[UACCE_QFRT_MMIO];
	size_t dus_size = p->region_size[UACCE_QFRT_DUS];
	struct wdsoft_geom g;
	struct wdsoft_q *w;
	uint32_t sqe;

	if (!mmio || p->region_size[UACCE_QFRT_MMIO] < sizeof(*mmio) ||
	    !p->region[UACCE_QFRT_DUS])
		return __wd_err(q, -EPROTO, "device %s lacks the MMIO or DUS region wdsoft_v1 needs",
				q->dev_name);
	wdsoft_geom_read(mmio, &g);
	if (g.magic != WDSOFT_MAGIC)
		return __wd_err(q, -ENODEV, "queue on %s is dead (revoked or device removed) before first use; request a new one",
				q->dev_name);
	if (g.version != WDSOFT_VERSION)
		return __wd_err(q, -EPROTONOSUPPORT, "device %s speaks wdsoft ring version %u, this libwd knows %u: update libwd",
				q->dev_name, g.version, WDSOFT_VERSION);
	if (!wdsoft_geom_valid(&g, dus_size))
		return __wd_err(q, -EPROTO, "device %s reports an inconsistent ring geometry (sq %u@%u, cq %u@%u, dus %zu bytes)",
				q->dev_name, g.sq_entries, g.sq_offset, g.cq_entries,
				g.cq_offset, dus_size);
	if (g.mode != WDSOFT_MODE_SVA && g.mode != WDSOFT_MODE_SS &&
	    g.mode != WDSOFT_MODE_NOIOMMU)
		return __wd_err(q, -EPROTONOSUPPORT, "device %s uses addressing mode %u, unknown to this libwd",
				q->dev_name, g.mode);

	sqe = g.sq_entries;
	w = calloc(1, sizeof(*w));
	if (!w)
		return __wd_err(q, -ENOMEM, "out of memory");
	w->slots = calloc(sqe, sizeof(*w->slots));
	w->free_slots = calloc(sqe, sizeof(*w->free_slots));
	if (!w->slots || !w->free_slots) {
		free(w->slots);
		free(w->free_slots);
		free(w);
		return __wd_err(q, -ENOMEM, "out of memory");
	}
	w->mmio = mmio;
	w->hdr = p->region[UACCE_QFRT_DUS];
	w->sq = (void *)((char *)w->hdr + g.sq_offset);
	w->cq = (void *)((char *)w->hdr + g.cq_offset);
	w->sq_entries = sqe;
	w->cq_entries = g.cq_entries;
	w->mode = g.mode;
	w->features = READ_ONCE(mmio->features);
	/*
	 * Start from where the rings are: a fresh queue has all at zero. The
	 * device cannot make these hurt: both are only ever used masked.
	 */
	w->sq_tail = READ_ONCE(mmio->sq_tail);
	w->cq_head = READ_ONCE(w->hdr->cq_head);
	for (uint32_t i = 0; i < sqe; i++) {
		w->slots[i].gen = 1;	/* cookie 0 (a zero page) never matches */
		w->free_slots[i] = sqe - 1 - i;
	}
	w->nfree = sqe;
	p->drv_priv = w;
	return 0;
}

static void wdsoft_fini(struct wd_queue_priv *p)
{
	struct wdsoft_q *w = p->drv_priv;

	if (!w)
		return;
	free(w->slots);
	free(w->free_slots);
	free(w);
	p->drv_priv = NULL;
}

static bool wdsoft_alive(struct wd_queue_priv *p)
{
	struct wdsoft_q *w = p->drv_priv;

	return READ_ONCE(w->mmio->magic) == WDSOFT_MAGIC;
}

/* A device address for a buffer, per the queue's addressing mode. */
static inline int wdsoft_addr(struct wd_queue_priv *p, const struct wdsoft_q *w,
			      const void *buf, size_t len, __u64 *addr)
{
	uintptr_t b, base;

	if (likely(w->mode == WDSOFT_MODE_SVA)) {
		*addr = (uintptr_t)buf;
		return 0;
	}
	if (!len) {
		*addr = 0;
		return 0;
	}
	if (!p->ss.base)
		return -EFAULT;	/* SS device: wd_reserve_memory() first */
	b = (uintptr_t)buf;
	base = (uintptr_t)p->ss.base;
	if (b < base || b - base > p->ss.size || len > p->ss.size - (b - base))
		return -EFAULT;
	*addr = (w->mode == WDSOFT_MODE_NOIOMMU ? p->ss.dma : 0) + (b - base);
	return 0;
}

static const uint8_t op_map[] = {
	[WD_OP_MEMCPY] = WDSOFT_OP_MEMCPY,
	[WD_OP_CRC32C] = WDSOFT_OP_CRC32C,
	[WD_OP_SHA256] = WDSOFT_OP_SHA256,
	[WD_OP_DEFLATE] = WDSOFT_OP_DEFLATE,
	[WD_OP_INFLATE] = WDSOFT_OP_INFLATE,
};

static void wdsoft_flush(struct wd_queue_priv *p)
{
	struct wdsoft_q *w = p->drv_priv;

	/*
	 * Publish the SQEs written so far: pairs with the engine's
	 * load-acquire of sq_tail before it reads SQEs.
	 */
	smp_store_release(&w->mmio->sq_tail, w->sq_tail);
	/*
	 * Order the sq_tail store before the status load: pairs with the
	 * engine's "set NEED_WAKEUP; full barrier; re-read sq_tail". Either
	 * the engine sees our tail, or we see NEED_WAKEUP and wake it.
	 */
	smp_mb();
	if (unlikely(READ_ONCE(w->mmio->status) & WDSOFT_STATUS_NEED_WAKEUP))
		__wd_sys->ioctl(p->fd, WDSOFT_CMD_WAKE, 0);
}

static int wdsoft_send(struct wd_queue_priv *p, struct wd_msg *m, bool publish)
{
	struct wdsoft_q *w = p->drv_priv;
	struct wdsoft_sqe sqe = { 0 };
	uint32_t slot;
	int r;

	if (unlikely(!w->nfree))
		return -EBUSY;
	if (unlikely((m->flags & WD_MSG_HASH_MASK) &&
		     !(w->features & WDSOFT_FEAT_HASH_STATE)))
		return -EOPNOTSUPP;
	if (unlikely((m->flags & WD_MSG_EXACT) &&
		     !(w->features & WDSOFT_FEAT_INFLATE_EXACT)))
		return -EOPNOTSUPP;
	r = wdsoft_addr(p, w, m->src, m->src_len, &sqe.src);
	if (likely(!r))
		r = wdsoft_addr(p, w, m->dst, m->dst_len, &sqe.dst);
	if (unlikely(r))
		return r;
	/*
	 * The SQ cannot be full when a slot is free (in flight <= sq_entries),
	 * but a confused device could lag: check against sq_head, load-acquire
	 * pairing with the engine's store-release after consuming SQEs.
	 */
	if (unlikely(w->sq_tail - smp_load_acquire(&w->hdr->sq_head) >= w->sq_entries))
		return -EBUSY;

	slot = w->free_slots[--w->nfree];
	w->slots[slot].msg = m;
	sqe.op = op_map[m->op];
	sqe.level = (uint8_t)((m->flags & WD_MSG_LEVEL_MASK) >> 8);
	sqe.flags = (m->flags & WD_MSG_ZLIB) ? WDSOFT_SQE_ZLIB : 0;
	if (m->flags & WD_MSG_HASH_IN)
		sqe.flags |= WDSOFT_SQE_HASH_IN;
	if (m->flags & WD_MSG_HASH_OUT)
		sqe.flags |= WDSOFT_SQE_HASH_OUT;
	if (m->flags & WD_MSG_EXACT)
		sqe.flags |= WDSOFT_SQE_EXACT;
	sqe.src_len = m->src_len;
	sqe.dst_len = m->dst_len;
	sqe.cookie = (uint64_t)w->slots[slot].gen << 32 | slot;
	w->sq[w->sq_tail & (w->sq_entries - 1)] = sqe;
	w->sq_tail++;
	if (publish)
		wdsoft_flush(p);
	return 0;
}

/*
 * What a matched completion tells the caller. The CQE is device-written
 * memory: a status that is not 0 or a negative errno, or an output length
 * beyond the destination (a caller would copy that many bytes), is a
 * device error, never passed on. -EPERM ("not permitted on this queue")
 * becomes -EACCES, like every other refusal of permission in libwd.
 */
static inline void wdsoft_complete(struct wd_msg *m, int32_t status, uint64_t out_len)
{
	if (unlikely(status > 0 || status < -4095 ||
		     (!status && out_len > m->dst_len)))
		status = -EIO;
	/* The queue was restricted to other algorithms (wdsoft.h): EACCES. */
	if (unlikely(status == -EPERM))
		status = -EACCES;
	m->status = status;
	m->out_len = status ? 0 : (size_t)out_len;
}

static int wdsoft_recv(struct wd_queue_priv *p, struct wd_msg **out)
{
	struct wdsoft_q *w = p->drv_priv;
	const struct wdsoft_cqe *c;
	struct wdsoft_slot *s;
	uint64_t cookie, out_len;
	uint32_t tail, slot;
	int32_t status;

	/* Pairs with the engine's store-release of cq_tail after filling CQEs. */
	tail = smp_load_acquire(&w->hdr->cq_tail);
	if (tail == w->cq_head)
		return wdsoft_alive(p) ? -EAGAIN : -ENODEV;
	if (unlikely(tail - w->cq_head > w->cq_entries))
		return wdsoft_alive(p) ? -EIO : -ENODEV;
	/* Each field read once: the device may still be writing garbage. */
	c = &w->cq[w->cq_head & (w->cq_entries - 1)];
	cookie = READ_ONCE(c->cookie);
	status = READ_ONCE(c->status);
	out_len = READ_ONCE(c->out_len);
	w->cq_head++;
	/* Hand the CQE slot back: the engine load-acquires cq_head. */
	smp_store_release(&w->hdr->cq_head, w->cq_head);

	/* A wrong, stale or duplicate cookie matches no message in flight. */
	slot = (uint32_t)cookie;
	if (unlikely(slot >= w->sq_entries || !w->slots[slot].msg ||
		     w->slots[slot].gen != (uint32_t)(cookie >> 32)))
		return wdsoft_alive(p) ? -EIO : -ENODEV;
	if (unlikely(!wdsoft_alive(p)))
		return -ENODEV;	/* the CQE may be from a zero page */
	s = &w->slots[slot];
	*out = s->msg;
	s->msg = NULL;
	if (++s->gen == 0)
		s->gen = 1;
	w->free_slots[w->nfree++] = slot;
	wdsoft_complete(*out, status, out_len);
	return 1;
}

/*
 * WDSOFT_FEAT_IRQ_AT: wake once cq_tail reaches cq_head + @want, or once
 * the engine has run everything we sent and something waits (the device
 * wakes us then too, so a short batch is never stranded).
 */
static int wdsoft_arm_at(struct wd_queue_priv *p, struct wdsoft_q *w,
			 unsigned int want)
{
	uint32_t at = w->cq_head + want, tail, head;

	/*
	 * irq_at first: the engine reads it only once it sees WDSOFT_IRQ_AT,
	 * with acquire; release pairs with it on weakly ordered CPUs.
	 */
	WRITE_ONCE(w->mmio->irq_at, at);
	smp_store_release(&w->mmio->irq_armed, WDSOFT_IRQ_AT);
	/* As wdsoft_arm(): either we see the completions, or the engine the arm. */
	smp_mb();
	/* sq_head before cq_tail: the engine publishes a CQE before its SQE's slot. */
	head = smp_load_acquire(&w->hdr->sq_head);
	tail = smp_load_acquire(&w->hdr->cq_tail);
	if ((int32_t)(tail - at) >= 0 || (tail != w->cq_head && head == w->sq_tail)) {
		/* Over already: no wake-up is due for it later. */
		WRITE_ONCE(w->mmio->irq_armed, 0);
		return 1;
	}
	return wdsoft_alive(p) ? 0 : -ENODEV;
}

static int wdsoft_arm(struct wd_queue_priv *p, unsigned int want)
{
	struct wdsoft_q *w = p->drv_priv;

	if (want > 1 && (w->features & WDSOFT_FEAT_IRQ_AT))
		return wdsoft_arm_at(p, w, want);
	WRITE_ONCE(w->mmio->irq_armed, WDSOFT_IRQ_NEXT);
	/*
	 * Order the arm store before re-reading cq_tail: pairs with the
	 * engine's "publish cq_tail; then check irq_armed". Either we see the
	 * completion now, or the engine sees the flag and wakes pollers.
	 */
	smp_mb();
	if (smp_load_acquire(&w->hdr->cq_tail) != w->cq_head)
		return 1;
	return wdsoft_alive(p) ? 0 : -ENODEV;
}

/* WDSOFT_FEAT_ENGINE_CPU: the engine's CPU and state, hints only. */
static void wdsoft_engine(struct wd_queue_priv *p, struct wd_engine_hint *e)
{
	struct wdsoft_q *w = p->drv_priv;
	uint32_t st, cpu;

	e->known = w->features & WDSOFT_FEAT_ENGINE_CPU;
	if (!e->known)
		return;
	st = READ_ONCE(w->mmio->status);
	cpu = READ_ONCE(w->mmio->engine_cpu);
	e->parked = !(st & WDSOFT_STATUS_RUNNING) ||
		    (st & (WDSOFT_STATUS_NEED_WAKEUP | WDSOFT_STATUS_STALLED));
	e->cpu = cpu > INT32_MAX ? -1 : (int)cpu;
}

const struct wd_drv __wd_drv_wdsoft = {
	.api = WDSOFT_API_NAME,
	.init = wdsoft_init,
	.fini = wdsoft_fini,
	.send = wdsoft_send,
	.flush = wdsoft_flush,
	.recv = wdsoft_recv,
	.arm = wdsoft_arm,
	.alive = wdsoft_alive,
	.engine = wdsoft_engine,
};
