/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uacce driver API: how an accelerator driver registers with WarpDrive's
 * uacce framework. Shaped like mainline's <linux/uacce.h> so a mainline
 * driver ports with little change; WarpDrive additions are marked.
 *
 * Out-of-tree builds put kernel/include first on the include path, so this
 * header shadows the (unused, CONFIG_UACCE=n) copy in the kernel headers.
 */
#ifndef _LINUX_UACCE_H
#define _LINUX_UACCE_H

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <uapi/misc/uacce/uacce.h>

#define UACCE_NAME		"uacce"
#define UACCE_MAX_REGION	UACCE_QFRT_MAX
#define UACCE_MAX_NAME_SIZE	64
#define UACCE_MAX_ERR_THRESHOLD	65535

struct uacce_queue;
struct uacce_device;

/**
 * struct uacce_qfile_region - one region of a queue file
 * @type: which region
 * @nr_pages: size in pages
 * @kaddr: kernel address (SS region only: uacce allocates it, physically
 *	contiguous, zeroed)
 * @dma: DMA (physical) address of @kaddr (SS region only)
 * @refcount: an SS region is shared between queues by UACCE_CMD_SHARE_SVAS
 *
 * For MMIO and DUS, uacce only records that the region is mapped; the driver
 * provides the memory in &uacce_ops.mmap.
 */
struct uacce_qfile_region {
	enum uacce_qfrt type;
	unsigned long nr_pages;
	void *kaddr;
	dma_addr_t dma;
	refcount_t refcount;
};

/**
 * enum uacce_dev_state - isolation state, as in mainline
 * @UACCE_DEV_NORMAL: queues are handed out
 * @UACCE_DEV_ISOLATE: too many hardware errors; no new queues
 */
enum uacce_dev_state {
	UACCE_DEV_NORMAL,
	UACCE_DEV_ISOLATE,
};

/**
 * struct uacce_ops - what a driver implements
 * @get_available_instances: free hardware queues left
 * @get_queue: reserve a hardware queue for @q at open(); may sleep. The
 *	argument is always 0: mainline passes a PASID here, WarpDrive binds
 *	the address space later, at START_Q (see &uacce_queue.pasid)
 * @put_queue: give it back; called once, after @stop_queue if started
 * @start_queue: begin processing; @q->mm is the owner's mm from here on
 * @stop_queue: stop processing and stop touching @q->mm before returning
 * @is_q_updated: non-zero when completions are waiting (poll)
 * @mmap: map region @qfr of @q into @vma (MMIO and DUS); uacce has already
 *	set vm_ops and checked the size; the driver must not replace vm_ops
 * @ioctl: driver commands (>= UACCE_CMD_DRIVER_BASE, or another type);
 *	called in any state but dead, as in mainline: before START_Q, while
 *	started and after PUT_Q. The driver decides what each state accepts.
 *	Called from the owner only, or from any holder of the file while the
 *	queue is bound to no address space yet
 * @get_isolate_state: optional; a driver that tracks isolation itself
 * @isolate_err_threshold_write: optional, mainline compatibility
 * @isolate_err_threshold_read: optional, mainline compatibility
 */
struct uacce_ops {
	int (*get_available_instances)(struct uacce_device *uacce);
	int (*get_queue)(struct uacce_device *uacce, unsigned long arg,
			 struct uacce_queue *q);
	void (*put_queue)(struct uacce_queue *q);
	int (*start_queue)(struct uacce_queue *q);
	void (*stop_queue)(struct uacce_queue *q);
	int (*is_q_updated)(struct uacce_queue *q);
	int (*mmap)(struct uacce_queue *q, struct vm_area_struct *vma,
		    struct uacce_qfile_region *qfr);
	long (*ioctl)(struct uacce_queue *q, unsigned int cmd,
		      unsigned long arg);
	enum uacce_dev_state (*get_isolate_state)(struct uacce_device *uacce);
	int (*isolate_err_threshold_write)(struct uacce_device *uacce, u32 num);
	u32 (*isolate_err_threshold_read)(struct uacce_device *uacce);
};

/**
 * struct uacce_interface - what uacce_alloc() needs
 * @name: driver name; devices appear as /dev/<name>-<id>
 * @flags: UACCE_DEV_* flags
 * @ops: the driver's operations
 */
struct uacce_interface {
	char name[UACCE_MAX_NAME_SIZE];
	unsigned int flags;
	const struct uacce_ops *ops;
};

