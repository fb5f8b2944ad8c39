/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wdz.h - internals of libwdz, the zlib-compatible library that runs
 * deflate and inflate streams on WarpDrive queues.
 *
 * Every exported zlib symbol is defined here; the ones that do not work
 * on a stream of ours go straight to the real zlib (real.c), loaded by
 * soname in a link-map namespace of its own so that its internal calls
 * (gzwrite -> deflate) stay inside it. Unit tests build the same code
 * with Z_PREFIX (every zlib name becomes z_...) so that a test program
 * can hold libwdz's functions and the real zlib's side by side.
 */
#ifndef WDZ_H
#define WDZ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#define WDZ_EXPORT __attribute__((visibility("default")))

/* The real zlib's entry points this library calls itself. */
struct wdz_real {
	__typeof__(deflateInit2_) *deflateInit2_;
	__typeof__(deflate) *deflate;
	__typeof__(deflateEnd) *deflateEnd;
	__typeof__(deflateReset) *deflateReset;
	__typeof__(deflateBound) *deflateBound;
	__typeof__(deflateCopy) *deflateCopy;
	__typeof__(deflateParams) *deflateParams;
	__typeof__(deflateSetDictionary) *deflateSetDictionary;
	__typeof__(deflateGetDictionary) *deflateGetDictionary;
	__typeof__(deflateTune) *deflateTune;
	__typeof__(deflatePrime) *deflatePrime;
	__typeof__(deflateSetHeader) *deflateSetHeader;
	__typeof__(deflatePending) *deflatePending;
	__typeof__(inflateInit2_) *inflateInit2_;
	__typeof__(inflate) *inflate;
	__typeof__(inflateEnd) *inflateEnd;
	__typeof__(inflateReset2) *inflateReset2;
	__typeof__(inflateCopy) *inflateCopy;
	__typeof__(inflateSetDictionary) *inflateSetDictionary;
	__typeof__(inflateGetDictionary) *inflateGetDictionary;
	__typeof__(inflateSync) *inflateSync;
	__typeof__(inflateSyncPoint) *inflateSyncPoint;
	__typeof__(inflatePrime) *inflatePrime;
	__typeof__(inflateMark) *inflateMark;
	__typeof__(inflateGetHeader) *inflateGetHeader;
	__typeof__(inflateUndermine) *inflateUndermine;
	__typeof__(inflateValidate) *inflateValidate;
	__typeof__(inflateCodesUsed) *inflateCodesUsed;
	__typeof__(crc32) *crc32;
	__typeof__(zError) *zError;
};

/* The real zlib, loaded on first use; exits with a message if it can't be. */
const struct wdz_real *wdz_real(void);
/* dlsym() in the real zlib; aborts with a message when it lacks @name. */
void *wdz_real_sym(const char *name);

/* Why a stream runs in software (the statistics' names in wdz.c). */
enum wdz_reason {
	WDZ_SMALL,		/* below the threshold */
	WDZ_FORCED,		/* WD_ZLIB_MODE=software */
	WDZ_DICTIONARY,		/* preset dictionary */
	WDZ_FLUSH,		/* a flush the device cannot honour */
	WDZ_PARAMS,		/* deflateParams/Tune/Prime, inflateValidate/Undermine/Prime/Sync mid-stream */
	WDZ_STRATEGY,		/* a strategy, or level 0, the engine lacks */
	WDZ_WINDOW,		/* a window other than 32 KiB */
	WDZ_HEADER,		/* gzip header fields asked for */
	WDZ_NO_QUEUE,		/* no device, broker refused, quota full */
	WDZ_DEVICE_ERROR,	/* the queue died or the device failed the request */
	WDZ_NOT_WHOLE,		/* inflate: the input is not exactly one whole stream */
	WDZ_SIZE,		/* more than the library holds for one stream */
	WDZ_REASONS
};

struct wdz_config {
	enum { WDZ_AUTO, WDZ_SOFTWARE, WDZ_DEVICE } mode;
	size_t threshold;	/* WD_ZLIB_THRESHOLD */
	size_t max_buffer;	/* WD_ZLIB_MAX_BUFFER */
	unsigned int retry_ms;	/* WD_ZLIB_RETRY_MS */
	int verbose;		/* WD_ZLIB_VERBOSE */
	bool stats;		/* WD_ZLIB_STATS */
	unsigned int report_ms;	/* WD_ZLIB_REPORT_MS: 0, no reports to the broker */
};

