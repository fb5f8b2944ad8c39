// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * manager.c - the broker's core: event loop, client connections, requests.
 *
 * One thread, one sd-event loop. The listening socket comes from systemd
 * (socket activation) or is created for development (--socket). Each client
 * connection is a SOCK_SEQPACKET socket read one message per wake-up, so a
 * flood from one client cannot starve the others; a malformed message
 * closes only that connection. Leases hang off their client and their
 * device in doubly linked lists and are found by id in a tree, so every
 * request costs O(log n) in the number of leases plus the (small) number
 * of devices.
 *
 * Quota counters live in the policy sections; each lease remembers which
 * sections it is charged to. A reload builds the new policy completely,
 * re-charges every lease to the new sections, then revokes what the new
 * policy no longer allows (newest leases first) before freeing the old one.
 */
#include "manager.h"

#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "bus.h"
#include "fdpass.h"
#include "log.h"
#include "msgid.h"
#include "peer.h"
#include "placement.h"
#include "reaper.h"
#include "state.h"
#include "util.h"

static struct log_ctx client_ctx(const struct client *c)
{
	return (struct log_ctx){
		.user = c->ident.user,
		.uid = c->ident.uid,
		.pid = c->ident.pid,
		.unit = c->ident.unit,
	};
}

static struct log_ctx lease_ctx(const struct lease *l)
{
	struct log_ctx x = l->client ? client_ctx(l->client) : LOG_CTX_NONE;

