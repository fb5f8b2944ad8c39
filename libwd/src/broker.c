// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * broker.c - the client half of the broker protocol (common/wdproto.h,
 * docs/broker-protocol.md).
 *
 * Each queue gets its own connection: the protocol scopes leases to the
 * connection, so keeping it open is what holds the lease, and closing it
 * (release, exit, crash) gives the queue back. The fd arrives by SCM_RIGHTS
 * with MSG_CMSG_CLOEXEC; a truncated control message is a protocol error
 * (wdp_recv handles both). The queue is bound to this process afterwards by
 * START_Q in queue.c, exactly as in direct mode.
 */
#include <stdio.h>
#include <string.h>

#include "wdproto.h"
#include "wd-internal.h"

int __wd_broker_request(struct wd_queue *q, struct wd_devinfo *info,
			uint64_t *lease, int *sock_out)
{
	struct wdp_queue_req req = { .node = q->node, .flags = 0 };
	struct wdp_refusal refusal = { 0 };
	struct wdp_lease grant = { 0 };
	const char *path = wdp_socket_path();
	_cleanup_(closep) int sock = -1;
	int fd = -1, r;

	/*
	 * The broker grants per algorithm (or set, "sha256,crc32c", checked by
	 * wd_request_queue); without one only direct mode fits.
	 */
	if (!q->alg)
		return -ENOENT;
	snprintf(req.alg, sizeof(req.alg), "%s", q->alg);
	/*
	 * The broker names devices like sysfs does. A path that does not
	 * resolve here goes by its last element: the broker judges it.
	 */
	if (q->dev)
		__wd_dev_name(q->dev, req.device, sizeof(req.device));

	sock = wdp_client_connect(path);
	if (sock == -ENOENT || sock == -ECONNREFUSED)
		return sock;	/* no broker: the caller may fall back */
	if (sock < 0)
		return __wd_err(q, sock, "cannot reach the broker at %s: %s; check its socket permissions or use WD_QUEUE_DIRECT as root",
				path, strerror(-sock));

	r = wdp_client_request_queue(sock, &req, &grant, &fd, &refusal);
	if (r < 0) {
		if (refusal.reason != WDP_REASON_NONE) {
			/* Keep -ENOENT/-ECONNREFUSED for "no broker". */
			if (r == -ENOENT || r == -ECONNREFUSED)
				r = -EPROTO;
			return __wd_err(q, r, "broker refused (%s): %s",
					wdp_reason_name(refusal.reason), refusal.text);
		}
		if (r == -ENOENT || r == -ECONNREFUSED)
			r = -ECONNRESET;
		return __wd_err(q, r, "broker at %s failed to answer: %s; check it with journalctl -u wdbroker",
				path, strerror(-r));
	}

	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", grant.device);
	snprintf(info->api, sizeof(info->api), "%s", grant.api);
	info->node = grant.node;
	info->flags = grant.flags;
	info->avail = -1;
	/* The broker restricted the queue to the lease's algorithms. */
	info->lease_ops = __wd_alg_set_mask(grant.alg);
	/* sysfs is world-readable: learn which ops the device offers. */
	if (__wd_dev_attr(info->name, "algorithms", info->algs, sizeof(info->algs)) < 0)
		info->algs[0] = 0;
	*lease = grant.id;
	*sock_out = TAKE_FD(sock);
	return fd;
}

void __wd_broker_release(int sock)
{
	/*
	 * Closing the connection releases every lease on it (the protocol's
	 * lease scope); no round trip, so release never blocks on the broker.
	 */
	close(sock);
}
