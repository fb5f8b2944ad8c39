// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-warpctl-broker: warpctl against the real wdbrokerd on a private D-Bus
 * bus and a fake device tree. devices/leases/stats as tables (aligned,
 * with and without legend) and as JSON parsed back; revoke of a live lease
 * (the holder gets REVOKED), of an unknown one (exit 5); reload of a good
 * and of a broken policy (exit 1, previous policy kept); both refused to
 * an unprivileged user (exit 4); and, once the broker is gone, the sysfs
 * fallback of devices and the "start the broker" error of leases (exit 3).
 */
#include "test-warpctl-lib.h"

static struct fake_tree t;
static char sysroot[400];

/* Column of @word in the first line of @text that contains @line_has, or -1. */
static int column_of(const char *text, const char *line_has, const char *word)
{
	const char *l = strstr(text, line_has), *w, *eol;

	if (!l)
		return -1;
	while (l > text && l[-1] != '\n')
		l--;
	eol = strchr(l, '\n');
	w = strstr(l, word);
	if (!w || (eol && w > eol))
		return -1;
	return (int)(w - l);
}

static void check_tables(uint64_t lease)
{
	struct json_object *a, *d;
	struct run r;
	char id[32];

	is(wt_run(&r, "--user", "--sysfs-root", sysroot, "devices"), 0, "devices: exit 0");
	ok(strstr(r.out, "DEVICE") && strstr(r.out, "ALGORITHMS") && strstr(r.out, "wdsoft-0") &&
	   strstr(r.out, "wdsoft-1") && strstr(r.out, "2 entries listed."),
	   "devices: header, both devices, footer");
	ok(column_of(r.out, "DEVICE", "API") > 0 &&
	   column_of(r.out, "DEVICE", "API") == column_of(r.out, "wdsoft-0", "wdsoft_v1") &&
	   column_of(r.out, "DEVICE", "ALGORITHMS") == column_of(r.out, "wdsoft-0", "zlib,gzip"),
	   "devices: columns aligned under their headers");
	ok(!strstr(r.err, "not running"), "devices: no fallback note while the broker runs");
	run_clear(&r);

	is(wt_run(&r, "--user", "--no-legend", "devices"), 0, "devices --no-legend: exit 0");
	ok(wt_lines(r.out) == 2 && !strstr(r.out, "DEVICE") && !strstr(r.out, "listed"),
	   "--no-legend: one line per device, no header or footer");
	run_clear(&r);

	is(wt_run(&r, "--user", "--json=short", "devices"), 0, "devices --json=short: exit 0");
	a = wt_json_array(r.out);
	d = wt_json_find(a, "name", "wdsoft-0");
	ok(a && json_object_array_length(a) == 2 && wt_lines(r.out) == 1,
	   "--json=short: one line, an array of 2 devices");
	ok(wt_json_int(d, "leased") == 1 && wt_json_int(d, "available") == 8 &&
	   wt_json_int(d, "node") == 0 && wt_json_int(d, "flags") == 4,
	   "JSON: wdsoft-0 leased 1, available 8, node 0, flags 4");
	{
		struct json_object *algs = NULL;

		ok(d && json_object_object_get_ex(d, "algorithms", &algs) &&
		   json_object_array_length(algs) == 2 &&
		   !strcmp(json_object_get_string(json_object_array_get_idx(algs, 1)), "gzip"),
		   "JSON: algorithms is an array of strings");
	}
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "--json=pretty", "devices"), 0, "devices --json=pretty: exit 0");
	a = wt_json_array(r.out);
	ok(a && json_object_array_length(a) == 2 && wt_lines(r.out) > 10,
	   "--json=pretty parses back, over several lines");
	json_object_put(a);
	run_clear(&r);

	snprintf(id, sizeof(id), "%llu", (unsigned long long)lease);
	is(wt_run(&r, "--user", "leases"), 0, "leases: exit 0");
	ok(strstr(r.out, "LEASE") && /* numbers align right, under the end of their header */
	   column_of(r.out, "gzip,zlib", id) + (int)strlen(id) == (int)strlen("LEASE") &&
	   column_of(r.out, "LEASE", "DEVICE") == column_of(r.out, "gzip,zlib", "wdsoft-0") &&
	   column_of(r.out, "LEASE", "ALGORITHM") == column_of(r.out, "gzip,zlib", "gzip,zlib"),
	   "leases: the live lease, its device and algorithm set, aligned");
	ok(strstr(r.out, "CGROUP"), "leases: a CGROUP column");
	run_clear(&r);
	is(wt_run(&r, "--user", "--json=short", "leases"), 0, "leases --json: exit 0");
	a = wt_json_array(r.out);
	d = a && json_object_array_length(a) == 1 ? json_object_array_get_idx(a, 0) : NULL;
	ok(wt_json_int(d, "lease") == (long long)lease && wt_json_int(d, "uid") == geteuid() &&
	   wt_json_int(d, "pid") == getpid(), "leases JSON: lease id, uid and pid of the holder");
	{
		struct json_object *cg = NULL;
		char self[512] = "";
		FILE *f = fopen("/proc/self/cgroup", "re");

		/* cgroup v2's line "0::PATH", which the broker reads too */
		while (f && fgets(self, sizeof(self), f) && strncmp(self, "0::", 3))
			self[0] = 0;
		if (f)
			fclose(f);
		self[strcspn(self, "\n")] = 0;
		ok(d && json_object_object_get_ex(d, "cgroup", &cg) && self[0] &&
		   !strcmp(json_object_get_string(cg), self + 3),
		   "leases JSON: the holder's cgroup %s", self[0] ? self + 3 : "(none in /proc/self/cgroup)");
	}
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "--sysfs-root", sysroot, "--json=short", "stats"), 0,
	   "stats --json: exit 0");
	a = wt_json_array(r.out);
	d = wt_json_find(a, "name", "wdsoft-0");
	ok(wt_json_int(d, "grants") == 1 && wt_json_int(d, "revokes") == 0 &&
	   wt_json_int(d, "requests") == 1234 && wt_json_int(d, "bytes") == 5054464 &&
	   wt_json_int(d, "busy_ns") == 2500000,
	   "stats: broker counters from D-Bus, engine counters from debugfs");
	d = wt_json_find(a, "name", "wdsoft-1");
	is(wt_json_int(d, "requests"), -998, "stats: engine counters null where debugfs has none");
	json_object_put(a);
	run_clear(&r);
	is(wt_run(&r, "--user", "--sysfs-root", sysroot, "stats"), 0, "stats table: exit 0");
	ok(strstr(r.out, "4.8M") && strstr(r.out, "2.5ms") && strstr(r.out, "OPEN-ERRORS"),
	   "stats table: bytes and busy time for people (4.8M, 2.5ms)");
	run_clear(&r);
}

