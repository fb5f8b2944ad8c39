// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Removal with users: rmmod of the driver while 16 queues are open and
 * mapped, some started, one owned by a child busy in poll() with requests
 * in flight on a stalled engine. rmmod succeeds, every owner sees the queue
 * dead (zero mappings, ENODEV, POLLERR|POLLHUP) without crashing, uacce.ko
 * stays pinned until the last fd closes, then unloads; a reload starts
 * from a clean slate.
 */
#include "vm/test-uacce-common.h"

#define NQ 16

int main(void)
{
	size_t mmio_sz, dus_sz;
	int fds[NQ], pv[2], n, i, err, bad;
	volatile struct wdsoft_mmio *mmio[NQ];
	uint8_t *dus[NQ];
	struct pollfd pfd;
	long initial;
	char c, dev[256];
	pid_t pid;

	ut_setup("queues=16");
	if (ut_own_modules == false)
		plan_skip_all("needs to unload the driver itself (UACCE_TEST_DEV is set)");
	initial = ut_avail();
	mmio_sz = ut_region_size(UACCE_QFRT_MMIO);
	dus_sz = ut_region_size(UACCE_QFRT_DUS);
	snprintf(dev, sizeof(dev), "%s", ut_dev);
	if (initial < NQ)
		bail_out("%s has %ld instances, need %d", ut_dev, initial, NQ);

	/* Queue 0 goes to a busy child; 1..15 stay here, started or not. */
	if (pipe2(pv, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	for (n = 0; n < NQ; n++) {
		fds[n] = ut_open();
		if (fds[n] < 0)
			break;
	}
	is(n, NQ, "open %d queues", NQ);
	if (n < NQ)
		bail_out("cannot open %d queues", NQ);
	pid = fork();
	if (pid == 0) {
		close(pv[0]);
		_exit(ut_busy_owner(fds[0], pv[1], 120));
	}
	close(pv[1]);
	ok(read(pv[0], &c, 1) == 1, "a child is busy on queue 0");

	bad = 0;
	for (i = 1; i < NQ; i++) {
		if (i % 2 && ut_ioctl(fds[i], UACCE_CMD_START_Q, 0))
			bad++;
		mmio[i] = ut_map(fds[i], UACCE_QFRT_MMIO, mmio_sz, &err);
		dus[i] = ut_map(fds[i], UACCE_QFRT_DUS, dus_sz, &err);
		if (!mmio[i] || !dus[i] || mmio[i]->magic != WDSOFT_MAGIC)
			bad++;
		else if (i % 2)
			ut_submit_nop(fds[i], mmio[i], dus[i], i);
	}
	is(bad, 0, "15 more queues mapped here, every other one started with a request queued");
	is(ut_avail(), initial - NQ, "all %d instances are taken", NQ);
	ok(ut_knob("stall", "1") == 0, "engine stalled: requests stay in flight");

	is(vm_system("rmmod wdsoft"), 0, "rmmod wdsoft succeeds with 16 open, mapped, busy queues");
	ok(!vm_module_loaded("wdsoft"), "wdsoft is gone");
	ok(access("/sys/class/uacce", F_OK) == 0 && ut_find_dev("wdsoft_v1", dev, sizeof(dev)) < 0,
	   "its uacce devices are gone from sysfs");
	is(ut_wait(pid), 0, "the busy owner survived and saw the dead-queue contract");

	bad = 0;
	for (i = 1; i < NQ; i++) {
		if (mmio[i]->magic != 0 || dus[i][0] != 0)
			bad |= 1;
		mmio[i]->sq_tail = 1;	/* must not crash */
		if (ut_ioctl(fds[i], UACCE_CMD_START_Q, 0) != -ENODEV)
			bad |= 2;
		pfd = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(&pfd, 1, 0) != 1 || (pfd.revents & (POLLERR | POLLHUP)) != (POLLERR | POLLHUP))
			bad |= 4;
		if (ut_qstate(fds[i]) != UACCE_QSTATE_DEAD)
			bad |= 8;
	}
	is(bad, 0, "every queue here is dead: zero pages, ENODEV, POLLERR|POLLHUP");
	ok(vm_system("rmmod uacce 2>/dev/null") != 0 && vm_module_loaded("uacce"),
	   "uacce.ko stays loaded while dead queues are open");

	for (i = 1; i < NQ; i++) {
		munmap((void *)mmio[i], mmio_sz);
		munmap(dus[i], dus_sz);
	}
	for (i = 0; i < NQ; i++)
		close(fds[i]);
	close(pv[0]);
	is(vm_system("rmmod uacce"), 0, "uacce.ko unloads once the last fd is closed");

	ut_setup("queues=16");
	is(ut_avail(), initial, "after a reload available_instances is %ld again", initial);
	ut_teardown();
	return exit_status();
}
