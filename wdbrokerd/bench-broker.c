// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-broker: scale of one broker (meson benchmark, never a timed test).
 *
 * Starts wdbrokerd on a fake device tree, connects N clients (default
 * 1000) that each hold a lease, and reports the request latency at that
 * load and the broker's RSS: idle, with N clients, after they all left,
 * and with N clients again (flat RSS = no growth across rounds).
 *
 *   meson test -C BUILD --benchmark bench-broker   (or run it directly:
 *   bench-broker [CLIENTS] [ROUNDS])
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private-broker.h"
#include "wdproto.h"

static char root[64] = "/tmp/wdbroker-bench.XXXXXX";

/* Write a file of the fake tree; a benchmark on a half-built tree is worthless. */
static void put(const char *rel, const char *val)
{
	int r = pb_write_file(root, rel, val);

	if (r < 0) {
		fprintf(stderr, "bench-broker: cannot write %s/%s: %s\n", root, rel, strerror(-r));
		exit(1);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The fake sysfs, /dev and policy of one device with room for everyone. */
static int make_tree(void)
{
	char dir[256];

	if (!mkdtemp(root))
		return -errno;
	snprintf(dir, sizeof(dir), "%s/sys/class/uacce/wdsoft-0", root);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/dev", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/policy", root);
	mkdir(dir, 0755);
	put("sys/class/uacce/wdsoft-0/api", "wdsoft_v1\n");
	put("sys/class/uacce/wdsoft-0/algorithms", "zlib\n");
	put("sys/class/uacce/wdsoft-0/flags", "4\n");
	put("sys/class/uacce/wdsoft-0/node_id", "0\n");
	put("sys/class/uacce/wdsoft-0/available_instances", "1000000\n");
	put("sys/class/uacce/wdsoft-0/isolate", "0\n");
	put("policy/policy.conf", "[global]\nmax_queues = unlimited\n");
	snprintf(dir, sizeof(dir), "%s/dev/wdsoft-0", root);
	mkfifo(dir, 0666);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 3;
	const char *b = getenv("WD_BUILD_ROOT");
	char exe[512], sock[128], sys[128], dev[128], pol[128];
	struct rlimit rl = { 65536, 65536 };
	int *conns, *fds, e, st, ret = 0;
	double *lat;
	pid_t pid;

	if (n < 1)
		n = 1000;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if ((int)rl.rlim_cur < 2 * n + 64)
			n = ((int)rl.rlim_cur - 64) / 2;
	}
	if (make_tree() < 0)
		return 1;
	snprintf(exe, sizeof(exe), "%s/wdbrokerd/wdbrokerd", b ? b : ".");
	snprintf(sock, sizeof(sock), "%s/sock", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(pol, sizeof(pol), "%s/policy", root);
	pid = pb_spawn(exe, (char *const[]){ "wdbrokerd", "--socket", sock, "--sysfs-root", sys,
		       "--dev-root", dev, "--policy", pol, "--bus", "none", NULL }, "/dev/null");
	e = pid < 0 ? (int)pid : pb_wait_listening(sock, pid, 5000, &st);
	if (e < 0) {
		if (e == -ECHILD)
			fprintf(stderr, "bench-broker: %s exited with status %d before listening; build it first or set WD_BUILD_ROOT\n",
				exe, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		else
			fprintf(stderr, "bench-broker: %s did not listen on %s: %s\n", exe, sock,
				strerror(-e));
		if (e == -ETIMEDOUT) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
		}
		pb_remove_tree(root);
		return 1;
	}
	conns = calloc((size_t)n, sizeof(int));
	fds = calloc((size_t)n, sizeof(int));
	lat = calloc((size_t)n, sizeof(double));
	if (!conns || !fds || !lat) {
		fprintf(stderr, "bench-broker: out of memory for %d clients\n", n);
		ret = 1;
		goto out;
	}
	printf("# broker pid %d, %d clients, %d rounds\n", (int)pid, n, rounds);
	printf("rss idle: %ld kB\n", pb_rss_kb(pid));

	for (int r = 0; r < rounds; r++) {
		struct wdp_queue_req q = { .alg = "zlib", .node = -1 };
		struct wdp_lease g;
		struct wdp_refusal rf;
		double t0 = now(), sum = 0;
		int granted = 0;

		for (int i = 0; i < n; i++) {
			conns[i] = wdp_client_connect(sock);
			if (conns[i] < 0) {
				fprintf(stderr, "bench-broker: client %d of %d could not connect: %s\n",
					i + 1, n, strerror(-conns[i]));
				while (i--)
					close(conns[i]);
				ret = 1;
				goto out;
			}
		}
		for (int i = 0; i < n; i++) {
			double t = now();

			if (wdp_client_request_queue(conns[i], &q, &g, &fds[i], &rf) == 0)
				granted++;
			lat[i] = now() - t;
			sum += lat[i];
		}
		qsort(lat, (size_t)n, sizeof(double), cmp_double);
		printf("round %d: %d/%d granted with %d connected; request latency mean %.1f us, "
		       "p50 %.1f us, p99 %.1f us, max %.1f us; rss %ld kB; %.2f s\n",
		       r + 1, granted, n, n, sum / n * 1e6, lat[n / 2] * 1e6,
		       lat[(n * 99) / 100] * 1e6, lat[n - 1] * 1e6, pb_rss_kb(pid), now() - t0);
		for (int i = 0; i < n; i++) {
			close(conns[i]);
			if (fds[i] >= 0)
				close(fds[i]);
		}
		usleep(300000);
		printf("round %d: all left; rss %ld kB\n", r + 1, pb_rss_kb(pid));
	}
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	pb_remove_tree(root);
	free(conns);
	free(fds);
	free(lat);
	return ret;
}
