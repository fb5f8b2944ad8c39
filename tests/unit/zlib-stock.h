/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zlib-stock.h - the real zlib for libwdz's unit tests, which see only
 * libwdz's functions (built with Z_PREFIX): one-call inflate and deflate
 * through the stock library, to check libwdz's output against.
 */
#ifndef ZLIB_STOCK_H
#define ZLIB_STOCK_H

#include <stddef.h>

/*
 * Inflate all of @in with @wbits into @out; returns zlib's final code and
 * sets *@out_len and *@used (input consumed).
 */
int stock_inflate(int wbits, const void *in, size_t n, void *out, size_t cap,
		  size_t *out_len, size_t *used);
/* Deflate @in (level 6, @wbits) into @out; returns the length or -1. */
long stock_deflate(int wbits, const void *in, size_t n, void *out, size_t cap);

#endif
