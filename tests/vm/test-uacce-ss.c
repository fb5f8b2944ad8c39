// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Static shared memory: uacce allocates a zeroed SS region per queue, it
 * survives munmap/mmap, UACCE_CMD_SHARE_SVAS lets a second queue work on
 * the first one's region (and refuses the wrong cases), and
 * UACCE_CMD_GET_SS_DMA answers only on NOIOMMU devices, only to
 * CAP_SYS_RAWIO, and taints the kernel.
 */
#include "vm/test-uacce-common.h"

static char ss_dev[256], noiommu_dev[256];

/* Find the wdsoft devices in SS mode and in NOIOMMU mode. */
static void find_modes(void)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/uacce");
	long flags;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || vm_sysfs_long(de->d_name, "flags", &flags) < 0)
			continue;
		if ((flags & UACCE_DEV_NOIOMMU) && !noiommu_dev[0])
			snprintf(noiommu_dev, sizeof(noiommu_dev), "%s", de->d_name);
		else if ((flags & UACCE_DEV_SS) && !(flags & UACCE_DEV_NOIOMMU) && !ss_dev[0])
			snprintf(ss_dev, sizeof(ss_dev), "%s", de->d_name);
	}
	if (d)
		closedir(d);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* One MEMCPY of @len bytes from SS offset @src to @dst through queue @fd. */
static int ss_memcpy(int fd, uint64_t src, uint64_t dst, uint64_t len)
{
	size_t mmio_sz = ut_region_size(UACCE_QFRT_MMIO);
	size_t dus_sz = ut_region_size(UACCE_QFRT_DUS);
	volatile struct wdsoft_mmio *mmio;
	volatile struct wdsoft_dus_hdr *hdr;
	struct wdsoft_sqe *sqe;
	struct wdsoft_cqe *cq;
	uint32_t tail, head;
	double start;
	uint8_t *dus;
	int err, r = -ETIMEDOUT;

	mmio = ut_map(fd, UACCE_QFRT_MMIO, mmio_sz, &err);
	dus = ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err);
	if (!mmio || !dus)
		return -ENOMEM;
	hdr = (void *)dus;
	if (mmio->mode != WDSOFT_MODE_SS) {
		r = -EPROTO;
		goto out;
	}
	tail = mmio->sq_tail;
	sqe = (void *)(dus + mmio->sq_offset);
	sqe += tail & (mmio->sq_entries - 1);
	memset(sqe, 0, sizeof(*sqe));
	sqe->op = WDSOFT_OP_MEMCPY;
	sqe->src = src;
	sqe->src_len = len;
	sqe->dst = dst;
	sqe->dst_len = len;
	sqe->cookie = 77;
	__atomic_store_n(&mmio->sq_tail, tail + 1, __ATOMIC_RELEASE);
	atomic_thread_fence(memory_order_seq_cst);
	if (__atomic_load_n(&mmio->status, __ATOMIC_ACQUIRE) & WDSOFT_STATUS_NEED_WAKEUP)
		ioctl(fd, WDSOFT_CMD_WAKE, 0);
	head = hdr->cq_head;
	for (start = ut_now(); ut_now() - start < 20;) {
		if (__atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE) != head) {
			cq = (void *)(dus + mmio->cq_offset);
			cq += head & (mmio->cq_entries - 1);
			r = cq->cookie == 77 ? cq->status : -EPROTO;
			__atomic_store_n(&hdr->cq_head, head + 1, __ATOMIC_RELEASE);
			break;
		}
		usleep(1000);
	}
out:
	munmap((void *)mmio, mmio_sz);
	munmap(dus, dus_sz);
	return r;
}

