// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * broker.c - what the broker costs: grant latency and rate with many
 * clients holding leases, against opening the same device directly, and
 * the broker's memory per lease (see wdbench.h for the procedure).
 *
 * The broker is a private instance (own socket, state directory and an
 * unlimited policy) on the machine's real devices, so grants are real
 * queues; it never touches a system broker that may be running.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>

#include "core.h"
#include "private-broker.h"
#include "wdproto.h"

#define MAX_IN_FLIGHT	16

struct bctx {
	const struct wdb_broker_params *p;
	struct wdb_cell err;		/* only for wdb_fail()'s why */
	char dir[64];
	pid_t pid;
	int *conns;			/* one per client */
	int *held;			/* each client's kept queue fd */
	struct wdp_queue_req req;	/* pinned to the first granted device */
	char devnode[128];
	int phase;
};

struct bthread {
	struct bctx *b;
	unsigned int t, nthreads;
	bool direct;
	uint64_t n;
	struct wdb_hist hist;
	int err;
	pthread_t tid;
};

static int start_broker(struct bctx *b)
{
	char sock[128], pol[96], state[96], log[96];
	int r, st;

	snprintf(b->dir, sizeof(b->dir), "/tmp/wdbench-broker.XXXXXX");
	if (!mkdtemp(b->dir))
		return wdb_fail(&b->err, -errno, "cannot make a directory in /tmp: %s", strerror(errno));
	snprintf(pol, sizeof(pol), "%s/policy", b->dir);
	snprintf(state, sizeof(state), "%s/state", b->dir);
	snprintf(sock, sizeof(sock), "%s/sock", b->dir);
	snprintf(log, sizeof(log), "%s/broker.log", b->dir);
	if (mkdir(pol, 0755) < 0 || mkdir(state, 0755) < 0 ||
	    pb_write_file(pol, "policy.conf", "[global]\nmax_queues = unlimited\n") < 0)
		return wdb_fail(&b->err, -EIO, "cannot write the benchmark broker's policy in %s",
				b->dir);
	b->pid = pb_spawn(b->p->broker_exe, (char *const[]){ "wdbrokerd", "--socket", sock,
			  "--policy", pol, "--state-dir", state, "--bus", "none", "--no-monitor",
			  NULL }, log);
	if (b->pid < 0) {
		r = b->pid;
		b->pid = 0;
		return wdb_fail(&b->err, r, "fork failed: %s", strerror(-r));
	}
	r = pb_wait_listening(sock, b->pid, 10000, &st);
	if (r == -ECHILD) {
		b->pid = 0;
		return wdb_fail(&b->err, r, "%s exited with status %d before listening (its log: %s)",
				b->p->broker_exe, WEXITSTATUS(st), log);
	}
	if (r < 0)
		return wdb_fail(&b->err, r, "%s did not listen on %s within 10 s",
				b->p->broker_exe, sock);
	return 0;
}

static void stop_broker(struct bctx *b)
{
	for (unsigned int i = 0; i < b->p->clients; i++) {
		if (b->held && b->held[i] >= 0)
			close(b->held[i]);
		if (b->conns && b->conns[i] >= 0)
			close(b->conns[i]);
	}
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
	}
	if (b->dir[0])
		pb_remove_tree(b->dir);
}

static int ask(struct bctx *b, int conn, int *fd, uint64_t *lease, char *dev, size_t dev_len)
{
	struct wdp_lease g;
	struct wdp_refusal rf = { 0 };
	int r = wdp_client_request_queue(conn, &b->req, &g, fd, &rf);

	if (r < 0)
		return wdb_fail(&b->err, r, "the broker refused a %s queue: %s", b->req.alg,
				rf.reason ? rf.text : strerror(-r));
	if (lease)
		*lease = g.id;
	if (dev)
		snprintf(dev, dev_len, "%s", g.device);
	return 0;
}

static int start_q(struct bctx *b, int fd)
{
	if (ioctl(fd, UACCE_CMD_START_Q) < 0)
		return wdb_fail(&b->err, -errno, "UACCE_CMD_START_Q on a %s queue failed: %s",
				b->req.device, strerror(errno));
	return 0;
}

