// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper-container-client - the program the container tests run inside a
 * container (podman, systemd-nspawn): a plain libwd client of the broker.
 *
 *   helper-container-client run    one queue for crc32c and deflate, a
 *                                  crc32c checked against a software one,
 *                                  a deflate inflated back and compared;
 *                                  prints "lease N on DEV: crc32c ok,
 *                                  deflate ok (A -> B bytes)"
 *   helper-container-client hold   one queue; prints "lease N", then for
 *                                  each line on stdin one crc32c request,
 *                                  printing "ok" or "error: WHY"; exits at
 *                                  the end of stdin
 *
 * The queue is asked of the broker only (WD_QUEUE_NO_FALLBACK): a
 * container without the broker's socket must fail, not try device nodes.
 * Exit 0 on success; 1 with "warpdrive: WHY" on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <warpdrive/wd.h>

#include "common/libwd-run.h"
#include "vm/vmlib.h"

#define LEN 65536

static int request(struct wd_queue *q)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->alg = "crc32c,deflate";
	q->node = WD_NODE_ANY;
	q->flags = WD_QUEUE_NO_FALLBACK;
	r = wd_request_queue(q);
	if (r < 0)
		fprintf(stderr, "warpdrive: %s\n", q->errmsg[0] ? q->errmsg : wd_strerror(r));
	return r;
}

static int crc(struct wd_queue *q, const uint8_t *src, size_t len)
{
	uint8_t out[WD_CRC32C_SIZE];
	struct wd_msg m = { .op = WD_OP_CRC32C, .src = src, .src_len = len,
			    .dst = out, .dst_len = sizeof(out) };
	int r = lw_run(q, &m);

	if (r < 0)
		return r;
	return (out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24) ==
		vm_crc32c(src, len) ? 0 : -EBADMSG;
}

static int run(void)
{
	static uint8_t src[LEN], packed[LEN * 2], back[LEN];
	struct wd_msg d = { .op = WD_OP_DEFLATE, .src = src, .src_len = LEN, .dst = packed,
			    .dst_len = sizeof(packed) };
	struct wd_msg i = { .op = WD_OP_INFLATE, .src = packed, .dst = back,
			    .dst_len = sizeof(back) };
	struct wd_queue q;
	int r;

	/* Compressible but not trivial: text-like runs with some noise. */
	for (size_t k = 0; k < LEN; k++)
		src[k] = (uint8_t)("warpdrive container "[k % 20] ^ ((k * 2654435761U) >> 29));
	if (request(&q) < 0)
		return 1;
	r = crc(&q, src, LEN);
	if (r < 0) {
		fprintf(stderr, "warpdrive: crc32c: %s\n", wd_strerror(r));
		wd_release_queue(&q);
		return 1;
	}
	r = lw_run(&q, &d);
	if (r == 0) {
		i.src_len = d.out_len;
		r = lw_run(&q, &i);
	}
	if (r == 0 && (i.out_len != LEN || memcmp(back, src, LEN)))
		r = -EBADMSG;
	if (r < 0) {
		fprintf(stderr, "warpdrive: deflate: %s\n", wd_strerror(r));
		wd_release_queue(&q);
		return 1;
	}
	printf("lease %llu on %s: crc32c ok, deflate ok (%d -> %zu bytes)\n",
	       (unsigned long long)q.lease, q.dev_name, LEN, d.out_len);
	wd_release_queue(&q);
	return 0;
}

static int hold(void)
{
	static uint8_t buf[4096];
	struct wd_queue q;
	char line[64];

	if (request(&q) < 0)
		return 1;
	printf("lease %llu\n", (unsigned long long)q.lease);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		int r = crc(&q, buf, sizeof(buf));

		if (r < 0)
			printf("error: %s\n", wd_strerror(r));
		else
			printf("ok\n");
		fflush(stdout);
	}
	wd_release_queue(&q);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "run"))
		return run();
	if (argc == 2 && !strcmp(argv[1], "hold"))
		return hold();
	fprintf(stderr, "usage: helper-container-client run|hold\n");
	return 2;
}
