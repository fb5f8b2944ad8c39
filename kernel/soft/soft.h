/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wdsoft internals: the software accelerator's devices, engines and queues.
 *
 * A wdsoft device is a platform device (for its NUMA node) plus a uacce
 * device. Each device runs one or more engine threads bound to the CPUs of
 * its node; a started queue is attached to exactly one engine, which polls
 * its submission ring and writes completions as wdsoft.h describes.
 */
#ifndef WDSOFT_SOFT_H
#define WDSOFT_SOFT_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/zlib.h>
#include <uapi/misc/uacce/wdsoft.h>

#define WDSOFT_MAX_DEVICES	64
#define WDSOFT_MAX_THREADS	16
#define WDSOFT_BOUNCE_SIZE	(64 * 1024)
/* SQEs one queue may consume per engine pass, for fairness between queues. */
#define WDSOFT_QUEUE_BUDGET	32
/* User pages an engine keeps pinned for the descriptor it is running. */
#define WDSOFT_PINS_MAX		64
/* Most bytes one page request faults in (the rest of a buffer, capped). */
#define WDSOFT_PAGE_REQ_MAX	(4UL << 20)
/* Page requests one descriptor may make before it gives up with -EAGAIN. */
#define WDSOFT_PAGE_REQ_TRIES	64

struct platform_device;
struct seq_file;
struct crypto_shash;
struct shash_desc;
struct uacce_device;
struct uacce_queue;
struct dentry;
struct wdsoft_dev;
struct wdsoft_queue;
struct wdsoft_engine;

/**
 * struct wdsoft_uva - an engine's state while it runs one SVA descriptor
 * @pages: user pages pinned so far for the descriptor, each counted in
 *	wdsoft_live_pages; released by wdsoft_unpin_all() when the
 *	descriptor completes or gives up (and when @pages is full)
 * @nr_pages: entries used in @pages
 * @miss: the descriptor stopped at a page the engine must not fault in
 *	itself (a file mapping: its I/O may never finish); @miss_addr,
 *	@miss_len and @miss_write say what a page request should fault in
 * @plain_start: start of a mapping of ordinary memory (no VM_IO or
 *	VM_PFNMAP) the descriptor reached; valid only while the engine holds
 *	the owner's mmap_lock, so emptied for every descriptor
 * @plain_end: its end (exclusive)
 */
struct wdsoft_uva {
	struct page *pages[WDSOFT_PINS_MAX];
	unsigned int nr_pages;
	bool miss;
	bool miss_write;
	u64 miss_addr;
	u64 miss_len;
	u64 plain_start;
	u64 plain_end;
};

/**
 * struct wdsoft_page_req - a page fault an engine handed to a worker
 * @work: runs on wdsoft_page_req_wq
 * @mm: the owner's address space (mmgrab'd by the request)
 * @eng: engine to kick once done
 * @wq: the queue waiting for it, or NULL once the queue stopped waiting
 *	(the worker then frees the request)
 * @addr: first byte to fault in
 * @len: bytes to fault in
 * @write: fault for writing
 * @done: the worker finished; @result is valid
 * @result: 0 or -EFAULT
 *
 * @wq, @done and @result are under wdsoft_page_req_lock. While @wq is set
 * the queue owns the request and frees it; otherwise the worker does.
 */
struct wdsoft_page_req {
	struct work_struct work;
	struct mm_struct *mm;
	struct wdsoft_engine *eng;
	struct wdsoft_queue *wq;
	u64 addr;
	u64 len;
	bool write;
	bool done;
	int result;
};

/*
 * Statistics; written by the engine, read locklessly by debugfs. @wakeups
 * counts the times the engine woke a queue's pollers (an armed interrupt
 * fired), not the completions.
 */
struct wdsoft_stats {
	atomic64_t requests;
	atomic64_t bytes;
	atomic64_t errors;
	atomic64_t busy_ns;
	atomic64_t wakeups;
};

/**
 * struct wdsoft_xfer - how an address in a descriptor reaches memory
 * @mode: WDSOFT_MODE_* of the device, or 0 for kernel addresses (crypto API)
 * @mm: the owner's address space (SVA mode); the caller holds mm_users and
 *	mmap_lock for read
 * @uva: pinned pages and page misses of the running descriptor (SVA mode)
 * @ss: kernel address of the queue's SS region (SS and NOIOMMU modes)
 * @ss_size: its size in bytes
 * @ss_dma: its DMA address (NOIOMMU mode)
 */
