// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path-libwd.c - the WarpDrive data path: one libwd queue, every slot in
 * flight on its ring.
 *
 * "libwd" polls the completion ring (wd_recv_batch) and never sleeps, with
 * a pause between empty looks; the engine keeps polling too, as it does
 * while work keeps coming.
 * "libwd-batch" is what a caller that wants its CPU back does: it sleeps in
 * poll(2) until half its requests are done (wd_recv_wait with min = half
 * the depth), so the engine still has the other half queued while the
 * caller handles a batch, and one wake-up is spread over that batch.
 * "libwd-idle" measures the other end: wdsoft's idle_us is set to 0 for
 * the run so the engine parks as soon as its rings are empty, every
 * request has to wake it (the doorbell ioctl libwd issues when the engine
 * flagged NEED_WAKEUP), and the caller sleeps in poll(2) (wd_recv_sync).
 *
 * Both read the device's engine time from wdsoft's debugfs statistics so
 * the framework's own cost can be told from the engine's work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <warpdrive/wd.h>

#include "core.h"

#define IDLE_US_PARAM	"/sys/module/wdsoft/parameters/idle_us"
#define DEBUGFS_STATS	"/sys/kernel/debug/wdsoft/%s/stats"
#define DEBUGFS_ENGINES	"/sys/kernel/debug/wdsoft/%s/engines"

struct lw {
	struct wd_queue q;
	struct wd_msg *msgs;	/* one per slot, by slot index */
	struct wd_msg **done;
	enum { LW_BUSY, LW_IDLE, LW_BATCH } mode;
	int min;		/* LW_BATCH: completions to wait for */
};

/* Run-wide state of libwd-idle: the idle_us value to put back. */
struct lw_idle {
	char saved[32];
};

static const int op_map[WDB_NR_OPS] = {
	[WDB_MEMCPY] = WD_OP_MEMCPY, [WDB_CRC32C] = WD_OP_CRC32C,
	[WDB_SHA256] = WD_OP_SHA256, [WDB_DEFLATE] = WD_OP_DEFLATE,
};

static int lw_open(struct wdb_worker *w, int mode)
{
	struct wdb_cell *c = w->cell;
	struct lw *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return wdb_fail(c, -ENOMEM, "out of memory");
	l->mode = mode;
	l->min = c->nslots > 1 ? (int)(c->nslots / 2) : 1;
	l->msgs = calloc(c->nslots, sizeof(*l->msgs));
	l->done = calloc(c->nslots, sizeof(*l->done));
	if (!l->msgs || !l->done) {
		r = wdb_fail(c, -ENOMEM, "out of memory");
		goto err;
	}
	l->q.alg = c->op_name;
	l->q.node = WD_NODE_ANY;
	r = wd_request_queue(&l->q);
	if (r < 0) {
		wdb_fail(c, r, "libwd could not get a %s queue: %s", c->op_name,
			 wd_queue_errmsg(&l->q));
		goto err;
	}
	w->data = l;
	return 0;
err:
	free(l->msgs);
	free(l->done);
	free(l);
	return r;
}

static int lw_open_busy(struct wdb_worker *w)
{
	return lw_open(w, LW_BUSY);
}

static int lw_open_idle(struct wdb_worker *w)
{
	return lw_open(w, LW_IDLE);
}

static int lw_open_batch(struct wdb_worker *w)
{
	return lw_open(w, LW_BATCH);
}

static void lw_close(struct wdb_worker *w)
{
	struct lw *l = w->data;

	if (!l)
		return;
	wd_release_queue(&l->q);
	free(l->msgs);
	free(l->done);
	free(l);
	w->data = NULL;
}

static int lw_submit(struct wdb_worker *w, struct wdb_slot *s)
{
	struct wdb_cell *c = w->cell;
	struct lw *l = w->data;
	struct wd_msg *m = &l->msgs[s->idx];
	int r;

	*m = (struct wd_msg){
		.op = (uint32_t)op_map[c->op], .src = s->src, .src_len = c->size,
		.dst = s->dst, .dst_len = c->dst_cap, .cookie = s,
	};
	r = wd_send(&l->q, m);
	if (r < 0)
		return wdb_fail(c, r, "wd_send on %s failed: %s", l->q.dev_name, wd_strerror(r));
	return 0;
}

