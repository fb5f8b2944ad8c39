// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * provider.c - the WarpDrive OpenSSL 3 provider ("warpdrive").
 *
 * It offers SHA2-256 and SHA2-224 (digest.c) computed on a WarpDrive
 * device through libwd. This file holds the provider object: its
 * configuration (threshold and chunk, from the openssl.cnf section that
 * loads it or from the environment), the pool of queues the digests borrow,
 * and the software fallback, OpenSSL's own default provider in a library
 * context of ours, so it is there whatever the application loaded.
 *
 * Queues come from wd_request_queue(): through the broker, under its policy
 * and quotas, for anyone; a program that may open the device itself (root)
 * gets one directly when no broker listens. A context holds a queue only
 * while it streams to the device; then the queue goes back to the pool for
 * the next context, so a program that hashes many small messages does not
 * ask the broker each time. When no queue can be had, the provider stops
 * asking for a second (WDP_RETRY_NS) and digests run in software.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <misc/uacce/uacce.h>

#include "wdprov.h"

#define WDP_NAME	"WarpDrive provider (libwd)"
#define WDP_PROPS	"provider=warpdrive"

static OSSL_FUNC_core_get_params_fn *core_get_params;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void wdp_count(struct wdp_prov *p, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&p->lock);
	*field += n;
	pthread_mutex_unlock(&p->lock);
}

struct wdp_queue *wdp_queue_get(struct wdp_prov *p)
{
	struct wdp_queue *q;
	int r;

	pthread_mutex_lock(&p->lock);
	/* An idle queue may have died (revoked, device removed) meanwhile. */
	while ((q = p->idle) && wd_queue_arm(&q->q) == -ENODEV) {
		p->idle = q->next;
		p->nidle--;
		wd_release_queue(&q->q);
		free(q);
	}
	if (q) {
		p->idle = q->next;
		p->nidle--;
	} else if (now_ns() < p->retry_at) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	if (!q)
		p->stats.queue_requests++;
	pthread_mutex_unlock(&p->lock);
	if (q)
		return q;

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->q.alg = "sha256";
	q->q.node = WD_NODE_ANY;
	r = wd_request_queue(&q->q);
	/*
	 * A device that works only on its static shared region would need
	 * every byte copied there; the provider does not do that (yet), and
	 * hashes in software instead.
	 */
	if (!r && (q->q.dev_flags & UACCE_DEV_SS))
		r = -EOPNOTSUPP;
	if (r) {
		wd_release_queue(&q->q);
		free(q);
		pthread_mutex_lock(&p->lock);
		p->stats.queue_failures++;
		p->retry_at = now_ns() + WDP_RETRY_NS;
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	return q;
}

void wdp_queue_put(struct wdp_prov *p, struct wdp_queue *q, bool dead)
{
	if (!q)
		return;
	pthread_mutex_lock(&p->lock);
	if (!dead && p->nidle < WDP_POOL_MAX) {
		q->next = p->idle;
		p->idle = q;
		p->nidle++;
		q = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (q) {
		wd_release_queue(&q->q);
		free(q);
	}
}

/*
 * A size setting: from the environment (@env, for tests and benchmarks;
 * ignored in setuid programs), else the provider's config section (@key),
 * else @def. A value that is not a plain number is refused with a message.
 */
static bool config_size(const OSSL_CORE_HANDLE *handle, const char *env,
			const char *key, size_t def, size_t *out)
{
	char *cfg = NULL;
	OSSL_PARAM req[] = {
		OSSL_PARAM_utf8_ptr(key, &cfg, 0),
		OSSL_PARAM_END,
	};
	const char *v = secure_getenv(env);
	unsigned long long n;
	char *end;

	if (!v && core_get_params && core_get_params(handle, req) && cfg)
		v = cfg;
	if (!v) {
		*out = def;
		return true;
	}
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v || *end || v[0] == '-' || n > (1ULL << 30)) {
		fprintf(stderr, "warpdrive provider: %s = \"%s\" is not a byte count from 0 to 1073741824; fix %s\n",
			key, v, cfg == v ? "the provider's section in openssl.cnf" : env);
		return false;
	}
	*out = n;
	return true;
}

static void prov_free(struct wdp_prov *p)
{
	struct wdp_queue *q;

	if (!p)
		return;
	while ((q = p->idle)) {
		p->idle = q->next;
		wd_release_queue(&q->q);
		free(q);
	}
	EVP_MD_free(p->sw256);
	EVP_MD_free(p->sw224);
	if (p->swdefault)
		OSSL_PROVIDER_unload(p->swdefault);
	OSSL_LIB_CTX_free(p->swctx);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void prov_teardown(void *provctx)
{
	prov_free(provctx);
}

static const OSSL_PARAM prov_param_types[] = {
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-threshold", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-chunk", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-device-requests", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-device-bytes", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-sw-small", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-sw-noqueue", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-sw-resumed", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-queue-requests", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("wd-queue-failures", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *prov_gettable_params(void *provctx)
{
	return prov_param_types;
}

static int set_u64(OSSL_PARAM params[], const char *key, uint64_t v)
{
	OSSL_PARAM *p = OSSL_PARAM_locate(params, key);

	return !p || OSSL_PARAM_set_uint64(p, v);
}

static int prov_get_params(void *provctx, OSSL_PARAM params[])
{
	struct wdp_prov *prov = provctx;
	struct wdp_stats s;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, WDP_NAME))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, WDP_VERSION))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "warpdrive " WDP_VERSION))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	pthread_mutex_lock(&prov->lock);
	s = prov->stats;
	pthread_mutex_unlock(&prov->lock);
	return set_u64(params, "wd-threshold", prov->threshold) &&
	       set_u64(params, "wd-chunk", prov->chunk) &&
	       set_u64(params, "wd-device-requests", s.device_requests) &&
	       set_u64(params, "wd-device-bytes", s.device_bytes) &&
	       set_u64(params, "wd-sw-small", s.sw_small) &&
	       set_u64(params, "wd-sw-noqueue", s.sw_noqueue) &&
	       set_u64(params, "wd-sw-resumed", s.sw_resumed) &&
	       set_u64(params, "wd-queue-requests", s.queue_requests) &&
	       set_u64(params, "wd-queue-failures", s.queue_failures);
}

