// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Broker security with real users: the installed broker (wdbroker.socket +
 * wdbroker.service under systemd) against two unprivileged system users, A
 * (wdsec-a) and B (wdsec-b), whose clients are forked children that drop to
 * those users with setgroups/setresgid/setresuid.
 *
 *  - devices: A cannot open a uacce node (EACCES), root can;
 *  - quota: a policy drop-in gives A a quota of N, applied by Reload over
 *    D-Bus. A gets N queues; the next is refused with reason quota-user
 *    (-EDQUOT), and libwd's wd_request_queue() says -EDQUOT too. B, with no
 *    quota, holds N + 1 meanwhile. After A releases one it gets one again.
 *  - D-Bus: A's calls to the admin methods (RevokeLease, Reload, SetQuota)
 *    are refused and change nothing; root's succeed. A's ListLeases shows
 *    only A's leases, its ReleaseLease of B's lease is NoSuchLease.
 *  - flood: A opens connections until the broker's per-user limit closes
 *    the rest (counted, compared with the configured limit), then sends
 *    garbage on some and keeps churning new garbage connections, while B's
 *    M requests are all granted and released. The broker keeps its MainPID
 *    and its fd count returns to the baseline once A is gone. Its RSS with
 *    A's connections held is bounded per connection (memory pressure).
 *  - D-Bus RequestQueue: A's request for an algorithm its policy does not
 *    allow is NotAllowed, one over its quota QuotaExceeded.
 *  - policy directory: a symbolic link, a world- or group-writable file, a
 *    file owned by A and a world-writable policy.d each make root's Reload
 *    fail with BadPolicy naming the file and the reason, the journal says
 *    the same, and the old policy stays (A is still refused memcpy).
 *  - a queue fd A started, passed to B over a unix socket: every use by B
 *    (mmap, START_Q, PUT_Q) is EPERM, and A's queue still works.
 *  - descriptors naming another process's addresses: A's memcpy from and
 *    to an address only B has mapped faults (-EFAULT); once A maps that
 *    address itself, the copies use A's memory. B's page never changes and
 *    no byte of it reaches A.
 *  - slowloris: A holds idle connections for WD_SEC_SLOW_S seconds (120),
 *    sends one byte every few seconds on a few others (each byte is a
 *    malformed message and closes its connection at once: SEQPACKET never
 *    leaves the broker a partial message to wait for), and pipelines
 *    requests without reading the replies (closed once its queue is full),
 *    while B's request latency stays within a ratio of its baseline,
 *    measured just before in the same run.
 *
 * Longer runs: WD_SEC_REQUESTS (B's requests during the flood, 20),
 * WD_SEC_EXTRA (connections over the limit, 64) and WD_SEC_SLOW_S, e.g.
 *   tools/wdvm -- env WD_SEC_REQUESTS=2000 \
 *     meson test -C BUILD --suite vm --no-rebuild vm-broker-security
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <misc/uacce/uacce.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <warpdrive/wd.h>

#include "common/libwd-run.h"
#include "tap.h"
#include "vm/vmlib.h"
#include "wdproto.h"

#define USER_A		"wdsec-a"
#define USER_B		"wdsec-b"
#define QUOTA_A		3
#define ALG		"crc32c"
#define DROPIN		"50-broker-security.conf"
#define DEFAULT_CONN_LIMIT 1024
#define CLOSE_WAIT_MS	5000	/* a dropped connection must see EOF by then */
#define MIN_CHURN	20
#define MAX_CHURN	500
#define STEP_TIMEOUT_S	180	/* a stall, not slowness: the shared host can be very slow */
#define BUSDEST		"org.warpdrive", "/org/warpdrive", "org.warpdrive.Manager1"
#define ALG_DENIED	"memcpy"	/* offered by wdsoft, not allowed to A */
#define SLOW_IDLE	64		/* idle connections A holds in the slowloris */
#define SLOW_TRICKLE	4		/* connections A sends a byte at a time on */
#define SLOW_BYTE_MS	3000		/* a byte on each, this often */
#define SLOW_READER_MAX	4096		/* requests the slow reader may pipeline */
#define SLOW_LAT_MAX	1024		/* B's latency samples kept */
#define SLOW_BASE	20		/* B's baseline requests */
#define SLOW_RATIO	10		/* B's median latency under attack / baseline */
#define RSS_PER_CONN_MAX 4096		/* bytes of broker RSS one idle connection may cost */
/* An address B maps and A does not (until it maps its own there). */
#define FOREIGN_ADDR	((void *)0x3a5a00000000UL)
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define _cleanup_(f)	__attribute__((cleanup(f)))

/* Results of the children, in memory shared with the parent. */
struct shared {
	/* quota phase, A */
	int a_grants, a_over_r, a_over_reason, a_libwd_r, a_regrant_r, a_reover_r;
	char a_libwd_msg[256];
	uint64_t a_lease[QUOTA_A];
	/* quota phase, B */
	int b_grants;
	uint64_t b_lease[QUOTA_A + 1];
	/* D-Bus, A */
	int a_list_own, a_list_foreign, a_list_r;
	uint32_t a_lease_count;
	int a_release_b_r;
	char a_release_b_err[128];
	int a_admin_refused, a_admin_calls;
	char a_admin_errs[3][128];
	int a_after_setquota_r;
	int a_devices_r;
	/* device nodes */
	int dev_nodes, dev_eacces, dev_other;
	/* flood, A */
	int f_opened, f_accepted, f_refused, f_garbage, f_garbage_closed, f_churn, f_churn_closed;
	int f_open_errno;
	long f_close_max_us;		/* garbage sent -> connection closed */
	_Atomic int f_stop;
	/* flood, B */
	int b_served, b_released, b_first_err;
	char b_errmsg[256];
	long b_lat_max_us;
	_Atomic int b_done;
	/* D-Bus RequestQueue, A */
	int a_dbus_quota_r, a_dbus_alg_r, a_sock_alg_r, a_sock_alg_reason;
	char a_dbus_quota_err[128], a_dbus_alg_err[128];
	/* policy-directory probe, A */
	int probe_r, probe_reason;
	/* fd passing */
	int p_grant_r, p_use_before, p_use_after, p_sent;
	int p_got_fd, p_mmap_err, p_start_err, p_put_err;
	/* foreign addresses */
	int v_mapped, v_changed;
	int x_queue_r, x_unmapped_in_a, x_src_status, x_dst_status, x_own_src_status,
	    x_own_dst_status, x_victim_bytes_seen, x_own_ok;
	char x_errmsg[256];
	/* slowloris, A */
	int s_idle, s_idle_kept, s_bytes, s_byte_closed, s_reconnect_errno;
	int s_reader_sent, s_reader_closed;
	long s_byte_close_max_us;
	_Atomic int s_stop;
	/* slowloris, B */
	int s_base_n, s_att_n, s_fail, s_first_err;
	long s_base_us[SLOW_BASE], s_att_us[SLOW_LAT_MAX];
};

static struct shared *sh;
static uid_t uid_a, uid_b;
static gid_t gid_a, gid_b;
static char policy_dir[512];
static unsigned conn_limit = DEFAULT_CONN_LIMIT;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static unsigned env_uint(const char *name, unsigned def)
{
	const char *e = getenv(name);

	return e && *e ? (unsigned)strtoul(e, NULL, 10) : def;
}

/* ---- a child running as a user, stepped by the parent over a socketpair ---- */

struct child {
	pid_t pid;
	int ctl;
};

static void step_signal(int fd)
{
	char c = 's';

	if (write(fd, &c, 1) != 1)
		_exit(90);
}

/* Wait for the other side's step; false on EOF (it died). */
static bool step_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1;
}

