// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - the broker's log.
 *
 * Under systemd (stderr is the journal stream, JOURNAL_STREAM matches) each
 * line goes to the journal with WD_DEVICE, WD_LEASE, WD_USER, WD_UID,
 * WD_PID, WD_UNIT, WD_ALGORITHM, WD_REVOKED_BY and WD_POLICY_* fields so
 * `journalctl WD_LEASE=7` finds a lease's story, and with the MESSAGE_ID of
 * a significant event (msgid.h) so `journalctl -x` explains it; otherwise a
 * plain line on stderr with the fields appended.
 */
#include "log.h"

#include <ctype.h>
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

/* The journal fields of @ctx, "KEY=value" each, into @f; returns how many. */
static int ctx_fields(const struct log_ctx *ctx, char f[][320])
{
	int k = 0;

#define FIELD(cond, ...) do { if (cond) snprintf(f[k++], 320, __VA_ARGS__); } while (0)
	FIELD(ctx->id, "MESSAGE_ID=%s", ctx->id);
	FIELD(ctx->device, "WD_DEVICE=%s", ctx->device);
	FIELD(ctx->lease, "WD_LEASE=%llu", (unsigned long long)ctx->lease);
	FIELD(ctx->user, "WD_USER=%s", ctx->user);
	FIELD(ctx->uid >= 0, "WD_UID=%lld", ctx->uid);
	FIELD(ctx->pid > 0, "WD_PID=%d", (int)ctx->pid);
	FIELD(ctx->unit, "WD_UNIT=%s", ctx->unit);
	FIELD(ctx->alg, "WD_ALGORITHM=%s", ctx->alg);
	FIELD(ctx->by, "WD_REVOKED_BY=%s", ctx->by);
	FIELD(ctx->policy_dir, "WD_POLICY_DIR=%s", ctx->policy_dir);
	FIELD(ctx->policy_file, "WD_POLICY_FILE=%s", ctx->policy_file);
	FIELD(ctx->policy_line > 0, "WD_POLICY_LINE=%d", ctx->policy_line);
#undef FIELD
	return k;
}

#define LOG_MAX_FIELDS 12

void log_full(int prio, const struct log_ctx *ctx, const char *fmt, ...)
{
	char msg[1024], f[LOG_MAX_FIELDS][320];
	struct iovec iov[LOG_MAX_FIELDS + 2];
	int n = 0, k = 0, saved = errno;
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (use_journal < 0)
		use_journal = journal_wanted();
	if (ctx)
		k = ctx_fields(ctx, f);

	if (use_journal) {
		char m[1100], p[16];

		snprintf(m, sizeof(m), "MESSAGE=%s", msg);
		snprintf(p, sizeof(p), "PRIORITY=%d", prio);
		iov[n++] = (struct iovec){ m, strlen(m) };
		iov[n++] = (struct iovec){ p, strlen(p) };
		for (int i = 0; i < k; i++)
			iov[n++] = (struct iovec){ f[i], strlen(f[i]) };
		sd_journal_sendv(iov, n);
	} else {
		/* Room for every field: the writes below cannot be cut short. */
		char extra[LOG_MAX_FIELDS * 321 + 1] = "";
		size_t o = 0;

		/* "WD_LEASE=7" reads "lease=7" on a terminal; no MESSAGE_ID. */
		for (int i = 0; i < k; i++) {
			const char *kv = f[i];

			if (!strncmp(kv, "MESSAGE_ID=", 11) || !strncmp(kv, "WD_USER=", 8))
				continue;
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, " ");
			for (kv += 3; *kv != '='; kv++)
				extra[o++] = (char)(*kv == '_' ? '-' : tolower((unsigned char)*kv));
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%s", kv);
		}
		fprintf(stderr, "wdbrokerd: %s%s%s%s\n", msg, *extra ? " (" : "",
			*extra ? extra + 1 : "", *extra ? ")" : "");
	}
	errno = saved;
}
