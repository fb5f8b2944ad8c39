// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uacce: WarpDrive's unified/user-space-access-intended accelerator framework.
 *
 * A driver registers a device (uacce_alloc + uacce_register); uacce creates
 * the char device /dev/<driver>-<id> and its attributes under
 * /sys/class/uacce/. Every open() of the node is a queue: the driver
 * reserves a hardware queue in get_queue. UACCE_CMD_START_Q starts it and
 * binds it to the caller's address space (mm); from then on only that mm may
 * use the queue's data path (mmap, ioctl, poll), any other gets -EPERM. The
 * queue's memory regions are mapped by mmap with vm_pgoff = region type,
 * once each, at their exact size.
 *
 * A queue is INIT after open, STARTED after START_Q, STOPPED after PUT_Q
 * and DEAD after UACCE_CMD_REVOKE or uacce_remove(). PUT_Q is mainline's:
 * it only stops the queue; the instance and the mappings stay with the
 * file until the last close, a second PUT_Q succeeds and does nothing, and
 * START_Q may start the queue again. A dead queue has given its instance
 * back, every call on it fails with -ENODEV, poll reports EPOLLERR |
 * EPOLLHUP, and its mappings have been replaced by a zero-filled page
 * private to the queue, so an owner still writing to its doorbell neither
 * crashes nor reaches the device.
 *
 * Dead-page mechanics: each queue has its own address_space (q->mapping,
 * installed as file->f_mapping at open), so unmap_mapping_range() on it zaps
 * this queue's VMAs and nothing else. The next touch faults into
 * uacce_vma_fault(), which maps q->dead_page at every address of the VMA.
 *
 * Locking
 * -------
 * uacce_xa (its own lock): id -> device, for open(). A device found there
 *	is pinned with get_device() before the lock is dropped.
 * uacce->mutex: the device's queue list and its registered/removed state.
 *	Taken by open, release and uacce_remove(). It may be held while taking
 *	an owner's mmap_lock and q->mutex (removal does), so it is never
 *	taken under mmap_lock (mmap, fault, vma open/close never take it) nor
 *	under q->ctl or q->mutex.
 * q->ctl: serializes what changes whether the driver runs the queue:
 *	START_Q, PUT_Q, the kill (revoke, removal) and driver commands, as
 *	mainline serializes them under one mutex. Driver commands may copy
 *	from user space under it, so it comes before mmap_lock; removal
 *	takes it under uacce->mutex.
 * mmap_lock of the owner's mm: held by the core mm around our mmap handler
 *	and vm_ops; we take it for read only to zap a dying queue's VMAs, so
 *	that an mmap() that passed our handler has linked its VMA first.
 * q->mutex: the queue's state, mm binding, SS region and mapping counts.
 *	Taken under mmap_lock (mmap, vma open/close), hence: never held while
 *	touching user memory (copy_*_user may fault and take mmap_lock) and
 *	never held while taking mmap_lock. Order:
 *	uacce->mutex -> q->ctl -> mmap_lock -> q->mutex.
 * uacce->err_lock (spinlock, irq-safe): the isolation counters, as
 *	uacce_hw_error() may be called from an interrupt handler.
 *
 * Lifetime: each queue holds a reference on uacce->dev, so the device
 * structure outlives uacce_remove() while files are open; ops and parent
 * are cleared by removal so that a late use is a NULL dereference rather
 * than a use-after-free. A mapped VMA holds the file, hence the queue. The
 * queue holds its owner's mm with mmgrab() only (never mm_users), so an
 * exiting owner tears down its mappings, which releases the file, which
 * releases the queue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uacce.h>
#include <linux/xarray.h>
#include <wd_compat.h>

#define UACCE_MAX_DEVICES	BIT(MINORBITS)
/* Algorithms a queue can be restricted to: the bits of algs_allowed. */
#define UACCE_MAX_ALGS		64

static dev_t uacce_devt;
static DEFINE_XARRAY_ALLOC(uacce_xa);

static struct class *uacce_class;

/*
 * Live objects, for leak checks (debugfs uacce/live): queue structures
 * allocated and not yet freed, SS regions and their pages. Atomic, no lock.
 */
static atomic_long_t uacce_live_queues;
static atomic_long_t uacce_live_ss_regions;
static atomic_long_t uacce_live_ss_pages;
static struct dentry *uacce_dbg;

/* One hardware error, kept for an hour on uacce->errors. */
struct uacce_err {
	struct list_head list;
	unsigned long when;	/* jiffies */
};

/* ---- state helpers ---------------------------------------------------- */

/*
 * The caller may use @q's data path: the queue is bound to the caller's mm,
 * or not bound yet (the caller's operation will bind it).
 */
static int uacce_q_check_owner(struct uacce_queue *q)
{
	lockdep_assert_held(&q->mutex);
	if (!current->mm)
		return -EPERM;
	if (q->mm && q->mm != current->mm)
		return -EPERM;
	return 0;
}

static void uacce_q_bind_mm(struct uacce_queue *q)
{
	lockdep_assert_held(&q->mutex);
	if (q->mm)
		return;
	mmgrab(current->mm);
	q->mm = current->mm;
}

/*
 * Index of the algorithm @name (@len bytes, not NUL-terminated) in @algs,
 * a whitespace-separated list: -ENOENT if absent, -E2BIG past the bits a
 * queue has.
 */
static int uacce_alg_lookup(const char *algs, const char *name, size_t len)
{
	const char *p = algs;
	int idx = 0;

	while (p && *(p = skip_spaces(p))) {
		size_t n = strcspn(p, " \t\n");

		if (n == len && !memcmp(p, name, len))
			return idx < UACCE_MAX_ALGS ? idx : -E2BIG;
		idx++;
		p += n;
	}
	return -ENOENT;
}

/* Not dead: a queue stopped by PUT_Q may be mapped and started again. */
static int uacce_q_live(struct uacce_queue *q)
{
	lockdep_assert_held(&q->mutex);
	if (q->state == UACCE_QSTATE_DEAD)
		return -ENODEV;
	return 0;
}

/* Live, and the caller may use it: what every data-path command checks first. */
static int uacce_q_usable(struct uacce_queue *q)
{
	int ret = uacce_q_live(q);

	return ret ? ret : uacce_q_check_owner(q);
}

static void uacce_qfr_put(struct uacce_qfile_region *qfr)
{
	if (!qfr || !refcount_dec_and_test(&qfr->refcount))
		return;
	if (qfr->kaddr) {
		free_pages_exact(qfr->kaddr, qfr->nr_pages << PAGE_SHIFT);
		atomic_long_dec(&uacce_live_ss_regions);
		atomic_long_sub(qfr->nr_pages, &uacce_live_ss_pages);
	}
	kfree(qfr);
}

