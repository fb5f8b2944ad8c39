/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue.h - the uacce queue ioctls: open, restrict, revoke. */
#ifndef WDBROKERD_QUEUE_H
#define WDBROKERD_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

/* Open <dev_root>/<name> O_RDWR|O_CLOEXEC|O_NOCTTY; returns the fd or -errno. */
int queue_open(const char *dev_root, const char *name);

/*
 * Revoke the queue behind @fd (UACCE_CMD_REVOKE). Returns 0, or -ENOTTY if
 * @fd is not a uacce queue (a test tree), or another -errno.
 */
int queue_revoke(int fd);

/*
 * Let the queue behind @fd run only @names (space-separated, as the
 * device's "algorithms" attribute spells them): UACCE_CMD_RESTRICT_ALGS.
 * Returns 0, -ENOTTY/-EINVAL from a uacce without that command (mainline,
 * or a test tree), or another -errno.
 */
int queue_restrict(int fd, const char *names);
/* Does the uacce behind @fd have UACCE_CMD_RESTRICT_ALGS (WarpDrive's)? */
bool queue_knows_restrict(int fd);

#endif
