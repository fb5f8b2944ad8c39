/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cpu-pin.h - pin the calling thread to one CPU it may run on, and undo
 * it, for tests of placement by affinity. Header-only; needs tap.h.
 */
#ifndef WD_TESTS_CPU_PIN_H
#define WD_TESTS_CPU_PIN_H

#include <sched.h>

/* Pin to the first CPU of our mask, which is saved in @saved; the CPU. */
static inline int pin_first_cpu(cpu_set_t *saved)
{
	cpu_set_t one;
	int me = -1;

	if (sched_getaffinity(0, sizeof(*saved), saved) < 0)
		bail_out("sched_getaffinity: %m");
	for (int c = 0; c < CPU_SETSIZE && me < 0; c++)
		if (CPU_ISSET(c, saved))
			me = c;
	CPU_ZERO(&one);
	CPU_SET(me, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		bail_out("sched_setaffinity: %m");
	return me;
}

static inline void unpin(const cpu_set_t *saved)
{
	if (sched_setaffinity(0, sizeof(*saved), saved) < 0)
		bail_out("sched_setaffinity: %m");
}

#endif
