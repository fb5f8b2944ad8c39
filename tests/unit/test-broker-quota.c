// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-quota: a real wdbrokerd with many concurrent clients enforces
 * quotas exactly, returns quota at once when a client hangs up (also by
 * kill -9), and on reload applies the new policy atomically: shrinking
 * revokes leases (clients get a REVOKED notice), a broken file keeps the
 * last good policy, and a removed device's leases are revoked.
 */
#include <pwd.h>
#include <sys/resource.h>

#include "test-broker-lib.h"

#define NCHILD 20
#define NCONN 300

static struct fake_tree t;
static char user[64];

static void write_policy(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "[global]\nmax_queues = unlimited\n%s", extra);
	tb_policy(&t, text);
}

static void reload(void)
{
	kill(t.broker, SIGHUP);
	/* The broker handles SIGHUP before the next request it reads. */
	usleep(200000);
}

/* Children: connect, ask, report "G" or "R<reason>" on @wr, wait on @rd. */
static void child(int wr, int rd)
{
	struct wdp_lease g;
	struct wdp_refusal rf;
	char c = 0, msg[300];
	int s, fd, r;

	s = tb_connect(&t);
	r = s < 0 ? s : tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	if (r == 0)
		snprintf(msg, sizeof(msg), "G");
	else
		snprintf(msg, sizeof(msg), "R%u %s", rf.reason, rf.text);
	if (write(wr, msg, strlen(msg) + 1) < 0)
		_exit(2);
	if (read(rd, &c, 1) < 0)
		_exit(2);
	_exit(0);
}

static void test_concurrent_children(void)
{
	int res[2], go[2], answers[NCHILD], granted = 0, quota = 0, other = 0;
	pid_t pids[NCHILD];
	char buf[NCHILD][300];
	bool is_granted[NCHILD];
	struct wdp_lease g;
	struct wdp_refusal rf;
	int s, fd, r, victim = -1;

	{
		char text[256];

		snprintf(text, sizeof(text), "[user:%s]\nmax_queues = 6\n", user);
		write_policy(text);
	}
	reload();

	if (pipe(go) < 0)
		bail_out("pipe");
	/* all children run at once; collect their answers afterwards */
	for (int i = 0; i < NCHILD; i++) {
		if (pipe(res) < 0)
			bail_out("pipe");
		pids[i] = fork();
		if (pids[i] == 0) {
			close(res[0]);
			close(go[1]);
			child(res[1], go[0]);
		}
		close(res[1]);
		answers[i] = res[0];
	}
	for (int i = 0; i < NCHILD; i++) {
		memset(buf[i], 0, sizeof(buf[i]));
		if (read(answers[i], buf[i], sizeof(buf[i]) - 1) <= 0)
			strcpy(buf[i], "Xno answer");
		close(answers[i]);
	}
	for (int i = 0; i < NCHILD; i++) {
		is_granted[i] = buf[i][0] == 'G';
		if (is_granted[i]) {
			granted++;
			victim = i;
		} else if (buf[i][0] == 'R' && atoi(buf[i] + 1) == WDP_REASON_QUOTA_USER) {
			quota++;
			if (quota == 1)
				diag("refusal: %s", strchr(buf[i], ' ') + 1);
		} else {
			other++;
			diag("unexpected answer: %s", buf[i]);
		}
	}
	is(granted, 6, "%d clients in parallel: exactly the user quota (6) granted", NCHILD);
	is(quota, NCHILD - 6, "the rest refused with reason quota-user");
	{
		char want[128];
		bool found = false;

		snprintf(want, sizeof(want), "quota of 6 queues for user %s reached", user);
		for (int i = 0; i < NCHILD; i++)
			if (buf[i][0] == 'R' && strstr(buf[i], want))
				found = true;
		ok(found, "refusal sentence: \"%s\"", want);
	}

	/* kill -9 one holder: its quota comes back at once */
	kill(pids[victim], SIGKILL);
	waitpid(pids[victim], NULL, 0);
	s = tb_connect(&t);
	r = -1;
	for (int i = 0; i < 100 && r != 0; i++) {
		r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
		if (r != 0)
			usleep(10000);
	}
	ok_errno(r, 0, "after kill -9 of a holder, its queue is granted to another client");
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	is(r, -EDQUOT, "and the quota is full again");
	close(s);

	/* release everybody */
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < NCHILD; i++)
		if (i != victim)
			waitpid(pids[i], NULL, 0);
	(void)other;
}

