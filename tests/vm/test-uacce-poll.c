// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * poll/epoll on a queue: nothing to report while idle, EPOLLIN once the
 * device published a completion (ops->is_q_updated after uacce_wake_up),
 * and EPOLLERR|EPOLLHUP delivered to a sleeping epoll waiter on revoke.
 */
#include <pthread.h>
#include <sys/epoll.h>

#include "vm/test-uacce-common.h"

struct waiter {
	int ep;
	uint32_t events;
	int n;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev = {0};

	w->n = epoll_wait(w->ep, &ev, 1, 20000);
	w->events = ev.events;
	return NULL;
}

int main(void)
{
	size_t mmio_sz, dus_sz;
	volatile struct wdsoft_mmio *mmio;
	volatile struct wdsoft_dus_hdr *hdr;
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd pfd;
	struct waiter w = {0};
	pthread_t th;
	uint8_t *dus;
	long initial;
	int fd, ep, err, n;

	ut_setup(NULL);
	initial = ut_avail();
	mmio_sz = ut_region_size(UACCE_QFRT_MMIO);
	dus_sz = ut_region_size(UACCE_QFRT_DUS);

	fd = ut_open();
	ok_errno(ut_ioctl(fd, UACCE_CMD_START_Q, 0), 0, "start a queue");
	mmio = ut_map(fd, UACCE_QFRT_MMIO, mmio_sz, &err);
	dus = ut_map(fd, UACCE_QFRT_DUS, dus_sz, &err);
	if (!mmio || !dus)
		bail_out("cannot map the queue");
	hdr = (void *)dus;

	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&pfd, 1, 200);
	is(n, 0, "an idle queue reports nothing");

	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = fd;
	ok(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "the queue joins an epoll set");
	mmio->irq_armed = 1;
	atomic_thread_fence(memory_order_seq_cst);
	ok(ut_submit_nop(fd, mmio, dus, 1), "submit a NOP with the interrupt armed");
	memset(&ev, 0, sizeof(ev));
	n = epoll_wait(ep, &ev, 1, 20000);
	ok(n == 1 && (ev.events & EPOLLIN) && !(ev.events & (EPOLLERR | EPOLLHUP)),
	   "epoll_wait reports EPOLLIN for the completion (events %#x)", n == 1 ? ev.events : 0);
	ok(__atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE) != hdr->cq_head,
	   "and a completion is indeed in the CQ");
	__atomic_store_n(&hdr->cq_head, __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
	pfd.revents = 0;
	n = poll(&pfd, 1, 200);
	is(n, 0, "once consumed, poll reports nothing again");

	/* A waiter asleep in epoll_wait is woken by revoke. */
	w.ep = ep;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(300 * 1000);
	ok_errno(ut_ioctl(fd, UACCE_CMD_REVOKE, 0), 0, "revoke while a thread sleeps in epoll_wait");
	pthread_join(th, NULL);
	ok(w.n == 1 && (w.events & (EPOLLERR | EPOLLHUP)) == (EPOLLERR | EPOLLHUP),
	   "the sleeper wakes with EPOLLERR|EPOLLHUP (events %#x)", w.events);
	ok(mmio->magic == 0, "and then finds the dead page behind MMIO");

	close(ep);
	munmap((void *)mmio, mmio_sz);
	munmap(dus, dus_sz);
	close(fd);
	is(ut_avail(), initial, "available_instances is back to its initial value");
	ut_teardown();
	return exit_status();
}
