// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every reason a libwdz stream runs in software, each in a process of its
 * own (the configuration is read once per process), each counted under its
 * name and each with output that stock zlib reads back exactly: input
 * below the threshold, WD_ZLIB_MODE=software, a preset dictionary (and
 * Z_NEED_DICT as zlib returns it), Z_SYNC_FLUSH mid-stream, deflateParams
 * mid-stream, a strategy and level 0, a small window, gzip header fields,
 * no queue (no device offering deflate), a failing request, a queue
 * revoked mid-stream with no other to be had, inflate input in pieces or
 * followed by data, Z_BLOCK, more than WD_ZLIB_MAX_BUFFER, a gzip member
 * whose header CRC (FHCRC) does not match; and WD_ZLIB_MODE=device
 * offloading under the threshold, a whole gzip member, and one whose FHCRC
 * matches, inflated on the device.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define Z_PREFIX
#define ZLIB_CONST
#include <zlib.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wdz.h"
#include "zlib-stock.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};
static const struct wdd_dev no_deflate[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8, .algs = "memcpy,crc32c" },
};

#define N 100000
static uint8_t text[N], z[2 * N], back[2 * N];

/* stock zlib inflates @len bytes of z[] with @wbits to text[0..@n) */
static bool stock_reads(int wbits, size_t len, size_t n)
{
	size_t got, used;

	return stock_inflate(wbits, z, len, back, sizeof(back), &got, &used) == Z_STREAM_END &&
	       got == n && used == len && !memcmp(back, text, n);
}

/* deflate @n bytes; @mid runs after half the input, before the rest */
static bool deflate_case(int level, int wbits, int strategy, size_t n,
			 int (*mid)(z_stream *), int (*pre)(z_stream *))
{
	z_stream s = { 0 };
	int r;

	if (deflateInit2(&s, level, Z_DEFLATED, wbits, 8, strategy) != Z_OK)
		return false;
	if (pre && pre(&s) != Z_OK)
		return false;
	s.next_in = text;
	s.avail_in = (uInt)(n / 2);
	s.next_out = z;
	s.avail_out = sizeof(z);
	if (deflate(&s, Z_NO_FLUSH) != Z_OK)
		return false;
	if (mid && mid(&s) != Z_OK)
		return false;
	s.avail_in = (uInt)(n - n / 2);
	r = deflate(&s, Z_FINISH);
	deflateEnd(&s);
	return r == Z_STREAM_END && s.total_in == n && stock_reads(wbits, s.total_out, n);
}

static int sync_flush(z_stream *s) { return deflate(s, Z_SYNC_FLUSH); }
static int params(z_stream *s) { return deflateParams(s, 1, Z_DEFAULT_STRATEGY); }
static int revoke_all(z_stream *s)
{
	wdd_revoke_all();
	wdd_sysfs_set("wdsoft-0", "available_instances", "0");
	return Z_OK;
}
static int fail_next(z_stream *s) { wdd_fail_next(1); return Z_OK; }

static gz_header head = { .name = (Bytef *)"name.txt", .time = 1234 };
static int set_header(z_stream *s) { return deflateSetHeader(s, &head); }

static const uint8_t dict[] = "the quick brown fox jumps over the lazy dog";
static int set_dict(z_stream *s) { return deflateSetDictionary(s, dict, sizeof(dict)); }

static bool dictionary(void)
{
	z_stream s = { 0 };
	long len;
	int r1, r2, r3;

	/* deflate with ours (a dictionary: software); inflate it with ours: Z_NEED_DICT with the dictionary's id, then data */
	if (deflateInit(&s, 6) != Z_OK)
		return false;
	if (set_dict(&s) != Z_OK)
		return false;
	s.next_in = text;
	s.avail_in = N;
	s.next_out = z;
	s.avail_out = sizeof(z);
	deflate(&s, Z_FINISH);
	len = (long)s.total_out;
	deflateEnd(&s);
	memset(&s, 0, sizeof(s));
	inflateInit(&s);
	s.next_in = z;
	s.avail_in = (uInt)len;
	s.next_out = back;
	s.avail_out = sizeof(back);
	r1 = inflate(&s, Z_NO_FLUSH);
	if (s.adler != adler32(1, dict, sizeof(dict)))
		return false;
	r2 = inflateSetDictionary(&s, dict, sizeof(dict));
	r3 = inflate(&s, Z_NO_FLUSH);
	inflateEnd(&s);
	return r1 == Z_NEED_DICT && r2 == Z_OK && r3 == Z_STREAM_END && s.total_out == N &&
	       !memcmp(back, text, N);
}

