// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vm-libwd-setuid: a setuid-root program linked with libwd cannot be
 * steered by the environment of the user who runs it.
 *
 * With the real broker on /run/warpdrive/broker.sock (broker-default.h)
 * and wdsoft loaded, helper-libwd-setuid is copied twice into
 * /usr/local/libexec: once setuid root, once plain. User nobody runs each
 * with WD_BROKER_SOCKET, WD_SYSFS_ROOT and WD_DEV_ROOT (one at a time, then
 * all three) pointing into a directory nobody owns: a broker socket this
 * test serves (it accepts and hangs up, counting connections), a sysfs
 * tree with a device "wdfake-0", and a device directory with FIFOs named
 * like the real devices, both watched with inotify for every open.
 *
 * The setuid copy must get its queue from the real broker or the real
 * /sys and /dev, and the fakes must see no connection and no open. The
 * plain copy, run the same way, must touch the fakes: that shows each
 * fake would catch a libwd that honoured its variable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vm/broker-default.h"
#include "vm/vmlib.h"

#define NOBODY		65534
#define INSTALL_DIR	"/usr/local/libexec/wdtest-libwd-setuid"
#define SETUID_COPY	INSTALL_DIR "/helper-setuid"
#define PLAIN_COPY	INSTALL_DIR "/helper-plain"

enum { VAR_BROKER = 1, VAR_SYSFS = 2, VAR_DEV = 4, VAR_ALL = 7 };

static char fake[64];		/* the attacker's directory */
static int listen_fd = -1, ino_fd = -1;
static int wd_sys_class, wd_sys_dev, wd_dev;

struct outcome {
	int r;
	char dev[64];
	unsigned long long lease;
	unsigned euid;
	unsigned long secure;
	char msg[300];
	int broker_conns, sys_opens, dev_opens;
};

static void fake_write(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", fake, rel);
	f = fopen(p, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bail_out("cannot write %s: %s", p, strerror(errno));
}

static void fake_mkdir(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", fake, rel);
	if (mkdir(p, 0755) < 0 || chown(p, NOBODY, NOBODY) < 0)
		bail_out("mkdir %s: %s", p, strerror(errno));
}

static void fake_fifo(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/dev/%s", fake, name);
	if (mkfifo(p, 0666) < 0 || chown(p, NOBODY, NOBODY) < 0)
		bail_out("mkfifo %s: %s", p, strerror(errno));
}

static int watch(const char *rel)
{
	char p[256];
	int wd;

	snprintf(p, sizeof(p), "%s/%s", fake, rel);
	wd = inotify_add_watch(ino_fd, p, IN_OPEN);
	if (wd < 0)
		bail_out("inotify_add_watch %s: %s", p, strerror(errno));
	return wd;
}

/* The attacker's places: a broker socket, a sysfs tree, a device directory. */
static void make_fakes(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dirent *de;
	DIR *d;

	snprintf(fake, sizeof(fake), "/tmp/wdtest-setuid.XXXXXX");
	if (!mkdtemp(fake) || chmod(fake, 0755) < 0 || chown(fake, NOBODY, NOBODY) < 0)
		bail_out("mkdtemp: %s", strerror(errno));
	fake_mkdir("sys");
	fake_mkdir("sys/class");
	fake_mkdir("sys/class/uacce");
	fake_mkdir("sys/class/uacce/wdfake-0");
	fake_write("sys/class/uacce/wdfake-0/api", "wdsoft_v1\n");
	fake_write("sys/class/uacce/wdfake-0/algorithms", "crc32c\n");
	fake_write("sys/class/uacce/wdfake-0/flags", "4\n");
	fake_write("sys/class/uacce/wdfake-0/available_instances", "8\n");
	fake_write("sys/class/uacce/wdfake-0/isolate", "0\n");
	fake_write("sys/class/uacce/wdfake-0/node_id", "-1\n");
	fake_mkdir("dev");
	fake_fifo("wdfake-0");
	/* The real devices' names too, so that WD_DEV_ROOT alone is tested. */
	d = opendir("/sys/class/uacce");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			fake_fifo(de->d_name);
	if (d)
		closedir(d);

	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/broker.sock", fake);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0777) < 0 || listen(listen_fd, 16) < 0)
		bail_out("fake broker socket: %s", strerror(errno));

	ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino_fd < 0)
		bail_out("inotify_init1: %s", strerror(errno));
	wd_sys_class = watch("sys/class/uacce");
	wd_sys_dev = watch("sys/class/uacce/wdfake-0");
	wd_dev = watch("dev");
}

