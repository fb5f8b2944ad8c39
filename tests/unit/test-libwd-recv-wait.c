// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wd_recv_wait(): a batch of completions for one sleep in poll(2) and, on a
 * device with WDSOFT_FEAT_IRQ_AT, one wake-up; on a device without it the
 * same results for one wake-up per completion. Judged by counts the device
 * double keeps (poll calls, wake-ups raised), never by time: a stepper
 * thread lets the engine run one request at a time, each only once the
 * waiter sleeps in a poll(2) it entered after the last wake-up, so every
 * wake-up the device owes shows up in the counts.
 *
 * Also: min is clamped to what is in flight; completions already there are
 * taken without a poll(2), up to max; nothing in flight is -EAGAIN; bad
 * arguments are -EINVAL; a signal does not end the wait; a queue revoked
 * before the call or while it sleeps is -ENODEV.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <misc/uacce/wdsoft.h>

#include "barrier.h"
#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

#define N 16

static const struct wdd_dev dev0[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static uint8_t src[N][64], dst[N][64];
static struct wd_msg msg[N];

static int request(struct wd_queue *q)
{
	*q = (struct wd_queue){ .alg = "memcpy", .flags = WD_QUEUE_DIRECT };
	return wd_request_queue(q);
}

/* @n memcpys, msg[i] carrying the byte i, in one wd_send_batch(). */
static int send_n(struct wd_queue *q, int n)
{
	struct wd_msg *mp[N];

	for (int i = 0; i < n; i++) {
		memset(src[i], i + 1, sizeof(src[i]));
		memset(dst[i], 0, sizeof(dst[i]));
		msg[i] = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src[i],
					  .src_len = sizeof(src[i]), .dst = dst[i],
					  .dst_len = sizeof(dst[i]) };
		mp[i] = &msg[i];
	}
	return wd_send_batch(q, mp, n);
}

/* got[0..n) are msg[from..from+n), in order, each done and copied. */
static bool in_order(struct wd_msg **got, int from, int n)
{
	for (int i = 0; i < n; i++) {
		struct wd_msg *m = &msg[from + i];

		if (got[i] != m || m->status || m->out_len != sizeof(src[0]) ||
		    memcmp(m->src, m->dst, sizeof(src[0])))
			return false;
	}
	return true;
}

static bool in_poll(const struct wdd_stats *s)
{
	return s->polls > s->polls_done;
}

/* Wait until the waiter sleeps in poll(2). */
static void until_in_poll(void)
{
	struct wdd_stats s;

	while (s = wdd_stats(), !in_poll(&s))
		sched_yield();
}

/*
 * Let the (out of credit) engine run @n requests, one at a time: each once
 * the waiter sleeps in poll(2), in a poll it entered after the last
 * wake-up if the last request raised one.
 */
static void *stepper(void *arg)
{
	int n = (int)(long)arg;
	struct wdd_stats s = wdd_stats(), last = s;

	for (int i = 0; i < n; i++) {
		while (s = wdd_stats(), !in_poll(&s) ||
		       (s.irqs != last.irqs && s.polls == last.polls))
			sched_yield();
		last = s;
		wdd_credit(1);
		while (s = wdd_stats(), s.processed == last.processed)
			sched_yield();
	}
	return NULL;
}

static pthread_t helper;

static void step_start(int n)
{
	wdd_credit(0);
	pthread_create(&helper, NULL, stepper, (void *)(long)n);
}

static void step_join(void)
{
	pthread_join(helper, NULL);
	wdd_credit(-1);
}

/* Once the waiter sleeps, resume the stalled engine. */
static void *unstall(void *arg)
{
	(void)arg;
	until_in_poll();
	wdd_stall(false);
	return NULL;
}

/* Once the waiter sleeps, revoke its queue (fd in @arg). */
static void *revoke_asleep(void *arg)
{
	until_in_poll();
	wdd_revoke_fd((int)(long)arg);
	return NULL;
}

/* Take every completion left on @q. */
static void drain(struct wd_queue *q)
{
	struct wd_msg *got[N];
	int n = wd_inflight(q);

	if (n > 0)
		wd_recv_wait(q, got, N, n);
}

