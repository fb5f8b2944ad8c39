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
 * The same counters go to the broker, so that `warpctl stats --clients`
 * shows them: the amounts added since the last report, in one COUNTERS
 * message (broker protocol version 3) on a connection of its own, at
 * exit and, in a long-running program, at the end of a stream once
 * WD_ZLIB_REPORT_MS have passed since the last one. Not on a lease's
 * connection: a broker that predates COUNTERS answers it with a version
 * refusal and closes the connection, which would end the lease. Such a
 * refusal turns reporting off for the process; no broker listening (root
 * in direct mode) leaves WD_ZLIB_STATS as the only report.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <warpdrive/wd.h>

#include "wdproto.h"
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

/*
 * What the broker was told so far, per counter of report_fill(); the
 * next report sends the difference. report_lock serializes reports and
 * guards @reported and @report_off.
 */
#define WDZ_COUNTERS (6 + WDZ_REASONS)
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t reported[WDZ_COUNTERS];
static bool report_off;			/* the broker refused COUNTERS */
static atomic_llong report_at_ns;	/* no report before this; 0: not armed */

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

static void report_forked(void);

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
	config.report_ms = (unsigned int)env_size("WD_ZLIB_REPORT_MS", 10000);
	pthread_atfork(NULL, NULL, report_forked);
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

/* The counters as the broker names them, with their values now. */
static void report_fill(struct wdp_counter *v)
{
	static const char *const what[3] = { "streams", "bytes_in", "bytes_out" };
	unsigned int n = 0;

	for (int inflate = 0; inflate < 2; inflate++) {
		atomic_ulong *src[3] = { &stats.streams[inflate], &stats.in[inflate],
					 &stats.out[inflate] };

		for (int i = 0; i < 3; i++, n++) {
			snprintf(v[n].name, sizeof(v[n].name), "zlib.%s.%s",
				 inflate ? "inflate" : "deflate", what[i]);
			v[n].value = atomic_load(src[i]);
		}
	}
	for (int i = 0; i < WDZ_REASONS; i++, n++) {
		snprintf(v[n].name, sizeof(v[n].name), "zlib.fallback.%s", reason_names[i]);
		v[n].value = atomic_load(&stats.fallback[i]);
	}
}

/*
 * Send the broker what changed since the last report. Returns 0 (sent, or
 * nothing to send), or a negative errno: no broker (-ENOENT,
 * -ECONNREFUSED), a broker without COUNTERS (-EPROTONOSUPPORT, and
 * reporting stops for the process), -EAGAIN when another thread is
 * reporting (@wait false) or the broker took over a second to answer.
 */
int wdz_report(bool wait)
{
	struct wdp_counter now[WDZ_COUNTERS], delta[WDZ_COUNTERS];
	struct timeval tmo = { .tv_sec = 1 };
	struct wdp_refusal why;
	uint32_t n = 0;
	int sock, r;

	if (wait)
		pthread_mutex_lock(&report_lock);
	else if (pthread_mutex_trylock(&report_lock))
		return -EAGAIN;
	r = report_off ? -EPROTONOSUPPORT : 0;
	report_fill(now);
	for (unsigned int i = 0; !r && i < WDZ_COUNTERS; i++)
		if (now[i].value != reported[i]) {
			delta[n] = now[i];
			delta[n++].value -= reported[i];
		}
	if (r || !n)
		goto out;
	sock = wdp_client_connect(NULL);
	if (sock < 0) {
		r = sock;
		goto out;
	}
	/* The program's thread waits for this: never longer than a second. */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	r = wdp_client_report(sock, delta, n, NULL, &why);
	close(sock);
	if (!r) {
		for (unsigned int i = 0; i < WDZ_COUNTERS; i++)
			reported[i] = now[i].value;
	} else if (r == -EPROTONOSUPPORT) {
		report_off = true;
	}
	if (r < 0 && r != -EAGAIN && wdz_config()->verbose >= 1)
		fprintf(stderr, "libwdz: the broker did not take the statistics (%s); %s\n",
			why.reason ? why.text : strerror(-r),
			report_off ? "not sending them again" : "sending them later");
out:
	pthread_mutex_unlock(&report_lock);
	return r;
}

/* After fork() the child reports only what it does itself. */
static void report_forked(void)
{
	struct wdp_counter now[WDZ_COUNTERS];

	pthread_mutex_init(&report_lock, NULL);
	report_fill(now);
	for (unsigned int i = 0; i < WDZ_COUNTERS; i++)
		reported[i] = now[i].value;
	atomic_store(&report_at_ns, 0);
}

/*
 * A stream ended: report when the interval has passed. The first stream
 * only arms it, so a short-lived program reports once, at exit.
 */
static void report_maybe(void)
{
	const struct wdz_config *c = wdz_config();
	long long t = now_ns(), at = atomic_load_explicit(&report_at_ns, memory_order_relaxed);
	long long next = t + c->report_ms * 1000000LL;

	if (!c->report_ms)
		return;
	if (!at) {
		atomic_compare_exchange_strong(&report_at_ns, &at, next);
		return;
	}
	if (t >= at && atomic_compare_exchange_strong(&report_at_ns, &at, next))
		wdz_report(false);
}

void wdz_fallback(enum wdz_reason why)
{
	atomic_fetch_add_explicit(&stats.fallback[why], 1, memory_order_relaxed);
	if (wdz_config()->verbose >= 2)
		fprintf(stderr, "libwdz: a stream runs in software: %s\n", reason_names[why]);
	report_maybe();
}

void wdz_offloaded(bool inflate, size_t in, size_t out)
{
	atomic_fetch_add_explicit(&stats.streams[inflate], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.in[inflate], in, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.out[inflate], out, memory_order_relaxed);
	report_maybe();
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

/*
 * At exit, only from a copy that was used: the last report to the broker,
 * and with WD_ZLIB_STATS=1 one line on stderr.
 */
__attribute__((destructor)) static void stats_print(void)
{
	char line[512];
	int n;

	if (!config_done)
		return;
	if (config.report_ms)
		wdz_report(true);
	if (!config.stats)
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
