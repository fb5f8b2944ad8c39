// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-libwd-double.c - the user-space wdsoft device double (see the header).
 *
 * Each fake queue has an engine thread that follows the protocol comment in
 * <misc/uacce/wdsoft.h> to the letter, with the same barriers, so libwd's
 * ring code is exercised against a concurrent peer, not a mock that answers
 * synchronously.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <unistd.h>

#include <openssl/sha.h>
#undef Z_PREFIX	/* the real zlib, also in a program built with libwdz's -DZ_PREFIX */
#include <zlib.h>

#include <misc/uacce/uacce.h>
#include <misc/uacce/wdsoft.h>

#include "wd-internal.h"
#include "barrier.h"
#include "test-libwd-double.h"
#include "swhash.h"

#define MAXQ		64
#define PAGE		4096UL
#define FAKE_DMA	0x10000000ULL

struct wddq {
	bool used;
	int fd, peer;
	ino_t ino;
	char dev[64];
	bool started, dead, stop, parked, wake;
	struct wdsoft_mmio *mmio;
	void *dus;
	size_t dus_size;
	void *ss;
	size_t ss_size;
	struct wddq *ss_src;
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t sq_head, cq_tail;	/* engine-private copies */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wddq queues[MAXQ];
static struct wdd_config cfg;
static struct wdd_stats stats;
static bool knob_stall, knob_busy;
static unsigned int knob_fail, knob_bogus, knob_delay;
static int knob_credit = -1;	/* wdd_credit(): requests left to run, -1 any */
static int place_client = -1, place_engine = -1;	/* wdd_place() */
static int knob_fail_status = -EIO;

static char tree[64];
static struct wdd_dev tree_devs[16];
static char tree_names[16][64];
static int tree_ndevs;

/* ---- registry ---- */

static struct wddq *find_fd(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	for (int i = 0; i < MAXQ; i++)
		if (queues[i].used && queues[i].ino == st.st_ino)
			return &queues[i];
	return NULL;
}

static struct wddq *find_addr(void *addr)
{
	for (int i = 0; i < MAXQ; i++)
		if (queues[i].used && (addr == (void *)queues[i].mmio ||
				       addr == queues[i].dus || addr == queues[i].ss))
			return &queues[i];
	return NULL;
}

/* ---- algorithms ---- */

static uint32_t crc32c_sw(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0U;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1)));
	}
	return ~crc;
}