static struct wdd_stats delta(const struct wdd_stats *s0)
{
	struct wdd_stats s = wdd_stats();

	s.polls -= s0->polls;
	s.irqs -= s0->irqs;
	return s;
}

/*
 * 16 in flight on a stalled, then slowed, engine: wd_recv_wait(16, 16)
 * takes all of them, in order, for one poll(2) and one wake-up.
 */
static void test_slow_engine(struct wd_queue *q)
{
	struct wd_msg *got[N];
	struct wdd_stats s0, d;

	wdd_stall(true);
	ok_errno(send_n(q, N), N, "slowed engine: 16 in flight");
	wdd_delay_us(500);
	s0 = wdd_stats();
	pthread_create(&helper, NULL, unstall, NULL);
	ok_errno(wd_recv_wait(q, got, N, N), N, "wd_recv_wait(16, 16) -> 16");
	pthread_join(helper, NULL);
	wdd_delay_us(0);
	d = delta(&s0);
	ok(in_order(got, 0, N), "the 16 messages, in order, done");
	is(d.polls, 1, "one poll(2) sleep for the batch");
	is(d.irqs, 1, "one wake-up for the batch");
	printf("# report: recv-wait-slow: 16 completions, %u polls, %u wake-ups\n",
	       d.polls, d.irqs);
}

/*
 * @sent in flight, wd_recv_wait(16, @min) while the engine runs @runs of
 * them one at a time, each only once the waiter sleeps: @runs come back,
 * in order, for one sleep and one wake-up when the device counts
 * completions (@irq_at), else one of each per completion.
 */
static void stepped(struct wd_queue *q, bool irq_at, int sent, int min, int runs)
{
	const char *dev = irq_at ? "IRQ_AT" : "no IRQ_AT";
	unsigned int want = irq_at ? 1 : (unsigned int)runs;
	struct wd_msg *got[N];
	struct wdd_stats s0, d;

	wdd_credit(0);
	ok_errno(send_n(q, sent), sent, "%s: %d in flight", dev, sent);
	s0 = wdd_stats();
	step_start(runs);
	ok_errno(wd_recv_wait(q, got, N, min), runs, "%s: wd_recv_wait(16, %d) -> %d",
		 dev, min, runs);
	step_join();
	d = delta(&s0);
	ok(in_order(got, 0, runs), "%s: the first %d messages, in order, done", dev, runs);
	is(d.polls, want, "%s: %u poll(2) sleeps for %d", dev, want, runs);
	is(d.irqs, want, "%s: %u wake-ups for %d", dev, want, runs);
	printf("# report: recv-wait-stepped-%s: min %d, %d completions, %u polls, %u wake-ups\n",
	       irq_at ? "irq-at" : "next", min, runs, d.polls, d.irqs);
}

static void test_stepped(struct wd_queue *q, bool irq_at)
{
	struct wd_msg *got[N];

	stepped(q, irq_at, N, N, N);
	/* min 4 of 16: at least 4 (exactly 4: the engine runs no more) */
	stepped(q, irq_at, N, 4, 4);
	ok_errno(wd_recv_wait(q, got, N, 12), 12, "then the other 12");
	ok(in_order(got, 4, 12), "in order");
	/* min 8 with 3 in flight: clamped to 3, no hang */
	stepped(q, irq_at, 3, 8, 3);
}

/* Completions already there: taken without a poll(2), up to max. */
static void test_ready(struct wd_queue *q)
{
	struct wd_msg *got[N];
	struct wdd_stats s0, s;

	s0 = wdd_stats();
	ok_errno(send_n(q, 8), 8, "8 in flight");
	while (s = wdd_stats(), s.processed - s0.processed < 8)
		sched_yield();
	s0 = wdd_stats();
	ok_errno(wd_recv_wait(q, got, 5, 2), 5, "8 done: wd_recv_wait(5, 2) -> 5 (max)");
	ok(in_order(got, 0, 5), "the first 5, in order");
	ok_errno(wd_recv_wait(q, got, N, 3), 3, "wd_recv_wait(16, 3) -> the other 3");
	ok(in_order(got, 5, 3), "in order");
	is(wdd_stats().polls - s0.polls, 0, "no poll(2) when the completions are there");
	ok_errno(wd_recv_wait(q, got, N, 1), -EAGAIN, "nothing in flight -> -EAGAIN");
	is(wdd_stats().polls - s0.polls, 0, "... without a poll(2)");
}

