// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft stop paths: an owner killed (or exiting) with requests in flight
 * leaves no trace (instances come back, the device keeps working, the kernel
 * logs nothing); PUT_Q completes what was still in the ring with
 * -ESHUTDOWN, and START_Q after it runs the same rings again; rmmod with a
 * started, mapped, busy queue is safe.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vm/soft-ring.h"

#define INFLIGHT 64

static char dev[64];
static long avail0;	/* free instances after loading */

/* Child: start a queue, fill the ring with slow requests, tell the parent. */
static void child_busy(int wfd, bool exit_normally)
{
	static unsigned char src[65536], dst[INFLIGHT][65536];
	struct soft_ring r;
	int i;

	if (soft_ring_open(&r, dev, false))
		_exit(2);
	for (i = 0; i < INFLIGHT; i++) {
		struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, src, sizeof(src),
					       dst[i], sizeof(dst[i]));

		s.cookie = i;
		if (soft_ring_queue(&r, &s))
			_exit(3);
	}
	soft_ring_doorbell(&r);
	if (write(wfd, "x", 1) != 1)
		_exit(4);
	if (exit_normally)
		_exit(0);	/* no close, no munmap: the kernel cleans up */
	for (;;)
		pause();
}

static void open_queue(struct soft_ring *r)
{
	int e = soft_ring_open(r, dev, false);

	if (e)
		bail_out("cannot open a queue on %s: %s", dev, strerror(-e));
}

/*
 * The owner of a busy queue is killed, or exits without closing anything:
 * its instance comes back and the device keeps working.
 */
static void owner_gone(bool killed)
{
	int fd, status;
	char c;
	pid_t pid;

	/* 20 ms per completion keeps the ring busy for over a second. */
	ok_errno(soft_debugfs_write(dev, "delay_us", "20000"), 0, "delay_us set");
	pid = child_fork_reporter(&fd);
	if (!pid)
		child_busy(fd, !killed);
	ok(read(fd, &c, 1) == 1, "child filled its ring with %d requests", INFLIGHT);
	close(fd);
	if (killed) {
		soft_sleep_ms(100);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	if (killed)
		ok(WIFSIGNALED(status), "owner killed with requests in flight");
	else
		ok(WIFEXITED(status) && !WEXITSTATUS(status), "owner exited with requests in flight");
	is(soft_wait_instances(dev, avail0, 10000), avail0, "its instance comes back");
	ok_errno(soft_debugfs_write(dev, "delay_us", "0"), 0, "delay_us cleared");
	ok_errno(soft_memcpy_check(dev, 4096, 5), 0, "the device still works");
}

/* PUT_Q with descriptors still in the ring: -ESHUTDOWN each, in order. */
static void put_q_ring(void)
{
	static unsigned char a[4096], b[4096];
	struct soft_ring r;
	struct wdsoft_cqe cqe;
	int n = 0, shut = 0;

	open_queue(&r);
	ok_errno(soft_debugfs_write(dev, "stall", "1"), 0, "engine stalled");
	for (int i = 0; i < 5; i++) {
		struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, 4096, b, 4096);

		s.cookie = 1000 + i;
		soft_ring_submit(&r, &s);
	}
	ok(ioctl(r.fd, UACCE_CMD_PUT_Q) == 0, "PUT_Q with 5 requests in the ring");
	while (soft_ring_peek(&r, &cqe)) {
		if (cqe.status == -ESHUTDOWN && cqe.cookie == (uint64_t)(1000 + n))
			shut++;
		n++;
	}
	is(shut, 5, "all 5 completed with -ESHUTDOWN, in order");
	ok(!(r.mmio->status & WDSOFT_STATUS_RUNNING), "status no longer RUNNING");
	ok_errno(soft_debugfs_write(dev, "stall", "0"), 0, "engine resumed");

	/* Restart on the same mappings: the rings carry on where they were. */
	ok(ioctl(r.fd, UACCE_CMD_START_Q) == 0, "START_Q after PUT_Q");
	ok(r.mmio->status & WDSOFT_STATUS_RUNNING, "status RUNNING again");
	memset(a, 0x5a, sizeof(a));
	memset(b, 0, sizeof(b));
	{
		struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, 4096, b, 4096);

		ok(soft_ring_run(&r, &s, &cqe) == 0 && cqe.status == 0 &&
		   !memcmp(a, b, sizeof(a)),
		   "the restarted queue copies 4 KiB (status %d)", cqe.status);
	}
	soft_ring_close(&r);
	is(soft_wait_instances(dev, avail0, 10000), avail0, "instance back at close");
}

/* PUT_Q in the middle of a long descriptor: it gives up, -ESHUTDOWN. */
static void put_q_long(void)
{
	size_t big = 256UL << 20;
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe s;
	struct soft_ring r;
	unsigned char *src, *dst;
	long t0, t;

	src = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	open_queue(&r);
	s = soft_sqe(WDSOFT_OP_MEMCPY, src, big, dst, big);
	s.cookie = 4242;
	soft_ring_submit(&r, &s);
	soft_sleep_ms(20);
	t0 = soft_now_ms();
	ok(ioctl(r.fd, UACCE_CMD_PUT_Q) == 0, "PUT_Q during a 256 MiB memcpy");
	t = soft_now_ms() - t0;
	ok(soft_ring_peek(&r, &cqe) && cqe.cookie == 4242 && cqe.status == -ESHUTDOWN,
	   "the long request gave up with -ESHUTDOWN (status %d, PUT_Q took %ld ms)",
	   cqe.status, t);
	soft_ring_close(&r);
	munmap(src, big);
	munmap(dst, big);
	is(soft_wait_instances(dev, avail0, 10000), avail0, "instance back");
}

/* rmmod with a started, mapped queue whose engine is busy. */
static void rmmod_busy(void)
{
	static unsigned char a[1 << 20], b[1 << 20];
	struct soft_ring r;

	open_queue(&r);
	ok_errno(soft_debugfs_write(dev, "delay_us", "10000"), 0, "delay_us set");
	for (int i = 0; i < 16; i++) {
		struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));

		soft_ring_submit(&r, &s);
	}
	ok(vm_system("rmmod wdsoft") == 0, "rmmod wdsoft with a busy, mapped queue");
	ok(r.mmio->magic != WDSOFT_MAGIC, "the owner's MMIO mapping now reads as dead");
	ok(ioctl(r.fd, WDSOFT_CMD_WAKE) < 0 && errno == ENODEV, "later calls fail with ENODEV");
	soft_ring_close(&r);
}

int main(void)
{
	soft_setup("num_devices=1", dev, sizeof(dev));
	avail0 = soft_attr(dev, "available_instances");
	owner_gone(true);
	owner_gone(false);
	put_q_ring();
	put_q_long();
	rmmod_busy();
	ok_errno(vm_unload_modules(), 0, "uacce unloads too");
	return exit_status();
}
