// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ring fuzzer: hostile descriptors written straight into a mapped wdsoft
 * submission ring, on one device of each address mode (SVA, SS, NOIOMMU).
 *
 * Descriptors name kernel addresses, NULL, unmapped, PROT_NONE, read-only
 * (as destination) and overlapping memory, the queue's own ring mappings,
 * another process's memory and SS region, huge and overflowing lengths,
 * bad gather/scatter lists, unknown ops, flags and levels, non-zero
 * reserved fields, and pure random bytes. The indices are abused too: a
 * tail far beyond the ring, a tail behind the head, a completion head
 * ahead of the tail.
 *
 * Checked: every descriptor completes, in order, with its cookie; the
 * status is 0 or a documented error, exactly the expected one where the
 * descriptor's fate is certain; legal memcpy/crc32c descriptors give the
 * right bytes; canary memory of this process (never named) and of a second
 * process (named, but outside this queue's reach) is never written, nor is
 * a read-only buffer; the queue still works afterwards; the instances come
 * back and the modules unload.
 *
 * WD_FUZZ_SEED=N replays a run; WD_RING_FUZZ_SECONDS=N (default 8) is the
 * time spent per mode.
 */
#include <signal.h>
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

#define AREA_SIZE	(1UL << 20)
#define CANARY_SIZE	(256UL << 10)
#define RO_SIZE		(64UL << 10)
#define PAGE		4096UL
#define CANARY_BYTE	0xC5
#define RO_BYTE		0x3A
#define CHILD_BYTE	0x6B

enum kind { K_OK, K_RO, K_BAD, K_UNKNOWN };
enum expect { E_EXACT, E_LEGAL, E_FAIL, E_ANY };

/* ---- PRNG (xorshift64*), seeded and printed for replay ----------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return soft_rand(&rng_state);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ---- the address spaces a descriptor can name -------------------------- */

/*
 * One device under test. @area is the memory legal descriptors use: a
 * scratch mapping in SVA mode, the SS region otherwise; @dev_base is the
 * device address of its first byte. Bad addresses are collected in @bad.
 */
struct target {
	char dev[64];
	uint32_t mode;
	struct soft_ring r;
	uint8_t *area;
	size_t area_size;
	uint64_t dev_base;
	uint8_t *ro;		/* SVA only */
	uint64_t bad[32];
	unsigned int nr_bad;
	/* figures */
	unsigned long sqes, legal_checked, rejected, random_sqes;
	unsigned long index_rounds;
};

/* Memory this process never names in SVA mode. */
static uint8_t *canary;
/* Memory only the child has; unmapped here. */
static uint64_t child_va;

struct buf {
	uint64_t addr;
	uint64_t len;
	enum kind kind;
	bool crossing;	/* starts legal, runs past the end of the area */
	uint8_t *uptr;	/* user pointer when kind is K_OK/K_RO */
};

static uint64_t gen_len(bool legal)
{
	static const uint64_t huge[] = {
		1ULL << 32, 1ULL << 40, ~0ULL, ~0ULL - 7, 1ULL << 63,
		0x7fffffffffffffffULL,
	};
	unsigned int c = below(legal ? 100 : 125);

	if (c < 8)
		return 0;
	if (c < 60)
		return 1 + below(4096);
	if (c < 85)
		return 4090 + below(12);
	if (c < 100)
		return 1 + below(200000);
	return huge[below(sizeof(huge) / sizeof(huge[0]))];
}

/* A buffer of the target's space; legal or not, as chance decides. */
static struct buf gen_buf(struct target *t)
{
	struct buf b = { .kind = K_BAD };
	unsigned int c = below(100);
	uint64_t off;

	b.len = gen_len(c < 55);
	if (c < 55 && b.len <= t->area_size) {
		off = below(t->area_size - b.len + 1);
		b.addr = t->dev_base + off;
		b.uptr = t->area + off;
		b.kind = K_OK;
	} else if (c < 65 && t->ro && b.len <= RO_SIZE) {
		off = below(RO_SIZE - b.len + 1);
		b.addr = (uintptr_t)t->ro + off;
		b.uptr = t->ro + off;
		b.kind = K_RO;
	} else if (c < 75 && b.len) {
		/* Starts legal, runs past the end of the area. */
		off = t->area_size - below(b.len < t->area_size ? b.len : t->area_size);
		if (off == t->area_size)
			off--;
		b.addr = t->dev_base + off;
		b.crossing = b.len > t->area_size - off;
		b.kind = b.crossing ? K_BAD : K_OK;
		b.uptr = b.crossing ? NULL : t->area + off;
	} else if (c < 95) {
		b.addr = t->bad[below(t->nr_bad)] + below(PAGE);
		if (chance(30))
			b.addr &= ~(PAGE - 1);
	} else {
		b.addr = rnd();
		b.kind = K_UNKNOWN;
		if (t->mode == WDSOFT_MODE_SVA &&
		    b.addr - (uintptr_t)canary < CANARY_SIZE + (1ULL << 40))
			b.addr |= 1ULL << 63;	/* never near the canary */
	}
	return b;
}

/*
 * Build a gather/scatter list of random entries inside the area; the kind
 * of the whole is that of its worst part. Returns the list as a buffer
 * (addr = list address, len = entries).
 */
static struct buf gen_sgl(struct target *t, bool for_dst, uint64_t *total)
{
	struct buf list = { .kind = K_OK };
	unsigned int c = below(100), i, n;
	struct wdsoft_sge *sge;
	uint64_t off;

	*total = 0;
	n = c < 80 ? (unsigned int)below(9) : c < 90 ? 256 : 0;
	if (c >= 90) {
		static const uint64_t bad_n[] = { 257, 1000, 1ULL << 32, ~0ULL };

		list.len = bad_n[below(4)];
		list.addr = t->dev_base + below(t->area_size / 2);
		list.kind = K_BAD;
		return list;
	}
	list.len = n;
	if (chance(10)) {
		/* The list anywhere, entries whatever lies there. */
		list.addr = gen_buf(t).addr;
		list.kind = n ? K_UNKNOWN : K_OK;
		*total = ~0ULL;
		return list;
	}
	/* The list itself in the first half of the area, 16-byte aligned. */
	off = below((t->area_size / 2 - n * sizeof(*sge)) / 16) * 16;
	list.addr = t->dev_base + off;
	sge = (struct wdsoft_sge *)(t->area + off);
	for (i = 0; i < n; i++) {
		struct buf b = gen_buf(t);

		if (b.len > 70000 && b.kind != K_BAD)
			b.len = 1 + below(70000), b.kind = K_UNKNOWN;
		sge[i].addr = b.addr;
		sge[i].len = b.len;
		if (__builtin_add_overflow(*total, b.len, total))
			*total = ~0ULL;
		if (!b.len)
			continue;
		if (b.kind == K_RO && for_dst)
			b.kind = K_BAD;
		/* Output may end before a bad scatter entry is reached. */
		if (b.kind == K_BAD && for_dst)
			b.kind = K_UNKNOWN;
		if (b.kind == K_BAD)
			list.kind = K_BAD;
		else if (b.kind == K_UNKNOWN && list.kind == K_OK)
			list.kind = K_UNKNOWN;
	}
	return list;
}

/* ---- one descriptor and what must become of it ------------------------- */

struct probe {
	struct wdsoft_sqe sqe;
	enum expect expect;
	int status;		/* E_EXACT */
	bool verify;		/* legal memcpy/crc32c whose result we check */
	uint8_t *snap;		/* source bytes at submission */
	uint8_t *dst;
	uint64_t len;
};

static int header_status(const struct wdsoft_sqe *s)
{
	const uint16_t known = WDSOFT_SQE_ZLIB | WDSOFT_SQE_SRC_SGL |
			       WDSOFT_SQE_DST_SGL | WDSOFT_SQE_HASH_IN |
			       WDSOFT_SQE_HASH_OUT | WDSOFT_SQE_EXACT;

	if (s->op >= WDSOFT_OP_MAX)
		return -EOPNOTSUPP;
	if (s->rsvd0 || s->rsvd[0] || s->rsvd[1] || (s->flags & ~known))
		return -EINVAL;
	if (s->level > 9)
		return -EINVAL;
	if ((s->flags & WDSOFT_SQE_ZLIB) && s->op != WDSOFT_OP_DEFLATE &&
	    s->op != WDSOFT_OP_INFLATE)
		return -EINVAL;
	/* The additions to version 1 (wdsoft.h), each for one op only. */
	if ((s->flags & (WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT)) &&
	    s->op != WDSOFT_OP_SHA256)
		return -EINVAL;
	if ((s->flags & WDSOFT_SQE_EXACT) && s->op != WDSOFT_OP_INFLATE)
		return -EINVAL;
	return 0;
}

/*
 * A legal memcpy or crc32c between two disjoint halves of the area, whose
 * result judge() checks against the bytes it snapshots.
 */
static void gen_legal(struct target *t, struct probe *p)
{
	struct wdsoft_sqe *s = &p->sqe;
	uint64_t half = t->area_size / 2, len = 1 + below(chance(80) ? 8192 : 200000);
	uint64_t so = below(half - len), dof = half + below(half - len);

	if (chance(50)) {
		uint64_t x = so;

		so = dof;
		dof = x;
	}
	s->op = chance(50) ? WDSOFT_OP_MEMCPY : WDSOFT_OP_CRC32C;
	s->src = t->dev_base + so;
	s->src_len = len;
	s->dst = t->dev_base + dof;
	s->dst_len = s->op == WDSOFT_OP_CRC32C && chance(50) ? 0 : len + below(100);
	p->expect = E_LEGAL;
	p->verify = true;
	p->len = len;
	p->dst = t->area + dof;
	p->snap = malloc(len);
	if (!p->snap)
		bail_out("out of memory");
	soft_fill(t->area + so, len, chance(50), (unsigned int)rnd());
	memcpy(p->snap, t->area + so, len);
}

static void gen_probe(struct target *t, struct probe *p, bool alone)
{
	struct wdsoft_sqe *s = &p->sqe;
	struct buf src, dst;
	uint64_t stot, dtot;
	int h;

	memset(p, 0, sizeof(*p));
	if (alone && chance(50)) {
		gen_legal(t, p);
		return;
	}
	if (chance(3)) {
		uint64_t *w = (uint64_t *)s;
		unsigned int i;

		for (i = 0; i < sizeof(*s) / 8; i++)
			w[i] = rnd();
		if (t->mode == WDSOFT_MODE_SVA) {
			/* Random, but never into the canary. */
			s->src |= 1ULL << 63;
			s->dst |= 1ULL << 63;
		}
		p->expect = E_ANY;
		t->random_sqes++;
		return;
	}
	s->op = chance(85) ? below(WDSOFT_OP_MAX) : WDSOFT_OP_MAX + below(250);
	if (chance(80)) {
		if ((s->op == WDSOFT_OP_DEFLATE || s->op == WDSOFT_OP_INFLATE) &&
		    chance(40))
			s->flags |= WDSOFT_SQE_ZLIB;
		if (chance(12))
			s->flags |= WDSOFT_SQE_SRC_SGL;
		if (chance(12))
			s->flags |= WDSOFT_SQE_DST_SGL;
	} else {
		s->flags = rnd();
	}
	s->level = chance(90) ? below(10) : below(256);
	if (chance(4))
		s->rsvd0 = rnd();
	if (chance(4))
		s->rsvd[below(2)] = rnd() | 1;

	if (s->flags & WDSOFT_SQE_SRC_SGL) {
		src = gen_sgl(t, false, &stot);
	} else {
		src = gen_buf(t);
		stot = src.len;
		if (src.kind == K_RO)
			src.kind = K_OK;
		if (!src.len && src.kind != K_OK)
			src.kind = K_OK;	/* nothing is read */
	}
	if (s->flags & WDSOFT_SQE_DST_SGL) {
		dst = gen_sgl(t, true, &dtot);
	} else {
		dst = gen_buf(t);
		if (s->op == WDSOFT_OP_MEMCPY && chance(30) && src.kind == K_OK &&
		    src.uptr && src.len <= t->area_size) {
			/* Overlapping source and destination: still legal. */
			if (src.uptr + src.len + 100 <= t->area + t->area_size) {
				uint64_t k = below(100);

				dst = src;
				dst.addr += k;
				dst.uptr += k;
			}
		}
		dtot = dst.len;
		if (dst.kind == K_RO)
			dst.kind = K_BAD;
		/* How much output there is decides whether the bad part is hit. */
		if (dst.crossing)
			dst.kind = K_UNKNOWN;
	}
	s->src = src.addr;
	s->src_len = src.len;
	s->dst = dst.addr;
	s->dst_len = dst.len;

	h = header_status(s);
	p->expect = E_ANY;
	if (h || s->op == WDSOFT_OP_NOP) {
		p->expect = E_EXACT;
		p->status = h;
		return;
	}
	if (src.kind == K_BAD && (s->flags & WDSOFT_SQE_SRC_SGL) && src.len > 256) {
		p->expect = E_EXACT;
		p->status = -EINVAL;
		return;
	}
	if (src.kind == K_UNKNOWN || dst.kind == K_UNKNOWN)
		return;
	/*
	 * A carried hash state has rules of its own (a state's length and
	 * bytes, whole blocks), which vm-soft-hashstate judges: here only
	 * that the status is a documented one.
	 */
	if (s->flags & (WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT))
		return;
	/*
	 * Lists live in the area, where other descriptors of the same batch
	 * may write before the engine reads them: judged only when alone.
	 */
	if ((s->flags & (WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL)) && !alone)
		return;
	if (src.kind == K_BAD) {
		/*
		 * Every op reads its whole source, or fails first; inflate may
		 * stop at the end of a valid stream before the bad part.
		 */
		if (s->op != WDSOFT_OP_INFLATE ||
		    (!(s->flags & WDSOFT_SQE_SRC_SGL) && !src.crossing))
			p->expect = E_FAIL;
		return;
	}
	if (dst.kind == K_BAD) {
		if ((s->flags & WDSOFT_SQE_DST_SGL) && dst.len > 256)
			p->expect = E_FAIL;
		else if ((s->op == WDSOFT_OP_MEMCPY && stot && stot <= dtot) ||
			 (s->op == WDSOFT_OP_CRC32C && dtot >= 4) ||
			 (s->op == WDSOFT_OP_SHA256 && dtot >= 32) ||
			 s->op == WDSOFT_OP_DEFLATE)
			p->expect = E_FAIL;
		return;
	}
	p->expect = E_LEGAL;
	if (alone && !(s->flags & (WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL)) &&
	    (s->op == WDSOFT_OP_MEMCPY || s->op == WDSOFT_OP_CRC32C) &&
	    src.uptr && src.len <= 200000) {
		p->verify = true;
		p->len = src.len;
		p->snap = malloc(src.len + 1);
		if (!p->snap)
			bail_out("out of memory");
		memcpy(p->snap, src.uptr, src.len);
		p->dst = dst.uptr;
		/* Overlap: the copy's result is the engine's business. */
		if (dst.uptr && dst.uptr < src.uptr + src.len &&
		    src.uptr < dst.uptr + dst.len)
			p->verify = s->op != WDSOFT_OP_MEMCPY;
	}
}

static bool status_documented(int st)
{
	return st == 0 || st == -EFAULT || st == -ENOSPC || st == -EBADMSG ||
	       st == -EOPNOTSUPP || st == -EINVAL || st == -EMSGSIZE;
}

/* Judge one completion; returns a description of the failure or NULL. */
static const char *judge(struct target *t, struct probe *p,
			 const struct wdsoft_cqe *c)
{
	const struct wdsoft_sqe *s = &p->sqe;
	static char why[200];

	if (!status_documented(c->status)) {
		snprintf(why, sizeof(why), "undocumented status %d", c->status);
		return why;
	}
	if (c->status)
		t->rejected++;
	switch (p->expect) {
	case E_EXACT:
		if (c->status == p->status)
			return NULL;
		snprintf(why, sizeof(why), "status %d, want %d", c->status, p->status);
		return why;
	case E_FAIL:
		return c->status ? NULL : "a descriptor naming unreachable memory succeeded";
	case E_ANY:
		return NULL;
	case E_LEGAL:
		break;
	}
	switch (s->op) {
	case WDSOFT_OP_MEMCPY: {
		uint64_t stot = s->src_len, dtot = s->dst_len;

		if (s->flags & (WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_DST_SGL))
			return NULL;	/* totals are the lists' */
		if (c->status != (stot <= dtot ? 0 : -ENOSPC))
			return "legal memcpy: wrong status";
		if (!c->status && c->out_len != stot)
			return "legal memcpy: wrong out_len";
		break;
	}
	case WDSOFT_OP_CRC32C:
		if (!(s->flags & WDSOFT_SQE_DST_SGL) &&
		    c->status != (s->dst_len && s->dst_len < 4 ? -ENOSPC : 0))
			return "legal crc32c: wrong status";
		break;
	case WDSOFT_OP_SHA256:
		if (!(s->flags & WDSOFT_SQE_DST_SGL) &&
		    c->status != (s->dst_len < 32 ? -ENOSPC : 0))
			return "legal sha256: wrong status";
		break;
	case WDSOFT_OP_DEFLATE:
		if (c->status && c->status != -ENOSPC)
			return "legal deflate: neither done nor out of space";
		break;
	default:
		if (c->status && c->status != -ENOSPC && c->status != -EBADMSG &&
		    !(c->status == -EMSGSIZE && (s->flags & WDSOFT_SQE_EXACT)))
			return "legal inflate: unexpected status";
		break;
	}
	if (!p->verify || c->status)
		return NULL;
	t->legal_checked++;
	if (s->op == WDSOFT_OP_CRC32C) {
		if (c->result != vm_crc32c(p->snap, p->len))
			return "crc32c result differs from the reference";
		return NULL;
	}
	if (p->dst && memcmp(p->dst, p->snap, p->len))
		return "memcpy destination differs from the source";
	return NULL;
}

/* ---- the run ----------------------------------------------------------- */

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

/* Every engine of @dev is parked (debugfs "engines": index pid queues parked ...). */
static bool engines_parked(const char *dev)
{
	char path[256];
	int idx, pid, parked, n = 0, all = 1;
	unsigned int nq;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* Skip the "# engine pid queues parked ..." header. */
	if (fscanf(f, "%*[^\n]\n") < 0) {
		fclose(f);
		return false;
	}
	while (fscanf(f, "%d %d %u %d%*[^\n]", &idx, &pid, &nq, &parked) == 4) {
		n++;
		all &= parked == 1;
	}
	fclose(f);
	return n && all;
}

/*
 * Put the indices back in step after abuse. First make the completion ring
 * look full, so the engine consumes nothing new; once it has parked it is
 * not in the middle of a descriptor either, and our tail goes to its head,
 * our completion head to its tail.
 */
static int resync(struct soft_ring *r)
{
	long end = soft_now_ms() + 30000;
	uint32_t head, ctail;

	for (;;) {
		ctail = __atomic_load_n(&r->hdr->cq_tail, __ATOMIC_ACQUIRE);
		__atomic_store_n(&r->hdr->cq_head, ctail - r->mask - 1, __ATOMIC_RELEASE);
		if (engines_parked(r->dev) &&
		    ctail == __atomic_load_n(&r->hdr->cq_tail, __ATOMIC_ACQUIRE))
			break;
		if (soft_now_ms() > end)
			return -ETIMEDOUT;
		soft_sleep_ms(5);
	}
	head = __atomic_load_n(&r->hdr->sq_head, __ATOMIC_ACQUIRE);
	r->sq_tail = head;
	r->cq_head = ctail;
	__atomic_store_n(&r->mmio->sq_tail, head, __ATOMIC_RELEASE);
	__atomic_store_n(&r->hdr->cq_head, ctail, __ATOMIC_RELEASE);
	return 0;
}

/* One legal memcpy through the ring; true if it gave the right bytes. */
static bool queue_works(struct target *t)
{
	struct wdsoft_sqe sqe;
	struct wdsoft_cqe cqe;
	uint8_t *a = t->area, *b = t->area + AREA_SIZE / 2;

	soft_fill(a, 5000, false, (unsigned int)rnd());
	memset(b, 0, 5000);
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, NULL, 5000, NULL, 5000);
	sqe.src = t->dev_base;
	sqe.dst = t->dev_base + AREA_SIZE / 2;
	return !soft_ring_run(&t->r, &sqe, &cqe) && !cqe.status &&
	       !memcmp(a, b, 5000);
}

