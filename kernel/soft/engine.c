// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft engine: the kernel threads that play the hardware.
 *
 * Each device has one or more engine threads, bound to the CPUs of the
 * device's NUMA node. A started queue is attached to one engine; the engine
 * polls the submission rings of its queues, runs each descriptor and writes
 * its completion, exactly as wdsoft.h specifies: it loads sq_tail and
 * cq_head with acquire, publishes cq_tail and sq_head with release, and
 * consumes a descriptor only when the completion ring has room for it.
 *
 * While there is work the engine never sleeps, so submitters never make a
 * system call. After wdsoft_idle_us without work it parks: it sets
 * WDSOFT_STATUS_NEED_WAKEUP in every queue's status, issues a full barrier,
 * looks at the rings once more, and only then sleeps until a kick
 * (WDSOFT_CMD_WAKE, a queue starting on it, a debugfs knob).
 *
 * Locking: engine->mutex covers the engine's queue list and everything the
 * engine does to an attached queue, including reaching into its owner's mm.
 * stop_queue detaches under the same mutex, which is why, once it returns,
 * the engine no longer touches the queue or its mm.
 *
 * uacce calls stop_queue with q->mutex held, and takes q->mutex under the
 * owner's mmap_lock (mmap, munmap). So the engine, which holds
 * engine->mutex, must never *wait* for an owner's mmap_lock: it takes it
 * with a trylock for each descriptor (and retries later when that fails),
 * and resolves faults with get_user_pages_remote under it. Likewise the
 * engine drops its mm_users reference with mmput_async, so the owner's
 * address space is never torn down (vma close takes q->mutex) under
 * engine->mutex.
 *
 * For one queue's turn the engine thread runs on its owner's page table
 * (kthread_use_mm, between mmget_not_zero and kthread_unuse_mm), so that
 * pages already mapped are found by the lockless walk of GUP-fast, as an
 * IOTLB hit, before the walk under mmap_lock (ops.c).
 *
 * Page requests. The engine never waits for a file's I/O: one engine
 * serves many processes, and a file's backing store may never answer (a
 * FUSE server that ignores READ). A descriptor that meets a missing page of
 * a file mapping (see ops.c) is not consumed; the engine hands the fault to
 * a worker on wdsoft_page_req_wq (struct wdsoft_page_req), leaves that
 * queue alone until the worker is done, and serves the others meanwhile.
 * Then it runs the descriptor again from the start, or completes it with
 * -EFAULT if the fault failed. A descriptor that needs more than
 * WDSOFT_PAGE_REQ_TRIES page requests completes with -EAGAIN. Stopping the
 * queue abandons a pending request (the worker frees it); module unload
 * waits for the workers, so it waits for a backing store that never
 * answers until that is aborted (/sys/fs/fuse/connections/N/abort).
 *
 * Locking: wdsoft_page_req_lock (a spinlock, innermost) covers the
 * hand-over between a queue and its request's worker.
 */
/*
 * Where the engine runs (WDSOFT_FEAT_ENGINE_CPU). Every pass publishes the
 * engine's CPU in its queues' MMIO pages when it changed, and the state
 * (polling, parked) is the NEED_WAKEUP bit: a submitter can tell whether
 * spinning for a completion would keep the engine off its own CPU. The
 * polling engine, for its part, yields whenever another task is runnable
 * on its CPU, so a submitter there waits one yield, not a time slice.
 *
 * Placement: an engine may run on its device node's CPUs (all CPUs for a
 * device on no node). Each queue remembers the CPU its owner started it
 * from, and the engine is kept off the CPUs of its queues' owners as long
 * as that leaves it at least one CPU of its node; with one CPU per node,
 * or when the owners cover every CPU, it runs on the whole node.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/ktime.h>
#include <linux/sched/mm.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uacce.h>
#include <wd_compat.h>

#include "soft.h"

static struct workqueue_struct *wdsoft_page_req_wq;
static DEFINE_SPINLOCK(wdsoft_page_req_lock);	/* see "Page requests" */

