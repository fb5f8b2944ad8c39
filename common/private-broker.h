/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * private-broker.h - helpers for programs that run a wdbrokerd of their own
 * in a scratch directory (the broker benchmarks bench/broker.c and
 * wdbrokerd/bench-broker.c): write its files, start it, wait until it
 * listens, read its resident memory, and remove the directory afterwards.
 */
#ifndef WD_PRIVATE_BROKER_H
#define WD_PRIVATE_BROKER_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wdproto.h"

/* Resident set of @pid in kB (VmRSS of /proc/PID/status), or -1. */
static inline long pb_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Write @text to @dir/@name, replacing it. 0 or -errno. */
static inline int pb_write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

static inline int pb_remove_entry(const char *path, const struct stat *sb, int flag,
				  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove @dir and everything below it (symlinks are not followed). */
static inline int pb_remove_tree(const char *dir)
{
	return nftw(dir, pb_remove_entry, 16, FTW_DEPTH | FTW_PHYS) ? -errno : 0;
}

/*
 * Start @exe with @argv (argv[0] included, NULL-terminated), its stderr
 * going to @log (truncated; /dev/null to drop it), outside any systemd
 * notification socket. The child's pid, or -errno if fork failed.
 */
static inline pid_t pb_spawn(const char *exe, char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execv(exe, argv);
		_exit(127);
	}
	return pid;
}

/*
 * Wait up to @timeout_ms for the broker @pid to accept a connection on
 * @sock. 0 once it does; -ECHILD if it exited first (it is reaped and its
 * wait status stored in *@status); -ETIMEDOUT.
 */
static inline int pb_wait_listening(const char *sock, pid_t pid, unsigned int timeout_ms,
				    int *status)
{
	for (unsigned int waited = 0; waited < timeout_ms; waited += 10) {
		int s = wdp_client_connect(sock);

		if (s >= 0) {
			close(s);
			return 0;
		}
		if (waitpid(pid, status, WNOHANG) == pid)
			return -ECHILD;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

#endif /* WD_PRIVATE_BROKER_H */
