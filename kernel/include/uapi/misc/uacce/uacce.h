/* SPDX-License-Identifier: GPL-2.0+ WITH Linux-syscall-note */
/*
 * uacce user API: the control path of a WarpDrive queue.
 *
 * Every value mainline Linux defines keeps its mainline number, so user space
 * written for mainline uacce runs unchanged. WarpDrive's additions take new
 * numbers and are marked as such.
 *
 * Coexistence with mainline's header: a program may include both this file
 * and the kernel's <misc/uacce/uacce.h> (or <uapi/misc/uacce/uacce.h>), in
 * either order. What mainline defines sits below under mainline's own
 * guard, in both of its spellings (_UAPIUUACCE_H in the kernel source,
 * UUACCE_H once installed), with the same values, so it is defined once
 * whichever header comes first; WarpDrive's additions have their own guard.
 */
#if !defined(_UAPIUUACCE_H) && !defined(UUACCE_H)
#define _UAPIUUACCE_H
#define UUACCE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * UACCE_CMD_START_Q: start the queue and bind it to the caller's address
 * space. From then on only that address space may use the queue (mmap,
 * ioctl, poll); any other gets -EPERM. (A queue mapped before it is
 * started is bound by that first mmap.) Starting a started queue gives
 * -EINVAL; a queue stopped by PUT_Q starts again.
 */
#define UACCE_CMD_START_Q	_IO('W', 0)

/*
 * UACCE_CMD_PUT_Q: stop the queue now, as mainline does: the driver stops
 * processing, the instance and the mappings stay with the file until the
 * last close. PUT_Q of a queue that is not started succeeds and does
 * nothing; START_Q starts a stopped queue again.
 */
#define UACCE_CMD_PUT_Q		_IO('W', 1)

/* UACCE_DEV_SVA: shared virtual addresses (sysfs "flags", bit 0). */
#define UACCE_DEV_SVA		(1U << 0)

/**
 * enum uacce_qfrt - queue file region type, selected by mmap's vm_pgoff
 * @UACCE_QFRT_MMIO: device MMIO (doorbell, status)
 * @UACCE_QFRT_DUS: device user share (rings)
 *
 * WarpDrive's further regions follow, with their own guard.
 */
enum uacce_qfrt {
	UACCE_QFRT_MMIO = 0,
	UACCE_QFRT_DUS = 1,
};

#endif /* _UAPIUUACCE_H */

#ifndef _UAPI_MISC_UACCE_WD_H
#define _UAPI_MISC_UACCE_WD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Mainline's installed header spells UACCE_DEV_SVA BIT(0), which user space
 * does not define: when that header came first, give it a usable spelling
 * of the same value.
 */
#undef UACCE_DEV_SVA
#define UACCE_DEV_SVA		(1U << 0)

/*
 * Regions WarpDrive adds to enum uacce_qfrt (same numbering):
 * UACCE_QFRT_DKO: device kernel only; mapping it reserves the range with
 *                 no access (see Documentation/uacce.rst)
 * UACCE_QFRT_SS:  static shared memory
 * UACCE_QFRT_MAX: number of region types
 */
enum {
	UACCE_QFRT_DKO = 2,
	UACCE_QFRT_SS = 3,
	UACCE_QFRT_MAX = 4,
};

/*
 * WarpDrive additions.
 *
 * UACCE_CMD_SHARE_SVAS: issued on the *target* queue with the fd of a source
 * queue as argument: the target's device may then use the source queue's
 * static shared (SS) region. Both queues must belong to the caller.
 *
 * UACCE_CMD_GET_SS_DMA: the DMA address of the queue's SS region, for
 * NOIOMMU devices (the caller must hold CAP_SYS_RAWIO; the kernel is tainted).
 *
 * UACCE_CMD_REVOKE: stop the queue and give its instance back to the device.
 * Allowed, through any fd of the queue, to the process that opened it, to a
 * process running as the user that opened it, or to CAP_SYS_ADMIN. The owner's mappings stay valid but read as zero
 * (see Documentation/uacce.rst, "Dead queues"); every later call fails with
 * -ENODEV and poll reports EPOLLERR | EPOLLHUP.
 *
 * UACCE_CMD_QINFO: describe the queue (struct uacce_qinfo).
 */
#define UACCE_CMD_SHARE_SVAS	_IO('W', 2)
#define UACCE_CMD_GET_SS_DMA	_IOR('W', 3, __u64)
#define UACCE_CMD_REVOKE	_IO('W', 4)
#define UACCE_CMD_QINFO		_IOR('W', 5, struct uacce_qinfo)

/*
 * UACCE_CMD_RESTRICT_ALGS (WarpDrive addition): narrow the algorithms the
 * device will run for this queue. Before START_Q any holder of the fd may
 * call it (a broker narrows a queue before passing it on); after START_Q
 * only the process that started the queue may (-EPERM for any other, as
 * for the rest of the data path). Each call intersects with the current
 * set (a set can only shrink, as with seccomp). An unknown name, an empty
 * list, flags != 0, len == 0 or len > UACCE_ALGS_MAX_LEN, or names not
 * NUL-terminated exactly at len give -EINVAL; a dead queue -ENODEV. The
 * device then refuses descriptors of other algorithms (wdsoft: status
 * -EPERM, see wdsoft.h).
 */
#define UACCE_CMD_RESTRICT_ALGS	_IOW('W', 6, struct uacce_algs)

#define UACCE_ALGS_MAX_LEN	4096

/**
 * struct uacce_algs - argument of UACCE_CMD_RESTRICT_ALGS
 * @names: user pointer to names taken from the device's "algorithms"
 *	attribute, separated by spaces (tabs and newlines also accepted),
 *	NUL-terminated
 * @len: bytes at @names including the NUL, at most UACCE_ALGS_MAX_LEN
 * @flags: must be 0
 */
struct uacce_algs {
	__u64 names;
	__u32 len;
	__u32 flags;
};

/* First ioctl number a driver may use for its own commands (ops->ioctl). */
#define UACCE_CMD_DRIVER_BASE	0x40

/*
 * Device flags (sysfs "flags", decimal as in mainline), beside mainline's
 * UACCE_DEV_SVA (shared virtual addresses: PASID + faults from the device):
 * UACCE_DEV_NOIOMMU: no IOMMU; descriptors carry DMA addresses of the SS
 *                    region. WarpDrive addition.
 * UACCE_DEV_SS:      the device works on a static shared region that uacce
 *                    allocates (UACCE_QFRT_SS). WarpDrive addition.
 */
#define UACCE_DEV_NOIOMMU	(1U << 1)
#define UACCE_DEV_SS		(1U << 2)

/* Queue states as reported by UACCE_CMD_QINFO. */
enum uacce_qstate {
	UACCE_QSTATE_INIT = 1,
	UACCE_QSTATE_STARTED = 2,
	UACCE_QSTATE_STOPPED = 3,	/* PUT_Q */
	UACCE_QSTATE_DEAD = 4,		/* revoked or device removed */
};

/**
 * struct uacce_qinfo - answer of UACCE_CMD_QINFO
 * @state: enum uacce_qstate
 * @flags: device flags (UACCE_DEV_*)
 * @node: NUMA node of the device, -1 if none
 * @dev_id: device id (the N of /dev/uaN)
 * @region_size: size in bytes of each region, 0 if absent
 */
struct uacce_qinfo {
	__u32 state;
	__u32 flags;
	__s32 node;
	__u32 dev_id;
	__u64 region_size[UACCE_QFRT_MAX];
};

#endif /* _UAPI_MISC_UACCE_WD_H */