/**
 * wdsoft_queue_set_status() - update the status word user space sees
 * @wq: the queue; its engine mutex is held, or the queue is not attached
 * @set: WDSOFT_STATUS_* bits to set
 * @clear: bits to clear
 */
void wdsoft_queue_set_status(struct wdsoft_queue *wq, u32 set, u32 clear)
{
	wq->status = (wq->status & ~clear) | set;
	WRITE_ONCE(wq->mmio->status, wq->status);
}

/*
 * Work the engine can do on @wq now: descriptors submitted and room in the
 * completion ring. A submitter that respects the ring depth never sees the
 * second condition matter.
 */
static bool wdsoft_queue_ready(struct wdsoft_queue *wq)
{
	/* Pairs with the submitter's store-release of sq_tail (the doorbell). */
	u32 tail = smp_load_acquire(&wq->mmio->sq_tail);
	/* Pairs with the consumer's store-release of cq_head. */
	u32 cq_head = smp_load_acquire(&wq->hdr->cq_head);

	if (wq->mm_gone)
		return false;
	if (wq->page_req && !smp_load_acquire(&wq->page_req->done))
		return false;
	return tail != wq->sq_head && wq->cq_tail - cq_head <= wq->mask;
}

static void wdsoft_xfer_setup(struct wdsoft_queue *wq, struct wdsoft_xfer *x)
{
	struct uacce_qfile_region *ss;

	memset(x, 0, sizeof(*x));
	x->mode = wq->sdev->mode;
	if (x->mode == WDSOFT_MODE_SVA)
		return;
	/*
	 * uacce allocates the SS region when the owner maps it (or shares
	 * another queue's with UACCE_CMD_SHARE_SVAS) and frees it only after
	 * stop_queue, so it is stable while the queue is attached.
	 */
	ss = READ_ONCE(wq->uq->qfrs[UACCE_QFRT_SS]);
	if (!ss || !ss->kaddr)
		return;
	x->ss = ss->kaddr;
	x->ss_size = (u64)ss->nr_pages << PAGE_SHIFT;
	x->ss_dma = ss->dma;
}

/**
 * wdsoft_queue_irq_at_due() - has a WDSOFT_IRQ_AT arm's moment come?
 * @wq: the queue; called by its engine, or locklessly by poll
 *
 * Once cq_tail has reached the consumer's irq_at, or once the queue has
 * nothing left to run (sq_head == sq_tail) while a completion waits, so
 * that a batch shorter than irq_at is never stranded (WDSOFT_FEAT_IRQ_AT in
 * wdsoft.h). The indices are the engine's own; only irq_at, sq_tail and
 * cq_head come from the shared pages, and each has one user-space writer.
 * The caller read irq_armed == WDSOFT_IRQ_AT with acquire, so irq_at is at
 * least as new as that arm.
 */
bool wdsoft_queue_irq_at_due(struct wdsoft_queue *wq)
{
	u32 cq_tail = READ_ONCE(wq->cq_tail);

	if ((s32)(cq_tail - READ_ONCE(wq->mmio->irq_at)) >= 0)
		return true;
	return READ_ONCE(wq->sq_head) == READ_ONCE(wq->mmio->sq_tail) &&
	       cq_tail != READ_ONCE(wq->hdr->cq_head);
}

/*
 * Wake poll/epoll waiters if the consumer armed the interrupt: at once for
 * WDSOFT_IRQ_NEXT (or any value but WDSOFT_IRQ_AT), when due for
 * WDSOFT_IRQ_AT. Called after each completion is published.
 */
static void wdsoft_queue_irq(struct wdsoft_queue *wq)
{
	u32 armed;

	/*
	 * Pairs with the consumer's full barrier between storing irq_armed
	 * (after irq_at) and re-checking the completion ring: either it sees
	 * our cq_tail (and sq_head) or we see its arm.
	 */
	smp_mb();
	/* Acquire: the irq_at stored before this arm, not an older one. */
	armed = smp_load_acquire(&wq->mmio->irq_armed);
	if (!armed || (armed == WDSOFT_IRQ_AT && !wdsoft_queue_irq_at_due(wq)))
		return;
	WRITE_ONCE(wq->mmio->irq_armed, 0);
	atomic64_inc(&wq->stats.wakeups);
	atomic64_inc(&wq->sdev->stats.wakeups);
	uacce_wake_up(wq->uq);
}

