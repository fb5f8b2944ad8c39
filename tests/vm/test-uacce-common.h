/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the uacce vm tests: load the modules, find a wdsoft
 * device, open queues, map regions, read available_instances.
 *
 * UACCE_TEST_DEV=<name> makes the tests use an already registered device
 * (any driver) and leave the modules alone: handy when debugging uacce
 * with another driver.
 */
#ifndef WD_TESTS_UACCE_COMMON_H
#define WD_TESTS_UACCE_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>

#include "tap.h"
#include "vm/vmlib.h"

static char ut_dev[256];	/* e.g. "wdsoft-0" */
static char ut_node[300];	/* e.g. "/dev/wdsoft-0" */
static bool ut_own_modules;

static const char *const ut_region_attr[UACCE_QFRT_MAX] = {
	"region_mmio_size", "region_dus_size", "region_dko_size", "region_ss_size",
};

/* First device in /sys/class/uacce whose api is @api (any if NULL). */
static inline int ut_find_dev(const char *api, char *name, size_t size)
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

/* Pick the device @name (or the first wdsoft one) as the test device. */
static inline void ut_use(const char *name)
{
	if (name)
		snprintf(ut_dev, sizeof(ut_dev), "%s", name);
	else if (ut_find_dev("wdsoft_v1", ut_dev, sizeof(ut_dev)) < 0)
		bail_out("no wdsoft device under /sys/class/uacce");
	snprintf(ut_node, sizeof(ut_node), "/dev/%s", ut_dev);
}

/*
 * Skip outside the VM; load uacce + wdsoft with @soft_params and pick the
 * first wdsoft device.
 */
static inline void ut_setup(const char *soft_params)
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

static inline void ut_teardown(void)
{
	if (ut_own_modules)
		ok(vm_unload_modules() == 0, "modules unload at the end");
}

static inline int ut_open(void)
{
	int fd = open(ut_node, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline long ut_attr(const char *attr)
{
	long v = -1;

	if (vm_sysfs_long(ut_dev, attr, &v) < 0)
		return -1;
	return v;
}

static inline long ut_avail(void)
{
	return ut_attr("available_instances");
}

static inline size_t ut_region_size(int type)
{
	long v = ut_attr(ut_region_attr[type]);

	return v < 0 ? 0 : (size_t)v;
}

/* ioctl returning 0 or -errno. */
static inline int ut_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* mmap region @type of queue @fd at @size; returns NULL and sets *err. */
static inline void *ut_map(int fd, int type, size_t size, int *err)
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

/* Wait for @pid; returns its exit status, or -1 if it died of a signal. */
static inline int ut_wait(pid_t pid)
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

/* Read the queue state through UACCE_CMD_QINFO, or -errno. */
static inline int ut_qstate(int fd)
{
	struct uacce_qinfo qi;

	if (ioctl(fd, UACCE_CMD_QINFO, &qi) < 0)
		return -errno;
	return (int)qi.state;
}

#endif /* WD_TESTS_UACCE_COMMON_H */