static struct uacce_qfile_region *
uacce_qfr_new(int type, unsigned long nr_pages)
{
	struct uacce_qfile_region *qfr = kzalloc(sizeof(*qfr), GFP_KERNEL);

	if (!qfr)
		return NULL;
	qfr->type = type;
	qfr->nr_pages = nr_pages;
	refcount_set(&qfr->refcount, 1);
	return qfr;
}

/*
 * Allocate the queue's static shared region if it has none yet: physically
 * contiguous and zeroed, so the device (or, on NOIOMMU, its DMA engine) can
 * address it with one base.
 */
static int uacce_q_get_ss(struct uacce_queue *q)
{
	struct uacce_device *uacce = q->uacce;
	unsigned long nr = uacce->qf_pg_num[UACCE_QFRT_SS];
	struct uacce_qfile_region *qfr;

	lockdep_assert_held(&q->mutex);
	if (q->qfrs[UACCE_QFRT_SS])
		return 0;
	if (!(uacce->flags & (UACCE_DEV_SS | UACCE_DEV_NOIOMMU)) || !nr)
		return 0;

	qfr = uacce_qfr_new(UACCE_QFRT_SS, nr);
	if (!qfr)
		return -ENOMEM;
	qfr->kaddr = alloc_pages_exact(nr << PAGE_SHIFT,
				       GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!qfr->kaddr) {
		kfree(qfr);
		return -ENOMEM;
	}
	qfr->dma = virt_to_phys(qfr->kaddr);
	atomic_long_inc(&uacce_live_ss_regions);
	atomic_long_add(nr, &uacce_live_ss_pages);
	q->qfrs[UACCE_QFRT_SS] = qfr;
	return 0;
}

/*
 * A parent behind an IOMMU needs IOPF and SVA enabled before any bind; if
 * that fails the device cannot share address spaces and loses the flag, as
 * in mainline. A parent with no IOMMU (a software device) keeps
 * UACCE_DEV_SVA: its driver reaches q->mm itself.
 */
static void uacce_enable_sva(struct uacce_device *uacce)
{
	struct device *parent = uacce->parent;

	if (!(uacce->flags & UACCE_DEV_SVA) || !device_iommu_mapped(parent))
		return;
	if (iommu_dev_enable_feature(parent, IOMMU_DEV_FEAT_IOPF)) {
		uacce->flags &= ~UACCE_DEV_SVA;
		return;
	}
	if (iommu_dev_enable_feature(parent, IOMMU_DEV_FEAT_SVA)) {
		iommu_dev_disable_feature(parent, IOMMU_DEV_FEAT_IOPF);
		uacce->flags &= ~UACCE_DEV_SVA;
		return;
	}
	uacce->sva_enabled = true;
}

