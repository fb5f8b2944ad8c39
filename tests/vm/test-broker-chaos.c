// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Broker chaos: the installed broker (wdbroker.socket + wdbroker.service,
 * fd store and all) serves 200 clients while it is restarted 20 times, the
 * wdsoft devices disappear and come back (module unload/reload with live
 * queues), and the policy is reloaded with a quota that revokes leases.
 *
 * Clients are threads of 8 processes running as 4 distinct users; half use
 * libwd's wd_request_queue(), half speak the protocol themselves and drive
 * the wdsoft ring directly. Each one loops: request a crc32c queue, run
 * CRC-32C requests through it (results checked against a reference),
 * release it or keep it for another round. A revoked or removed queue must
 * fail cleanly; a wrong result fails the test. The devices are removed
 * while every client holds what it has, so the removal kills queues known
 * to be in use: each must fail its next op with ENODEV, and no op on a
 * removed queue may succeed.
 *
 * Checkpoints pause every client: holding (each keeps the lease it has,
 * after checking it still works) or idle (everything released and closed).
 * At each one the broker's view (LeaseCount and ListLeases over D-Bus), the
 * clients' view (the lease ids they hold), the kernel's (sysfs
 * available_instances) and the broker's open device fds must agree, lease
 * by lease. Two idle checkpoints around a steady phase (client churn, no
 * restarts) measure the broker's RSS and fd count. At the end every client
 * must finish within a deadline; a stuck one is reported with its state.
 *
 * Longer runs: WD_CHAOS_CLIENTS (200), WD_CHAOS_RESTARTS (20),
 * WD_CHAOS_STEADY_S (8), WD_CHAOS_ROUND_MS (600), e.g.
 *   tools/wdvm -- env WD_CHAOS_RESTARTS=200 WD_CHAOS_STEADY_S=60 \
 *     meson test -C BUILD --suite vm --no-rebuild vm-broker-chaos
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <warpdrive/wd.h>

#include "tap.h"
#include "vm/soft-ring.h"
#include "vm/vmlib.h"
#include "wdproto.h"

#define _cleanup_bus_	__attribute__((cleanup(sd_bus_flush_close_unrefp)))
#define N_USERS		4
#define PROCS_PER_USER	2
#define BUF_LEN		4096
#define MAX_CLIENTS	2000
#define ERRNO_SLOTS	140
#define SOFT_PARAMS	"num_devices=2 queues=40"
#define BUSDEST		"org.warpdrive", "/org/warpdrive", "org.warpdrive.Manager1"
#define BUSCTL		"busctl --system call org.warpdrive /org/warpdrive org.warpdrive.Manager1"

enum mode { RUN, HOLD, IDLE, STOP };

/* One client's state, in memory shared with the parent. */
struct cstate {
	int uid;
	int raw;			/* 1: raw protocol, 0: libwd */
	_Atomic int acked;		/* epoch of the last pause it reached */
	_Atomic int done;
	_Atomic long last_ms;		/* last progress */
	uint64_t lease;			/* held lease, 0 if none (valid when acked) */
	int holds;			/* holds a queue (valid when acked) */
	unsigned long requests, grants, refusals, errors, ops, bad, revoked, releases;
	int last_err;
	unsigned long by_errno[ERRNO_SLOTS];	/* failed ops and requests, by errno */
	/* Ops on a queue whose device was removed after the grant. */
	unsigned long stale_ops, stale_ok, stale_by_errno[ERRNO_SLOTS];
	char what[48];
};

struct ctl {
	_Atomic int mode;
	_Atomic int epoch;
	/* Device removals (module unloads) begun and finished by the parent. */
	_Atomic int rm_started, rm_done;
	int n;
	struct cstate c[MAX_CLIENTS];
};

static struct ctl *ctl;
static uint8_t input[BUF_LEN];
static uint32_t input_crc;

static unsigned env_uint(const char *name, unsigned def)
{
	const char *e = getenv(name);

	return e && *e ? (unsigned)strtoul(e, NULL, 10) : def;
}