/* Publish @cqe as the next completion and consume the descriptor. */
static void wdsoft_queue_complete(struct wdsoft_queue *wq,
				  const struct wdsoft_cqe *cqe)
{
	wq->cq[wq->cq_tail & wq->mask] = *cqe;
	wq->page_req_tries = 0;
	/* is_q_updated() reads cq_tail and sq_head locklessly. */
	WRITE_ONCE(wq->cq_tail, wq->cq_tail + 1);
	WRITE_ONCE(wq->sq_head, wq->sq_head + 1);
	/* Pairs with the consumer's load-acquire of cq_tail: CQE first. */
	smp_store_release(&wq->hdr->cq_tail, wq->cq_tail);
	/* Pairs with the submitter's load-acquire of sq_head: slot is free. */
	smp_store_release(&wq->hdr->sq_head, wq->sq_head);
}

static void wdsoft_stats_add(struct wdsoft_stats *s, u64 bytes, bool err,
			     u64 ns)
{
	atomic64_inc(&s->requests);
	atomic64_add(bytes, &s->bytes);
	if (err)
		atomic64_inc(&s->errors);
	atomic64_add(ns, &s->busy_ns);
}

/*
 * Has the queue been restricted away from this descriptor's algorithm
 * (UACCE_CMD_RESTRICT_ALGS)? An op the device lists no name for can't have
 * been permitted: a restricted queue refuses it (-EPERM); on an
 * unrestricted one it is left to wdsoft_execute(), which refuses it with
 * -EOPNOTSUPP.
 */
static bool wdsoft_sqe_permitted(struct wdsoft_queue *wq,
				 const struct wdsoft_sqe *sqe)
{
	int idx;

	if (sqe->op == WDSOFT_OP_NOP || sqe->op >= WDSOFT_OP_MAX)
		return true;
	idx = wq->sdev->alg_idx[sqe->op][!!(sqe->flags & WDSOFT_SQE_ZLIB)];
	if (idx < 0)
		return READ_ONCE(wq->uq->algs_allowed) == U64_MAX;
	return uacce_q_alg_allowed(wq->uq, idx);
}

static void wdsoft_page_req_free(struct wdsoft_page_req *req)
{
	mmdrop(req->mm);
	kfree(req);
	atomic_long_dec(&wdsoft_live_page_reqs);
}

/* The worker: fault the range in, with mmap_lock dropped around the I/O. */
static void wdsoft_page_req_fn(struct work_struct *work)
{
	struct wdsoft_page_req *req = container_of(work, struct wdsoft_page_req,
						   work);
	unsigned long start = req->addr & PAGE_MASK;
	unsigned long nr = DIV_ROUND_UP(offset_in_page(req->addr) + req->len,
					PAGE_SIZE);
	bool abandoned;
	int r = -EFAULT;

	if (mmget_not_zero(req->mm)) {
		int locked = 1;
		long got;

		mmap_read_lock(req->mm);
		got = wd_get_user_pages_remote(req->mm, start, nr,
					       req->write ? FOLL_WRITE : 0,
					       NULL, &locked);
		if (locked)
			mmap_read_unlock(req->mm);
		mmput(req->mm);
		if (got > 0)
			r = 0;
	}

	spin_lock(&wdsoft_page_req_lock);
	abandoned = !req->wq;
	if (!abandoned) {
		req->result = r;
		/* Pairs with the load-acquire in wdsoft_queue_ready(). */
		smp_store_release(&req->done, true);
		wdsoft_engine_kick(req->eng);
	}
	spin_unlock(&wdsoft_page_req_lock);
	if (abandoned)
		wdsoft_page_req_free(req);
}

