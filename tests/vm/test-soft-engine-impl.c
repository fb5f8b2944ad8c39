// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which code computes the engine's digests (debugfs "impl", see "The
 * digests' implementations" in kernel/soft/algs.c): for crc32c and sha256
 * the engine uses the crypto API driver /proc/crypto ranks highest for that
 * algorithm name, as AF_ALG does, and never one of wdsoft's own "-wdsoft"
 * drivers; streaming sha256 runs on the same driver (its exported state is
 * the library's struct sha256_state on both our kernels). The results
 * themselves are checked by vm-soft-digest and vm-soft-hashstate.
 *
 * A driver that registers after wdsoft loaded (udev loads sha256_ssse3 as
 * the CPU's module, maybe after us) is taken up by the engine when a
 * queue next starts: the test unloads the module of the best sha256
 * driver, loads wdsoft, loads that module again and starts a queue.
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
 * not listed). -1 if there is none. With @best_drv and @best_mod, the
 * best one's driver and module ("kernel" when built in) go there.
 */
static long best_of(const char *name, const char *driver, long *drv_prio,
		    char best_drv[128], char best_mod[64])
{
	char line[256], cur_name[128] = "", cur_drv[128] = "", type[64] = "";
	char cur_mod[64] = "";
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
				if (!is_wdsoft(cur_drv) && prio > best) {
					best = prio;
					if (best_drv)
						snprintf(best_drv, 128, "%s", cur_drv);
					if (best_mod)
						snprintf(best_mod, 64, "%s", cur_mod);
				}
				if (!strcmp(cur_drv, driver))
					*drv_prio = prio;
			}
			cur_name[0] = cur_drv[0] = cur_mod[0] = type[0] = '\0';
			prio = -1;
			internal = false;
			if (!p)
				break;
			continue;
		}
		sscanf(line, "name : %127s", cur_name);
		sscanf(line, "driver : %127s", cur_drv);
		sscanf(line, "module : %63s", cur_mod);
		sscanf(line, "type : %63s", type);
		sscanf(line, "priority : %ld", &prio);
		if (!strncmp(line, "internal", 8) && strstr(line, "yes"))
			internal = true;
	}
	fclose(f);
	return best;
}

static long best_priority(const char *name, const char *driver, long *drv_prio)
{
	return best_of(name, driver, drv_prio, NULL, NULL);
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

/* modprobe with @args; its exit status (0 on success). */
static int modprobe(const char *args)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "modprobe %s 2>&1", args);
	return system(cmd);
}

/* Wait up to 10 s (times soft_time_scale()) for sha256 to run on @want. */
static bool impl_becomes(const char *dev, const char *want, char *got, size_t size)
{
	long until = soft_now_ms() + 10000L * soft_time_scale();

	do {
		if (!impl_of(dev, "sha256", got, size) && !strcmp(got, want))
			return true;
		soft_sleep_ms(10);
	} while (soft_now_ms() < until);
	return false;
}

#define LATE_TESTS 8

static void check_late_driver(void)
{
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	char best[128] = "", mod[64] = "", low[128] = "", got[128] = "", dev[64];
	char args[96];
	unsigned char digest[32] = { 0 };
	struct wdsoft_cqe cqe = { 0 };
	struct wdsoft_sqe sqe;
	struct soft_ring r;
	long mine;
	int e;

	if (best_of("sha256", "", &mine, best, mod) < 0 || !mod[0] || !strcmp(mod, "kernel")) {
		skip(LATE_TESTS, "sha256's best driver (%s) is built in, so none can register "
		     "after wdsoft", best[0] ? best : "none");
		return;
	}
	diag("report: engine-impl: late driver %s from module %s", best, mod);
	/* wdsoft's engines hold tfms of it: unload them first. */
	e = vm_unload_modules();
	if (e)
		bail_out("cannot unload wdsoft and uacce: %s", strerror(-e));
	snprintf(args, sizeof(args), "-r %s", mod);
	if (modprobe(args)) {
		skip(LATE_TESTS, "module %s cannot be unloaded (in use?)", mod);
		return;
	}
	best_of("sha256", "", &mine, low, NULL);
	soft_setup("num_devices=1", dev, sizeof(dev));
	impl_of(dev, "sha256", got, sizeof(got));
	ok(strcmp(low, best) && !strcmp(got, low),
	   "without %s, the engine starts on the next best sha256 driver (%s, got %s)",
	   mod, low, got);
	ok(modprobe(mod) == 0, "modprobe %s", mod);
	best_of("sha256", "", &mine, got, NULL);
	is_str(got, best, "%s is the best sha256 driver again", best);
	impl_of(dev, "sha256", got, sizeof(got));
	is_str(got, low, "no queue has started: the engine still hashes on %s", low);

	e = soft_ring_open(&r, dev, false);
	ok_errno(e, 0, "a queue starts");
	if (e) {
		skip(LATE_TESTS - 5, "no queue");
		return;
	}
	ok(impl_becomes(dev, best, got, sizeof(got)),
	   "once a queue started, the engine hashes on %s (got %s)", best, got);
	impl_of(dev, "sha256-stream", got, sizeof(got));
	is_str(got, best, "streaming sha256 moved with it");
	sqe = soft_sqe(WDSOFT_OP_SHA256, "abc", 3, digest, 32);
	e = soft_ring_run(&r, &sqe, &cqe);
	ok(!e && !cqe.status && cqe.out_len == 32 && !memcmp(digest, abc, sizeof(abc)),
	   "sha256(\"abc\") on %s = ba7816bf... (run %d, status %d)", best, e, cqe.status);
	soft_ring_close(&r);
}

int main(void)
{
	char dev[64], one[128] = "", stream[128] = "";

	plan(13 + LATE_TESTS);
	soft_setup("num_devices=1", dev, sizeof(dev));
	check_alg(dev, "crc32c", "crc32c");
	check_alg(dev, "sha256", "sha256");
	check_alg(dev, "sha256-stream", "sha256");
	impl_of(dev, "sha256", one, sizeof(one));
	impl_of(dev, "sha256-stream", stream, sizeof(stream));
	is_str(stream, one, "streaming sha256 runs on the one-shot driver too");
	check_late_driver();
	return exit_status();
}
