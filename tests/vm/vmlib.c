// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the vm suite. The suite runs as root inside tools/wdvm,
 * which sets WDVM=1; the modules come from the build tree ($WD_KMOD_DIR).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vm/vmlib.h"

void vm_require(void)
{
	const char *v = getenv("WDVM");

	if (!v || strcmp(v, "1"))
		plan_skip_all("not inside the WarpDrive VM; run: tools/wdvm -- meson test -C <builddir> --suite vm");
	if (geteuid() != 0)
		plan_skip_all("the vm suite runs as root");
}

bool vm_module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

int vm_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(cmd))
		return -1;
	fflush(stdout);
	r = system(cmd);
	if (r == -1 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

int vm_unload_modules(void)
{
	if (vm_module_loaded("wdsoft") && vm_system("rmmod wdsoft") != 0)
		return -EBUSY;
	if (vm_module_loaded("uacce") && vm_system("rmmod uacce") != 0)
		return -EBUSY;
	return 0;
}

int vm_load_modules(const char *soft_params)
{
	const char *dir = getenv("WD_KMOD_DIR");
	int r;

	if (!dir)
		return -EINVAL;
	r = vm_unload_modules();
	if (r < 0)
		return r;
	if (vm_system("insmod %s/uacce.ko", dir) != 0)
		return -EIO;
	if (vm_system("insmod %s/wdsoft.ko %s", dir, soft_params ? soft_params : "") != 0)
		return -EIO;
	/* Let udev finish with the new devices before the test looks. */
	vm_system("udevadm settle -t 10 2>/dev/null");
	return 0;
}

int vm_write(const char *val, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int fd, r = 0;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int vm_sysfs_read(const char *dev, const char *attr, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/sys/class/uacce/%s/%s", dev, attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

int vm_sysfs_long(const char *dev, const char *attr, long *val)
{
	char buf[64], *end;
	int r = vm_sysfs_read(dev, attr, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

uint32_t vm_crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = ~0U;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78U & -(c & 1));
	}
	return ~c;
}

long vm_unit_number(const char *unit, const char *property)
{
	char cmd[256];
	FILE *f;
	long v = -1;

	snprintf(cmd, sizeof(cmd), "systemctl show -p %s --value %s", property, unit);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		pclose(f);
	}
	return v;
}

long vm_unit_main_pid(const char *unit)
{
	long pid = vm_unit_number(unit, "MainPID");

	return pid > 0 ? pid : 0;
}
