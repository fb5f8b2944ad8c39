// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wdz.c - libwdz's configuration, statistics, device calls and the real zlib.
 *
 * The configuration comes from the environment once, on first use (see
 * libwdz(7)). Statistics are process-wide atomics; WD_ZLIB_STATS=1 prints
 * them as one line on stderr at exit. Device requests go through libwd's
 * one-call helpers, whose queue is cached per thread, replaced when it dies
 * and never inherited across fork(). When no queue can be had, the library
 * does not ask again for WD_ZLIB_RETRY_MS, so a machine without a device
 * pays one failed request per interval, not one per stream.
 *
 * The real zlib is opened by soname in a new link-map namespace (dlmopen):
 * there its internal calls bind to itself, not to the deflate() and
 * inflate() this library exports, which matters when the program itself
 * links libz.so.1 and has it loaded with its references bound to us. When
 * the soname finds this library (installed as the system's libz through a
 * library path), the compiled-in path of the real one is tried next.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <warpdrive/wd.h>

#include "wdz.h"

#ifndef WDZ_REAL_PATH
#define WDZ_REAL_PATH "/lib/x86_64-linux-gnu/libz.so.1"
#endif

/* Present only in libwdz: tells a copy of us from the real zlib. */
WDZ_EXPORT const int wdz_is_libwdz = 1;

static const char *const reason_names[WDZ_REASONS] = {
	[WDZ_SMALL] = "small",
	[WDZ_FORCED] = "forced",
	[WDZ_DICTIONARY] = "dictionary",
	[WDZ_FLUSH] = "flush",
	[WDZ_PARAMS] = "params",
	[WDZ_STRATEGY] = "strategy",
	[WDZ_WINDOW] = "window",
	[WDZ_HEADER] = "header",
	[WDZ_NO_QUEUE] = "no-queue",
	[WDZ_DEVICE_ERROR] = "device-error",
	[WDZ_NOT_WHOLE] = "not-whole",
	[WDZ_SIZE] = "size",
};

static struct {
	atomic_ulong streams[2];	/* [inflate] offloaded */
	atomic_ulong in[2], out[2];
	atomic_ulong fallback[WDZ_REASONS];
	atomic_llong retry_at_ns;	/* no queue: don't ask before this */
} stats;

static struct wdz_config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static bool config_done;

static struct wdz_real real;
static void *real_handle;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static size_t env_size(const char *name, size_t dflt)
{
	const char *v = secure_getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v) {
		fprintf(stderr, "libwdz: %s=%s is not a number of bytes; using %zu\n",
			name, v, dflt);
		return dflt;
	}
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		n <<= 20, end++;
	if (*end)
		fprintf(stderr, "libwdz: %s=%s: ignoring \"%s\" after the number\n",
			name, v, end);
	return (size_t)n;
}

static void config_load(void)
{
	const char *m = secure_getenv("WD_ZLIB_MODE");

	config.mode = WDZ_AUTO;
	if (m && !strcmp(m, "software"))
		config.mode = WDZ_SOFTWARE;
	else if (m && !strcmp(m, "device"))
		config.mode = WDZ_DEVICE;
	else if (m && *m && strcmp(m, "auto"))
		fprintf(stderr, "libwdz: WD_ZLIB_MODE=%s: use auto, software or device; using auto\n", m);
	config.threshold = env_size("WD_ZLIB_THRESHOLD", 1024);
	config.max_buffer = env_size("WD_ZLIB_MAX_BUFFER", 64U << 20);
	config.retry_ms = (unsigned int)env_size("WD_ZLIB_RETRY_MS", 1000);
	config.verbose = (int)env_size("WD_ZLIB_VERBOSE", 0);
	config.stats = env_size("WD_ZLIB_STATS", 0) != 0;
	config_done = true;
}

const struct wdz_config *wdz_config(void)
{
	pthread_once(&config_once, config_load);
	return &config;
}

