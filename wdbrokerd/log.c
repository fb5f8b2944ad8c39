// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - the broker's log.
 *
 * Under systemd (stderr is the journal stream, JOURNAL_STREAM matches) each
 * line goes to the journal with WD_DEVICE, WD_LEASE, WD_USER, WD_UID,
 * WD_PID and WD_UNIT fields so `journalctl WD_LEASE=7` finds a lease's
 * story; otherwise a plain line on stderr with the fields appended.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

static int max_level = LOG_INFO;
static int use_journal = -1;

void log_setup(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

static int journal_wanted(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_full(int prio, const struct log_ctx *ctx, const char *fmt, ...)
{
	char msg[1024], f[6][320];
	struct iovec iov[8];
	int n = 0, saved = errno;
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (use_journal < 0)
		use_journal = journal_wanted();

	if (use_journal) {
		char m[1100], p[16];

		snprintf(m, sizeof(m), "MESSAGE=%s", msg);
		snprintf(p, sizeof(p), "PRIORITY=%d", prio);
		iov[n++] = (struct iovec){ m, strlen(m) };
		iov[n++] = (struct iovec){ p, strlen(p) };
		if (ctx) {
			int k = 0;

			if (ctx->device)
				snprintf(f[k++], sizeof(f[0]), "WD_DEVICE=%s", ctx->device);
			if (ctx->lease)
				snprintf(f[k++], sizeof(f[0]), "WD_LEASE=%llu",
					 (unsigned long long)ctx->lease);
			if (ctx->user)
				snprintf(f[k++], sizeof(f[0]), "WD_USER=%s", ctx->user);
			if (ctx->uid >= 0)
				snprintf(f[k++], sizeof(f[0]), "WD_UID=%lld", ctx->uid);
			if (ctx->pid > 0)
				snprintf(f[k++], sizeof(f[0]), "WD_PID=%d", (int)ctx->pid);
			if (ctx->unit)
				snprintf(f[k++], sizeof(f[0]), "WD_UNIT=%s", ctx->unit);
			for (int i = 0; i < k; i++)
				iov[n++] = (struct iovec){ f[i], strlen(f[i]) };
		}
		sd_journal_sendv(iov, n);
	} else {
		char extra[512] = "";
		size_t o = 0;

		if (ctx) {
			if (ctx->device)
				o += (size_t)snprintf(extra + o, sizeof(extra) - o, " device=%s", ctx->device);
			if (ctx->lease && o < sizeof(extra))
				o += (size_t)snprintf(extra + o, sizeof(extra) - o, " lease=%llu",
						      (unsigned long long)ctx->lease);
			if (ctx->uid >= 0 && o < sizeof(extra))
				o += (size_t)snprintf(extra + o, sizeof(extra) - o, " uid=%lld", ctx->uid);
			if (ctx->pid > 0 && o < sizeof(extra))
				o += (size_t)snprintf(extra + o, sizeof(extra) - o, " pid=%d", (int)ctx->pid);
			if (ctx->unit && o < sizeof(extra))
				snprintf(extra + o, sizeof(extra) - o, " unit=%s", ctx->unit);
		}
		fprintf(stderr, "wdbrokerd: %s%s%s%s\n", msg, *extra ? " (" : "",
			*extra ? extra + 1 : "", *extra ? ")" : "");
	}
	errno = saved;
}
