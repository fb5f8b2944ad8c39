// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stress: the queue life cycle many times over.
 *  - 10,000 open / START_Q / close cycles (every 16th also maps the rings);
 *  - 100 unloads of wdsoft while 4 queues are open, started, mapped and
 *    busy with large requests; each owner finds its queue dead (zero
 *    mappings, ENODEV, POLLHUP), then wdsoft is loaded again;
 *  - 1,000 clients killed with SIGKILL at random points of their life:
 *    before or after opening, starting, mapping, mid-request;
 * then the engine still computes correct results, every instance is back,
 * and uacce's and wdsoft's live-object counters are zero.
 *
 * WD_STRESS_FACTOR=N multiplies every count (default 1).
 */
#include <signal.h>
#include <sys/wait.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vm/soft-ring.h"

#define PARAMS		"num_devices=1 queues=8 ring_depth=32"
#define QUEUES		8
#define BIG		(1UL << 20)

static unsigned long factor = 1;

static int phase_cycles(const char *dev, unsigned long n)
{
	char path[128];
	unsigned long i;
	int bad = 0;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	for (i = 0; i < n; i++) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd < 0 || ioctl(fd, UACCE_CMD_START_Q)) {
			if (bad++ < 5)
				diag("cycle %lu: %s", i, strerror(errno));
		} else if (i % 16 == 0) {
			void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED, fd, UACCE_QFRT_MMIO * 4096);

			if (m == MAP_FAILED || ((struct wdsoft_mmio *)m)->magic != WDSOFT_MAGIC)
				bad++;
			if (m != MAP_FAILED)
				munmap(m, 4096);
		}
		if (fd >= 0)
			close(fd);
	}
	return bad;
}

/* Fill @r's ring with large memcpys so the engine is busy with it. */
static void make_busy(struct soft_ring *r, uint8_t *src, uint8_t *dst)
{
	struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_MEMCPY, src, BIG, dst, BIG);

	while (!soft_ring_queue(r, &sqe))
		sqe.cookie++;
	soft_ring_doorbell(r);
}

static int phase_rmmod(char *dev, size_t size, unsigned long n,
		       unsigned long *done)
{
	uint8_t *src = malloc(BIG), *dst = malloc(BIG);
	unsigned long i;
	int bad = 0, k;

	if (!src || !dst)
		bail_out("out of memory");
	memset(src, 0x11, BIG);
	for (i = 0; i < n; i++) {
		struct soft_ring r[4];
		int opened = 0;

		for (k = 0; k < 4; k++) {
			if (soft_ring_open(&r[k], dev, false))
				break;
			opened++;
			make_busy(&r[k], src, dst);
		}
		if (opened < 4)
			bad++;
		if (soft_kmod_unload("wdsoft")) {
			if (bad++ < 5)
				diag("cycle %lu: rmmod wdsoft: %s", i, strerror(errno));
		} else {
			(*done)++;
		}
		for (k = 0; k < opened; k++) {
			struct pollfd p = { .fd = r[k].fd, .events = POLLIN };
			struct uacce_qinfo qi;

			/* The dead-queue contract, seen by a busy owner. */
			if (r[k].mmio->magic != 0 ||
			    ioctl(r[k].fd, WDSOFT_CMD_WAKE) != -1 || errno != ENODEV ||
			    poll(&p, 1, 1000) != 1 || !(p.revents & POLLHUP) ||
			    ioctl(r[k].fd, UACCE_CMD_QINFO, &qi) ||
			    qi.state != UACCE_QSTATE_DEAD) {
				if (bad++ < 5)
					diag("cycle %lu: queue %d not cleanly dead", i, k);
			}
			r[k].mmio->sq_tail = 12345;	/* the dead page takes it */
			soft_ring_close(&r[k]);
		}
		if (soft_kmod_load("wdsoft", PARAMS)) {
			diag("cycle %lu: cannot load wdsoft again: %s", i, strerror(errno));
			bad++;
			break;
		}
		if (soft_find_device(0, dev, size)) {
			diag("cycle %lu: no device after reload", i);
			bad++;
			break;
		}
		/* The node appears through devtmpfs; udev only adjusts it. */
		for (k = 0; k < 500; k++) {
			char path[128];

			snprintf(path, sizeof(path), "/dev/%s", dev);
			if (!access(path, F_OK))
				break;
			soft_sleep_ms(2);
		}
	}
	free(src);
	free(dst);
	return bad;
}

