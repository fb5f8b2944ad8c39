// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A driver command before START_Q: WDSOFT_CMD_SET_ENGINE chooses the engine
 * thread that serves a queue. uacce passes driver commands on in any state
 * but dead, as mainline does, and wdsoft decides: accepted before START_Q
 * and after PUT_Q (for the next start), EBUSY while started, EINVAL for an
 * engine the device lacks, EFAULT for a bad pointer, EPERM from another
 * address space once the queue is bound, ENODEV once it is revoked.
 */
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

static char dev[64];

/* Queues engine @engine serves now, or -1. */
static int engine_queues(unsigned int engine)
{
	int nq = -1;

	return soft_engine_info(dev, engine, NULL, &nq, NULL) ? -1 : nq;
}

static int set_engine(int fd, uint32_t engine)
{
	return ioctl(fd, WDSOFT_CMD_SET_ENGINE, &engine) ? -errno : 0;
}

static int open_queue(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		bail_out("open %s: %s", path, strerror(errno));
	return fd;
}

/* A copy through @r proves the engine serves the queue. */
static int copy_ok(struct soft_ring *r)
{
	static unsigned char a[4096], b[4096];
	struct wdsoft_sqe s = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
	struct wdsoft_cqe cqe = { 0 };

	memset(a, 0xa5, sizeof(a));
	memset(b, 0, sizeof(b));
	return !soft_ring_run(r, &s, &cqe) && !cqe.status && !memcmp(a, b, sizeof(a));
}

int main(void)
{
	struct soft_ring r;
	pid_t pid;
	int fd, status;

	soft_setup("num_devices=1 threads=2", dev, sizeof(dev));

	fd = open_queue();
	ok_errno(set_engine(fd, 1), 0, "SET_ENGINE 1 before START_Q is accepted");
	ok_errno(set_engine(fd, 2), -EINVAL, "SET_ENGINE 2 on a two-engine device: EINVAL");
	ok_errno(ioctl(fd, WDSOFT_CMD_SET_ENGINE, NULL) ? -errno : 0, -EFAULT,
		 "SET_ENGINE with a NULL pointer: EFAULT");
	ok_errno(soft_ring_adopt(&r, fd, dev, false, false, -1), 0, "START_Q and map");
	is(engine_queues(1), 1, "engine 1 serves the queue");
	is(engine_queues(0), 0, "engine 0 does not");
	ok(copy_ok(&r), "the queue runs a memcpy on engine 1");
	ok_errno(set_engine(r.fd, 0), -EBUSY, "SET_ENGINE while started: EBUSY");

	pid = fork();
	if (pid == 0)
		_exit(set_engine(r.fd, 0) == -EPERM ? 0 : 1);
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	   WEXITSTATUS(status) == 0,
	   "SET_ENGINE from another address space: EPERM (uacce's owner rule)");

	ok_errno(ioctl(r.fd, UACCE_CMD_PUT_Q) ? -errno : 0, 0, "PUT_Q");
	is(engine_queues(1), 0, "engine 1 let the queue go");
	ok_errno(set_engine(r.fd, 0), 0, "SET_ENGINE 0 after PUT_Q is accepted");
	ok_errno(ioctl(r.fd, UACCE_CMD_START_Q) ? -errno : 0, 0, "START_Q again");
	is(engine_queues(0), 1, "engine 0 serves the restarted queue");
	ok(copy_ok(&r), "and it runs a memcpy");

	ok_errno(ioctl(r.fd, UACCE_CMD_REVOKE) ? -errno : 0, 0, "REVOKE");
	ok_errno(set_engine(r.fd, 1), -ENODEV, "SET_ENGINE on a dead queue: ENODEV");
	is(engine_queues(0), 0, "no engine serves the dead queue");
	soft_ring_close(&r);

	/* The default comes back with WDSOFT_ENGINE_ANY. */
	fd = open_queue();
	ok_errno(set_engine(fd, 1), 0, "SET_ENGINE 1");
	ok_errno(set_engine(fd, WDSOFT_ENGINE_ANY), 0, "SET_ENGINE WDSOFT_ENGINE_ANY");
	ok_errno(soft_ring_adopt(&r, fd, dev, false, false, -1), 0, "START_Q and map");
	is(engine_queues(0), 1, "the least loaded engine (0) serves it");
	soft_ring_close(&r);

	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
