/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * soft-ring.h - a minimal wdsoft_v1 ring driver for the wdsoft vm tests.
 *
 * Deliberately independent of libwd: it speaks <misc/uacce/wdsoft.h>
 * directly (open, START_Q, map MMIO/DUS/SS, submit with release, reap with
 * acquire, wake on NEED_WAKEUP) so the kernel driver is tested on its own.
 * Compiled once into the vm tests' library (soft-ring.c); the system
 * headers below stay because the tests use what they declare.
 */
#ifndef WD_TESTS_SOFT_RING_H
#define WD_TESTS_SOFT_RING_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>
#include <misc/uacce/wdsoft.h>

#include "vm/vmlib.h"

struct soft_ring {
	int fd;
	char dev[64];
	struct wdsoft_mmio *mmio;
	void *dus;
	size_t dus_size;
	struct wdsoft_dus_hdr *hdr;
	struct wdsoft_sqe *sq;
	struct wdsoft_cqe *cq;
	uint32_t mask;
	uint32_t sq_tail;	/* ours */
	uint32_t cq_head;	/* ours */
	void *ss;
	size_t ss_size;
	unsigned int wakes;	/* WDSOFT_CMD_WAKE calls made */
};

long soft_now_ms(void);

void soft_sleep_ms(long ms);

/* Name of the @index-th wdsoft device (by id), e.g. "wdsoft-0"; -ENOENT. */
int soft_find_device(int index, char *name, size_t size);

long soft_attr(const char *dev, const char *attr);

/*
 * Engine @engine's line of @dev's debugfs "engines": index, pid, queues,
 * parked, cpu, yields. 0, or -ENOENT if the device or the engine is not
 * there.
 */
int soft_engine_line(const char *dev, unsigned int engine,
		     int v[5], unsigned long *yields);

/*
 * Engine @engine of @dev, from debugfs "engines": its thread's pid, the
 * queues it serves, whether it is parked (any pointer may be NULL).
 * 0, or -ENOENT if the device or the engine is not there.
 */
int soft_engine_info(const char *dev, unsigned int engine,
		     int *pid, int *queues, int *parked);

/*
 * Engine @engine of @dev: the CPU of its last pass (-1 before the first)
 * and how often it yielded its CPU to another task. 0, or -ENOENT.
 */
int soft_engine_cpu(const char *dev, unsigned int engine,
		    int *cpu, unsigned long *yields);

void soft_ring_close(struct soft_ring *r);

/*
 * Take over the queue @fd of device @dev (it is closed on failure too),
 * start it unless @started, map its rings (and SS if @ss). With
 * @share_fd >= 0, the queue first adopts that queue's SS region
 * (UACCE_CMD_SHARE_SVAS). 0 or -errno.
 */
int soft_ring_adopt(struct soft_ring *r, int fd, const char *dev,
		    bool started, bool ss, int share_fd);

/* Open @dev and soft_ring_adopt() the new queue. 0 or -errno. */
int soft_ring_open_share(struct soft_ring *r, const char *dev, bool ss, int share_fd);

int soft_ring_open(struct soft_ring *r, const char *dev, bool ss);

/*
 * The usual start of a wdsoft vm test: inside the VM, the modules loaded
 * with @params, the first device's name in @dev. Bails out otherwise.
 */
void soft_setup(const char *params, char *dev, size_t size);

/* soft_setup(), then a started queue on that device in @r. */
void soft_setup_ring(const char *params, char *dev, size_t size, struct soft_ring *r);

/* Ring the doorbell for what was queued; wake the engine only if parked. */
void soft_ring_doorbell(struct soft_ring *r);

/*
 * Whether the queue still has the driver's pages behind its mappings: once
 * it is revoked or its device removed, every page reads as zeros.
 */
bool soft_ring_alive(const struct soft_ring *r);

/* Queue @sqe without ringing; -EAGAIN when the ring is full, -ENODEV if dead. */
int soft_ring_queue(struct soft_ring *r, const struct wdsoft_sqe *sqe);

int soft_ring_submit(struct soft_ring *r, const struct wdsoft_sqe *sqe);

/*
 * Take one completion if there is one: 1, or 0 if none. A dead queue has
 * none: what its zero pages hold is not a completion (the magic is checked
 * after the copy, so a copy that raced with the kill is dropped too).
 */
int soft_ring_peek(struct soft_ring *r, struct wdsoft_cqe *cqe);

/*
 * Wait up to @timeout_ms for one completion, sleeping in poll(2) with the
 * interrupt armed. 0, -ETIMEDOUT, -ENODEV once the queue is dead (revoked
 * or its device removed), or -errno.
 */
int soft_ring_reap(struct soft_ring *r, struct wdsoft_cqe *cqe, int timeout_ms);

/*
 * How much slower than a plain guest this kernel is allowed to be:
 * WD_TIME_SCALE, set by tools/debug-kernel (KASAN and lockdep make a level-9
 * deflate of 1 MiB take far longer than on the distribution kernel). A
 * missing, malformed or out-of-range value means 1.
 */
int soft_time_scale(void);

/*
 * Submit one descriptor and wait for its completion: 10 s at most, times
 * soft_time_scale(). A completion that arrives after the wait gave up would
 * be reaped by the next call, which then reports -EBADE.
 */
int soft_ring_run(struct soft_ring *r, struct wdsoft_sqe *sqe, struct wdsoft_cqe *cqe);

/* A descriptor for @op on plain buffers (SVA virtual addresses). */
struct wdsoft_sqe soft_sqe(uint8_t op, const void *src,
			   uint64_t slen, void *dst,
			   uint64_t dlen);

/* Deterministic test data: random, or compressible text-like bytes. */
void soft_fill(void *buf, size_t n, bool compressible, unsigned int seed);

/* Write @val to /sys/kernel/debug/wdsoft/@dev/@file. 0 or -errno. */
int soft_debugfs_write(const char *dev, const char *file, const char *val);

/* Read a "name value" line of /sys/kernel/debug/wdsoft/@dev/stats. */
long long soft_stat(const char *dev, const char *name);

/* xorshift64*: the fuzzers' PRNG, so that a printed seed replays a run. */
uint64_t soft_rand(uint64_t *state);

/* Pass @fd over @sock with SCM_RIGHTS (one data byte). 0 or -errno. */
int soft_send_fd(int sock, int fd, int flags);

/*
 * Receive one fd from @sock (close-on-exec); any further fds in the
 * message are closed. The fd, or -errno (-EBADMSG: none in the message).
 */
int soft_recv_fd(int sock, int flags);

/*
 * Value of @key in /sys/kernel/debug/@module/live, the module's live-object
 * counters ("name count" lines); -1 if absent.
 */
long soft_live(const char *module, const char *key);

/*
 * Load $WD_KMOD_DIR/@module.ko with @params, or unload @module, by system
 * call: insmod and rmmod cost a fork and an exec from the VM's 9p root
 * each, which is slow under emulation. 0 or -errno (EEXIST: loaded
 * already; EWOULDBLOCK: in use).
 */
int soft_kmod_load(const char *module, const char *params);

int soft_kmod_unload(const char *module);

/*
 * Wait up to @ms, times soft_time_scale(), for @dev to show @want free
 * instances; the last count read (so a test can print what it saw).
 */
long soft_wait_instances(const char *dev, long want, long ms);

/*
 * A fresh queue on @dev copies @n bytes of data from @seed correctly: 0, or
 * -errno from opening the queue or running the request, the completion's
 * status, or -EIO if the copy differs.
 */
int soft_memcpy_check(const char *dev, size_t n, unsigned int seed);

#endif /* WD_TESTS_SOFT_RING_H */
