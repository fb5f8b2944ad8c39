// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fdstore.c - systemd's fd store, which keeps fds across a broker restart.
 *
 * Under systemd the broker hands each lease's queue fd and each connection
 * holding leases to PID 1 (FDSTORE=1), so a restarted broker gets them back
 * (see state.c). Without a service manager every call is a no-op.
 */
#include "fdstore.h"

#include <systemd/sd-daemon.h>

#include "util.h"

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
