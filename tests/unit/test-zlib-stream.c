// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwdz streams on the device double, checked against stock zlib: the
 * zlib, gzip and raw wrappers (and inflate's auto-detection) deflated with
 * input fed in random pieces down to 1 byte and output drained through
 * small buffers, inflated in one call and drained byte by byte; total_*,
 * avail_*, adler and return codes as zlib's; input after a stream left
 * unconsumed; compress2/uncompress; many streams in 4 threads; a stream
 * open across fork() finished in both processes.
 */
#include <pthread.h>
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
	{ .name = "wdsoft-0", .node = 0, .avail = 64 },
};

#define N 200000
static uint8_t text[N], noise[N];

/* Deflate @n bytes in pieces of 1..@step, draining through 1..@ostep bytes. */
static long our_deflate(int wbits, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
			size_t step, size_t ostep, uLong *adler)
{
	z_stream z = { 0 };
	size_t fed = 0, got = 0;
	int r = Z_OK;

	if (deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = in;
	while (r != Z_STREAM_END) {
		size_t k = 1 + (size_t)random() % step, o = 1 + (size_t)random() % ostep;

		if (!z.avail_in && fed < n) {
			z.avail_in = (uInt)(k < n - fed ? k : n - fed);
			fed += z.avail_in;
		}
		z.next_out = out + got;
		z.avail_out = (uInt)(o < cap - got ? o : cap - got);
		r = deflate(&z, fed == n && !z.avail_in ? Z_FINISH : Z_NO_FLUSH);
		got = (size_t)(z.next_out - out);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			break;
		if (!z.avail_out && got == cap)
			break;
	}
	*adler = z.adler;
	if (r != Z_STREAM_END || z.total_in != n || z.total_out != got || deflateEnd(&z) != Z_OK)
		return -1;
	return (long)got;
}

/* Inflate @in in one call, draining through @ostep-byte buffers. */
static long our_inflate(int wbits, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
			size_t ostep, size_t *left, int *last)
{
	z_stream z = { 0 };
	int r;

	if (inflateInit2(&z, wbits) != Z_OK)
		return -1;
	z.next_in = in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(ostep < cap - z.total_out ? ostep : cap - z.total_out);
		r = inflate(&z, Z_NO_FLUSH);
	} while (r == Z_OK);
	*left = z.avail_in;
	*last = r;
	if (z.next_in != in + n - z.avail_in || z.total_in != n - z.avail_in) {
		inflateEnd(&z);
		return -2;
	}
	inflateEnd(&z);
	return r == Z_STREAM_END ? (long)z.total_out : -1;
}

static void wrapper(const char *name, int wbits, int inflate_bits)
{
	static uint8_t z[N + N / 8 + 1024], back[N + 16];
	unsigned long dev_d = wdz_count(-1), dev_i = wdz_count(-2);
	size_t got, used, left;
	uLong adler;
	long len, m;
	int last;

	len = our_deflate(wbits, text, N, z, sizeof(z), 5000, 3000, &adler);
	ok(len > 0 && stock_inflate(inflate_bits, z, (size_t)len, back, sizeof(back), &got, &used) ==
	   Z_STREAM_END && got == N && !memcmp(back, text, N),
	   "%s: deflated in pieces, drained in small buffers, stock zlib inflates it", name);
	if (wbits > 0)
		is(adler, wbits > 15 ? crc32(0, text, N) : adler32(1, text, N),
		   "%s: adler is the %s of the input", name, wbits > 15 ? "crc32" : "adler32");
	is(wdz_count(-1), dev_d + 1, "%s: the device deflated it", name);

	len = stock_deflate(wbits, noise, N, z, sizeof(z));
	memcpy(z + len, "NEXT", 4);
	m = our_inflate(inflate_bits, z, (size_t)len + 4, back, sizeof(back), 777, &left, &last);
	ok(m == N && !memcmp(back, noise, N) && left == 4 && last == Z_STREAM_END,
	   "%s: stock's stream + 4 bytes: inflated, Z_STREAM_END, the 4 bytes left", name);
	m = our_inflate(inflate_bits, z, (size_t)len, back, sizeof(back), 1, &left, &last);
	ok(m == N && !memcmp(back, noise, N) && !left, "%s: drained 1 byte at a time", name);
	is(wdz_count(-2), dev_i + 1, "%s: the device inflated the whole stream once; "
	   "the one followed by data went to software", name);
}

