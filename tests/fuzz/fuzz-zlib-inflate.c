// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: libwdz's inflate against stock zlib as the oracle.
 *
 * libwdz (built with Z_PREFIX: its functions are z_inflate, ...) runs on
 * libwd's device double with WD_ZLIB_MODE=device, so every input, however
 * small, is offered to the device path first (WD_MSG_EXACT, the gzip
 * header and trailer checks) and falls back to software when that path
 * declines. Stock zlib (tests/unit/zlib-stock.c) inflates the same bytes.
 *
 * Input: one control byte -- bits 0-1 the wrapper (zlib, gzip, raw, auto),
 * bits 2-4 the output buffer size (1 byte up to all of it), bit 5 feed the
 * input in two pieces -- then the compressed bytes.
 *
 * Invariants: both reach Z_STREAM_END or neither does, and both ask for a
 * dictionary (Z_NEED_DICT, which like zlib sets no msg) or neither; when
 * they reach the end, the output is byte for byte the same and so is the
 * input consumed (input after the stream stays unconsumed); any other
 * error comes with a msg; libwdz never writes beyond its output buffer
 * (ASan) nor leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef Z_PREFIX	/* tools/fuzz passes -DZ_PREFIX for libwdz's sources too */
#define Z_PREFIX
#endif
#define ZLIB_CONST
#include <zlib.h>

#include "test-libwd-double.h"
#include "zlib-stock.h"

#define OUT_MAX (1 << 20)

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("WD_ZLIB_MODE", "device", 1);
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int wbits[4] = { 15, 31, -15, 47 };
	static uint8_t ours[OUT_MAX], stock[OUT_MAX];
	size_t stock_len, stock_used, step, split;
	z_stream z = { 0 };
	int want, r = Z_OK;

	if (size < 1)
		return 0;
	want = stock_inflate(wbits[data[0] & 3], data + 1, size - 1, stock, OUT_MAX,
			     &stock_len, &stock_used);
	step = (size_t)1 << (3 * ((data[0] >> 2) & 7));	/* 1, 8, ..., 2^21 */
	split = data[0] & 0x20 ? (size - 1) / 2 : size - 1;
	if (inflateInit2(&z, wbits[data[0] & 3]) != Z_OK)
		abort();
	z.next_in = data + 1;
	z.avail_in = (uInt)split;
	while (r == Z_OK || (r == Z_BUF_ERROR && z.total_out < OUT_MAX && !z.avail_in &&
			     (size_t)(z.next_in - data - 1) < size - 1)) {
		if (!z.avail_in)
			z.avail_in = (uInt)(size - 1 - (size_t)(z.next_in - data - 1));
		z.next_out = ours + z.total_out;
		z.avail_out = (uInt)(OUT_MAX - z.total_out < step ? OUT_MAX - z.total_out : step);
		if (!z.avail_out)
			break;
		r = inflate(&z, Z_NO_FLUSH);
	}
	if ((r == Z_STREAM_END) != (want == Z_STREAM_END))
		abort();
	if (r == Z_STREAM_END && (z.total_out != stock_len || z.total_in != stock_used ||
				  memcmp(ours, stock, stock_len)))
		abort();
	if ((r == Z_NEED_DICT) != (want == Z_NEED_DICT))
		abort();
	/* Errors come with a message; Z_NEED_DICT is a request, as in zlib. */
	if (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR && r != Z_NEED_DICT && !z.msg)
		abort();
	inflateEnd(&z);
	return 0;
}
