// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conformance: every registered device, driven the way user space written
 * for mainline uacce drives it, without libwd and without our other test
 * helpers (only the module loading of vmlib). Discovery through
 * /sys/class/uacce and the parent's device/numa_node, which such user
 * space requires; open; a driver command before START_Q; MMIO and DUS
 * mapped before START_Q; START_Q; one request through the rings; PUT_Q,
 * twice, as mainline's (it stops, keeps the instance until close); unmap;
 * close, which gives the instance back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>
#include <misc/uacce/wdsoft.h>

#include "tap.h"
#include "vm/vmlib.h"

#define MAX_DEVS 16

struct dev {
	char name[256];
	char api[64];
	long numa_node;
	long mmio_size;
	long dus_size;
};

/* /sys/class/uacce/@name/@attr as a string, newline stripped; 0 or -errno. */
static int sysfs_str(const char *name, const char *attr, char *out, size_t size)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/uacce/%s/%s", name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static long sysfs_num(const char *name, const char *attr)
{
	char buf[64], *end;
	long v;

	if (sysfs_str(name, attr, buf, sizeof(buf)))
		return -1000;
	v = strtol(buf, &end, 10);
	return end == buf || *end ? -1000 : v;
}

/* What mainline-era user space reads for each device; 0 or -errno. */
static int discover(struct dev *devs, int max)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/uacce");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		struct dev *v = &devs[n];

		if (de->d_name[0] == '.')
			continue;
		snprintf(v->name, sizeof(v->name), "%s", de->d_name);
		if (sysfs_str(v->name, "api", v->api, sizeof(v->api)))
			v->api[0] = 0;
		v->numa_node = sysfs_num(v->name, "device/numa_node");
		v->mmio_size = sysfs_num(v->name, "region_mmio_size");
		v->dus_size = sysfs_num(v->name, "region_dus_size");
		n++;
	}
	closedir(d);
	return n;
}

/* One NOP through a wdsoft ring: submit, ring the doorbell, reap. */
static int wdsoft_nop(int fd, struct wdsoft_mmio *mmio, void *dus)
{
	struct wdsoft_dus_hdr *hdr = dus;
	struct wdsoft_sqe *sq = (void *)((char *)dus + mmio->sq_offset);
	struct wdsoft_cqe *cq = (void *)((char *)dus + mmio->cq_offset);
	uint32_t mask = mmio->sq_entries - 1;
	uint32_t tail = __atomic_load_n(&mmio->sq_tail, __ATOMIC_RELAXED);
	uint32_t head = __atomic_load_n(&hdr->cq_head, __ATOMIC_RELAXED);
	struct timespec pause = { 0, 1000000 };
	int i;

	memset(&sq[tail & mask], 0, sizeof(sq[0]));
	sq[tail & mask].op = WDSOFT_OP_NOP;
	sq[tail & mask].cookie = 0x600d;
	__atomic_store_n(&mmio->sq_tail, tail + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&mmio->status, __ATOMIC_RELAXED) & WDSOFT_STATUS_NEED_WAKEUP &&
	    ioctl(fd, WDSOFT_CMD_WAKE) < 0)
		return -errno;
	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE) != head) {
			struct wdsoft_cqe *c = &cq[head & mask];
			int r = c->cookie == 0x600d ? c->status : -EBADE;

			__atomic_store_n(&hdr->cq_head, head + 1, __ATOMIC_RELEASE);
			return r;
		}
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

static void drive(const struct dev *v)
{
	char path[300];
	long avail, avail_open;
	void *mmio, *dus;
	uint32_t engine = 0;
	int fd;

	ok(v->numa_node >= 0, "%s: device/numa_node is there (%ld)", v->name, v->numa_node);
	is(v->numa_node, sysfs_num(v->name, "node_id"), "%s: and matches node_id", v->name);
	ok(!strcmp(v->api, WDSOFT_API_NAME), "%s: api %s", v->name, v->api);
	ok(v->mmio_size > 0 && v->dus_size > 0, "%s: region sizes %ld and %ld",
	   v->name, v->mmio_size, v->dus_size);

	avail = sysfs_num(v->name, "available_instances");
	snprintf(path, sizeof(path), "/dev/%.200s", v->name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (!ok(fd >= 0, "%s: open", v->name)) {
		skip(13, "cannot open %s: %s", path, strerror(errno));
		return;
	}
	avail_open = sysfs_num(v->name, "available_instances");
	is(avail_open, avail - 1, "%s: the open took an instance", v->name);
	ok(ioctl(fd, WDSOFT_CMD_SET_ENGINE, &engine) == 0,
	   "%s: a driver command before START_Q (SET_ENGINE)", v->name);

	mmio = mmap(NULL, v->mmio_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    UACCE_QFRT_MMIO * sysconf(_SC_PAGESIZE));
	dus = mmap(NULL, v->dus_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   UACCE_QFRT_DUS * sysconf(_SC_PAGESIZE));
	ok(mmio != MAP_FAILED, "%s: MMIO maps before START_Q", v->name);
	ok(dus != MAP_FAILED, "%s: DUS maps before START_Q", v->name);
	if (mmio == MAP_FAILED || dus == MAP_FAILED) {
		skip(9, "%s: not mapped", v->name);
		close(fd);
		return;
	}
	is(((struct wdsoft_mmio *)mmio)->magic, WDSOFT_MAGIC, "%s: MMIO shows the device", v->name);
	ok(ioctl(fd, UACCE_CMD_START_Q) == 0, "%s: START_Q", v->name);
	is(wdsoft_nop(fd, mmio, dus), 0, "%s: a NOP completes through the rings", v->name);

	ok(ioctl(fd, UACCE_CMD_PUT_Q) == 0, "%s: PUT_Q", v->name);
	ok(ioctl(fd, UACCE_CMD_PUT_Q) == 0, "%s: a second PUT_Q returns 0, as mainline's", v->name);
	is(sysfs_num(v->name, "available_instances"), avail_open,
	   "%s: PUT_Q keeps the instance while the file is open, as mainline's", v->name);
	ok(munmap(mmio, v->mmio_size) == 0 && munmap(dus, v->dus_size) == 0,
	   "%s: unmap", v->name);
	ok(close(fd) == 0, "%s: close", v->name);
	is(sysfs_num(v->name, "available_instances"), avail,
	   "%s: the instance is back after close", v->name);
}

int main(void)
{
	struct dev devs[MAX_DEVS];
	int e, i, n;

	vm_require();
	e = vm_load_modules("num_devices=3 modes=sva,ss,noiommu");
	if (e)
		bail_out("cannot load the modules: %s", strerror(-e));
	n = discover(devs, MAX_DEVS);
	is(n, 3, "three devices under /sys/class/uacce");
	for (i = 0; i < n; i++)
		drive(&devs[i]);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
