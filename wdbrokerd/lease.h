/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lease.h - a granted queue from grant to end, and the table of them by id. */
#ifndef WDBROKERD_LEASE_H
#define WDBROKERD_LEASE_H

#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "log.h"
#include "policy.h"
#include "wdproto.h"

struct client;
struct manager;
struct wd_device;

/*
 * The quota a lease counts against: one count in each of its policy
 * sections. charge_init() takes the counts, charge_deinit() gives them
 * back and asserts that each section still had them, so a count can be
 * neither lost nor given back twice.
 */
struct charge {
	struct policy_section **sections;
	int n;
};

int charge_init(struct charge *ch, struct policy_section **sections, int n);
void charge_deinit(struct charge *ch);
/* Move the counts to @sections (a new policy); on failure @ch is unchanged. */
int charge_move(struct charge *ch, struct policy_section **sections, int n);

struct lease {
	uint64_t id;
	struct client *client;		/* holder; lease dies with it */
	struct wd_device *dev;		/* NULL once the device is gone */
	char device[WDP_NAME_MAX];	/* name kept for logs after removal */
	char alg[WDP_ALGS_MAX];		/* one algorithm or a set, as asked */
	int fd;				/* the queue: sent to the client, kept for revocation */
	uint64_t granted_usec;		/* CLOCK_REALTIME */
	struct charge charge;

	LIST_FIELDS(struct lease, by_client);
	LIST_FIELDS(struct lease, by_dev);
};

/* A queue fd the fd store gave back, waiting for state_restore(). */
struct lease_stash {
	uint64_t id;
	int fd;
};

struct lease_table {
	void *root;			/* tsearch tree keyed by id: O(log n) */
	unsigned count;
	uint64_t next_id;
	struct lease_stash *stash;
	unsigned n_stash;
};

void lease_table_init(struct lease_table *t);
/* Closes what is still stashed; the owner ends or forgets the leases first. */
void lease_table_deinit(struct lease_table *t);

struct lease *lease_find(struct lease_table *t, uint64_t id);
/*
 * Snapshot of every lease in id order (malloc'd array, returns the count),
 * so that callers may end leases while iterating.
 */
int lease_table_collect(struct lease_table *t, struct lease ***out);
/* Never hand out @id again (an earlier broker used it). */
void lease_table_reserve_id(struct lease_table *t, uint64_t id);

/* The journal fields of @l: its holder's and its own. */
struct log_ctx lease_ctx(const struct lease *l);

/*
 * Grant @c a queue on @d for @alg, charged to @sections: open the device,
 * narrow the queue to @alg, put it in the fd store, save its state, link
 * it to @c and @d, announce it. @placed says for the journal how @d was
 * chosen ("node 0, client node 0, nearest"). Returns 0 with *@out set; -EAGAIN when
 * this device could not give a queue (logged and counted; try the next);
 * another -errno with @rf saying why the request is refused.
 */
int lease_grant(struct manager *m, struct client *c, struct wd_device *d, const char *alg,
		struct policy_section **sections, int n_sections, const char *placed,
		struct lease **out, struct wdp_refusal *rf);

/*
 * End @l: stop its queue (UACCE_CMD_REVOKE), log and announce it, take it
 * out of the fd store and the state directory, unlink and free it. @by
 * NULL: its holder released it or went away, @why says how ("released by
 * the client"). Otherwise it is revoked: @by says who or what ("uid 0
 * (:1.4)", "policy", "device removal") for the journal's WD_REVOKED_BY,
 * @why is the sentence for the log, the holder and the bus.
 */
void lease_end(struct manager *m, struct lease *l, const char *by, const char *why);

/*
 * Stop: forget @l without ending it, so the next broker restores it from
 * the fd store and the state directory.
 */
void lease_forget(struct manager *m, struct lease *l);

/*
 * Restart survival. lease_stash_consume() keeps queue fd @fd (stored as
 * lease-@id) until lease_restore_consume() makes it a lease of @c again:
 * charged to the current policy, linked, but not announced. When that
 * fails, or @c is NULL (its connection did not come back), the queue is
 * stopped and its fd, store entry and state file go. Both take @fd.
 */
int lease_stash_consume(struct manager *m, uint64_t id, int fd);

/* What the state file kept of a lease. */
struct lease_saved {
	const char *device;
	const char *alg;
	uint64_t granted_usec;		/* 0: unknown (the restore is the grant then) */
};

int lease_restore_consume(struct manager *m, struct client *c, uint64_t id, int fd,
			  const struct lease_saved *saved);
/* Is @name a lease's name in the fd store ("lease-N")? Sets *@id. */
int lease_parse_store_name(const char *name, uint64_t *id);

#endif