static void check_admin(int sock, uint64_t lease)
{
	struct wdp_msg m;
	struct json_object *a;
	const char *why;
	struct run r;
	char id[32], p[600];
	int fd = -1;

	snprintf(id, sizeof(id), "%llu", (unsigned long long)lease);
	if (geteuid() == 0) {
		is(wt_run_as(&r, 65534, "--user", "revoke", id), 4,
		   "revoke as uid 65534: exit 4 (permission denied)");
		ok(strstr(r.err, "root") && strstr(r.err, "polkit"),
		   "the refusal says root or polkit is needed");
		run_clear(&r);
		is(wt_run_as(&r, 65534, "--user", "--no-ask-password", "reload"), 4,
		   "reload as uid 65534: exit 4");
		run_clear(&r);
	} else {
		skip(3, "not root: cannot run warpctl as another user");
	}

	is(wt_run(&r, "--user", "revoke", id), 0, "revoke of the live lease: exit 0");
	run_clear(&r);
	ok(tb_readable(sock, 5000) && wdp_recv(sock, &m, &fd, &why) >= 0 &&
	   m.type == WDP_EVT_REVOKED && m.lease == lease, "the holder gets REVOKED for its lease");
	if (fd >= 0)
		close(fd);
	is(wt_run(&r, "--user", "--json=short", "leases"), 0, "leases after revoke: exit 0");
	a = wt_json_array(r.out);
	ok(a && json_object_array_length(a) == 0, "no lease left");
	json_object_put(a);
	run_clear(&r);
	is(wt_run(&r, "--user", "--json=short", "stats"), 0, "stats after revoke");
	a = wt_json_array(r.out);
	is(wt_json_int(wt_json_find(a, "name", "wdsoft-0"), "revokes"), 1, "stats count the revoke");
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "revoke", id), 5, "revoking it again: exit 5 (no such lease)");
	ok(strstr(r.err, id) && strstr(r.err, "warpctl leases"),
	   "the error names the lease and how to list them");
	run_clear(&r);
	is(wt_run(&r, "--user", "revoke", "0"), 2, "revoke 0: usage error");
	run_clear(&r);

	is(wt_run(&r, "--user", "reload"), 0, "reload of a good policy: exit 0");
	run_clear(&r);
	snprintf(p, sizeof(p), "%s/policy/policy.d/50-broken.conf", t.root);
	tb_write(p, "[global]\nmax_queues = lots\n");
	is(wt_run(&r, "--user", "reload"), 1, "reload of a broken policy: exit 1");
	ok(strstr(r.err, "50-broken.conf:2") && strstr(r.err, "check-policy"),
	   "the error names FILE:LINE and points to check-policy");
	run_clear(&r);
	unlink(p);
	ok(tb_alive(&t), "the broker survived");
}