/* inflate stock's deflate of text in @pieces calls, with @extra bytes after it */
static bool inflate_case(int wbits, int pieces, size_t extra, int flush)
{
	z_stream s = { 0 };
	long len = stock_deflate(wbits, text, N, z, sizeof(z));
	size_t step;
	int r = Z_OK;

	if (len < 0 || inflateInit2(&s, wbits) != Z_OK)
		return false;
	memset(z + len, 'x', extra);
	step = ((size_t)len + extra) / (size_t)pieces + 1;
	s.next_in = z;
	s.next_out = back;
	s.avail_out = sizeof(back);
	while (r == Z_OK) {
		size_t left = (size_t)len + extra - (size_t)(s.next_in - z);

		s.avail_in = (uInt)(left < step ? left : step);
		r = inflate(&s, flush);
	}
	inflateEnd(&s);
	return r == Z_STREAM_END && s.total_out == N && !memcmp(back, text, N) &&
	       s.total_in == (uLong)len && s.avail_in + (size_t)(s.next_in - z) <= (size_t)len + extra &&
	       (size_t)(s.next_in - z) == (size_t)len;
}

static bool gzip_header_in(void)
{
	z_stream s = { 0 };
	uint8_t name[32] = "";
	gz_header h = { .name = name, .name_max = sizeof(name) };
	int r;

	if (!deflate_case(6, 31, Z_DEFAULT_STRATEGY, N, NULL, set_header))
		return false;
	inflateInit2(&s, 31);
	inflateGetHeader(&s, &h);
	s.next_in = z;
	s.avail_in = sizeof(z);
	s.next_out = back;
	s.avail_out = sizeof(back);
	r = inflate(&s, Z_NO_FLUSH);
	inflateEnd(&s);
	return r == Z_STREAM_END && !strcmp((char *)name, "name.txt") && h.time == 1234;
}

