// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WDSOFT_FEAT_IRQ_AT: a consumer armed with WDSOFT_IRQ_AT is woken once
 * cq_tail reaches its irq_at, or once the queue has nothing left to run,
 * and poll(2) reports nothing before that; WDSOFT_IRQ_NEXT still wakes at
 * the first completion; an irq_at already reached is reported at once.
 *
 * Nothing here depends on timing. The ring is 8 deep, so completions left
 * in the CQ hold the engine at a known point: with 8 - k of them unreaped,
 * the engine completes exactly k of a new batch and then waits for room.
 * That is where "fewer than irq_at published" is checked. Reaping the old
 * ones lets the rest run, one by one (delay_us), while the test polls and
 * reads cq_tail after each poll: an EPOLLIN with fewer published than the
 * batch is always a failure, however the two sides were scheduled.
 */
#include "tap.h"
#include "vm/soft-ring.h"

#define DEPTH 8

static char dev[64];
static struct soft_ring r;

static uint32_t cq_tail(void)
{
	return __atomic_load_n(&r.hdr->cq_tail, __ATOMIC_ACQUIRE);
}

static uint32_t irq_armed(void)
{
	return __atomic_load_n(&r.mmio->irq_armed, __ATOMIC_RELAXED);
}

/* The 8th column, wakeups, of the only queue's line in debugfs "queues"; -1. */
static long long queue_wakeups(void)
{
	char path[256], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/queues", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (line[0] == '#' ||
		    sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %lld", &v) != 1)
			v = -1;
	fclose(f);
	return v;
}

