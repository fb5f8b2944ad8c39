// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Direct-mode device discovery and placement on a fake sysfs tree: for
 * WD_NODE_ANY an engine that can run off the caller's CPUs first, then NUMA
 * distance, then free instances, isolated and full devices skipped,
 * device chosen by name, node path or link; every failure gives a precise
 * errno and a message that says what to do (no device, no algorithm,
 * unknown api, all full, all isolated, permission denied); no broker ->
 * fallback, or -ECONNREFUSED with WD_QUEUE_NO_FALLBACK.
 */
#include <sched.h>
#include <unistd.h>

#include "tap.h"
#include "common/cpu-pin.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static int req(struct wd_queue *q, const char *alg, int node, const char *dev,
	       unsigned int flags)
{
	*q = (struct wd_queue){ .alg = alg, .node = node, .dev = dev, .flags = flags };
	return wd_request_queue(q);
}

/* Which device WD_NODE_ANY (or @node) opens among @devs; "" if none. */
static const char *placed(const struct wdd_dev *devs, int n, int node)
{
	static char name[64];
	struct wd_queue q;

	wdd_sysfs(devs, n, 2);
	name[0] = 0;
	if (req(&q, "crc32c", node, NULL, WD_QUEUE_DIRECT) == 0) {
		snprintf(name, sizeof(name), "%s", q.dev_name);
		wd_release_queue(&q);
	}
	return name;
}

/*
 * The calling thread pinned to one CPU: WD_NODE_ANY prefers a device whose
 * engine can run elsewhere (cpuplace.h) over the nearer one whose engine
 * only runs on that CPU; a named node, a tie and a lone device fall back
 * to distance.
 */
static void test_engine_apart(void)
{
	cpu_set_t mine;
	char me_s[16], other_s[16];
	int me, near, far;

	me = pin_first_cpu(&mine);
	near = __wd_current_node() == 1 ? 1 : 0;
	far = !near;
	snprintf(me_s, sizeof(me_s), "%d", me);
	snprintf(other_s, sizeof(other_s), "%d", me + 1);	/* a list need not exist */
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = near, .avail = 4, .engine_cpus = me_s },
			{ .name = "wdsoft-1", .node = far, .avail = 1, .engine_cpus = other_s },
		};

		is_str(placed(devs, 2, WD_NODE_ANY), "wdsoft-1",
		       "pinned to CPU %d: the far device whose engine runs on %d", me, me + 1);
		is_str(placed(devs, 2, near), "wdsoft-0",
		       "a node named: the device on it, engine or not");
	}
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = near, .avail = 4, .engine_cpus = me_s },
			{ .name = "wdsoft-1", .node = far, .avail = 4, .engine_cpus = me_s },
		};

		is_str(placed(devs, 2, WD_NODE_ANY), "wdsoft-0",
		       "both engines on the caller's CPU: a tie, the nearest");
		is_str(placed(devs, 1, WD_NODE_ANY), "wdsoft-0",
		       "one device whose engine shares the caller's CPU: still opened");
	}
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = near, .avail = 4, .engine_cpus = me_s },
			{ .name = "wdsoft-1", .node = far, .avail = 4 },
		};

		is_str(placed(devs, 2, WD_NODE_ANY), "wdsoft-1",
		       "a device that names no engine CPUs works off the host's: preferred");
	}
	unpin(&mine);
}

