// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - wdbrokerd: command line, then run the manager.
 *
 * Under systemd: no arguments; the socket comes from wdbroker.socket, the
 * policy from /etc/warpdrive, state from $RUNTIME_DIRECTORY, D-Bus on the
 * system bus, hot-plug from udev. For development and tests everything can
 * be pointed elsewhere (see --help).
 */
#include <getopt.h>

#include "log.h"
#include "manager.h"
#include "policy.h"
#include "util.h"

#ifndef WD_POLICY_DIR
#define WD_POLICY_DIR "/etc/warpdrive"
#endif

static void help(void)
{
	printf("Usage: wdbrokerd [OPTION...]\n"
	       "The WarpDrive accelerator broker.\n\n"
	       "  --socket PATH        listen on PATH instead of the socket from systemd\n"
	       "  --sysfs-root DIR     read devices and topology from DIR (default /sys)\n"
	       "  --dev-root DIR       open device nodes in DIR (default /dev)\n"
	       "  --policy DIR         policy.conf and policy.d/ in DIR (default " WD_POLICY_DIR ")\n"
	       "  --state-dir DIR      lease state for restarts (default $RUNTIME_DIRECTORY)\n"
	       "  --bus system|user|none  D-Bus connection (default: system under systemd,\n"
	       "                       none with --socket)\n"
	       "  --no-monitor         no udev hot-plug monitor (default with --sysfs-root)\n"
	       "  --max-connections-per-user N  socket connections one non-root user may\n"
	       "                       hold (default 1024)\n"
	       "  --check-policy DIR   validate DIR's policy files, print them, and exit\n"
	       "  -v, --verbose        debug logging\n"
	       "  -h, --help           this text\n"
	       "      --version        print the version\n");
}

static int check_policy(const char *dir)
{
	struct policy *p = NULL;
	char *err = NULL, label[300];
	int r;

	r = policy_load_dir(dir, &p, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err ? err : strerror(-r));
		free(err);
		return 1;
	}
	for (unsigned i = 0; i < p->n; i++) {
		struct policy_section *s = p->v[i];

		printf("%s", policy_section_label(s, label, sizeof(label)));
		if (s->file)
			printf("  # %s", s->file);
		printf("\n");
		if (s->has_max) {
			if (s->max_queues == QUOTA_UNLIMITED)
				printf("max_queues = unlimited\n");
			else
				printf("max_queues = %lld\n", s->max_queues);
		}
		for (int k = 0; k < 2; k++) {
			char **v = k ? s->devices : s->algorithms;

			if (!v)
				continue;
			printf("%s = ", k ? "devices" : "algorithms");
			for (char **it = v; *it; it++)
				printf("%s%s", *it, it[1] ? ", " : "\n");
			if (!*v)
				printf("\n");
		}
		if (s->placement != PLACE_UNSET)
			printf("placement = %s\n", placement_name(s->placement));
		printf("\n");
	}
	policy_free(p);
	printf("policy in %s is valid\n", dir);
	return 0;
}

int main(int argc, char **argv)
{
	enum { ARG_SOCKET = 0x100, ARG_SYSFS, ARG_DEV, ARG_POLICY, ARG_STATE, ARG_BUS,
	       ARG_NO_MONITOR, ARG_CHECK, ARG_VERSION, ARG_MAXCONN };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "sysfs-root", required_argument, NULL, ARG_SYSFS },
		{ "dev-root", required_argument, NULL, ARG_DEV },
		{ "policy", required_argument, NULL, ARG_POLICY },
		{ "state-dir", required_argument, NULL, ARG_STATE },
		{ "bus", required_argument, NULL, ARG_BUS },
		{ "no-monitor", no_argument, NULL, ARG_NO_MONITOR },
		{ "max-connections-per-user", required_argument, NULL, ARG_MAXCONN },
		{ "check-policy", required_argument, NULL, ARG_CHECK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	struct manager_options o = {
		.sysfs_root = "/sys",
		.dev_root = "/dev",
		.policy_dir = WD_POLICY_DIR,
		.bus = -1,
		.monitor = true,
	};
	bool custom_sysfs = false;
	struct manager *m = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) >= 0) {
		switch (c) {
		case ARG_SOCKET:	o.socket_path = optarg; break;
		case ARG_SYSFS:		o.sysfs_root = optarg; custom_sysfs = true; break;
		case ARG_DEV:		o.dev_root = optarg; break;
		case ARG_POLICY:	o.policy_dir = optarg; break;
		case ARG_STATE:		o.state_dir = optarg; break;
		case ARG_NO_MONITOR:	o.monitor = false; break;
		case ARG_MAXCONN: {
			long long v;

			if (parse_int(optarg, 1, 1000000, &v) < 0) {
				fprintf(stderr, "--max-connections-per-user takes a number 1..1000000\n");
				return 2;
			}
			o.max_conn_per_user = (unsigned)v;
			break;
		}
		case ARG_CHECK:		return check_policy(optarg);
		case 'v':		log_setup(LOG_DEBUG); break;
		case 'h':		help(); return 0;
		case ARG_VERSION:	printf("wdbrokerd %s\n", WDBROKERD_VERSION); return 0;
		case ARG_BUS:
			if (!strcmp(optarg, "system"))
				o.bus = 1;
			else if (!strcmp(optarg, "user"))
				o.bus = 2;
			else if (!strcmp(optarg, "none"))
				o.bus = 0;
			else {
				fprintf(stderr, "--bus takes system, user or none\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "Try wdbrokerd --help\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument \"%s\"; try wdbrokerd --help\n", argv[optind]);
		return 2;
	}
	if (o.bus < 0)
		o.bus = o.socket_path ? 0 : 1;
	if (custom_sysfs)
		o.monitor = false;	/* udev events describe the real /sys */
	if (!o.state_dir) {
		const char *rd = getenv("RUNTIME_DIRECTORY");

		/* RuntimeDirectory= may list several, separated by ':' */
		if (rd && *rd && !strchr(rd, ':'))
			o.state_dir = rd;
	}

	r = manager_new(&o, &m);
	if (r < 0) {
		log_error("startup failed: %s", strerror(-r));
		return 1;
	}
	r = manager_run(m);
	manager_free(m);
	if (r < 0) {
		log_error("event loop failed: %s", strerror(-r));
		return 1;
	}
	return 0;
}
