// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwdz's size threshold: by default a deflate stream of 1023 bytes runs
 * in software (counted as small) and one of 1024 bytes on the device, as
 * tools/bench-zlib measured (README.md, "zlib"); an inflate stream is
 * judged by its compressed input, not its output; WD_ZLIB_THRESHOLD moves
 * the line for both, with a k suffix. Each case runs in a process of its
 * own (the configuration is read once), on the libwd device double, and
 * its output is checked against stock zlib.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define Z_PREFIX
#define ZLIB_CONST
#include <zlib.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wdz.h"
#include "zlib-stock.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

#define N 100000
static uint8_t text[N], z[2 * N], back[2 * N];

/* libwdz deflates text[0..@n) in one call; stock zlib reads it back */
static bool deflate_n(size_t n)
{
	z_stream s = { 0 };
	size_t got, used;
	int r;

	if (deflateInit(&s, 6) != Z_OK)
		return false;
	s.next_in = text;
	s.avail_in = (uInt)n;
	s.next_out = z;
	s.avail_out = sizeof(z);
	r = deflate(&s, Z_FINISH);
	deflateEnd(&s);
	return r == Z_STREAM_END &&
	       stock_inflate(15, z, s.total_out, back, sizeof(back), &got, &used) == Z_STREAM_END &&
	       got == n && used == s.total_out && !memcmp(back, text, n);
}

/* libwdz inflates stock zlib's deflate of text[0..@n) in one call */
static bool inflate_n(size_t n)
{
	long len = stock_deflate(15, text, n, z, sizeof(z));
	z_stream s = { 0 };
	int r;

	if (len < 0 || inflateInit(&s) != Z_OK)
		return false;
	s.next_in = z;
	s.avail_in = (uInt)len;
	s.next_out = back;
	s.avail_out = sizeof(back);
	r = inflate(&s, Z_NO_FLUSH);
	inflateEnd(&s);
	return r == Z_STREAM_END && s.total_out == n && !memcmp(back, text, n);
}

struct tcase {
	const char *name;
	const char *env;	/* NAME=value set in the child, or NULL */
	size_t threshold;	/* what wdz_config() must say */
	bool inflate;
	size_t n;		/* bytes of text */
	bool device;		/* the stream must go to the device, else be counted small */
};

static bool child(const struct tcase *c)
{
	bool good;

	if (c->env)
		putenv((char *)c->env);
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);
	good = c->inflate ? inflate_n(c->n) : deflate_n(c->n);
	if (!good)
		printf("# %s: wrong output or return code\n", c->name);
	if (wdz_config()->threshold != c->threshold) {
		printf("# %s: threshold %zu, want %zu\n", c->name, wdz_config()->threshold, c->threshold);
		good = false;
	}
	if (wdz_count(c->inflate ? -2 : -1) != c->device || wdz_count(WDZ_SMALL) != !c->device) {
		printf("# %s: %lu on the device, %lu small\n", c->name,
		       wdz_count(c->inflate ? -2 : -1), wdz_count(WDZ_SMALL));
		good = false;
	}
	wdd_uninstall();
	wdd_sysfs_cleanup();
	fflush(stdout);
	return good;
}

int main(void)
{
	static char at[64], above[64];
	long len;

	for (size_t i = 0; i < N; i++)
		text[i] = i % 3 ? (uint8_t)"the quick brown fox jumps over the lazy dog "[i % 44]
				: (uint8_t)random();
	/* an inflate stream is as long as its compressed input */
	len = stock_deflate(15, text, 8000, z, sizeof(z));
	if (len <= 0 || len >= 8000)
		bail_out("stock zlib deflated 8000 bytes to %ld", len);
	snprintf(at, sizeof(at), "WD_ZLIB_THRESHOLD=%ld", len);
	snprintf(above, sizeof(above), "WD_ZLIB_THRESHOLD=%ld", len + 1);

	const struct tcase cases[] = {
		{ "default: deflate of 1023 bytes in software", NULL, 1024, false, 1023, false },
		{ "default: deflate of 1024 bytes on the device", NULL, 1024, false, 1024, true },
		{ "default: inflate of 1000 bytes' stream in software", NULL, 1024, true, 1000, false },
		{ "default: inflate of 100 kB's stream on the device", NULL, 1024, true, N, true },
		{ "WD_ZLIB_THRESHOLD=4k: deflate of 4095 bytes in software", "WD_ZLIB_THRESHOLD=4k", 4096, false, 4095, false },
		{ "WD_ZLIB_THRESHOLD=4k: deflate of 4096 bytes on the device", "WD_ZLIB_THRESHOLD=4k", 4096, false, 4096, true },
		{ "threshold = the stream's compressed length: inflate on the device", at, (size_t)len, true, 8000, true },
		{ "threshold = that length + 1: inflate in software", above, (size_t)len + 1, true, 8000, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = -1;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (!pid)
			_exit(child(&cases[i]) ? 0 : 1);
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && !WEXITSTATUS(status), "%s", cases[i].name);
	}
	return exit_status();
}
