// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * deflate.c - zlib's deflate API on a WarpDrive queue.
 *
 * The device deflates a whole input in one request, so a stream holds its
 * input until Z_FINISH and then sends it in one piece; the output, with the
 * gzip header and trailer written here around a raw stream (the zlib
 * wrapper comes from the device), is handed out as the caller drains it.
 * Because nothing is written before Z_FINISH, every reason to go to
 * software before then (a flush the device cannot honour, deflateParams
 * mid-stream, a dictionary, more input than WD_ZLIB_MAX_BUFFER) is met by
 * re-encoding the held input in the real zlib, and a device that fails the
 * request (queue revoked, device removed) the same way: nothing is lost.
 * Parameters the engine lacks (level 0, a strategy, a window below 32 KiB)
 * send the stream to software at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <warpdrive/wd.h>

#include "wdz.h"

/* zlib's gzip header for a stream without deflateSetHeader: OS 3, Unix. */
static size_t gzip_header(uint8_t *p, int level, int strategy)
{
	static const uint8_t head[8] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 };

	memcpy(p, head, sizeof(head));
	p[8] = level == 9 ? 2 : (strategy >= Z_HUFFMAN_ONLY || level < 2) ? 4 : 0;
	p[9] = 3;
	return 10;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Start the real zlib stream with our parameters. */
static int soft_init(z_streamp strm, struct wdz_stream *s)
{
	if (s->soft_ready)
		return Z_OK;
	s->soft.zalloc = strm->zalloc;
	s->soft.zfree = strm->zfree;
	s->soft.opaque = strm->opaque;
	if (wdz_real()->deflateInit2_(&s->soft, s->level, Z_DEFLATED, s->window_bits,
				      s->mem_level, s->strategy, ZLIB_VERSION,
				      (int)sizeof(z_stream)) != Z_OK)
		return Z_MEM_ERROR;
	s->soft_ready = true;
	return Z_OK;
}

/*
 * Continue in software: re-encode what the stream holds; its output waits
 * in @s->out for the next deflate() calls.
 */
static int go_soft(z_streamp strm, struct wdz_stream *s, enum wdz_reason why)
{
	const struct wdz_real *real = wdz_real();
	size_t pos = 0;

	if (soft_init(strm, s) != Z_OK)
		return Z_MEM_ERROR;
	s->out_len = s->out_pos = 0;
	while (pos < s->hold_len) {
		size_t n = s->hold_len - pos;

		if (!wdz_reserve(&s->out, &s->out_cap, s->out_len, 65536))
			return Z_MEM_ERROR;
		s->soft.next_in = s->hold + pos;
		s->soft.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
		s->soft.next_out = s->out + s->out_len;
		s->soft.avail_out = (uInt)(s->out_cap - s->out_len > UINT_MAX ? UINT_MAX : s->out_cap - s->out_len);
		if (real->deflate(&s->soft, Z_NO_FLUSH) == Z_STREAM_ERROR)
			return Z_STREAM_ERROR;
		pos = (size_t)(s->soft.next_in - s->hold);
		s->out_len = (size_t)(s->soft.next_out - s->out);
	}
	s->mode = WDZ_SOFT;
	wdz_fallback(why);
	return Z_OK;
}

static int soft_deflate(z_streamp strm, struct wdz_stream *s, int flush)
{
	bool drained_some = s->out_pos < s->out_len;
	int r;

	if (!strm->next_out) {
		strm->msg = (char *)wdz_msg(Z_STREAM_ERROR);
		return Z_STREAM_ERROR;
	}
	if (!wdz_drain(strm, s))
		return Z_OK;
	if (drained_some && !strm->avail_out)
		return Z_OK;
	wdz_soft_in(strm, s);
	r = wdz_real()->deflate(&s->soft, flush);
	wdz_soft_out(strm, s);
	return r == Z_BUF_ERROR && drained_some ? Z_OK : r;
}

