// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Syscall fuzzer: random open, close, ioctl (any command, any argument,
 * bad pointers included), mmap/munmap/mremap (any region, size, offset),
 * touches of the mappings, poll, fork and SCM_RIGHTS passes of queue fds,
 * from 4 threads in each of 2 processes, while a third process unloads and
 * reloads wdsoft (and uacce whenever no file holds it) in a loop.
 *
 * Before each unload the loader freezes both fuzzing processes and checks
 * that every instance not available is a live wdsoft queue and that no page
 * is pinned and no page request pending once the engines are idle.
 * Afterwards: uacce's and wdsoft's live-object counters (debugfs
 * uacce/live, wdsoft/live) are back to zero, every instance is available,
 * unreclaimable slab is back within tolerance, and the modules unload.
 *
 * WD_FUZZ_SECONDS=N runs longer (default 60); WD_FUZZ_SEED=N replays the
 * random choices of each thread (the interleaving is the scheduler's).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tap.h"
#include "vm/soft-ring.h"

#define PARAMS		"num_devices=2 modes=sva,ss queues=8 ring_depth=16 ss_pages=16"
#define QUEUES		8
#define NDEV_PATHS	7
#define NFDS		24
#define NMAPS		32
#define NTHREADS	4
#define PAGE		4096UL
/*
 * Unreclaimable slab may differ by this much after the run. The kernel's
 * own bookkeeping moves by a few hundred kB between two idle samples of
 * this VM (journald, udev, the module loads' sysfs and kernfs nodes); a
 * leak of even 32 bytes per queue opened would exceed it after the tens of
 * thousands of opens a run makes, and the live counters catch any leaked
 * queue or SS region exactly.
 */
#define SLAB_TOLERANCE_KB 2048

enum { A_OPEN, A_CLOSE, A_IOCTL, A_MMAP, A_MUNMAP, A_MREMAP, A_TOUCH, A_POLL,
       A_FORK, A_SEND, A_RECV, A_MAX };

static const char *const action_names[A_MAX] = {
	"open", "close", "ioctl", "mmap", "munmap", "mremap", "touch", "poll",
	"fork", "send", "recv",
};

/* Shared between the two worker processes: counts per action. */
struct counts {
	unsigned long n[A_MAX];
	unsigned long ok[A_MAX];
	unsigned long faults;	/* SIGBUS/SIGSEGV caught while touching */
	unsigned long reloads;	/* wdsoft unloads by the loader */
	unsigned long checks;	/* pre-unload checks made by the loader */
	unsigned long checks_failed;
};

static struct counts *shared;
static int fds[NFDS];			/* queue fds of this process, -1 free */
static struct { void *addr; size_t len; } maps[NMAPS];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static int sock = -1;			/* SCM_RIGHTS to the other worker */
static long deadline_ms;
static uint64_t base_seed;

static __thread uint64_t rng;
static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t touching;
static __thread uint8_t *junk;		/* a valid user buffer */
static __thread uint8_t *landing;	/* reserved for MREMAP_FIXED */

static uint64_t rnd(void)
{
	return soft_rand(&rng);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void count(int a, bool success)
{
	__atomic_add_fetch(&shared->n[a], 1, __ATOMIC_RELAXED);
	if (success)
		__atomic_add_fetch(&shared->ok[a], 1, __ATOMIC_RELAXED);
}

static void on_fault(int sig)
{
	if (touching) {
		touching = 0;
		siglongjmp(touch_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A random argument: 0, a valid buffer, a bad or kernel pointer, noise. */
/*
 * A UACCE_CMD_RESTRICT_ALGS argument: mostly well formed (names the device
 * lists, does not list, or an empty list), sometimes with a wild pointer,
 * length or flags, so the ioctl races the engines with real narrowing.
 */
static unsigned long rand_algs(void)
{
	static const char *const names[] = {
		"memcpy", "crc32c sha256", "deflate zlib", "sha256\n", "nosuch", "",
	};
	static __thread struct uacce_algs a;
	const char *n = names[below(sizeof(names) / sizeof(names[0]))];

	a.names = below(8) ? (uintptr_t)n : rnd();
	a.len = below(8) ? (uint32_t)strlen(n) + 1 : (uint32_t)rnd();
	a.flags = below(16) ? 0 : (uint32_t)rnd();
	return (uintptr_t)&a;
}

static unsigned long rand_arg(void)
{
	switch (below(7)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return (uintptr_t)junk + below(64);
	case 3:
		return 0xffff888000000000UL + below(1UL << 30);
	case 4:
		return (uintptr_t)fds[below(NFDS)];
	case 5:
		return below(64);
	default:
		return rnd();
	}
}

static unsigned int rand_cmd(void)
{
	static const unsigned int cmds[] = {
		UACCE_CMD_START_Q, UACCE_CMD_PUT_Q, UACCE_CMD_SHARE_SVAS,
		UACCE_CMD_GET_SS_DMA, UACCE_CMD_REVOKE, UACCE_CMD_QINFO,
		UACCE_CMD_RESTRICT_ALGS, WDSOFT_CMD_WAKE,
	};

	switch (below(4)) {
	case 0:
	case 1:
		return cmds[below(sizeof(cmds) / sizeof(cmds[0]))];
	case 2:
		return _IOC(below(4), 'W', below(0x50), below(64));
	default:
		return (unsigned int)rnd();
	}
}

/*
 * A random ioctl. Only RESTRICT_ALGS, which only reads its argument, gets
 * a well-formed one from thread-local memory; commands that write into
 * their argument get rand_arg()'s junk.
 */
static int rand_ioctl(int fd)
{
	unsigned int cmd = rand_cmd();

	return ioctl(fd, cmd, cmd == UACCE_CMD_RESTRICT_ALGS && below(4) ?
	      rand_algs() : rand_arg());
}

static int pick_fd(void)
{
	return __atomic_load_n(&fds[below(NFDS)], __ATOMIC_RELAXED);
}

/* Put @fd in a random slot, closing what was there. */
static void keep_fd(int fd)
{
	int old = __atomic_exchange_n(&fds[below(NFDS)], fd, __ATOMIC_ACQ_REL);

	if (old >= 0)
		close(old);
}

static void keep_map(void *addr, size_t len)
{
	unsigned int i = below(NMAPS);

	pthread_mutex_lock(&maps_lock);
	if (maps[i].addr)
		munmap(maps[i].addr, maps[i].len);
	maps[i].addr = addr;
	maps[i].len = len;
	pthread_mutex_unlock(&maps_lock);
}

/*
 * Random operations from a child of fork, on inherited fds only (a queue
 * not yet bound may become the child's: that is allowed; the owner tests
 * check the bound case). Exits without unmapping: the exit does it.
 */
static void forked_child(void)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		int fd = pick_fd();

		if (fd < 0)
			continue;
		rand_ioctl(fd);
		mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		     below(UACCE_QFRT_MAX) * PAGE);
	}
	_exit(0);
}

static void one_action(int a)
{
	/* Reloaded devices take new ids while old queues hold theirs. */
	static const char *const paths[NDEV_PATHS] = {
		"/dev/wdsoft-0", "/dev/wdsoft-1", "/dev/wdsoft-2", "/dev/wdsoft-3",
		"/dev/wdsoft-4", "/dev/wdsoft-5", "/dev/uacce-none",
	};
	/* volatile: A_TOUCH sets it across sigsetjmp(). */
	volatile int r = -1;
	int fd;
	void *p;

	switch (a) {
	case A_OPEN:
		fd = open(paths[below(NDEV_PATHS)],
			  (below(4) ? O_RDWR : (int)below(4)) | O_CLOEXEC);
		if (fd >= 0) {
			keep_fd(fd);
			if (below(2))
				ioctl(fd, UACCE_CMD_START_Q);
			r = 0;
		}
		break;
	case A_CLOSE:
		fd = __atomic_exchange_n(&fds[below(NFDS)], -1, __ATOMIC_ACQ_REL);
		r = fd >= 0 ? close(fd) : -1;
		break;
	case A_IOCTL:
		r = rand_ioctl(pick_fd());
		break;
	case A_MMAP: {
		static const size_t sizes[] = { 0, PAGE, 2 * PAGE, 3 * PAGE,
						16 * PAGE, 17 * PAGE, 1UL << 30 };
		size_t len = below(4) ? sizes[below(7)] : below(1UL << 20);
		off_t off = below(4) ? (off_t)(below(UACCE_QFRT_MAX + 1) * PAGE)
				     : (off_t)((rnd() & ~(PAGE - 1)) >> 12);
		int prot = below(4) ? PROT_READ | PROT_WRITE : (int)below(8);
		int flags = below(5) ? MAP_SHARED : MAP_PRIVATE;

		p = mmap(NULL, len, prot, flags, pick_fd(), off);
		if (p != MAP_FAILED) {
			keep_map(p, len);
			r = 0;
		}
		break;
	}
	case A_MUNMAP: {
		unsigned int i = below(NMAPS);

		pthread_mutex_lock(&maps_lock);
		if (maps[i].addr) {
			/* Sometimes only a part: a region goes whole or not at all. */
			if (below(3) || maps[i].len <= PAGE) {
				r = munmap(maps[i].addr, maps[i].len);
				maps[i].addr = NULL;
			} else {
				r = munmap((uint8_t *)maps[i].addr + PAGE, PAGE);
				if (!r)
					maps[i].len = PAGE;	/* what is left at addr */
			}
		}
		pthread_mutex_unlock(&maps_lock);
		break;
	}
	case A_MREMAP: {
		unsigned int i = below(NMAPS);

		pthread_mutex_lock(&maps_lock);
		if (maps[i].addr) {
			size_t nl = below(2) ? maps[i].len * 2 : maps[i].len / 2;

			switch (below(3)) {
			case 0:
				p = mremap(maps[i].addr, maps[i].len, nl ?: PAGE, 0);
				break;
			case 1:
				p = mremap(maps[i].addr, maps[i].len, maps[i].len,
					   MREMAP_MAYMOVE);
				break;
			default:
				/* Only ever onto our own reserved landing zone. */
				p = mremap(maps[i].addr, maps[i].len,
					   maps[i].len < (1UL << 20) ? maps[i].len : PAGE,
					   MREMAP_MAYMOVE | MREMAP_FIXED, landing);
				break;
			}
			/* uacce refuses every move or resize but a no-op. */
			if (p != MAP_FAILED) {
				r = 0;
				if (p == landing)
					landing = mmap(NULL, 1UL << 20, PROT_NONE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				maps[i].addr = p;
			}
		}
		pthread_mutex_unlock(&maps_lock);
		break;
	}
	case A_TOUCH: {
		unsigned int i = below(NMAPS);

		pthread_mutex_lock(&maps_lock);
		p = maps[i].addr;
		if (p) {
			volatile uint8_t *b = p;
			volatile size_t off = below(maps[i].len < PAGE ? maps[i].len : PAGE);

			if (!sigsetjmp(touch_jmp, 1)) {
				touching = 1;
				if (below(2))
					b[off] = (uint8_t)rnd();
				else
					(void)b[off];
				touching = 0;
				r = 0;
			} else {
				__atomic_add_fetch(&shared->faults, 1, __ATOMIC_RELAXED);
			}
		}
		pthread_mutex_unlock(&maps_lock);
		break;
	}
	case A_POLL: {
		struct pollfd pf[3];
		unsigned int i;

		for (i = 0; i < 3; i++) {
			pf[i].fd = pick_fd();
			pf[i].events = POLLIN | POLLOUT | POLLERR;
		}
		r = poll(pf, 3, below(3)) < 0 ? -1 : 0;
		break;
	}
	case A_FORK: {
		pid_t pid = fork();
		int st;

		if (!pid)
			forked_child();
		if (pid > 0 && waitpid(pid, &st, 0) == pid)
			r = WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
		break;
	}
	case A_SEND:
		fd = pick_fd();
		r = fd >= 0 ? soft_send_fd(sock, fd, MSG_DONTWAIT) : -1;
		break;
	case A_RECV:
		fd = soft_recv_fd(sock, MSG_DONTWAIT);
		if (fd >= 0) {
			keep_fd(fd);
			r = 0;
		}
		break;
	}
	count(a, r == 0);
}

static void *worker_thread(void *arg)
{
	static const unsigned int weight[A_MAX] = {
		[A_OPEN] = 14, [A_CLOSE] = 8, [A_IOCTL] = 24, [A_MMAP] = 14,
		[A_MUNMAP] = 6, [A_MREMAP] = 4, [A_TOUCH] = 8, [A_POLL] = 6,
		[A_FORK] = 1, [A_SEND] = 4, [A_RECV] = 6,
	};
	unsigned int total = 0, a;

	rng = base_seed * 0x9E3779B97F4A7C15ULL + (uintptr_t)arg + 1;
	junk = calloc(1, 4096);
	landing = mmap(NULL, 1UL << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!junk || landing == MAP_FAILED)
		return NULL;
	for (a = 0; a < A_MAX; a++)
		total += weight[a];
	while (soft_now_ms() < deadline_ms) {
		unsigned int pick = below(total);

		for (a = 0; pick >= weight[a]; a++)
			pick -= weight[a];
		/* Only one thread forks, so a child never holds another's lock. */
		if (a == A_FORK && (uintptr_t)arg % NTHREADS)
			a = A_POLL;
		one_action(a);
	}
	free(junk);
	return NULL;
}

static void worker_process(int id)
{
	pthread_t th[NTHREADS];
	struct sigaction sa = { .sa_handler = on_fault };
	unsigned int i;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < NFDS; i++)
		fds[i] = -1;
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker_thread,
			       (void *)(uintptr_t)(id * NTHREADS + i));
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NFDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < NMAPS; i++)
		if (maps[i].addr)
			munmap(maps[i].addr, maps[i].len);
	_exit(0);
}

