// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-placement-cpus: the rule libwd and the broker share for keeping a
 * client off its engine's CPU (common/cpuplace.h): CPU lists, a device's
 * engine_cpus read from a fake sysfs tree (absent, good, malformed), and
 * the decision over pinned, spread and unknown clients.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpuplace.h"
#include "tap.h"
#include "common/cpu-pin.h"

static char root[PATH_MAX];

static cpu_set_t cpus(const char *list)
{
	cpu_set_t s;

	if (wd_cpulist_parse(list, &s) < 0)
		bail_out("cpu list %s", list);
	return s;
}

/* A fake /sys/class/uacce/<dev>/device/engine_cpus holding @val (NULL: none). */
static void fake_dev(const char *dev, const char *val)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p %s/class/uacce/%s/device", root, dev);
	if (system(path))
		bail_out("%s", path);
	if (!val)
		return;
	snprintf(path, sizeof(path), "%s/class/uacce/%s/device/engine_cpus", root, dev);
	f = fopen(path, "we");
	if (!f || fputs(val, f) < 0 || fclose(f))
		bail_out("cannot write %s", path);
}

static void test_cpulist(void)
{
	static const struct {
		const char *s;
		int r;
		int count;
		const char *has;	/* one CPU that must be in the set, as a list */
	} rows[] = {
		{ "0\n", 0, 1, "0" },
		{ "0-3,8\n", 0, 5, "8" },
		{ "1,3-4 ,7", 0, 4, "4" },
		{ "", 0, 0, NULL },
		{ "1023", 0, 1, "1023" },
		{ "1024", -ERANGE, 0, NULL },
		{ "3-1", -EINVAL, 0, NULL },
		{ "a", -EINVAL, 0, NULL },
		{ "1-", -EINVAL, 0, NULL },
		{ "-1", -EINVAL, 0, NULL },
		{ "2x", -EINVAL, 0, NULL },
		{ "99999999999999999999", -EINVAL, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cpu_set_t s;
		int r = wd_cpulist_parse(rows[i].s, &s);

		ok_errno(r, rows[i].r, "cpu list \"%s\" -> %d", rows[i].s, rows[i].r);
		if (!r && !rows[i].r) {
			cpu_set_t one = cpus(rows[i].has ? rows[i].has : "");
			cpu_set_t both;

			CPU_AND(&both, &s, &one);
			ok(CPU_COUNT(&s) == rows[i].count &&
			   CPU_COUNT(&both) == CPU_COUNT(&one),
			   "cpu list \"%s\": %d CPUs", rows[i].s, rows[i].count);
		}
	}
}

static void test_engine_cpus(void)
{
	cpu_set_t buf;
	const cpu_set_t *e;

	fake_dev("soft-a", "1\n");
	fake_dev("soft-b", "0-1,4\n");
	fake_dev("hw-0", NULL);
	fake_dev("soft-bad", "zero\n");
	fake_dev("soft-empty", "\n");

	e = wd_engine_cpus(root, "soft-a", &buf);
	ok(e == &buf && CPU_COUNT(e) == 1 && CPU_ISSET(1, e), "engine_cpus \"1\": CPU 1");
	e = wd_engine_cpus(root, "soft-b", &buf);
	ok(e && CPU_COUNT(e) == 3 && CPU_ISSET(4, e), "engine_cpus \"0-1,4\": three CPUs");
	ok(wd_engine_cpus(root, "hw-0", &buf) == NULL,
	   "no engine_cpus: the engine runs off the host's CPUs");
	e = wd_engine_cpus(root, "soft-bad", &buf);
	ok(e && CPU_COUNT(e) == CPU_SETSIZE, "malformed engine_cpus: anywhere");
	e = wd_engine_cpus(root, "soft-empty", &buf);
	ok(e && CPU_COUNT(e) == CPU_SETSIZE, "empty engine_cpus: anywhere, not nowhere");
	ok(wd_engine_cpus(root, "no-such-dev", &buf) == NULL,
	   "a device without a sysfs directory says nothing either");
}

static void test_apart(void)
{
	static const struct {
		const char *what;
		const char *engine;	/* NULL: off the host's CPUs */
		const char *client;	/* NULL: unknown */
		bool apart;
	} rows[] = {
		{ "single-CPU nodes, client pinned to 0, engine on 1", "1", "0", true },
		{ "single-CPU nodes, client pinned to 0, engine on 0", "0", "0", false },
		{ "client allowed everywhere, engine on 0", "0", "0-1", false },
		{ "client allowed everywhere, engine on 1", "1", "0-1", false },
		{ "engine node 0-3, client on 0-1", "0-3", "0-1", true },
		{ "engine node 0-3, client on 0-7", "0-3", "0-7", false },
		{ "engine off the host's CPUs", NULL, "0", true },
		{ "engine off the host's CPUs, client unknown", NULL, NULL, true },
		{ "client unknown: could be anywhere", "1", NULL, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cpu_set_t e, c;

		if (rows[i].engine)
			e = cpus(rows[i].engine);
		if (rows[i].client)
			c = cpus(rows[i].client);
		is(wd_engine_apart(rows[i].engine ? &e : NULL, rows[i].client ? &c : NULL),
		   rows[i].apart, "%s: %s", rows[i].what, rows[i].apart ? "apart" : "not apart");
	}
}

/* wd_place_apart with this process as the client, pinned to one CPU. */
static void test_place_apart(void)
{
	cpu_set_t mine;
	char other[16], self[16];
	int me;

	me = pin_first_cpu(&mine);
	/* a CPU we are not allowed on (need not exist: it is only a list) */
	snprintf(self, sizeof(self), "%d\n", me);
	snprintf(other, sizeof(other), "%d\n", me + 1);
	fake_dev("pin-same", self);
	fake_dev("pin-other", other);
	ok(!wd_place_apart(root, "pin-same", 0), "pinned to CPU %d: the engine on it is not apart", me);
	ok(wd_place_apart(root, "pin-other", 0), "pinned to CPU %d: the engine on %d is apart", me, me + 1);
	ok(wd_place_apart(root, "hw-0", 0), "pinned: a device without engine CPUs is apart");
	ok(!wd_place_apart(root, "pin-other", -1), "unknown client: not apart");
	ok(!wd_place_apart(root, "pin-other", INT_MAX), "a pid that does not exist: unknown, not apart");
	unpin(&mine);
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(root, sizeof(root), "/tmp/wd-cpuplace-XXXXXX");
	if (!mkdtemp(root))
		bail_out("mkdtemp: %m");
	test_cpulist();
	test_engine_cpus();
	test_apart();
	test_place_apart();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		diag("cannot remove %s", root);
	return done_testing();
}
