// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fork() with real queues (the nginx master/worker case): the master holds
 * a queue and forks workers; each worker sees -ENODEV on the inherited
 * queue (its mappings were not copied) without faulting, requests its own
 * queue and uses the helpers; the master's queue keeps working; and the
 * worker's inherited fd was closed, so releasing the master's queue returns
 * the instance while the worker is still alive.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "vm/test-libwd-vm.h"

static int roundtrip(struct wd_queue *q)
{
	uint8_t a[4096], b[4096];
	struct wd_msg m = { .op = WD_OP_MEMCPY, .src = a, .src_len = sizeof(a), .dst = b, .dst_len = sizeof(b) };
	void *done;
	int r;

	memset(a, 0xa5, sizeof(a));
	r = wd_send(q, &m);
	if (!r)
		r = wd_recv_sync(q, &done);
	if (r < 0)
		return r;
	return done == &m && !m.status && !memcmp(a, b, sizeof(a)) ? 0 : -EIO;
}

int main(void)
{
	struct wd_queue master;
	int go[2], ready[2], status;
	long avail0;
	pid_t pid[2];
	char c;

	lw_setup("num_devices=1 queues=8");
	avail0 = lw_avail_total();
	ok_errno(lw_request(&master, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT), 0, "master requests a queue");
	ok_errno(roundtrip(&master), 0, "master uses it");
	ok(wd_crc32c("123456789", 9) == 0xE3069283, "master uses a helper");
	if (pipe(go) || pipe(ready))
		bail_out("pipe");

	fflush(stdout);
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		if (pid[w] == 0) {
			struct wd_queue own;
			void *done;
			int fails = 0;

			if (wd_send(&master, &(struct wd_msg){ .op = WD_OP_MEMCPY }) != -ENODEV)
				fails |= 1;
			if (wd_recv(&master, &done) != -ENODEV)
				fails |= 2;
			if (lw_request(&own, "memcpy", WD_NODE_ANY, WD_QUEUE_DIRECT) || roundtrip(&own))
				fails |= 4;
			if (wd_crc32c("123456789", 9) != 0xE3069283)
				fails |= 8;
			wd_release_queue(&master);
			/* stay alive, holding "own", until the master says so */
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
				fails |= 16;
			if (roundtrip(&own))
				fails |= 32;
			wd_release_queue(&own);
			_exit(fails);
		}
	}
	for (int w = 0; w < 2; w++)
		ok(read(ready[0], &c, 1) == 1, "worker %d is up", w);
	ok_errno(roundtrip(&master), 0, "master's queue works while workers run");
	{
		long before = lw_avail_total();

		wd_release_queue(&master);
		is(lw_avail_total(), before + 1,
		   "releasing the master's queue returns its instance at once (workers closed their copies)");
	}
	if (write(go[1], "gg", 2) != 2)
		bail_out("write");
	for (int w = 0; w < 2; w++) {
		ok(waitpid(pid[w], &status, 0) == pid[w] && WIFEXITED(status), "worker %d exited normally", w);
		is(WEXITSTATUS(status), 0, "worker %d: inherited -ENODEV, own queue + helpers work (fail mask)", w);
	}
	/* the master's helper queue is released at exit; count it here */
	is(lw_avail_total(), avail0 - 1, "only the master's cached helper queue is still held");
	return exit_status();
}
