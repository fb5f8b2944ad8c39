// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fdpass.c - the queue fd's life on the broker side.
 *
 * The broker opens the device node for the client and sends that fd; it
 * keeps a dup() so it can revoke the lease later. The queue is not started
 * here: the client's UACCE_CMD_START_Q binds it to the client's address
 * space. Under systemd both the client connection and the duplicate go to
 * the fd store, so a restarted broker gets them back.
 */
#include "fdpass.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <systemd/sd-daemon.h>
#include <misc/uacce/uacce.h>

#include "util.h"

int fdpass_open_queue(const char *dev_root, const char *name)
{
	_cleanup_(freep) char *path = NULL;
	int fd;

	if (strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	if (asprintf(&path, "%s/%s", dev_root, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int fdpass_revoke(int fd)
{
	if (ioctl(fd, UACCE_CMD_REVOKE) < 0)
		return -errno;
	return 0;
}

int fdpass_restrict(int fd, const char *names)
{
	struct uacce_algs a = {
		.names = (uintptr_t)names,
		.len = (uint32_t)strlen(names) + 1,
	};

	if (ioctl(fd, UACCE_CMD_RESTRICT_ALGS, &a) < 0)
		return -errno;
	return 0;
}

/* QINFO came with RESTRICT_ALGS' uacce; mainline has neither. */
bool fdpass_knows_restrict(int fd)
{
	struct uacce_qinfo qi;

	return ioctl(fd, UACCE_CMD_QINFO, &qi) == 0;
}

bool fdstore_enabled(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e && *e;
}

/*
 * @poll: let PID 1 poll the fd and drop it on EPOLLHUP/EPOLLERR. Right for
 * a client connection (a hang-up while we restart ends the lease), wrong for
 * a queue: uacce reports EPOLLERR to every poller but the queue's owner, so
 * PID 1 would drop every stored queue fd at once.
 */
int fdstore_put(const char *name, int fd, bool poll)
{
	_cleanup_(freep) char *msg = NULL;
	int r;

	if (!fdstore_enabled())
		return 0;
	if (asprintf(&msg, "FDSTORE=1\nFDNAME=%s%s", name, poll ? "" : "\nFDPOLL=0") < 0)
		return -ENOMEM;
	r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	return r < 0 ? r : 0;
}

int fdstore_remove(const char *name)
{
	_cleanup_(freep) char *msg = NULL;
	int r;

	if (!fdstore_enabled())
		return 0;
	if (asprintf(&msg, "FDSTOREREMOVE=1\nFDNAME=%s", name) < 0)
		return -ENOMEM;
	r = sd_notify(0, msg);
	return r < 0 ? r : 0;
}
