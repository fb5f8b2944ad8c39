// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus: org.warpdrive on a private dbus-daemon. Introspection,
 * properties, ListDevices/ListLeases, RequestQueue returning an fd,
 * ReleaseLease, the lease signals, the admin methods (allowed to root,
 * refused to an unprivileged caller) and the D-Bus errors. Then the
 * asynchronous polkit check against a fake org.freedesktop.PolicyKit1 that
 * says yes, no, "challenge", or holds its answer: the broker serves other
 * clients while a check waits (a lease object's Revoke waits the same way),
 * caches nothing, passes on interactive authorization, runs nothing for a
 * caller that left, caps the calls one caller may park, and stops cleanly
 * with a check pending.
 */
#include <grp.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "common/child-pipe.h"
#include "test-broker-bus.h"

static struct fake_tree t;
static struct private_bus pb;

#define DEST "org.warpdrive"
#define PATH "/org/warpdrive"
#define IFACE "org.warpdrive.Manager1"
#define _cleanup_(f) __attribute__((cleanup(f)))

/* Count signals of @member received within @ms. */
static int signals_seen(sd_bus *b, const char *member, int ms)
{
	int n = 0;

	for (int waited = 0; waited < ms; waited += 50) {
		sd_bus_message *m = NULL;

		while (sd_bus_process(b, &m) > 0) {
			if (m && sd_bus_message_is_signal(m, IFACE, member))
				n++;
			m = sd_bus_message_unref(m);
		}
		if (n)
			break;
		sd_bus_wait(b, 50000);
	}
	return n;
}

static int request_queue(sd_bus *b, const char *alg, int *fd, uint64_t *lease,
			 const char **device, sd_bus_error *e, sd_bus_message **reply)
{
	int r, rfd;

	*fd = -1;
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", e, reply, "si", alg, -1);
	if (r < 0)
		return r;
	r = sd_bus_message_read(*reply, "hts", &rfd, lease, device);
	if (r < 0)
		return r;
	*fd = fcntl(rfd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

/* How many entries of ListLeases are lease @lease with algorithm @alg (-1: call failed). */
static int leases_listed(sd_bus *b, uint64_t lease, const char *alg)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *d, *a, *u;
	uint64_t id;
	uint32_t uid, pid;
	int n = 0;

	if (sd_bus_call_method(b, DEST, PATH, IFACE, "ListLeases", NULL, &reply, "") < 0 ||
	    sd_bus_message_enter_container(reply, 'a', "(tssuus)") < 0)
		return -1;
	while (sd_bus_message_read(reply, "(tssuus)", &id, &d, &a, &uid, &pid, &u) > 0)
		if (id == lease && !strcmp(a, alg))
			n++;
	return n;
}

/* Collected PropertiesChanged: how many, and the last value seen. */
struct props_seen {
	int lease_count_signals, device_signals;
	int64_t lease_count, leased;	/* -1: not seen */
};

/* The u value of @prop in a PropertiesChanged, or -1 if it has none. */
static int64_t changed_u(sd_bus_message *m, const char *prop)
{
	const char *iface, *name;
	int64_t v = -1;
	uint32_t u;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return -1;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &name) < 0)
			return -1;
		if (!strcmp(name, prop) && sd_bus_message_read(m, "v", "u", &u) >= 0)
			v = u;
		else if (sd_bus_message_skip(m, "v") < 0)
			return -1;
		sd_bus_message_exit_container(m);
	}
	return v;
}

/* Take every PropertiesChanged of the manager and of wdsoft-0 for @ms. */
static void props_collect(sd_bus *b, int ms, struct props_seen *ps)
{
	for (int waited = 0; waited < ms; waited += 20) {
		sd_bus_message *m = NULL;

		while (sd_bus_process(b, &m) > 0) {
			if (m && sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties",
							  "PropertiesChanged")) {
				const char *path = sd_bus_message_get_path(m);

				if (!strcmp(path, PATH)) {
					ps->lease_count_signals++;
					ps->lease_count = changed_u(m, "LeaseCount");
				} else if (!strcmp(path, "/org/warpdrive/device/wdsoft_2d0")) {
					ps->device_signals++;
					ps->leased = changed_u(m, "LeasedInstances");
				}
			}
			m = sd_bus_message_unref(m);
		}
		sd_bus_wait(b, 20000);
	}
}

