// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Bad input to every public libwd function gets the documented error and
 * loses nothing. One table row per bad input: the call, the errno
 * <warpdrive/wd.h> documents, and whether a message must explain it. After
 * every row: no request in flight, no descriptor or device queue more than
 * before, and the test's own queue still does a round trip (a bad call
 * must not break a good queue). The table must name every symbol of
 * libwd/libwd.sym, so a new function cannot be forgotten.
 *
 * Use after release, as defined by wd.h: a released struct wd_queue is as
 * a zeroed one (every call -EINVAL, release again a no-op) and its fd is
 * closed; a forked child's inherited queue answers -ENODEV.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/wait.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

struct ctx {
	struct wd_queue q;	/* a good queue on wdsoft-0 (every op) */
	struct wd_queue lim;	/* a good queue on wdsoft-1 (memcpy only) */
	struct wd_queue t;	/* scratch, released after each row */
	uint8_t src[256], dst[256];
	char *huge;		/* 1 MiB string */
};

static struct ctx C;

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 16 },
	{ .name = "wdsoft-1", .node = 0, .avail = 16, .algs = "memcpy" },
};

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		bail_out("cannot list /proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct wd_msg msg(uint32_t op, size_t src_len, size_t dst_len)
{
	return (struct wd_msg){ .op = op, .src = C.src, .src_len = src_len,
				.dst = C.dst, .dst_len = dst_len };
}

/* Send @m on @q; if accepted, wait for it: the status, else the error. */
static long run(struct wd_queue *q, struct wd_msg m)
{
	void *done;
	long r = wd_send(q, &m);

	if (r < 0)
		return r;
	r = wd_recv_sync(q, &done);
	if (r < 0)
		return r;
	return done == &m ? m.status : -EIO;
}

static long send_msg(struct wd_msg m)
{
	return wd_send(&C.q, &m);
}

static int request(struct wd_queue *q, const char *alg, const char *dev)
{
	*q = (struct wd_queue){ .alg = alg, .dev = dev, .flags = WD_QUEUE_DIRECT };
	return wd_request_queue(q);
}

/* A requested then released scratch queue. */
static struct wd_queue *released(void)
{
	if (request(&C.t, "memcpy", NULL) < 0)
		bail_out("cannot request a scratch queue: %s", C.t.errmsg);
	wd_release_queue(&C.t);
	return &C.t;
}

static long req_with(struct wd_queue init)
{
	C.t = init;
	return wd_request_queue(&C.t);
}

static long ptr_errno(void *p)
{
	return p ? 0 : -errno;
}

/* Run @fn in a forked child on the inherited good queue; its result. */
static long in_child(long (*fn)(struct wd_queue *q))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit((int)-fn(&C.q) & 0xff);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

static long child_send(struct wd_queue *q) { struct wd_msg m = msg(WD_OP_MEMCPY, 8, 8); return wd_send(q, &m); }
static long child_recv(struct wd_queue *q) { void *d; return wd_recv(q, &d); }
static long child_recv_sync(struct wd_queue *q) { void *d; return wd_recv_sync(q, &d); }
static long child_recv_wait(struct wd_queue *q) { struct wd_msg *mp[1]; return wd_recv_wait(q, mp, 1, 1); }
static long child_fd(struct wd_queue *q) { return wd_queue_fd(q); }
static long child_arm(struct wd_queue *q) { return wd_queue_arm(q); }
static long child_reserve(struct wd_queue *q) { return ptr_errno(wd_reserve_memory(q, 4096)); }
static long child_batch(struct wd_queue *q) { struct wd_msg m = msg(WD_OP_MEMCPY, 8, 8), *mp = &m; return wd_send_batch(q, &mp, 1); }

static void *thread_send(void *arg)
{
	(void)arg;
	return (void *)run(&C.q, msg(WD_OP_MEMCPY, 16, 16));
}

static long other_thread(void)
{
	pthread_t t;
	void *r;

	if (pthread_create(&t, NULL, thread_send, NULL))
		return -EAGAIN;
	pthread_join(t, &r);
	return (long)r;
}

static long batch_null_second(void)
{
	struct wd_msg m = msg(WD_OP_MEMCPY, 8, 8), *mp[2] = { &m, NULL };
	void *done;
	long r = wd_send_batch(&C.q, mp, 2);

	/* the first is queued and must come back: nothing is lost */
	if (r == 1 && (wd_recv_sync(&C.q, &done) != 1 || done != &m))
		return -EIO;
	return r;
}

static long batch_bad(int n, bool null_array)
{
	struct wd_msg m = msg(0, 8, 8), *mp[1] = { &m };

	return wd_send_batch(&C.q, null_array ? NULL : mp, n);
}

static long recv_batch(struct wd_queue *q, bool null_array, int max)
{
	struct wd_msg *mp[4];

	return wd_recv_batch(q, null_array ? NULL : mp, max);
}

static long recv_wait(struct wd_queue *q, bool null_array, int max, int min)
{
	struct wd_msg *mp[4];

	return wd_recv_wait(q, null_array ? NULL : mp, max, min);
}

static long strerror_ok(int err)
{
	const char *s = wd_strerror(err);

	return s && *s ? 0 : -EIO;
}

static long share(struct wd_queue *a, struct wd_queue *b)
{
	return wd_share_reserved_memory(a, b);
}

/*
 * wd_flush() returns nothing, so what it does is watched: with every
 * engine parked, a flush of a bad queue must send no wake-up to any device,
 * leave the struct as it was and keep errno; a flush of the good queue
 * must wake its parked engine, exactly once (the wake-up wd.h promises).
 */
static long flush_effect(struct wd_queue *q, unsigned int want_wakes)
{
	struct wd_queue before = { 0 };
	unsigned int wakes;

	if (!wdd_wait_parked(2000))
		return -ETIMEDOUT;
	if (q)
		before = *q;
	wakes = wdd_stats().wakes;
	errno = EDOM;
	wd_flush(q);
	if (errno != EDOM)
		return -EPROTO;		/* libwd never sets errno */
	if (wdd_stats().wakes - wakes != want_wakes)
		return -EIO;
	if (q && !want_wakes && memcmp(&before, q, sizeof(before)))
		return -EFAULT;		/* a bad queue's struct was written */
	return 0;
}

static long release_ok(struct wd_queue *q)
{
	wd_release_queue(q);
	wd_release_queue(q);
	return q && q->priv ? -EIO : 0;
}

static long released_fd_closed(void)
{
	int fd;

	if (request(&C.t, "memcpy", NULL) < 0)
		return -EIO;
	fd = wd_queue_fd(&C.t);
	wd_release_queue(&C.t);
	/* the queue's fd is closed, not left to a stray user */
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? wd_queue_fd(&C.t) : -EIO;
}

static long released_inflight(void)
{
	struct wd_msg m = msg(WD_OP_MEMCPY, 64, 64);

	/* a message in flight at release is dropped and never written */
	if (request(&C.t, "memcpy", NULL) < 0)
		return -EIO;
	wdd_stall(true);
	if (wd_send(&C.t, &m) < 0)
		return -EIO;
	m.status = 12345;
	wd_release_queue(&C.t);
	wdd_stall(false);
	usleep(20000);
	return m.status == 12345 ? wd_inflight(&C.t) : -EIO;
}

static long helper_sha(const void *buf, size_t len, bool digest)
{
	uint8_t d[WD_SHA256_SIZE];

	return wd_sha256(buf, len, digest ? d : NULL);
}

static long errmsg_ok(const struct wd_queue *q, const char *want)
{
	return strstr(wd_queue_errmsg(q), want) ? 0 : -EIO;
}

#define BIG	((size_t)1 << 62)
#define WRAP	((void *)(UINTPTR_MAX - 15))

/* ---- the harness ---- */

static char covered[64][32];
static int ncovered, nrows;
static int fds0;
static unsigned int live0;

static void cover(const char *fn)
{
	for (int i = 0; i < ncovered; i++)
		if (!strcmp(covered[i], fn))
			return;
	if (ncovered < 64)
		snprintf(covered[ncovered++], sizeof(covered[0]), "%s", fn);
}

/*
 * One bad input: @expr must give @expect; with @want_msg, C.t's message must
 * say something; afterwards nothing is in flight or leaked and the good
 * queue still works.
 */
static void row(const char *fn, const char *what, long expect, bool want_msg,
		const char *text, long got)
{
	bool clean, works;

	nrows++;
	cover(fn);
	(void)text;
	if (want_msg)
		ok(got == expect && C.t.errmsg[0], "%s: %s -> %ld (%s) with message: %s",
		   fn, what, got, strerror((int)-got), C.t.errmsg);
	else
		ok(got == expect, "%s: %s -> %ld (%s)", fn, what, got,
		   got < 0 ? strerror((int)-got) : "");
	if (got != expect)
		diag("expected %ld (%s)", expect, expect < 0 ? strerror((int)-expect) : "");
	wd_release_queue(&C.t);
	clean = wd_inflight(&C.q) == 0 && wd_inflight(&C.lim) == 0 &&
		fd_count() == fds0 && wdd_stats().live == live0;
	works = run(&C.q, msg(WD_OP_MEMCPY, 32, 32)) == 0 &&
		run(&C.lim, msg(WD_OP_MEMCPY, 32, 32)) == 0;
	if (!clean || !works) {
		ok(0, "%s: %s left the queues clean and working", fn, what);
		diag("inflight %d/%d, fds %d (was %d), device queues %u (was %u)",
		     wd_inflight(&C.q), wd_inflight(&C.lim), fd_count(), fds0,
		     wdd_stats().live, live0);
	}
	memset(&C.t, 0, sizeof(C.t));
}

#define ROW(fn, what, expect, msg, expr) row(fn, what, expect, msg, #expr, (long)(expr))

/* Every exported name in libwd.sym has at least one row. */
static void check_coverage(void)
{
	const char *root = getenv("WD_SOURCE_ROOT");
	char path[PATH_MAX], line[256], missing[1024] = "";
	bool global = false;
	int nsyms = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/libwd/libwd.sym", root ? root : "../..");
	f = fopen(path, "r");
	if (!f)
		bail_out("cannot read %s (set WD_SOURCE_ROOT)", path);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		bool found = false;

		if (strstr(line, "global:"))
			global = true;
		else if (strstr(line, "local:"))
			global = false;
		else if (global && sscanf(line, " %63[a-z0-9_];", name) == 1) {
			nsyms++;
			for (int i = 0; i < ncovered; i++)
				found |= !strcmp(covered[i], name);
			if (!found)
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
					 " %s", name);
		}
	}
	fclose(f);
	ok(nsyms > 0 && !missing[0], "the table covers all %d functions of libwd.sym%s%s",
	   nsyms, missing[0] ? "; missing:" : "", missing);
	printf("# report: libwd-badinput: %d bad inputs tried on %d public functions (%d in libwd.sym), fds before/after %d/%d, device queues before/after %u/%u\n",
	       nrows, ncovered, nsyms, fds0, fd_count(), live0, wdd_stats().live);
}

