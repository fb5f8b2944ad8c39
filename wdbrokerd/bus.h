/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bus.h - the org.warpdrive D-Bus API. */
#ifndef WDBROKERD_BUS_H
#define WDBROKERD_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

struct manager;
struct lease;
struct wd_device;

#define BUS_NAME	"org.warpdrive"
#define MANAGER_PATH	"/org/warpdrive"
#define MANAGER_IFACE	"org.warpdrive.Manager1"
#define LEASE_PREFIX	"/org/warpdrive/lease"
#define LEASE_IFACE	"org.warpdrive.Lease1"

/* Connect (1 system, 2 user bus), publish objects, take org.warpdrive. */
int bus_setup(struct manager *m, int which);
void bus_teardown(struct manager *m);

/* Signals and PropertiesChanged; no-ops without a bus. */
void bus_emit_device_added(struct manager *m, struct wd_device *d);
void bus_emit_device_removed(struct manager *m, struct wd_device *d);
void bus_emit_device_changed(struct manager *m, struct wd_device *d);
void bus_emit_lease_granted(struct manager *m, struct lease *l);
void bus_emit_lease_released(struct manager *m, struct lease *l);
void bus_emit_lease_revoked(struct manager *m, struct lease *l, const char *why);
void bus_emit_lease_count(struct manager *m);

/*
 * Admin authorization (bus-admin.c). 1: the caller of @msg may run admin
 * method @handler now (root). 0: the call is parked until polkit answers
 * (org.warpdrive.manage), and @handler then runs again from the start with
 * @m as its user data, or the caller gets the refusal: the handler returns
 * 1 without replying. <0 with @error set: refused at once.
 */
int bus_check_admin(struct manager *m, sd_bus_message *msg,
		    sd_bus_message_handler_t handler, sd_bus_error *error);
/* Drop the parked calls (no answer: their callers see the broker leave). */
void bus_admin_teardown(void);
/* Who called: "uid 0 (:1.42)", for the journal's WD_REVOKED_BY. */
const char *bus_admin_name(sd_bus_message *msg, char *buf, size_t size);

/* In an admin handler: go on only when bus_check_admin() says so. */
#define BUS_ADMIN_OR_RETURN(m, msg, handler, error) do {		\
		int _r = bus_check_admin(m, msg, handler, error);	\
		if (_r <= 0)						\
			return _r < 0 ? _r : 1;				\
	} while (0)

/*
 * The effective uid of @msg's sender, as the bus daemon recorded it when
 * the sender connected. 0 or <0 when the caller cannot be identified.
 */
int bus_caller_euid(sd_bus_message *msg, uid_t *uid);

/* org.warpdrive.Lease1 objects under LEASE_PREFIX (bus-lease.c). */
int bus_lease_setup(struct manager *m);
/*
 * Revoke lease @id for an admin caller (authorized already) and reply to
 * @msg; org.warpdrive.Error.NoSuchLease if there is none.
 */
int bus_lease_revoke(struct manager *m, sd_bus_message *msg, uint64_t id, sd_bus_error *error);
/* The object path of lease @id; @buf has room for 64 bytes. */
const char *bus_lease_path(uint64_t id, char *buf);

#endif
