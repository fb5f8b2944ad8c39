// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * drv.c - the user-driver table and the algorithm names.
 *
 * A device's sysfs "api" string (or the broker's grant) names the ring
 * protocol it speaks; the queue core binds the queue to the driver listed
 * here under that name. Adding a driver = one drv-*.c file + one entry.
 */
#include <ctype.h>
#include <string.h>

#include "wd-internal.h"

static const struct wd_drv *const drivers[] = {
	&__wd_drv_wdsoft,
};

const struct wd_drv *__wd_drv_find(const char *api)
{
	if (!api)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (!strcmp(drivers[i]->api, api))
			return drivers[i];
	return NULL;
}

static const char *const op_algs[] = {
	[WD_OP_MEMCPY] = "memcpy",
	[WD_OP_CRC32C] = "crc32c",
	[WD_OP_SHA256] = "sha256",
	[WD_OP_DEFLATE] = "deflate",
	[WD_OP_INFLATE] = "inflate",
};

const char *__wd_op_alg(unsigned int op)
{
	return op < ARRAY_SIZE(op_algs) ? op_algs[op] : NULL;
}

int __wd_alg_op(const char *alg)
{
	for (unsigned int op = WD_OP_FIRST; op <= WD_OP_LAST; op++)
		if (!strcmp(op_algs[op], alg))
			return (int)op;
	return -EINVAL;
}

/*
 * Ops mask of a whitespace-separated algorithm list; unknown names ignored.
 * "deflate" and mainline's "zlib" name a compression engine, which
 * also inflates: they give both directions.
 */
uint32_t __wd_algs_mask(const char *algs)
{
	uint32_t mask = 0;
	const char *s = algs;

	while (*s) {
		char name[32];
		size_t n = 0;
		int op;

		while (*s && isspace((unsigned char)*s))
			s++;
		while (s[n] && !isspace((unsigned char)s[n]))
			n++;
		if (!n)
			break;
		if (n < sizeof(name)) {
			memcpy(name, s, n);
			name[n] = 0;
			op = __wd_alg_op(name);
			if (op > 0)
				mask |= 1U << op;
			if (op == WD_OP_DEFLATE || !strcmp(name, "zlib"))
				mask |= 1U << WD_OP_DEFLATE | 1U << WD_OP_INFLATE;
		}
		s += n;
	}
	return mask;
}

uint32_t __wd_alg_set_mask(const char *set)
{
	char list[256];
	uint32_t mask;

	if (strlen(set) >= sizeof(list))
		return 0;
	strcpy(list, set);
	for (char *c = list; *c; c++)
		if (*c == ',')
			*c = ' ';
	mask = __wd_algs_mask(list);
	/* A compression engine serves both directions (the broker's rule too). */
	if (mask & (1U << WD_OP_INFLATE))
		mask |= 1U << WD_OP_DEFLATE;
	return mask;
}
