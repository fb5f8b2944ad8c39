// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bus.c - warpctl's connection to the broker and what its errors mean.
 *
 * The broker is asked whether it owns org.warpdrive before anything is
 * called, so a listing never starts a bus-activated broker by surprise and
 * "not running" can be told apart from "running but failing". D-Bus error
 * names map to exit codes the way systemctl's do: refused for lack of
 * privilege is 4, an unknown lease 5, everything else 1.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "warpctl.h"

int broker_connect(sd_bus **out)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r, has = 0;

	r = arg.user_bus ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
	if (r < 0)
		return 0;	/* no bus at all: no broker either */
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", &e, &reply, "s", WD_BUS_NAME);
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	sd_bus_error_free(&e);
	if (r < 0 || !has)
		return 0;	/* a bus that cannot answer is as good as none */
	*out = TAKE_PTR(bus);
	return 1;
}

int no_broker_exit(const char *what)
{
	fprintf(stderr, "warpctl: %s needs the broker, which is not running on the %s bus.\n"
		"Start it with: %s\n", what, arg.user_bus ? "user" : "system",
		arg.user_bus ? "wdbrokerd --bus user --socket PATH ..." : "systemctl start wdbroker");
	return EXIT_NO_BROKER;
}

int bus_error_exit(const char *what, const sd_bus_error *e, int r)
{
	const char *msg = sd_bus_error_is_set(e) && e->message ? e->message : strerror(-r);

	if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED,
				   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
		fprintf(stderr, "warpctl: %s: %s.\n"
			"Run it as root, or as a user polkit lets manage WarpDrive%s.\n",
			what, msg, arg.ask_password ? "" : " (without --no-ask-password to be asked)");
		return EXIT_DENIED;
	}
	if (sd_bus_error_has_name(e, "org.warpdrive.Error.NoSuchLease")) {
		fprintf(stderr, "warpctl: %s: %s.\nSee the current leases with: warpctl leases\n",
			what, msg);
		return EXIT_NOT_FOUND;
	}
	if (sd_bus_error_has_name(e, "org.warpdrive.Error.BadPolicy")) {
		fprintf(stderr, "warpctl: %s: %s.\nFix the file, check it with: warpctl check-policy DIR\n",
			what, msg);
		return EXIT_FAIL;
	}
	if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
				   SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED)) {
		fprintf(stderr, "warpctl: %s: the broker went away: %s.\n", what, msg);
		return no_broker_exit(what);
	}
	fprintf(stderr, "warpctl: %s: %s\n", what, msg);
	return EXIT_FAIL;
}
