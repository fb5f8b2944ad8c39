// SPDX-License-Identifier: LGPL-2.1-or-later
/* zlib-stock.c - the real zlib, for libwdz's unit tests (zlib-stock.h). */
#undef Z_PREFIX	/* the real zlib, also in a program built with libwdz's -DZ_PREFIX */
#include <zlib.h>

#include "zlib-stock.h"

int stock_inflate(int wbits, const void *in, size_t n, void *out, size_t cap,
		  size_t *out_len, size_t *used)
{
	z_stream z = { 0 };
	int r = inflateInit2(&z, wbits);

	if (r != Z_OK)
		return r;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = inflate(&z, Z_FINISH);
	*out_len = z.total_out;
	*used = z.total_in;
	inflateEnd(&z);
	return r;
}

long stock_deflate(int wbits, const void *in, size_t n, void *out, size_t cap)
{
	z_stream z = { 0 };
	long len;

	if (deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	len = deflate(&z, Z_FINISH) == Z_STREAM_END ? (long)z.total_out : -1;
	deflateEnd(&z);
	return len;
}