static int do_deflate(const void *src, size_t slen, void *dst, size_t dlen,
		      int level, bool zlib, uint64_t *out)
{
	z_stream z = { 0 };
	int r;

	if (deflateInit2(&z, level ? level : 6, Z_DEFLATED, zlib ? 15 : -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)slen;
	z.next_out = dst;
	z.avail_out = (uInt)dlen;
	r = deflate(&z, Z_FINISH);
	*out = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -ENOSPC;
}

static int do_inflate(const void *src, size_t slen, void *dst, size_t dlen,
		      bool zlib, bool exact, uint64_t *out)
{
	z_stream z = { 0 };
	int r;

	if (inflateInit2(&z, zlib ? 15 : -15) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)slen;
	z.next_out = dst;
	z.avail_out = (uInt)dlen;
	r = inflate(&z, Z_FINISH);
	*out = z.total_out;
	inflateEnd(&z);
	if (r == Z_STREAM_END)
		return exact && z.avail_in ? -EMSGSIZE : 0;
	if (r == Z_BUF_ERROR && z.avail_out == 0 && z.avail_in)
		return -ENOSPC;
	return -EBADMSG;
}

/* Device address -> pointer, per mode; NULL when out of range. */
static void *xlate(struct wddq *q, uint64_t addr, uint64_t len)
{
	struct wddq *s = q->ss_src ? q->ss_src : q;

	if (cfg.mode == WDSOFT_MODE_SVA)
		return (void *)(uintptr_t)addr;
	if (cfg.mode == WDSOFT_MODE_NOIOMMU) {
		if (addr < FAKE_DMA)
			return NULL;
		addr -= FAKE_DMA;
	}
	if (!s->ss || addr > s->ss_size || len > s->ss_size - addr)
		return NULL;
	return (char *)s->ss + addr;
}

/* A streaming SHA-256 piece, by the rules of "Additions to version 1". */
static int do_sha256_stream(const struct wdsoft_sqe *sqe, const void *src,
			    void *dst, uint64_t *out)
{
	struct wd_hash_state hs;
	struct wd_swhash *h;

	if (!(cfg.features & WDSOFT_FEAT_HASH_STATE) ||
	    (sqe->flags & WDSOFT_SQE_DST_SGL))
		return -EINVAL;
	if ((sqe->flags & WDSOFT_SQE_HASH_OUT) && sqe->src_len % 64)
		return -EINVAL;
	if (sqe->dst_len < sizeof(hs))
		return -ENOSPC;
	wd_hash_state_init(&hs, "sha256");
	if (sqe->flags & WDSOFT_SQE_HASH_IN) {
		memcpy(&hs, dst, sizeof(hs));
		if (hs.reserved || hs.bytes % 64)
			return -EINVAL;
	}
	h = wd_swhash_resume(&hs);
	if (!h)
		return -ENOMEM;
	wd_swhash_update(h, src ? src : (const void *)"", sqe->src_len);
	if (sqe->flags & WDSOFT_SQE_HASH_OUT) {
		wd_swhash_export(h, &hs);
		wd_swhash_free(h);
		memcpy(dst, &hs, sizeof(hs));
		*out = sizeof(hs);
		return 0;
	}
	wd_swhash_final(h, dst);
	*out = 32;
	return 0;
}

static void process(struct wddq *q, const struct wdsoft_sqe *sqe,
		    struct wdsoft_cqe *cqe)
{
	void *src = xlate(q, sqe->src, sqe->src_len);
	void *dst = xlate(q, sqe->dst, sqe->dst_len);
	bool zlib = sqe->flags & WDSOFT_SQE_ZLIB;
	uint64_t out = 0;
	int st = 0;

	memset(cqe, 0, sizeof(*cqe));
	cqe->cookie = sqe->cookie;
	if (__atomic_load_n(&knob_fail, __ATOMIC_RELAXED)) {
		__atomic_fetch_sub(&knob_fail, 1, __ATOMIC_RELAXED);
		cqe->status = __atomic_load_n(&knob_fail_status, __ATOMIC_RELAXED);
		return;
	}
	if ((sqe->src_len && !src) || (sqe->dst_len && !dst)) {
		cqe->status = -EFAULT;
		return;
	}
	switch (sqe->op) {
	case WDSOFT_OP_MEMCPY:
		if (sqe->dst_len < sqe->src_len) {
			st = -ENOSPC;
			break;
		}
		memcpy(dst, src, sqe->src_len);
		out = sqe->src_len;
		break;
	case WDSOFT_OP_CRC32C: {
		uint32_t c = crc32c_sw(src, sqe->src_len);
		uint8_t le[4] = { c, c >> 8, c >> 16, c >> 24 };

		if (sqe->dst_len < 4) {
			st = -ENOSPC;
			break;
		}
		memcpy(dst, le, 4);
		cqe->result = c;
		out = 4;
		break;
	}
	case WDSOFT_OP_SHA256:
		if (sqe->flags & (WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT)) {
			st = do_sha256_stream(sqe, src, dst, &out);
			break;
		}
		if (sqe->dst_len < 32) {
			st = -ENOSPC;
			break;
		}
		SHA256(src ? src : (const void *)"", sqe->src_len, dst);
		out = 32;
		break;
	case WDSOFT_OP_DEFLATE:
		st = do_deflate(src, sqe->src_len, dst, sqe->dst_len, sqe->level, zlib, &out);
		break;
	case WDSOFT_OP_INFLATE:
		st = do_inflate(src, sqe->src_len, dst, sqe->dst_len, zlib,
				sqe->flags & WDSOFT_SQE_EXACT, &out);
		break;
	default:
		st = -EOPNOTSUPP;
	}
	cqe->status = st;
	cqe->out_len = st ? 0 : out;
	if (__atomic_load_n(&knob_bogus, __ATOMIC_RELAXED)) {
		__atomic_store_n(&knob_bogus, 0, __ATOMIC_RELAXED);
		cqe->cookie ^= 0x5a5a5a5a00000000ULL;
	}
}

/* ---- the engine ---- */

/* Take one request's worth of wdd_credit(); false when none is left. */
static bool credit_take(void)
{
	int c = __atomic_load_n(&knob_credit, __ATOMIC_RELAXED);

	while (c) {
		if (c < 0)
			return true;
		if (__atomic_compare_exchange_n(&knob_credit, &c, c - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/*
 * After publishing a completion (and the full barrier): is a poll(2)
 * wake-up due? WDSOFT_IRQ_NEXT: yes. WDSOFT_IRQ_AT (WDSOFT_FEAT_IRQ_AT):
 * once cq_tail reached irq_at, or nothing is left to run and a completion
 * waits. Without the feature any arm means the next completion.
 */
static bool irq_due(struct wddq *q, struct wdsoft_mmio *mmio,
		    struct wdsoft_dus_hdr *hdr)
{
	uint32_t armed = READ_ONCE(mmio->irq_armed), at;

	if (!armed)
		return false;
	if (armed != WDSOFT_IRQ_AT || !(cfg.features & WDSOFT_FEAT_IRQ_AT))
		return true;
	at = READ_ONCE(mmio->irq_at);
	return (int32_t)(q->cq_tail - at) >= 0 ||
	       (smp_load_acquire(&mmio->sq_tail) == q->sq_head &&
		smp_load_acquire(&hdr->cq_head) != q->cq_tail);
}

static bool stall_held(void)
{
	return __atomic_load_n(&knob_stall, __ATOMIC_RELAXED);
}

static bool credit_held(void)
{
	return !__atomic_load_n(&knob_credit, __ATOMIC_RELAXED);
}

/*
 * Keep the engine from running, its status unchanged, while @held() says
 * so; wdd_stall(false) and wdd_credit() signal q->cond after changing it.
 */
static void engine_hold(struct wddq *q, bool (*held)(void))
{
	pthread_mutex_lock(&q->lock);
	while (held() && !__atomic_load_n(&q->stop, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&q->cond, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

static void *engine(void *arg)
{
	struct wddq *q = arg;
	struct wdsoft_mmio *mmio = q->mmio;
	struct wdsoft_dus_hdr *hdr = q->dus;
	struct wdsoft_sqe *sq = (void *)((char *)q->dus + mmio->sq_offset);
	struct wdsoft_cqe *cq = (void *)((char *)q->dus + mmio->cq_offset);
	uint32_t sqm = mmio->sq_entries - 1, cqm = mmio->cq_entries - 1;
	unsigned int idle = 0;

	WRITE_ONCE(mmio->status, WDSOFT_STATUS_RUNNING);
	while (!__atomic_load_n(&q->stop, __ATOMIC_ACQUIRE)) {
		int cpu = __atomic_load_n(&place_engine, __ATOMIC_RELAXED);
		bool stalled = __atomic_load_n(&knob_stall, __ATOMIC_RELAXED);

		/* Where we run, and whether we poll (WDSOFT_FEAT_ENGINE_CPU). */
		WRITE_ONCE(mmio->engine_cpu, (uint32_t)(cpu >= 0 ? cpu : sched_getcpu()));
		WRITE_ONCE(mmio->status, WDSOFT_STATUS_RUNNING |
			   (stalled ? WDSOFT_STATUS_STALLED : 0));
		if (stalled) {
			/*
			 * As the kernel's engine: do nothing, and keep saying
			 * so, until resumed. Parking here would drop STALLED.
			 */
			engine_hold(q, stall_held);
			continue;
		}
		/* Pairs with the submitter's store-release of sq_tail. */
		uint32_t tail = smp_load_acquire(&mmio->sq_tail);
		/* Pairs with the consumer's store-release of cq_head. */
		uint32_t cq_room = mmio->cq_entries -
				   (q->cq_tail - smp_load_acquire(&hdr->cq_head));

		if (tail != q->sq_head && credit_held()) {
			/* Out of wdd_credit(): wait, still polling, for more. */
			engine_hold(q, credit_held);
			continue;
		}
		if (tail != q->sq_head && cq_room && !stalled &&
		    !__atomic_load_n(&knob_busy, __ATOMIC_RELAXED) && credit_take()) {
			struct wdsoft_sqe sqe = sq[q->sq_head & sqm];

			if (knob_delay)
				usleep(knob_delay);
			process(q, &sqe, &cq[q->cq_tail & cqm]);
			q->cq_tail++;
			q->sq_head++;
			smp_store_release(&hdr->cq_tail, q->cq_tail);
			smp_store_release(&hdr->sq_head, q->sq_head);
			/* Publish, full barrier, then look at the arm flag. */
			smp_mb();
			if (irq_due(q, mmio, hdr)) {
				WRITE_ONCE(mmio->irq_armed, 0);
				__atomic_fetch_add(&stats.irqs, 1, __ATOMIC_RELAXED);
				if (write(q->peer, "i", 1) < 0)
					break;
			}
			/* Counted once its wake-up is decided (wdd_stats()). */
			__atomic_fetch_add(&stats.processed, 1, __ATOMIC_RELAXED);
			idle = 0;
			continue;
		}
		if (++idle < cfg.idle_spins || __atomic_load_n(&knob_busy, __ATOMIC_RELAXED)) {
			sched_yield();
			continue;
		}
		/* Park: flag, full barrier, re-check, sleep. */
		WRITE_ONCE(mmio->status, WDSOFT_STATUS_RUNNING | WDSOFT_STATUS_NEED_WAKEUP);
		smp_mb();
		if (READ_ONCE(mmio->sq_tail) != q->sq_head &&
		    !__atomic_load_n(&knob_stall, __ATOMIC_RELAXED)) {
			WRITE_ONCE(mmio->status, WDSOFT_STATUS_RUNNING);
			continue;
		}
		pthread_mutex_lock(&q->lock);
		__atomic_store_n(&q->parked, true, __ATOMIC_RELEASE);
		__atomic_fetch_add(&stats.parks, 1, __ATOMIC_RELAXED);
		while (!q->wake && !__atomic_load_n(&q->stop, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&q->cond, &q->lock);
		q->wake = false;
		__atomic_store_n(&q->parked, false, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&q->lock);
		WRITE_ONCE(mmio->status, WDSOFT_STATUS_RUNNING);
		idle = 0;
	}
	return NULL;
}

static void engine_stop(struct wddq *q)
{
	if (!q->started)
		return;
	pthread_mutex_lock(&q->lock);
	__atomic_store_n(&q->stop, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thr, NULL);
	q->started = false;
}

static void kill_queue(struct wddq *q)
{
	engine_stop(q);
	if (q->dead)
		return;
	q->dead = true;
	memset(q->mmio, 0, PAGE);
	memset(q->dus, 0, q->dus_size);
	if (q->ss)
		memset(q->ss, 0, q->ss_size);
	if (q->peer >= 0) {
		close(q->peer);
		q->peer = -1;
	}
}

/* ---- the system-call seam ---- */

static int d_open(const char *path, int flags)
{
	const char *root = __wd_dev_root(), *name;
	size_t rl = strlen(root);
	struct wddq *q = NULL;
	int sv[2];
	struct stat st;
	size_t sqsz, cqsz;

	if (strncmp(path, root, rl) || path[rl] != '/')
		return open(path, flags);
	name = path + rl + 1;
	for (int i = 0; i < tree_ndevs; i++) {
		if (strcmp(tree_devs[i].name, name))
			continue;
		if (tree_devs[i].open_errno) {
			errno = tree_devs[i].open_errno;
			return -1;
		}
	}
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAXQ; i++)
		if (!queues[i].used) {
			q = &queues[i];
			break;
		}
	if (!q || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		pthread_mutex_unlock(&reg_lock);
		errno = EMFILE;
		return -1;
	}
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->fd = sv[0];
	q->peer = sv[1];
	fstat(sv[0], &st);
	q->ino = st.st_ino;
	snprintf(q->dev, sizeof(q->dev), "%s", name);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);

	q->mmio = aligned_alloc(PAGE, PAGE);
	memset(q->mmio, 0, PAGE);
	sqsz = cfg.sq_entries * sizeof(struct wdsoft_sqe);
	cqsz = cfg.cq_entries * sizeof(struct wdsoft_cqe);
	q->dus_size = (128 + sqsz + cqsz + PAGE - 1) & ~(PAGE - 1);
	q->dus = aligned_alloc(PAGE, q->dus_size);
	memset(q->dus, 0, q->dus_size);
	q->mmio->magic = WDSOFT_MAGIC;
	q->mmio->version = cfg.version;
	q->mmio->features = cfg.features;
	q->mmio->engine_cpu = WDSOFT_ENGINE_CPU_NONE;
	q->mmio->mode = cfg.mode;
	q->mmio->sq_entries = cfg.sq_entries;
	q->mmio->cq_entries = cfg.cq_entries;
	q->mmio->sq_offset = 128;
	q->mmio->cq_offset = (uint32_t)(128 + sqsz);
	q->mmio->dus_size = (uint32_t)q->dus_size;
	if (cfg.mode != WDSOFT_MODE_SVA) {
		q->ss_size = cfg.ss_size;
		q->ss = aligned_alloc(PAGE, q->ss_size);
		memset(q->ss, 0, q->ss_size);
	}
	stats.opens++;
	stats.live++;
	snprintf(stats.last_open, sizeof(stats.last_open), "%s", name);
	pthread_mutex_unlock(&reg_lock);
	return q->fd;
}

static int d_close(int fd)
{
	struct wddq *q;

	pthread_mutex_lock(&reg_lock);
	q = find_fd(fd);
	if (q) {
		kill_queue(q);
		free(q->mmio);
		free(q->dus);
		free(q->ss);
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
		q->used = false;
		stats.closes++;
		stats.live--;
	}
	pthread_mutex_unlock(&reg_lock);
	return close(fd);
}

static int d_ioctl(int fd, unsigned long req, unsigned long arg)
{
	struct wddq *q, *src;
	int r = 0;

	pthread_mutex_lock(&reg_lock);
	q = find_fd(fd);
	if (!q) {
		pthread_mutex_unlock(&reg_lock);
		return ioctl(fd, req, arg);
	}
	if (q->dead && req != UACCE_CMD_QINFO) {
		r = -ENODEV;
		goto out;
	}
	switch (req) {
	case UACCE_CMD_START_Q:
		if (q->started) {
			r = -EBUSY;
			break;
		}
		q->started = true;
		pthread_create(&q->thr, NULL, engine, q);
		break;
	case UACCE_CMD_QINFO: {
		struct uacce_qinfo *qi = (void *)arg;

		if (cfg.no_qinfo) {
			r = -ENOTTY;
			break;
		}
		memset(qi, 0, sizeof(*qi));
		qi->state = q->dead ? UACCE_QSTATE_DEAD :
			    q->started ? UACCE_QSTATE_STARTED : UACCE_QSTATE_INIT;
		qi->node = -1;
		for (int i = 0; i < tree_ndevs; i++)
			if (!strcmp(tree_devs[i].name, q->dev)) {
				qi->node = tree_devs[i].node;
				qi->flags = tree_devs[i].flags;
			}
		qi->region_size[UACCE_QFRT_MMIO] = PAGE;
		qi->region_size[UACCE_QFRT_DUS] = q->dus_size;
		qi->region_size[UACCE_QFRT_SS] = q->ss_size;
		break;
	}
	case WDSOFT_CMD_WAKE:
		stats.wakes++;
		pthread_mutex_lock(&q->lock);
		q->wake = true;
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->lock);
		break;
	case UACCE_CMD_REVOKE:
	case UACCE_CMD_PUT_Q:
		kill_queue(q);
		break;
	case UACCE_CMD_SHARE_SVAS:
		src = find_fd((int)arg);
		if (!src || !src->ss)
			r = -EINVAL;
		else
			q->ss_src = src;
		break;
	case UACCE_CMD_GET_SS_DMA:
		if (cfg.mode != WDSOFT_MODE_NOIOMMU)
			r = -EINVAL;
		else
			*(uint64_t *)arg = FAKE_DMA;
		break;
	default:
		r = -ENOTTY;
	}
out:
	pthread_mutex_unlock(&reg_lock);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

static void *d_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct wddq *q;
	void *m = MAP_FAILED;
	int err = EINVAL;

	pthread_mutex_lock(&reg_lock);
	q = find_fd(fd);
	if (!q) {
		pthread_mutex_unlock(&reg_lock);
		return mmap(addr, len, prot, flags, fd, off);
	}
	switch (off / PAGE) {
	case UACCE_QFRT_MMIO:
		if (len == PAGE)
			m = q->mmio;
		break;
	case UACCE_QFRT_DUS:
		if (len == q->dus_size)
			m = q->dus;
		break;
	case UACCE_QFRT_SS:
		if (q->ss && len == q->ss_size)
			m = q->ss;
		break;
	}
	if (q->dead) {
		m = MAP_FAILED;
		err = ENODEV;
	}
	pthread_mutex_unlock(&reg_lock);
	if (m == MAP_FAILED)
		errno = err;
	return m;
}

static int d_munmap(void *addr, size_t len)
{
	struct wddq *q;

	pthread_mutex_lock(&reg_lock);
	q = find_addr(addr);
	pthread_mutex_unlock(&reg_lock);
	if (q)
		return 0;	/* freed with the queue */
	return munmap(addr, len);
}

static int d_sched_yield(void)
{
	__atomic_fetch_add(&stats.yields, 1, __ATOMIC_RELAXED);
	return sched_yield();
}

static int d_getcpu(void)
{
	int cpu = __atomic_load_n(&place_client, __ATOMIC_RELAXED);

	return cpu >= 0 ? cpu : sched_getcpu();
}

static int d_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r;

	__atomic_fetch_add(&stats.polls, 1, __ATOMIC_RELAXED);
	r = poll(fds, n, timeout);
	__atomic_fetch_add(&stats.polls_done, 1, __ATOMIC_RELAXED);

	if (r <= 0)
		return r;
	for (nfds_t i = 0; i < n; i++) {
		char buf[64];

		if (!(fds[i].revents & POLLIN) || (fds[i].revents & POLLHUP))
			continue;
		pthread_mutex_lock(&reg_lock);
		if (find_fd(fds[i].fd))
			while (recv(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
		pthread_mutex_unlock(&reg_lock);
	}
	return r;
}

static const struct wd_sys double_sys = {
	.open = d_open,
	.close = d_close,
	.ioctl = d_ioctl,
	.mmap = d_mmap,
	.munmap = d_munmap,
	.poll = d_poll,
	.sched_yield = d_sched_yield,
	.getcpu = d_getcpu,
};

/* fork() while another thread is inside the double must not leave
 * reg_lock held in the child. */
static void reg_lock_take(void)
{
	pthread_mutex_lock(&reg_lock);
}

static void reg_lock_drop(void)
{
	pthread_mutex_unlock(&reg_lock);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_register(void)
{
	pthread_atfork(reg_lock_take, reg_lock_drop, reg_lock_drop);
}

int wdd_roundtrip(struct wd_queue *q)
{
	uint8_t a[32], b[32] = { 0 };
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = 32, .dst = b, .dst_len = 32 };
	void *done;
	int r;

	memset(a, 0x5a, sizeof(a));
	r = wd_send(q, &m);
	if (r < 0)
		return r;
	r = wd_recv_sync(q, &done);
	if (r < 0)
		return r;
	return done == &m && !m.status && !memcmp(a, b, 32) ? 0 : -EIO;
}

int wdd_inherited_fds(void)
{
	/* getdents64, not opendir: no malloc in a forked child (see the header) */
	char buf[4096];
	int n = 0, dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long len;

	if (dfd < 0)
		return -1;
	while ((len = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			int fd = atoi(de->d_name);

			if (de->d_name[0] != '.' && fd != dfd && find_fd(fd))
				n++;
			off += de->d_reclen;
		}
	}
	close(dfd);
	return n;
}

void wdd_install(const struct wdd_config *c)
{
	pthread_once(&atfork_once, atfork_register);
	memset(&cfg, 0, sizeof(cfg));
	if (c)
		cfg = *c;
	if (!cfg.sq_entries)
		cfg.sq_entries = 16;
	if (!cfg.cq_entries)
		cfg.cq_entries = cfg.sq_entries;
	if (!cfg.mode)
		cfg.mode = WDSOFT_MODE_SVA;
	if (!cfg.idle_spins)
		cfg.idle_spins = 64;
	if (!cfg.ss_size)
		cfg.ss_size = 64 * 1024;
	if (!cfg.version)
		cfg.version = WDSOFT_VERSION;
	if (!cfg.features)
		cfg.features = WDSOFT_FEAT_ENGINE_CPU | WDSOFT_FEAT_HASH_STATE |
			       WDSOFT_FEAT_INFLATE_EXACT | WDSOFT_FEAT_IRQ_AT;
	else if (cfg.features == WDD_NO_FEATURES)
		cfg.features = 0;
	if (cfg.no_engine_cpu)
		cfg.features &= ~WDSOFT_FEAT_ENGINE_CPU;
	if (cfg.no_irq_at)
		cfg.features &= ~WDSOFT_FEAT_IRQ_AT;
	memset(&stats, 0, sizeof(stats));
	knob_stall = knob_busy = false;
	place_client = place_engine = -1;
	knob_fail = knob_bogus = knob_delay = 0;
	knob_credit = -1;
	__wd_set_sys(&double_sys);
}

void wdd_uninstall(void)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAXQ; i++)
		if (queues[i].used)
			kill_queue(&queues[i]);
	pthread_mutex_unlock(&reg_lock);
	__wd_set_sys(NULL);
}

struct wdd_stats wdd_stats(void)
{
	struct wdd_stats s;

	pthread_mutex_lock(&reg_lock);
	s = stats;
	pthread_mutex_unlock(&reg_lock);
	return s;
}

void wdd_place(int client_cpu, int engine_cpu)
{
	__atomic_store_n(&place_client, client_cpu, __ATOMIC_RELAXED);
	__atomic_store_n(&place_engine, engine_cpu, __ATOMIC_RELAXED);
}

void wdd_busy(bool busy)
{
	__atomic_store_n(&knob_busy, busy, __ATOMIC_RELAXED);
}

/* Wake every started engine: the "hardware" resumes by itself. */
static void engines_kick(void)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAXQ; i++) {
		struct wddq *q = &queues[i];

		if (!q->used || !q->started)
			continue;
		pthread_mutex_lock(&q->lock);
		q->wake = true;
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

void wdd_stall(bool stall)
{
	__atomic_store_n(&knob_stall, stall, __ATOMIC_RELAXED);
	if (!stall)
		engines_kick();
}

void wdd_credit(int n)
{
	__atomic_store_n(&knob_credit, n, __ATOMIC_RELAXED);
	if (n)
		engines_kick();
}

void wdd_fail_next(unsigned int n)
{
	wdd_fail_next_status(n, -EIO);
}

void wdd_fail_next_status(unsigned int n, int status)
{
	__atomic_store_n(&knob_fail_status, status, __ATOMIC_RELAXED);
	__atomic_store_n(&knob_fail, n, __ATOMIC_RELAXED);
}

void wdd_bogus_cookie_next(void)
{
	__atomic_store_n(&knob_bogus, 1, __ATOMIC_RELAXED);
}

void wdd_delay_us(unsigned int us)
{
	knob_delay = us;
}

void wdd_revoke_fd(int fd)
{
	struct wddq *q;

	pthread_mutex_lock(&reg_lock);
	q = find_fd(fd);
	if (q)
		kill_queue(q);
	pthread_mutex_unlock(&reg_lock);
}

void wdd_revoke_all(void)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAXQ; i++)
		if (queues[i].used)
			kill_queue(&queues[i]);
	pthread_mutex_unlock(&reg_lock);
}

bool wdd_wait_parked(unsigned int timeout_ms)
{
	for (unsigned int t = 0; t < timeout_ms; t++) {
		bool all = true;

		pthread_mutex_lock(&reg_lock);
		for (int i = 0; i < MAXQ; i++)
			if (queues[i].used && queues[i].started &&
			    !__atomic_load_n(&queues[i].parked, __ATOMIC_ACQUIRE))
				all = false;
		pthread_mutex_unlock(&reg_lock);
		if (all)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- fake sysfs ---- */

static void write_attr(const char *dir, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void write_attr(const char *dir, const char *attr, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		abort();
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

const char *wdd_sysfs(const struct wdd_dev *devs, int ndevs, int nodes)
{
	char dir[PATH_MAX + 128], env[PATH_MAX + 64];

	if (tree[0])
		wdd_sysfs_cleanup();
	snprintf(tree, sizeof(tree), "/tmp/wdd-XXXXXX");
	if (!mkdtemp(tree))
		abort();
	snprintf(dir, sizeof(dir), "mkdir -p %s/sys/class/uacce %s/dev", tree, tree);
	if (system(dir))
		abort();
	for (int n = 0; n < nodes; n++) {
		char line[256] = "";
		size_t len = 0;

		snprintf(dir, sizeof(dir), "mkdir -p %s/sys/devices/system/node/node%d", tree, n);
		if (system(dir))
			abort();
		for (int m = 0; m < nodes; m++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%d",
						m ? " " : "", m == n ? 10 : 20 + 10 * abs(m - n));
		snprintf(dir, sizeof(dir), "%s/sys/devices/system/node/node%d", tree, n);
		write_attr(dir, "distance", "%s\n", line);
	}
	tree_ndevs = ndevs;
	for (int i = 0; i < ndevs; i++) {
		const struct wdd_dev *d = &devs[i];

		tree_devs[i] = *d;
		snprintf(tree_names[i], sizeof(tree_names[i]), "%s", d->name);
		tree_devs[i].name = tree_names[i];
		snprintf(dir, sizeof(dir), "mkdir -p %s/sys/class/uacce/%s", tree, d->name);
		if (system(dir))
			abort();
		snprintf(dir, sizeof(dir), "%s/sys/class/uacce/%s", tree, d->name);
		write_attr(dir, "api", "%s\n", d->api ? d->api : "wdsoft_v1");
		write_attr(dir, "algorithms", "%s\n",
			   d->algs ? d->algs : "memcpy\ncrc32c\nsha256\ndeflate\ninflate");
		write_attr(dir, "flags", "%u\n", d->flags);
		write_attr(dir, "available_instances", "%d\n", d->avail);
		write_attr(dir, "isolate", "%d\n", d->isolate);
		write_attr(dir, "node_id", "%d\n", d->node);
		write_attr(dir, "region_mmio_size", "%lu\n", PAGE);
		if (d->engine_cpus) {
			snprintf(dir, sizeof(dir), "mkdir -p %s/sys/class/uacce/%s/device",
				 tree, d->name);
			if (system(dir))
				abort();
			snprintf(dir, sizeof(dir), "%s/sys/class/uacce/%s/device", tree, d->name);
			write_attr(dir, "engine_cpus", "%s\n", d->engine_cpus);
		}
		snprintf(dir, sizeof(dir), "%s/dev", tree);
		write_attr(dir, d->name, "%s", "");
	}
	snprintf(env, sizeof(env), "%s/sys", tree);
	setenv("WD_SYSFS_ROOT", env, 1);
	snprintf(env, sizeof(env), "%s/dev", tree);
	setenv("WD_DEV_ROOT", env, 1);
	snprintf(env, sizeof(env), "%s/no-broker.sock", tree);
	setenv("WD_BROKER_SOCKET", env, 1);
	return tree;
}

void wdd_sysfs_set(const char *dev, const char *attr, const char *val)
{
	char dir[PATH_MAX + 64];

	snprintf(dir, sizeof(dir), "%s/sys/class/uacce/%s", tree, dev);
	write_attr(dir, attr, "%s\n", val);
}

void wdd_sysfs_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (!tree[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", tree);
	tree[0] = 0;
}
