// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bus-lease.c - one org.warpdrive.Lease1 object per lease, at
 * /org/warpdrive/lease/<id>.
 *
 * The objects are not registered one by one: a fallback vtable resolves a
 * path to its lease in the lease table (O(log n)) and a node enumerator
 * lists them, so a grant or an end costs the bus nothing but the
 * InterfacesAdded/InterfacesRemoved signals of the object manager at
 * /org/warpdrive. The user data of every member is the manager, not the
 * lease: a Revoke parked while polkit decides runs again later, when the
 * lease may be gone, so each member finds its lease from the path then.
 * What the broker does not see is not shown: requests go from the holder
 * to the device through the ring, never through the broker, so a lease
 * has no request count.
 *
 * Who holds a lease (PID, Unit, Cgroup) is shown to root and to the
 * holder's own uid only, the same readers ListLeases shows a lease to;
 * anyone else, and the InterfacesAdded signal everyone may receive, reads
 * PID 0 and an empty Unit and Cgroup (a cgroup names the container). That a lease exists, on which device, for what and for
 * which uid is public, as the LeaseGranted signal already tells.
 */
#include "bus.h"

#include <inttypes.h>

#include "client.h"
#include "lease.h"
#include "manager.h"
#include "util.h"

const char *bus_lease_path(uint64_t id, char *buf)
{
	snprintf(buf, 64, LEASE_PREFIX "/%" PRIu64, id);
	return buf;
}

/* The lease at @path, or NULL. Only the canonical spelling of an id resolves. */
static struct lease *lease_of_path(struct manager *m, const char *path)
{
	const char *tail;
	char canon[64];
	long long v;

	if (!path || strncmp(path, LEASE_PREFIX "/", strlen(LEASE_PREFIX) + 1))
		return NULL;
	tail = path + strlen(LEASE_PREFIX) + 1;
	if (parse_int(tail, 1, INT64_MAX, &v) < 0 ||
	    strcmp(bus_lease_path((uint64_t)v, canon), path))
		return NULL;
	return lease_find(&m->leases, (uint64_t)v);
}

static int lease_object_find(sd_bus *bus, const char *path, const char *iface, void *ud,
			     void **found, sd_bus_error *error)
{
	struct manager *m = ud;

	if (!lease_of_path(m, path))
		return 0;
	*found = m;
	return 1;
}

static int lease_object_enumerate(sd_bus *bus, const char *path, void *ud, char ***nodes,
				  sd_bus_error *error)
{
	_cleanup_(freep) struct lease **v = NULL;
	struct manager *m = ud;
	char **paths, buf[64];
	int n;

	n = lease_table_collect(&m->leases, &v);
	if (n < 0)
		return n;
	paths = calloc((size_t)n + 1, sizeof(char *));
	if (!paths)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		paths[i] = strdup(bus_lease_path(v[i]->id, buf));
		if (!paths[i]) {
			strv_freep(&paths);
			return -ENOMEM;
		}
	}
	*nodes = paths;
	return 0;
}

/* In a property getter: the lease of @path, or return -ENOENT (it just ended). */
#define LEASE_OR_RETURN(l, ud, path) do {					\
		(l) = lease_of_path((ud), (path));				\
		if (!(l))							\
			return -ENOENT;						\
	} while (0)

static int prop_id(sd_bus *bus, const char *path, const char *iface, const char *prop,
		   sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "t", l->id);
}

static int prop_device(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "s", l->device);
}

static int prop_device_object(sd_bus *bus, const char *path, const char *iface,
			      const char *prop, sd_bus_message *reply, void *ud,
			      sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	/* "/" once the device is gone: its leases end with it, so only briefly. */
	return sd_bus_message_append(reply, "o", l->dev ? l->dev->object_path : "/");
}

static int prop_algorithms(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct wdp_algs algs;
	struct lease *l;
	int r;

	LEASE_OR_RETURN(l, ud, path);
	/* Granting checked the spelling: it parses. */
	if (wdp_algs_parse(l->alg, &algs, NULL, 0) < 0)
		return -EINVAL;
	r = sd_bus_message_open_container(reply, 'a', "s");
	for (unsigned int i = 0; r >= 0 && i < algs.n; i++)
		r = sd_bus_message_append(reply, "s", algs.name[i]);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int prop_uid(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "u", l->client ? (uint32_t)l->client->ident.uid
							   : UINT32_MAX);
}

/*
 * Whether @reply, being filled for a property read, goes to a reader who
 * may see who holds @l: root or the holder's uid, asking with Get, GetAll
 * or GetManagedObjects (the call being answered is the bus's current
 * message). A signal (InterfacesAdded) has no single reader: no.
 */
static bool reader_sees_holder(sd_bus *bus, sd_bus_message *reply, const struct lease *l)
{
	sd_bus_message *call = sd_bus_get_current_message(bus);
	uint8_t type = 0;
	uid_t uid;

	if (!l->client || sd_bus_message_get_type(reply, &type) < 0 ||
	    type != SD_BUS_MESSAGE_METHOD_RETURN || !call || bus_caller_euid(call, &uid) < 0)
		return false;
	return uid == 0 || uid == l->client->ident.uid;
}

static int prop_pid(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "u", reader_sees_holder(bus, reply, l) &&
				     l->client->ident.pid > 0 ? (uint32_t)l->client->ident.pid : 0);
}

static int prop_unit(sd_bus *bus, const char *path, const char *iface, const char *prop,
		     sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "s", reader_sees_holder(bus, reply, l) &&
				     l->client->ident.unit ? l->client->ident.unit : "");
}

static int prop_cgroup(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "s", reader_sees_holder(bus, reply, l) &&
				     l->client->ident.cgroup ? l->client->ident.cgroup : "");
}

static int prop_granted_at(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct lease *l;

	LEASE_OR_RETURN(l, ud, path);
	return sd_bus_message_append(reply, "t", l->granted_usec);
}

int bus_lease_revoke(struct manager *m, sd_bus_message *msg, uint64_t id, sd_bus_error *error)
{
	struct lease *l = lease_find(&m->leases, id);
	char by[128];

	if (!l)
		return sd_bus_error_setf(error, "org.warpdrive.Error.NoSuchLease",
					 "there is no lease %llu", (unsigned long long)id);
	lease_end(m, l, bus_admin_name(msg, by, sizeof(by)), "revoked by an administrator");
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_revoke(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	struct lease *l;

	BUS_ADMIN_OR_RETURN(m, msg, method_revoke, error);
	/* Found again now: polkit may have taken a while. */
	l = lease_of_path(m, sd_bus_message_get_path(msg));
	if (!l)
		return sd_bus_error_setf(error, "org.warpdrive.Error.NoSuchLease",
					 "lease %s ended meanwhile", sd_bus_message_get_path(msg));
	return bus_lease_revoke(m, msg, l->id, error);
}

static const sd_bus_vtable lease_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "t", prop_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Device", "s", prop_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("DeviceObject", "o", prop_device_object, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Algorithms", "as", prop_algorithms, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("UID", "u", prop_uid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("PID", "u", prop_pid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Unit", "s", prop_unit, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Cgroup", "s", prop_cgroup, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("GrantedAt", "t", prop_granted_at, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD_WITH_ARGS("Revoke", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
		method_revoke, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

int bus_lease_setup(struct manager *m)
{
	int r;

	r = sd_bus_add_fallback_vtable(m->bus, &m->bus_slots[4], LEASE_PREFIX, LEASE_IFACE,
				       lease_vtable, lease_object_find, m);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(m->bus, &m->bus_slots[5], LEASE_PREFIX,
					  lease_object_enumerate, m);
}
