/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cpuplace.h - keeping a client off its device's engine CPU: the placement
 * rule libwd (WD_NODE_ANY) and wdbrokerd (every placement mode) share.
 *
 * A device whose engine runs on the host's CPUs (wdsoft) says which ones in
 * sysfs, /sys/class/uacce/<dev>/device/engine_cpus, as a CPU list ("0-3,8");
 * a device without that attribute does its work off the CPUs (hardware).
 * A client that busy-waits on a CPU its device's engine needs delays the
 * very completion it waits for, so placement first prefers the devices
 * whose engine has a CPU the client may never run on (its affinity mask),
 * and only then looks at NUMA distance and load. When every device's
 * engine CPUs lie inside the client's mask (a client allowed everywhere),
 * the rule ties and the usual order decides; the scheduler is then free to
 * keep the two apart, and the engine avoids its owner's CPU where its node
 * has another.
 */
#ifndef WD_CPUPLACE_H
#define WD_CPUPLACE_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * wd_cpulist_each - call @fn for every CPU of a CPU list ("0-3,8", the
 * format of sysfs cpulist files; items separated by commas or blanks).
 * Returns 0, -EINVAL for a malformed list, or what @fn returned if < 0.
 */
int wd_cpulist_each(const char *s, int (*fn)(int cpu, void *ud), void *ud);

/* wd_cpulist_parse - the CPU list @s as a set; -ERANGE past CPU_SETSIZE. */
int wd_cpulist_parse(const char *s, cpu_set_t *set);

/*
 * wd_engine_cpus - the CPUs device @dev's engine may run on, from
 * <@sysfs_root>/class/uacce/<@dev>/device/engine_cpus.
 * Returns NULL when the device does not say (its engine runs off the host's
 * CPUs), else @buf: the list, or every CPU when the attribute cannot be
 * read or parsed (an engine that may be anywhere is never apart).
 */
const cpu_set_t *wd_engine_cpus(const char *sysfs_root, const char *dev, cpu_set_t *buf);

/*
 * wd_engine_apart - can the engine run where the client never does?
 * @engine: the engine's CPUs, NULL if it runs off the host's CPUs
 * @client: the CPUs the client may run on, NULL if unknown (every CPU)
 * True for an engine off the host's CPUs, or with a CPU outside @client.
 */
bool wd_engine_apart(const cpu_set_t *engine, const cpu_set_t *client);

/*
 * wd_place_apart - wd_engine_apart() for device @dev and the process or
 * thread @pid (0: the caller; negative: not known), whose affinity mask
 * is the client's CPUs.
 */
bool wd_place_apart(const char *sysfs_root, const char *dev, pid_t pid);

#endif
