// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lease.c - a granted queue, from grant to end, and the table of them.
 *
 * A lease owns its queue end to end, as logind's session devices own
 * theirs. lease_grant() opens the device node, narrows the queue to the
 * lease's algorithms before anyone else holds it, puts the fd in systemd's
 * fd store (this file is the only one that names it there), saves the
 * state file and links the lease to its client and its device.
 * lease_end() stops the queue, takes it out of the store and the state
 * directory, unlinks and frees it. In between, the broker keeps the fd:
 * the client got a copy over SCM_RIGHTS, and the broker's is the handle
 * for UACCE_CMD_REVOKE.
 *
 * A lease counts against the quota of the policy sections that matched its
 * holder: a struct charge, taken at the grant and given back when the
 * lease is freed, whichever way it ends. The table is a balanced tree
 * (glibc tsearch) keyed by id, so lookups and removals stay O(log n) with
 * thousands of clients.
 */
#include "lease.h"

#include <assert.h>
#include <search.h>
#include <time.h>

#include "bus.h"
#include "client.h"
#include "fdstore.h"
#include "manager.h"
#include "msgid.h"
#include "queue.h"
#include "state.h"
#include "util.h"

/* ---- quota charges ---- */

int charge_init(struct charge *ch, struct policy_section **sections, int n)
{
	ch->sections = malloc((size_t)(n ? n : 1) * sizeof(*ch->sections));
	ch->n = 0;
	if (!ch->sections)
		return -ENOMEM;
	memcpy(ch->sections, sections, (size_t)n * sizeof(*sections));
	ch->n = n;
	for (int i = 0; i < n; i++)
		ch->sections[i]->used++;
	return 0;
}

void charge_deinit(struct charge *ch)
{
	for (int i = 0; i < ch->n; i++) {
		/* A section that lost this count would let one lease too many in. */
		assert(ch->sections[i]->used > 0);
		ch->sections[i]->used--;
	}
	free(ch->sections);
	ch->sections = NULL;
	ch->n = 0;
}

int charge_move(struct charge *ch, struct policy_section **sections, int n)
{
	struct charge next;
	int r;

	r = charge_init(&next, sections, n);
	if (r < 0)
		return r;
	charge_deinit(ch);
	*ch = next;
	return 0;
}

/* ---- the table ---- */

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct lease *)a)->id, y = ((const struct lease *)b)->id;

	return x < y ? -1 : x > y;
}

void lease_table_init(struct lease_table *t)
{
	*t = (struct lease_table){ .next_id = 1 };
}

static void nop_free(void *p)
{
	(void)p;
}

void lease_table_deinit(struct lease_table *t)
{
	for (unsigned i = 0; i < t->n_stash; i++)
		close(t->stash[i].fd);
	free(t->stash);
	t->stash = NULL;
	t->n_stash = 0;
	tdestroy(t->root, nop_free);
	t->root = NULL;
}

void lease_table_reserve_id(struct lease_table *t, uint64_t id)
{
	if (id >= t->next_id)
		t->next_id = id + 1;
}

/* A lease in the table with id @id (0: the next free one), charged to nothing. */
static struct lease *lease_new(struct lease_table *t, uint64_t id)
{
	struct lease *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->fd = -1;
	l->id = id ? id : t->next_id;
	lease_table_reserve_id(t, l->id);
	if (!tsearch(l, &t->root, cmp_id)) {
		free(l);
		return NULL;
	}
	t->count++;
	return l;
}

struct lease *lease_find(struct lease_table *t, uint64_t id)
{
	struct lease key = { .id = id };
	void *n = tfind(&key, &t->root, cmp_id);

	return n ? *(struct lease **)n : NULL;
}

