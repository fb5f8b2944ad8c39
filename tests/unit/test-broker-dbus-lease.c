// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus-lease: the org.warpdrive.Lease1 objects on a private
 * dbus-daemon. A lease taken on D-Bus and one taken on the socket each
 * appear at /org/warpdrive/lease/<id> (InterfacesAdded, the node
 * enumeration, GetManagedObjects) with the properties of the grant; who
 * holds it (PID, Unit) is shown to root, not to another uid nor in the
 * InterfacesAdded signal; paths that name no lease are unknown objects;
 * Revoke is refused to an unprivileged caller (no polkit on this bus) and
 * ends the lease for root; a released lease's object goes
 * (InterfacesRemoved). test-broker-dbus-xml holds the interface to the
 * shipped XML.
 */
#include <sys/time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "cleanup.h"
#include "common/child-pipe.h"
#include "test-broker-bus.h"

static struct fake_tree t;
static struct private_bus pb;

#define DEST "org.warpdrive"
#define PATH "/org/warpdrive"
#define IFACE "org.warpdrive.Manager1"
#define LEASE_IFACE "org.warpdrive.Lease1"
#define OM_IFACE "org.freedesktop.DBus.ObjectManager"

static uint64_t now_usec(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000ULL + (uint64_t)tv.tv_usec;
}

static const char *lease_path(uint64_t id)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/org/warpdrive/lease/%llu", (unsigned long long)id);
	return buf;
}

/*
 * The PID property an InterfacesAdded signal @m carries, or UINT32_MAX if
 * it carries none.
 */
static uint32_t added_pid(sd_bus_message *m)
{
	uint32_t pid = UINT32_MAX;
	const char *name;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		r = sd_bus_message_skip(m, "s");
		if (r >= 0)
			r = sd_bus_message_enter_container(m, 'a', "{sv}");
		while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
			r = sd_bus_message_read(m, "s", &name);
			if (r >= 0)
				r = strcmp(name, "PID") ? sd_bus_message_skip(m, "v") :
					sd_bus_message_read(m, "v", "u", &pid);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	return pid;
}

/*
 * Wait up to @ms for the object manager's @member about @path; true if it
 * came. With @pid, the PID property InterfacesAdded carried goes there.
 */
static bool om_signal_seen(sd_bus *b, const char *member, const char *path, int ms,
			   uint32_t *pid)
{
	for (int waited = 0; waited < ms; waited += 50) {
		sd_bus_message *m = NULL;
		bool seen = false;

		while (sd_bus_process(b, &m) > 0) {
			const char *p;

			if (m && sd_bus_message_is_signal(m, OM_IFACE, member) &&
			    sd_bus_message_read(m, "o", &p) > 0 && !strcmp(p, path)) {
				seen = true;
				if (pid)
					*pid = added_pid(m);
			}
			m = sd_bus_message_unref(m);
		}
		if (seen)
			return true;
		sd_bus_wait(b, 50000);
	}
	return false;
}

/* The lease's properties, as GetAll gives them. */
struct lease_props {
	uint64_t id, granted_at;
	uint32_t uid, pid;
	char device[64], device_object[128], unit[128], cgroup[512], algs[128];
	int n;				/* properties read */
};

static int read_strv_joined(sd_bus_message *m, char *out, size_t size)
{
	const char *s;
	int r;

	out[0] = 0;
	r = sd_bus_message_enter_container(m, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "", s);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static int read_prop(sd_bus_message *m, const char *name, struct lease_props *p)
{
	const char *s;
	int r;

	if (!strcmp(name, "Id"))
		return sd_bus_message_read(m, "v", "t", &p->id);
	if (!strcmp(name, "GrantedAt"))
		return sd_bus_message_read(m, "v", "t", &p->granted_at);
	if (!strcmp(name, "UID"))
		return sd_bus_message_read(m, "v", "u", &p->uid);
	if (!strcmp(name, "PID"))
		return sd_bus_message_read(m, "v", "u", &p->pid);
	if (!strcmp(name, "Algorithms"))
		return read_strv_joined(m, p->algs, sizeof(p->algs));
	if (!strcmp(name, "DeviceObject")) {
		r = sd_bus_message_read(m, "v", "o", &s);
		snprintf(p->device_object, sizeof(p->device_object), "%s", r > 0 ? s : "");
		return r;
	}
	r = sd_bus_message_read(m, "v", "s", &s);
	if (r > 0 && !strcmp(name, "Device"))
		snprintf(p->device, sizeof(p->device), "%s", s);
	else if (r > 0 && !strcmp(name, "Unit"))
		snprintf(p->unit, sizeof(p->unit), "%s", s);
	else if (r > 0 && !strcmp(name, "Cgroup"))
		snprintf(p->cgroup, sizeof(p->cgroup), "%s", s);
	return r;
}

static int get_all(sd_bus *b, uint64_t id, struct lease_props *p, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	r = sd_bus_call_method(b, DEST, lease_path(id), "org.freedesktop.DBus.Properties", "GetAll",
			       e, &reply, "s", LEASE_IFACE);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *name;

		r = sd_bus_message_read(reply, "s", &name);
		if (r >= 0)
			r = read_prop(reply, name, p);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		p->n++;
	}
	sd_bus_message_unref(reply);
	return r;
}