/*
 * Hand @uva's miss on @wq's current descriptor to a worker. 0, or -EAGAIN
 * (too many requests for this descriptor) or -ENOMEM to complete it with.
 */
static int wdsoft_page_req_start(struct wdsoft_queue *wq,
				 struct mm_struct *mm,
				 const struct wdsoft_uva *uva)
{
	struct wdsoft_page_req *req;

	lockdep_assert_held(&wq->eng->mutex);
	if (++wq->page_req_tries > WDSOFT_PAGE_REQ_TRIES)
		return -EAGAIN;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	atomic_long_inc(&wdsoft_live_page_reqs);
	INIT_WORK(&req->work, wdsoft_page_req_fn);
	mmgrab(mm);
	req->mm = mm;
	req->eng = wq->eng;
	req->wq = wq;
	req->addr = uva->miss_addr;
	req->len = max_t(u64, uva->miss_len, 1);
	req->write = uva->miss_write;
	wq->page_req = req;
	queue_work(wdsoft_page_req_wq, &req->work);
	return 0;
}

/*
 * Take @wq's page request: its result if it is done (the queue frees it),
 * else abandon it to its worker. Returns the result, or -ESHUTDOWN.
 */
static int wdsoft_page_req_take(struct wdsoft_queue *wq)
{
	struct wdsoft_page_req *req = wq->page_req;
	int r = -ESHUTDOWN;
	bool done;

	if (!req)
		return 0;
	spin_lock(&wdsoft_page_req_lock);
	done = req->done;
	if (done)
		r = req->result;
	else
		req->wq = NULL;
	spin_unlock(&wdsoft_page_req_lock);
	wq->page_req = NULL;
	if (done)
		wdsoft_page_req_free(req);
	return r;
}

/**
 * wdsoft_page_req_init() - create the page request workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int wdsoft_page_req_init(void)
{
	/* Unbound: a request blocked on I/O must not hold up the others. */
	wdsoft_page_req_wq = alloc_workqueue("wdsoft_page_req", WQ_UNBOUND, 0);
	return wdsoft_page_req_wq ? 0 : -ENOMEM;
}

/**
 * wdsoft_page_req_exit() - wait for every page request and free them
 *
 * Called once no queue exists any more. Waits for I/O that never ends
 * until it is aborted.
 */
void wdsoft_page_req_exit(void)
{
	if (wdsoft_page_req_wq)
		destroy_workqueue(wdsoft_page_req_wq);
	wdsoft_page_req_wq = NULL;
}

static void wdsoft_fault_delay(struct wdsoft_dev *sdev)
{
	/* Capped, so stop_queue never waits long behind a delayed batch. */
	u32 us = min_t(u32, READ_ONCE(sdev->fault.delay_us), 100000);

	if (!us)
		return;
	if (us >= 20000)
		msleep(us / 1000);
	else
		usleep_range(us, us + us / 8 + 1);
}

/* Run up to WDSOFT_QUEUE_BUDGET descriptors of @wq. */
static bool wdsoft_queue_run(struct wdsoft_engine *eng,
			     struct wdsoft_queue *wq)
{
	struct wdsoft_dev *sdev = eng->sdev;
	unsigned int budget = WDSOFT_QUEUE_BUDGET;
	struct mm_struct *mm = NULL;
	struct wdsoft_xfer x;
	bool did = false;

	lockdep_assert_held(&eng->mutex);
	if (!wdsoft_queue_ready(wq))
		return false;
	if (sdev->mode == WDSOFT_MODE_SVA) {
		/* q->mm is only mmgrab'd: the address space may be gone. */
		mm = wq->uq->mm;
		if (!mm || !mmget_not_zero(mm)) {
			wq->mm_gone = true;
			return false;
		}
	}
	wdsoft_xfer_setup(wq, &x);
	x.mm = mm;
	x.uva = &eng->work.uva;
	if (mm)
		kthread_use_mm(mm);

