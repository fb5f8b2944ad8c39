// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An unprivileged user on a system where WarpDrive is installed (meson
 * install into the VM, broker started by systemd): user "nobody" cannot
 * open a uacce node (EACCES) but gets queues from the broker, and uses them
 * on a real file (CRC-32C checked against a reference, deflate checked by
 * zlib inflating it back). Its leases show in ListLeases; it may call the
 * unprivileged D-Bus methods but not the admin ones. Its queues keep
 * working across `systemctl restart wdbroker`. Root revokes one lease with
 * busctl; the client sees -ENODEV on it and exits normally.
 *
 * The client is a forked child that drops to nobody; it reports each phase
 * to the parent over a pipe and waits for the parent's go between phases,
 * so the TAP output comes from one process.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <misc/uacce/uacce.h>
#include <warpdrive/wd.h>

#include "common/libwd-run.h"
#include "tap.h"
#include "vm/vmlib.h"

#define NOBODY		65534
#define INPUT_FILE	"/usr/share/common-licenses/GPL-2"
#define DEV_LINK	"/dev/ua0"
#define BUSCTL		"busctl --system call org.warpdrive /org/warpdrive org.warpdrive.Manager1"
#define AS_NOBODY	"setpriv --reuid=nobody --regid=nogroup --clear-groups "

/* What the client reports after each phase. */
struct report {
	int phase;
	int open_errno;		/* open(DEV_LINK) as nobody */
	int crc_req;		/* wd_request_queue() for crc32c */
	uint64_t crc_lease;
	int crc_ok;		/* 1: matches the reference */
	int defl_req;
	uint64_t defl_lease;
	int defl_ok;		/* 1: zlib inflates it back to the input */
	int after;		/* phase 3: wd_send on the revoked queue */
	char errmsg[256];
};

static uint8_t *input;
static size_t input_len;

/* A queue with request buffers it can work on (reserved memory on SS devices). */
struct qbuf {
	struct wd_queue q;
	uint8_t *src, *dst;
	size_t cap;
};

static int qbuf_request(struct qbuf *b, const char *alg)
{
	int r;

	b->q = (struct wd_queue){ .alg = alg, .node = WD_NODE_ANY,
				  .flags = WD_QUEUE_NO_FALLBACK };
	r = wd_request_queue(&b->q);
	if (r < 0)
		return r;
	b->cap = input_len + input_len / 8 + 1024;
	if (b->q.dev_flags & UACCE_DEV_SS) {
		uint8_t *ss = wd_reserve_memory(&b->q, input_len + b->cap + 64);

		if (!ss)
			return -errno;
		b->src = ss;
		b->dst = ss + ((input_len + 63) & ~(size_t)63);
	} else {
		b->src = malloc(input_len);
		b->dst = malloc(b->cap);
		if (!b->src || !b->dst)
			return -ENOMEM;
	}
	memcpy(b->src, input, input_len);
	return 0;
}

/* 1: the device's CRC-32C of the input is right; 0: wrong; -errno. */
static int crc_check(struct qbuf *b)
{
	struct wd_msg m = { .op = WD_OP_CRC32C, .src = b->src, .src_len = input_len,
			    .dst = b->dst, .dst_len = 4 };
	uint8_t *d = b->dst;
	int r = lw_run(&b->q, &m);

	if (r < 0)
		return r;
	return (d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24) ==
	       vm_crc32c(input, input_len);
}

/* 1: zlib inflates the device's deflate output back to the input. */
static int deflate_check(struct qbuf *b)
{
	struct wd_msg m = { .op = WD_OP_DEFLATE, .src = b->src, .src_len = input_len,
			    .dst = b->dst, .dst_len = b->cap };
	uint8_t *back = malloc(input_len + 1);
	z_stream z = { 0 };
	int r;

	if (!back)
		return -ENOMEM;
	r = lw_run(&b->q, &m);
	if (r < 0 || inflateInit2(&z, -15) != Z_OK) {
		free(back);
		return r < 0 ? r : -ENOMEM;
	}
	z.next_in = b->dst;
	z.avail_in = m.out_len;
	z.next_out = back;
	z.avail_out = input_len + 1;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	r = r == Z_STREAM_END && z.total_out == input_len && !memcmp(back, input, input_len);
	free(back);
	return r;
}

static void send_report(int fd, const struct report *rep)
{
	if (write(fd, rep, sizeof(*rep)) != sizeof(*rep))
		_exit(3);
}

static void wait_go(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(4);
}

static void client(int out, int in)
{
	struct qbuf crc = { 0 }, defl = { 0 };
	struct report rep = { .phase = 1 };
	int fd;

	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0 ||
	    getuid() != NOBODY)
		_exit(2);

	fd = open(DEV_LINK, O_RDWR | O_CLOEXEC);
	rep.open_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);

	rep.crc_req = qbuf_request(&crc, "crc32c");
	rep.crc_lease = crc.q.lease;
	if (rep.crc_req == 0)
		rep.crc_ok = crc_check(&crc);
	else
		snprintf(rep.errmsg, sizeof(rep.errmsg), "%s", wd_queue_errmsg(&crc.q));
	rep.defl_req = qbuf_request(&defl, "deflate");
	rep.defl_lease = defl.q.lease;
	if (rep.defl_req == 0)
		rep.defl_ok = deflate_check(&defl);
	else if (!rep.errmsg[0])
		snprintf(rep.errmsg, sizeof(rep.errmsg), "%s", wd_queue_errmsg(&defl.q));
	send_report(out, &rep);

	/* Phase 2: the broker was restarted. */
	wait_go(in);
	rep.phase = 2;
	rep.crc_ok = rep.crc_req == 0 ? crc_check(&crc) : -ENODEV;
	rep.defl_ok = rep.defl_req == 0 ? deflate_check(&defl) : -ENODEV;
	send_report(out, &rep);

	/* Phase 3: the crc32c lease was revoked. */
	wait_go(in);
	rep.phase = 3;
	rep.after = rep.crc_req == 0 ? crc_check(&crc) : 0;
	rep.defl_ok = rep.defl_req == 0 ? deflate_check(&defl) : -ENODEV;
	send_report(out, &rep);

	wd_release_queue(&crc.q);
	wd_release_queue(&defl.q);
	_exit(0);
}