struct wdsoft_xfer {
	u32 mode;
	struct mm_struct *mm;
	struct wdsoft_uva *uva;
	u8 *ss;
	u64 ss_size;
	u64 ss_dma;
};

/*
 * struct wdsoft_iter - a position in a (scatter/gather) buffer. The SGL, if
 * any, is copied into @sgl (engine memory) before use, so the submitter
 * cannot change it under the engine.
 */
struct wdsoft_iter {
	const struct wdsoft_xfer *xfer;
	struct wdsoft_sge *sgl;
	struct wdsoft_sge one;
	unsigned int nr;
	unsigned int idx;
	u64 off;	/* offset inside sgl[idx] */
	u64 total;	/* sum of all lengths */
	u64 done;	/* bytes read or written so far */
};

/**
 * struct wdsoft_work - per-thread scratch memory for the algorithms
 * @in: bounce buffer for input
 * @out: bounce buffer for output
 * @src_sgl: copy of a source gather list
 * @dst_sgl: copy of a destination scatter list
 * @zs: zlib stream; @zs.workspace switches between the two below
 * @deflate_ws: zlib_deflate workspace
 * @inflate_ws: zlib_inflate workspace
 * @cancel: if set and true, a long operation gives up with -ESHUTDOWN
 *	between chunks (its queue is being stopped)
 * @atomic: the caller may hold a spinlock (the crypto API runs scomp under
 *	one): never reschedule between chunks
 * @uva: SVA state of the descriptor in progress (engine threads only)
 * @crc: the kernel's best crc32c (crypto API shash by algorithm name) with
 *	its descriptor, or NULL to use the crc32c library (see "The digests'
 *	implementations" in algs.c); set by wdsoft_work_algs_init(), changed
 *	by wdsoft_work_algs_refresh() under the engine's mutex
 * @sha: the same for sha256
 * @sha_state: @sha's exported state is struct sha256_state, so streaming
 *	sha256 descriptors (WDSOFT_SQE_HASH_IN/OUT) run on it too; if false
 *	they use the sha256 library
 * @algs_refreshes: wdsoft_work_algs_refresh() calls (the engine looked
 *	again for better digest drivers)
 * @algs_builds: digest descriptors built, by wdsoft_work_algs_init() and by
 *	refreshes that found a digest's best driver changed
 * @algs_moves: digests a refresh moved to another driver
 *
 * The three counters are written by the thread that owns @w (the engine
 * thread; wdsoft_work_algs_init() runs before it starts) with WRITE_ONCE,
 * and read locklessly by debugfs "engines".
 */
struct wdsoft_work {
	u8 *in;
	u8 *out;
	struct wdsoft_sge *src_sgl;
	struct wdsoft_sge *dst_sgl;
	struct z_stream_s zs;
	void *deflate_ws;
	void *inflate_ws;
	const bool *cancel;
	bool atomic;
	struct wdsoft_uva uva;
	struct shash_desc *crc;
	struct shash_desc *sha;
	bool sha_state;
	unsigned long algs_refreshes;
	unsigned long algs_builds;
	unsigned long algs_moves;
};

