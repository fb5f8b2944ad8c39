/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h - leases that survive a broker restart. */
#ifndef WDBROKERD_STATE_H
#define WDBROKERD_STATE_H

#include <stdint.h>

struct lease;
struct lease_table;
struct manager;

/*
 * One small file per lease in the state directory (RuntimeDirectory, kept
 * across restarts): which connection holds it, on which device, for which
 * algorithm. The fds themselves (connection and queue duplicate) are in
 * systemd's fd store as conn-<client id> and lease-<lease id>.
 */
int state_lease_save(const char *dir, const struct lease *l, uint64_t client_id);
void state_lease_remove(const char *dir, uint64_t id);

/*
 * Adopt one fd handed back by the fd store, by its FDNAME: a connection
 * becomes a client at once, a queue waits in @m's lease table. Takes @fd.
 */
int state_stored_fd_consume(struct manager *m, const char *name, int fd);
/*
 * Rebuild the leases waiting in @t from the state files in @dir, through
 * the client and lease APIs; remove state files nothing came back for.
 */
void state_restore(struct manager *m, struct lease_table *t, const char *dir);

#endif