static pid_t worker_pids[2];

/* Are all threads of @pid stopped (or gone)? */
static bool all_stopped(pid_t pid)
{
	char path[320], buf[512], *p;
	struct dirent *de;
	bool stopped = true;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return true;
	while (stopped && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    p[1] == ' ' && p[2] != 'T' && p[2] != 't' && p[2] != 'Z' &&
		    p[2] != 'X')
			stopped = false;
		fclose(f);
	}
	closedir(d);
	return stopped;
}

/*
 * Before an unload: freeze both fuzzing processes, then, once the engines
 * are idle, every instance not available must be a live wdsoft queue, and
 * no page may be pinned or page request pending. Retried for up to 3 s
 * (forked children and fds in flight settle); true if it held.
 */
static bool check_before_unload(void)
{
	long avail[2], live = -1, pins = -1, reqs = -1, end;
	bool held = false;
	int i;

	for (i = 0; i < 2; i++)
		kill(worker_pids[i], SIGSTOP);
	end = soft_now_ms() + 3000;
	for (i = 0; i < 2; i++)
		while (!all_stopped(worker_pids[i]) && soft_now_ms() < end)
			soft_sleep_ms(5);
	do {
		char name[64];

		for (i = 0; i < 2; i++)
			avail[i] = soft_find_device(i, name, sizeof(name)) ? -1 :
				   soft_attr(name, "available_instances");
		live = soft_live("wdsoft", "queues");
		pins = soft_live("wdsoft", "pages_held");
		reqs = soft_live("wdsoft", "page_reqs");
		held = avail[0] >= 0 && avail[1] >= 0 &&
		       2 * QUEUES - avail[0] - avail[1] == live && !pins && !reqs;
		if (!held)
			soft_sleep_ms(20);
	} while (!held && soft_now_ms() < end);
	if (!held)
		printf("# pre-unload check failed: available %ld+%ld of %d, %ld live queues, %ld pinned pages, %ld page requests\n",
		       avail[0], avail[1], 2 * QUEUES, live, pins, reqs);
	for (i = 0; i < 2; i++)
		kill(worker_pids[i], SIGCONT);
	return held;
}