	eng->work.cancel = &wq->stopping;
	while (budget-- && !READ_ONCE(wq->stopping) && wdsoft_queue_ready(wq)) {
		struct wdsoft_sqe sqe;
		struct wdsoft_cqe cqe;
		u64 start = ktime_get_ns(), bytes = 0;
		int r;

		/* Never wait for mmap_lock here: see "Locking" above. */
		if (mm && !mmap_read_trylock(mm))
			break;
		/* A private copy: the submitter can't change it under us. */
		memcpy(&sqe, &wq->sq[wq->sq_head & wq->mask], sizeof(sqe));
		memset(&cqe, 0, sizeof(cqe));
		x.uva->miss = false;
		x.uva->plain_start = 0;
		x.uva->plain_end = 0;
		r = wdsoft_page_req_take(wq);
		if (r)
			cqe.status = r;
		else if (atomic_dec_if_positive(&sdev->fault.fail_next) >= 0)
			cqe.status = -EIO;
		else if (!wdsoft_sqe_permitted(wq, &sqe))
			cqe.status = -EPERM;
		else
			wdsoft_execute(&eng->work, &x, &sqe, sdev->ops_mask,
				       &cqe, &bytes);
		if (mm)
			mmap_read_unlock(mm);
		if (x.uva->miss && cqe.status == -EAGAIN) {
			wdsoft_unpin_all(x.uva);
			r = wdsoft_page_req_start(wq, mm, x.uva);
			if (!r)
				break;	/* the queue waits for its worker */
			cqe.status = r;
			cqe.out_len = 0;
		}
		cqe.cookie = sqe.cookie;
		if (!READ_ONCE(wq->stopping))
			wdsoft_fault_delay(sdev);
		/* The pins last until the completion, as a device's DMA would. */
		wdsoft_unpin_all(x.uva);
		/*
		 * Counted before the completion is published (its release
		 * orders them): whoever sees the completion and then reads
		 * the statistics finds this descriptor in them.
		 */
		start = ktime_get_ns() - start;
		wdsoft_stats_add(&wq->stats, bytes, cqe.status, start);
		wdsoft_stats_add(&sdev->stats, bytes, cqe.status, start);
		wdsoft_queue_complete(wq, &cqe);
		wdsoft_queue_irq(wq);
		did = true;
	}

	eng->work.cancel = NULL;
	if (mm) {
		kthread_unuse_mm(mm);
		/* The last reference may tear the mm down: not here. */
		mmput_async(mm);
	}
	return did;
}

/* Publish the engine's CPU to its queues when it moved. Under the mutex. */
static void wdsoft_engine_where(struct wdsoft_engine *eng)
{
	int cpu = raw_smp_processor_id();
	struct wdsoft_queue *wq;

	if (cpu == eng->cpu)
		return;
	eng->cpu = cpu;
	list_for_each_entry(wq, &eng->queues, node)
		WRITE_ONCE(wq->mmio->engine_cpu, cpu);
}

static bool wdsoft_engine_pass(struct wdsoft_engine *eng)
{
	struct wdsoft_queue *wq;
	bool did = false;

	mutex_lock(&eng->mutex);
	/*
	 * A queue may have joined since the loop looked at @refresh: its
	 * descriptors wait for the engine's digests to be looked at again
	 * (the caller goes round and does that first).
	 */
	if (READ_ONCE(eng->refresh)) {
		mutex_unlock(&eng->mutex);
		return true;
	}
	wdsoft_engine_where(eng);
	list_for_each_entry(wq, &eng->queues, node)
		did |= wdsoft_queue_run(eng, wq);
	mutex_unlock(&eng->mutex);
	return did;
}

static void wdsoft_engine_status(struct wdsoft_engine *eng, u32 set, u32 clear)
{
	struct wdsoft_queue *wq;

	mutex_lock(&eng->mutex);
	list_for_each_entry(wq, &eng->queues, node)
		wdsoft_queue_set_status(wq, set, clear);
	mutex_unlock(&eng->mutex);
}

static bool wdsoft_engine_ready(struct wdsoft_engine *eng)
{
	struct wdsoft_queue *wq;
	bool ready = false;

	mutex_lock(&eng->mutex);
	list_for_each_entry(wq, &eng->queues, node)
		ready |= wdsoft_queue_ready(wq);
	eng->parked = !ready;
	mutex_unlock(&eng->mutex);
	return ready;
}

