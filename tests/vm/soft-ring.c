// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * soft-ring.c - the wdsoft_v1 ring driver of the wdsoft vm tests
 * (soft-ring.h): find devices, open and map queues, submit and reap
 * descriptors, read the driver's sysfs and debugfs files, load modules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vm/soft-ring.h"

long soft_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

void soft_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int soft_find_device(int index, char *name, size_t size)
{
	int ids[256], n = 0, i, j;
	struct dirent *de;
	DIR *d = opendir("/sys/class/uacce");

	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) && n < 256)
		if (!strncmp(de->d_name, "wdsoft-", 7))
			ids[n++] = atoi(de->d_name + 7);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			int t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	if (index >= n)
		return -ENOENT;
	snprintf(name, size, "wdsoft-%d", ids[index]);
	return 0;
}

long soft_attr(const char *dev, const char *attr)
{
	long v = -1;

	if (vm_sysfs_long(dev, attr, &v) < 0)
		return -1;
	return v;
}

int soft_engine_line(const char *dev, unsigned int engine,
		     int v[5], unsigned long *yields)
{
	char path[256], line[256];
	int idx, r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (r && fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%d %d %d %d %d %lu", &idx, &v[0], &v[1], &v[2], &v[3],
			   yields) == 6 && idx == (int)engine)
			r = 0;
	fclose(f);
	return r;
}

int soft_engine_info(const char *dev, unsigned int engine,
		     int *pid, int *queues, int *parked)
{
	unsigned long y;
	int v[5];
	int r = soft_engine_line(dev, engine, v, &y);

	if (r)
		return r;
	if (pid)
		*pid = v[0];
	if (queues)
		*queues = v[1];
	if (parked)
		*parked = v[2];
	return 0;
}

int soft_engine_cpu(const char *dev, unsigned int engine, int *cpu, unsigned long *yields)
{
	int v[5];
	int r = soft_engine_line(dev, engine, v, yields);

	if (!r)
		*cpu = v[3];
	return r;
}

