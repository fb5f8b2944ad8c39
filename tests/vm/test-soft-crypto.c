// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft with uacce_mode=0: no uacce devices; instead crc32c-wdsoft and
 * sha256-wdsoft are shash algorithms reachable from user space through
 * AF_ALG (checked against a bitwise CRC and OpenSSL), and deflate-wdsoft
 * is registered as scomp; all pass the kernel's own self-tests.
 */
#include <linux/if_alg.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include "tap.h"
#include "vm/soft-ring.h"

/* Digest @n bytes with the AF_ALG hash @name; returns the digest length. */
static int af_alg_hash(const char *name, const void *key, size_t keylen,
		       const void *p, size_t n, unsigned char *out, size_t outlen)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int s, op, r = -1;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "hash");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	s = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	if (key && setsockopt(s, SOL_ALG, ALG_SET_KEY, key, keylen) < 0) {
		r = -errno;
		goto out;
	}
	op = accept4(s, NULL, 0, SOCK_CLOEXEC);
	if (op < 0) {
		r = -errno;
		goto out;
	}
	while (n) {
		ssize_t w = send(op, p, n > 65536 ? 65536 : n, n > 65536 ? MSG_MORE : 0);

		if (w <= 0) {
			r = -errno;
			close(op);
			goto out;
		}
		p = (const char *)p + w;
		n -= w;
	}
	r = (int)read(op, out, outlen);
	if (r < 0)
		r = -errno;
	close(op);
out:
	close(s);
	return r;
}

/* /proc/crypto block of driver @drv: does it contain @line? */
static bool proc_crypto_has(const char *drv, const char *line)
{
	char buf[256], want[128];
	bool in = false, found = false;
	FILE *f = fopen("/proc/crypto", "re");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "driver       : %s\n", drv);
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "name ", 5))
			in = false;
		if (!strcmp(buf, want))
			in = true;
		if (in && !strncmp(buf, line, strlen(line)))
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * The driver wdsoft's @drv computes with, from the kernel log line its
 * registration printed ("wdsoft: crc32c-wdsoft computes with crc32c-intel");
 * the last one, that of the load just done. 0 or -ENOENT.
 */
static int inner_driver(const char *drv, char *out, size_t size)
{
	char line[512], want[96], got[128];
	const char *p;
	int e = -ENOENT;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "wdsoft: %s computes with ", drv);
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, want);
		if (p && sscanf(p + strlen(want), "%127s", got) == 1) {
			snprintf(out, size, "%s", got);
			e = 0;
		}
	}
	pclose(f);
	return e;
}

int main(void)
{
	unsigned char out[64], want[32], *buf;
	unsigned int wlen = 32;
	char dev[64];
	uint32_t le, seed;
	int e;

	vm_require();
	e = vm_load_modules("uacce_mode=0");
	if (e)
		bail_out("cannot load wdsoft with uacce_mode=0: %s", strerror(-e));
	ok(soft_find_device(0, dev, sizeof(dev)) == -ENOENT, "no uacce device in crypto mode");
	ok(proc_crypto_has("crc32c-wdsoft", "type         : shash"),
	   "crc32c-wdsoft is an shash");
	ok(proc_crypto_has("sha256-wdsoft", "type         : shash"),
	   "sha256-wdsoft is an shash");
	ok(proc_crypto_has("deflate-wdsoft", "type         : scomp"),
	   "deflate-wdsoft is an scomp");
	ok(proc_crypto_has("crc32c-wdsoft", "selftest     : passed") &&
	   proc_crypto_has("sha256-wdsoft", "selftest     : passed") &&
	   proc_crypto_has("deflate-wdsoft", "selftest     : passed"),
	   "all three pass the kernel self-tests");

	/* Both compute with the crypto API's own drivers, as the engine does. */
	for (int i = 0; i < 2; i++) {
		const char *ours = i ? "sha256-wdsoft" : "crc32c-wdsoft";
		char inner[128] = "";

		e = inner_driver(ours, inner, sizeof(inner));
		ok(!e && !strstr(inner, "-wdsoft") &&
		   proc_crypto_has(inner, "type         : shash") &&
		   !strncmp(inner, ours, 6),
		   "%s computes with %s, a %s shash driver of the kernel's", ours,
		   e ? "(no log line)" : inner, i ? "sha256" : "crc32c");
	}

	e = af_alg_hash("crc32c-wdsoft", NULL, 0, "123456789", 9, out, sizeof(out));
	memcpy(&le, out, 4);
	ok(e == 4 && le == 0xe3069283, "AF_ALG crc32c-wdsoft(\"123456789\") = 0xe3069283");
	/* Seeded with the CRC state after a prefix, it continues over that prefix. */
	seed = ~vm_crc32c((const uint8_t *)"WarpDrive ", 10);
	e = af_alg_hash("crc32c-wdsoft", &seed, 4, "123456789", 9, out, sizeof(out));
	memcpy(&le, out, 4);
	ok(e == 4 && le == vm_crc32c((const uint8_t *)"WarpDrive 123456789", 19),
	   "a 4-byte key seeds the CRC: it continues a CRC over a prefix");

	buf = malloc(1 << 20);
	if (!buf)
		bail_out("out of memory");
	soft_fill(buf, 1 << 20, false, 9);
	e = af_alg_hash("sha256-wdsoft", NULL, 0, buf, 1 << 20, out, sizeof(out));
	EVP_Digest(buf, 1 << 20, want, &wlen, EVP_sha256(), NULL);
	ok(e == 32 && !memcmp(out, want, 32), "AF_ALG sha256-wdsoft of 1 MiB matches OpenSSL");
	e = af_alg_hash("crc32c-wdsoft", NULL, 0, buf, 1 << 20, out, sizeof(out));
	memcpy(&le, out, 4);
	ok(e == 4 && le == vm_crc32c(buf, 1 << 20),
	   "AF_ALG crc32c-wdsoft of 1 MiB matches the bitwise reference");
	free(buf);

	ok_errno(vm_unload_modules(), 0, "modules unload");
	ok(!proc_crypto_has("crc32c-wdsoft", "name"), "and the algorithms are gone");
	return exit_status();
}
