// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c - restart survival.
 *
 * On `systemctl restart wdbroker` systemd keeps every fd the broker put in
 * its fd store: the client connections (conn-N) and the broker's duplicate
 * of each queue (lease-N). The new broker adopts the connections (their
 * SO_PEERCRED identity is still valid), then rebuilds each lease from its
 * state file and re-charges it to the current policy, so quotas stay
 * correct. A lease whose connection did not come back ended while the
 * broker was down: its queue is revoked and its file removed.
 */
#include "state.h"

#include <dirent.h>
#include <fcntl.h>

#include "client.h"
#include "lease.h"
#include "log.h"
#include "util.h"

int state_lease_save(const char *dir, const struct lease *l, uint64_t client_id)
{
	_cleanup_(freep) char *path = NULL, *tmp = NULL;
	FILE *f;
	int r = 0;

	if (!dir)
		return 0;
	if (asprintf(&path, "%s/lease-%llu", dir, (unsigned long long)l->id) < 0 ||
	    asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "client=%llu\ndevice=%s\nalg=%s\ngranted=%llu\n",
		(unsigned long long)client_id, l->device, l->alg,
		(unsigned long long)l->granted_usec);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
	}
	return r;
}

void state_lease_remove(const char *dir, uint64_t id)
{
	char path[4096];

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/lease-%llu", dir, (unsigned long long)id);
	unlink(path);
}

int state_stored_fd_consume(struct manager *m, const char *name, int fd)
{
	long long v;
	uint64_t id;

	if (!strncmp(name, "conn-", 5) && parse_int(name + 5, 1, INT64_MAX, &v) == 0)
		return client_adopt_consume(m, fd, (uint64_t)v);
	if (lease_parse_store_name(name, &id) == 0)
		return lease_stash_consume(m, id, fd);
	log_warning("fd store returned an unknown fd \"%s\"; closing it", name);
	close(fd);
	return -EINVAL;
}

/* @saved's strings are malloc'd: the caller frees them, also on failure. */
static int read_state(const char *dir, uint64_t id, uint64_t *client, struct lease_saved *saved)
{
	char *device = NULL, *alg = NULL;
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	char line[256];

	if (asprintf(&path, "%s/lease-%llu", dir, (unsigned long long)id) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*client = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "client=", 7))
			*client = strtoull(line + 7, NULL, 10);
		else if (!strncmp(line, "device=", 7) && !device)
			device = strdup(line + 7);
		else if (!strncmp(line, "alg=", 4) && !alg)
			alg = strdup(line + 4);
		else if (!strncmp(line, "granted=", 8))
			saved->granted_usec = strtoull(line + 8, NULL, 10);
	}
	saved->device = device;
	saved->alg = alg;
	return *client && device && alg ? 0 : -EINVAL;
}

/* State files whose fd did not come back are stale. */
static void remove_stale(struct lease_table *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		uint64_t id;

		/* The state file has the fd store's name for the lease. */
		if (lease_parse_store_name(e->d_name, &id) < 0)
			continue;
		lease_table_reserve_id(t, id);
		if (!lease_find(t, id))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}

void state_restore(struct manager *m, struct lease_table *t, const char *dir)
{
	unsigned restored = 0;

	for (unsigned i = 0; i < t->n_stash; i++) {
		struct lease_stash *s = &t->stash[i];
		struct lease_saved saved = { 0 };
		struct client *c = NULL;
		uint64_t client_id = 0;

		if (dir && read_state(dir, s->id, &client_id, &saved) == 0)
			c = client_find_socket(m, client_id);
		/* No client (its connection did not come back): the lease ends. */
		if (lease_restore_consume(m, c, s->id, s->fd, &saved) == 0)
			restored++;
		free((char *)saved.device);
		free((char *)saved.alg);
	}
	free(t->stash);
	t->stash = NULL;
	t->n_stash = 0;
	if (dir)
		remove_stale(t, dir);
	if (restored)
		log_info("restored %u lease(s) from before the restart", restored);
}
