// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * helper-libwd-setuid: the "privileged program" of vm-libwd-setuid. It asks
 * libwd for a crc32c queue, through the broker ("broker": no fallback) or
 * by opening a device itself ("direct"), and prints one line:
 *   <result> <device or -> <lease> euid=<n> secure=<AT_SECURE> <errmsg>
 * The test installs one copy setuid root and runs it as an unprivileged
 * user with WD_BROKER_SOCKET, WD_SYSFS_ROOT and WD_DEV_ROOT pointing at
 * that user's fakes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <warpdrive/wd.h>

int main(int argc, char **argv)
{
	bool direct = argc > 1 && !strcmp(argv[1], "direct");
	struct wd_queue q = {
		.alg = "crc32c",
		.node = WD_NODE_ANY,
		.flags = direct ? WD_QUEUE_DIRECT : WD_QUEUE_NO_FALLBACK,
	};
	int r = wd_request_queue(&q);

	printf("%d %s %llu euid=%u secure=%lu %s\n", r, q.dev_name[0] ? q.dev_name : "-",
	       (unsigned long long)q.lease, (unsigned)geteuid(), getauxval(AT_SECURE),
	       r < 0 ? wd_queue_errmsg(&q) : "");
	wd_release_queue(&q);
	return 0;
}
