// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Regions and queue states: each region maps once, at its exact size, by
 * vm_pgoff; unknown regions and regions of size 0 never map; a DKO region
 * maps as a reserved range with no access; mremap and partial munmap
 * are refused; a region maps again after munmap; START_Q twice fails.
 * PUT_Q is mainline's: it stops the queue and keeps the instance until
 * close; a second PUT_Q succeeds; the queue maps and starts again.
 */
#include <setjmp.h>
#include <signal.h>

#include "vm/test-uacce-common.h"

static long page;

static void check_regions(void)
{
	size_t mmio = ut_region_size(UACCE_QFRT_MMIO);
	size_t dus = ut_region_size(UACCE_QFRT_DUS);
	void *p, *q;
	int fd, err;

	fd = ut_open();
	if (!ok(fd >= 0, "open a queue"))
		bail_out("cannot open %s", ut_node);
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "START_Q");

	p = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	ok_errno(err, 0, "MMIO maps at its size (%zu)", mmio);
	q = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	ok_errno(err, -EEXIST, "a second mmap of MMIO fails with EEXIST");
	if (q)
		munmap(q, mmio);

	ut_map(fd, UACCE_QFRT_DUS, dus + page, &err);
	ok_errno(err, -EINVAL, "DUS one page too large fails with EINVAL");
	if (dus > (size_t)page) {
		ut_map(fd, UACCE_QFRT_DUS, dus - page, &err);
		ok_errno(err, -EINVAL, "DUS one page too small fails with EINVAL");
	} else {
		skip(1, "DUS is a single page");
	}
	ut_map(fd, UACCE_QFRT_DKO, page, &err);
	ok_errno(err, -EINVAL, "a DKO region of size 0 does not map");
	ut_map(fd, UACCE_QFRT_MAX, page, &err);
	ok_errno(err, -EINVAL, "an unknown region fails with EINVAL");
	ut_map(fd, 1000, page, &err);
	ok_errno(err, -EINVAL, "a far unknown region fails with EINVAL");
	if (!ut_region_size(UACCE_QFRT_SS)) {
		ut_map(fd, UACCE_QFRT_SS, page, &err);
		ok_errno(err, -EINVAL, "SS does not map on a device without SS");
	} else {
		skip(1, "device has an SS region");
	}
	q = mmap(NULL, mmio, PROT_READ, MAP_PRIVATE, fd, UACCE_QFRT_DUS * page);
	ok(q == MAP_FAILED && errno == EINVAL, "a private mapping is refused");

	q = ut_map(fd, UACCE_QFRT_DUS, dus, &err);
	ok_errno(err, 0, "DUS maps at its exact size (%zu)", dus);
	if (q) {
		/* Move onto a hole of our own, never onto someone's mapping. */
		void *hole = mmap(NULL, dus, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *r = hole == MAP_FAILED ? MAP_FAILED :
			  mremap(q, dus, dus, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
		ok(r == MAP_FAILED, "mremap of a region is refused (%s)",
		   r == MAP_FAILED ? strerror(errno) : "moved");
		if (r != MAP_FAILED)
			q = r;
		r = mremap(q, dus, dus + page, MREMAP_MAYMOVE);
		ok(r == MAP_FAILED, "growing a region is refused");
		if (dus > (size_t)page)
			ok(munmap((char *)q + page, page) < 0 && errno == EINVAL,
			   "unmapping part of a region is refused");
		else
			skip(1, "DUS is a single page");
		ut_map(fd, UACCE_QFRT_DUS, dus, &err);
		ok_errno(err, -EEXIST, "DUS is still mapped once after the refusals");
		ok(munmap(q, dus) == 0, "munmap DUS");
		q = ut_map(fd, UACCE_QFRT_DUS, dus, &err);
		ok_errno(err, 0, "DUS maps again after munmap (vma close clears the region)");
		if (q)
			munmap(q, dus);
	} else {
		skip(6, "DUS did not map");
	}
	if (p)
		munmap(p, mmio);
	close(fd);
}

static void check_states(void)
{
	size_t mmio = ut_region_size(UACCE_QFRT_MMIO);
	size_t dus = ut_region_size(UACCE_QFRT_DUS);
	struct pollfd pfd;
	long avail;
	void *p, *d;
	int fd, err;

	fd = ut_open();
	ok(fd >= 0, "open a second queue");
	is(ut_qstate(fd), UACCE_QSTATE_INIT, "state INIT");
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "START_Q");
	is(ut_qstate(fd), UACCE_QSTATE_STARTED, "state STARTED");
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), -EINVAL, "a second START_Q fails with EINVAL");
	ok_errno(ut_ioctl(fd, _IO('W', 0x3f), 0), -ENOTTY, "an unknown uacce command is ENOTTY");
	p = ut_map(fd, UACCE_QFRT_MMIO, mmio, &err);
	ok_errno(err, 0, "map MMIO while started");

	avail = ut_avail();
	ok_errno(ut_ioctl(fd, UACCE_CMD_PUT_Q, 0), 0, "PUT_Q");
	is(ut_qstate(fd), UACCE_QSTATE_STOPPED, "state STOPPED");
	is(ut_avail(), avail, "PUT_Q keeps the instance until close, as mainline's does");
	ok_errno(ut_ioctl(fd, UACCE_CMD_PUT_Q, 0), 0, "PUT_Q again succeeds, as mainline's does");
	is(ut_qstate(fd), UACCE_QSTATE_STOPPED, "and leaves the queue STOPPED");
	ok_errno(ut_ioctl(fd, WDSOFT_CMD_WAKE, 0), -EINVAL,
		 "a driver command reaches the driver after PUT_Q (wdsoft: nothing to wake, EINVAL)");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	err = poll(&pfd, 1, 0);
	ok(err == 1 && (pfd.revents & (POLLERR | POLLHUP)) == (POLLERR | POLLHUP),
	   "poll after PUT_Q reports POLLERR|POLLHUP (revents %#x)", pfd.revents);
	ok(p && *(volatile uint32_t *)p == WDSOFT_MAGIC,
	   "the existing mapping still shows the driver's page after PUT_Q");
	d = ut_map(fd, UACCE_QFRT_DUS, dus, &err);
	ok_errno(err, 0, "mmap after PUT_Q works, as in mainline");
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "START_Q after PUT_Q starts the queue again");
	is(ut_qstate(fd), UACCE_QSTATE_STARTED, "state STARTED again");
	ok_errno(ut_ioctl(fd, WDSOFT_CMD_WAKE, 0), 0, "the restarted queue takes WAKE");
	ok_errno(ut_ioctl(fd, UACCE_CMD_PUT_Q, 0), 0, "PUT_Q of the restarted queue");
	if (d)
		munmap(d, dus);
	if (p)
		munmap(p, mmio);
	close(fd);
	is(ut_avail(), avail + 1, "the instance comes back at the last close");

	/* PUT_Q of a queue never started does nothing, as in mainline. */
	fd = ut_open();
	ok_errno(ut_ioctl(fd, UACCE_CMD_PUT_Q, 0), 0, "PUT_Q on an INIT queue succeeds");
	is(ut_qstate(fd), UACCE_QSTATE_INIT, "and leaves it INIT");
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "START_Q after that works");
	close(fd);
}