static int lw_reap(struct wdb_worker *w, struct wdb_slot **done, int max)
{
	struct wdb_cell *c = w->cell;
	struct lw *l = w->data;
	int n = 0, r;

	if (l->mode == LW_BATCH) {
		n = wd_recv_wait(&l->q, l->done, max, l->min);
		if (n < 0)
			return wdb_fail(c, n, "wd_recv_wait on %s failed: %s", l->q.dev_name,
					wd_strerror(n));
		goto got;
	}
	if (l->mode == LW_IDLE) {
		void *req;

		r = wd_recv_sync(&l->q, &req);
		if (r < 0)
			return wdb_fail(c, r, "wd_recv_sync on %s failed: %s", l->q.dev_name,
					wd_strerror(r));
		l->done[n++] = req;
	}
	r = wd_recv_batch(&l->q, l->done + n, max - n);
	if (r < 0)
		return wdb_fail(c, r, "wd_recv_batch on %s failed: %s", l->q.dev_name,
				wd_strerror(r));
	n += r;
	/*
	 * Nothing yet: a pause before the next look, as any busy poller
	 * does. On a CPU with a sibling thread it gives the core to the
	 * sibling; under QEMU's TCG it ends the vCPU's turn, so an engine on
	 * another vCPU runs at once instead of after the turn's budget.
	 */
	if (!n)
		wdb_cpu_relax();
got:
	for (int i = 0; i < n; i++) {
		struct wd_msg *m = l->done[i];
		struct wdb_slot *s = m->cookie;

		if (m->status)
			return wdb_fail(c, m->status < 0 ? m->status : -EIO,
					"%s %s of %zu bytes completed with status %d (%s)",
					l->q.dev_name, c->op_name, c->size, m->status,
					strerror(-m->status));
		s->out_len = m->out_len;
		done[i] = s;
	}
	return n;
}

static int lw_engine_stats(struct wdb_worker *w, uint64_t *busy_ns, uint64_t *requests)
{
	struct lw *l = w->data;
	char path[128], line[128];
	unsigned long long v;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_STATS, l->q.dev_name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "busy_ns %llu", &v) == 1) {
			*busy_ns = v;
			found |= 1;
		} else if (sscanf(line, "requests %llu", &v) == 1) {
			*requests = v;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENODATA;
}

/* The CPU of the device's first engine ("engine pid queues parked cpu ..."). */
static int lw_engine_cpu(struct wdb_worker *w)
{
	struct lw *l = w->data;
	char path[128], line[128];
	int idx, pid, nq, parked, cpu = -1;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_ENGINES, l->q.dev_name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d %d %d %d", &idx, &pid, &nq, &parked, &cpu) == 5)
			break;
	fclose(f);
	return cpu;
}

static int write_param(const char *val)
{
	int fd = open(IDLE_US_PARAM, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

static int idle_setup(struct wdb_cell *c)
{
	struct lw_idle *st = calloc(1, sizeof(*st));
	ssize_t n;
	int fd, r;

	if (!st)
		return wdb_fail(c, -ENOMEM, "out of memory");
	fd = open(IDLE_US_PARAM, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(st);
		return wdb_fail(c, r, "libwd-idle needs wdsoft's %s (%s): load wdsoft.ko",
				IDLE_US_PARAM, strerror(-r));
	}
	n = read(fd, st->saved, sizeof(st->saved) - 1);
	close(fd);
	r = n < 0 ? -errno : write_param("0");
	if (r < 0) {
		free(st);
		return wdb_fail(c, r, "libwd-idle parks the engine by writing 0 to %s, which "
				"failed (%s): run it as root", IDLE_US_PARAM, strerror(-r));
	}
	c->path_state = st;
	return 0;
}

static void idle_teardown(struct wdb_cell *c)
{
	struct lw_idle *st = c->path_state;

	if (!st)
		return;
	if (write_param(st->saved) < 0)
		fprintf(stderr, "wdbench: could not restore %s to %s", IDLE_US_PARAM, st->saved);
	free(st);
	c->path_state = NULL;
}

#define ALL_OPS	(WDB_OP_BIT(WDB_MEMCPY) | WDB_OP_BIT(WDB_CRC32C) | \
		 WDB_OP_BIT(WDB_SHA256) | WDB_OP_BIT(WDB_DEFLATE))

const struct wdb_path_ops wdb_path_libwd = {
	.name = "libwd",
	.ops = ALL_OPS,
	.open = lw_open_busy,
	.close = lw_close,
	.submit = lw_submit,
	.reap = lw_reap,
	.engine_stats = lw_engine_stats,
	.engine_cpu = lw_engine_cpu,
};

const struct wdb_path_ops wdb_path_libwd_batch = {
	.name = "libwd-batch",
	.ops = ALL_OPS,
	.open = lw_open_batch,
	.close = lw_close,
	.submit = lw_submit,
	.reap = lw_reap,
	.engine_stats = lw_engine_stats,
	.engine_cpu = lw_engine_cpu,
};

const struct wdb_path_ops wdb_path_libwd_idle = {
	.name = "libwd-idle",
	.ops = ALL_OPS,
	.setup = idle_setup,
	.teardown = idle_teardown,
	.open = lw_open_idle,
	.close = lw_close,
	.submit = lw_submit,
	.reap = lw_reap,
	.engine_stats = lw_engine_stats,
	.engine_cpu = lw_engine_cpu,
};
