// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft: the WarpDrive software accelerator.
 *
 * Every machine has this device. It registers with uacce as /dev/wdsoft-<id>
 * (api "wdsoft_v1", rings as <misc/uacce/wdsoft.h> describes) and processes
 * the rings in kernel threads, as a hardware engine would (engine.c), with
 * real algorithms (ops.c). Module parameters choose how many devices, on
 * which NUMA nodes, in which address mode, with how many queues, how deep the
 * rings are and which algorithms are enabled. With uacce_mode=0 the engine
 * registers with the kernel crypto API instead (crypto.c).
 *
 * A queue's MMIO page and DUS rings are kernel pages (a page and a vmalloc
 * area), allocated at open() (get_queue) on the device's node and inserted
 * into the owner's VMAs page by page; the mapping holds page references, so
 * freeing them at put_queue is safe even if a mapping were still there.
 *
 * Locking: sdev->lock protects the free instance count; the engine mutex
 * (engine.c) covers attached queues. uacce serialises get/put/start/stop of
 * one queue.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/uacce.h>
#include <linux/vmalloc.h>
#include <wd_compat.h>

#include "soft.h"

#define WDSOFT_DRV_NAME "wdsoft"

static unsigned int num_devices;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Number of devices (default 0: one per online NUMA node)");

static int nodes[WDSOFT_MAX_DEVICES];
static unsigned int nr_nodes;
module_param_array(nodes, int, &nr_nodes, 0444);
MODULE_PARM_DESC(nodes, "NUMA node of each device, -1 for none (default: online nodes in turn)");

static char *modes[WDSOFT_MAX_DEVICES];
static unsigned int nr_modes;
module_param_array(modes, charp, &nr_modes, 0444);
MODULE_PARM_DESC(modes, "Mode of each device: sva, ss or noiommu; the last one given repeats (default sva)");

static unsigned int queues = 16;
module_param(queues, uint, 0444);
MODULE_PARM_DESC(queues, "Queues per device, its available_instances (default 16)");

static unsigned int ring_depth = 256;
module_param(ring_depth, uint, 0444);
MODULE_PARM_DESC(ring_depth, "Entries per ring, a power of two from 2 to 4096 (default 256)");

static char *algs = "memcpy,crc32c,sha256,deflate";
module_param(algs, charp, 0444);
MODULE_PARM_DESC(algs, "Enabled algorithms: memcpy, crc32c, sha256, deflate (covers inflate and zlib)");

unsigned int wdsoft_idle_us = 2000;
module_param_named(idle_us, wdsoft_idle_us, uint, 0644);
MODULE_PARM_DESC(idle_us, "Idle time in microseconds before an engine parks and asks for a wake-up (default 2000)");

atomic_long_t wdsoft_live_queues;
atomic_long_t wdsoft_live_pages;
atomic_long_t wdsoft_live_page_reqs;

static unsigned int threads = 1;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Engine threads per device (default 1)");

static unsigned int ss_pages = 1024;
module_param(ss_pages, uint, 0444);
MODULE_PARM_DESC(ss_pages, "Size in pages of a queue's static shared region in ss and noiommu modes (default 1024)");

/* wdsoft has no kernel-only memory: the region is advertised, never backed. */
static unsigned int dko_pages;
module_param(dko_pages, uint, 0444);
MODULE_PARM_DESC(dko_pages, "Size in pages of the device-kernel-only (DKO) region each queue advertises, 0 to 1024 (default 0: none)");

static int uacce_mode = 1;
module_param(uacce_mode, int, 0444);
MODULE_PARM_DESC(uacce_mode, "1: uacce devices (default); 0: register crc32c, sha256, deflate with the crypto API instead");

static struct wdsoft_dev *wdsoft_devs[WDSOFT_MAX_DEVICES];
static unsigned int wdsoft_nr_devs;

static const char * const wdsoft_op_names[WDSOFT_OP_MAX] = {
	[WDSOFT_OP_MEMCPY] = "memcpy",
	[WDSOFT_OP_CRC32C] = "crc32c",
	[WDSOFT_OP_SHA256] = "sha256",
	[WDSOFT_OP_DEFLATE] = "deflate",
};

