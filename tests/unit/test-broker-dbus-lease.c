// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus-lease: the org.warpdrive.Lease1 objects on a private
 * dbus-daemon. A lease taken on D-Bus and one taken on the socket each
 * appear at /org/warpdrive/lease/<id> (InterfacesAdded, the node
 * enumeration, GetManagedObjects) with the properties of the grant; the
 * interface matches the shipped units/org.warpdrive.Lease1.xml member for
 * member; paths that name no lease are unknown objects; Revoke is refused
 * to an unprivileged caller (no polkit on this bus) and ends the lease for
 * root; a released lease's object goes (InterfacesRemoved).
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

/* Wait up to @ms for the object manager's @member about @path; true if it came. */
static bool om_signal_seen(sd_bus *b, const char *member, const char *path, int ms)
{
	for (int waited = 0; waited < ms; waited += 50) {
		sd_bus_message *m = NULL;
		bool seen = false;

		while (sd_bus_process(b, &m) > 0) {
			const char *p;

			if (m && sd_bus_message_is_signal(m, OM_IFACE, member) &&
			    sd_bus_message_read(m, "o", &p) > 0 && !strcmp(p, path))
				seen = true;
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
 * Each <property> and <method> of the shipped XML, as ' name="X" type="T"'
 * (or just the name for a method), must be in the broker's introspection
 * of a lease object, and the broker must show no member the XML lacks.
 */
static void xml_matches(sd_bus *b, uint64_t id)
{
	char xmlpath[1024], line[2048];
	char *live = introspect(b, lease_path(id)), *iface;
	int members = 0, missing = 0, live_members = 0;
	FILE *f;

	snprintf(xmlpath, sizeof(xmlpath), "%s/units/org.warpdrive.Lease1.xml",
		 getenv("WD_SOURCE_ROOT") ?: "../..");
	f = fopen(xmlpath, "re");
	iface = live ? strstr(live, "<interface name=\"" LEASE_IFACE "\">") : NULL;
	if (!f || !iface) {
		ok(false, "the shipped interface XML and the live Lease1 interface are there");
		skip(1, "nothing to compare");
		goto out;
	}
	*strstr(iface, "</interface>") = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "<property name=\""), *m = strstr(line, "<method name=\"");
		char want[256];

		if (p) {
			char name[64], type[64];

			if (sscanf(p, "<property name=\"%63[^\"]\" type=\"%63[^\"]\"", name, type) != 2)
				continue;
			snprintf(want, sizeof(want), "<property name=\"%s\" type=\"%s\"", name, type);
		} else if (m) {
			char name[64];

			if (sscanf(m, "<method name=\"%63[^\"]\"", name) != 1)
				continue;
			snprintf(want, sizeof(want), "<method name=\"%s\"", name);
		} else {
			continue;
		}
		members++;
		if (!strstr(iface, want)) {
			diag("not in the broker's interface: %s", want);
			missing++;
		}
	}
	for (char *q = iface; (q = strstr(q, "<property ")); q++)
		live_members++;
	for (char *q = iface; (q = strstr(q, "<method ")); q++)
		live_members++;
	ok(members >= 9 && !missing, "every one of the XML's %d properties and methods is live", members);
	is(live_members, members, "and the broker's Lease1 has no member the XML lacks");
out:
	if (f)
		fclose(f);
	free(live);
}

static void unprivileged_revoke(uint64_t id)
{
	char res = '?';
	int fd;

	if (geteuid() != 0) {
		skip(1, "not root: cannot switch to an unprivileged user");
		return;
	}
	if (!child_fork_reporter(&fd)) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus *b = NULL;
		int r = -1;

		if (setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0)
			b = pbus_connect(&pb);
		if (b)
			r = sd_bus_call_method(b, DEST, lease_path(id), LEASE_IFACE, "Revoke", &e,
					       NULL, "");
		res = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		_exit(write(fd, &res, 1) == 1 ? 0 : 2);
	}
	if (read(fd, &res, 1) != 1)
		res = '?';
	close(fd);
	wait(NULL);
	ok(res == 'd', "Revoke refused to uid 65534 with no polkit to ask (AccessDenied)");
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
	ok(om_signal_seen(b, "InterfacesAdded", lease_path(lease), 2000),
	   "InterfacesAdded announces %s", lease_path(lease));
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
	xml_matches(b, lease);
	unknown_paths(b, lease);

	/* A lease taken on the socket is on the bus too. */
	sock = tb_connect(&t);
	r = tb_request(sock, "gzip", NULL, -1, &grant, &qfd, NULL);
	ok(r == 0, "a socket client gets a gzip queue");
	sock_lease = grant.id;
	ok(om_signal_seen(b, "InterfacesAdded", lease_path(sock_lease), 2000),
	   "InterfacesAdded announces the socket lease too");
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

	unprivileged_revoke(sock_lease);
	ok(managed(b, lease_path(sock_lease)), "the refused Revoke left the lease alone");
	r = sd_bus_call_method(b, DEST, lease_path(sock_lease), LEASE_IFACE, "Revoke", &e, NULL, "");
	ok(r >= 0, "root's Revoke on the socket lease's object");
	sd_bus_error_free(&e);
	ok(om_signal_seen(b, "InterfacesRemoved", lease_path(sock_lease), 2000) &&
	   !managed(b, lease_path(sock_lease)), "its object goes: InterfacesRemoved");
	ok(tb_readable(sock, 2000), "the socket client got the REVOKED notice");
	r = sd_bus_call_method(b, DEST, lease_path(sock_lease), LEASE_IFACE, "Revoke", &e, NULL, "");
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT),
	   "Revoke on it again: unknown object");
	sd_bus_error_free(&e);
	close(qfd);
	close(sock);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r >= 0 && om_signal_seen(b, "InterfacesRemoved", lease_path(lease), 2000) &&
	   !managed(b, lease_path(lease)), "a released lease's object goes too");
	sd_bus_error_free(&e);

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	pbus_stop(&pb);
	tb_cleanup(&t);
	return exit_status();
}
