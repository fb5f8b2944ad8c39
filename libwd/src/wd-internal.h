/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wd-internal.h - what libwd's modules share: the queue state behind
 * struct wd_queue's opaque pointer, the user-driver interface, the device
 * description used for placement, and the system-call seam tests replace.
 */
#ifndef WD_INTERNAL_H
#define WD_INTERNAL_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>
#include <warpdrive/wd.h>

#include "cleanup.h"
#include "list.h"

#define WD_EXPORT __attribute__((visibility("default")))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * The system calls libwd makes on a queue fd, behind one table so the unit
 * tests can put a user-space device double behind them. Every entry returns
 * like the libc call (-1 and errno); __wd_sys is never NULL.
 */
struct wd_sys {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, unsigned long arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*poll)(struct pollfd *fds, nfds_t nfds, int timeout);
	/* May be NULL (sched_yield, sched_getcpu): the wait policy's view. */
	int (*sched_yield)(void);
	int (*getcpu)(void);
};

extern const struct wd_sys *__wd_sys;
/* Tests only: replace the table (NULL restores the real system calls). */
void __wd_set_sys(const struct wd_sys *sys);

/*
 * Where a device's engine runs, as its user driver reads it (wait.c).
 * @known: the device says (else the other fields mean nothing)
 * @parked: asleep until woken (or stalled): watching it is pointless
 * @cpu: the CPU it polls on, -1 unknown
 */
struct wd_engine_hint {
	bool known;
	bool parked;
	int cpu;
};

/* What a caller waiting for a completion does next (wait.c). */
enum wd_wait {
	WD_WAIT_SPIN,	/* look again after a pause instruction */
	WD_WAIT_YIELD,	/* sched_yield(), then look again */
	WD_WAIT_SLEEP,	/* arm the interrupt and sleep in poll(2) */
};

/* How long a waiter spins or yields before it sleeps. */
#define WD_SPIN_NS	100000u

enum wd_wait __wd_wait_choice(const struct wd_engine_hint *e, int cpu);
int __wd_cpu(void);
void __wd_yield(void);
uint64_t __wd_now_ns(void);

/* Algorithm names, indexed by enum wd_op; bit (1 << op) in an ops mask. */
#define WD_OP_FIRST	WD_OP_MEMCPY
#define WD_OP_LAST	WD_OP_INFLATE
const char *__wd_op_alg(unsigned int op);
int __wd_alg_op(const char *alg);
uint32_t __wd_algs_mask(const char *algs);
/*
 * Ops mask of an algorithm set as wd_queue.alg spells it ("sha256,crc32c"):
 * what a queue requested for it must offer, and what a broker lease of it
 * may run (a compression name gives both directions). 0 if too long.
 */
uint32_t __wd_alg_set_mask(const char *set);

/* What placement and binding need to know about a device. */
struct wd_devinfo {
	char name[64];
	char api[64];
	char algs[256];
	int node;		/* -1: none */
	unsigned int flags;	/* UACCE_DEV_* */
	int avail;		/* available_instances, -1 unknown */
	bool isolated;
	int distance;		/* NUMA distance from the wanted node */
	bool apart;		/* WD_NODE_ANY: engine off our CPUs (cpuplace.h) */
	uint32_t lease_ops;	/* ops the broker's lease allows; 0: no lease */
};

struct wd_queue_priv;

/*
 * A user driver: one per device api string, in the table in drv.c. The
 * queue core maps the regions, then calls @init; all data-path calls run
 * under the queue lock.
 * @init: check the regions, set up @p->drv_priv. -errno with a message set.
 * @fini: free @p->drv_priv. Must not touch the regions if @p->dead.
 * @send: queue one message; publish it to the device only if @publish
 *	(wd_send_batch publishes once at the end). 0, -EBUSY, -errno.
 * @flush: publish everything queued and wake the device if it parked.
 * @recv: take one completion: 1, -EAGAIN, -ENODEV, -EIO.
 * @arm: ask for a poll(2) wake-up once @want more completions are there
 *	than the caller has taken (1: the next one). A device that cannot
 *	count wakes at the next completion instead, so the caller must look
 *	again after every wake-up. 0 armed; 1 the wait is already over (for
 *	@want > 1 also when fewer wait but the device has nothing left to
 *	run); -ENODEV.
 * @alive: false once the device is gone (dead pages read zero).
 * @engine: where the device's engine runs (wait.c); NULL when it never says.
 */
