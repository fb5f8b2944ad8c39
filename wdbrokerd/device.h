/* SPDX-License-Identifier: GPL-2.0-or-later */
/* device.h - the broker's table of uacce devices and the NUMA topology. */
#ifndef WDBROKERD_DEVICE_H
#define WDBROKERD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wdproto.h"

struct lease;

struct wd_device {
	char *name;		/* "wdsoft-0": /sys/class/uacce/<name>, /dev/<name> */
	char *api;
	char **algs;		/* NULL-terminated */
	uint32_t flags;		/* UACCE_DEV_* */
	int node;		/* NUMA node, -1 if none */
	uint32_t id;		/* the N of /dev/uaN */
	int available;		/* available_instances at the last refresh */
	bool isolated;
	char *object_path;	/* /org/warpdrive/device/<escaped> */

	/* Broker-side state. */
	unsigned leased;	/* live leases on this device */
	struct lease *leases;	/* list through lease->by_dev */
	uint64_t stat_grants, stat_releases, stat_revokes, stat_open_errors;
	bool no_restrict_logged;	/* said once: the device can't restrict */
	bool isolated_logged;	/* the journal was told it is isolated */
	bool seen;		/* scan bookkeeping */
	bool props_changed;	/* PropertiesChanged due, see bus.c */
};

struct devtable {
	char *sysfs_root;	/* "/sys" or a test tree */
	char *dev_root;		/* "/dev" or a test tree */
	struct wd_device **v;
	unsigned n;

	/* Topology: nodes 0..n_nodes-1; dist[a * n_nodes + b]. */
	int n_nodes;
	int *dist;
	int n_cpus;
	int *cpu_node;		/* cpu -> node, -1 unknown */
};

typedef void (*devtable_cb)(struct wd_device *d, void *ud);

int devtable_new(const char *sysfs_root, const char *dev_root, struct devtable **out);
struct devtable *devtable_free(struct devtable *t);

/* (Re)read the NUMA topology from <sysfs>/devices/system/node. */
int devtable_load_topology(struct devtable *t);

/*
 * Re-sync with <sysfs>/class/uacce: new devices are added (@added called),
 * vanished ones are unlinked and handed to @removed, which owns them then
 * and must call device_free(). Attributes of kept devices are refreshed.
 */
int devtable_scan(struct devtable *t, devtable_cb added, devtable_cb removed, void *ud);

/* Add or refresh one device by name; 0 if added, 1 if already present. */
int devtable_add(struct devtable *t, const char *name, struct wd_device **out);
/* Unlink one device by name; returns it (caller frees) or NULL. */
struct wd_device *devtable_remove(struct devtable *t, const char *name);
struct wd_device *devtable_find(struct devtable *t, const char *name);

/* Re-read the volatile attributes (available_instances, isolate). */
int device_refresh(struct devtable *t, struct wd_device *d);
bool device_has_alg(const struct wd_device *d, const char *alg);
/* Does @d offer every algorithm of @a? If not, *@missing names the first it lacks. */
bool device_has_algs(const struct wd_device *d, const struct wdp_algs *a, const char **missing);
/*
 * The device's own names for what a lease of @alg (one algorithm or a set,
 * "sha256,crc32c") may run, space-separated in @buf, each once, for
 * UACCE_CMD_RESTRICT_ALGS. Returns the length, -EINVAL for a malformed
 * set, -ENOENT if the device offers none of them, -ENAMETOOLONG if @buf
 * is too small.
 */
int device_lease_algs(const struct wd_device *d, const char *alg, char *buf, size_t size);
struct wd_device *device_free(struct wd_device *d);

/* NUMA distance between nodes; a -1 side counts as local (10). */
int devtable_distance(const struct devtable *t, int a, int b);
/* Node of a CPU, -1 if unknown. */
int devtable_cpu_node(const struct devtable *t, int cpu);

#endif
