// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bus.c - the broker on D-Bus: org.warpdrive.Manager1 at /org/warpdrive,
 * one org.warpdrive.Device1 object per device under /org/warpdrive/device
 * and one org.warpdrive.Lease1 per lease under /org/warpdrive/lease
 * (bus-lease.c).
 *
 * RequestQueue is the D-Bus twin of the socket request (as logind's
 * TakeDevice): the caller's identity comes from the credentials the bus
 * daemon recorded when it connected (see sender_identity()), the
 * fd is returned as 'h', and the lease lives as long as the caller's bus
 * name (tracked with sd_bus_track). Admin methods (RevokeLease, Reload,
 * SetQuota) need uid 0 or polkit authorization for org.warpdrive.manage,
 * asked asynchronously (see bus-admin.c).
 */
#include "bus.h"
#include "peer.h"

#include <grp.h>
#include <pwd.h>

#include "client.h"
#include "lease.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define DEVICE_PREFIX	"/org/warpdrive/device"
#define DEVICE_IFACE	"org.warpdrive.Device1"

static const char *const reason_errors[WDP_REASON_MAX] = {
	[WDP_REASON_PROTOCOL] = "org.warpdrive.Error.InvalidArgs",
	[WDP_REASON_VERSION] = "org.warpdrive.Error.InvalidArgs",
	[WDP_REASON_NO_DEVICE] = "org.warpdrive.Error.NoDevice",
	[WDP_REASON_ALG_DENIED] = "org.warpdrive.Error.NotAllowed",
	[WDP_REASON_DEVICE_DENIED] = "org.warpdrive.Error.NotAllowed",
	[WDP_REASON_QUOTA_USER] = "org.warpdrive.Error.QuotaExceeded",
	[WDP_REASON_QUOTA_GROUP] = "org.warpdrive.Error.QuotaExceeded",
	[WDP_REASON_QUOTA_UNIT] = "org.warpdrive.Error.QuotaExceeded",
	[WDP_REASON_QUOTA_GLOBAL] = "org.warpdrive.Error.QuotaExceeded",
	[WDP_REASON_BUSY] = "org.warpdrive.Error.Busy",
	[WDP_REASON_NODE] = "org.warpdrive.Error.Busy",
	[WDP_REASON_NO_LEASE] = "org.warpdrive.Error.NoSuchLease",
	[WDP_REASON_INTERNAL] = "org.warpdrive.Error.Failed",
};

/*
 * The identity of a bus caller, from what the bus daemon recorded when the
 * caller connected (GetConnectionCredentials: UnixUserID and ProcessID from
 * SO_PEERCRED, UnixGroupIDs from SO_PEERGROUPS plus the gid of
 * SO_PEERCRED), never from /proc at request time. A process that sends
 * RequestQueue and then execs a setgid program, or whose pid is reused by
 * then, is judged as it was when it connected, as on the socket.
 * (sd_bus_query_sender_creds() with SD_BUS_CREDS_AUGMENT would read the
 * effective gid, the groups and the unit from /proc/PID: racy.)
 *
 * The bus vouches for no unit: neither dbus-daemon 1.14 nor sd-bus 252
 * hands out a pidfd pinned at connect time, and a pid looked up later may
 * name another process. So the unit and the cgroup stay unknown (NULL), and so do the
 * groups (n_groups 0) on a bus daemon that does not report UnixGroupIDs;
 * bus_unvouched_section() refuses requests that such a section could
 * judge. The primary gid is not told apart from the others (gid -1): the
 * policy matches groups as a set.
 */