/* Is @path among the objects of GetManagedObjects, with Lease1? */
static bool managed(sd_bus *b, const char *path)
{
	sd_bus_message *reply = NULL;
	bool found = false;
	int r;

	r = sd_bus_call_method(b, DEST, PATH, OM_IFACE, "GetManagedObjects", NULL, &reply, "");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
		const char *p, *iface;

		r = sd_bus_message_read(reply, "o", &p);
		if (r >= 0)
			r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
		while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
			r = sd_bus_message_read(reply, "s", &iface);
			if (r >= 0 && !strcmp(p, path) && !strcmp(iface, LEASE_IFACE))
				found = true;
			if (r >= 0)
				r = sd_bus_message_skip(reply, "a{sv}");
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	sd_bus_message_unref(reply);
	return found;
}

static char *introspect(sd_bus *b, const char *path)
{
	sd_bus_message *reply = NULL;
	const char *s = NULL;
	char *copy = NULL;

	if (sd_bus_call_method(b, DEST, path, "org.freedesktop.DBus.Introspectable", "Introspect",
			       NULL, &reply, "") >= 0 && sd_bus_message_read(reply, "s", &s) > 0)
		copy = strdup(s);
	sd_bus_message_unref(reply);
	return copy;
}

/*
 * uid 65534 looks at root's lease @id: it reads the lease but not who holds
 * it (PID 0, Unit and Cgroup empty), and its Revoke is refused.
 */
static void unprivileged_reader(uint64_t id)
{
	char res[2] = "??";
	int fd;

	if (geteuid() != 0) {
		skip(2, "not root: cannot switch to an unprivileged user");
		return;
	}
	if (!child_fork_reporter(&fd)) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		struct lease_props lp = { 0 };
		sd_bus *b = NULL;
		int r = -1;

		if (setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0)
			b = pbus_connect(&pb);
		if (b && get_all(b, id, &lp, &e) >= 0 && lp.n == 9)
			res[0] = lp.id == id && lp.uid == 0 && !lp.pid && !lp.unit[0] &&
				 !lp.cgroup[0] ? 'h' : 'H';
		sd_bus_error_free(&e);
		if (b)
			r = sd_bus_call_method(b, DEST, lease_path(id), LEASE_IFACE, "Revoke", &e,
					       NULL, "");
		res[1] = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		_exit(write(fd, res, 2) == 2 ? 0 : 2);
	}
	if (read(fd, res, 2) != 2)
		res[0] = res[1] = '?';
	close(fd);
	wait(NULL);
	ok(res[0] == 'h', "uid 65534 reads root's lease with UID 0 but PID 0, no Unit, no Cgroup (%c)",
	   res[0]);
	ok(res[1] == 'd', "Revoke refused to uid 65534 with no polkit to ask (AccessDenied)");
}

static void unknown_paths(sd_bus *b, uint64_t id)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char path[64];
	uint64_t v;
	int r;

	r = sd_bus_get_property_trivial(b, DEST, lease_path(id + 1000), LEASE_IFACE, "Id", &e, 't', &v);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT),
	   "a lease id nobody holds is an unknown object (%s)", e.name ? e.name : "no error");
	sd_bus_error_free(&e);
	snprintf(path, sizeof(path), "/org/warpdrive/lease/0%llu", (unsigned long long)id);
	r = sd_bus_get_property_trivial(b, DEST, path, LEASE_IFACE, "Id", &e, 't', &v);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT),
	   "only the canonical spelling of an id names it (%s is unknown)", path);
	sd_bus_error_free(&e);
}

