// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-emfile: a broker out of file descriptors does not spin.
 * With its RLIMIT_NOFILE lowered (prlimit) and more connections waiting in
 * the backlog than it can accept, it must rest instead of retrying accept()
 * in a busy loop (its CPU time over the wait stays far below the wall
 * time), log the shortage once, keep serving the clients it has, never drop
 * a client that accept() let in (identifying it needs fds too), and accept
 * the waiting ones once fds are free again.
 */
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "test-broker-lib.h"

#define WAITING	24
#define WAIT_MS	1500

static struct fake_tree t;

/* The highest fd number @pid has open. */
static int max_fd(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > n)
			n = atoi(e->d_name);
	closedir(d);
	return n;
}

/* utime + stime of @pid in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after "comm)": state, then 10 fields, then utime and stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static bool answered(int s)
{
	struct wdp_lease *ls = NULL;
	struct wdp_refusal rf;
	size_t n;
	int r;

	r = wdp_client_list(s, &ls, &n, &rf);
	free(ls);
	return r == 0;
}

static void system_log_dump(void)
{
	char path[400], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/broker.log", t.root);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		diag("broker: %s", line);
	if (f)
		fclose(f);
}

int main(void)
{
	long hz = sysconf(_SC_CLK_TCK), t0, t1;
	int s[WAITING], base = 0, accepted = 0, later, shortages, resumed;
	struct rlimit rl;

	tb_init(&t);
	tb_device(&t, "wdsoft-0", "zlib", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	tb_start(&t);
	plan(7);

	for (int i = 0; i < WAITING; i++) {
		struct timeval tv = { .tv_sec = 10 };

		if (i == 4) {
			/*
			 * One fd more than the broker has open now: accept()
			 * takes it, and the client it let in must still be
			 * identified (which opens files) rather than dropped.
			 */
			base = max_fd(t.broker) + 2;
			if (prlimit(t.broker, RLIMIT_NOFILE, NULL, &rl) < 0)
				bail_out("prlimit: %s", strerror(errno));
			rl.rlim_cur = (rlim_t)base;
			if (base <= 4 || prlimit(t.broker, RLIMIT_NOFILE, &rl, NULL) < 0)
				bail_out("prlimit: %s", strerror(errno));
		}
		s[i] = tb_connect(&t);
		if (s[i] < 0)
			bail_out("connect %d: %s", i, strerror(-s[i]));
		setsockopt(s[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (i < 4)
			accepted += answered(s[i]);
	}
	ok(accepted == 4, "the broker serves its %d clients; then RLIMIT_NOFILE is %d, all in use",
	   accepted, base);

	t0 = cpu_ticks(t.broker);
	usleep(WAIT_MS * 1000);
	t1 = cpu_ticks(t.broker);
	/* A spinning loop burns the whole wait; resting costs a few wake-ups. */
	ok(t0 >= 0 && t1 >= 0 && (t1 - t0) * 1000 / hz < WAIT_MS / 5,
	   "out of fds with %d connections waiting, the broker used %ld ms of CPU in %d ms",
	   WAITING - 4, (t1 - t0) * 1000 / hz, WAIT_MS);
	ok(answered(s[1]), "it still answers an accepted client meanwhile");
	/*
	 * Once per shortage, not once per pause. Normally there is one; a
	 * second is legitimate only if an fd came free meanwhile (a close
	 * still in flight in the broker's reaper when the limit was set),
	 * and then the broker must have said it was accepting again.
	 */
	shortages = tb_log_count(&t, "cannot accept connections");
	resumed = tb_log_count(&t, "accepting connections again");
	ok(shortages >= 1 && shortages == resumed + 1,
	   "the shortage is logged once per episode (%d logged, %d resumed)", shortages, resumed);

	/* Free fds: the waiting connections are accepted, in turn. */
	rl.rlim_cur = (rlim_t)base + WAITING + 8;
	if (prlimit(t.broker, RLIMIT_NOFILE, &rl, NULL) < 0)
		bail_out("prlimit: %s", strerror(errno));
	for (int i = 0; i < 4; i++)
		close(s[i]);
	later = 0;
	for (int i = 4; i < WAITING; i++)
		later += answered(s[i]);
	ok(later == WAITING - 4, "with fds free again the %d waiting clients are served (%d)",
	   WAITING - 4, later);
	ok(tb_log_count(&t, "cannot identify client") == 0,
	   "no client that accept() let in was dropped for want of fds (%d)",
	   tb_log_count(&t, "cannot identify client"));
	for (int i = 4; i < WAITING; i++)
		close(s[i]);
	if (later != WAITING - 4 || shortages != 1 ||
	    tb_log_count(&t, "cannot identify client"))
		system_log_dump();
	ok(tb_stop(&t) == 0, "the broker exits cleanly");
	printf("# report: broker-emfile: %d connections waiting at EMFILE for %d ms, broker CPU %ld ms, "
	       "%d shortage log line(s)\n", WAITING - 4, WAIT_MS, (t1 - t0) * 1000 / hz, shortages);
	tb_cleanup(&t);
	return exit_status();
}
