// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * error.c - error messages that say what went wrong and what to do.
 *
 * wd_strerror() covers the errors libwd's calls return, phrased for the
 * call that returns them; the detailed, situation-specific sentence of the
 * last failure on a queue (device names, quotas, paths) is in q->errmsg.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wd-internal.h"

static const struct {
	int err;
	const char *msg;
} messages[] = {
	{ EINVAL, "invalid argument: check the wd_queue or wd_msg fields against <warpdrive/wd.h>" },
	{ ENODEV, "no usable device, or the queue is dead (revoked or device removed): release it and request a new one" },
	{ EBUSY, "ring full or device out of queues: receive completions (wd_recv) or retry later" },
	{ EAGAIN, "nothing has completed yet: call wd_recv again later or wait with wd_recv_sync" },
	{ EACCES, "permission denied or not permitted on this queue: ask the broker (systemctl start wdbroker.socket), check the policy, or request a queue for this algorithm (several on one queue: wd_queue.alg = \"sha256,crc32c\")" },
	{ EPERM, "operation not permitted: the queue belongs to another process, or the policy forbids it" },
	{ EDQUOT, "the broker's queue quota is used up: release queues or ask the administrator for a larger quota" },
	{ EPROTONOSUPPORT, "the device speaks a ring protocol or version this libwd does not know: update libwd" },
	{ EPROTO, "the device or broker broke the protocol: update libwd, the broker and the driver together" },
	{ EBADMSG, "corrupt compressed stream (or malformed broker message): check the input and whether WD_MSG_ZLIB matches its format" },
	{ ENOSPC, "output buffer too small: give a larger dst" },
	{ EOPNOTSUPP, "the device does not offer this: request a queue for that algorithm (wd_reserve_memory: SVA devices use ordinary memory, none needs reserving)" },
	{ EFAULT, "bad buffer address: pass valid buffers (on static-shared devices, inside wd_reserve_memory())" },
	{ ENOMEM, "out of memory, or more reserved memory asked than the device region holds: ask for less" },
	{ ECONNREFUSED, "no broker is listening: start it (systemctl start wdbroker.socket) or use WD_QUEUE_DIRECT as root" },
	{ ENOENT, "not found: no broker socket or device node; check that the modules and the broker run" },
	{ EIO, "device error: the request failed in the device; retry, and check the kernel log if it persists" },
	{ EXDEV, "nothing free on the requested NUMA node: ask for WD_NODE_ANY or another node" },
	{ ESHUTDOWN, "the queue was torn down while the request was in flight: request a new queue" },
	{ ENOTTY, "the device does not support this command" },
	{ ECONNRESET, "the broker closed the connection: check that it still runs (journalctl -u wdbroker)" },
};

WD_EXPORT const char *wd_strerror(int err)
{
	/* unsigned: -INT_MIN would overflow */
	unsigned int e = err < 0 ? 0U - (unsigned int)err : (unsigned int)err;

	if (!e)
		return "success";
	for (size_t i = 0; i < ARRAY_SIZE(messages); i++)
		if ((unsigned int)messages[i].err == e)
			return messages[i].msg;
	return "unexpected error: see strerror() of the returned value";
}

WD_EXPORT const char *wd_queue_errmsg(const struct wd_queue *q)
{
	if (!q)
		return "no queue given";
	return q->errmsg[0] ? q->errmsg : "no error recorded on this queue";
}

int __wd_err(struct wd_queue *q, int err, const char *fmt, ...)
{
	va_list ap;

	if (q) {
		va_start(ap, fmt);
		vsnprintf(q->errmsg, sizeof(q->errmsg), fmt, ap);
		va_end(ap);
	}
	return err;
}
