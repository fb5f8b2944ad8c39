// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * counters.c - what clients report with COUNTERS (libwdz: streams, bytes,
 * software fallbacks), summed per identity.
 *
 * An identity is a uid and a systemd unit, both as the broker learnt them
 * when the client connected; a client cannot report for anyone else. The
 * table lives in the broker's memory only: it starts empty with every
 * broker (a restart resets it) and outlives the clients, which is the
 * point: a process reports at exit. Memory is bounded by three caps
 * (counters.h), so the worst case is COUNTERS_IDENTS_MAX rows of
 * COUNTERS_NAMES_MAX names, about 600 KiB. A uid has its own cap on rows,
 * so one user starting many units fills only their own share. What does
 * not fit is dropped and counted, never evicting what is there: totals
 * that are shown are never silently partial.
 */
#include "counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static struct counters_ident *ident_find(struct counters_table *t, uid_t uid,
					 const char *unit, unsigned *of_uid)
{
	*of_uid = 0;
	for (unsigned i = 0; i < t->n; i++) {
		if (t->v[i]->uid != uid)
			continue;
		if (!strcmp(t->v[i]->unit, unit))
			return t->v[i];
		(*of_uid)++;
	}
	return NULL;
}

static struct wdp_counter *name_find(struct counters_ident *id, const char *name)
{
	for (unsigned i = 0; i < id->n; i++)
		if (!strcmp(id->v[i].name, name))
			return &id->v[i];
	return NULL;
}

int counters_add(struct counters_table *t, uid_t uid, const char *unit,
		 const struct wdp_counter *v, uint32_t n, struct wdp_counted *res)
{
	unsigned of_uid;
	struct counters_ident *id;

	res->stored = res->dropped = 0;
	if (!unit)
		unit = "";
	id = ident_find(t, uid, unit, &of_uid);
	if (!id && (t->n == COUNTERS_IDENTS_MAX || of_uid == COUNTERS_IDENTS_PER_UID)) {
		if (!t->full_logged)
			log_warning("client counters: no room for uid %u unit \"%s\" (%s); their reports are dropped until the broker restarts",
				    (unsigned)uid, unit, t->n == COUNTERS_IDENTS_MAX ?
				    "the table is full" : "that uid has its share of units");
		t->full_logged = true;
		res->dropped = n;
		t->dropped += n;
		return 0;
	}
	if (!id) {
		id = calloc(1, sizeof(*id));
		if (!id)
			return -ENOMEM;
		id->uid = uid;
		id->unit = strdup(unit);
		if (!id->unit) {
			free(id);
			return -ENOMEM;
		}
		t->v[t->n++] = id;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct wdp_counter *c = name_find(id, v[i].name);

		if (!c && id->n == COUNTERS_NAMES_MAX) {
			res->dropped++;
			t->dropped++;
			continue;
		}
		if (!c) {
			c = &id->v[id->n++];
			memcpy(c->name, v[i].name, sizeof(c->name));
			c->value = 0;
		}
		c->value = v[i].value > UINT64_MAX - c->value ? UINT64_MAX : c->value + v[i].value;
		res->stored++;
	}
	return 0;
}

void counters_table_deinit(struct counters_table *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		free(t->v[i]->unit);
		free(t->v[i]);
	}
	t->n = 0;
}
