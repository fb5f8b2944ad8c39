/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-libwd-double.h - a user-space double of the wdsoft device for libwd's
 * unit tests.
 *
 * It stands behind libwd's system-call seam (__wd_set_sys): opening a node
 * under the fake dev root creates a queue whose MMIO page and DUS ring live
 * in ordinary memory, and START_Q starts an engine thread that speaks the
 * wdsoft_v1 ring protocol on it exactly as the kernel engine does: acquire/
 * release indices, CQ-room check, idle park with NEED_WAKEUP + WDSOFT_CMD_WAKE,
 * irq_armed + poll wake-ups (WDSOFT_IRQ_NEXT, and WDSOFT_IRQ_AT with irq_at
 * under WDSOFT_FEAT_IRQ_AT), and "every region reads zero" on revoke.
 *
 * The queue fd is one end of a socketpair: unique per queue (so fds passed
 * over SCM_RIGHTS still identify it, by inode), pollable (the engine writes a
 * byte to raise EPOLLIN) and able to report POLLHUP (revoke closes the
 * other end).
 *
 * wdd_sysfs() builds a fake /sys + /dev tree for discovery and placement.
 */
#ifndef TEST_LIBWD_DOUBLE_H
#define TEST_LIBWD_DOUBLE_H

#include <stdbool.h>
#include <stdint.h>

struct wdd_config {
	uint32_t sq_entries;	/* default 16 */
	uint32_t cq_entries;	/* default = sq_entries */
	uint32_t mode;		/* WDSOFT_MODE_*, default SVA */
	uint32_t idle_spins;	/* engine polls before parking, default 64 */
	size_t ss_size;		/* SS region bytes (SS/NOIOMMU), default 64 KiB */
	uint32_t version;	/* default WDSOFT_VERSION */
	bool no_qinfo;		/* answer QINFO with ENOTTY (sysfs sizes) */
	bool no_engine_cpu;	/* leave WDSOFT_FEAT_ENGINE_CPU out */
	bool no_irq_at;		/* leave WDSOFT_FEAT_IRQ_AT out: every arm
				 * wakes at the next completion */
	uint32_t features;	/* mmio->features, default every WDSOFT_FEAT_*;
				 * WDD_NO_FEATURES for none */
};

#define WDD_NO_FEATURES	0x80000000U

/* A fake device in the fake sysfs tree. */
struct wdd_dev {
	const char *name;	/* "wdsoft-0" */
	const char *api;	/* default "wdsoft_v1" */
	const char *algs;	/* default all five */
	int node;		/* node_id */
	int avail;		/* available_instances */
	int isolate;
	unsigned int flags;	/* UACCE_DEV_* */
	int open_errno;		/* open() fails with this, 0 = works */
	const char *engine_cpus;	/* device/engine_cpus; NULL: none */
};

/* Knobs and counters, shared by every queue of the double. */
struct wdd_stats {
	unsigned int opens, closes, live;	/* queues */
	unsigned int wakes;			/* WDSOFT_CMD_WAKE calls */
	unsigned int parks;			/* engine parked */
	unsigned int irqs;			/* poll wake-ups raised */
	unsigned int processed;			/* its wake-up already decided */
	unsigned int yields;			/* sched_yield() calls by libwd */
	unsigned int polls;			/* poll() calls by libwd, entered */
	unsigned int polls_done;		/* ... and returned */
	char last_open[64];			/* device name of last open */
};

/* Install the double behind libwd with @cfg (NULL: defaults). */
void wdd_install(const struct wdd_config *cfg);
/* Remove it: restores the real system calls. All queues must be closed. */
void wdd_uninstall(void);

/*
 * Build a fake tree under a fresh temp dir: <dir>/sys/class/uacce/<dev>/...,
 * <dir>/sys/devices/system/node/node<N>/distance for @nodes nodes (local 10,
 * remote 20 + 10*|a-b|), and <dir>/dev/<dev> files; export WD_SYSFS_ROOT,
 * WD_DEV_ROOT, and WD_BROKER_SOCKET (a path where nothing listens).
 * Returns the temp dir (static buffer). wdd_sysfs_cleanup() removes it.
 */
const char *wdd_sysfs(const struct wdd_dev *devs, int ndevs, int nodes);
void wdd_sysfs_cleanup(void);
/* Rewrite one attribute of a fake device. */
void wdd_sysfs_set(const char *dev, const char *attr, const char *val);

/* Snapshot of the counters. */
struct wdd_stats wdd_stats(void);

/* Engine knobs for every queue (take effect at once). */
void wdd_stall(bool stall);		/* stop consuming SQEs (STALLED) */
void wdd_busy(bool busy);		/* consume nothing, keep polling */
/*
 * The CPU libwd's sched_getcpu() reports and the engine publishes in
 * mmio->engine_cpu; -1: the real one (the default).
 */
void wdd_place(int client_cpu, int engine_cpu);
void wdd_fail_next(unsigned int n);	/* next n requests complete -EIO */
void wdd_fail_next_status(unsigned int n, int status);	/* ... with @status */
void wdd_bogus_cookie_next(void);	/* next completion has a wrong cookie */
void wdd_delay_us(unsigned int us);	/* per request processing delay */
/*
 * Let the engines run only @n more requests (-1: no limit, the default);
 * an engine out of credit waits, still polling, until given more.
 */
void wdd_credit(int n);

/* Kill the queue behind @fd: engine stops, regions read zero, POLLHUP. */
void wdd_revoke_fd(int fd);
/* Kill every queue (device removal). */
void wdd_revoke_all(void);

/*
 * In a forked child only (takes no lock, allocates nothing): how many
 * queue fds of the double the child still holds. libwd must have closed
 * every one.
 */
int wdd_inherited_fds(void);

/*
 * One 32-byte memcpy through @q (a struct wd_queue *), checked: 0, or the
 * error of wd_send/wd_recv_sync, or -EIO for a wrong result.
 */
struct wd_queue;
int wdd_roundtrip(struct wd_queue *q);

/* Wait until every engine is parked (for NEED_WAKEUP tests). */
bool wdd_wait_parked(unsigned int timeout_ms);

#endif /* TEST_LIBWD_DOUBLE_H */