/* ---- clients ---- */

struct client {
	struct cstate *st;
	unsigned seed;
	/* libwd */
	struct wd_queue q;
	bool have_q;
	/* raw */
	int sock;
	struct soft_ring ring;
	bool have_ring;
	uint64_t lease;
	/* ctl->rm_started read just after the grant. */
	int grant_rm;
};

static void progress(struct client *c, const char *what)
{
	snprintf(c->st->what, sizeof(c->st->what), "%s", what);
	c->st->last_ms = soft_now_ms();
}

static void client_release(struct client *c)
{
	progress(c, "release");
	if (c->have_q) {
		wd_release_queue(&c->q);
		c->have_q = false;
		c->st->releases++;
	}
	if (c->have_ring) {
		struct wdp_refusal why;

		if (c->sock >= 0 && wdp_client_release(c->sock, c->lease, &why) < 0 &&
		    why.reason != WDP_REASON_NO_LEASE) {
			close(c->sock);
			c->sock = -1;
		}
		soft_ring_close(&c->ring);
		c->have_ring = false;
		c->lease = 0;
		c->st->releases++;
	}
}

/* 0: got a queue; -errno otherwise. */
static int client_request(struct client *c)
{
	c->st->requests++;
	if (!c->st->raw) {
		int r;

		progress(c, "wd_request_queue");
		c->q = (struct wd_queue){ .alg = "crc32c", .node = WD_NODE_ANY,
					  .flags = WD_QUEUE_NO_FALLBACK };
		r = wd_request_queue(&c->q);
		if (r < 0)
			return r;
		c->have_q = true;
		return 0;
	}
	{
		struct wdp_queue_req req = { .alg = "crc32c", .node = -1 };
		struct wdp_lease grant;
		struct wdp_refusal why;
		int fd, r;

		progress(c, "raw connect");
		if (c->sock < 0) {
			c->sock = wdp_client_connect(NULL);
			if (c->sock < 0) {
				r = c->sock;
				c->sock = -1;
				return r;
			}
		}
		progress(c, "raw request");
		r = wdp_client_request_queue(c->sock, &req, &grant, &fd, &why);
		if (r < 0) {
			if (!why.reason) {
				close(c->sock);
				c->sock = -1;
			}
			return r;
		}
		progress(c, "raw start");
		r = soft_ring_adopt(&c->ring, fd, grant.device, false, false, -1);
		if (r < 0) {
			/* Revoked or removed between grant and start: give it back. */
			wdp_client_release(c->sock, grant.id, &why);
			return r;
		}
		c->have_ring = true;
		c->lease = grant.id;
		return 0;
	}
}

/* One CRC-32C through the held queue: 1 right, 0 wrong, -errno failed. */
static int client_op(struct client *c)
{
	uint32_t crc;

	progress(c, "op");
	c->st->ops++;
	if (c->have_q) {
		uint8_t out[4];
		struct wd_msg m = { .op = WD_OP_CRC32C, .src = input, .src_len = BUF_LEN,
				    .dst = out, .dst_len = 4 };
		void *done = NULL;
		int r = wd_send(&c->q, &m);

		if (r == 0)
			r = wd_recv_sync(&c->q, &done);
		if (r < 0)
			return r;
		if (done != &m)
			return -EIO;
		if (m.status < 0)
			return m.status;
		crc = out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24;
	} else {
		struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_CRC32C, input, BUF_LEN, NULL, 0);
		struct wdsoft_cqe cqe = { 0 };
		int r = soft_ring_run(&c->ring, &sqe, &cqe);

		if (r < 0)
			return r;
		if (cqe.status < 0)
			return cqe.status;
		crc = (uint32_t)cqe.result;
	}
	return crc == input_crc;
}

static bool client_holds(const struct client *c)
{
	return c->have_q || c->have_ring;
}

static uint64_t client_lease(const struct client *c)
{
	return c->have_q ? c->q.lease : c->have_ring ? c->lease : 0;
}