#define MAX_BATCH 64

/* Fuzz @t for @seconds; returns the number of misjudged completions. */
static unsigned long fuzz(struct target *t, long seconds)
{
	static struct probe probes[MAX_BATCH];
	long end = soft_now_ms() + seconds * 1000;
	unsigned long bad = 0;
	unsigned int i;

	while (soft_now_ms() < end) {
		bool alone = chance(30);
		unsigned int n = alone ? 1 : 1 + below(t->r.mask + 1 < MAX_BATCH ?
						       t->r.mask + 1 : MAX_BATCH);
		uint64_t base = rnd();

		for (i = 0; i < n; i++) {
			gen_probe(t, &probes[i], alone);
			probes[i].sqe.cookie = base + i;
			if (soft_ring_queue(&t->r, &probes[i].sqe))
				bail_out("ring full with nothing in flight");
		}
		soft_ring_doorbell(&t->r);
		for (i = 0; i < n; i++) {
			struct wdsoft_cqe c;
			const char *why;
			int e = soft_ring_reap(&t->r, &c, 30000);

			if (e) {
				diag("%s: no completion for descriptor %u of %u (%s)",
				     t->dev, i, n, strerror(-e));
				return bad + n;
			}
			t->sqes++;
			if (c.cookie != probes[i].sqe.cookie) {
				why = "completion out of order or cookie changed";
			} else {
				why = judge(t, &probes[i], &c);
			}
			if (why && bad++ < 10) {
				const struct wdsoft_sqe *s = &probes[i].sqe;

				diag("%s: %s: op %u flags %#x level %u src %#llx/%llu dst %#llx/%llu status %d",
				     t->dev, why, s->op, s->flags, s->level,
				     (unsigned long long)s->src,
				     (unsigned long long)s->src_len,
				     (unsigned long long)s->dst,
				     (unsigned long long)s->dst_len, c.status);
			}
			free(probes[i].snap);
			probes[i].snap = NULL;
		}
	}
	return bad;
}