static void uacce_disable_sva(struct uacce_device *uacce)
{
	if (!uacce->sva_enabled)
		return;
	iommu_dev_disable_feature(uacce->parent, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(uacce->parent, IOMMU_DEV_FEAT_IOPF);
	uacce->sva_enabled = false;
}

static int uacce_q_bind_sva(struct uacce_queue *q)
{
	struct uacce_device *uacce = q->uacce;
	struct iommu_sva *handle;

	lockdep_assert_held(&q->mutex);
	/*
	 * Only a parent behind an IOMMU gets a PASID; a software device with
	 * UACCE_DEV_SVA reaches q->mm itself.
	 */
	if (!(uacce->flags & UACCE_DEV_SVA) || !uacce->sva_enabled)
		return 0;
	handle = wd_iommu_sva_bind_device(uacce->parent, q->mm);
	if (IS_ERR(handle))
		return PTR_ERR(handle);
	q->handle = handle;
	q->pasid = iommu_sva_get_pasid(handle);
	return 0;
}

static void uacce_q_unbind_sva(struct uacce_queue *q)
{
	if (!q->handle)
		return;
	iommu_sva_unbind_device(q->handle);
	q->handle = NULL;
	q->pasid = 0;
}

/* Undo a successful start_queue, exactly once whoever gets here first. */
static void uacce_q_stop_hw(struct uacce_queue *q)
{
	lockdep_assert_held(&q->mutex);
	if (!q->running)
		return;
	if (q->uacce->ops->stop_queue)
		q->uacce->ops->stop_queue(q);
	uacce_q_unbind_sva(q);
	q->running = false;
}

/* Give the hardware queue back, exactly once, after stopping it. */
static void uacce_q_put_instance(struct uacce_queue *q)
{
	lockdep_assert_held(&q->mutex);
	uacce_q_stop_hw(q);
	if (!q->has_instance)
		return;
	if (q->uacce->ops->put_queue)
		q->uacce->ops->put_queue(q);
	q->has_instance = false;
}

/* START_Q, also of a queue that PUT_Q stopped (as in mainline). */
static int uacce_q_start(struct uacce_queue *q)
{
	struct uacce_device *uacce = q->uacce;
	int ret;

	lockdep_assert_held(&q->ctl);
	lockdep_assert_held(&q->mutex);
	ret = uacce_q_usable(q);
	if (ret)
		return ret;
	if (q->state == UACCE_QSTATE_STARTED)
		return -EINVAL;		/* mainline's answer to a second START */
	ret = uacce_q_get_ss(q);
	if (ret)
		return ret;
	uacce_q_bind_mm(q);
	ret = uacce_q_bind_sva(q);
	if (ret)
		return ret;
	if (uacce->ops->start_queue) {
		ret = uacce->ops->start_queue(q);
		if (ret) {
			uacce_q_unbind_sva(q);
			return ret;
		}
	}
	q->running = true;
	WRITE_ONCE(q->state, UACCE_QSTATE_STARTED);
	return 0;
}

/*
 * PUT_Q, as mainline's: stop a started queue; keep the instance and the
 * mappings until close. A queue that is not started (never, or stopped
 * already) is left as it is and the call succeeds.
 */
static int uacce_q_put(struct uacce_queue *q)
{
	int ret;

	lockdep_assert_held(&q->ctl);
	mutex_lock(&q->mutex);
	ret = uacce_q_usable(q);
	if (!ret && q->state == UACCE_QSTATE_STARTED) {
		uacce_q_stop_hw(q);
		WRITE_ONCE(q->state, UACCE_QSTATE_STOPPED);
	}
	mutex_unlock(&q->mutex);
	if (!ret)
		wake_up_interruptible_all(&q->wait);
	return ret;
}

/*
 * Kill @q (revoke or removal): stop it, zap its mappings so they fault in
 * the dead page, give its instance back. Returns -ENODEV if already dead.
 * Called with uacce->mutex held (so kills of one device are serialized and
 * removal never returns while a revoke is still calling ops), without
 * q->ctl, q->mutex and any mmap_lock. Holding q->ctl throughout, it waits
 * for a running driver command and keeps START_Q out.
 */
static int uacce_q_kill(struct uacce_queue *q)
{
	struct mm_struct *mm;

	lockdep_assert_held(&q->uacce->mutex);
	mutex_lock(&q->ctl);
	mutex_lock(&q->mutex);
	if (q->state == UACCE_QSTATE_DEAD) {
		mutex_unlock(&q->mutex);
		mutex_unlock(&q->ctl);
		return -ENODEV;
	}
	WRITE_ONCE(q->state, UACCE_QSTATE_DEAD);
	uacce_q_stop_hw(q);
	/* The binding cannot change any more: state is DEAD. */
	mm = q->mm;
	mutex_unlock(&q->mutex);

	/*
	 * Only q->mm can have mapped the queue (mmap binds it and VMAs are
	 * VM_DONTCOPY). Holding its mmap_lock for read waits for an mmap()
	 * that passed uacce_fops_mmap() before DEAD to link its VMA, so the
	 * zap below sees it.
	 */
	if (mm) {
		mmap_read_lock(mm);
		unmap_mapping_range(&q->mapping, 0, 0, 1);
		mmap_read_unlock(mm);
	}

	/* Nothing of the driver's is mapped any more: give the instance back. */
	mutex_lock(&q->mutex);
	uacce_q_put_instance(q);
	mutex_unlock(&q->mutex);
	mutex_unlock(&q->ctl);

	/*
	 * Only now let the owner see the death (poll, ioctl errors): whoever
	 * learns the queue is dead must already find the dead page, not the
	 * driver's pages, behind its mappings.
	 */
	complete_all(&q->killed);
	wake_up_interruptible_all(&q->wait);
	return 0;
}

/* ---- isolation ---------------------------------------------------------- */

/* Drop errors older than an hour. */
static void uacce_err_prune(struct uacce_device *uacce)
{
	struct uacce_err *e, *n;

	lockdep_assert_held(&uacce->err_lock);
	list_for_each_entry_safe(e, n, &uacce->errors, list) {
		if (time_before(jiffies, e->when + 3600 * HZ))
			break;
		list_del(&e->list);
		kfree(e);
		uacce->nr_errors--;
	}
}

static void uacce_err_clear(struct uacce_device *uacce)
{
	struct uacce_err *e, *n;

	lockdep_assert_held(&uacce->err_lock);
	list_for_each_entry_safe(e, n, &uacce->errors, list) {
		list_del(&e->list);
		kfree(e);
	}
	uacce->nr_errors = 0;
	uacce->isolated = false;
}

static enum uacce_dev_state uacce_isolate_state(struct uacce_device *uacce)
{
	const struct uacce_ops *ops = uacce->ops;
	unsigned long flags;
	bool isolated;

	if (ops && ops->get_isolate_state)
		return ops->get_isolate_state(uacce);
	spin_lock_irqsave(&uacce->err_lock, flags);
	isolated = uacce->isolated;
	spin_unlock_irqrestore(&uacce->err_lock, flags);
	return isolated ? UACCE_DEV_ISOLATE : UACCE_DEV_NORMAL;
}

/* ---- file operations -------------------------------------------------- */

static int uacce_fops_open(struct inode *inode, struct file *filep)
{
	struct uacce_device *uacce;
	struct uacce_queue *q;
	int ret, i;

	xa_lock(&uacce_xa);
	uacce = xa_load(&uacce_xa, iminor(inode));
	if (uacce)
		get_device(&uacce->dev);
	xa_unlock(&uacce_xa);
	if (!uacce)
		return -ENODEV;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q) {
		ret = -ENOMEM;
		goto err_put_dev;
	}
	atomic_long_inc(&uacce_live_queues);
	q->dead_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!q->dead_page) {
		ret = -ENOMEM;
		goto err_free_q;
	}
	for (i = UACCE_QFRT_MMIO; i <= UACCE_QFRT_DKO; i++) {
		if (!uacce->qf_pg_num[i])
			continue;
		q->qfrs[i] = uacce_qfr_new(i, uacce->qf_pg_num[i]);
		if (!q->qfrs[i]) {
			ret = -ENOMEM;
			goto err_free_q;
		}
	}
	q->uacce = uacce;
	q->state = UACCE_QSTATE_INIT;
	mutex_init(&q->ctl);
	mutex_init(&q->mutex);
	init_waitqueue_head(&q->wait);
	init_completion(&q->killed);
	address_space_init_once(&q->mapping);
	q->mapping.host = inode;
	q->mapping.a_ops = &empty_aops;
	q->opener = get_pid(task_tgid(current));
	q->algs_allowed = U64_MAX;

	mutex_lock(&uacce->mutex);
	if (uacce->removed || !uacce->registered) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (uacce_isolate_state(uacce) == UACCE_DEV_ISOLATE) {
		dev_info_ratelimited(&uacce->dev,
				     "isolated after repeated hardware errors; write isolate_strategy to re-enable\n");
		ret = -EIO;
		goto err_unlock;
	}
	if (uacce->ops->get_queue) {
		ret = uacce->ops->get_queue(uacce, 0, q);
		if (ret < 0)
			goto err_unlock;
	}
	q->has_instance = true;
	list_add(&q->list, &uacce->queues);
	mutex_unlock(&uacce->mutex);

	filep->private_data = q;
	filep->f_mapping = &q->mapping;
	return 0;

err_unlock:
	mutex_unlock(&uacce->mutex);
	put_pid(q->opener);
err_free_q:
	for (i = 0; i < UACCE_MAX_REGION; i++)
		uacce_qfr_put(q->qfrs[i]);
	if (q->dead_page)
		__free_page(q->dead_page);
	kfree(q);
	atomic_long_dec(&uacce_live_queues);
err_put_dev:
	put_device(&uacce->dev);
	return ret;
}