static int count_reply(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	(*(int *)ud) += !sd_bus_message_is_method_error(m, NULL);
	return 0;
}

/*
 * LeaseCount and a device's counts announce their changes, coalesced: a
 * burst of grants gives a signal or two carrying the final values, not
 * one signal per grant, and a release is announced too.
 */
static void props_checks(sd_bus *b)
{
	struct props_seen ps = { 0, 0, -1, -1 };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus_slot *slots[8] = { NULL };
	uint64_t id;
	int granted = 0, r;

	sd_bus_match_signal(b, NULL, DEST, NULL, "org.freedesktop.DBus.Properties",
			    "PropertiesChanged", NULL, NULL);
	props_collect(b, 300, &ps);	/* what earlier steps left behind */
	ps = (struct props_seen){ 0, 0, -1, -1 };
	/* Eight requests sent at once: the broker grants them back to back. */
	for (int i = 0; i < 8; i++)
		sd_bus_call_method_async(b, &slots[i], DEST, PATH, IFACE, "RequestQueue",
					 count_reply, &granted, "si", "zlib", -1);
	props_collect(b, 1500, &ps);
	is(granted, 8, "eight queues granted in a burst");
	ok(ps.lease_count == 8, "the last LeaseCount change carries 8 (saw %lld)",
	   (long long)ps.lease_count);
	ok(ps.leased == 8, "the last wdsoft-0 change carries LeasedInstances 8 (saw %lld)",
	   (long long)ps.leased);
	ok(ps.lease_count_signals >= 1 && ps.lease_count_signals < 8 &&
	   ps.device_signals >= 1 && ps.device_signals < 8,
	   "coalesced: %d LeaseCount and %d wdsoft-0 signals for 8 grants",
	   ps.lease_count_signals, ps.device_signals);
	for (int i = 0; i < 8; i++)
		sd_bus_slot_unref(slots[i]);

	/* Release them all; the changes end at 0. */
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ListLeases", &e, &reply, "");
	if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "(tssuus)") >= 0)
		while (sd_bus_message_read(reply, "(tssuus)", &id, NULL, NULL, NULL, NULL, NULL) > 0)
			sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", NULL, NULL, "t", id);
	reply = sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	ps = (struct props_seen){ 0, 0, -1, -1 };
	props_collect(b, 800, &ps);
	ok(ps.lease_count == 0 && ps.leased == 0,
	   "after the releases the last changes carry LeaseCount %lld, LeasedInstances %lld",
	   (long long)ps.lease_count, (long long)ps.leased);
}

static void unprivileged_checks(void)
{
	int p[2];
	pid_t pid;
	char res[8] = "";

	if (geteuid() != 0) {
		skip(3, "not root: cannot switch to an unprivileged user");
		return;
	}
	if (pipe(p) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid == 0) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		const char *dev;
		uint64_t lease;
		sd_bus *b;
		int fd, r;

		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		b = pbus_connect(&pb);
		res[0] = b ? 'c' : 'C';
		r = b ? sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "") : -1;
		res[1] = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		sd_bus_error_free(&e);
		r = b ? sd_bus_call_method(b, DEST, PATH, IFACE, "RevokeLease", &e, NULL, "t",
					  (uint64_t)1) : -1;
		res[2] = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 'd' : 'D';
		sd_bus_error_free(&e);
		r = b ? request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply) : -1;
		res[3] = r == 0 && fd >= 0 ? 'g' : 'G';
		if (write(p[1], res, 4) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, 4) != 4)
		strcpy(res, "????");
	close(p[0]);
	waitpid(pid, NULL, 0);
	ok(res[0] == 'c' && res[1] == 'd', "Reload refused to uid 65534 (AccessDenied)");
	ok(res[2] == 'd', "RevokeLease refused to uid 65534");
	ok(res[3] == 'g', "RequestQueue grants a queue fd to uid 65534");
}