static void child_start(struct child *ch, uid_t uid, gid_t gid, rlim_t nofile,
			void (*fn)(int ctl))
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		bail_out("socketpair: %s", strerror(errno));
	fflush(stdout);
	ch->pid = fork();
	if (ch->pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (ch->pid == 0) {
		struct rlimit rl = { nofile, nofile };

		close(sv[0]);
		if (nofile && setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(91);
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || geteuid() != uid)
			_exit(92);
		fn(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	ch->ctl = sv[0];
}

static void broker_diag(void);

/*
 * Let the child go on and wait for its next step. False when it exited, or
 * did not get there within STEP_TIMEOUT_S (a stalled broker): then the
 * broker's state is logged and the child killed, so the test fails and goes
 * on instead of hanging.
 */
static bool child_step(struct child *ch, bool go)
{
	struct pollfd p = { .fd = ch->ctl, .events = POLLIN };

	if (go)
		step_signal(ch->ctl);
	if (poll(&p, 1, STEP_TIMEOUT_S * 1000) <= 0) {
		diag("child %d is stuck after %d s; the broker:", (int)ch->pid, STEP_TIMEOUT_S);
		broker_diag();
		kill(ch->pid, SIGKILL);
		return false;
	}
	return step_wait(ch->ctl);
}

static int child_finish(struct child *ch)
{
	int st = 0;

	if (write(ch->ctl, "f", 1) != 1)
		diag("child %d is gone already", (int)ch->pid);
	close(ch->ctl);
	if (waitpid(ch->pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the broker as seen from outside ---- */

static long broker_pid(void)
{
	return vm_unit_main_pid("wdbroker.service");
}

static int broker_fds(long pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The broker's resident memory in kB, from /proc/PID/status; -1 if unknown. */
static long broker_rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Where the broker is and what it last said. */
static void broker_diag(void)
{
	vm_system("pid=$(systemctl show -p MainPID --value wdbroker.service); "
		  "echo \"# broker $pid: $(systemctl is-active wdbroker.service), "
		  "wchan $(cat /proc/$pid/wchan), $(ls /proc/$pid/fd | wc -l) fds\"; "
		  "sed 's/^/# /' /proc/$pid/stack; "
		  "for t in /proc/$pid/task/*; do echo \"# task $t: $(cat $t/comm) $(cat $t/wchan)\"; done; "
		  "journalctl -q -b -u wdbroker.service --no-pager | tail -n 15 | sed 's/^/# /'");
}

/* --policy DIR and --max-connections-per-user N of the installed unit. */
static int broker_config(void)
{
	FILE *f = popen("systemctl show -p ExecStart --value wdbroker.service", "r");
	char line[1024] = "", *p;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	pclose(f);
	p = strstr(line, "--max-connections-per-user ");
	if (p)
		conn_limit = (unsigned)strtoul(p + strlen("--max-connections-per-user "), NULL, 10);
	p = strstr(line, "--policy ");
	if (!p)
		return -ENOENT;
	p += strlen("--policy ");
	p[strcspn(p, " ;")] = 0;
	snprintf(policy_dir, sizeof(policy_dir), "%s", p);
	return 0;
}

static sd_bus *bus_system(void)
{
	sd_bus *b = NULL;

	return sd_bus_open_system(&b) < 0 ? NULL : b;
}

/* The message of the last failed bus_call() in this process. */
static char bus_errmsg[1024];

/* An org.warpdrive.Manager1 call with the error name (or "") in @err. */
static int bus_call(sd_bus *b, const char *method, char *err, size_t errsz,
		    sd_bus_message **reply, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	if (err)
		err[0] = 0;
	r = sd_bus_message_new_method_call(b, &m, BUSDEST, method);
	if (r < 0)
		return r;
	va_start(ap, types);
	r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	if (r < 0)
		return r;
	r = sd_bus_call(b, m, 0, &e, reply);
	if (r < 0 && err)
		snprintf(err, errsz, "%s", e.name ? e.name : strerror(-r));
	if (r < 0)
		snprintf(bus_errmsg, sizeof(bus_errmsg), "%s", e.message ? e.message : "");
	sd_bus_error_free(&e);
	return r;
}

/* Leases ListLeases shows: @own of @uid, @foreign of other uids. */
static int list_leases(sd_bus *b, uid_t uid, int *own, int *foreign, const uint64_t *want,
		       int n_want, int *found)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *d, *a, *u;
	uint64_t id;
	uint32_t luid, pid;
	int r;

	*own = *foreign = 0;
	if (found)
		*found = 0;
	r = bus_call(b, "ListLeases", NULL, 0, &reply, "");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(tssuus)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(tssuus)", &id, &d, &a, &luid, &pid, &u)) > 0) {
		if (luid == uid)
			(*own)++;
		else
			(*foreign)++;
		for (int i = 0; found && i < n_want; i++)
			*found += want[i] == id;
	}
	return r;
}

static bool admin_refusal(const char *name)
{
	return !strcmp(name, SD_BUS_ERROR_ACCESS_DENIED) ||
	       !strcmp(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
}

/* ---- user A: quota and D-Bus ---- */

static int request(int s, struct wdp_lease *g, int *fd, struct wdp_refusal *why)
{
	struct wdp_queue_req req = { .alg = ALG, .node = -1 };

	memset(why, 0, sizeof(*why));
	return wdp_client_request_queue(s, &req, g, fd, why);
}

static void a_quota(int ctl)
{
	struct wd_queue q = { .alg = ALG, .node = WD_NODE_ANY, .flags = WD_QUEUE_NO_FALLBACK };
	int fds[QUOTA_A + 1], s, fd, r;
	struct wdp_refusal why;
	struct wdp_lease g;
	sd_bus *b;

	s = wdp_client_connect(NULL);
	if (s < 0)
		_exit(10);
	for (int i = 0; i < QUOTA_A; i++) {
		if (request(s, &g, &fds[sh->a_grants], &why) == 0)
			sh->a_lease[sh->a_grants++] = g.id;
	}
	sh->a_over_r = request(s, &g, &fd, &why);
	sh->a_over_reason = (int)why.reason;
	if (sh->a_over_r == 0)
		close(fd);
	sh->a_libwd_r = wd_request_queue(&q);
	snprintf(sh->a_libwd_msg, sizeof(sh->a_libwd_msg), "%s", q.errmsg);
	wd_release_queue(&q);
	step_signal(ctl);		/* 1: A holds its quota; B takes N + 1 */
	if (!step_wait(ctl))
		_exit(11);

	b = bus_system();
	if (!b)
		_exit(12);
	sh->a_list_r = list_leases(b, uid_a, &sh->a_list_own, &sh->a_list_foreign, NULL, 0, NULL);
	sd_bus_get_property_trivial(b, BUSDEST, "LeaseCount", NULL, 'u', &sh->a_lease_count);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

		sh->a_devices_r = bus_call(b, "ListDevices", NULL, 0, &reply, "");
	}
	sh->a_release_b_r = bus_call(b, "ReleaseLease", sh->a_release_b_err,
				     sizeof(sh->a_release_b_err), NULL, "t", sh->b_lease[0]);
	/* Every admin method, each with arguments that would have an effect. */
	r = bus_call(b, "RevokeLease", sh->a_admin_errs[0], 128, NULL, "t", sh->b_lease[0]);
	sh->a_admin_calls++;
	sh->a_admin_refused += r < 0 && admin_refusal(sh->a_admin_errs[0]);
	r = bus_call(b, "Reload", sh->a_admin_errs[1], 128, NULL, "");
	sh->a_admin_calls++;
	sh->a_admin_refused += r < 0 && admin_refusal(sh->a_admin_errs[1]);
	r = bus_call(b, "SetQuota", sh->a_admin_errs[2], 128, NULL, "sx", "user:" USER_A,
		     (int64_t)-1);
	sh->a_admin_calls++;
	sh->a_admin_refused += r < 0 && admin_refusal(sh->a_admin_errs[2]);
	/* RequestQueue over D-Bus: over the quota, and an algorithm not allowed. */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 = NULL, *r2 = NULL;

		sh->a_dbus_quota_r = bus_call(b, "RequestQueue", sh->a_dbus_quota_err, 128, &r1,
					      "si", ALG, -1);
		sh->a_dbus_alg_r = bus_call(b, "RequestQueue", sh->a_dbus_alg_err, 128, &r2, "si",
					    ALG_DENIED, -1);
	}
	sd_bus_flush_close_unref(b);
	{
		struct wdp_queue_req req = { .alg = ALG_DENIED, .node = -1 };

		memset(&why, 0, sizeof(why));
		sh->a_sock_alg_r = wdp_client_request_queue(s, &req, &g, &fd, &why);
		sh->a_sock_alg_reason = (int)why.reason;
		if (sh->a_sock_alg_r == 0)
			close(fd);
	}
	/* SetQuota did not lift the quota. */
	sh->a_after_setquota_r = request(s, &g, &fd, &why);
	if (sh->a_after_setquota_r == 0)
		close(fd);
	step_signal(ctl);		/* 2: root checks B's leases and uses the admin methods */
	if (!step_wait(ctl))
		_exit(13);

	/* Give one back: the quota has room for exactly one again. */
	sh->a_regrant_r = -EINVAL;
	if (sh->a_grants && wdp_client_release(s, sh->a_lease[0], &why) == 0) {
		close(fds[0]);
		sh->a_regrant_r = request(s, &g, &fds[0], &why);
	}
	sh->a_reover_r = request(s, &g, &fd, &why);
	if (sh->a_reover_r == 0)
		close(fd);
	close(s);
	for (int i = 0; i < sh->a_grants; i++)
		close(fds[i]);
	step_signal(ctl);		/* 3: done, everything closed */
	step_wait(ctl);
}

static void b_quota(int ctl)
{
	int fds[QUOTA_A + 1], s;
	struct wdp_refusal why;
	struct wdp_lease g;

	s = wdp_client_connect(NULL);
	if (s < 0)
		_exit(20);
	for (int i = 0; i < QUOTA_A + 1; i++)
		if (request(s, &g, &fds[sh->b_grants], &why) == 0)
			sh->b_lease[sh->b_grants++] = g.id;
	step_signal(ctl);		/* 1: B holds N + 1 */
	step_wait(ctl);
	for (int i = 0; i < sh->b_grants; i++)
		close(fds[i]);
	close(s);
}

/* ---- the flood ---- */

/* Wait until the broker closes @fd: true on EOF/reset within @ms (time in *@max_us). */
static bool closed_by_peer(int fd, int ms, long *max_us)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long t0 = now_us(), dt;
	char buf[256];

	for (;;) {
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0 && errno != EAGAIN)
			return false;
	}
	dt = now_us() - t0;
	if (dt > *max_us)
		*max_us = dt;
	return true;
}

static void garbage(int fd, unsigned *seed)
{
	uint8_t buf[97];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand_r(seed);
	send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void a_flood(int ctl)
{
	unsigned extra = env_uint("WD_SEC_EXTRA", 64), n = conn_limit + extra, seed = 1;
	int *c = calloc(n, sizeof(int));
	int n_garbage = 32;

	if (!c)
		_exit(30);
	/* Connect them all first: the broker sees a burst. */
	for (unsigned i = 0; i < n; i++) {
		c[i] = wdp_client_connect(NULL);
		if (c[i] < 0) {
			sh->f_open_errno = -c[i];
			break;
		}
		sh->f_opened++;
	}
	/* A round trip on each tells accepted from closed. */
	for (int i = 0; i < sh->f_opened; i++) {
		struct wdp_lease *l = NULL;
		size_t cnt = 0;

		if (wdp_client_list(c[i], &l, &cnt, NULL) == 0) {
			sh->f_accepted++;
		} else {
			sh->f_refused++;
			close(c[i]);
			c[i] = -1;
		}
		free(l);
	}
	step_signal(ctl);		/* 1: flood in place; B starts */

	/*
	 * While B works: room under the limit, then fresh connections carrying
	 * garbage (at least MIN_CHURN, then until B is done), each accepted and
	 * then dropped. A connection the broker keeps fails the check; don't
	 * wait for more then.
	 */
	for (int i = 0, freed = 0; i < sh->f_opened && freed < n_garbage; i++)
		if (c[i] >= 0) {
			close(c[i]);
			c[i] = -1;
			freed++;
		}
	while (sh->f_churn < MIN_CHURN ||
	       (!atomic_load(&sh->f_stop) && sh->f_churn < MAX_CHURN)) {
		int s = wdp_client_connect(NULL);

		if (s < 0)
			break;
		garbage(s, &seed);
		sh->f_churn++;
		if (!closed_by_peer(s, CLOSE_WAIT_MS, &sh->f_close_max_us)) {
			close(s);
			break;
		}
		sh->f_churn_closed++;
		close(s);
	}
	/* Garbage on connections the broker accepted before: it must drop each. */
	for (int i = 0; i < sh->f_opened && sh->f_garbage < n_garbage; i++) {
		if (c[i] < 0)
			continue;
		garbage(c[i], &seed);
		sh->f_garbage++;
		if (!closed_by_peer(c[i], CLOSE_WAIT_MS, &sh->f_close_max_us))
			break;
		sh->f_garbage_closed++;
		close(c[i]);
		c[i] = -1;
	}
	for (int i = 0; i < sh->f_opened; i++)
		if (c[i] >= 0)
			close(c[i]);
	free(c);
	step_signal(ctl);		/* 2: all closed */
	step_wait(ctl);
}

static void b_serve(int ctl)
{
	unsigned m = env_uint("WD_SEC_REQUESTS", 20);

	sh->b_first_err = 0;
	for (unsigned i = 0; i < m; i++) {
		struct wd_queue q = { .alg = ALG, .node = WD_NODE_ANY,
				      .flags = WD_QUEUE_NO_FALLBACK };
		long t0 = now_us(), dt;
		int r = wd_request_queue(&q);

		dt = now_us() - t0;
		if (dt > sh->b_lat_max_us)
			sh->b_lat_max_us = dt;
		if (r < 0) {
			if (!sh->b_first_err) {
				sh->b_first_err = r;
				snprintf(sh->b_errmsg, sizeof(sh->b_errmsg), "%s", q.errmsg);
			}
			continue;
		}
		sh->b_served++;
		wd_release_queue(&q);
		sh->b_released++;
	}
	atomic_store(&sh->b_done, 1);
	step_signal(ctl);
	step_wait(ctl);
}

/* ---- user A and B: a queue fd passed on, foreign addresses ---- */

/* A's request for ALG_DENIED, to see which policy the broker runs. */
static void a_probe(int ctl)
{
	struct wdp_queue_req req = { .alg = ALG_DENIED, .node = -1 };
	struct wdp_refusal why = { 0 };
	struct wdp_lease g;
	int s = wdp_client_connect(NULL), fd;

	sh->probe_r = s < 0 ? s : wdp_client_request_queue(s, &req, &g, &fd, &why);
	sh->probe_reason = (int)why.reason;
	if (sh->probe_r == 0)
		close(fd);
	if (s >= 0)
		close(s);
}

/* One message on @q; its status, or the error (see lw_run()). */
static int run_msg(struct wd_queue *q, uint32_t op, const void *src, size_t len, void *dst,
		   size_t dlen)
{
	struct wd_msg m = { .op = op, .src = src, .src_len = len, .dst = dst, .dst_len = dlen };

	return lw_run(q, &m);
}

static int crc_once(struct wd_queue *q)
{
	static const char text[] = "a queue of user A";
	uint8_t out[WD_CRC32C_SIZE];
	uint32_t want = vm_crc32c((const uint8_t *)text, sizeof(text)), got;
	int r = run_msg(q, WD_OP_CRC32C, text, sizeof(text), out, sizeof(out));

	if (r < 0)
		return r;
	got = out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24;
	return got == want ? 0 : -EIO;
}

static int pass_sock[2];	/* A -> B, made before both forks */

/* A starts a queue, uses it, and sends its fd to B (as a GRANT, for wdp_recv). */
static void a_pass(int ctl)
{
	struct wd_queue q = { .alg = ALG, .node = WD_NODE_ANY, .flags = WD_QUEUE_NO_FALLBACK };
	struct wdp_msg m = { .type = WDP_REP_GRANT, .seq = 1 };

	close(pass_sock[1]);
	sh->p_grant_r = wd_request_queue(&q);
	if (sh->p_grant_r == 0) {
		sh->p_use_before = crc_once(&q);
		m.grant.id = q.lease;
		snprintf(m.grant.device, sizeof(m.grant.device), "%s", q.dev_name);
		snprintf(m.grant.api, sizeof(m.grant.api), "%s", q.api);
		snprintf(m.grant.alg, sizeof(m.grant.alg), "%s", ALG);
		m.grant.node = -1;
		sh->p_sent = wdp_send(pass_sock[0], &m, wd_queue_fd(&q)) == 0;
	}
	step_signal(ctl);		/* 1: sent; B tries it */
	if (step_wait(ctl) && sh->p_grant_r == 0)
		sh->p_use_after = crc_once(&q);
	wd_release_queue(&q);
	step_signal(ctl);		/* 2: done */
	step_wait(ctl);
}

static int errno_of(int r)
{
	return r < 0 ? -errno : 0;
}

static void b_take(int ctl)
{
	struct wdp_msg m;
	int fd = -1;
	void *p;

	close(pass_sock[0]);
	if (wdp_recv(pass_sock[1], &m, &fd, NULL) < 0 || fd < 0)
		return;
	sh->p_got_fd = 1;
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 UACCE_QFRT_MMIO);
	sh->p_mmap_err = p == MAP_FAILED ? -errno : 0;
	if (p != MAP_FAILED)
		munmap(p, (size_t)sysconf(_SC_PAGESIZE));
	sh->p_start_err = errno_of(ioctl(fd, UACCE_CMD_START_Q, 0));
	sh->p_put_err = errno_of(ioctl(fd, UACCE_CMD_PUT_Q, 0));
	close(fd);
}

/* B, the victim: one page at FOREIGN_ADDR full of 0xb5, checked at the end. */
static void b_victim(int ctl)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *v = mmap(FOREIGN_ADDR, pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	sh->v_mapped = v == FOREIGN_ADDR;
	if (sh->v_mapped)
		memset(v, 0xb5, pg);
	step_signal(ctl);		/* 1: mapped; A attacks */
	if (!step_wait(ctl))
		return;
	for (size_t i = 0; sh->v_mapped && i < pg; i++)
		sh->v_changed += v[i] != 0xb5;
	step_signal(ctl);		/* 2: checked */
	step_wait(ctl);
}

static int count_byte(const uint8_t *p, size_t n, uint8_t b)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i] == b;
	return c;
}

