// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core.c - runs one benchmark cell: sets up the slots, drives the path for
 * a warm-up and then the measured time, and turns what it saw into a
 * struct wdb_result.
 *
 * Ring paths run in the calling thread with every slot in flight; a slot
 * that completes is checked and sent again until the time is up, then the
 * ring is drained. Threaded paths run `depth` threads that each loop on
 * one slot; the calling thread marks the start and end of the measured
 * window and reports progress. Latency is submit to completion seen by
 * the caller; CPU time is getrusage(RUSAGE_SELF) over the window, i.e.
 * every thread of this process, and never the kernel threads that serve
 * it (wdsoft engines, io_uring's SQPOLL thread).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "core.h"

const char *const wdb_paths[] = {
	"libwd", "libwd-batch", "libwd-idle", "afalg", "uring-sqpoll", "syscall", "inline",
	NULL,
};
const char *const wdb_ops[] = { "memcpy", "crc32c", "sha256", "deflate", NULL };

static const struct wdb_path_ops *const paths[] = {
	&wdb_path_libwd, &wdb_path_libwd_batch, &wdb_path_libwd_idle, &wdb_path_afalg,
	&wdb_path_uring, &wdb_path_syscall, &wdb_path_inline,
};

/* Longest a measured window may be stretched waiting for slow ops. */
#define WDB_MAX_WINDOW_NS	60000000000ULL

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

int wdb_fail(struct wdb_cell *c, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	/* The first failure is the cause; later ones are its consequences. */
	if (c->why && c->why_len && !c->why[0]) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->why_len, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fail_lock);
	return err;
}

uint64_t wdb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

void wdb_hist_add(struct wdb_hist *h, uint64_t ns)
{
	int b = ns ? (int)(log2((double)ns) * 64) : 0;

	if (b >= WDB_HIST_BUCKETS)
		b = WDB_HIST_BUCKETS - 1;
	h->n[b]++;
}

void wdb_hist_merge(struct wdb_hist *to, const struct wdb_hist *from)
{
	for (int i = 0; i < WDB_HIST_BUCKETS; i++)
		to->n[i] += from->n[i];
}

/* The bucket's geometric middle: within ~0.6 % of any value in it. */
double wdb_hist_quantile(const struct wdb_hist *h, double q)
{
	uint64_t total = 0, seen = 0, want;

	for (int i = 0; i < WDB_HIST_BUCKETS; i++)
		total += h->n[i];
	if (!total)
		return 0;
	want = (uint64_t)ceil(q * (double)total);
	if (!want)
		want = 1;
	for (int i = 0; i < WDB_HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= want)
			return exp2(((double)i + 0.5) / 64);
	}
	return 0;
}

static const struct wdb_path_ops *find_path(const char *name)
{
	for (size_t i = 0; name && i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!strcmp(paths[i]->name, name))
			return paths[i];
	return NULL;
}

static int find_op(const char *name)
{
	for (int i = 0; name && wdb_ops[i]; i++)
		if (!strcmp(wdb_ops[i], name))
			return i;
	return -1;
}

bool wdb_supported(const char *path, const char *op)
{
	const struct wdb_path_ops *po = find_path(path);
	int o = find_op(op);

	return po && o >= 0 && (po->ops & WDB_OP_BIT(o));
}

/* What the measuring loop hands back to wdb_run(). */
struct window {
	uint64_t t_warm, t_end;		/* actual window, ns */
	uint64_t cpu_warm, cpu_end;
	uint64_t busy_warm, busy_end, req_warm, req_end;
	bool have_engine;
	int client_cpu, engine_cpu;
	uint64_t ops, checked;
	struct wdb_hist hist;
};

void wdb_tick(struct wdb_progress *pr, uint64_t now)
{
	double f;

	if (!pr->fn || now - pr->last < 100000000ULL)
		return;
	pr->last = now;
	f = (double)(now - pr->t0) / (double)pr->total;
	pr->fn(f > 1 ? 1 : f, pr->arg);
}

/* Where the submitter and the engine run as the window closes. */
static void mark_place(const struct wdb_path_ops *po, struct wdb_worker *w,
		       struct window *win)
{
	win->client_cpu = sched_getcpu();
	win->engine_cpu = po->engine_cpu ? po->engine_cpu(w) : -1;
}

static void mark_engine(const struct wdb_path_ops *po, struct wdb_worker *w,
			uint64_t *busy, uint64_t *req, bool *ok)
{
	if (po->engine_stats)
		*ok = po->engine_stats(w, busy, req) == 0 && *ok;
	else
		*ok = false;
}