/* ---- polkit: a fake org.freedesktop.PolicyKit1 on the private bus ---- */

enum pk_mode { PK_YES, PK_NO, PK_CHALLENGE, PK_HOLD };

/* Shared with the fake polkit process. */
struct fake_pk {
	_Atomic int mode;
	_Atomic int release;		/* PK_HOLD: answer yes to the held calls */
	_Atomic int calls, replied;
	uint32_t flags;			/* of the last call */
	char kind[32], name[64], action[64];
};

static struct fake_pk *pk;
static pid_t pk_pid;

#define PK_MAX_HELD 64

static sd_bus_message *pk_held[PK_MAX_HELD];
static int pk_n_held;

static int pk_check(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	const char *kind, *key, *action, *cancel;
	uint32_t flags;
	int r, mode = pk->mode;

	r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &kind);
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *v;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0 && !strcmp(key, "name") && sd_bus_message_read(m, "v", "s", &v) >= 0)
			snprintf(pk->name, sizeof(pk->name), "%s", v);
		else if (r >= 0)
			r = sd_bus_message_skip(m, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &action);
	if (r >= 0)
		r = sd_bus_message_skip(m, "a{ss}");
	if (r >= 0)
		r = sd_bus_message_read(m, "us", &flags, &cancel);
	if (r < 0)
		return r;
	snprintf(pk->kind, sizeof(pk->kind), "%s", kind);
	snprintf(pk->action, sizeof(pk->action), "%s", action);
	pk->flags = flags;
	pk->calls++;
	if (mode == PK_HOLD && pk_n_held < PK_MAX_HELD) {
		pk_held[pk_n_held++] = sd_bus_message_ref(m);
		return 1;
	}
	pk->replied++;
	return sd_bus_reply_method_return(m, "(bba{ss})", mode == PK_YES, mode == PK_CHALLENGE, 0);
}

static int pk_tick(sd_event_source *s, uint64_t usec, void *ud)
{
	if (pk->release) {
		for (int i = 0; i < pk_n_held; i++) {
			sd_bus_reply_method_return(pk_held[i], "(bba{ss})", 1, 0, 0);
			pk_held[i] = sd_bus_message_unref(pk_held[i]);
			pk->replied++;
		}
		pk_n_held = 0;
		pk->release = 0;
	}
	return sd_event_source_set_time_relative(s, 10000);
}

static const sd_bus_vtable pk_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", pk_check, 0),
	SD_BUS_VTABLE_END
};

static void start_fake_polkit(void)
{
	pk = mmap(NULL, sizeof(*pk), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pk == MAP_FAILED)
		bail_out("mmap");
	memset(pk, 0, sizeof(*pk));
	fflush(stdout);
	pk_pid = fork();
	if (pk_pid == 0) {
		sd_event *ev = NULL;
		sd_event_source *tick = NULL;
		sd_bus *b = pbus_connect(&pb);

		if (!b || sd_event_default(&ev) < 0 ||
		    sd_bus_add_object_vtable(b, NULL, "/org/freedesktop/PolicyKit1/Authority",
					     "org.freedesktop.PolicyKit1.Authority", pk_vtable, NULL) < 0 ||
		    sd_bus_request_name(b, "org.freedesktop.PolicyKit1", 0) < 0 ||
		    sd_bus_attach_event(b, ev, 0) < 0 ||
		    sd_event_add_time_relative(ev, &tick, CLOCK_MONOTONIC, 10000, 0, pk_tick, NULL) < 0 ||
		    sd_event_source_set_enabled(tick, SD_EVENT_ON) < 0)
			_exit(3);
		sd_event_loop(ev);
		_exit(0);
	}
}

/* Wait until @cond holds (10 ms steps, at most @ms). */
#define WAIT_FOR(cond, ms) ({						\
	bool _ok = false;						\
	for (int _t = 0; _t < (ms) && !(_ok = (cond)); _t += 10)	\
		usleep(10000);						\
	_ok; })

