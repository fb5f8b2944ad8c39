// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwd's wait policy (libwd/src/wait.c): the decision itself, then what
 * wd_recv, wd_recv_batch and wd_recv_sync do against the device double
 * with the caller and the engine placed on chosen CPUs. A waiter whose
 * engine polls on its own CPU yields that CPU; one whose engine polls
 * elsewhere never makes a system call before it sleeps; a parked or
 * stalled engine is not watched; a device that does not say where its
 * engine runs gets the spin. Judged by the calls libwd makes through the
 * system-call seam (sched_yield, poll), never by time.
 */
#include <pthread.h>
#include <sched.h>

#include <misc/uacce/wdsoft.h>

#include "barrier.h"
#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

static const struct wdd_dev dev0[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static uint8_t src[64], dst[64];

static void test_choice(void)
{
	struct wd_engine_hint e = { .known = false, .cpu = 2 };

	is(__wd_wait_choice(&e, 2), WD_WAIT_SPIN, "device does not say: spin");
	e = (struct wd_engine_hint){ .known = true, .parked = true, .cpu = 2 };
	is(__wd_wait_choice(&e, 2), WD_WAIT_SLEEP, "engine parked on our CPU: sleep");
	is(__wd_wait_choice(&e, 3), WD_WAIT_SLEEP, "engine parked elsewhere: sleep");
	e.parked = false;
	is(__wd_wait_choice(&e, 2), WD_WAIT_YIELD, "engine polling on our CPU: yield");
	is(__wd_wait_choice(&e, 3), WD_WAIT_SPIN, "engine polling on another CPU: spin");
	is(__wd_wait_choice(&e, -1), WD_WAIT_SPIN, "our CPU unknown: spin");
	e.cpu = -1;
	is(__wd_wait_choice(&e, 2), WD_WAIT_SPIN, "engine has not run yet: spin");
}

/* A started queue whose engine has published where it runs. */
static int request(struct wd_queue *q)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->alg = "memcpy";
	q->node = WD_NODE_ANY;
	q->flags = WD_QUEUE_DIRECT;
	r = wd_request_queue(q);
	return r < 0 ? r : wdd_roundtrip(q);
}

static int send_one(struct wd_queue *q, struct wd_msg *m)
{
	*m = (struct wd_msg){ .op = WD_OP_MEMCPY, .src = src, .src_len = sizeof(src),
			      .dst = dst, .dst_len = sizeof(dst) };
	return wd_send(q, m);
}

/* Wait until @q's engine says it polls (or is stalled) on @cpu. */
static void engine_settled(struct wd_queue *q, int cpu, uint32_t status)
{
	struct wd_queue_priv *p = q->priv;
	struct wdsoft_mmio *mmio = p->region[UACCE_QFRT_MMIO];

	while (READ_ONCE(mmio->status) != status ||
	       READ_ONCE(mmio->engine_cpu) != (uint32_t)cpu)
		sched_yield();
}

struct waiter {
	pthread_t thr;
	struct wd_queue *q;
	int r;
	void *done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->r = wd_recv_sync(w->q, &w->done);
	return NULL;
}

/*
 * Until the waiting thread has slept in poll(2), or has yielded (its first
 * look at a polling engine on its CPU always yields; how many more it makes
 * in WD_SPIN_NS depends on the machine).
 */
static void wait_until(unsigned int polls0, unsigned int yields0, bool for_poll)
{
	for (;;) {
		struct wdd_stats s = wdd_stats();

		if (for_poll ? s.polls > polls0 : s.yields > yields0)
			return;
		sched_yield();
	}
}