static int wdsoft_get_available_instances(struct uacce_device *uacce)
{
	struct wdsoft_dev *sdev = uacce->priv;

	return READ_ONCE(sdev->free_queues);
}

static int wdsoft_get_queue(struct uacce_device *uacce, unsigned long arg,
			    struct uacce_queue *q)
{
	struct wdsoft_dev *sdev = uacce->priv;
	static atomic_t next_id = ATOMIC_INIT(0);
	struct page *mmio = NULL;
	struct wdsoft_queue *wq;
	int r = -ENOMEM;

	spin_lock(&sdev->lock);
	if (!sdev->free_queues) {
		spin_unlock(&sdev->lock);
		return -EBUSY;
	}
	sdev->free_queues--;
	spin_unlock(&sdev->lock);

	wq = kzalloc_node(sizeof(*wq), GFP_KERNEL, sdev->node);
	if (!wq)
		goto err_put;
	mmio = alloc_pages_node(sdev->node, GFP_KERNEL | __GFP_ZERO, 0);
	if (mmio)
		wq->mmio = page_address(mmio);
	wq->dus = vzalloc_node(sdev->dus_size, sdev->node);
	if (!wq->mmio || !wq->dus)
		goto err_free;

	atomic_long_inc(&wdsoft_live_queues);
	wq->uq = q;
	wq->sdev = sdev;
	INIT_LIST_HEAD(&wq->node);
	wq->id = atomic_inc_return(&next_id);
	wq->engine_pref = -1;
	wq->mask = sdev->sq_entries - 1;
	wq->hdr = wq->dus;
	wq->sq = wq->dus + sizeof(struct wdsoft_dus_hdr);
	wq->cq = (void *)(wq->sq + sdev->sq_entries);

	/* Geometry is in place before anything can be mapped. */
	wq->mmio->magic = WDSOFT_MAGIC;
	wq->mmio->version = WDSOFT_VERSION;
	wq->mmio->mode = sdev->mode;
	wq->mmio->sq_entries = sdev->sq_entries;
	wq->mmio->cq_entries = sdev->sq_entries;
	wq->mmio->sq_offset = (void *)wq->sq - wq->dus;
	wq->mmio->cq_offset = (void *)wq->cq - wq->dus;
	wq->mmio->dus_size = sdev->dus_size;
	wq->mmio->features = WDSOFT_FEAT_ENGINE_CPU | WDSOFT_FEAT_HASH_STATE |
			     WDSOFT_FEAT_INFLATE_EXACT | WDSOFT_FEAT_IRQ_AT;
	wq->mmio->engine_cpu = WDSOFT_ENGINE_CPU_NONE;
	q->priv = wq;
	return 0;

err_free:
	vfree(wq->dus);
	if (mmio)
		__free_page(mmio);
	kfree(wq);
err_put:
	spin_lock(&sdev->lock);
	sdev->free_queues++;
	spin_unlock(&sdev->lock);
	return r;
}

static void wdsoft_put_queue(struct uacce_queue *q)
{
	struct wdsoft_queue *wq = q->priv;
	struct wdsoft_dev *sdev;

	if (!wq)
		return;
	sdev = wq->sdev;
	/* uacce stops a started queue first; be safe if it did not. */
	wdsoft_engine_detach(wq);
	q->priv = NULL;
	vfree(wq->dus);
	free_page((unsigned long)wq->mmio);
	kfree(wq);
	atomic_long_dec(&wdsoft_live_queues);
	spin_lock(&sdev->lock);
	sdev->free_queues++;
	spin_unlock(&sdev->lock);
}

static int wdsoft_start_queue(struct uacce_queue *q)
{
	struct wdsoft_queue *wq = q->priv;

	if (!wq)
		return -ENODEV;
	if (wq->eng)
		return -EBUSY;
	wdsoft_engine_attach(wq);
	return 0;
}

static void wdsoft_stop_queue(struct uacce_queue *q)
{
	struct wdsoft_queue *wq = q->priv;

	if (wq)
		wdsoft_engine_detach(wq);
}

