// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaper.c - the one place where the broker closes descriptors a client
 * controls: fds a client attached to a request (SCM_RIGHTS junk) and the
 * client connections themselves (whose unread messages may still carry
 * such fds, released when the socket goes).
 *
 * Closing can block for as long as the file's owner wants: a FUSE file's
 * flush waits for its daemon, a TCP socket with SO_LINGER waits for its
 * peer. On the single event-loop thread that would stall every client, so
 * those fds go to a detached thread that closes them one by one. If that
 * thread is stuck, fds pile up in its list; the per-user connection cap
 * and the accept back-off bound the damage.
 *
 * Locking: @lock protects @fds, @n, @cap; @wake is signalled when @n grows.
 */
#include "reaper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int *fds;
static unsigned n, cap;
static bool running;

static void *reaper_main(void *arg)
{
	for (;;) {
		int fd;

		pthread_mutex_lock(&lock);
		while (!n)
			pthread_cond_wait(&wake, &lock);
		fd = fds[--n];
		pthread_mutex_unlock(&lock);
		close(fd);
	}
	return NULL;
}

int reaper_start(void)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int r;

	if (running)
		return 0;
	/* Signals stay with the event loop (signalfd): block them all here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 64 * 1024);
	r = pthread_create(&t, &a, reaper_main, NULL);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	running = true;
	return 0;
}

void reaper_close(int fd, void *ud)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&lock);
	if (running && n == cap) {
		unsigned ncap = cap ? cap * 2 : 64;
		int *v = realloc(fds, ncap * sizeof(*v));

		if (v) {
			fds = v;
			cap = ncap;
		}
	}
	if (running && n < cap) {
		fds[n++] = fd;
		pthread_cond_signal(&wake);
		fd = -1;
	}
	pthread_mutex_unlock(&lock);
	/* No thread or no memory: closing here beats leaking. */
	if (fd >= 0)
		close(fd);
}