/**
 * struct wdsoft_engine - one engine thread of a device
 * @sdev: the device
 * @task: the thread
 * @index: thread number inside the device
 * @mutex: protects @queues and every access the engine makes to an attached
 *	queue (its rings and its owner's mm). stop_queue takes it to detach a
 *	queue, so once stop_queue returns the engine no longer touches it.
 *	Never taken under mmap_lock; the engine takes mmap_lock (page faults)
 *	under it.
 * @queues: started queues served by this engine (struct wdsoft_queue.node)
 * @nr_queues: length of @queues, under @mutex
 * @wq: the engine sleeps here when parked or stalled
 * @kicked: set by a wake-up (ioctl, start, debugfs); cleared by the engine
 * @parked: the engine is asleep waiting for a kick (debugfs, tests)
 * @cpu: CPU of the engine's last pass, published in its queues' MMIO
 *	pages (mmio->engine_cpu), -1 before the first; under @mutex
 * @yields: times the polling engine gave its CPU to another runnable task
 *	(written by the engine thread only; debugfs, tests)
 * @refresh: a queue started on the device since the engine last looked
 *	for better digest drivers (see "The digests' implementations" in
 *	algs.c). wdsoft_engine_attach() sets it on every engine of the device
 *	but wakes only the queue's own; the attached engine's flag is set
 *	under its @mutex before the queue joins @queues. The engine thread
 *	takes it (xchg) at the top of its loop and looks, and a pass that
 *	finds it set under @mutex runs no queue, so no descriptor of a new
 *	queue runs before the look. A parked engine keeps it until it next
 *	runs.
 * @work: the engine's scratch memory. Only the engine thread computes with
 *	it; it swaps @work.crc and @work.sha under @mutex, and debugfs reads
 *	their driver names under @mutex.
 */
struct wdsoft_engine {
	struct wdsoft_dev *sdev;
	struct task_struct *task;
	unsigned int index;
	struct mutex mutex;		/* see above */
	struct list_head queues;
	unsigned int nr_queues;
	wait_queue_head_t wq;
	bool kicked;
	bool parked;
	int cpu;
	unsigned long yields;
	bool refresh;
	struct wdsoft_work work;
};

/**
 * struct wdsoft_fault - fault injection knobs (debugfs)
 * @fail_next: the next N requests complete with -EIO
 * @delay_us: each completion is published this many microseconds late
 * @stall: while set, the engine processes nothing (WDSOFT_STATUS_STALLED)
 */
struct wdsoft_fault {
	atomic_t fail_next;
	u32 delay_us;
	bool stall;
};

/**
 * struct wdsoft_dev - one software accelerator device
 * @index: position in the module's device table
 * @node: NUMA node, or NUMA_NO_NODE
 * @mode: WDSOFT_MODE_*
 * @ops_mask: enabled operations, bit (1 << enum wdsoft_op)
 * @pdev: parent platform device (carries the NUMA node)
 * @uacce: the uacce device (NULL in crypto API mode)
 * @lock: protects @free_queues
 * @nr_queues: instances this device offers
 * @free_queues: instances not handed out
 * @sq_entries: submission ring depth (== completion ring depth)
 * @dus_size: bytes of the DUS region (page aligned)
 * @engines: engine threads
 * @nr_engines: their number
 * @stats: device totals
 * @fault: fault injection
 * @dbg: debugfs directory
 * @algs: algorithm list shown by uacce
 * @alg_idx: index in @algs of each op's algorithm, [op][ZLIB flag set];
 *	negative if not listed (see uacce_alg_index())
 */
struct wdsoft_dev {
	unsigned int index;
	int node;
	u32 mode;
	unsigned long ops_mask;
	struct platform_device *pdev;
	struct uacce_device *uacce;
	spinlock_t lock;		/* free_queues */
	unsigned int nr_queues;
	unsigned int free_queues;
	u32 sq_entries;
	u32 dus_size;
	struct wdsoft_engine *engines;
	unsigned int nr_engines;
	struct wdsoft_stats stats;
	struct wdsoft_fault fault;
	struct dentry *dbg;
	char algs[64];
	int alg_idx[WDSOFT_OP_MAX][2];
};

/**
 * struct wdsoft_queue - one uacce queue of a wdsoft device
 * @uq: the uacce queue
 * @sdev: the device
 * @eng: engine serving the queue while started, else NULL
 * @node: on @eng->queues
 * @mmio: the MMIO page (kernel memory mapped to user)
 * @dus: the DUS region (kernel memory mapped to user)
 * @hdr: @dus as its header
 * @sq: submission ring inside @dus
 * @cq: completion ring inside @dus
 * @mask: ring entries - 1
 * @sq_head: engine's submission index (authoritative copy; user memory is
 *	only ever written from it, never read back); written by the engine
 *	with WRITE_ONCE, read locklessly by poll (is_q_updated)
 * @cq_tail: engine's completion index (same)
 * @status: engine's copy of mmio->status
 * @mm_gone: the owner's address space has exited
 * @stopping: stop_queue is waiting for the engine: finish up quickly
 * @page_req: page request the descriptor at @sq_head waits for, or NULL;
 *	while it is not done the engine leaves the queue alone
 * @page_req_tries: page requests made for the descriptor at @sq_head
 * @engine_pref: engine that serves the queue from its next start
 *	(WDSOFT_CMD_SET_ENGINE), -1 for the least loaded; changed only while
 *	the queue is not started (uacce serializes driver commands with
 *	start and stop)
 * @owner_cpu: CPU its owner issued START_Q on, which the engine avoids
 *	(see "Placement" in engine.c); under the engine's mutex
 * @id: queue number for debugfs
 * @stats: per-queue statistics
 */
