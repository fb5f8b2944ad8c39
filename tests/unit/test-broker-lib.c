// SPDX-License-Identifier: GPL-2.0-or-later
/* test-broker-lib.c - the fake device tree and the broker it runs (test-broker-lib.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-broker-lib.h"

void tb_write(const char *path, const char *fmt, ...)
{
	char tmp[600];
	va_list ap;
	FILE *f;

	/* write then rename: the broker never sees a half-written file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		bail_out("cannot write %s: %s", tmp, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	if (rename(tmp, path) < 0)
		bail_out("rename %s: %s", path, strerror(errno));
}

void tb_mkdirs(const char *path)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		bail_out("mkdir %s: %s", buf, strerror(errno));
}

void tb_init(struct fake_tree *t)
{
	char p[600];

	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/wdbroker-test.XXXXXX");
	if (!mkdtemp(t->root))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(t->sock, sizeof(t->sock), "%s/broker.sock", t->root);
	snprintf(p, sizeof(p), "%s/sys/class/uacce", t->root);
	tb_mkdirs(p);
	snprintf(p, sizeof(p), "%s/dev", t->root);
	tb_mkdirs(p);
	snprintf(p, sizeof(p), "%s/policy/policy.d", t->root);
	tb_mkdirs(p);
	snprintf(p, sizeof(p), "%s/state", t->root);
	tb_mkdirs(p);
}

void tb_numa(struct fake_tree *t, int nodes, const char *const *distances,
	     const char *const *cpulists)
{
	char p[600];

	for (int n = 0; n < nodes; n++) {
		snprintf(p, sizeof(p), "%s/sys/devices/system/node/node%d", t->root, n);
		tb_mkdirs(p);
		snprintf(p, sizeof(p), "%s/sys/devices/system/node/node%d/distance", t->root, n);
		tb_write(p, "%s\n", distances[n]);
		snprintf(p, sizeof(p), "%s/sys/devices/system/node/node%d/cpulist", t->root, n);
		tb_write(p, "%s\n", cpulists[n]);
	}
}

void tb_attr(struct fake_tree *t, const char *dev, const char *attr,
	     const char *value)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/sys/class/uacce/%s/%s", t->root, dev, attr);
	tb_write(p, "%s\n", value);
}

void tb_device(struct fake_tree *t, const char *name, const char *algs,
	       int node, int available)
{
	char p[600], v[32];

	snprintf(p, sizeof(p), "%s/sys/class/uacce/%s", t->root, name);
	tb_mkdirs(p);
	tb_attr(t, name, "api", "wdsoft_v1");
	tb_attr(t, name, "algorithms", algs);
	tb_attr(t, name, "flags", "4");
	tb_attr(t, name, "id", "0");
	snprintf(v, sizeof(v), "%d", node);
	tb_attr(t, name, "node_id", v);
	snprintf(v, sizeof(v), "%d", available);
	tb_attr(t, name, "available_instances", v);
	tb_attr(t, name, "isolate", "0");
	snprintf(p, sizeof(p), "%s/dev/%s", t->root, name);
	if (mkfifo(p, 0666) < 0 && errno != EEXIST)
		bail_out("mkfifo %s: %s", p, strerror(errno));
}

void tb_remove_device(struct fake_tree *t, const char *name)
{
	char p[600];
	const char *attrs[] = { "api", "algorithms", "flags", "id", "node_id",
				"available_instances", "isolate" };

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(p, sizeof(p), "%s/sys/class/uacce/%s/%s", t->root, name, attrs[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sys/class/uacce/%s", t->root, name);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/dev/%s", t->root, name);
	unlink(p);
}

void tb_policy(struct fake_tree *t, const char *text)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/policy/policy.conf", t->root);
	tb_write(p, "%s", text);
}

int tb_connect(struct fake_tree *t)
{
	return wdp_client_connect(t->sock);
}

const char *tb_broker_path(void)
{
	static char path[512];
	const char *b = getenv("WD_BUILD_ROOT");

	snprintf(path, sizeof(path), "%s/wdbrokerd/wdbrokerd", b ? b : ".");
	return path;
}

void tb_start(struct fake_tree *t)
{
	char sys[300], dev[300], pol[300], st[300];
	pid_t pid;

	snprintf(sys, sizeof(sys), "%s/sys", t->root);
	snprintf(dev, sizeof(dev), "%s/dev", t->root);
	snprintf(pol, sizeof(pol), "%s/policy", t->root);
	snprintf(st, sizeof(st), "%s/state", t->root);
	unlink(t->sock);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		if (!getenv("WD_TEST_VERBOSE")) {
			/* the broker's log goes to <tree>/broker.log */
			char log[400];
			int lfd;

			snprintf(log, sizeof(log), "%s/broker.log", t->root);
			lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (lfd >= 0)
				dup2(lfd, STDERR_FILENO);
		}
		/*
		 * The broker starts with 0-2 only, whatever the test runner
		 * left open: tests that count or limit its fds (emfile,
		 * closefd) must not depend on who started them.
		 */
		close_range(3, ~0U, 0);
		unsetenv("NOTIFY_SOCKET");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		if (getenv("WD_BROKER_VALGRIND"))	/* memcheck the daemon itself */
			execlp("valgrind", "valgrind", "-q", "--leak-check=full",
			       "--errors-for-leak-kinds=definite", "--error-exitcode=99",
			       tb_broker_path(), "--socket", t->sock, "--sysfs-root", sys,
			       "--dev-root", dev, "--policy", pol, "--state-dir", st,
			       "--bus", t->bus ? t->bus : "none", t->extra, (char *)NULL);
		execl(tb_broker_path(), "wdbrokerd", "--socket", t->sock, "--sysfs-root", sys,
		      "--dev-root", dev, "--policy", pol, "--state-dir", st,
		      "--bus", t->bus ? t->bus : "none", t->extra ? t->extra : "--no-monitor",
		      getenv("WD_TEST_VERBOSE") ? "-v" : NULL, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", tb_broker_path(), strerror(errno));
		_exit(127);
	}
	t->broker = pid;
	for (int i = 0; i < 1000; i++) {
		int fd = tb_connect(t);
		int st2;

		if (fd >= 0) {
			close(fd);
			return;
		}
		if (waitpid(pid, &st2, WNOHANG) == pid)
			bail_out("wdbrokerd exited during start (status %d)", st2);
		usleep(10000);
	}
	bail_out("wdbrokerd did not start listening on %s", t->sock);
}

int tb_stop(struct fake_tree *t)
{
	int st = 0;

	if (t->broker <= 0)
		return -1;
	kill(t->broker, SIGTERM);
	if (waitpid(t->broker, &st, 0) < 0)
		return -1;
	t->broker = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool tb_alive(struct fake_tree *t)
{
	int st;

	return t->broker > 0 && waitpid(t->broker, &st, WNOHANG) == 0;
}

static int tb_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

void tb_cleanup(struct fake_tree *t)
{
	if (t->broker > 0)
		tb_stop(t);
	nftw(t->root, tb_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int tb_request(int sock, const char *alg, const char *device, int node,
	       struct wdp_lease *g, int *fd, struct wdp_refusal *rf)
{
	struct wdp_queue_req q = { .node = node };

	snprintf(q.alg, sizeof(q.alg), "%s", alg);
	snprintf(q.device, sizeof(q.device), "%s", device ? device : "");
	return wdp_client_request_queue(sock, &q, g, fd, rf);
}

int tb_log_count(struct fake_tree *t, const char *needle)
{
	char path[400], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/broker.log", t->root);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

bool tb_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}