/*
 * poll's readiness: a completion waits and, while the consumer armed
 * WDSOFT_IRQ_AT, its moment has come (the rule the engine wakes by), so a
 * poller waiting for a batch is not told about its first completion.
 * Called under q->mutex, which excludes stop_queue; the engine runs
 * meanwhile, hence the lockless reads (see wdsoft_queue_irq() for the
 * barriers: a completion that makes us ready after this check wakes us).
 */
static int wdsoft_is_q_updated(struct uacce_queue *q)
{
	struct wdsoft_queue *wq = q->priv;

	if (!wq)
		return 0;
	/* Our own cq_tail, not the shared copy user space could overwrite. */
	if (READ_ONCE(wq->cq_tail) == READ_ONCE(wq->hdr->cq_head))
		return 0;
	if (smp_load_acquire(&wq->mmio->irq_armed) != WDSOFT_IRQ_AT)
		return 1;
	return wdsoft_queue_irq_at_due(wq);
}

static int wdsoft_mmap(struct uacce_queue *q, struct vm_area_struct *vma,
		       struct uacce_qfile_region *qfr)
{
	struct wdsoft_queue *wq = q->priv;
	unsigned long i, npages = vma_pages(vma);
	size_t size;
	void *base;
	int r;

	if (!wq)
		return -ENODEV;
	switch (qfr->type) {
	case UACCE_QFRT_MMIO:
		base = wq->mmio;
		size = PAGE_SIZE;
		break;
	case UACCE_QFRT_DUS:
		base = wq->dus;
		size = wq->sdev->dus_size;
		break;
	default:
		return -EINVAL;
	}
	if (npages != size >> PAGE_SHIFT)
		return -EINVAL;
	for (i = 0; i < npages; i++) {
		void *p = base + i * PAGE_SIZE;

		r = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				   is_vmalloc_addr(p) ? vmalloc_to_page(p) :
							virt_to_page(p));
		if (r)
			return r;
	}
	return 0;
}

/* WDSOFT_CMD_SET_ENGINE: queue context, set before START_Q. */
static long wdsoft_set_engine(struct wdsoft_queue *wq, u32 __user *arg)
{
	u32 engine;

	if (get_user(engine, arg))
		return -EFAULT;
	if (wq->eng)
		return -EBUSY;		/* started: PUT_Q first */
	if (engine == WDSOFT_ENGINE_ANY) {
		wq->engine_pref = -1;
		return 0;
	}
	if (engine >= wq->sdev->nr_engines)
		return -EINVAL;
	wq->engine_pref = engine;
	return 0;
}

/*
 * Driver commands, in any state of the queue but dead: uacce runs them
 * serialized with start_queue and stop_queue, so wq->eng says whether the
 * queue is started.
 */
