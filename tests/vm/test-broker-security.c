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
 *    and its fd count returns to the baseline once A is gone.
 *
 * Longer runs: WD_SEC_REQUESTS (B's requests during the flood, 20) and
 * WD_SEC_EXTRA (connections over the limit, 64), e.g.
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <warpdrive/wd.h>

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
#define STEP_TIMEOUT_S	60
#define BUSDEST		"org.warpdrive", "/org/warpdrive", "org.warpdrive.Manager1"
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
	sd_bus_flush_close_unref(b);
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

/* Wait until the broker closes @fd: true on EOF/reset within @ms. */
static bool closed_by_peer(int fd, int ms)
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
	if (dt > sh->f_close_max_us)
		sh->f_close_max_us = dt;
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
		if (!closed_by_peer(s, CLOSE_WAIT_MS)) {
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
		if (!closed_by_peer(c[i], CLOSE_WAIT_MS))
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

static int policy_quota(sd_bus *root, const char *quota)
{
	char err[128];

	if (vm_system("mkdir -p %s/policy.d && printf '[user:%s]\\nmax_queues = %s\\n' > %s/policy.d/"
		      DROPIN, policy_dir, USER_A, quota, policy_dir) != 0)
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

	ok(policy_quota(root, "3") == 0, "policy drop-in gives A a quota of %d, Reload over D-Bus",
	   QUOTA_A);
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
	ok(policy_quota(root, "unlimited") == 0, "A's quota lifted again");
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

static void flood_checks(long pid, int fds0)
{
	unsigned extra = env_uint("WD_SEC_EXTRA", 64);
	unsigned m = env_uint("WD_SEC_REQUESTS", 20);
	struct child a, b;
	int fds1 = -1;
	bool back;

	child_start(&a, uid_a, gid_a, conn_limit + extra + 64, a_flood);
	if (!child_step(&a, false))
		diag("A's flood child did not finish connecting");
	ok(sh->f_opened == (int)(conn_limit + extra), "A connected %d times (limit %u + %u; errno %d)",
	   sh->f_opened, conn_limit, extra, sh->f_open_errno);
	is(sh->f_accepted, (int)conn_limit, "the broker kept exactly its per-user limit of %u",
	   conn_limit);
	is(sh->f_refused, (int)extra, "and closed the %u over it", extra);

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
	diag("%.1f s: flood", (now_us() - t0) / 1e6);

	pid = broker_pid();
	fds0 = broker_fds(pid);
	ok(pid > 0 && fds0 > 0, "broker %ld has %d fds before the flood", pid, fds0);
	flood_checks(pid, fds0);
	fds1 = broker_fds(pid);

	for (int i = 0; i < n_devs; i++) {
		vm_sysfs_long(devs[i], "available_instances", &avail1[i]);
		is(avail1[i], avail0[i], "%s: available_instances back to %ld", devs[i], avail0[i]);
	}

	printf("# report: broker-security: users 2 (%s %u, %s %u); devices refused to A %d/%d; "
	       "quota %d: A granted %d, refused %s, regranted after release %s, B held %d; "
	       "admin calls refused to A %d/%d, root's SetQuota, RevokeLease and Reload allowed; flood: %d connections opened, "
	       "%d kept (limit %u), %d refused, %d garbage + %d churned dropped; B served %d/%u, "
	       "latency max %.1f ms; garbage-to-close max %.1f ms; broker fds %d -> %d, MainPID %ld kept\n",
	       USER_A, uid_a, USER_B, uid_b, sh->dev_eacces, sh->dev_nodes, QUOTA_A, sh->a_grants,
	       sh->a_over_r == -EDQUOT ? "-EDQUOT" : "no", sh->a_regrant_r == 0 ? "yes" : "no",
	       sh->b_grants, sh->a_admin_refused, sh->a_admin_calls, sh->f_opened, sh->f_accepted,
	       conn_limit, sh->f_refused, sh->f_garbage_closed, sh->f_churn_closed, sh->b_served,
	       env_uint("WD_SEC_REQUESTS", 20), sh->b_lat_max_us / 1000.0, sh->f_close_max_us / 1000.0, fds0, fds1,
	       broker_pid());

	diag("%.1f s: done", (now_us() - t0) / 1e6);
	vm_system("rm -f %s/policy.d/" DROPIN, policy_dir);
	bus_call(root, "Reload", NULL, 0, NULL, "");
	sd_bus_flush_close_unref(root);
	vm_system("sh %s/tests/vm/test-system-lib.sh cleanup", getenv("WD_SOURCE_ROOT"));
	vm_system("userdel %s; userdel %s", USER_A, USER_B);
	return done_testing();
}
