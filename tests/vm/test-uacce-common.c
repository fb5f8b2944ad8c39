// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-uacce-common.c - the uacce vm tests' helpers (test-uacce-common.h):
 * the test device, its queues, regions and attributes, and a busy owner
 * that checks the dead-queue contract.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm/test-uacce-common.h"

char ut_dev[256];
char ut_node[300];
bool ut_own_modules;

const char *const ut_region_attr[UACCE_QFRT_MAX] = {
	"region_mmio_size", "region_dus_size", "region_dko_size", "region_ss_size",
};

int ut_find_dev(const char *api, char *name, size_t size)
{
	struct dirent *de;
	char buf[128];
	DIR *d;
	int r = -ENOENT;

	d = opendir("/sys/class/uacce");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (api && (vm_sysfs_read(de->d_name, "api", buf, sizeof(buf)) < 0 ||
			    strcmp(buf, api)))
			continue;
		/* Lowest id wins so the choice is stable. */
		if (r == 0 && strcmp(de->d_name, name) > 0)
			continue;
		snprintf(name, size, "%s", de->d_name);
		r = 0;
	}
	closedir(d);
	return r;
}

void ut_use(const char *name)
{
	if (name)
		snprintf(ut_dev, sizeof(ut_dev), "%s", name);
	else if (ut_find_dev("wdsoft_v1", ut_dev, sizeof(ut_dev)) < 0)
		bail_out("no wdsoft device under /sys/class/uacce");
	snprintf(ut_node, sizeof(ut_node), "/dev/%s", ut_dev);
}

void ut_setup(const char *soft_params)
{
	const char *dev = getenv("UACCE_TEST_DEV");
	int r;

	vm_require();
	if (dev && *dev) {
		ut_use(dev);
		return;
	}
	r = vm_load_modules(soft_params);
	if (r < 0)
		bail_out("loading uacce.ko and wdsoft.ko (%s) failed: %s",
			 soft_params ? soft_params : "", strerror(-r));
	ut_own_modules = true;
	ut_use(NULL);
}

int ut_open(void)
{
	int fd = open(ut_node, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

long ut_attr(const char *attr)
{
	long v = -1;

	if (vm_sysfs_long(ut_dev, attr, &v) < 0)
		return -1;
	return v;
}

long ut_avail(void)
{
	return ut_attr("available_instances");
}

size_t ut_region_size(int type)
{
	long v = ut_attr(ut_region_attr[type]);

	return v < 0 ? 0 : (size_t)v;
}

int ut_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

void *ut_map(int fd, int type, size_t size, int *err)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)type * sysconf(_SC_PAGESIZE));

	if (p == MAP_FAILED) {
		if (err)
			*err = -errno;
		return NULL;
	}
	if (err)
		*err = 0;
	return p;
}

int ut_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st)) {
		diag("child %d killed by signal %d", (int)pid, WTERMSIG(st));
		return -1;
	}
	return WEXITSTATUS(st);
}

int ut_qstate(int fd)
{
	struct uacce_qinfo qi;

	if (ioctl(fd, UACCE_CMD_QINFO, &qi) < 0)
		return -errno;
	return (int)qi.state;
}

double ut_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int ut_knob(const char *knob, const char *val)
{
	return vm_write(val, "/sys/kernel/debug/wdsoft/%s/%s", ut_dev, knob);
}

bool ut_submit_nop(int fd, volatile struct wdsoft_mmio *mmio,
		   uint8_t *dus, uint64_t cookie)
{
	volatile struct wdsoft_dus_hdr *hdr = (void *)dus;
	uint32_t entries = mmio->sq_entries, tail = mmio->sq_tail;
	struct wdsoft_sqe *sq = (void *)(dus + mmio->sq_offset);
	uint32_t head;

	if (mmio->magic != WDSOFT_MAGIC || !entries)
		return false;
	head = __atomic_load_n(&hdr->sq_head, __ATOMIC_ACQUIRE);
	if (tail - head >= entries)
		return false;
	memset(&sq[tail & (entries - 1)], 0, sizeof(*sq));
	sq[tail & (entries - 1)].op = WDSOFT_OP_NOP;
	sq[tail & (entries - 1)].cookie = cookie;
	/* Pairs with the engine's load-acquire of sq_tail. */
	__atomic_store_n(&mmio->sq_tail, tail + 1, __ATOMIC_RELEASE);
	atomic_thread_fence(memory_order_seq_cst);
	if (__atomic_load_n(&mmio->status, __ATOMIC_ACQUIRE) & WDSOFT_STATUS_NEED_WAKEUP)
		ioctl(fd, WDSOFT_CMD_WAKE, 0);
	return true;
}

int ut_busy_owner(int fd, int ready, double timeout)
{
	size_t mmio_sz = ut_region_size(UACCE_QFRT_MMIO);
	size_t dus_sz = ut_region_size(UACCE_QFRT_DUS);
	volatile struct wdsoft_mmio *mmio;
	volatile struct wdsoft_dus_hdr *hdr;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	bool told = false, dead = false;
	double start = ut_now();
	uint64_t cookie = 0;
	uint8_t *dus;
	int bad = 0, err;

	if (ut_ioctl(fd, UACCE_CMD_START_Q, 0))
		return 1;
	mmio = ut_map(fd, UACCE_QFRT_MMIO, mmio_sz, &err);
	dus = ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err);
	if (!mmio || !dus)
		return 2;
	hdr = (void *)dus;
	if (mmio->magic != WDSOFT_MAGIC)
		bad |= 4;

	while (ut_now() - start < timeout) {
		ut_submit_nop(fd, mmio, dus, ++cookie);
		/* Consume whatever completed (cq_head is ours). */
		hdr->cq_head = __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE);
		mmio->irq_armed = 1;
		atomic_thread_fence(memory_order_seq_cst);
		if (!told) {
			told = write(ready, "r", 1) == 1;
			if (!told)
				bad |= 8;
		}
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) == 1 && (pfd.revents & (POLLERR | POLLHUP))) {
			dead = true;
			break;
		}
	}
	if (!dead)
		return bad | 0x10;
	if ((pfd.revents & (POLLERR | POLLHUP)) != (POLLERR | POLLHUP))
		bad |= 0x20;
	/* Dead page: zero, writable, private to this queue. */
	if (mmio->magic != 0 || mmio->sq_entries != 0 || hdr->sq_head != 0 ||
	    dus[dus_sz - 1] != 0)
		bad |= 0x40;
	mmio->sq_tail = 12345;
	dus[dus_sz - 1] = 1;
	if (ut_ioctl(fd, UACCE_CMD_START_Q, 0) != -ENODEV ||
	    ut_ioctl(fd, UACCE_CMD_PUT_Q, 0) != -ENODEV ||
	    ut_ioctl(fd, WDSOFT_CMD_WAKE, 0) != -ENODEV ||
	    ut_ioctl(fd, UACCE_CMD_REVOKE, 0) != -ENODEV)
		bad |= 0x80;
	munmap(dus, dus_sz);
	if (ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err) || err != -ENODEV)
		bad |= 0x100;
	if (ut_qstate(fd) != UACCE_QSTATE_DEAD)
		bad |= 0x200;
	munmap((void *)mmio, mmio_sz);
	return bad;
}
