/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fdstore.h - systemd's fd store: fds kept across a broker restart. */
#ifndef WDBROKERD_FDSTORE_H
#define WDBROKERD_FDSTORE_H

#include <stdbool.h>

/* Is the service manager's fd store available (NOTIFY_SOCKET set)? */
bool fdstore_enabled(void);
/* Hand @fd to the fd store under @name; no-op without a service manager. */
int fdstore_put(const char *name, int fd, bool poll);
/* Drop @name from the fd store. */
int fdstore_remove(const char *name);

#endif
