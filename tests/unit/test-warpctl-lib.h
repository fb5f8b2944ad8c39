/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-warpctl-lib.h - helpers for the warpctl tests: run the built warpctl
 * (optionally as another user) and capture its stdout, stderr and exit
 * status; parse its JSON back with json-c; put the test on a private
 * D-Bus session bus. The fake device tree and the broker come from
 * test-broker-lib.h.
 */
#ifndef WD_TEST_WARPCTL_LIB_H
#define WD_TEST_WARPCTL_LIB_H

#include <grp.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "test-broker-lib.h"

struct run {
	int status;	/* exit status, or 128 + signal */
	char *out, *err;
};

static inline void run_clear(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static inline char *wt_slurp(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				bail_out("out of memory");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	buf[len] = 0;
	return buf;
}

static inline const char *wt_warpctl_path(void)
{
	static char path[512];
	const char *b = getenv("WD_BUILD_ROOT");

	snprintf(path, sizeof(path), "%s/warpctl/warpctl", b ? b : ".");
	return path;
}

/*
 * Run @exe with the NULL-terminated @args (after argv[0]); as @uid when
 * not (uid_t)-1. Fills @r; returns its exit status.
 */
static inline int wt_spawn(struct run *r, uid_t uid, const char *exe, const char *const *args)
{
	const char *argv[32] = { "warpctl" };
	int out = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int err = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int st = 0;
	size_t n = 1;
	pid_t pid;

	if (out < 0 || err < 0)
		bail_out("O_TMPFILE in /tmp: %s", strerror(errno));
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);	/* never a terminal: no polkit agent */
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 ||
					 setuid(uid) < 0))
			_exit(126);
		execv(exe, (char **)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		bail_out("waitpid: %s", strerror(errno));
	memset(r, 0, sizeof(*r));
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = wt_slurp(out);
	r->err = wt_slurp(err);
	close(out);
	close(err);
	if (getenv("WD_TEST_VERBOSE"))
		diag("warpctl %s...: exit %d\nstdout:\n%s\nstderr:\n%s", args[0] ? args[0] : "",
		     r->status, r->out, r->err);
	return r->status;
}

static inline int wt_runv(struct run *r, uid_t uid, const char *const *args)
{
	return wt_spawn(r, uid, wt_warpctl_path(), args);
}

#define wt_run(r, ...) wt_runv((r), (uid_t)-1, (const char *const[]){ __VA_ARGS__, NULL })
#define wt_run_as(r, uid, ...) wt_runv((r), (uid), (const char *const[]){ __VA_ARGS__, NULL })
/* Run another program @exe the same way. */
#define wt_run_cmd(r, exe, ...) wt_spawn((r), (uid_t)-1, (exe), (const char *const[]){ __VA_ARGS__, NULL })

/* Wait until the broker started on the private bus answers warpctl there. */
static inline void wt_wait_for_broker_on_bus(void)
{
	struct run r;

	for (int i = 0; i < 500; i++) {
		int st = wt_run(&r, "--user", "leases");

		run_clear(&r);
		if (st != 3)
			return;
		usleep(20000);
	}
	bail_out("the broker never appeared on the private bus");
}

/* Parse @text as a JSON array; NULL (and a diagnostic) when it is not. */
static inline struct json_object *wt_json_array(const char *text)
{
	enum json_tokener_error e;
	struct json_object *o = json_tokener_parse_verbose(text, &e);

	if (!o || !json_object_is_type(o, json_type_array)) {
		diag("not a JSON array (%s): %s", json_tokener_error_desc(e), text);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The element of @arr whose member @key is the string @value. */
static inline struct json_object *wt_json_find(struct json_object *arr, const char *key,
					       const char *value)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *v;

		if (json_object_object_get_ex(e, key, &v) && json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), value))
			return e;
	}
	return NULL;
}

/* Member @key of @o as an integer; -999 if absent, -998 if null. */
static inline long long wt_json_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -999;
	if (!v)
		return -998;
	return (long long)json_object_get_int64(v);
}

/* Count the lines of @s. */
static inline int wt_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Re-run this test under its own dbus-run-session, on a bus every uid may
 * use (the unprivileged checks), unless that already happened.
 */
static inline void wt_private_bus(void)
{
	static const char conf_text[] =
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig><type>session</type><listen>unix:dir=/tmp</listen>\n"
		"<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>\n"
		"<allow own=\"*\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>\n"
		"</policy></busconfig>\n";
	char conf[] = "/tmp/warpctl-test-bus.XXXXXX";
	char confarg[64], self[PATH_MAX];
	ssize_t n;
	int fd;

	if (getenv("WARPCTL_TEST_ON_PRIVATE_BUS")) {
		unlink(getenv("WARPCTL_TEST_ON_PRIVATE_BUS"));
		return;
	}
	if (access("/usr/bin/dbus-run-session", X_OK) < 0)
		plan_skip_all("dbus-run-session not installed (apt-get install dbus-bin dbus-daemon)");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		bail_out("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = 0;
	fd = mkstemp(conf);
	if (fd < 0 || write(fd, conf_text, sizeof(conf_text) - 1) != (ssize_t)sizeof(conf_text) - 1)
		bail_out("cannot write %s: %s", conf, strerror(errno));
	close(fd);
	chmod(conf, 0644);
	setenv("WARPCTL_TEST_ON_PRIVATE_BUS", conf, 1);
	snprintf(confarg, sizeof(confarg), "--config-file=%s", conf);
	fflush(stdout);
	execlp("dbus-run-session", "dbus-run-session", confarg, "--", self, (char *)NULL);
	unlink(conf);
	bail_out("exec dbus-run-session: %s", strerror(errno));
}

#endif
