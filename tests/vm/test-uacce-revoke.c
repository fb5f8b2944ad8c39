// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Revoke while the owner is mid-request: the opener (broker) revokes a
 * queue its child owns while the child keeps submitting to the rings and
 * sleeps in poll() on a stalled engine. The owner must survive: poll wakes
 * with POLLERR|POLLHUP, its mappings read as zero, writing to them does
 * not crash it, every call fails with ENODEV. The instance is back at once.
 */
#include <stdatomic.h>
#include <time.h>

#include <misc/uacce/wdsoft.h>

#include "vm/test-uacce-common.h"

static char stall_path[512];

static int stall(bool on)
{
	int fd = open(stall_path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Submit one NOP following wdsoft.h; returns false if the SQ is full. */
static bool submit_nop(int fd, volatile struct wdsoft_mmio *mmio, uint8_t *dus,
		       uint64_t cookie)
{
	volatile struct wdsoft_dus_hdr *hdr = (void *)dus;
	struct wdsoft_sqe *sq = (void *)(dus + mmio->sq_offset);
	uint32_t entries = mmio->sq_entries, tail = mmio->sq_tail;
	uint32_t head = __atomic_load_n(&hdr->sq_head, __ATOMIC_ACQUIRE);

	if (!entries || tail - head >= entries)
		return false;
	memset(&sq[tail & (entries - 1)], 0, sizeof(*sq));
	sq[tail & (entries - 1)].op = WDSOFT_OP_NOP;
	sq[tail & (entries - 1)].cookie = cookie;
	/* Pairs with the engine's load-acquire of sq_tail. */
	__atomic_store_n(&mmio->sq_tail, tail + 1, __ATOMIC_RELEASE);
	atomic_thread_fence(memory_order_seq_cst);
	if (__atomic_load_n(&mmio->status, __ATOMIC_ACQUIRE) & WDSOFT_STATUS_NEED_WAKEUP)
		ioctl(fd, WDSOFT_CMD_WAKE, 0);
	return true;
}

/* Owner: exit status is a bit mask of failed checks. */
static int owner(int fd, int ready)
{
	size_t mmio_sz = ut_region_size(UACCE_QFRT_MMIO);
	size_t dus_sz = ut_region_size(UACCE_QFRT_DUS);
	volatile struct wdsoft_mmio *mmio;
	volatile struct wdsoft_dus_hdr *hdr;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t cookie = 0;
	bool told = false, dead = false;
	double start = now();
	uint8_t *dus;
	int bad = 0, err;

	if (ut_ioctl(fd, UACCE_CMD_START_Q, 0))
		return 1;
	mmio = ut_map(fd, UACCE_QFRT_MMIO, mmio_sz, &err);
	dus = ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err);
	if (!mmio || !dus)
		return 2;
	hdr = (void *)dus;
	if (mmio->magic != WDSOFT_MAGIC)
		bad |= 4;

	while (now() - start < 30) {
		if (mmio->magic == WDSOFT_MAGIC)
			submit_nop(fd, mmio, dus, ++cookie);
		/* Consume whatever completed (cq_head is ours). */
		hdr->cq_head = __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE);
		mmio->irq_armed = 1;
		atomic_thread_fence(memory_order_seq_cst);
		if (!told) {
			told = write(ready, "r", 1) == 1;
			if (!told)
				bad |= 8;
		}
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) == 1 && (pfd.revents & (POLLERR | POLLHUP))) {
			dead = true;
			break;
		}
	}
	if (!dead)
		return bad | 0x10;
	if ((pfd.revents & (POLLERR | POLLHUP)) != (POLLERR | POLLHUP))
		bad |= 0x20;
	/* Dead page: zero, writable, private to this queue. */
	if (mmio->magic != 0 || mmio->sq_entries != 0 || hdr->sq_head != 0 || dus[dus_sz - 1] != 0)
		bad |= 0x40;
	mmio->sq_tail = 12345;
	dus[dus_sz - 1] = 1;
	if (ut_ioctl(fd, UACCE_CMD_START_Q, 0) != -ENODEV ||
	    ut_ioctl(fd, UACCE_CMD_PUT_Q, 0) != -ENODEV ||
	    ut_ioctl(fd, WDSOFT_CMD_WAKE, 0) != -ENODEV ||
	    ut_ioctl(fd, UACCE_CMD_REVOKE, 0) != -ENODEV)
		bad |= 0x80;
	munmap(dus, dus_sz);
	if (ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err) || err != -ENODEV)
		bad |= 0x100;
	if (ut_qstate(fd) != UACCE_QSTATE_DEAD)
		bad |= 0x200;
	return bad;
}

static void check_revoke_busy(void)
{
	long initial = ut_avail();
	int pv[2], fd, st, have_stall;
	char c;
	pid_t pid;

	fd = ut_open();
	if (!ok(fd >= 0, "broker opens a queue"))
		return;
	if (pipe2(pv, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(pv[0]);
		_exit(owner(fd, pv[1]));
	}
	close(pv[1]);
	ok(read(pv[0], &c, 1) == 1, "the owner started and is submitting");
	/* Stall the engine so a request is in flight when the queue dies. */
	have_stall = stall(true) == 0;
	if (!have_stall)
		diag("no stall knob at %s: revoking a running queue instead", stall_path);
	usleep(300 * 1000);

	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), 0, "the opener revokes the busy queue");
	is(ut_avail(), initial, "the instance is back right after revoke, while the owner still holds the fd");
	is(ut_qstate(fd), UACCE_QSTATE_DEAD, "the queue is DEAD");
	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), -ENODEV, "a second revoke fails with ENODEV");
	if (have_stall)
		stall(false);
	st = ut_wait(pid);
	is(st, 0, "the owner survived: woken with POLLERR|POLLHUP, zero mappings, ENODEV everywhere (status bits %#x)", st);
	close(pv[0]);
	close(fd);
	is(ut_avail(), initial, "available_instances unchanged by the last close");
}

/* CAP_SYS_ADMIN may revoke a queue it did not open. */
static void check_revoke_admin(void)
{
	pid_t pid;
	int fd = ut_open();

	ok(fd >= 0, "open a queue");
	pid = fork();
	if (pid == 0)
		_exit(ut_ioctl(fd, UACCE_CMD_REVOKE, 0) == 0 ? 0 : 1);
	is(ut_wait(pid), 0, "root (CAP_SYS_ADMIN) in another process revokes it");
	is(ut_qstate(fd), UACCE_QSTATE_DEAD, "and the opener sees it DEAD");
	close(fd);
}

int main(void)
{
	long initial;

	ut_setup(NULL);
	snprintf(stall_path, sizeof(stall_path), "/sys/kernel/debug/wdsoft/%s/stall", ut_dev);
	initial = ut_avail();
	check_revoke_busy();
	check_revoke_admin();
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
