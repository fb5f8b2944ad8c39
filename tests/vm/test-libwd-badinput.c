// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Bad input only the real device can judge (the unit test's double would
 * fault on it): buffers in kernel space, unmapped or read-only memory, and
 * lengths that run far past a mapping come back as a -EFAULT completion,
 * never a crash; the read-only page stays untouched; the queue keeps
 * working; a request in flight at release (held in the ring by a stalled
 * engine) is never written afterwards; the instances all come back.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "vm/test-libwd-vm.h"
#include "vm/soft-ring.h"

static struct wd_queue q;
static int tried, answered;

static long run(struct wd_msg m)
{
	return lw_run(&q, &m);
}

static bool works(void)
{
	static uint8_t a[256], b[256];

	memset(a, 0x77, sizeof(a));
	memset(b, 0, sizeof(b));
	return run((struct wd_msg){ .op = WD_OP_MEMCPY, .src = a, .src_len = sizeof(a),
				    .dst = b, .dst_len = sizeof(b) }) == 0 &&
	       !memcmp(a, b, sizeof(a));
}

static void bad(const char *what, uint32_t op, const void *src, size_t src_len,
		void *dst, size_t dst_len)
{
	long r = run((struct wd_msg){ .op = op, .src = src, .src_len = src_len,
				      .dst = dst, .dst_len = dst_len });

	tried++;
	answered += r == -EFAULT;
	ok(r == -EFAULT, "%s -> -EFAULT (got %ld: %s)", what, r, wd_strerror((int)r));
	ok(works(), "%s: the queue still works", what);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	return n && p[0] == v && !memcmp(p, p + 1, n - 1);
}

/*
 * A request in flight at release is dropped: nothing is written afterwards.
 * The engine is stalled (debugfs "stall") while the request sits in the
 * ring, so it is certainly not done before the release; a control request
 * on a second queue, also held by the stall, shows when the engine has run
 * again. Then twice that time more: had the release left the first request
 * in the ring, its output would have landed by then.
 */
static void released_in_flight(const uint8_t *src, uint8_t *out, size_t size)
{
	static uint8_t ctl_out[1 << 20];
	struct wd_queue ctl;
	struct wd_msg m, c;
	char dev[sizeof(q.dev_name)];
	long t0, ms, got;
	void *done;

	/* Kept here: the released queue's name is not ours to read. */
	snprintf(dev, sizeof(dev), "%s", q.dev_name);
	ok_errno(lw_request(&ctl, NULL, WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request a control queue");
	is_str(ctl.dev_name, dev, "on the same device, so one stall holds both");
	ok_errno(soft_debugfs_write(dev, "stall", "1"), 0, "stall the engine of %s", dev);
	memset(out, 0xee, size);
	memset(ctl_out, 0xee, sizeof(ctl_out));
	m = (struct wd_msg){ .op = WD_OP_DEFLATE, .flags = WD_MSG_LEVEL(9), .src = src,
			     .src_len = size, .dst = out, .dst_len = size };
	c = m;
	c.dst = ctl_out;
	ok_errno(wd_send(&q, &m), 0, "send a large deflate");
	ok_errno(wd_send(&ctl, &c), 0, "and the same on the control queue");
	usleep(100000);
	ok(all_bytes(out, size, 0xee) && all_bytes(ctl_out, size, 0xee) &&
	   wd_recv(&ctl, &done) == -EAGAIN, "the stalled engine has done neither");
	wd_release_queue(&q);
	t0 = soft_now_ms();
	ok_errno(soft_debugfs_write(dev, "stall", "0"), 0, "resume the engine");
	got = wd_recv_sync(&ctl, &done);
	ok(got == 1 && done == &c && c.status == 0 && c.out_len > 0,
	   "the control request completes after the stall (status %d, %llu bytes)", c.status,
	   (unsigned long long)c.out_len);
	ms = soft_now_ms() - t0;
	usleep((useconds_t)(2 * ms + 50) * 1000);
	ok(all_bytes(out, size, 0xee),
	   "nothing written to the released request's buffer (%ld ms after the control)", 2 * ms + 50);
	wd_release_queue(&ctl);
}

int main(void)
{
	static uint8_t buf[1 << 20], out[1 << 20];
	void *kernel = (void *)0xffff888000000000UL;
	long avail0, page = sysconf(_SC_PAGESIZE);
	uint8_t *none, *ro, *gap, *gap2;
	uint8_t stream[256];
	ssize_t slen;
	struct wd_msg m;
	void *done;

	lw_setup("num_devices=1 queues=4");
	avail0 = lw_avail_total();
	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gap = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gap2 = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED || ro == MAP_FAILED || gap == MAP_FAILED || gap2 == MAP_FAILED)
		bail_out("mmap failed");
	munmap(gap + page, page);	/* a hole right after one good page */
	munmap(gap2 + page, page);

	ok_errno(lw_request(&q, NULL, WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "request a queue");
	ok(works(), "it works");

	bad("memcpy from kernel space", WD_OP_MEMCPY, kernel, 64, out, 64);
	bad("memcpy to kernel space", WD_OP_MEMCPY, buf, 64, kernel, 64);
	bad("memcpy from a PROT_NONE page", WD_OP_MEMCPY, none, 64, out, 64);
	bad("memcpy to a read-only page", WD_OP_MEMCPY, buf, 64, ro, 64);
	bad("memcpy across into an unmapped hole", WD_OP_MEMCPY, gap + page - 32, 64, out, 64);
	bad("memcpy of 1 TiB from a one-page mapping", WD_OP_MEMCPY, gap, (size_t)1 << 40, gap2, (size_t)1 << 40);
	bad("crc32c of kernel memory", WD_OP_CRC32C, kernel, 4096, out, 4);
	bad("sha256 digest into a read-only page", WD_OP_SHA256, buf, 64, ro, 32);
	bad("deflate from unmapped memory", WD_OP_DEFLATE, gap + page, 4096, out, 8192);
	memset(buf, 0, 64);
	m = (struct wd_msg){ .op = WD_OP_DEFLATE, .src = buf, .src_len = 64,
			     .dst = stream, .dst_len = sizeof(stream) };
	slen = lw_run(&q, &m) == 0 ? (ssize_t)m.out_len : -1;
	ok(slen > 0, "compress 64 bytes for the next check (%zd)", slen);
	bad("inflate into a read-only page", WD_OP_INFLATE, stream, (size_t)slen, ro, 64);
	ok(ro[0] == 0 && !memcmp(ro, ro + 1, (size_t)page - 1), "the read-only page is untouched");

	released_in_flight(buf, out, sizeof(out));
	ok_errno(wd_recv(&q, &done), -EINVAL, "the released queue answers -EINVAL");
	is(lw_avail_total(), avail0, "every instance came back");
	printf("# report: vm-libwd-badinput: %d bad buffers sent to the real device, %d answered -EFAULT, instances before/after %ld/%ld\n",
	       tried, answered, avail0, lw_avail_total());
	munmap(none, page);
	munmap(ro, page);
	munmap(gap, page);
	munmap(gap2, page);
	ok(vm_unload_modules() == 0, "the modules unload");
	return exit_status();
}
