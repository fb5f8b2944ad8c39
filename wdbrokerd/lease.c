// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lease.c - leases and their table.
 *
 * A lease exists from the grant until its release, its client's hang-up, or
 * its revocation. It holds the broker's duplicate of the queue fd (the
 * handle for UACCE_CMD_REVOKE) and the policy sections it is charged to.
 * The table is a balanced tree (glibc tsearch) keyed by id, so lookups and
 * removals stay O(log n) with thousands of clients.
 */
#include "lease.h"

#include <search.h>

#include "util.h"

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct lease *)a)->id, y = ((const struct lease *)b)->id;

	return x < y ? -1 : x > y;
}

void lease_table_init(struct lease_table *t)
{
	t->root = NULL;
	t->count = 0;
	t->next_id = 1;
}

static void nop_free(void *p)
{
	(void)p;
}

void lease_table_deinit(struct lease_table *t)
{
	tdestroy(t->root, nop_free);
	t->root = NULL;
}

struct lease *lease_new(struct lease_table *t, uint64_t id)
{
	struct lease *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->dupfd = -1;
	l->id = id ? id : t->next_id;
	if (l->id >= t->next_id)
		t->next_id = l->id + 1;
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

void lease_uncharge(struct lease *l)
{
	for (int i = 0; i < l->n_sections; i++)
		if (l->sections[i]->used)
			l->sections[i]->used--;
	free(l->sections);
	l->sections = NULL;
	l->n_sections = 0;
}

int lease_charge(struct lease *l, struct policy_section **m, int n)
{
	struct policy_section **v = malloc((size_t)(n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	lease_uncharge(l);
	memcpy(v, m, (size_t)n * sizeof(*v));
	for (int i = 0; i < n; i++)
		v[i]->used++;
	l->sections = v;
	l->n_sections = n;
	return 0;
}

void lease_free(struct lease_table *t, struct lease *l)
{
	if (tdelete(l, &t->root, cmp_id))
		t->count--;
	lease_uncharge(l);
	if (l->dupfd >= 0)
		close(l->dupfd);
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