/* Z_FINISH on the device; a negative errno (why in *@why) sends it to software. */
static int device_finish(z_streamp strm, struct wdz_stream *s, enum wdz_reason *why)
{
	unsigned int flags = WD_MSG_LEVEL(s->level < 0 ? 6 : s->level);
	size_t n = s->hold_len, head = 0, tail = 0, cap = n + (n >> 3) + 1024;
	long r;

	if (s->wrap == 1)
		flags |= WD_MSG_ZLIB;
	if (s->wrap == 2) {
		head = 10;
		tail = 8;
	}
	for (int attempt = 0; attempt < 2; attempt++, cap = 2 * cap + 1024) {
		if (!wdz_reserve(&s->out, &s->out_cap, 0, cap + head + tail))
			return -ENOMEM;
		r = wdz_device(false, s->hold, n, s->out + head, cap, flags, why);
		if (r != -ENOSPC)
			break;
		*why = WDZ_DEVICE_ERROR;
	}
	if (r < 0)
		return (int)r;
	if (s->wrap == 2) {
		uint32_t crc = (uint32_t)wdz_real()->crc32(0, s->hold, 0);

		/* crc32 takes uInt lengths */
		for (size_t pos = 0; pos < n;) {
			uInt c = n - pos > UINT_MAX ? UINT_MAX : (uInt)(n - pos);

			crc = (uint32_t)wdz_real()->crc32(crc, s->hold + pos, c);
			pos += c;
		}
		gzip_header(s->out, s->level < 0 ? 6 : s->level, s->strategy);
		put_le32(s->out + head + r, crc);
		put_le32(s->out + head + r + 4, (uint32_t)n);
		strm->adler = crc;
	} else if (s->wrap == 1 && r >= 4) {
		const uint8_t *t = s->out + r - 4;

		strm->adler = (uLong)t[0] << 24 | (uLong)t[1] << 16 | (uLong)t[2] << 8 | t[3];
	}
	s->out_len = head + (size_t)r + tail;
	s->out_pos = 0;
	wdz_offloaded(false, n, s->out_len);
	return 0;
}

static bool params_offload(struct wdz_stream *s)
{
	int wb = s->window_bits;

	s->params_soft = true;
	if (s->level == 0 || s->strategy != Z_DEFAULT_STRATEGY)
		s->params_why = WDZ_STRATEGY;
	else if (wb != 15 && wb != -15 && wb != 31)
		s->params_why = WDZ_WINDOW;
	else
		s->params_soft = false;
	return !s->params_soft;
}

WDZ_EXPORT int ZEXPORT deflateInit2_(z_streamp strm, int level, int method, int windowBits,
				     int memLevel, int strategy, const char *version, int stream_size)
{
	struct wdz_stream *s;
	int wb = windowBits;
	bool bad;

	if (!strm)
		return Z_STREAM_ERROR;
	if (level == Z_DEFAULT_COMPRESSION)
		level = 6;
	if (wb > 15)
		wb -= 16;
	else if (wb < 0)
		wb = -wb;
	bad = !version || version[0] != ZLIB_VERSION[0] || stream_size != (int)sizeof(z_stream) ||
	      method != Z_DEFLATED || level < 0 || level > 9 || memLevel < 1 || memLevel > 9 ||
	      strategy < 0 || strategy > Z_FIXED || wb < 8 || wb > 15 ||
	      (wb == 8 && (windowBits < 0 || windowBits > 15)) || windowBits < -15 || windowBits > 31;
	if (bad) {
		/* let the real zlib say what is wrong, exactly as it would */
		z_stream t = { 0 };
		int r = wdz_real()->deflateInit2_(&t, level, method, windowBits, memLevel,
						  strategy, version, stream_size);

		if (r == Z_OK) {
			wdz_real()->deflateEnd(&t);
			r = Z_STREAM_ERROR;
		}
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return Z_MEM_ERROR;
	s->magic = WDZ_DEFLATE_MAGIC;
	s->level = level;
	s->window_bits = windowBits == 8 ? 9 : windowBits;
	s->mem_level = memLevel;
	s->strategy = strategy;
	s->wrap = windowBits < 0 ? 0 : windowBits > 15 ? 2 : 1;
	strm->state = (struct internal_state *)s;
	strm->msg = Z_NULL;
	if (deflateReset(strm) != Z_OK) {
		deflateEnd(strm);
		return Z_MEM_ERROR;
	}
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
	return deflateInit2_(strm, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
			     version, stream_size);
}

WDZ_EXPORT int ZEXPORT deflateReset(z_streamp strm)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);

	if (!s)
		return Z_STREAM_ERROR;
	strm->total_in = strm->total_out = 0;
	strm->msg = Z_NULL;
	strm->data_type = Z_UNKNOWN;
	strm->adler = s->wrap == 2 ? 0 : 1;
	s->hold_len = s->out_len = s->out_pos = 0;
	s->called = false;
	s->mode = WDZ_HOLD;
	if (s->soft_ready && wdz_real()->deflateReset(&s->soft) != Z_OK)
		return Z_STREAM_ERROR;
	if (!params_offload(s))
		return go_soft(strm, s, s->params_why);
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT deflateResetKeep(z_streamp strm)
{
	return deflateReset(strm);
}