/* The permissions field ("rw-s") of the mapping at @addr, or "". */
static void maps_perms(const void *addr, char perms[8])
{
	char line[512];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "re");

	perms[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		    lo == (unsigned long)addr)
			break;
		else
			perms[0] = 0;
	if (f)
		fclose(f);
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	siglongjmp(segv_jmp, sig);
}

/* Does reading @p raise SIGSEGV? */
static bool read_faults(const volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	bool faulted = false;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jmp, 1) == 0)
		(void)p[0];
	else
		faulted = true;
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

/*
 * A device advertising a DKO region (wdsoft dko_pages=2): mapping it
 * reserves the range, with no pages and no access, whatever the caller
 * asked; mprotect cannot grant access; a touch is SIGSEGV.
 */
static void check_dko(void)
{
	size_t dko = 2 * (size_t)page;
	char perms[8], want[32];
	volatile char *p;
	int fd, err;

	ok_errno(vm_load_modules("num_devices=1 dko_pages=2"), 0, "wdsoft with dko_pages=2");
	ut_use(NULL);
	is((long)ut_region_size(UACCE_QFRT_DKO), (long)dko, "region_dko_size is 2 pages");
	snprintf(want, sizeof(want), "0 %ld %ld -1", page, 2 * page);
	{
		char off[64] = "";

		vm_sysfs_read(ut_dev, "qfrs_offset", off, sizeof(off));
		ok(!strcmp(off, want), "qfrs_offset gives DKO its offset (%s)", off);
	}
	fd = ut_open();
	ut_map(fd, UACCE_QFRT_DKO, dko - page, &err);
	ok_errno(err, -EINVAL, "DKO at the wrong size fails with EINVAL");
	p = ut_map(fd, UACCE_QFRT_DKO, dko, &err);
	ok_errno(err, 0, "DKO maps at its advertised size (asked for read and write)");
	maps_perms((const void *)p, perms);
	ok(p && !strcmp(perms, "---s"), "the range is reserved with no access (%s)", perms);
	ok(p && mprotect((void *)p, dko, PROT_READ) < 0 && errno == EACCES,
	   "mprotect cannot grant access to it (EACCES)");
	ut_map(fd, UACCE_QFRT_DKO, dko, &err);
	ok_errno(err, -EEXIST, "a second DKO mapping fails with EEXIST");
	ok(p && read_faults(p), "reading the reserved range is SIGSEGV");
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "the queue starts with DKO mapped");
	if (p)
		munmap((void *)p, dko);
	p = ut_map(fd, UACCE_QFRT_DKO, dko, &err);
	ok_errno(err, 0, "DKO maps again after munmap");
	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), 0, "REVOKE with DKO mapped");
	if (p)
		munmap((void *)p, dko);
	close(fd);
}

int main(void)
{
	long initial;

	ut_setup(NULL);
	page = sysconf(_SC_PAGESIZE);
	initial = ut_avail();
	check_regions();
	check_states();
	is(ut_avail(), initial, "available_instances is back to its initial value");
	if (ut_own_modules)
		check_dko();
	else
		skip(12, "DKO needs wdsoft reloaded with dko_pages=2");
	ut_teardown();
	return exit_status();
}
