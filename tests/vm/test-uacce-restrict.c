// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UACCE_CMD_RESTRICT_ALGS: a queue narrowed to some of the device's
 * algorithms gets -EPERM completions for the others, before or after
 * START_Q; every call only narrows (intersection); deflate and zlib are
 * told apart by WDSOFT_SQE_ZLIB; bad arguments give EINVAL/EFAULT and
 * change nothing; before START_Q any holder of the fd may narrow (a broker
 * before passing it), after START_Q only the owner (EPERM for another
 * process); a dead queue gives ENODEV; other queues are not affected; an op
 * the device has no name for is refused (-EPERM) on a narrowed queue.
 */
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

static int restrict_algs(int fd, const char *names, uint32_t len, uint32_t flags)
{
	struct uacce_algs a = {
		.names = (uintptr_t)names,
		.len = len,
		.flags = flags,
	};

	return ioctl(fd, UACCE_CMD_RESTRICT_ALGS, &a) ? -errno : 0;
}

static int narrow(int fd, const char *names)
{
	return restrict_algs(fd, names, strlen(names) + 1, 0);
}

static uint8_t src[8192], dst[65536];

/* Status of one descriptor of @op (with @flags) on @r. */
static int status_of(struct soft_ring *r, uint8_t op, uint16_t flags)
{
	struct wdsoft_sqe sqe = soft_sqe(op, src, sizeof(src), dst, sizeof(dst));
	struct wdsoft_cqe cqe;
	int e;

	if (op == WDSOFT_OP_INFLATE) {
		/* Inflate what a deflate of the same format just produced. */
		struct wdsoft_sqe d = soft_sqe(WDSOFT_OP_DEFLATE, src, sizeof(src),
					       dst + 32768, 32768);

		d.flags = flags;
		e = soft_ring_run(r, &d, &cqe);
		if (e || cqe.status)
			return e ? e : 1000 + cqe.status;	/* setup failed */
		sqe = soft_sqe(op, dst + 32768, cqe.out_len, dst, 32768);
	}
	sqe.flags = flags;
	e = soft_ring_run(r, &sqe, &cqe);
	return e ? e : cqe.status;
}