static int uacce_fops_release(struct inode *inode, struct file *filep)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;
	int i;

	/* No VMA is left (each holds the file), so nothing is mapped. */
	mutex_lock(&uacce->mutex);
	mutex_lock(&q->mutex);
	uacce_q_put_instance(q);
	WRITE_ONCE(q->state, UACCE_QSTATE_DEAD);
	mutex_unlock(&q->mutex);
	list_del(&q->list);
	mutex_unlock(&uacce->mutex);

	for (i = 0; i < UACCE_MAX_REGION; i++)
		uacce_qfr_put(q->qfrs[i]);
	if (q->mm)
		mmdrop(q->mm);
	put_pid(q->opener);
	__free_page(q->dead_page);
	mutex_destroy(&q->mutex);
	mutex_destroy(&q->ctl);
	kfree(q);
	atomic_long_dec(&uacce_live_queues);
	put_device(&uacce->dev);
	return 0;
}

static long uacce_ioctl_qinfo(struct uacce_queue *q, void __user *arg)
{
	struct uacce_device *uacce = q->uacce;
	struct uacce_qinfo info = {};
	int i;

	mutex_lock(&q->mutex);
	info.state = q->state;
	info.flags = uacce->flags;
	info.node = uacce->node;
	info.dev_id = uacce->dev_id;
	for (i = 0; i < UACCE_MAX_REGION; i++) {
		if (q->qfrs[i])
			info.region_size[i] = q->qfrs[i]->nr_pages << PAGE_SHIFT;
		else
			info.region_size[i] = (u64)uacce->qf_pg_num[i] << PAGE_SHIFT;
	}
	mutex_unlock(&q->mutex);

	/* Copy after unlocking: a fault here takes mmap_lock. */
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * Who may revoke: the process that opened the queue, a process running as
 * the user that opened it (a broker restarted by systemd is a new process
 * with the same user and no capabilities, and must still be able to revoke
 * the leases it adopted from the fd store), or CAP_SYS_ADMIN. The client the
 * fd was passed to runs as another user and may not.
 */
static long uacce_ioctl_revoke(struct uacce_queue *q, struct file *filep)
{
	struct uacce_device *uacce = q->uacce;
	long ret;

	if (task_tgid(current) != q->opener &&
	    !uid_eq(current_euid(), filep->f_cred->euid) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&uacce->mutex);
	ret = uacce->removed ? -ENODEV : uacce_q_kill(q);
	mutex_unlock(&uacce->mutex);
	return ret;
}

/*
 * RESTRICT_ALGS: before START_Q any holder of the fd may narrow the queue's
 * algorithms (a broker does it before passing the fd on); once started,
 * only the owner may, as for the rest of the data path. The names are
 * parsed against uacce->algs under uacce->mutex, as removal frees the
 * driver's string; the set only ever shrinks.
 */
static long uacce_ioctl_restrict_algs(struct uacce_queue *q,
				      struct uacce_algs __user *arg)
{
	struct uacce_device *uacce = q->uacce;
	struct uacce_algs ua;
	char *names, *p;
	u64 mask = 0;
	long ret = 0;

	if (copy_from_user(&ua, arg, sizeof(ua)))
		return -EFAULT;
	if (ua.flags || !ua.len || ua.len > UACCE_ALGS_MAX_LEN)
		return -EINVAL;
	names = memdup_user(u64_to_user_ptr(ua.names), ua.len);
	if (IS_ERR(names))
		return PTR_ERR(names);
	if (strnlen(names, ua.len) != ua.len - 1) {
		ret = -EINVAL;
		goto out_free;
	}

	mutex_lock(&uacce->mutex);
	if (uacce->removed) {
		ret = -ENODEV;
		goto out_unlock;
	}
	for (p = names; *(p = skip_spaces(p)); ) {
		size_t n = strcspn(p, " \t\n");
		int idx = uacce_alg_lookup(uacce->algs, p, n);

		if (idx < 0) {
			ret = -EINVAL;
			goto out_unlock;
		}
		mask |= BIT_ULL(idx);
		p += n;
	}
	if (!mask) {
		ret = -EINVAL;	/* an empty list */
		goto out_unlock;
	}
	mutex_lock(&q->mutex);
	ret = uacce_q_live(q);
	if (!ret && q->state != UACCE_QSTATE_INIT)
		ret = uacce_q_check_owner(q);	/* started, maybe stopped since */
	if (!ret)
		WRITE_ONCE(q->algs_allowed, q->algs_allowed & mask);
	mutex_unlock(&q->mutex);
out_unlock:
	mutex_unlock(&uacce->mutex);
out_free:
	kfree(names);
	return ret;
}

static long uacce_ioctl_get_ss_dma(struct uacce_queue *q, u64 __user *arg)
{
	struct uacce_device *uacce = q->uacce;
	long ret;
	u64 dma;

	mutex_lock(&q->mutex);
	ret = uacce_q_usable(q);
	if (ret)
		goto out_unlock;
	if (!(uacce->flags & UACCE_DEV_NOIOMMU)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (!capable(CAP_SYS_RAWIO)) {
		ret = -EPERM;
		goto out_unlock;
	}
	ret = uacce_q_get_ss(q);
	if (ret)
		goto out_unlock;
	if (!q->qfrs[UACCE_QFRT_SS]) {
		ret = -ENODATA;
		goto out_unlock;
	}
	uacce_q_bind_mm(q);
	dma = q->qfrs[UACCE_QFRT_SS]->dma;
	mutex_unlock(&q->mutex);

	/* User space now holds a raw DMA address: nothing checks its use. */
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	dev_notice_once(&uacce->dev, "NOIOMMU DMA address handed to user space; kernel tainted\n");
	if (put_user(dma, arg))
		return -EFAULT;
	return 0;

out_unlock:
	mutex_unlock(&q->mutex);
	return ret;
}

static const struct file_operations uacce_fops;

/*
 * SHARE_SVAS: @q (the target, not started yet) will use the SS region of the
 * queue behind @fd (the source) instead of its own. Both belong to the
 * caller. The two q->mutex are never held together.
 */
static long uacce_ioctl_share_svas(struct uacce_queue *q, unsigned long fd)
{
	struct uacce_qfile_region *ss = NULL;
	struct uacce_queue *src;
	struct fd f;
	long ret;

	if (fd > INT_MAX)
		return -EBADF;
	f = fdget(fd);
	if (!wd_fd_file(f))
		return -EBADF;
	if (wd_fd_file(f)->f_op != &uacce_fops) {
		ret = -EINVAL;
		goto out_fdput;
	}
	src = wd_fd_file(f)->private_data;
	if (src == q) {
		ret = -EINVAL;
		goto out_fdput;
	}

	mutex_lock(&src->mutex);
	ret = uacce_q_usable(src);
	if (!ret)
		ret = uacce_q_get_ss(src);
	if (!ret && !src->qfrs[UACCE_QFRT_SS])
		ret = -EINVAL;	/* the source device has no SS region */
	if (!ret) {
		uacce_q_bind_mm(src);
		ss = src->qfrs[UACCE_QFRT_SS];
		refcount_inc(&ss->refcount);
	}
	mutex_unlock(&src->mutex);
	if (ret)
		goto out_fdput;

	mutex_lock(&q->mutex);
	ret = uacce_q_usable(q);
	if (!ret && q->state != UACCE_QSTATE_INIT)
		ret = -EBUSY;	/* the driver already works on its own region */
	if (!ret && (q->qfrs[UACCE_QFRT_SS] || q->map_count[UACCE_QFRT_SS]))
		ret = -EEXIST;
	if (!ret) {
		uacce_q_bind_mm(q);
		q->qfrs[UACCE_QFRT_SS] = ss;
		ss = NULL;
	}
	mutex_unlock(&q->mutex);
	uacce_qfr_put(ss);

out_fdput:
	fdput(f);
	return ret;
}

/*
 * A driver command, in any live state of the queue, as in mainline: the
 * driver decides what it accepts before START_Q. It runs under q->ctl
 * (it may copy from user space, so not under q->mutex): the queue is not
 * started, stopped or killed meanwhile, and removal, which kills the queue
 * before clearing ops, waits for it.
 */
static long uacce_ioctl_driver(struct uacce_queue *q, unsigned int cmd,
			       unsigned long arg)
{
	const struct uacce_ops *ops;
	long ret;

	if (mutex_lock_killable(&q->ctl))
		return -EINTR;
	mutex_lock(&q->mutex);
	ret = uacce_q_usable(q);
	mutex_unlock(&q->mutex);
	if (!ret) {
		ops = q->uacce->ops;
		ret = ops->ioctl ? ops->ioctl(q, cmd, arg) : -ENOTTY;
	}
	mutex_unlock(&q->ctl);
	return ret;
}

static long uacce_ioctl_dispatch(struct uacce_queue *q, struct file *filep,
				 unsigned int cmd, unsigned long arg)
{
	long ret;

	switch (cmd) {
	case UACCE_CMD_QINFO:
		return uacce_ioctl_qinfo(q, (void __user *)arg);
	case UACCE_CMD_REVOKE:
		return uacce_ioctl_revoke(q, filep);
	case UACCE_CMD_GET_SS_DMA:
		return uacce_ioctl_get_ss_dma(q, (u64 __user *)arg);
	case UACCE_CMD_SHARE_SVAS:
		return uacce_ioctl_share_svas(q, arg);
	case UACCE_CMD_RESTRICT_ALGS:
		return uacce_ioctl_restrict_algs(q, (void __user *)arg);
	case UACCE_CMD_START_Q:
		mutex_lock(&q->ctl);
		mutex_lock(&q->mutex);
		ret = uacce_q_start(q);
		mutex_unlock(&q->mutex);
		mutex_unlock(&q->ctl);
		return ret;
	case UACCE_CMD_PUT_Q:
		mutex_lock(&q->ctl);
		ret = uacce_q_put(q);
		mutex_unlock(&q->ctl);
		return ret;
	default:
		/* 'W' below the driver base is ours; the rest is the driver's. */
		if (_IOC_TYPE(cmd) == 'W' && _IOC_NR(cmd) < UACCE_CMD_DRIVER_BASE)
			return -ENOTTY;
		return uacce_ioctl_driver(q, cmd, arg);
	}
}

static long uacce_fops_unl_ioctl(struct file *filep, unsigned int cmd,
				 unsigned long arg)
{
	struct uacce_queue *q = filep->private_data;
	long ret;

	ret = uacce_ioctl_dispatch(q, filep, cmd, arg);
	/*
	 * A queue being killed (revoke, removal) is reported dead only once
	 * its mappings are dead pages, so an owner that got ENODEV or saw
	 * UACCE_QSTATE_DEAD never still reads the driver's pages.
	 */
	if (READ_ONCE(q->state) == UACCE_QSTATE_DEAD)
		wait_for_completion(&q->killed);
	return ret;
}

#ifdef CONFIG_COMPAT
static long uacce_fops_compat_ioctl(struct file *filep, unsigned int cmd,
				    unsigned long arg)
{
	arg = (unsigned long)compat_ptr(arg);
	return uacce_fops_unl_ioctl(filep, cmd, arg);
}
#endif

/* ---- mappings ---------------------------------------------------------- */

static void uacce_vma_open(struct vm_area_struct *vma)
{
	struct uacce_queue *q = vma->vm_private_data;

	/* A copy made by mremap before uacce_vma_mremap() refuses it. */
	mutex_lock(&q->mutex);
	q->map_count[vma->vm_pgoff]++;
	mutex_unlock(&q->mutex);
}

static void uacce_vma_close(struct vm_area_struct *vma)
{
	struct uacce_queue *q = vma->vm_private_data;

	/* The region may be mapped again once its VMA is gone. */
	mutex_lock(&q->mutex);
	q->map_count[vma->vm_pgoff]--;
	mutex_unlock(&q->mutex);
}

static int uacce_vma_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;		/* a region is mapped and unmapped whole */
}

static int uacce_vma_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

/*
 * Faults happen only after the queue died and its VMAs were zapped (the
 * driver populates live regions at mmap): map the queue's dead page.
 */
static vm_fault_t uacce_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uacce_queue *q = vma->vm_private_data;
	unsigned long pfn = page_to_pfn(q->dead_page);

	if (READ_ONCE(q->state) != UACCE_QSTATE_DEAD)
		return VM_FAULT_SIGBUS;
	if (vma->vm_flags & VM_PFNMAP)
		return vmf_insert_pfn_prot(vma, vmf->address, pfn,
					   vm_get_page_prot(vma->vm_flags));
	if (vma->vm_flags & VM_MIXEDMAP)
		return wd_vmf_insert_mixed(vma, vmf->address, pfn);
	get_page(q->dead_page);
	vmf->page = q->dead_page;
	return 0;
}