/*
 * An unprivileged bus client (uid 65534) driven by one-line commands:
 *   call METHOD INTERACTIVE [ARG]   an admin call, answers "ok" or the error name
 *   revoke-object LEASE             Lease1.Revoke on the lease's object: "ok" or the error
 *   leave LEASE                     RevokeLease sent ("sent"), exit on the next line
 *   burst N                         N Reload calls at once: "ok=X busy=Y other=Z"
 */
struct agent {
	struct child_lines io;
	char name[64];		/* its unique bus name */
};

static int burst_ok, burst_busy, burst_other;

static int burst_reply(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	if (!sd_bus_message_is_method_error(m, NULL))
		burst_ok++;
	else if (sd_bus_message_is_method_error(m, "org.warpdrive.Error.Busy"))
		burst_busy++;
	else
		burst_other++;
	return 0;
}

static void agent_loop(FILE *in, FILE *out)
{
	sd_bus *b = pbus_connect(&pb);
	const char *me = NULL;
	char line[256];

	if (!b || sd_bus_get_unique_name(b, &me) < 0)
		_exit(4);
	fprintf(out, "%s\n", me);
	fflush(out);
	while (fgets(line, sizeof(line), in)) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		char method[32] = "", arg[64] = "";
		unsigned long long id;
		int inter = 0, n, r = -EINVAL;

		if (sscanf(line, "call %31s %d %63s", method, &inter, arg) >= 2) {
			_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

			r = sd_bus_message_new_method_call(b, &m, DEST, PATH, IFACE, method);
			if (r >= 0)
				r = sd_bus_message_set_allow_interactive_authorization(m, inter);
			if (r >= 0 && !strcmp(method, "RevokeLease"))
				r = sd_bus_message_append(m, "t", strtoull(arg, NULL, 10));
			else if (r >= 0 && !strcmp(method, "SetQuota"))
				r = sd_bus_message_append(m, "sx", "user:nobody", strtoll(arg, NULL, 10));
			if (r >= 0)
				r = sd_bus_call(b, m, 0, &e, NULL);
			fprintf(out, "%s\n", r >= 0 ? "ok" : e.name ? e.name : strerror(-r));
		} else if (sscanf(line, "revoke-object %llu", &id) == 1) {
			char obj[64];

			snprintf(obj, sizeof(obj), "/org/warpdrive/lease/%llu", id);
			r = sd_bus_call_method(b, DEST, obj, "org.warpdrive.Lease1", "Revoke", &e, NULL, "");
			fprintf(out, "%s\n", r >= 0 ? "ok" : e.name ? e.name : strerror(-r));
		} else if (sscanf(line, "leave %llu", &id) == 1) {
			sd_bus_call_method_async(b, NULL, DEST, PATH, IFACE, "RevokeLease", NULL, NULL,
						 "t", (uint64_t)id);
			sd_bus_flush(b);
			fprintf(out, "sent\n");
			fflush(out);
			fgets(line, sizeof(line), in);	/* leave on the next line */
			break;
		} else if (sscanf(line, "burst %d", &n) == 1) {
			burst_ok = burst_busy = burst_other = 0;
			for (int i = 0; i < n; i++)
				sd_bus_call_method_async(b, NULL, DEST, PATH, IFACE, "Reload",
							 burst_reply, NULL, "");
			while (burst_ok + burst_busy + burst_other < n)
				if (sd_bus_process(b, NULL) == 0 && sd_bus_wait(b, 5000000) <= 0)
					break;
			fprintf(out, "ok=%d busy=%d other=%d\n", burst_ok, burst_busy, burst_other);
		}
		sd_bus_error_free(&e);
		fflush(out);
	}
	sd_bus_flush_close_unref(b);
}

static void agent_start(struct agent *a)
{
	if (!child_lines_fork(&a->io, 65534)) {
		agent_loop(a->io.from, a->io.to);
		_exit(0);
	}
	if (!child_lines_read(&a->io, a->name, sizeof(a->name)))
		bail_out("the unprivileged bus client did not start");
}