static int sender_identity(sd_bus_message *msg, struct identity *id)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	const char *sender = sd_bus_message_get_sender(msg);
	const uint32_t *gids = NULL;
	size_t gids_size = 0;
	bool have_uid = false;
	int r;

	memset(id, 0, sizeof(*id));
	id->gid = (gid_t)-1;
	if (!sender)
		return -ESRCH;
	r = sd_bus_call_method(sd_bus_message_get_bus(msg), "org.freedesktop.DBus",
			       "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "GetConnectionCredentials", &err, &reply, "s", sender);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;
		uint32_t v;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (!strcmp(key, "UnixUserID")) {
			r = sd_bus_message_read(reply, "v", "u", &v);
			id->uid = v;
			have_uid = r >= 0;
		} else if (!strcmp(key, "ProcessID")) {
			r = sd_bus_message_read(reply, "v", "u", &v);
			id->pid = (pid_t)v;
		} else if (!strcmp(key, "UnixGroupIDs")) {
			r = sd_bus_message_enter_container(reply, 'v', "au");
			if (r >= 0)
				r = sd_bus_message_read_array(reply, 'u', (const void **)&gids,
							      &gids_size);
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
		} else {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r < 0)
		return r;
	if (!have_uid)
		return -EPROTO;	/* every unix connection has one */

	id->n_groups = (int)(gids_size / sizeof(uint32_t));
	id->groups = calloc((size_t)id->n_groups + 1, sizeof(gid_t));
	id->group_names = calloc((size_t)id->n_groups + 1, sizeof(char *));
	if (!id->groups || !id->group_names) {
		r = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < id->n_groups; i++) {
		id->groups[i] = gids[i];
		r = peer_name_of_gid(id->groups[i], &id->group_names[i]);
		if (r < 0)
			goto fail;
	}
	r = peer_name_of_uid(id->uid, &id->user);
	if (r < 0)
		goto fail;
	return 0;
fail:
	identity_clear(id);
	return r;
}

/*
 * The first section of the policy that could apply to @id but needs what
 * the bus does not vouch for (see sender_identity()): any [unit:X],
 * [slice:X] or [cgroup:X] (the cgroup is the unit's kin), and any [group:X] when the bus gave no groups. Judging such a request
 * without it would skip a limit that may be the caller's; guessing it from
 * /proc would be racy. NULL when the policy can judge @id.
 */
static const struct policy_section *bus_unvouched_section(const struct policy *p,
							  const struct identity *id)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->v[i]->kind == SEC_UNIT || p->v[i]->kind == SEC_SLICE ||
		    p->v[i]->kind == SEC_CGROUP || (p->v[i]->kind == SEC_GROUP && !id->n_groups))
			return p->v[i];
	return NULL;
}

/* ---- Manager1 methods ---- */

static int method_list_devices(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct manager *m = ud;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssiuuo)");
	if (r < 0)
		return r;
	for (unsigned i = 0; i < m->devs->n; i++) {
		struct wd_device *d = m->devs->v[i];

		device_refresh(m->devs, d);
		r = sd_bus_message_append(reply, "(ssiuuo)", d->name, d->api, d->node,
					  (uint32_t)d->available, d->leased, d->object_path);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

int bus_caller_euid(sd_bus_message *msg, uid_t *uid)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	int r;

	r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
	if (r < 0)
		return r;
	return sd_bus_creds_get_euid(creds, uid);
}

