/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wdprov.h - the WarpDrive OpenSSL 3 provider's internals, shared by the
 * provider object (provider.c: configuration, the queue pool, the software
 * fallback) and the digests (digest.c).
 */
#ifndef WD_OPENSSL_WDPROV_H
#define WD_OPENSSL_WDPROV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/core.h>
#include <openssl/evp.h>
#include <warpdrive/wd.h>

/*
 * Inputs up to this many bytes are hashed in software: from 8 KiB up the
 * device path cost the client less CPU per digest in every measured run
 * (tools/bench-openssl --icount, README).
 */
#define WDP_THRESHOLD_DEFAULT	(8 * 1024)
/* Bytes the provider gathers from small updates before one device request. */
#define WDP_CHUNK_DEFAULT	(256 * 1024)
/* Queues kept for reuse once no context uses them. */
#define WDP_POOL_MAX		8
/* After a failed queue request, digests stay in software this long. */
#define WDP_RETRY_NS		1000000000ULL

/* A leased queue, owned by one context at a time or idle in the pool. */
struct wdp_queue {
	struct wd_queue q;
	struct wdp_queue *next;
};

/* Counters, for tests and warpctl-style reports (provider parameters). */
struct wdp_stats {
	uint64_t device_requests;	/* requests that completed on a device */
	uint64_t device_bytes;
	uint64_t sw_small;		/* whole digests below the threshold */
	uint64_t sw_noqueue;		/* digests that found no queue */
	uint64_t sw_resumed;		/* digests finished from a carried state */
	uint64_t queue_requests;	/* wd_request_queue calls */
	uint64_t queue_failures;
};

/**
 * struct wdp_prov - one loaded instance of the provider
 * @handle: the core's handle for this instance
 * @swctx: a library context of our own with OpenSSL's default provider,
 *	the software fallback (independent of the application's config)
 * @swdefault: that default provider
 * @sw256, @sw224: its SHA-256 and SHA-224
 * @threshold: inputs up to this size never go to the device
 * @chunk: gather size for small updates (a multiple of 64)
 * @lock: protects @idle, @nidle, @retry_at and @stats
 * @idle: queues no context holds
 */
struct wdp_prov {
	const OSSL_CORE_HANDLE *handle;
	OSSL_LIB_CTX *swctx;
	OSSL_PROVIDER *swdefault;
	EVP_MD *sw256, *sw224;
	size_t threshold;
	size_t chunk;
	pthread_mutex_t lock;	/* see above */
	struct wdp_queue *idle;
	unsigned int nidle;
	uint64_t retry_at;
	struct wdp_stats stats;
};

/* A queue for one context, or NULL (none available: use software). */
struct wdp_queue *wdp_queue_get(struct wdp_prov *p);
/* Give @q back; @dead: it failed, release it instead of keeping it. */
void wdp_queue_put(struct wdp_prov *p, struct wdp_queue *q, bool dead);
/* Add @n to the counter at @field (a uint64_t inside p->stats). */
void wdp_count(struct wdp_prov *p, uint64_t *field, uint64_t n);

extern const OSSL_DISPATCH wdp_sha256_functions[];
extern const OSSL_DISPATCH wdp_sha224_functions[];

#endif
