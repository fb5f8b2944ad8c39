// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-warpctl-cli: warpctl without a broker. Usage errors exit 2 with a hint;
 * --help and --version; check-policy of a good directory (table, JSON,
 * exit 0) and of broken ones (FILE:LINE: message, exit 1); devices and
 * stats read straight from a fake sysfs/debugfs when there is no bus at
 * all, saying so on stderr; leases then fails with exit 3. bench on the
 * inline path (no device needed): its figures as a table and as JSON,
 * progress lines on a pipe and a progress bar on a terminal.
 */
#include "test-warpctl-lib.h"

static struct fake_tree t;

static void check_usage(void)
{
	static const char *const bad[][4] = {
		{ NULL },				/* no command */
		{ "frobnicate" },			/* unknown command */
		{ "--frobnicate", "devices" },		/* unknown option */
		{ "-x", "devices" },			/* unknown short option */
		{ "--json=yaml", "devices" },		/* bad value */
		{ "leases", "extra" },			/* extra argument */
		{ "revoke" },				/* missing argument */
		{ "revoke", "seven" },			/* not a number */
		{ "revoke", "-3" },			/* out of range */
		{ "check-policy" },			/* missing directory */
		{ "reload", "now" },
		{ "--op=md5", "bench" },		/* unknown operation */
		{ "--path=carrier-pigeon", "bench" },	/* unknown path */
		{ "--size=0", "bench" },
		{ "--size=3G", "bench" },
		{ "--depth=0", "bench" },
		{ "--seconds=-1", "bench" },
		{ "--path=uring-sqpoll", "--op=sha256", "bench" },	/* not offered */
		{ "--depth=4", "devices" },		/* a bench option elsewhere */
	};
	struct run r;
	int n = 0, hinted = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *a = bad[i];

		if (wt_runv(&r, (uid_t)-1, a) == 2)
			n++;
		else
			diag("warpctl %s %s: exit %d", a[0] ? a[0] : "", a[0] && a[1] ? a[1] : "",
			     r.status);
		hinted += !!(strstr(r.err, "warpctl --help") || strstr(r.err, "warpctl leases"));
		ok(!*r.out, "usage error %zu prints nothing on stdout", i);
		run_clear(&r);
	}
	is(n, (int)(sizeof(bad) / sizeof(bad[0])), "every usage error exits 2");
	is(hinted, n, "every usage error says what to try");
	printf("# report: warpctl-cli: %d bad command lines tried, %d exited 2 with a hint\n",
	       (int)(sizeof(bad) / sizeof(bad[0])), hinted);

	is(wt_run(&r, "--help"), 0, "--help: exit 0");
	ok(strstr(r.out, "Usage: warpctl") && strstr(r.out, "check-policy DIR") &&
	   strstr(r.out, "Exit status"), "--help shows usage, commands and exit codes");
	run_clear(&r);
	is(wt_run(&r, "--version"), 0, "--version: exit 0");
	ok(!strncmp(r.out, "warpctl ", 8) && strchr(r.out, '.'), "--version prints warpctl VERSION");
	run_clear(&r);
}

static void check_policy_dirs(void)
{
	char dir[600], p[700];
	struct json_object *a, *s;
	struct run r;

	snprintf(dir, sizeof(dir), "%s/policy", t.root);
	tb_policy(&t, "[global]\nmax_queues = 64\nalgorithms = zlib, sha256\n\n"
		      "[user:alice]\nmax_queues = 4\nplacement = spread\n");
	snprintf(p, sizeof(p), "%s/policy.d/10-web.conf", dir);
	tb_write(p, "[unit:nginx.service]\nalgorithms = zlib\ndevices = wdsoft-*\n");

	is(wt_run(&r, "check-policy", dir), 0, "check-policy of a good directory: exit 0");
	ok(strstr(r.out, "[global]") && strstr(r.out, "[user:alice]") &&
	   strstr(r.out, "[unit:nginx.service]") && strstr(r.out, "spread") &&
	   strstr(r.out, "10-web.conf") && strstr(r.out, "is valid: 3 section(s) from 2 file(s)"),
	   "it shows every section, where it came from, and a summary");
	run_clear(&r);
	is(wt_run(&r, "--json=short", "check-policy", dir), 0, "check-policy --json: exit 0");
	a = wt_json_array(r.out);
	s = wt_json_find(a, "section", "[user:alice]");
	ok(a && json_object_array_length(a) == 3 && wt_json_int(s, "max_queues") == 4 &&
	   wt_json_int(wt_json_find(a, "section", "[global]"), "max_queues") == 64,
	   "JSON lists the sections with their quotas");
	json_object_put(a);
	run_clear(&r);

	tb_write(p, "[unit:nginx.service]\nalgorithms = zlib\nspeed = ludicrous\n");
	is(wt_run(&r, "check-policy", dir), 1, "an unknown key: exit 1");
	ok(strstr(r.err, "10-web.conf:3: ") && !*r.out, "error printed as FILE:LINE: message");
	run_clear(&r);
	tb_write(p, "[planet:mars]\nmax_queues = 1\n");
	is(wt_run(&r, "check-policy", dir), 1, "an unknown section: exit 1");
	ok(strstr(r.err, "10-web.conf:") && strstr(r.err, "planet:mars"), "it is named");
	run_clear(&r);
	tb_write(p, "[global]\nmax_queues = -5\n");
	is(wt_run(&r, "check-policy", dir), 1, "a negative quota: exit 1");
	ok(strstr(r.err, "10-web.conf:2: "), "its line is named");
	run_clear(&r);
	unlink(p);
	snprintf(p, sizeof(p), "%s/nonexistent", t.root);
	is(wt_run(&r, "check-policy", p), 1, "a missing directory: exit 1");
	ok(strstr(r.err, "nonexistent") && strstr(r.err, "policy.conf"),
	   "the error names it and says what is expected");
	run_clear(&r);
}

