// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bus-admin.c - authorization of the broker's admin methods on D-Bus.
 *
 * Root is allowed at once. Anyone else's admin call is parked while
 * polkit's CheckAuthorization runs asynchronously (the broker keeps serving
 * everyone meanwhile); when polkit answers, the method runs again from the
 * start with the answer in hand, or the caller gets the refusal. Nothing is cached: each call is its own check. A pending check
 * ends early when its caller leaves the bus, and all of them end at
 * bus_admin_teardown(). The list is per process, as the broker has one
 * manager.
 */
#include "bus.h"

#include "list.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define POLKIT_ACTION	"org.warpdrive.manage"

struct admin_check {
	LIST_FIELDS(struct admin_check, checks);
	struct manager *m;
	sd_bus_message *call;		/* the parked method call (a ref) */
	sd_bus_message_handler_t handler;
	sd_bus_slot *polkit;		/* the pending CheckAuthorization */
	sd_bus_track *track;		/* the caller on the bus */
};

/* Parked admin calls one bus name may have at once. */
#define ADMIN_CHECKS_PER_SENDER	16

static struct admin_check *admin_checks;
/* The call polkit authorized, while its handler runs again. */
static sd_bus_message *admin_authorized;

static void admin_check_free(struct admin_check *ac)
{
	if (!ac)
		return;
	LIST_REMOVE(checks, admin_checks, ac);
	sd_bus_slot_unref(ac->polkit);
	sd_bus_track_unref(ac->track);
	sd_bus_message_unref(ac->call);
	free(ac);
}

/* Answer a call the way sd-bus would after a handler returned @r. */
static void reply_result(sd_bus_message *call, int r, sd_bus_error *error)
{
	if (sd_bus_error_is_set(error))
		sd_bus_reply_method_error(call, error);
	else if (r < 0)
		sd_bus_reply_method_errno(call, r, NULL);
}

static int admin_check_done(sd_bus_message *reply, void *ud, sd_bus_error *ret_error)
{
	struct admin_check *ac = ud;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const sd_bus_error *perr = sd_bus_message_get_error(reply);
	int authorized = 0, challenge = 0, r;

	if (perr) {
		log_warning("cannot check polkit authorization for %s: %s",
			    sd_bus_message_get_sender(ac->call), perr->message ? perr->message : perr->name);
		/* The details are in the log; the caller learns what to check. */
		sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
				  "this needs root or polkit authorization for %s, and polkit could not be asked: is polkitd running?",
				  POLKIT_ACTION);
		goto out;
	}
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
				  "polkit's answer for %s is unreadable: %s", POLKIT_ACTION, strerror(-r));
	} else if (authorized) {
		/* Run the method from the start; bus_check_admin() lets exactly this call through. */
		r = sd_bus_message_rewind(ac->call, true);
		if (r >= 0) {
			admin_authorized = ac->call;
			r = ac->handler(ac->call, ac->m, &error);
			admin_authorized = NULL;
		}
		reply_result(ac->call, r, &error);
		sd_bus_error_free(&error);
		admin_check_free(ac);
		return 0;
	} else if (challenge) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
				  "polkit needs you to authenticate for %s: call again allowing interactive authorization (busctl --allow-interactive-authorization=yes)",
				  POLKIT_ACTION);
	} else {
		sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
				  "this needs root or polkit authorization for %s", POLKIT_ACTION);
	}
out:
	reply_result(ac->call, -EACCES, &error);
	sd_bus_error_free(&error);
	admin_check_free(ac);
	return 0;
}

/* The caller left the bus: nobody waits for the answer, and the method must not run. */
static int admin_check_gone(sd_bus_track *t, void *ud)
{
	admin_check_free(ud);
	return 0;
}

int bus_check_admin(struct manager *m, sd_bus_message *msg,
		       sd_bus_message_handler_t handler, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(msg);
	struct admin_check *ac;
	unsigned pending = 0;
	uint32_t flags = 0;
	uid_t uid;
	int r;

	if (msg == admin_authorized)
		return 1;
	r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
	if (r >= 0 && sd_bus_creds_get_euid(creds, &uid) >= 0 && uid == 0)
		return 1;
	if (!sender)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "this needs root (no bus name to ask polkit about)");
	LIST_FOREACH(checks, ac, admin_checks)
		pending += !strcmp(sd_bus_message_get_sender(ac->call), sender);
	if (pending >= ADMIN_CHECKS_PER_SENDER)
		return sd_bus_error_setf(error, "org.warpdrive.Error.Busy",
					 "%u admin calls of yours already wait for polkit; wait for their answers",
					 pending);

	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return -ENOMEM;
	ac->m = m;
	ac->handler = handler;
	ac->call = sd_bus_message_ref(msg);
	LIST_PREPEND(checks, admin_checks, ac);

	r = sd_bus_track_new(m->bus, &ac->track, admin_check_gone, ac);
	if (r >= 0)
		r = sd_bus_track_add_name(ac->track, sender);
	if (sd_bus_message_get_allow_interactive_authorization(msg))
		flags |= 1;	/* AllowUserInteraction */
	if (r >= 0)
		r = sd_bus_call_method_async(m->bus, &ac->polkit, "org.freedesktop.PolicyKit1",
					     "/org/freedesktop/PolicyKit1/Authority",
					     "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
					     admin_check_done, ac, "(sa{sv})sa{ss}us",
					     "system-bus-name", 1, "name", "s", sender,
					     POLKIT_ACTION, 0, flags, "");
	if (r < 0) {
		admin_check_free(ac);
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "cannot ask polkit for %s: %s", POLKIT_ACTION, strerror(-r));
	}
	return 0;
}

/* Who called: "uid 0 (:1.42)", for the journal's WD_REVOKED_BY. */
const char *bus_admin_name(sd_bus_message *msg, char *buf, size_t size)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(msg);
	uid_t uid;

	if (sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds) >= 0 &&
	    sd_bus_creds_get_euid(creds, &uid) >= 0)
		snprintf(buf, size, "uid %u (%s)", (unsigned)uid, sender ? sender : "?");
	else
		snprintf(buf, size, "an administrator (%s)", sender ? sender : "?");
	return buf;
}

void bus_admin_teardown(void)
{
	/* Parked admin calls get no answer: their callers see the broker leave. */
	while (admin_checks)
		admin_check_free(admin_checks);
}
