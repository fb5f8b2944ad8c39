// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * inflate.c - zlib's inflate API on a WarpDrive queue.
 *
 * zlib's inflate stops at the end of a stream and leaves what follows it
 * unconsumed; the device inflates a whole input at once. So a stream tries
 * the device only with the input of its first call, asking it
 * (WD_MSG_EXACT) to succeed only when that input is exactly one whole
 * stream; then all of it is consumed and the output is handed out as the
 * caller drains it. Any other case -- a stream cut in pieces, followed by
 * other data, corrupt, or wanting a dictionary -- runs in software from
 * that same first input, of which nothing was consumed yet: there is no
 * state to carry over and nothing to replay, and the real zlib gives the
 * exact errors and messages. The real zlib stream exists from
 * inflateInit on, so the parameters are checked by it, as zlib would.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <warpdrive/wd.h>

#include "wdz.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The length of the gzip header at @p (RFC 1952), or 0 when it is not one
 * the library reads itself (software then says what is wrong with it).
 */
static size_t gzip_header_len(const uint8_t *p, size_t n)
{
	size_t h = 10;
	uint8_t flg;

	if (n < 18 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8)
		return 0;
	flg = p[3];
	if (flg & 0xe0)
		return 0;
	if (flg & 4) {	/* FEXTRA */
		if (n < h + 2)
			return 0;
		h += 2 + ((size_t)p[h] | (size_t)p[h + 1] << 8);
	}
	for (int bit = 8; bit <= 16; bit <<= 1) {	/* FNAME, FCOMMENT */
		if (!(flg & bit))
			continue;
		while (h < n && p[h])
			h++;
		h++;
	}
	if (flg & 2) {	/* FHCRC: the low 16 bits of the header's CRC-32 */
		if (h + 2 > n || ((uint32_t)p[h] | (uint32_t)p[h + 1] << 8) !=
		    (wdz_real()->crc32(0, p, (uInt)h) & 0xffff))
			return 0;	/* zlib says "header crc mismatch" */
		h += 2;
	}
	return h + 8 <= n ? h : 0;
}

/* Which wrapper the device handles for @s's window bits: 0, 1, 2, 3 (auto), or -1. */
static int device_wrap(const struct wdz_stream *s)
{
	switch (s->window_bits) {
	case 0: case 15: return 1;
	case -15: return 0;
	case 31: return 2;
	case 32: case 47: return 3;
	default: return -1;
	}
}

static void go_soft(struct wdz_stream *s, enum wdz_reason why)
{
	s->mode = WDZ_SOFT;
	wdz_fallback(why);
}

/*
 * Inflate the first call's input on the device. Returns a zlib code, or
 * SOFTWARE when the stream must run in software (*@why says why).
 */