/*
 * Use the held queue; on failure count it and give it back. A removal that
 * began after the grant and finished before this op started killed the
 * queue: the op must fail, and how it failed is counted apart.
 */
static void client_use(struct client *c)
{
	bool stale = ctl->rm_done > c->grant_rm;
	int r = client_op(c);

	if (stale) {
		c->st->stale_ops++;
		if (r >= 0)
			c->st->stale_ok++;
		else
			c->st->stale_by_errno[-r < ERRNO_SLOTS ? -r : 0]++;
	}

	if (r == 1)
		return;
	if (r == 0) {
		c->st->bad++;
	} else if (r == -ENODEV || r == -ESHUTDOWN || r == -EIO || r == -ETIMEDOUT) {
		c->st->revoked++;
		c->st->by_errno[-r]++;
	} else {
		c->st->errors++;
		c->st->last_err = r;
		c->st->by_errno[-r < ERRNO_SLOTS ? -r : 0]++;
	}
	client_release(c);
}

static void client_pause(struct client *c, int mode, int epoch)
{
	if (client_holds(c))
		client_use(c);
	if (mode == IDLE && client_holds(c))
		client_release(c);
	if (mode == IDLE && c->sock >= 0) {
		close(c->sock);
		c->sock = -1;
	}
	c->st->lease = client_lease(c);
	c->st->holds = client_holds(c);
	progress(c, mode == IDLE ? "paused idle" : "paused holding");
	c->st->acked = epoch;
	/* 200 threads polling at 20 Hz: cheap enough for an emulated guest. */
	while (ctl->mode == mode && ctl->epoch == epoch)
		usleep(50000);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	unsigned backoff_ms = 2;

	c->sock = -1;
	for (;;) {
		int mode = ctl->mode, epoch = ctl->epoch;

		if (mode == STOP)
			break;
		if (mode != RUN) {
			if (c->st->acked != epoch)
				client_pause(c, mode, epoch);
			else
				usleep(50000);
			continue;
		}
		if (!client_holds(c)) {
			int r = client_request(c);

			if (r == 0) {
				c->st->grants++;
				c->grant_rm = ctl->rm_started;
				backoff_ms = 2;
			} else if (r == -EBUSY || r == -EDQUOT) {
				/* As a well-behaved client would: back off, with jitter. */
				c->st->refusals++;
				usleep((backoff_ms + rand_r(&c->seed) % backoff_ms) * 1000);
				backoff_ms = backoff_ms * 2 > 256 ? 256 : backoff_ms * 2;
				continue;
			} else {
				/* A device went away meanwhile, or the broker restarted. */
				c->st->errors++;
				c->st->last_err = r;
				c->st->by_errno[-r < ERRNO_SLOTS ? -r : 0]++;
				usleep(5000 + rand_r(&c->seed) % 20000);
				continue;
			}
		}
		for (int k = 1 + rand_r(&c->seed) % 3; k > 0 && client_holds(c); k--)
			client_use(c);
		if (client_holds(c) && rand_r(&c->seed) % 2)
			client_release(c);
	}
	if (client_holds(c))
		client_release(c);
	if (c->sock >= 0)
		close(c->sock);
	progress(c, "finished");
	c->st->done = 1;
	return NULL;
}