static void test_many_connections(void)
{
	static int conns[NCONN];
	struct wdp_msg m;
	int granted = 0, refused = 0, fd, r, s;
	struct wdp_lease g;
	struct wdp_refusal rf;
	char text[256];

	snprintf(text, sizeof(text), "[user:%s]\nmax_queues = 100\n", user);
	write_policy(text);
	reload();

	for (int i = 0; i < NCONN; i++) {
		conns[i] = tb_connect(&t);
		if (conns[i] < 0)
			bail_out("connection %d: %s", i, strerror(-conns[i]));
	}
	/* every client asks at the same time (pipelined) */
	for (int i = 0; i < NCONN; i++) {
		struct wdp_msg q = { .type = WDP_REQ_QUEUE, .seq = (uint32_t)i + 1 };

		strcpy(q.queue.alg, "zlib");
		q.queue.node = -1;
		if (wdp_send(conns[i], &q, -1) < 0)
			bail_out("send %d", i);
	}
	for (int i = 0; i < NCONN; i++) {
		r = wdp_recv(conns[i], &m, &fd, NULL);
		if (r == 0 && m.type == WDP_REP_GRANT && fd >= 0 && m.seq == (uint32_t)i + 1) {
			granted++;
			close(fd);
		} else if (r == 0 && m.type == WDP_REP_REFUSE &&
			   m.refusal.reason == WDP_REASON_QUOTA_USER) {
			refused++;
		}
	}
	is(granted, 100, "%d concurrent connections: exactly 100 grants", NCONN);
	is(refused, NCONN - 100, "and %d quota refusals", NCONN - 100);

	for (int i = 0; i < NCONN; i++)
		close(conns[i]);
	/* every hang-up returned its quota: 100 grants again on one connection */
	s = tb_connect(&t);
	granted = 0;
	for (int tries = 0; tries < 200 && granted < 100; tries++) {
		r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
		if (r == 0) {
			granted++;
			close(fd);
		} else {
			usleep(10000);
		}
	}
	is(granted, 100, "after all hung up, the whole quota is available again");
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	is(r, -EDQUOT, "and not one more");
	close(s);
}

/* Read REVOKED notices that arrive within @ms. */
static int count_revoked(int s, int ms)
{
	struct wdp_msg m;
	int n = 0;

	while (tb_readable(s, ms)) {
		if (wdp_recv(s, &m, NULL, NULL) < 0)
			break;
		if (m.type == WDP_EVT_REVOKED)
			n++;
		wdp_msg_clear(&m);
	}
	return n;
}

static void test_reload(void)
{
	struct wdp_lease g, *ls;
	struct wdp_refusal rf;
	char text[512];
	size_t n;
	int s, fd, r;

	snprintf(text, sizeof(text), "[user:%s]\nmax_queues = 4\n", user);
	write_policy(text);
	reload();
	s = tb_connect(&t);
	for (int i = 0; i < 4; i++) {
		r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
		if (r == 0)
			close(fd);
	}
	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "list");
	is(n, 4, "four leases held");
	free(ls);

	/* shrink: 2 of the 4 are revoked, the client is told */
	snprintf(text, sizeof(text), "[user:%s]\nmax_queues = 2\n", user);
	write_policy(text);
	kill(t.broker, SIGHUP);
	is(count_revoked(s, 1000), 2, "quota lowered to 2: two REVOKED notices");
	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "list after the shrink");
	is(n, 2, "two leases left");
	free(ls);

	/* a broken file keeps the last good policy */
	write_policy("[global]\nmax_queues = many\n");
	reload();
	ok(tb_alive(&t), "a broken policy does not stop the broker");
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	is(r, -EDQUOT, "the last good policy (quota 2) still applies");

	/* algorithms narrowed: zlib leases revoked, zlib refused */
	snprintf(text, sizeof(text), "[user:%s]\nmax_queues = 2\nalgorithms = sha256\n", user);
	write_policy(text);
	kill(t.broker, SIGHUP);
	is(count_revoked(s, 1000), 2, "algorithm no longer allowed: its leases are revoked");
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	ok(r == -EACCES && rf.reason == WDP_REASON_ALG_DENIED && strstr(rf.text, "zlib"),
	   "zlib now refused with -EACCES");
	diag("refusal: %s", rf.text);
	r = tb_request(s, "sha256", NULL, -1, &g, &fd, &rf);
	ok(r == 0 && !strcmp(g.device, "wdsoft-1"), "sha256 granted");
	if (r == 0)
		close(fd);

	/* the device goes away: its leases are revoked */
	tb_remove_device(&t, "wdsoft-1");
	reload();
	is(count_revoked(s, 1000), 1, "device removed: its lease is revoked");
	r = tb_request(s, "sha256", NULL, -1, &g, &fd, &rf);
	is(r, -ENODEV, "and its algorithm is no longer offered");
	close(s);
}

int main(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct rlimit rl;

	/* 300 connections + their fds on our side */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048) {
		rl.rlim_cur = rl.rlim_max < 2048 ? rl.rlim_max : 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib", 0, 1000);
	tb_device(&t, "wdsoft-1", "sha256", 0, 1000);
	write_policy("");
	tb_start(&t);

	test_concurrent_children();
	test_many_connections();
	test_reload();

	ok(tb_alive(&t), "broker still running");
	is(tb_stop(&t), 0, "broker exits cleanly");
	tb_cleanup(&t);
	return exit_status();
}