/*
 * Locking (the full rules and their reasons are in uacce.c's header comment):
 *
 *  uacce_device.mutex  queue list, registered/removed; held by open, release,
 *                      revoke and removal; never taken under mmap_lock or
 *                      under uacce_queue.mutex.
 *  mmap_lock (owner)   taken for read by revoke/removal around the zap.
 *  uacce_queue.mutex   state, mm binding, regions, map counts; taken under
 *                      mmap_lock by mmap and vm_ops, so never held while
 *                      touching user memory or taking mmap_lock.
 *  uacce_queue.ctl     serializes START_Q, PUT_Q, revoke/removal of the
 *                      queue and ops->ioctl, which runs under it (and not
 *                      under uacce_queue.mutex: it may copy from user).
 *  order:              uacce_device.mutex -> uacce_queue.ctl -> mmap_lock
 *                      -> uacce_queue.mutex
 *  uacce_device.err_lock  irq-safe spinlock for the isolation counters.
 *
 * What drivers may rely on: get_queue and put_queue run under
 * uacce_device.mutex; start_queue, stop_queue, mmap and is_q_updated run
 * under uacce_queue.mutex (mmap also under mmap_lock); ioctl runs under
 * uacce_queue.ctl only, so never concurrently with start_queue or
 * stop_queue of its queue. No op is called after uacce_remove() returns.
 */

/**
 * struct uacce_queue - one open() of a uacce device
 * @uacce: the device
 * @priv: driver data, set in get_queue
 * @mm: owner's mm (WarpDrive): bound by START_Q (or by the first mmap or
 *	UACCE_CMD_SHARE_SVAS) with mmgrab() only; a driver that touches user
 *	memory takes mmget_not_zero(@mm) for each use and stops using it
 *	before stop_queue returns. Never changes once set.
 * @pasid: PASID of @mm on the parent's IOMMU (SVA devices behind an IOMMU)
 * @qfrs: regions of the queue; a driver may read qfrs[UACCE_QFRT_SS]
 *	(kaddr, dma, nr_pages) from start_queue until stop_queue returns
 *
 * The remaining fields are private to uacce.c; its locking rules are
 * written next to struct uacce_queue's lock in uacce.c's header comment.
 */
struct uacce_queue {
	struct uacce_device *uacce;
	void *priv;
	struct mm_struct *mm;
	u32 pasid;
	struct uacce_qfile_region *qfrs[UACCE_MAX_REGION];

	/* private: to uacce.c */
	struct mutex ctl;		/* see "Locking" in uacce.c */
	struct mutex mutex;		/* see "Locking" in uacce.c */
	wait_queue_head_t wait;
	struct list_head list;		/* on uacce->queues, uacce->mutex */
	int state;			/* enum uacce_qstate, q->mutex */
	bool has_instance;		/* get_queue done, put_queue not yet */
	bool running;			/* start_queue done, stop_queue not yet */
	unsigned int map_count[UACCE_MAX_REGION];	/* VMAs, q->mutex */
	struct iommu_sva *handle;
	struct address_space mapping;	/* this queue's VMAs only */
	struct page *dead_page;		/* mapped after revoke/removal */
	struct completion killed;	/* revoke/removal has zapped and put */
	struct pid *opener;		/* thread group that opened */
	u64 algs_allowed;		/* bit i: i-th name of uacce->algs; q->mutex
					 * to write, READ_ONCE to read */
};

/**
 * struct uacce_device - a registered accelerator
 * @algs: supported algorithms, newline or space separated (set by driver)
 * @api_ver: protocol the device speaks, e.g. "wdsoft_v1" (set by driver)
 * @ops: driver operations; NULL after uacce_remove()
 * @qf_pg_num: size in pages of each region (set by driver before register)
 * @parent: parent device; its NUMA node is the device's node
 * @is_vf: virtual function (mainline compatibility)
 * @flags: UACCE_DEV_*
 * @dev_id: the N of <name>-N and /dev/uaN
 * @cdev: char device
 * @dev: the class device
 * @priv: driver data
 *
 * The remaining fields are private to uacce.c.
 */
struct uacce_device {
	const char *algs;
	const char *api_ver;
	const struct uacce_ops *ops;
	unsigned long qf_pg_num[UACCE_MAX_REGION];
	struct device *parent;
	bool is_vf;
	u32 flags;
	u32 dev_id;
	struct cdev *cdev;
	struct device dev;
	void *priv;

	/* private: to uacce.c; see "Locking" above */
	struct mutex mutex;		/* queues, registered, removed */
	struct list_head queues;
	bool registered;
	bool removed;
	int node;			/* dev_to_node(parent) at register */
	bool sva_enabled;		/* IOPF + SVA enabled on the parent */
	spinlock_t err_lock;		/* the isolation fields below */
	struct list_head errors;	/* timestamps of recent hw errors */
	u32 nr_errors;
	u32 isolate_threshold;
	bool isolated;
};

struct uacce_device *uacce_alloc(struct device *parent,
				 struct uacce_interface *interface);
int uacce_register(struct uacce_device *uacce);
void uacce_remove(struct uacce_device *uacce);
void uacce_wake_up(struct uacce_queue *q);
void uacce_hw_error(struct uacce_device *uacce);
int uacce_alg_index(struct uacce_device *uacce, const char *name);
bool uacce_q_alg_allowed(struct uacce_queue *q, int index);

#endif /* _LINUX_UACCE_H */