/*
 * Abuse the indices: a tail far ahead of the ring, a tail behind the head,
 * a completion head ahead of the tail. Returns 0 if the queue came through
 * working.
 */
static int fuzz_indices(struct target *t)
{
	struct soft_ring *r = &t->r;
	struct probe p;
	unsigned int round, i;

	for (round = 0; round < 6; round++) {
		uint32_t head = __atomic_load_n(&r->hdr->sq_head, __ATOMIC_ACQUIRE);
		uint32_t garbage;

		/* Garbage in every slot, named memory as the generator allows. */
		for (i = 0; i <= r->mask; i++) {
			gen_probe(t, &p, false);
			free(p.snap);
			r->sq[i] = p.sqe;
		}
		switch (round % 3) {
		case 0:
			garbage = head + r->mask + 1 + below(3 * (r->mask + 1));
			break;
		case 1:
			garbage = head - 1 - below(r->mask);
			break;
		default:
			garbage = head;
			/* Completion head ahead of the tail: the engine must wait. */
			__atomic_store_n(&r->hdr->cq_head,
					 r->cq_head + 1000 + (uint32_t)below(1U << 30),
					 __ATOMIC_RELEASE);
			garbage = head + 1;
			break;
		}
		__atomic_store_n(&r->mmio->sq_tail, garbage, __ATOMIC_RELEASE);
		ioctl(r->fd, WDSOFT_CMD_WAKE);
		/* Let the engine chew, reaping whatever it completes. */
		for (i = 0; i < 20; i++) {
			__atomic_store_n(&r->hdr->cq_head,
					 __atomic_load_n(&r->hdr->cq_tail, __ATOMIC_ACQUIRE) -
					 (round % 3 == 2 ? 5000 : 0),
					 __ATOMIC_RELEASE);
			ioctl(r->fd, WDSOFT_CMD_WAKE);
			soft_sleep_ms(10);
		}
		if (resync(r)) {
			diag("%s: the indices never settled after round %u", t->dev, round);
			return -ETIMEDOUT;
		}
		t->index_rounds++;
		if (!queue_works(t)) {
			diag("%s: the queue no longer works after index round %u",
			     t->dev, round);
			return -EIO;
		}
	}
	return 0;
}