static const struct vm_operations_struct uacce_vm_ops = {
	.open = uacce_vma_open,
	.close = uacce_vma_close,
	.may_split = uacce_vma_may_split,
	.mremap = uacce_vma_mremap,
	.fault = uacce_vma_fault,
};

/*
 * The DKO region is the driver's, for the device only. Mapping it, as the
 * seed defines, reserves that range of the owner's address space: the VMA
 * has no pages and no access, and mprotect() cannot grant any, so neither
 * the owner's own memory nor its data lands where the device may address
 * the driver's memory. A touch is a SIGSEGV.
 */
static void uacce_dko_reserve(struct vm_area_struct *vma)
{
	wd_vm_flags_clear(vma, VM_READ | VM_WRITE | VM_EXEC |
			  VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
}

static int uacce_fops_mmap(struct file *filep, struct vm_area_struct *vma)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;
	struct uacce_qfile_region *qfr;
	unsigned long type = vma->vm_pgoff;
	int ret;

	if (type >= UACCE_MAX_REGION)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	mutex_lock(&q->mutex);
	ret = uacce_q_usable(q);
	if (ret)
		goto out_unlock;
	if (q->map_count[type]) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (type == UACCE_QFRT_SS) {
		ret = uacce_q_get_ss(q);
		if (ret)
			goto out_unlock;
	}
	qfr = q->qfrs[type];
	if (!qfr || vma_pages(vma) != qfr->nr_pages) {
		ret = -EINVAL;
		goto out_unlock;
	}

	/*
	 * VM_IO as well: madvise(MADV_DOFORK) may clear VM_DONTCOPY on
	 * anything but VM_IO, which would let a forked child (another mm)
	 * drive the rings. It also keeps GUP and ptrace off the regions.
	 */
	wd_vm_flags_set(vma, VM_IO | VM_DONTCOPY | VM_WIPEONFORK |
			     VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &uacce_vm_ops;
	vma->vm_private_data = q;

	if (type == UACCE_QFRT_DKO)
		uacce_dko_reserve(vma);
	else if (type == UACCE_QFRT_SS)
		ret = remap_pfn_range(vma, vma->vm_start,
				      virt_to_phys(qfr->kaddr) >> PAGE_SHIFT,
				      vma->vm_end - vma->vm_start,
				      vma->vm_page_prot);
	else if (uacce->ops->mmap)
		ret = uacce->ops->mmap(q, vma, qfr);
	else
		ret = -EINVAL;
	if (ret)
		goto out_unlock;
	/* Our vm_ops are what makes revoke and removal safe. */
	if (WARN_ON_ONCE(vma->vm_ops != &uacce_vm_ops)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	uacce_q_bind_mm(q);
	q->map_count[type] = 1;

out_unlock:
	mutex_unlock(&q->mutex);
	return ret;
}

static __poll_t uacce_fops_poll(struct file *filep, poll_table *wait)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;
	__poll_t ret = 0;

	poll_wait(filep, &q->wait, wait);

	mutex_lock(&q->mutex);
	if (q->mm && q->mm != current->mm)
		ret = EPOLLERR;
	else if (q->state == UACCE_QSTATE_STOPPED ||
		 (q->state == UACCE_QSTATE_DEAD && completion_done(&q->killed)))
		ret = EPOLLERR | EPOLLHUP;	/* a dying queue wakes us when dead */
	else if (q->state == UACCE_QSTATE_STARTED &&
		 uacce->ops->is_q_updated && uacce->ops->is_q_updated(q))
		ret = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&q->mutex);
	return ret;
}

