// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft idle parking and wake-up (the io_uring SQPOLL pattern): an idle
 * engine parks and sets NEED_WAKEUP; a doorbell alone then gets no
 * service, WDSOFT_CMD_WAKE does; a busy stream needs no wake-up calls; and
 * poll(2) is woken by a completion only when the interrupt was armed.
 */
#include <sched.h>
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

static char dev[64];

static int engine_parked(void)
{
	char path[256], line[256];
	int idx, pid, nq, parked = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d %d %d", &idx, &pid, &nq, &parked) == 4)
			break;
	fclose(f);
	return parked;
}

static bool wait_status(struct soft_ring *r, uint32_t bit, bool set, long ms)
{
	long end = soft_now_ms() + ms;

	do {
		bool now = __atomic_load_n(&r->mmio->status, __ATOMIC_ACQUIRE) & bit;

		if (now == set)
			return true;
		soft_sleep_ms(5);
	} while (soft_now_ms() < end);
	return false;
}

int main(void)
{
	static unsigned char a[4096], b[4096];
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	unsigned int wakes;
	struct pollfd p;
	long t0, t;
	int e, i, done;

	soft_setup_ring("num_devices=1 idle_us=1000", dev, sizeof(dev), &r);

	ok(wait_status(&r, WDSOFT_STATUS_NEED_WAKEUP, true, 5000),
	   "an idle engine sets NEED_WAKEUP");
	is(engine_parked(), 1, "debugfs shows the engine parked");
	ok(r.mmio->status & WDSOFT_STATUS_RUNNING, "the queue is still RUNNING");

	/* Doorbell without the wake-up call: a parked engine must not see it. */
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
	sqe.cookie = 7;
	soft_fill(a, sizeof(a), false, 1);
	soft_ring_queue(&r, &sqe);
	__atomic_store_n(&r.mmio->sq_tail, r.sq_tail, __ATOMIC_RELEASE);
	soft_sleep_ms(300);
	ok(!soft_ring_peek(&r, &cqe), "no completion while parked and not woken");
	ok(ioctl(r.fd, WDSOFT_CMD_WAKE) == 0, "WDSOFT_CMD_WAKE");
	e = soft_ring_reap(&r, &cqe, 5000);
	ok(e == 0 && cqe.cookie == 7 && cqe.status == 0 && !memcmp(a, b, sizeof(a)),
	   "the woken engine completes the request");

	/* After going idle again, the normal doorbell path wakes it itself. */
	ok(wait_status(&r, WDSOFT_STATUS_NEED_WAKEUP, true, 5000), "parks again");
	wakes = r.wakes;
	soft_fill(a, sizeof(a), false, 2);
	e = soft_ring_run(&r, &sqe, &cqe);
	ok(e == 0 && cqe.status == 0 && !memcmp(a, b, sizeof(a)) && r.wakes == wakes + 1,
	   "doorbell sees NEED_WAKEUP, wakes once, request completes");

	/*
	 * A continuous stream reaped by spinning, no system call: with an
	 * idle period longer than the gaps, the engine stays awake, so
	 * almost no doorbell needs a wake-up (a parking engine would need
	 * 2000; a few are allowed for a VM whose vCPUs the host starves for
	 * longer than the idle period). Run on the CPU the engine (node 0)
	 * does not use, when there is one, so both make progress.
	 */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	ok(vm_system("echo 500000 > /sys/module/wdsoft/parameters/idle_us") == 0,
	   "idle_us raised to 500 ms at run time");
	wakes = r.wakes;
	done = 0;
	for (i = 0; i < 2000; i++) {
		long end = soft_now_ms() + 5000;

		sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
		sqe.cookie = i;
		soft_ring_submit(&r, &sqe);
		while (!soft_ring_peek(&r, &cqe) && soft_now_ms() < end)
			;
		if (cqe.cookie == (uint64_t)i && cqe.status == 0)
			done++;
	}
	is(done, 2000, "2000 back-to-back requests complete, reaped by spinning");
	ok(r.wakes - wakes < 20, "with %u wake-up calls", r.wakes - wakes);
	vm_system("echo 1000 > /sys/module/wdsoft/parameters/idle_us");

	/* Interrupts: poll sleeps until the completion only when armed. */
	ok_errno(soft_debugfs_write(dev, "delay_us", "100000"), 0, "delay 100 ms");
	__atomic_store_n(&r.mmio->irq_armed, 0, __ATOMIC_RELAXED);
	sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
	soft_ring_submit(&r, &sqe);
	p = (struct pollfd){ .fd = r.fd, .events = POLLIN };
	t0 = soft_now_ms();
	e = poll(&p, 1, 1500);
	t = soft_now_ms() - t0;
	/* poll re-checks once at its timeout, so it may then report POLLIN. */
	ok(e >= 0 && t >= 1400, "unarmed: poll is not woken by the completion (%d after %ld ms)", e, t);
	ok(soft_ring_peek(&r, &cqe) && cqe.status == 0, "yet the completion is there");

	sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
	soft_ring_submit(&r, &sqe);
	__atomic_store_n(&r.mmio->irq_armed, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t0 = soft_now_ms();
	e = poll(&p, 1, 5000);
	t = soft_now_ms() - t0;
	ok(e == 1 && (p.revents & POLLIN) && t < 4000,
	   "armed: poll wakes with POLLIN after %ld ms", t);
	ok(soft_ring_peek(&r, &cqe) && cqe.status == 0 &&
	   __atomic_load_n(&r.mmio->irq_armed, __ATOMIC_RELAXED) == 0,
	   "completion there, irq_armed consumed");
	soft_debugfs_write(dev, "delay_us", "0");

	ok(ioctl(r.fd, _IO('W', UACCE_CMD_DRIVER_BASE + 9)) < 0 && errno == ENOTTY,
	   "unknown driver command: ENOTTY");
	soft_ring_close(&r);
	{
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s", dev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		ok(fd >= 0 && ioctl(fd, WDSOFT_CMD_WAKE) < 0 && errno == EINVAL,
		   "WDSOFT_CMD_WAKE before START_Q: EINVAL");
		if (fd >= 0)
			close(fd);
	}
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
