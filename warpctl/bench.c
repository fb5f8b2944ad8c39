// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench.c - warpctl bench: one cell of the data-path benchmark, run in this
 * process by the benchmark core (bench/wdbench.h), with a progress bar on
 * a terminal and a line per tenth of the run otherwise. The figures print
 * as a one-row table, so --json gives scripts the raw numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "wdbench.h"
#include "warpctl.h"

static struct wdb_params bench = {
	.path = "libwd",
	.op = "memcpy",
	.size = 4096,
	.depth = 32,
	.seconds = 5,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int list_error(const char *what, const char *value, const char *const *list)
{
	fprintf(stderr, "warpctl: unknown %s \"%s\"; one of:", what, value);
	for (; *list; list++)
		fprintf(stderr, " %s", *list);
	fprintf(stderr, "\nTry 'warpctl --help'.\n");
	return EXIT_USAGE;
}

/* "4096", "4K", "1M" (binary units). */
static int parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end || v == 0 || v > (1ULL << 30) / mult)
		return -ERANGE;
	*out = (size_t)(v * mult);
	return 0;
}

int bench_option(enum bench_opt which, const char *value)
{
	long long n;
	double d;
	char *end;

	switch (which) {
	case BENCH_OP:
		if (!in_list(wdb_ops, value))
			return list_error("operation", value, wdb_ops);
		bench.op = value;
		return EXIT_OK;
	case BENCH_PATH:
		if (!in_list(wdb_paths, value))
			return list_error("path", value, wdb_paths);
		bench.path = value;
		return EXIT_OK;
	case BENCH_SIZE:
		if (parse_size(value, &bench.size) < 0)
			break;
		return EXIT_OK;
	case BENCH_DEPTH:
		if (parse_int(value, 1, 1024, &n) < 0)
			break;
		bench.depth = (unsigned int)n;
		return EXIT_OK;
	case BENCH_SECONDS:
		errno = 0;
		d = strtod(value, &end);
		if (errno || *end || !isfinite(d) || d <= 0 || d > 3600)
			break;
		bench.seconds = d;
		return EXIT_OK;
	}
	fprintf(stderr, "warpctl: bad value \"%s\" for --%s: %s.\nTry 'warpctl --help'.\n", value,
		which == BENCH_SIZE ? "size" : which == BENCH_DEPTH ? "depth" : "seconds",
		which == BENCH_SIZE ? "bytes from 1 to 1G, with an optional K or M" :
		which == BENCH_DEPTH ? "a number from 1 to 1024" : "more than 0, at most 3600");
	return EXIT_USAGE;
}

struct progress {
	bool tty;
	int shown;	/* tenths printed (lines), or percent drawn (bar) */
};

static void progress_cb(double fraction, void *data)
{
	struct progress *p = data;
	int pct = (int)lrint(fmin(fmax(fraction, 0), 1) * 100);

	if (p->tty) {
		enum { WIDTH = 40 };
		char bar[WIDTH + 1];
		int fill = pct * WIDTH / 100;

		if (pct == p->shown)
			return;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(WIDTH - fill));
		bar[WIDTH] = 0;
		fprintf(stderr, "\r[%s] %3d%% %s %s", bar, pct, bench.path, bench.op);
		p->shown = pct;
	} else {
		while (p->shown < pct / 10) {
			p->shown++;
			fprintf(stderr, "warpctl: bench %s %s: %d%% done\n", bench.path, bench.op,
				p->shown * 10);
		}
	}
	fflush(stderr);
}

int verb_bench(int argc, char **argv)
{
	static const char *const headers[] = { "PATH", "OP", "SIZE", "DEPTH", "SECONDS", "OPS",
					       "OPS/S", "BYTES/S", "P50", "P99", "CPU/OP" };
	static const char *const keys[] = { "path", "op", "size", "depth", "seconds", "ops",
					    "ops_per_sec", "bytes_per_sec", "p50_ns", "p99_ns",
					    "cpu_ns_per_op" };
	_cleanup_(table_freep) struct table *t = table_new(ARRAY_SIZE(keys), headers, keys);
	struct progress p = { .tty = isatty(STDERR_FILENO) };
	struct wdb_result res = {};
	char why[512] = "";
	int r;

	if (!t)
		return EXIT_FAIL;
	if (!wdb_supported(bench.path, bench.op)) {
		fprintf(stderr, "warpctl: the %s path does not offer %s; pick another --path or "
			"--op.\nTry 'warpctl --help'.\n", bench.path, bench.op);
		return EXIT_USAGE;
	}
	r = wdb_run(&bench, &res, progress_cb, &p, why, sizeof(why));
	if (p.tty)
		fprintf(stderr, "\r\033[K");	/* the bar gives way to the result */
	if (r < 0) {
		fprintf(stderr, "warpctl: bench %s %s failed: %s\n", bench.path, bench.op,
			*why ? why : strerror(-r));
		return EXIT_FAIL;
	}
	r = TABLE_ROW(t, C_STR(bench.path), C_STR(bench.op), C_BYTES(bench.size),
		      C_UINT(bench.depth), C_DOUBLE(res.seconds), C_UINT(res.ops), C_DOUBLE(res.ops_per_sec),
		      C_BYTES((uint64_t)llround(res.bytes_per_sec)), C_NSEC(llround(res.p50_ns)),
		      C_NSEC(llround(res.p99_ns)), C_NSEC(llround(res.cpu_ns_per_op)));
	if (r < 0)
		return EXIT_FAIL;
	return show_table(t);
}