static const struct file_operations uacce_fops = {
	.owner = THIS_MODULE,
	.open = uacce_fops_open,
	.release = uacce_fops_release,
	.unlocked_ioctl = uacce_fops_unl_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = uacce_fops_compat_ioctl,
#endif
	.mmap = uacce_fops_mmap,
	.poll = uacce_fops_poll,
	.llseek = noop_llseek,
};

/* ---- sysfs ------------------------------------------------------------- */

#define to_uacce_device(d) container_of(d, struct uacce_device, dev)

static ssize_t api_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);

	return sysfs_emit(buf, "%s\n", uacce->api_ver ? uacce->api_ver : "");
}

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_uacce_device(dev)->flags);
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_uacce_device(dev)->dev_id);
}

static ssize_t available_instances_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);

	if (!uacce->ops->get_available_instances)
		return -ENODEV;
	return sysfs_emit(buf, "%d\n",
			  uacce->ops->get_available_instances(uacce));
}

static ssize_t algorithms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);

	return sysfs_emit(buf, "%s\n", uacce->algs ? uacce->algs : "");
}

static ssize_t node_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", to_uacce_device(dev)->node);
}

static ssize_t numa_distance_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	int node = to_uacce_device(dev)->node;

	/* A device on no node is as near to every CPU as local memory. */
	if (node == NUMA_NO_NODE)
		return sysfs_emit(buf, "%d\n", LOCAL_DISTANCE);
	return sysfs_emit(buf, "%d\n",
			  node_distance(numa_node_id(), node));
}

static ssize_t qfrs_offset_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);
	int i, len = 0;

	for (i = 0; i < UACCE_MAX_REGION; i++) {
		if (!uacce->qf_pg_num[i])
			len += sysfs_emit_at(buf, len, "%s-1", i ? " " : "");
		else
			len += sysfs_emit_at(buf, len, "%s%lu", i ? " " : "",
					     (unsigned long)i << PAGE_SHIFT);
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

#define UACCE_REGION_SIZE_ATTR(name, type)				\
static ssize_t region_##name##_size_show(struct device *dev,		\
					 struct device_attribute *attr,	\
					 char *buf)			\
{									\
	struct uacce_device *uacce = to_uacce_device(dev);		\
									\
	return sysfs_emit(buf, "%lu\n",					\
			  uacce->qf_pg_num[type] << PAGE_SHIFT);	\
}									\
static DEVICE_ATTR_RO(region_##name##_size)

UACCE_REGION_SIZE_ATTR(mmio, UACCE_QFRT_MMIO);
UACCE_REGION_SIZE_ATTR(dus, UACCE_QFRT_DUS);
UACCE_REGION_SIZE_ATTR(dko, UACCE_QFRT_DKO);
UACCE_REGION_SIZE_ATTR(ss, UACCE_QFRT_SS);

static ssize_t isolate_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);

	return sysfs_emit(buf, "%d\n", uacce_isolate_state(uacce));
}

