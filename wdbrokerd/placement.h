/* SPDX-License-Identifier: GPL-2.0-or-later */
/* placement.h - choosing the device for a queue. */
#ifndef WDBROKERD_PLACEMENT_H
#define WDBROKERD_PLACEMENT_H

#include <stdbool.h>

#include "device.h"
#include "policy.h"

/* One device considered for a request. */
struct place_cand {
	const char *name;
	int node;		/* device node, -1 none */
	int free;		/* available instances */
	unsigned leased;	/* broker leases on it */
	bool isolated;
	bool allowed;		/* offers the algorithm and policy allows it */
	bool apart;		/* its engine can run off the client's CPUs (cpuplace.h) */
};

/*
 * placement_order - the devices to try, best first.
 * @topo: distances (devtable_distance); @client_node: -1 if unknown.
 * Writes indexes into @order (room for @n) and returns how many; devices not
 * allowed, isolated or without free instances are left out. strict-node
 * keeps only devices on @client_node (a device on no node counts as
 * everywhere, as in VMs with numa_node -1). Every mode puts the devices
 * whose engine can run apart from the client first (cpuplace.h); then
 * nearest sorts by distance, then fewest leases, then most free; spread by
 * fewest leases, then most free, then distance. Ties keep the table order,
 * so the result is deterministic.
 */
int placement_order(const struct devtable *topo, const struct place_cand *c, int n,
		    int client_node, enum placement mode, int *order);

#endif
