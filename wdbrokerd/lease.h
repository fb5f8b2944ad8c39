/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lease.h - a granted queue, and the table of them by id. */
#ifndef WDBROKERD_LEASE_H
#define WDBROKERD_LEASE_H

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "wdproto.h"

struct client;
struct wd_device;

struct lease {
	uint64_t id;
	struct client *client;		/* holder; lease dies with it */
	struct wd_device *dev;		/* NULL once the device is gone */
	char device[WDP_NAME_MAX];	/* name kept for logs after removal */
	char alg[WDP_ALGS_MAX];		/* one algorithm or a set, as asked */
	int dupfd;			/* broker's duplicate, for revocation */
	uint64_t granted_usec;		/* CLOCK_REALTIME */

	/* Sections whose quota this lease counts against. */
	struct policy_section **sections;
	int n_sections;

	struct lease *client_prev, *client_next;
	struct lease *dev_prev, *dev_next;
};

struct lease_table {
	void *root;			/* tsearch tree keyed by id: O(log n) */
	unsigned count;
	uint64_t next_id;
};

void lease_table_init(struct lease_table *t);
/* Frees nothing: the owner removes leases first. */
void lease_table_deinit(struct lease_table *t);

struct lease *lease_new(struct lease_table *t, uint64_t id);
struct lease *lease_find(struct lease_table *t, uint64_t id);
/* Unlink from the table and free (closes dupfd). */
void lease_free(struct lease_table *t, struct lease *l);
/*
 * Snapshot of every lease in id order (malloc'd array, returns the count),
 * so that callers may free or revoke while iterating.
 */
int lease_table_collect(struct lease_table *t, struct lease ***out);

/* Quota accounting: point the lease at @m and count it in each. */
int lease_charge(struct lease *l, struct policy_section **m, int n);
void lease_uncharge(struct lease *l);

#endif
