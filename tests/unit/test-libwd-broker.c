// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The broker client half of wd_request_queue against a scripted broker
 * speaking common/wdproto on a SOCK_SEQPACKET socket: a grant brings an fd
 * (close-on-exec) that libwd binds with START_Q and uses; the lease id and
 * device facts are filled in; release hangs up the connection (which is how
 * the protocol returns the lease); a refusal gives the mapped errno and the
 * broker's sentence; a grant without an fd is a protocol error; a broker
 * that is not there means direct fallback.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"
#include "wdproto.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 4 },
	{ .name = "wdsoft-1", .node = 1, .avail = 4 },
};

enum script { GRANT, REFUSE_QUOTA, GRANT_NO_FD };

struct broker {
	int lsock;
	enum script script;
	struct wdp_queue_req seen;	/* what the client asked */
	bool hangup_seen;
};

static void *broker_main(void *arg)
{
	struct broker *b = arg;
	struct wdp_msg req = { 0 }, rep = { 0 };
	char path[256], buf[16];
	int c, fd = -1;

	c = accept4(b->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return NULL;
	if (wdp_recv(c, &req, NULL, NULL) < 0 || req.type != WDP_REQ_QUEUE)
		goto out;
	b->seen = req.queue;
	rep.type = WDP_REP_GRANT;
	rep.seq = req.seq;
	switch (b->script) {
	case GRANT:
		snprintf(path, sizeof(path), "%s/wdsoft-1", getenv("WD_DEV_ROOT"));
		fd = __wd_sys->open(path, O_RDWR | O_CLOEXEC);
		rep.grant = (struct wdp_lease){ .id = 4242, .node = 1, .flags = 0 };
		strcpy(rep.grant.device, "wdsoft-1");
		strcpy(rep.grant.api, "wdsoft_v1");
		strcpy(rep.grant.alg, req.queue.alg);
		wdp_send(c, &rep, fd);
		close(fd);	/* the client has its own copy now */
		break;
	case REFUSE_QUOTA:
		rep.type = WDP_REP_REFUSE;
		rep.refusal.reason = WDP_REASON_QUOTA_USER;
		strcpy(rep.refusal.text, "quota of 4 queues for user alice reached");
		wdp_send(c, &rep, -1);
		break;
	case GRANT_NO_FD: {
		/* hand-made: a grant datagram with no SCM_RIGHTS attached */
		uint8_t raw[1024];
		ssize_t n;

		rep.grant = (struct wdp_lease){ .id = 1, .node = 0 };
		strcpy(rep.grant.device, "wdsoft-0");
		strcpy(rep.grant.api, "wdsoft_v1");
		strcpy(rep.grant.alg, "memcpy");
		n = wdp_encode(&rep, raw, sizeof(raw));
		if (n > 0 && send(c, raw, (size_t)n, MSG_NOSIGNAL) < 0)
			goto out;
		break;
	}
	}
	/* The lease lives as long as the connection: wait for the hang-up. */
	b->hangup_seen = recv(c, buf, sizeof(buf), 0) == 0;
out:
	close(c);
	return NULL;
}

static int start_broker(struct broker *b, enum script s, pthread_t *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("WD_BROKER_SOCKET");

	memset(b, 0, sizeof(*b));
	b->script = s;
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	b->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (b->lsock < 0 || bind(b->lsock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(b->lsock, 4) < 0)
		return -errno;
	return pthread_create(t, NULL, broker_main, b) ? -EAGAIN : 0;
}

static void stop_broker(struct broker *b, pthread_t t)
{
	pthread_join(t, NULL);
	close(b->lsock);
	unlink(getenv("WD_BROKER_SOCKET"));
}

int main(void)
{
	struct wd_queue q;
	struct broker b;
	pthread_t t;
	uint8_t a[16] = { 1, 2, 3 }, o[16];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = 16, .dst = o, .dst_len = 16 };
	void *done;

	wdd_sysfs(devs, 2, 2);
	wdd_install(NULL);

	ok_errno(start_broker(&b, GRANT, &t), 0, "scripted broker listens");
	q = (struct wd_queue){ .alg = "memcpy", .node = 1, .dev = "/dev/wdsoft-1" };
	ok_errno(wd_request_queue(&q), 0, "request through the broker: %s", q.errmsg);
	is_str(b.seen.alg, "memcpy", "broker got the algorithm");
	is(b.seen.node, 1, "broker got the node hint");
	is_str(b.seen.device, "wdsoft-1", "broker got the device name (path reduced to its name)");
	is(q.lease, 4242, "lease id filled in");
	is_str(q.dev_name, "wdsoft-1", "device from the grant");
	is(q.dev_node, 1, "node from the grant");
	ok(fcntl(wd_queue_fd(&q), F_GETFD) & FD_CLOEXEC, "received fd is close-on-exec");
	ok(wd_send(&q, &m) == 0 && wd_recv_sync(&q, &done) == 1 && !memcmp(a, o, 16),
	   "the granted queue works");
	wd_release_queue(&q);
	stop_broker(&b, t);
	ok(b.hangup_seen, "release hung up the broker connection (lease returned)");
	is(wdd_stats().live, 0, "queue closed");

	ok_errno(start_broker(&b, REFUSE_QUOTA, &t), 0, "refusing broker");
	q = (struct wd_queue){ .alg = "sha256", .node = WD_NODE_ANY };
	ok_errno(wd_request_queue(&q), -EDQUOT, "quota refusal -> -EDQUOT");
	ok(strstr(q.errmsg, "broker refused") && strstr(q.errmsg, "quota of 4 queues for user alice reached"),
	   "the broker's sentence reaches the caller: %s", q.errmsg);
	ok(q.priv == NULL && q.lease == 0, "nothing held");
	stop_broker(&b, t);
	ok(b.hangup_seen, "connection closed after the refusal");

	ok_errno(start_broker(&b, GRANT_NO_FD, &t), 0, "broken broker");
	q = (struct wd_queue){ .alg = "memcpy", .node = WD_NODE_ANY };
	ok_errno(wd_request_queue(&q), -EBADMSG, "grant without an fd -> -EBADMSG, no fallback");
	ok(strstr(q.errmsg, "broker"), "message blames the broker: %s", q.errmsg);
	stop_broker(&b, t);

	q = (struct wd_queue){ .alg = "memcpy", .node = 0 };
	ok_errno(wd_request_queue(&q), 0, "no broker listening: direct fallback");
	is(q.lease, 0, "direct: no lease");
	wd_release_queue(&q);

	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