/* Count the opens inotify saw in each fake tree since the last call. */
static void count_opens(int *sys_opens, int *dev_opens)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(ino_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_OPEN) {
				if (ev->wd == wd_sys_class || ev->wd == wd_sys_dev)
					(*sys_opens)++;
				else if (ev->wd == wd_dev)
					(*dev_opens)++;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* Accept every pending connection to the fake broker and hang up on it. */
static int serve_fake_broker(void)
{
	int n = 0, c;

	while ((c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

static void child_exec(const char *prog, const char *mode, unsigned vars, int out)
{
	char p[256];

	if (dup2(out, STDOUT_FILENO) < 0)
		_exit(3);
	if (vars & VAR_BROKER) {
		snprintf(p, sizeof(p), "%s/broker.sock", fake);
		setenv("WD_BROKER_SOCKET", p, 1);
	} else {
		unsetenv("WD_BROKER_SOCKET");
	}
	if (vars & VAR_SYSFS) {
		snprintf(p, sizeof(p), "%s/sys", fake);
		setenv("WD_SYSFS_ROOT", p, 1);
	} else {
		unsetenv("WD_SYSFS_ROOT");
	}
	if (vars & VAR_DEV) {
		snprintf(p, sizeof(p), "%s/dev", fake);
		setenv("WD_DEV_ROOT", p, 1);
	} else {
		unsetenv("WD_DEV_ROOT");
	}
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(3);
	execl(prog, prog, mode, (char *)NULL);
	_exit(127);
}

/* Run @prog @mode as nobody with @vars pointing at the fakes. */
static void run(const char *prog, const char *mode, unsigned vars, struct outcome *o)
{
	char line[512] = "";
	size_t len = 0;
	int out, st;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->r = -9999;
	serve_fake_broker();
	count_opens(&o->sys_opens, &o->dev_opens);	/* drop stale events */
	o->sys_opens = o->dev_opens = 0;
	pid = child_fork_reporter(&out);
	if (pid == 0)
		child_exec(prog, mode, vars, out);
	/* Serve the fake broker while the helper runs: it must not hang on it. */
	for (;;) {
		struct pollfd pf[2] = { { .fd = out, .events = POLLIN },
					{ .fd = listen_fd, .events = POLLIN } };
		ssize_t n;

		if (poll(pf, 2, 30000) <= 0) {
			kill(pid, SIGKILL);
			diag("%s %s did not finish within 30 s", prog, mode);
			break;
		}
		if (pf[1].revents)
			o->broker_conns += serve_fake_broker();
		if (!pf[0].revents)
			continue;
		n = read(out, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out);
	waitpid(pid, &st, 0);
	o->broker_conns += serve_fake_broker();
	count_opens(&o->sys_opens, &o->dev_opens);
	line[len] = 0;
	if (sscanf(line, "%d %63s %llu euid=%u secure=%lu %299[^\n]", &o->r, o->dev, &o->lease,
		   &o->euid, &o->secure, o->msg) < 5)
		diag("helper said: %s", line);
}

static const char *var_names(unsigned vars)
{
	static char s[80];

	snprintf(s, sizeof(s), "%s%s%s", vars & VAR_BROKER ? "WD_BROKER_SOCKET " : "",
		 vars & VAR_SYSFS ? "WD_SYSFS_ROOT " : "", vars & VAR_DEV ? "WD_DEV_ROOT " : "");
	s[strlen(s) - 1] = 0;
	return s;
}

static bool is_real_device(const char *dev)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/class/uacce/%s", dev);
	return strncmp(dev, "wdfake", 6) && access(p, F_OK) == 0;
}

int main(void)
{
	static const struct {
		const char *mode;
		unsigned vars;
	} runs[] = {
		{ "broker", VAR_BROKER },
		{ "direct", VAR_SYSFS },
		{ "direct", VAR_DEV },
		{ "broker", VAR_ALL },
		{ "direct", VAR_ALL },
	};
	const char *build = getenv("WD_BUILD_ROOT");
	int fake_conns = 0, fake_sys = 0, fake_dev = 0, real = 0;
	int ctl_conns = 0, ctl_sys = 0, ctl_dev = 0;
	struct statvfs sv;
	struct outcome o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_require();
	if (!build)
		bail_out("run me from meson test (WD_BUILD_ROOT)");
	bd_start("[global]\nmax_queues = unlimited\n", false);
	diag("wdsoft loaded, the broker runs on /run/warpdrive/broker.sock");
	/* The helper has libwd linked in statically: in secure mode ld.so
	 * would not follow the build tree's RUNPATH to libwd.so. */
	if (vm_system("install -d -m 0755 " INSTALL_DIR " && "
		      "install -m 4755 -o root %1$s/tests/helper-libwd-setuid " SETUID_COPY " && "
		      "install -m 0755 %1$s/tests/helper-libwd-setuid " PLAIN_COPY, build) != 0)
		bail_out("cannot install the helper into " INSTALL_DIR);
	if (statvfs(INSTALL_DIR, &sv) < 0 || (sv.f_flag & ST_NOSUID))
		bail_out(INSTALL_DIR " is on a nosuid mount: setuid cannot work there");
	make_fakes();
	diag("helpers installed in " INSTALL_DIR ", fakes in %s", fake);

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const char *vn = var_names(runs[i].vars);
		unsigned v = runs[i].vars;
		bool direct = !strcmp(runs[i].mode, "direct");
		bool want_conn, want_sys, want_dev;

		diag("run %zu: %s with %s", i + 1, runs[i].mode, vn);
		run(SETUID_COPY, runs[i].mode, v, &o);
		ok(o.euid == 0 && o.secure == 1,
		   "setuid %s [%s]: the helper runs with euid %u, AT_SECURE %lu", runs[i].mode, vn,
		   o.euid, o.secure);
		ok(o.r == 0 && is_real_device(o.dev) && (!strcmp(runs[i].mode, "direct") || o.lease),
		   "setuid %s [%s]: queue from the real %s (%s, lease %llu)%s%s", runs[i].mode, vn,
		   strcmp(runs[i].mode, "direct") ? "broker" : "sysfs and /dev", o.dev, o.lease,
		   o.r ? ": " : "", o.msg);
		ok(!o.broker_conns && !o.sys_opens && !o.dev_opens,
		   "setuid %s [%s]: the fakes were ignored (broker connections %d, sysfs opens %d, dev opens %d)",
		   runs[i].mode, vn, o.broker_conns, o.sys_opens, o.dev_opens);
		fake_conns += o.broker_conns;
		fake_sys += o.sys_opens;
		fake_dev += o.dev_opens;
		real += o.r == 0 && is_real_device(o.dev);

		/* The control: the same program without setuid honours them. */
		run(PLAIN_COPY, runs[i].mode, v, &o);
		/* Direct mode never asks a broker; broker mode never falls back. */
		want_conn = !direct && (v & VAR_BROKER);
		want_sys = direct && (v & VAR_SYSFS);
		want_dev = direct && (v & VAR_DEV);
		ok(o.euid == NOBODY && o.secure == 0 &&
		   (!want_conn || o.broker_conns > 0) && (!want_sys || o.sys_opens > 0) &&
		   (!want_dev || o.dev_opens > 0),
		   "control %s [%s], not setuid: the fakes were used (broker connections %d, sysfs opens %d, dev opens %d): %d %s",
		   runs[i].mode, vn, o.broker_conns, o.sys_opens, o.dev_opens, o.r, o.msg);
		ctl_conns += o.broker_conns;
		ctl_sys += o.sys_opens;
		ctl_dev += o.dev_opens;
	}
	printf("# report: libwd-setuid: 3 variables in %zu runs as nobody of a setuid-root libwd program: "
	       "fake broker connections %d, fake sysfs opens %d, fake /dev opens %d, queues from the real broker/sysfs %d/%zu; "
	       "the same program without setuid: %d connections, %d sysfs opens, %d /dev opens\n",
	       sizeof(runs) / sizeof(runs[0]), fake_conns, fake_sys, fake_dev, real,
	       sizeof(runs) / sizeof(runs[0]), ctl_conns, ctl_sys, ctl_dev);

	vm_system("rm -rf " INSTALL_DIR " %s", fake);
	bd_stop(false);
	return exit_status();
}