static void client_process(int first, int n, uid_t uid)
{
	pthread_t th[MAX_CLIENTS];
	struct client *cl = calloc(n, sizeof(*cl));

	if (!cl || setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(2);
	for (int i = 0; i < n; i++) {
		cl[i].st = &ctl->c[first + i];
		cl[i].seed = first + i;
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 256 * 1024);
		if (pthread_create(&th[i], &a, client_main, &cl[i]))
			_exit(3);
		pthread_attr_destroy(&a);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/*
 * The clients' failures summed from the errno table at @off in struct
 * cstate, as " ENODEV 3; EIO 1;"; *@enodev gets the ENODEV count.
 */
static const char *errno_line(size_t off, unsigned long *enodev)
{
	static char line[1024];
	size_t len = 0;

	line[0] = 0;
	for (int e = 0; e < ERRNO_SLOTS; e++) {
		unsigned long n = 0;

		for (int i = 0; i < ctl->n; i++)
			n += ((const unsigned long *)((const char *)&ctl->c[i] + off))[e];
		if (e == ENODEV && enodev)
			*enodev = n;
		if (n && len < sizeof(line) - 64)
			len += snprintf(line + len, sizeof(line) - len, " %s %lu;",
					e ? strerrorname_np(e) : "other", n);
	}
	return len ? line : " none";
}

/* ---- the broker's and the kernel's view ---- */

static pid_t broker_pid(void)
{
	return (pid_t)vm_unit_main_pid("wdbroker.service");
}

/* VmRSS in kB and open fds (all, and those on uacce devices). */
static int broker_usage(pid_t pid, long *rss_kb, int *fds, int *dev_fds)
{
	char path[64], line[256], link[256];
	FILE *f;
	DIR *d;
	struct dirent *e;

	*rss_kb = -1;
	*fds = *dev_fds = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", rss_kb) == 1)
			break;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char p[320];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		(*fds)++;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (!strncmp(link, "/dev/wdsoft-", 12))
				(*dev_fds)++;
		}
	}
	closedir(d);
	return 0;
}

/* Instances in use according to the kernel, over every wdsoft device. */
static long kernel_used(int *ndev)
{
	long per = -1, used = 0;
	char name[64];

	*ndev = 0;
	{
		FILE *f = fopen("/sys/module/wdsoft/parameters/queues", "re");

		if (!f || fscanf(f, "%ld", &per) != 1)
			per = -1;
		if (f)
			fclose(f);
	}
	for (int i = 0; soft_find_device(i, name, sizeof(name)) == 0; i++) {
		long a = soft_attr(name, "available_instances");

		if (a < 0 || per < 0)
			return -1;
		used += per - a;
		(*ndev)++;
	}
	return used;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* LeaseCount and the sorted ids of ListLeases. */
static int broker_leases(sd_bus *bus, uint32_t *count, uint64_t *ids, int max, int *n)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	uint64_t id;
	int r;

	*n = 0;
	r = sd_bus_get_property_trivial(bus, BUSDEST, "LeaseCount", &err, 'u', count);
	if (r >= 0)
		r = sd_bus_call_method(bus, BUSDEST, "ListLeases", &err, &reply, NULL);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(tssuus)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(tssuus)", &id, NULL, NULL, NULL,
						   NULL, NULL)) > 0)
		if (*n < max)
			ids[(*n)++] = id;
	if (r < 0)
		diag("D-Bus: %s", err.message ? err.message : strerror(-r));
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	qsort(ids, *n, sizeof(*ids), cmp_u64);
	return r < 0 ? r : 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return vm_system("%s", cmd);
}

/* ---- the parent ---- */

static void report_stuck(int epoch, bool done)
{
	long now = soft_now_ms();
	int shown = 0;

	for (int i = 0; i < ctl->n; i++) {
		struct cstate *s = &ctl->c[i];

		if (done ? s->done : s->acked == epoch)
			continue;
		if (shown++ < 20)
			diag("client %d (uid %d, %s) stuck in \"%s\" for %ld ms, last error %s", i,
			     s->uid, s->raw ? "raw" : "libwd", s->what, now - s->last_ms,
			     strerror(-s->last_err));
	}
	if (shown > 20)
		diag("... and %d more", shown - 20);
}

/* Pause every client in @mode; true when all reached it within @ms. */
static bool pause_clients(int mode, int ms)
{
	int epoch = ctl->epoch + 1;
	long end = soft_now_ms() + ms;

	ctl->epoch = epoch;
	ctl->mode = mode;
	for (;;) {
		int n = 0;

		for (int i = 0; i < ctl->n; i++)
			n += ctl->c[i].acked == epoch || ctl->c[i].done;
		if (n == ctl->n)
			return true;
		if (soft_now_ms() > end) {
			report_stuck(epoch, false);
			return false;
		}
		usleep(20000);
	}
}