WDZ_EXPORT int ZEXPORT deflate(z_streamp strm, int flush)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	enum wdz_reason why;
	int r;

	if (!s || flush > Z_BLOCK || flush < 0)
		return Z_STREAM_ERROR;
	if (s->mode == WDZ_SOFT)
		return soft_deflate(strm, s, flush);
	if (!strm->next_out || (strm->avail_in && !strm->next_in) ||
	    (s->mode == WDZ_DRAIN && flush != Z_FINISH)) {
		strm->msg = (char *)wdz_msg(Z_STREAM_ERROR);
		return Z_STREAM_ERROR;
	}
	if (!strm->avail_out) {
		strm->msg = (char *)wdz_msg(Z_BUF_ERROR);
		return Z_BUF_ERROR;
	}
	if (s->mode == WDZ_DRAIN) {
		if (strm->avail_in) {	/* more input after Z_FINISH */
			strm->msg = (char *)wdz_msg(Z_BUF_ERROR);
			return Z_BUF_ERROR;
		}
		return wdz_drain(strm, s) ? Z_STREAM_END : Z_OK;
	}
	if (flush != Z_NO_FLUSH && flush != Z_FINISH) {
		r = go_soft(strm, s, WDZ_FLUSH);
		return r == Z_OK ? soft_deflate(strm, s, flush) : r;
	}
	if (s->called && !strm->avail_in && flush == Z_NO_FLUSH) {
		strm->msg = (char *)wdz_msg(Z_BUF_ERROR);
		return Z_BUF_ERROR;
	}
	s->called = true;
	if (strm->avail_in) {
		if (s->hold_len + strm->avail_in > wdz_config()->max_buffer) {
			r = go_soft(strm, s, WDZ_SIZE);
			return r == Z_OK ? soft_deflate(strm, s, flush) : r;
		}
		if (!wdz_reserve(&s->hold, &s->hold_cap, s->hold_len, strm->avail_in))
			return Z_MEM_ERROR;
		memcpy(s->hold + s->hold_len, strm->next_in, strm->avail_in);
		s->hold_len += strm->avail_in;
		strm->total_in += strm->avail_in;
		strm->next_in += strm->avail_in;
		strm->avail_in = 0;
	}
	if (flush == Z_NO_FLUSH)
		return Z_OK;
	if (!wdz_may_offload(s->hold_len, &why) || device_finish(strm, s, &why) < 0) {
		r = go_soft(strm, s, why);
		return r == Z_OK ? soft_deflate(strm, s, Z_FINISH) : r;
	}
	s->mode = WDZ_DRAIN;
	return wdz_drain(strm, s) ? Z_STREAM_END : Z_OK;
}

WDZ_EXPORT int ZEXPORT deflateEnd(z_streamp strm)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	int r = Z_OK;

	if (!s)
		return Z_STREAM_ERROR;
	if (s->soft_ready) {
		int sr = wdz_real()->deflateEnd(&s->soft);

		if (s->mode == WDZ_SOFT)
			r = sr;
	}
	/* zlib: ended before the stream was finished (a raw one is busy at once) */
	if (s->mode == WDZ_HOLD && (s->called || s->wrap == 0))
		r = Z_DATA_ERROR;
	free(s->hold);
	free(s->out);
	free(s);
	strm->state = Z_NULL;
	return r;
}

