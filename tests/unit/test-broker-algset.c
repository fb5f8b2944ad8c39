// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-algset: a real wdbrokerd on a fake device tree grants one
 * queue for a set of algorithms ("sha256,crc32c"): only on a device that
 * offers every one, refused whole (naming the refused algorithm) when the
 * policy forbids any, counted once against the quota, listed as the set,
 * carried by protocol version 2 while single-algorithm requests stay
 * version 1; a malformed set on the wire closes the connection.
 */
#include <pwd.h>
#include <sys/socket.h>

#include "test-broker-lib.h"

/* After a protocol error the broker closes: recv gives EOF. */
static bool closed_by_broker(int s)
{
	char b[64];

	if (!tb_readable(s, 5000))
		return false;
	return recv(s, b, sizeof(b), 0) == 0;
}

/* Send @req raw (as @len bytes of @buf), return the reply's version. */
static int reply_version(int s, const struct wdp_msg *req, int *fd)
{
	unsigned char buf[1024];
	struct wdp_msg m;
	ssize_t n = wdp_encode(req, buf, sizeof(buf));

	*fd = -1;
	if (n < 0 || send(s, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	if (wdp_recv(s, &m, fd, NULL) < 0 || m.seq != req->seq)
		return -1;
	wdp_msg_clear(&m);
	return m.type == WDP_REP_GRANT ? m.version : -(int)m.type;
}

int main(void)
{
	struct fake_tree t;
	struct wdp_lease g, *ls = NULL;
	struct wdp_refusal rf;
	struct passwd *pw = getpwuid(getuid());
	char policy[512];
	size_t n = 0;
	int s, fd[4], r;

	if (!pw)
		bail_out("no passwd entry for uid %d", (int)getuid());
	tb_init(&t);
	/* wdsoft-0 holds the most free instances: placement prefers it. */
	tb_device(&t, "wdsoft-0", "sha256", 0, 16);
	tb_device(&t, "wdsoft-1", "memcpy crc32c sha256", 0, 8);
	tb_device(&t, "wdsoft-2", "deflate", 0, 8);
	snprintf(policy, sizeof(policy),
		 "[global]\nmax_queues = unlimited\n"
		 "[user:%s]\nmax_queues = 2\nalgorithms = sha256 crc32c deflate inflate lz4\n",
		 pw->pw_name);
	tb_policy(&t, policy);
	tb_start(&t);

	s = tb_connect(&t);
	ok(s >= 0, "connect to the broker");

	/* a set granted, on the one device that offers all of it */
	r = tb_request(s, "sha256,crc32c", NULL, -1, &g, &fd[0], &rf);
	ok_errno(r, 0, "a sha256,crc32c queue is granted");
	if (r < 0)
		diag("refusal: %s", rf.text);
	is_str(g.device, "wdsoft-1", "on wdsoft-1, the only device offering both");
	is_str(g.alg, "sha256,crc32c", "the grant carries the set");
	ok(tb_log_count(&t, "granted sha256,crc32c queue on wdsoft-1") == 1,
	   "the broker's log names the set");
	r = tb_request(s, "sha256", NULL, -1, &g, &fd[1], &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-0") && !strcmp(g.alg, "sha256"),
	   "a single sha256 request is placed as before (wdsoft-0): %s", g.device);

	/* quota counted once per queue: the set was one of the user's two */
	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "list leases");
	ok(n == 2 && ls && !strcmp(ls[ls[0].id == 1 ? 0 : 1].alg, "sha256,crc32c") &&
	   !strcmp(ls[ls[0].id == 1 ? 1 : 0].alg, "sha256"),
	   "the list shows the set and the single algorithm");
	free(ls);
	r = tb_request(s, "crc32c", NULL, -1, &g, &fd[2], &rf);
	ok(r == -EDQUOT && strstr(rf.text, "quota of 2 queues"),
	   "a third queue hits the quota of 2: the set counted once");
	diag("refusal: %s", rf.text);
	ok_errno(wdp_client_release(s, 2, &rf), 0, "release the single sha256 lease");
	if (fd[1] >= 0)
		close(fd[1]);

	/* one refused name refuses the whole set, naming it */
	r = tb_request(s, "sha256,memcpy,crc32c", NULL, -1, &g, &fd[2], &rf);
	ok(r == -EACCES && rf.reason == WDP_REASON_ALG_DENIED &&
	   strstr(rf.text, "algorithm memcpy is not allowed") &&
	   strstr(rf.text, "the set sha256,memcpy,crc32c is refused"),
	   "memcpy forbidden: the whole set refused, naming memcpy");
	diag("refusal: %s", rf.text);
	r = tb_request(s, "memcpy", NULL, -1, &g, &fd[2], &rf);
	ok(r == -EACCES && strstr(rf.text, "algorithm memcpy is not allowed") &&
	   !strstr(rf.text, "set"), "a single forbidden algorithm: the sentence of old");

	/* placement needs one device offering every name */
	r = tb_request(s, "sha256,deflate", NULL, -1, &g, &fd[2], &rf);
	ok(r == -ENODEV && strstr(rf.text, "no accelerator device offers all of sha256,deflate"),
	   "no device offers sha256 and deflate together: -ENODEV");
	diag("refusal: %s", rf.text);
	r = tb_request(s, "sha256,lz4", NULL, -1, &g, &fd[2], &rf);
	ok(r == -ENODEV && strstr(rf.text, "offers algorithm lz4"),
	   "a name no device offers: -ENODEV naming it");
	r = tb_request(s, "sha256,crc32c", "wdsoft-0", -1, &g, &fd[2], &rf);
	ok(r == -ENODEV && strstr(rf.text, "device wdsoft-0 does not offer algorithm crc32c"),
	   "a device hint lacking one name: -ENODEV naming it");
	diag("refusal: %s", rf.text);

	/* versions: one name speaks version 1, a set version 2 */
	{
		struct wdp_msg q = { .type = WDP_REQ_QUEUE, .seq = 900, .queue.node = -1 };
		int v;

		strcpy(q.queue.alg, "sha256");
		v = reply_version(s, &q, &fd[2]);
		is(v, 1, "a version 1 request for one algorithm is granted in version 1");
		if (fd[2] >= 0)
			close(fd[2]);
		ok_errno(wdp_client_release(s, 3, &rf), 0, "and released");
	}

	/* a malformed set on the wire: protocol error, connection closed */
	{
		struct wdp_msg q = { .type = WDP_REQ_QUEUE, .seq = 1, .queue.node = -1 };
		unsigned char buf[512];
		ssize_t len;
		int s2 = tb_connect(&t);

		strcpy(q.queue.alg, "sha256,crc32c");
		len = wdp_encode(&q, buf, sizeof(buf));
		buf[16 + 7] = ',';	/* "sha256,,rc32c" */
		ok(len == 344 && send(s2, buf, (size_t)len, MSG_NOSIGNAL) == len && closed_by_broker(s2),
		   "an empty name in a set closes the connection");
		close(s2);
		ok(tb_log_count(&t, "malformed set") >= 1, "the broker logs why");
	}

	/* the first connection is still served */
	r = tb_request(s, "crc32c,sha256", NULL, -1, &g, &fd[2], &rf);
	ok(r == 0 && !strcmp(g.alg, "crc32c,sha256"), "the set in another order is granted as spelled");
	close(s);
	for (int i = 0; i < 3; i++)
		if (i != 1 && fd[i] >= 0)
			close(fd[i]);
	ok(tb_alive(&t), "the broker is still running");
	tb_cleanup(&t);
	return exit_status();
}
