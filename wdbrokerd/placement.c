// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * placement.c - ordering of candidate devices: engine apart from the
 * client first, then NUMA distance and load.
 *
 * Pure function of its inputs (no I/O) so it can be tested over tables of
 * topologies. The manager tries the devices in the returned order: if one
 * turns out to be full when it is opened (another user of the device raced
 * us), it spills to the next.
 */
#include "placement.h"

#include <stdlib.h>

struct sort_ctx {
	const struct devtable *topo;
	const struct place_cand *c;
	int client_node;
	enum placement mode;
};

static int cmp_int(long a, long b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp(const void *pa, const void *pb, void *ud)
{
	const struct sort_ctx *s = ud;
	int ia = *(const int *)pa, ib = *(const int *)pb;
	const struct place_cand *a = &s->c[ia], *b = &s->c[ib];
	int da = devtable_distance(s->topo, s->client_node, a->node);
	int db = devtable_distance(s->topo, s->client_node, b->node);
	int r;

	/* Never make co-location the common case: see cpuplace.h. */
	if (a->apart != b->apart)
		return a->apart ? -1 : 1;
	if (s->mode == PLACE_SPREAD) {
		r = cmp_int(a->leased, b->leased);
		if (!r)
			r = cmp_int(b->free, a->free);
		if (!r)
			r = cmp_int(da, db);
	} else {
		r = cmp_int(da, db);
		if (!r)
			r = cmp_int(a->leased, b->leased);
		if (!r)
			r = cmp_int(b->free, a->free);
	}
	return r ? r : cmp_int(ia, ib);
}

int placement_order(const struct devtable *topo, const struct place_cand *c, int n,
		    int client_node, enum placement mode, int *order)
{
	struct sort_ctx s = { topo, c, client_node, mode };
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (!c[i].allowed || c[i].isolated || c[i].free <= 0)
			continue;
		if (mode == PLACE_STRICT_NODE && client_node >= 0 &&
		    c[i].node >= 0 && c[i].node != client_node)
			continue;
		order[k++] = i;
	}
	qsort_r(order, (size_t)k, sizeof(int), cmp, &s);
	return k;
}