static void put_le32(uint8_t *p, uLong v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/*
 * A gzip member of text[0..N) in z[] with FNAME and FHCRC (RFC 1952: the
 * low 16 bits of the CRC-32 of the header before it); with @good false
 * that CRC is one off. Its length, or 0.
 */
static size_t hcrc_member(bool good)
{
	static const uint8_t hdr[] = {
		0x1f, 0x8b, 8, 0x02 | 0x08, 0xd2, 0x04, 0, 0, 0, 3,
		'n', 'a', 'm', 'e', '.', 't', 'x', 't', 0,
	};
	uLong hcrc = (crc32(0, hdr, sizeof(hdr)) & 0xffff) ^ !good;
	size_t h = sizeof(hdr);
	long len;

	memcpy(z, hdr, h);
	z[h++] = (uint8_t)hcrc;
	z[h++] = (uint8_t)(hcrc >> 8);
	len = stock_deflate(-15, text, N, z + h, sizeof(z) - h - 8);
	if (len < 0)
		return 0;
	h += (size_t)len;
	put_le32(z + h, crc32(0, text, N));
	put_le32(z + h + 4, N);
	return h + 8;
}

/*
 * Inflate an FHCRC member whole, in one call: with @good, all of it to
 * Z_STREAM_END; else Z_DATA_ERROR, "header crc mismatch", as stock zlib.
 */
static bool hcrc_case(bool good)
{
	size_t len = hcrc_member(good), got, used;
	z_stream s = { 0 };
	const char *msg;
	int r;

	if (!len || stock_inflate(31, z, len, back, sizeof(back), &got, &used) !=
	    (good ? Z_STREAM_END : Z_DATA_ERROR))
		return false;	/* not the member stock zlib says it is */
	if (inflateInit2(&s, 31) != Z_OK)
		return false;
	s.next_in = z;
	s.avail_in = (uInt)len;
	s.next_out = back;
	s.avail_out = sizeof(back);
	r = inflate(&s, Z_NO_FLUSH);
	msg = s.msg;
	inflateEnd(&s);
	if (!good)
		return r == Z_DATA_ERROR && msg && !strcmp(msg, "header crc mismatch");
	return r == Z_STREAM_END && s.total_in == len && s.total_out == N &&
	       !memcmp(back, text, N);
}

struct fcase {
	const char *name;
	const char *env;	/* NAME=value set in the child, or NULL */
	int reason;		/* counted once at least; -1 device deflate, -2 device inflate */
	bool (*run)(void);
	const struct wdd_dev *dev;
};

static bool c_small(void) { return deflate_case(6, 15, 0, 1000, NULL, NULL); }
static bool c_plain(void) { return deflate_case(6, 31, 0, N, NULL, NULL); }
static bool c_flush(void) { return deflate_case(6, 15, 0, N, sync_flush, NULL); }
static bool c_params(void) { return deflate_case(6, -15, 0, N, params, NULL); }
static bool c_huffman(void) { return deflate_case(6, 15, Z_HUFFMAN_ONLY, N, NULL, NULL); }
static bool c_level0(void) { return deflate_case(0, 15, 0, N, NULL, NULL); }
static bool c_window(void) { return deflate_case(6, 12, 0, N, NULL, NULL); }
static bool c_revoke(void) { return deflate_case(6, 31, 0, N, revoke_all, NULL); }
static bool c_fail(void) { return deflate_case(6, 15, 0, N, fail_next, NULL); }
static bool c_pieces(void) { return inflate_case(15, 3, 0, Z_NO_FLUSH); }
static bool c_trailing(void) { return inflate_case(31, 1, 100, Z_NO_FLUSH); }
static bool c_block(void) { return inflate_case(-15, 1, 0, Z_BLOCK); }
static bool c_whole(void) { return inflate_case(31, 1, 0, Z_NO_FLUSH); }
static bool c_hcrc_bad(void) { return hcrc_case(false); }
static bool c_hcrc_good(void) { return hcrc_case(true); }

static const struct fcase cases[] = {
	{ "input below the threshold", NULL, WDZ_SMALL, c_small, NULL },
	{ "WD_ZLIB_MODE=device: under the threshold on the device", "WD_ZLIB_MODE=device", -1, c_small, NULL },
	{ "WD_ZLIB_THRESHOLD=200000: a 100 kB stream is small", "WD_ZLIB_THRESHOLD=200000", WDZ_SMALL, c_plain, NULL },
	{ "WD_ZLIB_MODE=software", "WD_ZLIB_MODE=software", WDZ_FORCED, c_plain, NULL },
	{ "a preset dictionary, Z_NEED_DICT on inflate", NULL, WDZ_DICTIONARY, dictionary, NULL },
	{ "Z_SYNC_FLUSH mid-stream", NULL, WDZ_FLUSH, c_flush, NULL },
	{ "deflateParams mid-stream", NULL, WDZ_PARAMS, c_params, NULL },
	{ "Z_HUFFMAN_ONLY", NULL, WDZ_STRATEGY, c_huffman, NULL },
	{ "level 0", NULL, WDZ_STRATEGY, c_level0, NULL },
	{ "windowBits 12", NULL, WDZ_WINDOW, c_window, NULL },
	{ "gzip header fields (deflateSetHeader, inflateGetHeader)", NULL, WDZ_HEADER, gzip_header_in, NULL },
	{ "no device offers deflate", NULL, WDZ_NO_QUEUE, c_plain, no_deflate },
	{ "the device fails the request", NULL, WDZ_DEVICE_ERROR, c_fail, NULL },
	{ "the queue revoked mid-stream, none to be had", NULL, WDZ_NO_QUEUE, c_revoke, NULL },
	{ "inflate input in 3 pieces", NULL, WDZ_NOT_WHOLE, c_pieces, NULL },
	{ "inflate input with 100 bytes after the stream", NULL, WDZ_NOT_WHOLE, c_trailing, NULL },
	{ "inflate with Z_BLOCK", NULL, WDZ_FLUSH, c_block, NULL },
	{ "WD_ZLIB_MAX_BUFFER=65536, 100 kB held", "WD_ZLIB_MAX_BUFFER=65536", WDZ_SIZE, c_plain, NULL },
	{ "a whole gzip member inflates on the device", NULL, -2, c_whole, NULL },
	{ "a gzip member whose FHCRC does not match: software, header crc mismatch", NULL,
	  WDZ_NOT_WHOLE, c_hcrc_bad, NULL },
	{ "a whole gzip member with a matching FHCRC inflates on the device", NULL, -2,
	  c_hcrc_good, NULL },
};

static int child(const struct fcase *c)
{
	const struct wdd_dev *d = c->dev ? c->dev : devs;
	bool good;

	if (c->env)
		putenv((char *)c->env);
	wdd_sysfs(d, 1, 1);
	wdd_install(NULL);
	good = c->run();
	if (!good)
		printf("# %s: wrong output or return code\n", c->name);
	if (wdz_count(c->reason) < 1) {
		printf("# %s: not counted\n", c->name);
		good = false;
	}
	wdd_uninstall();
	wdd_sysfs_cleanup();
	fflush(stdout);
	return good ? 0 : 1;
}

int main(void)
{
	for (size_t i = 0; i < N; i++)
		text[i] = i % 3 ? (uint8_t)"the quick brown fox jumps over the lazy dog "[i % 44]
				: (uint8_t)random();
	if (getenv("ZLIB_FALLBACK_CASE"))	/* debugging: one case, no fork */
		return child(&cases[atoi(getenv("ZLIB_FALLBACK_CASE"))]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = -1;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (!pid)
			_exit(child(&cases[i]));
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && !WEXITSTATUS(status), "%s", cases[i].name);
	}
	return exit_status();
}