static long wdsoft_ioctl(struct uacce_queue *q, unsigned int cmd,
			 unsigned long arg)
{
	struct wdsoft_queue *wq = q->priv;

	if (!wq)
		return -ENODEV;
	switch (cmd) {
	case WDSOFT_CMD_WAKE:
		if (!wq->eng)
			return -EINVAL;	/* nothing to wake: START_Q first */
		wdsoft_engine_kick(wq->eng);
		return 0;
	case WDSOFT_CMD_SET_ENGINE:
		return wdsoft_set_engine(wq, (u32 __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct uacce_ops wdsoft_uacce_ops = {
	.get_available_instances = wdsoft_get_available_instances,
	.get_queue = wdsoft_get_queue,
	.put_queue = wdsoft_put_queue,
	.start_queue = wdsoft_start_queue,
	.stop_queue = wdsoft_stop_queue,
	.is_q_updated = wdsoft_is_q_updated,
	.mmap = wdsoft_mmap,
	.ioctl = wdsoft_ioctl,
};

/* Parse the algs parameter into a mask of operations. */
static int wdsoft_parse_algs(unsigned long *mask)
{
	char *buf, *p, *tok;
	int i, r = 0;

	*mask = 0;
	buf = kstrdup(algs ? algs : "", GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = buf;
	while ((tok = strsep(&p, ",\n"))) {
		if (!*tok)
			continue;
		if (!strcmp(tok, "inflate") || !strcmp(tok, "zlib"))
			tok = "deflate";
		for (i = 0; i < WDSOFT_OP_MAX; i++)
			if (wdsoft_op_names[i] && !strcmp(wdsoft_op_names[i], tok))
				break;
		if (i == WDSOFT_OP_MAX) {
			pr_err("wdsoft: unknown algorithm '%s' in algs=; known: memcpy, crc32c, sha256, deflate\n",
			       tok);
			r = -EINVAL;
			break;
		}
		*mask |= BIT(i);
		/* One engine does both directions and both formats. */
		if (i == WDSOFT_OP_DEFLATE)
			*mask |= BIT(WDSOFT_OP_INFLATE);
	}
	kfree(buf);
	return r;
}

static void wdsoft_format_algs(struct wdsoft_dev *sdev)
{
	size_t n = 0;
	int i;

	sdev->algs[0] = 0;
	for (i = 0; i < WDSOFT_OP_MAX; i++) {
		if (!(sdev->ops_mask & BIT(i)) || !wdsoft_op_names[i])
			continue;
		n += scnprintf(sdev->algs + n, sizeof(sdev->algs) - n, "%s%s",
			       n ? "\n" : "", wdsoft_op_names[i]);
		if (i == WDSOFT_OP_DEFLATE)
			n += scnprintf(sdev->algs + n, sizeof(sdev->algs) - n,
				       "\nzlib");
	}
}

/*
 * The algorithm of each op, as an index into the device's algorithm list
 * for uacce_q_alg_allowed(): deflate and inflate are "deflate", or "zlib"
 * with WDSOFT_SQE_ZLIB. -1 for an op the device does not offer.
 */
static void wdsoft_map_algs(struct wdsoft_dev *sdev, struct uacce_device *uacce)
{
	int i;

	for (i = 0; i < WDSOFT_OP_MAX; i++) {
		const char *name = wdsoft_op_names[i];
		bool z = i == WDSOFT_OP_DEFLATE || i == WDSOFT_OP_INFLATE;

		if (z)
			name = wdsoft_op_names[WDSOFT_OP_DEFLATE];
		sdev->alg_idx[i][0] = name ? uacce_alg_index(uacce, name) : -1;
		sdev->alg_idx[i][1] = z ? uacce_alg_index(uacce, "zlib") :
				      sdev->alg_idx[i][0];
	}
}

static int wdsoft_parse_mode(unsigned int i, u32 *mode)
{
	const char *m;

	if (!nr_modes)
		m = "sva";
	else
		m = modes[min(i, nr_modes - 1)];
	if (!strcmp(m, "sva")) {
		*mode = WDSOFT_MODE_SVA;
	} else if (!strcmp(m, "ss")) {
		*mode = WDSOFT_MODE_SS;
	} else if (!strcmp(m, "noiommu")) {
		*mode = WDSOFT_MODE_NOIOMMU;
	} else {
		pr_err("wdsoft: unknown mode '%s' in modes=; use sva, ss or noiommu\n", m);
		return -EINVAL;
	}
	return 0;
}

/* The node of device @i: nodes= if given, else the online nodes in turn. */
static int wdsoft_pick_node(unsigned int i)
{
	unsigned int k, n = i % num_online_nodes();
	int node;

	if (i < nr_nodes)
		return nodes[i] < 0 ? NUMA_NO_NODE : nodes[i];
	k = 0;
	for_each_online_node(node)
		if (k++ == n)
			return node;
	return NUMA_NO_NODE;
}

/*
 * engine_cpus: where the device's engines may run, for placement in user
 * space (libwd and the broker keep a client off its engine's CPUs, see
 * common/cpuplace.h). A device whose work runs off the host's CPUs has no
 * such attribute.
 */
static ssize_t engine_cpus_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct wdsoft_dev *sdev = dev_get_drvdata(dev);

	return cpumap_print_to_pagebuf(true, buf, wdsoft_engine_home(sdev));
}
static DEVICE_ATTR_RO(engine_cpus);

static struct attribute *wdsoft_pdev_attrs[] = {
	&dev_attr_engine_cpus.attr,
	NULL,
};
ATTRIBUTE_GROUPS(wdsoft_pdev);

/*
 * The parent platform device, on its node. The node must be set between
 * alloc and add: the driver core decides at add time whether the device
 * shows a numa_node attribute (a platform device on no node has none), and
 * user space written for mainline uacce finds devices through
 * /sys/class/uacce/<dev>/device/numa_node.
 */
static int wdsoft_pdev_add(struct wdsoft_dev *sdev)
{
	struct platform_device *pdev;
	int r;

	pdev = platform_device_alloc(WDSOFT_DRV_NAME, sdev->index);
	if (!pdev)
		return -ENOMEM;
	r = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (!r) {
		set_dev_node(&pdev->dev, sdev->node);
		platform_set_drvdata(pdev, sdev);
		pdev->dev.groups = wdsoft_pdev_groups;
		r = platform_device_add(pdev);
	}
	if (r) {
		/* Not added (or its add undone): put, never unregister. */
		platform_device_put(pdev);
		return r;
	}
	sdev->pdev = pdev;
	return 0;
}

static void wdsoft_dev_destroy(struct wdsoft_dev *sdev)
{
	debugfs_remove_recursive(sdev->dbg);
	sdev->dbg = NULL;
	/* uacce_remove stops and puts every queue, mapped or not. */
	if (sdev->uacce)
		uacce_remove(sdev->uacce);
	wdsoft_engines_stop(sdev);
	if (sdev->pdev)
		platform_device_unregister(sdev->pdev);
	kfree(sdev);
}

static int wdsoft_dev_create(unsigned int index, unsigned long ops_mask,
			     struct wdsoft_dev **out)
{
	struct uacce_interface iface = {
		.name = WDSOFT_DRV_NAME,
		.ops = &wdsoft_uacce_ops,
	};
	struct wdsoft_dev *sdev;
	struct uacce_device *uacce;
	size_t dus;
	int r;

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return -ENOMEM;
	sdev->index = index;
	spin_lock_init(&sdev->lock);
	sdev->node = wdsoft_pick_node(index);
	sdev->ops_mask = ops_mask;
	sdev->nr_queues = queues;
	sdev->free_queues = queues;
	sdev->sq_entries = ring_depth;
	dus = sizeof(struct wdsoft_dus_hdr) +
	      (size_t)ring_depth * (sizeof(struct wdsoft_sqe) +
				    sizeof(struct wdsoft_cqe));
	sdev->dus_size = PAGE_ALIGN(dus);
	atomic_set(&sdev->fault.fail_next, 0);
	wdsoft_format_algs(sdev);
	r = wdsoft_parse_mode(index, &sdev->mode);
	if (r)
		goto err;

	if (sdev->node != NUMA_NO_NODE &&
	    (sdev->node >= MAX_NUMNODES || !node_online(sdev->node))) {
		pr_err("wdsoft: node %d of device %u is not online; pick one from /sys/devices/system/node/online or -1\n",
		       sdev->node, index);
		r = -EINVAL;
		goto err;
	}

	r = wdsoft_pdev_add(sdev);
	if (r)
		goto err;

	switch (sdev->mode) {
	case WDSOFT_MODE_SVA:
		iface.flags = UACCE_DEV_SVA;
		break;
	case WDSOFT_MODE_SS:
		iface.flags = UACCE_DEV_SS;
		break;
	case WDSOFT_MODE_NOIOMMU:
		iface.flags = UACCE_DEV_SS | UACCE_DEV_NOIOMMU;
		break;
	}
	uacce = uacce_alloc(&sdev->pdev->dev, &iface);
	if (IS_ERR(uacce)) {
		r = PTR_ERR(uacce);
		goto err;
	}
	sdev->uacce = uacce;
	uacce->priv = sdev;
	uacce->algs = sdev->algs;
	wdsoft_map_algs(sdev, uacce);
	uacce->api_ver = WDSOFT_API_NAME;
	uacce->qf_pg_num[UACCE_QFRT_MMIO] = 1;
	uacce->qf_pg_num[UACCE_QFRT_DUS] = sdev->dus_size >> PAGE_SHIFT;
	if (sdev->mode != WDSOFT_MODE_SVA)
		uacce->qf_pg_num[UACCE_QFRT_SS] = ss_pages;
	uacce->qf_pg_num[UACCE_QFRT_DKO] = dko_pages;

	/* Engines first: a queue can start as soon as the device registers. */
	r = wdsoft_engines_start(sdev, threads, dev_name(&uacce->dev));
	if (r)
		goto err;
	r = uacce_register(uacce);
	if (r)
		goto err;
	wdsoft_debugfs_add(sdev, dev_name(&uacce->dev));
	dev_info(&sdev->pdev->dev, "%s: node %d, mode %u, %u queues, ring %u, %u engine threads\n",
		 dev_name(&uacce->dev), sdev->node, sdev->mode, queues,
		 ring_depth, threads);
	*out = sdev;
	return 0;
err:
	wdsoft_dev_destroy(sdev);
	return r;
}

static int wdsoft_check_params(void)
{
	if (num_devices > WDSOFT_MAX_DEVICES) {
		pr_err("wdsoft: num_devices=%u is above the maximum of %d\n",
		       num_devices, WDSOFT_MAX_DEVICES);
		return -EINVAL;
	}
	if (!is_power_of_2(ring_depth) || ring_depth < 2 || ring_depth > 4096) {
		pr_err("wdsoft: ring_depth=%u must be a power of two from 2 to 4096\n",
		       ring_depth);
		return -EINVAL;
	}
	if (!queues || queues > 4096) {
		pr_err("wdsoft: queues=%u must be from 1 to 4096\n", queues);
		return -EINVAL;
	}
	if (!threads || threads > WDSOFT_MAX_THREADS) {
		pr_err("wdsoft: threads=%u must be from 1 to %d\n", threads,
		       WDSOFT_MAX_THREADS);
		return -EINVAL;
	}
	/* The SS region is one physically contiguous allocation. */
	if (!ss_pages || ss_pages > (1U << WD_MAX_PAGE_ORDER)) {
		pr_err("wdsoft: ss_pages=%u must be from 1 to %u\n", ss_pages,
		       1U << WD_MAX_PAGE_ORDER);
		return -EINVAL;
	}
	if (dko_pages > 1024) {
		pr_err("wdsoft: dko_pages=%u must be from 0 to 1024\n", dko_pages);
		return -EINVAL;
	}
	if (uacce_mode != 0 && uacce_mode != 1) {
		pr_err("wdsoft: uacce_mode=%d must be 0 (crypto API) or 1 (uacce)\n",
		       uacce_mode);
		return -EINVAL;
	}
	return 0;
}

static void wdsoft_destroy_all(void)
{
	while (wdsoft_nr_devs) {
		wdsoft_nr_devs--;
		wdsoft_dev_destroy(wdsoft_devs[wdsoft_nr_devs]);
		wdsoft_devs[wdsoft_nr_devs] = NULL;
	}
}

static int __init wdsoft_init(void)
{
	unsigned long ops_mask;
	unsigned int i, n;
	int r;

	r = wdsoft_check_params();
	if (r)
		return r;
	r = wdsoft_parse_algs(&ops_mask);
	if (r)
		return r;

	if (!uacce_mode)
		return wdsoft_crypto_register(ops_mask, NUMA_NO_NODE);

	n = num_devices ? num_devices : max_t(unsigned int, 1, num_online_nodes());
	n = min_t(unsigned int, n, WDSOFT_MAX_DEVICES);
	r = wdsoft_page_req_init();
	if (r)
		return r;
	wdsoft_debugfs_init();
	for (i = 0; i < n; i++) {
		r = wdsoft_dev_create(i, ops_mask, &wdsoft_devs[i]);
		if (r)
			goto err;
		wdsoft_nr_devs = i + 1;
	}
	return 0;
err:
	wdsoft_destroy_all();
	wdsoft_debugfs_exit();
	wdsoft_page_req_exit();
	return r;
}

static void __exit wdsoft_exit(void)
{
	if (!uacce_mode) {
		wdsoft_crypto_unregister();
		return;
	}
	wdsoft_destroy_all();
	wdsoft_debugfs_exit();
	wdsoft_page_req_exit();
}

module_init(wdsoft_init);
module_exit(wdsoft_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WarpDrive software accelerator");
MODULE_SOFTDEP("pre: uacce");
