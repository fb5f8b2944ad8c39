// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft streaming SHA-256 (WDSOFT_SQE_HASH_IN/OUT, "Additions to version
 * 1" in wdsoft.h) on the real engine: the device announces it; pieces of
 * several sizes chained through struct wdsoft_hash_state give OpenSSL's
 * digest, for SHA-256 and (from the SHA-224 state) SHA-224, also with a
 * gathered source; every malformed piece is refused with the documented
 * status and leaves the state untouched.
 */
#include <openssl/evp.h>

#include <warpdrive/wd.h>

#include "tap.h"
#include "vm/soft-ring.h"

/* The initial state of @alg, from libwd (the UAPI struct has its layout). */
static void init_state(struct wdsoft_hash_state *s, const char *alg)
{
	struct wd_hash_state w;

	if (wd_hash_state_init(&w, alg))
		bail_out("wd_hash_state_init(%s)", alg);
	memcpy(s, &w, sizeof(*s));
}

static struct soft_ring r;
static struct wdsoft_cqe cqe;

static int piece(const void *src, size_t len, void *st, size_t st_len, uint16_t flags)
{
	struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_SHA256, src, len, st, st_len);
	int e;

	sqe.flags = flags;
	e = soft_ring_run(&r, &sqe, &cqe);
	return e ? e : cqe.status;
}

static bool chain(const char *alg, const EVP_MD *md, const uint8_t *buf,
		  size_t len, size_t step)
{
	union { struct wdsoft_hash_state s; uint8_t d[48]; } u = { 0 };
	uint8_t ref[32];
	unsigned int n;
	size_t off = 0;

	init_state(&u.s, alg);
	while (len - off > step) {
		if (piece(buf + off, step, &u, sizeof(u),
			  WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT) || cqe.out_len != 48)
			return false;
		off += step;
	}
	if (piece(buf + off, len - off, &u, sizeof(u), WDSOFT_SQE_HASH_IN) ||
	    cqe.out_len != 32)
		return false;
	EVP_Digest(buf, len, ref, &n, md, NULL);
	return !memcmp(u.d, ref, n);
}

int main(void)
{
	struct wdsoft_hash_state s, before;
	uint8_t *buf, ref[32];
	struct wdsoft_sge sgl[3];
	char dev[64];
	unsigned int n;
	size_t len = 3 << 20;

	soft_setup_ring("num_devices=1", dev, sizeof(dev), &r);
	buf = malloc(len);
	if (!buf)
		bail_out("out of memory");
	soft_fill(buf, len, false, 19);

	ok(r.mmio->features & WDSOFT_FEAT_HASH_STATE, "device announces WDSOFT_FEAT_HASH_STATE");
	ok(chain("sha256", EVP_sha256(), buf, 1000, 64), "sha256 in 64-byte pieces");
	ok(chain("sha256", EVP_sha256(), buf, len, 1 << 20), "sha256 of 3 MiB in 1 MiB pieces");
	ok(chain("sha256", EVP_sha256(), buf, len - 13, 192 * 1024), "sha256 in 192 KiB pieces, odd tail");
	ok(chain("sha256", EVP_sha256(), buf, 0, 64), "sha256 of nothing from the initial state");
	ok(chain("sha224", EVP_sha224(), buf, 777777, 65536), "sha224 from the SHA-224 state");

	/* A gathered source as a middle piece. */
	init_state(&s, "sha256");
	sgl[0] = (struct wdsoft_sge){ (uintptr_t)buf, 100 };
	sgl[1] = (struct wdsoft_sge){ (uintptr_t)buf + 100, 28 };
	sgl[2] = (struct wdsoft_sge){ (uintptr_t)buf + 128, 0 };
	{
		struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_SHA256, sgl, 3, &s, sizeof(s));
		uint8_t d[48];

		sqe.flags = WDSOFT_SQE_SRC_SGL | WDSOFT_SQE_HASH_OUT;
		ok(!soft_ring_run(&r, &sqe, &cqe) && !cqe.status && s.bytes == 128,
		   "gathered 128-byte first piece: state after 128 bytes");
		memcpy(d, &s, sizeof(s));
		ok(!piece(buf + 128, 1000, d, sizeof(d), WDSOFT_SQE_HASH_IN), "last piece");
		EVP_Digest(buf, 1128, ref, &n, EVP_sha256(), NULL);
		ok(!memcmp(d, ref, 32), "gathered + flat pieces: right digest");
	}

	/* Malformed pieces: documented status, state untouched. */
	init_state(&s, "sha256");
	ok(!piece(buf, 640, &s, sizeof(s), WDSOFT_SQE_HASH_OUT), "a good first piece");
	before = s;
	ok_errno(piece(buf, 100, &s, sizeof(s), WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT),
		 -EINVAL, "HASH_OUT piece of 100 bytes (not whole blocks): -EINVAL");
	s.bytes = 65;
	ok_errno(piece(buf, 64, &s, sizeof(s), WDSOFT_SQE_HASH_IN), -EINVAL,
		 "state with bytes not a multiple of 64: -EINVAL");
	s = before;
	s.rsvd = 1;
	ok_errno(piece(buf, 64, &s, sizeof(s), WDSOFT_SQE_HASH_IN), -EINVAL,
		 "state with rsvd set: -EINVAL");
	s = before;
	s.bytes = 1ULL << 61;
	ok_errno(piece(buf, 64, &s, sizeof(s), WDSOFT_SQE_HASH_IN), -EINVAL,
		 "state at 2^61 bytes (longest SHA-256 message): -EINVAL");
	s = before;
	ok_errno(piece(buf, 64, &s, 47, WDSOFT_SQE_HASH_IN), -ENOSPC,
		 "state buffer of 47 bytes: -ENOSPC");
	ok_errno(piece(buf, 64, &s, 40, WDSOFT_SQE_HASH_OUT), -ENOSPC,
		 "HASH_OUT into 40 bytes: -ENOSPC");
	{
		struct wdsoft_sqe sqe = soft_sqe(WDSOFT_OP_CRC32C, buf, 64, &s, sizeof(s));

		sqe.flags = WDSOFT_SQE_HASH_IN;
		ok_errno(soft_ring_run(&r, &sqe, &cqe) ?: cqe.status, -EINVAL,
			 "HASH_IN on crc32c: -EINVAL");
		sqe = soft_sqe(WDSOFT_OP_SHA256, buf, 64, sgl, 1);
		sgl[0] = (struct wdsoft_sge){ (uintptr_t)&s, sizeof(s) };
		sqe.flags = WDSOFT_SQE_HASH_IN | WDSOFT_SQE_DST_SGL;
		ok_errno(soft_ring_run(&r, &sqe, &cqe) ?: cqe.status, -EINVAL,
			 "state behind a scatter list: -EINVAL");
	}
	ok_errno(piece((void *)16, 64, &s, sizeof(s), WDSOFT_SQE_HASH_IN | WDSOFT_SQE_HASH_OUT),
		 -EFAULT, "unmapped source: -EFAULT");
	ok(!memcmp(&s, &before, sizeof(s)), "no refused or failed piece touched the state");
	ok(!piece(buf + 640, 360, &s, sizeof(s), WDSOFT_SQE_HASH_IN), "the stream still finishes");
	EVP_Digest(buf, 1000, ref, &n, EVP_sha256(), NULL);
	ok(!memcmp(&s, ref, 32), "with the right digest");

	soft_ring_close(&r);
	free(buf);
	ok_errno(vm_unload_modules(), 0, "modules unload");
	return exit_status();
}
