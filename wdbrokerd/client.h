/* SPDX-License-Identifier: GPL-2.0-or-later */
/* client.h - the broker's clients: connections, limits, the wire dispatch. */
#ifndef WDBROKERD_CLIENT_H
#define WDBROKERD_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "list.h"
#include "log.h"
#include "policy.h"

struct lease;
struct manager;

/*
 * A client: a socket connection, or a D-Bus peer (its unique name) that
 * took queues with RequestQueue. Its leases end when it goes away.
 */
struct client {
	struct manager *m;
	uint64_t id;
	int fd;				/* socket client, else -1 */
	char *bus_name;			/* D-Bus client, else NULL */
	sd_event_source *io;
	sd_bus_track *track;		/* D-Bus client: watches its name */
	struct identity ident;
	struct lease *leases;		/* list through lease->by_client */
	unsigned n_leases;
	bool counted;			/* in manager.conn_per_uid */
	bool stored;			/* conn-N is in systemd's fd store */
	LIST_FIELDS(struct client, clients);
};

/* A D-Bus client (@bus_name) or one on socket @fd, which it then owns. */
struct client *client_new(struct manager *m, int fd, const char *bus_name);
/* Ends the client's leases ("client hung up") and frees it. */
void client_free(struct client *c);
/*
 * At a clean stop with the fd store on: free @c but keep its leases alive
 * for the next broker (their fds and state files stay), forgetting them
 * here without ending them.
 */
void client_free_keep_leases(struct client *c);

struct client *client_find_bus(struct manager *m, const char *bus_name);
/* The socket client that had id @id (a restored connection), or NULL. */
struct client *client_find_socket(struct manager *m, uint64_t id);

/* The journal fields of @c: user, uid, pid, unit. */
struct log_ctx client_ctx(const struct client *c);

/*
 * Put @c's connection in systemd's fd store (once, when it gets its first
 * lease), so a restarted broker gets it back with the lease.
 */
void client_store(struct client *c);

/*
 * Restart survival: make @fd (the connection stored as conn-@id) a client
 * again. Takes @fd: closes it on failure.
 */
int client_adopt_consume(struct manager *m, int fd, uint64_t id);

/* Start accepting on m->listen_fd; the timer that rests accept() is made here. */
int client_listen(struct manager *m);

#endif
