// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the OpenSSL provider's threshold comes from: with nothing set it is
 * the measured default that warpdrive-provider(7) documents; the
 * `threshold` key of the provider's openssl.cnf section replaces it;
 * WD_OSSL_THRESHOLD replaces both; a value that is no byte count makes the
 * provider refuse to load. The provider is loaded as a built-in provider
 * into a library context of its own for each case.
 */
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "tap.h"

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx);

/* The default that warpdrive-provider(7) and the README state. */
#define DOCUMENTED_THRESHOLD 8192

static char cnf[] = "/tmp/wdprov-cnf.XXXXXX";

/* An openssl.cnf whose warpdrive section sets threshold = @threshold. */
static void write_cnf(const char *threshold)
{
	FILE *f = fopen(cnf, "w");

	if (!f)
		bail_out("cannot write %s", cnf);
	fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
		   "[provider_sect]\nwarpdrive = warpdrive_sect\n"
		   "[warpdrive_sect]\nactivate = 1\nthreshold = %s\n", threshold);
	fclose(f);
}

/*
 * Load the provider into a fresh library context, through @with_cnf's
 * openssl.cnf or directly: its wd-threshold, or -1 if it did not load.
 */
static long long threshold_of(bool with_cnf)
{
	OSSL_LIB_CTX *lctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *prov = NULL;
	uint64_t v = 0;
	OSSL_PARAM p[] = { OSSL_PARAM_uint64("wd-threshold", &v), OSSL_PARAM_END };
	long long r = -1;

	/* Through openssl.cnf, the section must have activated it. */
	if (lctx && OSSL_PROVIDER_add_builtin(lctx, "warpdrive", OSSL_provider_init) &&
	    (!with_cnf || (OSSL_LIB_CTX_load_config(lctx, cnf) &&
			   OSSL_PROVIDER_available(lctx, "warpdrive"))))
		prov = OSSL_PROVIDER_load(lctx, "warpdrive");
	if (prov && OSSL_PROVIDER_get_params(prov, p))
		r = (long long)v;
	OSSL_PROVIDER_unload(prov);
	OSSL_LIB_CTX_free(lctx);
	return r;
}

int main(void)
{
	int fd = mkstemp(cnf);

	if (fd < 0)
		bail_out("mkstemp");
	close(fd);
	unsetenv("WD_OSSL_THRESHOLD");

	is(threshold_of(false), DOCUMENTED_THRESHOLD,
	   "nothing set: the documented default, %d bytes", DOCUMENTED_THRESHOLD);
	write_cnf("65536");
	is(threshold_of(true), 65536, "openssl.cnf's threshold = 65536 replaces it");
	write_cnf("0");
	is(threshold_of(true), 0, "threshold = 0 sends every message to the device");
	setenv("WD_OSSL_THRESHOLD", "777", 1);
	is(threshold_of(true), 777, "WD_OSSL_THRESHOLD=777 replaces openssl.cnf's");
	unsetenv("WD_OSSL_THRESHOLD");
	write_cnf("16k");
	is(threshold_of(true), -1, "threshold = 16k is refused: the section does not activate it");

	unlink(cnf);
	return exit_status();
}
