// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-dbus-identity: on D-Bus the broker judges a caller by what the
 * bus daemon recorded when the caller connected, never by /proc at request
 * time, and refuses what the bus cannot vouch for.
 *
 * Policy: group A may use crc32c only, group G has a quota of 0. A caller
 * connects as (uid U, gid A, no other group), then changes its effective
 * gid to G with the same connection -- what exec'ing a setgid-G program
 * does -- and asks: sha256 is still refused for group A and crc32c is
 * granted (G's zero quota does not apply). The control: a caller that
 * connects after taking gid G is judged as G (QuotaExceeded), so the
 * checks can tell the two identities apart. Then a policy with a
 * [unit:X] section: RequestQueue on the bus is refused with an error that
 * names the section and the socket, the socket serves the same request,
 * and the bus serves again once the section is gone.
 */
#include <grp.h>
#include <sys/syscall.h>

#include "common/child-pipe.h"
#include "test-broker-bus.h"

#define DEST "org.warpdrive"
#define PATH "/org/warpdrive"
#define IFACE "org.warpdrive.Manager1"

#define USER_U	65534	/* nobody: dbus-daemon refuses uids without a passwd entry */
#define GROUP_A	60202
#define GROUP_G	60203

static struct fake_tree t;
static struct private_bus pb;

/* One RequestQueue as the child saw it. */
struct answer {
	int r;			/* 0 granted, else the call's -errno */
	char error[96];		/* D-Bus error name */
	char text[400];		/* its message */
};

struct report {
	int setup;		/* 0, or the step that failed */
	gid_t egid_at_request;	/* what /proc showed when asking */
	pid_t pid;
	struct answer sha, crc;
	uint32_t lease_uid, lease_pid;	/* of the crc32c lease, from ListLeases */
	int n_leases;
};

static void ask(sd_bus *b, const char *alg, struct answer *a)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;

	a->r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", &e, &reply, "si", alg, -1);
	if (a->r < 0) {
		snprintf(a->error, sizeof(a->error), "%s", e.name ? e.name : "");
		snprintf(a->text, sizeof(a->text), "%s", e.message ? e.message : "");
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);	/* the fd goes with it; the lease stays */
}

static void list_own(sd_bus *b, struct report *rep)
{
	sd_bus_message *reply = NULL;
	uint32_t uid, pid;

	rep->n_leases = -1;
	if (sd_bus_call_method(b, DEST, PATH, IFACE, "ListLeases", NULL, &reply, "") < 0 ||
	    sd_bus_message_enter_container(reply, 'a', "(tssuus)") < 0)
		goto out;
	rep->n_leases = 0;
	while (sd_bus_message_read(reply, "(tssuus)", NULL, NULL, NULL, &uid, &pid, NULL) > 0) {
		rep->n_leases++;
		rep->lease_uid = uid;
		rep->lease_pid = pid;
	}
out:
	sd_bus_message_unref(reply);
}

/*
 * The caller: uid U with gid A and no supplementary group. With
 * @switch_after_connect it takes effective gid G after connecting (the
 * saved uid 0 allows it), else before. Asks for sha256 and crc32c.
 */
