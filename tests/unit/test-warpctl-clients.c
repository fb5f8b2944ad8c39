// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-warpctl-clients: counters clients report to the real wdbrokerd
 * (COUNTERS, protocol version 3) are summed per uid as the broker
 * identified the client, whatever the message says, outlive the client's
 * connection, and `warpctl stats --clients` shows them as a table and as
 * JSON: root every uid's, another user only their own. A malformed report
 * closes only its connection and adds nothing; names over the cap are
 * dropped and counted, and warpctl says so.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "test-warpctl-lib.h"

#define NOBODY 65534

static struct fake_tree t;

/* Report one counter on a connection of its own; the broker's answer. */
static int report1(const char *name, uint64_t value, struct wdp_counted *res)
{
	struct wdp_counter c = { .value = value };
	int sock = tb_connect(&t), r;

	if (sock < 0)
		return sock;
	snprintf(c.name, sizeof(c.name), "%s", name);
	r = wdp_client_report(sock, &c, 1, res, NULL);
	close(sock);
	return r;
}

/* The JSON row of @uid's counter @name, or NULL. */
static struct json_object *row(struct json_object *a, long long uid, const char *name)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *v;

		if (wt_json_int(e, "uid") == uid && json_object_object_get_ex(e, "counter", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return e;
	}
	return NULL;
}

static void check_reports(void)
{
	struct wdp_counter two[2] = { { "zlib.deflate.streams", 2 }, { "zlib.deflate.bytes_in", 100000 } };
	struct wdp_counted res = { 9, 9 };
	int sock = tb_connect(&t), st;
	pid_t pid;

	is(wdp_client_report(sock, two, 2, &res, NULL), 0, "a report of two counters is taken");
	ok(res.stored == 2 && res.dropped == 0, "COUNTED says 2 stored, 0 dropped");
	close(sock);
	is(report1("zlib.deflate.streams", 1, &res), 0, "a second process's report, after the first left");

	/* Another user; the names say nothing of who reports. */
	pid = fork();
	if (pid == 0) {
		struct wdp_counted c;

		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(3);
		_exit(report1("zlib.deflate.streams", 5, &c) == 0 && c.stored == 1 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "uid %d reports too", NOBODY);
}

static void check_malformed(void)
{
	unsigned char buf[16 + 8 + 2 * 72] = { 0 };
	struct wdp_counter dup[1] = { { "zlib.deflate.streams", 1000 } };
	struct wdp_msg m = { .type = WDP_REQ_COUNTERS, .counters = { .count = 1, .v = dup } };
	ssize_t n = wdp_encode(&m, buf, sizeof(buf));
	int sock = tb_connect(&t);
	struct wdp_msg rep;
	uint32_t two = 2, size = 16 + 8 + 2 * 72;

	/* The same counter twice: malformed, so the whole report counts for nothing. */
	memcpy(buf + 16, &two, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + 16 + 8 + 72, buf + 16 + 8, 72);
	ok(n == 16 + 8 + 72 && send(sock, buf, size, 0) == (ssize_t)size &&
	   tb_readable(sock, 5000) && wdp_recv(sock, &rep, NULL, NULL) == -ECONNRESET,
	   "a counter named twice closes the connection without a reply");
	close(sock);
	ok(tb_alive(&t), "the broker survived it");
}

static void check_names_cap(void)
{
	struct wdp_counter v[WDP_COUNTERS_MAX];
	struct wdp_counted res;
	int sock = tb_connect(&t);
	uint32_t n = 0;

	/* root has 2 names; 30 more fill its 32, the 33rd finds no room */
	for (; n < 30; n++)
		snprintf(v[n].name, sizeof(v[n].name), "test.fill.%u", n), v[n].value = 1;
	is(wdp_client_report(sock, v, n, &res, NULL), 0, "30 new names are taken");
	ok(res.stored == 30 && res.dropped == 0, "all 30 stored");
	is(report1("test.one.too.many", 1, &res), 0, "a 33rd name is answered");
	ok(res.stored == 0 && res.dropped == 1, "... as dropped");
	is(report1("zlib.deflate.streams", 1, &res), 0, "a known name still adds");
	ok(res.stored == 1 && res.dropped == 0, "... as stored");
	close(sock);
}

static void check_warpctl(void)
{
	struct json_object *a;
	struct run r;

	is(wt_run(&r, "--user", "--json=short", "stats", "--clients"), 0, "stats --clients --json: exit 0");
	a = wt_json_array(r.out);
	is(wt_json_int(row(a, 0, "zlib.deflate.streams"), "value"), 4,
	   "root's deflate streams: 2 + 1 + 1, over three connections");
	is(wt_json_int(row(a, 0, "zlib.deflate.bytes_in"), "value"), 100000, "root's bytes in");
	is(wt_json_int(row(a, NOBODY, "zlib.deflate.streams"), "value"), 5,
	   "the other uid's own row");
	ok(!row(a, 0, "test.one.too.many"), "the dropped name has no row");
	ok(strstr(r.err, "no room for 1 reported counters"), "warpctl reports the dropped counter");
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "stats", "--clients"), 0, "stats --clients: exit 0");
	ok(strstr(r.out, "UID") && strstr(r.out, "COUNTER") && strstr(r.out, "VALUE") &&
	   strstr(r.out, "zlib.deflate.bytes_in") && strstr(r.out, "100000"),
	   "the table has its header and the rows");
	run_clear(&r);

	is(wt_run_as(&r, NOBODY, "--user", "--json=short", "stats", "--clients"), 0,
	   "another user's stats --clients: exit 0");
	a = wt_json_array(r.out);
	ok(a && json_object_array_length(a) == 1 &&
	   wt_json_int(row(a, NOBODY, "zlib.deflate.streams"), "value") == 5,
	   "another user sees their own row only");
	ok(strstr(r.err, "only your own uid"), "... and is told so");
	json_object_put(a);
	run_clear(&r);

	is(wt_run(&r, "--user", "stats", "--clients", "wdsoft-0"), 2,
	   "stats --clients with a device: usage error");
	run_clear(&r);
	is(wt_run(&r, "--user", "devices", "--clients"), 2, "--clients on devices: usage error");
	ok(strstr(r.err, "option of stats"), "... saying whose option it is");
	run_clear(&r);
}

int main(void)
{
	wt_private_bus();
	if (geteuid() != 0)
		plan_skip_all("needs root to report as a second uid");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	t.bus = "user";
	tb_start(&t);
	wt_wait_for_broker_on_bus();

	check_reports();
	check_malformed();
	check_names_cap();
	check_warpctl();

	is(tb_stop(&t), 0, "the broker stops cleanly");
	tb_cleanup(&t);
	return done_testing();
}
