// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Revoke while the owner is mid-request: the opener (broker) revokes a
 * queue its child owns while the child keeps submitting to the rings and
 * sleeps in poll() on a stalled engine. The owner must survive: poll wakes
 * with POLLERR|POLLHUP, its mappings read as zero, writing to them does
 * not crash it, every call fails with ENODEV. The instance is back at once.
 */
#include <sys/stat.h>

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

/*
 * Another process of the opener's user may revoke, without capabilities: a
 * broker restarted by systemd adopts its queues from the fd store and must
 * be able to revoke them. (A client of another user may not: see
 * test-uacce-owner.) The node is opened up to uid 65534 for the test.
 */
static void check_revoke_same_user(void)
{
	struct stat st;
	pid_t pid;

	if (!ok(stat(ut_node, &st) == 0 && chmod(ut_node, 0666) == 0,
		"let uid 65534 open %s for this check", ut_node)) {
		skip(1, "no access for uid 65534");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fd;
		pid_t p;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		fd = ut_open();
		if (fd < 0)
			_exit(11);
		p = fork();
		if (p == 0)	/* not the opener, same user, no capabilities */
			_exit(ut_ioctl(fd, UACCE_CMD_REVOKE, 0) == 0 ? 0 : 12);
		if (ut_wait(p) != 0)
			_exit(13);
		_exit(ut_qstate(fd) == UACCE_QSTATE_DEAD ? 0 : 14);
	}
	is(ut_wait(pid), 0, "uid 65534 revokes, from another process, a queue it opened");
	chmod(ut_node, st.st_mode & 07777);
}

int main(void)
{
	long initial;

	ut_setup(NULL);
	initial = ut_avail();
	check_revoke_busy();
	check_revoke_same_user();
	check_revoke_admin();
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