static void test_args(struct wd_queue *q)
{
	struct wd_msg *got[N];
	struct wd_queue none = { 0 };

	ok_errno(wd_recv_wait(q, NULL, 4, 1), -EINVAL, "msgs NULL -> -EINVAL");
	ok_errno(wd_recv_wait(q, got, 0, 1), -EINVAL, "max 0 -> -EINVAL");
	ok_errno(wd_recv_wait(q, got, -1, 1), -EINVAL, "max -1 -> -EINVAL");
	ok_errno(wd_recv_wait(q, got, 4, 0), -EINVAL, "min 0 -> -EINVAL");
	ok_errno(wd_recv_wait(q, got, 4, 5), -EINVAL, "min > max -> -EINVAL");
	ok_errno(wd_recv_wait(NULL, got, 4, 1), -EINVAL, "queue NULL -> -EINVAL");
	ok_errno(wd_recv_wait(&none, got, 4, 1), -EINVAL, "queue never requested -> -EINVAL");
}

static void on_signal(int sig)
{
	(void)sig;
}

struct waiter {
	pthread_t thr;
	struct wd_queue *q;
	struct wd_msg *got[N];
	int min, r;
	bool done;
};

static void *waiter_run(void *arg)
{
	struct waiter *w = arg;

	w->r = wd_recv_wait(w->q, w->got, N, w->min);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* A signal while asleep: back to sleep (no -EINTR), then the batch. */
static void test_signal(struct wd_queue *q)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct waiter w = { .q = q, .min = 2 };
	struct wdd_stats s0, s;

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: poll(2) fails EINTR */
	wdd_credit(0);
	ok_errno(send_n(q, 2), 2, "signal: 2 in flight");
	s0 = wdd_stats();
	pthread_create(&w.thr, NULL, waiter_run, &w);
	/* until one signal lands in poll(2) and the waiter sleeps again */
	while (s = wdd_stats(), s.polls - s0.polls < 2 &&
	       !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		if (in_poll(&s))
			pthread_kill(w.thr, SIGUSR1);
		usleep(1000);
	}
	wdd_credit(-1);
	pthread_join(w.thr, NULL);
	ok_errno(w.r, 2, "signal while asleep: still -> 2");
	ok(in_order(w.got, 0, 2), "the 2, in order");
	ok(wdd_stats().polls - s0.polls >= 2, "slept again after the signal");
}

/* Dead queue: before the call, and while asleep in it. */
static void test_dead(void)
{
	struct waiter w = { .min = 4 };
	struct wd_msg *got[N];
	struct wd_queue q;
	int fd;

	ok_errno(request(&q), 0, "dead: request");
	ok_errno(send_n(&q, 2), 2, "2 sent");
	ok_errno(wd_recv_wait(&q, got, N, 2), 2, "taken");
	wdd_credit(0);
	ok_errno(send_n(&q, 4), 4, "4 in flight on a gated engine");
	fd = wd_queue_fd(&q);
	w.q = &q;
	pthread_create(&w.thr, NULL, waiter_run, &w);
	pthread_create(&helper, NULL, revoke_asleep, (void *)(long)fd);
	pthread_join(helper, NULL);
	pthread_join(w.thr, NULL);
	ok_errno(w.r, -ENODEV, "revoked while asleep -> -ENODEV");
	ok_errno(wd_recv_wait(&q, got, N, 1), -ENODEV, "and at the next call -> -ENODEV");
	wdd_credit(-1);
	wd_release_queue(&q);

	ok_errno(request(&q), 0, "request another");
	ok_errno(send_n(&q, 1), 1, "1 sent");
	ok_errno(wd_recv_wait(&q, got, N, 1), 1, "taken");
	wdd_revoke_fd(wd_queue_fd(&q));
	ok_errno(wd_recv_wait(&q, got, N, 1), -ENODEV, "revoked before the call -> -ENODEV");
	wd_release_queue(&q);
}

