/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * broker-default.h - the real wdbrokerd from the build tree, started by
 * systemd as a transient service on the default socket
 * (/run/warpdrive/broker.sock), and optionally on the system bus as
 * org.warpdrive, for vm tests whose programs must find the broker where an
 * installed system has it without installing the whole project. Any
 * installed wdbroker.socket/service is stopped first. Header-only.
 */
#ifndef WD_TESTS_BROKER_DEFAULT_H
#define WD_TESTS_BROKER_DEFAULT_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "vm/vmlib.h"

#define BD_UNIT		"wdtest-default-broker"
#define BD_POLICY	"/run/wdtest-default-broker-policy"
#define BD_BUS_CONF	"/etc/dbus-1/system.d/org.warpdrive.conf"
/* The build's bus policy lets the broker's system user own the name; the
 * test runs the broker as root, so root may own it too. */
#define BD_ROOT_CONF	"/etc/dbus-1/system.d/wdtest-default-broker.conf"
#define BD_RELOAD_BUS	"dbus-send --system --print-reply --dest=org.freedesktop.DBus / " \
			"org.freedesktop.DBus.ReloadConfig >/dev/null"

static inline void bd_stop(bool bus)
{
	vm_system("systemctl stop " BD_UNIT " >/dev/null 2>&1; systemctl reset-failed " BD_UNIT
		  " >/dev/null 2>&1");
	if (bus)
		vm_system("rm -f " BD_BUS_CONF " " BD_ROOT_CONF " && " BD_RELOAD_BUS);
}

/* Modules loaded, broker running with @policy; bails out on failure. */
static inline void bd_start(const char *policy, bool bus)
{
	const char *build = getenv("WD_BUILD_ROOT");
	FILE *f;
	int r;

	if (!build)
		bail_out("run me from meson test (WD_BUILD_ROOT)");
	r = vm_load_modules(NULL);
	if (r < 0)
		bail_out("cannot load uacce + wdsoft: %s", strerror(-r));
	vm_system("systemctl stop wdbroker.socket wdbroker.service >/dev/null 2>&1");
	bd_stop(false);
	mkdir(BD_POLICY, 0755);
	f = fopen(BD_POLICY "/policy.conf", "we");
	if (!f || fputs(policy, f) < 0 || fclose(f) != 0)
		bail_out("cannot write " BD_POLICY "/policy.conf");
	if (bus && vm_system("install -m 0644 %s/units/org.warpdrive.conf " BD_BUS_CONF " && "
			     "printf '%%s\\n' '<busconfig><policy user=\"root\">"
			     "<allow own=\"org.warpdrive\"/></policy></busconfig>' > " BD_ROOT_CONF
			     " && " BD_RELOAD_BUS, build) != 0)
		bail_out("cannot give the system bus WarpDrive's policy");
	if (vm_system("mkdir -p /run/warpdrive && rm -f /run/warpdrive/broker.sock && "
		      "systemd-run --quiet --unit=" BD_UNIT " -p Type=notify -p NotifyAccess=main "
		      "%s/wdbrokerd/wdbrokerd --socket /run/warpdrive/broker.sock --policy "
		      BD_POLICY " --bus %s", build, bus ? "system" : "none") != 0)
		bail_out("the broker did not start (journalctl -u " BD_UNIT ")");
}

#endif