#define SOFTWARE 100
static int device_inflate(z_streamp strm, struct wdz_stream *s, int flush, enum wdz_reason *why)
{
	const uint8_t *in = strm->next_in;
	size_t n = strm->avail_in, body_off = 0, body_len = n, want, cap;
	unsigned int flags = WD_MSG_EXACT;
	int wrap = device_wrap(s);
	uint32_t isize = 0;
	uint8_t *dst;
	bool direct;
	long r = -1;

	if (wrap < 0) {
		*why = WDZ_WINDOW;
		return SOFTWARE;
	}
	if (wrap == 3)
		wrap = n >= 2 && in[0] == 0x1f && in[1] == 0x8b ? 2 : 1;
	if (wrap == 2) {
		body_off = gzip_header_len(in, n);
		if (!body_off) {
			*why = WDZ_NOT_WHOLE;
			return SOFTWARE;
		}
		body_len = n - body_off - 8;
		isize = le32(in + n - 4);
		/*
		 * deflate expands at most 1032:1; a larger ISIZE is not this
		 * member's trailer (more data follows the member, or it is cut)
		 */
		if (isize / 1032 > body_len) {
			*why = WDZ_NOT_WHOLE;
			return SOFTWARE;
		}
	} else if (wrap == 1) {
		if (n >= 2 && (in[1] & 0x20)) {	/* FDICT: Z_NEED_DICT comes from software */
			*why = WDZ_DICTIONARY;
			return SOFTWARE;
		}
		flags |= WD_MSG_ZLIB;
	}
	want = wrap == 2 ? (isize ? isize : 1) : n * 4 + 65536;
	direct = strm->avail_out >= (wrap == 2 ? isize : n);
	cap = direct ? strm->avail_out : want;
	if (!direct && cap > wdz_config()->max_buffer) {
		*why = WDZ_SIZE;
		return SOFTWARE;
	}
	for (;;) {
		if (!direct && !wdz_reserve(&s->out, &s->out_cap, 0, cap))
			return Z_MEM_ERROR;
		dst = direct ? strm->next_out : s->out;
		r = wdz_device(true, in + body_off, body_len, dst, cap, flags, why);
		if (r != -ENOSPC)
			break;
		cap = direct ? (want > 2 * cap ? want : 2 * cap) : 4 * cap;
		direct = false;
		if (cap > wdz_config()->max_buffer) {
			*why = WDZ_SIZE;
			return SOFTWARE;
		}
	}
	if (r == -EBADMSG || r == -EMSGSIZE)
		*why = WDZ_NOT_WHOLE;
	if (r < 0)
		return SOFTWARE;
	if (wrap == 2) {
		uint32_t crc = (uint32_t)wdz_real()->crc32(0, Z_NULL, 0);

		for (size_t pos = 0; pos < (size_t)r;) {
			uInt c = (size_t)r - pos > UINT_MAX ? UINT_MAX : (uInt)((size_t)r - pos);

			crc = (uint32_t)wdz_real()->crc32(crc, dst + pos, c);
			pos += c;
		}
		/* a bad trailer: software reports it as zlib does */
		if (crc != le32(in + n - 8) || (uint32_t)r != isize) {
			*why = WDZ_NOT_WHOLE;
			return SOFTWARE;
		}
		strm->adler = crc;
	} else if (wrap == 1) {
		const uint8_t *t = in + n - 4;

		strm->adler = (uLong)t[0] << 24 | (uLong)t[1] << 16 | (uLong)t[2] << 8 | t[3];
	}
	strm->next_in += n;
	strm->avail_in = 0;
	strm->total_in += n;
	wdz_offloaded(true, n, (size_t)r);
	s->mode = WDZ_DRAIN;
	s->out_pos = 0;
	s->out_len = direct ? 0 : (size_t)r;
	if (direct) {
		strm->next_out += r;
		strm->avail_out -= (uInt)r;
		strm->total_out += (uLong)r;
	}
	if (wdz_drain(strm, s))
		return Z_STREAM_END;
	return flush == Z_FINISH ? Z_BUF_ERROR : Z_OK;
}

WDZ_EXPORT int ZEXPORT inflateInit2_(z_streamp strm, int windowBits, const char *version, int stream_size)
{
	struct wdz_stream *s;
	int r;

	if (!strm)
		return Z_STREAM_ERROR;
	s = calloc(1, sizeof(*s));
	if (!s)
		return Z_MEM_ERROR;
	s->soft.zalloc = strm->zalloc;
	s->soft.zfree = strm->zfree;
	s->soft.opaque = strm->opaque;
	r = wdz_real()->inflateInit2_(&s->soft, windowBits, version, stream_size);
	if (r != Z_OK) {
		free(s);
		return r;
	}
	s->magic = WDZ_INFLATE_MAGIC;
	s->soft_ready = true;
	s->window_bits = windowBits;
	s->mode = WDZ_HOLD;
	strm->state = (struct internal_state *)s;
	strm->msg = Z_NULL;
	strm->total_in = strm->total_out = 0;
	strm->adler = s->soft.adler;
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT inflateInit_(z_streamp strm, const char *version, int stream_size)
{
	return inflateInit2_(strm, MAX_WBITS, version, stream_size);
}

WDZ_EXPORT int ZEXPORT inflateReset2(z_streamp strm, int windowBits)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);
	int r;

	if (!s)
		return Z_STREAM_ERROR;
	r = wdz_real()->inflateReset2(&s->soft, windowBits);
	if (r != Z_OK)
		return r;
	s->window_bits = windowBits;
	s->mode = WDZ_HOLD;
	s->out_len = s->out_pos = 0;
	strm->total_in = strm->total_out = 0;
	strm->msg = Z_NULL;
	strm->adler = s->soft.adler;
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT inflateReset(z_streamp strm)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);

	return s ? inflateReset2(strm, s->window_bits) : Z_STREAM_ERROR;
}

