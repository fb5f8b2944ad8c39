// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus-xml: the interface files we ship under
 * /usr/share/dbus-1/interfaces/ (units/org.warpdrive.*.xml) are what the
 * broker serves. On a private dbus-daemon, with one device and one lease,
 * the broker's introspection of /org/warpdrive (Manager1), the device's
 * object (Device1) and the lease's object (Lease1) is compared by
 * tests/common/dbus-xml-diff.py with each file: every method and signal
 * with its arguments, every property with its type, access and change
 * signalling, and a doc string on each.
 */
#include <sys/wait.h>
#include <systemd/sd-bus.h>

#include "test-broker-bus.h"

static struct fake_tree t;
static struct private_bus pb;

#define DEST "org.warpdrive"

/*
 * Compare @iface as the broker serves it at @path with the shipped file;
 * one TAP check.
 */
static void same_as_shipped(sd_bus *b, const char *path, const char *iface)
{
	const char *src = getenv("WD_SOURCE_ROOT") ?: "../..";
	char live[600], shipped[600], cmd[2048], out[4096] = "";
	sd_bus_message *reply = NULL;
	const char *xml = NULL;
	size_t n = 0;
	FILE *f;
	int st = -1;

	snprintf(live, sizeof(live), "%s/live-%s.xml", t.root, iface);
	snprintf(shipped, sizeof(shipped), "%s/units/%s.xml", src, iface);
	if (sd_bus_call_method(b, DEST, path, "org.freedesktop.DBus.Introspectable", "Introspect",
			       NULL, &reply, "") >= 0 && sd_bus_message_read(reply, "s", &xml) > 0)
		tb_write(live, "%s", xml);
	sd_bus_message_unref(reply);
	if (!xml) {
		ok(false, "the broker introspects %s", path);
		return;
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/common/dbus-xml-diff.py' '%s' '%s' %s 2>&1",
		 src, live, shipped, iface);
	f = popen(cmd, "r");
	if (f) {
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = 0;
		st = pclose(f);
	}
	ok(st == 0, "%s at %s is units/%s.xml, %d members", iface, path, iface, atoi(out));
	if (st != 0)
		diag("%s", out);
}

int main(void)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *dev;
	char path[64];
	uint64_t lease;
	sd_bus *b;
	int fd, r;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0)
		plan_skip_all("dbus-daemon not installed (apt-get install dbus-daemon)");
	if (system("python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1"))
		plan_skip_all("python3 not installed (apt-get install python3)");
	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	b = pbus_start_broker(&pb, &t);

	/* A lease, so that a Lease1 object exists to introspect. */
	r = sd_bus_call_method(b, DEST, "/org/warpdrive", "org.warpdrive.Manager1",
			       "RequestQueue", &e, &reply, "si", "zlib", -1);
	ok(r >= 0 && sd_bus_message_read(reply, "hts", &fd, &lease, &dev) > 0,
	   "RequestQueue(\"zlib\") grants a lease (%s)", e.message ?: "ok");
	sd_bus_error_free(&e);
	snprintf(path, sizeof(path), "/org/warpdrive/lease/%llu", (unsigned long long)lease);
	reply = sd_bus_message_unref(reply);

	same_as_shipped(b, "/org/warpdrive", "org.warpdrive.Manager1");
	same_as_shipped(b, "/org/warpdrive/device/wdsoft_2d0", "org.warpdrive.Device1");
	same_as_shipped(b, path, "org.warpdrive.Lease1");

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	pbus_stop(&pb);
	tb_cleanup(&t);
	return exit_status();
}