/* The third process: unload and reload the driver until the deadline. */
static void loader_process(void)
{
	unsigned long cycles = 0, uacce_cycles = 0;

	rng = base_seed ^ 0xABCDEF;
	while (soft_now_ms() < deadline_ms) {
		if (vm_module_loaded("wdsoft")) {
			shared->checks++;
			if (!check_before_unload())
				shared->checks_failed++;
		}
		if (!soft_kmod_unload("wdsoft"))
			cycles++;
		soft_sleep_ms(below(50));
		/* uacce goes too when no queue file holds it. */
		if (!below(3) && !soft_kmod_unload("uacce")) {
			uacce_cycles++;
			soft_kmod_load("uacce", NULL);
		}
		soft_kmod_load("wdsoft", PARAMS);
		soft_sleep_ms(50 + below(250));
	}
	printf("# loader: wdsoft unloaded %lu times, uacce %lu times\n", cycles,
	       uacce_cycles);
	fflush(stdout);
	shared->reloads = cycles;
	_exit(cycles && !shared->checks_failed ? 0 : 1);
}

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

/*
 * Settle, drop caches, shrink every slab cache, read unreclaimable slab
 * (kB). Shrinking frees empty slabs and, on a KASAN kernel, empties the
 * quarantine, where freed objects otherwise stay counted as allocated (up
 * to 1/32 of memory): without it a debug kernel shows megabytes of growth
 * that kmemleak does not find.
 */
