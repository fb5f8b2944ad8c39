// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * device.c - the device table and NUMA topology, read from sysfs.
 *
 * A device is what /sys/class/uacce/<name>/ describes: api, algorithms,
 * flags, id, node_id (or the parent's numa_node) and the volatile
 * available_instances and isolate attributes. The table is re-synced on
 * start, on hot-plug events and on reload; the volatile attributes are
 * re-read before each placement decision. The sysfs and dev roots are
 * parameters so that tests can run the broker on a fake tree.
 */
#include "device.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <systemd/sd-bus.h>

#include "cpuplace.h"
#include "util.h"

int devtable_new(const char *sysfs_root, const char *dev_root, struct devtable **out)
{
	struct devtable *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->sysfs_root = strdup(sysfs_root);
	t->dev_root = strdup(dev_root);
	if (!t->sysfs_root || !t->dev_root) {
		devtable_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

struct wd_device *device_free(struct wd_device *d)
{
	if (!d)
		return NULL;
	free(d->name);
	free(d->api);
	strv_freep(&d->algs);
	free(d->object_path);
	free(d);
	return NULL;
}

struct devtable *devtable_free(struct devtable *t)
{
	if (!t)
		return NULL;
	for (unsigned i = 0; i < t->n; i++)
		device_free(t->v[i]);
	free(t->v);
	free(t->dist);
	free(t->cpu_node);
	free(t->sysfs_root);
	free(t->dev_root);
	free(t);
	return NULL;
}

/* ---- topology ---- */

struct cpu_ctx {
	struct devtable *t;
	int node;
};

static int set_cpu_node(int cpu, void *ud)
{
	struct cpu_ctx *c = ud;
	struct devtable *t = c->t;

	if (cpu >= 65536)
		return -ERANGE;
	if (cpu >= t->n_cpus) {
		int *nv = realloc(t->cpu_node, (size_t)(cpu + 1) * sizeof(int));

		if (!nv)
			return -ENOMEM;
		for (int i = t->n_cpus; i <= cpu; i++)
			nv[i] = -1;
		t->cpu_node = nv;
		t->n_cpus = cpu + 1;
	}
	t->cpu_node[cpu] = c->node;
	return 0;
}

int devtable_load_topology(struct devtable *t)
{
	_cleanup_(freep) char *dir = NULL;
	DIR *d;
	struct dirent *e;
	int max = -1, r = 0;

	free(t->dist);
	t->dist = NULL;
	t->n_nodes = 0;
	free(t->cpu_node);
	t->cpu_node = NULL;
	t->n_cpus = 0;

	if (asprintf(&dir, "%s/devices/system/node", t->sysfs_root) < 0)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return 0;	/* no NUMA: every distance is local */
	while ((e = readdir(d))) {
		long long n;

		if (strncmp(e->d_name, "node", 4) || parse_int(e->d_name + 4, 0, 1023, &n) < 0)
			continue;
		if (n > max)
			max = (int)n;
	}
	if (max < 0) {
		closedir(d);
		return 0;
	}
	t->n_nodes = max + 1;
	t->dist = malloc((size_t)t->n_nodes * t->n_nodes * sizeof(int));
	if (!t->dist) {
		closedir(d);
		return -ENOMEM;
	}
	for (int a = 0; a < t->n_nodes; a++)
		for (int b = 0; b < t->n_nodes; b++)
			t->dist[a * t->n_nodes + b] = a == b ? 10 : 20;

	rewinddir(d);
	while ((e = readdir(d))) {
		_cleanup_(freep) char *path = NULL, *line = NULL;
		_cleanup_(strv_freep) char **v = NULL;
		struct cpu_ctx c = { .t = t };
		long long n;

		if (strncmp(e->d_name, "node", 4) || parse_int(e->d_name + 4, 0, 1023, &n) < 0)
			continue;
		c.node = (int)n;
		if (asprintf(&path, "%s/%s/distance", dir, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (read_one_line(path, &line) == 0 && strv_split(line, " \t", &v) == 0) {
			for (int b = 0; v[b] && b < t->n_nodes; b++) {
				long long x;

				if (parse_int(v[b], 1, 255, &x) == 0)
					t->dist[n * t->n_nodes + b] = (int)x;
			}
		}
		free(path);
		path = NULL;
		free(line);
		line = NULL;
		if (asprintf(&path, "%s/%s/cpulist", dir, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (read_one_line(path, &line) == 0) {
			r = wd_cpulist_each(line, set_cpu_node, &c);
			if (r == -ENOMEM)
				break;
			r = 0;
		}
	}
	closedir(d);
	return r;
}

int devtable_distance(const struct devtable *t, int a, int b)
{
	if (a < 0 || b < 0)
		return 10;
	if (a >= t->n_nodes || b >= t->n_nodes)
		return a == b ? 10 : 20;
	return t->dist[a * t->n_nodes + b];
}

int devtable_cpu_node(const struct devtable *t, int cpu)
{
	if (cpu < 0 || cpu >= t->n_cpus)
		return -1;
	return t->cpu_node[cpu];
}

/* ---- devices ---- */

static int class_dir(const struct devtable *t, const char *name, int *out)
{
	_cleanup_(freep) char *p = NULL;
	int fd;

	if (asprintf(&p, "%s/class/uacce/%s", t->sysfs_root, name) < 0)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

static int read_ll_at(int dfd, const char *attr, long long min, long long max,
		      long long *v)
{
	_cleanup_(freep) char *s = NULL;
	int r = read_one_line_at(dfd, attr, &s);

	if (r < 0)
		return r;
	return parse_int(s, min, max, v);
}

int device_refresh(struct devtable *t, struct wd_device *d)
{
	_cleanup_(closep) int dfd = -1;
	long long v;
	int r;

	r = class_dir(t, d->name, &dfd);
	if (r < 0)
		return r;
	if (read_ll_at(dfd, "available_instances", INT_MIN, INT_MAX, &v) == 0)
		d->available = v < 0 ? 0 : (int)v;
	else
		d->available = 0;	/* -ENODEV: the driver cannot tell */
	if (read_ll_at(dfd, "isolate", 0, INT_MAX, &v) == 0)
		d->isolated = v != 0;
	return 0;
}

static int device_load(struct devtable *t, const char *name, struct wd_device **out)
{
	_cleanup_(closep) int dfd = -1;
	_cleanup_(freep) char *api = NULL, *algs = NULL;
	struct wd_device *d;
	long long v;
	int r;

	r = class_dir(t, name, &dfd);
	if (r < 0)
		return r;
	r = read_one_line_at(dfd, "api", &api);
	if (r < 0)
		return r;
	r = read_one_line_at(dfd, "algorithms", &algs);
	if (r < 0)
		return r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->node = -1;
	d->name = strdup(name);
	d->api = TAKE_PTR(api);
	if (!d->name || sd_bus_path_encode("/org/warpdrive/device", name, &d->object_path) < 0 || strv_split(algs, " \t\n,", &d->algs) < 0) {
		device_free(d);
		return -ENOMEM;
	}
	if (read_ll_at(dfd, "flags", 0, UINT32_MAX, &v) == 0)
		d->flags = (uint32_t)v;
	if (read_ll_at(dfd, "id", 0, UINT32_MAX, &v) == 0)
		d->id = (uint32_t)v;
	if (read_ll_at(dfd, "node_id", -1, 1023, &v) == 0 ||
	    read_ll_at(dfd, "device/numa_node", -1, 1023, &v) == 0)
		d->node = (int)v;
	device_refresh(t, d);
	*out = d;
	return 0;
}

struct wd_device *devtable_find(struct devtable *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->name, name))
			return t->v[i];
	return NULL;
}

static bool name_ok(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 64;
}

int devtable_add(struct devtable *t, const char *name, struct wd_device **out)
{
	struct wd_device *d, **nv;
	int r;

	if (!name_ok(name))
		return -EINVAL;
	d = devtable_find(t, name);
	if (d) {
		device_refresh(t, d);
		if (out)
			*out = d;
		return 1;
	}
	r = device_load(t, name, &d);
	if (r < 0)
		return r;
	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv) {
		device_free(d);
		return -ENOMEM;
	}
	t->v = nv;
	t->v[t->n++] = d;
	if (out)
		*out = d;
	return 0;
}

struct wd_device *devtable_remove(struct devtable *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct wd_device *d = t->v[i];

		if (strcmp(d->name, name))
			continue;
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
		t->n--;
		return d;
	}
	return NULL;
}

int devtable_scan(struct devtable *t, devtable_cb added, devtable_cb removed, void *ud)
{
	_cleanup_(freep) char *dir = NULL;
	struct dirent *e;
	DIR *dh;

	if (asprintf(&dir, "%s/class/uacce", t->sysfs_root) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < t->n; i++)
		t->v[i]->seen = false;
	dh = opendir(dir);
	if (dh) {
		while ((e = readdir(dh))) {
			struct wd_device *d;
			int r;

			if (!name_ok(e->d_name))
				continue;
			r = devtable_add(t, e->d_name, &d);
			if (r < 0)
				continue;	/* half-registered device: next event */
			d->seen = true;
			if (r == 0 && added)
				added(d, ud);
		}
		closedir(dh);
	}
	for (unsigned i = 0; i < t->n;) {
		struct wd_device *d = t->v[i];

		if (d->seen) {
			i++;
			continue;
		}
		devtable_remove(t, d->name);
		if (removed)
			removed(d, ud);
		else
			device_free(d);
	}
	return 0;
}

/*
 * A compression engine is advertised by its format ("deflate", or
 * mainline's "zlib"/"gzip") and works in both directions, so "inflate" is
 * served by any of them, as libwd's direct mode does.
 */
bool device_has_alg(const struct wd_device *d, const char *alg)
{
	if (strv_contains(d->algs, alg))
		return true;
	if (!strcmp(alg, "inflate"))
		return strv_contains(d->algs, "deflate") ||
		       strv_contains(d->algs, "zlib") ||
		       strv_contains(d->algs, "gzip");
	return false;
}

bool device_has_algs(const struct wd_device *d, const struct wdp_algs *a, const char **missing)
{
	for (unsigned int i = 0; i < a->n; i++)
		if (!device_has_alg(d, a->name[i])) {
			if (missing)
				*missing = a->name[i];
			return false;
		}
	return true;
}

static bool is_compression(const char *alg)
{
	return !strcmp(alg, "deflate") || !strcmp(alg, "inflate") ||
	       !strcmp(alg, "zlib") || !strcmp(alg, "gzip");
}

/* Does a lease of the algorithms @set cover the device's algorithm @dev_alg? */
static bool lease_covers(const struct wdp_algs *set, const char *dev_alg)
{
	for (unsigned int i = 0; i < set->n; i++) {
		const char *alg = set->name[i];

		if (is_compression(alg) ? is_compression(dev_alg) : !strcmp(alg, dev_alg))
			return true;
	}
	return false;
}

/*
 * A compression lease gets all of the engine's compression names: one
 * engine serves both directions and every wrapper, and libwd chooses the
 * wrapper per message (a "deflate" queue also sends zlib-wrapped work).
 * Any other algorithm of the lease gets exactly its name. Walking the
 * device's list names each of its algorithms at most once.
 */
int device_lease_algs(const struct wd_device *d, const char *alg, char *buf, size_t size)
{
	struct wdp_algs set;
	size_t n = 0;

	if (wdp_algs_parse(alg, &set, NULL, 0) < 0)
		return -EINVAL;
	if (!size)
		return -ENAMETOOLONG;
	buf[0] = 0;
	for (char **a = d->algs; a && *a; a++) {
		int w;

		if (!lease_covers(&set, *a))
			continue;
		w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", *a);
		if (w < 0 || (size_t)w >= size - n)
			return -ENAMETOOLONG;
		n += (size_t)w;
	}
	return n ? (int)n : -ENOENT;
}