static ssize_t isolate_strategy_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce_device(dev);
	unsigned long flags;
	u32 val;

	if (uacce->ops->isolate_err_threshold_read) {
		val = uacce->ops->isolate_err_threshold_read(uacce);
	} else {
		spin_lock_irqsave(&uacce->err_lock, flags);
		val = uacce->isolate_threshold;
		spin_unlock_irqrestore(&uacce->err_lock, flags);
	}
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t isolate_strategy_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct uacce_device *uacce = to_uacce_device(dev);
	unsigned long flags, val;
	int ret;

	if (kstrtoul(buf, 0, &val) < 0)
		return -EINVAL;
	if (val > UACCE_MAX_ERR_THRESHOLD)
		return -EINVAL;
	if (uacce->ops->isolate_err_threshold_write) {
		ret = uacce->ops->isolate_err_threshold_write(uacce, val);
		if (ret)
			return ret;
	}
	/* A new strategy starts from a clean slate and lifts isolation. */
	spin_lock_irqsave(&uacce->err_lock, flags);
	uacce->isolate_threshold = val;
	uacce_err_clear(uacce);
	spin_unlock_irqrestore(&uacce->err_lock, flags);
	return count;
}

static DEVICE_ATTR_RO(api);
static DEVICE_ATTR_RO(flags);
static DEVICE_ATTR_RO(id);
static DEVICE_ATTR_RO(available_instances);
static DEVICE_ATTR_RO(algorithms);
static DEVICE_ATTR_RO(node_id);
static DEVICE_ATTR_RO(numa_distance);
static DEVICE_ATTR_RO(qfrs_offset);
static DEVICE_ATTR_RO(isolate);
static DEVICE_ATTR_RW(isolate_strategy);

static struct attribute *uacce_dev_attrs[] = {
	&dev_attr_api.attr,
	&dev_attr_flags.attr,
	&dev_attr_id.attr,
	&dev_attr_available_instances.attr,
	&dev_attr_algorithms.attr,
	&dev_attr_node_id.attr,
	&dev_attr_numa_distance.attr,
	&dev_attr_qfrs_offset.attr,
	&dev_attr_region_mmio_size.attr,
	&dev_attr_region_dus_size.attr,
	&dev_attr_region_dko_size.attr,
	&dev_attr_region_ss_size.attr,
	&dev_attr_isolate.attr,
	&dev_attr_isolate_strategy.attr,
	NULL,
};
ATTRIBUTE_GROUPS(uacce_dev);

/* ---- driver API -------------------------------------------------------- */

static void uacce_release(struct device *dev)
{
	struct uacce_device *uacce = to_uacce_device(dev);
	unsigned long flags;

	spin_lock_irqsave(&uacce->err_lock, flags);
	uacce_err_clear(uacce);
	spin_unlock_irqrestore(&uacce->err_lock, flags);
	mutex_destroy(&uacce->mutex);
	kfree(uacce);
}

/**
 * uacce_alloc() - allocate a uacce device
 * @parent: the accelerator's device; its NUMA node becomes the device's node
 * @interface: name, flags and operations of the driver
 *
 * The driver then fills in @algs, @api_ver, @qf_pg_num and @priv of the
 * returned device and calls uacce_register(). Until uacce_register()
 * succeeds, uacce_remove() frees the device.
 *
 * Return: the device, or an ERR_PTR(): -EINVAL for a bad @interface,
 * -ENOMEM, -ENOSPC when all ids are taken.
 */
struct uacce_device *uacce_alloc(struct device *parent,
				 struct uacce_interface *interface)
{
	struct uacce_device *uacce;
	int ret;

	if (!parent || !interface || !interface->ops || !interface->name[0])
		return ERR_PTR(-EINVAL);

	uacce = kzalloc(sizeof(*uacce), GFP_KERNEL);
	if (!uacce)
		return ERR_PTR(-ENOMEM);

	uacce->parent = parent;
	uacce->flags = interface->flags;
	uacce->ops = interface->ops;
	mutex_init(&uacce->mutex);
	INIT_LIST_HEAD(&uacce->queues);
	spin_lock_init(&uacce->err_lock);
	INIT_LIST_HEAD(&uacce->errors);
	uacce_enable_sva(uacce);

	ret = xa_alloc(&uacce_xa, &uacce->dev_id, NULL,
		       XA_LIMIT(0, UACCE_MAX_DEVICES - 1), GFP_KERNEL);
	if (ret < 0) {
		uacce_disable_sva(uacce);
		kfree(uacce);
		return ERR_PTR(ret);
	}

	device_initialize(&uacce->dev);
	uacce->dev.devt = MKDEV(MAJOR(uacce_devt), uacce->dev_id);
	uacce->dev.class = uacce_class;
	uacce->dev.groups = uacce_dev_groups;
	uacce->dev.parent = parent;
	uacce->dev.release = uacce_release;
	ret = dev_set_name(&uacce->dev, "%s-%u", interface->name,
			   uacce->dev_id);
	if (ret) {
		xa_erase(&uacce_xa, uacce->dev_id);
		uacce_disable_sva(uacce);
		put_device(&uacce->dev);
		return ERR_PTR(ret);
	}
	return uacce;
}
EXPORT_SYMBOL_GPL(uacce_alloc);

/**
 * uacce_register() - make the device visible to user space
 * @uacce: a device from uacce_alloc(), with its fields filled in
 *
 * Creates /dev/<name>-<id> and its sysfs directory. Queues may be opened
 * (and ops called) as soon as this returns, and even before it does.
 *
 * Return: 0 or -errno.
 */
