/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwd-run.h - send one message through libwd and wait for it, for the
 * libwd tests (unit and vm). Header-only.
 */
#ifndef WD_TESTS_LIBWD_RUN_H
#define WD_TESTS_LIBWD_RUN_H

#include <errno.h>

#include <warpdrive/wd.h>

/*
 * Send @m on @q and wait for its completion: the message's status, -errno
 * from wd_send() or wd_recv_sync(), or -EBADE if another message completed
 * (only one is expected in flight; no libwd status is -EBADE, so a test
 * expecting, say, -EIO from the device cannot pass on the wrong message).
 */
static inline int lw_run(struct wd_queue *q, struct wd_msg *m)
{
	void *done = NULL;
	int r = wd_send(q, m);

	if (r < 0)
		return r;
	r = wd_recv_sync(q, &done);
	if (r < 0)
		return r;
	return done == m ? m->status : -EBADE;
}

#endif /* WD_TESTS_LIBWD_RUN_H */
