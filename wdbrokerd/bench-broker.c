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
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wdproto.h"

static char root[64] = "/tmp/wdbroker-bench.XXXXXX";

static void put(const char *rel, const char *val)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(1);
	}
	fputs(val, f);
	fclose(f);
}

static long rss_kb(pid_t pid)
{
	char p[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 3;
	const char *b = getenv("WD_BUILD_ROOT");
	char exe[512], sock[128], dir[256], sys[128], dev[128], pol[128];
	struct rlimit rl = { 65536, 65536 };
	int *conns, *fds;
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
	if (!mkdtemp(root))
		return 1;
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

	snprintf(exe, sizeof(exe), "%s/wdbrokerd/wdbrokerd", b ? b : ".");
	snprintf(sock, sizeof(sock), "%s/sock", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(pol, sizeof(pol), "%s/policy", root);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(exe, "wdbrokerd", "--socket", sock, "--sysfs-root", sys, "--dev-root", dev,
		      "--policy", pol, "--bus", "none", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		int s = wdp_client_connect(sock);

		if (s >= 0) {
			close(s);
			break;
		}
		usleep(10000);
	}
	conns = calloc((size_t)n, sizeof(int));
	fds = calloc((size_t)n, sizeof(int));
	lat = calloc((size_t)n, sizeof(double));
	printf("# broker pid %d, %d clients, %d rounds\n", (int)pid, n, rounds);
	printf("rss idle: %ld kB\n", rss_kb(pid));

	for (int r = 0; r < rounds; r++) {
		struct wdp_queue_req q = { .alg = "zlib", .node = -1 };
		struct wdp_lease g;
		struct wdp_refusal rf;
		double t0 = now(), sum = 0;
		int granted = 0;

		for (int i = 0; i < n; i++) {
			conns[i] = wdp_client_connect(sock);
			if (conns[i] < 0) {
				fprintf(stderr, "connect %d: %s\n", i, strerror(-conns[i]));
				return 1;
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
		       lat[(n * 99) / 100] * 1e6, lat[n - 1] * 1e6, rss_kb(pid), now() - t0);
		for (int i = 0; i < n; i++) {
			close(conns[i]);
			if (fds[i] >= 0)
				close(fds[i]);
		}
		usleep(300000);
		printf("round %d: all left; rss %ld kB\n", r + 1, rss_kb(pid));
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(conns);
	free(fds);
	free(lat);
	return 0;
}
