// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sys.c - the system calls libwd makes on a queue fd, behind one table
 * (struct wd_sys in wd-internal.h) so that the unit tests can put a
 * user-space device double behind them with __wd_set_sys().
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "wd-internal.h"

static int sys_open(const char *path, int flags)
{
	return open(path, flags);
}

static int sys_ioctl(int fd, unsigned long req, unsigned long arg)
{
	return ioctl(fd, req, arg);
}

static const struct wd_sys real_sys = {
	.open = sys_open,
	.close = close,
	.ioctl = sys_ioctl,
	.mmap = mmap,
	.munmap = munmap,
	.poll = poll,
};

const struct wd_sys *__wd_sys = &real_sys;

void __wd_set_sys(const struct wd_sys *sys)
{
	__wd_sys = sys ? sys : &real_sys;
}
