// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wait.c - how libwd waits for a completion without starving the engine.
 *
 * A device whose engine runs on the host CPUs (wdsoft) tells us where it
 * runs and whether it polls or is parked (struct wd_engine_hint, from the
 * user driver). Spinning for a completion only makes sense while the
 * engine polls on another CPU: on our own CPU every spin keeps it from
 * running until the scheduler preempts us, milliseconds later, and a parked
 * engine answers no faster for being watched. So:
 *
 *   engine parked or stalled        sleep at once (irq_armed + poll(2))
 *   engine polling on our CPU       yield the CPU (sched_yield) and look
 *                                   again; after WD_SPIN_NS, sleep
 *   engine polling elsewhere,       spin (a pause instruction per look);
 *   or a device that does not say   after WD_SPIN_NS, sleep
 *
 * Our CPU comes from sched_getcpu() and the time from clock_gettime(), both
 * answered by the vDSO without a system call, so a caller whose engine polls
 * on another CPU still makes none. Both go through the system-call seam so
 * the unit tests can place caller and engine on chosen CPUs.
 */
#include <sched.h>
#include <time.h>

#include "wd-internal.h"

enum wd_wait __wd_wait_choice(const struct wd_engine_hint *e, int cpu)
{
	if (!e->known)
		return WD_WAIT_SPIN;
	if (e->parked)
		return WD_WAIT_SLEEP;
	if (e->cpu >= 0 && e->cpu == cpu)
		return WD_WAIT_YIELD;
	return WD_WAIT_SPIN;
}

int __wd_cpu(void)
{
	return __wd_sys->getcpu ? __wd_sys->getcpu() : sched_getcpu();
}

void __wd_yield(void)
{
	if (__wd_sys->sched_yield)
		__wd_sys->sched_yield();
	else
		sched_yield();
}

uint64_t __wd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