static void resume_clients(void)
{
	ctl->mode = RUN;
}

struct view {
	uint32_t lease_count;
	int listed, held, dev_fds, fds, ndev, missing, extra;
	long kused, rss;
	long fdstore;			/* fds systemd keeps for the broker */
};

/* Take every view once; true when they agree lease by lease. */
static bool take_view(struct view *v)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	static uint64_t listed[MAX_CLIENTS * 2], held[MAX_CLIENTS];
	pid_t pid = broker_pid();
	int i, j;

	memset(v, 0, sizeof(*v));
	/* A fresh connection: an idle one may have been dropped meanwhile. */
	if (sd_bus_open_system(&bus) < 0)
		return false;
	if (broker_leases(bus, &v->lease_count, listed, MAX_CLIENTS * 2, &v->listed) < 0)
		return false;
	for (i = 0; i < ctl->n; i++)
		if (ctl->c[i].lease)
			held[v->held++] = ctl->c[i].lease;
	qsort(held, v->held, sizeof(*held), cmp_u64);
	/* Both lists sorted: count ids only one side has (and duplicates). */
	for (i = j = 0; i < v->listed || j < v->held;) {
		if (j == v->held || (i < v->listed && listed[i] < held[j])) {
			v->extra++;
			i++;
		} else if (i == v->listed || held[j] < listed[i]) {
			v->missing++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	v->kused = kernel_used(&v->ndev);
	v->fdstore = vm_unit_number("wdbroker.service", "NFileDescriptorStore");
	if (pid <= 0 || broker_usage(pid, &v->rss, &v->fds, &v->dev_fds) < 0)
		return false;
	/*
	 * Idle, every client has closed its sockets and queues: systemd must
	 * have let go of every connection and queue it kept for the broker.
	 */
	return !v->missing && !v->extra && v->lease_count == (uint32_t)v->listed &&
	       v->kused == v->held && v->dev_fds == v->held &&
	       (ctl->mode != IDLE || v->fdstore == 0);
}

/*
 * Checkpoint: pause, wait for the views to agree (at most 20 s), report.
 * Each client may have one request waiting in the broker's backlog, so the
 * deadline for reaching the pause grows with their number: it catches a
 * client that hangs, not a slow emulated machine.
 */
static bool checkpoint(int mode, const char *label, struct view *v)
{
	bool paused = pause_clients(mode, 30000 + 250 * ctl->n), agree = false;
	long end = soft_now_ms() + 20000;

	ok(paused, "%s: all %d clients paused (%s)", label, ctl->n,
	   mode == IDLE ? "idle" : "holding their leases");
	while (!agree && soft_now_ms() < end) {
		agree = take_view(v);
		if (!agree)
			usleep(200000);
	}
	if (!paused || !agree)
		sh("journalctl -q -b -u wdbroker.service --no-pager | tail -n 25 | sed 's/^/# /'");
	ok(agree, "%s: broker LeaseCount %u, ListLeases %d, clients hold %d, kernel in use %ld "
	   "(%d devices), broker device fds %d, fd store %ld; ids missing %d, extra %d", label,
	   v->lease_count, v->listed, v->held, v->kused, v->ndev, v->dev_fds, v->fdstore,
	   v->missing, v->extra);
	return paused && agree;
}

/*
 * Remove the devices under held queues: every client pauses holding what it
 * has, wdsoft is unloaded (killing those queues), the clients resume (each
 * holder's next op must fail with ENODEV: client_use() counts it), and
 * wdsoft comes back while they request new queues. Adds the holders to
 * *@held; 0 when the module went and came back.
 */
static int remove_devices(long *held, unsigned n)
{
	char label[64];
	int holders = 0, r;

	snprintf(label, sizeof(label), "removal %u", n);
	ok(pause_clients(HOLD, 30000 + 250 * ctl->n), "%s: all %d clients paused holding their "
	   "leases", label, ctl->n);
	for (int i = 0; i < ctl->n; i++)
		holders += ctl->c[i].acked == ctl->epoch && ctl->c[i].holds;
	ctl->rm_started++;
	r = sh("rmmod wdsoft");
	if (r == 0) {
		ctl->rm_done = ctl->rm_started;
		*held += holders;
	}
	resume_clients();
	if (r == 0)
		r = sh("modprobe wdsoft " SOFT_PARAMS);
	if (r != 0)
		diag("%s: rmmod or modprobe of wdsoft failed", label);
	return r;
}

static char policy_dir[512];
static pid_t procs[N_USERS * PROCS_PER_USER];

/* A checkpoint failed: the rest would only pile up timeouts. */
__attribute__((noreturn)) static void give_up(const char *why)
{
	for (size_t p = 0; p < sizeof(procs) / sizeof(procs[0]); p++)
		if (procs[p] > 0) {
			kill(procs[p], SIGKILL);
			waitpid(procs[p], NULL, 0);
		}
	sh("pid=$(systemctl show -p MainPID --value wdbroker.service); echo \"# broker $pid in $(cat "
	   "/proc/$pid/wchan), syscall $(cut -d' ' -f1 /proc/$pid/syscall)\"; ss -xp | grep -c wdbrokerd "
	   "| sed 's/^/# broker sockets: /'");
	sh("rm -f %s/policy.d/50-chaos.conf", policy_dir);
	sh("sh %s/tests/vm/test-system-lib.sh cleanup", getenv("WD_SOURCE_ROOT"));
	bail_out("%s", why);
}

static int policy_dir_find(void)
{
	FILE *f = popen("systemctl show -p ExecStart --value wdbroker.service", "r");
	char line[2048], *p;

	if (!f)
		return -errno;
	p = fgets(line, sizeof(line), f) ? strstr(line, "--policy ") : NULL;
	pclose(f);
	if (!p)
		return -ENOENT;
	p += strlen("--policy ");
	p[strcspn(p, " ;\n")] = 0;
	snprintf(policy_dir, sizeof(policy_dir), "%s", p);
	return 0;
}

/* Quota of user 1 toggled: 2 queues (revokes its extra leases), or none. */
static int policy_set(bool tight)
{
	long t0 = soft_now_ms();
	int r = sh("mkdir -p %s/policy.d && printf '[user:wdchaos1]\\nmax_queues = %s\\n' > "
		   "%s/policy.d/50-chaos.conf && " BUSCTL " Reload",
		   policy_dir, tight ? "2" : "unlimited", policy_dir);

	if (r != 0)
		diag("Reload (quota %s) failed after %ld ms", tight ? "2" : "unlimited",
		     soft_now_ms() - t0);
	return r;
}

int main(void)
{
	const char *src = getenv("WD_SOURCE_ROOT");
	unsigned n_clients = env_uint("WD_CHAOS_CLIENTS", 200);
	unsigned restarts = env_uint("WD_CHAOS_RESTARTS", 20);
	unsigned steady_s = env_uint("WD_CHAOS_STEADY_S", 8);
	unsigned round_ms = env_uint("WD_CHAOS_ROUND_MS", 600);
	unsigned n_restart = 0, n_reload_mod = 0, n_reload_pol = 0;
	long n_removed_busy = 0;
	struct view a, b, v;
	uid_t uids[N_USERS];
	long t0, stuck_deadline;
	unsigned long sum[8] = { 0 }, stale_ops = 0, stale_ok = 0;
	int nproc = N_USERS * PROCS_PER_USER, per, first = 0, status, unfinished = 0;

	vm_require();
	if (!src)
		bail_out("run me from meson test (WD_SOURCE_ROOT)");
	if (n_clients < (unsigned)nproc || n_clients > MAX_CLIENTS)
		bail_out("WD_CHAOS_CLIENTS must be %d..%d", nproc, MAX_CLIENTS);
	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (uint8_t)(i * 131 + (i >> 7));
	input_crc = vm_crc32c(input, sizeof(input));

	if (sh("sh %s/tests/vm/test-system-lib.sh setup", src) != 0)
		bail_out("installing WarpDrive into the VM and loading wdsoft failed");
	diag("installed; reloading wdsoft with " SOFT_PARAMS);
	if (sh("rmmod wdsoft && modprobe wdsoft " SOFT_PARAMS " && udevadm settle -t 30") != 0)
		bail_out("cannot reload wdsoft with " SOFT_PARAMS);
	for (int i = 0; i < N_USERS; i++) {
		struct passwd *pw;
		char name[32];

		snprintf(name, sizeof(name), "wdchaos%d", i);
		if (!getpwnam(name))
			sh("useradd --system --no-create-home --user-group --shell /usr/sbin/nologin %s",
			   name);
		pw = getpwnam(name);
		if (!pw)
			bail_out("cannot create user %s", name);
		uids[i] = pw->pw_uid;
	}
	diag("users ready; starting wdbroker.service");
	if (sh("systemctl start wdbroker.socket wdbroker.service") != 0 || policy_dir_find() < 0)
		bail_out("cannot start wdbroker.service");
	if (policy_set(false) != 0)
		bail_out("cannot reload the policy with busctl");

	diag("broker up (policy in %s); starting %u clients", policy_dir, n_clients);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	ctl->n = n_clients;
	ctl->mode = RUN;
	per = n_clients / nproc;
	fflush(stdout);
	t0 = soft_now_ms();
	for (int p = 0; p < nproc; p++) {
		int n = p == nproc - 1 ? (int)n_clients - first : per;
		uid_t uid = uids[p % N_USERS];

		for (int i = 0; i < n; i++) {
			ctl->c[first + i].uid = uid;
			ctl->c[first + i].raw = (first + i) % 2;
			ctl->c[first + i].last_ms = t0;
		}
		procs[p] = fork();
		if (procs[p] < 0)
			bail_out("fork: %s", strerror(errno));
		if (procs[p] == 0)
			client_process(first, n, uid);
		first += n;
	}

	/* Warm-up, then a steady phase between two idle checkpoints. */
	sleep(steady_s / 2 + 1);
	if (!checkpoint(IDLE, "idle before the steady phase", &a))
		give_up("the clients or the broker are stuck before any chaos");
	resume_clients();
	sleep(steady_s);
	checkpoint(IDLE, "idle after the steady phase", &b);
	ok(a.fds == b.fds, "broker fds flat over %u s of churn: %d -> %d", steady_s, a.fds, b.fds);
	/*
	 * malloc keeps freed chunks and sd-bus/journal buffers grow to their
	 * high-water mark during the warm-up; 256 kB over a phase of thousands
	 * of requests is far below what one leaked lease per request would add.
	 */
	ok(b.rss - a.rss <= 256, "broker RSS flat over %u s of churn: %ld -> %ld kB", steady_s,
	   a.rss, b.rss);
	ok(a.listed == 0 && a.kused == 0 && b.listed == 0 && b.kused == 0,
	   "idle: no lease left in the broker or the kernel");
	resume_clients();

	/* Chaos. */
	for (unsigned i = 1; i <= restarts; i++) {
		if (sh("systemctl restart wdbroker.service") == 0)
			n_restart++;
		usleep(round_ms * 1000);
		if (i % 5 == 3) {
			n_reload_mod += remove_devices(&n_removed_busy, n_reload_mod + 1) == 0;
			usleep(round_ms * 1000);
		}
		if (i % 4 == 1) {
			if (policy_set(n_reload_pol % 2 == 0) == 0)
				n_reload_pol++;
			usleep(round_ms * 1000);
		}
		if (i % 10 == 0 && i != restarts) {
			char label[64];

			snprintf(label, sizeof(label), "after %u restarts", i);
			checkpoint(HOLD, label, &v);
			resume_clients();
		}
	}
	ok(n_restart == restarts, "broker restarted %u times with clients busy", n_restart);
	ok(n_reload_mod >= restarts / 5 && n_removed_busy > 0,
	   "wdsoft removed and re-added %u times, under %ld queues held by clients", n_reload_mod,
	   n_removed_busy);
	ok(n_reload_pol == (restarts + 3) / 4, "policy reloaded %u times over D-Bus (Reload answered)",
	   n_reload_pol);
	/* Let the devices settle and the quota come back before the last check. */
	if (n_reload_pol % 2)
		n_reload_pol += policy_set(false) == 0;
	sh("udevadm settle -t 30");
	checkpoint(HOLD, "after the chaos", &v);

	ctl->mode = STOP;
	stuck_deadline = soft_now_ms() + 60000;
	for (int p = 0; p < nproc; p++) {
		while (waitpid(procs[p], &status, WNOHANG) == 0) {
			if (soft_now_ms() > stuck_deadline) {
				report_stuck(0, true);
				kill(procs[p], SIGKILL);
				waitpid(procs[p], &status, 0);
				break;
			}
			usleep(50000);
		}
	}
	for (int i = 0; i < ctl->n; i++) {
		struct cstate *s = &ctl->c[i];

		unfinished += !s->done;
		sum[0] += s->requests;
		sum[1] += s->grants;
		sum[2] += s->refusals;
		sum[3] += s->errors;
		sum[4] += s->ops;
		sum[5] += s->bad;
		sum[6] += s->revoked;
		sum[7] += s->releases;
		stale_ops += s->stale_ops;
		stale_ok += s->stale_ok;
	}
	diag("client failures by errno:%s", errno_line(offsetof(struct cstate, by_errno), NULL));
	{
		unsigned long enodev;
		const char *how = errno_line(offsetof(struct cstate, stale_by_errno), &enodev);

		ok(stale_ok == 0 && stale_ops >= (unsigned long)n_removed_busy &&
		   enodev == stale_ops, "every queue held across a removal failed its next op "
		   "with ENODEV: %lu ops, %lu succeeded; failed with:%s", stale_ops, stale_ok, how);
	}
	ok(unfinished == 0, "every client finished within 60 s of being told (%d did not)",
	   unfinished);
	ok(sum[5] == 0, "no wrong result: %lu CRC-32C requests, %lu wrong", sum[4], sum[5]);
	ok(sum[1] > n_clients, "clients got %lu queues", sum[1]);
	{
		bool agree = false;
		long end = soft_now_ms() + 20000;

		for (int i = 0; i < ctl->n; i++)
			ctl->c[i].lease = 0;
		while (!agree && soft_now_ms() < end) {
			agree = take_view(&v) && v.listed == 0 && v.fdstore == 0;
			if (!agree)
				usleep(200000);
		}
		ok(agree, "all clients gone: broker LeaseCount %u, ListLeases %d, kernel in use %ld, "
		   "broker device fds %d, fd store %ld", v.lease_count, v.listed, v.kused, v.dev_fds,
		   v.fdstore);
	}
	printf("# report: broker-chaos: %u clients (%d users, libwd and raw protocol) for %ld s: "
	       "%lu requests, %lu grants, %lu refusals (busy/quota), %lu transient errors, "
	       "%lu CRC-32C ops (%lu wrong), %lu queues revoked or removed under use, %lu releases; "
	       "%u broker restarts, %u device remove/re-add under %ld held queues (%lu ops on them "
	       "afterwards, %lu succeeded), %u policy reloads; broker RSS %ld -> %ld kB, "
	       "fds %d -> %d over a %u s steady phase; %d clients stuck\n",
	       n_clients, N_USERS, (soft_now_ms() - t0) / 1000, sum[0], sum[1], sum[2], sum[3],
	       sum[4], sum[5], sum[6], sum[7], n_restart, n_reload_mod, n_removed_busy, stale_ops,
	       stale_ok, n_reload_pol, a.rss, b.rss, a.fds, b.fds, steady_s, unfinished);

	sh("rm -f %s/policy.d/50-chaos.conf", policy_dir);
	sh(BUSCTL " Reload");
	ok(sh("sh %s/tests/vm/test-system-lib.sh cleanup", src) == 0,
	   "broker stopped and the modules unload");
	return exit_status();
}
