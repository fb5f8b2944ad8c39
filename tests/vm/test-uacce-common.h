/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the uacce vm tests: load the modules, find a wdsoft
 * device, open queues, map regions, read available_instances.
 *
 * UACCE_TEST_DEV=<name> makes the tests use an already registered device
 * (any driver) and leave the modules alone: handy when debugging uacce
 * with another driver.
 *
 * Compiled once into the vm tests' library (test-uacce-common.c), except
 * ut_teardown(): it reports through TAP, whose counters belong to each test.
 * The system headers below stay because the tests use what they declare.
 */
#ifndef WD_TESTS_UACCE_COMMON_H
#define WD_TESTS_UACCE_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <misc/uacce/uacce.h>
#include <misc/uacce/wdsoft.h>

#include "tap.h"
#include "vm/vmlib.h"

extern char ut_dev[256];	/* e.g. "wdsoft-0" */
extern char ut_node[300];	/* e.g. "/dev/wdsoft-0" */
extern bool ut_own_modules;	/* ut_setup() loaded the modules */
/* The sysfs attribute giving each region's size, by UACCE_QFRT_*. */
extern const char *const ut_region_attr[UACCE_QFRT_MAX];

/* First device in /sys/class/uacce whose api is @api (any if NULL). */
int ut_find_dev(const char *api, char *name, size_t size);

/* Pick the device @name (or the first wdsoft one) as the test device. */
void ut_use(const char *name);

/*
 * Skip outside the VM; load uacce + wdsoft with @soft_params and pick the
 * first wdsoft device.
 */
void ut_setup(const char *soft_params);

/* Unload the modules if ut_setup() loaded them, as one TAP check. */
static inline void ut_teardown(void)
{
	if (ut_own_modules)
		ok(vm_unload_modules() == 0, "modules unload at the end");
}

int ut_open(void);

long ut_attr(const char *attr);

long ut_avail(void);

size_t ut_region_size(int type);

/* ioctl returning 0 or -errno. */
int ut_ioctl(int fd, unsigned long cmd, unsigned long arg);

/* mmap region @type of queue @fd at @size; returns NULL and sets *err. */
void *ut_map(int fd, int type, size_t size, int *err);

/* Wait for @pid; returns its exit status, or -1 if it died of a signal. */
int ut_wait(pid_t pid);

/* Read the queue state through UACCE_CMD_QINFO, or -errno. */
int ut_qstate(int fd);

double ut_now(void);

/* Write @val to the wdsoft debugfs knob @knob of the test device. */
int ut_knob(const char *knob, const char *val);

/*
 * Submit one NOP following the wdsoft_v1 protocol (wdsoft.h); false if the
 * SQ is full or the queue is dead (geometry reads zero).
 */
bool ut_submit_nop(int fd, volatile struct wdsoft_mmio *mmio,
		   uint8_t *dus, uint64_t cookie);

/*
 * A busy owner: start @fd, map it, then submit NOPs and sleep in poll()
 * until the queue dies (revoke or removal), writing one byte to @ready once
 * running. Then check the dead-queue contract. Returns 0 or a bit mask of
 * failed checks; meant as the exit status of a child.
 */
int ut_busy_owner(int fd, int ready, double timeout);

#endif /* WD_TESTS_UACCE_COMMON_H */
