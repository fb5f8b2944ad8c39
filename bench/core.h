/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * core.h - internals shared by the benchmark core (core.c) and its paths
 * (path-*.c). Not installed, not used outside bench/.
 *
 * A run has one struct wdb_cell (the parameters, the buffers) and one or
 * more workers. A path either does one synchronous op at a time (run_one;
 * the core starts `depth` threads) or keeps up to `depth` requests in
 * flight on one ring from one thread (submit/reap). Each request uses a
 * slot: a source buffer with known contents, a destination buffer, and the
 * expected digest. The core poisons the output before each op and checks it
 * after (check.c), so no path can report work it did not do.
 */
#ifndef WD_BENCH_CORE_H
#define WD_BENCH_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wdbench.h"

enum wdb_op {
	WDB_MEMCPY,
	WDB_CRC32C,
	WDB_SHA256,
	WDB_DEFLATE,
	WDB_NR_OPS,
};

#define WDB_OP_BIT(op)	(1U << (op))

/* Compare the whole output on a slot's first op and every this many after. */
#define WDB_FULL_CHECK_EVERY	64

struct wdb_slot {
	unsigned int idx;
	uint8_t *src;		/* cell->size bytes, contents fixed for the run */
	uint8_t *dst;		/* cell->dst_cap bytes */
	size_t out_len;		/* set by the path on completion */
	uint32_t crc;		/* crc32c from the path, if it has it aside from dst */
	uint8_t expect[32];	/* crc32c (4 bytes, little-endian) or sha256 */
	uint64_t uses;		/* completed ops on this slot */
	uint64_t t_submit;	/* ns, CLOCK_MONOTONIC */
	void *path_data;	/* per-slot state of the path */
};

struct wdb_cell {
	const struct wdb_params *p;
	enum wdb_op op;
	const char *op_name;
	size_t size, dst_cap;
	unsigned int nslots;
	struct wdb_slot *slots;
	int file_fd;		/* tmpfs file holding every slot's src, or -1 */
	void *path_state;	/* the path's run-wide state */
	char *why;
	size_t why_len;
};

/* Latency histogram: 64 buckets per power of two (~1.1 % wide). */
#define WDB_HIST_BUCKETS	(64 * 42)
struct wdb_hist {
	uint64_t n[WDB_HIST_BUCKETS];
};

void wdb_hist_add(struct wdb_hist *h, uint64_t ns);
void wdb_hist_merge(struct wdb_hist *to, const struct wdb_hist *from);
double wdb_hist_quantile(const struct wdb_hist *h, double q);

struct wdb_worker {
	struct wdb_cell *cell;
	unsigned int idx;	/* worker number, 0.. */
	struct wdb_slot **slots;	/* the slots this worker owns */
	unsigned int nslots;
	void *data;		/* the path's per-worker state */
};

struct wdb_path_ops {
	const char *name;
	unsigned int ops;		/* WDB_OP_BIT mask of supported ops */
	const char *no_op_why;		/* why the others are not supported */
	bool threaded;			/* depth = threads each calling run_one */

	/* Run-wide setup and teardown (optional). */
	int (*setup)(struct wdb_cell *c);
	void (*teardown)(struct wdb_cell *c);
	/* Per worker (optional close). */
	int (*open)(struct wdb_worker *w);
	void (*close)(struct wdb_worker *w);
	/* threaded: one op on @s, synchronously. 0 or -errno (with why). */
	int (*run_one)(struct wdb_worker *w, struct wdb_slot *s);
	/* ring: submit @s; 0 or -errno. */
	int (*submit)(struct wdb_worker *w, struct wdb_slot *s);
	/*
	 * ring: collect up to @max completions into @done, waiting as the path
	 * does (busy paths return 0 at once when nothing completed). Returns
	 * how many, or -errno.
	 */
	int (*reap)(struct wdb_worker *w, struct wdb_slot **done, int max);
	/* Engine busy time so far in ns and requests, for overhead (optional). */
	int (*engine_stats)(struct wdb_worker *w, uint64_t *busy_ns, uint64_t *requests);
	/* The CPU the engine serving @w last ran on, or -1 (optional). */
	int (*engine_cpu)(struct wdb_worker *w);
};

extern const struct wdb_path_ops wdb_path_libwd, wdb_path_libwd_batch, wdb_path_libwd_idle,
	wdb_path_afalg, wdb_path_uring, wdb_path_syscall, wdb_path_inline;

/* Progress reporting, ~10 times a second. */
struct wdb_progress {
	void (*fn)(double, void *);
	void *arg;
	uint64_t t0, total, last;	/* ns */
};
void wdb_tick(struct wdb_progress *pr, uint64_t now);

/*
 * Sleep until @until (ns, CLOCK_MONOTONIC) ticking @pr; false at once if
 * *@phase became 2 (a worker failed and stopped the run).
 */
bool wdb_wait_until(uint64_t until, int *phase, struct wdb_progress *pr);

/* Record why a run failed (printf-style); returns @err for chaining. */
int wdb_fail(struct wdb_cell *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint64_t wdb_now_ns(void);

/* The CPU's spin-wait hint (x86 pause, arm64 yield), between empty looks. */
static inline void wdb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* check.c: reference results and output checks. */
uint32_t wdb_crc32c_ref(uint32_t crc, const void *buf, size_t len);
uint32_t wdb_crc32c_fast(uint32_t crc, const void *buf, size_t len);
const char *wdb_crc32c_impl(void);
void wdb_fill_source(struct wdb_cell *c, struct wdb_slot *s);
void wdb_prepare(struct wdb_cell *c, struct wdb_slot *s);
int wdb_check(struct wdb_cell *c, struct wdb_slot *s, uint64_t *checked);

/*
 * path-kernel.c: every slot's source in one tmpfs file, slot i at offset
 * i * size (c->file_fd); for the pread and io_uring paths.
 */
int wdb_source_file(struct wdb_cell *c);
void wdb_source_file_close(struct wdb_cell *c);

#endif /* WD_BENCH_CORE_H */