static long quiet_slab(long *slab)
{
	vm_system("udevadm settle -t 10 2>/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches");
	soft_sleep_ms(500);
	vm_system("echo 3 > /proc/sys/vm/drop_caches; "
		  "for f in /sys/kernel/slab/*/shrink; do echo 1 > \"$f\"; done 2>/dev/null");
	*slab = meminfo_kb("Slab");
	return meminfo_kb("SUnreclaim");
}

int main(void)
{
	const char *env;
	long seconds = 60, unrec0, unrec1, slab0, slab1, lq, lss, lwq, lpin;
	pid_t pids[3];
	int sv[2], i, st, bad_exit = 0;
	unsigned long total = 0;
	char dev[64], line[512];
	size_t len = 0;

	env = getenv("WD_FUZZ_SECONDS");
	if (env && atol(env) > 0)
		seconds = atol(env);
	env = getenv("WD_FUZZ_SEED");
	base_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	soft_setup(PARAMS, dev, sizeof(dev));
	printf("# seed %llu (WD_FUZZ_SEED), %ld s (WD_FUZZ_SECONDS)\n",
	       (unsigned long long)base_seed, seconds);

	unrec0 = quiet_slab(&slab0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		bail_out("setup: %s", strerror(errno));
	fflush(stdout);
	deadline_ms = soft_now_ms() + seconds * 1000;
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bail_out("fork: %s", strerror(errno));
		if (i < 2)
			worker_pids[i] = pids[i];
		if (!pids[i]) {
			if (i == 2)
				loader_process();
			/* Keep our own fds far above the queue fds. */
			sock = fcntl(sv[i], F_DUPFD_CLOEXEC, 900);
			close(sv[0]);
			close(sv[1]);
			worker_process(i);
		}
	}
	close(sv[0]);
	close(sv[1]);
	for (i = 0; i < 3; i++) {
		/* Far past the deadline means a hang in the kernel. */
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			diag("process %d ended badly (status %#x)", i, st);
			bad_exit++;
		}
	}
	is(bad_exit, 0, "both fuzzing processes and the loader finished cleanly");
	ok(shared->checks > 0 && !shared->checks_failed,
	   "before each of %lu unloads, instances, live queues, pins and page requests agreed (%lu failed)",
	   shared->checks, shared->checks_failed);

	/* Make sure the modules are there to be asked. */
	soft_kmod_load("uacce", NULL);
	soft_kmod_load("wdsoft", PARAMS);
	vm_system("udevadm settle -t 10 2>/dev/null");
	lq = soft_live("uacce", "queues");
	lss = soft_live("uacce", "ss_pages");
	lwq = soft_live("wdsoft", "queues");
	lpin = soft_live("wdsoft", "pages_held");
	is(lq, 0, "uacce: no queue structure left alive");
	is(lss, 0, "uacce: no SS page left allocated");
	is(lwq, 0, "wdsoft: no queue structure left alive");
	is(lpin, 0, "wdsoft: no user page left pinned");
	for (i = 0; i < 2; i++) {
		char name[64];

		if (soft_find_device(i, name, sizeof(name)))
			bail_out("wdsoft device %d missing after the run", i);
		is(soft_attr(name, "available_instances"), QUEUES,
		   "%s: every instance is available again", name);
	}
	/* Same state as the baseline: freshly loaded modules, quiet system. */
	ok(vm_load_modules(PARAMS) == 0, "the modules unload and load again");
	unrec1 = quiet_slab(&slab1);
	ok(unrec1 - unrec0 <= SLAB_TOLERANCE_KB,
	   "unreclaimable slab %ld -> %ld kB (tolerance %d kB); slab %ld -> %ld kB",
	   unrec0, unrec1, SLAB_TOLERANCE_KB, slab0, slab1);
	ok(vm_unload_modules() == 0, "the modules unload at the end");

	for (i = 0; i < A_MAX; i++) {
		total += shared->n[i];
		len += snprintf(line + len, sizeof(line) - len, "%s%s %lu/%lu",
				i ? ", " : "", action_names[i], shared->ok[i],
				shared->n[i]);
	}
	printf("# calls (succeeded/tried): %s; faults caught while touching %lu\n",
	       line, shared->faults);
	printf("# report: kernel-syscall-fuzz: %lu calls in %ld s (%d threads x 2 processes, a third reloading the modules %lu times, %lu pre-unload checks, %lu failed), unreclaimable slab before/after %ld/%ld kB, left alive after: %ld uacce queues, %ld SS pages, %ld wdsoft queues, %ld pinned pages, seed %llu\n",
	       total, seconds, NTHREADS, shared->reloads, shared->checks,
	       shared->checks_failed, unrec0, unrec1, lq, lss, lwq,
	       lpin, (unsigned long long)base_seed);
	return exit_status();
}
