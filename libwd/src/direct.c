// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * direct.c - direct mode: device discovery, placement and open.
 *
 * Devices are the entries of /sys/class/uacce. For each one libwd reads the
 * mainline attributes (api, algorithms, flags, available_instances, isolate)
 * and the seed's node_id (falling back to device/numa_node). Placement ranks
 * the candidates, for WD_NODE_ANY, first by whether the device's engine can
 * run off the calling thread's CPUs (the rule the broker applies too,
 * cpuplace.h), then by NUMA distance from the wanted node (the calling
 * thread's node for WD_NODE_ANY, from getcpu), then by free instances, then
 * by name, and skips isolated devices. Tests point $WD_SYSFS_ROOT and
 * $WD_DEV_ROOT at a fake tree.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpuplace.h"
#include "wd-internal.h"

const char *__wd_sysfs_root(void)
{
	const char *r = secure_getenv("WD_SYSFS_ROOT");

	return r && *r ? r : "/sys";
}

const char *__wd_dev_root(void)
{
	const char *r = secure_getenv("WD_DEV_ROOT");

	return r && *r ? r : "/dev";
}

static int read_file(const char *path, char *buf, size_t size)
{
	_cleanup_(closep) int fd = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return (int)n;
}

int __wd_dev_attr(const char *dev, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/class/uacce/%s/%s",
			     __wd_sysfs_root(), dev, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	return read_file(path, buf, size);
}

static int parse_long(const char *s, long *val)
{
	char *end;

	errno = 0;
	*val = strtol(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	return 0;
}

int __wd_dev_attr_long(const char *dev, const char *attr, long *val)
{
	char buf[64];
	int r = __wd_dev_attr(dev, attr, buf, sizeof(buf));

	if (r < 0)
		return r;
	return parse_long(buf, val);
}

int __wd_dev_info(struct wd_devinfo *info)
{
	long v;
	int r;

	r = __wd_dev_attr(info->name, "api", info->api, sizeof(info->api));
	if (r < 0)
		return r;
	if (__wd_dev_attr(info->name, "algorithms", info->algs,
			  sizeof(info->algs)) < 0)
		info->algs[0] = 0;
	info->flags = __wd_dev_attr_long(info->name, "flags", &v) == 0 ?
		      (unsigned int)v : 0;
	info->avail = __wd_dev_attr_long(info->name, "available_instances",
					 &v) == 0 ? (int)v : -1;
	info->isolated = __wd_dev_attr_long(info->name, "isolate", &v) == 0 &&
			 v != 0;
	if (__wd_dev_attr_long(info->name, "node_id", &v) == 0 ||
	    __wd_dev_attr_long(info->name, "device/numa_node", &v) == 0)
		info->node = v < 0 ? -1 : (int)v;
	else
		info->node = -1;
	return 0;
}

int __wd_current_node(void)
{
	unsigned int cpu, node;

	if (getcpu(&cpu, &node) < 0)
		return -1;
	return (int)node;
}

int __wd_node_distance(int from, int to)
{
	char path[PATH_MAX], buf[1024], *s, *end;
	long d = 20;

	if (from < 0 || to < 0)
		return 20;	/* no node: neither near nor far */
	if (from == to)
		return 10;
	snprintf(path, sizeof(path), "%s/devices/system/node/node%d/distance",
		 __wd_sysfs_root(), from);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 20;
	s = buf;
	for (int i = 0; i <= to; i++) {
		errno = 0;
		d = strtol(s, &end, 10);
		if (errno || end == s)
			return 20;
		s = end;
	}
	return (int)d;
}

int __wd_dev_name(const char *dev, char *name, size_t size)
{
	const char *base = strrchr(dev, '/');
	char real[PATH_MAX];
	int r = 0;

	if (base && realpath(dev, real))
		base = strrchr(real, '/');
	else if (base)
		r = -errno;
	base = base ? base + 1 : dev;
	if (!r && strlen(base) >= size)
		r = -ENAMETOOLONG;
	snprintf(name, size, "%s", base);
	return r;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct wd_devinfo *x = a, *y = b;

	if (x->apart != y->apart)
		return x->apart ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance - y->distance;
	if (x->avail != y->avail)
		return y->avail - x->avail;
	return strcmp(x->name, y->name);
}

/* Collect usable candidates; counts of rejects feed the error message. */
struct scan {
	struct wd_devinfo *devs;
	size_t n, cap;
	unsigned int total, no_alg, isolated, full, unknown_api;
	char unknown[64];
};

static int scan_devices(struct wd_queue *q, const char *only, int want_node,
			struct scan *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/class/uacce", __wd_sysfs_root());
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct wd_devinfo info = { 0 };

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(info.name))
			continue;
		if (only && strcmp(only, de->d_name))
			continue;
		strcpy(info.name, de->d_name);
		if (__wd_dev_info(&info) < 0)
			continue;
		s->total++;
		if (q->alg && (__wd_algs_mask(info.algs) & __wd_alg_set_mask(q->alg)) !=
			      __wd_alg_set_mask(q->alg)) {
			s->no_alg++;
			continue;
		}
		if (!__wd_drv_find(info.api)) {
			s->unknown_api++;
			snprintf(s->unknown, sizeof(s->unknown), "%s", info.api);
			continue;
		}
		if (info.isolated) {
			s->isolated++;
			continue;
		}
		if (info.avail == 0) {
			s->full++;
			continue;
		}
		info.distance = __wd_node_distance(want_node, info.node);
		/* a caller that names a node has chosen: distance decides */
		info.apart = q->node == WD_NODE_ANY &&
			     wd_place_apart(__wd_sysfs_root(), info.name, 0);
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 8;
			struct wd_devinfo *p = realloc(s->devs, cap * sizeof(*p));

			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			s->devs = p;
			s->cap = cap;
		}
		s->devs[s->n++] = info;
	}
	closedir(d);
	return 0;
}

