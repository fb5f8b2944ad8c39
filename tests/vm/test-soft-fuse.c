// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A descriptor that names a page of a file whose backing store never
 * answers must not stall the engine for anyone else. A FUSE server of our
 * own (raw /dev/fuse protocol, in a thread) serves one file and holds back
 * every READ while told to. Queue A's descriptor reads that file through a
 * MAP_SHARED mapping; queue B, another process on the same engine
 * (threads=1), must keep completing within a bound meanwhile. Answering the
 * READs lets A's descriptor complete with the file's data; aborting the
 * connection completes another one with -EFAULT; a process killed while
 * its descriptor waits for a page exits at once. Afterwards no page request,
 * pinned page or queue is left and the modules unload.
 *
 * WD_FUSE_REQUESTS sets how many requests B makes (default 200).
 */
#include <linux/fuse.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "common/child-pipe.h"
#include "tap.h"
#include "vm/soft-ring.h"

#define FILE_SIZE	(1 << 20)
#define BUF_SIZE	(64 * 1024)
#define NODE_FILE	2
#define MAX_HELD	256

static char dev[64];
static int fuse_fd = -1;

/* Server state, under srv_lock. */
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static bool srv_hold;			/* hold back READs */
static struct fuse_read_in held_in[MAX_HELD];
static uint64_t held_unique[MAX_HELD];
static int nr_held;
static int reads_seen, reads_held_total;

static uint8_t file_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12));
}

static int reply(uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = {
		.len = sizeof(h) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)data, .iov_len = error ? 0 : len },
	};

	return writev(fuse_fd, iov, 2) < 0 ? -errno : 0;
}

static void fill_attr(struct fuse_attr *a, uint64_t node)
{
	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->blksize = 4096;
	if (node == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->nlink = 1;
		a->size = FILE_SIZE;
		a->blocks = FILE_SIZE / 512;
	}
}

static int answer_read(uint64_t unique, const struct fuse_read_in *in)
{
	static uint8_t data[1 << 20];
	uint64_t n = in->size, i;

	if (in->offset >= FILE_SIZE)
		n = 0;
	else if (n > FILE_SIZE - in->offset)
		n = FILE_SIZE - in->offset;
	if (n > sizeof(data))
		n = sizeof(data);
	for (i = 0; i < n; i++)
		data[i] = file_byte(in->offset + i);
	return reply(unique, 0, data, n);
}

