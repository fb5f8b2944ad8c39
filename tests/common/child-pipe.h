/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * child-pipe.h - a forked test child that talks to its parent over pipes,
 * so that the TAP output comes from one process: either the child reports
 * one way (child_fork_reporter), or the parent drives it with one-line
 * commands and reads one answer line for each (struct child_lines).
 * Header-only.
 *
 * Every pipe end is close-on-exec: a program the parent runs meanwhile
 * (systemctl, rmmod) must not hold a write end, or the other side would
 * never see end of file.
 */
#ifndef WD_TESTS_CHILD_PIPE_H
#define WD_TESTS_CHILD_PIPE_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* fork() after flushing stdout, so that no TAP line is printed twice. */
static inline pid_t child_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	return pid;
}

/*
 * Fork a child that reports through a pipe. In the child: 0, with *@fd the
 * write end. In the parent: the pid, with *@fd the read end. The other end
 * is closed on each side.
 */
static inline pid_t child_fork_reporter(int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	pid = child_fork();
	close(p[pid ? 1 : 0]);
	*fd = p[pid ? 0 : 1];
	return pid;
}

/* A child driven line by line. The streams are each side's own ends. */
struct child_lines {
	pid_t pid;	/* in the parent; 0 once stopped */
	FILE *to;	/* parent: commands out; child: answers out */
	FILE *from;	/* parent: answers in; child: commands in */
};

/*
 * Fork a child for @c: 0 in the child, the pid in the parent, with @c's
 * streams set for that side. If @uid is not (uid_t)-1 the child drops to
 * that user and the group of the same number, without supplementary
 * groups. A child that cannot do so exits with status 3.
 */
static inline pid_t child_lines_fork(struct child_lines *c, uid_t uid)
{
	int cmd[2], ans[2];

	if (pipe2(cmd, O_CLOEXEC) || pipe2(ans, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	c->pid = child_fork();
	if (!c->pid) {
		close(cmd[1]);
		close(ans[0]);
		c->from = fdopen(cmd[0], "r");
		c->to = fdopen(ans[1], "w");
		if (!c->from || !c->to)
			_exit(3);
		if (uid != (uid_t)-1 &&
		    (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid(uid) < 0))
			_exit(3);
		return 0;
	}
	close(cmd[0]);
	close(ans[1]);
	c->to = fdopen(cmd[1], "w");
	c->from = fdopen(ans[0], "r");
	if (!c->to || !c->from)
		bail_out("fdopen: %s", strerror(errno));
	return c->pid;
}

/* Send one command line: @fmt as printf, the newline added, flushed. */
static inline void child_lines_vsend(struct child_lines *c, const char *fmt, va_list ap)
{
	vfprintf(c->to, fmt, ap);
	fputc('\n', c->to);
	fflush(c->to);
}

static inline void child_lines_send(struct child_lines *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void child_lines_send(struct child_lines *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	child_lines_vsend(c, fmt, ap);
	va_end(ap);
}

/* Read one line into @buf, without its newline; NULL at end of file. */
static inline const char *child_lines_read(struct child_lines *c, char *buf, size_t size)
{
	if (!fgets(buf, (int)size, c->from))
		return NULL;
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/*
 * Send @sig to the child (none if 0), close both streams (a child reading
 * commands then sees end of file) and reap it. Nothing if already stopped.
 */
static inline void child_lines_stop(struct child_lines *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (sig)
		kill(c->pid, sig);
	fclose(c->to);
	fclose(c->from);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

#endif /* WD_TESTS_CHILD_PIPE_H */