/* Out of the table, the charge given back, the fd closed. */
static void lease_free(struct lease_table *t, struct lease *l)
{
	if (tdelete(l, &t->root, cmp_id))
		t->count--;
	charge_deinit(&l->charge);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

struct collect {
	struct lease **v;
	unsigned n;
};

static void collect_one(const void *node, VISIT v, void *ud)
{
	struct collect *c = ud;

	if (v == postorder || v == leaf)
		c->v[c->n++] = *(struct lease *const *)node;
}

int lease_table_collect(struct lease_table *t, struct lease ***out)
{
	struct collect c = { .v = malloc((t->count + 1) * sizeof(struct lease *)) };

	if (!c.v)
		return -ENOMEM;
	twalk_r(t->root, collect_one, &c);
	*out = c.v;
	return (int)c.n;
}

/* ---- one lease ---- */

struct log_ctx lease_ctx(const struct lease *l)
{
	struct log_ctx x = l->client ? client_ctx(l->client) : LOG_CTX_NONE;

	x.device = l->device;
	x.lease = l->id;
	return x;
}

/* The lease's fd in systemd's fd store is named here, and only here. */
#define LEASE_STORE_PREFIX "lease-"

static const char *lease_store_name(uint64_t id, char buf[static 32])
{
	snprintf(buf, 32, LEASE_STORE_PREFIX "%llu", (unsigned long long)id);
	return buf;
}

int lease_parse_store_name(const char *name, uint64_t *id)
{
	size_t n = strlen(LEASE_STORE_PREFIX);
	long long v;

	if (strncmp(name, LEASE_STORE_PREFIX, n) || parse_int(name + n, 1, INT64_MAX, &v) < 0)
		return -EINVAL;
	*id = (uint64_t)v;
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void lease_link(struct lease *l, struct client *c, struct wd_device *d)
{
	l->client = c;
	LIST_PREPEND(by_client, c->leases, l);
	c->n_leases++;
	l->dev = d;
	LIST_PREPEND(by_dev, d->leases, l);
	d->leased++;
}

static void lease_unlink(struct lease *l)
{
	if (l->client) {
		LIST_REMOVE(by_client, l->client->leases, l);
		l->client->n_leases--;
		l->client = NULL;
	}
	if (l->dev) {
		LIST_REMOVE(by_dev, l->dev->leases, l);
		l->dev->leased--;
		l->dev = NULL;
	}
}

/*
 * Narrow a freshly opened queue to its lease's algorithms before anyone
 * else holds it, so the device itself refuses other work: algorithms= in
 * the policy then holds for every descriptor, not only at grant time, and
 * a queue fd passed on keeps the restriction. A uacce without
 * UACCE_CMD_RESTRICT_ALGS (mainline) cannot do this: the grant goes ahead,
 * checked at grant time only, and the journal says so once per device.
 */
static int restrict_queue(struct wd_device *d, int fd, const char *alg,
			  struct log_ctx *ctx)
{
	char names[512];
	int r;

	r = device_lease_algs(d, alg, names, sizeof(names));
	if (r < 0)
		return r;
	r = queue_restrict(fd, names);
	/*
	 * Mainline answers an unknown command with -EINVAL (or -ENOTTY); a
	 * uacce that knows QINFO knows RESTRICT_ALGS too, and its -EINVAL
	 * means the names were refused: never hand that queue out unrestricted.
	 */
	if (r == -EINVAL && queue_knows_restrict(fd))
		return r;
	if (r == -ENOTTY || r == -EINVAL) {
		if (!d->no_restrict_logged)
			log_full(LOG_WARNING, ctx, "device %s cannot restrict a queue to its "
				 "lease's algorithms (%s); its queues can run any algorithm it "
				 "offers, and algorithms= is checked only when granting",
				 d->name, strerror(-r));
		d->no_restrict_logged = true;
		return 0;
	}
	return r;
}

/* A queue on @d narrowed to @alg, or -EAGAIN (logged, counted) to try the next device. */
static int open_restricted(struct manager *m, struct wd_device *d, const char *alg,
			   struct log_ctx *ctx)
{
	_cleanup_(closep) int fd = -1;
	int r;

	ctx->device = d->name;
	fd = queue_open(m->devs->dev_root, d->name);
	if (fd < 0) {
		/* Full (a direct-mode user raced us) or gone: spill. */
		log_full(fd == -EBUSY || fd == -ENOSPC ? LOG_DEBUG : LOG_WARNING, ctx,
			 "opening %s/%s failed: %s; trying the next device",
			 m->devs->dev_root, d->name, strerror(-fd));
		d->stat_open_errors++;
		return -EAGAIN;
	}
	r = restrict_queue(d, fd, alg, ctx);
	if (r < 0) {
		log_full(LOG_ERR, ctx, "cannot restrict a queue on %s to %s: %s; "
			 "trying the next device", d->name, alg, strerror(-r));
		d->stat_open_errors++;
		return -EAGAIN;
	}
	return TAKE_FD(fd);
}

__attribute__((format(printf, 3, 4)))
static int refuse(struct wdp_refusal *rf, int r, const char *fmt, ...)
{
	va_list ap;

	rf->reason = WDP_REASON_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(rf->text, sizeof(rf->text), fmt, ap);
	va_end(ap);
	return r;
}

/*
 * A queue systemd does not keep for us would outlive a restart unaccounted
 * (the next broker could neither count nor revoke it): no grant then.
 */
static int lease_store(struct manager *m, struct lease *l, struct log_ctx *ctx,
		       struct wdp_refusal *rf)
{
	char name[32];
	int r;

	/* lease_new() counted @l already: the store needs room for 0 more. */
	r = manager_fdstore_room(m, 0) ? fdstore_put(lease_store_name(l->id, name), l->fd, false)
				       : -EXFULL;
	if (r >= 0)
		return 0;
	ctx->id = WD_MSGID_FDSTORE_FULL;
	if (r == -EXFULL) {
		log_full(LOG_ERR, ctx, "the fd store is full (%u fds): refusing a %s "
			 "queue the broker could not keep across a restart", m->fdstore_max, l->alg);
		return refuse(rf, r, "the broker's fd store is full; try again when queues are released");
	}
	log_full(LOG_ERR, ctx, "cannot put the queue of lease %llu in the fd store: %s; refusing it",
		 (unsigned long long)l->id, strerror(-r));
	return refuse(rf, r, "the broker cannot keep the queue across its restarts (%s); try again",
		      strerror(-r));
}

int lease_grant(struct manager *m, struct client *c, struct wd_device *d, const char *alg,
		struct policy_section **sections, int n_sections, const char *placed,
		struct lease **out, struct wdp_refusal *rf)
{
	struct log_ctx ctx = client_ctx(c);
	struct lease *l;
	int fd, r;

	fd = open_restricted(m, d, alg, &ctx);
	if (fd < 0)
		return fd;
	l = lease_new(&m->leases, 0);
	if (!l) {
		close(fd);
		return refuse(rf, -ENOMEM, "the broker is out of memory");
	}
	l->fd = fd;
	snprintf(l->device, sizeof(l->device), "%s", d->name);
	snprintf(l->alg, sizeof(l->alg), "%s", alg);
	r = charge_init(&l->charge, sections, n_sections);
	if (r < 0) {
		lease_free(&m->leases, l);
		return refuse(rf, r, "the broker is out of memory");
	}
	r = lease_store(m, l, &ctx, rf);
	if (r < 0) {
		queue_revoke(l->fd);
		lease_free(&m->leases, l);
		return r;
	}
	client_store(c);
	l->granted_usec = now_usec();
	lease_link(l, c, d);
	d->stat_grants++;
	m->stat_grants++;

	ctx = lease_ctx(l);
	r = state_lease_save(m->state_dir, l, c->id);
	if (r < 0)
		log_full(LOG_WARNING, &ctx, "cannot save the state of lease %llu in %s: %s; "
			 "a broker restart will end it", (unsigned long long)l->id,
			 m->state_dir, strerror(-r));
	ctx.id = WD_MSGID_LEASE_GRANTED;
	ctx.alg = l->alg;
	log_full(LOG_INFO, &ctx, "granted %s queue on %s (%s) to user %s",
		 alg, d->name, placed, c->ident.user);
	manager_notify_status(m);
	bus_emit_lease_granted(m, l);
	bus_emit_lease_count(m);
	*out = l;
	return 0;
}

/* Out of the fd store and the state directory, unlinked, freed. */
static void lease_drop(struct manager *m, struct lease *l)
{
	char name[32];

	fdstore_remove(lease_store_name(l->id, name));
	state_lease_remove(m->state_dir, l->id);
	lease_unlink(l);
	lease_free(&m->leases, l);
	manager_notify_status(m);
}

static void lease_log_end(struct manager *m, struct lease *l, const char *by, const char *why,
			  int revoke_err)
{
	struct log_ctx ctx = lease_ctx(l);

	if (revoke_err < 0 && revoke_err != -ENOTTY && revoke_err != -ENODEV)
		log_full(by ? LOG_ERR : LOG_WARNING, &ctx, "lease %llu: %s failed: %s",
			 (unsigned long long)l->id,
			 by ? "UACCE_CMD_REVOKE" : "stopping the queue", strerror(-revoke_err));
	ctx.alg = l->alg;
	if (!by) {
		ctx.id = WD_MSGID_LEASE_RELEASED;
		log_full(LOG_INFO, &ctx, "lease %llu on %s ended (%s)",
			 (unsigned long long)l->id, l->device, why);
		return;
	}
	ctx.id = WD_MSGID_LEASE_REVOKED;
	ctx.by = by;
	log_full(LOG_NOTICE, &ctx, "lease %llu on %s revoked by %s: %s",
		 (unsigned long long)l->id, l->device, by, why);
}

void lease_end(struct manager *m, struct lease *l, const char *by, const char *why)
{
	/*
	 * The quota comes back now, so the queue must stop now: if the holder
	 * passed its fd on, that copy must not outlive the lease.
	 */
	int r = queue_revoke(l->fd);

	lease_log_end(m, l, by, why, r);
	if (!by) {
		if (l->dev)
			l->dev->stat_releases++;
		bus_emit_lease_released(m, l);
	} else {
		m->stat_revokes++;
		if (l->dev)
			l->dev->stat_revokes++;
		if (l->client && l->client->fd >= 0) {
			struct wdp_msg ev = { .type = WDP_EVT_REVOKED, .lease = l->id };

			/* Best effort: the queue fd itself tells the client anyway. */
			wdp_send(l->client->fd, &ev, -1);
		}
		bus_emit_lease_revoked(m, l, why);
	}
	lease_drop(m, l);
	bus_emit_lease_count(m);
}

void lease_forget(struct manager *m, struct lease *l)
{
	lease_unlink(l);
	lease_free(&m->leases, l);
}

/* ---- restart survival ---- */

int lease_stash_consume(struct manager *m, uint64_t id, int fd)
{
	struct lease_table *t = &m->leases;
	struct lease_stash *nv = realloc(t->stash, (t->n_stash + 1) * sizeof(*nv));

	if (!nv) {
		close(fd);
		return -ENOMEM;
	}
	t->stash = nv;
	t->stash[t->n_stash++] = (struct lease_stash){ id, fd };
	/* Never hand out an id an earlier broker used, restored or not. */
	lease_table_reserve_id(t, id);
	return 0;
}

static int lease_adopt(struct manager *m, struct client *c, uint64_t id, int fd,
		       const struct lease_saved *saved)
{
	_cleanup_(freep) struct policy_section **sec = NULL;
	struct wdp_algs algs;
	struct wd_device *d;
	struct lease *l;
	int nsec;

	if (!c)
		return -ENOENT;
	d = devtable_find(m->devs, saved->device);
	if (!d || lease_find(&m->leases, id))
		return -ENOENT;
	if (wdp_algs_parse(saved->alg, &algs, NULL, 0) < 0)
		return -EINVAL;
	nsec = policy_match(m->policy, &c->ident, &sec);
	if (nsec < 0)
		return nsec;
	l = lease_new(&m->leases, id);
	if (!l)
		return -ENOMEM;
	if (charge_init(&l->charge, sec, nsec) < 0) {
		lease_free(&m->leases, l);
		return -ENOMEM;
	}
	l->fd = fd;
	snprintf(l->device, sizeof(l->device), "%s", saved->device);
	snprintf(l->alg, sizeof(l->alg), "%s", saved->alg);
	l->granted_usec = saved->granted_usec ? saved->granted_usec : now_usec();
	lease_link(l, c, d);
	return 0;
}

int lease_restore_consume(struct manager *m, struct client *c, uint64_t id, int fd,
			  const struct lease_saved *saved)
{
	char name[32];
	int r;

	r = lease_adopt(m, c, id, fd, saved);
	if (r >= 0)
		return 0;
	log_notice("lease %llu ended while the broker was down; stopping its queue",
		   (unsigned long long)id);
	queue_revoke(fd);
	close(fd);
	fdstore_remove(lease_store_name(id, name));
	state_lease_remove(m->state_dir, id);
	return r;
}
