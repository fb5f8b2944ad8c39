/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - logging to the journal with structured fields, or to stderr. */
#ifndef WDBROKERD_LOG_H
#define WDBROKERD_LOG_H

#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

/*
 * Structured context of a log line; zero/NULL members are left out. In the
 * journal each member is a field (WD_DEVICE, WD_LEASE, ...); @id is the
 * MESSAGE_ID of a significant event (msgid.h), explained in the catalog.
 */
struct log_ctx {
	const char *id;
	const char *device;
	uint64_t lease;
	const char *user;
	long long uid;		/* -1: none */
	pid_t pid;
	const char *unit;
	const char *alg;
	const char *by;		/* WD_REVOKED_BY: who or what ended a lease */
	const char *policy_dir;
	const char *policy_file;
	int policy_line;	/* 0: none */
};

#define LOG_CTX_NONE ((struct log_ctx){ .uid = -1 })
#define LOG_CTX_ID(msgid) ((struct log_ctx){ .uid = -1, .id = (msgid) })

void log_setup(int max_level);

__attribute__((format(printf, 3, 4)))
void log_full(int prio, const struct log_ctx *ctx, const char *fmt, ...);

#define log_error(...)   log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, NULL, __VA_ARGS__)

#endif