static int run_ring(const struct wdb_path_ops *po, struct wdb_worker *w,
		    uint64_t warm_ns, uint64_t run_ns, struct wdb_progress *pr,
		    struct window *win)
{
	struct wdb_cell *c = w->cell;
	struct wdb_slot **done = calloc(w->nslots, sizeof(*done));
	uint64_t t0 = wdb_now_ns(), t_warm = t0 + warm_ns, t_end = t_warm + run_ns;
	bool warm = false, ended = false;
	unsigned int inflight = 0;
	int r = 0;

	if (!done)
		return wdb_fail(c, -ENOMEM, "out of memory");
	win->have_engine = true;
	for (unsigned int i = 0; i < w->nslots; i++) {
		wdb_prepare(c, w->slots[i]);
		w->slots[i]->t_submit = wdb_now_ns();
		r = po->submit(w, w->slots[i]);
		if (r < 0)
			goto out;
		inflight++;
	}
	while (inflight) {
		int n = po->reap(w, done, (int)w->nslots);
		uint64_t now;

		if (n < 0) {
			r = n;
			goto out;
		}
		now = wdb_now_ns();
		/*
		 * The window opens and closes at reaps that took completions,
		 * so it spans whole ops: with ops of 100 ms, a window closed
		 * by an empty look halfway through one counted 4 ops in 0.5 s
		 * instead of 4 in 0.41 s.
		 */
		if (!warm && n > 0 && now >= t_warm) {
			warm = true;
			t_end = now + run_ns;
			win->t_warm = now;
			win->cpu_warm = cpu_ns();
			mark_engine(po, w, &win->busy_warm, &win->req_warm, &win->have_engine);
		}
		/*
		 * It closes at its end once as many ops completed as are in
		 * flight (slow ops at depth 32 would otherwise leave it empty),
		 * or after WDB_MAX_WINDOW_NS regardless. The completions of the
		 * reap that opens it count, those of the one that closes it do
		 * not.
		 */
		if (warm && !ended && now >= t_end &&
		    ((n > 0 && win->ops >= w->nslots) ||
		     now - win->t_warm >= WDB_MAX_WINDOW_NS)) {
			ended = true;
			win->t_end = now;
			win->cpu_end = cpu_ns();
			mark_engine(po, w, &win->busy_end, &win->req_end, &win->have_engine);
			mark_place(po, w, win);
		}
		for (int i = 0; i < n; i++) {
			struct wdb_slot *s = done[i];

			inflight--;
			if (warm && !ended) {
				wdb_hist_add(&win->hist, now - s->t_submit);
				win->ops++;
			}
			r = wdb_check(c, s, &win->checked);
			if (r < 0)
				goto out;
			if (ended)
				continue;
			wdb_prepare(c, s);
			s->t_submit = wdb_now_ns();
			r = po->submit(w, s);
			if (r < 0)
				goto out;
			inflight++;
		}
		wdb_tick(pr, now);
	}
out:
	free(done);
	return r;
}

struct thread_arg {
	const struct wdb_path_ops *po;
	struct wdb_worker *w;
	int *phase;		/* 0 warm-up, 1 measuring, 2 stop */
	uint64_t ops, checked;
	struct wdb_hist hist;
	int err;
	pthread_t tid;
};

