/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * barrier.h - the memory-ordering helpers for rings shared with a device.
 *
 * The only place libwd spells out atomics. Ring code loads the index the
 * other side writes with smp_load_acquire(), publishes its own with
 * smp_store_release(), and uses smp_mb() where a store must be ordered before
 * a later load (the NEED_WAKEUP and irq_armed handshakes). Each use site
 * says what it pairs with.
 */
#ifndef WD_BARRIER_H
#define WD_BARRIER_H

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* WD_BARRIER_H */