static void check_sysfs_fallback(void)
{
	char sys[400], p[600];
	struct json_object *a, *d;
	struct run r;

	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	snprintf(p, sizeof(p), "%s/kernel/debug/wdsoft/wdsoft-10", sys);
	tb_mkdirs(p);
	strcat(p, "/stats");
	tb_write(p, "requests 7\nbytes 28672\nerrors 0\nbusy_ns 1500\n");
	tb_attr(&t, "wdsoft-2", "isolate", "1");

	is(wt_run(&r, "--user", "--sysfs-root", sys, "devices"), 0, "devices without a bus: exit 0");
	ok(strstr(r.err, "not running") && strstr(r.err, "without broker information") &&
	   strstr(r.err, "systemctl start wdbroker"), "stderr says the broker's part is missing");
	ok(strstr(r.out, "wdsoft-2") && strstr(r.out, "wdsoft-10") &&
	   strstr(r.out, "wdsoft-2") < strstr(r.out, "wdsoft-10"),
	   "devices listed in natural order (wdsoft-2 before wdsoft-10)");
	run_clear(&r);
	is(wt_run(&r, "--user", "--sysfs-root", sys, "--json=short", "devices"), 0,
	   "devices --json without a bus");
	a = wt_json_array(r.out);
	d = wt_json_find(a, "name", "wdsoft-2");
	ok(a && json_object_array_length(a) == 2 && wt_json_int(d, "available") == 3 &&
	   wt_json_int(d, "node") == 1 && wt_json_int(d, "leased") == -998,
	   "sysfs values: available 3, node 1, leased null");
	{
		struct json_object *iso = NULL;

		ok(json_object_object_get_ex(d, "isolated", &iso) && json_object_get_boolean(iso),
		   "isolate=1 in sysfs shows as isolated");
	}
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "--sysfs-root", sys, "devices", "wdsoft-10"), 0,
	   "devices wdsoft-10: exit 0");
	ok(strstr(r.out, "wdsoft-10") && !strstr(r.out, "wdsoft-2 ") && strstr(r.out, "1 entry listed."),
	   "only the device named is listed");
	run_clear(&r);
	is(wt_run(&r, "--user", "--sysfs-root", sys, "stats", "wdsoft-2", "wdsoft-7"), 1,
	   "stats with a device that does not exist: exit 1");
	ok(!*r.out && strstr(r.err, "no device named \"wdsoft-7\"") &&
	   strstr(r.err, "warpctl devices"), "it names the device and how to list them");
	run_clear(&r);

	is(wt_run(&r, "--user", "--sysfs-root", sys, "--json=short", "stats"), 0,
	   "stats without a bus: exit 0");
	a = wt_json_array(r.out);
	d = wt_json_find(a, "name", "wdsoft-10");
	ok(wt_json_int(d, "requests") == 7 && wt_json_int(d, "bytes") == 28672 &&
	   wt_json_int(d, "grants") == -998, "engine counters from debugfs, broker counters null");
	json_object_put(a);
	run_clear(&r);

	if (geteuid() == 0) {
		chmod(p, 0600);
		is(wt_run_as(&r, 65534, "--user", "--sysfs-root", sys, "stats"), 0,
		   "stats as a user who cannot read debugfs: exit 0");
		ok(strstr(r.err, "wdsoft-10") && strstr(r.err, "need root"),
		   "stderr says the engine statistics need root");
		run_clear(&r);
	} else {
		skip(2, "not root: cannot run warpctl as another user");
	}

	is(wt_run(&r, "--user", "leases"), 3, "leases without a bus: exit 3");
	ok(strstr(r.err, "not running"), "it says the broker is not running");
	run_clear(&r);
	is(wt_run(&r, "--user", "--sysfs-root", "/nonexistent", "devices"), 0,
	   "devices with an empty sysfs: exit 0");
	ok(strstr(r.out, "0 entries listed."), "no devices, said so");
	run_clear(&r);
}