int main(void)
{
	struct soft_ring r, other;
	char dev[64], big[UACCE_ALGS_MAX_LEN + 16];
	long initial;
	int fd, e, st;
	pid_t pid;

	soft_setup("num_devices=1", dev, sizeof(dev));
	initial = soft_attr(dev, "available_instances");
	soft_fill(src, sizeof(src), true, 5);

	/* Narrowed before START_Q, as a broker does before passing the fd. */
	{
		char path[128];

		snprintf(path, sizeof(path), "/dev/%s", dev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			bail_out("open %s: %s", path, strerror(errno));
		is(narrow(fd, "memcpy crc32c"), 0, "restrict to \"memcpy crc32c\" before START_Q");
		close(fd);
	}
	/* Same thing on the queue we use (soft_ring_open starts it). */
	e = soft_ring_open(&r, dev, false);
	if (e)
		bail_out("cannot open a queue: %s", strerror(-e));
	is(narrow(r.fd, "memcpy\tcrc32c\n"), 0, "restrict a started queue; tabs and newlines separate too");
	is(status_of(&r, WDSOFT_OP_MEMCPY, 0), 0, "memcpy still runs");
	is(status_of(&r, WDSOFT_OP_CRC32C, 0), 0, "crc32c still runs");
	is(status_of(&r, WDSOFT_OP_SHA256, 0), -EPERM, "sha256 completes with -EPERM");
	is(status_of(&r, WDSOFT_OP_DEFLATE, 0), -EPERM, "deflate completes with -EPERM");
	is(status_of(&r, WDSOFT_OP_NOP, 0), 0, "a NOP is no algorithm and always runs");

	/* Errors change nothing. */
	is(narrow(r.fd, "memcpy bogus"), -EINVAL, "an unknown name: EINVAL");
	is(narrow(r.fd, ""), -EINVAL, "an empty list: EINVAL");
	is(narrow(r.fd, " \t "), -EINVAL, "a list of blanks: EINVAL");
	is(restrict_algs(r.fd, "memcpy", 7, 1), -EINVAL, "flags != 0: EINVAL");
	is(restrict_algs(r.fd, "memcpy", 6, 0), -EINVAL, "names not NUL-terminated at len: EINVAL");
	is(restrict_algs(r.fd, "memcpy\0crc32c", 14, 0), -EINVAL, "a NUL inside the names: EINVAL");
	is(restrict_algs(r.fd, "memcpy", 0, 0), -EINVAL, "len 0: EINVAL");
	memset(big, ' ', sizeof(big));
	memcpy(big, "memcpy crc32c", 13);
	big[UACCE_ALGS_MAX_LEN] = 0;
	is(restrict_algs(r.fd, big, UACCE_ALGS_MAX_LEN + 1, 0), -EINVAL, "len > 4096: EINVAL");
	big[UACCE_ALGS_MAX_LEN - 1] = 0;
	is(restrict_algs(r.fd, big, UACCE_ALGS_MAX_LEN, 0), 0, "len == 4096 is accepted");
	is(restrict_algs(r.fd, (const char *)8, 7, 0), -EFAULT, "a bad names pointer: EFAULT");
	ok(ioctl(r.fd, UACCE_CMD_RESTRICT_ALGS, (void *)16) == -1 && errno == EFAULT,
	   "a bad argument pointer: EFAULT");
	is(status_of(&r, WDSOFT_OP_CRC32C, 0), 0, "after the errors crc32c still runs");
	is(status_of(&r, WDSOFT_OP_MEMCPY, 0), 0, "and memcpy too");

	/* Narrowing only: asking for more gives the intersection. */
	is(narrow(r.fd, "crc32c sha256 deflate"), 0, "restrict again to \"crc32c sha256 deflate\"");
	is(status_of(&r, WDSOFT_OP_CRC32C, 0), 0, "crc32c, in both sets, runs");
	is(status_of(&r, WDSOFT_OP_SHA256, 0), -EPERM, "sha256 stays refused: a set cannot grow");
	is(status_of(&r, WDSOFT_OP_MEMCPY, 0), -EPERM, "memcpy is now refused");

	/* After START_Q only the owner may narrow it: another holder gets EPERM. */
	pid = fork();
	if (!pid)
		_exit(narrow(r.fd, "sha256") == -EPERM ? 0 : 1);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	   "a forked child (another mm) may not narrow the started queue: EPERM");
	is(status_of(&r, WDSOFT_OP_CRC32C, 0), 0, "crc32c still runs: the child's narrowing had no effect");

	/* Before START_Q any holder may, as the broker does before passing it. */
	{
		char path[128];
		struct soft_ring q;

		snprintf(path, sizeof(path), "/dev/%s", dev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			bail_out("open %s: %s", path, strerror(errno));
		pid = fork();
		if (!pid)
			_exit(narrow(fd, "crc32c") == 0 ? 0 : 1);
		ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
		   "another process narrows a queue not started yet");
		e = soft_ring_adopt(&q, fd, dev, false, false, -1);
		if (e)
			bail_out("cannot start the narrowed queue: %s", strerror(-e));
		is(status_of(&q, WDSOFT_OP_MEMCPY, 0), -EPERM, "its owner then gets -EPERM for memcpy");
		is(status_of(&q, WDSOFT_OP_CRC32C, 0), 0, "and crc32c runs");
		is(narrow(q.fd, "crc32c memcpy"), 0, "the owner may narrow its started queue");
		soft_ring_close(&q);
	}
	is(narrow(r.fd, "sha256"), 0, "the owner narrows its queue to {}");
	is(status_of(&r, WDSOFT_OP_CRC32C, 0), -EPERM, "crc32c is refused after narrowing to {}");

	/* Other queues keep their own set. */
	e = soft_ring_open(&other, dev, false);
	if (e)
		bail_out("cannot open a second queue: %s", strerror(-e));
	is(status_of(&other, WDSOFT_OP_SHA256, 0), 0, "an unrestricted queue on the same engine runs sha256");

	/* deflate and zlib are separate names. */
	is(narrow(other.fd, "deflate"), 0, "restrict the second queue to \"deflate\"");
	is(status_of(&other, WDSOFT_OP_DEFLATE, 0), 0, "raw deflate runs");
	is(status_of(&other, WDSOFT_OP_INFLATE, 0), 0, "raw inflate runs (deflate covers both directions)");
	is(status_of(&other, WDSOFT_OP_DEFLATE, WDSOFT_SQE_ZLIB), -EPERM, "zlib deflate is refused");
	soft_ring_close(&other);
	e = soft_ring_open(&other, dev, false);
	if (e)
		bail_out("cannot open a third queue: %s", strerror(-e));
	is(narrow(other.fd, "zlib"), 0, "a fresh queue restricted to \"zlib\"");
	is(status_of(&other, WDSOFT_OP_INFLATE, WDSOFT_SQE_ZLIB), 0, "zlib deflate and inflate run");
	is(status_of(&other, WDSOFT_OP_DEFLATE, 0), -EPERM, "raw deflate is refused");
	soft_ring_close(&other);

	/* A dead queue. */
	is(ioctl(r.fd, UACCE_CMD_REVOKE), 0, "revoke the first queue");
	is(narrow(r.fd, "memcpy"), -ENODEV, "restricting a dead queue: ENODEV");
	soft_ring_close(&r);

	is(soft_attr(dev, "available_instances"), initial, "every instance is back");
	ok(vm_unload_modules() == 0, "the modules unload");

	/* An op the device has no name for: refused once the queue is narrowed. */
	e = vm_load_modules("num_devices=1 algs=memcpy");
	if (e || soft_find_device(0, dev, sizeof(dev)))
		bail_out("cannot load wdsoft with algs=memcpy: %s", strerror(-e));
	initial = soft_attr(dev, "available_instances");
	e = soft_ring_open(&other, dev, false);
	if (e)
		bail_out("cannot open a queue: %s", strerror(-e));
	is(status_of(&other, WDSOFT_OP_CRC32C, 0), -EOPNOTSUPP,
	   "algs=memcpy, unrestricted queue: crc32c is not offered (EOPNOTSUPP)");
	is(narrow(other.fd, "memcpy"), 0, "restrict it to \"memcpy\"");
	is(status_of(&other, WDSOFT_OP_CRC32C, 0), -EPERM,
	   "crc32c, which the device lists no name for, is now refused with -EPERM");
	is(status_of(&other, WDSOFT_OP_MEMCPY, 0), 0, "memcpy runs");
	soft_ring_close(&other);
	is(soft_attr(dev, "available_instances"), initial, "every instance is back");
	ok(vm_unload_modules() == 0, "the modules unload again");
	return exit_status();
}