static bool wdsoft_engine_woken(struct wdsoft_engine *eng)
{
	return READ_ONCE(eng->kicked) || kthread_should_stop() ||
	       READ_ONCE(eng->sdev->fault.stall);
}

/* Idle: flag NEED_WAKEUP, re-check, sleep until kicked (io_uring SQPOLL). */
static void wdsoft_engine_park(struct wdsoft_engine *eng)
{
	wdsoft_engine_status(eng, WDSOFT_STATUS_NEED_WAKEUP, 0);
	/*
	 * Pairs with the submitter's full barrier between its sq_tail store
	 * and its status load: either we see its new sq_tail below, or it
	 * sees NEED_WAKEUP and kicks us.
	 */
	smp_mb();
	if (!wdsoft_engine_ready(eng))
		wait_event_interruptible(eng->wq, wdsoft_engine_woken(eng));
	WRITE_ONCE(eng->parked, false);
	wdsoft_engine_status(eng, 0, WDSOFT_STATUS_NEED_WAKEUP);
}

/* Fault injection: do nothing until the stall knob is cleared. */
static void wdsoft_engine_stall(struct wdsoft_engine *eng)
{
	struct wdsoft_dev *sdev = eng->sdev;

	wdsoft_engine_status(eng, WDSOFT_STATUS_STALLED, 0);
	wait_event_interruptible(eng->wq, !READ_ONCE(sdev->fault.stall) ||
				 kthread_should_stop());
	wdsoft_engine_status(eng, 0, WDSOFT_STATUS_STALLED);
}

/*
 * Between passes of a polling engine: give the CPU to any other runnable
 * task, which may well be a submitter waiting for us; else just reschedule
 * if asked to.
 */
static void wdsoft_engine_relax(struct wdsoft_engine *eng)
{
	if (!single_task_running()) {
		WRITE_ONCE(eng->yields, eng->yields + 1);
		yield();
		return;
	}
	cond_resched();
	cpu_relax();
}

static int wdsoft_engine_fn(void *data)
{
	struct wdsoft_engine *eng = data;
	u64 last = ktime_get_ns();

	while (!kthread_should_stop()) {
		u64 idle_ns = (u64)READ_ONCE(wdsoft_idle_us) * NSEC_PER_USEC;

		if (READ_ONCE(eng->sdev->fault.stall)) {
			wdsoft_engine_stall(eng);
			last = ktime_get_ns();
			continue;
		}
		/*
		 * Fully ordered: a look that takes the flag sees the drivers
		 * registered before the queue start that set it.
		 */
		if (xchg(&eng->refresh, false))
			wdsoft_work_algs_refresh(&eng->work, &eng->mutex,
						 eng->sdev->node);
		/* A kick from now on makes the next park return at once. */
		WRITE_ONCE(eng->kicked, false);
		if (wdsoft_engine_pass(eng)) {
			last = ktime_get_ns();
			wdsoft_engine_relax(eng);
			continue;
		}
		if (ktime_get_ns() - last < idle_ns) {
			wdsoft_engine_relax(eng);
			continue;
		}
		wdsoft_engine_park(eng);
		last = ktime_get_ns();
	}
	return 0;
}

/**
 * wdsoft_engine_kick() - wake an engine that may be parked
 * @eng: the engine
 */
void wdsoft_engine_kick(struct wdsoft_engine *eng)
{
	WRITE_ONCE(eng->kicked, true);
	wake_up_interruptible(&eng->wq);
}

/**
 * wdsoft_kick_all() - wake every engine of a device
 * @sdev: the device
 */
void wdsoft_kick_all(struct wdsoft_dev *sdev)
{
	unsigned int i;

	for (i = 0; i < sdev->nr_engines; i++)
		wdsoft_engine_kick(&sdev->engines[i]);
}

