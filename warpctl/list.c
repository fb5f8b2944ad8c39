// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * list.c - warpctl devices, leases and stats (of devices, or --clients).
 *
 * Devices come from the broker when it runs (it knows leases and keeps the
 * statistics), otherwise straight from sysfs through the broker's own
 * device scanner, so both read the attributes the same way. Engine
 * counters of wdsoft devices come from debugfs when it is readable.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "util.h"
#include "warpctl.h"

/* One device as shown; fields the source does not know stay unset. */
struct devinfo {
	char *name, *api, *path;
	char **algs;
	int32_t node;
	uint32_t available, flags;
	int64_t leased;		/* -1: unknown (no broker) */
	bool isolated;
	bool has_broker_stats;
	uint64_t grants, releases, revokes, open_errors;
};

struct devlist {
	struct devinfo *v;
	size_t n;
	bool from_broker;
};

static void devlist_clear(struct devlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].api);
		free(l->v[i].path);
		strv_freep(&l->v[i].algs);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static struct devinfo *devlist_add(struct devlist *l)
{
	struct devinfo *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	l->v = nv;
	memset(&nv[l->n], 0, sizeof(nv[0]));
	nv[l->n].leased = -1;
	return &nv[l->n++];
}

static int get_u64(sd_bus *bus, const char *path, const char *prop, uint64_t *v, sd_bus_error *e)
{
	return sd_bus_get_property_trivial(bus, WD_BUS_NAME, path, WD_DEVICE_IFACE, prop, e, 't', v);
}

/* The broker's view: ListDevices, then each device object's properties. */
static int devlist_from_broker(sd_bus *bus, struct devlist *l, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *name, *api, *path;
	int32_t node;
	uint32_t avail, leased;
	int r;

	r = sd_bus_call_method(bus, WD_BUS_NAME, WD_BUS_PATH, WD_MANAGER_IFACE, "ListDevices",
			       e, &reply, "");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(ssiuuo)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssiuuo)", &name, &api, &node, &avail, &leased,
					&path)) > 0) {
		struct devinfo *d = devlist_add(l);
		int isolated = 0;

		if (!d)
			return -ENOMEM;
		d->name = strdup(name);
		d->api = strdup(api);
		d->path = strdup(path);
		if (!d->name || !d->api || !d->path)
			return -ENOMEM;
		d->node = node;
		d->available = avail;
		d->leased = leased;
		/* a device removed meanwhile fails here: the whole listing is retried by nobody, so say so */
		r = sd_bus_get_property_strv(bus, WD_BUS_NAME, path, WD_DEVICE_IFACE, "Algorithms",
					     e, &d->algs);
		if (r >= 0)
			r = sd_bus_get_property_trivial(bus, WD_BUS_NAME, path, WD_DEVICE_IFACE,
							"Flags", e, 'u', &d->flags);
		if (r >= 0)
			r = sd_bus_get_property_trivial(bus, WD_BUS_NAME, path, WD_DEVICE_IFACE,
							"Isolated", e, 'b', &isolated);
		if (r >= 0)
			r = get_u64(bus, path, "Grants", &d->grants, e);
		if (r >= 0)
			r = get_u64(bus, path, "Releases", &d->releases, e);
		if (r >= 0)
			r = get_u64(bus, path, "Revokes", &d->revokes, e);
		if (r >= 0)
			r = get_u64(bus, path, "OpenErrors", &d->open_errors, e);
		if (r < 0)
			return r;
		d->isolated = isolated;
		d->has_broker_stats = true;
	}
	if (r < 0)
		return r;
	l->from_broker = true;
	return 0;
}

static int devlist_from_sysfs(struct devlist *l)
{
	struct devtable *t = NULL;
	int r;

	r = devtable_new(arg.sysfs_root, "/dev", &t);
	if (r < 0)
		return r;
	r = devtable_scan(t, NULL, NULL, NULL);
	for (unsigned i = 0; r >= 0 && i < t->n; i++) {
		struct wd_device *w = t->v[i];
		struct devinfo *d = devlist_add(l);

		if (!d) {
			r = -ENOMEM;
			break;
		}
		d->name = strdup(w->name);
		d->api = strdup(w->api ? w->api : "");
		d->algs = w->algs;
		w->algs = NULL;
		if (!d->algs)
			d->algs = calloc(1, sizeof(char *));
		if (!d->name || !d->api || !d->algs)
			r = -ENOMEM;
		d->node = w->node;
		d->available = w->available < 0 ? 0 : (uint32_t)w->available;
		d->flags = w->flags;
		d->isolated = w->isolated;
	}
	devtable_free(t);
	return r < 0 ? r : 0;
}

/*
 * Fill @l from the broker, or from sysfs with a note on stderr when the
 * broker is not running. Returns an exit code.
 */
