// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus: org.warpdrive on a private dbus-daemon. Introspection,
 * properties, ListDevices/ListLeases, RequestQueue returning an fd,
 * ReleaseLease, the lease signals, the admin methods (allowed to root,
 * refused to an unprivileged caller) and the D-Bus errors.
 */
#include <systemd/sd-bus.h>

#include "test-broker-lib.h"

static struct fake_tree t;
static char bus_addr[512];
static pid_t dbus_pid;

#define DEST "org.warpdrive"
#define PATH "/org/warpdrive"
#define IFACE "org.warpdrive.Manager1"

static void start_dbus(void)
{
	char conf[400], sockp[400];
	int p[2];
	ssize_t n;

	snprintf(sockp, sizeof(sockp), "%s/bus", t.root);
	snprintf(conf, sizeof(conf), "%s/bus.conf", t.root);
	/* A session-type bus that lets every uid connect (the unprivileged caller). */
	tb_write(conf,
		 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
		 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		 "<busconfig><type>session</type><listen>unix:path=%s</listen>\n"
		 "<auth>EXTERNAL</auth>\n"
		 "<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\n"
		 "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>\n"
		 "</policy></busconfig>\n", sockp);
	if (pipe(p) < 0)
		bail_out("pipe");
	dbus_pid = fork();
	if (dbus_pid == 0) {
		char fdarg[32];

		close(p[0]);
		snprintf(fdarg, sizeof(fdarg), "--print-address=%d", p[1]);
		execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", "--config-file", conf,
		       fdarg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], bus_addr, sizeof(bus_addr) - 1);
	close(p[0]);
	if (n <= 0)
		bail_out("dbus-daemon did not start");
	bus_addr[n] = 0;
	bus_addr[strcspn(bus_addr, "\n")] = 0;
	setenv("DBUS_SESSION_BUS_ADDRESS", bus_addr, 1);
}

static sd_bus *connect_bus(void)
{
	sd_bus *b = NULL;

	if (sd_bus_new(&b) < 0 || sd_bus_set_address(b, bus_addr) < 0 ||
	    sd_bus_set_bus_client(b, 1) < 0 || sd_bus_start(b) < 0)
		return sd_bus_unref(b);
	return b;
}