/**
 * wdsoft_engine_home() - the CPUs a device's engines may run on
 * @sdev: the device
 *
 * Return: its node's CPUs, or every possible CPU for a device on no node
 * (or on a node without an online CPU). sysfs shows it as engine_cpus.
 */
const struct cpumask *wdsoft_engine_home(struct wdsoft_dev *sdev)
{
	if (sdev->node != NUMA_NO_NODE &&
	    cpumask_intersects(cpumask_of_node(sdev->node), cpu_online_mask))
		return cpumask_of_node(sdev->node);
	return cpu_possible_mask;
}

/* Keep @eng off its queues' owners' CPUs where it can ("Placement"). */
static void wdsoft_engine_place(struct wdsoft_engine *eng)
{
	const struct cpumask *home = wdsoft_engine_home(eng->sdev);
	struct wdsoft_queue *wq;
	cpumask_var_t want;

	lockdep_assert_held(&eng->mutex);
	if (!zalloc_cpumask_var(&want, GFP_KERNEL))
		return;	/* a hint: the engine keeps its current CPUs */
	cpumask_and(want, home, cpu_online_mask);
	list_for_each_entry(wq, &eng->queues, node)
		if (wq->owner_cpu >= 0)
			cpumask_clear_cpu(wq->owner_cpu, want);
	if (cpumask_empty(want))
		cpumask_copy(want, home);
	set_cpus_allowed_ptr(eng->task, want);
	free_cpumask_var(want);
}

/**
 * wdsoft_engine_attach() - start serving a queue
 * @wq: a queue whose owner just issued START_Q (we run in its context)
 *
 * The queue goes to the device's least loaded engine, which then keeps off
 * the owner's CPU where it can.
 */
void wdsoft_engine_attach(struct wdsoft_queue *wq)
{
	struct wdsoft_dev *sdev = wq->sdev;
	struct wdsoft_engine *eng = &sdev->engines[0];
	unsigned int i;

	if (wq->engine_pref >= 0)	/* WDSOFT_CMD_SET_ENGINE, checked there */
		eng = &sdev->engines[wq->engine_pref];
	else
		for (i = 1; i < sdev->nr_engines; i++)
			if (READ_ONCE(sdev->engines[i].nr_queues) <
			    READ_ONCE(eng->nr_queues))
				eng = &sdev->engines[i];

	mutex_lock(&eng->mutex);
	wq->eng = eng;
	wq->owner_cpu = raw_smp_processor_id();
	wq->mm_gone = false;
	/* A queue started again after PUT_Q runs its descriptors in full. */
	WRITE_ONCE(wq->stopping, false);
	wdsoft_queue_set_status(wq, WDSOFT_STATUS_RUNNING, 0);
	WRITE_ONCE(wq->mmio->engine_cpu, eng->cpu);
	/*
	 * A better digest driver may have registered since the last queue
	 * started: every engine of the device looks again when it next runs
	 * (see "The digests' implementations" in algs.c). This engine's flag
	 * is set before the queue is listed, under its mutex, so the pass
	 * that first sees the queue finds the flag set and looks first.
	 */
	for (i = 0; i < sdev->nr_engines; i++)
		WRITE_ONCE(sdev->engines[i].refresh, true);
	list_add_tail(&wq->node, &eng->queues);
	WRITE_ONCE(eng->nr_queues, eng->nr_queues + 1);
	wdsoft_engine_place(eng);
	mutex_unlock(&eng->mutex);
	/*
	 * Only this engine is woken. It must be: the new queue's status has
	 * no NEED_WAKEUP, so its submitter would not wake a parked engine.
	 * The others look when they next run for their own queues.
	 */
	wdsoft_engine_kick(eng);
}

/*
 * Complete whatever was submitted but not consumed with -ESHUTDOWN, as far
 * as the completion ring has room; never more than one ring's worth, so a
 * garbage sq_tail can't keep us here.
 */
