/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-broker-vm.h - helpers for the broker's vm tests: the real wdbrokerd
 * started by systemd as a transient Type=notify service (with watchdog and
 * fd store) on a private socket and policy, and an unprivileged client
 * process (uid 65534) driven line by line over a pipe. Header-only.
 */
#ifndef WD_TEST_BROKER_VM_H
#define WD_TEST_BROKER_VM_H

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <misc/uacce/uacce.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vmlib.h"
#include "wdproto.h"
#include "vm/soft-ring.h"

#define BV_UNIT "wdtest-broker"
#define BV_SOCK "/run/wdtest-broker.sock"
#define BV_POLICY "/run/wdtest-broker-policy"
#define BV_NOBODY 65534

static inline void bv_policy(const char *text)
{
	FILE *f;

	mkdir(BV_POLICY, 0755);
	f = fopen(BV_POLICY "/policy.conf.tmp", "w");
	if (!f)
		bail_out("cannot write the policy: %s", strerror(errno));
	fputs(text, f);
	fclose(f);
	rename(BV_POLICY "/policy.conf.tmp", BV_POLICY "/policy.conf");
}

/* Start the broker under systemd; 0 when it reported READY=1. */
static inline int bv_start(void)
{
	const char *b = getenv("WD_BUILD_ROOT");

	vm_system("systemctl stop " BV_UNIT " >/dev/null 2>&1; systemctl reset-failed " BV_UNIT
		  " >/dev/null 2>&1");
	return vm_system("systemd-run --quiet --unit=" BV_UNIT " -p Type=notify -p NotifyAccess=main"
			 " -p WatchdogSec=20s -p RuntimeDirectory=" BV_UNIT
			 " -p RuntimeDirectoryPreserve=restart -p FileDescriptorStoreMax=256"
			 " -p ExecReload='/bin/kill -HUP $MAINPID'"
			 " %s/wdbrokerd/wdbrokerd --socket " BV_SOCK " --policy " BV_POLICY
			 " --bus none -v", b ? b : ".");
}

static inline void bv_stop(void)
{
	vm_system("systemctl stop " BV_UNIT " >/dev/null 2>&1; systemctl reset-failed " BV_UNIT
		  " >/dev/null 2>&1");
}

static inline void bv_journal(void)
{
	vm_system("journalctl -q -b -u " BV_UNIT " --no-pager | tail -n 30 | sed 's/^/# /'");
}

/*
 * The end of a broker vm test: the broker must still be running; its
 * journal is shown if anything failed; it is stopped and the modules are
 * unloaded. Returns the exit status of the test.
 */
static inline int bv_finish(void)
{
	ok(vm_system("systemctl is-active -q " BV_UNIT) == 0, "broker still active");
	if (tap_failed)
		bv_journal();
	bv_stop();
	ok(vm_unload_modules() == 0, "modules unload");
	return exit_status();
}

/* First algorithm of a device, from sysfs. */
static inline int bv_first_alg(const char *dev, char *alg, size_t size)
{
	char buf[512];
	int r = vm_sysfs_read(dev, "algorithms", buf, sizeof(buf));

	if (r < 0)
		return r;
	buf[strcspn(buf, " \n\t,")] = 0;
	if (!buf[0] || strlen(buf) >= size)
		return -ENOENT;
	memcpy(alg, buf, strlen(buf) + 1);
	return 0;
}

static inline long bv_available(const char *dev)
{
	long v = -1;

	return vm_sysfs_long(dev, "available_instances", &v) < 0 ? -1 : v;
}

/* Wait up to @ms for available_instances of @dev to be @want. */
static inline bool bv_wait_available(const char *dev, long want, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (bv_available(dev) == want)
			return true;
		usleep(20000);
	}
	return bv_available(dev) == want;
}

/*
 * The client: a child with uid 65534 that reads one command per line and
 * answers one line:
 *   connect            -> 0 | -errno
 *   req ALG NODE       -> G <lease> <device> <node> | R <reason> <text>
 *   start              -> result of UACCE_CMD_START_Q on the last queue fd
 *   state              -> UACCE_CMD_QINFO state of the last queue, or -errno
 *   list               -> number of leases on the connection, or -errno
 *   revoked MS         -> lease id of a REVOKED notice within MS, or 0
 *   pin NODE           -> 0 after pinning to the CPUs of NODE
 */
struct bv_client {
	struct child_lines io;
};