static const char *agent_answer(struct agent *a)
{
	static char line[128];

	return child_lines_read(&a->io, line, sizeof(line)) ?: "(no answer)";
}

/* Does root's ListLeases show @id? */
static bool lease_listed(sd_bus *b, uint64_t want)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *d, *a, *u;
	uint32_t uid, pid;
	uint64_t id;
	bool found = false;

	if (sd_bus_call_method(b, DEST, PATH, IFACE, "ListLeases", NULL, &reply, "") < 0 ||
	    sd_bus_message_enter_container(reply, 'a', "(tssuus)") < 0)
		return false;
	while (sd_bus_message_read(reply, "(tssuus)", &id, &d, &a, &uid, &pid, &u) > 0)
		found |= id == want;
	return found;
}

static bool round_trip(sd_bus *b)
{
	return sd_bus_call_method(b, DEST, PATH, IFACE, "ListDevices", NULL, NULL, "") >= 0;
}

/*
 * Admin calls of uid 65534 against the fake polkit. Leaves one check
 * pending (polkit holding its answer) for the broker's shutdown.
 */
static void polkit_checks(sd_bus *b)
{
	sd_bus_message *reply = NULL;
	struct agent a;
	const char *dev, *ans;
	uint64_t lease;
	int fd, calls, logged;

	if (geteuid() != 0) {
		skip(30, "not root: cannot switch to an unprivileged user");
		return;
	}
	agent_start(&a);
	child_lines_send(&a.io, "call Reload 0");
	ans = agent_answer(&a);
	ok(!strcmp(ans, SD_BUS_ERROR_ACCESS_DENIED), "no polkit on the bus: AccessDenied at once (%s)",
	   ans);

	start_fake_polkit();
	ok(WAIT_FOR(sd_bus_get_name_creds(b, "org.freedesktop.PolicyKit1", 0, NULL) >= 0, 5000),
	   "the fake polkit owns org.freedesktop.PolicyKit1");
	pk->mode = PK_YES;
	child_lines_send(&a.io, "call Reload 0");
	is_str(agent_answer(&a), "ok", "polkit says yes: Reload runs for uid 65534");
	ok(pk->calls == 1 && !strcmp(pk->kind, "system-bus-name") && !strcmp(pk->name, a.name) &&
	   !strcmp(pk->action, "org.warpdrive.manage") && pk->flags == 0,
	   "polkit was asked once about the caller's bus name %s, action %s, flags %u",
	   pk->name, pk->action, pk->flags);
	child_lines_send(&a.io, "call Reload 1");
	is_str(agent_answer(&a), "ok", "again, allowing interactive authorization");
	is(pk->flags, 1, "AllowUserInteraction is passed on to polkit");
	pk->mode = PK_NO;
	child_lines_send(&a.io, "call Reload 0");
	is_str(agent_answer(&a), SD_BUS_ERROR_ACCESS_DENIED,
	       "polkit says no right after a yes: AccessDenied (nothing cached)");
	is(pk->calls, 3, "each call was its own polkit check");
	pk->mode = PK_CHALLENGE;
	child_lines_send(&a.io, "call Reload 0");
	is_str(agent_answer(&a), SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
	       "polkit wants authentication: InteractiveAuthorizationRequired");

	/* The refused method had no effect; the allowed one runs with its arguments. */
	if (request_queue(b, "zlib", &fd, &lease, &dev, NULL, &reply) < 0)
		bail_out("root got no queue");
	reply = sd_bus_message_unref(reply);
	pk->mode = PK_NO;
	child_lines_send(&a.io, "call RevokeLease 0 %llu", (unsigned long long)lease);
	is_str(agent_answer(&a), SD_BUS_ERROR_ACCESS_DENIED, "RevokeLease refused by polkit");
	ok(lease_listed(b, lease), "and the lease is still there");
	pk->mode = PK_YES;
	child_lines_send(&a.io, "call SetQuota 0 5000000");
	is_str(agent_answer(&a), SD_BUS_ERROR_INVALID_ARGS,
	       "authorized SetQuota reads its arguments again: out of range is InvalidArgs");
	child_lines_send(&a.io, "call SetQuota 0 -1");
	is_str(agent_answer(&a), "ok", "authorized SetQuota(user:nobody, -1) runs");

	/* While polkit holds its answer, the broker serves others. */
	pk->mode = PK_HOLD;
	calls = pk->calls;
	child_lines_send(&a.io, "call RevokeLease 0 %llu", (unsigned long long)lease);
	ok(WAIT_FOR(pk->calls == calls + 1, 5000), "an admin call waits for polkit");
	ok(round_trip(b) && pk->replied == calls, "meanwhile root's ListDevices is answered");
	ok(lease_listed(b, lease), "and the lease is not revoked before polkit answers");
	pk->release = 1;
	is_str(agent_answer(&a), "ok", "polkit answers yes: the parked RevokeLease completes");
	ok(!lease_listed(b, lease), "the lease is revoked");
	close(fd);

	/* Lease1.Revoke on the lease's object: the same check, the lease found again after it. */
	if (request_queue(b, "zlib", &fd, &lease, &dev, NULL, &reply) < 0)
		bail_out("root got no queue");
	reply = sd_bus_message_unref(reply);
	pk->mode = PK_NO;
	child_lines_send(&a.io, "revoke-object %llu", (unsigned long long)lease);
	is_str(agent_answer(&a), SD_BUS_ERROR_ACCESS_DENIED, "Lease1.Revoke refused by polkit");
	pk->mode = PK_HOLD;
	calls = pk->calls;
	child_lines_send(&a.io, "revoke-object %llu", (unsigned long long)lease);
	ok(WAIT_FOR(pk->calls == calls + 1, 5000), "Lease1.Revoke waits for polkit");
	ok(round_trip(b) && lease_listed(b, lease), "and the lease lives until polkit answers");
	pk->release = 1;
	is_str(agent_answer(&a), "ok", "polkit answers yes: the parked Lease1.Revoke completes");
	ok(!lease_listed(b, lease), "the lease is revoked");
	close(fd);

	/* Per-sender cap on parked calls. */
	calls = pk->calls;
	child_lines_send(&a.io, "burst 17");
	ok(WAIT_FOR(pk->calls == calls + 16, 5000) && round_trip(b) && pk->calls == calls + 16,
	   "16 admin calls of one sender wait for polkit, the 17th does not reach it");
	pk->release = 1;
	is_str(agent_answer(&a), "ok=16 busy=1 other=0", "the 17th is refused with Busy, the 16 run");

	/* A caller that leaves before polkit answers: its method never runs. */
	if (request_queue(b, "zlib", &fd, &lease, &dev, NULL, &reply) < 0)
		bail_out("root got no queue");
	reply = sd_bus_message_unref(reply);
	calls = pk->calls;
	logged = tb_log_count(&t, "polkit");
	child_lines_send(&a.io, "leave %llu", (unsigned long long)lease);
	agent_answer(&a);
	ok(WAIT_FOR(pk->calls == calls + 1, 5000), "a caller's RevokeLease waits for polkit");
	child_lines_send(&a.io, "now");
	child_lines_stop(&a.io, 0);
	WAIT_FOR(sd_bus_get_name_creds(b, a.name, 0, NULL) < 0, 5000);
	round_trip(b);		/* the broker has seen the caller go */
	pk->release = 1;
	ok(WAIT_FOR(pk->replied == calls + 1, 5000) && round_trip(b) && lease_listed(b, lease),
	   "polkit's late yes runs nothing: the lease is still there");
	is(tb_log_count(&t, "polkit"), logged,
	   "the parked call was dropped when its caller left: no polkit answer was looked at");
	ok(sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", NULL, NULL, "t", lease) >= 0,
	   "root releases it");
	close(fd);

	/* Leave one check pending for the shutdown (valgrind: nothing leaks). */
	agent_start(&a);
	calls = pk->calls;
	child_lines_send(&a.io, "call Reload 0");
	ok(WAIT_FOR(pk->calls == calls + 1, 5000), "one admin call is pending when the broker stops");
}