/*
 * A names B's address in memcpy descriptors. The device works in A's
 * address space (the queue is bound to it), so the address means A's
 * memory there: nothing (a fault), then a page A maps itself.
 */
static void a_addresses(int ctl)
{
	struct wd_queue q = { .alg = ALG_DENIED, .node = WD_NODE_ANY,
			      .flags = WD_QUEUE_NO_FALLBACK };
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *mine = malloc(pg), *out = malloc(pg), *own;

	if (!mine || !out)
		_exit(40);
	memset(mine, 0xa1, pg);
	sh->x_queue_r = wd_request_queue(&q);
	snprintf(sh->x_errmsg, sizeof(sh->x_errmsg), "%s", q.errmsg);
	if (sh->x_queue_r < 0)
		goto out;
	/* msync() says ENOMEM for an address with nothing mapped. */
	sh->x_unmapped_in_a = msync(FOREIGN_ADDR, pg, MS_ASYNC) < 0 && errno == ENOMEM;
	memset(out, 0, pg);
	sh->x_src_status = run_msg(&q, WD_OP_MEMCPY, FOREIGN_ADDR, pg, out, pg);
	sh->x_victim_bytes_seen = count_byte(out, pg, 0xb5);
	sh->x_dst_status = run_msg(&q, WD_OP_MEMCPY, mine, pg, FOREIGN_ADDR, pg);

	own = mmap(FOREIGN_ADDR, pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (own != FOREIGN_ADDR)
		goto out;
	memset(own, 0xa2, pg);
	memset(out, 0, pg);
	sh->x_own_src_status = run_msg(&q, WD_OP_MEMCPY, FOREIGN_ADDR, pg, out, pg);
	sh->x_victim_bytes_seen += count_byte(out, pg, 0xb5);
	sh->x_own_ok = count_byte(out, pg, 0xa2) == (int)pg;
	sh->x_own_dst_status = run_msg(&q, WD_OP_MEMCPY, mine, pg, FOREIGN_ADDR, pg);
	sh->x_own_ok &= count_byte(own, pg, 0xa1) == (int)pg;
out:
	wd_release_queue(&q);
	free(mine);
	free(out);
}

/* ---- slowloris ---- */

/* Pipeline LIST requests and never read: the broker must drop us, not block. */
static void slow_reader(void)
{
	struct wdp_msg m = { .type = WDP_REQ_LIST };
	long t0 = now_us();
	int s = wdp_client_connect(NULL);

	if (s < 0 || fcntl(s, F_SETFL, O_NONBLOCK) < 0)
		return;
	while (sh->s_reader_sent < SLOW_READER_MAX && now_us() - t0 < 30000000L) {
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int r;

		m.seq = (uint32_t)sh->s_reader_sent + 1;
		r = wdp_send(s, &m, -1);
		if (r == -EPIPE || r == -ECONNRESET) {
			sh->s_reader_closed = 1;
			break;
		}
		if (r == 0) {
			sh->s_reader_sent++;
			continue;
		}
		if (r != -EAGAIN || poll(&p, 1, 1000) < 0)
			break;
	}
	close(s);
}

static void a_slow(int ctl)
{
	int idle[SLOW_IDLE], tr[SLOW_TRICKLE];

	for (int i = 0; i < SLOW_IDLE; i++) {
		idle[i] = wdp_client_connect(NULL);
		sh->s_idle += idle[i] >= 0;
	}
	for (int i = 0; i < SLOW_TRICKLE; i++)
		tr[i] = wdp_client_connect(NULL);
	slow_reader();
	step_signal(ctl);		/* 1: in place; B is measured */

	while (!atomic_load(&sh->s_stop)) {
		long t0 = now_us();

		for (int i = 0; i < SLOW_TRICKLE; i++) {
			if (tr[i] < 0)
				continue;
			if (send(tr[i], "W", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
				continue;
			sh->s_bytes++;
			if (closed_by_peer(tr[i], CLOSE_WAIT_MS, &sh->s_byte_close_max_us))
				sh->s_byte_closed++;
			close(tr[i]);
			tr[i] = wdp_client_connect(NULL);
			if (tr[i] < 0)
				sh->s_reconnect_errno = -tr[i];
		}
		while (!atomic_load(&sh->s_stop) && now_us() - t0 < SLOW_BYTE_MS * 1000L)
			usleep(50000);
	}
	/* The idle ones are still there, and served. */
	for (int i = 0; i < SLOW_IDLE; i++) {
		struct wdp_lease *l = NULL;
		size_t cnt = 0;

		if (idle[i] >= 0 && wdp_client_list(idle[i], &l, &cnt, NULL) == 0)
			sh->s_idle_kept++;
		free(l);
		if (idle[i] >= 0)
			close(idle[i]);
	}
	for (int i = 0; i < SLOW_TRICKLE; i++)
		if (tr[i] >= 0)
			close(tr[i]);
	step_signal(ctl);		/* 2: all closed */
	step_wait(ctl);
}

/* One libwd request and release by B; its latency, or -errno. */
static long b_timed_request(void)
{
	struct wd_queue q = { .alg = ALG, .node = WD_NODE_ANY, .flags = WD_QUEUE_NO_FALLBACK };
	long t0 = now_us();
	int r = wd_request_queue(&q);
	long dt = now_us() - t0;

	wd_release_queue(&q);
	return r < 0 ? r : dt;
}

static void b_slow(int ctl)
{
	for (int i = 0; i < SLOW_BASE; i++) {
		long dt = b_timed_request();

		if (dt < 0) {
			sh->s_first_err = sh->s_first_err ? sh->s_first_err : (int)dt;
			continue;
		}
		sh->s_base_us[sh->s_base_n++] = dt;
	}
	step_signal(ctl);		/* 1: baseline measured */
	if (!step_wait(ctl))
		return;
	while (!atomic_load(&sh->s_stop)) {
		long dt = b_timed_request();

		if (dt < 0) {
			sh->s_fail++;
			sh->s_first_err = sh->s_first_err ? sh->s_first_err : (int)dt;
		} else if (sh->s_att_n < SLOW_LAT_MAX) {
			sh->s_att_us[sh->s_att_n++] = dt;
		}
		usleep(250000);
	}
	step_signal(ctl);		/* 2: done */
	step_wait(ctl);
}

/* ---- the parent ---- */

static int make_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	vm_system("userdel %s >/dev/null 2>&1", name);
	if (vm_system("useradd --system --no-create-home --user-group --shell /usr/sbin/nologin %s",
		      name) != 0)
		return -1;
	pw = getpwnam(name);
	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* A's drop-in: @quota queues, only @algs if not NULL; applied by Reload. */
static int policy_quota(sd_bus *root, const char *quota, const char *algs)
{
	char err[128];

	if (vm_system("mkdir -p %s/policy.d && printf '[user:%s]\\nmax_queues = %s\\n%s%s\\n' > "
		      "%s/policy.d/" DROPIN, policy_dir, USER_A, quota, algs ? "algorithms = " : "",
		      algs ? algs : "", policy_dir) != 0)
		return -1;
	if (bus_call(root, "Reload", err, sizeof(err), NULL, "") < 0) {
		diag("Reload: %s", err);
		return -1;
	}
	return 0;
}

/* Open every uacce node; count those that open, and EACCES refusals. */
static void open_nodes(int *nodes, int *opened, int *eacces)
{
	DIR *d = opendir("/sys/class/uacce");
	struct dirent *e;

	*nodes = *opened = *eacces = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char node[300];
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(node, sizeof(node), "/dev/%s", e->d_name);
		(*nodes)++;
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			(*opened)++;
			close(fd);
		} else if (errno == EACCES) {
			(*eacces)++;
		}
	}
	closedir(d);
}

static void a_devices(int ctl)
{
	int opened;

	open_nodes(&sh->dev_nodes, &opened, &sh->dev_eacces);
	sh->dev_other = sh->dev_nodes - sh->dev_eacces;	/* opened, or another errno */
}

static void device_checks(void)
{
	int nodes, opened, eacces;
	struct child ch;

	open_nodes(&nodes, &opened, &eacces);
	ok(nodes > 0 && opened == nodes, "root opens all %d uacce nodes", nodes);
	child_start(&ch, uid_a, gid_a, 0, a_devices);
	is(child_finish(&ch), 0, "A's device child exits normally");
	ok(sh->dev_nodes == nodes && sh->dev_eacces == nodes,
	   "A gets EACCES on every uacce node (%d of %d; opened or other errors: %d)",
	   sh->dev_eacces, sh->dev_nodes, sh->dev_other);
}

static void quota_checks(sd_bus *root)
{
	struct child a, b;
	char err[128];
	int own, foreign, found, r;

	ok(policy_quota(root, "3", ALG) == 0,
	   "policy drop-in gives A a quota of %d and only %s, Reload over D-Bus", QUOTA_A, ALG);
	child_start(&a, uid_a, gid_a, 0, a_quota);
	if (!child_step(&a, false))
		bail_out("A's quota child died");
	is(sh->a_grants, QUOTA_A, "A gets %d queues (its quota)", QUOTA_A);
	ok(sh->a_over_r == -EDQUOT && sh->a_over_reason == WDP_REASON_QUOTA_USER,
	   "A's request %d is refused: reason quota-user, -EDQUOT (got %d, reason %d)",
	   QUOTA_A + 1, sh->a_over_r, sh->a_over_reason);
	ok(sh->a_libwd_r == -EDQUOT && strstr(sh->a_libwd_msg, "quota"),
	   "libwd's wd_request_queue() for A: -EDQUOT (%d: %s)", sh->a_libwd_r, sh->a_libwd_msg);

	child_start(&b, uid_b, gid_b, 0, b_quota);
	if (!child_step(&b, false))
		bail_out("B's quota child died");
	is(sh->b_grants, QUOTA_A + 1, "B, not under A's quota, holds %d queues meanwhile",
	   QUOTA_A + 1);

	if (!child_step(&a, true))
		bail_out("A's quota child died in the D-Bus checks");
	ok(sh->a_list_r >= 0 && sh->a_list_own == QUOTA_A && sh->a_list_foreign == 0,
	   "A's ListLeases shows its %d leases and none of B's (own %d, foreign %d)",
	   QUOTA_A, sh->a_list_own, sh->a_list_foreign);
	is(sh->a_lease_count, QUOTA_A + QUOTA_A + 1, "A reads LeaseCount: every lease (%u)",
	   sh->a_lease_count);
	ok(sh->a_devices_r >= 0, "A may call ListDevices");
	ok(sh->a_release_b_r < 0 && !strcmp(sh->a_release_b_err, "org.warpdrive.Error.NoSuchLease"),
	   "A's ReleaseLease of B's lease: NoSuchLease (%s)", sh->a_release_b_err);
	for (int i = 0; i < 3; i++)
		diag("A's admin call %d: %s", i, sh->a_admin_errs[i]);
	ok(sh->a_admin_calls == 3 && sh->a_admin_refused == 3,
	   "A's RevokeLease, Reload and SetQuota are refused (%d of %d: AccessDenied or "
	   "InteractiveAuthorizationRequired)", sh->a_admin_refused, sh->a_admin_calls);
	ok(sh->a_after_setquota_r == -EDQUOT, "A's SetQuota changed nothing: still -EDQUOT (%d)",
	   sh->a_after_setquota_r);
	ok(sh->a_dbus_quota_r < 0 && !strcmp(sh->a_dbus_quota_err, "org.warpdrive.Error.QuotaExceeded"),
	   "A's RequestQueue(%s) over D-Bus at its quota: QuotaExceeded (%s)", ALG,
	   sh->a_dbus_quota_err);
	ok(sh->a_dbus_alg_r < 0 && !strcmp(sh->a_dbus_alg_err, "org.warpdrive.Error.NotAllowed"),
	   "A's RequestQueue(%s) over D-Bus, an algorithm its policy does not allow: NotAllowed (%s)",
	   ALG_DENIED, sh->a_dbus_alg_err);
	ok(sh->a_sock_alg_r == -EACCES && sh->a_sock_alg_reason == WDP_REASON_ALG_DENIED,
	   "and over the socket: alg-denied, -EACCES (%d, reason %d)", sh->a_sock_alg_r,
	   sh->a_sock_alg_reason);
	r = list_leases(root, 0, &own, &foreign, sh->b_lease, sh->b_grants, &found);
	ok(r >= 0 && found == QUOTA_A + 1 && foreign == 2 * QUOTA_A + 1,
	   "A's RevokeLease changed nothing: root sees B's %d leases, %d leases in all",
	   found, foreign);

	/* Root may use every admin method. */
	r = bus_call(root, "SetQuota", err, sizeof(err), NULL, "sx", "user:" USER_B, (int64_t)100);
	ok(r >= 0, "root's SetQuota(user:%s, 100) %s", USER_B, r >= 0 ? "succeeds" : err);
	r = bus_call(root, "RevokeLease", err, sizeof(err), NULL, "t", sh->b_lease[QUOTA_A]);
	ok(r >= 0, "root's RevokeLease of one of B's leases %s", r >= 0 ? "succeeds" : err);
	r = list_leases(root, 0, &own, &foreign, sh->b_lease, sh->b_grants, &found);
	ok(r >= 0 && found == QUOTA_A, "the revoked lease is gone (%d of B's left)", found);
	r = bus_call(root, "Reload", err, sizeof(err), NULL, "");
	ok(r >= 0, "root's Reload %s", r >= 0 ? "succeeds" : err);

	if (!child_step(&a, true))
		bail_out("A's quota child died releasing");
	is(sh->a_regrant_r, 0, "after A releases one, it gets one again");
	is(sh->a_reover_r, -EDQUOT, "and the one after that is refused again");
	is(child_finish(&a), 0, "A's quota child exits normally");
	is(child_finish(&b), 0, "B's quota child exits normally");
}

static bool fds_back(long pid, int want, int ms, int *now)
{
	for (int t = 0; t < ms; t += 100) {
		*now = broker_fds(pid);
		if (*now >= 0 && *now <= want)
			return true;
		usleep(100000);
	}
	return false;
}

static long flood_rss0, flood_rss1, flood_per_conn;

static void flood_checks(long pid, int fds0)
{
	unsigned extra = env_uint("WD_SEC_EXTRA", 64);
	unsigned m = env_uint("WD_SEC_REQUESTS", 20);
	struct child a, b;
	int fds1 = -1;
	bool back;

	flood_rss0 = broker_rss_kb(pid);
	child_start(&a, uid_a, gid_a, conn_limit + extra + 64, a_flood);
	if (!child_step(&a, false))
		diag("A's flood child did not finish connecting");
	flood_rss1 = broker_rss_kb(pid);
	ok(sh->f_opened == (int)(conn_limit + extra), "A connected %d times (limit %u + %u; errno %d)",
	   sh->f_opened, conn_limit, extra, sh->f_open_errno);
	is(sh->f_accepted, (int)conn_limit, "the broker kept exactly its per-user limit of %u",
	   conn_limit);
	is(sh->f_refused, (int)extra, "and closed the %u over it", extra);
	flood_per_conn = sh->f_accepted > 0 ? (flood_rss1 - flood_rss0) * 1024 / sh->f_accepted : -1;
	ok(flood_rss0 > 0 && flood_rss1 > 0 && flood_per_conn <= RSS_PER_CONN_MAX,
	   "broker RSS with A's %d idle connections: %ld -> %ld kB, %ld bytes each (at most %d)",
	   sh->f_accepted, flood_rss0, flood_rss1, flood_per_conn, RSS_PER_CONN_MAX);

	child_start(&b, uid_b, gid_b, 0, b_serve);
	if (!child_step(&b, false))
		diag("B's child did not finish its requests");
	atomic_store(&sh->f_stop, 1);
	is(sh->b_served, (int)m, "B's %u requests during A's flood are all granted (first error %d: %s)",
	   m, sh->b_first_err, sh->b_errmsg);
	is(sh->b_released, (int)m, "and released");
	if (!child_step(&a, false))
		diag("A's flood child did not finish");
	ok(sh->f_garbage > 0 && sh->f_garbage_closed == sh->f_garbage,
	   "the broker dropped each of A's %d garbage connections (%d)", sh->f_garbage,
	   sh->f_garbage_closed);
	ok(sh->f_churn >= MIN_CHURN && sh->f_churn_closed == sh->f_churn,
	   "and each of the %d new garbage connections A opened meanwhile (%d)", sh->f_churn,
	   sh->f_churn_closed);
	is(child_finish(&a), 0, "A's flood child exits normally");
	is(child_finish(&b), 0, "B's child exits normally");
	is(broker_pid(), pid, "the broker survived: same MainPID %ld", pid);
	is(vm_system("systemctl is-active --quiet wdbroker.service"), 0, "wdbroker.service is active");
	back = fds_back(pid, fds0, 15000, &fds1);
	ok(back, "the broker's fds are back to %d (%d)", fds0, fds1);
}

/* A's request for ALG_DENIED: refused as alg-denied under the old policy. */
static bool a_still_denied(void)
{
	struct child ch;

	sh->probe_r = sh->probe_reason = 0;
	child_start(&ch, uid_a, gid_a, 0, a_probe);
	return child_finish(&ch) == 0 && sh->probe_r == -EACCES &&
	       sh->probe_reason == WDP_REASON_ALG_DENIED;
}

/* The broker's journal has @text (it may take a moment to get there). */
static bool journal_has(const char *text)
{
	for (int t = 0; t < 50; t++) {
		if (vm_system("journalctl -b -q -u wdbroker.service --no-pager -o cat | grep -qF -- '%s'",
			      text) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

struct policy_attack {
	const char *what;
	const char *name;	/* under the policy directory */
	const char *setup;	/* shell; each @ stands for the file's path */
	const char *undo;
	const char *reason;	/* what the refusal must say after "FILE: refusing it: " */
};

#define EVIL "printf '[user:" USER_A "]\\nmax_queues = unlimited\\nalgorithms = *\\n' > "

static const struct policy_attack policy_attacks[] = {
	{ "a symbolic link in policy.d", "policy.d/60-sec-link.conf",
	  EVIL "/run/wdsec-evil.conf && ln -s /run/wdsec-evil.conf @", "rm -f @",
	  "a symbolic link" },
	{ "a world-writable file", "policy.d/60-sec-ww.conf",
	  EVIL "@ && chmod 0666 @", "rm -f @",
	  "writable by everyone (mode 0666)" },
	{ "a file writable by A's group", "policy.d/60-sec-gw.conf",
	  EVIL "@ && chgrp " USER_A " @ && chmod 0664 @", "rm -f @",
	  "writable by its group (mode 0664)" },
	{ "a file owned by A", "policy.d/60-sec-own.conf",
	  EVIL "@ && chown " USER_A " @", "rm -f @", "owned by uid" },
	{ "a world-writable policy.d", "policy.d", "chmod 0777 @", "chmod 0755 @",
	  "writable by everyone (mode 0777)" },
};

#define N_POLICY_ATTACKS (int)(sizeof(policy_attacks) / sizeof(policy_attacks[0]))

static int pol_refused, pol_named, pol_journal, pol_kept;

/* Run @tmpl with each @ replaced by @file. */
static int run_with_file(const char *tmpl, const char *file)
{
	char cmd[2000];
	size_t n = 0;

	for (const char *t = tmpl; *t && n < sizeof(cmd) - 1; t++) {
		if (*t == '@')
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s", file);
		else
			cmd[n++] = *t;
		if (n >= sizeof(cmd) - 1)
			return -1;
	}
	cmd[n] = 0;
	return vm_system("%s", cmd);
}

static void policy_checks(sd_bus *root)
{
	char err[128], file[600], want[800];

	ok(policy_quota(root, "3", ALG) == 0 && a_still_denied(),
	   "A's policy: quota %d, only %s; A is refused %s", QUOTA_A, ALG, ALG_DENIED);
	for (int i = 0; i < N_POLICY_ATTACKS; i++) {
		const struct policy_attack *a = &policy_attacks[i];
		bool refused, named, logged, kept;
		int r;

		snprintf(file, sizeof(file), "%s/%s", policy_dir, a->name);
		if (run_with_file(a->setup, file) != 0)
			bail_out("cannot set up %s: %s", a->what, a->setup);
		snprintf(want, sizeof(want), "%s: refusing it: %s", file, a->reason);
		bus_errmsg[0] = 0;
		r = bus_call(root, "Reload", err, sizeof(err), NULL, "");
		refused = r < 0 && !strcmp(err, "org.warpdrive.Error.BadPolicy");
		named = refused && strstr(bus_errmsg, want);
		ok(refused && named, "%s: root's Reload fails with BadPolicy naming the file and why (%s: %s)",
		   a->what, err, bus_errmsg);
		logged = journal_has(want);
		ok(logged, "and the journal says so");
		kept = a_still_denied();
		ok(kept, "the old policy stays: A is still refused %s (%d, reason %d)", ALG_DENIED,
		   sh->probe_r, sh->probe_reason);
		pol_refused += refused;
		pol_named += named;
		pol_journal += logged;
		pol_kept += kept;
		if (run_with_file(a->undo, file) != 0)
			bail_out("cannot undo %s: %s", a->what, a->undo);
	}
	vm_system("rm -f /run/wdsec-evil.conf");
	ok(bus_call(root, "Reload", err, sizeof(err), NULL, "") >= 0,
	   "with each put right, Reload succeeds again (%s)", err);
	/* The same drop-in, root's and 0644, does change A's policy: the probe can tell. */
	snprintf(file, sizeof(file), "%s/policy.d/60-sec-root.conf", policy_dir);
	ok(run_with_file(EVIL "@", file) == 0 &&
	   bus_call(root, "Reload", err, sizeof(err), NULL, "") >= 0 && !a_still_denied() &&
	   sh->probe_r == 0, "the same drop-in written by root is applied: A gets %s (%d)", ALG_DENIED,
	   sh->probe_r);
	run_with_file("rm -f @", file);
	ok(policy_quota(root, "unlimited", NULL) == 0, "A's quota and algorithms lifted again");
}

static void fdpass_checks(void)
{
	struct child a, b;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pass_sock) < 0)
		bail_out("socketpair: %s", strerror(errno));
	child_start(&a, uid_a, gid_a, 0, a_pass);
	if (!child_step(&a, false))
		diag("A's fd-passing child died");
	ok(sh->p_grant_r == 0 && sh->p_use_before == 0 && sh->p_sent,
	   "A starts a %s queue, uses it and sends its fd to B (%d, %d)", ALG, sh->p_grant_r,
	   sh->p_use_before);
	child_start(&b, uid_b, gid_b, 0, b_take);
	is(child_finish(&b), 0, "B's child exits normally");
	close(pass_sock[0]);
	close(pass_sock[1]);
	ok(sh->p_got_fd, "B received the queue fd");
	ok(sh->p_mmap_err == -EPERM && sh->p_start_err == -EPERM && sh->p_put_err == -EPERM,
	   "the kernel refuses B every use of A's queue: mmap %d, START_Q %d, PUT_Q %d (-EPERM)",
	   sh->p_mmap_err, sh->p_start_err, sh->p_put_err);
	if (!child_step(&a, true))
		diag("A's fd-passing child died");
	is(sh->p_use_after, 0, "A's queue still works afterwards");
	is(child_finish(&a), 0, "A's child exits normally");
}

static void address_checks(void)
{
	struct child a, v;

	child_start(&v, uid_b, gid_b, 0, b_victim);
	if (!child_step(&v, false) || !sh->v_mapped)
		bail_out("B cannot map its page at %p", FOREIGN_ADDR);
	child_start(&a, uid_a, gid_a, 0, a_addresses);
	is(child_finish(&a), 0, "A's child exits normally");
	ok(sh->x_queue_r == 0, "A gets a %s queue (%d %s)", ALG_DENIED, sh->x_queue_r, sh->x_errmsg);
	ok(sh->x_unmapped_in_a, "B's address %p is not mapped in A", FOREIGN_ADDR);
	is(sh->x_src_status, -EFAULT, "A's memcpy from B's address faults");
	is(sh->x_dst_status, -EFAULT, "A's memcpy to B's address faults");
	ok(sh->x_own_src_status == 0 && sh->x_own_dst_status == 0 && sh->x_own_ok,
	   "with A's own page there, both copies work on A's page (%d, %d)", sh->x_own_src_status,
	   sh->x_own_dst_status);
	is(sh->x_victim_bytes_seen, 0, "no byte of B's page reached A");
	if (!child_step(&v, true))
		diag("B's victim child died");
	is(sh->v_changed, 0, "B's page is unchanged");
	is(child_finish(&v), 0, "B's victim child exits normally");
}

static int cmp_long(const void *x, const void *y)
{
	long a = *(const long *)x, b = *(const long *)y;

	return a < b ? -1 : a > b;
}

/* The @q-th quantile (0..1) of @n samples, sorted in place. */
static long quantile(long *v, int n, double q)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_long);
	return v[(int)(q * (n - 1) + 0.5)];
}