int uacce_register(struct uacce_device *uacce)
{
	int ret;

	if (!uacce)
		return -ENODEV;

	uacce->cdev = cdev_alloc();
	if (!uacce->cdev)
		return -ENOMEM;
	uacce->cdev->ops = &uacce_fops;
	uacce->cdev->owner = THIS_MODULE;
	/* Cached: the parent may be gone before the last queue closes. */
	uacce->node = dev_to_node(uacce->parent);

	/* Publish the id only now: open() looks the device up by it. */
	mutex_lock(&uacce->mutex);
	uacce->registered = true;
	mutex_unlock(&uacce->mutex);
	xa_store(&uacce_xa, uacce->dev_id, uacce, GFP_KERNEL);

	ret = cdev_device_add(uacce->cdev, &uacce->dev);
	if (ret) {
		xa_store(&uacce_xa, uacce->dev_id, NULL, GFP_KERNEL);
		mutex_lock(&uacce->mutex);
		uacce->registered = false;
		mutex_unlock(&uacce->mutex);
		/*
		 * No kobject_put(): cdev_device_add() already deleted the cdev
		 * when device_add() failed, and when cdev_add() failed a put
		 * would drop a parent reference that was never taken. The
		 * small cdev is leaked on this rare path instead.
		 */
		uacce->cdev = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(uacce_register);

/**
 * uacce_remove() - remove a device, even with open, mapped or busy queues
 * @uacce: the device (NULL is allowed and ignored)
 *
 * Every queue is killed as by UACCE_CMD_REVOKE: stopped, its instance given
 * back with put_queue, its mappings replaced by a zero page; owners see
 * -ENODEV from then on. No ops are called after this returns, so the driver
 * may free its resources and its module may be unloaded; the uacce_device
 * itself lives on until the last file is closed and must not be touched by
 * the driver any more. May sleep; call it without driver locks that ops
 * take.
 */
void uacce_remove(struct uacce_device *uacce)
{
	struct uacce_queue *q;

	if (!uacce)
		return;

	/*
	 * From here open() fails. Holding uacce->mutex keeps release() from
	 * freeing queues while we walk the list; killing takes the owner's
	 * mmap_lock and q->mutex, which come after uacce->mutex.
	 */
	mutex_lock(&uacce->mutex);
	uacce->removed = true;
	list_for_each_entry(q, &uacce->queues, list)
		uacce_q_kill(q);
	/* No queue is bound any more. */
	uacce_disable_sva(uacce);
	mutex_unlock(&uacce->mutex);

	if (uacce->cdev)
		cdev_device_del(uacce->cdev, &uacce->dev);
	xa_erase(&uacce_xa, uacce->dev_id);

	/*
	 * Pending opens found the device before xa_erase and hold a reference;
	 * they see 'removed' and fail. Make late bugs NULL dereferences.
	 */
	mutex_lock(&uacce->mutex);
	uacce->ops = NULL;
	uacce->parent = NULL;
	mutex_unlock(&uacce->mutex);
	put_device(&uacce->dev);
}
EXPORT_SYMBOL_GPL(uacce_remove);

/**
 * uacce_alg_index() - position of an algorithm in the device's list
 * @uacce: the device; its algs string is set
 * @name: algorithm name, as listed in the "algorithms" attribute
 *
 * A driver looks its algorithms up once (at register time) and tests the
 * index on the data path with uacce_q_alg_allowed().
 *
 * Return: the index, -ENOENT if @name is not listed, -E2BIG if it is
 * listed too far down to be restricted.
 */
int uacce_alg_index(struct uacce_device *uacce, const char *name)
{
	return uacce_alg_lookup(uacce->algs, name, strlen(name));
}
EXPORT_SYMBOL_GPL(uacce_alg_index);

/**
 * uacce_q_alg_allowed() - may this queue run this algorithm?
 * @q: the queue, between get_queue and put_queue
 * @index: from uacce_alg_index(); negative means "not listed"
 *
 * Lockless; a concurrent UACCE_CMD_RESTRICT_ALGS takes effect for the
 * descriptors the driver looks at after it returns.
 *
 * Return: false if the queue's owner (or a holder of its fd) restricted
 * the queue to other algorithms, or if @index is negative.
 */
bool uacce_q_alg_allowed(struct uacce_queue *q, int index)
{
	if (index < 0 || index >= UACCE_MAX_ALGS)
		return false;
	return READ_ONCE(q->algs_allowed) & BIT_ULL(index);
}
EXPORT_SYMBOL_GPL(uacce_q_alg_allowed);

/**
 * uacce_wake_up() - tell pollers of a queue that completions are waiting
 * @q: the queue
 *
 * Pollers then call ops->is_q_updated. Callable from any context, including
 * interrupt handlers, as long as @q is between get_queue and put_queue.
 */
void uacce_wake_up(struct uacce_queue *q)
{
	if (unlikely(!q))
		return;
	wake_up_interruptible(&q->wait);
}
EXPORT_SYMBOL_GPL(uacce_wake_up);

/**
 * uacce_hw_error() - count a hardware error of a device
 * @uacce: the device
 *
 * When more than isolate_strategy errors (sysfs) happened within the last
 * hour, the device is isolated: the "isolate" attribute reads 1 and open()
 * fails with -EIO until an administrator writes isolate_strategy again.
 * An isolate_strategy of 0 never isolates. Callable from any context.
 */
void uacce_hw_error(struct uacce_device *uacce)
{
	struct uacce_err *e;
	unsigned long flags;

	if (!uacce)
		return;
	e = kzalloc(sizeof(*e), GFP_ATOMIC);

	spin_lock_irqsave(&uacce->err_lock, flags);
	uacce_err_prune(uacce);
	if (e) {
		e->when = jiffies;
		list_add_tail(&e->list, &uacce->errors);
		uacce->nr_errors++;
		e = NULL;
	}
	if (uacce->isolate_threshold && !uacce->isolated &&
	    uacce->nr_errors > uacce->isolate_threshold) {
		uacce->isolated = true;
		dev_warn(&uacce->dev, "isolated: %u hardware errors within an hour\n",
			 uacce->nr_errors);
	}
	/* Keep no more history than the threshold needs. */
	while (uacce->nr_errors > uacce->isolate_threshold + 1) {
		e = list_first_entry(&uacce->errors, struct uacce_err, list);
		list_del(&e->list);
		kfree(e);
		uacce->nr_errors--;
	}
	spin_unlock_irqrestore(&uacce->err_lock, flags);
}
EXPORT_SYMBOL_GPL(uacce_hw_error);

/* ---- module ------------------------------------------------------------ */

/* debugfs uacce/live: "name count" lines, for leak checks in tests. */
static int uacce_live_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "queues %ld\nss_regions %ld\nss_pages %ld\n",
		   atomic_long_read(&uacce_live_queues),
		   atomic_long_read(&uacce_live_ss_regions),
		   atomic_long_read(&uacce_live_ss_pages));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(uacce_live);

static int __init uacce_init(void)
{
	int ret;

	uacce_class = wd_class_create(UACCE_NAME);
	if (IS_ERR(uacce_class))
		return PTR_ERR(uacce_class);

	ret = alloc_chrdev_region(&uacce_devt, 0, UACCE_MAX_DEVICES, UACCE_NAME);
	if (ret) {
		class_destroy(uacce_class);
		return ret;
	}
	uacce_dbg = debugfs_create_dir(UACCE_NAME, NULL);
	debugfs_create_file("live", 0444, uacce_dbg, NULL, &uacce_live_fops);
	return 0;
}

static void __exit uacce_exit(void)
{
	debugfs_remove_recursive(uacce_dbg);
	unregister_chrdev_region(uacce_devt, UACCE_MAX_DEVICES);
	class_destroy(uacce_class);
	xa_destroy(&uacce_xa);
}

module_init(uacce_init);
module_exit(uacce_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WarpDrive uacce: user-space access to accelerators");