static void *run_thread(void *p)
{
	struct thread_arg *a = p;
	struct wdb_cell *c = a->w->cell;
	struct wdb_slot *s = a->w->slots[0];

	for (;;) {
		int phase = __atomic_load_n(a->phase, __ATOMIC_ACQUIRE);
		uint64_t t;

		if (phase == 2)
			break;
		wdb_prepare(c, s);
		t = wdb_now_ns();
		a->err = a->po->run_one(a->w, s);
		t = wdb_now_ns() - t;
		if (!a->err)
			a->err = wdb_check(c, s, &a->checked);
		if (a->err) {
			/* Stop the others too: the run has failed. */
			__atomic_store_n(a->phase, 2, __ATOMIC_RELEASE);
			break;
		}
		if (__atomic_load_n(a->phase, __ATOMIC_ACQUIRE) == 1) {
			wdb_hist_add(&a->hist, t);
			__atomic_store_n(&a->ops, a->ops + 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* Sleep until @until (ns), ticking progress; false if the run failed. */
bool wdb_wait_until(uint64_t until, int *phase, struct wdb_progress *pr)
{
	for (;;) {
		uint64_t now = wdb_now_ns();
		uint64_t left = until > now ? until - now : 0;
		struct timespec ts;

		if (__atomic_load_n(phase, __ATOMIC_ACQUIRE) == 2)
			return false;
		wdb_tick(pr, now);
		if (!left)
			return true;
		if (left > 50000000ULL)
			left = 50000000ULL;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
}

static uint64_t ops_so_far(struct thread_arg *a, unsigned int n)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += __atomic_load_n(&a[i].ops, __ATOMIC_RELAXED);
	return sum;
}

static int run_threads(const struct wdb_path_ops *po, struct wdb_worker *ws,
		       unsigned int nw, uint64_t warm_ns, uint64_t run_ns,
		       struct wdb_progress *pr, struct window *win)
{
	struct thread_arg *a = calloc(nw, sizeof(*a));
	uint64_t t0 = wdb_now_ns();
	unsigned int started = 0;
	int phase = 0, r = 0;

	if (!a)
		return wdb_fail(ws[0].cell, -ENOMEM, "out of memory");
	for (; started < nw; started++) {
		a[started].po = po;
		a[started].w = &ws[started];
		a[started].phase = &phase;
		r = -pthread_create(&a[started].tid, NULL, run_thread, &a[started]);
		if (r < 0) {
			wdb_fail(ws[0].cell, r, "cannot start benchmark thread %u of %u: %s",
				 started + 1, nw, strerror(-r));
			__atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
			break;
		}
	}
	if (!r && wdb_wait_until(t0 + warm_ns, &phase, pr)) {
		win->t_warm = wdb_now_ns();
		win->cpu_warm = cpu_ns();
		__atomic_store_n(&phase, 1, __ATOMIC_RELEASE);
		/* From the actual start: a busy machine may wake us late. */
		bool ok = wdb_wait_until(win->t_warm + run_ns, &phase, pr);

		/* As run_ring(): at least one op per thread, within the cap. */
		while (ok && ops_so_far(a, started) < nw &&
		       wdb_now_ns() - win->t_warm < WDB_MAX_WINDOW_NS)
			ok = wdb_wait_until(wdb_now_ns() + 20000000ULL, &phase, pr);
		if (ok) {
			__atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
			win->t_end = wdb_now_ns();
			win->cpu_end = cpu_ns();
		}
	}
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(a[i].tid, NULL);
		if (!r && a[i].err)
			r = a[i].err;
		win->ops += a[i].ops;
		win->checked += a[i].checked;
		wdb_hist_merge(&win->hist, &a[i].hist);
	}
	free(a);
	return r;
}

static void free_slots(struct wdb_cell *c)
{
	for (unsigned int i = 0; c->slots && i < c->nslots; i++) {
		free(c->slots[i].src);
		free(c->slots[i].dst);
	}
	free(c->slots);
	c->slots = NULL;
}

static int alloc_slots(struct wdb_cell *c)
{
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	for (unsigned int i = 0; i < c->nslots; i++) {
		struct wdb_slot *s = &c->slots[i];

		s->idx = i;
		if (posix_memalign((void **)&s->src, 4096, c->size) ||
		    posix_memalign((void **)&s->dst, 4096, c->dst_cap)) {
			free_slots(c);
			return -ENOMEM;
		}
		memset(s->dst, 0, c->dst_cap);
		wdb_fill_source(c, s);
	}
	return 0;
}

static int check_params(const struct wdb_params *p, const struct wdb_path_ops **po,
			int *op, char *why, size_t why_len)
{
	*po = find_path(p->path);
	*op = find_op(p->op);
	if (!*po) {
		snprintf(why, why_len, "unknown path \"%s\": use libwd, libwd-batch, libwd-idle, afalg, "
			 "uring-sqpoll, syscall or inline", p->path ? p->path : "(null)");
		return -EINVAL;
	}
	if (*op < 0) {
		snprintf(why, why_len, "unknown op \"%s\": use memcpy, crc32c, sha256 or deflate",
			 p->op ? p->op : "(null)");
		return -EINVAL;
	}
	if (!p->size || p->size > (64U << 20) || !p->depth || p->depth > 256 ||
	    !(p->seconds > 0) || p->seconds > 3600) {
		snprintf(why, why_len, "size must be 1 B..64 MiB, depth 1..256 and seconds "
			 "above 0 and at most 3600");
		return -EINVAL;
	}
	if (!((*po)->ops & WDB_OP_BIT(*op))) {
		snprintf(why, why_len, "path %s does not do %s: %s", p->path, p->op,
			 (*po)->no_op_why);
		return -EOPNOTSUPP;
	}
	return 0;
}

int wdb_run(const struct wdb_params *p, struct wdb_result *r,
	    void (*progress)(double fraction, void *arg), void *arg,
	    char *why, size_t why_len)
{
	const struct wdb_path_ops *po;
	struct wdb_cell c = { .p = p, .file_fd = -1, .why = why, .why_len = why_len };
	struct wdb_worker *ws = NULL;
	struct window *win = NULL;
	unsigned int nw, opened = 0;
	uint64_t run_ns, warm_ns;
	struct wdb_progress pr;
	cpu_set_t saved;
	int op, ret;
	double secs;

	if (why && why_len)
		why[0] = 0;
	memset(r, 0, sizeof(*r));
	ret = check_params(p, &po, &op, why, why_len);
	if (ret < 0)
		return ret;
	c.op = (enum wdb_op)op;
	c.op_name = p->op;
	c.size = p->size;
	c.dst_cap = c.op == WDB_MEMCPY ? p->size : c.op == WDB_CRC32C ? 4 :
		    c.op == WDB_SHA256 ? 32 : compressBound((uLong)p->size) + 64;
	c.nslots = p->depth;
	run_ns = (uint64_t)(p->seconds * 1e9);
	/* A quarter of the run, 50 ms..500 ms: caches, page tables, engines awake. */
	warm_ns = run_ns / 4;
	warm_ns = warm_ns < 50000000ULL ? 50000000ULL : warm_ns > 500000000ULL ? 500000000ULL : warm_ns;
	pr = (struct wdb_progress){ progress, arg, wdb_now_ns(), warm_ns + run_ns, 0 };

	if (p->pin) {
		/* Before any worker exists: its threads and queues start here. */
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(p->cpu, &one);
		if (p->cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
		    sched_setaffinity(0, sizeof(one), &one) < 0)
			return wdb_fail(&c, -EINVAL, "cannot run on CPU %u: %s; pick an online one",
					p->cpu, p->cpu >= CPU_SETSIZE ? "no such CPU" : strerror(errno));
	}
	if (alloc_slots(&c) < 0) {
		ret = wdb_fail(&c, -ENOMEM, "out of memory for %u buffers of %zu bytes",
			       c.nslots, c.size);
		goto out_pin;
	}
	nw = po->threaded ? p->depth : 1;
	ws = calloc(nw, sizeof(*ws));
	win = calloc(1, sizeof(*win));
	if (!ws || !win) {
		ret = wdb_fail(&c, -ENOMEM, "out of memory");
		goto out_slots;
	}
	ret = po->setup ? po->setup(&c) : 0;
	if (ret < 0)
		goto out_slots;
	for (; opened < nw; opened++) {
		struct wdb_worker *w = &ws[opened];

		w->cell = &c;
		w->idx = opened;
		w->nslots = po->threaded ? 1 : c.nslots;
		w->slots = calloc(w->nslots, sizeof(*w->slots));
		if (!w->slots) {
			ret = wdb_fail(&c, -ENOMEM, "out of memory");
			break;
		}
		for (unsigned int i = 0; i < w->nslots; i++)
			w->slots[i] = &c.slots[po->threaded ? opened : i];
		ret = po->open ? po->open(w) : 0;
		if (ret < 0) {
			free(w->slots);
			break;
		}
	}
	if (!ret)
		ret = po->threaded ? run_threads(po, ws, nw, warm_ns, run_ns, &pr, win) :
				     run_ring(po, ws, warm_ns, run_ns, &pr, win);
	for (unsigned int i = 0; i < opened; i++) {
		if (po->close)
			po->close(&ws[i]);
		free(ws[i].slots);
	}
	if (po->teardown)
		po->teardown(&c);
	if (ret < 0)
		goto out_slots;
	if (!win->ops || win->t_end <= win->t_warm) {
		ret = wdb_fail(&c, -ETIME, "%s %s: no op completed in the measured %.2f s",
			       p->path, p->op, p->seconds);
		goto out_slots;
	}
	secs = (double)(win->t_end - win->t_warm) / 1e9;
	r->ops = win->ops;
	r->bytes = win->ops * p->size;
	r->seconds = secs;
	r->ops_per_sec = (double)win->ops / secs;
	r->bytes_per_sec = (double)r->bytes / secs;
	r->p50_ns = wdb_hist_quantile(&win->hist, 0.50);
	r->p99_ns = wdb_hist_quantile(&win->hist, 0.99);
	r->cpu_ns_per_op = (double)(win->cpu_end - win->cpu_warm) / (double)win->ops;
	r->checked = win->checked;
	r->client_cpu = p->pin ? (int)p->cpu : po->threaded ? -1 : win->client_cpu;
	r->engine_cpu = po->threaded ? -1 : win->engine_cpu;
	if (win->have_engine && win->req_end > win->req_warm)
		r->engine_busy_ns_per_op = (double)(win->busy_end - win->busy_warm) /
					   (double)(win->req_end - win->req_warm);
	if (progress)
		progress(1.0, arg);
out_slots:
	free_slots(&c);
	free(ws);
	free(win);
out_pin:
	if (p->pin)
		sched_setaffinity(0, sizeof(saved), &saved);
	return ret;
}
