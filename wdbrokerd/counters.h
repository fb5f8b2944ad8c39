/* SPDX-License-Identifier: GPL-2.0-or-later */
/* counters.h - the totals of the counters clients report (COUNTERS). */
#ifndef WDBROKERD_COUNTERS_H
#define WDBROKERD_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wdproto.h"

/* Identities (uid + unit) the broker keeps counters for, in all. */
#define COUNTERS_IDENTS_MAX		256
/* Of those, how many one uid may have (one row per systemd unit). */
#define COUNTERS_IDENTS_PER_UID		16
/* Names one identity keeps (libwdz reports 18). */
#define COUNTERS_NAMES_MAX		32

/* The totals of one identity: what its processes reported, summed. */
struct counters_ident {
	uid_t uid;
	char *unit;			/* "" when the client had no unit */
	unsigned n;
	struct wdp_counter v[COUNTERS_NAMES_MAX];
};

struct counters_table {
	struct counters_ident *v[COUNTERS_IDENTS_MAX];
	unsigned n;
	/* Counters refused because a cap was reached, since the start. */
	uint64_t dropped;
	bool full_logged;		/* the "table full" warning was logged */
};

/*
 * Add @n reported counters of the client (@uid, @unit: from SO_PEERCRED
 * and its cgroup, never from the message) to its identity's totals,
 * creating the identity on its first report. A counter is dropped, and
 * counted in @res->dropped and t->dropped, when its identity cannot be
 * made (COUNTERS_IDENTS_MAX in all, or COUNTERS_IDENTS_PER_UID for @uid)
 * or when it is a new name of an identity that has COUNTERS_NAMES_MAX
 * already. Values add up and stop at UINT64_MAX. Returns 0, or -ENOMEM
 * (nothing was added).
 */
int counters_add(struct counters_table *t, uid_t uid, const char *unit,
		 const struct wdp_counter *v, uint32_t n, struct wdp_counted *res);

void counters_table_deinit(struct counters_table *t);

#endif
