// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-restart: leases survive a broker restart. The test plays
 * systemd's part: it receives READY/STATUS and the FDSTORE=1 fds on a
 * NOTIFY_SOCKET, and starts the next broker with those fds (LISTEN_FDS,
 * LISTEN_FDNAMES). The client keeps its connection and leases; quotas
 * count the restored leases; a client that left while the broker was down
 * has its lease ended by the new broker. Like PID 1, the fake store polls
 * every fd stored without FDPOLL=0 and drops it on EPOLLHUP or EPOLLERR:
 * that is how a connection leaves the store when it ends.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "test-broker-lib.h"

#define MAXFD 64

static struct fake_tree t;
static int notify_fd = -1;
static char notify_path[400];
static struct stored {
	char name[64];
	int fd;
	bool poll;			/* stored without FDPOLL=0 */
} store[MAXFD];
static int n_store;
static bool ready;
static char status[256];

static void store_remove(const char *name)
{
	for (int i = 0; i < n_store; i++)
		if (!strcmp(store[i].name, name)) {
			close(store[i].fd);
			store[i] = store[--n_store];
			return;
		}
}

static bool store_has(const char *name)
{
	for (int i = 0; i < n_store; i++)
		if (!strcmp(store[i].name, name))
			return true;
	return false;
}

/* What PID 1's watch on a polled fd does: drop it once it hangs up. */
static void store_sweep(void)
{
	for (int i = 0; i < n_store;) {
		struct pollfd p = { .fd = store[i].fd };

		if (store[i].poll && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
			close(store[i].fd);
			store[i] = store[--n_store];
		} else {
			i++;
		}
	}
}

/* Process notify messages arriving within @ms, then sweep the store. */
static void pump(int ms)
{
	while (tb_readable(notify_fd, ms)) {
		char buf[4096], ctl[CMSG_SPACE(16 * sizeof(int))], *line, *save = NULL;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		int fds[16], nfds = 0;
		bool fdstore = false, remove = false, fdpoll = true;
		char fdname[64] = "stored";
		ssize_t n = recvmsg(notify_fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0)
			break;
		buf[n] = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				memcpy(fds, CMSG_DATA(c), (size_t)nfds * sizeof(int));
			}
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strcmp(line, "READY=1"))
				ready = true;
			else if (!strncmp(line, "STATUS=", 7))
				snprintf(status, sizeof(status), "%s", line + 7);
			else if (!strcmp(line, "FDSTORE=1"))
				fdstore = true;
			else if (!strcmp(line, "FDSTOREREMOVE=1"))
				remove = true;
			else if (!strcmp(line, "FDPOLL=0"))
				fdpoll = false;
			else if (!strncmp(line, "FDNAME=", 7))
				snprintf(fdname, sizeof(fdname), "%s", line + 7);
		}
		if (fdstore) {
			for (int i = 0; i < nfds; i++) {
				store_remove(fdname);	/* same name replaces */
				if (n_store < MAXFD) {
					snprintf(store[n_store].name, sizeof(store[0].name), "%s", fdname);
					store[n_store].poll = fdpoll;
					store[n_store++].fd = fds[i];
				} else {
					close(fds[i]);
				}
			}
		} else {
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			if (remove)
				store_remove(fdname);
		}
		ms = 50;
	}
	store_sweep();
}

static void start(void)
{
	char sys[300], dev[300], pol[300], st[300];
	pid_t pid;

	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	snprintf(dev, sizeof(dev), "%s/dev", t.root);
	snprintf(pol, sizeof(pol), "%s/policy", t.root);
	snprintf(st, sizeof(st), "%s/state", t.root);
	ready = false;
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		char names[4096] = "", num[16];
		int tmp[MAXFD];

		/* move the stored fds to 3, 4, ... as systemd does */
		for (int i = 0; i < n_store; i++)
			tmp[i] = fcntl(store[i].fd, F_DUPFD, 100);
		for (int i = 0; i < n_store; i++) {
			dup2(tmp[i], 3 + i);
			if (i)
				strcat(names, ":");
			strcat(names, store[i].name);
		}
		snprintf(num, sizeof(num), "%d", n_store);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		if (n_store) {
			setenv("LISTEN_FDS", num, 1);
			setenv("LISTEN_FDNAMES", names, 1);
			snprintf(num, sizeof(num), "%d", (int)getpid());
			setenv("LISTEN_PID", num, 1);
		}
		if (!getenv("WD_TEST_VERBOSE")) {
			char log[400];
			int lfd;

			snprintf(log, sizeof(log), "%s/broker.log", t.root);
			lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (lfd >= 0)
				dup2(lfd, STDERR_FILENO);
		}
		execl(tb_broker_path(), "wdbrokerd", "--socket", t.sock, "--sysfs-root", sys,
		      "--dev-root", dev, "--policy", pol, "--state-dir", st, "--bus", "none",
		      (char *)NULL);
		_exit(127);
	}
	t.broker = pid;
	for (int i = 0; i < 100 && !ready; i++)
		pump(100);
}