static int get_report(int fd, struct report *rep, int phase)
{
	ssize_t n = read(fd, rep, sizeof(*rep));

	return n == sizeof(*rep) && rep->phase == phase ? 0 : -EIO;
}

static void go(int fd)
{
	if (write(fd, "g", 1) != 1)
		bail_out("cannot talk to the client");
}

static int read_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	input_len = st.st_size;
	input = malloc(input_len);
	if (!input || read(fd, input, input_len) != (ssize_t)input_len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static long instances(void)
{
	long v = -1;

	vm_sysfs_long("wdsoft-0", "available_instances", &v);
	return v;
}

int main(void)
{
	const char *src = getenv("WD_SOURCE_ROOT"), *build = getenv("WD_BUILD_ROOT");
	char broker[4096];
	int up[2], down[2], status, r;
	struct report rep = { 0 };
	long avail0;
	pid_t pid;

	vm_require();
	if (!src || !build)
		bail_out("run me from meson test (WD_SOURCE_ROOT, WD_BUILD_ROOT)");
	snprintf(broker, sizeof(broker), "%s/wdbrokerd/wdbrokerd", build);
	if (access(broker, X_OK) < 0)
		plan_skip_all("wdbrokerd is not built yet (no %s)", broker);
	if (read_file(INPUT_FILE) < 0)
		plan_skip_all("no input file %s", INPUT_FILE);

	r = vm_system("sh %s/tests/vm/test-system-lib.sh setup", src);
	if (r != 0)
		bail_out("installing WarpDrive into the VM and loading wdsoft failed");
	vm_system("systemctl start wdbroker.socket");
	avail0 = instances();
	ok(avail0 > 1, "wdsoft-0 offers %ld instances", avail0);

	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
		bail_out("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0)
		client(up[1], down[0]);
	close(up[1]);
	close(down[0]);

	if (get_report(up[0], &rep, 1) < 0)
		bail_out("the client died before reporting");
	ok(rep.open_errno == EACCES, "nobody cannot open %s: %s", DEV_LINK,
	   strerror(rep.open_errno));
	ok(rep.crc_req == 0 && rep.crc_lease, "nobody gets a crc32c queue from the broker (lease %" PRIu64 ")%s%s",
	   rep.crc_lease, rep.errmsg[0] ? ": " : "", rep.errmsg);
	ok(rep.crc_ok == 1, "CRC-32C of %s through the queue is right (%d)", INPUT_FILE, rep.crc_ok);
	ok(rep.defl_req == 0 && rep.defl_lease, "nobody gets a deflate queue (lease %" PRIu64 ")",
	   rep.defl_lease);
	ok(rep.defl_ok == 1, "deflate of %s through the queue inflates back (%d)", INPUT_FILE,
	   rep.defl_ok);

	ok(vm_system(BUSCTL " ListLeases | grep -qw %" PRIu64 " && " BUSCTL " ListLeases | grep -qw %" PRIu64,
		     rep.crc_lease, rep.defl_lease) == 0,
	   "root sees both leases in ListLeases");
	ok(vm_system(AS_NOBODY BUSCTL " ListLeases | grep -qw %" PRIu64, rep.crc_lease) == 0,
	   "nobody may call ListLeases and sees its lease");
	ok(vm_system(AS_NOBODY BUSCTL " ListDevices >/dev/null") == 0,
	   "nobody may call ListDevices");
	ok(vm_system(AS_NOBODY BUSCTL " RevokeLease t %" PRIu64 " 2>/dev/null", rep.crc_lease) != 0,
	   "nobody may not call RevokeLease");
	ok(vm_system(AS_NOBODY BUSCTL " Reload 2>/dev/null") != 0,
	   "nobody may not call Reload");

	ok(vm_system("systemctl restart wdbroker.service") == 0,
	   "systemctl restart wdbroker with the client holding two leases");
	go(down[1]);
	if (get_report(up[0], &rep, 2) < 0)
		bail_out("the client died after the restart");
	ok(rep.crc_ok == 1 && rep.defl_ok == 1,
	   "both queues still work after the restart (crc %d, deflate %d)", rep.crc_ok, rep.defl_ok);

	ok(vm_system(BUSCTL " RevokeLease t %" PRIu64, rep.crc_lease) == 0,
	   "root revokes lease %" PRIu64 " with busctl", rep.crc_lease);
	go(down[1]);
	if (get_report(up[0], &rep, 3) < 0)
		bail_out("the client died after the revocation");
	ok(rep.after == -ENODEV, "the client sees -ENODEV on the revoked queue (%s)",
	   rep.after == 1 ? "the queue still works" :
	   rep.after < 0 ? strerror(-rep.after) : "wrong CRC");
	ok(rep.defl_ok == 1, "its other queue still works");

	r = waitpid(pid, &status, 0);
	ok(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the client exits normally (status 0x%x)", status);

	for (int i = 0; i < 100 && instances() != avail0; i++)
		usleep(100 * 1000);
	ok(instances() == avail0, "available_instances back to %ld (%ld)", avail0, instances());

	vm_system("sh %s/tests/vm/test-system-lib.sh cleanup", src);
	free(input);
	return exit_status();
}