int main(void)
{
	struct wd_queue q, q2;
	char link[256];
	const char *dir;
	int my_node;

	wdd_install(NULL);

	/* nothing there */
	wdd_sysfs(NULL, 0, 2);
	ok_errno(req(&q, "crc32c", WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), -ENODEV, "no device -> -ENODEV");
	ok(strstr(q.errmsg, "modprobe"), "message says to load a driver: %s", q.errmsg);
	ok_errno(req(&q, "crc32c", WD_NODE_ANY, "wdsoft-9", WD_QUEUE_DIRECT), -ENODEV, "named device absent -> -ENODEV");
	ok(strstr(q.errmsg, "wdsoft-9"), "message names it: %s", q.errmsg);

	/* placement */
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = 0, .avail = 2 },
			{ .name = "wdsoft-1", .node = 1, .avail = 1 },
			{ .name = "wdsoft-2", .node = 1, .avail = 5 },
			{ .name = "wdsoft-3", .node = 0, .avail = 9, .isolate = 1 },
			{ .name = "wdsoft-4", .node = 0, .avail = 0 },
			{ .name = "other-0", .node = 0, .avail = 9, .api = "hisi_zip_v9", .algs = "deflate" },
		};

		wdd_sysfs(devs, 6, 2);
	}
	ok_errno(req(&q, "crc32c", 1, NULL, WD_QUEUE_DIRECT), 0, "node 1 request");
	is_str(wdd_stats().last_open, "wdsoft-2", "node 1: the node-1 device with most free instances");
	is(q.dev_node, 1, "dev_node reports node 1");
	wd_release_queue(&q);
	ok_errno(req(&q, "crc32c", 0, NULL, WD_QUEUE_DIRECT), 0, "node 0 request");
	is_str(wdd_stats().last_open, "wdsoft-0", "node 0: skips isolated wdsoft-3 and full wdsoft-4");
	wd_release_queue(&q);
	my_node = __wd_current_node();
	ok_errno(req(&q, "crc32c", WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), 0, "WD_NODE_ANY request");
	is_str(wdd_stats().last_open, my_node == 1 ? "wdsoft-2" : "wdsoft-0",
	       "WD_NODE_ANY: nearest to this CPU's node (%d)", my_node);
	wd_release_queue(&q);
	ok_errno(req(&q, "crc32c", 0, "wdsoft-1", WD_QUEUE_DIRECT), 0, "by name");
	is_str(q.dev_name, "wdsoft-1", "by name: the named device even if farther");
	wd_release_queue(&q);
	dir = getenv("WD_DEV_ROOT");
	snprintf(link, sizeof(link), "%s/wdsoft-1", dir);
	ok_errno(req(&q, "crc32c", 0, link, WD_QUEUE_DIRECT), 0, "by node path");
	is_str(q.dev_name, "wdsoft-1", "by path: wdsoft-1");
	wd_release_queue(&q);
	snprintf(link, sizeof(link), "%s/ua7", dir);
	ok(symlink("wdsoft-2", link) == 0, "make a /dev/uaN-style link");
	ok_errno(req(&q, "crc32c", 0, link, WD_QUEUE_DIRECT), 0, "by link");
	is_str(q.dev_name, "wdsoft-2", "by link: resolved to wdsoft-2");
	wd_release_queue(&q);

	ok_errno(req(&q, "deflate", 0, "other-0", WD_QUEUE_DIRECT), -EPROTONOSUPPORT, "unknown api -> -EPROTONOSUPPORT");
	ok(strstr(q.errmsg, "hisi_zip_v9") && strstr(q.errmsg, "update libwd"),
	   "message names the api and the fix: %s", q.errmsg);
	ok_errno(req(&q, "crc32c", 0, "wdsoft-3", WD_QUEUE_DIRECT), -EBUSY, "only an isolated device -> -EBUSY");
	ok(strstr(q.errmsg, "isolate"), "message says isolated: %s", q.errmsg);
	ok_errno(req(&q, "crc32c", 0, "wdsoft-4", WD_QUEUE_DIRECT), -EBUSY, "only a full device -> -EBUSY");
	ok(strstr(q.errmsg, "out of queues"), "message says full: %s", q.errmsg);

	test_engine_apart();

	/* algorithm nobody offers */
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = 0, .avail = 2, .algs = "memcpy" },
		};

		wdd_sysfs(devs, 1, 1);
	}
	ok_errno(req(&q, "sha256", WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), -ENODEV, "no device offers sha256 -> -ENODEV");
	ok(strstr(q.errmsg, "sha256") && strstr(q.errmsg, "algorithms"), "message names the algorithm: %s", q.errmsg);
	ok_errno(req(&q, NULL, WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), 0, "alg NULL takes any device");
	wd_release_queue(&q);
	wdd_sysfs_set("wdsoft-0", "algorithms", "zlib\ngzip");
	ok_errno(req(&q, "inflate", WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), 0,
		 "a \"zlib\" engine (mainline name) serves inflate");
	wd_release_queue(&q);

	/* permissions, races, fallback */
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = 0, .avail = 2, .open_errno = EACCES },
		};

		wdd_sysfs(devs, 1, 1);
	}
	ok_errno(req(&q, "memcpy", WD_NODE_ANY, NULL, WD_QUEUE_DIRECT), -EACCES, "no permission -> -EACCES");
	ok(strstr(q.errmsg, "broker"), "message points at the broker: %s", q.errmsg);
	{
		const struct wdd_dev devs[] = {
			{ .name = "wdsoft-0", .node = 0, .avail = 2, .open_errno = EBUSY },
			{ .name = "wdsoft-1", .node = 0, .avail = 1 },
		};

		wdd_sysfs(devs, 2, 1);
	}
	ok_errno(req(&q, "memcpy", 0, NULL, 0), 0, "no broker: falls back to direct");
	is_str(q.dev_name, "wdsoft-1", "a device that filled up meanwhile is skipped");
	is(q.lease, 0, "no lease in direct mode");
	ok_errno(req(&q2, "memcpy", 0, "wdsoft-0", 0), -EBUSY, "the only device full at open -> -EBUSY");
	wd_release_queue(&q);
	ok_errno(req(&q, "memcpy", 0, NULL, WD_QUEUE_NO_FALLBACK), -ECONNREFUSED,
		 "no broker with WD_QUEUE_NO_FALLBACK -> -ECONNREFUSED");
	ok(strstr(q.errmsg, "wdbroker"), "message says to start the broker: %s", q.errmsg);

	/* geometry from sysfs when the kernel has no QINFO (mainline) */
	wdd_uninstall();
	{
		struct wdd_config c = { .no_qinfo = true };
		char sz[32];

		wdd_install(&c);
		snprintf(sz, sizeof(sz), "%d", 4096);
		wdd_sysfs_set("wdsoft-1", "region_dus_size", sz);
		ok_errno(req(&q, "memcpy", 0, "wdsoft-1", WD_QUEUE_DIRECT), 0, "no QINFO: sizes from sysfs");
		wd_release_queue(&q);
		wdd_sysfs_set("wdsoft-1", "region_dus_size", "0");
		ok(req(&q, "memcpy", 0, "wdsoft-1", WD_QUEUE_DIRECT) == -EPROTO && q.priv == NULL,
		   "no DUS region -> -EPROTO, nothing leaked: %s", q.errmsg);
	}
	wdd_uninstall();
	{
		struct wdd_config c = { .version = 7 };

		wdd_install(&c);
		ok_errno(req(&q, "memcpy", 0, "wdsoft-1", WD_QUEUE_DIRECT), -EPROTONOSUPPORT, "ring version 7 -> -EPROTONOSUPPORT");
		ok(strstr(q.errmsg, "version 7"), "message gives the version: %s", q.errmsg);
	}
	is(wdd_stats().live, 0, "every failed request closed its fd");
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