/* poll(2) on the queue: its revents, or -1 if poll failed. */
static int poll_q(int timeout_ms)
{
	struct pollfd p = { .fd = r.fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -1 : n ? p.revents : 0;
}

/* Wait until cq_tail is @want (10 s at most, times the time scale). */
static bool wait_cq_tail(uint32_t want)
{
	long end = soft_now_ms() + 10000L * soft_time_scale();

	while (cq_tail() != want) {
		if (soft_now_ms() > end)
			return false;
		soft_sleep_ms(2);
	}
	return true;
}

/* The wake-up protocol of wdsoft.h: irq_at first, then the arm, then a full barrier. */
static void arm(uint32_t how, uint32_t at)
{
	__atomic_store_n(&r.mmio->irq_at, at, __ATOMIC_RELAXED);
	__atomic_store_n(&r.mmio->irq_armed, how, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Queue @n NOPs, cookies from @cookie, and ring. */
static void submit_nops(unsigned int n, uint64_t cookie)
{
	while (n--) {
		struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);

		sqe.cookie = cookie++;
		if (soft_ring_queue(&r, &sqe))
			bail_out("the ring has no room: the test lost count");
	}
	soft_ring_doorbell(&r);
}

/* Reap up to @upto (a cq_tail value); the number of failed completions. */
static int reap_to(uint32_t upto)
{
	struct wdsoft_cqe cqe;
	int bad = 0;

	while (r.cq_head != upto && soft_ring_peek(&r, &cqe))
		bad += cqe.status != 0;
	return bad;
}

/* Let everything submitted run and reap it all: 0 if all went well. */
static int drain(void)
{
	int bad;

	if (ioctl(r.fd, WDSOFT_CMD_WAKE))
		return -1;
	/* One completion per descriptor: both counters started at 0. */
	bad = !wait_cq_tail(r.sq_tail);
	return bad + reap_to(r.sq_tail);
}

/*
 * Leave @old NOP completions unreaped in the CQ: of a batch submitted
 * next, the engine completes at most DEPTH - old and then waits for room.
 * Returns the cq_tail value the batch starts at.
 */
static uint32_t hold_cq(unsigned int old)
{
	uint32_t base = cq_tail();

	if (r.cq_head != base)
		bail_out("completions left over from an earlier check");
	submit_nops(old, 1000);
	if (!wait_cq_tail(base + old))
		bail_out("%u NOPs did not complete", old);
	return base + old;
}

struct batch {
	unsigned int n;		/* NOPs in the batch */
	unsigned int held;	/* completed while the old ones held the CQ */
	uint32_t at;		/* irq_at, relative to the batch's start */
};

/*
 * Run @b armed with WDSOFT_IRQ_AT: check the held point, reap the old
 * completions, then poll until EPOLLIN. Each check is its own test line.
 */
static void run_at(const struct batch *b, const char *what)
{
	uint32_t start = hold_cq(DEPTH - b->held);
	long long w0 = soft_stat(dev, "wakeups");
	unsigned int polls = 0, early = 0, partial = 0;
	long end;
	int ev = 0;

	arm(WDSOFT_IRQ_AT, start + b->at);
	submit_nops(b->n, 0);
	ok(wait_cq_tail(start + b->held), "%s: %u of %u complete while the CQ is full",
	   what, b->held, b->n);
	is(poll_q(0), 0, "%s: poll(fd, 0) reports nothing with %u of %u published",
	   what, cq_tail() - start, b->n);
	is(poll_q(50), 0, "%s: poll(fd, 50) neither (%u published)", what, cq_tail() - start);
	ok(irq_armed() == WDSOFT_IRQ_AT && soft_stat(dev, "wakeups") == w0,
	   "%s: still armed (%u), no wake-up yet", what, irq_armed());

	/* Free the CQ of the old completions: the rest run, one by one. */
	reap_to(start);
	ok_errno(ioctl(r.fd, WDSOFT_CMD_WAKE), 0, "%s: WDSOFT_CMD_WAKE after reaping", what);
	end = soft_now_ms() + 10000L * soft_time_scale();
	while (!(ev & POLLIN) && soft_now_ms() < end) {
		uint32_t done;

		ev = poll_q(polls % 2 ? 0 : 20);
		done = cq_tail() - start;	/* read after the poll */
		polls++;
		if (done < b->n)
			partial++;
		if (ev < 0 || ((ev & POLLIN) && done < b->n))
			early++;
	}
	ok(ev > 0 && (ev & POLLIN) && !early,
	   "%s: EPOLLIN only with all %u published (%u polls, %u saw fewer, %u too early)",
	   what, b->n, polls, partial, early);
	is(soft_stat(dev, "wakeups") - w0, 1, "%s: one wake-up for the batch", what);
	is(irq_armed(), 0, "%s: the engine cleared irq_armed", what);
	is(drain(), 0, "%s: all completions succeeded", what);
	printf("# report: %s: polls %u, of which with fewer than %u published %u\n",
	       what, polls, b->n, partial);
}

int main(void)
{
	static const struct batch full = { .n = 8, .held = 3, .at = 8 };
	static const struct batch short_batch = { .n = 3, .held = 1, .at = 8 };
	uint32_t start, t;
	long long w0;

	soft_setup_ring("num_devices=1 ring_depth=8", dev, sizeof(dev), &r);
	if (r.mask + 1 != DEPTH)
		bail_out("ring depth %u, not %d", r.mask + 1, DEPTH);
	ok(r.mmio->features & WDSOFT_FEAT_IRQ_AT, "features %#x has WDSOFT_FEAT_IRQ_AT",
	   r.mmio->features);
	ok(soft_stat(dev, "wakeups") == 0, "debugfs stats: wakeups starts at 0");
	ok_errno(soft_debugfs_write(dev, "delay_us", "20000"), 0, "delay_us 20 ms");

	run_at(&full, "IRQ_AT for 8 of 8");
	run_at(&short_batch, "IRQ_AT for 8, 3 submitted");

	/* IRQ_NEXT: woken at the first completion of the batch. */
	start = hold_cq(DEPTH - 1);
	w0 = soft_stat(dev, "wakeups");
	arm(WDSOFT_IRQ_NEXT, start + 8);	/* irq_at is ignored */
	submit_nops(8, 0);
	ok(wait_cq_tail(start + 1), "IRQ_NEXT: 1 of 8 completes while the CQ is full");
	ok(poll_q(0) & POLLIN, "IRQ_NEXT: poll reports EPOLLIN at the first completion");
	ok(irq_armed() == 0 && soft_stat(dev, "wakeups") - w0 == 1,
	   "IRQ_NEXT: woken once, irq_armed cleared (%u)", irq_armed());

	is(queue_wakeups(), soft_stat(dev, "wakeups"),
	   "debugfs queues: the queue's wakeups are the device's");

	/*
	 * An irq_at already reached is reported at once, though the queue
	 * has more to run: still held, 1 of the batch published.
	 */
	t = cq_tail();
	ok(t == start + 1 && r.sq_tail != __atomic_load_n(&r.hdr->sq_head, __ATOMIC_ACQUIRE),
	   "held: one completion waits, descriptors left to run");
	arm(WDSOFT_IRQ_AT, t + 1);
	is(poll_q(0), 0, "IRQ_AT at cq_tail + 1: poll reports nothing");
	arm(WDSOFT_IRQ_AT, t);
	ok(poll_q(0) & POLLIN, "IRQ_AT at cq_tail (reached): poll reports EPOLLIN at once");
	arm(WDSOFT_IRQ_AT, t - 5);
	ok(poll_q(0) & POLLIN, "IRQ_AT behind cq_tail: EPOLLIN at once");
	arm(WDSOFT_IRQ_AT, t + 0x80000000U);
	is(poll_q(0), 0, "IRQ_AT half the counter space away: not reached (free-running compare)");
	arm(0, 0);
	reap_to(start);
	is(drain(), 0, "the rest of the batch completes");

	/* Nothing left to run but nothing waiting either: no EPOLLIN. */
	arm(WDSOFT_IRQ_AT, cq_tail() + 8);
	is(poll_q(0), 0, "IRQ_AT on an empty, reaped queue: nothing to report");
	arm(0, 0);

	soft_debugfs_write(dev, "delay_us", "0");
	soft_ring_close(&r);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