static bool wait_name(sd_bus *b)
{
	for (int i = 0; i < 500; i++) {
		if (sd_bus_get_name_creds(b, DEST, 0, NULL) >= 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* Count signals of @member received within @ms. */
static int signals_seen(sd_bus *b, const char *member, int ms)
{
	int n = 0;

	for (int waited = 0; waited < ms; waited += 50) {
		sd_bus_message *m = NULL;

		while (sd_bus_process(b, &m) > 0) {
			if (m && sd_bus_message_is_signal(m, IFACE, member))
				n++;
			m = sd_bus_message_unref(m);
		}
		if (n)
			break;
		sd_bus_wait(b, 50000);
	}
	return n;
}

static int request_queue(sd_bus *b, const char *alg, int *fd, uint64_t *lease,
			 const char **device, sd_bus_error *e, sd_bus_message **reply)
{
	int r, rfd;

	*fd = -1;
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", e, reply, "si", alg, -1);
	if (r < 0)
		return r;
	r = sd_bus_message_read(*reply, "hts", &rfd, lease, device);
	if (r < 0)
		return r;
	*fd = fcntl(rfd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

static void unprivileged_checks(void)
{
	int p[2];
	pid_t pid;
	char res[8] = "";

	if (geteuid() != 0) {
		skip(3, "not root: cannot switch to an unprivileged user");
		return;
	}
	if (pipe(p) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid == 0) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		const char *dev;
		uint64_t lease;
		sd_bus *b;
		int fd, r;

		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		b = connect_bus();
		res[0] = b ? 'c' : 'C';
		r = b ? sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "") : -1;
		res[1] = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		sd_bus_error_free(&e);
		r = b ? sd_bus_call_method(b, DEST, PATH, IFACE, "RevokeLease", &e, NULL, "t",
					  (uint64_t)1) : -1;
		res[2] = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		sd_bus_error_free(&e);
		r = b ? request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply) : -1;
		res[3] = r == 0 && fd >= 0 ? 'g' : 'G';
		if (write(p[1], res, 4) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, 4) != 4)
		strcpy(res, "????");
	close(p[0]);
	waitpid(pid, NULL, 0);
	ok(res[0] == 'c' && res[1] == 'd', "Reload refused to uid 65534 (AccessDenied)");
	ok(res[2] == 'd', "RevokeLease refused to uid 65534");
	ok(res[3] == 'g', "RequestQueue grants a queue fd to uid 65534");
}

int main(void)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *b;
	char *s = NULL, path[600];
	const char *dev;
	uint64_t lease, lease2;
	uint32_t count;
	int fd, fd2, r, n;
	struct stat st1, st2;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0)
		plan_skip_all("dbus-daemon not installed (apt-get install dbus-daemon)");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_device(&t, "wdsoft-1", "sha256", -1, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	start_dbus();
	t.bus = "user";
	tb_start(&t);

	b = connect_bus();
	ok(b != NULL, "connected to the private bus");
	if (!b)
		bail_out("no bus");
	ok(wait_name(b), "the broker owns org.warpdrive");
	sd_bus_match_signal(b, NULL, DEST, PATH, IFACE, NULL, NULL, NULL);

	r = sd_bus_call_method(b, DEST, PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
			       &e, &reply, "");
	ok(r >= 0 && sd_bus_message_read(reply, "s", &s) >= 0 &&
	   strstr(s, "org.warpdrive.Manager1") && strstr(s, "name=\"RequestQueue\"") &&
	   strstr(s, "name=\"alg\"") && strstr(s, "LeaseRevoked") && strstr(s, "device"),
	   "introspection shows Manager1 with named arguments and signals");
	reply = sd_bus_message_unref(reply);

	r = sd_bus_get_property_string(b, DEST, PATH, IFACE, "Version", &e, &s);
	ok(r >= 0 && !strcmp(s, "0.1.0"), "Version property");
	free(s);
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 0, "LeaseCount is 0");

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ListDevices", &e, &reply, "");
	n = 0;
	if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "(ssiuuo)") >= 0) {
		const char *nm, *api, *op;
		int32_t node;
		uint32_t avail, leased;

		while (sd_bus_message_read(reply, "(ssiuuo)", &nm, &api, &node, &avail, &leased, &op) > 0)
			n++;
	}
	is(n, 2, "ListDevices lists both devices");
	reply = sd_bus_message_unref(reply);

	r = sd_bus_get_property_string(b, DEST, "/org/warpdrive/device/wdsoft_2d0",
				       "org.warpdrive.Device1", "Api", &e, &s);
	ok(r >= 0 && !strcmp(s, "wdsoft_v1"), "Device1.Api of /org/warpdrive/device/wdsoft_2d0");
	free(s);
	sd_bus_error_free(&e);

	r = request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply);
	ok(r == 0 && fd >= 0 && lease > 0 && !strcmp(dev, "wdsoft-0"), "RequestQueue returns fd, lease, device");
	snprintf(path, sizeof(path), "%s/dev/wdsoft-0", t.root);
	ok(fd >= 0 && fstat(fd, &st1) == 0 && stat(path, &st2) == 0 && st1.st_ino == st2.st_ino,
	   "the fd is the device node");
	reply = sd_bus_message_unref(reply);
	ok(signals_seen(b, "LeaseGranted", 2000) == 1, "LeaseGranted signal");
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 1, "LeaseCount is 1");

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ListLeases", &e, &reply, "");
	n = 0;
	if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "(tssuus)") >= 0) {
		const char *d, *a, *u;
		uint64_t id;
		uint32_t uid, pid;

		while (sd_bus_message_read(reply, "(tssuus)", &id, &d, &a, &uid, &pid, &u) > 0)
			if (id == lease && !strcmp(a, "zlib"))
				n++;
	}
	is(n, 1, "ListLeases shows the lease");
	reply = sd_bus_message_unref(reply);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r >= 0, "ReleaseLease");
	ok(signals_seen(b, "LeaseReleased", 2000) == 1, "LeaseReleased signal");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NoSuchLease"),
	   "second ReleaseLease: org.warpdrive.Error.NoSuchLease");
	sd_bus_error_free(&e);
	if (fd >= 0)
		close(fd);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "lz4", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NoDevice"),
	   "unknown algorithm: org.warpdrive.Error.NoDevice");
	sd_bus_error_free(&e);

	/* admin, as root: quota to 1 */
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)1);
	ok(r >= 0, "SetQuota(user:root, 1) as root");
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "usr:root", (int64_t)1);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS), "SetQuota with a bad section");
	sd_bus_error_free(&e);
	r = request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply);
	reply = sd_bus_message_unref(reply);
	ok(r == 0, "first queue under quota 1");
	/* re-setting a quota recounts the held leases once, not twice */
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)1);
	ok(r >= 0, "SetQuota(user:root, 1) again, with the lease held");
	sd_bus_error_free(&e);
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 1, "the lease survived (1 <= 1)");
	r = request_queue(b, "sha256", &fd2, &lease2, &dev, &e, &reply);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.QuotaExceeded") &&
	   strstr(e.message, "quota of 1 queues"), "second: org.warpdrive.Error.QuotaExceeded");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);
	reply = sd_bus_message_unref(reply);

	signals_seen(b, "LeaseGranted", 100);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RevokeLease", &e, NULL, "t", lease);
	ok(r >= 0, "RevokeLease as root");
	ok(signals_seen(b, "LeaseRevoked", 2000) == 1, "LeaseRevoked signal");
	sd_bus_error_free(&e);
	if (fd >= 0)
		close(fd);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)-1);
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0, "Reload as root");
	sd_bus_error_free(&e);
	tb_policy(&t, "[global]\nmax_queues = ten\n");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.BadPolicy") &&
	   strstr(e.message, "policy.conf:2:"), "Reload of a broken policy: BadPolicy with FILE:LINE");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");

	unprivileged_checks();

	/* hot-plug in dev mode: a new device appears on reload */
	tb_device(&t, "wdsoft-2", "zlib", 1, 4);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0 && signals_seen(b, "DeviceAdded", 2000) == 1, "a new device: DeviceAdded");
	sd_bus_error_free(&e);
	tb_remove_device(&t, "wdsoft-2");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0 && signals_seen(b, "DeviceRemoved", 2000) == 1, "device gone: DeviceRemoved");
	sd_bus_error_free(&e);

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	kill(dbus_pid, SIGTERM);
	waitpid(dbus_pid, NULL, 0);
	tb_cleanup(&t);
	return exit_status();
}
