/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cleanup.h - scope-bound cleanup for locals, shared by libwd and the broker.
 *
 * _cleanup_(freep) char *s = NULL;  frees s when it goes out of scope;
 * _cleanup_(closep) int fd = -1;    closes fd (when >= 0) likewise.
 * Hand ownership on only after the last point of failure, with
 * TAKE_PTR()/TAKE_FD(), which return the value and disarm the cleanup.
 */
#ifndef WD_CLEANUP_H
#define WD_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TAKE_PTR(p) ({ __typeof__(p) __p = (p); (p) = NULL; __p; })
#define TAKE_FD(fd) ({ int __fd = (fd); (fd) = -1; __fd; })

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#endif
