// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Owner binding: a queue belongs to the address space that starts it.
 * - A "broker" opens a queue and passes it with SCM_RIGHTS to a client;
 *   the client starts and uses it, the broker then gets EPERM on the data
 *   path, and the client (not the opener, without CAP_SYS_ADMIN) cannot
 *   revoke it.
 * - A forked child of the owner gets EPERM and has no copy of the mappings.
 * - Across exec a queue without O_CLOEXEC is refused to the new image, one
 *   with O_CLOEXEC is closed.
 */
#include <sys/socket.h>

#include "vm/test-uacce-common.h"

#define WDSOFT_CMD_WAKE_NR 0x40

/* Each data-path call from a foreign mm must fail with EPERM. */
static int foreign_checks(int fd, bool verbose)
{
	size_t mmio = ut_region_size(UACCE_QFRT_MMIO);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int bad = 0, err;
	void *p;

	p = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	if (p)
		munmap(p, mmio);
	bad += err != -EPERM;
	if (verbose)
		ok_errno(err, -EPERM, "foreign mmap fails with EPERM");
	err = ut_ioctl(fd, UACCE_CMD_START_Q, 0);
	bad += err != -EPERM;
	if (verbose)
		ok_errno(err, -EPERM, "foreign START_Q fails with EPERM");
	err = ut_ioctl(fd, _IO('W', WDSOFT_CMD_WAKE_NR), 0);
	bad += err != -EPERM;
	if (verbose)
		ok_errno(err, -EPERM, "foreign driver command fails with EPERM");
	err = ut_ioctl(fd, UACCE_CMD_PUT_Q, 0);
	bad += err != -EPERM;
	if (verbose)
		ok_errno(err, -EPERM, "foreign PUT_Q fails with EPERM");
	err = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) && !(pfd.revents & POLLIN);
	bad += !err;
	if (verbose)
		ok(err, "foreign poll reports POLLERR (revents %#x)", pfd.revents);
	err = ut_qstate(fd);
	bad += err != UACCE_QSTATE_STARTED;
	if (verbose)
		is(err, UACCE_QSTATE_STARTED, "QINFO still works from a foreign mm and shows STARTED");
	return bad;
}

static int send_fd(int sock, int fd)
{
	char c = 'q';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {0};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1 || (msg.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void sync_wait(int sock)
{
	char c;

	if (read(sock, &c, 1) != 1)
		_exit(90);
}

static void sync_post(int sock)
{
	if (write(sock, "s", 1) != 1)
		_exit(91);
}

/* Client: exit status is a bit mask of failed checks. */
static int client(int sock)
{
	size_t mmio = ut_region_size(UACCE_QFRT_MMIO);
	volatile uint32_t *p;
	int fd, err, bad = 0;

	fd = recv_fd(sock);
	if (fd < 0)
		return 1;
	if (ut_ioctl(fd, UACCE_CMD_START_Q, 0))
		bad |= 2;
	p = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	if (!p)
		bad |= 4;
	sync_post(sock);	/* started: the broker tries its luck */
	sync_wait(sock);	/* broker done */
	if (p && p[0] == 0)
		bad |= 8;	/* the MMIO page has geometry; zero means dead */
	/* Not the opener; drop CAP_SYS_ADMIN by leaving root. */
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		bad |= 16;
	else if (ut_ioctl(fd, UACCE_CMD_REVOKE, 0) != -EPERM)
		bad |= 32;
	if (ut_qstate(fd) != UACCE_QSTATE_STARTED)
		bad |= 64;
	return bad;
}

static void check_scm_rights(void)
{
	int sv[2], fd;
	pid_t pid;
	int st;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		bail_out("socketpair: %s", strerror(errno));
	/* Fork first: the client must get the queue only through the socket. */
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(client(sv[1]));
	}
	close(sv[1]);
	fd = ut_open();
	ok(fd >= 0, "broker opens a queue");
	ok_errno(send_fd(sv[0], fd), 0, "broker passes it with SCM_RIGHTS");
	sync_wait(sv[0]);
	is(ut_qstate(fd), UACCE_QSTATE_STARTED, "the client started it");
	ok(foreign_checks(fd, true) == 0, "broker is foreign to the client's queue");
	sync_post(sv[0]);
	st = ut_wait(pid);
	is(st, 0, "client used the queue, and as neither opener nor admin could not revoke it (status bits %#x)", st);
	close(sv[0]);
	close(fd);
}

static void check_fork(void)
{
	size_t mmio = ut_region_size(UACCE_QFRT_MMIO);
	unsigned char vec;
	void *p;
	pid_t pid;
	int fd, err;

	fd = ut_open();
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "owner starts a queue");
	p = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	ok_errno(err, 0, "owner maps MMIO");
	/* The owner cannot undo VM_DONTCOPY to hand the rings to a child. */
	ok(p && madvise(p, mmio, MADV_DOFORK) < 0 && errno == EINVAL,
	   "MADV_DOFORK on a queue region is refused (EINVAL)");
	pid = fork();
	if (pid == 0) {
		int bad = foreign_checks(fd, false);

		/* VM_DONTCOPY: the child has nothing at the owner's address. */
		if (mincore(p, mmio, &vec) == 0 || errno != ENOMEM)
			bad |= 0x40;
		_exit(bad);
	}
	is(ut_wait(pid), 0, "a forked child gets EPERM everywhere and has no copy of the mapping");
	ok(p && *(volatile uint32_t *)p != 0, "the owner's mapping still works after the child is gone");
	ok_errno(ut_ioctl(fd, UACCE_CMD_PUT_Q, 0), 0, "the owner can still PUT_Q");
	if (p)
		munmap(p, mmio);
	close(fd);
}

/* After exec: argv[2] the inherited started queue, argv[3] a cloexec one. */
static int after_exec(char **argv)
{
	int fd = atoi(argv[2]), cloexec_fd = atoi(argv[3]);
	int bad = 0;

	if (!ut_node[0])
		return 0x80;
	bad = foreign_checks(fd, false);
	if (fcntl(cloexec_fd, F_GETFD) != -1 || errno != EBADF)
		bad |= 0x40;
	return bad;
}

static void check_exec(const char *self)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		char a[16], b[16];
		int fd = open(ut_node, O_RDWR);	/* no O_CLOEXEC */
		int cfd = ut_open();

		if (fd < 0 || cfd < 0 || ut_ioctl(fd, UACCE_CMD_START_Q, 0) ||
		    ut_ioctl(cfd, UACCE_CMD_START_Q, 0))
			_exit(0x7f);
		snprintf(a, sizeof(a), "%d", fd);
		snprintf(b, sizeof(b), "%d", cfd);
		setenv("UACCE_TEST_DEV", ut_dev, 1);
		execl(self, self, "--after-exec", a, b, (char *)NULL);
		_exit(0x7e);
	}
	st = ut_wait(pid);
	is(st, 0, "after exec the inherited queue is foreign (EPERM) and the O_CLOEXEC one is closed (status %#x)", st);
}

int main(int argc, char **argv)
{
	long initial;

	if (argc == 4 && !strcmp(argv[1], "--after-exec")) {
		const char *dev = getenv("UACCE_TEST_DEV");

		if (dev)
			ut_use(dev);
		return after_exec(argv);
	}

	ut_setup(NULL);
	initial = ut_avail();
	check_scm_rights();
	check_fork();
	check_exec("/proc/self/exe");
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
