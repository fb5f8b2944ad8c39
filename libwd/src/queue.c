// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * queue.c - the queue core: request, bind, map, the data-path entry points,
 * release, and fork handling.
 *
 * A queue is an open uacce fd plus its mapped regions. Whoever opened the
 * fd (the broker or, in direct mode, this process), binding always happens
 * here: the first mmap ties the queue to this address space, and
 * UACCE_CMD_START_Q from this process starts it. The core maps every region
 * the device has (region i at mmap offset i pages) and hands the queue to
 * the user driver matched by the device's api string.
 *
 * START_Q is issued on the first request sent, not in wd_request_queue():
 * uacce lets a queue adopt another queue's static shared region only before
 * it starts, and wd_share_reserved_memory() is called after both queues are
 * requested. The one ioctl lands on the first send; the steady state makes
 * none.
 *
 * Each queue has its own mutex; data-path calls take it and call the driver.
 * Nothing else is shared between queues on the data path. A global list of
 * queues (under queues_lock, taken only on request/release/fork) lets the
 * fork handler detach every inherited queue in the child.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "wdproto.h"
#include "wd-internal.h"

/* ---- the list of queues, for fork ---- */

/*
 * fork_lock makes "this process holds a queue descriptor" and "the queue is
 * on the list" one step as fork() sees it. wd_request_queue() holds it for
 * reading from before it can own a descriptor (broker connection, queue
 * fd) until the queue is on the list or every descriptor is closed again;
 * wd_release_queue() from taking the queue off the list until its fds are
 * closed. fork() takes it for writing (atfork_prepare), so it waits for
 * requests and releases in flight, and the child finds every descriptor it
 * inherited on the list. Writer-preferring, so a stream of requests cannot
 * starve fork(); readers never nest.
 *
 * queues_lock protects the list (queues, and every queues_prev/next); taken
 * inside fork_lock.
 */
static pthread_rwlock_t fork_lock;
static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wd_queue_priv *queues;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_lock_init(void)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fork_lock, &a);
	pthread_rwlockattr_destroy(&a);
}

static void atfork_prepare(void)
{
	pthread_rwlock_wrlock(&fork_lock);
	pthread_mutex_lock(&queues_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&queues_lock);
	pthread_rwlock_unlock(&fork_lock);
}

/*
 * In the child: the regions are not mapped (uacce marks them VM_DONTCOPY),
 * and the queue belongs to the parent's address space. Detach every queue:
 * close our copies of the fds so the parent's release really frees the
 * queue, reset locks another thread may have held, and make every call
 * return -ENODEV. Only async-signal-safe work here.
 */
static void atfork_child(void)
{
	struct wd_queue_priv *p;

	LIST_FOREACH(queues, p, queues) {
		p->dead = true;
		p->detached = true;
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		if (p->broker_fd >= 0)
			close(p->broker_fd);
		p->broker_fd = -1;
		pthread_mutex_init(&p->lock, NULL);
	}
	/* Held by the thread that forked, which the child is not: start over. */
	pthread_mutex_init(&queues_lock, NULL);
	fork_lock_init();
}