/* One client: open, start, map, say so on @ready, submit until killed. */
static void client(const char *dev, int ready)
{
	static uint8_t src[256 << 10], dst[256 << 10];
	struct soft_ring r;
	struct wdsoft_sqe sqe;
	struct wdsoft_cqe cqe;

	if (soft_ring_open(&r, dev, false))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		sqe = soft_sqe(rand() % 2 ? WDSOFT_OP_MEMCPY : WDSOFT_OP_DEFLATE,
			       src, sizeof(src), dst, sizeof(dst));
		if (soft_ring_submit(&r, &sqe) == -EAGAIN)
			soft_ring_reap(&r, &cqe, 10);
	}
}

/*
 * Kill @n clients one after the other: half from the start of their life
 * (open, START_Q, mmap may be under way), half once they are submitting.
 */
static int phase_kill(const char *dev, unsigned long n, unsigned long *killed)
{
	unsigned long i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		int fd, st;
		char c;
		pid_t pid = child_fork_reporter(&fd);

		if (!pid) {
			srand(i);
			client(dev, fd);
		}
		if (rand() % 2 && read(fd, &c, 1) != 1)
			bad++;
		usleep(rand() % 4000);
		kill(pid, SIGKILL);
		if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))
			bad++;
		else
			(*killed)++;
		close(fd);
	}
	return bad;
}

int main(void)
{
	unsigned long cycles, rmmods = 0, killed = 0;
	long t0, t_cycles, t_rmmod, t_kill;
	const char *env;
	char dev[64];
	int bad;

	env = getenv("WD_STRESS_FACTOR");
	if (env && atol(env) > 0)
		factor = atol(env);
	soft_setup(PARAMS, dev, sizeof(dev));
	srand(time(NULL));

	cycles = 10000 * factor;
	t0 = soft_now_ms();
	bad = phase_cycles(dev, cycles);
	t_cycles = soft_now_ms() - t0;
	is(bad, 0, "%lu open/START_Q/close cycles, all succeed (%ld ms)", cycles, t_cycles);
	is(soft_wait_instances(dev, QUEUES, 10000), QUEUES, "every instance is back after the cycles");

	t0 = soft_now_ms();
	bad = phase_rmmod(dev, sizeof(dev), 100 * factor, &rmmods);
	t_rmmod = soft_now_ms() - t0;
	is(bad, 0, "%lu unloads of wdsoft with 4 busy queues: each owner sees a cleanly dead queue (%ld ms)",
	   rmmods, t_rmmod);
	is(soft_wait_instances(dev, QUEUES, 10000), QUEUES, "the reloaded device has every instance");

	t0 = soft_now_ms();
	bad = phase_kill(dev, 1000 * factor, &killed);
	t_kill = soft_now_ms() - t0;
	is(bad, 0, "%lu clients killed with SIGKILL at random points (%ld ms)", killed, t_kill);
	is(soft_wait_instances(dev, QUEUES, 10000), QUEUES, "every instance is back after the kills");
	ok_errno(soft_memcpy_check(dev, 100000, 99), 0, "the engine still computes a correct copy");
	is(soft_live("uacce", "queues"), 0, "uacce: no queue structure left alive");
	is(soft_live("wdsoft", "queues"), 0, "wdsoft: no queue structure left alive");
	is(soft_live("wdsoft", "pages_held"), 0, "wdsoft: no user page left pinned");
	ok(vm_unload_modules() == 0, "the modules unload");
	printf("# report: kernel-stress: %lu open/start/close cycles in %ld ms, %lu rmmods with 4 busy queues in %ld ms, %lu clients SIGKILLed mid-life in %ld ms\n",
	       cycles, t_cycles, rmmods, t_rmmod, killed, t_kill);
	return exit_status();
}
