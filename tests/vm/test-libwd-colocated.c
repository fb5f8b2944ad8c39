// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A submitter on its engine's own CPU does not starve it (issue 16). One
 * wdsoft device on node 0 (one CPU, so its engine runs there, polling), and
 * this process pinned to that CPU: a wd_send -> wd_recv polling loop and
 * wd_recv_sync both complete every request, and the loop sees a completion
 * after a handful of empty looks, not after the thousands of rounds a
 * spinning caller makes before the scheduler preempts it. Judged by the
 * count of -EAGAIN answers per request and the engine's yields counter in
 * debugfs, never by time. The same loop on the other CPU is the control:
 * libwd's yield is what makes the difference there is none to make.
 */
#include "vm/test-libwd-vm.h"
#include "vm/soft-ring.h"

#define OPS	500

/* OPS send -> wd_recv polling cycles; the -EAGAIN answers, or -1. */
static long poll_loop(struct wd_queue *q, struct wd_msg *m)
{
	long again = 0;

	for (int i = 0; i < OPS; i++) {
		void *done;
		int r = wd_send(q, m);

		if (r)
			return -1;
		while ((r = wd_recv(q, &done)) == -EAGAIN)
			again++;
		if (r != 1 || done != m || m->status)
			return -1;
	}
	return again;
}

int main(void)
{
	static uint8_t a[4096], b[4096];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = sizeof(a),
			    .dst = b, .dst_len = sizeof(b) };
	unsigned long y0 = 0, y1 = 0;
	struct wd_queue q;
	int cpu, r, bad = 0, ecpu = -1;
	long again;

	lw_setup("num_devices=1 nodes=0 idle_us=100000000");	/* never parks */
	cpu = lw_node_cpu(0);
	if (cpu < 0 || lw_node_cpu(1) < 0)
		bail_out("needs NUMA nodes 0 and 1 with a CPU each (tools/wdvm --numa 2)");
	if (lw_pin_cpu(cpu))
		bail_out("cannot run on CPU %d", cpu);
	if (lw_request(&q, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT))
		bail_out("no memcpy queue: %s", wd_queue_errmsg(&q));
	memset(a, 0x5a, sizeof(a));
	ok_errno(lw_run(&q, &m), 0, "first request completes (queue started, engine polling)");
	r = soft_engine_cpu(q.dev_name, 0, &ecpu, &y0);
	ok(r == 0 && ecpu == cpu, "the engine runs on CPU %d, ours (debugfs says %d)", cpu, ecpu);

	again = poll_loop(&q, &m);
	ok(again >= 0, "%d send -> wd_recv polling cycles on the engine's CPU complete", OPS);
	/*
	 * A caller spinning on the engine's CPU looks thousands of times per
	 * request (the control below, on the other CPU, looks ~10^4 times
	 * while the engine works); one that yields, a few: 3 on 6.1's CFS,
	 * 33 on 6.12's EEVDF.
	 */
	ok(again >= 0 && again <= 256L * OPS,
	   "a completion came after %.1f empty looks per request on average (at most 256)",
	   (double)again / OPS);
	for (int i = 0; i < OPS; i++)
		bad += lw_run(&q, &m) != 0;
	is(bad, 0, "%d wd_recv_sync round trips on the engine's CPU complete", OPS);
	r = soft_engine_cpu(q.dev_name, 0, &ecpu, &y1);
	ok(r == 0 && y1 > y0, "the polling engine yielded its CPU to us (%lu times)", y1 - y0);
	diag("report: colocated: %.2f empty wd_recv per request, %lu engine yields in %d requests",
	     (double)again / OPS, y1 - y0, 2 * OPS);

	if (lw_pin_cpu(lw_node_cpu(1)))
		bail_out("cannot run on node 1's CPU");
	again = poll_loop(&q, &m);
	ok(again >= 0, "control: the same loop on the other CPU completes (%.1f empty looks per request)",
	   again >= 0 ? (double)again / OPS : -1.0);
	wd_release_queue(&q);
	vm_unload_modules();
	return exit_status();
}
