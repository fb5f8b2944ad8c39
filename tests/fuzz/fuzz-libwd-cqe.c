// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: libwd's wdsoft driver against a hostile device.
 *
 * From libwd's point of view the device is untrusted memory: the MMIO
 * page's geometry, the ring indices the engine owns (sq_head, cq_tail) and
 * every CQE. This target plays the device from the fuzzer's bytes on a
 * fake mapped ring (plain heap memory of the exact region sizes, so ASan
 * sees any access outside it) and drives the real driver (__wd_drv_wdsoft,
 * the code wd_send()/wd_recv() call) between the device's moves.
 *
 * Input: one geometry byte (bit 7 set: 34 raw geometry bytes follow; bit 6:
 * the device counts completions for its waiter, WDSOFT_FEAT_IRQ_AT), then
 * a stream of moves, each an opcode byte and its arguments (see fuzz()).
 *
 * Invariants checked, beyond "no crash, no leak, no undefined behaviour":
 *  - init accepts only geometry whose rings lie inside the DUS region;
 *  - wd_recv's driver returns only 1, -EAGAIN, -EIO or -ENODEV, and
 *    -EAGAIN only when the CQ is empty, -ENODEV only on a dead queue;
 *  - a returned message is one in flight, returned once, and the one whose
 *    cookie the consumed CQE carried; its status is 0 or a negative errno
 *    and its out_len fits its destination (0 on error);
 *  - at most sq_entries messages are in flight; a free slot always sends;
 *  - WDSOFT_CMD_WAKE is issued only while the engine says NEED_WAKEUP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/uacce/wdsoft.h>

#include "wd-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MMIO_SIZE	4096
#define MAX_DUS		65536
#define MAX_INFLIGHT	64

#define check(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "invariant broken at %s:%d: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint32_t in_u32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)in_u8(in) << (8 * i);
	return v;
}

static uint64_t in_u64(struct input *in)
{
	return in_u32(in) | (uint64_t)in_u32(in) << 32;
}

/* The fake device's side of one queue. */
static struct wdsoft_mmio *mmio;
static unsigned int wakes_bad;

static int fake_ioctl(int fd, unsigned long req, unsigned long arg)
{
	(void)fd;
	(void)arg;
	if (req == WDSOFT_CMD_WAKE &&
	    !(__atomic_load_n(&mmio->status, __ATOMIC_RELAXED) & WDSOFT_STATUS_NEED_WAKEUP))
		wakes_bad++;
	return 0;
}

static const struct wd_sys fake_sys = { .ioctl = fake_ioctl };

struct flight {
	struct wd_msg *m;
	uint64_t cookie;
};

/* A geometry the driver must accept, so most inputs reach the rings. */
static size_t geom_valid(struct input *in, struct wdsoft_mmio *io)
{
	uint8_t b = in_u8(in);
	uint32_t sq = 1U << (b & 3), cq = sq << ((b >> 2) & 1);
	uint32_t sq_off = sizeof(struct wdsoft_dus_hdr);
	uint32_t cq_off = sq_off + sq * sizeof(struct wdsoft_sqe);

	io->magic = WDSOFT_MAGIC;
	io->version = WDSOFT_VERSION;
	io->mode = WDSOFT_MODE_SVA;
	io->sq_entries = sq;
	io->cq_entries = cq;
	io->sq_offset = sq_off;
	io->cq_offset = cq_off;
	io->dus_size = cq_off + cq * sizeof(struct wdsoft_cqe);
	return io->dus_size;
}

static size_t geom_raw(struct input *in, struct wdsoft_mmio *io)
{
	size_t dus;

	io->magic = in_u8(in) & 1 ? in_u32(in) : WDSOFT_MAGIC;
	io->version = in_u32(in);
	io->mode = in_u32(in);
	io->sq_entries = in_u32(in);
	io->cq_entries = in_u32(in);
	io->sq_offset = in_u32(in);
	io->cq_offset = in_u32(in);
	io->dus_size = in_u32(in);
	dus = in_u8(in) | (size_t)in_u8(in) << 8;
	return dus ? dus : 1;
}

