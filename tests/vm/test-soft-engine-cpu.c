// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where the wdsoft engine runs (WDSOFT_FEAT_ENGINE_CPU in wdsoft.h): the
 * MMIO page announces the feature and carries the engine's CPU, the same
 * one debugfs shows, and none before the queue starts; the polling engine
 * gives its CPU to a task that wants it (its yields counter moves while we
 * hog that CPU); and an engine that may run on several CPUs keeps off the
 * CPU its queue's owner started the queue from, and runs anywhere again
 * when the owners cover every CPU.
 */
#include <sched.h>

#include "tap.h"
#include "vm/soft-ring.h"

/* The engine thread's allowed CPUs as a bit mask (CPUs 0..63). */
static unsigned long engine_mask(const char *dev)
{
	unsigned long m = 0;
	cpu_set_t set;
	int pid = -1;

	if (soft_engine_info(dev, 0, &pid, NULL, NULL) || sched_getaffinity(pid, sizeof(set), &set))
		return 0;
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &set))
			m |= 1UL << c;
	return m;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int memcpy_once(struct soft_ring *r)
{
	static unsigned char a[4096], b[4096];
	struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
	struct wdsoft_cqe cqe = { 0 };
	int e = soft_ring_run(r, &s, &cqe);

	return e ? e : cqe.status;
}

static void test_published(void)
{
	struct soft_ring r;
	unsigned long y0 = 0, y1 = 0;
	char dev[64];
	int cpu = -1, e;
	long n;

	/* One device on node 0, whose one CPU is the engine's; it never parks. */
	soft_setup("num_devices=1 nodes=0 idle_us=100000000", dev, sizeof(dev));
	if (soft_ring_open(&r, dev, false))
		bail_out("cannot open a queue on %s", dev);
	ok(r.mmio->features & WDSOFT_FEAT_ENGINE_CPU, "the MMIO page announces WDSOFT_FEAT_ENGINE_CPU");
	ok_errno(memcpy_once(&r), 0, "a memcpy runs");
	e = soft_engine_cpu(dev, 0, &cpu, &y0);
	ok(e == 0 && cpu == 0, "debugfs: the engine ran on CPU 0, node 0's (got %d)", cpu);
	is(*(volatile __u32 *)&r.mmio->engine_cpu, 0, "mmio->engine_cpu says CPU 0 too");
	is(*(volatile __u32 *)&r.mmio->status & (WDSOFT_STATUS_RUNNING | WDSOFT_STATUS_NEED_WAKEUP),
	   WDSOFT_STATUS_RUNNING, "status: running and polling, not parked");

	/*
	 * Hog the engine's CPU: the polling engine must give it up to us
	 * between its passes (it counts each time). We stop as soon as it has.
	 */
	if (pin(0))
		bail_out("cannot run on CPU 0");
	for (n = 0; n < 2000000000L; n++) {
		if (!(n & 0xffff) && !soft_engine_cpu(dev, 0, &cpu, &y1) && y1 > y0)
			break;
	}
	ok(y1 > y0, "the polling engine yielded its CPU to us (%lu times)", y1 - y0);
	diag("report: engine-yield: %lu yields while a task hogged the engine's CPU", y1 - y0);
	soft_ring_close(&r);
	vm_unload_modules();
}

static void test_placement(void)
{
	struct soft_ring r0, r1, q;
	char dev[64];
	unsigned long m;

	/* A device on no node: its engine may run on CPU 0 and 1. */
	soft_setup("num_devices=1 nodes=-1", dev, sizeof(dev));
	is(engine_mask(dev), 3, "no queue: the engine may run on CPUs 0 and 1");

	if (pin(1) || soft_ring_open(&r1, dev, false))
		bail_out("cannot open a queue from CPU 1");
	m = engine_mask(dev);
	is(m, 1, "owner started its queue on CPU 1: the engine keeps to CPU 0 (mask %#lx)", m);
	ok_errno(memcpy_once(&r1), 0, "the queue works");
	is(*(volatile __u32 *)&r1.mmio->engine_cpu, 0, "and says its engine ran on CPU 0");

	if (pin(0) || soft_ring_open(&r0, dev, false))
		bail_out("cannot open a queue from CPU 0");
	is(engine_mask(dev), 3, "owners on CPUs 0 and 1: the engine may run on both again");
	soft_ring_close(&r1);
	is(engine_mask(dev), 2, "owner on CPU 1 gone: the engine keeps off CPU 0, its last owner's");
	soft_ring_close(&r0);
	is(engine_mask(dev), 3, "no queue left: CPUs 0 and 1");
	vm_unload_modules();

	/* One CPU per node: nowhere else to go, the engine stays home. */
	soft_setup("num_devices=1 nodes=0", dev, sizeof(dev));
	if (pin(0) || soft_ring_open(&q, dev, false))
		bail_out("cannot open a queue from CPU 0");
	is(engine_mask(dev), 1, "node 0 has one CPU: the engine stays on it with its owner");
	soft_ring_close(&q);
	vm_unload_modules();
}

int main(void)
{
	vm_require();
	if (access("/sys/devices/system/node/node1", F_OK) || sysconf(_SC_NPROCESSORS_ONLN) != 2)
		bail_out("needs two NUMA nodes of one CPU each (tools/wdvm --numa 2 --cpus 2)");
	test_published();
	test_placement();
	return exit_status();
}
