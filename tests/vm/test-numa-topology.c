// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tools/wdvm boots 2 vCPUs in 2 NUMA nodes by default, so placement can be
 * tested for real: node0 holds cpu0, node1 holds cpu1, and the distance table
 * says remote is farther than local.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vm/vmlib.h"

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	if (!fgets(buf, (int)size, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

int main(void)
{
	char buf[256];
	int d00 = 0, d01 = 0;

	vm_require();
	plan(5);

	ok(read_line("/sys/devices/system/node/online", buf, sizeof(buf)) == 0 &&
	   !strcmp(buf, "0-1"), "nodes 0-1 online (got \"%s\")", buf);
	ok(read_line("/sys/devices/system/node/node0/cpulist", buf, sizeof(buf)) == 0 &&
	   !strcmp(buf, "0"), "node0 holds cpu0 (got \"%s\")", buf);
	ok(read_line("/sys/devices/system/node/node1/cpulist", buf, sizeof(buf)) == 0 &&
	   !strcmp(buf, "1"), "node1 holds cpu1 (got \"%s\")", buf);
	ok(read_line("/sys/devices/system/node/node0/distance", buf, sizeof(buf)) == 0 &&
	   sscanf(buf, "%d %d", &d00, &d01) == 2, "node0 distance table readable");
	ok(d01 > d00, "remote distance %d > local distance %d", d01, d00);
	return exit_status();
}