/* Let the gated engine run @n more requests, and wait until it has. */
static void engine_runs(int n)
{
	unsigned int p0 = wdd_stats().processed;

	wdd_credit(n);
	while (wdd_stats().processed - p0 < (unsigned int)n)
		sched_yield();
}

/*
 * The driver's arm for a batch, as the contract says: what it writes, and
 * when it finds the wait already over (and leaves nothing armed).
 */
static void test_arm(struct wd_queue *q, bool irq_at)
{
	const char *dev = irq_at ? "IRQ_AT" : "no IRQ_AT";
	struct wd_queue_priv *p = q->priv;
	struct wdsoft_mmio *mmio = p->region[UACCE_QFRT_MMIO];
	struct wdsoft_dus_hdr *hdr = p->region[UACCE_QFRT_DUS];
	struct wd_msg *got[N];
	unsigned int irqs;
	uint32_t head;
	int r;

	wdd_credit(0);
	ok_errno(send_n(q, 4), 4, "arm, %s: 4 in flight", dev);
	engine_runs(2);
	head = READ_ONCE(hdr->cq_head);
	pthread_mutex_lock(&p->lock);
	r = p->drv->arm(p, 4);
	pthread_mutex_unlock(&p->lock);
	if (irq_at) {
		is(r, 0, "%s: 2 of 4 done, 2 still to run: armed", dev);
		is(READ_ONCE(mmio->irq_armed), WDSOFT_IRQ_AT, "%s: irq_armed = WDSOFT_IRQ_AT", dev);
		is(READ_ONCE(mmio->irq_at), head + 4, "%s: irq_at = cq_head + 4", dev);
	} else {
		is(r, 1, "%s: a completion waits: over at once", dev);
		is(READ_ONCE(mmio->irq_armed), WDSOFT_IRQ_NEXT, "%s: irq_armed = WDSOFT_IRQ_NEXT", dev);
	}
	irqs = wdd_stats().irqs;
	engine_runs(2);
	is(wdd_stats().irqs - irqs, 1, "%s: the engine woke the waiter once", dev);
	/* the wake-up is there to see (and is taken, not left for later tests) */
	is(__wd_sys->poll(&(struct pollfd){ .fd = p->fd, .events = POLLIN }, 1, 0), 1,
	   "%s: the queue fd is readable", dev);
	ok_errno(wd_recv_batch(q, got, 1), 1, "%s: one taken", dev);

	/* 3 wait, the engine has nothing left: no wake-up would come for 8 */
	pthread_mutex_lock(&p->lock);
	r = p->drv->arm(p, 8);
	pthread_mutex_unlock(&p->lock);
	is(r, 1, "%s: 3 wait, nothing left to run: arm for 8 is over at once", dev);
	if (irq_at)
		is(READ_ONCE(mmio->irq_armed), 0, "%s: and leaves nothing armed", dev);
	ok_errno(wd_recv_wait(q, got, N, 3), 3, "%s: the other 3", dev);
	ok(in_order(got, 1, 3), "%s: in order", dev);
	wdd_credit(-1);
}

static void run(bool irq_at)
{
	struct wdd_config cfg = { .no_irq_at = !irq_at };
	struct wd_queue q;

	wdd_install(&cfg);
	ok_errno(request(&q), 0, "%s: request", irq_at ? "IRQ_AT" : "no IRQ_AT");
	test_stepped(&q, irq_at);
	test_arm(&q, irq_at);
	if (irq_at) {
		test_slow_engine(&q);
		test_ready(&q);
		test_args(&q);
		test_signal(&q);
	}
	drain(&q);
	wd_release_queue(&q);
	if (irq_at)
		test_dead();
	wdd_uninstall();
}

int main(void)
{
	alarm(120);	/* a hang (a wake-up never raised) ends as SIGALRM */
	wdd_sysfs(dev0, 1, 1);
	run(true);
	run(false);
	wdd_sysfs_cleanup();
	return done_testing();
}
