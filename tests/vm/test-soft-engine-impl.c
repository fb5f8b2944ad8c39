// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which code computes the engine's digests (debugfs "impl", see "The
 * digests' implementations" in kernel/soft/ops.c): for crc32c and sha256
 * the engine uses the crypto API driver /proc/crypto ranks highest for that
 * algorithm name, as AF_ALG does, and never one of wdsoft's own "-wdsoft"
 * drivers; streaming sha256 runs on the same driver (its exported state is
 * the library's struct sha256_state on both our kernels). The results
 * themselves are checked by vm-soft-digest and vm-soft-hashstate.
 */
#include "tap.h"
#include "vm/soft-ring.h"

/* The value of @key in @dev's debugfs "impl", into @out. 0 or -ENOENT. */
static int impl_of(const char *dev, const char *key, char *out, size_t size)
{
	char path[256], k[64], v[128];
	int e = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/impl", dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %127s", k, v) == 2)
		if (!strcmp(k, key)) {
			snprintf(out, size, "%s", v);
			e = 0;
		}
	fclose(f);
	return e;
}

static bool is_wdsoft(const char *driver)
{
	size_t n = strlen(driver);

	return n >= 7 && !strcmp(driver + n - 7, "-wdsoft");
}

/*
 * The highest priority of the shash drivers for @name in /proc/crypto,
 * not counting wdsoft's; the priority of @driver in @drv_prio (-1 if it is
 * not listed). -1 if there is none.
 */
static long best_priority(const char *name, const char *driver, long *drv_prio)
{
	char line[256], cur_name[128] = "", cur_drv[128] = "", type[64] = "";
	long prio = -1, best = -1;
	bool internal = false;
	FILE *f = fopen("/proc/crypto", "re");

	*drv_prio = -1;
	if (!f)
		bail_out("cannot read /proc/crypto: %s", strerror(errno));
	for (;;) {
		char *p = fgets(line, sizeof(line), f);

		/* An empty line (or the end) closes one entry. */
		if (!p || line[0] == '\n') {
			if (!strcmp(cur_name, name) && !strcmp(type, "shash") && !internal) {
				if (!is_wdsoft(cur_drv) && prio > best)
					best = prio;
				if (!strcmp(cur_drv, driver))
					*drv_prio = prio;
			}
			cur_name[0] = cur_drv[0] = type[0] = '\0';
			prio = -1;
			internal = false;
			if (!p)
				break;
			continue;
		}
		sscanf(line, "name : %127s", cur_name);
		sscanf(line, "driver : %127s", cur_drv);
		sscanf(line, "type : %63s", type);
		sscanf(line, "priority : %ld", &prio);
		if (!strncmp(line, "internal", 8) && strstr(line, "yes"))
			internal = true;
	}
	fclose(f);
	return best;
}

static void check_alg(const char *dev, const char *key, const char *name)
{
	char drv[128] = "";
	long best, mine;

	if (!ok(impl_of(dev, key, drv, sizeof(drv)) == 0, "debugfs impl has a %s line", key))
		return;
	diag("report: engine-impl: %s %s", key, drv);
	ok(strcmp(drv, "library"), "%s runs on a crypto API driver (%s), not the library", key, drv);
	ok(!is_wdsoft(drv), "%s is not wdsoft's own driver (%s)", key, drv);
	best = best_priority(name, drv, &mine);
	ok(best >= 0 && mine == best,
	   "%s: %s has the highest priority for \"%s\" in /proc/crypto (%ld, best %ld)",
	   key, drv, name, mine, best);
}

int main(void)
{
	char dev[64], one[128] = "", stream[128] = "";

	plan(13);
	soft_setup("num_devices=1", dev, sizeof(dev));
	check_alg(dev, "crc32c", "crc32c");
	check_alg(dev, "sha256", "sha256");
	check_alg(dev, "sha256-stream", "sha256");
	impl_of(dev, "sha256", one, sizeof(one));
	impl_of(dev, "sha256-stream", stream, sizeof(stream));
	is_str(stream, one, "streaming sha256 runs on the one-shot driver too");
	return exit_status();
}
