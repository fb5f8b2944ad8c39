/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels the modules build against:
 * Debian 12's own 6.1 and bookworm-backports' 6.12. This header holds every
 * kernel version check of kernel/; the .c files call the wd_* names below
 * and never test LINUX_VERSION_CODE themselves. A kernel that changes one
 * more interface gets one more entry here, next to the version that changed
 * it.
 */
#ifndef _WD_COMPAT_H
#define _WD_COMPAT_H

#include <linux/device.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/version.h>

/* True when building against kernel MAJOR.MINOR or newer. */
#define WD_KERNEL_AT_LEAST(major, minor) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(major, minor, 0))

/* 6.12 moved the unaligned accessors out of asm/. */
#if WD_KERNEL_AT_LEAST(6, 12)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* Mainline dropped pfn_t after 6.12 (6.17); both our kernels still use it. */
#if !WD_KERNEL_AT_LEAST(6, 17)
#include <linux/pfn_t.h>
#endif

/*
 * WD_MAX_PAGE_ORDER - the largest order the page allocator hands out.
 * Before 6.4, MAX_ORDER was one past it; 6.4 made MAX_ORDER that order
 * itself, and 6.8 renamed it MAX_PAGE_ORDER.
 */
#if WD_KERNEL_AT_LEAST(6, 8)
#define WD_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif WD_KERNEL_AT_LEAST(6, 4)
#define WD_MAX_PAGE_ORDER	MAX_ORDER
#else
#define WD_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/**
 * wd_vm_flags_set() - set flags on a VMA being set up by mmap
 * @vma: the VMA, with the mmap lock held for writing
 * @flags: VM_* flags to add
 *
 * vm_flags is read-only since 6.3; vm_flags_set() does the update.
 */
static inline void wd_vm_flags_set(struct vm_area_struct *vma,
				   vm_flags_t flags)
{
#if WD_KERNEL_AT_LEAST(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/**
 * wd_vm_flags_clear() - clear flags on a VMA being set up by mmap
 * @vma: the VMA, with the mmap lock held for writing
 * @flags: VM_* flags to remove
 *
 * The counterpart of wd_vm_flags_set(), for the same reason.
 */
static inline void wd_vm_flags_clear(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if WD_KERNEL_AT_LEAST(6, 3)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/**
 * wd_class_create() - create a device class owned by this module
 * @name: the class name
 *
 * 6.4 dropped the owner argument of class_create().
 *
 * Return: the class, or an ERR_PTR().
 */
#if WD_KERNEL_AT_LEAST(6, 4)
#define wd_class_create(name)	class_create(name)
#else
#define wd_class_create(name)	class_create(THIS_MODULE, name)
#endif

/**
 * wd_get_user_pages_remote() - get_user_pages_remote() without VMAs
 * @mm: the address space
 * @start: first user address
 * @nr_pages: pages wanted
 * @gup_flags: FOLL_* flags
 * @pages: where the pages go, or NULL to only fault them in
 * @locked: as for get_user_pages_remote()
 *
 * 6.5 dropped the vmas argument, which no caller of ours uses.
 *
 * Return: the number of pages got, or a negative errno.
 */
static inline long wd_get_user_pages_remote(struct mm_struct *mm,
					    unsigned long start,
					    unsigned long nr_pages,
					    unsigned int gup_flags,
					    struct page **pages, int *locked)
{
#if WD_KERNEL_AT_LEAST(6, 5)
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#else
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#endif
}

/**
 * wd_vmf_insert_mixed() - insert a page frame into a VM_MIXEDMAP VMA
 * @vma: the VMA
 * @addr: the faulting user address
 * @pfn: the page frame number
 *
 * Return: a VM_FAULT_* code.
 */
static inline vm_fault_t wd_vmf_insert_mixed(struct vm_area_struct *vma,
					     unsigned long addr,
					     unsigned long pfn)
{
#if WD_KERNEL_AT_LEAST(6, 17)
	return vmf_insert_mixed(vma, addr, pfn);
#else
	return vmf_insert_mixed(vma, addr, pfn_to_pfn_t(pfn));
#endif
}

/**
 * wd_iommu_sva_bind_device() - bind a device to an address space
 * @dev: the device behind an IOMMU
 * @mm: the address space
 *
 * 6.2 dropped the driver-data argument, which we never passed.
 *
 * Return: the binding, or an ERR_PTR().
 */
static inline struct iommu_sva *wd_iommu_sva_bind_device(struct device *dev,
							 struct mm_struct *mm)
{
#if WD_KERNEL_AT_LEAST(6, 2)
	return iommu_sva_bind_device(dev, mm);
#else
	return iommu_sva_bind_device(dev, mm, NULL);
#endif
}

/*
 * wd_fd_file() - the file of a struct fd from fdget(), NULL if none.
 * 6.12 packed struct fd into one word and added fd_file() to read it.
 */
#if WD_KERNEL_AT_LEAST(6, 12)
#define wd_fd_file(f)	fd_file(f)
#else
#define wd_fd_file(f)	((f).file)
#endif

#endif /* _WD_COMPAT_H */
