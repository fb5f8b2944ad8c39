// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-connlimit: one non-root user cannot exhaust the broker's file
 * descriptors: past --max-connections-per-user its new connections are
 * closed at once, its existing ones keep working, a freed slot can be used
 * again, and root is not limited.
 */
#include "test-broker-lib.h"

#define LIMIT 5

static struct fake_tree t;

/* Does the broker close this connection (EOF) instead of answering? */
static int answered(int s)
{
	struct wdp_lease *ls = NULL;
	struct wdp_refusal rf;
	size_t n;
	int r = wdp_client_list(s, &ls, &n, &rf);

	free(ls);
	return r == 0;
}

int main(void)
{
	int s[LIMIT + 2], p[2];
	char res[8] = "";
	pid_t pid;

	if (geteuid() != 0)
		plan_skip_all("needs root to run a client as uid 65534");
	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-0", "zlib", 0, 8);
	tb_policy(&t, "[global]\nmax_queues = unlimited\n");
	t.extra = "--max-connections-per-user=5";
	tb_start(&t);

	if (pipe(p) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		for (int i = 0; i < LIMIT; i++)
			s[i] = tb_connect(&t);
		s[LIMIT] = tb_connect(&t);
		res[0] = answered(s[0]) && answered(s[LIMIT - 1]) ? 'y' : 'n';
		res[1] = s[LIMIT] >= 0 && !answered(s[LIMIT]) ? 'y' : 'n';
		res[2] = answered(s[1]) ? 'y' : 'n';
		close(s[0]);
		usleep(200000);
		s[LIMIT + 1] = tb_connect(&t);
		res[3] = answered(s[LIMIT + 1]) ? 'y' : 'n';
		if (write(p[1], res, 4) != 4)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, 4) != 4)
		strcpy(res, "????");
	waitpid(pid, NULL, 0);
	ok(res[0] == 'y', "uid 65534: %d connections work", LIMIT);
	ok(res[1] == 'y', "connection %d is closed by the broker", LIMIT + 1);
	ok(res[2] == 'y', "the earlier connections keep working");
	ok(res[3] == 'y', "after one closes, a new connection is accepted");

	for (int i = 0; i < LIMIT + 2; i++)
		s[i] = tb_connect(&t);
	ok(answered(s[LIMIT + 1]), "root is not limited");
	for (int i = 0; i < LIMIT + 2; i++)
		close(s[i]);
	ok(tb_alive(&t), "broker still running");
	is(tb_stop(&t), 0, "broker exits cleanly");
	tb_cleanup(&t);
	return exit_status();
}
