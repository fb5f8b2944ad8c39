// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wd-compress - compress or decompress a file on a WarpDrive accelerator.
 *
 *   wd-compress [-d] [-1..-9] INPUT OUTPUT
 *
 * Writes a zlib (RFC 1950) stream, readable by zlib-flate -uncompress or
 * Python's zlib.decompress; -d reads one back. Built from the installed
 * headers: cc wd-compress.c $(pkg-config --cflags --libs libwd)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <warpdrive/wd.h>

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = NULL, *nb;

	if (!f)
		return -errno;
	for (;;) {
		nb = realloc(b, cap);
		if (!nb) {
			free(b);
			fclose(f);
			return -ENOMEM;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *in = NULL, *out = NULL;
	size_t in_len = 0, cap;
	unsigned int level = 0;
	int decompress = 0, i = 1, r;
	ssize_t n;
	FILE *f;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-d"))
			decompress = 1;
		else if (argv[i][1] >= '1' && argv[i][1] <= '9' && !argv[i][2])
			level = (unsigned int)(argv[i][1] - '0');
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: %s [-d] [-1..-9] INPUT OUTPUT\n", argv[0]);
		return 2;
	}
	r = read_all(argv[i], &in, &in_len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
		return 1;
	}

	/* Deflate never grows data by more than ~0.1% + a few bytes; inflate
	 * output is unknown, so grow the buffer while the device says -ENOSPC. */
	cap = decompress ? in_len * 4 + 4096 : in_len + in_len / 8 + 64;
	for (;;) {
		free(out);
		out = malloc(cap);
		if (!out) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		if (decompress)
			n = wd_decompress(in, in_len, out, cap, WD_MSG_ZLIB);
		else
			n = wd_compress(in, in_len, out, cap, WD_MSG_ZLIB | WD_MSG_LEVEL(level));
		if (n != -ENOSPC || !decompress || cap > ((size_t)1 << 34))
			break;
		cap *= 2;
	}
	if (n < 0) {
		fprintf(stderr, "%s failed: %s\n", decompress ? "decompression" : "compression",
			wd_strerror((int)n));
		return 1;
	}
	f = fopen(argv[i + 1], "wb");
	if (!f || fwrite(out, 1, (size_t)n, f) != (size_t)n || fclose(f)) {
		fprintf(stderr, "%s: %s\n", argv[i + 1], strerror(errno));
		return 1;
	}
	fprintf(stderr, "%zu -> %zd bytes\n", in_len, n);
	free(in);
	free(out);
	return 0;
}