static void check_ss(void)
{
	size_t ss_sz;
	uint8_t *a, *b, *p;
	int fa, fb, fc, err;
	pid_t pid;

	ut_use(ss_dev);
	ss_sz = ut_region_size(UACCE_QFRT_SS);
	ok(ss_sz > 0, "%s has an SS region (%zu bytes)", ss_dev, ss_sz);
	fa = ut_open();
	a = ut_map(fa, UACCE_QFRT_SS, ss_sz, &err);
	ok_errno(err, 0, "SS maps before START_Q");
	ok(a && all_zero(a, ss_sz), "the SS region starts zeroed");
	ut_map(fa, UACCE_QFRT_SS, ss_sz, &err);
	ok_errno(err, -EEXIST, "a second SS mmap fails with EEXIST");
	if (a) {
		memset(a, 0x5a, 4096);
		munmap(a, ss_sz);
	}
	a = ut_map(fa, UACCE_QFRT_SS, ss_sz, &err);
	ok(a && a[0] == 0x5a && a[4095] == 0x5a, "the SS region keeps its content across munmap/mmap");
	ok_errno(ut_ioctl(fa, UACCE_CMD_START_Q, 0), 0, "START_Q the source queue");
	ok_errno(ut_ioctl(fa, UACCE_CMD_GET_SS_DMA, (unsigned long)&(uint64_t){0}), -EINVAL,
		 "GET_SS_DMA on a device with an IOMMU model fails with EINVAL");

	fb = ut_open();
	ok_errno(ut_ioctl(fb, UACCE_CMD_SHARE_SVAS, fb), -EINVAL, "sharing a queue with itself fails with EINVAL");
	ok_errno(ut_ioctl(fb, UACCE_CMD_SHARE_SVAS, 0x7fff), -EBADF, "sharing from a bad fd fails with EBADF");
	ok_errno(ut_ioctl(fb, UACCE_CMD_SHARE_SVAS, 1), -EINVAL, "sharing from a non-uacce fd fails with EINVAL");
	ok_errno(ut_ioctl(fb, UACCE_CMD_SHARE_SVAS, fa), 0, "SHARE_SVAS: queue B takes queue A's SS region");
	ok_errno(ut_ioctl(fb, UACCE_CMD_SHARE_SVAS, fa), -EEXIST, "sharing twice fails with EEXIST");
	b = ut_map(fb, UACCE_QFRT_SS, ss_sz, &err);
	ok(b && b[0] == 0x5a, "B's SS mapping shows A's data");
	if (a && b) {
		b[8192] = 0xa5;
		ok(a[8192] == 0xa5, "and a write through B shows in A");
	} else {
		skip(1, "no mapping");
	}
	ok_errno(ut_ioctl(fb, UACCE_CMD_START_Q, 0), 0, "START_Q B on the shared region");
	if (a && ss_sz >= 3 * 4096) {
		memset(a + 2 * 4096, 0, 4096);
		err = ss_memcpy(fb, 0, 2 * 4096, 4096);
		ok_errno(err, 0, "B's device copies within the shared region (SS offsets)");
		ok(a[2 * 4096] == 0x5a && a[3 * 4096 - 1] == 0x5a, "A sees the copy B's device made");
	} else {
		skip(2, "SS region too small for a copy");
	}

	fc = ut_open();
	ok_errno(ut_ioctl(fc, UACCE_CMD_START_Q, 0), 0, "start queue C");
	ok_errno(ut_ioctl(fc, UACCE_CMD_SHARE_SVAS, fa), -EBUSY, "sharing into a started queue fails with EBUSY");
	close(fc);

	/* A source owned by another mm is refused. */
	pid = fork();
	if (pid == 0) {
		int t = ut_open();

		_exit(ut_ioctl(t, UACCE_CMD_SHARE_SVAS, fa) == -EPERM ? 0 : 1);
	}
	is(ut_wait(pid), 0, "sharing from a queue owned by another process fails with EPERM");

	/* The shared region outlives its first owner. */
	if (a)
		munmap(a, ss_sz);
	close(fa);
	ok(b && b[0] == 0x5a, "B's shared region stays valid after A is closed");
	if (b)
		munmap(b, ss_sz);
	close(fb);

	/* A zeroed region for a new queue, not last one's data. */
	fa = ut_open();
	p = ut_map(fa, UACCE_QFRT_SS, ss_sz, &err);
	ok(p && all_zero(p, ss_sz), "a new queue gets a zeroed SS region");
	if (p)
		munmap(p, ss_sz);
	close(fa);
}

static long tainted(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void check_noiommu(void)
{
	uint64_t dma = 0;
	pid_t pid;
	int fd;

	ut_use(noiommu_dev);
	fd = ut_open();
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "start a queue on %s", noiommu_dev);
	pid = fork();
	if (pid == 0) {
		uint64_t d = 0;
		int own = ut_open();

		/* Our own started queue, so only the capability is missing. */
		if (own < 0 || ut_ioctl(own, UACCE_CMD_START_Q, 0))
			_exit(3);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(ut_ioctl(own, UACCE_CMD_GET_SS_DMA, (unsigned long)&d) == -EPERM ? 0 : 1);
	}
	is(ut_wait(pid), 0, "GET_SS_DMA without CAP_SYS_RAWIO fails with EPERM");
	ok_errno(ut_ioctl(fd, UACCE_CMD_GET_SS_DMA, (unsigned long)&dma), 0, "GET_SS_DMA as root");
	ok(dma && dma % sysconf(_SC_PAGESIZE) == 0, "the DMA address is page aligned and set (%#llx)",
	   (unsigned long long)dma);
	ok(tainted() > 0 && (tainted() & (1 << 6)), "the kernel is tainted (user taint, bit 6)");
	close(fd);
}

int main(void)
{
	long initial;

	ut_setup("num_devices=3 modes=sva,ss,noiommu");
	find_modes();
	if (!ss_dev[0] || !noiommu_dev[0])
		bail_out("wdsoft did not create an SS and a NOIOMMU device");
	ut_use(ss_dev);
	initial = ut_avail();
	check_ss();
	ut_use(ss_dev);
	is(ut_avail(), initial, "available_instances is back to its initial value");
	check_noiommu();
	ut_teardown();
	return exit_status();
}
