// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft crc32c and sha256 against user-space references (vmlib's bitwise
 * Castagnoli CRC, OpenSSL's SHA-256) at sizes from empty to
 * 1 MiB on random and text-like data, plus the standard check values and
 * the output-too-small case.
 */
#include <openssl/evp.h>

#include "tap.h"
#include "vm/soft-ring.h"

static const size_t sizes[] = { 0, 1, 4095, 4096, 65536, 1 << 20 };

static void ref_sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		bail_out("OpenSSL EVP_Digest failed");
}

static int run(struct soft_ring *r, struct wdsoft_sqe sqe,
	       struct wdsoft_cqe *cqe)
{
	int e = soft_ring_run(r, &sqe, cqe);

	return e ? e : cqe->status;
}

int main(void)
{
	static const char check[] = "123456789";
	unsigned char *buf, digest[40], want[32];
	struct wdsoft_cqe cqe = { 0 };
	struct soft_ring r;
	char dev[64];
	uint32_t le;
	size_t i;
	int e;

	soft_setup_ring("num_devices=1", dev, sizeof(dev), &r);
	buf = malloc(1 << 20);
	if (!buf)
		bail_out("out of memory");

	/* Standard check values. */
	e = run(&r, soft_sqe(WDSOFT_OP_CRC32C, check, 9, &le, 4), &cqe);
	ok(e == 0 && cqe.result == 0xe3069283 && le == 0xe3069283 &&
	   cqe.out_len == 4, "crc32c(\"123456789\") = 0xe3069283");
	if (e || cqe.result != 0xe3069283)
		diag("status %d result %#llx", e, (unsigned long long)cqe.result);
	e = run(&r, soft_sqe(WDSOFT_OP_SHA256, "abc", 3, digest, 32), &cqe);
	ref_sha256("abc", 3, want);
	ok(e == 0 && cqe.out_len == 32 && !memcmp(digest, want, 32) &&
	   digest[0] == 0xba && digest[1] == 0x78,
	   "sha256(\"abc\") = ba7816bf...");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int comp = 0; comp < 2; comp++) {
			size_t n = sizes[i];
			const char *kind = comp ? "text" : "random";

			soft_fill(buf, n, comp, (unsigned int)(n * 3 + comp));
			e = run(&r, soft_sqe(WDSOFT_OP_CRC32C, buf, n, &le, 4), &cqe);
			ok(e == 0 && cqe.result == vm_crc32c(buf, n) &&
			   le == cqe.result, "crc32c %zu bytes (%s)", n, kind);
			memset(digest, 0, sizeof(digest));
			e = run(&r, soft_sqe(WDSOFT_OP_SHA256, buf, n, digest,
					     sizeof(digest)), &cqe);
			ref_sha256(buf, n, want);
			ok(e == 0 && cqe.out_len == 32 && !memcmp(digest, want, 32),
			   "sha256 %zu bytes (%s)", n, kind);
		}
	}

	e = run(&r, soft_sqe(WDSOFT_OP_CRC32C, check, 9, NULL, 0), &cqe);
	ok(e == 0 && cqe.result == 0xe3069283 && cqe.out_len == 0,
	   "crc32c with no destination: value in the completion only");
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_CRC32C, check, 9, &le, 3), &cqe),
		 -ENOSPC, "crc32c into 3 bytes: -ENOSPC");
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_SHA256, check, 9, digest, 31), &cqe),
		 -ENOSPC, "sha256 into 31 bytes: -ENOSPC");
	ok_errno(run(&r, soft_sqe(WDSOFT_OP_SHA256, (void *)16, 9, digest, 32), &cqe),
		 -EFAULT, "sha256 of an unmapped buffer: -EFAULT");
	struct wdsoft_sqe z = soft_sqe(WDSOFT_OP_SHA256, check, 9, digest, 32);
	z.flags = WDSOFT_SQE_ZLIB;
	ok_errno(run(&r, z, &cqe), -EINVAL, "zlib flag on sha256: -EINVAL");

	soft_ring_close(&r);
	free(buf);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