int main(void)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	struct lease_props lp;
	struct wdp_lease grant;
	uint64_t before, after, lease, sock_lease;
	uint32_t sig_pid = UINT32_MAX;
	const char *dev;
	char *tree;
	sd_bus *b;
	int fd, qfd, sock, r;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0)
		plan_skip_all("dbus-daemon not installed (apt-get install dbus-daemon)");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	b = pbus_start_broker(&pb, &t);
	sd_bus_match_signal(b, NULL, DEST, PATH, OM_IFACE, NULL, NULL, NULL);

	/* A lease taken on D-Bus. */
	before = now_usec();
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, &reply, "si", "zlib,gzip", -1);
	ok(r >= 0 && sd_bus_message_read(reply, "hts", &fd, &lease, &dev) > 0,
	   "RequestQueue(\"zlib,gzip\") on D-Bus grants a lease");
	after = now_usec();
	sd_bus_error_free(&e);
	ok(om_signal_seen(b, "InterfacesAdded", lease_path(lease), 2000, &sig_pid),
	   "InterfacesAdded announces %s", lease_path(lease));
	is(sig_pid, 0, "and, sent to every peer, shows PID 0 and not the holder's");
	r = get_all(b, lease, &lp, &e);
	ok(r >= 0 && lp.n == 9, "GetAll on the lease object gives its 9 properties (%s)",
	   e.message ? e.message : "ok");
	sd_bus_error_free(&e);
	ok(lp.id == lease && !strcmp(lp.device, "wdsoft-0") &&
	   !strcmp(lp.device_object, "/org/warpdrive/device/wdsoft_2d0"),
	   "Id %llu, Device %s, DeviceObject %s", (unsigned long long)lp.id, lp.device,
	   lp.device_object);
	is_str(lp.algs, "zlib,gzip", "Algorithms: each name of the set, in order");
	ok(lp.uid == geteuid() && lp.pid == (uint32_t)getpid() && !lp.unit[0] && !lp.cgroup[0],
	   "UID %u and PID %u are the caller's, Unit and Cgroup are empty on D-Bus", lp.uid, lp.pid);
	ok(lp.granted_at >= before && lp.granted_at <= after,
	   "GrantedAt is the time of the grant (%llu in [%llu, %llu])",
	   (unsigned long long)lp.granted_at, (unsigned long long)before, (unsigned long long)after);
	reply = sd_bus_message_unref(reply);
	unknown_paths(b, lease);

	/* A lease taken on the socket is on the bus too. */
	sock = tb_connect(&t);
	r = tb_request(sock, "gzip", NULL, -1, &grant, &qfd, NULL);
	ok(r == 0, "a socket client gets a gzip queue");
	sock_lease = grant.id;
	ok(om_signal_seen(b, "InterfacesAdded", lease_path(sock_lease), 2000, &sig_pid) &&
	   sig_pid == 0,
	   "InterfacesAdded announces the socket lease too, with PID 0");
	r = get_all(b, sock_lease, &lp, &e);
	ok(r >= 0 && lp.id == sock_lease && lp.uid == geteuid() && lp.pid == (uint32_t)getpid() &&
	   !strcmp(lp.algs, "gzip"), "its UID, PID and Algorithms are the socket peer's and request's");
	sd_bus_error_free(&e);
	{
		_cleanup_(freep) char *cg = NULL;

		r = sd_pid_get_cgroup(0, &cg);
		ok(r >= 0 && cg && !strcmp(lp.cgroup, cg),
		   "its Cgroup is the socket peer's, %s (the kernel says %s)", lp.cgroup,
		   cg ? cg : strerror(-r));
	}
	tree = introspect(b, "/org/warpdrive/lease");
	ok(tree && strstr(tree, "<node name=\"") && managed(b, lease_path(lease)) &&
	   managed(b, lease_path(sock_lease)),
	   "both are listed under /org/warpdrive/lease and by GetManagedObjects");
	free(tree);

	unprivileged_reader(sock_lease);
	ok(managed(b, lease_path(sock_lease)), "the refused Revoke left the lease alone");
	r = sd_bus_call_method(b, DEST, lease_path(sock_lease), LEASE_IFACE, "Revoke", &e, NULL, "");
	ok(r >= 0, "root's Revoke on the socket lease's object");
	sd_bus_error_free(&e);
	ok(om_signal_seen(b, "InterfacesRemoved", lease_path(sock_lease), 2000, NULL) &&
	   !managed(b, lease_path(sock_lease)), "its object goes: InterfacesRemoved");
	ok(tb_readable(sock, 2000), "the socket client got the REVOKED notice");
	r = sd_bus_call_method(b, DEST, lease_path(sock_lease), LEASE_IFACE, "Revoke", &e, NULL, "");
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT),
	   "Revoke on it again: unknown object");
	sd_bus_error_free(&e);
	close(qfd);
	close(sock);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r >= 0 && om_signal_seen(b, "InterfacesRemoved", lease_path(lease), 2000, NULL) &&
	   !managed(b, lease_path(lease)), "a released lease's object goes too");
	sd_bus_error_free(&e);

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	pbus_stop(&pb);
	tb_cleanup(&t);
	return exit_status();
}
