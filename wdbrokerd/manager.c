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
#include "cpuplace.h"
#include "fdstore.h"
#include "lease.h"
#include "log.h"
#include "msgid.h"
#include "peer.h"
#include "placement.h"
#include "reaper.h"
#include "state.h"
#include "util.h"

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
void manager_notify_status(struct manager *m)
{
	manager_defer(m, m->status_timer, WDBROKERD_STATUS_DELAY_MS, status_flush);
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

/* The devices that could take a request, as placement sees them. */
struct candidates {
	struct place_cand *cand;
	struct wd_device **dev;		/* dev[i] is cand[i]'s device */
	int *order;
	int n;
	int n_alg;			/* offering every algorithm asked for */
	int n_allowed;			/* of those, allowed by the policy */
	int n_free_any;			/* of those, not isolated and with room */
	const char *missing;		/* an algorithm the named device lacks */
};

static void candidates_free(struct candidates *cs)
{
	free(cs->cand);
	free(cs->dev);
	free(cs->order);
}

static void candidates_collect(struct manager *m, struct client *c,
			       const struct wdp_queue_req *req, const struct wdp_algs *algs,
			       struct policy_section **sec, int nsec, struct candidates *cs)
{
	for (unsigned i = 0; i < m->devs->n; i++) {
		struct wd_device *d = m->devs->v[i];
		struct place_cand *pc;

		if (req->device[0] && strcmp(d->name, req->device))
			continue;
		if (!device_has_algs(d, algs, &cs->missing))
			continue;
		cs->n_alg++;
		device_refresh(m->devs, d);
		report_isolation(d);
		pc = &cs->cand[cs->n];
		cs->dev[cs->n++] = d;
		pc->name = d->name;
		pc->node = d->node;
		pc->free = d->available;
		pc->leased = d->leased;
		pc->isolated = d->isolated;
		pc->allowed = policy_device_allowed(sec, nsec, d->name);
		/*
		 * The peer's affinity mask is where its threads may run; a
		 * client that names a node has chosen, distance decides.
		 */
		pc->apart = req->node < 0 &&
			    wd_place_apart(m->devs->sysfs_root, d->name,
					   c->ident.pid > 0 ? c->ident.pid : -1);
		if (pc->allowed) {
			cs->n_allowed++;
			if (!pc->isolated && pc->free > 0)
				cs->n_free_any++;
		}
	}
}

/* Why no device can take the request at all; 0 if some may. */
static int refuse_no_device(struct manager *m, struct client *c, const struct wdp_queue_req *req,
			    const struct wdp_algs *algs, const struct candidates *cs,
			    struct queue_result *res)
{
	const char *missing;

	if (!cs->n_alg) {
		if (req->device[0])
			return refuse(res, WDP_REASON_NO_DEVICE, "device %s does not offer algorithm %s",
				      req->device, cs->missing);
		missing = unoffered_alg(m->devs, algs);
		if (missing)
			return refuse(res, WDP_REASON_NO_DEVICE,
				      "no accelerator device offers algorithm %s", missing);
		return refuse(res, WDP_REASON_NO_DEVICE,
			      "no accelerator device offers all of %s on one queue", req->alg);
	}
	if (!cs->n_allowed)
		return refuse(res, WDP_REASON_DEVICE_DENIED,
			      "policy allows user %s none of the devices offering %s",
			      c->ident.user, req->alg);
	return 0;
}

/* May @c have one more queue of @req->alg under @sec? 0, or the refusal. */
static int policy_check(struct client *c, const struct wdp_queue_req *req,
			const struct wdp_algs *algs, struct policy_section **sec, int nsec,
			struct queue_result *res)
{
	struct log_ctx ctx = client_ctx(c);
	struct policy_section *deny = NULL, *full;
	const char *refused = NULL;
	char label[300], text[WDP_TEXT_MAX];

	/* One name refused refuses the whole set: a lease is all or nothing. */
	if (!policy_algs_allowed(sec, nsec, algs, &deny, &refused))
		return refuse(res, WDP_REASON_ALG_DENIED,
			      "algorithm %s is not allowed for user %s by policy section %s%s%s%s",
			      refused, c->ident.user,
			      policy_section_label(deny, label, sizeof(label)),
			      algs->n > 1 ? ", so the set " : "", algs->n > 1 ? req->alg : "",
			      algs->n > 1 ? " is refused" : "");
	full = policy_quota_full(sec, nsec, 1);
	if (!full)
		return 0;
	policy_quota_text(full, text, sizeof(text));
	ctx.id = WD_MSGID_QUOTA_REFUSED;
	ctx.alg = req->alg;
	log_full(LOG_NOTICE, &ctx, "refused a %s queue to user %s: %s of policy section %s",
		 req->alg, c->ident.user, text, policy_section_label(full, label, sizeof(label)));
	if (full->kind == SEC_GLOBAL || full->kind == SEC_USER)
		return refuse(res, policy_quota_reason(full), "%s", text);
	return refuse(res, policy_quota_reason(full), "%s (user %s)", text, c->ident.user);
}

/* Try the devices in placement order; the first that gives a queue gets the lease. */
static int grant_placed(struct manager *m, struct client *c, const struct wdp_queue_req *req,
			struct policy_section **sec, int nsec, const struct candidates *cs,
			int k, int node, enum placement mode, struct queue_result *res)
{
	for (int i = 0; i < k; i++) {
		struct wd_device *d = cs->dev[cs->order[i]];
		char placed[128];
		int r;

		snprintf(placed, sizeof(placed), "node %d, client node %d, %s%s", d->node, node,
			 placement_name(mode),
			 cs->cand[cs->order[i]].apart ? ", engine apart" : "");
		r = lease_grant(m, c, d, req->alg, sec, nsec, placed, &res->lease, &res->refusal);
		if (r != -EAGAIN)
			return r;
	}
	return refuse(res, WDP_REASON_BUSY,
		      "all %d device(s) offering %s are busy or isolated; try again later",
		      cs->n_allowed, req->alg);
}

int manager_request_queue(struct manager *m, struct client *c,
			  const struct wdp_queue_req *req, struct queue_result *res)
{
	_cleanup_(freep) struct policy_section **sec = NULL;
	_cleanup_(candidates_free) struct candidates cs = { 0 };
	char bad[WDP_TEXT_MAX];
	struct wdp_algs algs;
	enum placement mode;
	int nsec, k, node, r;

	memset(res, 0, sizeof(*res));
	/* The decoder and the D-Bus method checked it; this is the last word. */
	if (wdp_algs_parse(req->alg, &algs, bad, sizeof(bad)) < 0)
		return refuse(res, WDP_REASON_PROTOCOL, "%s", bad);
	nsec = policy_match(m->policy, &c->ident, &sec);
	if (nsec < 0)
		return refuse(res, WDP_REASON_INTERNAL, "the broker is out of memory");
	r = policy_check(c, req, &algs, sec, nsec, res);
	if (r < 0)
		return r;

	cs.cand = calloc(m->devs->n + 1, sizeof(*cs.cand));
	cs.dev = calloc(m->devs->n + 1, sizeof(*cs.dev));
	cs.order = calloc(m->devs->n + 1, sizeof(*cs.order));
	if (!cs.cand || !cs.dev || !cs.order)
		return refuse(res, WDP_REASON_INTERNAL, "the broker is out of memory");
	if (req->device[0] && !devtable_find(m->devs, req->device))
		return refuse(res, WDP_REASON_NO_DEVICE, "there is no accelerator device named %s",
			      req->device);
	candidates_collect(m, c, req, &algs, sec, nsec, &cs);
	r = refuse_no_device(m, c, req, &algs, &cs, res);
	if (r < 0)
		return r;

	node = client_node(m, c, req);
	mode = (req->flags & WDP_QUEUE_NODE_STRICT) ? PLACE_STRICT_NODE
						     : policy_placement(sec, nsec);
	k = placement_order(m->devs, cs.cand, cs.n, node, mode, cs.order);
	if (!k && mode == PLACE_STRICT_NODE && cs.n_free_any)
		return refuse(res, WDP_REASON_NODE,
			      "no free %s queue on NUMA node %d, and placement is strict-node",
			      req->alg, node);
	return grant_placed(m, c, req, sec, nsec, &cs, k, node, mode, res);
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
		lease_end(m, d->leases, "device removal", "the device was removed");
	log_full(LOG_INFO, &ctx, "device %s removed", d->name);
	bus_emit_device_removed(m, d);
	device_free(d);
}

void manager_rescan(struct manager *m)
{
	devtable_scan(m->devs, dev_added, dev_removed, m);
	for (unsigned i = 0; i < m->devs->n; i++)
		report_isolation(m->devs->v[i]);
	manager_notify_status(m);
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
	manager_notify_status(m);
	return 0;
}

/* ---- policy ---- */

/*
 * Move every lease's charge to the sections of @p that match its holder.
 * On failure some leases may be charged to @p and others still to the
 * policy they were charged to before: moving them all again to that one
 * puts things back.
 */
static int recharge_all(struct manager *m, struct policy *p)
{
	_cleanup_(freep) struct lease **v = NULL;
	int n = lease_table_collect(&m->leases, &v);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		_cleanup_(freep) struct policy_section **sec = NULL;
		int ns, r;

		if (!v[i]->client)
			continue;
		ns = policy_match(p, &v[i]->client->ident, &sec);
		if (ns < 0)
			return ns;
		r = charge_move(&v[i]->charge, sec, ns);
		if (r < 0)
			return r;
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
		} else if (!policy_algs_allowed(l->charge.sections, l->charge.n, &algs, &deny, &refused)) {
			snprintf(why, sizeof(why), "policy section %s no longer allows algorithm %s",
				 policy_section_label(deny, label, sizeof(label)), refused);
		} else if (!policy_device_allowed(l->charge.sections, l->charge.n, l->device)) {
			snprintf(why, sizeof(why), "policy no longer allows device %s", l->device);
		} else if ((full = policy_quota_full(l->charge.sections, l->charge.n, 0))) {
			snprintf(why, sizeof(why), "policy section %s lowered its quota to %lld",
				 policy_section_label(full, label, sizeof(label)), full->max_queues);
		} else {
			continue;
		}
		lease_end(m, l, "policy", why);
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
		if (error && asprintf(error, "\"%s\" is not a policy section; use global, user:NAME, group:NAME, unit:NAME, slice:NAME.slice or cgroup:/PATTERN",
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
	manager_notify_status(m);
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
		} else {
			state_stored_fd_consume(m, nm, fd);
		}
	}
	if (names) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return 0;
}

