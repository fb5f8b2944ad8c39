// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OpenSSL provider against the libwd device double, loaded as a
 * built-in provider: every digest equals the default provider's, and each
 * path is taken when it should be, as its statistics show: small input in
 * software; no queue (device full) in software, with no second request for
 * a while; streaming on the device with random update sizes; EVP_MD_CTX_copy
 * mid-stream; a queue revoked mid-stream, a failing request and a device
 * without streaming hashes all finish in software from the carried state;
 * a dead idle queue in the pool is not handed out; NIST vectors.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx);

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

static OSSL_LIB_CTX *lctx;
static OSSL_PROVIDER *prov;
static EVP_MD *md256, *md224;
static uint8_t data[300000];

static void load(void)
{
	lctx = OSSL_LIB_CTX_new();
	if (!OSSL_PROVIDER_add_builtin(lctx, "warpdrive", OSSL_provider_init))
		bail_out("add_builtin");
	prov = OSSL_PROVIDER_load(lctx, "warpdrive");
	md256 = EVP_MD_fetch(lctx, "SHA256", "provider=warpdrive");
	md224 = EVP_MD_fetch(lctx, "SHA2-224", "provider=warpdrive");
	if (!prov || !md256 || !md224)
		bail_out("cannot load the provider");
}

static void unload(void)
{
	EVP_MD_free(md256);
	EVP_MD_free(md224);
	OSSL_PROVIDER_unload(prov);
	OSSL_LIB_CTX_free(lctx);
}

static uint64_t stat(const char *key)
{
	uint64_t v = ~0ULL;
	OSSL_PARAM p[] = { OSSL_PARAM_uint64(key, &v), OSSL_PARAM_END };

	OSSL_PROVIDER_get_params(prov, p);
	return v;
}

