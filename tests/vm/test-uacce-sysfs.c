// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every /sys/class/uacce/<dev>/ attribute is present and well-formed,
 * available_instances follows open() and close(), isolate_strategy refuses
 * bad values, and hardware errors past the strategy isolate the device.
 */
#include <ctype.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vm/test-uacce-common.h"

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool is_int(const char *s)
{
	return *s == '-' ? is_uint(s + 1) : is_uint(s);
}

static bool attr(const char *name, char *buf, size_t size)
{
	int r = vm_sysfs_read(ut_dev, name, buf, size);

	if (r < 0) {
		diag("%s: %s", name, strerror(-r));
		return false;
	}
	return true;
}

static int write_attr(const char *name, const char *val)
{
	return vm_write(val, "/sys/class/uacce/%s/%s", ut_dev, name);
}

static void check_formats(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char buf[256], want[64], *p, *end;
	struct stat st;
	long v;
	int i;

	ok(attr("api", buf, sizeof(buf)) && *buf && !strchr(buf, ' '),
	   "api is one word: '%s'", buf);
	ok(attr("flags", buf, sizeof(buf)) && is_uint(buf), "flags is decimal: '%s'", buf);
	ok(attr("available_instances", buf, sizeof(buf)) && is_int(buf) && atol(buf) > 0,
	   "available_instances is a positive decimal: '%s'", buf);
	ok(attr("algorithms", buf, sizeof(buf)) && *buf, "algorithms is not empty: '%s'", buf);
	for (i = 0; i < UACCE_QFRT_MAX; i++) {
		ok(attr(ut_region_attr[i], buf, sizeof(buf)) && is_uint(buf) &&
		   atol(buf) % page == 0,
		   "%s is a whole number of pages: '%s'", ut_region_attr[i], buf);
	}
	ok(ut_region_size(UACCE_QFRT_MMIO) > 0 && ut_region_size(UACCE_QFRT_DUS) > 0,
	   "MMIO and DUS regions are not empty");
	ok(attr("isolate", buf, sizeof(buf)) && (!strcmp(buf, "0") || !strcmp(buf, "1")),
	   "isolate is 0 or 1: '%s'", buf);
	ok(attr("isolate_strategy", buf, sizeof(buf)) && is_uint(buf) && atol(buf) <= 65535,
	   "isolate_strategy is 0..65535: '%s'", buf);

	ok(attr("id", buf, sizeof(buf)) && is_uint(buf), "id is decimal: '%s'", buf);
	p = strrchr(ut_dev, '-');
	ok(p && !strcmp(p + 1, buf), "device name %s ends in -<id>", ut_dev);
	ok(attr("node_id", buf, sizeof(buf)) && is_int(buf) && atol(buf) >= -1,
	   "node_id is -1 or a node: '%s'", buf);
	ok(attr("numa_distance", buf, sizeof(buf)) && is_uint(buf) && atol(buf) >= 10,
	   "numa_distance is at least the local distance 10: '%s'", buf);

	ok(attr("qfrs_offset", buf, sizeof(buf)), "qfrs_offset readable: '%s'", buf);
	p = buf;
	for (i = 0; i < UACCE_QFRT_MAX; i++) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno)
			break;
		if (!ut_region_size(i))
			snprintf(want, sizeof(want), "-1");
		else
			snprintf(want, sizeof(want), "%ld", i * page);
		if (v != atol(want)) {
			diag("qfrs_offset[%d] = %ld, want %s", i, v, want);
			break;
		}
		p = end;
	}
	ok(i == UACCE_QFRT_MAX && *p == 0, "qfrs_offset lists the mmap offset of each region, -1 for unmappable ones");

	ok(stat(ut_node, &st) == 0 && S_ISCHR(st.st_mode), "%s is a char device", ut_node);
	ok(attr("dev", buf, sizeof(buf)) &&
	   (snprintf(want, sizeof(want), "%u:%u", major(st.st_rdev), minor(st.st_rdev)), !strcmp(buf, want)),
	   "its dev_t matches the sysfs dev attribute");
}

static void check_instances(void)
{
	long initial = ut_avail(), after;
	int fds[64], n = 0, fd, err;
	struct uacce_qinfo qi;

	fd = ut_open();
	ok(fd >= 0, "open %s", ut_node);
	is(ut_avail(), initial - 1, "available_instances drops by one on open");
	ok(ioctl(fd, UACCE_CMD_QINFO, &qi) == 0, "QINFO on a fresh queue");
	is(qi.state, UACCE_QSTATE_INIT, "a fresh queue is INIT");
	is(qi.dev_id, ut_attr("id"), "QINFO dev_id matches the id attribute");
	is(qi.flags, ut_attr("flags"), "QINFO flags match the flags attribute");
	is(qi.node, ut_attr("node_id"), "QINFO node matches node_id");
	is(qi.region_size[UACCE_QFRT_DUS], ut_region_size(UACCE_QFRT_DUS),
	   "QINFO region size matches region_dus_size");
	close(fd);
	is(ut_avail(), initial, "available_instances is restored on close");

	/* Take every instance: the next open fails, and all come back. */
	while (n < (int)(sizeof(fds) / sizeof(fds[0])) && ut_avail() > 0) {
		fds[n] = ut_open();
		if (fds[n] < 0)
			break;
		n++;
	}
	is(n, initial, "one open per instance succeeds");
	fd = ut_open();
	err = fd < 0 ? fd : 0;
	ok(fd < 0, "open with no instance left fails (%s)", strerror(-err));
	if (fd >= 0)
		close(fd);
	while (n)
		close(fds[--n]);
	after = ut_avail();
	is(after, initial, "all instances are back after closing");
}

static void check_isolation(void)
{
	char path[512], buf[64];
	int fd, hw, r;

	ok_errno(write_attr("isolate_strategy", "65536"), -EINVAL, "isolate_strategy refuses 65536");
	ok_errno(write_attr("isolate_strategy", "many"), -EINVAL, "isolate_strategy refuses text");

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/hw_error", ut_dev);
	hw = open(path, O_WRONLY | O_CLOEXEC);
	if (hw < 0) {
		skip(7, "no wdsoft hw_error injection at %s", path);
		return;
	}
	ok_errno(write_attr("isolate_strategy", "3"), 0, "isolate_strategy accepts 3");
	ok(attr("isolate_strategy", buf, sizeof(buf)) && !strcmp(buf, "3"), "and reads it back");
	r = write(hw, "3", 1) == 1;
	ok(r && attr("isolate", buf, sizeof(buf)) && !strcmp(buf, "0"),
	   "3 errors in an hour do not isolate with strategy 3");
	r = write(hw, "1", 1) == 1;
	ok(r && attr("isolate", buf, sizeof(buf)) && !strcmp(buf, "1"),
	   "the 4th error isolates the device");
	fd = ut_open();
	ok_errno(fd < 0 ? fd : 0, -EIO, "open() of an isolated device fails with EIO");
	if (fd >= 0)
		close(fd);
	ok_errno(write_attr("isolate_strategy", "0"), 0, "rewriting isolate_strategy (0: never) lifts isolation");
	fd = ut_open();
	ok(fd >= 0 && attr("isolate", buf, sizeof(buf)) && !strcmp(buf, "0"),
	   "the device opens again and isolate reads 0");
	if (fd >= 0)
		close(fd);
	close(hw);
}

int main(void)
{
	long initial;

	ut_setup(NULL);
	initial = ut_avail();
	check_formats();
	check_instances();
	check_isolation();
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
