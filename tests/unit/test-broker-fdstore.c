// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-fdstore: when the broker cannot put a queue in systemd's fd
 * store, it refuses the grant (reason "internal", a sentence that says
 * why) instead of handing out a queue a restart would leave unaccounted,
 * logs the failure, keeps no lease and no state file, and keeps serving.
 * The fd store is made to fail by a NOTIFY_SOCKET nobody listens on.
 */
#include <dirent.h>

#include "test-broker-lib.h"

static struct fake_tree t;

static int state_files(void)
{
	char path[400];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/state", t.root);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "lease-", 6);
	closedir(d);
	return n;
}

/* tb_start(), but with NOTIFY_SOCKET set to a socket that does not exist. */
static void start_with_dead_notify_socket(void)
{
	char sys[300], dev[300], pol[300], st[300], log[400], notify[400];
	pid_t pid;

	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	snprintf(dev, sizeof(dev), "%s/dev", t.root);
	snprintf(pol, sizeof(pol), "%s/policy", t.root);
	snprintf(st, sizeof(st), "%s/state", t.root);
	snprintf(log, sizeof(log), "%s/broker.log", t.root);
	snprintf(notify, sizeof(notify), "%s/no-such-notify.sock", t.root);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (lfd >= 0)
			dup2(lfd, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", notify, 1);
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		execl(tb_broker_path(), "wdbrokerd", "--socket", t.sock, "--sysfs-root", sys,
		      "--dev-root", dev, "--policy", pol, "--state-dir", st, "--bus", "none",
		      "--no-monitor", (char *)NULL);
		_exit(127);
	}
	t.broker = pid;
	for (int i = 0; i < 1000; i++) {
		int fd = tb_connect(&t);

		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	bail_out("wdbrokerd did not start listening on %s", t.sock);
}

int main(void)
{
	struct wdp_refusal rf;
	struct wdp_lease g, *ls = NULL;
	size_t n = 99;
	int s, qfd = -1, r;

	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	start_with_dead_notify_socket();
	plan(6);

	s = tb_connect(&t);
	r = tb_request(s, "zlib", NULL, -1, &g, &qfd, &rf);
	ok(r == -EIO && rf.reason == WDP_REASON_INTERNAL && qfd < 0,
	   "the grant is refused when the fd store fails: %s (%s)", strerror(-r), rf.text);
	ok(strstr(rf.text, "across its restarts") != NULL, "the refusal says why: \"%s\"", rf.text);
	r = wdp_client_list(s, &ls, &n, &rf);
	ok(r == 0 && n == 0, "the connection holds no lease (%zu) and is still served", n);
	free(ls);
	ok(state_files() == 0, "no lease state file is left (%d)", state_files());
	ok(tb_log_count(&t, "cannot put the queue of lease") >= 1, "the broker logs the fd store failure");
	close(s);
	ok(tb_stop(&t) == 0, "the broker exits cleanly");
	tb_cleanup(&t);
	return exit_status();
}
