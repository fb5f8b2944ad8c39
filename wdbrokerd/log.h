/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - logging to the journal with structured fields, or to stderr. */
#ifndef WDBROKERD_LOG_H
#define WDBROKERD_LOG_H

#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

/* Structured context of a log line; zero/NULL members are left out. */
struct log_ctx {
	const char *device;
	uint64_t lease;
	const char *user;
	long long uid;		/* -1: none */
	pid_t pid;
	const char *unit;
};

#define LOG_CTX_NONE ((struct log_ctx){ .uid = -1 })

void log_setup(int max_level);
int log_get_max_level(void);

__attribute__((format(printf, 3, 4)))
void log_full(int prio, const struct log_ctx *ctx, const char *fmt, ...);

#define log_error(...)   log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, NULL, __VA_ARGS__)

#endif