static void check_bench(void)
{
	struct json_object *a, *b;
	struct run r;
	double ops_s = 0, secs = 0;
	int lines;

	is(wt_run(&r, "--json=short", "bench", "--path=inline", "--op=crc32c", "--size=4K",
		  "--depth=1", "--seconds=0.3"), 0, "bench on the inline path: exit 0");
	a = wt_json_array(r.out);
	b = a && json_object_array_length(a) == 1 ? json_object_array_get_idx(a, 0) : NULL;
	if (b) {
		struct json_object *v;

		if (json_object_object_get_ex(b, "ops_per_sec", &v))
			ops_s = json_object_get_double(v);
		if (json_object_object_get_ex(b, "seconds", &v))
			secs = json_object_get_double(v);
	}
	ok(wt_json_int(b, "ops") > 0 && ops_s > 0 && secs >= 0.25 && secs < 5 && wt_json_int(b, "size") == 4096 &&
	   wt_json_int(b, "p99_ns") >= wt_json_int(b, "p50_ns") && wt_json_int(b, "p50_ns") > 0 &&
	   wt_json_int(b, "cpu_ns_per_op") > 0 && wt_json_int(b, "bytes_per_sec") > 0,
	   "JSON: ops, seconds, ops/s, bytes/s, p50 <= p99, CPU per op");
	lines = 0;
	for (const char *l = r.err; (l = strstr(l, "% done")); l++)
		lines++;
	ok(lines >= 5 && lines <= 10 && strstr(r.err, "100% done") && !strchr(r.err, '\r'),
	   "stderr not a terminal: plain progress lines (%d), no bar", lines);
	printf("# report: warpctl-cli: warpctl bench inline crc32c 4 KiB depth 1: %lld ops in %.2f s, "
	       "%.0f ops/s, p50 %lld ns, p99 %lld ns\n", wt_json_int(b, "ops"), secs, ops_s,
	       wt_json_int(b, "p50_ns"), wt_json_int(b, "p99_ns"));
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "bench", "--path=inline", "--op=sha256", "--depth=1", "--seconds=0.3"), 0,
	   "bench table: exit 0");
	ok(strstr(r.out, "OPS/S") && strstr(r.out, "P99") && strstr(r.out, "CPU/OP") &&
	   strstr(r.out, "sha256"), "the table shows ops/s, p99 and CPU per op");
	run_clear(&r);

	if (access("/usr/bin/script", X_OK) == 0) {
		char cmd[700];

		/* util-linux script(1) gives warpctl a terminal for stderr */
		snprintf(cmd, sizeof(cmd), "%s bench --path=inline --op=memcpy --depth=1 --seconds=0.3 "
			 ">/dev/null", wt_warpctl_path());
		is(wt_run_cmd(&r, "/usr/bin/script", "-qec", cmd, "/dev/null"), 0,
		   "bench on a terminal: exit 0");
		ok(strstr(r.out, "\r[") && strstr(r.out, "] 100%") && strstr(r.out, "#####") &&
		   !strstr(r.out, "% done"), "on a terminal: a progress bar redrawn in place");
		run_clear(&r);
	} else {
		skip(2, "script(1) not installed (apt-get install bsdutils)");
	}
}

int main(void)
{
	tb_init(&t);
	chmod(t.root, 0755);
	/* no bus at all, whatever the environment has */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/warpctl-test-bus", 1);
	tb_device(&t, "wdsoft-10", "memcpy crc32c", -1, 8);
	tb_device(&t, "wdsoft-2", "sha256", 1, 3);
	check_usage();
	check_policy_dirs();
	check_sysfs_fallback();
	check_bench();
	tb_cleanup(&t);
	return exit_status();
}
