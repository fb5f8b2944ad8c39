/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - small helpers shared by the broker's modules. */
#ifndef WDBROKERD_UTIL_H
#define WDBROKERD_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

static inline void strv_freep(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

/* Read a small file into a NUL-terminated, trailing-newline-stripped string. */
int read_one_line(const char *path, char **out);
/* read_one_line relative to dir fd. */
int read_one_line_at(int dirfd, const char *path, char **out);
/* Parse a decimal int/unsigned (whole string, surrounding blanks allowed). */
int parse_int(const char *s, long long min, long long max, long long *out);
/* Split @s on any of @seps, dropping empty items; NULL-terminated. */
int strv_split(const char *s, const char *seps, char ***out);
size_t strv_length(char **v);
bool strv_contains(char **v, const char *s);

#endif
