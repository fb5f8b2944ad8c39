// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft fault injection and statistics: fail_next gives -EIO for exactly
 * N requests, delay_us delays completions (the descriptor's pages stay
 * pinned until then: pages_held), stall stops the engine (status
 * STALLED) until cleared, hw_error drives uacce isolation; the debugfs
 * counters follow requests, bytes and errors.
 */
#include "tap.h"
#include "vm/soft-ring.h"

static char dev[64];

static int run(struct soft_ring *r, struct wdsoft_sqe sqe,
	       struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

static int queue_line_requests(void)
{
	char path[256], line[256];
	long long q, eng, req = -1, bytes, errs, ns;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/queues", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%lld %lld %lld %lld %lld %lld", &q, &eng, &req,
			   &bytes, &errs, &ns) == 6)
			break;
	fclose(f);
	return (int)req;
}

int main(void)
{
	static unsigned char a[8192], b[8192];
	long long req0, bytes0, err0, busy0;
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	long t0, t, held;
	int e, i, eio;

	soft_setup_ring("num_devices=1", dev, sizeof(dev), &r);
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));

	/* Statistics. */
	req0 = soft_stat(dev, "requests");
	bytes0 = soft_stat(dev, "bytes");
	err0 = soft_stat(dev, "errors");
	busy0 = soft_stat(dev, "busy_ns");
	ok(req0 == 0 && bytes0 == 0 && err0 == 0 && busy0 == 0,
	   "fresh device: all counters zero");
	for (i = 0; i < 10; i++)
		run(&r, sqe, &cqe);
	run(&r, soft_sqe(WDSOFT_OP_MEMCPY, (void *)8, 10, b, 10), &cqe);
	is(soft_stat(dev, "requests"), 11, "requests counts every completion");
	is(soft_stat(dev, "bytes"), 10 * sizeof(a), "bytes counts input consumed");
	is(soft_stat(dev, "errors"), 1, "errors counts the failed one");
	ok(soft_stat(dev, "busy_ns") > 0, "busy_ns grows");
	is(queue_line_requests(), 11, "the queue's own line counts the same");

	/* fail_next */
	ok_errno(soft_debugfs_write(dev, "fail_next", "3"), 0, "fail_next=3");
	eio = 0;
	for (i = 0; i < 5; i++)
		if (run(&r, sqe, &cqe) == -EIO)
			eio++;
	is(eio, 3, "exactly 3 of 5 requests fail with -EIO");
	is(soft_stat(dev, "errors"), 4, "and count as errors");

	/* delay_us */
	ok_errno(soft_debugfs_write(dev, "delay_us", "50000"), 0, "delay_us=50000");
	t0 = soft_now_ms();
	e = run(&r, sqe, &cqe);
	t = soft_now_ms() - t0;
	ok(e == 0 && t >= 50, "a completion takes %ld ms (>= 50)", t);

	/* The pages a descriptor touched stay pinned until it completes. */
	is(soft_live("wdsoft", "pages_held"), 0, "no page pinned between descriptors");
	ok_errno(soft_debugfs_write(dev, "delay_us", "100000"), 0, "delay_us=100000");
	sqe.cookie = 78;
	soft_ring_submit(&r, &sqe);
	/*
	 * Pins are taken one after another: look until all are (>= 4) or the
	 * completion came, never stopping at the first page seen.
	 */
	held = 0;
	while (held < 4 &&
	       __atomic_load_n(&r.hdr->cq_tail, __ATOMIC_ACQUIRE) == r.cq_head)
		held = soft_live("wdsoft", "pages_held");
	ok(held >= 4, "while its completion is delayed, the copy holds %ld pages (>= 4)",
	   held);
	ok(soft_ring_reap(&r, &cqe, 5000) == 0 && cqe.cookie == 78 && cqe.status == 0,
	   "it completes");
	is(soft_live("wdsoft", "pages_held"), 0, "and its pages are released with the completion");
	ok_errno(soft_debugfs_write(dev, "delay_us", "0"), 0, "delay_us=0");

	/* stall */
	ok_errno(soft_debugfs_write(dev, "stall", "1"), 0, "stall=1");
	for (i = 0; i < 200 && !(r.mmio->status & WDSOFT_STATUS_STALLED); i++)
		soft_sleep_ms(10);
	ok(r.mmio->status & WDSOFT_STATUS_STALLED, "status shows STALLED");
	sqe.cookie = 77;
	soft_ring_submit(&r, &sqe);
	ok(soft_ring_reap(&r, &cqe, 300) == -ETIMEDOUT, "no completion while stalled");
	ok_errno(soft_debugfs_write(dev, "stall", "0"), 0, "stall=0");
	ok(soft_ring_reap(&r, &cqe, 5000) == 0 && cqe.cookie == 77 && cqe.status == 0,
	   "the stalled request completes after the stall ends");
	ok(!(r.mmio->status & WDSOFT_STATUS_STALLED), "STALLED cleared");

	/* hw_error -> isolation */
	is(soft_attr(dev, "isolate"), 0, "not isolated");
	ok(vm_system("echo 2 > /sys/class/uacce/%s/isolate_strategy", dev) == 0,
	   "isolate_strategy=2");
	ok_errno(soft_debugfs_write(dev, "hw_error", "2"), 0, "2 hardware errors");
	is(soft_attr(dev, "isolate"), 0, "2 errors: not yet isolated");
	ok_errno(soft_debugfs_write(dev, "hw_error", "1"), 0, "a third one");
	is(soft_attr(dev, "isolate"), 1, "3 errors > 2: isolated");
	{
		struct soft_ring r2;

		e = soft_ring_open(&r2, dev, false);
		ok(e < 0, "no new queue on an isolated device (%s)", strerror(-e));
		if (!e)
			soft_ring_close(&r2);
	}
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0), &cqe), 0,
		 "an existing queue keeps working");
	ok(vm_system("echo 0 > /sys/class/uacce/%s/isolate_strategy", dev) == 0 &&
	   soft_attr(dev, "isolate") == 0, "a new strategy lifts the isolation");
	ok(soft_debugfs_write(dev, "hw_error", "x") == -EINVAL, "hw_error rejects junk");

	soft_ring_close(&r);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