/* The loop, the signals it handles, the status timer. */
static int setup_event(struct manager *m)
{
	sigset_t ss;
	int r;

	r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m)) < 0)
		return r;
	/* Pings WATCHDOG=1 at half of WatchdogSec when the unit sets it. */
	sd_event_set_watchdog(m->event, true);
	r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC,
				       WDBROKERD_STATUS_DELAY_MS * 1000ULL, 0, status_flush, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->status_timer, SD_EVENT_OFF);
	return r;
}

/* The listening socket (made, or from systemd with the stored fds), watched. */
static int setup_listen(struct manager *m, const char *socket_path)
{
	int r;

	if (socket_path) {
		r = make_socket(socket_path);
		if (r < 0) {
			log_error("cannot listen on %s: %s", socket_path, strerror(-r));
			return r;
		}
		m->listen_fd = r;
		m->socket_path = strdup(socket_path);
	}
	r = take_fds(m);
	if (r < 0)
		return r;
	if (m->listen_fd < 0) {
		log_error("no listening socket: start wdbrokerd through wdbroker.socket, "
			  "or pass --socket PATH");
		return -EBADF;
	}
	r = client_listen(m);
	if (r < 0)
		return r;
	m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (m->spare_fd < 0)
		log_warning("cannot hold a spare fd: %s; clients may be refused when fds run out",
			    strerror(errno));
	return 0;
}

