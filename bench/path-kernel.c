// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path-kernel.c - the paths through system calls: AF_ALG on wdsoft's
 * crypto API front end ("afalg"), and one plain synchronous system call per
 * op ("syscall"). Both are threaded: depth N means N threads, each with its
 * own AF_ALG operation socket or its own pread() stream.
 *
 * AF_ALG has no compression interface (the kernel's acomp API is not
 * reachable from user space), so deflate has no kernel path here; memcpy
 * through AF_ALG does not exist either.
 *
 * The "syscall" path copies with pread() from a tmpfs file that holds
 * every slot's source at offset slot * size (the same file io_uring reads),
 * and digests with AF_ALG bound to the plain algorithm name, i.e. the
 * kernel's own highest-priority implementation (wdsoft registers below it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/if_alg.h>
#include <linux/magic.h>

#include "core.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

static int afalg_bind(struct wdb_cell *c, const char *alg_name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash" };
	int tfm, opfd, r;

	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", alg_name);
	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return wdb_fail(c, -errno, "AF_ALG sockets are not available (%s): load af_alg "
				"and algif_hash", strerror(errno));
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(tfm);
		if (r == -ENOENT && strstr(alg_name, "-wdsoft"))
			return wdb_fail(c, r, "the kernel crypto API has no %s: load wdsoft.ko "
					"with uacce_mode=0", alg_name);
		return wdb_fail(c, r, "cannot bind AF_ALG to hash %s: %s", alg_name, strerror(-r));
	}
	opfd = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	r = -errno;
	/* The operation socket keeps the transform; the listening one is done. */
	close(tfm);
	if (opfd < 0)
		return wdb_fail(c, r, "AF_ALG accept for %s failed: %s", alg_name, strerror(-r));
	return opfd;
}

/* One digest: the whole source in one send, the digest in one read. */
static int afalg_digest(struct wdb_cell *c, int opfd, struct wdb_slot *s)
{
	size_t want = c->op == WDB_CRC32C ? 4 : 32, off = 0;
	ssize_t n;

	while (off < c->size) {
		n = send(opfd, s->src + off, c->size - off, 0);
		if (n <= 0)
			return wdb_fail(c, n < 0 ? -errno : -EIO, "AF_ALG send of %zu bytes failed: %s",
					c->size, n < 0 ? strerror(errno) : "no progress");
		off += (size_t)n;
	}
	n = read(opfd, s->dst, want);
	if (n != (ssize_t)want)
		return wdb_fail(c, n < 0 ? -errno : -EIO, "AF_ALG read of the %s digest failed: %s",
				c->op_name, n < 0 ? strerror(errno) : "short read");
	s->out_len = want;
	return 0;
}

struct alg_worker {
	int opfd;
};

static int alg_open(struct wdb_worker *w, const char *suffix)
{
	struct wdb_cell *c = w->cell;
	struct alg_worker *a;
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "%s%s", c->op_name, suffix);
	fd = afalg_bind(c, name);
	if (fd < 0)
		return fd;
	a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		return wdb_fail(c, -ENOMEM, "out of memory");
	}
	a->opfd = fd;
	w->data = a;
	return 0;
}

static int afalg_open(struct wdb_worker *w)
{
	return alg_open(w, "-wdsoft");
}

static void alg_close(struct wdb_worker *w)
{
	struct alg_worker *a = w->data;

	if (!a)
		return;
	if (a->opfd >= 0)
		close(a->opfd);
	free(a);
	w->data = NULL;
}

static int alg_run_one(struct wdb_worker *w, struct wdb_slot *s)
{
	struct alg_worker *a = w->data;

	return afalg_digest(w->cell, a->opfd, s);
}

const struct wdb_path_ops wdb_path_afalg = {
	.name = "afalg",
	.ops = WDB_OP_BIT(WDB_CRC32C) | WDB_OP_BIT(WDB_SHA256),
	.no_op_why = "AF_ALG offers hashes and ciphers only: no memcpy, and no compression "
		     "interface for deflate-wdsoft",
	.threaded = true,
	.open = afalg_open,
	.close = alg_close,
	.run_one = alg_run_one,
};

/*
 * The sources of every slot in one file on tmpfs (page cache only, no
 * device), slot i at offset i * size. O_TMPFILE: nothing to clean up.
 */
int wdb_source_file(struct wdb_cell *c)
{
	static const char *const dirs[] = { "/dev/shm", "/run", "/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct statfs sf;
		int fd;

		if (statfs(dirs[i], &sf) < 0 || sf.f_type != TMPFS_MAGIC)
			continue;
		fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0)
			continue;
		for (unsigned int k = 0; k < c->nslots; k++) {
			size_t off = 0;

			while (off < c->size) {
				ssize_t n = pwrite(fd, c->slots[k].src + off, c->size - off,
						   (off_t)(k * c->size + off));

				if (n <= 0) {
					int r = n < 0 ? -errno : -EIO;

					close(fd);
					return wdb_fail(c, r, "cannot write the %zu-byte source file "
							"on %s: %s", c->size * c->nslots,
							dirs[i], strerror(-r));
				}
				off += (size_t)n;
			}
		}
		c->file_fd = fd;
		return 0;
	}
	return wdb_fail(c, -ENOENT, "no writable tmpfs in /dev/shm, /run or /tmp for the "
			"source file: mount one");
}

void wdb_source_file_close(struct wdb_cell *c)
{
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
}

static int sys_setup(struct wdb_cell *c)
{
	return c->op == WDB_MEMCPY ? wdb_source_file(c) : 0;
}

static int sys_open(struct wdb_worker *w)
{
	return w->cell->op == WDB_MEMCPY ? 0 : alg_open(w, "");
}

static int sys_run_one(struct wdb_worker *w, struct wdb_slot *s)
{
	struct wdb_cell *c = w->cell;
	ssize_t n;

	if (c->op != WDB_MEMCPY)
		return alg_run_one(w, s);
	n = pread(c->file_fd, s->dst, c->size, (off_t)(s->idx * c->size));
	if (n < 0)
		return wdb_fail(c, -errno, "pread of %zu bytes failed: %s", c->size, strerror(errno));
	s->out_len = (size_t)n;
	return 0;
}

const struct wdb_path_ops wdb_path_syscall = {
	.name = "syscall",
	.ops = WDB_OP_BIT(WDB_MEMCPY) | WDB_OP_BIT(WDB_CRC32C) | WDB_OP_BIT(WDB_SHA256),
	.no_op_why = "the kernel has no deflate reachable by a system call (AF_ALG has no "
		     "compression interface)",
	.threaded = true,
	.setup = sys_setup,
	.teardown = wdb_source_file_close,
	.open = sys_open,
	.close = alg_close,
	.run_one = sys_run_one,
};
