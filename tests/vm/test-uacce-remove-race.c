// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * open/START/mmap/close and sysfs reads racing rmmod/insmod of the driver,
 * in a loop for a bounded time (a stress, not a timed test). No process
 * may die of a signal, the kernel must stay quiet (tools/wdvm fails the run
 * on any BUG/WARNING), and after the last reload the device is whole.
 * WD_RACE_SECONDS overrides the default 60 s.
 */
#include <signal.h>

#include "vm/test-uacce-common.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* Churn queues on whatever wdsoft device exists; returns successful maps. */
static long churn(const char *node, bool busy)
{
	size_t mmio_sz = (size_t)sysconf(_SC_PAGESIZE);
	long mapped = 0;

	while (!stop) {
		volatile struct wdsoft_mmio *mmio;
		int fd, err;

		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			usleep(1000);
			continue;
		}
		if (ut_ioctl(fd, UACCE_CMD_START_Q, 0) == 0) {
			mmio = ut_map(fd, UACCE_QFRT_MMIO, mmio_sz, &err);
			if (mmio) {
				/* Live geometry or, once removed, the zero page. */
				if (mmio->magic == WDSOFT_MAGIC || mmio->magic == 0)
					mapped++;
				if (busy)
					ioctl(fd, WDSOFT_CMD_WAKE, 0);
				munmap((void *)mmio, mmio_sz);
			}
			if (busy) {
				struct pollfd pfd = { .fd = fd, .events = POLLIN };

				poll(&pfd, 1, 1);
			}
		}
		close(fd);
	}
	return mapped;
}

static void sysfs_reader(void)
{
	char buf[256];

	while (!stop) {
		vm_sysfs_read(ut_dev, "available_instances", buf, sizeof(buf));
		vm_sysfs_read(ut_dev, "numa_distance", buf, sizeof(buf));
		vm_sysfs_read(ut_dev, "isolate", buf, sizeof(buf));
	}
}

static pid_t spawn(int kind, int out)
{
	pid_t pid = fork();
	long n;

	if (pid)
		return pid;
	signal(SIGTERM, on_term);
	if (kind == 2) {
		sysfs_reader();
		_exit(0);
	}
	n = churn(ut_node, kind == 1);
	if (write(out, &n, sizeof(n)) != sizeof(n))
		_exit(1);
	_exit(0);
}

int main(void)
{
	const char *dir = getenv("WD_KMOD_DIR"), *env = getenv("WD_RACE_SECONDS");
	double secs = env ? atof(env) : 60, start;
	long initial, total = 0, n;
	int pv[2], cycles = 0, fails = 0, i, st, died = 0;
	pid_t pids[4];

	ut_setup(NULL);
	if (!ut_own_modules || !dir)
		plan_skip_all("needs to reload the driver itself (UACCE_TEST_DEV is set)");
	initial = ut_avail();
	if (pipe2(pv, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));

	pids[0] = spawn(0, pv[1]);
	pids[1] = spawn(1, pv[1]);
	pids[2] = spawn(1, pv[1]);
	pids[3] = spawn(2, pv[1]);
	close(pv[1]);

	start = ut_now();
	while (ut_now() - start < secs) {
		usleep(20 * 1000);
		if (vm_system("rmmod wdsoft") != 0)
			fails++;
		if (vm_system("insmod %s/wdsoft.ko", dir) != 0)
			fails++;
		cycles++;
	}
	for (i = 0; i < 4; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < 4; i++) {
		st = ut_wait(pids[i]);
		if (st != 0)
			died++;
	}
	while (read(pv[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	close(pv[0]);

	diag("%d rmmod/insmod cycles in %.0f s, %ld queues started and mapped", cycles, secs, total);
	ok(cycles >= 2, "the driver went away and came back %d times", cycles);
	is(fails, 0, "every rmmod and insmod succeeded while queues churned");
	is(died, 0, "no churning process died of a signal or failed");
	ok(total > 0, "queues were opened and mapped during the churn (%ld)", total);

	vm_system("udevadm settle -t 10 2>/dev/null");
	ut_use(NULL);
	is(ut_avail(), initial, "after the last reload %s has all %ld instances", ut_dev, initial);
	ut_teardown();
	return exit_status();
}