static int one_grant(struct bthread *t, unsigned int client)
{
	struct bctx *b = t->b;
	int conn = b->conns[client], fd = -1, r;
	uint64_t lease, t0 = wdb_now_ns();

	r = ask(b, conn, &fd, &lease, NULL, 0);
	if (!r)
		r = start_q(b, fd);
	if (!r && __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) == 1) {
		wdb_hist_add(&t->hist, wdb_now_ns() - t0);
		__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	if (!r) {
		struct wdp_refusal rf = { 0 };

		r = wdp_client_release(conn, lease, &rf);
		if (r < 0)
			wdb_fail(&b->err, r, "releasing lease %llu failed: %s",
				 (unsigned long long)lease, rf.reason ? rf.text : strerror(-r));
	}
	return r;
}

static int one_direct(struct bthread *t)
{
	struct bctx *b = t->b;
	uint64_t t0 = wdb_now_ns();
	int fd = open(b->devnode, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return wdb_fail(&b->err, -errno, "cannot open %s: %s", b->devnode, strerror(errno));
	r = start_q(b, fd);
	if (!r && __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) == 1) {
		wdb_hist_add(&t->hist, wdb_now_ns() - t0);
		__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELAXED);
	}
	close(fd);
	return r;
}

static void *bthread_main(void *arg)
{
	struct bthread *t = arg;
	struct bctx *b = t->b;
	unsigned int client = t->t;

	while (__atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) != 2) {
		t->err = t->direct ? one_direct(t) : one_grant(t, client);
		if (t->err) {
			__atomic_store_n(&b->phase, 2, __ATOMIC_RELEASE);
			break;
		}
		client += t->nthreads;
		if (client >= b->p->clients)
			client = t->t;
	}
	return NULL;
}

static uint64_t done_so_far(struct bthread *ts, unsigned int n)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += __atomic_load_n(&ts[i].n, __ATOMIC_RELAXED);
	return sum;
}

/* One timed half: grants through the broker, or direct opens. */
static int timed(struct bctx *b, bool direct, unsigned int nthreads, struct wdb_progress *pr,
		 uint64_t *count, double *rate, double *p50, double *p99)
{
	uint64_t warm = (uint64_t)(b->p->seconds * 1e9) / 4, run = (uint64_t)(b->p->seconds * 1e9);
	struct bthread *ts = calloc(nthreads, sizeof(*ts));
	struct wdb_hist *h = calloc(1, sizeof(*h));
	uint64_t t0 = wdb_now_ns(), tw = 0, te = 0;
	unsigned int started = 0;
	int r = 0;

	if (!ts || !h) {
		free(ts);
		free(h);
		return wdb_fail(&b->err, -ENOMEM, "out of memory");
	}
	b->phase = 0;
	for (; started < nthreads; started++) {
		ts[started] = (struct bthread){ .b = b, .t = started, .nthreads = nthreads,
						.direct = direct };
		r = -pthread_create(&ts[started].tid, NULL, bthread_main, &ts[started]);
		if (r < 0) {
			wdb_fail(&b->err, r, "cannot start a client thread: %s", strerror(-r));
			__atomic_store_n(&b->phase, 2, __ATOMIC_RELEASE);
			break;
		}
	}
	if (!r && wdb_wait_until(t0 + warm, &b->phase, pr)) {
		tw = wdb_now_ns();
		__atomic_store_n(&b->phase, 1, __ATOMIC_RELEASE);
		bool ok = wdb_wait_until(tw + run, &b->phase, pr);

		/* At least one op per thread, so a slow machine still measures. */
		while (ok && done_so_far(ts, started) < nthreads &&
		       wdb_now_ns() - tw < 60000000000ULL)
			ok = wdb_wait_until(wdb_now_ns() + 20000000ULL, &b->phase, pr);
		if (ok) {
			__atomic_store_n(&b->phase, 2, __ATOMIC_RELEASE);
			te = wdb_now_ns();
		}
	}
	*count = 0;
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(ts[i].tid, NULL);
		if (!r && ts[i].err)
			r = ts[i].err;
		*count += ts[i].n;
		wdb_hist_merge(h, &ts[i].hist);
	}
	if (!r && (!*count || te <= tw))
		r = wdb_fail(&b->err, -ETIME, "no %s completed in %.2f s",
			     direct ? "direct open" : "grant", b->p->seconds);
	if (!r) {
		*rate = (double)*count / ((double)(te - tw) / 1e9);
		*p50 = wdb_hist_quantile(h, 0.5);
		*p99 = wdb_hist_quantile(h, 0.99);
	}
	free(ts);
	free(h);
	return r;
}

