// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-closefd: an fd a client attaches to a request must not stall
 * the broker when it is closed. The junk fd here is a TCP socket with
 * SO_LINGER and unsent data towards a peer that never reads: closing it
 * blocks for the whole linger time (as a FUSE file's flush blocks on its
 * daemon). The attacker's connection is dropped as a protocol error, and
 * another client is served meanwhile, in far less than the linger time.
 * The attack also comes as a second message still unread when the broker
 * drops the connection, and with more fds than one request should carry.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "test-broker-lib.h"

#define LINGER_S 8

static struct fake_tree t;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* A TCP socket whose close() lingers: unsent data, a peer that never reads. */
static int lingering_socket(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { .l_onoff = 1, .l_linger = LINGER_S };
	socklen_t len = sizeof(a);
	int l, c, small = 4096;
	char junk[4096] = { 0 };

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		bail_out("tcp listener: %s", strerror(errno));
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		bail_out("tcp connect: %s", strerror(errno));
	*peer = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	setsockopt(*peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(l);
	fcntl(c, F_SETFL, O_NONBLOCK);
	while (send(c, junk, sizeof(junk), MSG_NOSIGNAL) > 0)
		;
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return c;
}

/* Round trip of LIST on a fresh connection, in ms; -1 if it failed. */
static long list_latency(void)
{
	struct timeval tv = { .tv_sec = LINGER_S * 2 };
	struct wdp_lease *ls = NULL;
	struct wdp_refusal rf;
	long t0 = now_ms();
	size_t n;
	int s = tb_connect(&t), r;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = wdp_client_list(s, &ls, &n, &rf);
	free(ls);
	close(s);
	return r == 0 ? now_ms() - t0 : -1;
}

/* Send a LIST request carrying @nfds copies of @fd; @twice: two messages. */
static int attack(int fd, int nfds, bool twice)
{
	struct wdp_msg m = { .type = WDP_REQ_LIST, .seq = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	unsigned char buf[64];
	struct iovec iov = { buf, 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t len;
	int s = tb_connect(&t);

	if (s < 0)
		return -1;
	memset(&ctl, 0, sizeof(ctl));
	len = wdp_encode(&m, buf, sizeof(buf));
	if (len < 0)
		return -1;
	iov.iov_len = (size_t)len;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	for (int i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0 || (twice && sendmsg(s, &mh, MSG_NOSIGNAL) < 0)) {
		close(s);
		return -1;
	}
	return s;
}

int main(void)
{
	static const struct { int nfds; bool twice; const char *what; } cases[] = {
		{ 1, false, "one lingering fd on a request" },
		{ 8, false, "eight of them on one request" },
		{ 1, true, "a second such request still unread when the connection is dropped" },
	};
	long base, worst = 0;

	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	tb_start(&t);
	plan(2 + 2 * (int)(sizeof(cases) / sizeof(cases[0])));

	base = list_latency();
	ok(base >= 0, "a client is served in %ld ms", base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int peer = -1, fd = lingering_socket(&peer), s, closed;
		long lat;

		s = attack(fd, cases[i].nfds, cases[i].twice);
		/* The broker holds the last reference now. */
		close(fd);
		lat = list_latency();
		if (lat > worst)
			worst = lat;
		ok(lat >= 0 && lat < LINGER_S * 1000 / 2,
		   "%s: another client is served in %ld ms (closing it lingers %d s)",
		   cases[i].what, lat, LINGER_S);
		/* Dropped as a protocol error (its own close may wait behind the
		 * lingering one: the broker does not care). */
		for (int w = 0; w < 50 && tb_log_count(&t, "unexpected fd") < (int)i + 1; w++)
			usleep(100000);
		closed = tb_log_count(&t, "unexpected fd");
		ok(closed == (int)i + 1, "%s: the sender's connection is dropped as a protocol error",
		   cases[i].what);
		if (s >= 0)
			close(s);
		close(peer);
	}
	ok(tb_stop(&t) == 0, "the broker exits cleanly");
	printf("# report: broker-closefd: %zu junk-fd attacks (lingering TCP sockets, %d s linger), "
	       "other client served in %ld ms at worst (%ld ms unattacked)\n",
	       sizeof(cases) / sizeof(cases[0]), LINGER_S, worst, base);
	tb_cleanup(&t);
	return exit_status();
}