static void one_byte(void)
{
	static uint8_t z[20000], back[8000];
	size_t got, used;
	uLong adler;
	long len = our_deflate(15, text, 8000, z, sizeof(z), 1, 1, &adler);

	ok(len > 0 && stock_inflate(15, z, (size_t)len, back, sizeof(back), &got, &used) == Z_STREAM_END &&
	   got == 8000 && !memcmp(back, text, 8000), "deflate fed and drained 1 byte at a time");
}

static void one_shot(void)
{
	static uint8_t z[N + N / 8 + 1024], back[N];
	uLongf zl = sizeof(z), bl = sizeof(back), small = 100;
	uLong sl;

	ok(compress2(z, &zl, text, N, 9) == Z_OK, "compress2 level 9");
	ok(uncompress(back, &bl, z, zl) == Z_OK && bl == N && !memcmp(back, text, N),
	   "uncompress gives it back");
	is(uncompress(back, &small, z, zl), Z_BUF_ERROR, "uncompress into 100 bytes: Z_BUF_ERROR");
	sl = zl / 2;
	bl = sizeof(back);
	is(uncompress2(back, &bl, z, &sl), Z_DATA_ERROR, "uncompress2 of a cut stream: Z_DATA_ERROR");
	zl = 10;
	is(compress(z, &zl, noise, N), Z_BUF_ERROR, "compress into 10 bytes: Z_BUF_ERROR");
}

static void *worker(void *arg)
{
	static uint8_t z[4][N / 4 + 4096], back[4][N / 4];
	long id = (long)arg, bad = 0;
	size_t got, used;
	uLong adler;

	for (int i = 0; i < 10; i++) {
		long len = our_deflate(i % 2 ? 31 : -15, text + id * 1000, N / 4, z[id], sizeof(z[id]),
				       N, N, &adler);
		bad += len < 0 || stock_inflate(i % 2 ? 31 : -15, z[id], (size_t)len, back[id],
						sizeof(back[id]), &got, &used) != Z_STREAM_END ||
		       memcmp(back[id], text + id * 1000, N / 4);
	}
	return (void *)bad;
}

static void threads(void)
{
	pthread_t t[4];
	long bad = 0;
	void *r;

	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	is(bad, 0, "4 threads x 10 streams each, round trips through stock zlib");
}

static void forked(void)
{
	static uint8_t z[N], back[N];
	z_stream s = { 0 };
	size_t got, used;
	int status = -1;
	pid_t pid;
	int r;

	deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	s.next_in = text;
	s.avail_in = N / 2;
	s.next_out = z;
	s.avail_out = sizeof(z);
	deflate(&s, Z_NO_FLUSH);
	pid = fork();
	s.avail_in = N / 2;
	r = deflate(&s, Z_FINISH);
	r = r == Z_STREAM_END && stock_inflate(31, z, s.total_out, back, sizeof(back), &got, &used) ==
	    Z_STREAM_END && got == N && !memcmp(back, text, N);
	deflateEnd(&s);
	if (!pid)
		_exit(r ? 0 : 1);
	waitpid(pid, &status, 0);
	ok(r, "a stream open across fork(): the parent finishes it");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "and so does the child");
}

int main(void)
{
	for (size_t i = 0; i < N; i++) {
		text[i] = (uint8_t)("the quick brown fox jumps over the lazy dog "[i % 44] + (i / 4096) % 3);
		noise[i] = (uint8_t)random();
	}
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);
	wrapper("zlib", 15, 15);
	wrapper("gzip", 31, 31);
	wrapper("raw", -15, -15);
	wrapper("gzip, inflate auto-detects", 31, 47);
	wrapper("zlib, inflate auto-detects", 15, 47);
	one_byte();
	one_shot();
	threads();
	forked();
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
