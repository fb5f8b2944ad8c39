// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * queue.c - the uacce queue ioctls the broker issues.
 *
 * The broker opens the device node for the client (a queue is one open
 * file of a uacce device), narrows it to the lease's algorithms and, when
 * the lease ends, revokes it. The queue is not started here: the client's
 * UACCE_CMD_START_Q binds it to the client's address space.
 */
#include "queue.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <misc/uacce/uacce.h>

#include "util.h"

int queue_open(const char *dev_root, const char *name)
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

int queue_revoke(int fd)
{
	if (ioctl(fd, UACCE_CMD_REVOKE) < 0)
		return -errno;
	return 0;
}

int queue_restrict(int fd, const char *names)
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
bool queue_knows_restrict(int fd)
{
	struct uacce_qinfo qi;

	return ioctl(fd, UACCE_CMD_QINFO, &qi) == 0;
}
