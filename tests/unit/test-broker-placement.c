// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-placement: the broker's device choice over tables of NUMA
 * topologies, loads, strategies and engines apart from the client or not
 * (placement_order is a pure function),
 * and the topology reader on a fake sysfs tree.
 */
#include "placement.h"
#include "test-broker-lib.h"

#define MAXD 8

struct tcase {
	const char *what;
	int n_nodes;
	int dist[16];			/* n_nodes x n_nodes, row-major */
	int n;
	struct place_cand c[MAXD];
	int client_node;
	enum placement mode;
	const char *want;		/* expected order of names, space separated */
};

#define D(nm, nd, fr, ls) { .name = nm, .node = nd, .free = fr, .leased = ls, .allowed = true }
/* A device whose engine can run off the client's CPUs (cpuplace.h). */
#define DA(nm, nd, fr, ls) { .name = nm, .node = nd, .free = fr, .leased = ls, .allowed = true, \
			     .apart = true }
#define TWO { 10, 20, 20, 10 }
#define FOUR { 10, 16, 22, 22, 16, 10, 22, 22, 22, 22, 10, 16, 22, 22, 16, 10 }

static const struct tcase cases[] = {
	{ "2 nodes, client on node 1: local device first", 2, TWO, 2,
	  { D("a", 0, 4, 0), D("b", 1, 4, 0) }, 1, PLACE_NEAREST, "b a" },
	{ "2 nodes, client on node 0", 2, TWO, 2,
	  { D("a", 0, 4, 0), D("b", 1, 4, 0) }, 0, PLACE_NEAREST, "a b" },
	{ "local device full: spill to the next nearest", 2, TWO, 2,
	  { D("a", 0, 0, 4), D("b", 1, 4, 0) }, 0, PLACE_NEAREST, "b" },
	{ "strict-node: local full means nothing", 2, TWO, 2,
	  { D("a", 0, 0, 4), D("b", 1, 4, 0) }, 0, PLACE_STRICT_NODE, "" },
	{ "strict-node: only the client's node", 2, TWO, 3,
	  { D("a", 0, 4, 0), D("b", 1, 4, 0), D("c", 1, 9, 0) }, 1, PLACE_STRICT_NODE, "c b" },
	{ "strict-node: a device on no node counts as local (VMs)", 2, TWO, 2,
	  { D("a", -1, 4, 0), D("b", 1, 4, 0) }, 0, PLACE_STRICT_NODE, "a" },
	{ "strict-node with an unknown client node acts as nearest", 2, TWO, 2,
	  { D("a", 0, 4, 1), D("b", 1, 4, 0) }, -1, PLACE_STRICT_NODE, "b a" },
	{ "spread: fewest leases first, whatever the node", 2, TWO, 2,
	  { D("a", 0, 4, 3), D("b", 1, 4, 1) }, 0, PLACE_SPREAD, "b a" },
	{ "spread: equal leases, most free first", 2, TWO, 2,
	  { D("a", 0, 2, 1), D("b", 1, 6, 1) }, 0, PLACE_SPREAD, "b a" },
	{ "spread: full tie, nearest first", 2, TWO, 2,
	  { D("a", 1, 4, 1), D("b", 0, 4, 1) }, 0, PLACE_SPREAD, "b a" },
	{ "nearest: same distance, fewest leases first", 2, TWO, 3,
	  { D("a", 0, 4, 2), D("b", 0, 4, 0), D("c", 1, 8, 0) }, 0, PLACE_NEAREST, "b a c" },
	{ "nearest: same distance and leases, most free first", 2, TWO, 2,
	  { D("a", 0, 1, 0), D("b", 0, 5, 0) }, 0, PLACE_NEAREST, "b a" },
	{ "4 nodes: distance 16 before 22", 4, FOUR, 3,
	  { D("n3", 3, 4, 0), D("n1", 1, 4, 0), D("n2", 2, 4, 0) }, 0, PLACE_NEAREST, "n1 n3 n2" },
	{ "4 nodes: client on node 2", 4, FOUR, 3,
	  { D("n3", 3, 4, 0), D("n1", 1, 4, 0), D("n2", 2, 4, 0) }, 2, PLACE_NEAREST, "n2 n3 n1" },
	{ "4 nodes: equal distance, load decides", 4, FOUR, 2,
	  { D("n2", 2, 4, 3), D("n3", 3, 4, 1) }, 0, PLACE_NEAREST, "n3 n2" },
	{ "no NUMA information: all local, load decides", 0, { 0 }, 3,
	  { D("a", -1, 4, 2), D("b", -1, 4, 1), D("c", -1, 4, 1) }, -1, PLACE_NEAREST, "b c a" },
	{ "device node beyond the topology is remote", 2, TWO, 2,
	  { D("far", 5, 4, 0), D("near", 0, 4, 3) }, 0, PLACE_NEAREST, "near far" },
	{ "engine apart beats distance (one CPU per node, client pinned)", 2, TWO, 2,
	  { D("a", 0, 4, 0), DA("b", 1, 4, 0) }, 0, PLACE_NEAREST, "b a" },
	{ "engine apart beats fewer leases and more free", 2, TWO, 2,
	  { D("a", 0, 9, 0), DA("b", 0, 1, 5) }, 0, PLACE_NEAREST, "b a" },
	{ "spread: engine apart first, then leases", 2, TWO, 3,
	  { D("a", 0, 4, 0), DA("b", 1, 4, 3), DA("c", 0, 4, 1) }, 0, PLACE_SPREAD, "c b a" },
	{ "strict-node: apart orders the node's devices, never leaves it", 2, TWO, 3,
	  { D("a", 0, 4, 0), DA("b", 1, 4, 0), DA("c", 0, 1, 2) }, 0, PLACE_STRICT_NODE, "c a" },
	{ "every engine apart: distance decides", 2, TWO, 2,
	  { DA("a", 1, 4, 0), DA("b", 0, 4, 0) }, 0, PLACE_NEAREST, "b a" },
	{ "no engine apart (client allowed everywhere): distance decides", 2, TWO, 2,
	  { D("a", 1, 4, 0), D("b", 0, 4, 0) }, 0, PLACE_NEAREST, "b a" },
	{ "only one device, not apart: still granted", 2, TWO, 1,
	  { D("a", 0, 4, 0) }, 0, PLACE_NEAREST, "a" },
	{ "the apart device is full: the co-located one", 2, TWO, 2,
	  { D("a", 0, 4, 0), DA("b", 1, 0, 4) }, 0, PLACE_NEAREST, "a" },
	{ "nothing free at all", 2, TWO, 2,
	  { D("a", 0, 0, 0), D("b", 1, 0, 0) }, 0, PLACE_NEAREST, "" },
};

