// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NUMA placement in direct mode on the 2-node VM with one wdsoft device per
 * node: an explicit node wins over the CPU; when the device a pinned
 * WD_NODE_ANY request prefers (the one whose engine runs off its CPU,
 * vm-libwd-placement) is full, it spills to the other; WD_QUEUE_DIRECT
 * needs no broker.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "vm/test-libwd-vm.h"

struct pin {
	int cpu, node;
	int r;
	int dev_node;
	char dev[64];
};

static void *pinned(void *arg)
{
	struct pin *p = arg;
	cpu_set_t set;
	struct wd_queue q;

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		p->r = -EINVAL;
		return NULL;
	}
	sched_yield();
	p->r = lw_request(&q, "crc32c", p->node, WD_QUEUE_DIRECT);
	p->dev_node = q.dev_node;
	snprintf(p->dev, sizeof(p->dev), "%s", q.dev_name);
	if (!p->r)
		wd_release_queue(&q);
	return NULL;
}

static struct pin run(int cpu, int node)
{
	struct pin p = { .cpu = cpu, .node = node };
	pthread_t t;

	pthread_create(&t, NULL, pinned, &p);
	pthread_join(t, NULL);
	return p;
}

int main(void)
{
	struct wd_queue held[2];
	struct pin p;
	long avail0;

	vm_require();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		plan_skip_all("needs 2 CPUs in 2 NUMA nodes (tools/wdvm default)");
	lw_setup("queues=2");
	avail0 = lw_avail_total();

	p = run(0, 1);
	is(p.dev_node, 1, "CPU 0 asking for node 1 gets node 1 (%s)", p.dev);
	p = run(1, 1);
	is(p.dev_node, 1, "CPU 1 asking for node 1 gets node 1 (%s)", p.dev);

	/* Fill node 0 (2 queues), then CPU 1 spills to its own node's device. */
	ok(lw_request(&held[0], "crc32c", 0, WD_QUEUE_DIRECT) == 0 &&
	   lw_request(&held[1], "crc32c", 0, WD_QUEUE_DIRECT) == 0 &&
	   held[0].dev_node == 0 && held[1].dev_node == 0, "take both node-0 queues");
	p = run(1, WD_NODE_ANY);
	ok(p.r == 0 && p.dev_node == 1, "node 0 full: CPU 1 spills to node 1 (%s)", p.dev);
	wd_release_queue(&held[0]);
	wd_release_queue(&held[1]);
	is(lw_avail_total(), avail0, "available_instances restored");
	vm_unload_modules();
	return exit_status();
}
