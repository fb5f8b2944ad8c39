/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bus.h - the org.warpdrive D-Bus API. */
#ifndef WDBROKERD_BUS_H
#define WDBROKERD_BUS_H

struct manager;
struct lease;
struct wd_device;

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

#endif
