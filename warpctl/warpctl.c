// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * warpctl.c - the operator's command for WarpDrive: command line and
 * dispatch. Each verb lives in its own file (list.c, admin.c,
 * check-policy.c, bench.c); they share the parsed options in `arg`.
 *
 * Habits follow systemctl and busctl: options may come before or after
 * the verb, --json=short|pretty for scripts, --no-legend, messages on
 * stderr that say what to do, and documented exit codes (warpctl.h).
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "warpctl.h"

#ifndef WARPCTL_VERSION
#define WARPCTL_VERSION "unknown"
#endif

struct warpctl_args arg = {
	.json = JSON_OFF,
	.legend = true,
	.ask_password = true,
	.sysfs_root = "/sys",
	.cdi_kind = "broker",
};

static void help(void)
{
	printf("Usage: warpctl [OPTION...] COMMAND ...\n"
	       "See and control WarpDrive accelerators, queues and the broker.\n\n"
	       "Commands:\n"
	       "  devices [DEVICE...]  list accelerator devices (all, or those named)\n"
	       "  leases               list the queues the broker has leased\n"
	       "  stats [DEVICE...]    per-device broker and engine statistics\n"
	       "  stats --clients      what client libraries (libwdz) reported, per uid and unit\n"
	       "  revoke LEASE         revoke a lease; its holder gets an error\n"
	       "  reload               make the broker reload its policy\n"
	       "  check-policy DIR     validate a policy directory and show what it grants\n"
	       "  bench                measure the data path of this machine's device\n"
	       "  cdi generate         write a CDI spec for containers (podman --device)\n\n"
	       "Options:\n"
	       "  -h --help            show this help\n"
	       "     --version         show the version\n"
	       "     --json=MODE       print JSON (short or pretty) instead of a table\n"
	       "     --no-legend       no column headers and no footer\n"
	       "     --user            talk to a broker on the user bus, not the system bus\n"
	       "     --no-ask-password do not ask for a password to authorize admin commands\n"
	       "     --sysfs-root=DIR  read devices from DIR/class/uacce and engine statistics\n"
	       "                       from DIR/kernel/debug when the broker is not running\n"
	       "                       (default /sys)\n\n"
	       "Options of stats:\n"
	       "     --clients         the counters clients reported instead of the devices'\n\n"
	       "Options of cdi generate:\n"
	       "     --kind=KIND       broker (the socket; default) or uacce (device nodes)\n"
	       "     --output=FILE     write to FILE (atomically) instead of stdout\n\n"
	       "Options of bench:\n"
	       "     --op=OP           memcpy, crc32c, sha256 or deflate (default memcpy)\n"
	       "     --size=BYTES      request size; K, M suffixes allowed (default 4K)\n"
	       "     --depth=N         requests in flight (default 32)\n"
	       "     --seconds=S       how long to run (default 5)\n"
	       "     --path=PATH       libwd, libwd-batch, libwd-idle, afalg, uring-sqpoll,\n"
	       "                       syscall or inline (default libwd)\n\n"
	       "Exit status: 0 success, 1 failure, 2 usage error, 3 broker not running,\n"
	       "4 permission denied, 5 no such lease. See warpctl(1).\n");
}

struct verb {
	const char *name;
	int min_args, max_args;	/* counting the verb itself */
	int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "devices", 1, INT_MAX, verb_devices },
	{ "leases", 1, 1, verb_leases },
	{ "stats", 1, INT_MAX, verb_stats },
	{ "revoke", 2, 2, verb_revoke },
	{ "reload", 1, 1, verb_reload },
	{ "check-policy", 2, 2, verb_check_policy },
	{ "bench", 1, 1, verb_bench },
	{ "cdi", 2, 2, verb_cdi },
};

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "warpctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'warpctl --help'.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	enum { ARG_VERSION = 0x100, ARG_JSON, ARG_NO_LEGEND, ARG_USER, ARG_NO_ASK,
	       ARG_SYSFS, ARG_OP, ARG_SIZE, ARG_DEPTH, ARG_SECONDS, ARG_PATH, ARG_KIND,
	       ARG_OUTPUT, ARG_CLIENTS };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "json", required_argument, NULL, ARG_JSON },
		{ "no-legend", no_argument, NULL, ARG_NO_LEGEND },
		{ "user", no_argument, NULL, ARG_USER },
		{ "no-ask-password", no_argument, NULL, ARG_NO_ASK },
		{ "sysfs-root", required_argument, NULL, ARG_SYSFS },
		{ "op", required_argument, NULL, ARG_OP },
		{ "size", required_argument, NULL, ARG_SIZE },
		{ "depth", required_argument, NULL, ARG_DEPTH },
		{ "seconds", required_argument, NULL, ARG_SECONDS },
		{ "path", required_argument, NULL, ARG_PATH },
		{ "kind", required_argument, NULL, ARG_KIND },
		{ "output", required_argument, NULL, ARG_OUTPUT },
		{ "clients", no_argument, NULL, ARG_CLIENTS },
		{}
	};
	bool bench_opts = false, cdi_opts = false;
	int c, r;

	opterr = 0;	/* our own message, with the hint */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case ARG_VERSION:
			printf("warpctl %s\n", WARPCTL_VERSION);
			return EXIT_OK;
		case ARG_JSON:
			if (!strcmp(optarg, "short"))
				arg.json = JSON_SHORT;
			else if (!strcmp(optarg, "pretty"))
				arg.json = JSON_PRETTY;
			else
				return usage_error("--json takes short or pretty, not \"%s\".",
						   optarg);
			break;
		case ARG_NO_LEGEND:
			arg.legend = false;
			break;
		case ARG_USER:
			arg.user_bus = true;
			break;
		case ARG_NO_ASK:
			arg.ask_password = false;
			break;
		case ARG_SYSFS:
			arg.sysfs_root = optarg;
			break;
		case ARG_OP:
		case ARG_SIZE:
		case ARG_DEPTH:
		case ARG_SECONDS:
		case ARG_PATH:
			r = bench_option(BENCH_OP + (c - ARG_OP), optarg);
			if (r != EXIT_OK)
				return r;
			bench_opts = true;
			break;
		case ARG_KIND:
			arg.cdi_kind = optarg;
			cdi_opts = true;
			break;
		case ARG_OUTPUT:
			arg.output = optarg;
			cdi_opts = true;
			break;
		case ARG_CLIENTS:
			arg.clients = true;
			break;
		case '?':
		default:
			if (optopt && optopt < 0x100)
				return usage_error("unknown option -%c.", optopt);
			return usage_error("unknown option or missing value in \"%s\".",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("which command? devices, leases, stats, revoke, reload, "
				   "check-policy, bench or cdi.");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		const struct verb *v = &verbs[i];
		int n = argc - optind;

		if (strcmp(argv[optind], v->name))
			continue;
		if (n < v->min_args)
			return usage_error("%s needs an argument.", v->name);
		if (n > v->max_args)
			return usage_error("unexpected argument \"%s\".", argv[optind + v->max_args]);
		if (bench_opts && v->run != verb_bench)
			return usage_error("--op, --size, --depth, --seconds and --path are options "
					   "of bench, not of %s.", v->name);
		if (arg.clients && v->run != verb_stats)
			return usage_error("--clients is an option of stats, not of %s.", v->name);
		if (cdi_opts && v->run != verb_cdi)
			return usage_error("--kind and --output are options of cdi generate, not of %s.",
					   v->name);
		return v->run(n, argv + optind);
	}
	return usage_error("unknown command \"%s\".", argv[optind]);
}
