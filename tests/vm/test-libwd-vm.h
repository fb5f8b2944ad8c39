/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by libwd's vm tests: load the real modules, keep the
 * broker out of the way (these tests exercise direct mode; the broker's own
 * tests cover the socket), count free instances over every device.
 */
#ifndef WD_TESTS_LIBWD_VM_H
#define WD_TESTS_LIBWD_VM_H

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <warpdrive/wd.h>

#include "common/libwd-run.h"
#include "tap.h"
#include "vm/vmlib.h"

/* Sum of available_instances over every uacce device. */
static inline long lw_avail_total(void)
{
	struct dirent *de;
	long total = 0, v;
	DIR *d = opendir("/sys/class/uacce");

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    vm_sysfs_long(de->d_name, "available_instances", &v) == 0)
			total += v;
	closedir(d);
	return total;
}

/* vm_require + load wdsoft with @params; bail out if that fails. */
static inline void lw_setup(const char *params)
{
	int r;

	vm_require();
	setenv("WD_BROKER_SOCKET", "/run/warpdrive/libwd-test-no-broker.sock", 1);
	r = vm_load_modules(params);
	if (r < 0)
		bail_out("cannot load uacce + wdsoft (%s): %s", params ? params : "",
			 strerror(-r));
}

static inline int lw_request(struct wd_queue *q, const char *alg, int node,
			     unsigned int flags)
{
	*q = (struct wd_queue){ .alg = alg, .node = node, .flags = flags };
	return wd_request_queue(q);
}

/* First CPU of NUMA node @node (from its cpulist), or -1. */
static inline int lw_node_cpu(int node)
{
	char path[96];
	int cpu = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &cpu) != 1)
		cpu = -1;
	fclose(f);
	return cpu;
}

/* Run the calling thread (and the threads it creates) on @cpu only. */
static inline int lw_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

#endif /* WD_TESTS_LIBWD_VM_H */