static int count_state_files(void)
{
	char cmd[600];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls %s/state | grep -c '^lease-'", t.root);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

int main(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wdp_lease g, *ls = NULL;
	struct wdp_refusal rf;
	uint64_t ids[2] = { 0, 0 }, gone = 0;
	size_t n = 0;
	int s, s2, fd, r, qfd[2] = { -1, -1 };
	char text[256];

	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib", 0, 100);
	snprintf(text, sizeof(text), "[global]\nmax_queues = 3\n");
	tb_policy(&t, text);

	snprintf(notify_path, sizeof(notify_path), "%s/notify", t.root);
	strcpy(sa.sun_path, notify_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		bail_out("notify socket: %s", strerror(errno));

	start();
	ok(ready, "READY=1 sent");
	ok(strstr(status, "device") != NULL, "STATUS=%s", status);

	s = tb_connect(&t);
	for (int i = 0; i < 2; i++) {
		r = tb_request(s, "zlib", NULL, -1, &g, &qfd[i], &rf);
		if (r == 0)
			ids[i] = g.id;
	}
	ok(ids[0] && ids[1], "two leases granted");
	s2 = tb_connect(&t);
	r = tb_request(s2, "zlib", NULL, -1, &g, &fd, &rf);
	gone = r == 0 ? g.id : 0;
	if (r == 0)
		close(fd);
	pump(300);
	{
		char a[32], b[32], c[32];

		snprintf(a, sizeof(a), "lease-%llu", (unsigned long long)ids[0]);
		snprintf(b, sizeof(b), "lease-%llu", (unsigned long long)ids[1]);
		snprintf(c, sizeof(c), "lease-%llu", (unsigned long long)gone);
		ok(store_has(a) && store_has(b) && store_has(c), "lease fds are in the fd store");
	}
	is(n_store, 5, "two connections + three leases stored");
	is(count_state_files(), 3, "three lease state files");

	/* restart: stop, and one client leaves while the broker is down */
	is(tb_stop(&t), 0, "broker stops cleanly");
	close(s2);
	start();
	ok(ready, "new broker ready with the stored fds");
	pump(500);

	ok_errno(wdp_client_list(s, &ls, &n, &rf), 0, "the old connection talks to the new broker");
	ok(n == 2 && ((ls[0].id == ids[0] && ls[1].id == ids[1]) ||
		      (ls[0].id == ids[1] && ls[1].id == ids[0])), "its two leases survived");
	free(ls);
	{
		char c[32];

		snprintf(c, sizeof(c), "lease-%llu", (unsigned long long)gone);
		ok(!store_has(c), "the lease of the client that left is dropped from the store");
	}
	is(count_state_files(), 2, "and its state file removed");

	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	ok(r == 0 && g.id > ids[1] && g.id > gone, "third lease granted (quota 3), with a fresh id");
	if (r == 0)
		close(fd);
	r = tb_request(s, "zlib", NULL, -1, &g, &fd, &rf);
	ok(r == -EDQUOT && rf.reason == WDP_REASON_QUOTA_GLOBAL,
	   "fourth refused: restored leases count against the quota");

	ok_errno(wdp_client_release(s, ids[0], &rf), 0, "a restored lease can be released");

	/*
	 * The broker ends a stored connection itself (a protocol error): the
	 * client must see end-of-file although the store holds a copy of
	 * the socket, and both its entries must leave the store.
	 */
	{
		int s3 = tb_connect(&t), before;
		char junk[64], c;

		pump(100);
		before = n_store;
		r = tb_request(s3, "zlib", NULL, -1, &g, &fd, &rf);
		ok(r == 0, "a third client gets the free lease");
		if (r == 0)
			close(fd);
		pump(300);
		is(n_store, before + 2, "its connection and its lease are stored");
		memset(junk, 0xa5, sizeof(junk));
		ok(write(s3, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "it sends garbage");
		ok(tb_readable(s3, 5000) && read(s3, &c, 1) == 0,
		   "the broker's close reaches it: end-of-file, though the store has a copy");
		pump(300);
		is(n_store, before, "its connection and its lease left the store");
		close(s3);
	}

	close(s);
	pump(500);
	is(n_store, 0, "after the hang-up every fd left the store");
	is(count_state_files(), 0, "and every state file is gone");

	is(tb_stop(&t), 0, "broker exits cleanly");
	for (int i = 0; i < 2; i++)
		if (qfd[i] >= 0)
			close(qfd[i]);
	while (n_store)
		store_remove(store[0].name);
	close(notify_fd);
	tb_cleanup(&t);
	return exit_status();
}
