/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-broker-lib.h - helpers for tests that run the real wdbrokerd on a
 * fake device tree: a temporary directory with sys/class/uacce/<dev>/
 * attributes, sys/devices/system/node topology, dev/<dev> nodes (FIFOs:
 * the broker only opens them) and a policy directory. Compiled once
 * (test-broker-lib.c) and linked into the unit tests, as vmlib is into the
 * vm tests.
 */
#ifndef WD_TEST_BROKER_LIB_H
#define WD_TEST_BROKER_LIB_H

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "wdproto.h"

struct fake_tree {
	char root[256];
	char sock[300];
	pid_t broker;
	const char *bus;	/* --bus argument; NULL: "none" */
	const char *extra;	/* one more argument, or NULL */
};

void tb_write(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void tb_mkdirs(const char *path);

void tb_init(struct fake_tree *t);

/* Two-node topology: every CPU on node 0 unless @cpus1 lists some for node 1. */
void tb_numa(struct fake_tree *t, int nodes, const char *const *distances,
	     const char *const *cpulists);

void tb_attr(struct fake_tree *t, const char *dev, const char *attr,
	     const char *value);

void tb_device(struct fake_tree *t, const char *name, const char *algs,
	       int node, int available);

void tb_remove_device(struct fake_tree *t, const char *name);

void tb_policy(struct fake_tree *t, const char *text);

int tb_connect(struct fake_tree *t);

const char *tb_broker_path(void);

/* Start the broker; wait until its socket accepts. */
void tb_start(struct fake_tree *t);

/* Stop the broker; returns its exit status (0 = clean). */
int tb_stop(struct fake_tree *t);

bool tb_alive(struct fake_tree *t);

void tb_cleanup(struct fake_tree *t);

/* Ask for a queue; returns 0 / -errno and fills fd (or -1). */
int tb_request(int sock, const char *alg, const char *device, int node,
	       struct wdp_lease *g, int *fd, struct wdp_refusal *rf);

/* Lines of the broker's log (<tree>/broker.log) that contain @needle. */
int tb_log_count(struct fake_tree *t, const char *needle);

/* Wait (up to @ms) for the socket to be readable. */
bool tb_readable(int fd, int ms);

#endif
