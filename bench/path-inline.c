// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path-inline.c - the same algorithms in the calling thread: the CPU limit
 * every offload path is measured against. memcpy is glibc's; crc32c is
 * check.c's (the SSE4.2 instruction when the CPU has it, else slicing-by-8);
 * sha256 is OpenSSL's; deflate is zlib's, raw (window 15) at level 6 like
 * wdsoft's default. Depth N runs N threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <zlib.h>

#include "core.h"

static int in_open(struct wdb_worker *w)
{
	z_stream *z;

	if (w->cell->op != WDB_DEFLATE)
		return 0;
	z = calloc(1, sizeof(*z));
	if (!z)
		return wdb_fail(w->cell, -ENOMEM, "out of memory");
	if (deflateInit2(z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return wdb_fail(w->cell, -ENOMEM, "zlib deflateInit2 failed");
	}
	w->data = z;
	return 0;
}

static void in_close(struct wdb_worker *w)
{
	z_stream *z = w->data;

	if (!z)
		return;
	deflateEnd(z);
	free(z);
	w->data = NULL;
}

static int in_run_one(struct wdb_worker *w, struct wdb_slot *s)
{
	struct wdb_cell *c = w->cell;
	z_stream *z = w->data;
	uint32_t v;

	switch (c->op) {
	case WDB_MEMCPY:
		memcpy(s->dst, s->src, c->size);
		s->out_len = c->size;
		return 0;
	case WDB_CRC32C:
		v = wdb_crc32c_fast(0, s->src, c->size);
		for (int k = 0; k < 4; k++)
			s->dst[k] = (uint8_t)(v >> (8 * k));
		s->out_len = 4;
		return 0;
	case WDB_SHA256:
		SHA256(s->src, c->size, s->dst);
		s->out_len = 32;
		return 0;
	case WDB_DEFLATE:
		deflateReset(z);
		z->next_in = s->src;
		z->avail_in = (uInt)c->size;
		z->next_out = s->dst;
		z->avail_out = (uInt)c->dst_cap;
		if (deflate(z, Z_FINISH) != Z_STREAM_END)
			return wdb_fail(c, -ENOSPC, "zlib deflate of %zu bytes did not finish in %zu bytes",
					c->size, c->dst_cap);
		s->out_len = z->total_out;
		return 0;
	default:
		return -EINVAL;
	}
}

const struct wdb_path_ops wdb_path_inline = {
	.name = "inline",
	.ops = WDB_OP_BIT(WDB_MEMCPY) | WDB_OP_BIT(WDB_CRC32C) |
	       WDB_OP_BIT(WDB_SHA256) | WDB_OP_BIT(WDB_DEFLATE),
	.threaded = true,
	.open = in_open,
	.close = in_close,
	.run_one = in_run_one,
};
