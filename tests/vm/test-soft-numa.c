// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft NUMA placement: by default one device per online node, each
 * reporting its node and running its engine threads only on that node's
 * CPUs (the VM has cpu0 in node0 and cpu1 in node1); nodes=-1 gives a
 * device with no node whose engine may run anywhere; an offline node is
 * refused at load time. The parent device's numa_node (what mainline-style
 * user space reads) matches node_id, and is absent for a device on no node.
 */
#include "tap.h"
#include "vm/soft-ring.h"

/* First engine thread's pid from debugfs, or -1. */
static int engine_pid(const char *dev)
{
	char path[256], line[256];
	int idx, pid = -1, nq, parked;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d %d %d", &idx, &pid, &nq, &parked) == 4)
			break;
	fclose(f);
	return pid;
}

/* "Cpus_allowed_list" of @pid. */
static int cpus_allowed(int pid, char *out, size_t size)
{
	char path[64], line[256];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Cpus_allowed_list: %63s", out) == 1) {
			r = 0;
			break;
		}
	fclose(f);
	(void)size;
	return r;
}

/* The CPU @pid last ran on (field 39 of /proc/pid/stat), or -1. */
static int last_cpu(int pid)
{
	char path[64], buf[1024], *p;
	int field = 2, cpu = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (p++; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%d", &cpu);
	return cpu;
}

static int node_cpu_list(int node, char *out, size_t size)
{
	char path[128];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	r = fscanf(f, "%63s", out) == 1 ? 0 : -EIO;
	fclose(f);
	(void)size;
	return r;
}

static int busy_memcpy(const char *dev)
{
	static unsigned char a[1 << 20], b[1 << 20];
	struct wdsoft_cqe cqe = { 0 };
	struct soft_ring r;
	int e, i;

	e = soft_ring_open(&r, dev, false);
	if (e)
		return e;
	for (i = 0; i < 8 && !e; i++) {
		struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));

		e = soft_ring_run(&r, &s, &cqe);
		if (!e)
			e = cqe.status;
	}
	soft_ring_close(&r);
	return e;
}

int main(void)
{
	char dev[2][64], cpus[64], want[64];
	int e, i, pid;

	vm_require();
	e = vm_load_modules("");
	if (e)
		bail_out("cannot load the modules: %s", strerror(-e));
	if (access("/sys/devices/system/node/node1", F_OK))
		plan_skip_all("needs two NUMA nodes (tools/wdvm --numa 2)");
	ok(soft_find_device(0, dev[0], sizeof(dev[0])) == 0 &&
	   soft_find_device(1, dev[1], sizeof(dev[1])) == 0 &&
	   soft_find_device(2, cpus, sizeof(cpus)) == -ENOENT,
	   "default: one device per online node (2)");

	for (i = 0; i < 2; i++) {
		is(soft_attr(dev[i], "node_id"), i, "%s reports node %d", dev[i], i);
		is(soft_attr(dev[i], "device/numa_node"), i,
		   "%s: device/numa_node exists and reads %d, as mainline user space expects",
		   dev[i], i);
		pid = engine_pid(dev[i]);
		ok(pid > 0, "%s has an engine thread (pid %d)", dev[i], pid);
		if (node_cpu_list(i, want, sizeof(want)))
			bail_out("cannot read node%d/cpulist", i);
		ok(cpus_allowed(pid, cpus, sizeof(cpus)) == 0 && !strcmp(cpus, want),
		   "%s engine may run on CPUs %s only (node%d: %s)", dev[i], cpus, i, want);
		ok_errno(busy_memcpy(dev[i]), 0, "%s: 8 MiB of memcpy", dev[i]);
		{
			int c = last_cpu(pid);
			char num[16];

			snprintf(num, sizeof(num), "%d", c);
			ok(c >= 0 && !strcmp(num, want),
			   "%s engine last ran on cpu%d, in node%d", dev[i], c, i);
		}
	}
	ok_errno(vm_unload_modules(), 0, "modules unload");

	/* No node: numa_node -1 handled sanely. */
	e = vm_load_modules("num_devices=1 nodes=-1");
	ok_errno(e, 0, "nodes=-1 loads");
	if (!e && !soft_find_device(0, dev[0], sizeof(dev[0]))) {
		char buf[16];

		is(soft_attr(dev[0], "node_id"), -1, "node_id reads -1");
		/* The driver core hides numa_node of a platform device on no node. */
		ok_errno(vm_sysfs_read(dev[0], "device/numa_node", buf, sizeof(buf)), -ENOENT,
			 "device/numa_node is absent, as for any platform device on no node");
		pid = engine_pid(dev[0]);
		ok(cpus_allowed(pid, cpus, sizeof(cpus)) == 0 && !strcmp(cpus, "0-1"),
		   "its engine may run on any CPU (%s)", cpus);
		ok_errno(busy_memcpy(dev[0]), 0, "and works");
	} else {
		skip(4, "nodes=-1 did not load");
	}

	/* Devices beyond the online nodes wrap around. */
	e = vm_load_modules("num_devices=3");
	ok(e == 0 && !soft_find_device(2, dev[0], sizeof(dev[0])) &&
	   soft_attr(dev[0], "node_id") == 0, "a third device wraps to node 0");

	ok(vm_load_modules("nodes=7") < 0, "an offline node is refused");
	ok(!vm_module_loaded("wdsoft"), "and wdsoft is not loaded");
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