static int devlist_load(struct devlist *l)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	if (broker_connect(&bus) > 0) {
		r = devlist_from_broker(bus, l, &e);
		if (r >= 0)
			return EXIT_OK;
		r = bus_error_exit("cannot list the broker's devices", &e, r);
		sd_bus_error_free(&e);
		return r;
	}
	fprintf(stderr, "warpctl: the broker is not running (systemctl start wdbroker); "
		"showing devices from %s/class/uacce without broker information.\n",
		arg.sysfs_root);
	r = devlist_from_sysfs(l);
	if (r < 0) {
		fprintf(stderr, "warpctl: cannot read %s/class/uacce: %s\n", arg.sysfs_root,
			strerror(-r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int show_table(struct table *t)
{
	int r = table_print(t, stdout, arg.json, arg.legend);

	if (r < 0) {
		fprintf(stderr, "warpctl: cannot write the output: %s\n", strerror(-r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* @name is one of the @n device names given, or none were given. */
static bool device_wanted(const char *name, int n, char **names)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return n == 0;
}

/*
 * One table row per device, sorted by name, filled by @add_row: every
 * device, or the @n_names named ones (each must exist).
 */
static int show_per_device(size_t n_cols, const char *const *headers, const char *const *keys,
			   int (*add_row)(struct table *t, const struct devinfo *d, int *notes),
			   int n_names, char **names)
{
	_cleanup_(table_freep) struct table *t = table_new(n_cols, headers, keys);
	struct devlist l = {};
	int r, notes = 0;

	if (!t)
		return EXIT_FAIL;
	r = devlist_load(&l);
	for (int k = 0; r == EXIT_OK && k < n_names; k++) {
		bool found = false;

		for (size_t i = 0; i < l.n && !found; i++)
			found = !strcmp(l.v[i].name, names[k]);
		if (!found) {
			fprintf(stderr, "warpctl: there is no device named \"%s\"; see them with: "
				"warpctl devices\n", names[k]);
			r = EXIT_FAIL;
		}
	}
	for (size_t i = 0; r == EXIT_OK && i < l.n; i++)
		if (device_wanted(l.v[i].name, n_names, names) && add_row(t, &l.v[i], &notes) < 0)
			r = EXIT_FAIL;
	devlist_clear(&l);
	if (r != EXIT_OK)
		return r;
	table_sort(t, 0);
	return show_table(t);
}

static int device_row(struct table *t, const struct devinfo *d, int *notes)
{
	return TABLE_ROW(t, C_STR(d->name), C_STR(d->api), C_INT(d->node), C_UINT(d->available),
			 d->leased < 0 ? C_NULL : C_UINT(d->leased), C_BOOL(d->isolated),
			 C_UINT(d->flags), C_STRV(d->algs));
}

int verb_devices(int argc, char **argv)
{
	static const char *const headers[] = { "DEVICE", "API", "NODE", "AVAILABLE", "LEASED",
					       "ISOLATED", "FLAGS", "ALGORITHMS" };
	static const char *const keys[] = { "name", "api", "node", "available", "leased",
					    "isolated", "flags", "algorithms" };

	return show_per_device(ARRAY_SIZE(keys), headers, keys, device_row, argc - 1, argv + 1);
}

/*
 * The cgroup of lease @id (its Lease1 object's Cgroup), "" if the broker
 * does not know it or the lease ended meanwhile. Caller frees.
 */
static char *lease_cgroup(sd_bus *bus, uint64_t id)
{
	char path[64], *cg = NULL;

	snprintf(path, sizeof(path), WD_BUS_PATH "/lease/%llu", (unsigned long long)id);
	if (sd_bus_get_property_string(bus, WD_BUS_NAME, path, WD_LEASE_IFACE, "Cgroup",
				       NULL, &cg) < 0)
		return strdup("");
	return cg;
}

int verb_leases(int argc, char **argv)
{
	static const char *const headers[] = { "LEASE", "DEVICE", "ALGORITHM", "UID", "USER",
					       "PID", "UNIT", "CGROUP" };
	static const char *const keys[] = { "lease", "device", "algorithm", "uid", "user",
					    "pid", "unit", "cgroup" };
	_cleanup_(table_freep) struct table *t = table_new(ARRAY_SIZE(keys), headers, keys);
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *dev, *alg, *unit;
	uint64_t id;
	uint32_t uid, pid;
	int r;

	if (!t)
		return EXIT_FAIL;
	if (broker_connect(&bus) <= 0)
		return no_broker_exit("listing leases");
	r = sd_bus_call_method(bus, WD_BUS_NAME, WD_BUS_PATH, WD_MANAGER_IFACE, "ListLeases",
			       &e, &reply, "");
	if (r < 0) {
		r = bus_error_exit("cannot list leases", &e, r);
		sd_bus_error_free(&e);
		return r;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(tssuus)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(tssuus)", &id, &dev, &alg, &uid, &pid,
						  &unit)) > 0) {
		_cleanup_(freep) char *cg = NULL;
		struct passwd *pw = getpwuid(uid);
		char num[16];

		snprintf(num, sizeof(num), "%u", uid);
		/* The reply's strings stay valid: the property call is another message. */
		cg = lease_cgroup(bus, id);
		if (!cg) {
			r = -ENOMEM;
			break;
		}
		r = TABLE_ROW(t, C_UINT(id), C_STR(dev), C_STR(alg), C_UINT(uid),
			      C_STR(pw ? pw->pw_name : num), C_UINT(pid), C_STR(unit), C_STR(cg));
	}
	if (r < 0) {
		fprintf(stderr, "warpctl: cannot read the broker's lease list: %s\n", strerror(-r));
		return EXIT_FAIL;
	}
	if (geteuid() != 0)
		fprintf(stderr, "warpctl: only your own leases are shown; run as root to see all.\n");
	return show_table(t);
}

/* wdsoft's debugfs counters of one device (kernel/soft/README.rst). */
struct engine_stats {
	bool valid;
	uint64_t requests, bytes, errors, busy_ns;
};

static int read_engine_stats(const char *dev, struct engine_stats *s)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	char key[32];
	unsigned long long v;
	int found = 0;

	memset(s, 0, sizeof(*s));
	if (asprintf(&path, "%s/kernel/debug/wdsoft/%s/stats", arg.sysfs_root, dev) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%31s %llu", key, &v) == 2) {
		uint64_t *dst = !strcmp(key, "requests") ? &s->requests :
				!strcmp(key, "bytes") ? &s->bytes :
				!strcmp(key, "errors") ? &s->errors :
				!strcmp(key, "busy_ns") ? &s->busy_ns : NULL;

		if (dst) {
			*dst = v;
			found++;
		}
	}
	if (found != 4)
		return -EBADMSG;
	s->valid = true;
	return 0;
}

static int stats_row(struct table *t, const struct devinfo *d, int *notes)
{
	bool b = d->has_broker_stats;
	struct engine_stats s;
	int r = read_engine_stats(d->name, &s);

	/* only wdsoft has these counters; say so when they exist but cannot be read */
	if (r < 0 && r != -ENOENT && !strncmp(d->api, "wdsoft", 6) && !(*notes)++)
		fprintf(stderr, "warpctl: cannot read the engine statistics of %s: %s "
			"(they need root and debugfs on %s/kernel/debug).\n",
			d->name, strerror(-r), arg.sysfs_root);
	return TABLE_ROW(t, C_STR(d->name), b ? C_UINT(d->grants) : C_NULL,
			 b ? C_UINT(d->releases) : C_NULL, b ? C_UINT(d->revokes) : C_NULL,
			 b ? C_UINT(d->open_errors) : C_NULL,
			 s.valid ? C_UINT(s.requests) : C_NULL, s.valid ? C_BYTES(s.bytes) : C_NULL,
			 s.valid ? C_UINT(s.errors) : C_NULL, s.valid ? C_NSEC(s.busy_ns) : C_NULL);
}

/*
 * stats --clients: the broker's ListClientCounters, one row per uid, unit
 * and counter, as the broker summed them.
 */
static int stats_clients(void)
{
	static const char *const headers[] = { "UID", "USER", "UNIT", "COUNTER", "VALUE" };
	static const char *const keys[] = { "uid", "user", "unit", "counter", "value" };
	_cleanup_(table_freep) struct table *t = table_new(ARRAY_SIZE(keys), headers, keys);
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *unit, *name;
	uint64_t value, dropped = 0;
	uint32_t uid;
	int r;

	if (!t)
		return EXIT_FAIL;
	if (broker_connect(&bus) <= 0)
		return no_broker_exit("showing the clients' counters");
	r = sd_bus_call_method(bus, WD_BUS_NAME, WD_BUS_PATH, WD_MANAGER_IFACE,
			       "ListClientCounters", &e, &reply, "");
	if (r < 0) {
		r = bus_error_exit("cannot read the clients' counters", &e, r);
		sd_bus_error_free(&e);
		return r;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(usst)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(usst)", &uid, &unit, &name, &value)) > 0) {
		struct passwd *pw = getpwuid(uid);
		char num[16];

		snprintf(num, sizeof(num), "%u", uid);
		r = TABLE_ROW(t, C_UINT(uid), C_STR(pw ? pw->pw_name : num), C_STR(unit),
			      C_STR(name), C_UINT(value));
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "t", &dropped);
	if (r < 0) {
		fprintf(stderr, "warpctl: cannot read the broker's client counters: %s\n", strerror(-r));
		return EXIT_FAIL;
	}
	if (dropped)
		fprintf(stderr, "warpctl: the broker had no room for %llu reported counters; "
			"see wdbrokerd(8) on its limits.\n", (unsigned long long)dropped);
	if (geteuid() != 0)
		fprintf(stderr, "warpctl: only your own uid's counters are shown; run as root to see all.\n");
	return show_table(t);
}

int verb_stats(int argc, char **argv)
{
	static const char *const headers[] = { "DEVICE", "GRANTS", "RELEASES", "REVOKES",
					       "OPEN-ERRORS", "REQUESTS", "BYTES", "ERRORS", "BUSY" };
	static const char *const keys[] = { "name", "grants", "releases", "revokes", "open_errors",
					    "requests", "bytes", "errors", "busy_ns" };

	if (arg.clients) {
		if (argc > 1)
			return usage_error("stats --clients takes no device name (\"%s\").", argv[1]);
		return stats_clients();
	}
	return show_per_device(ARRAY_SIZE(keys), headers, keys, stats_row, argc - 1, argv + 1);
}
