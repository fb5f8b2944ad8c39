// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * node_id and numa_distance: a device reports its parent's node, and
 * numa_distance is measured from the node of the CPU the reader runs on,
 * so the same attribute reads the local distance on the device's node and
 * the remote one elsewhere. A device on no node (-1) reads the local
 * distance from everywhere. Needs the VM's two NUMA nodes.
 */
#include <sched.h>

#include "vm/test-uacce-common.h"

/* distance[from][to] from /sys/devices/system/node/node<from>/distance. */
static int node_distance(int from, int to)
{
	char path[128], buf[256], *p = buf, *end;
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance", from);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (int i = 0; i <= to; i++) {
		v = strtol(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return (int)v;
}

/* numa_distance of @dev read by a child pinned to @cpu. */
static long distance_from_cpu(const char *dev, int cpu)
{
	int pv[2];
	long v = -1;
	pid_t pid;

	if (pipe(pv))
		return -1;
	pid = fork();
	if (pid == 0) {
		cpu_set_t set;
		long d = -1;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == 0)
			vm_sysfs_long(dev, "numa_distance", &d);
		_exit(write(pv[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
	}
	close(pv[1]);
	if (read(pv[0], &v, sizeof(v)) != sizeof(v))
		v = -1;
	close(pv[0]);
	ut_wait(pid);
	return v;
}

int main(void)
{
	char d0[256], d1[256];
	long n0 = -2, n1 = -2;

	vm_require();
	if (node_distance(1, 1) < 0)
		plan_skip_all("needs two NUMA nodes (tools/wdvm boots two by default)");

	/* One device per node, in node order; then one on no node. */
	ut_setup("num_devices=2 nodes=0,1");
	snprintf(d0, sizeof(d0), "wdsoft-0");
	snprintf(d1, sizeof(d1), "wdsoft-1");
	ok(vm_sysfs_long(d0, "node_id", &n0) == 0 && n0 == 0, "wdsoft-0 is on node 0 (%ld)", n0);
	ok(vm_sysfs_long(d1, "node_id", &n1) == 0 && n1 == 1, "wdsoft-1 is on node 1 (%ld)", n1);
	is(distance_from_cpu(d0, 0), node_distance(0, 0), "wdsoft-0 read from cpu0 (node 0): local distance");
	is(distance_from_cpu(d0, 1), node_distance(1, 0), "wdsoft-0 read from cpu1 (node 1): remote distance");
	is(distance_from_cpu(d1, 1), node_distance(1, 1), "wdsoft-1 read from cpu1: local distance");
	is(distance_from_cpu(d1, 0), node_distance(0, 1), "wdsoft-1 read from cpu0: remote distance");
	ok(node_distance(0, 1) > node_distance(0, 0), "and the two differ");

	ut_setup("num_devices=1 nodes=-1");
	ok(vm_sysfs_long(ut_dev, "node_id", &n0) == 0 && n0 == -1, "a device on no node reports node_id -1");
	is(distance_from_cpu(ut_dev, 0), 10, "its numa_distance is the local distance 10 from cpu0");
	is(distance_from_cpu(ut_dev, 1), 10, "and from cpu1");
	ut_teardown();
	return exit_status();
}