WDZ_EXPORT int ZEXPORT inflateResetKeep(z_streamp strm)
{
	return inflateReset(strm);
}

WDZ_EXPORT int ZEXPORT inflate(z_streamp strm, int flush)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);
	enum wdz_reason why = WDZ_DEVICE_ERROR;
	int r;

	if (!s || !strm->next_out || (!strm->next_in && strm->avail_in))
		return Z_STREAM_ERROR;
	if (s->mode == WDZ_DRAIN) {
		uInt before = strm->avail_out;

		if (wdz_drain(strm, s))
			return Z_STREAM_END;
		return before == strm->avail_out || flush == Z_FINISH ? Z_BUF_ERROR : Z_OK;
	}
	if (s->mode == WDZ_HOLD) {
		if (!strm->avail_in)
			return Z_BUF_ERROR;	/* nothing to decide on yet, no progress */
		if (flush == Z_BLOCK || flush == Z_TREES)
			why = WDZ_FLUSH;
		else if (wdz_may_offload(strm->avail_in, &why) &&
			 (r = device_inflate(strm, s, flush, &why)) != SOFTWARE)
			return r;
		go_soft(s, why);
	}
	wdz_soft_in(strm, s);
	r = wdz_real()->inflate(&s->soft, flush);
	wdz_soft_out(strm, s);
	return r;
}

WDZ_EXPORT int ZEXPORT inflateEnd(z_streamp strm)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);

	if (!s)
		return Z_STREAM_ERROR;
	wdz_real()->inflateEnd(&s->soft);
	free(s->out);
	free(s);
	strm->state = Z_NULL;
	return Z_OK;
}

/*
 * The real zlib stream for a call that only software can do: a stream not
 * yet started goes to software for @why; one the device finished has no
 * such state (NULL: the caller returns Z_STREAM_ERROR).
 */
static struct wdz_stream *soft_for(z_streamp strm, enum wdz_reason why)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);

	if (!s || s->mode == WDZ_DRAIN)
		return NULL;
	if (s->mode == WDZ_HOLD)
		go_soft(s, why);
	return s;
}

/* A query: the real stream answers for a stream not yet started, too. */
static struct wdz_stream *soft_now(z_streamp strm)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);

	return s && s->mode != WDZ_DRAIN ? s : NULL;
}

WDZ_EXPORT int ZEXPORT inflateSetDictionary(z_streamp strm, const Bytef *dictionary, uInt dictLength)
{
	struct wdz_stream *s = soft_for(strm, WDZ_DICTIONARY);
	int r;

	if (!s)
		return Z_STREAM_ERROR;
	r = wdz_real()->inflateSetDictionary(&s->soft, dictionary, dictLength);
	strm->msg = s->soft.msg;
	return r;
}

WDZ_EXPORT int ZEXPORT inflateGetDictionary(z_streamp strm, Bytef *dictionary, uInt *dictLength)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_INFLATE_MAGIC);
	size_t n;

	if (s && s->mode != WDZ_DRAIN)
		return wdz_real()->inflateGetDictionary(&s->soft, dictionary, dictLength);
	if (!s || (!s->out_len && strm->total_out))
		return Z_STREAM_ERROR;	/* inflated straight into the caller's buffer */
	n = s->out_len < 32768 ? s->out_len : 32768;
	if (dictionary && n)
		memcpy(dictionary, s->out + s->out_len - n, n);
	if (dictLength)
		*dictLength = (uInt)n;
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT inflateSync(z_streamp strm)
{
	struct wdz_stream *s = soft_for(strm, WDZ_PARAMS);
	int r;

	if (!s)
		return Z_STREAM_ERROR;
	wdz_soft_in(strm, s);
	r = wdz_real()->inflateSync(&s->soft);
	wdz_soft_out(strm, s);
	return r;
}