static void serve_one(const struct fuse_in_header *h, const void *arg)
{
	switch (h->opcode) {
	case FUSE_INIT: {
		const struct fuse_init_in *in = arg;
		/* No FUSE_ASYNC_READ: reads are synchronous, the harder case. */
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION,
			.minor = 31,
			.max_readahead = in->max_readahead < 16384 ?
					 in->max_readahead : 16384,
			.max_write = 4096,
			.time_gran = 1,
		};

		reply(h->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = { .nodeid = NODE_FILE,
					      .entry_valid = 3600,
					      .attr_valid = 3600 };

		if (h->nodeid != FUSE_ROOT_ID || strcmp(arg, "data")) {
			reply(h->unique, -ENOENT, NULL, 0);
			break;
		}
		fill_attr(&out.attr, NODE_FILE);
		reply(h->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { .attr_valid = 3600 };

		fill_attr(&out.attr, h->nodeid);
		reply(h->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		/*
		 * KEEP_CACHE: else each open invalidates the page cache and
		 * waits for the page whose READ we hold.
		 */
		struct fuse_open_out out = { .fh = 1,
					     .open_flags = FOPEN_KEEP_CACHE };

		reply(h->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ: {
		const struct fuse_read_in *in = arg;
		bool held = false;

		pthread_mutex_lock(&srv_lock);
		reads_seen++;
		if (srv_hold && nr_held < MAX_HELD) {
			held_in[nr_held] = *in;
			held_unique[nr_held++] = h->unique;
			reads_held_total++;
			held = true;
		}
		pthread_mutex_unlock(&srv_lock);
		if (!held)
			answer_read(h->unique, in);
		break;
	}
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		reply(h->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;	/* no reply */
	default:
		reply(h->unique, -ENOSYS, NULL, 0);
		break;
	}
}

/* The server thread: until the connection goes away (abort, unmount). */
static void *server(void *unused)
{
	static uint8_t buf[(1 << 20) + 4096];

	(void)unused;
	for (;;) {
		ssize_t n = read(fuse_fd, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;	/* ENOENT: an interrupted request */
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;
		serve_one((const void *)buf, buf + sizeof(struct fuse_in_header));
	}
	return NULL;
}

static void set_hold(bool hold)
{
	pthread_mutex_lock(&srv_lock);
	srv_hold = hold;
	pthread_mutex_unlock(&srv_lock);
}

static int held_now(void)
{
	int n;

	pthread_mutex_lock(&srv_lock);
	n = nr_held;
	pthread_mutex_unlock(&srv_lock);
	return n;
}

/* Stop holding and answer every READ held so far; how many. */
static int release_reads(void)
{
	int i, n;

	pthread_mutex_lock(&srv_lock);
	srv_hold = false;
	n = nr_held;
	for (i = 0; i < n; i++)
		answer_read(held_unique[i], &held_in[i]);
	nr_held = 0;
	pthread_mutex_unlock(&srv_lock);
	return n;
}

/* Wait up to @ms for at least @n READs held; true if so. */
static bool wait_held(int n, long ms)
{
	long end = soft_now_ms() + ms;

	while (held_now() < n && soft_now_ms() < end)
		soft_sleep_ms(10);
	return held_now() >= n;
}

static bool wait_live(const char *key, long val, long ms)
{
	long end = soft_now_ms() + ms;

	while (soft_live("wdsoft", key) != val && soft_now_ms() < end)
		soft_sleep_ms(20);
	return soft_live("wdsoft", key) == val;
}

/*
 * child_fork_reporter(), with the FUSE device closed in the child, or the
 * connection would outlive the server.
 */
static pid_t fork_reporter(int *fd)
{
	pid_t pid = child_fork_reporter(fd);

	if (!pid)
		close(fuse_fd);
	return pid;
}

struct reader {
	pid_t pid;
	int fd;		/* read end: "S" once submitted, then the cqe status */
};

/*
 * Fork a process with its own queue that copies BUF_SIZE bytes at @off of
 * the FUSE file @path, mapped MAP_SHARED, and reports: a byte 'S' once the
 * descriptor is submitted, then the int status (after checking the data:
 * -EILSEQ if it is wrong).
 */
static struct reader start_reader(const char *path, off_t off)
{
	struct reader rd;

	rd.pid = fork_reporter(&rd.fd);
	if (!rd.pid) {
		static uint8_t dst[BUF_SIZE];
		struct wdsoft_sqe sqe;
		struct wdsoft_cqe cqe;
		struct soft_ring r;
		int fd, st = -EIO, e, i;
		uint8_t *map;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		map = fd < 0 ? MAP_FAILED :
		      mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED || soft_ring_open(&r, dev, false))
			_exit(2);
		sqe = soft_sqe(WDSOFT_OP_MEMCPY, map + off, BUF_SIZE, dst,
			       BUF_SIZE);
		sqe.cookie = 0xf05e;
		if (soft_ring_submit(&r, &sqe))
			_exit(3);
		if (write(rd.fd, "S", 1) != 1)
			_exit(4);
		e = soft_ring_reap(&r, &cqe, 120000);
		if (!e) {
			st = cqe.status;
			for (i = 0; !st && i < BUF_SIZE; i++)
				if (dst[i] != file_byte(off + i))
					st = -EILSEQ;
		}
		if (e)
			st = e;
		if (write(rd.fd, &st, sizeof(st)) != sizeof(st))
			_exit(5);
		soft_ring_close(&r);
		_exit(0);
	}
	return rd;
}

/* Wait up to @ms for @fd to be readable and read @len bytes; 0 or -errno. */
static int read_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return -ETIMEDOUT;
	return read(fd, buf, len) == (ssize_t)len ? 0 : -EIO;
}

static bool exits_ok(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

/*
 * Queue B: @n memcpy requests on its own queue, each given 2 s. Exits 0 if
 * all completed, and writes the slowest latency in ms to @out.
 */
static pid_t start_bystander(int n, int *out)
{
	pid_t pid = fork_reporter(out);

	if (!pid) {
		static uint8_t a[4096], b[4096];
		struct wdsoft_sqe sqe;
		struct wdsoft_cqe cqe;
		struct soft_ring r;
		long worst = 0;
		int i, bad = 0;

		if (soft_ring_open(&r, dev, false))
			_exit(2);
		for (i = 0; i < n && !bad; i++) {
			long t0 = soft_now_ms(), t;
			int e;

			soft_fill(a, sizeof(a), false, i);
			sqe = soft_sqe(WDSOFT_OP_MEMCPY, a, sizeof(a), b, sizeof(b));
			sqe.cookie = i;
			e = soft_ring_submit(&r, &sqe);
			if (!e)
				e = soft_ring_reap(&r, &cqe, 2000);
			t = soft_now_ms() - t0;
			worst = t > worst ? t : worst;
			if (e || cqe.status || cqe.cookie != (uint64_t)i ||
			    memcmp(a, b, sizeof(a)))
				bad = 1;
		}
		if (write(*out, &worst, sizeof(worst)) != sizeof(worst))
			_exit(4);
		soft_ring_close(&r);
		_exit(bad ? 1 : 0);
	}
	return pid;
}

int main(void)
{
	char mnt[] = "/tmp/wdfuse.XXXXXX", path[128], opts[128], abort_path[128];
	const char *env = getenv("WD_FUSE_REQUESTS");
	int nreq = env ? atoi(env) : 200, bfd, st, initial, n;
	char s;
	struct reader a, c, d;
	long worst = -1, t0, exit_ms;
	pthread_t thr;
	struct stat sb;
	pid_t b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	soft_setup("num_devices=1 threads=1", dev, sizeof(dev));
	initial = soft_attr(dev, "available_instances");
	if (access("/dev/fuse", F_OK))
		vm_system("modprobe fuse");
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0)
		bail_out("cannot open /dev/fuse: %s", strerror(errno));
	if (!mkdtemp(mnt))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0",
		 fuse_fd);
	if (mount("wdfuse", mnt, "fuse", MS_NOSUID | MS_NODEV, opts))
		bail_out("cannot mount FUSE on %s: %s", mnt, strerror(errno));
	if (pthread_create(&thr, NULL, server, NULL))
		bail_out("cannot start the FUSE server thread");
	snprintf(path, sizeof(path), "%s/data", mnt);
	ok(stat(path, &sb) == 0 && sb.st_size == FILE_SIZE,
	   "our FUSE server serves %s", path);
	if (stat(mnt, &sb))
		bail_out("stat %s: %s", mnt, strerror(errno));
	snprintf(abort_path, sizeof(abort_path),
		 "/sys/fs/fuse/connections/%u/abort", minor(sb.st_dev));
	if (access(abort_path, F_OK))
		mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL);
	ok(access(abort_path, W_OK) == 0, "the connection can be aborted (%s)",
	   abort_path);

	/* 1. A waits for a READ no one answers; B on the same engine goes on. */
	set_hold(true);
	a = start_reader(path, 0);
	ok(read_within(a.fd, &s, 1, 20000) == 0, "A submitted a copy from the FUSE mapping");
	ok(wait_held(1, 20000), "the FUSE server holds back A's READ");
	ok(wait_live("page_reqs", 1, 5000), "the engine handed the fault to a page request");
	b = start_bystander(nreq, &bfd);
	n = read_within(bfd, &worst, sizeof(worst), 60000 + nreq * 2000);
	if (n)
		kill(b, SIGKILL);
	ok(exits_ok(b) && !n, "B completed all %d requests meanwhile (slowest %ld ms)",
	   nreq, worst);
	close(bfd);
	ok(read_within(a.fd, &st, sizeof(st), 0) == -ETIMEDOUT,
	   "A's descriptor is still waiting for its page");
	n = release_reads();
	ok(n >= 1, "the server answers the %d READs it held", n);
	st = -1;
	n = read_within(a.fd, &st, sizeof(st), 30000);
	ok(!n && st == 0, "A's copy then completes with the file's data (status %d)", st);
	ok(exits_ok(a.pid), "A exits");
	close(a.fd);
	ok(wait_live("page_reqs", 0, 5000), "no page request left");

	/* 2. C and D wait; D is killed; an abort fails C's with -EFAULT. */
	set_hold(true);
	n = held_now();
	c = start_reader(path, FILE_SIZE / 2);
	ok(read_within(c.fd, &s, 1, 20000) == 0 && wait_held(n + 1, 20000),
	   "C's READ is held back");
	d = start_reader(path, FILE_SIZE / 2 + FILE_SIZE / 4);
	ok(read_within(d.fd, &s, 1, 20000) == 0 && wait_held(n + 2, 20000),
	   "D's READ is held back");
	t0 = soft_now_ms();
	kill(d.pid, SIGKILL);
	while (!(n = waitpid(d.pid, NULL, WNOHANG)) && soft_now_ms() - t0 < 5000)
		soft_sleep_ms(5);
	exit_ms = soft_now_ms() - t0;
	ok(n == d.pid, "D, killed while its descriptor waits for a page, exits in %ld ms",
	   exit_ms);
	close(d.fd);
	ok(vm_system("echo 1 > %s", abort_path) == 0, "abort the FUSE connection");
	st = 0;
	n = read_within(c.fd, &st, sizeof(st), 30000);
	ok(!n && st == -EFAULT, "C's copy completes with -EFAULT (%d)", st);
	ok(exits_ok(c.pid), "C exits");
	if (n != d.pid)
		waitpid(d.pid, NULL, 0);	/* freed by the abort */
	close(c.fd);
	pthread_join(thr, NULL);
	ok(umount2(mnt, MNT_DETACH) == 0, "unmount");
	rmdir(mnt);
	close(fuse_fd);

	ok(wait_live("page_reqs", 0, 10000), "live: no page request left");
	ok(wait_live("queues", 0, 10000), "live: no queue left");
	is(soft_live("wdsoft", "pages_held"), 0, "live: no page pinned");
	is(soft_attr(dev, "available_instances"), initial, "every instance is back");
	ok(vm_unload_modules() == 0, "the modules unload");
	printf("# report: fuse stall: %d READs seen, %d held back, bystander %d requests "
	       "slowest %ld ms, killed waiter exited in %ld ms\n",
	       reads_seen, reads_held_total, nreq, worst, exit_ms);
	return exit_status();
}
