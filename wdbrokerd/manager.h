/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manager.h - the broker: event loop, clients, requests, leases. */
#ifndef WDBROKERD_MANAGER_H
#define WDBROKERD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "lease.h"
#include "policy.h"
#include "wdproto.h"

#define WDBROKERD_VERSION "0.1.0"

/*
 * A client: a socket connection, or a D-Bus peer (its unique name) that
 * took queues with RequestQueue. Its leases end when it goes away.
 */
struct client {
	struct manager *m;
	uint64_t id;
	int fd;				/* socket client, else -1 */
	char *bus_name;			/* D-Bus client, else NULL */
	sd_event_source *io;
	sd_bus_track *track;		/* D-Bus client: watches its name */
	struct identity ident;
	struct lease *leases;		/* list through lease->client_next */
	unsigned n_leases;
	bool counted;			/* in manager.conn_per_uid */
	bool stored;			/* conn-N is in systemd's fd store */
	struct client *prev, *next;
};

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
	sd_bus_slot *bus_slots[4];
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

	/*
	 * systemd's fd store holds one fd per lease and one per stored
	 * connection; past FileDescriptorStoreMax PID 1 would silently close
	 * what we send. fdstore_max is that limit when $FDSTORE tells it
	 * (systemd 254 and later set it; 0: unknown, no check).
	 */
	unsigned fdstore_max;
	unsigned n_conns_stored;	/* clients with ->stored */

	/* Lease fds given back by the fd store, waiting for state_restore(). */
	struct stored_lease {
		uint64_t id;
		int fd;
	} *stored;
	unsigned n_stored;
};

/*
 * Batch changes behind a one-shot @timer (made disabled, with @m as its
 * user data): the first change after the timer last fired arms it for @ms,
 * later ones find it armed, and @flush sends the state of that moment. With
 * no timer, or if arming fails, @flush runs at once.
 */
void manager_defer(struct manager *m, sd_event_source *timer, unsigned ms,
		   sd_event_time_handler_t flush);

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
	struct lease *lease;
	int fd;				/* for the client; caller closes after sending */
	struct wdp_refusal refusal;	/* when refused */
};

/*
 * Decide on one request for @c. Returns 0 with a lease and an fd to send,
 * or a negative errno with res->refusal filled (reason and sentence).
 */
int manager_request_queue(struct manager *m, struct client *c,
			  const struct wdp_queue_req *req, struct queue_result *res);

/* End a lease. @why: "released", "hang-up", "revoked: ..." for the log. */
void manager_release_lease(struct manager *m, struct lease *l, const char *why);
/*
 * Revoke through the kernel, notify the holder, then release. @by says who
 * or what revoked it ("uid 0 (:1.4)", "policy", "device removal") for the
 * journal's WD_REVOKED_BY; @why is the sentence for the log and the bus.
 */
void manager_revoke_lease(struct manager *m, struct lease *l, const char *by, const char *why);

struct client *client_new(struct manager *m, int fd, const char *bus_name);
void client_free(struct client *c);
struct client *manager_find_bus_client(struct manager *m, const char *bus_name);

/* Restart survival (state.c): adopt a stored connection / lease. */
int manager_adopt_connection(struct manager *m, int fd, uint64_t id);
int manager_adopt_lease(struct manager *m, struct client *c, uint64_t id, int fd,
			const char *device, const char *alg);

/* Change a section's max_queues at run time (D-Bus SetQuota). */
int manager_set_quota(struct manager *m, const char *section, long long max, char **error);

#endif
