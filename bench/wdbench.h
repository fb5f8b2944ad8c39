/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wdbench.h - WarpDrive's benchmark core: one measured cell of the data-path
 * matrix (a path, an op, a size, a queue depth), and the broker benchmark.
 *
 * Used by the wdbench program (tools/bench drives it) and by `warpctl bench`.
 * Link with wdbench_dep (bench/meson.build).
 *
 * Paths ("path" below, docs/benchmarks.md says what each one measures):
 *   "libwd"        libwd over the ring, polling for completions (busy)
 *   "libwd-batch"  libwd, the caller sleeping in poll(2) until half its
 *                  requests are done (wd_recv_wait), one wake-up a batch
 *   "libwd-idle"   libwd with the engine parked between requests (wdsoft's
 *                  idle_us set to 0 for the run, needs root) and the caller
 *                  sleeping in poll(2) until the completion
 *   "afalg"        the same engine through the kernel crypto API over AF_ALG
 *                  (needs wdsoft loaded with uacce_mode=0); crc32c, sha256
 *   "uring-sqpoll" io_uring with SQPOLL reading a tmpfs file; memcpy
 *   "syscall"      one synchronous system call per op: pread from a tmpfs
 *                  file (memcpy), AF_ALG with the kernel's own default
 *                  implementation (crc32c, sha256)
 *   "inline"       the same algorithm in the calling process
 * A depth above 1 is reached with that many requests in flight on one ring
 * (libwd, uring-sqpoll) or with that many threads, each doing one
 * synchronous op at a time (afalg, syscall, inline).
 *
 * Every op's result is checked (digests every op; copies and deflate
 * round trips on the first op of each buffer and every 64th one, plus the
 * poisoned head and tail of every output): a wrong result fails the run.
 */
#ifndef WD_BENCH_WDBENCH_H
#define WD_BENCH_WDBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wdb_params {
	const char *path;	/* "libwd" (busy polling), "libwd-batch", "libwd-idle" (parked, woken), "afalg", "uring-sqpoll", "syscall", "inline" */
	const char *op;		/* "memcpy", "crc32c", "sha256", "deflate" */
	size_t size;		/* bytes per op */
	unsigned int depth;	/* requests in flight (1 or 32 in the matrix) */
	double seconds;		/* measured run time, after a short warm-up */
	bool pin;		/* run every submitting thread on @cpu only */
	unsigned int cpu;
};

struct wdb_result {
	uint64_t ops, bytes;
	double seconds, ops_per_sec, bytes_per_sec;
	double p50_ns, p99_ns;		/* per-op latency */
	double cpu_ns_per_op;		/* user+sys CPU of the submitting process per op */
	/* Beyond the contract, 0 when not known: */
	double engine_busy_ns_per_op;	/* libwd paths: wdsoft engine time per op (debugfs) */
	uint64_t checked;		/* ops whose output was compared in full */
	/*
	 * Placement, sampled when the window closes; -1 when not one CPU:
	 * the submitting thread's CPU (threaded paths: the pinned CPU, or -1)
	 * and the engine's (libwd paths: the wdsoft engine's, from debugfs).
	 */
	int client_cpu, engine_cpu;
};

/*
 * progress(fraction 0..1, arg) is called ~10 times a second if not NULL.
 * Returns 0, or a negative errno with a human sentence in why (what failed
 * and what to do). -EOPNOTSUPP: the path does not offer the op (why says
 * so); a wrong result is -EBADMSG.
 */
int wdb_run(const struct wdb_params *p, struct wdb_result *r,
	    void (*progress)(double fraction, void *arg), void *arg,
	    char *why, size_t why_len);

/* True when @path offers @op at all (without trying it). */
bool wdb_supported(const char *path, const char *op);

/* NULL-terminated lists of the known paths and ops, in matrix order. */
extern const char *const wdb_paths[];
extern const char *const wdb_ops[];

/*
 * Broker benchmark (root, wdsoft loaded with at least @clients + 16 queues
 * on a device). Starts wdbrokerd (@broker_exe) on the real sysfs and /dev
 * with a private socket, state directory and an unlimited policy, and
 * connects @clients clients that each take a lease and keep it (the broker's
 * RSS is read with the first lease and with all of them). Then, for
 * @seconds after a warm-up, min(@clients, 16) threads cycle through the
 * clients, each asking for one more queue on the same device, issuing
 * UACCE_CMD_START_Q on the fd it receives (a grant is usable only then),
 * and releasing it: grant latency is request to started queue. Last, the
 * same threads time open(/dev/<device>) + START_Q + close for @seconds.
 */
struct wdb_broker_params {
	const char *broker_exe;	/* path to wdbrokerd */
	const char *alg;	/* algorithm asked for, e.g. "memcpy" */
	unsigned int clients;	/* concurrent clients (1, 16, 1000) */
	double seconds;		/* measured time of each half */
};

struct wdb_broker_result {
	uint64_t grants;
	double grants_per_sec, grant_p50_ns, grant_p99_ns;
	uint64_t direct_opens;
	double direct_per_sec, direct_p50_ns, direct_p99_ns;
	long rss_kb_one, rss_kb_all;	/* broker RSS with 1 lease, with @clients leases */
	unsigned int in_flight;		/* requests in flight at once: min(clients, 16) */
	char device[64];		/* the device granted */
};

int wdb_broker_run(const struct wdb_broker_params *p, struct wdb_broker_result *r,
		   void (*progress)(double fraction, void *arg), void *arg,
		   char *why, size_t why_len);

#ifdef __cplusplus
}
#endif

#endif /* WD_BENCH_WDBENCH_H */