/* A handle on the real zlib, or NULL when @path finds none (or us). */
static void *real_open(const char *path)
{
	void *h;

#ifdef Z_PREFIX
	/* Unit tests: our names are z_*, nothing can bind to them by mistake. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
#else
	h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
	if (!h)	/* no namespace left (there are 16): keep its symbols first */
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
	if (h && dlsym(h, "wdz_is_libwdz")) {
		dlclose(h);
		return NULL;
	}
	return h;
}

void *wdz_real_sym(const char *name)
{
	void *f = dlsym(real_handle, name);

	if (!f) {
		fprintf(stderr, "libwdz: the real zlib has no %s (%s); it is older than 1.2.12\n",
			name, dlerror());
		abort();
	}
	return f;
}

#define REAL(name) real.name = wdz_real_sym(#name)

static void real_load(void)
{
	const char *path = secure_getenv("WD_ZLIB_REAL");

	real_handle = real_open(path && *path ? path : "libz.so.1");
	if (!real_handle)
		real_handle = real_open(WDZ_REAL_PATH);
	if (!real_handle) {
		fprintf(stderr, "libwdz: cannot load the real zlib (libz.so.1, %s): %s; "
			"install zlib1g or point WD_ZLIB_REAL at it\n", WDZ_REAL_PATH, dlerror());
		abort();
	}
	REAL(deflateInit2_); REAL(deflate); REAL(deflateEnd); REAL(deflateReset);
	REAL(deflateBound); REAL(deflateCopy); REAL(deflateParams);
	REAL(deflateSetDictionary); REAL(deflateGetDictionary); REAL(deflateTune);
	REAL(deflatePrime); REAL(deflateSetHeader); REAL(deflatePending);
	REAL(inflateInit2_); REAL(inflate); REAL(inflateEnd); REAL(inflateReset2);
	REAL(inflateCopy); REAL(inflateSetDictionary); REAL(inflateGetDictionary);
	REAL(inflateSync); REAL(inflateSyncPoint); REAL(inflatePrime);
	REAL(inflateMark); REAL(inflateGetHeader); REAL(inflateUndermine);
	REAL(inflateValidate); REAL(inflateCodesUsed); REAL(crc32); REAL(zError);
}

const struct wdz_real *wdz_real(void)
{
	pthread_once(&real_once, real_load);
	return &real;
}