void soft_ring_close(struct soft_ring *r)
{
	if (r->ss)
		munmap(r->ss, r->ss_size);
	if (r->dus)
		munmap(r->dus, r->dus_size);
	if (r->mmio)
		munmap(r->mmio, 4096);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int soft_ring_adopt(struct soft_ring *r, int fd, const char *dev,
		    bool started, bool ss, int share_fd)
{
	long ss_size;
	int e;

	memset(r, 0, sizeof(*r));
	snprintf(r->dev, sizeof(r->dev), "%s", dev);
	r->fd = fd;
	if (share_fd >= 0 && ioctl(r->fd, UACCE_CMD_SHARE_SVAS, share_fd) < 0)
		goto fail;
	if (!started && ioctl(r->fd, UACCE_CMD_START_Q) < 0)
		goto fail;
	r->mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       UACCE_QFRT_MMIO * 4096);
	if (r->mmio == MAP_FAILED) {
		r->mmio = NULL;
		goto fail;
	}
	if (r->mmio->magic != WDSOFT_MAGIC || r->mmio->version != WDSOFT_VERSION) {
		errno = EPROTO;
		goto fail;
	}
	r->dus_size = r->mmio->dus_size;
	r->dus = mmap(NULL, r->dus_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, UACCE_QFRT_DUS * 4096);
	if (r->dus == MAP_FAILED) {
		r->dus = NULL;
		goto fail;
	}
	r->hdr = r->dus;
	r->sq = (struct wdsoft_sqe *)((char *)r->dus + r->mmio->sq_offset);
	r->cq = (struct wdsoft_cqe *)((char *)r->dus + r->mmio->cq_offset);
	r->mask = r->mmio->sq_entries - 1;
	/* A queue that already ran: go on from its user-side indices. */
	r->sq_tail = __atomic_load_n(&r->mmio->sq_tail, __ATOMIC_RELAXED);
	r->cq_head = __atomic_load_n(&r->hdr->cq_head, __ATOMIC_RELAXED);
	if (ss) {
		ss_size = soft_attr(dev, "region_ss_size");
		if (ss_size <= 0) {
			errno = ENODEV;
			goto fail;
		}
		r->ss_size = ss_size;
		r->ss = mmap(NULL, r->ss_size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, r->fd, UACCE_QFRT_SS * 4096);
		if (r->ss == MAP_FAILED) {
			r->ss = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	e = errno;
	soft_ring_close(r);
	return -e;
}

int soft_ring_open_share(struct soft_ring *r, const char *dev, bool ss, int share_fd)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return soft_ring_adopt(r, fd, dev, false, ss, share_fd);
}

int soft_ring_open(struct soft_ring *r, const char *dev, bool ss)
{
	return soft_ring_open_share(r, dev, ss, -1);
}

void soft_setup(const char *params, char *dev, size_t size)
{
	int e;

	vm_require();
	e = vm_load_modules(params);
	if (e)
		bail_out("cannot load the modules (%s): %s", params, strerror(-e));
	if (soft_find_device(0, dev, size))
		bail_out("no wdsoft device under /sys/class/uacce");
}

void soft_setup_ring(const char *params, char *dev, size_t size, struct soft_ring *r)
{
	int e;

	soft_setup(params, dev, size);
	e = soft_ring_open(r, dev, false);
	if (e)
		bail_out("cannot open a queue on %s: %s", dev, strerror(-e));
}

void soft_ring_doorbell(struct soft_ring *r)
{
	__atomic_store_n(&r->mmio->sq_tail, r->sq_tail, __ATOMIC_RELEASE);
	/* Pairs with the engine's barrier between NEED_WAKEUP and its re-check. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->mmio->status, __ATOMIC_RELAXED) &
	    WDSOFT_STATUS_NEED_WAKEUP) {
		r->wakes++;
		ioctl(r->fd, WDSOFT_CMD_WAKE);
	}
}

bool soft_ring_alive(const struct soft_ring *r)
{
	return __atomic_load_n(&r->mmio->magic, __ATOMIC_ACQUIRE) == WDSOFT_MAGIC;
}

int soft_ring_queue(struct soft_ring *r, const struct wdsoft_sqe *sqe)
{
	uint32_t head = __atomic_load_n(&r->hdr->sq_head, __ATOMIC_ACQUIRE);

	if (r->sq_tail - head > r->mask)
		return soft_ring_alive(r) ? -EAGAIN : -ENODEV;
	r->sq[r->sq_tail & r->mask] = *sqe;
	r->sq_tail++;
	return 0;
}

int soft_ring_submit(struct soft_ring *r, const struct wdsoft_sqe *sqe)
{
	int e = soft_ring_queue(r, sqe);

	if (!e)
		soft_ring_doorbell(r);
	return e;
}

int soft_ring_peek(struct soft_ring *r, struct wdsoft_cqe *cqe)
{
	uint32_t tail = __atomic_load_n(&r->hdr->cq_tail, __ATOMIC_ACQUIRE);

	if (tail == r->cq_head)
		return 0;
	*cqe = r->cq[r->cq_head & r->mask];
	if (!soft_ring_alive(r))
		return 0;
	r->cq_head++;
	__atomic_store_n(&r->hdr->cq_head, r->cq_head, __ATOMIC_RELEASE);
	return 1;
}

int soft_ring_reap(struct soft_ring *r, struct wdsoft_cqe *cqe, int timeout_ms)
{
	long end = soft_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		long left;

		if (soft_ring_peek(r, cqe))
			return 0;
		__atomic_store_n(&r->mmio->irq_armed, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (soft_ring_peek(r, cqe))
			return 0;
		if (!soft_ring_alive(r))
			return -ENODEV;
		left = end - soft_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left > 100 ? 100 : (int)left) < 0 && errno != EINTR)
			return -errno;
		if (p.revents & (POLLERR | POLLHUP))
			return soft_ring_peek(r, cqe) ? 0 : -ENODEV;
	}
}

int soft_time_scale(void)
{
	const char *env = getenv("WD_TIME_SCALE");
	char *end;
	long v;

	if (!env || !*env)
		return 1;
	v = strtol(env, &end, 10);
	return *end || v < 1 || v > 100 ? 1 : (int)v;
}

int soft_ring_run(struct soft_ring *r, struct wdsoft_sqe *sqe, struct wdsoft_cqe *cqe)
{
	int e;

	sqe->cookie = ((uint64_t)rand() << 20) ^ r->sq_tail;
	e = soft_ring_submit(r, sqe);
	if (e)
		return e;
	e = soft_ring_reap(r, cqe, 10000 * soft_time_scale());
	if (e)
		return e;
	if (cqe->cookie != sqe->cookie)
		return -EBADE;
	return 0;
}

struct wdsoft_sqe soft_sqe(uint8_t op, const void *src,
			   uint64_t slen, void *dst,
			   uint64_t dlen)
{
	struct wdsoft_sqe s = {
		.op = op,
		.src = (uintptr_t)src,
		.src_len = slen,
		.dst = (uintptr_t)dst,
		.dst_len = dlen,
	};
	return s;
}

void soft_fill(void *buf, size_t n, bool compressible, unsigned int seed)
{
	unsigned char *p = buf;
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	static const char words[] = "warpdrive queue ring engine deflate ";
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = compressible ? (unsigned char)words[(i + (x & 3 ? 0 : x % 7)) %
						 (sizeof(words) - 1)]
				    : (unsigned char)x;
	}
}

int soft_debugfs_write(const char *dev, const char *file, const char *val)
{
	return vm_write(val, "/sys/kernel/debug/wdsoft/%s/%s", dev, file);
}

long long soft_stat(const char *dev, const char *name)
{
	char path[256], key[64];
	long long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/stats", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

uint64_t soft_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

int soft_send_fd(int sock, int fd, int flags)
{
	char c = 'q';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, flags | MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int soft_recv_fd(int sock, int flags)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd = -EBADMSG;

	if (recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		int got[4], n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(got, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (fd < 0)
				fd = got[i];
			else
				close(got[i]);
		}
	}
	return fd;
}

long soft_live(const char *module, const char *key)
{
	char path[128], k[64];
	long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/live", module);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

int soft_kmod_load(const char *module, const char *params)
{
	const char *dir = getenv("WD_KMOD_DIR");
	char path[512];
	int fd, r;

	if (!dir)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s.ko", dir, module);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params ? params : "", 0) ? -errno : 0;
	close(fd);
	return r;
}

int soft_kmod_unload(const char *module)
{
	return syscall(SYS_delete_module, module, O_NONBLOCK) ? -errno : 0;
}

long soft_wait_instances(const char *dev, long want, long ms)
{
	long end = soft_now_ms() + ms * soft_time_scale(), v;

	while ((v = soft_attr(dev, "available_instances")) != want &&
	       soft_now_ms() < end)
		soft_sleep_ms(5);
	return v;
}

int soft_memcpy_check(const char *dev, size_t n, unsigned int seed)
{
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	uint8_t *a = malloc(n), *b = malloc(n);
	int e = -ENOMEM;

	if (!a || !b)
		goto out;
	e = soft_ring_open(&r, dev, false);
	if (e)
		goto out;
	soft_fill(a, n, false, seed);
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, n, b, n);
	e = soft_ring_run(&r, &sqe, &cqe);
	if (!e)
		e = cqe.status;
	if (!e && memcmp(a, b, n))
		e = -EIO;
	soft_ring_close(&r);
out:
	free(a);
	free(b);
	return e;
}