	x.device = l->device;
	x.lease = l->id;
	return x;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static int status_flush(sd_event_source *s, uint64_t usec, void *ud)
{
	struct manager *m = ud;

	sd_notifyf(0, "STATUS=%u device(s), %u client(s), %u lease(s)",
		   m->devs->n, m->n_clients, m->leases.count);
	return 0;
}

void manager_defer(struct manager *m, sd_event_source *timer, unsigned ms,
		   sd_event_time_handler_t flush)
{
	int enabled = SD_EVENT_OFF;

	if (!timer) {
		flush(NULL, 0, m);
		return;
	}
	if (sd_event_source_get_enabled(timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	if (sd_event_source_set_time_relative(timer, ms * 1000ULL) < 0 ||
	    sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT) < 0)
		flush(NULL, 0, m);
}

/*
 * Every connection, grant and release changes the status line. Each
 * sd_notify() is a datagram PID 1 must parse, and the socket blocks when
 * PID 1 falls behind: under a flood of requests that stalled the broker.
 * So the line is sent once per WDBROKERD_STATUS_DELAY_MS at most.
 */
static void notify_status(struct manager *m)
{
	manager_defer(m, m->status_timer, WDBROKERD_STATUS_DELAY_MS, status_flush);
}

/* ---- leases ---- */

static void lease_unlink(struct manager *m, struct lease *l)
{
	struct client *c = l->client;
	struct wd_device *d = l->dev;

	if (c) {
		if (l->client_prev)
			l->client_prev->client_next = l->client_next;
		else
			c->leases = l->client_next;
		if (l->client_next)
			l->client_next->client_prev = l->client_prev;
		c->n_leases--;
		l->client = NULL;
	}
	if (d) {
		if (l->dev_prev)
			l->dev_prev->dev_next = l->dev_next;
		else
			d->leases = l->dev_next;
		if (l->dev_next)
			l->dev_next->dev_prev = l->dev_prev;
		d->leased--;
		l->dev = NULL;
	}
}

static void lease_link(struct lease *l, struct client *c, struct wd_device *d)
{
	l->client = c;
	l->client_prev = NULL;
	l->client_next = c->leases;
	if (c->leases)
		c->leases->client_prev = l;
	c->leases = l;
	c->n_leases++;

	l->dev = d;
	l->dev_prev = NULL;
	l->dev_next = d->leases;
	if (d->leases)
		d->leases->dev_prev = l;
	d->leases = l;
	d->leased++;
}

static void lease_drop(struct manager *m, struct lease *l)
{
	char name[32];

	snprintf(name, sizeof(name), "lease-%llu", (unsigned long long)l->id);
	fdstore_remove(name);
	state_lease_remove(m->state_dir, l->id);
	lease_unlink(m, l);
	lease_free(&m->leases, l);
	notify_status(m);
}

void manager_release_lease(struct manager *m, struct lease *l, const char *why)
{
	struct log_ctx ctx = lease_ctx(l);
	int r;

	if (l->dev)
		l->dev->stat_releases++;
	/*
	 * The quota comes back now, so the queue must stop now: if the holder
	 * passed its fd on, that copy must not outlive the lease.
	 */
	r = fdpass_revoke(l->dupfd);
	if (r < 0 && r != -ENOTTY && r != -ENODEV)
		log_full(LOG_WARNING, &ctx, "lease %llu: stopping the queue failed: %s",
			 (unsigned long long)l->id, strerror(-r));
	ctx.id = WD_MSGID_LEASE_RELEASED;
	ctx.alg = l->alg;
	log_full(LOG_INFO, &ctx, "lease %llu on %s ended (%s)",
		 (unsigned long long)l->id, l->device, why);
	bus_emit_lease_released(m, l);
	lease_drop(m, l);
	bus_emit_lease_count(m);
}

void manager_revoke_lease(struct manager *m, struct lease *l, const char *by, const char *why)
{
	struct log_ctx ctx = lease_ctx(l);
	int r;

	r = fdpass_revoke(l->dupfd);
	if (r < 0 && r != -ENOTTY && r != -ENODEV)
		log_full(LOG_ERR, &ctx, "lease %llu: UACCE_CMD_REVOKE failed: %s",
			 (unsigned long long)l->id, strerror(-r));
	m->stat_revokes++;
	if (l->dev)
		l->dev->stat_revokes++;
	ctx.id = WD_MSGID_LEASE_REVOKED;
	ctx.alg = l->alg;
	ctx.by = by;
	log_full(LOG_NOTICE, &ctx, "lease %llu on %s revoked by %s: %s",
		 (unsigned long long)l->id, l->device, by, why);
	if (l->client && l->client->fd >= 0) {
		struct wdp_msg ev = { .type = WDP_EVT_REVOKED, .lease = l->id };

		/* Best effort: the queue fd itself tells the client anyway. */
		wdp_send(l->client->fd, &ev, -1);
	}
	bus_emit_lease_revoked(m, l, why);
	lease_drop(m, l);
	bus_emit_lease_count(m);
}

/* ---- clients ---- */

struct uid_count {
	uid_t uid;
	unsigned n;
};

static int cmp_uid(const void *a, const void *b)
{
	uid_t x = ((const struct uid_count *)a)->uid, y = ((const struct uid_count *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Count @c against its uid; false if the uid is at its limit. */
static bool conn_count_add(struct manager *m, struct client *c, bool enforce)
{
	struct uid_count key = { .uid = c->ident.uid }, *e, **slot;

	slot = tfind(&key, &m->conn_per_uid, cmp_uid);
	e = slot ? *slot : NULL;
	if (e && enforce && c->ident.uid != 0 && e->n >= m->max_conn_per_user)
		return false;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return false;
		e->uid = c->ident.uid;
		if (!tsearch(e, &m->conn_per_uid, cmp_uid)) {
			free(e);
			return false;
		}
	}
	e->n++;
	c->counted = true;
	return true;
}

static void conn_count_del(struct manager *m, struct client *c)
{
	struct uid_count key = { .uid = c->ident.uid }, **slot;

	if (!c->counted)
		return;
	c->counted = false;
	slot = tfind(&key, &m->conn_per_uid, cmp_uid);
	if (slot && --(*slot)->n == 0) {
		struct uid_count *e = *slot;

		tdelete(&key, &m->conn_per_uid, cmp_uid);
		free(e);
	}
}

struct client *client_new(struct manager *m, int fd, const char *bus_name)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->m = m;
	c->fd = fd;
	c->id = ++m->next_client_id;
	if (bus_name) {
		c->bus_name = strdup(bus_name);
		if (!c->bus_name) {
			free(c);
			return NULL;
		}
	}
	c->next = m->clients;
	if (m->clients)
		m->clients->prev = c;
	m->clients = c;
	m->n_clients++;
	return c;
}

void client_free(struct client *c)
{
	struct manager *m;

	if (!c)
		return;
	m = c->m;
	while (c->leases)
		manager_release_lease(m, c->leases, "client hung up");
	conn_count_del(m, c);
	if (c->stored)
		m->n_conns_stored--;
	sd_event_source_disable_unref(c->io);
	sd_bus_track_unref(c->track);
	if (c->fd >= 0) {
		/*
		 * A stored connection has a second copy in systemd's fd store,
		 * which PID 1 polls (it went in without FDPOLL=0). Shutting the
		 * socket down both ways makes that copy report EPOLLHUP, so PID 1
		 * drops it by itself and the peer sees end-of-file: one datagram
		 * to PID 1 fewer per connection than an FDSTOREREMOVE.
		 */
		if (c->stored)
			shutdown(c->fd, SHUT_RDWR);
		/* Unread messages may carry fds that block when released. */
		reaper_close(c->fd, NULL);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		m->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->n_clients--;
	identity_clear(&c->ident);
	free(c->bus_name);
	free(c);
	notify_status(m);
}

struct client *manager_find_bus_client(struct manager *m, const char *bus_name)
{
	/* D-Bus clients are few (admin tools); a scan is fine. */
	for (struct client *c = m->clients; c; c = c->next)
		if (c->bus_name && !strcmp(c->bus_name, bus_name))
			return c;
	return NULL;
}

/* ---- requests ---- */

__attribute__((format(printf, 3, 4)))
static int refuse(struct queue_result *res, enum wdp_reason reason, const char *fmt, ...)
{
	va_list ap;

	res->refusal.reason = reason;
	va_start(ap, fmt);
	vsnprintf(res->refusal.text, sizeof(res->refusal.text), fmt, ap);
	va_end(ap);
	return wdp_reason_errno(reason);
}

static int client_node(struct manager *m, struct client *c, const struct wdp_queue_req *req)
{
	int cpu;

	if (req->node >= 0)
		return req->node;
	if (c->ident.pid <= 0)
		return -1;
	cpu = peer_cpu(c->ident.pid);
	return cpu < 0 ? -1 : devtable_cpu_node(m->devs, cpu);
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
	r = fdpass_restrict(fd, names);
	/*
	 * Mainline answers an unknown command with -EINVAL (or -ENOTTY); a
	 * uacce that knows QINFO knows RESTRICT_ALGS too, and its -EINVAL
	 * means the names were refused: never hand that queue out unrestricted.
	 */
	if (r == -EINVAL && fdpass_knows_restrict(fd))
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

/* Room for @n more fds in systemd's fd store, as far as the broker knows. */
static bool fdstore_room(struct manager *m, unsigned n)
{
	return !m->fdstore_max || m->n_conns_stored + m->leases.count + n <= m->fdstore_max;
}

/*
 * Put @c's connection in the fd store, once, when it gets its first lease:
 * only a connection holding leases has anything a restart must keep. A
 * connection that never holds one costs PID 1 nothing, which matters when
 * clients connect per request and most requests are refused as busy.
 */
static void client_store(struct client *c)
{
	struct log_ctx ctx = client_ctx(c);
	struct manager *m = c->m;
	char name[32];
	int r = 0;

	if (c->stored || c->fd < 0 || !fdstore_enabled())
		return;
	ctx.id = WD_MSGID_FDSTORE_FULL;
	if (!fdstore_room(m, 1)) {
		/* Still served; only a restart would end its leases. */
		log_full(LOG_WARNING, &ctx, "the fd store is full (%u fds): the connection stays "
			 "out of it, and its leases will end if the broker restarts", m->fdstore_max);
		return;
	}
	snprintf(name, sizeof(name), "conn-%llu", (unsigned long long)c->id);
	r = fdstore_put(name, c->fd, true);
	if (r < 0) {
		log_full(LOG_WARNING, &ctx, "cannot put the connection in the fd store: %s; "
			 "its leases will end if the broker restarts", strerror(-r));
		return;
	}
	c->stored = true;
	m->n_conns_stored++;
}

/*
 * Tell the journal once when a device turns isolated, and when it is back.
 * The kernel sends no uevent when it isolates a device after hardware
 * errors, so this runs wherever the broker re-reads a device's attributes:
 * a request, a rescan, a udev "change".
 */
static void report_isolation(struct wd_device *d)
{
	struct log_ctx ctx = LOG_CTX_NONE;

	if (d->isolated == d->isolated_logged)
		return;
	d->isolated_logged = d->isolated;
	ctx.device = d->name;
	if (d->isolated) {
		ctx.id = WD_MSGID_DEVICE_ISOLATED;
		log_full(LOG_WARNING, &ctx, "device %s is isolated after hardware errors; no new "
			 "queues are placed on it", d->name);
	} else {
		log_full(LOG_NOTICE, &ctx, "device %s is no longer isolated", d->name);
	}
}

/* The first algorithm of @a that no device offers, or NULL. */
static const char *unoffered_alg(struct devtable *t, const struct wdp_algs *a)
{
	for (unsigned int i = 0; i < a->n; i++) {
		bool offered = false;

		for (unsigned int j = 0; j < t->n && !offered; j++)
			offered = device_has_alg(t->v[j], a->name[i]);
		if (!offered)
			return a->name[i];
	}
	return NULL;
}

int manager_request_queue(struct manager *m, struct client *c,
			  const struct wdp_queue_req *req, struct queue_result *res)
{
	_cleanup_(freep) struct policy_section **sec = NULL;
	_cleanup_(freep) struct place_cand *cand = NULL;
	_cleanup_(freep) struct wd_device **cdev = NULL;
	_cleanup_(freep) int *order = NULL;
	struct log_ctx ctx = client_ctx(c);
	struct policy_section *deny = NULL, *full;
	const char *refused = NULL, *missing = NULL;
	enum placement mode;
	int nsec, ncand = 0, n_alg = 0, n_allowed = 0, n_free_any = 0, k, node, r;
	char label[300], bad[WDP_TEXT_MAX];
	struct wdp_algs algs;
	struct lease *l;

	memset(res, 0, sizeof(*res));
	res->fd = -1;

	/* The decoder and the D-Bus method checked it; this is the last word. */
	if (wdp_algs_parse(req->alg, &algs, bad, sizeof(bad)) < 0)
		return refuse(res, WDP_REASON_PROTOCOL, "%s", bad);

	nsec = policy_match(m->policy, &c->ident, &sec);
	if (nsec < 0)
		return refuse(res, WDP_REASON_INTERNAL, "the broker is out of memory");

	/* One name refused refuses the whole set: a lease is all or nothing. */
	if (!policy_algs_allowed(sec, nsec, &algs, &deny, &refused))
		return refuse(res, WDP_REASON_ALG_DENIED,
			      "algorithm %s is not allowed for user %s by policy section %s%s%s%s",
			      refused, c->ident.user,
			      policy_section_label(deny, label, sizeof(label)),
			      algs.n > 1 ? ", so the set " : "", algs.n > 1 ? req->alg : "",
			      algs.n > 1 ? " is refused" : "");
	full = policy_quota_full(sec, nsec, 1);
	if (full) {
		char text[WDP_TEXT_MAX];

		policy_quota_text(full, text, sizeof(text));
		ctx.id = WD_MSGID_QUOTA_REFUSED;
		ctx.alg = req->alg;
		log_full(LOG_NOTICE, &ctx, "refused a %s queue to user %s: %s of policy section %s",
			 req->alg, c->ident.user, text, policy_section_label(full, label, sizeof(label)));
		if (full->kind == SEC_GLOBAL || full->kind == SEC_USER)
			return refuse(res, policy_quota_reason(full), "%s", text);
		return refuse(res, policy_quota_reason(full), "%s (user %s)", text, c->ident.user);
	}

	cand = calloc(m->devs->n + 1, sizeof(*cand));
	cdev = calloc(m->devs->n + 1, sizeof(*cdev));
	order = calloc(m->devs->n + 1, sizeof(*order));
	if (!cand || !cdev || !order)
		return refuse(res, WDP_REASON_INTERNAL, "the broker is out of memory");

	if (req->device[0] && !devtable_find(m->devs, req->device))
		return refuse(res, WDP_REASON_NO_DEVICE, "there is no accelerator device named %s",
			      req->device);

	for (unsigned i = 0; i < m->devs->n; i++) {
		struct wd_device *d = m->devs->v[i];
		struct place_cand *pc;

		if (req->device[0] && strcmp(d->name, req->device))
			continue;
		if (!device_has_algs(d, &algs, &missing))
			continue;
		n_alg++;
		device_refresh(m->devs, d);
		report_isolation(d);
		pc = &cand[ncand];
		cdev[ncand++] = d;
		pc->name = d->name;
		pc->node = d->node;
		pc->free = d->available;
		pc->leased = d->leased;
		pc->isolated = d->isolated;
		pc->allowed = policy_device_allowed(sec, nsec, d->name);
		if (pc->allowed) {
			n_allowed++;
			if (!pc->isolated && pc->free > 0)
				n_free_any++;
		}
	}
	if (!n_alg) {
		if (req->device[0])
			return refuse(res, WDP_REASON_NO_DEVICE, "device %s does not offer algorithm %s",
				      req->device, missing);
		missing = unoffered_alg(m->devs, &algs);
		if (missing)
			return refuse(res, WDP_REASON_NO_DEVICE,
				      "no accelerator device offers algorithm %s", missing);
		return refuse(res, WDP_REASON_NO_DEVICE,
			      "no accelerator device offers all of %s on one queue", req->alg);
	}
	if (!n_allowed)
		return refuse(res, WDP_REASON_DEVICE_DENIED,
			      "policy allows user %s none of the devices offering %s",
			      c->ident.user, req->alg);

	node = client_node(m, c, req);
	mode = (req->flags & WDP_QUEUE_NODE_STRICT) ? PLACE_STRICT_NODE
						     : policy_placement(sec, nsec);
	k = placement_order(m->devs, cand, ncand, node, mode, order);
	if (!k) {
		if (mode == PLACE_STRICT_NODE && n_free_any)
			return refuse(res, WDP_REASON_NODE,
				      "no free %s queue on NUMA node %d, and placement is strict-node",
				      req->alg, node);
		return refuse(res, WDP_REASON_BUSY,
			      "all %d device(s) offering %s are busy or isolated; try again later",
			      n_allowed, req->alg);
	}

	for (int i = 0; i < k; i++) {
		struct wd_device *d = cdev[order[i]];
		char name[32];
		int fd;

		fd = fdpass_open_queue(m->devs->dev_root, d->name);
		if (fd < 0) {
			/* Full (a direct-mode user raced us) or gone: spill. */
			ctx.device = d->name;
			log_full(fd == -EBUSY || fd == -ENOSPC ? LOG_DEBUG : LOG_WARNING, &ctx,
				 "opening %s/%s failed: %s; trying the next device",
				 m->devs->dev_root, d->name, strerror(-fd));
			d->stat_open_errors++;
			continue;
		}
		ctx.device = d->name;
		r = restrict_queue(d, fd, req->alg, &ctx);
		if (r < 0) {
			log_full(LOG_ERR, &ctx, "cannot restrict a queue on %s to %s: %s; "
				 "trying the next device", d->name, req->alg, strerror(-r));
			close(fd);
			d->stat_open_errors++;
			continue;
		}
		l = lease_new(&m->leases, 0);
		if (!l || lease_charge(l, sec, nsec) < 0) {
			if (l)
				lease_free(&m->leases, l);
			close(fd);
			return refuse(res, WDP_REASON_INTERNAL, "the broker is out of memory");
		}
		/*
		 * A queue systemd does not keep for us would outlive a restart
		 * unaccounted (the next broker could neither count nor revoke
		 * it): no grant then.
		 */
		snprintf(name, sizeof(name), "lease-%llu", (unsigned long long)l->id);
		/* lease_new() counted @l already: the store needs room for 0 more. */
		r = fdstore_room(m, 0) ? fdstore_put(name, fd, false) : -EXFULL;
		if (r < 0) {
			ctx.device = d->name;
			ctx.id = WD_MSGID_FDSTORE_FULL;
			if (r == -EXFULL)
				log_full(LOG_ERR, &ctx, "the fd store is full (%u fds): refusing a %s "
					 "queue the broker could not keep across a restart",
					 m->fdstore_max, req->alg);
			else
				log_full(LOG_ERR, &ctx, "cannot put the queue of lease %llu in the fd "
					 "store: %s; refusing it", (unsigned long long)l->id,
					 strerror(-r));
			lease_free(&m->leases, l);
			fdpass_revoke(fd);
			close(fd);
			if (r == -EXFULL)
				return refuse(res, WDP_REASON_INTERNAL,
					      "the broker's fd store is full; try again when queues are released");
			return refuse(res, WDP_REASON_INTERNAL,
				      "the broker cannot keep the queue across its restarts (%s); try again",
				      strerror(-r));
		}
		client_store(c);
		l->dupfd = fd;
		snprintf(l->device, sizeof(l->device), "%s", d->name);
		snprintf(l->alg, sizeof(l->alg), "%s", req->alg);
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
		log_full(LOG_INFO, &ctx, "granted %s queue on %s (node %d, client node %d, %s) to user %s",
			 req->alg, d->name, d->node, node, placement_name(mode), c->ident.user);
		res->lease = l;
		res->fd = fd;
		notify_status(m);
		bus_emit_lease_granted(m, l);
		bus_emit_lease_count(m);
		return 0;
	}
	return refuse(res, WDP_REASON_BUSY,
		      "all %d device(s) offering %s are busy or isolated; try again later",
		      n_allowed, req->alg);
}

static void fill_wire_lease(const struct lease *l, struct wdp_lease *w)
{
	memset(w, 0, sizeof(*w));
	w->id = l->id;
	snprintf(w->device, sizeof(w->device), "%s", l->device);
	snprintf(w->api, sizeof(w->api), "%s", l->dev && wdp_name_valid(l->dev->api) ?
		 l->dev->api : "unknown");
	snprintf(w->alg, sizeof(w->alg), "%s", l->alg);
	w->node = l->dev ? l->dev->node : -1;
	w->flags = l->dev ? l->dev->flags : 0;
}

static int send_refusal(struct client *c, uint32_t seq, const struct wdp_refusal *rf)
{
	struct wdp_msg rep = { .type = WDP_REP_REFUSE, .seq = seq, .refusal = *rf };

	return wdp_send(c->fd, &rep, -1);
}

/* Handle one request; returns < 0 to drop the connection. */
static int client_handle(struct client *c, const struct wdp_msg *req)
{
	struct manager *m = c->m;
	struct log_ctx ctx = client_ctx(c);
	struct wdp_msg rep = { .seq = req->seq };

	switch (req->type) {
	case WDP_REQ_QUEUE: {
		struct queue_result res;
		int r;

		r = manager_request_queue(m, c, &req->queue, &res);
		if (r < 0) {
			m->stat_refusals++;
			log_full(LOG_INFO, &ctx, "refused %s queue: %s (%s)", req->queue.alg,
				 res.refusal.text, wdp_reason_name(res.refusal.reason));
			return send_refusal(c, req->seq, &res.refusal);
		}
		rep.type = WDP_REP_GRANT;
		fill_wire_lease(res.lease, &rep.grant);
		r = wdp_send(c->fd, &rep, res.fd);
		if (r < 0) {
			manager_release_lease(m, res.lease, "grant could not be sent");
			return r;
		}
		return 0;
	}
	case WDP_REQ_RELEASE: {
		struct lease *l = lease_find(&m->leases, req->lease);

		if (!l || l->client != c) {
			struct wdp_refusal rf = { .reason = WDP_REASON_NO_LEASE };

			snprintf(rf.text, sizeof(rf.text), "this connection holds no lease %llu",
				 (unsigned long long)req->lease);
			return send_refusal(c, req->seq, &rf);
		}
		manager_release_lease(m, l, "released by the client");
		rep.type = WDP_REP_RELEASED;
		rep.lease = req->lease;
		return wdp_send(c->fd, &rep, -1);
	}
	case WDP_REQ_LIST: {
		struct wdp_lease v[WDP_LIST_MAX];
		uint32_t n = 0;

		for (struct lease *l = c->leases; l && n < WDP_LIST_MAX; l = l->client_next)
			fill_wire_lease(l, &v[n++]);
		rep.type = WDP_REP_LEASES;
		rep.list.count = n;
		rep.list.total = c->n_leases;
		rep.list.leases = v;
		return wdp_send(c->fd, &rep, -1);
	}
	default: {
		/* A reply type sent by a client: not a request. */
		log_full(LOG_WARNING, &ctx, "closing connection: client sent a %s message",
			 wdp_type_name(req->type));
		m->stat_protocol_errors++;
		return -EBADMSG;
	}
	}
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct client *c = ud;
	struct manager *m = c->m;
	struct log_ctx ctx = client_ctx(c);
	struct wdp_msg req;
	const char *why = NULL;
	int r;

	r = wdp_recv_discard(c->fd, &req, NULL, &why, reaper_close, NULL);
	if (r == -EAGAIN)
		return 0;
	if (r == -EPROTONOSUPPORT) {
		struct wdp_refusal rf = { .reason = WDP_REASON_VERSION };

		snprintf(rf.text, sizeof(rf.text),
			 "protocol version %u is not supported; this broker speaks versions %d to %d",
			 req.version, WDP_VERSION_MIN, WDP_VERSION);
		send_refusal(c, req.seq, &rf);
		log_full(LOG_WARNING, &ctx, "closing connection: protocol version %u", req.version);
		m->stat_protocol_errors++;
		client_free(c);
		return 0;
	}
	if (r == -ECONNRESET || r == -EPIPE) {
		log_full(LOG_DEBUG, &ctx, "client disconnected");
		client_free(c);
		return 0;
	}
	if (r < 0) {
		log_full(LOG_WARNING, &ctx, "closing connection: %s",
			 r == -EBADMSG && why ? why : strerror(-r));
		m->stat_protocol_errors++;
		client_free(c);
		return 0;
	}
	r = client_handle(c, &req);
	wdp_msg_clear(&req);
	if (r < 0) {
		if (r != -EBADMSG)
			log_full(LOG_DEBUG, &ctx, "closing connection: %s", strerror(-r));
		client_free(c);
	}
	return 0;
}

static int accept_resume(sd_event_source *s, uint64_t usec, void *ud)
{
	struct manager *m = ud;

	return sd_event_source_set_enabled(m->listen_io, SD_EVENT_ON);
}

/*
 * accept() (or identifying the new peer) failed for want of fds or memory.
 * A pending connection stays in the backlog, so the socket stays readable:
 * retrying at once would spin the loop. Stop listening for a while instead;
 * existing clients are still served and may free fds meanwhile. The timer
 * exists from the start (a timerfd made now could fail for the same
 * reason). Logged on the first pause of a run only, so a sustained
 * shortage does not flood the journal.
 */
static void accept_pause(struct manager *m, int err)
{
	if (!m->listen_io || !m->accept_retry)
		return;
	if (m->accept_pauses++ == 0)
		log_warning("cannot accept connections: %s; pausing new connections for %d ms at a "
			    "time until it passes (raise LimitNOFILE= if this persists)",
			    strerror(err), WDBROKERD_ACCEPT_PAUSE_MS);
	if (sd_event_source_set_time_relative(m->accept_retry,
					      WDBROKERD_ACCEPT_PAUSE_MS * 1000ULL) < 0 ||
	    sd_event_source_set_enabled(m->accept_retry, SD_EVENT_ONESHOT) < 0)
		return;		/* keep polling rather than stop listening for good */
	sd_event_source_set_enabled(m->listen_io, SD_EVENT_OFF);
}

/* Make @fd a socket client and watch it. */
static struct client *client_attach(struct manager *m, int fd, uint64_t id)
{
	struct client *c;
	int r;

	c = client_new(m, fd, NULL);
	if (!c) {
		reaper_close(fd, NULL);
		return NULL;
	}
	if (id) {
		c->id = id;
		if (id > m->next_client_id)
			m->next_client_id = id;
	}
	r = peer_identify(fd, &c->ident);
	if ((r == -EMFILE || r == -ENFILE) && m->spare_fd >= 0) {
		/*
		 * accept() took the last free fd (a gap in the table). Rather
		 * than drop a client that is already in, make room.
		 */
		close(m->spare_fd);
		r = peer_identify(fd, &c->ident);
		m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (r < 0) {
		log_warning("cannot identify client: %s", strerror(-r));
		client_free(c);
		/* Out of fds for /proc and NSS: don't take the next one at once. */
		if (r == -EMFILE || r == -ENFILE)
			accept_pause(m, -r);
		return NULL;
	}
	/* Adopted connections (id != 0) were accepted before: never refuse them. */
	if (!conn_count_add(m, c, id == 0)) {
		struct log_ctx ctx = client_ctx(c);

		ctx.id = WD_MSGID_CONNECTION_REFUSED;
		log_full(LOG_WARNING, &ctx, "refusing a connection: user %s already has %u",
			 c->ident.user, m->max_conn_per_user);
		client_free(c);
		return NULL;
	}
	r = sd_event_add_io(m->event, &c->io, fd, EPOLLIN, client_io, c);
	if (r >= 0)
		r = sd_event_source_set_priority(c->io, WDBROKERD_CLIENT_PRIORITY);
	if (r < 0) {
		log_warning("cannot watch client: %s", strerror(-r));
		client_free(c);
		return NULL;
	}
	return c;
}

int manager_adopt_connection(struct manager *m, int fd, uint64_t id)
{
	int fl = fcntl(fd, F_GETFL);
	struct client *c;

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	/* client_attach() closes @fd on failure. */
	c = client_attach(m, fd, id);
	if (!c)
		return -ENOMEM;
	c->stored = true;	/* it came from the fd store, and stays there */
	m->n_conns_stored++;
	return 0;
}

int manager_adopt_lease(struct manager *m, struct client *c, uint64_t id, int fd,
			const char *device, const char *alg)
{
	_cleanup_(freep) struct policy_section **sec = NULL;
	struct wd_device *d = devtable_find(m->devs, device);
	struct wdp_algs algs;
	struct lease *l;
	int nsec;

	if (!d || lease_find(&m->leases, id))
		return -ENOENT;
	if (wdp_algs_parse(alg, &algs, NULL, 0) < 0)
		return -EINVAL;
	nsec = policy_match(m->policy, &c->ident, &sec);
	if (nsec < 0)
		return nsec;
	l = lease_new(&m->leases, id);
	if (!l)
		return -ENOMEM;
	if (lease_charge(l, sec, nsec) < 0) {
		lease_free(&m->leases, l);
		return -ENOMEM;
	}
	l->dupfd = fd;
	snprintf(l->device, sizeof(l->device), "%s", device);
	snprintf(l->alg, sizeof(l->alg), "%s", alg);
	l->granted_usec = now_usec();
	lease_link(l, c, d);
	return 0;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct manager *m = ud;
	struct client *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		int e = errno;

		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
			accept_pause(m, e);
		else if (e != EAGAIN && e != EINTR && e != ECONNABORTED)
			log_warning("accept failed: %s", strerror(e));
		return 0;
	}
	c = client_attach(m, cfd, 0);
	if (!c)
		return 0;
	if (m->accept_pauses) {
		log_notice("accepting connections again after %llu pause(s)",
			   (unsigned long long)m->accept_pauses);
		m->accept_pauses = 0;
	}
	{
		struct log_ctx ctx = client_ctx(c);

		log_full(LOG_DEBUG, &ctx, "client connected");
	}
	notify_status(m);
	return 0;
}

/* ---- devices ---- */

/* Found at start (before the bus is up), or added later. */
static void dev_found(struct wd_device *d, void *ud)
{
	struct log_ctx ctx = LOG_CTX_ID(WD_MSGID_DEVICE_ADDED);

	ctx.device = d->name;
	log_full(LOG_INFO, &ctx, "device %s added (api %s, node %d, %d free)",
		 d->name, d->api, d->node, d->available);
	report_isolation(d);
}

static void dev_added(struct wd_device *d, void *ud)
{
	dev_found(d, ud);
	bus_emit_device_added(ud, d);
}

static void dev_removed(struct wd_device *d, void *ud)
{
	struct manager *m = ud;
	struct log_ctx ctx = LOG_CTX_ID(WD_MSGID_DEVICE_REMOVED);

	ctx.device = d->name;
	while (d->leases)
		manager_revoke_lease(m, d->leases, "device removal", "the device was removed");
	log_full(LOG_INFO, &ctx, "device %s removed", d->name);
	bus_emit_device_removed(m, d);
	device_free(d);
}

void manager_rescan(struct manager *m)
{
	devtable_scan(m->devs, dev_added, dev_removed, m);
	for (unsigned i = 0; i < m->devs->n; i++)
		report_isolation(m->devs->v[i]);
	notify_status(m);
}

static int monitor_event(sd_device_monitor *mon, sd_device *dev, void *ud)
{
	struct manager *m = ud;
	sd_device_action_t a = _SD_DEVICE_ACTION_INVALID;
	const char *name = NULL;
	struct wd_device *d;

	if (sd_device_get_sysname(dev, &name) < 0 || !name)
		return 0;
	sd_device_get_action(dev, &a);
	if (a == SD_DEVICE_REMOVE) {
		d = devtable_remove(m->devs, name);
		if (d)
			dev_removed(d, m);
	} else {
		/* add, change, or a "udevadm trigger" re-sync */
		if (devtable_add(m->devs, name, &d) == 0) {
			dev_added(d, m);
		} else if (d) {
			report_isolation(d);
			bus_emit_device_changed(m, d);
		}
	}
	notify_status(m);
	return 0;
}

/* ---- policy ---- */

static int recharge_all(struct manager *m, struct policy *p)
{
	_cleanup_(freep) struct lease **v = NULL;
	int n = lease_table_collect(&m->leases, &v);

	if (n < 0)
		return n;
	/* Count from zero: @p may be the policy the leases are charged to now. */
	for (unsigned i = 0; i < p->n; i++)
		p->v[i]->used = 0;
	for (int i = 0; i < n; i++) {
		_cleanup_(freep) struct policy_section **sec = NULL;
		int ns;

		if (!v[i]->client)
			continue;
		ns = policy_match(p, &v[i]->client->ident, &sec);
		if (ns < 0)
			return ns;
		/* Old sections are about to go: forget them without counting. */
		free(v[i]->sections);
		v[i]->sections = NULL;
		v[i]->n_sections = 0;
		if (lease_charge(v[i], sec, ns) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Revoke leases the current policy no longer allows, newest first. */
static void enforce_policy(struct manager *m)
{
	_cleanup_(freep) struct lease **v = NULL;
	int n = lease_table_collect(&m->leases, &v);

	for (int i = n - 1; i >= 0; i--) {
		struct lease *l = v[i];
		struct policy_section *deny = NULL, *full = NULL;
		const char *refused = NULL;
		char why[400], label[300];
		struct wdp_algs algs;

		/* Adoption and granting checked the spelling: it parses. */
		if (wdp_algs_parse(l->alg, &algs, NULL, 0) < 0) {
			snprintf(why, sizeof(why), "its algorithm set %s is malformed", l->alg);
		} else if (!policy_algs_allowed(l->sections, l->n_sections, &algs, &deny, &refused)) {
			snprintf(why, sizeof(why), "policy section %s no longer allows algorithm %s",
				 policy_section_label(deny, label, sizeof(label)), refused);
		} else if (!policy_device_allowed(l->sections, l->n_sections, l->device)) {
			snprintf(why, sizeof(why), "policy no longer allows device %s", l->device);
		} else if ((full = policy_quota_full(l->sections, l->n_sections, 0))) {
			snprintf(why, sizeof(why), "policy section %s lowered its quota to %lld",
				 policy_section_label(full, label, sizeof(label)), full->max_queues);
		} else {
			continue;
		}
		manager_revoke_lease(m, l, "policy", why);
	}
}

/*
 * The journal's account of a policy that failed to load: @err reads
 * "FILE:LINE: why" (or "FILE: why"), which becomes WD_POLICY_FILE and
 * WD_POLICY_LINE so the catalog entry can point at the line.
 */
static void log_policy_rejected(struct manager *m, const char *what, const char *err, int r,
				const char *hint)
{
	struct log_ctx ctx = LOG_CTX_ID(WD_MSGID_POLICY_REJECTED);
	_cleanup_(freep) char *file = NULL;
	const char *colon = err ? strchr(err, ':') : NULL;

	ctx.policy_dir = m->policy_dir;
	if (colon) {
		file = strndup(err, (size_t)(colon - err));
		ctx.policy_file = file;
		if (colon[1] >= '1' && colon[1] <= '9')
			ctx.policy_line = atoi(colon + 1);
	}
	log_full(LOG_ERR, &ctx, "%s: %s%s", what, err ? err : strerror(-r), hint);
}

static void log_policy_loaded(struct manager *m, const char *what)
{
	struct log_ctx ctx = LOG_CTX_ID(WD_MSGID_POLICY_LOADED);

	ctx.policy_dir = m->policy_dir;
	log_full(LOG_INFO, &ctx, "policy %s from %s (%u section(s))", what, m->policy_dir,
		 m->policy->n);
}

int manager_reload(struct manager *m, char **error)
{
	struct policy *p = NULL, *old;
	char *err = NULL;
	int r;

	r = policy_load_dir(m->policy_dir, &p, &err);
	if (r < 0) {
		log_policy_rejected(m, "policy reload failed, keeping the previous policy", err, r, "");
		if (error)
			*error = err;
		else
			free(err);
		return r;
	}
	r = recharge_all(m, p);
	if (r < 0) {
		/* Leases may point into either policy now: rebuild on the old one. */
		recharge_all(m, m->policy);
		policy_free(p);
		if (error)
			*error = strdup("out of memory");
		return r;
	}
	old = m->policy;
	m->policy = p;
	policy_free(old);
	log_policy_loaded(m, "reloaded");
	enforce_policy(m);
	manager_rescan(m);
	return 0;
}

int manager_set_quota(struct manager *m, const char *section, long long max, char **error)
{
	struct policy_section *s;
	int r;

	r = policy_section_get(m->policy, section, true, &s);
	if (r < 0) {
		if (error && asprintf(error, "\"%s\" is not a policy section; use global, user:NAME, group:NAME or unit:NAME",
				      section) < 0)
			*error = NULL;
		return r;
	}
	s->has_max = true;
	s->max_queues = max < 0 ? QUOTA_UNLIMITED : max;
	/* A new section may match existing holders: recount, then enforce. */
	r = recharge_all(m, m->policy);
	if (r < 0)
		return r;
	log_notice("quota of [%s] set to %lld at run time", section, max);
	enforce_policy(m);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct manager *m = ud;

	sd_notify(0, "RELOADING=1");
	manager_reload(m, NULL);
	sd_notify(0, "READY=1");
	notify_status(m);
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct manager *m = ud;

	sd_notify(0, "STOPPING=1");
	return sd_event_exit(m->event, 0);
}

/* ---- setup ---- */

static int make_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Take the listening socket and restored fds from systemd. */
static int take_fds(struct manager *m)
{
	char **names = NULL;
	int n;

	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *nm = names ? names[i] : "";

		if (m->listen_fd < 0 && sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) > 0) {
			m->listen_fd = fd;
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		} else if (state_take_stored_fd(m, nm, fd) < 0) {
			close(fd);
		}
	}
	if (names) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return 0;
}

int manager_new(const struct manager_options *o, struct manager **out)
{
	struct manager *m = calloc(1, sizeof(*m));
	char *err = NULL;
	sigset_t ss;
	int r;

	if (!m)
		return -ENOMEM;
	m->listen_fd = -1;
	m->spare_fd = -1;
	m->max_conn_per_user = o->max_conn_per_user ? o->max_conn_per_user
						    : WDBROKERD_MAX_CONN_PER_USER;
	lease_table_init(&m->leases);
	if (fdstore_enabled()) {
		const char *e = getenv("FDSTORE");
		long long v;

		if (e && parse_int(e, 1, INT_MAX, &v) == 0)
			m->fdstore_max = (unsigned)v;
	}
	m->policy_dir = strdup(o->policy_dir);
	m->state_dir = o->state_dir ? strdup(o->state_dir) : NULL;
	if (!m->policy_dir || (o->state_dir && !m->state_dir)) {
		r = -ENOMEM;
		goto fail;
	}
	r = policy_load_dir(m->policy_dir, &m->policy, &err);
	if (r < 0) {
		char hint[4160];

		snprintf(hint, sizeof(hint), "; fix it and check with wdbrokerd --check-policy %s",
			 m->policy_dir);
		log_policy_rejected(m, "cannot start with a broken policy", err, r, hint);
		free(err);
		goto fail;
	}
	log_policy_loaded(m, "loaded");
	r = devtable_new(o->sysfs_root, o->dev_root, &m->devs);
	if (r < 0)
		goto fail;
	r = devtable_load_topology(m->devs);
	if (r < 0)
		goto fail;

	r = reaper_start();
	if (r < 0)
		goto fail;
	r = sd_event_default(&m->event);
	if (r < 0)
		goto fail;
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m)) < 0)
		goto fail;
	/* Pings WATCHDOG=1 at half of WatchdogSec when the unit sets it. */
	sd_event_set_watchdog(m->event, true);

	devtable_scan(m->devs, dev_found, NULL, NULL);

	if (o->socket_path) {
		r = make_socket(o->socket_path);
		if (r < 0) {
			log_error("cannot listen on %s: %s", o->socket_path, strerror(-r));
			goto fail;
		}
		m->listen_fd = r;
		m->socket_path = strdup(o->socket_path);
	}
	r = take_fds(m);
	if (r < 0)
		goto fail;
	if (m->listen_fd < 0) {
		log_error("no listening socket: start wdbrokerd through wdbroker.socket, "
			  "or pass --socket PATH");
		r = -EBADF;
		goto fail;
	}
	r = sd_event_add_io(m->event, &m->listen_io, m->listen_fd, EPOLLIN, listen_io, m);
	if (r >= 0)
		r = sd_event_source_set_priority(m->listen_io, WDBROKERD_CLIENT_PRIORITY);
	if (r < 0)
		goto fail;
	r = sd_event_add_time_relative(m->event, &m->accept_retry, CLOCK_MONOTONIC,
				       WDBROKERD_ACCEPT_PAUSE_MS * 1000ULL, 0, accept_resume, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->accept_retry, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC,
					       WDBROKERD_STATUS_DELAY_MS * 1000ULL, 0,
					       status_flush, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->status_timer, SD_EVENT_OFF);
	if (r < 0)
		goto fail;
	m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (m->spare_fd < 0)
		log_warning("cannot hold a spare fd: %s; clients may be refused when fds run out",
			    strerror(errno));
	state_restore(m);
	/* The restored leases count against the policy as it is now. */
	enforce_policy(m);

	if (o->monitor) {
		r = sd_device_monitor_new(&m->monitor);
		if (r >= 0)
			r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "uacce", NULL);
		if (r >= 0)
			r = sd_device_monitor_attach_event(m->monitor, m->event);
		if (r >= 0)
			r = sd_device_monitor_start(m->monitor, monitor_event, m);
		if (r < 0) {
			log_warning("no hot-plug monitor (%s); devices are scanned at start and reload only",
				    strerror(-r));
			m->monitor = sd_device_monitor_unref(m->monitor);
		}
		/* Devices that appeared between the scan and the monitor. */
		manager_rescan(m);
	}
	if (o->bus) {
		r = bus_setup(m, o->bus);
		if (r < 0) {
			log_error("cannot connect to the %s bus: %s", o->bus == 1 ? "system" : "user",
				  strerror(-r));
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	/*
	 * On a clean stop the leases stay alive if the fd store keeps them
	 * (restart); otherwise closing the connections ends them.
	 */
	while (m->clients) {
		struct client *c = m->clients;

		if (fdstore_enabled() && m->state_dir) {
			/* Keep: detach without releasing. */
			while (c->leases) {
				struct lease *l = c->leases;

				lease_unlink(m, l);
				lease_free(&m->leases, l);
			}
			conn_count_del(m, c);
			sd_event_source_disable_unref(c->io);
			c->io = NULL;
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			m->clients = c->next;
			identity_clear(&c->ident);
			free(c->bus_name);
			free(c);
			m->n_clients--;
		} else {
			client_free(c);
		}
	}
	bus_teardown(m);
	sd_device_monitor_unref(m->monitor);
	sd_event_source_disable_unref(m->accept_retry);
	if (m->spare_fd >= 0)
		close(m->spare_fd);
	sd_event_source_disable_unref(m->status_timer);
	m->status_timer = NULL;
	sd_event_source_disable_unref(m->listen_io);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->socket_path) {
		unlink(m->socket_path);
		free(m->socket_path);
	}
	for (unsigned i = 0; i < m->n_stored; i++)
		close(m->stored[i].fd);
	free(m->stored);
	sd_event_unref(m->event);
	lease_table_deinit(&m->leases);
	devtable_free(m->devs);
	policy_free(m->policy);
	free(m->policy_dir);
	free(m->state_dir);
	free(m);
	return NULL;
}

int manager_run(struct manager *m)
{
	int r;

	sd_notify(0, "READY=1");
	status_flush(NULL, 0, m);
	{
		struct log_ctx ctx = LOG_CTX_ID(WD_MSGID_READY);

		ctx.policy_dir = m->policy_dir;
		log_full(LOG_INFO, &ctx, "ready: %u device(s), %u lease(s) restored, policy from %s",
			 m->devs->n, m->leases.count, m->policy_dir);
	}
	r = sd_event_loop(m->event);
	return r;
}
