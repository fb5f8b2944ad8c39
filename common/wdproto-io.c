// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wdproto-io.c - the broker protocol on the socket: one message per
 * SOCK_SEQPACKET datagram, a queue fd attached with SCM_RIGHTS, and the
 * client's request/reply helpers. The bytes themselves are wdproto.c's.
 */
#include "wdproto.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int wdp_send(int sock, const struct wdp_msg *m, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	unsigned char *buf;
	size_t max = wdp_msg_size_max();
	ssize_t n;
	int r = 0;

	buf = malloc(max);
	if (!buf)
		return -ENOMEM;
	n = wdp_encode(m, buf, max);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != iov.iov_len)
		r = -EIO;	/* SOCK_SEQPACKET never sends a part */
	free(buf);
	return r;
}

/* Dispose of every fd an SCM_RIGHTS control message carried, except @keep. */
static void close_fds(struct msghdr *mh, int keep, void (*discard)(int fd, void *ud), void *ud)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd == keep)
				continue;
			if (discard)
				discard(fd, ud);
			else
				close(fd);
		}
	}
}

/* The most fds the kernel passes in one message (SCM_MAX_FD). */
#define WDP_SCM_MAX_FD 253

int wdp_recv(int sock, struct wdp_msg *m, int *fdp, const char **why)
{
	return wdp_recv_discard(sock, m, fdp, why, NULL, NULL);
}

int wdp_recv_discard(int sock, struct wdp_msg *m, int *fdp, const char **why,
		     void (*discard)(int fd, void *ud), void *ud)
{
	/* Room for every fd one message may carry: a peer sending too many
	 * is seen as such (count > 1), and none is dropped by the kernel. */
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(WDP_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	unsigned char *buf;
	size_t max = wdp_msg_size_max();
	int fd = -1, nfds = 0, r;
	ssize_t n;

	if (fdp)
		*fdp = -1;
	memset(m, 0, sizeof(*m));
	/* One byte more than the largest message so oversize shows up. */
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = max + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	if (n == 0 && !(mh.msg_flags & MSG_CTRUNC) && mh.msg_controllen == 0) {
		free(buf);
		if (why)
			*why = "connection closed";
		return -ECONNRESET;
	}

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (k >= 1 && fd < 0)
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
			nfds += (int)k;
		} else {
			/* e.g. SCM_CREDENTIALS: not part of the protocol */
			nfds += 1000;
		}
	}

	r = 0;
	if (mh.msg_flags & MSG_CTRUNC) {
		r = -EBADMSG;
		if (why)
			*why = "control data truncated (too many fds)";
	} else if (mh.msg_flags & MSG_TRUNC || (size_t)n > max) {
		r = -EBADMSG;
		if (why)
			*why = "message larger than the protocol allows";
	} else {
		r = wdp_decode(buf, (size_t)n, m, why);
		if (r == 0) {
			int want = m->type == WDP_REP_GRANT ? 1 : 0;

			if (nfds != want) {
				wdp_msg_clear(m);
				r = -EBADMSG;
				if (why)
					*why = want ? "grant without exactly one fd" :
						      "unexpected fd or control message";
			}
		}
	}

	if (r < 0 || !fdp) {
		close_fds(&mh, -1, discard, ud);
	} else if (fd >= 0) {
		*fdp = fd;
	}
	free(buf);
	return r;
}

/* ---- client helpers ---- */

/*
 * secure_getenv: in a setuid, setgid or file-capability program
 * (AT_SECURE) the caller's environment must not choose which broker the
 * privileged process believes, so only the compiled-in path counts there.
 */
const char *wdp_socket_path(void)
{
	const char *p = secure_getenv(WDP_SOCKET_ENV);

	return p && *p ? p : WDP_SOCKET_DEFAULT;
}

int wdp_client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!path)
		path = wdp_socket_path();
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static uint32_t next_seq(void)
{
	static _Thread_local uint32_t seq;

	if (++seq == 0)
		seq = 1;
	return seq;
}

/*
 * Send @req and wait for the reply with the same seq. Revocation notices in
 * between are skipped (the queue fd itself reports the revocation).
 */
static int call(int sock, struct wdp_msg *req, struct wdp_msg *rep, int *fd,
		struct wdp_refusal *refusal)
{
	int r;

	if (refusal)
		memset(refusal, 0, sizeof(*refusal));
	req->seq = next_seq();
	r = wdp_send(sock, req, -1);
	if (r < 0)
		return r;
	for (;;) {
		r = wdp_recv(sock, rep, fd, NULL);
		if (r < 0)
			return r;
		if (rep->type == WDP_EVT_REVOKED)
			continue;
		break;
	}
	if (rep->seq != req->seq) {
		if (fd && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		wdp_msg_clear(rep);
		return -EBADMSG;
	}
	if (rep->type == WDP_REP_REFUSE) {
		if (refusal)
			*refusal = rep->refusal;
		return wdp_reason_errno(rep->refusal.reason);
	}
	return 0;
}

int wdp_client_request_queue(int sock, const struct wdp_queue_req *qreq,
			     struct wdp_lease *grant, int *fd,
			     struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_QUEUE }, rep;
	int qfd = -1, r;

	*fd = -1;
	req.queue = *qreq;
	r = call(sock, &req, &rep, &qfd, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_GRANT) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	if (grant)
		*grant = rep.grant;
	*fd = qfd;
	return 0;
}

int wdp_client_release(int sock, uint64_t lease, struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_RELEASE, .lease = lease }, rep;
	int r;

	r = call(sock, &req, &rep, NULL, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_RELEASED || rep.lease != lease) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	return 0;
}

int wdp_client_list(int sock, struct wdp_lease **leases, size_t *count,
		    struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_LIST }, rep;
	int r;

	*leases = NULL;
	*count = 0;
	r = call(sock, &req, &rep, NULL, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_LEASES) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	*leases = rep.list.leases;
	*count = rep.list.count;
	return 0;
}

int wdp_client_report(int sock, const struct wdp_counter *v, uint32_t n,
		      struct wdp_counted *counted, struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_COUNTERS }, rep;
	int r;

	req.counters.count = n;
	req.counters.v = (struct wdp_counter *)v;
	r = call(sock, &req, &rep, NULL, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_COUNTED) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	if (counted)
		*counted = rep.counted;
	return 0;
}