WDZ_EXPORT uLong ZEXPORT deflateBound(z_streamp strm, uLong sourceLen)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);

	if (s && s->mode == WDZ_SOFT)
		return wdz_real()->deflateBound(&s->soft, sourceLen);
	/* the zlib wrapper's bound for any parameters, plus gzip's extra 12 */
	return wdz_real()->deflateBound(Z_NULL, sourceLen) + 12;
}

/*
 * The calls below change how the rest of the stream is encoded or what
 * comes first in it: the device cannot do them, so the stream goes to
 * software (re-encoding what it holds) and the real zlib does them.
 */
static struct wdz_stream *soft_for(z_streamp strm, enum wdz_reason why, int *err)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);

	*err = Z_STREAM_ERROR;
	if (!s || s->mode == WDZ_DRAIN)
		return NULL;
	if (s->mode == WDZ_HOLD && (*err = go_soft(strm, s, why)) != Z_OK)
		return NULL;
	return s;
}

WDZ_EXPORT int ZEXPORT deflateParams(z_streamp strm, int level, int strategy)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	int r;

	if (!s)
		return Z_STREAM_ERROR;
	if (level == Z_DEFAULT_COMPRESSION)
		level = 6;
	if (level < 0 || level > 9 || strategy < 0 || strategy > Z_FIXED)
		return Z_STREAM_ERROR;
	if (s->mode == WDZ_HOLD && !s->called) {
		/* before any data: simply the parameters of this stream */
		s->level = level;
		s->strategy = strategy;
		if (s->soft_ready)
			wdz_real()->deflateParams(&s->soft, level, strategy);
		if (!params_offload(s))
			return go_soft(strm, s, s->params_why);
		return Z_OK;
	}
	s = soft_for(strm, WDZ_PARAMS, &r);
	if (!s)
		return r;
	if (!wdz_drain(strm, s))
		return Z_BUF_ERROR;
	wdz_soft_in(strm, s);
	r = wdz_real()->deflateParams(&s->soft, level, strategy);
	wdz_soft_out(strm, s);
	return r;
}

WDZ_EXPORT int ZEXPORT deflateSetDictionary(z_streamp strm, const Bytef *dictionary, uInt dictLength)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	int r;

	if (!s || !dictionary || s->wrap == 2 ||
	    (s->mode == WDZ_HOLD && (s->hold_len || (s->called && s->wrap == 1))))
		return Z_STREAM_ERROR;
	s = soft_for(strm, WDZ_DICTIONARY, &r);
	if (!s)
		return r;
	r = wdz_real()->deflateSetDictionary(&s->soft, dictionary, dictLength);
	strm->adler = s->soft.adler;
	return r;
}

WDZ_EXPORT int ZEXPORT deflateGetDictionary(z_streamp strm, Bytef *dictionary, uInt *dictLength)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	size_t n;

	if (!s)
		return Z_STREAM_ERROR;
	if (s->mode == WDZ_SOFT)
		return wdz_real()->deflateGetDictionary(&s->soft, dictionary, dictLength);
	/* the window: the last 32 KiB of the input held */
	n = s->hold_len < 32768 ? s->hold_len : 32768;
	if (dictionary && n)
		memcpy(dictionary, s->hold + s->hold_len - n, n);
	if (dictLength)
		*dictLength = (uInt)n;
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT deflateTune(z_streamp strm, int good_length, int max_lazy,
				   int nice_length, int max_chain)
{
	int r;
	struct wdz_stream *s = soft_for(strm, WDZ_PARAMS, &r);

	return s ? wdz_real()->deflateTune(&s->soft, good_length, max_lazy, nice_length, max_chain) : r;
}