static void setup_monitor(struct manager *m)
{
	int r;

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

/* The policy and the devices, before anything is served. */
static int setup_policy_devices(struct manager *m, const struct manager_options *o)
{
	char *err = NULL;
	int r;

	r = policy_load_dir(m->policy_dir, &m->policy, &err);
	if (r < 0) {
		char hint[4160];

		snprintf(hint, sizeof(hint), "; fix it and check with wdbrokerd --check-policy %s",
			 m->policy_dir);
		log_policy_rejected(m, "cannot start with a broken policy", err, r, hint);
		free(err);
		return r;
	}
	log_policy_loaded(m, "loaded");
	r = devtable_new(o->sysfs_root, o->dev_root, &m->devs);
	if (r >= 0)
		r = devtable_load_topology(m->devs);
	return r;
}

int manager_new(const struct manager_options *o, struct manager **out)
{
	struct manager *m = calloc(1, sizeof(*m));
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
	r = setup_policy_devices(m, o);
	if (r >= 0)
		r = reaper_start();
	if (r >= 0)
		r = setup_event(m);
	if (r < 0)
		goto fail;
	devtable_scan(m->devs, dev_found, NULL, NULL);
	r = setup_listen(m, o->socket_path);
	if (r < 0)
		goto fail;
	state_restore(m, &m->leases, m->state_dir);
	/* The restored leases count against the policy as it is now. */
	enforce_policy(m);

	if (o->monitor)
		setup_monitor(m);
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
	/* On a clean stop the leases stay alive if the fd store keeps them (restart). */
	bool keep = fdstore_enabled() && m && m->state_dir;

	if (!m)
		return NULL;
	while (m->clients) {
		if (keep)
			client_free_keep_leases(m->clients);
		else
			client_free(m->clients);
	}
	bus_teardown(m);
	counters_table_deinit(&m->client_counters);
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