static long slow_base_p50, slow_att_p50, slow_att_p95, slow_att_max, slow_rss_kb;

static void slow_checks(long pid, int fds0)
{
	unsigned secs = env_uint("WD_SEC_SLOW_S", 120);
	struct child a, b;
	int fds1 = -1;
	bool back;
	long t0;

	child_start(&b, uid_b, gid_b, 0, b_slow);
	if (!child_step(&b, false))
		diag("B's latency child died measuring its baseline");
	is(sh->s_base_n, SLOW_BASE, "B's baseline: %d requests granted (first error %d)", SLOW_BASE,
	   sh->s_first_err);
	slow_base_p50 = quantile(sh->s_base_us, sh->s_base_n, 0.5);

	child_start(&a, uid_a, gid_a, 0, a_slow);
	if (!child_step(&a, false))
		diag("A's slowloris child died setting up");
	is(sh->s_idle, SLOW_IDLE, "A holds %d idle connections", SLOW_IDLE);
	ok(sh->s_reader_closed && sh->s_reader_sent < SLOW_READER_MAX,
	   "A's connection that never reads its replies is closed after %d requests",
	   sh->s_reader_sent);
	step_signal(b.ctl);
	diag("slowloris for %u s", secs);
	t0 = now_us();
	while (now_us() - t0 < (long)secs * 1000000L)
		sleep(1);
	slow_rss_kb = broker_rss_kb(pid);
	atomic_store(&sh->s_stop, 1);
	if (!child_step(&b, false))
		diag("B's latency child did not finish");
	if (!child_step(&a, false))
		diag("A's slowloris child did not finish");
	ok(sh->s_bytes >= SLOW_TRICKLE && sh->s_byte_closed == sh->s_bytes,
	   "each of A's %d single bytes closed its connection at once (%d, slowest %.1f ms)",
	   sh->s_bytes, sh->s_byte_closed, sh->s_byte_close_max_us / 1000.0);
	is(sh->s_reconnect_errno, 0, "A could always connect again");
	is(sh->s_idle_kept, SLOW_IDLE, "after %u s, A's idle connections are still served", secs);
	ok(sh->s_att_n > 0 && sh->s_fail == 0, "B's %d requests meanwhile were all granted (%d failed)",
	   sh->s_att_n, sh->s_fail);
	slow_att_max = quantile(sh->s_att_us, sh->s_att_n, 1.0);
	slow_att_p95 = quantile(sh->s_att_us, sh->s_att_n, 0.95);
	slow_att_p50 = quantile(sh->s_att_us, sh->s_att_n, 0.5);
	ok(slow_att_p50 >= 0 && slow_att_p50 <= SLOW_RATIO * (slow_base_p50 > 1000 ? slow_base_p50 : 1000),
	   "B's median latency under attack %.1f ms is within %dx its baseline %.1f ms (p95 %.1f, max %.1f ms)",
	   slow_att_p50 / 1000.0, SLOW_RATIO, slow_base_p50 / 1000.0, slow_att_p95 / 1000.0,
	   slow_att_max / 1000.0);
	is(child_finish(&a), 0, "A's slowloris child exits normally");
	is(child_finish(&b), 0, "B's latency child exits normally");
	is(broker_pid(), pid, "the broker kept its MainPID %ld", pid);
	back = fds_back(pid, fds0, 15000, &fds1);
	ok(back, "the broker's fds are back to %d (%d)", fds0, fds1);
}

