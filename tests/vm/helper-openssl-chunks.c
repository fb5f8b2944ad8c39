// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper-openssl-chunks FILE: hash FILE with the installed "warpdrive"
 * provider through EVP_DigestUpdate calls of random sizes, copying the
 * context (EVP_MD_CTX_copy) at random points and finishing each copy with
 * the rest of the file too; every result must equal the default
 * provider's. Prints "ok DIGEST COPIES" or a reason; exit 0 only if all
 * agree. Run by test-system-openssl.sh as an unprivileged user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

int main(int argc, char **argv)
{
	static unsigned char buf[8 << 20];
	unsigned char ref[32], got[32];
	unsigned int n;
	EVP_MD_CTX *c, *copies[4];
	int ncopies = 0, bad = 0;
	size_t len, off = 0;
	EVP_MD *md, *def;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "rb")))
		return fprintf(stderr, "usage: %s FILE (at most 8 MiB)\n", argv[0]), 2;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (!OSSL_PROVIDER_load(NULL, "warpdrive") || !OSSL_PROVIDER_load(NULL, "default"))
		return puts("cannot load the warpdrive and default providers"), 1;
	md = EVP_MD_fetch(NULL, "SHA256", "provider=warpdrive");
	def = EVP_MD_fetch(NULL, "SHA256", "provider=default");
	if (!md || !def)
		return puts("no SHA256 from the warpdrive provider"), 1;
	srandom(1219);
	c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, md, NULL);
	while (off < len) {
		size_t step = 1 + (size_t)random() % (random() % 2 ? 300 : 200000);

		if (step > len - off)
			step = len - off;
		EVP_DigestUpdate(c, buf + off, step);
		for (int i = 0; i < ncopies; i++)
			EVP_DigestUpdate(copies[i], buf + off, step);
		off += step;
		if (ncopies < 4 && random() % 16 == 0) {
			copies[ncopies] = EVP_MD_CTX_new();
			if (!EVP_MD_CTX_copy(copies[ncopies], c))
				return puts("EVP_MD_CTX_copy failed"), 1;
			ncopies++;
		}
	}
	EVP_Digest(buf, len, ref, &n, def, NULL);
	EVP_DigestFinal_ex(c, got, &n);
	bad |= memcmp(got, ref, 32) != 0;
	for (int i = 0; i < ncopies; i++) {
		unsigned char d[32];

		EVP_DigestFinal_ex(copies[i], d, &n);
		bad |= memcmp(d, ref, 32) != 0;
		EVP_MD_CTX_free(copies[i]);
	}
	EVP_MD_CTX_free(c);
	if (bad)
		return puts("digest differs from the default provider's"), 1;
	printf("ok ");
	for (int i = 0; i < 32; i++)
		printf("%02x", ref[i]);
	printf(" %d\n", ncopies);
	return 0;
}