WDZ_EXPORT int ZEXPORT deflatePrime(z_streamp strm, int bits, int value)
{
	int r;
	struct wdz_stream *s = soft_for(strm, WDZ_PARAMS, &r);

	if (s && s->out_pos < s->out_len)
		return Z_BUF_ERROR;	/* deflate() first, to hand out the re-encoded output */
	return s ? wdz_real()->deflatePrime(&s->soft, bits, value) : r;
}

WDZ_EXPORT int ZEXPORT deflateSetHeader(z_streamp strm, gz_headerp head)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	int r;

	if (!s || s->wrap != 2 || (s->mode == WDZ_HOLD && s->called))
		return Z_STREAM_ERROR;
	s = soft_for(strm, WDZ_HEADER, &r);
	return s ? wdz_real()->deflateSetHeader(&s->soft, head) : r;
}

WDZ_EXPORT int ZEXPORT deflatePending(z_streamp strm, unsigned *pending, int *bits)
{
	struct wdz_stream *s = wdz_stream(strm, WDZ_DEFLATE_MAGIC);
	unsigned int ours;
	int r = Z_OK;

	if (!s)
		return Z_STREAM_ERROR;
	ours = (unsigned int)(s->out_len - s->out_pos);
	if (s->mode == WDZ_SOFT) {
		r = wdz_real()->deflatePending(&s->soft, pending, bits);
		if (pending)
			*pending += ours;
		return r;
	}
	if (pending)
		*pending = ours;
	if (bits)
		*bits = 0;
	return r;
}

int wdz_copy(z_streamp dest, z_streamp source, uint32_t magic)
{
	struct wdz_stream *s = wdz_stream(source, magic), *d;
	int r = Z_OK;

	if (!s || !dest)
		return Z_STREAM_ERROR;
	d = malloc(sizeof(*d));
	if (!d)
		return Z_MEM_ERROR;
	*d = *s;
	d->hold = d->out = NULL;
	d->hold_cap = d->out_cap = 0;
	d->soft_ready = false;
	if (!wdz_reserve(&d->hold, &d->hold_cap, 0, s->hold_len) ||
	    !wdz_reserve(&d->out, &d->out_cap, 0, s->out_len))
		r = Z_MEM_ERROR;
	if (r == Z_OK && s->soft_ready) {
		r = magic == WDZ_DEFLATE_MAGIC ? wdz_real()->deflateCopy(&d->soft, &s->soft)
					       : wdz_real()->inflateCopy(&d->soft, &s->soft);
		d->soft_ready = r == Z_OK;
	}
	if (r != Z_OK) {
		free(d->hold);
		free(d->out);
		free(d);
		return r;
	}
	if (s->hold_len)
		memcpy(d->hold, s->hold, s->hold_len);
	if (s->out_len)
		memcpy(d->out, s->out, s->out_len);
	memcpy(dest, source, sizeof(*dest));
	dest->state = (struct internal_state *)d;
	return Z_OK;
}

WDZ_EXPORT int ZEXPORT deflateCopy(z_streamp dest, z_streamp source)
{
	return wdz_copy(dest, source, WDZ_DEFLATE_MAGIC);
}

WDZ_EXPORT int ZEXPORT compress2(Bytef *dest, uLongf *destLen, const Bytef *source,
				 uLong sourceLen, int level)
{
	z_stream z = { 0 };
	uLong out_left = *destLen, in_left = sourceLen;
	int r = deflateInit_(&z, level, ZLIB_VERSION, (int)sizeof(z));

	*destLen = 0;
	if (r != Z_OK)
		return r;
	z.next_out = dest;
	z.next_in = (z_const Bytef *)source;
	/* zlib's counts are uInt: feed and drain in pieces of at most UINT_MAX */
	do {
		if (!z.avail_out && out_left) {
			z.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
			out_left -= z.avail_out;
		}
		if (!z.avail_in && in_left) {
			z.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= z.avail_in;
		}
		r = deflate(&z, in_left ? Z_NO_FLUSH : Z_FINISH);
	} while (r == Z_OK);
	*destLen = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? Z_OK : r;
}

WDZ_EXPORT int ZEXPORT compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)
{
	return compress2(dest, destLen, source, sourceLen, Z_DEFAULT_COMPRESSION);
}
