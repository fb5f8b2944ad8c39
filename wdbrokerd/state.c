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

#include "fdpass.h"
#include "lease.h"
#include "log.h"
#include "manager.h"
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

static int parse_id(const char *s, const char *prefix, uint64_t *id)
{
	long long v;
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || parse_int(s + n, 1, INT64_MAX, &v) < 0)
		return -EINVAL;
	*id = (uint64_t)v;
	return 0;
}

int state_take_stored_fd(struct manager *m, const char *name, int fd)
{
	uint64_t id;

	if (parse_id(name, "conn-", &id) == 0)
		return manager_adopt_connection(m, fd, id);
	if (parse_id(name, "lease-", &id) == 0) {
		struct stored_lease *nv = realloc(m->stored, (m->n_stored + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->stored = nv;
		m->stored[m->n_stored++] = (struct stored_lease){ id, fd };
		return 0;
	}
	log_warning("fd store returned an unknown fd \"%s\"; closing it", name);
	return -EINVAL;
}

static int read_state(const char *dir, uint64_t id, uint64_t *client, char **device, char **alg)
{
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
		else if (!strncmp(line, "device=", 7) && !*device)
			*device = strdup(line + 7);
		else if (!strncmp(line, "alg=", 4) && !*alg)
			*alg = strdup(line + 4);
	}
	return *client && *device && *alg ? 0 : -EINVAL;
}

void state_restore(struct manager *m)
{
	unsigned restored = 0;

	/* Never hand out an id an earlier broker used, restored or not. */
	for (unsigned i = 0; i < m->n_stored; i++)
		if (m->stored[i].id >= m->leases.next_id)
			m->leases.next_id = m->stored[i].id + 1;
	for (unsigned i = 0; i < m->n_stored; i++) {
		_cleanup_(freep) char *device = NULL, *alg = NULL;
		struct stored_lease *s = &m->stored[i];
		struct client *c = NULL;
		uint64_t client_id = 0;
		int r = -ENOENT;

		if (m->state_dir)
			r = read_state(m->state_dir, s->id, &client_id, &device, &alg);
		if (r == 0) {
			for (c = m->clients; c; c = c->next)
				if (c->fd >= 0 && c->id == client_id)
					break;
		}
		if (!c || manager_adopt_lease(m, c, s->id, s->fd, device, alg) < 0) {
			log_notice("lease %llu ended while the broker was down; stopping its queue",
				   (unsigned long long)s->id);
			fdpass_revoke(s->fd);
			close(s->fd);
			{
				char name[32];

				snprintf(name, sizeof(name), "lease-%llu", (unsigned long long)s->id);
				fdstore_remove(name);
			}
			state_lease_remove(m->state_dir, s->id);
			continue;
		}
		restored++;
	}
	free(m->stored);
	m->stored = NULL;
	m->n_stored = 0;

	/* State files whose fd did not come back are stale. */
	if (m->state_dir) {
		DIR *d = opendir(m->state_dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			uint64_t id;

			if (parse_id(e->d_name, "lease-", &id) < 0)
				continue;
			if (id >= m->leases.next_id)
				m->leases.next_id = id + 1;
			if (!lease_find(&m->leases, id))
				unlinkat(dirfd(d), e->d_name, 0);
		}
		if (d)
			closedir(d);
	}
	if (restored)
		log_info("restored %u lease(s) from before the restart", restored);
}