struct wd_drv {
	const char *api;
	int (*init)(struct wd_queue_priv *p);
	void (*fini)(struct wd_queue_priv *p);
	int (*send)(struct wd_queue_priv *p, struct wd_msg *m, bool publish);
	void (*flush)(struct wd_queue_priv *p);
	int (*recv)(struct wd_queue_priv *p, struct wd_msg **m);
	int (*arm)(struct wd_queue_priv *p, unsigned int want);
	bool (*alive)(struct wd_queue_priv *p);
	void (*engine)(struct wd_queue_priv *p, struct wd_engine_hint *e);
};

const struct wd_drv *__wd_drv_find(const char *api);
extern const struct wd_drv __wd_drv_wdsoft;

/* Memory the device addresses in SS/NOIOMMU modes (own or shared). */
struct wd_ss {
	void *base;
	size_t size;
	uint64_t dma;		/* NOIOMMU: DMA address of @base */
};

struct wd_queue_priv {
	struct wd_queue *q;
	int fd;
	int broker_fd;		/* connection holding the lease, or -1 */
	pthread_mutex_t lock;	/* serialises every call on this queue */
	bool started;		/* UACCE_CMD_START_Q done (at the first send) */
	bool dead;		/* revoked/removed/detached: all calls -ENODEV */
	bool detached;		/* inherited across fork: nothing is ours */
	uint32_t ops;		/* ops mask the device offers */
	uint32_t lease_ops;	/* ops the lease lets the device run (all of @ops direct) */
	unsigned int inflight;
	void *region[UACCE_QFRT_MAX];
	size_t region_size[UACCE_QFRT_MAX];
	struct wd_ss ss;	/* valid when ss.base */
	const struct wd_drv *drv;
	void *drv_priv;
	/* on the list of live queues (queue.c), for fork; under queues_lock */
	LIST_FIELDS(struct wd_queue_priv, queues);
};

/* hash.c: streaming SHA-256 requests (WD_MSG_HASH_*). */
#define WD_MSG_HASH_MASK	(WD_MSG_HASH_IN | WD_MSG_HASH_OUT)
/* 0 when @m, carrying WD_MSG_HASH_* flags, is well formed; else -EINVAL. */
int __wd_hash_msg_check(const struct wd_msg *m);

/* Record a detailed message in @q->errmsg and return @err. */
int __wd_err(struct wd_queue *q, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* sysfs / dev roots ($WD_SYSFS_ROOT, $WD_DEV_ROOT for tests). */
const char *__wd_sysfs_root(void);
const char *__wd_dev_root(void);
/* Read /sys/class/uacce/@dev/@attr, newline stripped: length or -errno. */
int __wd_dev_attr(const char *dev, const char *attr, char *buf, size_t size);
int __wd_dev_attr_long(const char *dev, const char *attr, long *val);
/*
 * The device name of @dev as the user gave it ("wdsoft-0", "/dev/wdsoft-0",
 * "/dev/ua0": a path is resolved, links followed, to its last element).
 * 0, or -errno if the path does not resolve or the name does not fit;
 * @name then still holds the path's last element (cut to @size), for a
 * caller that lets the broker judge it.
 */
int __wd_dev_name(const char *dev, char *name, size_t size);
/* Fill @info from sysfs (name already set). 0 or -errno. */
int __wd_dev_info(struct wd_devinfo *info);
/* NUMA node of the calling thread's CPU, or -1. */
int __wd_current_node(void);
/* Distance between NUMA nodes @from and @to (10 local, 20 when unknown). */
int __wd_node_distance(int from, int to);

/*
 * Direct mode: pick a device for @q and open it. Returns the fd and fills
 * @info, or -errno with @q->errmsg set.
 */
int __wd_direct_open(struct wd_queue *q, struct wd_devinfo *info);

/*
 * Ask the broker. Returns the fd and fills @info and @lease, *@sock keeps
 * the connection (holding the lease). -ENOENT/-ECONNREFUSED when no broker
 * listens; other -errno with @q->errmsg set.
 */
int __wd_broker_request(struct wd_queue *q, struct wd_devinfo *info,
			uint64_t *lease, int *sock);
/* End the lease(s) of connection @sock: close it. */
void __wd_broker_release(int sock);

#endif /* WD_INTERNAL_H */