static const char *mode_name(uint32_t m)
{
	return m == WDSOFT_MODE_SVA ? "sva" : m == WDSOFT_MODE_SS ? "ss" : "noiommu";
}

/*
 * The second process: a queue of its own on the same device (same engine),
 * its SS region and an anonymous mapping filled with CHILD_BYTE. It reports
 * where they are, waits for the parent to finish, and exits 0 if nothing
 * was written.
 */
static pid_t start_child(const char *dev, bool ss, uint64_t hole, int *to_child,
			 uint64_t *ss_dma)
{
	int up[2], down[2];
	uint64_t msg[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (!pid) {
		struct soft_ring cr;
		uint8_t *mine;
		uint64_t dma = 0;
		char c;
		int ok_ = 1;

		close(up[0]);
		close(down[1]);
		mine = mmap((void *)(uintptr_t)hole, CANARY_SIZE,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (mine == MAP_FAILED || soft_ring_open(&cr, dev, ss))
			_exit(3);
		memset(mine, CHILD_BYTE, CANARY_SIZE);
		if (cr.ss)
			memset(cr.ss, CHILD_BYTE, cr.ss_size);
		if (ss)
			ioctl(cr.fd, UACCE_CMD_GET_SS_DMA, &dma);
		msg[0] = (uintptr_t)mine;
		msg[1] = dma;
		if (write(up[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(3);
		if (read(down[0], &c, 1) != 1)
			_exit(3);
		ok_ &= all_bytes(mine, CANARY_SIZE, CHILD_BYTE);
		if (cr.ss)
			ok_ &= all_bytes(cr.ss, cr.ss_size, CHILD_BYTE);
		_exit(ok_ ? 0 : 1);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], msg, sizeof(msg)) != sizeof(msg))
		bail_out("the second process did not start");
	close(up[0]);
	*to_child = down[1];
	*ss_dma = msg[1];
	return pid;
}

static int wait_child(pid_t pid, int to_child)
{
	int st;

	if (write(to_child, "x", 1) != 1)
		return -1;
	close(to_child);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void setup_target(struct target *t, int index, uint8_t *scratch,
			 uint8_t *ro, uint8_t *none)
{
	bool ss;

	if (soft_find_device(index, t->dev, sizeof(t->dev)))
		bail_out("wdsoft device %d missing", index);
	ss = soft_attr(t->dev, "region_ss_size") > 0;
	if (soft_ring_open(&t->r, t->dev, ss))
		bail_out("cannot open a queue on %s", t->dev);
	t->mode = t->r.mmio->mode;
	t->nr_bad = 0;
	/* Kernel, NULL and non-canonical addresses. */
	if (t->mode != WDSOFT_MODE_SS)
		t->bad[t->nr_bad++] = 0;	/* an SS offset 0 is legal */
	t->bad[t->nr_bad++] = 0xffff888000000000ULL;
	t->bad[t->nr_bad++] = 0xffffffff81000000ULL;
	t->bad[t->nr_bad++] = 0xfffffffffffff000ULL;
	t->bad[t->nr_bad++] = 0x0000800000000000ULL;
	t->bad[t->nr_bad++] = child_va;
	if (t->mode == WDSOFT_MODE_SVA) {
		t->area = scratch;
		t->area_size = AREA_SIZE;
		t->dev_base = (uintptr_t)scratch;
		t->ro = ro;
		t->bad[t->nr_bad++] = (uintptr_t)none;
		t->bad[t->nr_bad++] = (uintptr_t)t->r.mmio;
		t->bad[t->nr_bad++] = (uintptr_t)t->r.sq;
		t->bad[t->nr_bad++] = (uintptr_t)t->r.cq;
		t->bad[t->nr_bad++] = (uintptr_t)scratch + AREA_SIZE;	/* guard */
	} else {
		t->area = t->r.ss;
		t->area_size = t->r.ss_size;
		t->ro = NULL;
		t->dev_base = 0;
		if (t->mode == WDSOFT_MODE_NOIOMMU &&
		    ioctl(t->r.fd, UACCE_CMD_GET_SS_DMA, &t->dev_base))
			bail_out("GET_SS_DMA on %s: %s", t->dev, strerror(errno));
		/* Our own process memory means nothing to an SS device. */
		t->bad[t->nr_bad++] = (uintptr_t)canary;
		t->bad[t->nr_bad++] = (uintptr_t)scratch;
		t->bad[t->nr_bad++] = t->dev_base + t->area_size;
		if (t->dev_base)
			t->bad[t->nr_bad++] = t->dev_base - PAGE;
	}
}

int main(void)
{
	static const char *params = "num_devices=3 modes=sva,ss,noiommu ring_depth=64 ss_pages=256";
	const char *env;
	long seconds = 8, initial[3];
	uint64_t seed;
	uint8_t *res, *scratch, *ro, *none, *hole;
	unsigned long total = 0;
	char dev0[64];
	int i;

	env = getenv("WD_FUZZ_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (!seed)
		seed = 1;
	rng_state = seed;
	env = getenv("WD_RING_FUZZ_SECONDS");
	if (env && atol(env) > 0)
		seconds = atol(env);

	soft_setup(params, dev0, sizeof(dev0));
	printf("# seed %llu (replay with WD_FUZZ_SEED=%llu), %ld s per mode\n",
	       (unsigned long long)seed, (unsigned long long)seed, seconds);

	/*
	 * [guard][scratch 1 MiB][guard][canary 256 KiB][guard][ro 64 KiB]
	 * [guard][none 64 KiB][hole 256 KiB]: a write running off the
	 * scratch area hits a guard page before it can reach the canary.
	 */
	res = mmap(NULL, AREA_SIZE + CANARY_SIZE + RO_SIZE * 2 + CANARY_SIZE + 5 * PAGE,
		   PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	scratch = res + PAGE;
	canary = scratch + AREA_SIZE + PAGE;
	ro = canary + CANARY_SIZE + PAGE;
	none = ro + RO_SIZE + PAGE;
	hole = none + RO_SIZE;
	if (mprotect(scratch, AREA_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(canary, CANARY_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(ro, RO_SIZE, PROT_READ | PROT_WRITE))
		bail_out("mprotect: %s", strerror(errno));
	memset(canary, CANARY_BYTE, CANARY_SIZE);
	memset(ro, RO_BYTE, RO_SIZE);
	soft_fill(scratch, AREA_SIZE, true, 7);
	if (mprotect(ro, RO_SIZE, PROT_READ) || munmap(hole, CANARY_SIZE))
		bail_out("mprotect/munmap: %s", strerror(errno));
	child_va = (uintptr_t)hole;

	for (i = 0; i < 3; i++) {
		struct target t = { 0 };
		uint64_t child_dma = 0;
		unsigned long bad;
		int to_child, st;
		pid_t child;
		char name[64];

		if (soft_find_device(i, name, sizeof(name)))
			bail_out("wdsoft device %d missing", i);
		initial[i] = soft_attr(name, "available_instances");
		child = start_child(name, soft_attr(name, "region_ss_size") > 0,
				    child_va, &to_child, &child_dma);
		setup_target(&t, i, scratch, ro, none);
		if (child_dma)
			t.bad[t.nr_bad++] = child_dma;

		bad = fuzz(&t, seconds);
		ok(bad == 0 && t.legal_checked, "%s (%s): %lu descriptors, every completion as expected (%lu misjudged, %lu results verified)",
		   t.dev, mode_name(t.mode), t.sqes, bad, t.legal_checked);
		ok(fuzz_indices(&t) == 0,
		   "%s: garbage indices (tail past the ring, tail behind the head, completion head ahead) leave the queue working",
		   t.dev);
		ok(queue_works(&t), "%s: a legal memcpy still gives the right bytes", t.dev);
		ok(all_bytes(canary, CANARY_SIZE, CANARY_BYTE),
		   "%s: this process's canary was never written", t.dev);
		ok(all_bytes(ro, RO_SIZE, RO_BYTE),
		   "%s: the read-only buffer was never written", t.dev);
		soft_ring_close(&t.r);
		st = wait_child(child, to_child);
		is(st, 0, "%s: the second process's memory%s was never written", t.dev,
		   child_dma || t.mode == WDSOFT_MODE_SS ? " and SS region" : "");
		is(soft_attr(name, "available_instances"), initial[i],
		   "%s: every instance is back", t.dev);
		printf("# report: kernel-ring-fuzz-%s: %lu descriptors (%lu pure random), %lu rejected, %lu legal results verified, %lu index-abuse rounds, seed %llu\n",
		       mode_name(t.mode), t.sqes, t.random_sqes, t.rejected,
		       t.legal_checked, t.index_rounds, (unsigned long long)seed);
		total += t.sqes;
	}
	ok(vm_unload_modules() == 0, "the modules unload after %lu hostile descriptors", total);
	return exit_status();
}