int main(void)
{
	int fds0 = -1, fds1 = -1;
	long pid, avail0[8], avail1[8];
	char devs[8][256];
	int n_devs = 0;
	sd_bus *root;
	DIR *d;
	struct dirent *e;
	long t0 = now_us();

	vm_require();
	signal(SIGPIPE, SIG_IGN);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bail_out("mmap");
	if (vm_system("sh %s/tests/vm/test-system-lib.sh setup", getenv("WD_SOURCE_ROOT")) != 0)
		bail_out("cannot install WarpDrive into the VM (test-system-lib.sh setup)");
	if (make_user(USER_A, &uid_a, &gid_a) < 0 || make_user(USER_B, &uid_b, &gid_b) < 0)
		bail_out("useradd failed");
	if (vm_system("systemctl start wdbroker.socket wdbroker.service") != 0 || broker_config() < 0)
		bail_out("cannot start the installed broker");
	diag("%.1f s: users %s (%u) and %s (%u); policy in %s; connection limit %u", (now_us() - t0) / 1e6, USER_A, uid_a,
	     USER_B, uid_b, policy_dir, conn_limit);
	root = bus_system();
	if (!root)
		bail_out("no system bus");

	d = opendir("/sys/class/uacce");
	while (d && (e = readdir(d)) && n_devs < 8) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(devs[n_devs], sizeof(devs[0]), "%s", e->d_name);
		vm_sysfs_long(devs[n_devs], "available_instances", &avail0[n_devs]);
		n_devs++;
	}
	if (d)
		closedir(d);

	diag("%.1f s: devices", (now_us() - t0) / 1e6);
	device_checks();
	diag("%.1f s: quota and D-Bus", (now_us() - t0) / 1e6);
	quota_checks(root);
	diag("%.1f s: policy directory", (now_us() - t0) / 1e6);
	policy_checks(root);
	diag("%.1f s: a queue fd passed on", (now_us() - t0) / 1e6);
	fdpass_checks();
	diag("%.1f s: foreign addresses", (now_us() - t0) / 1e6);
	address_checks();
	diag("%.1f s: flood", (now_us() - t0) / 1e6);

	pid = broker_pid();
	fds0 = broker_fds(pid);
	ok(pid > 0 && fds0 > 0, "broker %ld has %d fds before the flood", pid, fds0);
	flood_checks(pid, fds0);
	diag("%.1f s: slowloris", (now_us() - t0) / 1e6);
	slow_checks(pid, fds0);
	fds1 = broker_fds(pid);

	for (int i = 0; i < n_devs; i++) {
		vm_sysfs_long(devs[i], "available_instances", &avail1[i]);
		is(avail1[i], avail0[i], "%s: available_instances back to %ld", devs[i], avail0[i]);
	}

	printf("# report: broker-security: users 2 (%s %u, %s %u); devices refused to A %d/%d; "
	       "quota %d: A granted %d, refused %s, regranted after release %s, B held %d; "
	       "admin calls refused to A %d/%d, root's SetQuota, RevokeLease and Reload allowed; "
	       "D-Bus RequestQueue by A: over quota %s, disallowed algorithm %s; "
	       "policy directory: %d attacks (link, world-/group-writable, owned by A, writable "
	       "policy.d), %d refused with BadPolicy, %d naming file and reason, %d in the journal, "
	       "old policy kept %d; queue fd passed A->B: %d/3 uses refused with EPERM, A's queue "
	       "%s after; foreign addresses: %d/2 descriptors faulted, %d/2 used A's own page, "
	       "victim bytes read %d, changed %d; flood: %d connections opened, "
	       "%d kept (limit %u), %d refused, %d garbage + %d churned dropped; B served %d/%u, "
	       "latency max %.1f ms; garbage-to-close max %.1f ms; memory: broker RSS %ld -> %ld kB "
	       "with %d idle connections, %ld bytes per connection; slowloris %u s: %d idle "
	       "connections kept, %d single bytes each closed their connection (slowest %.1f ms), "
	       "a non-reading connection closed after %d requests; B %d requests, median %.1f ms "
	       "(baseline %.1f ms, ratio %.1f), p95 %.1f ms, max %.1f ms, %d failed; broker RSS "
	       "%ld kB; broker fds %d -> %d, MainPID %ld kept\n",
	       USER_A, uid_a, USER_B, uid_b, sh->dev_eacces, sh->dev_nodes, QUOTA_A, sh->a_grants,
	       sh->a_over_r == -EDQUOT ? "-EDQUOT" : "no", sh->a_regrant_r == 0 ? "yes" : "no",
	       sh->b_grants, sh->a_admin_refused, sh->a_admin_calls,
	       sh->a_dbus_quota_err[0] ? sh->a_dbus_quota_err : "granted",
	       sh->a_dbus_alg_err[0] ? sh->a_dbus_alg_err : "granted", N_POLICY_ATTACKS,
	       pol_refused, pol_named, pol_journal, pol_kept,
	       (sh->p_mmap_err == -EPERM) + (sh->p_start_err == -EPERM) + (sh->p_put_err == -EPERM),
	       sh->p_use_after == 0 ? "working" : "broken",
	       (sh->x_src_status == -EFAULT) + (sh->x_dst_status == -EFAULT),
	       (sh->x_own_src_status == 0) + (sh->x_own_dst_status == 0), sh->x_victim_bytes_seen,
	       sh->v_changed, sh->f_opened, sh->f_accepted,
	       conn_limit, sh->f_refused, sh->f_garbage_closed, sh->f_churn_closed, sh->b_served,
	       env_uint("WD_SEC_REQUESTS", 20), sh->b_lat_max_us / 1000.0, sh->f_close_max_us / 1000.0,
	       flood_rss0, flood_rss1, sh->f_accepted, flood_per_conn, env_uint("WD_SEC_SLOW_S", 120),
	       sh->s_idle_kept, sh->s_byte_closed, sh->s_byte_close_max_us / 1000.0,
	       sh->s_reader_sent, sh->s_att_n, slow_att_p50 / 1000.0, slow_base_p50 / 1000.0,
	       slow_base_p50 > 0 ? (double)slow_att_p50 / slow_base_p50 : 0.0, slow_att_p95 / 1000.0,
	       slow_att_max / 1000.0, sh->s_fail, slow_rss_kb, fds0, fds1, broker_pid());

	diag("%.1f s: done", (now_us() - t0) / 1e6);
	vm_system("rm -f %s/policy.d/" DROPIN, policy_dir);
	bus_call(root, "Reload", NULL, 0, NULL, "");
	sd_bus_flush_close_unref(root);
	vm_system("sh %s/tests/vm/test-system-lib.sh cleanup", getenv("WD_SOURCE_ROOT"));
	vm_system("userdel %s; userdel %s", USER_A, USER_B);
	return done_testing();
}