WDZ_EXPORT int ZEXPORT inflateSyncPoint(z_streamp strm)
{
	struct wdz_stream *s = soft_now(strm);

	return s ? wdz_real()->inflateSyncPoint(&s->soft) : 0;
}

WDZ_EXPORT int ZEXPORT inflatePrime(z_streamp strm, int bits, int value)
{
	struct wdz_stream *s = soft_for(strm, WDZ_PARAMS);

	return s ? wdz_real()->inflatePrime(&s->soft, bits, value) : Z_STREAM_ERROR;
}

WDZ_EXPORT long ZEXPORT inflateMark(z_streamp strm)
{
	struct wdz_stream *s = soft_now(strm);

	return s ? wdz_real()->inflateMark(&s->soft) : -65536L;
}

WDZ_EXPORT int ZEXPORT inflateGetHeader(z_streamp strm, gz_headerp head)
{
	struct wdz_stream *s = soft_for(strm, WDZ_HEADER);

	return s ? wdz_real()->inflateGetHeader(&s->soft, head) : Z_STREAM_ERROR;
}

WDZ_EXPORT int ZEXPORT inflateUndermine(z_streamp strm, int subvert)
{
	struct wdz_stream *s = subvert ? soft_for(strm, WDZ_PARAMS) : soft_now(strm);

	return s ? wdz_real()->inflateUndermine(&s->soft, subvert) : Z_STREAM_ERROR;
}

WDZ_EXPORT int ZEXPORT inflateValidate(z_streamp strm, int check)
{
	struct wdz_stream *s = check ? soft_now(strm) : soft_for(strm, WDZ_PARAMS);

	return s ? wdz_real()->inflateValidate(&s->soft, check) : Z_STREAM_ERROR;
}

WDZ_EXPORT unsigned long ZEXPORT inflateCodesUsed(z_streamp strm)
{
	struct wdz_stream *s = soft_now(strm);

	return s ? wdz_real()->inflateCodesUsed(&s->soft) : (unsigned long)-1;
}

WDZ_EXPORT int ZEXPORT inflateCopy(z_streamp dest, z_streamp source)
{
	return wdz_copy(dest, source, WDZ_INFLATE_MAGIC);
}

WDZ_EXPORT int ZEXPORT uncompress2(Bytef *dest, uLongf *destLen, const Bytef *source, uLong *sourceLen)
{
	z_stream z = { 0 };
	uLong in_left = *sourceLen, out_left = *destLen;
	Bytef probe[1];
	int r = inflateInit_(&z, ZLIB_VERSION, (int)sizeof(z));

	if (r != Z_OK)
		return r;
	/* no room at all: still tell an empty stream from data */
	if (!out_left) {
		dest = probe;
		out_left = 1;
	}
	z.next_in = (z_const Bytef *)source;
	z.next_out = dest;
	do {
		if (!z.avail_out && out_left) {
			z.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
			out_left -= z.avail_out;
		}
		if (!z.avail_in && in_left) {
			z.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= z.avail_in;
		}
		r = inflate(&z, Z_NO_FLUSH);
	} while (r == Z_OK);
	*sourceLen -= in_left + z.avail_in;
	if (dest != probe)
		*destLen = z.total_out;
	else if (z.total_out && r == Z_BUF_ERROR)
		out_left = 1;	/* the probe filled: the output did not fit */
	inflateEnd(&z);
	if (r == Z_STREAM_END)
		return Z_OK;
	if (r == Z_NEED_DICT)
		return Z_DATA_ERROR;
	/* out of input with room left: cut short */
	if (r == Z_BUF_ERROR && out_left + z.avail_out)
		return Z_DATA_ERROR;
	return r;
}

WDZ_EXPORT int ZEXPORT uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)
{
	return uncompress2(dest, destLen, source, &sourceLen);
}