static void sva_rows(void)
{
	struct wd_queue z = { 0 };
	void *out;

	/* wd_request_queue */
	ROW("wd_request_queue", "NULL queue", -EINVAL, false, wd_request_queue(NULL));
	ROW("wd_request_queue", "empty algorithm name", -EINVAL, true, req_with((struct wd_queue){ .alg = "", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "1 MiB algorithm name", -EINVAL, true, req_with((struct wd_queue){ .alg = C.huge, .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "algorithm in capitals", -EINVAL, true, req_with((struct wd_queue){ .alg = "CRC32C", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "unknown flag", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .flags = 1U << 9 }));
	ROW("wd_request_queue", "all flags set", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .flags = ~0U }));
	ROW("wd_request_queue", "node -2", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .node = -2, .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "node INT_MIN", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .node = INT_MIN, .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "empty device name", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .dev = "", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "1 MiB device name", -EINVAL, true, req_with((struct wd_queue){ .alg = "memcpy", .dev = C.huge, .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "device name of 200 characters", -ENODEV, true, req_with((struct wd_queue){ .alg = "memcpy", .dev = C.huge + (1 << 20) - 201, .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "device path that does not exist", -ENODEV, true, req_with((struct wd_queue){ .alg = "memcpy", .dev = "/nonexistent/wdsoft-0", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "device path outside /dev", -ENODEV, true, req_with((struct wd_queue){ .alg = "memcpy", .dev = "/etc/passwd", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "device without the algorithm", -ENODEV, true, req_with((struct wd_queue){ .alg = "sha256", .dev = "wdsoft-1", .flags = WD_QUEUE_DIRECT }));
	ROW("wd_request_queue", "the same struct twice", -EBUSY, false, wd_request_queue(&C.q));

	/* wd_release_queue */
	ROW("wd_release_queue", "NULL, zeroed, and twice", 0, false, release_ok(NULL) + release_ok(&z) + release_ok(released()));

	/* wd_send */
	ROW("wd_send", "NULL queue", -EINVAL, false, wd_send(NULL, C.src));
	ROW("wd_send", "zeroed queue", -EINVAL, false, wd_send(&z, C.src));
	ROW("wd_send", "released queue", -EINVAL, false, wd_send(released(), C.src));
	ROW("wd_send", "NULL message", -EINVAL, false, wd_send(&C.q, NULL));
	ROW("wd_send", "op 0", -EINVAL, false, send_msg(msg(0, 8, 8)));
	ROW("wd_send", "op 6", -EINVAL, false, send_msg(msg(WD_OP_LAST + 1, 8, 8)));
	ROW("wd_send", "op UINT32_MAX", -EINVAL, false, send_msg(msg(UINT32_MAX, 8, 8)));
	ROW("wd_send", "op the device does not offer", -EOPNOTSUPP, false, wd_send(&C.lim, &(struct wd_msg){ .op = WD_OP_SHA256, .src = C.src, .src_len = 8, .dst = C.dst, .dst_len = 32 }));
	ROW("wd_send", "unknown message flag", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_DEFLATE, .flags = 1U << 20, .src = C.src, .src_len = 8, .dst = C.dst, .dst_len = 64 }));
	ROW("wd_send", "deflate level 10", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_DEFLATE, .flags = WD_MSG_LEVEL(10), .src = C.src, .src_len = 8, .dst = C.dst, .dst_len = 64 }));
	ROW("wd_send", "NULL src with a length", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_MEMCPY, .src_len = 8, .dst = C.dst, .dst_len = 8 }));
	ROW("wd_send", "NULL dst with a length", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_MEMCPY, .src = C.src, .src_len = 8, .dst_len = 8 }));
	ROW("wd_send", "src_len SIZE_MAX", -EINVAL, false, send_msg(msg(WD_OP_MEMCPY, SIZE_MAX, 8)));
	ROW("wd_send", "dst_len SIZE_MAX", -EINVAL, false, send_msg(msg(WD_OP_MEMCPY, 8, SIZE_MAX)));
	ROW("wd_send", "src + src_len wraps", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_MEMCPY, .src = WRAP, .src_len = 64, .dst = C.dst, .dst_len = 64 }));
	ROW("wd_send", "dst + dst_len wraps", -EINVAL, false, wd_send(&C.q, &(struct wd_msg){ .op = WD_OP_MEMCPY, .src = C.src, .src_len = 64, .dst = WRAP, .dst_len = 64 }));
	ROW("wd_send", "crc32c into 3 bytes", -EINVAL, false, send_msg(msg(WD_OP_CRC32C, 8, 3)));
	ROW("wd_send", "sha256 into 31 bytes", -EINVAL, false, send_msg(msg(WD_OP_SHA256, 8, 31)));
	ROW("wd_send", "memcpy dst smaller than src", -ENOSPC, false, run(&C.q, msg(WD_OP_MEMCPY, 64, 8)));
	ROW("wd_send", "zero-length memcpy completes", 0, false, run(&C.q, msg(WD_OP_MEMCPY, 0, 0)));
	ROW("wd_send", "from another thread works", 0, false, other_thread());
	ROW("wd_send", "in a forked child", -ENODEV, false, in_child(child_send));

	/* wd_send_batch */
	ROW("wd_send_batch", "NULL queue", -EINVAL, false, wd_send_batch(NULL, NULL, 0));
	ROW("wd_send_batch", "released queue", -EINVAL, false, wd_send_batch(released(), NULL, 0));
	ROW("wd_send_batch", "NULL array", -EINVAL, false, batch_bad(1, true));
	ROW("wd_send_batch", "n = -1", -EINVAL, false, batch_bad(-1, false));
	ROW("wd_send_batch", "n = INT_MIN", -EINVAL, false, batch_bad(INT_MIN, false));
	ROW("wd_send_batch", "n = 0", 0, false, batch_bad(0, false));
	ROW("wd_send_batch", "first message bad", -EINVAL, false, batch_bad(1, false));
	ROW("wd_send_batch", "second message NULL: first sent, comes back", 1, false, batch_null_second());
	ROW("wd_send_batch", "in a forked child", -ENODEV, false, in_child(child_batch));

	/* wd_recv, wd_recv_sync, wd_recv_batch, wd_recv_wait */
	ROW("wd_recv", "NULL queue", -EINVAL, false, wd_recv(NULL, &out));
	ROW("wd_recv", "released queue", -EINVAL, false, wd_recv(released(), &out));
	ROW("wd_recv", "NULL out pointer", -EINVAL, false, wd_recv(&C.q, NULL));
	ROW("wd_recv", "nothing in flight", -EAGAIN, false, wd_recv(&C.q, &out));
	ROW("wd_recv", "in a forked child", -ENODEV, false, in_child(child_recv));
	ROW("wd_recv_sync", "NULL queue", -EINVAL, false, wd_recv_sync(NULL, &out));
	ROW("wd_recv_sync", "released queue", -EINVAL, false, wd_recv_sync(released(), &out));
	ROW("wd_recv_sync", "NULL out pointer", -EINVAL, false, wd_recv_sync(&C.q, NULL));
	ROW("wd_recv_sync", "nothing in flight: no hang", -EAGAIN, false, wd_recv_sync(&C.q, &out));
	ROW("wd_recv_sync", "in a forked child", -ENODEV, false, in_child(child_recv_sync));
	ROW("wd_recv_batch", "NULL queue", -EINVAL, false, wd_recv_batch(NULL, NULL, 0));
	ROW("wd_recv_batch", "released queue", -EINVAL, false, recv_batch(released(), false, 4));
	ROW("wd_recv_batch", "NULL array", -EINVAL, false, recv_batch(&C.q, true, 4));
	ROW("wd_recv_batch", "max = -1", -EINVAL, false, recv_batch(&C.q, false, -1));
	ROW("wd_recv_batch", "max = 0", 0, false, recv_batch(&C.q, false, 0));
	ROW("wd_recv_batch", "nothing in flight", 0, false, recv_batch(&C.q, false, 4));
	ROW("wd_recv_wait", "NULL queue", -EINVAL, false, recv_wait(NULL, false, 4, 1));
	ROW("wd_recv_wait", "released queue", -EINVAL, false, recv_wait(released(), false, 4, 1));
	ROW("wd_recv_wait", "NULL array", -EINVAL, false, recv_wait(&C.q, true, 4, 1));
	ROW("wd_recv_wait", "max = 0", -EINVAL, false, recv_wait(&C.q, false, 0, 1));
	ROW("wd_recv_wait", "min = 0", -EINVAL, false, recv_wait(&C.q, false, 4, 0));
	ROW("wd_recv_wait", "min > max", -EINVAL, false, recv_wait(&C.q, false, 4, 5));
	ROW("wd_recv_wait", "nothing in flight: no hang", -EAGAIN, false, recv_wait(&C.q, false, 4, 4));
	ROW("wd_recv_wait", "in a forked child", -ENODEV, false, in_child(child_recv_wait));

	/* wd_flush, wd_inflight, wd_queue_fd, wd_queue_arm */
	ROW("wd_flush", "NULL queue: no effect", 0, false, flush_effect(NULL, 0));
	ROW("wd_flush", "zeroed queue: no effect", 0, false, flush_effect(&z, 0));
	ROW("wd_flush", "released queue: no effect", 0, false, flush_effect(released(), 0));
	/* Not a bad input, so not a row: the control that wake-ups are seen. */
	ok(flush_effect(&C.q, 1) == 0, "wd_flush: good queue, engine parked: woken once");
	ROW("wd_inflight", "NULL queue", -EINVAL, false, wd_inflight(NULL));
	ROW("wd_inflight", "released queue", -EINVAL, false, wd_inflight(released()));
	ROW("wd_queue_fd", "NULL queue", -EINVAL, false, wd_queue_fd(NULL));
	ROW("wd_queue_fd", "released queue: its fd is closed", -EINVAL, false, released_fd_closed());
	ROW("wd_queue_fd", "in a forked child", -ENODEV, false, in_child(child_fd));
	ROW("wd_queue_arm", "NULL queue", -EINVAL, false, wd_queue_arm(NULL));
	ROW("wd_queue_arm", "released queue", -EINVAL, false, wd_queue_arm(released()));
	ROW("wd_queue_arm", "in a forked child", -ENODEV, false, in_child(child_arm));
	ROW("wd_release_queue", "with a request in flight: dropped, never written", -EINVAL, false, released_inflight());

	/* wd_reserve_memory, wd_share_reserved_memory on SVA */
	ROW("wd_reserve_memory", "NULL queue", -EINVAL, false, ptr_errno(wd_reserve_memory(NULL, 4096)));
	ROW("wd_reserve_memory", "released queue", -EINVAL, false, ptr_errno(wd_reserve_memory(released(), 4096)));
	ROW("wd_reserve_memory", "SVA device, size 0", -EOPNOTSUPP, false, ptr_errno(wd_reserve_memory(&C.q, 0)));
	ROW("wd_reserve_memory", "SVA device, SIZE_MAX", -EOPNOTSUPP, false, ptr_errno(wd_reserve_memory(&C.q, SIZE_MAX)));
	ROW("wd_reserve_memory", "in a forked child", -ENODEV, false, in_child(child_reserve));
	ROW("wd_share_reserved_memory", "NULL source", -EINVAL, false, share(NULL, &C.q));
	ROW("wd_share_reserved_memory", "NULL target", -EINVAL, false, share(&C.q, NULL));
	ROW("wd_share_reserved_memory", "both NULL", -EINVAL, false, share(NULL, NULL));
	ROW("wd_share_reserved_memory", "itself", -EINVAL, false, share(&C.q, &C.q));
	ROW("wd_share_reserved_memory", "released target", -EINVAL, false, share(&C.q, released()));
	ROW("wd_share_reserved_memory", "released source", -EINVAL, false, share(released(), &C.q));
	ROW("wd_share_reserved_memory", "SVA source", -EOPNOTSUPP, false, share(&C.q, &C.lim));

	/* the helpers */
	ROW("wd_crc32c", "NULL buffer with a length", -EINVAL, false, wd_crc32c(NULL, 8));
	ROW("wd_crc32c", "NULL buffer, length 0: crc of nothing", 0, false, wd_crc32c(NULL, 0));
	ROW("wd_crc32c", "length SIZE_MAX", -EINVAL, false, wd_crc32c(C.src, SIZE_MAX));
	ROW("wd_crc32c", "buffer + length wraps", -EINVAL, false, wd_crc32c(WRAP, 64));
	ROW("wd_sha256", "NULL digest", -EINVAL, false, helper_sha(C.src, 8, false));
	ROW("wd_sha256", "NULL buffer with a length", -EINVAL, false, helper_sha(NULL, 8, true));
	ROW("wd_sha256", "length SIZE_MAX", -EINVAL, false, helper_sha(C.src, SIZE_MAX, true));
	ROW("wd_hash_state_init", "NULL state", -EINVAL, false, wd_hash_state_init(NULL, "sha256"));
	ROW("wd_hash_state_init", "NULL algorithm", -EINVAL, false,
	    wd_hash_state_init(&(struct wd_hash_state){ 0 }, NULL));
	ROW("wd_hash_state_init", "unknown algorithm", -EINVAL, false,
	    wd_hash_state_init(&(struct wd_hash_state){ 0 }, "sha512"));
	ROW("wd_compress", "NULL src with a length", -EINVAL, false, wd_compress(NULL, 8, C.dst, 64, 0));
	ROW("wd_compress", "NULL dst with a length", -EINVAL, false, wd_compress(C.src, 8, NULL, 64, 0));
	ROW("wd_compress", "unknown flag", -EINVAL, false, wd_compress(C.src, 8, C.dst, 64, 1U << 30));
	ROW("wd_compress", "level 15", -EINVAL, false, wd_compress(C.src, 8, C.dst, 64, WD_MSG_LEVEL(15)));
	ROW("wd_compress", "dst of 0 bytes", -ENOSPC, false, wd_compress(C.src, 8, C.dst, 0, 0));
	ROW("wd_compress", "src_len SIZE_MAX", -EINVAL, false, wd_compress(C.src, SIZE_MAX, C.dst, 64, 0));
	ROW("wd_compress", "dst_len BIG wraps", -EINVAL, false, wd_compress(C.src, 8, WRAP, BIG, 0));
	ROW("wd_decompress", "garbage stream", -EBADMSG, false, wd_decompress("\xff\xff\xff\xff", 4, C.dst, 64, WD_MSG_ZLIB));
	ROW("wd_decompress", "NULL src with a length", -EINVAL, false, wd_decompress(NULL, 8, C.dst, 64, 0));
	ROW("wd_decompress", "unknown flag", -EINVAL, false, wd_decompress(C.src, 8, C.dst, 64, 1U << 30));

	/* errors */
	ROW("wd_strerror", "INT_MIN", 0, false, strerror_ok(INT_MIN));
	ROW("wd_strerror", "INT_MAX", 0, false, strerror_ok(INT_MAX));
	ROW("wd_strerror", "0", 0, false, strerror_ok(0));
	ROW("wd_queue_errmsg", "NULL queue", 0, false, errmsg_ok(NULL, "no queue given"));
	ROW("wd_queue_errmsg", "zeroed queue", 0, false, errmsg_ok(&z, "no error recorded"));
}

int main(void)
{
	wdd_sysfs(devs, 2, 1);
	wdd_install(NULL);
	C.huge = malloc(1 << 20);
	if (!C.huge)
		bail_out("out of memory");
	memset(C.huge, 'a', (1 << 20) - 1);
	C.huge[(1 << 20) - 1] = 0;
	memset(C.src, 0x5a, sizeof(C.src));

	if (request(&C.q, "memcpy", "wdsoft-0") < 0 || request(&C.lim, "memcpy", "wdsoft-1") < 0)
		bail_out("cannot request the test's queues: %s %s", C.q.errmsg, C.lim.errmsg);
	/* the helpers cache a queue per thread: have it before the baseline */
	if (wd_crc32c("x", 1) < 0 || wd_compress("x", 1, C.dst, 64, 0) < 0)
		bail_out("helpers do not work");
	fds0 = fd_count();
	live0 = wdd_stats().live;

	sva_rows();
	check_coverage();

	wd_release_queue(&C.q);
	wd_release_queue(&C.lim);
	free(C.huge);
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
