// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft deflate/inflate interoperate with user-space zlib both ways, in
 * raw (RFC 1951) and zlib (RFC 1950) format, at sizes from empty to 1 MiB
 * on random and text-like data; the level is honoured; corrupt or truncated
 * streams give -EBADMSG and short outputs -ENOSPC.
 */
#include <zlib.h>

#include "tap.h"
#include "vm/soft-ring.h"

static const size_t sizes[] = { 0, 1, 4095, 4096, 65536, 1 << 20 };

static int run(struct soft_ring *r, struct wdsoft_sqe sqe,
	       struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

static struct wdsoft_sqe zsqe(uint8_t op, bool zlib, int level,
			      const void *src, size_t slen, void *dst,
			      size_t dlen)
{
	struct wdsoft_sqe s = soft_sqe(op, src, slen, dst, dlen);

	s.flags = zlib ? WDSOFT_SQE_ZLIB : 0;
	s.level = level;
	return s;
}

/* zlib in user space: windowBits 15 for zlib format, -15 for raw. */
static long ref_inflate(bool zlib, const void *in, size_t n, void *out,
			size_t cap)
{
	z_stream zs = { 0 };
	long r;

	if (inflateInit2(&zs, zlib ? 15 : -15) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in;
	zs.avail_in = n;
	zs.next_out = out;
	zs.avail_out = cap;
	r = inflate(&zs, Z_FINISH) == Z_STREAM_END ? (long)zs.total_out : -1;
	inflateEnd(&zs);
	return r;
}

static long ref_deflate(bool zlib, int level, const void *in, size_t n,
			void *out, size_t cap)
{
	z_stream zs = { 0 };
	long r;

	if (deflateInit2(&zs, level, Z_DEFLATED, zlib ? 15 : -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in;
	zs.avail_in = n;
	zs.next_out = out;
	zs.avail_out = cap;
	r = deflate(&zs, Z_FINISH) == Z_STREAM_END ? (long)zs.total_out : -1;
	deflateEnd(&zs);
	return r;
}

int main(void)
{
	size_t cap = compressBound(1 << 20) + 1024;
	unsigned char *src, *comp, *back;
	struct wdsoft_cqe cqe = { 0 };
	struct soft_ring r;
	char dev[64];
	long n1, n9;
	size_t i;
	int e;

	soft_setup_ring("num_devices=1", dev, sizeof(dev), &r);
	src = malloc(1 << 20);
	comp = malloc(cap);
	back = malloc((1 << 20) + 16);
	if (!src || !comp || !back)
		bail_out("out of memory");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int text = 0; text < 2; text++) {
			size_t n = sizes[i];
			const char *kind = text ? "text" : "random";

			for (int zlib = 0; zlib < 2; zlib++) {
				const char *fmt = zlib ? "zlib" : "raw";
				long got;

				soft_fill(src, n, text, (unsigned int)(n + text));
				/* device deflate -> zlib inflate */
				e = run(&r, zsqe(WDSOFT_OP_DEFLATE, zlib, 0, src, n,
						 comp, cap), &cqe);
				got = e ? -1 : ref_inflate(zlib, comp, cqe.out_len,
							   back, n + 16);
				ok(e == 0 && got == (long)n && !memcmp(src, back, n),
				   "device deflate -> zlib inflate, %s, %zu bytes %s",
				   fmt, n, kind);
				if (e)
					diag("status %d (%s)", e, strerror(-e));

				/* zlib deflate -> device inflate */
				got = ref_deflate(zlib, 6, src, n, comp, cap);
				memset(back, 0x5a, n + 16);
				e = got < 0 ? -1 :
				    run(&r, zsqe(WDSOFT_OP_INFLATE, zlib, 0, comp,
						 got, back, n + 16), &cqe);
				ok(e == 0 && cqe.out_len == n && !memcmp(src, back, n) &&
				   back[n] == 0x5a,
				   "zlib deflate -> device inflate, %s, %zu bytes %s",
				   fmt, n, kind);
				if (e)
					diag("status %d (%s)", e, e < 0 ? strerror(-e) : "-");
			}
		}
	}

	/* Levels: text compresses better (or no worse) at 9 than at 1. */
	soft_fill(src, 1 << 20, true, 7);
	e = run(&r, zsqe(WDSOFT_OP_DEFLATE, true, 1, src, 1 << 20, comp, cap), &cqe);
	n1 = e ? -1 : (long)cqe.out_len;
	e = run(&r, zsqe(WDSOFT_OP_DEFLATE, true, 9, src, 1 << 20, comp, cap), &cqe);
	n9 = e ? -1 : (long)cqe.out_len;
	ok(n1 > 0 && n9 > 0 && n9 < n1, "level 9 output (%ld) smaller than level 1 (%ld)",
	   n9, n1);
	ok(n9 > 0 && ref_inflate(true, comp, n9, back, 1 << 20) == 1 << 20 &&
	   !memcmp(src, back, 1 << 20), "level 9 stream inflates with zlib");
	ok_errno(run(&r, zsqe(WDSOFT_OP_DEFLATE, false, 10, src, 100, comp, cap), &cqe),
		 -EINVAL, "level 10: -EINVAL");

	/* Corrupt and truncated streams. */
	soft_fill(src, 65536, true, 11);
	n1 = ref_deflate(false, 6, src, 65536, comp, cap);
	comp[n1 / 2] ^= 0xff;
	comp[n1 / 2 + 1] ^= 0x55;
	comp[n1 / 3] ^= 0xff;
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, false, 0, comp, n1, back, 1 << 20), &cqe),
		 -EBADMSG, "corrupt raw stream: -EBADMSG");
	n1 = ref_deflate(true, 6, src, 65536, comp, cap);
	comp[n1 - 2] ^= 0x01;	/* adler32 trailer */
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, true, 0, comp, n1, back, 1 << 20), &cqe),
		 -EBADMSG, "zlib stream with a bad checksum: -EBADMSG");
	n1 = ref_deflate(false, 6, src, 65536, comp, cap);
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, false, 0, comp, n1 / 2, back, 1 << 20), &cqe),
		 -EBADMSG, "truncated raw stream: -EBADMSG");
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, false, 0, comp, 0, back, 1 << 20), &cqe),
		 -EBADMSG, "empty input to inflate: -EBADMSG");
	n1 = ref_deflate(true, 6, src, 65536, comp, cap);
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, false, 0, comp, n1, back, 1 << 20), &cqe),
		 -EBADMSG, "zlib stream fed to raw inflate: -EBADMSG");
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, true, 0, comp, n1, back, 65535), &cqe),
		 -ENOSPC, "inflate into one byte too few: -ENOSPC");
	ok_errno(run(&r, zsqe(WDSOFT_OP_DEFLATE, false, 0, src, 65536, comp, 16), &cqe),
		 -ENOSPC, "deflate into 16 bytes: -ENOSPC");
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, true, 0, comp, n1, (void *)8, 65536), &cqe),
		 -EFAULT, "inflate to an unmapped buffer: -EFAULT");
	ok_errno(run(&r, zsqe(WDSOFT_OP_INFLATE, true, 0, comp, n1, back, 65536), &cqe),
		 0, "the queue still inflates after the errors");

	soft_ring_close(&r);
	free(src);
	free(comp);
	free(back);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
