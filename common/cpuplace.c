// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cpuplace.c - CPU lists and the "engine apart from the client" test that
 * libwd and wdbrokerd both place devices by (the rule: cpuplace.h).
 */
#include "cpuplace.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* Between the items of a list: commas and blanks, any number of them. */
#define SEPARATORS ", \t\n"

/* One decimal CPU number at *p; advances *p past it. */
static int cpu_number(const char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out > INT_MAX)
		return -EINVAL;
	*p = end;
	return 0;
}

int wd_cpulist_each(const char *s, int (*fn)(int cpu, void *ud), void *ud)
{
	const char *p = s;

	for (;;) {
		long a, b;
		int r;

		p += strspn(p, SEPARATORS);
		if (!*p)
			return 0;
		if (cpu_number(&p, &a) < 0)
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (cpu_number(&p, &b) < 0 || b < a)
				return -EINVAL;
		}
		if (*p && !strchr(SEPARATORS, *p))
			return -EINVAL;
		for (long c = a; c <= b; c++) {
			r = fn((int)c, ud);
			if (r < 0)
				return r;
		}
	}
}

static int set_cpu(int cpu, void *ud)
{
	if (cpu >= CPU_SETSIZE)
		return -ERANGE;
	CPU_SET((size_t)cpu, (cpu_set_t *)ud);
	return 0;
}

int wd_cpulist_parse(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	return wd_cpulist_each(s, set_cpu, set);
}

/* 1 with @set filled, 0 when there is no attribute, or -errno. */
static int engine_cpus_read(const char *sysfs_root, const char *dev, cpu_set_t *set)
{
	_cleanup_(closep) int fd = -1;
	char path[PATH_MAX], buf[4096];
	ssize_t n;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/class/uacce/%s/device/engine_cpus",
			     sysfs_root, dev) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	r = wd_cpulist_parse(buf, set);
	if (r < 0)
		return r;
	/* An engine with no CPU at all could never run: a broken attribute. */
	return CPU_COUNT(set) ? 1 : -EINVAL;
}

const cpu_set_t *wd_engine_cpus(const char *sysfs_root, const char *dev, cpu_set_t *buf)
{
	int r = engine_cpus_read(sysfs_root, dev, buf);

	if (r == 0)
		return NULL;
	if (r < 0)
		for (size_t c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, buf);
	return buf;
}

bool wd_engine_apart(const cpu_set_t *engine, const cpu_set_t *client)
{
	cpu_set_t off;

	if (!engine)
		return true;
	if (!client)
		return false;
	CPU_XOR(&off, engine, client);
	CPU_AND(&off, &off, engine);
	return CPU_COUNT(&off) > 0;
}

bool wd_place_apart(const char *sysfs_root, const char *dev, pid_t pid)
{
	cpu_set_t engine, client;
	const cpu_set_t *e = wd_engine_cpus(sysfs_root, dev, &engine);

	if (pid < 0 || sched_getaffinity(pid, sizeof(client), &client) < 0)
		return wd_engine_apart(e, NULL);
	return wd_engine_apart(e, &client);
}