static void polkit_cleanup(void)
{
	if (pk_pid > 0) {
		kill(pk_pid, SIGTERM);
		waitpid(pk_pid, NULL, 0);
	}
	if (pk)
		munmap(pk, sizeof(*pk));
}

int main(void)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *b;
	char *s = NULL, path[600];
	const char *dev;
	uint64_t lease, lease2;
	uint32_t count;
	int fd, fd2, r, n;
	struct stat st1, st2;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0)
		plan_skip_all("dbus-daemon not installed (apt-get install dbus-daemon)");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib gzip", 0, 8);
	tb_device(&t, "wdsoft-1", "sha256", -1, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	pbus_start(&pb, &t);
	t.bus = "user";
	tb_start(&t);

	b = pbus_connect(&pb);
	ok(b != NULL, "connected to the private bus");
	if (!b)
		bail_out("no bus");
	ok(pbus_wait_name(b, DEST), "the broker owns org.warpdrive");
	sd_bus_match_signal(b, NULL, DEST, PATH, IFACE, NULL, NULL, NULL);

	r = sd_bus_call_method(b, DEST, PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
			       &e, &reply, "");
	ok(r >= 0 && sd_bus_message_read(reply, "s", &s) >= 0 &&
	   strstr(s, "org.warpdrive.Manager1") && strstr(s, "name=\"RequestQueue\"") &&
	   strstr(s, "name=\"alg\"") && strstr(s, "LeaseRevoked") && strstr(s, "device"),
	   "introspection shows Manager1 with named arguments and signals");
	reply = sd_bus_message_unref(reply);

	r = sd_bus_get_property_string(b, DEST, PATH, IFACE, "Version", &e, &s);
	ok(r >= 0 && !strcmp(s, "0.1.0"), "Version property");
	free(s);
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 0, "LeaseCount is 0");

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ListDevices", &e, &reply, "");
	n = 0;
	if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "(ssiuuo)") >= 0) {
		const char *nm, *api, *op;
		int32_t node;
		uint32_t avail, leased;

		while (sd_bus_message_read(reply, "(ssiuuo)", &nm, &api, &node, &avail, &leased, &op) > 0)
			n++;
	}
	is(n, 2, "ListDevices lists both devices");
	reply = sd_bus_message_unref(reply);

	r = sd_bus_get_property_string(b, DEST, "/org/warpdrive/device/wdsoft_2d0",
				       "org.warpdrive.Device1", "Api", &e, &s);
	ok(r >= 0 && !strcmp(s, "wdsoft_v1"), "Device1.Api of /org/warpdrive/device/wdsoft_2d0");
	free(s);
	sd_bus_error_free(&e);

	r = request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply);
	ok(r == 0 && fd >= 0 && lease > 0 && !strcmp(dev, "wdsoft-0"), "RequestQueue returns fd, lease, device");
	snprintf(path, sizeof(path), "%s/dev/wdsoft-0", t.root);
	ok(fd >= 0 && fstat(fd, &st1) == 0 && stat(path, &st2) == 0 && st1.st_ino == st2.st_ino,
	   "the fd is the device node");
	reply = sd_bus_message_unref(reply);
	ok(signals_seen(b, "LeaseGranted", 2000) == 1, "LeaseGranted signal");
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 1, "LeaseCount is 1");

	is(leases_listed(b, lease, "zlib"), 1, "ListLeases shows the lease");

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r >= 0, "ReleaseLease");
	ok(signals_seen(b, "LeaseReleased", 2000) == 1, "LeaseReleased signal");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NoSuchLease"),
	   "second ReleaseLease: org.warpdrive.Error.NoSuchLease");
	sd_bus_error_free(&e);
	if (fd >= 0)
		close(fd);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "lz4", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NoDevice"),
	   "unknown algorithm: org.warpdrive.Error.NoDevice");
	sd_bus_error_free(&e);

	/* a set of algorithms: one queue, listed as the set; bad spellings refused */
	r = request_queue(b, "zlib,gzip", &fd, &lease, &dev, &e, &reply);
	ok(r == 0 && fd >= 0 && !strcmp(dev, "wdsoft-0"), "RequestQueue(\"zlib,gzip\") grants one queue");
	reply = sd_bus_message_unref(reply);
	is(leases_listed(b, lease, "zlib,gzip"), 1, "ListLeases shows the set");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", &e, NULL, "t", lease);
	ok(r >= 0, "ReleaseLease of the set");
	sd_bus_error_free(&e);
	if (fd >= 0)
		close(fd);
	ok(signals_seen(b, "LeaseReleased", 2000) >= 1, "LeaseReleased signal for the set");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "zlib,,gzip", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS) &&
	   strstr(e.message, "empty name"), "an empty name in the set: InvalidArgs saying so");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "zlib,zlib", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS) &&
	   strstr(e.message, "zlib is named twice"), "a name twice: InvalidArgs naming it");
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS) &&
	   strstr(e.message, "empty"), "an empty set: InvalidArgs");
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, NULL, "si", "zlib,sha256", -1);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NoDevice") &&
	   strstr(e.message, "all of zlib,sha256"), "no device offers the whole set: NoDevice saying so");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);

	/* admin, as root: quota to 1 */
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)1);
	ok(r >= 0, "SetQuota(user:root, 1) as root");
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "usr:root", (int64_t)1);
	ok(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS), "SetQuota with a bad section");
	sd_bus_error_free(&e);
	r = request_queue(b, "zlib", &fd, &lease, &dev, &e, &reply);
	reply = sd_bus_message_unref(reply);
	ok(r == 0, "first queue under quota 1");
	/* re-setting a quota recounts the held leases once, not twice */
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)1);
	ok(r >= 0, "SetQuota(user:root, 1) again, with the lease held");
	sd_bus_error_free(&e);
	r = sd_bus_get_property_trivial(b, DEST, PATH, IFACE, "LeaseCount", &e, 'u', &count);
	ok(r >= 0 && count == 1, "the lease survived (1 <= 1)");
	r = request_queue(b, "sha256", &fd2, &lease2, &dev, &e, &reply);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.QuotaExceeded") &&
	   strstr(e.message, "quota of 1 queues"), "second: org.warpdrive.Error.QuotaExceeded");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);
	reply = sd_bus_message_unref(reply);

	signals_seen(b, "LeaseGranted", 100);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RevokeLease", &e, NULL, "t", lease);
	ok(r >= 0, "RevokeLease as root");
	ok(signals_seen(b, "LeaseRevoked", 2000) == 1, "LeaseRevoked signal");
	sd_bus_error_free(&e);
	if (fd >= 0)
		close(fd);

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "SetQuota", &e, NULL, "sx", "user:root", (int64_t)-1);
	sd_bus_error_free(&e);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0, "Reload as root");
	sd_bus_error_free(&e);
	tb_policy(&t, "[global]\nmax_queues = ten\n");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.BadPolicy") &&
	   strstr(e.message, "policy.conf:2:"), "Reload of a broken policy: BadPolicy with FILE:LINE");
	diag("error: %s", e.message ? e.message : "(none)");
	sd_bus_error_free(&e);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");

	props_checks(b);
	unprivileged_checks();

	/* hot-plug in dev mode: a new device appears on reload */
	tb_device(&t, "wdsoft-2", "zlib", 1, 4);
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0 && signals_seen(b, "DeviceAdded", 2000) == 1, "a new device: DeviceAdded");
	sd_bus_error_free(&e);
	tb_remove_device(&t, "wdsoft-2");
	r = sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "");
	ok(r >= 0 && signals_seen(b, "DeviceRemoved", 2000) == 1, "device gone: DeviceRemoved");
	sd_bus_error_free(&e);

	polkit_checks(b);

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	polkit_cleanup();
	pbus_stop(&pb);
	tb_cleanup(&t);
	return exit_status();
}