static void wdsoft_queue_shutdown(struct wdsoft_queue *wq)
{
	unsigned int n = wq->mask + 1;

	while (n-- && wdsoft_queue_ready(wq)) {
		struct wdsoft_cqe cqe = {
			.cookie = READ_ONCE(wq->sq[wq->sq_head & wq->mask].cookie),
			.status = -ESHUTDOWN,
		};

		wdsoft_queue_complete(wq, &cqe);
		wdsoft_stats_add(&wq->stats, 0, true, 0);
		wdsoft_stats_add(&wq->sdev->stats, 0, true, 0);
	}
}

/**
 * wdsoft_engine_detach() - stop serving a queue
 * @wq: the queue
 *
 * When this returns the engine no longer touches @wq or its owner's mm.
 * Descriptors still in the ring complete with -ESHUTDOWN.
 */
void wdsoft_engine_detach(struct wdsoft_queue *wq)
{
	struct wdsoft_engine *eng = wq->eng;

	if (!eng)
		return;
	/* Makes a long descriptor give up between chunks (-ESHUTDOWN). */
	WRITE_ONCE(wq->stopping, true);
	mutex_lock(&eng->mutex);
	list_del_init(&wq->node);
	WRITE_ONCE(eng->nr_queues, eng->nr_queues - 1);
	wdsoft_engine_place(eng);
	wq->eng = NULL;
	WRITE_ONCE(wq->mmio->engine_cpu, WDSOFT_ENGINE_CPU_NONE);
	wdsoft_queue_set_status(wq, 0, WDSOFT_STATUS_RUNNING |
				WDSOFT_STATUS_NEED_WAKEUP |
				WDSOFT_STATUS_STALLED);
	wq->mm_gone = false;
	wdsoft_page_req_take(wq);
	wdsoft_queue_shutdown(wq);
	mutex_unlock(&eng->mutex);
}

/**
 * wdsoft_engines_start() - create and start a device's engine threads
 * @sdev: the device; sdev->node says where they run
 * @nr: number of threads
 * @name: device name, for the thread names ("<name>/<n>")
 *
 * Return: 0 or -errno; on failure nothing is left running.
 */
int wdsoft_engines_start(struct wdsoft_dev *sdev, unsigned int nr,
			 const char *name)
{
	const struct cpumask *cpus = wdsoft_engine_home(sdev);
	unsigned int i;
	int r;

	sdev->engines = kcalloc_node(nr, sizeof(*sdev->engines), GFP_KERNEL,
				     sdev->node);
	if (!sdev->engines)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct wdsoft_engine *eng = &sdev->engines[i];
		struct task_struct *t;

		eng->sdev = sdev;
		eng->index = i;
		eng->cpu = -1;
		mutex_init(&eng->mutex);
		INIT_LIST_HEAD(&eng->queues);
		init_waitqueue_head(&eng->wq);
		r = wdsoft_work_init(&eng->work, sdev->node);
		if (r)
			goto err;
		wdsoft_work_algs_init(&eng->work, sdev->node);
		t = kthread_create_on_node(wdsoft_engine_fn, eng, sdev->node,
					   "%s/%u", name, i);
		if (IS_ERR(t)) {
			r = PTR_ERR(t);
			goto err;
		}
		set_cpus_allowed_ptr(t, cpus);
		eng->task = t;
		sdev->nr_engines = i + 1;
		wake_up_process(t);
	}
	return 0;
err:
	wdsoft_work_free(&sdev->engines[i].work);
	wdsoft_engines_stop(sdev);
	return r;
}

/**
 * wdsoft_engines_stop() - stop and free a device's engine threads
 * @sdev: the device; no queue may be attached any more
 */
void wdsoft_engines_stop(struct wdsoft_dev *sdev)
{
	unsigned int i;

	for (i = 0; i < sdev->nr_engines; i++) {
		struct wdsoft_engine *eng = &sdev->engines[i];

		WARN_ON_ONCE(!list_empty(&eng->queues));
		kthread_stop(eng->task);
		wdsoft_work_free(&eng->work);
		mutex_destroy(&eng->mutex);
	}
	kfree(sdev->engines);
	sdev->engines = NULL;
	sdev->nr_engines = 0;
}