static int method_list_leases(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(freep) struct lease **v = NULL;
	struct manager *m = ud;
	uid_t uid = (uid_t)-1;
	int n, r;

	if (bus_caller_euid(msg, &uid) < 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "cannot identify the caller");
	n = lease_table_collect(&m->leases, &v);
	if (n < 0)
		return n;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(tssuus)");
	if (r < 0)
		return r;
	/* Root sees every lease, others their own. */
	for (int i = 0; i < n; i++) {
		struct client *c = v[i]->client;

		if (!c || (uid != 0 && c->ident.uid != uid))
			continue;
		r = sd_bus_message_append(reply, "(tssuus)", v[i]->id, v[i]->device, v[i]->alg,
					  (uint32_t)c->ident.uid, (uint32_t)c->ident.pid,
					  c->ident.unit ? c->ident.unit : "");
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_list_client_counters(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct counters_table *t = &((struct manager *)ud)->client_counters;
	uid_t uid = (uid_t)-1;
	int r;

	if (bus_caller_euid(msg, &uid) < 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "cannot identify the caller");
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(usst)");
	if (r < 0)
		return r;
	/* As ListLeases: root sees everyone's, others their own uid's. */
	for (unsigned i = 0; i < t->n; i++) {
		const struct counters_ident *id = t->v[i];

		if (uid != 0 && id->uid != uid)
			continue;
		for (unsigned j = 0; j < id->n; j++) {
			r = sd_bus_message_append(reply, "(usst)", (uint32_t)id->uid, id->unit,
						  id->v[j].name, id->v[j].value);
			if (r < 0)
				return r;
		}
	}
	r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "t", t->dropped);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int track_gone(sd_bus_track *t, void *ud)
{
	struct client *c = ud;

	client_free(c);
	return 0;
}

static int method_request_queue(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	struct wdp_queue_req req = { .node = -1 };
	struct queue_result res;
	const char *alg, *sender = sd_bus_message_get_sender(msg);
	char bad[WDP_TEXT_MAX];
	struct wdp_algs algs;
	const struct policy_section *unvouched;
	struct client *c;
	int32_t node;
	int r;

	r = sd_bus_message_read(msg, "si", &alg, &node);
	if (r < 0)
		return r;
	/* One algorithm, or a set: "sha256,crc32c". */
	if (wdp_algs_parse(alg, &algs, bad, sizeof(bad)) < 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, bad);
	if (node < -1 || node > 1023)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "node %d is out of range (-1 for the caller's own)", node);
	snprintf(req.alg, sizeof(req.alg), "%s", alg);
	req.node = node;
	if (!sender)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "no sender");

	c = client_find_bus(m, sender);
	if (!c) {
		c = client_new(m, -1, sender);
		if (!c)
			return -ENOMEM;
		r = sender_identity(msg, &c->ident);
		if (r >= 0)
			r = sd_bus_track_new(m->bus, &c->track, track_gone, c);
		if (r >= 0)
			r = sd_bus_track_add_name(c->track, sender);
		if (r < 0) {
			client_free(c);
			return sd_bus_error_set_errnof(error, -r, "cannot identify the caller: %s",
						       strerror(-r));
		}
	}
	unvouched = bus_unvouched_section(m->policy, &c->ident);
	if (unvouched) {
		m->stat_refusals++;
		return sd_bus_error_setf(error, reason_errors[WDP_REASON_ALG_DENIED],
					 "the policy has a [%s:%s] section and the bus does not vouch for the %s of a caller; request the queue on the socket %s instead (wd_request_queue() does)",
					 unvouched->kind == SEC_UNIT ? "unit" : "group", unvouched->name,
					 unvouched->kind == SEC_UNIT ? "systemd unit" : "groups",
					 m->socket_path ? m->socket_path : WDP_SOCKET_DEFAULT);
	}
	r = manager_request_queue(m, c, &req, &res);
	if (r < 0) {
		m->stat_refusals++;
		return sd_bus_error_set(error, reason_errors[res.refusal.reason] ?
					reason_errors[res.refusal.reason] : SD_BUS_ERROR_FAILED,
					res.refusal.text);
	}
	/* The reply dups the fd; the lease keeps its own. */
	return sd_bus_reply_method_return(msg, "hts", res.lease->fd, res.lease->id, res.lease->device);
}