const char *wdz_msg(int code)
{
	return wdz_real()->zError(code);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void wdz_fallback(enum wdz_reason why)
{
	atomic_fetch_add_explicit(&stats.fallback[why], 1, memory_order_relaxed);
	if (wdz_config()->verbose >= 2)
		fprintf(stderr, "libwdz: a stream runs in software: %s\n", reason_names[why]);
}

void wdz_offloaded(bool inflate, size_t in, size_t out)
{
	atomic_fetch_add_explicit(&stats.streams[inflate], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.in[inflate], in, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.out[inflate], out, memory_order_relaxed);
}

bool wdz_may_offload(size_t len, enum wdz_reason *why)
{
	const struct wdz_config *c = wdz_config();

	if (c->mode == WDZ_SOFTWARE) {
		*why = WDZ_FORCED;
		return false;
	}
	if (c->mode == WDZ_AUTO && len < c->threshold) {
		*why = WDZ_SMALL;
		return false;
	}
	if (atomic_load_explicit(&stats.retry_at_ns, memory_order_relaxed) > now_ns()) {
		*why = WDZ_NO_QUEUE;
		return false;
	}
	return true;
}

long wdz_device(bool inflate, const void *src, size_t slen, void *dst,
		size_t dlen, unsigned int flags, enum wdz_reason *why)
{
	ssize_t r = inflate ? wd_decompress(src, slen, dst, dlen, flags)
			    : wd_compress(src, slen, dst, dlen, flags);

	switch (r) {
	case -ENOSPC: case -EBADMSG: case -EMSGSIZE:
		return r;
	/* wd_request_queue()'s ways of saying there is no queue to be had */
	case -ENODEV: case -EBUSY: case -EACCES: case -EDQUOT:
	case -EPROTONOSUPPORT: case -ENOENT: case -ECONNREFUSED:
		atomic_store_explicit(&stats.retry_at_ns,
				      now_ns() + wdz_config()->retry_ms * 1000000LL,
				      memory_order_relaxed);
		*why = WDZ_NO_QUEUE;
		break;
	default:
		if (r >= 0)
			return r;
		*why = WDZ_DEVICE_ERROR;
	}
	if (wdz_config()->verbose >= 1)
		fprintf(stderr, "libwdz: %s on the device failed (%s); continuing in software\n",
			inflate ? "inflate" : "deflate", wd_strerror((int)r));
	return r;
}

unsigned long wdz_count(int what)
{
	if (what < 0)
		return atomic_load(&stats.streams[what == -2]);
	return atomic_load(&stats.fallback[what]);
}

/* WD_ZLIB_STATS=1: one line at exit, only from a copy that was used. */
__attribute__((destructor)) static void stats_print(void)
{
	char line[512];
	int n;

	if (!config_done || !config.stats)
		return;
	n = snprintf(line, sizeof(line),
		     "libwdz: deflate %lu on device (%lu B in, %lu B out), inflate %lu on device (%lu B in, %lu B out); software:",
		     atomic_load(&stats.streams[0]), atomic_load(&stats.in[0]), atomic_load(&stats.out[0]),
		     atomic_load(&stats.streams[1]), atomic_load(&stats.in[1]), atomic_load(&stats.out[1]));
	for (int i = 0; i < WDZ_REASONS && n > 0 && (size_t)n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%lu",
			      reason_names[i], atomic_load(&stats.fallback[i]));
	fprintf(stderr, "%s\n", line);
}

struct wdz_stream *wdz_stream(z_streamp strm, uint32_t magic)
{
	struct wdz_stream *s;

	if (!strm || !strm->state)
		return NULL;
	s = (struct wdz_stream *)strm->state;
	return s->magic == magic ? s : NULL;
}

bool wdz_reserve(uint8_t **buf, size_t *cap, size_t len, size_t need)
{
	size_t want = len + need, c = *cap ? *cap : 4096;
	uint8_t *p;

	if (want < len)
		return false;
	if (want <= *cap)
		return true;
	while (c < want)
		c = c * 2 > c ? c * 2 : want;
	p = realloc(*buf, c);
	if (!p)
		return false;
	*buf = p;
	*cap = c;
	return true;
}

bool wdz_drain(z_streamp strm, struct wdz_stream *s)
{
	size_t n = s->out_len - s->out_pos;

	if (n > strm->avail_out)
		n = strm->avail_out;
	if (n) {
		memcpy(strm->next_out, s->out + s->out_pos, n);
		strm->next_out += n;
		strm->avail_out -= (uInt)n;
		strm->total_out += n;
		s->out_pos += n;
	}
	return s->out_pos == s->out_len;
}

void wdz_soft_in(z_streamp strm, struct wdz_stream *s)
{
	s->soft.next_in = strm->next_in;
	s->soft.avail_in = strm->avail_in;
	s->soft.next_out = strm->next_out;
	s->soft.avail_out = strm->avail_out;
}

void wdz_soft_out(z_streamp strm, struct wdz_stream *s)
{
	strm->total_in += strm->avail_in - s->soft.avail_in;
	strm->total_out += strm->avail_out - s->soft.avail_out;
	strm->next_in = s->soft.next_in;
	strm->avail_in = s->soft.avail_in;
	strm->next_out = s->soft.next_out;
	strm->avail_out = s->soft.avail_out;
	strm->adler = s->soft.adler;
	strm->data_type = s->soft.data_type;
	strm->msg = s->soft.msg;
}
