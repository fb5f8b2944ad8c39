// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client.c - the broker's clients: connections, their limits, the wire.
 *
 * A socket client is a SOCK_SEQPACKET connection read one message per
 * wake-up, so a flood from one client cannot starve the others; a
 * malformed message closes only that connection. accept() rests for a
 * while when fds run out, and one non-root uid may hold only so many
 * connections. A D-Bus client (bus.c) is a bus name that took queues with
 * RequestQueue. Either way the client holds leases, which end with it.
 *
 * The request path reads in one direction: client_io() decodes a message,
 * manager_request_queue() decides, lease_grant() opens and keeps the
 * queue, and the grant goes back over the socket with the fd (wdproto's
 * SCM_RIGHTS).
 */
#include "client.h"

#include <fcntl.h>
#include <search.h>
#include <sys/socket.h>

#include "fdstore.h"
#include "lease.h"
#include "manager.h"
#include "msgid.h"
#include "peer.h"
#include "reaper.h"
#include "util.h"

struct log_ctx client_ctx(const struct client *c)
{
	return (struct log_ctx){
		.user = c->ident.user,
		.uid = c->ident.uid,
		.pid = c->ident.pid,
		.unit = c->ident.unit,
	};
}

/* ---- connections and their per-uid limit ---- */

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
	LIST_PREPEND(clients, m->clients, c);
	m->n_clients++;
	return c;
}

/*
 * @keep: the broker stops and the next one takes over (fd store): the
 * leases stay alive, and so does the connection, whose copy is in the store.
 */
