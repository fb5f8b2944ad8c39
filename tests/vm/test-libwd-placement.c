// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WD_NODE_ANY keeps the client off its engine's CPU (common/cpuplace.h) on
 * the VM's two nodes of one CPU each, one wdsoft device per node. Each
 * device's engine_cpus names its node's CPU. A client pinned to node 0's
 * CPU gets node 1's device although node 0's is nearer, and that engine
 * then serves it on node 1's CPU (debugfs); pinned to node 1's CPU, the
 * other way round. A node asked for by number is a choice: distance wins.
 * The tie paths: a client allowed on every CPU has no device apart, so the
 * device nearest to the CPU it runs on is taken; with a single device a
 * pinned client still gets it, co-located.
 */
#include <sched.h>

#include "vm/test-libwd-vm.h"
#include "vm/soft-ring.h"

/* The device a WD_NODE_ANY (or @node) request gets, and its engine's CPU. */
struct got {
	int r;
	int dev_node;
	int engine_cpu;		/* where the engine ran the request, -1 unknown */
	char dev[64];
	char engine_cpus[64];	/* the device's sysfs engine_cpus */
};

static struct got request(int node)
{
	static uint8_t a[4096], b[4096];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = sizeof(a),
			    .dst = b, .dst_len = sizeof(b) };
	struct got g = { .dev_node = -2, .engine_cpu = -1 };
	unsigned long yields;
	struct wd_queue q;

	g.r = lw_request(&q, "memcpy", node, WD_QUEUE_DIRECT);
	if (g.r)
		return g;
	g.dev_node = q.dev_node;
	snprintf(g.dev, sizeof(g.dev), "%s", q.dev_name);
	if (vm_sysfs_read(q.dev_name, "device/engine_cpus", g.engine_cpus,
			  sizeof(g.engine_cpus)) < 0)
		snprintf(g.engine_cpus, sizeof(g.engine_cpus), "(none)");
	if (lw_run(&q, &m) == 0)
		soft_engine_cpu(q.dev_name, 0, &g.engine_cpu, &yields);
	wd_release_queue(&q);
	return g;
}

/* Pinned to @cpu, WD_NODE_ANY: the device whose engine runs on @want. */
static void pinned_gets_apart(int cpu, int want_cpu, int want_node)
{
	struct got g;

	if (lw_pin_cpu(cpu))
		bail_out("cannot run on CPU %d", cpu);
	g = request(WD_NODE_ANY);
	ok_errno(g.r, 0, "pinned to CPU %d, WD_NODE_ANY: a queue", cpu);
	ok(g.dev_node == want_node, "pinned to CPU %d: the node-%d device %s (engine_cpus %s), not the nearer one",
	   cpu, want_node, g.dev, g.engine_cpus);
	is(g.engine_cpu, want_cpu, "its engine ran the request on CPU %d, not on ours (%d)",
	   want_cpu, cpu);
}

/* Allowed everywhere: the device on the node of the CPU the request ran on. */
static void everywhere_gets_nearest(int ncpus)
{
	cpu_set_t all;
	struct got g = { .r = -1 };
	int before = -1, after = -2;

	CPU_ZERO(&all);
	for (int c = 0; c < ncpus; c++)
		CPU_SET(c, &all);
	if (sched_setaffinity(0, sizeof(all), &all))
		bail_out("cannot allow every CPU: %m");
	/* the scheduler may move us meanwhile: only judge a request that did not move */
	for (int i = 0; i < 50 && before != after; i++) {
		before = sched_getcpu();
		g = request(WD_NODE_ANY);
		after = sched_getcpu();
	}
	ok_errno(g.r, 0, "allowed on every CPU, WD_NODE_ANY: a queue");
	if (before != after) {
		ok(0, "the thread stayed on one CPU across a request (50 tries)");
		return;
	}
	is(g.dev_node, before == lw_node_cpu(1) ? 1 : 0,
	   "no engine apart from a client allowed everywhere: the device on its CPU's node (CPU %d, %s)",
	   before, g.dev);
}

int main(void)
{
	struct got g;
	int cpu0, cpu1;

	lw_setup("num_devices=2 nodes=0,1");
	cpu0 = lw_node_cpu(0);
	cpu1 = lw_node_cpu(1);
	if (cpu0 < 0 || cpu1 < 0 || cpu0 == cpu1 || sysconf(_SC_NPROCESSORS_ONLN) != 2)
		bail_out("needs 2 NUMA nodes of one CPU each (tools/wdvm default)");

	pinned_gets_apart(cpu0, cpu1, 1);
	pinned_gets_apart(cpu1, cpu0, 0);
	if (lw_pin_cpu(cpu0))
		bail_out("cannot run on CPU %d", cpu0);
	g = request(0);
	ok(g.r == 0 && g.dev_node == 0 && g.engine_cpu == cpu0,
	   "pinned to CPU %d, node 0 asked for: node 0's device, engine on our CPU (%s, CPU %d)",
	   cpu0, g.dev, g.engine_cpu);
	everywhere_gets_nearest(2);

	/* one device: nothing apart to prefer, the pinned client still gets it */
	if (vm_unload_modules() < 0)
		bail_out("cannot unload the modules");
	lw_setup("num_devices=1 nodes=0");
	if (lw_pin_cpu(cpu0))
		bail_out("cannot run on CPU %d", cpu0);
	g = request(WD_NODE_ANY);
	ok(g.r == 0 && g.dev_node == 0 && g.engine_cpu == cpu0,
	   "one device, pinned to its engine's CPU %d: still granted, co-located (%s, engine_cpus %s)",
	   cpu0, g.dev, g.engine_cpus);
	vm_unload_modules();
	return done_testing();
}
