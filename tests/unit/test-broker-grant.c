// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-grant: a real wdbrokerd on a fake device tree grants queues
 * over SCM_RIGHTS, lists and releases leases, refuses clearly, and drops a
 * connection that misbehaves without disturbing the others.
 */
#include <sys/socket.h>

#include "test-broker-lib.h"

static int send_raw(int s, const void *data, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* After a protocol error the broker closes: recv gives EOF. */
static bool closed_by_broker(int s)
{
	char b[64];

	if (!tb_readable(s, 5000))
		return false;
	return recv(s, b, sizeof(b), 0) == 0;
}

int main(void)
{
	struct fake_tree t;
	struct wdp_lease g, *ls = NULL;
	struct wdp_refusal rf;
	struct stat st_dev, st_fd;
	char path[600];
	size_t n = 0;
	int s, s2, fd, fd2, r;

	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_device(&t, "wdsoft-1", "sha256", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	tb_start(&t);

	s = tb_connect(&t);
	ok(s >= 0, "connect to the broker");

	/* grant + fd */
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	ok_errno(r, 0, "zlib queue granted");
	if (r < 0)
		diag("refusal: %s", rf.text);
	is_str(g.device, "wdsoft-0", "grant names the device");
	is_str(g.api, "wdsoft_v1", "grant carries the api");
	is_str(g.alg, "zlib", "grant carries the algorithm");
	is(g.node, 0, "grant carries the device node");
	is(g.flags, 4, "grant carries the device flags");
	ok(g.id > 0, "lease id is non-zero");
	snprintf(path, sizeof(path), "%s/dev/wdsoft-0", t.root);
	ok(fd >= 0 && stat(path, &st_dev) == 0 && fstat(fd, &st_fd) == 0 &&
	   st_dev.st_ino == st_fd.st_ino && st_dev.st_dev == st_fd.st_dev,
	   "the fd received is the device node");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "the fd is close-on-exec");
	ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "the fd is open read-write");

	/* a second, device-hinted grant */
	r = tb_request(s, "sha256", "wdsoft-1", -1, &g, &fd2, &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-1"), "device hint is honoured");

	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "list leases");
	is(n, 2, "two leases listed");
	free(ls);

	/* refusals */
	r = tb_request(s, "lz4", NULL, -1, &g, &fd2, &rf);
	ok(r == -ENODEV && rf.reason == WDP_REASON_NO_DEVICE && strstr(rf.text, "lz4"),
	   "unknown algorithm: -ENODEV, sentence names it");
	diag("refusal: %s", rf.text);
	r = tb_request(s, "zlib", "wdsoft-9", -1, &g, &fd2, &rf);
	ok(r == -ENODEV && strstr(rf.text, "wdsoft-9"), "unknown device hint: -ENODEV");
	r = tb_request(s, "zlib", "wdsoft-1", -1, &g, &fd2, &rf);
	ok(r == -ENODEV && strstr(rf.text, "does not offer"), "device without the algorithm: -ENODEV");

	/* release */
	ok_errno(wdp_client_release(s, 1, &rf), 0, "release lease 1");
	r = wdp_client_release(s, 1, &rf);
	ok(r == -ENOENT && rf.reason == WDP_REASON_NO_LEASE, "release twice: -ENOENT (no-lease)");
	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "list after release");
	is(n, 1, "one lease left");
	free(ls);
	if (fd >= 0)
		close(fd);

	/* another connection cannot release my lease */
	s2 = tb_connect(&t);
	r = wdp_client_release(s2, 2, &rf);
	ok(r == -ENOENT, "another connection cannot release a lease it does not hold");
	close(s2);

	/* protocol errors close only that connection */
	s2 = tb_connect(&t);
	send_raw(s2, "garbage!garbage!", 16, -1);
	ok(closed_by_broker(s2), "garbage closes the connection");
	close(s2);

	s2 = tb_connect(&t);
	{
		unsigned char buf[64] = { 0 };
		struct wdp_msg m = { .type = WDP_REQ_LIST, .seq = 5 };
		ssize_t len = wdp_encode(&m, buf, sizeof(buf));
		int pfd[2];

		if (pipe(pfd) < 0)
			bail_out("pipe");
		send_raw(s2, buf, (size_t)len, pfd[0]);
		ok(closed_by_broker(s2), "a request carrying an fd closes the connection");
		close(pfd[0]);
		close(pfd[1]);
		close(s2);

		s2 = tb_connect(&t);
		buf[4] = WDP_VERSION + 1;	/* a version not spoken yet */
		send_raw(s2, buf, (size_t)len, -1);
		r = wdp_recv(s2, &m, NULL, NULL);
		ok(r == 0 && m.type == WDP_REP_REFUSE && m.refusal.reason == WDP_REASON_VERSION &&
		   m.seq == 5, "an unknown version gets a version refusal with the seq");
		diag("refusal: %s", m.refusal.text);
		ok(closed_by_broker(s2), "then the connection is closed");
		close(s2);

		s2 = tb_connect(&t);
		m = (struct wdp_msg){ .type = WDP_REP_RELEASED, .seq = 1, .lease = 1 };
		len = wdp_encode(&m, buf, sizeof(buf));
		send_raw(s2, buf, (size_t)len, -1);
		ok(closed_by_broker(s2), "a reply-type message from a client closes the connection");
		close(s2);
	}

	/* live placement: isolation, spill, node hint and strict node */
	tb_device(&t, "wdsoft-2", "zlib", 1, 8);
	kill(t.broker, SIGHUP);		/* dev mode: reload re-scans the tree */
	usleep(200000);
	tb_attr(&t, "wdsoft-0", "isolate", "1");
	tb_attr(&t, "wdsoft-2", "isolate", "1");
	r = tb_request(s, "zlib", NULL, -1, &g, &fd2, &rf);
	ok(r == -EBUSY && rf.reason == WDP_REASON_BUSY && strstr(rf.text, "isolated"),
	   "every zlib device isolated: -EBUSY");
	diag("refusal: %s", rf.text);
	tb_attr(&t, "wdsoft-2", "isolate", "0");
	r = tb_request(s, "zlib", NULL, 0, &g, &fd2, &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-2"), "isolated local device skipped: spill to node 1");
	if (r == 0) {
		wdp_client_release(s, g.id, &rf);
		close(fd2);
	}
	tb_attr(&t, "wdsoft-0", "isolate", "0");
	tb_attr(&t, "wdsoft-0", "available_instances", "0");
	r = tb_request(s, "zlib", NULL, 0, &g, &fd2, &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-2"), "full local device: spill to the next nearest");
	if (r == 0) {
		wdp_client_release(s, g.id, &rf);
		close(fd2);
	}
	{
		struct wdp_queue_req q = { .alg = "zlib", .node = 0, .flags = WDP_QUEUE_NODE_STRICT };

		r = wdp_client_request_queue(s, &q, &g, &fd2, &rf);
		ok(r == -EXDEV && rf.reason == WDP_REASON_NODE, "strict node 0 with node 0 full: -EXDEV");
		diag("refusal: %s", rf.text);
	}
	tb_attr(&t, "wdsoft-0", "available_instances", "8");
	r = tb_request(s, "zlib", NULL, 1, &g, &fd2, &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-2") && g.node == 1, "node hint 1: the node-1 device");
	if (r == 0) {
		wdp_client_release(s, g.id, &rf);
		close(fd2);
	}

	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "the first connection still works");
	is(n, 1, "and still holds its lease");
	free(ls);
	ok(tb_alive(&t), "broker survived the bad clients");

	close(s);
	is(tb_stop(&t), 0, "broker exits cleanly on SIGTERM");
	snprintf(path, sizeof(path), "%s", t.sock);
	ok(access(path, F_OK) < 0, "socket removed at exit");
	tb_cleanup(&t);
	return exit_status();
}
