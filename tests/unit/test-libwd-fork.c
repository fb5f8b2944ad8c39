// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fork(): the child's libwd state is clean: inherited queues fail with
 * -ENODEV (their mappings and binding belong to the parent) and release
 * cleanly, and the child can request its own queues and use the helpers
 * (the nginx master/worker case). The parent's queues keep working, also
 * with requests in flight across the fork.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static int request(struct wd_queue *q)
{
	*q = (struct wd_queue){ .alg = "memcpy", .flags = WD_QUEUE_DIRECT };
	return wd_request_queue(q);
}

/* Runs in the child: returns a bitmask of failed checks. */
static int child(struct wd_queue *inherited)
{
	struct wd_queue mine;
	void *done;
	int fails = 0;

	if (wd_send(inherited, &(struct wd_msg){ .op = WD_OP_MEMCPY }) != -ENODEV)
		fails |= 1;
	if (wd_recv(inherited, &done) != -ENODEV)
		fails |= 2;
	if (wd_queue_fd(inherited) != -ENODEV)
		fails |= 4;
	if (request(&mine) || wdd_roundtrip(&mine))
		fails |= 8;
	wd_release_queue(&mine);
	wd_release_queue(inherited);
	if (inherited->priv)
		fails |= 16;
	if (wd_crc32c("123456789", 9) != 0xE3069283)
		fails |= 32;
	return fails;
}

int main(void)
{
	struct wd_queue q;
	int status, fd;
	pid_t pid;

	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	ok_errno(request(&q), 0, "parent requests a queue");
	ok_errno(wdd_roundtrip(&q), 0, "parent uses it");
	ok(wd_crc32c("123456789", 9) == 0xE3069283, "parent uses a helper (cached queue)");
	fd = wd_queue_fd(&q);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child(&q));
	ok(pid > 0 && waitpid(pid, &status, 0) == pid, "child ran");
	ok(WIFEXITED(status), "child exited normally (no fault)");
	is(WEXITSTATUS(status), 0, "child: inherited queue -ENODEV, own queue and helpers work (fail mask)");
	ok(fcntl(fd, F_GETFD) >= 0 && wd_queue_fd(&q) == fd, "parent's fd intact");
	ok_errno(wdd_roundtrip(&q), 0, "parent's queue keeps working after the child");
	ok(wd_crc32c("123456789", 9) == 0xE3069283, "parent's helper queue keeps working");

	/* Twice, with requests in flight across the fork. */
	{
		uint8_t a[8], b[8];
		struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = 8, .dst = b, .dst_len = 8 };
		void *done;

		wdd_stall(true);
		ok_errno(wd_send(&q, &m), 0, "request in flight at fork");
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(wd_recv(&q, &done) == -ENODEV && wd_inflight(&q) >= 0 ? 0 : 1);
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && !WEXITSTATUS(status), "child sees -ENODEV for the parent's in-flight queue");
		wdd_stall(false);
		ok_errno(wd_recv_sync(&q, &done), 1, "parent still receives its completion");
	}
	wd_release_queue(&q);
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