const struct wdz_config *wdz_config(void);

/*
 * Send the broker the counters' increase since the last report (wdz.c);
 * @wait: wait for a report in progress in another thread rather than
 * return -EAGAIN. 0 or a negative errno.
 */
int wdz_report(bool wait);

/* Count a stream that went to software for @why. */
void wdz_fallback(enum wdz_reason why);
/* Count a stream the device finished: @in bytes in, @out bytes out. */
void wdz_offloaded(bool inflate, size_t in, size_t out);

/*
 * Whether a stream of @len bytes may go to the device; when not, *@why says
 * why (the threshold, forced software, or a recent refusal of a queue).
 */
bool wdz_may_offload(size_t len, enum wdz_reason *why);

/*
 * Run one request through libwd's per-thread queue: wd_compress (deflate)
 * or wd_decompress (inflate). Returns the output length or a negative errno;
 * an error that means "no queue" starts the back-off of wdz_may_offload()
 * and sets *@why to WDZ_NO_QUEUE, any other to WDZ_DEVICE_ERROR (-ENOSPC,
 * -EBADMSG and -EMSGSIZE are left to the caller, *@why untouched).
 */
long wdz_device(bool inflate, const void *src, size_t slen, void *dst,
		size_t dlen, unsigned int flags, enum wdz_reason *why);

/* Duplicate @source's state for @dest (deflateCopy, inflateCopy). */
int wdz_copy(z_streamp dest, z_streamp source, uint32_t magic);

/*
 * For the unit tests: streams the device finished (@what -1 deflate, -2
 * inflate) or streams that went to software for reason @what.
 */
unsigned long wdz_count(int what);

/* The message zlib gives for @code (the real zlib's zError). */
const char *wdz_msg(int code);

/*
 * The state behind a z_stream of ours (strm->state). A stream starts
 * undecided: deflate holds its input until Z_FINISH, inflate tries the
 * device on the first call's input. It ends on the device (the output
 * waits in @out until drained) or in software (@soft, a real zlib stream),
 * and never goes back from software within a stream.
 */
struct wdz_stream {
	uint32_t magic;			/* WDZ_DEFLATE_MAGIC / WDZ_INFLATE_MAGIC */
	enum { WDZ_HOLD, WDZ_DRAIN, WDZ_SOFT } mode;
	bool soft_ready;		/* @soft initialised */
	bool params_soft;		/* the parameters keep every stream in software */
	enum wdz_reason params_why;
	bool called;			/* deflate: a call since init/reset */
	int level, window_bits, mem_level, strategy;
	int wrap;			/* 0 raw, 1 zlib, 2 gzip, 3 either (inflate) */
	uint8_t *hold;			/* deflate: input held so far */
	size_t hold_len, hold_cap;
	uint8_t *out;			/* device output (or replayed output) to hand out */
	size_t out_len, out_pos, out_cap;
	int end_ret;			/* what a call returns once @out is drained */
	z_stream soft;
};

#define WDZ_DEFLATE_MAGIC	0x5744445aU	/* "WDDZ" */
#define WDZ_INFLATE_MAGIC	0x5744495aU	/* "WDIZ" */

/* The stream of ours behind @strm, or NULL when it is not one. */
struct wdz_stream *wdz_stream(z_streamp strm, uint32_t magic);

/* Make room for @need more bytes in a buffer; false when out of memory. */
bool wdz_reserve(uint8_t **buf, size_t *cap, size_t len, size_t need);

/*
 * Copy what is waiting in @s->out to the caller's buffer; returns whether
 * all of it went.
 */
bool wdz_drain(z_streamp strm, struct wdz_stream *s);

/* Run a real zlib call on @s->soft with @strm's buffers, then copy back. */
void wdz_soft_in(z_streamp strm, struct wdz_stream *s);
void wdz_soft_out(z_streamp strm, struct wdz_stream *s);

#endif /* WDZ_H */