/* Feed @len bytes in random pieces of 1..@maxstep. */
static bool feed(EVP_MD_CTX *c, const uint8_t *p, size_t len, size_t maxstep)
{
	while (len) {
		size_t n = 1 + (size_t)random() % maxstep;

		if (n > len)
			n = len;
		if (!EVP_DigestUpdate(c, p, n))
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Digest through the provider (random pieces) equals the default's. */
static bool same(EVP_MD *md, const uint8_t *p, size_t len, size_t maxstep)
{
	uint8_t a[32], b[32];
	unsigned int na = 0, nb = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool r = EVP_DigestInit_ex(c, md, NULL) && feed(c, p, len, maxstep) &&
		 EVP_DigestFinal_ex(c, a, &na);

	EVP_MD_CTX_free(c);
	EVP_Digest(p, len, b, &nb, md == md224 ? EVP_sha224() : EVP_sha256(), NULL);
	return r && na == nb && !memcmp(a, b, na);
}

static bool hex_is(EVP_MD *md, const void *p, size_t len, const char *want)
{
	uint8_t d[32];
	char h[65];
	unsigned int n;

	if (!EVP_Digest(p, len, d, &n, md, NULL))
		return false;
	for (unsigned int i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", d[i]);
	return !strcmp(h, want);
}

int main(void)
{
	uint64_t req, res, qr;
	EVP_MD_CTX *c, *d;

	srandom(19);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)random();
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	setenv("WD_OSSL_CHUNK", "4096", 1);
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	/* No queue: the only device is full. */
	wdd_sysfs_set("wdsoft-0", "available_instances", "0");
	load();
	is(stat("wd-threshold"), 1000, "threshold from WD_OSSL_THRESHOLD");
	is(stat("wd-chunk"), 4096, "chunk from WD_OSSL_CHUNK");
	ok(same(md256, data, 50000, 3000), "no queue: digest is right");
	is(stat("wd-sw-noqueue"), 1, "no queue: counted as such");
	is(stat("wd-queue-failures"), 1, "the queue request failed");
	ok(same(md256, data, 50000, 3000), "again: right");
	is(stat("wd-queue-requests"), 1, "no second request within the retry delay");
	is(stat("wd-device-requests"), 0, "nothing went to a device");
	unload();
	wdd_sysfs_set("wdsoft-0", "available_instances", "8");

	load();
	ok(same(md256, data, 1000, 100), "1000 bytes (the threshold): right");
	is(stat("wd-sw-small"), 1, "small input in software");
	is(stat("wd-queue-requests"), 0, "small input asks for no queue");
	ok(same(md256, data, 0, 1), "empty input: right");

	for (int i = 0; i < 5; i++)
		ok(same(md256, data, 1001 + (size_t)random() % 200000, 1 + (size_t)random() % 20000),
		   "random length and update sizes, round %d: right", i);
	ok(stat("wd-device-requests") >= 5, "the device did the work (%llu requests, %llu bytes)",
	   (unsigned long long)stat("wd-device-requests"),
	   (unsigned long long)stat("wd-device-bytes"));
	is(stat("wd-queue-requests"), 1, "one queue served every context (pool)");
	ok(same(md256, data, sizeof(data), sizeof(data)), "one 300 kB update: right");
	ok(same(md224, data, 123457, 9000), "SHA-224 on the device: right");

	/* EVP_MD_CTX_copy mid-stream, in device mode. */
	c = EVP_MD_CTX_new();
	d = EVP_MD_CTX_new();
	{
		uint8_t a[32], b[32], ra[32], rb[32];
		unsigned int n;
		EVP_MD_CTX *r = EVP_MD_CTX_new();

		EVP_DigestInit_ex(c, md256, NULL);
		feed(c, data, 70001, 5000);
		ok(EVP_MD_CTX_copy(d, c), "EVP_MD_CTX_copy mid-stream");
		feed(c, data + 70001, 1000, 100);
		feed(d, data + 100000, 90000, 7000);
		EVP_DigestFinal_ex(c, a, &n);
		EVP_DigestFinal_ex(d, b, &n);
		EVP_DigestInit_ex(r, EVP_sha256(), NULL);
		EVP_DigestUpdate(r, data, 71001);
		EVP_DigestFinal_ex(r, ra, &n);
		EVP_DigestInit_ex(r, EVP_sha256(), NULL);
		EVP_DigestUpdate(r, data, 70001);
		EVP_DigestUpdate(r, data + 100000, 90000);
		EVP_DigestFinal_ex(r, rb, &n);
		ok(!memcmp(a, ra, 32), "original finishes right");
		ok(!memcmp(b, rb, 32), "copy finishes right with other input");
		EVP_MD_CTX_free(r);
	}

	/* Lost queue mid-stream. */
	{
		uint8_t a[32], ref[32];
		unsigned int n;

		req = stat("wd-device-requests");
		res = stat("wd-sw-resumed");
		EVP_DigestInit_ex(c, md256, NULL);
		feed(c, data, 60000, 4000);
		ok(stat("wd-device-requests") > req, "stream started on the device");
		wdd_revoke_all();
		feed(c, data + 60000, 60000, 4000);
		EVP_DigestFinal_ex(c, a, &n);
		EVP_Digest(data, 120000, ref, &n, EVP_sha256(), NULL);
		ok(!memcmp(a, ref, 32), "revoked mid-stream: digest is right");
		is(stat("wd-sw-resumed"), res + 1, "finished in software from the carried state");
	}

	/* The pool's queue died with the revoke: a new one is requested. */
	qr = stat("wd-queue-requests");
	req = stat("wd-device-requests");
	ok(same(md256, data, 50000, 5000), "after the revoke: right");
	is(stat("wd-queue-requests"), qr + 1, "dead idle queue dropped, a new one requested");
	ok(stat("wd-device-requests") > req, "and the device works again");

	/* A request that fails mid-stream. */
	res = stat("wd-sw-resumed");
	EVP_DigestInit_ex(c, md256, NULL);
	feed(c, data, 30000, 3000);
	wdd_fail_next(1);
	{
		uint8_t a[32], ref[32];
		unsigned int n;

		feed(c, data + 30000, 30000, 3000);
		EVP_DigestFinal_ex(c, a, &n);
		EVP_Digest(data, 60000, ref, &n, EVP_sha256(), NULL);
		ok(!memcmp(a, ref, 32), "device error mid-stream: digest is right");
	}
	is(stat("wd-sw-resumed"), res + 1, "finished in software");

	/* NIST FIPS 180-4 example vectors (and the million 'a'). */
	ok(hex_is(md256, "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "NIST SHA-256 \"abc\"");
	ok(hex_is(md256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	   "NIST SHA-256 448-bit message");
	ok(hex_is(md224, "abc", 3, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
	   "NIST SHA-224 \"abc\"");
	{
		static uint8_t a[1000000];

		memset(a, 'a', sizeof(a));
		req = stat("wd-device-requests");
		ok(hex_is(md256, a, sizeof(a),
			  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
		   "NIST SHA-256 one million 'a' (on the device)");
		ok(stat("wd-device-requests") > req, "the million went to the device");
		ok(hex_is(md224, a, sizeof(a),
			  "20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67"),
		   "NIST SHA-224 one million 'a'");
	}
	EVP_MD_CTX_free(c);
	EVP_MD_CTX_free(d);
	unload();
	wdd_uninstall();

	/* A device without streaming hashes. */
	{
		struct wdd_config nofeat = { .features = WDD_NO_FEATURES };

		wdd_install(&nofeat);
		load();
		ok(same(md256, data, 80000, 8000), "device without streaming hashes: right");
		is(stat("wd-sw-resumed"), 1, "first piece refused, finished in software");
		is(stat("wd-device-requests"), 0, "no work done on it");
		unload();
		wdd_uninstall();
	}
	wdd_sysfs_cleanup();
	return done_testing();
}
