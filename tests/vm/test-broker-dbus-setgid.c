// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm-broker-dbus-setgid: the exec-setgid race on D-Bus, done the way it was
 * attacked. The real broker runs on the system bus (broker-default.h) with
 * a policy that limits group A to crc32c; group G has no limit.
 * User nobody, with gid A and no other group, connects to the system bus,
 * sends RequestQueue for sha256 and at once execs a setgid-G program that
 * keeps the connection and reads the answer off it. Were the broker to
 * take the caller's groups from /proc when it handles the call, it would
 * often see only G and grant. It must refuse every time: the bus recorded
 * gid A when the caller connected.
 *
 * The controls show both answers can happen: the setgid program asking for
 * itself (connected as G) is granted sha256, and the same program without
 * the setgid bit (gid A) is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vm/broker-default.h"
#include "vm/vmlib.h"

#define NOBODY		65534
#define GROUP_A		60302
#define GROUP_G		60303
#define ATTEMPTS	200
#define INSTALL_DIR	"/usr/local/libexec/wdtest-dbus-setgid"
#define SETGID_COPY	INSTALL_DIR "/helper-setgid"
#define PLAIN_COPY	INSTALL_DIR "/helper-plain"
#define BUSCTL		"busctl --system call org.warpdrive /org/warpdrive org.warpdrive.Manager1"

/* In the child: become nobody with gid A and no supplementary group. */
static void become_attacker(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(GROUP_A, GROUP_A, GROUP_A) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		_exit(3);
}

/* In the child: send RequestQueue(sha256) and exec the setgid reader at once. */
static void attack(void)
{
	sd_bus_message *m = NULL;
	sd_bus *b = NULL;
	uint64_t cookie;
	char fdarg[16];
	int fd;

	become_attacker();
	/* A round trip first: Hello's answer and NameAcquired are read, so
	 * the only thing left to arrive on the stream is the broker's answer. */
	if (sd_bus_open_system(&b) < 0 ||
	    sd_bus_call_method(b, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetId", NULL, NULL, "") < 0)
		_exit(4);
	fd = sd_bus_get_fd(b);
	if (fd < 0 || fcntl(fd, F_SETFD, 0) < 0)
		_exit(5);
	if (sd_bus_message_new_method_call(b, &m, "org.warpdrive", "/org/warpdrive",
					   "org.warpdrive.Manager1", "RequestQueue") < 0 ||
	    sd_bus_message_append(m, "si", "sha256", -1) < 0 ||
	    sd_bus_send(b, m, &cookie) < 0 || sd_bus_flush(b) < 0)	/* a cookie: a reply is expected */
		_exit(6);
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	execl(SETGID_COPY, SETGID_COPY, "reply", fdarg, (char *)NULL);
	_exit(127);
}

/* Run @fn in a child whose stdout comes back in @line. */
static void run_child(void (*fn)(const char *), const char *arg, char *line, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, st;
	pid_t pid = child_fork_reporter(&fd);

	if (pid == 0) {
		if (dup2(fd, STDOUT_FILENO) < 0)
			_exit(3);
		fn(arg);
		_exit(2);
	}
	while (len < size - 1 && (n = read(fd, line + len, size - 1 - len)) > 0)
		len += (size_t)n;
	line[len] = 0;
	line[strcspn(line, "\n")] = 0;
	close(fd);
	waitpid(pid, &st, 0);
	if (!len)
		snprintf(line, size, "(no answer, status 0x%x)", st);
}

static void attack_fn(const char *unused)
{
	attack();
}

/* The helper asking for itself: @prog "ask sha256" as nobody with gid A. */
static void ask_fn(const char *prog)
{
	become_attacker();
	execl(prog, prog, "ask", "sha256", (char *)NULL);
	_exit(127);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool no_leases(void)
{
	for (int i = 0; i < 100; i++) {
		if (vm_system(BUSCTL " ListLeases | grep -qx 'a(tssuus) 0'") == 0)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

int main(void)
{
	const char *build = getenv("WD_BUILD_ROOT");
	int granted = 0, refused = 0, other = 0, switched = 0;
	char line[256], want_g[32], policy[128];
	struct statvfs sv;
	double t0, secs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_require();
	if (!build)
		bail_out("run me from meson test (WD_BUILD_ROOT)");
	if (vm_system("install -d -m 0755 " INSTALL_DIR " && "
		      "install -m 2755 -g %2$d %1$s/tests/helper-dbus-setgid " SETGID_COPY " && "
		      "install -m 0755 %1$s/tests/helper-dbus-setgid " PLAIN_COPY,
		      build, GROUP_G) != 0)
		bail_out("cannot install the helper into " INSTALL_DIR);
	if (statvfs(INSTALL_DIR, &sv) < 0 || (sv.f_flag & ST_NOSUID))
		bail_out(INSTALL_DIR " is on a nosuid mount: setgid cannot work there");
	snprintf(policy, sizeof(policy), "[global]\nmax_queues = unlimited\n"
		 "[group:%d]\nalgorithms = crc32c\n", GROUP_A);
	bd_start(policy, true);
	snprintf(want_g, sizeof(want_g), "egid=%d", GROUP_G);

	/* Controls: the setgid program asking for itself is G; without the bit, A. */
	run_child(ask_fn, SETGID_COPY, line, sizeof(line));
	ok(!strncmp(line, "granted ", 8) && strstr(line, want_g),
	   "control: the setgid-%d program asking for itself gets sha256 (%s)", GROUP_G, line);
	run_child(ask_fn, PLAIN_COPY, line, sizeof(line));
	ok(!strncmp(line, "refused org.warpdrive.Error.NotAllowed", 38),
	   "control: the same program without setgid (gid %d) is refused sha256 (%s)", GROUP_A,
	   line);

	t0 = now();
	for (int i = 0; i < ATTEMPTS; i++) {
		run_child(attack_fn, NULL, line, sizeof(line));
		switched += strstr(line, want_g) != NULL;
		if (!strncmp(line, "granted", 7))
			granted++;
		else if (!strncmp(line, "refused org.warpdrive.Error.NotAllowed", 38))
			refused++;
		else
			other++;
		if (strncmp(line, "refused org.warpdrive.Error.NotAllowed", 38) && granted + other <= 5)
			diag("attempt %d: %s", i, line);
	}
	secs = now() - t0;
	ok(switched == ATTEMPTS, "the reader ran with egid %d in %d of %d attempts", GROUP_G,
	   switched, ATTEMPTS);
	ok(granted == 0, "RequestQueue then exec setgid-%d: granted %d of %d times", GROUP_G,
	   granted, ATTEMPTS);
	ok(refused == ATTEMPTS, "refused for group %d (NotAllowed) %d of %d times, %d other answers",
	   GROUP_A, refused, ATTEMPTS, other);
	ok(no_leases(), "the broker holds no lease afterwards");
	printf("# report: broker-dbus-setgid: %d RequestQueue-then-exec-setgid attempts in %.1f s: "
	       "granted under the new group %d, refused for the connecting group %d, other %d; "
	       "reader had the new egid %d/%d; controls: setgid program for itself granted, without setgid refused\n",
	       ATTEMPTS, secs, granted, refused, other, switched, ATTEMPTS);

	vm_system("rm -rf " INSTALL_DIR);
	bd_stop(true);
	return exit_status();
}