int __wd_direct_open(struct wd_queue *q, struct wd_devinfo *info)
{
	char only[64], path[PATH_MAX];
	struct scan s = { 0 };
	_cleanup_(freep) struct wd_devinfo *devs = NULL;
	const char *alg = q->alg ? q->alg : "any algorithm";
	int want_node, r, last = 0;

	if (q->dev) {
		/* whatever the reason (no such path, too long): no such device */
		r = __wd_dev_name(q->dev, only, sizeof(only));
		if (r < 0)
			return __wd_err(q, -ENODEV, "device \"%s\" not found: %s; list devices with ls /sys/class/uacce",
					q->dev, strerror(-r));
	}
	want_node = q->node == WD_NODE_ANY ? __wd_current_node() : q->node;
	r = scan_devices(q, q->dev ? only : NULL, want_node, &s);
	devs = s.devs;
	if (r < 0)
		return __wd_err(q, r, "cannot list %s/class/uacce: %s",
				__wd_sysfs_root(), strerror(-r));
	if (!s.n) {
		if (!s.total && q->dev)
			return __wd_err(q, -ENODEV, "no WarpDrive device named \"%s\"; list devices with ls /sys/class/uacce",
					only);
		if (!s.total)
			return __wd_err(q, -ENODEV, "no WarpDrive device present: load an accelerator driver (e.g. modprobe wdsoft)");
		if (s.no_alg == s.total)
			return __wd_err(q, -ENODEV, "no WarpDrive device offers \"%s\" (%u device(s) checked); see /sys/class/uacce/*/algorithms",
					alg, s.total);
		if (s.unknown_api && !s.isolated && !s.full)
			return __wd_err(q, -EPROTONOSUPPORT, "device speaks ring protocol \"%s\", which this libwd does not know: update libwd",
					s.unknown);
		if (s.full)
			return __wd_err(q, -EBUSY, "every device offering \"%s\" is out of queues%s; release a queue or retry later",
					alg, s.isolated ? " or isolated" : "");
		return __wd_err(q, -EBUSY, "every device offering \"%s\" is isolated after hardware errors; see /sys/class/uacce/*/isolate",
				alg);
	}
	qsort(s.devs, s.n, sizeof(*s.devs), cmp_dev);
	for (size_t i = 0; i < s.n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", __wd_dev_root(), s.devs[i].name);
		fd = __wd_sys->open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			*info = s.devs[i];
			return fd;
		}
		r = -errno;
		if (r == -EACCES || r == -EPERM)
			return __wd_err(q, -EACCES, "cannot open %s: permission denied; start the broker (systemctl start wdbroker.socket) or run as root",
					path);
		last = r;	/* out of instances meanwhile: try the next */
	}
	if (last == -EBUSY)
		return __wd_err(q, -EBUSY, "every device offering \"%s\" is out of queues; release a queue or retry later",
				alg);
	return __wd_err(q, last, "cannot open a device for \"%s\" under %s: %s",
			alg, __wd_dev_root(), strerror(-last));
}
