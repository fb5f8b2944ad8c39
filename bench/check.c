// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c - what every benchmark op must produce, and the checks.
 *
 * Sources are deterministic, compressible text (so deflate has work that
 * looks like real data), different per slot. Before each op the output is
 * poisoned with the complement of what is expected, so a path that
 * completes without writing fails. Digests are compared on every op;
 * copies on their first and last 8 bytes every op and in full on a slot's
 * first op and every WDB_FULL_CHECK_EVERY-th; deflate output is inflated
 * with zlib and compared on the same schedule.
 *
 * crc32c: the reference is a table-driven slicing-by-8 implementation; the
 * inline path uses the SSE4.2 crc32 instruction when the CPU has it (and
 * is then checked against the table), slicing-by-8 otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <zlib.h>

#include "core.h"

#define CRC32C_POLY	0x82f63b78U	/* reflected Castagnoli polynomial */

static uint32_t crc_table[8][256];

__attribute__((constructor)) static void crc_table_init(void)
{
	for (unsigned int i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY & (0U - (c & 1)));
		crc_table[0][i] = c;
	}
	for (unsigned int i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
}

/* Slicing-by-8: eight table lookups per 8 input bytes. */
uint32_t wdb_crc32c_ref(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);	/* little-endian host (x86-64) */
		v ^= c;
		c = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
		    crc_table[5][(v >> 16) & 0xff] ^ crc_table[4][(v >> 24) & 0xff] ^
		    crc_table[3][(v >> 32) & 0xff] ^ crc_table[2][(v >> 40) & 0xff] ^
		    crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

static bool have_sse42(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}
#else
static bool have_sse42(void)
{
	return false;
}
#endif

uint32_t wdb_crc32c_fast(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	static int sse = -1;

	if (sse < 0)
		sse = have_sse42();
	if (sse)
		return crc32c_sse42(crc, buf, len);
#endif
	return wdb_crc32c_ref(crc, buf, len);
}

const char *wdb_crc32c_impl(void)
{
	return have_sse42() ? "SSE4.2 crc32 instruction" : "slicing-by-8 tables";
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void wdb_fill_source(struct wdb_cell *c, struct wdb_slot *s)
{
	static const char *const words[] = {
		"queue ", "ring ", "engine ", "the ", "a ", "completion ", "of ",
		"descriptor ", "WarpDrive ", "accelerator ", "and ", "0x1f3a ",
		"doorbell ", "lease ", "broker ", "\n", "memory ", "shared ",
		"12345 ", "page ", "fault ", "node ", "to ", "is ",
	};
	uint64_t st = 0x9e3779b97f4a7c15ULL * (s->idx + 1);
	size_t i = 0;

	while (i < c->size) {
		uint64_t r = xorshift(&st);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);

		/* One word in eight is random bytes: not too compressible. */
		if ((r >> 32) % 8 == 0) {
			for (size_t k = 0; k < 6 && i < c->size; k++)
				s->src[i++] = (uint8_t)(xorshift(&st) >> 24);
			continue;
		}
		if (n > c->size - i)
			n = c->size - i;
		memcpy(s->src + i, w, n);
		i += n;
	}
	if (c->op == WDB_CRC32C) {
		uint32_t v = wdb_crc32c_ref(0, s->src, c->size);

		for (int k = 0; k < 4; k++)
			s->expect[k] = (uint8_t)(v >> (8 * k));
	} else if (c->op == WDB_SHA256) {
		SHA256(s->src, c->size, s->expect);
	}
}

static size_t digest_len(enum wdb_op op)
{
	return op == WDB_CRC32C ? 4 : op == WDB_SHA256 ? 32 : 0;
}

void wdb_prepare(struct wdb_cell *c, struct wdb_slot *s)
{
	size_t n = digest_len(c->op);

	s->out_len = 0;
	s->crc = 0;
	for (size_t i = 0; i < n; i++)
		s->dst[i] = (uint8_t)~s->expect[i];
	if (c->op == WDB_MEMCPY) {
		size_t edge = c->size < 8 ? c->size : 8;

		for (size_t i = 0; i < edge; i++) {
			s->dst[i] = (uint8_t)~s->src[i];
			s->dst[c->size - 1 - i] = (uint8_t)~s->src[c->size - 1 - i];
		}
	}
}

static int inflate_equal(struct wdb_cell *c, struct wdb_slot *s)
{
	z_stream z = { 0 };
	uint8_t *out = malloc(c->size + 1);
	int r, ok;

	if (!out)
		return -ENOMEM;
	if (inflateInit2(&z, -15) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = s->dst;
	z.avail_in = (uInt)s->out_len;
	z.next_out = out;
	z.avail_out = (uInt)c->size + 1;
	r = inflate(&z, Z_FINISH);
	ok = r == Z_STREAM_END && z.total_out == c->size && !memcmp(out, s->src, c->size);
	inflateEnd(&z);
	free(out);
	return ok ? 0 : -EBADMSG;
}

int wdb_check(struct wdb_cell *c, struct wdb_slot *s, uint64_t *checked)
{
	bool full = s->uses % WDB_FULL_CHECK_EVERY == 0;
	size_t n = digest_len(c->op);
	int r = 0;

	s->uses++;
	switch (c->op) {
	case WDB_MEMCPY: {
		size_t edge = c->size < 8 ? c->size : 8;

		if (s->out_len != c->size)
			return wdb_fail(c, -EBADMSG, "%s memcpy of %zu bytes reported %zu bytes copied",
					c->p->path, c->size, s->out_len);
		if (memcmp(s->dst, s->src, edge) ||
		    memcmp(s->dst + c->size - edge, s->src + c->size - edge, edge) ||
		    (full && memcmp(s->dst, s->src, c->size)))
			return wdb_fail(c, -EBADMSG, "%s memcpy of %zu bytes: the copy differs from the source",
					c->p->path, c->size);
		break;
	}
	case WDB_CRC32C:
	case WDB_SHA256:
		if (memcmp(s->dst, s->expect, n))
			return wdb_fail(c, -EBADMSG, "%s %s of %zu bytes returned a wrong digest",
					c->p->path, c->op_name, c->size);
		full = true;
		break;
	case WDB_DEFLATE:
		if (!s->out_len || s->out_len > c->dst_cap)
			return wdb_fail(c, -EBADMSG, "%s deflate of %zu bytes produced %zu bytes",
					c->p->path, c->size, s->out_len);
		if (full)
			r = inflate_equal(c, s);
		if (r == -ENOMEM)
			return wdb_fail(c, r, "out of memory checking a deflate result");
		if (r < 0)
			return wdb_fail(c, r, "%s deflate of %zu bytes: zlib's inflate does not give the source back",
					c->p->path, c->size);
		break;
	default:
		return -EINVAL;
	}
	if (full && checked)
		(*checked)++;
	return 0;
}
