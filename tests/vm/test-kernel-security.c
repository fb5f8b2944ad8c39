// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel security with real unprivileged users (uids with no capability
 * and no supplementary groups, set with setresuid in forked children):
 *  - user A cannot open a device node with the permissions the udev rules
 *    give (0660 root:<broker group>);
 *  - a queue that user B started, passed to A over a socket, gives A EPERM
 *    for mmap, START_Q, driver commands and REVOKE;
 *  - descriptors naming B's addresses reach A's memory only: at an address
 *    where both have memory A reads its own bytes, never B's secret; at one
 *    only B has mapped, -EFAULT;
 *  - memory handed back to the device is scrubbed: after A filled its SS
 *    region, rings and MMIO page with a pattern and closed, B opening every
 *    instance finds only zeroes (and the driver's geometry) in all of them;
 *    an engine output never carries bytes past out_len.
 * (A forked child using its parent's queue is test-uacce-owner's.)
 */
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

#define UID_A		60001
#define UID_B		60002
#define QUEUES		4
#define PATTERN		0xA5
#define SECRET		0x5E
#define SHARED_VA	((void *)0x5a0000000000UL)
#define B_ONLY_VA	((void *)0x5b0000000000UL)

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(90);
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Map the rings of @fd, a queue the caller started. 0 or -1. */
static int map_started(int fd, struct soft_ring *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (q->mmio == MAP_FAILED)
		return -1;
	q->dus_size = q->mmio->dus_size;
	q->dus = mmap(NULL, q->dus_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      UACCE_QFRT_DUS * 4096);
	if (q->dus == MAP_FAILED)
		return -1;
	q->hdr = q->dus;
	q->sq = (struct wdsoft_sqe *)((char *)q->dus + q->mmio->sq_offset);
	q->cq = (struct wdsoft_cqe *)((char *)q->dus + q->mmio->cq_offset);
	q->mask = q->mmio->sq_entries - 1;
	return 0;
}

/* User A may not open the node with the udev rules' permissions. */
static int child_open_denied(const char *path)
{
	int fd;

	become(UID_A);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return 1;
	return errno == EACCES ? 0 : 2;
}

/*
 * User B: receives a queue opened for it (as a broker would), starts it,
 * maps it, keeps a secret at SHARED_VA and B_ONLY_VA, passes the fd on to
 * A and waits until A is done.
 */
static int child_b(int sock, int fd_sock_a)
{
	static uint8_t out[4096];
	struct wdsoft_sqe sqe;
	struct wdsoft_cqe cqe;
	struct soft_ring q;
	uint8_t *s1, *s2;
	int fd, bad = 0;
	char c;

	become(UID_B);
	s1 = mmap(SHARED_VA, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	s2 = mmap(B_ONLY_VA, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (s1 == MAP_FAILED || s2 == MAP_FAILED)
		return 10;
	memset(s1, SECRET, 4096);
	memset(s2, SECRET, 4096);
	fd = soft_recv_fd(sock, 0);
	if (fd < 0 || ioctl(fd, UACCE_CMD_START_Q) || map_started(fd, &q))
		return 11;
	/* B's own use works. */
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, s1, 4096, out, 4096);
	if (soft_ring_run(&q, &sqe, &cqe) || cqe.status || out[0] != SECRET)
		bad |= 1;
	if (soft_send_fd(fd_sock_a, fd, 0))
		return 14;
	if (read(sock, &c, 1) != 1)	/* A is done */
		return 15;
	if (s1[0] != SECRET || s2[0] != SECRET)
		bad |= 2;
	return bad;
}

/* User A: gets B's started queue and must be refused everywhere. */
static int child_a(int sock)
{
	void *p;
	int fd, bad = 0;

	become(UID_A);
	fd = soft_recv_fd(sock, 0);
	if (fd < 0)
		return 20;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED || errno != EPERM)
		bad |= 1;
	if (ioctl(fd, UACCE_CMD_START_Q) != -1 || errno != EPERM)
		bad |= 2;
	if (ioctl(fd, WDSOFT_CMD_WAKE) != -1 || errno != EPERM)
		bad |= 4;
	if (ioctl(fd, UACCE_CMD_REVOKE) != -1 || errno != EPERM)
		bad |= 8;
	if (ioctl(fd, UACCE_CMD_PUT_Q) != -1 || errno != EPERM)
		bad |= 16;
	close(fd);
	return bad;
}

/*
 * User A with a queue of its own (opened for it by root, passed as a
 * broker would): descriptors naming B's addresses.
 */
static int child_a_reads_b(int sock, uint8_t *got_shared, int *st_b_only)
{
	static uint8_t out[4096];
	struct wdsoft_sqe sqe;
	struct wdsoft_cqe cqe;
	struct soft_ring q;
	uint8_t *mine;
	int fd;

	become(UID_A);
	mine = mmap(SHARED_VA, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (mine == MAP_FAILED)
		return 30;
	memset(mine, 0x11, 4096);
	fd = soft_recv_fd(sock, 0);
	if (fd < 0 || ioctl(fd, UACCE_CMD_START_Q) || map_started(fd, &q))
		return 31;

	sqe = soft_sqe(WDSOFT_OP_MEMCPY, SHARED_VA, 4096, out, 4096);
	if (soft_ring_run(&q, &sqe, &cqe) || cqe.status)
		return 33;
	*got_shared = out[100];
	sqe = soft_sqe(WDSOFT_OP_MEMCPY, B_ONLY_VA, 4096, out, 4096);
	if (soft_ring_run(&q, &sqe, &cqe))
		return 34;
	*st_b_only = cqe.status;
	return 0;
}

static bool only(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

/*
 * Fill every region of @n queues with PATTERN (and run requests, so the
 * engine's bounce buffers carry it too), then close them.
 */
static int dirty_queues(const char *dev, int n)
{
	static uint8_t buf[128 << 10];
	struct soft_ring r[QUEUES];
	struct wdsoft_cqe cqe;
	int i, bad = 0;

	memset(buf, PATTERN, sizeof(buf));
	for (i = 0; i < n; i++) {
		struct wdsoft_sqe sqe;

		if (soft_ring_open(&r[i], dev, true))
			return -1;
		memset(r[i].ss, PATTERN, r[i].ss_size);
		sqe = soft_sqe(WDSOFT_OP_MEMCPY, NULL, sizeof(buf), NULL, sizeof(buf));
		sqe.src = 0;
		sqe.dst = r[i].ss_size / 2;
		bad += soft_ring_run(&r[i], &sqe, &cqe) || cqe.status;
		sqe = soft_sqe(WDSOFT_OP_DEFLATE, NULL, sizeof(buf), NULL, 4096);
		sqe.dst = r[i].ss_size - 4096;
		bad += soft_ring_run(&r[i], &sqe, &cqe) != 0;
	}
	for (i = 0; i < n; i++) {
		/* Rings and the user line of the MMIO page too. */
		memset((uint8_t *)r[i].dus + 64 * 2, PATTERN, r[i].dus_size - 64 * 2);
		memset(r[i].mmio->rsvd1, PATTERN, sizeof(r[i].mmio->rsvd1));
		soft_ring_close(&r[i]);
	}
	return bad;
}

/* Another user gets every instance: no PATTERN byte anywhere. */
static int child_check_scrubbed(const char *dev, unsigned long *bytes)
{
	struct soft_ring r[QUEUES];
	int i, bad = 0;

	become(UID_B);
	for (i = 0; i < QUEUES; i++) {
		const uint8_t *m;
		size_t k;

		if (soft_ring_open(&r[i], dev, true))
			return 40;
		if (!only(r[i].ss, r[i].ss_size, 0))
			bad |= 1;
		if (!only(r[i].dus, r[i].dus_size, 0))
			bad |= 2;
		m = (const uint8_t *)r[i].mmio;
		for (k = 0; k < 4096; k++)
			if (m[k] == PATTERN)
				bad |= 4;
		*bytes += r[i].ss_size + r[i].dus_size + 4096;
	}
	/* The engine writes out_len bytes and not one more. */
	{
		struct wdsoft_sqe sqe;
		struct wdsoft_cqe cqe;

		soft_fill(r[0].ss, 100000, true, 3);
		sqe = soft_sqe(WDSOFT_OP_DEFLATE, NULL, 100000, NULL, 100000);
		sqe.dst = 150000;
		if (soft_ring_run(&r[0], &sqe, &cqe) || cqe.status ||
		    cqe.out_len >= 100000 ||
		    !only((uint8_t *)r[0].ss + 150000 + cqe.out_len,
			  100000 - cqe.out_len, 0))
			bad |= 8;
	}
	for (i = 0; i < QUEUES; i++)
		soft_ring_close(&r[i]);
	return bad;
}

int main(void)
{
	char dev[64], path[128], ssdev[64];
	int sb[2], sa[2], fd, st;
	unsigned long scrubbed = 0;
	long initial;
	pid_t pa, pb;

	/* An SVA device for the address checks, an SS one for scrubbing. */
	soft_setup("num_devices=2 modes=sva,ss queues=4 ss_pages=64", dev, sizeof(dev));
	if (soft_find_device(1, ssdev, sizeof(ssdev)))
		bail_out("no second wdsoft device");
	snprintf(path, sizeof(path), "/dev/%s", dev);
	initial = soft_attr(dev, "available_instances");

	/* The udev rules' permissions, whatever the running udev did. */
	if (chown(path, 0, 0) || chmod(path, 0660))
		bail_out("chmod %s: %s", path, strerror(errno));
	pa = fork();
	if (!pa)
		_exit(child_open_denied(path));
	is(wait_status(pa), 0, "user %d cannot open %s (0660 root:root): EACCES", UID_A, path);

	/* B's started queue passed to A. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sb) || socketpair(AF_UNIX, SOCK_STREAM, 0, sa))
		bail_out("socketpair: %s", strerror(errno));
	pb = fork();
	if (!pb)
		_exit(child_b(sb[1], sa[0]));
	pa = fork();
	if (!pa)
		_exit(child_a(sa[1]));
	fd = open(path, O_RDWR | O_CLOEXEC);
	ok(fd >= 0 && !soft_send_fd(sb[0], fd, 0), "root (the broker) opens a queue for user %d", UID_B);
	close(fd);
	is(wait_status(pa), 0, "user %d, given user %d's started queue over a socket, gets EPERM for mmap, START_Q, WAKE, REVOKE, PUT_Q",
	   UID_A, UID_B);
	/* B keeps its secrets mapped until the next part is done. */

	/* A's descriptors naming B's addresses. */
	{
		struct { uint8_t got; int st; } *res;
		int sq[2];

		res = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (res == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, sq))
			bail_out("setup: %s", strerror(errno));
		pa = fork();
		if (!pa)
			_exit(child_a_reads_b(sq[1], &res->got, &res->st));
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || soft_send_fd(sq[0], fd, 0))
			bail_out("cannot pass a queue to user A");
		close(fd);
		is(wait_status(pa), 0, "user %d ran descriptors naming user %d's addresses", UID_A, UID_B);
		is(res->got, 0x11, "at an address both map, the engine read A's bytes (%#x), not B's secret (%#x)",
		   res->got, SECRET);
		is(res->st, -EFAULT, "at an address only B maps, the descriptor fails with -EFAULT");
	}
	ok(write(sb[0], "d", 1) == 1, "tell B to finish");
	is(wait_status(pb), 0, "user %d's own queue worked and its secrets were never written", UID_B);
	is(soft_attr(dev, "available_instances"), initial, "every instance is back");

	/* Scrubbing: dirty every instance as root, then B opens them all. */
	is(dirty_queues(ssdev, QUEUES), 0, "%d queues used and filled with %#x (SS, rings, MMIO user line)",
	   QUEUES, PATTERN);
	{
		unsigned long *n = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (n == MAP_FAILED)
			bail_out("mmap: %s", strerror(errno));
		snprintf(path, sizeof(path), "/dev/%s", ssdev);
		if (chmod(path, 0666))
			bail_out("chmod %s: %s", path, strerror(errno));
		pb = fork();
		if (!pb)
			_exit(child_check_scrubbed(ssdev, n));
		st = wait_status(pb);
		is(st, 0, "user %d, holding every instance after that, finds only zeroes (%lu bytes checked) and output ends at out_len",
		   UID_B, *n);
		scrubbed = *n;
	}
	is(soft_attr(ssdev, "available_instances"), initial, "every instance is back again");
	ok(vm_unload_modules() == 0, "the modules unload");
	printf("# report: kernel-security: %d of %d checks passed with 2 unprivileged users (uids %d, %d), %lu bytes of recycled queue memory found scrubbed\n",
	       tap_run - tap_failed, tap_run, UID_A, UID_B, scrubbed);
	return exit_status();
}