static void check_without_broker(void)
{
	struct json_object *a;
	struct run r;

	/* a bus without org.warpdrive */
	is(wt_run(&r, "--user", "--sysfs-root", sysroot, "--json=short", "devices"), 0,
	   "devices without broker: exit 0");
	a = wt_json_array(r.out);
	ok(a && json_object_array_length(a) == 2 &&
	   wt_json_int(wt_json_find(a, "name", "wdsoft-1"), "available") == 8 &&
	   wt_json_int(wt_json_find(a, "name", "wdsoft-0"), "leased") == -998,
	   "devices from sysfs; leased is null");
	ok(strstr(r.err, "not running") && strstr(r.err, "without broker information"),
	   "stderr says devices are shown without broker information");
	json_object_put(a);
	run_clear(&r);
	is(wt_run(&r, "--user", "leases"), 3, "leases without broker: exit 3");
	ok(strstr(r.err, "not running") && strstr(r.err, "Start it"), "with a hint to start it");
	run_clear(&r);
	is(wt_run(&r, "--user", "revoke", "1"), 3, "revoke without broker: exit 3");
	run_clear(&r);
}

int main(void)
{
	struct wdp_lease g;
	int sock, fd, r;
	char p[600];

	wt_private_bus();
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_device(&t, "wdsoft-1", "sha256", -1, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	snprintf(sysroot, sizeof(sysroot), "%s/sys", t.root);
	snprintf(p, sizeof(p), "%s/kernel/debug/wdsoft/wdsoft-0", sysroot);
	tb_mkdirs(p);
	strcat(p, "/stats");
	tb_write(p, "requests 1234\nbytes 5054464\nerrors 2\nbusy_ns 2500000\n");
	t.bus = "user";
	tb_start(&t);
	wt_wait_for_broker_on_bus();

	sock = tb_connect(&t);
	r = sock >= 0 ? tb_request(sock, "gzip,zlib", NULL, -1, &g, &fd, &(struct wdp_refusal){}) : -1;
	if (r < 0)
		bail_out("no lease from the broker: %d", r);
	check_tables(g.id);
	check_admin(sock, g.id);
	close(fd);
	close(sock);
	is(tb_stop(&t), 0, "the broker stops cleanly");
	check_without_broker();
	tb_cleanup(&t);
	return exit_status();
}
