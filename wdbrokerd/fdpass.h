/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fdpass.h - queue fds: opening, handing out, revoking, storing. */
#ifndef WDBROKERD_FDPASS_H
#define WDBROKERD_FDPASS_H

#include <stdbool.h>
#include <stdint.h>

/* Open <dev_root>/<name> O_RDWR|O_CLOEXEC|O_NOCTTY; returns the fd or -errno. */
int fdpass_open_queue(const char *dev_root, const char *name);

/*
 * Revoke the queue behind @fd (UACCE_CMD_REVOKE). Returns 0, or -ENOTTY if
 * @fd is not a uacce queue (a test tree), or another -errno.
 */
int fdpass_revoke(int fd);

/*
 * Let the queue behind @fd run only @names (space-separated, as the
 * device's "algorithms" attribute spells them): UACCE_CMD_RESTRICT_ALGS.
 * Returns 0, -ENOTTY/-EINVAL from a uacce without that command (mainline,
 * or a test tree), or another -errno.
 */
int fdpass_restrict(int fd, const char *names);
/* Does the uacce behind @fd have UACCE_CMD_RESTRICT_ALGS (WarpDrive's)? */
bool fdpass_knows_restrict(int fd);

/* Is the service manager's fd store available (NOTIFY_SOCKET set)? */
bool fdstore_enabled(void);
/* Hand @fd to the fd store under @name; no-op without a service manager. */
int fdstore_put(const char *name, int fd, bool poll);
/* Drop @name from the fd store. */
int fdstore_remove(const char *name);

#endif
