/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-broker-bus.h - a private dbus-daemon for the broker's D-Bus unit
 * tests: a session-type bus in the fake tree that every uid may connect to
 * (so a test can call as an unprivileged user), with
 * DBUS_SESSION_BUS_ADDRESS pointing at it for the broker (--bus user).
 * Header-only.
 */
#ifndef WD_TEST_BROKER_BUS_H
#define WD_TEST_BROKER_BUS_H

#include <systemd/sd-bus.h>

#include "test-broker-lib.h"

struct private_bus {
	char addr[512];
	pid_t pid;
};

static inline void pbus_start(struct private_bus *pb, const struct fake_tree *t)
{
	char conf[400], sockp[400];
	int p[2];
	ssize_t n;

	snprintf(sockp, sizeof(sockp), "%s/bus", t->root);
	snprintf(conf, sizeof(conf), "%s/bus.conf", t->root);
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
	pb->pid = fork();
	if (pb->pid == 0) {
		char fdarg[32];

		close(p[0]);
		snprintf(fdarg, sizeof(fdarg), "--print-address=%d", p[1]);
		execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", "--config-file", conf,
		       fdarg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], pb->addr, sizeof(pb->addr) - 1);
	close(p[0]);
	if (n <= 0)
		bail_out("dbus-daemon did not start");
	pb->addr[n] = 0;
	pb->addr[strcspn(pb->addr, "\n")] = 0;
	setenv("DBUS_SESSION_BUS_ADDRESS", pb->addr, 1);
}

static inline void pbus_stop(struct private_bus *pb)
{
	kill(pb->pid, SIGTERM);
	waitpid(pb->pid, NULL, 0);
}

/* A started client connection, or NULL. */
static inline sd_bus *pbus_connect(const struct private_bus *pb)
{
	sd_bus *b = NULL;

	if (sd_bus_new(&b) < 0 || sd_bus_set_address(b, pb->addr) < 0 ||
	    sd_bus_set_bus_client(b, 1) < 0 || sd_bus_start(b) < 0)
		return sd_bus_unref(b);
	return b;
}

/* Wait up to 5 s for @name to have an owner. */
static inline bool pbus_wait_name(sd_bus *b, const char *name)
{
	for (int i = 0; i < 500; i++) {
		if (sd_bus_get_name_creds(b, name, 0, NULL) >= 0)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * Start the private bus and the broker on it (--bus user), and return a
 * client connection once the broker owns org.warpdrive; bail out if not.
 */
static inline sd_bus *pbus_start_broker(struct private_bus *pb, struct fake_tree *t)
{
	sd_bus *b;

	pbus_start(pb, t);
	t->bus = "user";
	tb_start(t);
	b = pbus_connect(pb);
	if (!b || !pbus_wait_name(b, "org.warpdrive"))
		bail_out("the broker is not on the private bus");
	return b;
}

#endif