struct wdsoft_queue {
	struct uacce_queue *uq;
	struct wdsoft_dev *sdev;
	struct wdsoft_engine *eng;
	struct list_head node;
	struct wdsoft_mmio *mmio;
	void *dus;
	struct wdsoft_dus_hdr *hdr;
	struct wdsoft_sqe *sq;
	struct wdsoft_cqe *cq;
	u32 mask;
	u32 sq_head;
	u32 cq_tail;
	u32 status;
	bool mm_gone;
	bool stopping;
	struct wdsoft_page_req *page_req;
	unsigned int page_req_tries;
	int engine_pref;
	int owner_cpu;
	u32 id;
	struct wdsoft_stats stats;
};

/* main.c */
extern unsigned int wdsoft_idle_us;

/*
 * Live objects, for leak checks (debugfs wdsoft/live): queue structures
 * allocated, user pages the engines hold pinned right now (0 when no
 * descriptor is running), page requests not yet freed.
 */
extern atomic_long_t wdsoft_live_queues;
extern atomic_long_t wdsoft_live_pages;
extern atomic_long_t wdsoft_live_page_reqs;

/* engine.c */
int wdsoft_engines_start(struct wdsoft_dev *sdev, unsigned int nr,
			 const char *name);
void wdsoft_engines_stop(struct wdsoft_dev *sdev);
const struct cpumask *wdsoft_engine_home(struct wdsoft_dev *sdev);
void wdsoft_engine_attach(struct wdsoft_queue *wq);
void wdsoft_engine_detach(struct wdsoft_queue *wq);
void wdsoft_engine_kick(struct wdsoft_engine *eng);
void wdsoft_kick_all(struct wdsoft_dev *sdev);
void wdsoft_queue_set_status(struct wdsoft_queue *wq, u32 set, u32 clear);
bool wdsoft_queue_irq_at_due(struct wdsoft_queue *wq);
int wdsoft_page_req_init(void);
void wdsoft_page_req_exit(void);

/* ops.c: the algorithms, shared by the engine and the crypto API */
int wdsoft_work_init(struct wdsoft_work *w, int node);
void wdsoft_work_free(struct wdsoft_work *w);
struct crypto_shash *wdsoft_best_shash(const char *name);
void wdsoft_work_algs_init(struct wdsoft_work *w, int node);
void wdsoft_work_algs_free(struct wdsoft_work *w);
bool wdsoft_work_algs_refresh(struct wdsoft_work *w, struct mutex *lock,
			      int node);
void wdsoft_work_show_algs(struct seq_file *m, const struct wdsoft_work *w);
void wdsoft_unpin_all(struct wdsoft_uva *uva);
int wdsoft_iter_init(struct wdsoft_iter *it, const struct wdsoft_xfer *x,
		     u64 addr, u64 len, bool sgl, struct wdsoft_sge *sgl_buf);
void wdsoft_execute(struct wdsoft_work *w, const struct wdsoft_xfer *x,
		    const struct wdsoft_sqe *sqe, unsigned long ops_mask,
		    struct wdsoft_cqe *cqe, u64 *in_bytes);

/* debugfs.c */
void wdsoft_debugfs_init(void);
void wdsoft_debugfs_exit(void);
void wdsoft_debugfs_add(struct wdsoft_dev *sdev, const char *name);

/* crypto.c */
int wdsoft_crypto_register(unsigned long ops_mask, int node);
void wdsoft_crypto_unregister(void);

#endif /* WDSOFT_SOFT_H */