static inline int bv_pin(int node)
{
	char path[128], list[256];
	FILE *f;
	cpu_set_t set;
	char *p = list;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	f = fopen(path, "re");
	if (!f || !fgets(list, sizeof(list), f)) {
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	CPU_ZERO(&set);
	while (*p && *p != '\n') {
		long a = strtol(p, &p, 10), b = a;

		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, &set);
		if (*p == ',')
			p++;
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	sched_yield();
	return 0;
}

/*
 * Run one small @alg descriptor on the started queue @qfd of @dev; the
 * completion status (0, or the device's -errno), or a test error.
 */
static inline int bv_run_op(int qfd, const char *dev, const char *alg)
{
	static const char *const ops[] = {
		[WDSOFT_OP_MEMCPY] = "memcpy",
		[WDSOFT_OP_CRC32C] = "crc32c",
		[WDSOFT_OP_SHA256] = "sha256",
	};
	unsigned char src[64] = "warpdrive", dst[64];
	struct soft_ring r;
	struct wdsoft_sqe sqe;
	struct wdsoft_cqe cqe = { 0 };
	int op = -1, e;

	for (int i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++)
		if (ops[i] && !strcmp(ops[i], alg))
			op = i;
	if (op < 0)
		return -100;
	e = soft_ring_adopt(&r, dup(qfd), dev, true, false, -1);
	if (e)
		return -200 + e;
	sqe = soft_sqe((uint8_t)op, src, sizeof(src), dst, sizeof(dst));
	e = soft_ring_run(&r, &sqe, &cqe);
	soft_ring_close(&r);
	return e ? -300 + e : cqe.status;
}

static inline void bv_client_loop(FILE *in, FILE *out)
{
	char line[256], dev[64] = "";
	int sock = -1, qfd = -1;

	while (fgets(line, sizeof(line), in)) {
		char cmd[32] = "", arg[128] = "";
		int num = -1;

		sscanf(line, "%31s %127s %d", cmd, arg, &num);
		if (!strcmp(cmd, "connect")) {
			sock = wdp_client_connect(BV_SOCK);
			fprintf(out, "%d\n", sock < 0 ? sock : 0);
		} else if (!strcmp(cmd, "req")) {
			struct wdp_queue_req q = { .node = num };
			struct wdp_lease g;
			struct wdp_refusal rf;
			int fd, r;

			snprintf(q.alg, sizeof(q.alg), "%s", arg);
			r = wdp_client_request_queue(sock, &q, &g, &fd, &rf);
			if (r == 0) {
				qfd = fd;
				snprintf(dev, sizeof(dev), "%s", g.device);
				fprintf(out, "G %llu %s %d\n", (unsigned long long)g.id, g.device, g.node);
			} else {
				fprintf(out, "R %u %s\n", rf.reason, rf.reason ? rf.text : strerror(-r));
			}
		} else if (!strcmp(cmd, "start")) {
			fprintf(out, "%d\n", ioctl(qfd, UACCE_CMD_START_Q) < 0 ? -errno : 0);
		} else if (!strcmp(cmd, "state")) {
			struct uacce_qinfo qi;

			fprintf(out, "%d\n", ioctl(qfd, UACCE_CMD_QINFO, &qi) < 0 ? -errno : (int)qi.state);
		} else if (!strcmp(cmd, "list")) {
			struct wdp_lease *ls = NULL;
			struct wdp_refusal rf;
			size_t n = 0;
			int r = wdp_client_list(sock, &ls, &n, &rf);

			free(ls);
			fprintf(out, "%d\n", r < 0 ? r : (int)n);
		} else if (!strcmp(cmd, "revoked")) {
			struct pollfd p = { .fd = sock, .events = POLLIN };
			struct wdp_msg m;
			unsigned long long id = 0;

			if (poll(&p, 1, atoi(arg)) == 1 && wdp_recv(sock, &m, NULL, NULL) == 0 &&
			    m.type == WDP_EVT_REVOKED)
				id = m.lease;
			fprintf(out, "%llu\n", id);
		} else if (!strcmp(cmd, "op")) {
			fprintf(out, "%d\n", bv_run_op(qfd, dev, arg));
		} else if (!strcmp(cmd, "pin")) {
			fprintf(out, "%d\n", bv_pin(atoi(arg)));
		} else {
			fprintf(out, "?\n");
		}
		fflush(out);
	}
	_exit(0);
}

static inline void bv_client_new(struct bv_client *c)
{
	if (!child_lines_fork(&c->io, BV_NOBODY))
		bv_client_loop(c->io.from, c->io.to);
}

/* Send a command, return the answer line (static buffer). */
static inline const char *bv_cmd(struct bv_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline const char *bv_cmd(struct bv_client *c, const char *fmt, ...)
{
	static char ans[512];
	const char *line;
	va_list ap;

	va_start(ap, fmt);
	child_lines_vsend(&c->io, fmt, ap);
	va_end(ap);
	line = child_lines_read(&c->io, ans, sizeof(ans));
	return line ? line : "EOF";
}

static inline void bv_client_kill(struct bv_client *c)
{
	child_lines_stop(&c->io, SIGKILL);
}

#endif
