/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reaper.h - close client-supplied fds away from the event loop. */
#ifndef WDBROKERD_REAPER_H
#define WDBROKERD_REAPER_H

/* Start the closing thread. 0 or -errno. */
int reaper_start(void);

/*
 * Close @fd on the closing thread (or here, if it could not start). @ud is
 * unused: the signature fits wdp_recv_discard().
 */
void reaper_close(int fd, void *ud);

#endif