static const OSSL_ALGORITHM prov_digests[] = {
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", WDP_PROPS,
	  wdp_sha256_functions, "SHA-256 on a WarpDrive device" },
	{ "SHA2-224:SHA-224:SHA224:2.16.840.1.101.3.4.2.4", WDP_PROPS,
	  wdp_sha224_functions, "SHA-224 on a WarpDrive device" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *prov_query(void *provctx, int operation_id,
					int *no_cache)
{
	*no_cache = 0;
	return operation_id == OSSL_OP_DIGEST ? prov_digests : NULL;
}

static const OSSL_DISPATCH prov_functions[] = {
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))prov_teardown },
	{ OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))prov_gettable_params },
	{ OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))prov_get_params },
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query },
	{ 0, NULL }
};

/* The software fallback: OpenSSL's default provider in a context of ours. */
static bool prov_sw_init(struct wdp_prov *p)
{
	p->swctx = OSSL_LIB_CTX_new();
	if (!p->swctx)
		return false;
	p->swdefault = OSSL_PROVIDER_load(p->swctx, "default");
	if (!p->swdefault)
		return false;
	p->sw256 = EVP_MD_fetch(p->swctx, "SHA2-256", "provider=default");
	p->sw224 = EVP_MD_fetch(p->swctx, "SHA2-224", "provider=default");
	return p->sw256 && p->sw224;
}

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx);

__attribute__((visibility("default")))
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx)
{
	struct wdp_prov *p;

	for (; in->function_id; in++)
		if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
			core_get_params = OSSL_FUNC_core_get_params(in);

	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	pthread_mutex_init(&p->lock, NULL);
	p->handle = handle;
	if (!config_size(handle, "WD_OSSL_THRESHOLD", "threshold",
			 WDP_THRESHOLD_DEFAULT, &p->threshold) ||
	    !config_size(handle, "WD_OSSL_CHUNK", "chunk", WDP_CHUNK_DEFAULT,
			 &p->chunk))
		goto err;
	/* Device pieces end on a block boundary. */
	p->chunk = p->chunk < WD_HASH_BLOCK_SIZE ? WD_HASH_BLOCK_SIZE :
		   p->chunk & ~(size_t)(WD_HASH_BLOCK_SIZE - 1);
	if (!prov_sw_init(p)) {
		fprintf(stderr, "warpdrive provider: cannot load OpenSSL's default provider for the software fallback\n");
		goto err;
	}
	*out = prov_functions;
	*provctx = p;
	return 1;
err:
	prov_free(p);
	return 0;
}
