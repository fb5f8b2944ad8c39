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
 * queue next starts, before that queue's first descriptor: the test
 * unloads the module of the best sha256 driver, loads wdsoft, loads that
 * module again and starts a queue. The engine's digest counters in
 * debugfs "engines" show that move as exactly one descriptor built and one
 * move, and that a queue start where nothing changed builds nothing and
 * wakes no other engine: a parked engine looks once when it next runs.
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

/* Engine @engine's line of debugfs "engines", digest counters included. */
struct eng_algs {
	int queues, parked;
	unsigned long refreshes, builds, moves;
};

static int engine_algs(const char *dev, unsigned int engine, struct eng_algs *a)
{
	char path[256], line[256];
	int idx, pid, cpu, r = -ENOENT;
	unsigned long yields;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/wdsoft/%s/engines", dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%d %d %d %d %d %lu %lu %lu %lu", &idx, &pid, &a->queues,
			   &a->parked, &cpu, &yields, &a->refreshes, &a->builds,
			   &a->moves) == 9 && idx == (int)engine)
			r = 0;
	fclose(f);
	return r;
}

/* Wait up to 5 s (times soft_time_scale()) for engines 0 to @n - 1 to park. */
static bool engines_park(const char *dev, unsigned int n)
{
	long until = soft_now_ms() + 5000L * soft_time_scale();
	struct eng_algs a;
	unsigned int i;

	do {
		for (i = 0; i < n; i++)
			if (engine_algs(dev, i, &a) || !a.parked)
				break;
		if (i == n)
			return true;
		soft_sleep_ms(10);
	} while (soft_now_ms() < until);
	return false;
}

/* Start a queue of @dev on engine @engine (WDSOFT_CMD_SET_ENGINE), run a NOP. */
static int run_on(struct soft_ring *r, const char *dev, uint32_t engine)
{
	struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_NOP, NULL, 0, NULL, 0);
	struct wdsoft_cqe cqe = { 0 };
	char path[128];
	int fd, e;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, WDSOFT_CMD_SET_ENGINE, &engine)) {
		e = -errno;
		close(fd);
		return e;
	}
	e = soft_ring_adopt(r, fd, dev, false, false, -1);
	if (e)
		return e;
	e = soft_ring_run(r, &sqe, &cqe);
	if (!e && cqe.status)
		e = cqe.status;
	if (e)
		soft_ring_close(r);
	return e;
}

/*
 * With both engines of @dev parked, start a queue on @engine and run a NOP:
 * the engine looks for better digest drivers once, however many queue
 * starts flagged it while it was parked, and builds nothing since nothing
 * changed; the other engine neither wakes nor looks. 5 tests.
 */
static void quiet_start(const char *dev, unsigned int engine)
{
	unsigned int other = !engine;
	struct eng_algs a, b, ao, bo;
	struct soft_ring r;
	int e;

	ok(engines_park(dev, 2) && !engine_algs(dev, engine, &a) &&
	   !engine_algs(dev, other, &ao), "both engines park with no queue");
	e = run_on(&r, dev, engine);
	if (!ok_errno(e, 0, "a queue starts on engine %u and runs a NOP", engine)) {
		skip(3, "no queue");
		return;
	}
	engine_algs(dev, engine, &b);
	engine_algs(dev, other, &bo);
	diag("report: engine-impl: engine %u refreshes %lu builds %lu moves %lu",
	     engine, b.refreshes, b.builds, b.moves);
	ok(b.refreshes == a.refreshes + 1,
	   "engine %u looked for better digest drivers once (%lu -> %lu)",
	   engine, a.refreshes, b.refreshes);
	ok(b.builds == a.builds && b.moves == a.moves,
	   "nothing changed: engine %u built no descriptor (%lu -> %lu) and moved nothing "
	   "(%lu -> %lu)", engine, a.builds, b.builds, a.moves, b.moves);
	ok(bo.refreshes == ao.refreshes && bo.parked,
	   "engine %u stays parked and has not looked (refreshes %lu -> %lu, parked %d)",
	   other, ao.refreshes, bo.refreshes, bo.parked);
	soft_ring_close(&r);
}

#define QUIET_TESTS 10

/*
 * On a two-engine device where no driver changes: a queue on engine 0,
 * then one on engine 1, which looks once for both starts.
 */
static void check_quiet_refresh(const char *dev)
{
	quiet_start(dev, 0);
	quiet_start(dev, 1);
}

#define LATE_TESTS 12

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
	struct eng_algs before = { 0 }, after = { 0 };
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
	engine_algs(dev, 0, &before);
	impl_of(dev, "sha256", got, sizeof(got));
	ok(strcmp(low, best) && !strcmp(got, low),
	   "without %s, the engine starts on the next best sha256 driver (%s, got %s)",
	   mod, low, got);
	ok(modprobe(mod) == 0, "modprobe %s", mod);
	best_of("sha256", "", &mine, got, NULL);
	is_str(got, best, "%s is the best sha256 driver again", best);
	impl_of(dev, "sha256", got, sizeof(got));
	is_str(got, low, "no queue has started: the engine still hashes on %s", low);
	engine_algs(dev, 0, &after);
	ok(after.refreshes == before.refreshes && after.builds == before.builds,
	   "no queue has started: the engine has not looked (refreshes %lu -> %lu)",
	   before.refreshes, after.refreshes);

	e = soft_ring_open(&r, dev, false);
	ok_errno(e, 0, "a queue starts");
	if (e) {
		skip(LATE_TESTS - 6, "no queue");
		return;
	}
	/* The first descriptor, with no wait: the engine looks before it runs it. */
	sqe = soft_sqe(WDSOFT_OP_SHA256, "abc", 3, digest, 32);
	e = soft_ring_run(&r, &sqe, &cqe);
	ok(!e && !cqe.status && cqe.out_len == 32 && !memcmp(digest, abc, sizeof(abc)),
	   "sha256(\"abc\") = ba7816bf... (run %d, status %d)", e, cqe.status);
	impl_of(dev, "sha256", got, sizeof(got));
	is_str(got, best, "by the queue's first completion, the engine hashes on %s", best);
	impl_of(dev, "sha256-stream", got, sizeof(got));
	is_str(got, best, "streaming sha256 moved with it");
	engine_algs(dev, 0, &after);
	diag("report: engine-impl: after the move refreshes %lu builds %lu moves %lu",
	     after.refreshes, after.builds, after.moves);
	ok(after.refreshes == before.refreshes + 1,
	   "the engine looked once (refreshes %lu -> %lu)", before.refreshes, after.refreshes);
	ok(after.builds == before.builds + 1,
	   "it built exactly one descriptor, sha256's (builds %lu -> %lu)",
	   before.builds, after.builds);
	ok(after.moves == before.moves + 1,
	   "it moved exactly one digest (moves %lu -> %lu)", before.moves, after.moves);
	soft_ring_close(&r);
}

int main(void)
{
	char dev[64], one[128] = "", stream[128] = "";

	plan(13 + QUIET_TESTS + LATE_TESTS);
	soft_setup("num_devices=1 threads=2", dev, sizeof(dev));
	check_alg(dev, "crc32c", "crc32c");
	check_alg(dev, "sha256", "sha256");
	check_alg(dev, "sha256-stream", "sha256");
	impl_of(dev, "sha256", one, sizeof(one));
	impl_of(dev, "sha256-stream", stream, sizeof(stream));
	is_str(stream, one, "streaming sha256 runs on the one-shot driver too");
	check_quiet_refresh(dev);
	check_late_driver();
	return exit_status();
}