static int method_release_lease(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	const char *sender = sd_bus_message_get_sender(msg);
	struct lease *l;
	uint64_t id;
	int r;

	r = sd_bus_message_read(msg, "t", &id);
	if (r < 0)
		return r;
	l = lease_find(&m->leases, id);
	if (!l || !l->client || !l->client->bus_name || !sender ||
	    strcmp(l->client->bus_name, sender))
		return sd_bus_error_setf(error, "org.warpdrive.Error.NoSuchLease",
					 "you hold no lease %llu on the bus; socket leases end with their connection",
					 (unsigned long long)id);
	lease_end(m, l, NULL, "released over D-Bus");
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_revoke_lease(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	uint64_t id;
	int r;

	r = sd_bus_message_read(msg, "t", &id);
	if (r < 0)
		return r;
	BUS_ADMIN_OR_RETURN(m, msg, method_revoke_lease, error);
	return bus_lease_revoke(m, msg, id, error);
}

static int method_reload(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	_cleanup_(freep) char *err = NULL;
	int r;

	BUS_ADMIN_OR_RETURN(m, msg, method_reload, error);
	r = manager_reload(m, &err);
	if (r < 0)
		return sd_bus_error_setf(error, "org.warpdrive.Error.BadPolicy",
					 "policy not reloaded, the previous one stays: %s",
					 err ? err : strerror(-r));
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_set_quota(sd_bus_message *msg, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	_cleanup_(freep) char *err = NULL;
	const char *section;
	int64_t max;
	int r;

	r = sd_bus_message_read(msg, "sx", &section, &max);
	if (r < 0)
		return r;
	BUS_ADMIN_OR_RETURN(m, msg, method_set_quota, error);
	if (max < -1 || max > 1000000)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "max_queues %lld is out of range (-1 for unlimited)",
					 (long long)max);
	r = manager_set_quota(m, section, max, &err);
	if (r < 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
					err ? err : strerror(-r));
	return sd_bus_reply_method_return(msg, NULL);
}

/* ---- Manager1 properties ---- */

static int prop_devices(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "o");
	if (r < 0)
		return r;
	for (unsigned i = 0; i < m->devs->n; i++) {
		r = sd_bus_message_append(reply, "o", m->devs->v[i]->object_path);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int prop_version(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", WDBROKERD_VERSION);
}

static int prop_lease_count(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct manager *m = ud;

	return sd_bus_message_append(reply, "u", m->leases.count);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Devices", "ao", prop_devices, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LeaseCount", "u", prop_lease_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("ListDevices", SD_BUS_NO_ARGS,
		SD_BUS_RESULT("a(ssiuuo)", devices), method_list_devices, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListLeases", SD_BUS_NO_ARGS,
		SD_BUS_RESULT("a(tssuus)", leases), method_list_leases, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListClientCounters", SD_BUS_NO_ARGS,
		SD_BUS_RESULT("a(usst)", counters, "t", dropped), method_list_client_counters,
		SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("RequestQueue", SD_BUS_ARGS("s", alg, "i", node),
		SD_BUS_RESULT("h", fd, "t", lease, "s", device), method_request_queue, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ReleaseLease", SD_BUS_ARGS("t", lease), SD_BUS_NO_RESULT,
		method_release_lease, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("RevokeLease", SD_BUS_ARGS("t", lease), SD_BUS_NO_RESULT,
		method_revoke_lease, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
		method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("SetQuota", SD_BUS_ARGS("s", section, "x", max_queues),
		SD_BUS_NO_RESULT, method_set_quota, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("s", name, "o", path), 0),
	SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("s", name, "o", path), 0),
	SD_BUS_SIGNAL_WITH_ARGS("LeaseGranted",
		SD_BUS_ARGS("t", lease, "s", device, "s", alg, "u", uid), 0),
	SD_BUS_SIGNAL_WITH_ARGS("LeaseReleased", SD_BUS_ARGS("t", lease, "s", device), 0),
	SD_BUS_SIGNAL_WITH_ARGS("LeaseRevoked",
		SD_BUS_ARGS("t", lease, "s", device, "s", reason), 0),
	SD_BUS_VTABLE_END
};

/* ---- Device1 ---- */

static int device_find(sd_bus *bus, const char *path, const char *iface, void *ud,
		       void **found, sd_bus_error *error)
{
	struct manager *m = ud;

	for (unsigned i = 0; i < m->devs->n; i++)
		if (!strcmp(m->devs->v[i]->object_path, path)) {
			*found = m->devs->v[i];
			return 1;
		}
	return 0;
}

static int device_enumerate(sd_bus *bus, const char *path, void *ud, char ***nodes,
			    sd_bus_error *error)
{
	struct manager *m = ud;
	char **v = calloc(m->devs->n + 1, sizeof(char *));

	if (!v)
		return -ENOMEM;
	for (unsigned i = 0; i < m->devs->n; i++) {
		v[i] = strdup(m->devs->v[i]->object_path);
		if (!v[i]) {
			strv_freep(&v);
			return -ENOMEM;
		}
	}
	*nodes = v;
	return 0;
}

static int prop_algorithms(sd_bus *bus, const char *path, const char *iface,
			   const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct wd_device *d = ud;

	return sd_bus_message_append_strv(reply, d->algs);
}

static int prop_available(sd_bus *bus, const char *path, const char *iface,
			  const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct wd_device *d = ud;

	return sd_bus_message_append(reply, "u", (uint32_t)d->available);
}

static int prop_isolated(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply, void *ud, sd_bus_error *error)
{
	struct wd_device *d = ud;

	return sd_bus_message_append(reply, "b", (int)d->isolated);
}

static const sd_bus_vtable device_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", NULL, offsetof(struct wd_device, name), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Api", "s", NULL, offsetof(struct wd_device, api), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Algorithms", "as", prop_algorithms, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Flags", "u", NULL, offsetof(struct wd_device, flags), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Node", "i", NULL, offsetof(struct wd_device, node), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AvailableInstances", "u", prop_available, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LeasedInstances", "u", NULL, offsetof(struct wd_device, leased), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Isolated", "b", prop_isolated, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Grants", "t", NULL, offsetof(struct wd_device, stat_grants), 0),
	SD_BUS_PROPERTY("Releases", "t", NULL, offsetof(struct wd_device, stat_releases), 0),
	SD_BUS_PROPERTY("Revokes", "t", NULL, offsetof(struct wd_device, stat_revokes), 0),
	SD_BUS_PROPERTY("OpenErrors", "t", NULL, offsetof(struct wd_device, stat_open_errors), 0),
	SD_BUS_VTABLE_END
};

/*
 * LeaseCount and a device's AvailableInstances/LeasedInstances change with
 * every grant and release. Each PropertiesChanged is a message dbus-daemon
 * has to route, and under a flood of requests those were most of its work
 * (three messages per lease). So a change only marks the object, and
 * props_flush() sends one signal per marked object, with the values of that
 * moment, at most every WDBROKERD_PROPS_DELAY_MS. The lease signals
 * (LeaseGranted, ...) are events and still go out at once.
 */
static int props_flush(sd_event_source *s, uint64_t usec, void *ud)
{
	struct manager *m = ud;

	if (!m->bus)
		return 0;
	if (m->props_lease_count) {
		m->props_lease_count = false;
		sd_bus_emit_properties_changed(m->bus, MANAGER_PATH, MANAGER_IFACE, "LeaseCount",
					       NULL);
	}
	for (unsigned i = 0; i < m->devs->n; i++) {
		struct wd_device *d = m->devs->v[i];

		if (!d->props_changed)
			continue;
		d->props_changed = false;
		sd_bus_emit_properties_changed(m->bus, d->object_path, DEVICE_IFACE,
					       "AvailableInstances", "LeasedInstances", "Isolated",
					       NULL);
	}
	return 0;
}

int bus_setup(struct manager *m, int which)
{
	int r;

	r = sd_event_add_time_relative(m->event, &m->props_timer, CLOCK_MONOTONIC,
				       WDBROKERD_PROPS_DELAY_MS * 1000ULL, 0, props_flush, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->props_timer, SD_EVENT_OFF);
	if (r < 0)
		return r;

	r = which == 1 ? sd_bus_open_system(&m->bus) : sd_bus_open_user(&m->bus);
	if (r < 0)
		return r;
	r = sd_bus_add_object_vtable(m->bus, &m->bus_slots[0], MANAGER_PATH, MANAGER_IFACE,
				     manager_vtable, m);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(m->bus, &m->bus_slots[1], DEVICE_PREFIX, DEVICE_IFACE,
				       device_vtable, device_find, m);
	if (r < 0)
		return r;
	r = sd_bus_add_node_enumerator(m->bus, &m->bus_slots[2], DEVICE_PREFIX, device_enumerate, m);
	if (r < 0)
		return r;
	r = bus_lease_setup(m);
	if (r < 0)
		return r;
	r = sd_bus_add_object_manager(m->bus, &m->bus_slots[3], MANAGER_PATH);
	if (r < 0)
		return r;
	r = sd_bus_request_name(m->bus, BUS_NAME, 0);
	if (r < 0)
		return r;
	return sd_bus_attach_event(m->bus, m->event, 0);
}

void bus_teardown(struct manager *m)
{
	bus_admin_teardown();
	/* Whatever changed last is still announced. */
	props_flush(NULL, 0, m);
	m->props_timer = sd_event_source_disable_unref(m->props_timer);
	for (size_t i = 0; i < ARRAY_SIZE(m->bus_slots); i++)
		m->bus_slots[i] = sd_bus_slot_unref(m->bus_slots[i]);
	if (m->bus) {
		sd_bus_flush(m->bus);
		m->bus = sd_bus_flush_close_unref(m->bus);
	}
}

void bus_emit_device_added(struct manager *m, struct wd_device *d)
{
	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "DeviceAdded", "so",
			   d->name, d->object_path);
	sd_bus_emit_object_added(m->bus, d->object_path);
	sd_bus_emit_properties_changed(m->bus, MANAGER_PATH, MANAGER_IFACE, "Devices", NULL);
}

void bus_emit_device_removed(struct manager *m, struct wd_device *d)
{
	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "DeviceRemoved", "so",
			   d->name, d->object_path);
	/* The device is already out of the table: announce the interfaces by hand. */
	sd_bus_emit_interfaces_removed(m->bus, d->object_path, DEVICE_IFACE, NULL);
	sd_bus_emit_properties_changed(m->bus, MANAGER_PATH, MANAGER_IFACE, "Devices", NULL);
}

void bus_emit_device_changed(struct manager *m, struct wd_device *d)
{
	if (!m->bus)
		return;
	d->props_changed = true;
	manager_defer(m, m->props_timer, WDBROKERD_PROPS_DELAY_MS, props_flush);
}

void bus_emit_lease_granted(struct manager *m, struct lease *l)
{
	char path[64];

	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "LeaseGranted", "tssu",
			   l->id, l->device, l->alg,
			   l->client ? (uint32_t)l->client->ident.uid : 0);
	sd_bus_emit_object_added(m->bus, bus_lease_path(l->id, path));
	if (l->dev)
		bus_emit_device_changed(m, l->dev);
}

void bus_emit_lease_released(struct manager *m, struct lease *l)
{
	char path[64];

	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "LeaseReleased", "ts",
			   l->id, l->device);
	/* Still in the table: the object manager can list what goes. */
	sd_bus_emit_object_removed(m->bus, bus_lease_path(l->id, path));
	if (l->dev)
		bus_emit_device_changed(m, l->dev);
}

void bus_emit_lease_revoked(struct manager *m, struct lease *l, const char *why)
{
	char path[64];

	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "LeaseRevoked", "tss",
			   l->id, l->device, why);
	sd_bus_emit_object_removed(m->bus, bus_lease_path(l->id, path));
	if (l->dev)
		bus_emit_device_changed(m, l->dev);
}

void bus_emit_lease_count(struct manager *m)
{
	if (!m->bus)
		return;
	m->props_lease_count = true;
	manager_defer(m, m->props_timer, WDBROKERD_PROPS_DELAY_MS, props_flush);
}
