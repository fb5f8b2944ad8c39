// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pass.c - the zlib symbols libwdz does not run on the device: checksums,
 * the gz* file API, inflateBack and the informational calls go straight
 * to the real zlib. Each resolves its target once, on its first call.
 *
 * The file API keeps the real zlib's own deflate and inflate (its internal
 * calls bind inside its namespace), so gz* files are always software.
 */
#undef _FILE_OFFSET_BITS		/* declare gzopen and gzopen64 both */
#define _LARGEFILE64_SOURCE 1
#define ZLIB_INTERNAL
#include <stdarg.h>

#include "wdz.h"

static void *pass_sym(void **cache, const char *name)
{
	void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (!f) {
		wdz_real();
		f = wdz_real_sym(name);
		__atomic_store_n(cache, f, __ATOMIC_RELEASE);
	}
	return f;
}

/* (name) in parentheses: zlib.h also has a gzgetc() macro. */
#define PASS(ret, name, params, args)						\
	WDZ_EXPORT ret ZEXPORT (name) params					\
	{									\
		static void *f;							\
		return ((__typeof__(name) *)pass_sym(&f, #name)) args;		\
	}

PASS(const char *, zlibVersion, (void), ())
PASS(uLong, zlibCompileFlags, (void), ())
PASS(const char *, zError, (int err), (err))
PASS(uLong, adler32, (uLong adler, const Bytef *buf, uInt len), (adler, buf, len))
PASS(uLong, adler32_z, (uLong adler, const Bytef *buf, z_size_t len), (adler, buf, len))
PASS(uLong, adler32_combine, (uLong a, uLong b, z_off_t len), (a, b, len))
PASS(uLong, adler32_combine64, (uLong a, uLong b, z_off64_t len), (a, b, len))
PASS(uLong, crc32, (uLong crc, const Bytef *buf, uInt len), (crc, buf, len))
PASS(uLong, crc32_z, (uLong crc, const Bytef *buf, z_size_t len), (crc, buf, len))
PASS(uLong, crc32_combine, (uLong a, uLong b, z_off_t len), (a, b, len))
PASS(uLong, crc32_combine64, (uLong a, uLong b, z_off64_t len), (a, b, len))
PASS(uLong, crc32_combine_gen, (z_off_t len), (len))
PASS(uLong, crc32_combine_gen64, (z_off64_t len), (len))
PASS(uLong, crc32_combine_op, (uLong a, uLong b, uLong op), (a, b, op))
PASS(const z_crc_t *, get_crc_table, (void), ())
PASS(uLong, compressBound, (uLong sourceLen), (sourceLen))
PASS(int, inflateBackInit_, (z_streamp strm, int windowBits, unsigned char *window,
			     const char *version, int stream_size),
     (strm, windowBits, window, version, stream_size))
PASS(int, inflateBack, (z_streamp strm, in_func in, void *in_desc, out_func out, void *out_desc),
     (strm, in, in_desc, out, out_desc))
PASS(int, inflateBackEnd, (z_streamp strm), (strm))
PASS(gzFile, gzopen, (const char *path, const char *mode), (path, mode))
PASS(gzFile, gzopen64, (const char *path, const char *mode), (path, mode))
PASS(gzFile, gzdopen, (int fd, const char *mode), (fd, mode))
PASS(int, gzbuffer, (gzFile file, unsigned size), (file, size))
PASS(int, gzsetparams, (gzFile file, int level, int strategy), (file, level, strategy))
PASS(int, gzread, (gzFile file, voidp buf, unsigned len), (file, buf, len))
PASS(z_size_t, gzfread, (voidp buf, z_size_t size, z_size_t nitems, gzFile file),
     (buf, size, nitems, file))
PASS(int, gzwrite, (gzFile file, voidpc buf, unsigned len), (file, buf, len))
PASS(z_size_t, gzfwrite, (voidpc buf, z_size_t size, z_size_t nitems, gzFile file),
     (buf, size, nitems, file))
PASS(int, gzvprintf, (gzFile file, const char *format, va_list va), (file, format, va))
PASS(int, gzputs, (gzFile file, const char *s), (file, s))
PASS(char *, gzgets, (gzFile file, char *buf, int len), (file, buf, len))
PASS(int, gzputc, (gzFile file, int c), (file, c))
PASS(int, gzgetc, (gzFile file), (file))
PASS(int, gzgetc_, (gzFile file), (file))
PASS(int, gzungetc, (int c, gzFile file), (c, file))
PASS(int, gzflush, (gzFile file, int flush), (file, flush))
PASS(z_off_t, gzseek, (gzFile file, z_off_t offset, int whence), (file, offset, whence))
PASS(z_off64_t, gzseek64, (gzFile file, z_off64_t offset, int whence), (file, offset, whence))
PASS(int, gzrewind, (gzFile file), (file))
PASS(z_off_t, gztell, (gzFile file), (file))
PASS(z_off64_t, gztell64, (gzFile file), (file))
PASS(z_off_t, gzoffset, (gzFile file), (file))
PASS(z_off64_t, gzoffset64, (gzFile file), (file))
PASS(int, gzeof, (gzFile file), (file))
PASS(int, gzdirect, (gzFile file), (file))
PASS(int, gzclose, (gzFile file), (file))
PASS(int, gzclose_r, (gzFile file), (file))
PASS(int, gzclose_w, (gzFile file), (file))
PASS(const char *, gzerror, (gzFile file, int *errnum), (file, errnum))
PASS(void, gzclearerr, (gzFile file), (file))

WDZ_EXPORT int ZEXPORTVA gzprintf(gzFile file, const char *format, ...)
{
	va_list va;
	int r;

	va_start(va, format);
	r = gzvprintf(file, format, va);
	va_end(va);
	return r;
}
