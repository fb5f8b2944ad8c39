/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manager.h - the broker: event loop, setup, devices, policy, the grant decision. */
#ifndef WDBROKERD_MANAGER_H
#define WDBROKERD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "client.h"
#include "counters.h"
#include "device.h"
#include "lease.h"
#include "policy.h"
#include "wdproto.h"

#define WDBROKERD_VERSION "0.1.0"

struct manager_options {
	const char *socket_path;	/* NULL: socket activation */
	const char *sysfs_root;
	const char *dev_root;
	const char *policy_dir;
	const char *state_dir;		/* NULL: no state files */
	int bus;			/* 0 none, 1 system, 2 user/session */
	bool monitor;			/* udev hot-plug monitor */
	unsigned max_conn_per_user;	/* 0: WDBROKERD_MAX_CONN_PER_USER */
};

/* How long accept() rests after running out of fds (EMFILE/ENFILE). */
#define WDBROKERD_ACCEPT_PAUSE_MS 100

/*
 * How long a STATUS= change waits, so a burst of connections and leases
 * costs PID 1 one status message rather than one per event.
 */
#define WDBROKERD_STATUS_DELAY_MS 500

/*
 * How long a change of LeaseCount or of a device's instance counts waits
 * before its PropertiesChanged goes out, so a burst of grants and releases
 * costs the bus one signal per object, not one per lease.
 */
#define WDBROKERD_PROPS_DELAY_MS 100

/*
 * sd-event dispatches one ready source per loop iteration, highest priority
 * first. Client sockets (and accept) run below everything else: signals, the
 * D-Bus connection, udev events and timers. Under a flood of requests an
 * admin's Reload, a device removal or systemd's SIGTERM is then handled
 * next, not after every queued client.
 */
#define WDBROKERD_CLIENT_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)

/* Socket connections one non-root uid may hold at once (fd exhaustion). */
#define WDBROKERD_MAX_CONN_PER_USER 1024

struct manager {
	sd_event *event;
	sd_bus *bus;
	sd_bus_slot *bus_slots[6];
	sd_device_monitor *monitor;

	int listen_fd;
	sd_event_source *listen_io;
	/* Out of fds at accept(): listen_io is off until this timer fires. */
	sd_event_source *accept_retry;
	uint64_t accept_pauses;		/* times accept() backed off, for the log */
	/*
	 * /dev/null, held open so that a client accept() did let in can
	 * always be identified: identification opens a few files (/proc,
	 * NSS) one at a time, and when the fd table is full client_attach()
	 * closes this to make room, then takes it back. -1 if it could not
	 * be opened.
	 */
	int spare_fd;
	/* STATUS= is sent from this timer, at most every STATUS_DELAY_MS. */
	sd_event_source *status_timer;
	/* PropertiesChanged for LeaseCount and devices, see bus.c. */
	sd_event_source *props_timer;
	bool props_lease_count;		/* LeaseCount changed since the last send */
	char *socket_path;		/* set when we created it (unlink at exit) */

	char *policy_dir;
	char *state_dir;
	struct policy *policy;
	struct devtable *devs;
	struct lease_table leases;

	struct client *clients;
	unsigned n_clients;
	void *conn_per_uid;		/* tsearch tree of struct uid_count */
	unsigned max_conn_per_user;
	uint64_t next_client_id;

	uint64_t stat_grants, stat_refusals, stat_revokes, stat_protocol_errors;
	/* What clients reported with COUNTERS, per uid and unit (counters.c). */
	struct counters_table client_counters;

	/*
	 * systemd's fd store holds one fd per lease and one per stored
	 * connection; past FileDescriptorStoreMax PID 1 would silently close
	 * what we send. fdstore_max is that limit when $FDSTORE tells it
	 * (systemd 254 and later set it; 0: unknown, no check).
	 */
	unsigned fdstore_max;
	unsigned n_conns_stored;	/* clients with ->stored */

};

/*
 * Batch changes behind a one-shot @timer (made disabled, with @m as its
 * user data): the first change after the timer last fired arms it for @ms,
 * later ones find it armed, and @flush sends the state of that moment. With
 * no timer, or if arming fails, @flush runs at once.
 */
void manager_defer(struct manager *m, sd_event_source *timer, unsigned ms,
		   sd_event_time_handler_t flush);

/* STATUS= for PID 1, batched (see manager.c). */
void manager_notify_status(struct manager *m);

/* Room for @n more fds in systemd's fd store, as far as the broker knows. */
static inline bool manager_fdstore_room(const struct manager *m, unsigned n)
{
	return !m->fdstore_max || m->n_conns_stored + m->leases.count + n <= m->fdstore_max;
}

int manager_new(const struct manager_options *o, struct manager **out);
struct manager *manager_free(struct manager *m);
int manager_run(struct manager *m);

/*
 * Reload the policy from policy_dir. On error the old policy stays and
 * *@error (malloc'd, may be NULL) says FILE:LINE: why. On success, leases
 * the new policy no longer allows are revoked.
 */
int manager_reload(struct manager *m, char **error);

/* Re-sync devices with sysfs (start, reload, "udevadm trigger"). */
void manager_rescan(struct manager *m);

struct queue_result {
	struct lease *lease;		/* its fd is the one to send */
	struct wdp_refusal refusal;	/* when refused */
};

/*
 * Decide on one request for @c: policy, then placement, then
 * lease_grant() on the chosen device. Returns 0 with the lease, or a
 * negative errno with res->refusal filled (reason and sentence).
 */
int manager_request_queue(struct manager *m, struct client *c,
			  const struct wdp_queue_req *req, struct queue_result *res);

/* Change a section's max_queues at run time (D-Bus SetQuota). */
int manager_set_quota(struct manager *m, const char *section, long long max, char **error);

#endif
