/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap.h - a small TAP 13 producer for WarpDrive's tests.
 *
 * A test calls plan(n) (or plan_skip_all(reason)), then ok()/is()/... once
 * per check, and returns exit_status(). Output goes to stdout, diagnostics
 * start with '#'. Header-only so each test stays one file.
 */
#ifndef WD_TESTS_TAP_H
#define WD_TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Plan decided at the end: call done_testing() instead of plan(). */
static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
		tap_planned = tap_run;
	}
	fflush(stdout);
	if (tap_run != tap_planned) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

static inline int exit_status(void)
{
	return done_testing();
}

__attribute__((noreturn)) static inline void plan_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(0);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/*
 * Print @text as TAP: every line of a diagnostic starts with "# "; a test
 * description stays on its one line (newlines become spaces), so values
 * such as a multi-line sysfs attribute cannot break the stream.
 */
static inline void tap_vprint(bool diagnostic, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (diagnostic)
		fputs("# ", stdout);
	for (const char *c = buf; *c; c++) {
		if (*c != '\n')
			putchar(*c);
		else if (!diagnostic)
			putchar(' ');
		else if (c[1])
			fputs("\n# ", stdout);
	}
}

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint(true, fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 4, 5)))
static inline bool tap_ok(bool cond, const char *file, int line,
			  const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	tap_vprint(false, fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Integer equality with both values in the diagnostic. */
#define is(got, want, ...) ({						\
	long long __g = (long long)(got), __w = (long long)(want);	\
	bool __r = ok(__g == __w, __VA_ARGS__);				\
	if (!__r)							\
		diag("  got %lld, want %lld", __g, __w);		\
	__r; })

/* A call returning 0 or -errno: show the error name when it fails. */
#define ok_errno(ret, want, ...) ({					\
	long long __g = (long long)(ret), __w = (long long)(want);	\
	bool __r = ok(__g == __w, __VA_ARGS__);				\
	if (!__r)							\
		diag("  got %lld (%s), want %lld (%s)", __g,		\
		     __g < 0 ? strerror((int)-__g) : "-",		\
		     __w, __w < 0 ? strerror((int)-__w) : "-");	\
	__r; })

#define is_str(got, want, ...) ({					\
	const char *__g = (got), *__w = (want);				\
	bool __r = ok(__g && __w && !strcmp(__g, __w), __VA_ARGS__);	\
	if (!__r)							\
		diag("  got \"%s\", want \"%s\"", __g ? __g : "(null)",	\
		     __w ? __w : "(null)");				\
	__r; })

#define skip(n, ...) do {						\
	for (int __i = 0; __i < (n); __i++) {				\
		tap_run++;						\
		printf("ok %d # SKIP ", tap_run);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
	fflush(stdout);							\
} while (0)

#endif /* WD_TESTS_TAP_H */