static void test_polling_loop(void)
{
	struct wd_queue q;
	struct wd_msg m, *got[4];
	unsigned int y;
	void *done;

	ok_errno(request(&q), 0, "queue on the double");
	wdd_busy(true);
	ok_errno(send_one(&q, &m), 0, "one request in flight, engine polling but busy");

	wdd_place(3, 3);
	engine_settled(&q, 3, WDSOFT_STATUS_RUNNING);
	y = wdd_stats().yields;
	is(wd_recv(&q, &done), -EAGAIN, "same CPU: wd_recv finds nothing");
	is(wdd_stats().yields, y + 1, "... and yields the CPU once");
	is(wd_recv_batch(&q, got, 4), 0, "same CPU: wd_recv_batch finds nothing");
	is(wdd_stats().yields, y + 2, "... and yields the CPU once");

	wdd_place(3, 5);
	engine_settled(&q, 5, WDSOFT_STATUS_RUNNING);
	y = wdd_stats().yields;
	is(wd_recv(&q, &done), -EAGAIN, "other CPU: wd_recv finds nothing");
	is(wd_recv_batch(&q, got, 4), 0, "other CPU: wd_recv_batch finds nothing");
	is(wdd_stats().yields, y, "... and neither yields");

	wdd_busy(false);
	wdd_place(-1, -1);
	do
		y = (unsigned int)wd_recv_batch(&q, got, 4);
	while (y == 0);
	is(y, 1, "the request completes once the engine works");
	wd_release_queue(&q);
}

static void sync_wait(int client, int engine, bool stall, bool expect_yield, const char *what)
{
	struct wd_queue q;
	struct waiter w = { .q = &q };
	struct wd_msg m;
	struct wdd_stats s0;

	ok_errno(request(&q), 0, "%s: queue on the double", what);
	wdd_place(client, engine);
	if (stall)
		wdd_stall(true);
	else
		wdd_busy(true);
	ok_errno(send_one(&q, &m), 0, "%s: one request in flight", what);
	engine_settled(&q, engine, WDSOFT_STATUS_RUNNING | (stall ? WDSOFT_STATUS_STALLED : 0));
	s0 = wdd_stats();
	pthread_create(&w.thr, NULL, waiter_fn, &w);
	wait_until(s0.polls, s0.yields, !expect_yield);
	if (stall)
		wdd_stall(false);
	else
		wdd_busy(false);
	pthread_join(w.thr, NULL);
	ok(w.r == 1 && w.done == &m && !m.status, "%s: wd_recv_sync returns the request", what);
	if (expect_yield)
		ok(wdd_stats().yields > s0.yields, "%s: it yielded the CPU while waiting", what);
	else
		is(wdd_stats().yields, s0.yields, "%s: it slept in poll(2) without yielding", what);
	wdd_place(-1, -1);
	wd_release_queue(&q);
}

int main(void)
{
	struct wdd_config old = { .no_engine_cpu = true };
	struct wd_queue q;
	struct wd_msg m;
	void *done;

	test_choice();
	wdd_sysfs(dev0, 1, 1);
	wdd_install(NULL);
	test_polling_loop();
	sync_wait(3, 3, false, true, "engine polling on our CPU");
	sync_wait(3, 5, false, false, "engine polling on another CPU");
	sync_wait(3, 3, true, false, "engine stalled on our CPU");
	wdd_uninstall();

	/* A device without WDSOFT_FEAT_ENGINE_CPU: libwd never yields. */
	wdd_install(&old);
	wdd_place(3, 3);
	ok_errno(request(&q), 0, "queue on a device that does not say where its engine runs");
	wdd_busy(true);
	ok_errno(send_one(&q, &m), 0, "one request in flight");
	engine_settled(&q, 3, WDSOFT_STATUS_RUNNING);
	is(wd_recv(&q, &done), -EAGAIN, "wd_recv finds nothing");
	is(wdd_stats().yields, 0, "... and does not yield: nothing says the engine is here");
	wdd_busy(false);
	while (wd_recv(&q, &done) == -EAGAIN)
		;
	ok(done == &m, "the request completes");
	wd_release_queue(&q);
	is(wdd_stats().live, 0, "every queue closed");
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