static void run_case(const struct tcase *tc)
{
	struct devtable topo = { 0 };
	int dist[16], order[MAXD], k;
	char got[128] = "";

	memcpy(dist, tc->dist, sizeof(dist));
	topo.n_nodes = tc->n_nodes;
	topo.dist = tc->n_nodes ? dist : NULL;
	k = placement_order(&topo, tc->c, tc->n, tc->client_node, tc->mode, order);
	for (int i = 0; i < k; i++) {
		strcat(got, tc->c[order[i]].name);
		if (i + 1 < k)
			strcat(got, " ");
	}
	is_str(got, tc->want, "%s", tc->what);
}

static void test_excluded(void)
{
	struct devtable topo = { 0 };
	struct place_cand c[3] = { D("iso", 0, 4, 0), D("denied", 0, 4, 0), D("ok", 0, 4, 0) };
	int order[3], k;

	c[0].isolated = true;
	c[1].allowed = false;
	k = placement_order(&topo, c, 3, 0, PLACE_NEAREST, order);
	ok(k == 1 && order[0] == 2, "isolated and policy-denied devices are left out");
}

static void test_topology_reader(void)
{
	static const char *const dist[] = { "10 21", "21 10" };
	static const char *const cpus[] = { "0-1,4", "2-3" };
	struct fake_tree t;
	struct devtable *dt;
	char sys[300];

	tb_init(&t);
	tb_numa(&t, 2, dist, cpus);
	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	if (devtable_new(sys, "/nonexistent", &dt) < 0)
		bail_out("devtable_new");
	ok_errno(devtable_load_topology(dt), 0, "topology loads from the fake tree");
	is(dt->n_nodes, 2, "two nodes");
	is(devtable_distance(dt, 0, 1), 21, "distance 0->1 from node0/distance");
	is(devtable_distance(dt, 1, 1), 10, "local distance");
	is(devtable_distance(dt, -1, 1), 10, "no node is local");
	is(devtable_cpu_node(dt, 4), 0, "cpu 4 on node 0 (cpulist 0-1,4)");
	is(devtable_cpu_node(dt, 3), 1, "cpu 3 on node 1");
	is(devtable_cpu_node(dt, 9), -1, "unknown cpu: -1");

	tb_device(&t, "wdsoft-0", "zlib\ngzip", 1, 3);
	tb_device(&t, "hisi_zip-0", "deflate", -1, 0);
	tb_attr(&t, "hisi_zip-0", "isolate", "1");
	ok_errno(devtable_scan(dt, NULL, NULL, NULL), 0, "device scan");
	is(dt->n, 2, "two devices found");
	{
		struct wd_device *d = devtable_find(dt, "wdsoft-0");
		struct wd_device *h = devtable_find(dt, "hisi_zip-0");

		ok(d && d->node == 1 && d->available == 3 && d->flags == 4 &&
		   device_has_alg(d, "gzip") && !strcmp(d->api, "wdsoft_v1"),
		   "attributes read (node, available, flags, algorithms, api)");
		ok(d && !strcmp(d->object_path, "/org/warpdrive/device/wdsoft_2d0"),
		   "D-Bus object path escaped");
		ok(h && h->isolated && h->node == -1, "isolated device with no node");
		ok(d && device_has_alg(d, "inflate") && h && device_has_alg(h, "inflate"),
		   "a zlib or deflate engine also serves inflate");
		ok(d && !device_has_alg(d, "sha256") && !device_has_alg(d, "deflat"),
		   "other algorithms match by whole name only");
		if (d) {
			char names[64], tiny[5];

			is(device_lease_algs(d, "inflate", names, sizeof(names)), 9,
			   "an inflate lease may use the whole compression engine");
			is_str(names, "zlib gzip", "... by the device's own names");
			is(device_lease_algs(d, "gzip", names, sizeof(names)), 9,
			   "so may a gzip lease (one engine, libwd picks the wrapper)");
			is(device_lease_algs(d, "sha256", names, sizeof(names)), -ENOENT,
			   "an algorithm the device lacks: -ENOENT");
			is(device_lease_algs(d, "zlib", tiny, sizeof(tiny)), -ENAMETOOLONG,
			   "a buffer too small: -ENAMETOOLONG");
		}
		if (h) {
			char names[64];

			is(device_lease_algs(h, "deflate", names, sizeof(names)), 7,
			   "a deflate-only engine");
			is_str(names, "deflate", "... gives just deflate");
		}
	}
	tb_device(&t, "wdsoft-5", "memcpy crc32c sha256 deflate", 0, 3);
	ok_errno(devtable_scan(dt, NULL, NULL, NULL), 0, "scan with a device of four algorithms");
	{
		struct wd_device *d = devtable_find(dt, "wdsoft-5");
		struct wdp_algs set;
		const char *missing = NULL;
		char names[64];

		wdp_algs_parse("sha256,crc32c", &set, NULL, 0);
		ok(d && device_has_algs(d, &set, NULL), "a device offering sha256 and crc32c has the set");
		wdp_algs_parse("sha256,zlib,crc32c", &set, NULL, 0);
		ok(d && !device_has_algs(d, &set, &missing) && missing && !strcmp(missing, "zlib"),
		   "one name missing: the set is not offered, and the name is given");
		if (d) {
			is(device_lease_algs(d, "sha256,crc32c", names, sizeof(names)), 13,
			   "a set lease restricts to its names");
			is_str(names, "crc32c sha256", "... each once, in the device's order");
			is(device_lease_algs(d, "inflate,deflate,memcpy", names, sizeof(names)), 14,
			   "two compression names and memcpy");
			is_str(names, "memcpy deflate", "... name the engine once");
			is(device_lease_algs(d, "sha256,,crc32c", names, sizeof(names)), -EINVAL,
			   "a malformed set: -EINVAL");
		}
	}
	tb_remove_device(&t, "wdsoft-5");
	tb_remove_device(&t, "hisi_zip-0");
	devtable_scan(dt, NULL, NULL, NULL);
	ok(dt->n == 1 && !devtable_find(dt, "hisi_zip-0"), "removed device leaves the table");
	devtable_free(dt);
	tb_cleanup(&t);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_excluded();
	test_topology_reader();
	return exit_status();
}
