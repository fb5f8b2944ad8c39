// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The broker client half of wd_request_queue against a scripted broker
 * speaking common/wdproto on a SOCK_SEQPACKET socket: a grant brings an fd
 * (close-on-exec) that libwd binds with START_Q and uses; the lease id and
 * device facts are filled in; release hangs up the connection (which is how
 * the protocol returns the lease); a refusal gives the mapped errno and the
 * broker's sentence; a grant without an fd is a protocol error; a broker
 * that is not there means direct fallback. A set of algorithms
 * ("memcpy,crc32c") goes to the broker as one request, and the one-call
 * helpers reuse a cached queue only for what its lease covers.
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

#define MAX_CONNS 4

struct broker {
	int lsock;
	enum script script;
	int conns;			/* connections to serve (default 1) */
	struct wdp_queue_req seen;	/* what the client asked (the last time) */
	char seen_algs[MAX_CONNS][WDP_ALGS_MAX];	/* every request's algorithm */
	int seen_version;		/* protocol version of the last request */
	bool hangup_seen;
};

/* Answer the request on @c as the script says; -1 if there was none. */
static int serve(struct broker *b, int c, int i)
{
	struct wdp_msg req = { 0 }, rep = { 0 };
	char path[256];
	int fd = -1;

	if (wdp_recv(c, &req, NULL, NULL) < 0 || req.type != WDP_REQ_QUEUE)
		return -1;
	b->seen = req.queue;
	b->seen_version = req.version;
	snprintf(b->seen_algs[i], sizeof(b->seen_algs[i]), "%s", req.queue.alg);
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
			return -1;
		break;
	}
	}
	return 0;
}

static void *broker_main(void *arg)
{
	struct broker *b = arg;
	int c[MAX_CONNS], n = 0;
	char buf[16];

	b->hangup_seen = true;
	for (; n < (b->conns ? b->conns : 1); n++) {
		c[n] = accept4(b->lsock, NULL, NULL, SOCK_CLOEXEC);
		if (c[n] < 0)
			break;
		if (serve(b, c[n], n) < 0) {
			b->hangup_seen = false;
			close(c[n]);
			return NULL;
		}
	}
	/* A lease lives as long as its connection: wait for each hang-up. */
	for (int i = 0; i < n; i++) {
		b->hangup_seen &= recv(c[i], buf, sizeof(buf), 0) == 0;
		close(c[i]);
	}
	return NULL;
}

static int start_broker(struct broker *b, enum script s, int conns, pthread_t *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("WD_BROKER_SOCKET");

	memset(b, 0, sizeof(*b));
	b->script = s;
	b->conns = conns;
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
	/* A connection the client never made must not hang the test. */
	shutdown(b->lsock, SHUT_RDWR);
	pthread_join(t, NULL);
	close(b->lsock);
	unlink(getenv("WD_BROKER_SOCKET"));
}

/* In a thread of its own, so its cached helper queues go at its exit. */
static void *helpers_thread(void *arg)
{
	static const uint8_t text[] = "123456789";
	uint8_t digest[WD_SHA256_SIZE];

	/* crc32c("123456789") = 0xe3069283, the CRC-32C check value */
	if (wd_crc32c(text, 9) != 0xe3069283)
		return NULL;
	if (wd_sha256(text, 9, digest) != 0 || digest[0] != 0x15 || digest[1] != 0xe2)
		return NULL;
	return (void *)1;
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

	ok_errno(start_broker(&b, GRANT, 1, &t), 0, "scripted broker listens");
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

	/* a set of algorithms: one request, one queue running both */
	ok_errno(start_broker(&b, GRANT, 1, &t), 0, "scripted broker listens again");
	q = (struct wd_queue){ .alg = "memcpy,crc32c", .node = WD_NODE_ANY };
	ok_errno(wd_request_queue(&q), 0, "request a memcpy,crc32c queue: %s", q.errmsg);
	is_str(b.seen.alg, "memcpy,crc32c", "the broker got the set as spelled");
	is(b.seen_version, 2, "in protocol version 2");
	{
		uint8_t crc[4];
		struct wd_msg c = { .op = WD_OP_CRC32C, .src = a, .src_len = 16,
				    .dst = crc, .dst_len = sizeof(crc) };

		ok(wd_send(&q, &m) == 0 && wd_recv_sync(&q, &done) == 1 && done == &m &&
		   wd_send(&q, &c) == 0 && wd_recv_sync(&q, &done) == 1 && done == &c && !c.status,
		   "memcpy and crc32c both run on it");
	}
	wd_release_queue(&q);
	stop_broker(&b, t);

	/* one name still goes as version 1 */
	ok_errno(start_broker(&b, GRANT, 1, &t), 0, "and again");
	q = (struct wd_queue){ .alg = "crc32c", .node = WD_NODE_ANY };
	ok(wd_request_queue(&q) == 0 && b.seen_version == 1 && !strcmp(b.seen.alg, "crc32c"),
	   "a single algorithm is asked for in version 1, as before");
	wd_release_queue(&q);
	stop_broker(&b, t);

	/* helpers: a cached queue serves only the ops its lease covers */
	ok_errno(start_broker(&b, GRANT, 2, &t), 0, "broker for two helper queues");
	{
		pthread_t h;
		void *res = NULL;

		pthread_create(&h, NULL, helpers_thread, NULL);
		pthread_join(h, &res);
		ok(res == (void *)1, "wd_crc32c then wd_sha256 in one thread both succeed");
	}
	stop_broker(&b, t);
	ok(!strcmp(b.seen_algs[0], "crc32c") && !strcmp(b.seen_algs[1], "sha256"),
	   "the sha256 helper asked for its own queue, not the crc32c lease's (%s, %s)",
	   b.seen_algs[0], b.seen_algs[1]);
	ok(b.hangup_seen, "thread exit released both helper queues");

	ok_errno(start_broker(&b, REFUSE_QUOTA, 1, &t), 0, "refusing broker");
	q = (struct wd_queue){ .alg = "sha256", .node = WD_NODE_ANY };
	ok_errno(wd_request_queue(&q), -EDQUOT, "quota refusal -> -EDQUOT");
	ok(strstr(q.errmsg, "broker refused") && strstr(q.errmsg, "quota of 4 queues for user alice reached"),
	   "the broker's sentence reaches the caller: %s", q.errmsg);
	ok(q.priv == NULL && q.lease == 0, "nothing held");
	stop_broker(&b, t);
	ok(b.hangup_seen, "connection closed after the refusal");

	ok_errno(start_broker(&b, GRANT_NO_FD, 1, &t), 0, "broken broker");
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