static void fuzz(struct input *in)
{
	struct wd_queue q = { 0 };
	struct wd_queue_priv p = { .q = &q, .fd = 3, .broker_fd = -1 };
	struct flight fl[MAX_INFLIGHT] = { 0 };
	struct wdsoft_dus_hdr *hdr;
	struct wdsoft_sqe *sq;
	struct wdsoft_cqe *cq;
	uint32_t dev_sq_head = 0, dev_cq_tail = 0, nsq, ncq;
	uint64_t last_cookie = 0;
	unsigned int nfl = 0;
	uint8_t *dus, *ss = NULL;
	uint8_t first = in_u8(in);
	size_t dus_size;
	bool dead = false;
	int r;

	mmio = calloc(1, MMIO_SIZE);
	if (!mmio)
		abort();
	dus_size = first & 0x80 ? geom_raw(in, mmio) : geom_valid(in, mmio);
	if (first & 0x40)
		mmio->features = WDSOFT_FEAT_IRQ_AT;
	if (dus_size > MAX_DUS)
		dus_size = MAX_DUS;
	dus = calloc(1, dus_size);
	if (!dus)
		abort();
	p.region[UACCE_QFRT_MMIO] = mmio;
	p.region_size[UACCE_QFRT_MMIO] = MMIO_SIZE;
	p.region[UACCE_QFRT_DUS] = dus;
	p.region_size[UACCE_QFRT_DUS] = dus_size;
	if (mmio->mode != WDSOFT_MODE_SVA) {
		ss = calloc(1, 4096);
		if (!ss)
			abort();
		p.ss = (struct wd_ss){ .base = ss, .size = 4096, .dma = 0x1000 };
	}
	p.drv = &__wd_drv_wdsoft;
	__wd_set_sys(&fake_sys);
	wakes_bad = 0;

	r = p.drv->init(&p);
	if (r < 0) {
		check(r == -ENODEV || r == -EPROTO || r == -EPROTONOSUPPORT || r == -ENOMEM);
		check(q.errmsg[0]);	/* every refusal says why */
		check(!p.drv_priv);
		goto out;
	}
	nsq = mmio->sq_entries;
	ncq = mmio->cq_entries;
	/* Accepted geometry lies inside the region. */
	check(nsq && ncq && nsq <= ncq);
	check((uint64_t)mmio->sq_offset + (uint64_t)nsq * sizeof(*sq) <= dus_size);
	check((uint64_t)mmio->cq_offset + (uint64_t)ncq * sizeof(*cq) <= dus_size);
	check(mmio->sq_offset >= sizeof(*hdr) && mmio->cq_offset >= sizeof(*hdr));
	hdr = (void *)dus;
	sq = (void *)(dus + mmio->sq_offset);
	cq = (void *)(dus + mmio->cq_offset);

	while (in->n) {
		uint8_t op = in_u8(in);

		switch (op % 9) {
		case 0: {	/* the caller sends a request */
			struct wd_msg *m = calloc(1, sizeof(*m));
			static uint8_t src[64], dst[64];
			uint8_t a = in_u8(in);
			uint8_t *base = ss ? ss : src;

			/* the queue core never calls the driver on a dead queue */
			if (dead || nfl == MAX_INFLIGHT) {
				free(m);
				break;
			}
			if (!m)
				abort();
			m->op = WD_OP_FIRST + a % (WD_OP_LAST - WD_OP_FIRST + 1);
			m->flags = a & 0x80 ? WD_MSG_ZLIB : 0;
			m->src = base;
			m->src_len = 1 + (a & 31);
			m->dst = ss ? ss + 64 : dst;
			m->dst_len = 32 + (a & 31);
			r = p.drv->send(&p, m, true);
			if (r == 0) {
				check(nfl < nsq);
				fl[nfl].m = m;
				/* the cookie the driver put in the SQE it just wrote */
				fl[nfl].cookie = sq[(mmio->sq_tail - 1) & (nsq - 1)].cookie;
				nfl++;
			} else {
				check(r == -EBUSY);
				/* only a full table, or a device lagging on sq_head */
				check(nfl == nsq || mmio->sq_tail - hdr->sq_head >= nsq);
				free(m);
			}
			break;
		}
		case 1: {	/* the device completes the next SQE, honestly or not */
			struct wdsoft_cqe *c = &cq[dev_cq_tail & (ncq - 1)];

			c->cookie = sq[dev_sq_head & (nsq - 1)].cookie;
			c->status = (int8_t)in_u8(in);
			c->out_len = in_u8(in);
			c->result = 0;
			last_cookie = c->cookie;
			dev_sq_head++;
			dev_cq_tail++;
			__atomic_store_n(&hdr->sq_head, dev_sq_head, __ATOMIC_RELEASE);
			__atomic_store_n(&hdr->cq_tail, dev_cq_tail, __ATOMIC_RELEASE);
			break;
		}
		case 2: {	/* a garbage CQE */
			struct wdsoft_cqe *c = &cq[dev_cq_tail & (ncq - 1)];

			c->cookie = in_u64(in);
			c->status = (int32_t)in_u32(in);
			c->rsvd = in_u32(in);
			c->out_len = in_u64(in);
			dev_cq_tail++;
			__atomic_store_n(&hdr->cq_tail, dev_cq_tail, __ATOMIC_RELEASE);
			break;
		}
		case 3:		/* cq_tail anywhere */
			dev_cq_tail = in_u32(in);
			__atomic_store_n(&hdr->cq_tail, dev_cq_tail, __ATOMIC_RELEASE);
			break;
		case 4:		/* sq_head anywhere */
			dev_sq_head = in_u32(in);
			__atomic_store_n(&hdr->sq_head, dev_sq_head, __ATOMIC_RELEASE);
			break;
		case 5: {	/* a duplicate of the last completion */
			struct wdsoft_cqe *c = &cq[dev_cq_tail & (ncq - 1)];

			c->cookie = last_cookie;
			c->status = 0;
			c->out_len = 0;
			dev_cq_tail++;
			__atomic_store_n(&hdr->cq_tail, dev_cq_tail, __ATOMIC_RELEASE);
			break;
		}
		case 6: {	/* the caller receives */
			uint32_t head = hdr->cq_head, tail = hdr->cq_tail;
			uint64_t cookie = cq[head & (ncq - 1)].cookie;
			struct wd_msg *m = NULL;
			unsigned int i;

			r = p.drv->recv(&p, &m);
			check(r == 1 || r == -EAGAIN || r == -EIO || r == -ENODEV);
			if (r == -EAGAIN)
				check(head == tail && !dead);
			if (r == -ENODEV)
				check(dead);
			if (r != 1)
				break;
			check(!dead);
			for (i = 0; i < nfl && fl[i].m != m; i++)
				;
			check(i < nfl);			/* in flight, not returned before */
			check(fl[i].cookie == cookie);	/* the one the CQE named */
			check(m->status == 0 || (m->status < 0 && m->status >= -4095));
			check(m->out_len <= m->dst_len);
			check(!m->status || !m->out_len);
			free(m);
			fl[i] = fl[--nfl];
			break;
		}
		case 7:		/* the device parks, or runs */
			mmio->status = in_u8(in) & 3 ? WDSOFT_STATUS_NEED_WAKEUP : WDSOFT_STATUS_RUNNING;
			break;
		case 8:		/* arm, flush, or the queue dies (regions read zero) */
			switch (in_u8(in) % 3) {
			case 0:
				r = p.drv->arm(&p, in_u8(in) % 4);
				check(r == 0 || r == 1 || r == -ENODEV);
				if (r == -ENODEV)
					check(dead);
				break;
			case 1:
				p.drv->flush(&p);
				break;
			default:
				memset(mmio, 0, MMIO_SIZE);
				memset(dus, 0, dus_size);
				dev_sq_head = dev_cq_tail = 0;
				dead = true;
				break;
			}
			break;
		}
		check(p.drv->alive(&p) == !dead);
	}
	check(!wakes_bad);
	p.drv->fini(&p);
	check(!p.drv_priv);
	for (unsigned int i = 0; i < nfl; i++)
		free(fl[i].m);
out:
	__wd_set_sys(NULL);
	free(ss);
	free(dus);
	free(mmio);
	mmio = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	fuzz(&in);
	return 0;
}
