// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * admin.c - warpctl revoke and reload: the broker's admin methods.
 *
 * Like systemctl, warpctl lets polkit ask for a password: the call carries
 * ALLOW_INTERACTIVE_AUTHORIZATION, and on a terminal a textual polkit agent
 * (pkttyagent) is started for the duration of the call, unless
 * --no-ask-password. Root never needs either.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "warpctl.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

/*
 * Start pkttyagent for this process when a password could be asked for;
 * returns its pid or 0. It signals readiness by closing the notify fd.
 */
static pid_t polkit_agent_open(void)
{
	char notify[16];
	int p[2];
	pid_t pid;

	if (!arg.ask_password || geteuid() == 0 || !isatty(STDIN_FILENO) ||
	    access(PKTTYAGENT, X_OK) < 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	if (pid == 0) {
		int fd = dup(p[1]);	/* without CLOEXEC: pkttyagent writes to it */

		snprintf(notify, sizeof(notify), "%d", fd);
		/* registered for our session, as systemctl's agent is */
		execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--fallback", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	{
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		char c;

		/* ready when it closes the fd; do not wait forever for a broken agent */
		if (poll(&pfd, 1, 5000) > 0 && read(p[0], &c, 1) < 0)
			(void)0;
	}
	close(p[0]);
	return pid;
}

static void polkit_agent_close(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Call an admin method of Manager1; @types/@... as sd_bus_call_method. */
static int call_admin(const char *what, const char *method, const char *types, ...)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	pid_t agent;
	va_list ap;
	int r;

	if (broker_connect(&bus) <= 0)
		return no_broker_exit(what);
	r = sd_bus_set_allow_interactive_authorization(bus, arg.ask_password);
	if (r >= 0)
		r = sd_bus_message_new_method_call(bus, &m, WD_BUS_NAME, WD_BUS_PATH,
						   WD_MANAGER_IFACE, method);
	if (r >= 0) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r < 0) {
		fprintf(stderr, "warpctl: %s: cannot build the call: %s\n", what, strerror(-r));
		return EXIT_FAIL;
	}
	agent = polkit_agent_open();
	/* no timeout of ours: a person may be typing a password */
	r = sd_bus_call(bus, m, agent ? UINT64_MAX : 0, &e, NULL);
	polkit_agent_close(agent);
	if (r < 0) {
		r = bus_error_exit(what, &e, r);
		sd_bus_error_free(&e);
		return r;
	}
	return EXIT_OK;
}

int verb_revoke(int argc, char **argv)
{
	long long id;

	if (parse_int(argv[1], 1, INT64_MAX, &id) < 0) {
		fprintf(stderr, "warpctl: \"%s\" is not a lease number; see them with: warpctl leases\n",
			argv[1]);
		return EXIT_USAGE;
	}
	return call_admin("cannot revoke the lease", "RevokeLease", "t", (uint64_t)id);
}

int verb_reload(int argc, char **argv)
{
	return call_admin("cannot reload the policy", "Reload", "");
}
