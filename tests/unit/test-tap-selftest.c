// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TAP harness reports failures: run a child that fails one check and
 * make sure its output and exit status say so.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static int child_main(void)
{
	plan(3);
	ok(1, "passes");
	is(2 + 2, 5, "fails on purpose");
	ok(1, "multi\nline");
	diag("one\ntwo");
	return exit_status();
}

int main(void)
{
	char out[4096] = "";
	int pfd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	plan(7);
	if (pipe(pfd) < 0)
		bail_out("pipe: %m");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %m");
	if (pid == 0) {
		/* A fresh harness state in the child: it has run nothing. */
		dup2(pfd[1], 1);
		close(pfd[0]);
		tap_run = 0;
		tap_failed = 0;
		tap_planned = -1;
		fflush(stdout);
		_exit(child_main());
	}
	close(pfd[1]);
	while ((r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	close(pfd[0]);
	waitpid(pid, &status, 0);

	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "a failing check makes the test exit 1");
	ok(strstr(out, "1..3\n") != NULL, "the plan is printed");
	ok(strstr(out, "ok 1 - passes\n") != NULL, "a passing check prints ok");
	ok(strstr(out, "not ok 2 - fails on purpose\n") != NULL, "a failing check prints not ok");
	ok(strstr(out, "got 4, want 5") != NULL, "is() shows both values");
	ok(strstr(out, "ok 3 - multi line\n") != NULL, "a newline in a description stays on the line");
	ok(strstr(out, "# one\n# two\n") != NULL, "every line of a diagnostic starts with #");
	return exit_status();
}
