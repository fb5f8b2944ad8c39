// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Revoke while the owner is mid-request: the opener (broker) revokes a
 * queue its child owns while the child keeps submitting to the rings and
 * sleeps in poll() on a stalled engine. The owner must survive: poll wakes
 * with POLLERR|POLLHUP, its mappings read as zero, writing to them does
 * not crash it, every call fails with ENODEV. The instance is back at once.
 */
#include "vm/test-uacce-common.h"

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
		_exit(ut_busy_owner(fd, pv[1], 30));
	}
	close(pv[1]);
	ok(read(pv[0], &c, 1) == 1, "the owner started and is submitting");
	/* Stall the engine so a request is in flight when the queue dies. */
	have_stall = ut_knob("stall", "1") == 0;
	if (!have_stall)
		diag("no wdsoft stall knob: revoking a running queue instead");
	usleep(300 * 1000);

	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), 0, "the opener revokes the busy queue");
	is(ut_avail(), initial, "the instance is back right after revoke, while the owner still holds the fd");
	is(ut_qstate(fd), UACCE_QSTATE_DEAD, "the queue is DEAD");
	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), -ENODEV, "a second revoke fails with ENODEV");
	if (have_stall)
		ut_knob("stall", "0");
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
	initial = ut_avail();
	check_revoke_busy();
	check_revoke_admin();
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