static void atfork_register(void)
{
	fork_lock_init();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void queue_list_add(struct wd_queue_priv *p)
{
	pthread_mutex_lock(&queues_lock);
	LIST_PREPEND(queues, queues, p);
	pthread_mutex_unlock(&queues_lock);
}

static void queue_list_del(struct wd_queue_priv *p)
{
	pthread_mutex_lock(&queues_lock);
	LIST_REMOVE(queues, queues, p);
	pthread_mutex_unlock(&queues_lock);
}

/* ---- request / bind / release ---- */

static void priv_unmap(struct wd_queue_priv *p)
{
	for (int i = 0; i < UACCE_QFRT_MAX; i++) {
		if (p->region[i] && !p->detached)
			__wd_sys->munmap(p->region[i], p->region_size[i]);
		p->region[i] = NULL;
	}
}

static void priv_free(struct wd_queue_priv *p)
{
	if (!p)
		return;
	if (p->drv && p->drv->fini)
		p->drv->fini(p);
	priv_unmap(p);
	if (p->fd >= 0)
		__wd_sys->close(p->fd);
	if (p->broker_fd >= 0)
		__wd_broker_release(p->broker_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static long page_size(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/* Region sizes: UACCE_CMD_QINFO, or mainline's sysfs attributes. */
static int query_regions(struct wd_queue *q, struct wd_queue_priv *p,
			 struct wd_devinfo *info)
{
	static const char *const attrs[UACCE_QFRT_MAX] = {
		[UACCE_QFRT_MMIO] = "region_mmio_size",
		[UACCE_QFRT_DUS] = "region_dus_size",
	};
	struct uacce_qinfo qi = { 0 };
	long v;

	if (__wd_sys->ioctl(p->fd, UACCE_CMD_QINFO, (unsigned long)&qi) == 0) {
		if (qi.state == UACCE_QSTATE_DEAD || qi.state == UACCE_QSTATE_STOPPED)
			return __wd_err(q, -ENODEV, "queue on %s was stopped before use (revoked or device removed); request a new one",
					info->name);
		for (int i = 0; i < UACCE_QFRT_MAX; i++)
			p->region_size[i] = qi.region_size[i];
		info->flags = qi.flags;
		info->node = qi.node;
		return 0;
	}
	if (errno != ENOTTY && errno != EINVAL)
		return __wd_err(q, -errno, "cannot query queue on %s: %s",
				info->name, strerror(errno));
	for (int i = 0; i < UACCE_QFRT_MAX; i++)
		if (attrs[i] && __wd_dev_attr_long(info->name, attrs[i], &v) == 0 && v > 0)
			p->region_size[i] = (size_t)v;
	return 0;
}

static int map_region(struct wd_queue *q, struct wd_queue_priv *p, int i)
{
	void *m;

	m = __wd_sys->mmap(NULL, p->region_size[i], PROT_READ | PROT_WRITE,
			   MAP_SHARED, p->fd, (off_t)i * page_size());
	if (m == MAP_FAILED)
		return __wd_err(q, -errno, "cannot map region %d (%zu bytes) of %s: %s",
				i, p->region_size[i], q->dev_name, strerror(errno));
	p->region[i] = m;
	return 0;
}

/* Takes ownership of @fd (and @sock) in every case. */
static int queue_bind(struct wd_queue *q, int fd, int sock,
		      struct wd_devinfo *info)
{
	struct wd_queue_priv *p;
	const struct wd_drv *drv;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p) {
		__wd_sys->close(fd);
		if (sock >= 0)
			close(sock);
		return __wd_err(q, -ENOMEM, "out of memory");
	}
	p->q = q;
	p->fd = fd;
	p->broker_fd = sock;
	pthread_mutex_init(&p->lock, NULL);

	snprintf(q->dev_name, sizeof(q->dev_name), "%s", info->name);
	snprintf(q->api, sizeof(q->api), "%s", info->api);

	drv = __wd_drv_find(info->api);
	if (!drv) {
		r = __wd_err(q, -EPROTONOSUPPORT, "device %s speaks ring protocol \"%s\", which this libwd does not know: update libwd",
			     info->name, info->api);
		goto err;
	}
	r = query_regions(q, p, info);
	if (r < 0)
		goto err;
	q->dev_node = info->node;
	q->dev_flags = info->flags;
	p->ops = __wd_algs_mask(info->algs);
	if (!p->ops)	/* device did not say: let it judge each request */
		p->ops = ((1U << (WD_OP_LAST + 1)) - 1) & ~((1U << WD_OP_FIRST) - 1);
	/*
	 * Ops outside a lease still go to the device, which refuses them
	 * (-EACCES): the kernel is the authority. This mask only tells the
	 * helpers which cached queue can serve an op.
	 */
	p->lease_ops = info->lease_ops ? info->lease_ops : p->ops;
	for (int i = UACCE_QFRT_MMIO; i <= UACCE_QFRT_DUS; i++) {
		if (!p->region_size[i])
			continue;
		r = map_region(q, p, i);
		if (r < 0)
			goto err;
	}
	p->drv = drv;
	r = drv->init(p);
	if (r < 0) {
		p->drv = NULL;
		goto err;
	}
	q->priv = p;
	queue_list_add(p);
	return 0;
err:
	priv_free(p);
	return r;
}

/*
 * wd_queue.alg: one algorithm, or a set of them joined by commas, each
 * known to libwd and named once. The broker checks the same spelling.
 */
static bool alg_set_valid(struct wd_queue *q)
{
	struct wdp_algs set;
	char why[WDP_TEXT_MAX];

	if (wdp_algs_parse(q->alg, &set, why, sizeof(why)) < 0)
		return __wd_err(q, false, "wd_queue.alg: %s", why);
	for (unsigned int i = 0; i < set.n; i++)
		if (__wd_alg_op(set.name[i]) < 0)
			return __wd_err(q, false, "unknown algorithm \"%s\": use memcpy, crc32c, sha256, deflate or inflate, or several joined by commas (\"sha256,crc32c\")",
					set.name[i]);
	return true;
}

static bool queue_args_valid(struct wd_queue *q)
{
	if (q->flags & ~(WD_QUEUE_DIRECT | WD_QUEUE_NO_FALLBACK))
		return __wd_err(q, false, "unknown flags 0x%x in wd_queue.flags",
				q->flags & ~(WD_QUEUE_DIRECT | WD_QUEUE_NO_FALLBACK));
	if ((q->flags & WD_QUEUE_DIRECT) && (q->flags & WD_QUEUE_NO_FALLBACK))
		return __wd_err(q, false, "WD_QUEUE_DIRECT and WD_QUEUE_NO_FALLBACK exclude each other");
	if (q->node < WD_NODE_ANY)
		return __wd_err(q, false, "wd_queue.node %d: use a node number or WD_NODE_ANY",
				q->node);
	if (q->alg && !alg_set_valid(q))
		return false;
	if (q->dev && !*q->dev)
		return __wd_err(q, false, "wd_queue.dev is empty: use NULL for any device");
	if (q->dev && strnlen(q->dev, PATH_MAX) == PATH_MAX)
		return __wd_err(q, false, "wd_queue.dev is longer than a path can be: give a device name such as wdsoft-0");
	return true;
}

static int request_locked(struct wd_queue *q);

WD_EXPORT int wd_request_queue(struct wd_queue *q)
{
	int r;

	if (!q)
		return -EINVAL;
	q->errmsg[0] = 0;
	if (q->priv)
		return __wd_err(q, -EBUSY, "this wd_queue is already requested; release it first or use another struct");
	if (!queue_args_valid(q))
		return -EINVAL;
	pthread_once(&atfork_once, atfork_register);
	pthread_rwlock_rdlock(&fork_lock);
	r = request_locked(q);
	pthread_rwlock_unlock(&fork_lock);
	return r;
}

/* Under fork_lock (read): from the first descriptor to the list. */
static int request_locked(struct wd_queue *q)
{
	struct wd_devinfo info = { 0 };
	int fd, sock = -1, r;

	q->dev_name[0] = 0;
	q->api[0] = 0;
	q->dev_node = -1;
	q->dev_flags = 0;
	q->lease = 0;

	fd = -ENOENT;
	if (!(q->flags & WD_QUEUE_DIRECT)) {
		fd = __wd_broker_request(q, &info, &q->lease, &sock);
		if (fd < 0 && fd != -ENOENT && fd != -ECONNREFUSED)
			return fd;
		if (fd < 0 && (q->flags & WD_QUEUE_NO_FALLBACK))
			return __wd_err(q, -ECONNREFUSED, "no broker listens on its socket and WD_QUEUE_NO_FALLBACK is set: start it (systemctl start wdbroker.socket)");
	}
	if (fd < 0) {
		fd = __wd_direct_open(q, &info);
		if (fd < 0)
			return fd;
	}
	r = queue_bind(q, fd, sock, &info);
	if (r < 0)
		q->lease = 0;
	return r;
}

WD_EXPORT void wd_release_queue(struct wd_queue *q)
{
	struct wd_queue_priv *p;

	if (!q || !q->priv)
		return;
	p = q->priv;
	/* See fork_lock: off the list and closed, as one step for fork(). */
	pthread_rwlock_rdlock(&fork_lock);
	queue_list_del(p);
	/* A detached (inherited) queue owns nothing but its memory. */
	priv_free(p);
	q->priv = NULL;
	q->lease = 0;
	pthread_rwlock_unlock(&fork_lock);
}

/* ---- data path ---- */

/* Take the lock of a live queue, or fail with -ENODEV/-EINVAL. */
static inline int queue_lock(struct wd_queue *q, struct wd_queue_priv **pp)
{
	struct wd_queue_priv *p;

	if (unlikely(!q || !q->priv))
		return -EINVAL;
	p = q->priv;
	pthread_mutex_lock(&p->lock);
	if (unlikely(p->dead || !p->drv->alive(p))) {
		p->dead = true;
		pthread_mutex_unlock(&p->lock);
		return -ENODEV;
	}
	*pp = p;
	return 0;
}

/* Start the queue on first use (see the top of this file). Under p->lock. */
static inline int queue_start(struct wd_queue_priv *p)
{
	struct wd_queue *q = p->q;

	if (likely(p->started))
		return 0;
	if (__wd_sys->ioctl(p->fd, UACCE_CMD_START_Q, 0) < 0) {
		int r = -errno;

		if (r == -ENODEV) {
			p->dead = true;
			return __wd_err(q, r, "device %s went away or the queue was revoked before it started; request a new one",
					q->dev_name);
		}
		return __wd_err(q, r, "cannot start the queue on %s: %s", q->dev_name,
				strerror(-r));
	}
	p->started = true;
	return 0;
}

static inline int msg_check(struct wd_queue_priv *p, const struct wd_msg *m)
{
	if (unlikely(!m))
		return -EINVAL;
	if (unlikely(m->op < WD_OP_FIRST || m->op > WD_OP_LAST))
		return -EINVAL;
	if (unlikely(!(p->ops & (1U << m->op))))
		return -EOPNOTSUPP;
	if (unlikely(m->flags & ~(WD_MSG_ZLIB | WD_MSG_LEVEL_MASK | WD_MSG_HASH_MASK |
				  WD_MSG_EXACT) ||
		     (m->flags & WD_MSG_LEVEL_MASK) > WD_MSG_LEVEL(9)))
		return -EINVAL;
	if (unlikely((m->flags & WD_MSG_EXACT) && m->op != WD_OP_INFLATE))
		return -EINVAL;
	if (unlikely(m->flags & WD_MSG_HASH_MASK) && __wd_hash_msg_check(m))
		return -EINVAL;
	if (unlikely((m->src_len && !m->src) || (m->dst_len && !m->dst)))
		return -EINVAL;
	/* A buffer that runs past the end of the address space is malformed. */
	if (unlikely(m->src_len > UINTPTR_MAX - (uintptr_t)m->src ||
		     m->dst_len > UINTPTR_MAX - (uintptr_t)m->dst))
		return -EINVAL;
	if (unlikely(m->op == WD_OP_CRC32C && m->dst_len < WD_CRC32C_SIZE))
		return -EINVAL;
	if (unlikely(m->op == WD_OP_SHA256 && m->dst_len < WD_SHA256_SIZE))
		return -EINVAL;
	return 0;
}

WD_EXPORT int wd_send(struct wd_queue *q, void *req)
{
	struct wd_queue_priv *p;
	struct wd_msg *m = req;
	int r;

	r = queue_lock(q, &p);
	if (unlikely(r < 0))
		return r;
	r = msg_check(p, m);
	if (likely(!r))
		r = queue_start(p);
	if (likely(!r))
		r = p->drv->send(p, m, true);
	if (likely(!r))
		p->inflight++;
	pthread_mutex_unlock(&p->lock);
	return r;
}

WD_EXPORT int wd_send_batch(struct wd_queue *q, struct wd_msg **msgs, int n)
{
	struct wd_queue_priv *p;
	int r = 0, i;

	if (n < 0 || (n && !msgs))
		return -EINVAL;
	r = queue_lock(q, &p);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		r = msg_check(p, msgs[i]);
		if (!r)
			r = queue_start(p);
		if (!r)
			r = p->drv->send(p, msgs[i], false);
		if (r)
			break;
		p->inflight++;
	}
	if (i)
		p->drv->flush(p);
	pthread_mutex_unlock(&p->lock);
	return i ? i : r;
}

static inline int recv_locked(struct wd_queue_priv *p, struct wd_msg **m)
{
	int r = p->drv->recv(p, m);

	if (likely(r == 1))
		p->inflight--;
	else if (r == -ENODEV)
		p->dead = true;
	return r;
}

/*
 * Under the lock, after a look at the ring found nothing: what a caller
 * waiting for the requests in flight should do (wait.c).
 */
static enum wd_wait wait_choice_locked(struct wd_queue_priv *p)
{
	struct wd_engine_hint e = { .known = false, .cpu = -1 };

	if (!p->inflight)
		return WD_WAIT_SPIN;	/* nothing to wait for: no advice */
	if (p->drv->engine)
		p->drv->engine(p, &e);
	return __wd_wait_choice(&e, e.known ? __wd_cpu() : -1);
}

WD_EXPORT int wd_recv(struct wd_queue *q, void **req)
{
	struct wd_queue_priv *p;
	enum wd_wait w = WD_WAIT_SPIN;
	struct wd_msg *m;
	int r;

	if (unlikely(!req))
		return -EINVAL;
	r = queue_lock(q, &p);
	if (unlikely(r < 0))
		return r;
	r = recv_locked(p, &m);
	if (r == -EAGAIN)
		w = wait_choice_locked(p);
	pthread_mutex_unlock(&p->lock);
	if (r == 1)
		*req = m;
	/* A polling loop must not keep the engine off our CPU (wait.c). */
	if (w == WD_WAIT_YIELD)
		__wd_yield();
	return r;
}

WD_EXPORT int wd_recv_batch(struct wd_queue *q, struct wd_msg **msgs, int max)
{
	struct wd_queue_priv *p;
	enum wd_wait w = WD_WAIT_SPIN;
	int r, n = 0;

	if (max < 0 || (max && !msgs))
		return -EINVAL;
	r = queue_lock(q, &p);
	if (r < 0)
		return r;
	while (n < max) {
		r = recv_locked(p, &msgs[n]);
		if (r != 1)
			break;
		n++;
	}
	if (!n && r == -EAGAIN)
		w = wait_choice_locked(p);
	pthread_mutex_unlock(&p->lock);
	if (w == WD_WAIT_YIELD)
		__wd_yield();
	if (!n && r < 0 && r != -EAGAIN)
		return r;
	return n;
}

WD_EXPORT int wd_inflight(struct wd_queue *q)
{
	struct wd_queue_priv *p;
	int n;

	if (!q || !q->priv)
		return -EINVAL;
	p = q->priv;
	pthread_mutex_lock(&p->lock);
	n = (int)p->inflight;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * Arm the device for a wake-up once @want more completions are there (see
 * the driver's arm) and sleep in poll(2) without the lock; the fd stays
 * open while q is ours. 0: look at the ring again (woken, the wait already
 * over, or a signal); -ENODEV when the queue died; else -errno of poll(2).
 */
static int queue_sleep(struct wd_queue *q, unsigned int want)
{
	struct wd_queue_priv *p;
	struct pollfd pfd;
	int r;

	r = queue_lock(q, &p);
	if (r < 0)
		return r;
	/* arm: see the driver for the barrier pairing with the engine */
	r = p->drv->arm(p, want);
	pthread_mutex_unlock(&p->lock);
	if (r)
		return r < 0 ? r : 0;
	pfd = (struct pollfd){ .fd = p->fd, .events = POLLIN };
	r = __wd_sys->poll(&pfd, 1, -1);
	if (r < 0 && errno != EINTR)
		return -errno;
	if (r > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		pthread_mutex_lock(&p->lock);
		p->dead = true;
		pthread_mutex_unlock(&p->lock);
		return -ENODEV;
	}
	return 0;
}

/*
 * Wait as wait.c says: spin while the engine polls on another CPU, yield
 * while it polls on ours, each for at most WD_SPIN_NS, then sleep; sleep at
 * once while it is parked.
 */
WD_EXPORT int wd_recv_sync(struct wd_queue *q, void **req)
{
	struct wd_queue_priv *p;
	struct wd_msg *m;
	uint64_t since = 0;
	enum wd_wait w;
	int r;

	if (!req)
		return -EINVAL;
	for (;;) {
		r = queue_lock(q, &p);
		if (r < 0)
			return r;
		if (!p->inflight) {
			pthread_mutex_unlock(&p->lock);
			return -EAGAIN;
		}
		r = recv_locked(p, &m);
		w = r == -EAGAIN ? wait_choice_locked(p) : WD_WAIT_SPIN;
		pthread_mutex_unlock(&p->lock);
		if (r == 1) {
			*req = m;
			return 1;
		}
		if (r != -EAGAIN)
			return r;
		if (w != WD_WAIT_SLEEP) {
			uint64_t now = __wd_now_ns();

			if (!since)
				since = now;
			if (now - since < WD_SPIN_NS) {
				if (w == WD_WAIT_YIELD)
					__wd_yield();
				else
					cpu_relax();
				continue;
			}
		}
		since = 0;
		r = queue_sleep(q, 1);
		if (r < 0)
			return r;
	}
}

/*
 * Reap what is there, then sleep until @min are done (or everything in
 * flight, if fewer): with one wake-up when the device counts for us (see
 * the driver's arm), else one per completion, each followed by a look.
 * What was reaped before an error is returned first; the error comes at
 * the next call.
 */
WD_EXPORT int wd_recv_wait(struct wd_queue *q, struct wd_msg **msgs, int max, int min)
{
	struct wd_queue_priv *p;
	unsigned int want;
	int r, n = 0;

	if (!msgs || max < 1 || min < 1 || min > max)
		return -EINVAL;
	for (;;) {
		r = queue_lock(q, &p);
		if (r < 0)
			return n ? n : r;
		while (n < max && (r = recv_locked(p, &msgs[n])) == 1)
			n++;
		/* min is clamped to what is in flight: the rest never comes */
		want = n < min ? (unsigned int)(min - n) : 0;
		if (want > p->inflight)
			want = p->inflight;
		pthread_mutex_unlock(&p->lock);
		if (r < 0 && r != -EAGAIN)
			return n ? n : r;
		if (!want)
			return n ? n : -EAGAIN;
		r = queue_sleep(q, want);
		if (r < 0)
			return n ? n : r;
	}
}

WD_EXPORT void wd_flush(struct wd_queue *q)
{
	struct wd_queue_priv *p;

	if (queue_lock(q, &p) < 0)
		return;
	if (p->started)
		p->drv->flush(p);
	pthread_mutex_unlock(&p->lock);
}

WD_EXPORT int wd_queue_fd(struct wd_queue *q)
{
	struct wd_queue_priv *p;
	int fd;

	if (!q || !q->priv)
		return -EINVAL;
	p = q->priv;
	pthread_mutex_lock(&p->lock);
	fd = p->dead ? -ENODEV : p->fd;
	pthread_mutex_unlock(&p->lock);
	return fd;
}

WD_EXPORT int wd_queue_arm(struct wd_queue *q)
{
	struct wd_queue_priv *p;
	int r;

	r = queue_lock(q, &p);
	if (r < 0)
		return r;
	r = queue_start(p);
	if (!r)
		r = p->drv->arm(p, 1);
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* ---- static shared memory ---- */

static int ss_map(struct wd_queue *q, struct wd_queue_priv *p)
{
	uint64_t dma = 0;
	int r;

	if (p->region[UACCE_QFRT_SS])
		return 0;
	if (!(q->dev_flags & (UACCE_DEV_SS | UACCE_DEV_NOIOMMU)))
		return __wd_err(q, -EOPNOTSUPP, "device %s addresses this process's memory directly (SVA): use ordinary buffers, no reserved memory is needed",
				q->dev_name);
	if (p->ss.base)
		return __wd_err(q, -EBUSY, "this queue already uses memory shared by another queue");
	if (!p->region_size[UACCE_QFRT_SS])
		return __wd_err(q, -ENOMEM, "device %s gives this queue no static shared region",
				q->dev_name);
	if (q->dev_flags & UACCE_DEV_NOIOMMU &&
	    __wd_sys->ioctl(p->fd, UACCE_CMD_GET_SS_DMA, (unsigned long)&dma) < 0)
		return __wd_err(q, -errno, "cannot get the DMA address of %s's shared region: %s (NOIOMMU devices need CAP_SYS_RAWIO)",
				q->dev_name, strerror(errno));
	r = map_region(q, p, UACCE_QFRT_SS);
	if (r < 0)
		return r;
	p->ss.base = p->region[UACCE_QFRT_SS];
	p->ss.size = p->region_size[UACCE_QFRT_SS];
	p->ss.dma = dma;
	return 0;
}

WD_EXPORT void *wd_reserve_memory(struct wd_queue *q, size_t size)
{
	struct wd_queue_priv *p;
	int r;

	r = queue_lock(q, &p);
	if (r < 0) {
		if (q)
			__wd_err(q, r, "%s", r == -ENODEV ?
				 "the queue is dead (revoked or device removed); request a new one" :
				 "the queue is not requested");
		errno = -r;
		return NULL;
	}
	r = ss_map(q, p);
	if (!r && size > p->region_size[UACCE_QFRT_SS])
		r = __wd_err(q, -ENOMEM, "%zu bytes asked but %s's shared region holds %zu",
			     size, q->dev_name, p->region_size[UACCE_QFRT_SS]);
	pthread_mutex_unlock(&p->lock);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return p->region[UACCE_QFRT_SS];
}

WD_EXPORT int wd_share_reserved_memory(struct wd_queue *q, struct wd_queue *target_q)
{
	struct wd_queue_priv *p, *t;
	int r;

	if (!target_q || !target_q->priv || q == target_q)
		return __wd_err(q, -EINVAL, "target queue is not a requested queue other than the source");
	r = queue_lock(q, &p);
	if (r < 0)
		return r;
	r = ss_map(q, p);
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	r = queue_lock(target_q, &t);
	if (r < 0)
		return r;
	if (t->ss.base)
		r = __wd_err(target_q, -EBUSY, "target queue already has reserved memory");
	else if (t->started)
		r = __wd_err(target_q, -EBUSY, "target queue has already sent requests: share memory right after requesting it");
	else if (__wd_sys->ioctl(t->fd, UACCE_CMD_SHARE_SVAS, (unsigned long)p->fd) < 0)
		r = __wd_err(target_q, -errno, "device %s cannot use %s's shared region: %s",
			     target_q->dev_name, q->dev_name, strerror(errno));
	else
		t->ss = p->ss;	/* borrowed: @q keeps the mapping */
	pthread_mutex_unlock(&t->lock);
	return r;
}