static void client_destroy(struct client *c, bool keep)
{
	struct manager *m = c->m;

	while (c->leases) {
		if (keep)
			lease_forget(m, c->leases);
		else
			lease_end(m, c->leases, NULL, "client hung up");
	}
	conn_count_del(m, c);
	if (c->stored)
		m->n_conns_stored--;
	sd_event_source_disable_unref(c->io);
	sd_bus_track_unref(c->track);
	if (c->fd >= 0 && keep) {
		close(c->fd);
	} else if (c->fd >= 0) {
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
	LIST_REMOVE(clients, m->clients, c);
	m->n_clients--;
	identity_clear(&c->ident);
	free(c->bus_name);
	free(c);
	manager_notify_status(m);
}

void client_free(struct client *c)
{
	if (c)
		client_destroy(c, false);
}

void client_free_keep_leases(struct client *c)
{
	if (c)
		client_destroy(c, true);
}

struct client *client_find_bus(struct manager *m, const char *bus_name)
{
	struct client *c;

	/* D-Bus clients are few (admin tools); a scan is fine. */
	LIST_FOREACH(clients, c, m->clients)
		if (c->bus_name && !strcmp(c->bus_name, bus_name))
			return c;
	return NULL;
}

/* Used once per restored lease at start: a scan is fine. */
struct client *client_find_socket(struct manager *m, uint64_t id)
{
	struct client *c;

	LIST_FOREACH(clients, c, m->clients)
		if (c->fd >= 0 && c->id == id)
			return c;
	return NULL;
}

/*
 * Put @c's connection in the fd store, once, when it gets its first lease:
 * only a connection holding leases has anything a restart must keep. A
 * connection that never holds one costs PID 1 nothing, which matters when
 * clients connect per request and most requests are refused as busy.
 */
void client_store(struct client *c)
{
	struct log_ctx ctx = client_ctx(c);
	struct manager *m = c->m;
	char name[32];
	int r = 0;

	if (c->stored || c->fd < 0 || !fdstore_enabled())
		return;
	ctx.id = WD_MSGID_FDSTORE_FULL;
	if (!manager_fdstore_room(m, 1)) {
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
/* ---- the wire ---- */

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

static int client_request_queue(struct client *c, const struct wdp_msg *req)
{
	struct wdp_msg rep = { .type = WDP_REP_GRANT, .seq = req->seq };
	struct log_ctx ctx = client_ctx(c);
	struct manager *m = c->m;
	struct queue_result res;
	int r;

	r = manager_request_queue(m, c, &req->queue, &res);
	if (r < 0) {
		m->stat_refusals++;
		log_full(LOG_INFO, &ctx, "refused %s queue: %s (%s)", req->queue.alg,
			 res.refusal.text, wdp_reason_name(res.refusal.reason));
		return send_refusal(c, req->seq, &res.refusal);
	}
	fill_wire_lease(res.lease, &rep.grant);
	/* The client gets a copy of the queue fd; the lease keeps its own. */
	r = wdp_send(c->fd, &rep, res.lease->fd);
	if (r < 0) {
		lease_end(m, res.lease, NULL, "grant could not be sent");
		return r;
	}
	return 0;
}

static int client_release(struct client *c, const struct wdp_msg *req)
{
	struct wdp_msg rep = { .type = WDP_REP_RELEASED, .seq = req->seq, .lease = req->lease };
	struct lease *l = lease_find(&c->m->leases, req->lease);

	if (!l || l->client != c) {
		struct wdp_refusal rf = { .reason = WDP_REASON_NO_LEASE };

		snprintf(rf.text, sizeof(rf.text), "this connection holds no lease %llu",
			 (unsigned long long)req->lease);
		return send_refusal(c, req->seq, &rf);
	}
	lease_end(c->m, l, NULL, "released by the client");
	return wdp_send(c->fd, &rep, -1);
}

static int client_list(struct client *c, const struct wdp_msg *req)
{
	struct wdp_msg rep = { .type = WDP_REP_LEASES, .seq = req->seq };
	struct wdp_lease v[WDP_LIST_MAX];
	struct lease *l;
	uint32_t n = 0;

	LIST_FOREACH(by_client, l, c->leases) {
		if (n == WDP_LIST_MAX)
			break;
		fill_wire_lease(l, &v[n++]);
	}
	rep.list.count = n;
	rep.list.total = c->n_leases;
	rep.list.leases = v;
	return wdp_send(c->fd, &rep, -1);
}

/*
 * Counters a client reports go to the totals of the identity it connected
 * as; nothing in the message can change whose totals they are.
 */
static int client_counters(struct client *c, const struct wdp_msg *req)
{
	struct wdp_msg rep = { .type = WDP_REP_COUNTED, .seq = req->seq };
	struct wdp_refusal rf = { .reason = WDP_REASON_INTERNAL };
	int r;

	r = counters_add(&c->m->client_counters, c->ident.uid, c->ident.unit,
			 req->counters.v, req->counters.count, &rep.counted);
	if (r < 0) {
		snprintf(rf.text, sizeof(rf.text), "the broker could not store the counters: %s",
			 strerror(-r));
		return send_refusal(c, req->seq, &rf);
	}
	return wdp_send(c->fd, &rep, -1);
}

/* Handle one request; returns < 0 to drop the connection. */
static int client_handle(struct client *c, const struct wdp_msg *req)
{
	struct log_ctx ctx = client_ctx(c);

	switch (req->type) {
	case WDP_REQ_QUEUE:
		return client_request_queue(c, req);
	case WDP_REQ_RELEASE:
		return client_release(c, req);
	case WDP_REQ_LIST:
		return client_list(c, req);
	case WDP_REQ_COUNTERS:
		return client_counters(c, req);
	default:
		/* A reply type sent by a client: not a request. */
		log_full(LOG_WARNING, &ctx, "closing connection: client sent a %s message",
			 wdp_type_name(req->type));
		c->m->stat_protocol_errors++;
		return -EBADMSG;
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

/* ---- accepting ---- */

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

int client_adopt_consume(struct manager *m, int fd, uint64_t id)
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
	manager_notify_status(m);
	return 0;
}

int client_listen(struct manager *m)
{
	int r;

	r = sd_event_add_io(m->event, &m->listen_io, m->listen_fd, EPOLLIN, listen_io, m);
	if (r >= 0)
		r = sd_event_source_set_priority(m->listen_io, WDBROKERD_CLIENT_PRIORITY);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &m->accept_retry, CLOCK_MONOTONIC,
					       WDBROKERD_ACCEPT_PAUSE_MS * 1000ULL, 0,
					       accept_resume, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->accept_retry, SD_EVENT_OFF);
	return r;
}