static void caller(int out, bool switch_after_connect)
{
	struct report rep = { .pid = getpid() };
	sd_bus *b = NULL;

	if (setgroups(0, NULL) < 0 || setresgid(GROUP_A, GROUP_A, GROUP_A) < 0)
		rep.setup = 1;
	else if (!switch_after_connect && setresgid(-1, GROUP_G, -1) < 0)
		rep.setup = 2;
	else if (setresuid(USER_U, USER_U, 0) < 0)
		rep.setup = 3;
	else if (!(b = pbus_connect(&pb)))
		rep.setup = 4;
	else if (switch_after_connect &&
		 (seteuid(0) < 0 || setresgid(-1, GROUP_G, -1) < 0 || seteuid(USER_U) < 0))
		rep.setup = 5;
	if (!rep.setup) {
		rep.egid_at_request = getegid();
		ask(b, "sha256", &rep.sha);
		ask(b, "crc32c", &rep.crc);
		list_own(b, &rep);
	}
	if (write(out, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	sd_bus_flush_close_unref(b);
	_exit(0);
}

static int run_caller(bool switch_after_connect, struct report *rep)
{
	int fd;
	pid_t pid = child_fork_reporter(&fd);
	ssize_t n;

	if (!pid)
		caller(fd, switch_after_connect);
	n = read(fd, rep, sizeof(*rep));
	close(fd);
	waitpid(pid, NULL, 0);
	return n == sizeof(*rep) && !rep->setup ? 0 : -1;
}

static void identity_checks(void)
{
	struct report rep;

	if (run_caller(true, &rep) < 0)
		bail_out("the caller did not get going (step %d)", rep.setup);
	ok(rep.egid_at_request == GROUP_G, "the caller's effective gid was %u when it asked",
	   (unsigned)rep.egid_at_request);
	ok(rep.sha.r < 0 && !strcmp(rep.sha.error, "org.warpdrive.Error.NotAllowed") &&
	   strstr(rep.sha.text, "group") && strstr(rep.sha.text, "60202"),
	   "sha256 refused for group %u, the gid it connected with: %s %s", GROUP_A,
	   rep.sha.r < 0 ? rep.sha.error : "GRANTED", rep.sha.text);
	ok(rep.crc.r >= 0, "crc32c granted: group %u's zero quota, taken after connecting, does not apply%s%s",
	   GROUP_G, rep.crc.r < 0 ? ": " : "", rep.crc.text);
	ok(rep.n_leases == 1 && rep.lease_uid == USER_U && rep.lease_pid == (uint32_t)rep.pid,
	   "ListLeases: %d lease(s) of uid %u, pid %u (caller %d)", rep.n_leases,
	   rep.lease_uid, rep.lease_pid, (int)rep.pid);

	/* Control: connected as G, judged as G. */
	if (run_caller(false, &rep) < 0)
		bail_out("the control caller did not get going (step %d)", rep.setup);
	ok(rep.crc.r < 0 && !strcmp(rep.crc.error, "org.warpdrive.Error.QuotaExceeded") &&
	   strstr(rep.crc.text, "60203"),
	   "control: a caller that connected with gid %u is judged as that group: %s %s", GROUP_G,
	   rep.crc.r < 0 ? rep.crc.error : "GRANTED", rep.crc.text);
}

/* RequestQueue for crc32c on the bus as root: 0 or -errno, the error in @e. */
static int bus_request(sd_bus *b, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	uint64_t lease = 0;
	int r;

	r = sd_bus_call_method(b, DEST, PATH, IFACE, "RequestQueue", e, &reply, "si", "crc32c", -1);
	if (r >= 0 && sd_bus_message_read(reply, "hts", NULL, &lease, NULL) >= 0)
		sd_bus_call_method(b, DEST, PATH, IFACE, "ReleaseLease", NULL, NULL, "t", lease);
	sd_bus_message_unref(reply);
	return r;
}

static void reload(sd_bus *b, const char *policy)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	tb_policy(&t, policy);
	if (sd_bus_call_method(b, DEST, PATH, IFACE, "Reload", &e, NULL, "") < 0)
		bail_out("Reload: %s", e.message);
	sd_bus_error_free(&e);
}

static void unit_checks(sd_bus *b)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct wdp_queue_req req = { .alg = "crc32c", .node = -1 };
	struct wdp_refusal rf = { 0 };
	struct wdp_lease g;
	int r, s, fd = -1;

	reload(b, "[global]\nmax_queues = unlimited\n[unit:wdtest-other.service]\nmax_queues = 1\n");
	r = bus_request(b, &e);
	ok(r < 0 && sd_bus_error_has_name(&e, "org.warpdrive.Error.NotAllowed") &&
	   strstr(e.message, "[unit:wdtest-other.service]") && strstr(e.message, t.sock),
	   "with a [unit:] section, RequestQueue on the bus is refused and points to the socket");
	diag("error: %s", e.message ? e.message : "(granted)");
	sd_bus_error_free(&e);

	s = tb_connect(&t);
	r = s < 0 ? s : wdp_client_request_queue(s, &req, &g, &fd, &rf);
	ok(r == 0, "the same request on the socket is granted (%s)", r ? strerror(-r) : g.device);
	if (fd >= 0)
		close(fd);
	if (s >= 0)
		close(s);

	reload(b, "[global]\nmax_queues = unlimited\n");
	r = bus_request(b, &e);
	ok(r >= 0, "without it, the bus grants again%s%s", r < 0 ? ": " : "",
	   r < 0 ? e.message : "");
	sd_bus_error_free(&e);
}

int main(void)
{
	sd_bus *b;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0)
		plan_skip_all("dbus-daemon not installed (apt-get install dbus-daemon)");
	if (geteuid() != 0)
		plan_skip_all("not root: cannot call as another user and group");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "crc32c sha256", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n"
		  "[group:60202]\nalgorithms = crc32c\n"
		  "[group:60203]\nmax_queues = 0\n");
	b = pbus_start_broker(&pb, &t);

	identity_checks();
	unit_checks(b);

	sd_bus_flush_close_unref(b);
	is(tb_stop(&t), 0, "broker exits cleanly");
	pbus_stop(&pb);
	tb_cleanup(&t);
	return exit_status();
}
