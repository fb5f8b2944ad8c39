// SPDX-License-Identifier: GPL-2.0-or-later
/* util.c - file, number and string-list helpers for wdbrokerd. */
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>

int read_one_line_at(int dirfd, const char *path, char **out)
{
	_cleanup_(closep) int fd = -1;
	char buf[4096];
	ssize_t n;
	char *s;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

int read_one_line(const char *path, char **out)
{
	return read_one_line_at(AT_FDCWD, path, out);
}

int parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -errno;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int strv_split(const char *s, const char *seps, char ***out)
{
	char **v = NULL;
	size_t n = 0;

	for (;;) {
		size_t len;
		char **nv;

		s += strspn(s, seps);
		if (!*s)
			break;
		len = strcspn(s, seps);
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto oom;
		v = nv;
		v[n] = strndup(s, len);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
		s += len;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*out = v;
	return 0;
oom:
	if (v) {
		v[n] = NULL;
		strv_freep(&v);
	}
	return -ENOMEM;
}

size_t strv_length(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}