static int raise_fd_limit(struct bctx *b)
{
	rlim_t want = 4 * (rlim_t)b->p->clients + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return wdb_fail(&b->err, -errno, "%u clients need %llu open files; raising the "
				"limit failed (%s): run as root or raise ulimit -n",
				b->p->clients, (unsigned long long)want, strerror(errno));
	return 0;
}

int wdb_broker_run(const struct wdb_broker_params *p, struct wdb_broker_result *r,
		   void (*progress)(double fraction, void *arg), void *arg,
		   char *why, size_t why_len)
{
	struct bctx b = { .p = p, .err = { .why = why, .why_len = why_len } };
	unsigned int nthreads;
	struct wdb_progress pr;
	int ret;

	if (why && why_len)
		why[0] = 0;
	memset(r, 0, sizeof(*r));
	if (!p->broker_exe || !p->alg || !p->clients || p->clients > 100000 ||
	    !(p->seconds > 0) || p->seconds > 3600) {
		snprintf(why, why_len, "give the broker executable, an algorithm, 1..100000 "
			 "clients and seconds above 0 and at most 3600");
		return -EINVAL;
	}
	nthreads = p->clients < MAX_IN_FLIGHT ? p->clients : MAX_IN_FLIGHT;
	r->in_flight = nthreads;
	pr = (struct wdb_progress){ progress, arg, wdb_now_ns(),
				    (uint64_t)(p->seconds * 2.5e9), 0 };
	ret = raise_fd_limit(&b);
	if (ret < 0)
		return ret;
	b.conns = malloc(p->clients * sizeof(int));
	b.held = malloc(p->clients * sizeof(int));
	if (!b.conns || !b.held) {
		ret = wdb_fail(&b.err, -ENOMEM, "out of memory");
		goto out;
	}
	memset(b.conns, 0xff, p->clients * sizeof(int));
	memset(b.held, 0xff, p->clients * sizeof(int));
	ret = start_broker(&b);
	if (ret < 0)
		goto out;
	snprintf(b.req.alg, sizeof(b.req.alg), "%s", p->alg);
	b.req.node = -1;
	for (unsigned int i = 0; i < p->clients; i++) {
		char sock[128];

		snprintf(sock, sizeof(sock), "%s/sock", b.dir);
		b.conns[i] = wdp_client_connect(sock);
		if (b.conns[i] < 0) {
			ret = wdb_fail(&b.err, b.conns[i], "client %u of %u could not connect: %s",
				       i + 1, p->clients, strerror(-b.conns[i]));
			goto out;
		}
		ret = ask(&b, b.conns[i], &b.held[i], NULL, i ? NULL : r->device,
			  sizeof(r->device));
		if (ret < 0)
			goto out;
		if (!i) {
			/* Every later grant and every direct open: this device. */
			snprintf(b.req.device, sizeof(b.req.device), "%s", r->device);
			snprintf(b.devnode, sizeof(b.devnode), "/dev/%s", r->device);
			r->rss_kb_one = pb_rss_kb(b.pid);
		}
		wdb_tick(&pr, wdb_now_ns());
	}
	r->rss_kb_all = pb_rss_kb(b.pid);
	ret = timed(&b, false, nthreads, &pr, &r->grants, &r->grants_per_sec,
		    &r->grant_p50_ns, &r->grant_p99_ns);
	if (!ret)
		ret = timed(&b, true, nthreads, &pr, &r->direct_opens, &r->direct_per_sec,
			    &r->direct_p50_ns, &r->direct_p99_ns);
	if (!ret && progress)
		progress(1.0, arg);
out:
	stop_broker(&b);
	free(b.conns);
	free(b.held);
	return ret;
}
