/* SPDX-License-Identifier: GPL-2.0-or-later */
/* warpctl.h - what warpctl's subcommands share: options, exit codes, the bus. */
#ifndef WARPCTL_WARPCTL_H
#define WARPCTL_WARPCTL_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "table.h"

/* Exit codes (documented in warpctl(1), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NO_BROKER = 3,	/* the command needs the broker, which is not running */
	EXIT_DENIED = 4,	/* not allowed: needs root or polkit authorization */
	EXIT_NOT_FOUND = 5,	/* no such lease */
};

#define WD_BUS_NAME "org.warpdrive"
#define WD_BUS_PATH "/org/warpdrive"
#define WD_MANAGER_IFACE "org.warpdrive.Manager1"
#define WD_DEVICE_IFACE "org.warpdrive.Device1"
#define WD_LEASE_IFACE "org.warpdrive.Lease1"

struct warpctl_args {
	enum json_mode json;
	bool legend;
	bool user_bus;		/* --user: the session bus (development brokers) */
	bool ask_password;
	const char *sysfs_root;	/* --sysfs-root; debugfs is <root>/kernel/debug */
	const char *output;	/* cdi generate --output; NULL or "-": stdout */
	const char *cdi_kind;	/* cdi generate --kind: broker or uacce */
	bool clients;		/* stats --clients */
};

extern struct warpctl_args arg;

/*
 * Connect to the broker's bus. Returns 1 with *@out set when the broker
 * owns its name, 0 when there is no bus or no broker on it (the caller
 * falls back or fails with a hint).
 */
int broker_connect(sd_bus **out);

/* Print "warpctl: <what>: <D-Bus error message>" plus a hint; exit code. */
int bus_error_exit(const char *what, const sd_bus_error *e, int r);

/* The hint for commands that need the broker. */
int no_broker_exit(const char *what);

/* A bad command line: "warpctl: MESSAGE", a pointer to --help; EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int verb_devices(int argc, char **argv);
int verb_leases(int argc, char **argv);
int verb_stats(int argc, char **argv);
int verb_revoke(int argc, char **argv);
int verb_reload(int argc, char **argv);
int verb_check_policy(int argc, char **argv);
int verb_bench(int argc, char **argv);
int verb_cdi(int argc, char **argv);

/* The options of bench, in the order of warpctl.c's option enum. */
enum bench_opt { BENCH_OP, BENCH_SIZE, BENCH_DEPTH, BENCH_SECONDS, BENCH_PATH };
/* Take one bench option; EXIT_OK or EXIT_USAGE (with the message printed). */
int bench_option(enum bench_opt which, const char *value);

/* Print a table per the options; EXIT_OK or EXIT_FAIL. */
int show_table(struct table *t);

#endif
