// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path-uring.c - io_uring with SQPOLL reading a tmpfs file: the kernel's
 * own memcpy (page cache to user buffer) behind the best shared-ring
 * interface Linux has, the peer of a libwd memcpy queue.
 *
 * A kernel thread polls the submission ring (SQPOLL), so like libwd a
 * submission costs no system call while that thread is awake; completions
 * are polled from the completion ring without sleeping, like "libwd".
 * The file is registered (fixed file) to skip the per-request fd lookup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "core.h"

struct ur {
	struct io_uring ring;
};

static int ur_open(struct wdb_worker *w)
{
	struct wdb_cell *c = w->cell;
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQPOLL,
		.sq_thread_idle = 1000,	/* ms: stays awake for the whole run */
	};
	struct ur *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return wdb_fail(c, -ENOMEM, "out of memory");
	r = io_uring_queue_init_params(c->nslots < 8 ? 8 : c->nslots * 2, &u->ring, &p);
	if (r < 0) {
		free(u);
		return wdb_fail(c, r, "io_uring with SQPOLL could not be set up (%s)%s",
				strerror(-r), r == -EPERM ?
				": SQPOLL needs CAP_SYS_NICE before Linux 5.11, run as root" : "");
	}
	r = io_uring_register_files(&u->ring, &c->file_fd, 1);
	if (r < 0) {
		io_uring_queue_exit(&u->ring);
		free(u);
		return wdb_fail(c, r, "io_uring could not register the source file: %s",
				strerror(-r));
	}
	w->data = u;
	return 0;
}

static void ur_close(struct wdb_worker *w)
{
	struct ur *u = w->data;

	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
	w->data = NULL;
}

static int ur_submit(struct wdb_worker *w, struct wdb_slot *s)
{
	struct wdb_cell *c = w->cell;
	struct ur *u = w->data;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int r;

	if (!sqe)
		return wdb_fail(c, -EBUSY, "io_uring submission ring full with %u slots", c->nslots);
	io_uring_prep_read(sqe, 0, s->dst, (unsigned int)c->size, (uint64_t)s->idx * c->size);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, s);
	/* With SQPOLL this enters the kernel only to wake a sleeping poller. */
	r = io_uring_submit(&u->ring);
	if (r < 0)
		return wdb_fail(c, r, "io_uring_submit failed: %s", strerror(-r));
	return 0;
}

static int ur_reap(struct wdb_worker *w, struct wdb_slot **done, int max)
{
	struct wdb_cell *c = w->cell;
	struct ur *u = w->data;
	struct io_uring_cqe *cqes[256];
	unsigned int n;

	if (max > 256)
		max = 256;
	n = io_uring_peek_batch_cqe(&u->ring, cqes, (unsigned int)max);
	for (unsigned int i = 0; i < n; i++) {
		struct wdb_slot *s = io_uring_cqe_get_data(cqes[i]);
		int res = cqes[i]->res;

		if (res < 0) {
			io_uring_cq_advance(&u->ring, n);
			return wdb_fail(c, res, "io_uring read of %zu bytes failed: %s",
					c->size, strerror(-res));
		}
		s->out_len = (size_t)res;
		done[i] = s;
	}
	io_uring_cq_advance(&u->ring, n);
	return (int)n;
}

const struct wdb_path_ops wdb_path_uring = {
	.name = "uring-sqpoll",
	.ops = WDB_OP_BIT(WDB_MEMCPY),
	.no_op_why = "io_uring has no digest or compression operation: it is the peer "
		     "for copies only",
	.setup = wdb_source_file,
	.teardown = wdb_source_file_close,
	.open = ur_open,
	.close = ur_close,
	.submit = ur_submit,
	.reap = ur_reap,
};
