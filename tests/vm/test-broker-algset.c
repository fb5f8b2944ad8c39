// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-algset (vm): the real broker under systemd grants one real
 * wdsoft queue for a set of algorithms ("sha256,crc32c"). The kernel runs
 * every algorithm of the set on it and refuses the others (-EPERM from the
 * device, -EACCES through libwd); a set with one algorithm the policy
 * forbids is refused whole, the sentence naming that algorithm (also
 * through libwd's q->errmsg); a set counts once against the quota and
 * takes one instance; bad spellings are -EINVAL in libwd and a protocol
 * error on the wire.
 */
#include <warpdrive/wd.h>

#include "test-broker-vm.h"

#define DEV "wdsoft-0"

/* wd_request_queue() through the test broker only; the result. */
static int lw_request(struct wd_queue *q, const char *alg)
{
	*q = (struct wd_queue){ .alg = alg, .node = WD_NODE_ANY, .flags = WD_QUEUE_NO_FALLBACK };
	return wd_request_queue(q);
}

/* Run one @op on @q and wait: the completion status, or a call's -errno. */
static int lw_op(struct wd_queue *q, uint32_t op)
{
	uint8_t src[64] = "warpdrive", dst[64];
	struct wd_msg m = { .op = op, .src = src, .src_len = sizeof(src),
			    .dst = dst, .dst_len = sizeof(dst) };
	void *done;
	int r = wd_send(q, &m);

	if (r == 0)
		r = wd_recv_sync(q, &done);
	return r < 0 ? r : done == &m ? m.status : -EIO;
}

static void libwd_part(void)
{
	struct wd_queue q;
	char longset[300] = "";
	int r;

	setenv("WD_BROKER_SOCKET", BV_SOCK, 1);

	r = lw_request(&q, "sha256,crc32c");
	ok(r == 0 && q.lease > 0, "libwd (root): a sha256,crc32c queue from the broker: %s",
	   r ? q.errmsg : q.dev_name);
	is(lw_op(&q, WD_OP_SHA256), 0, "libwd: sha256 runs on it");
	is(lw_op(&q, WD_OP_CRC32C), 0, "libwd: crc32c runs on it");
	is(lw_op(&q, WD_OP_MEMCPY), -EACCES,
	   "libwd: memcpy, outside the set, completes with -EACCES from the device");
	wd_release_queue(&q);

	/* [user:root] allows sha256 and crc32c only */
	r = lw_request(&q, "sha256,memcpy");
	ok(r == -EACCES && strstr(q.errmsg, "algorithm memcpy is not allowed for user root") &&
	   strstr(q.errmsg, "the set sha256,memcpy is refused"),
	   "libwd: a set with a forbidden name: -EACCES, q->errmsg names it");
	diag("errmsg: %s", q.errmsg);

	r = lw_request(&q, "sha256,,crc32c");
	ok(r == -EINVAL && strstr(q.errmsg, "empty name"), "libwd: empty name -> -EINVAL: %s", q.errmsg);
	r = lw_request(&q, "");
	ok(r == -EINVAL && strstr(q.errmsg, "empty"), "libwd: empty set -> -EINVAL: %s", q.errmsg);
	r = lw_request(&q, "crc32c,sha256,crc32c");
	ok(r == -EINVAL && strstr(q.errmsg, "crc32c is named twice"),
	   "libwd: duplicate -> -EINVAL: %s", q.errmsg);
	r = lw_request(&q, "sha256,sm4");
	ok(r == -EINVAL && strstr(q.errmsg, "unknown algorithm \"sm4\""),
	   "libwd: unknown name -> -EINVAL: %s", q.errmsg);
	while (strlen(longset) < 260)
		strcat(longset, strlen(longset) % 2 ? "crc32c," : "sha256,");
	strcat(longset, "memcpy");
	r = lw_request(&q, longset);
	ok(r == -EINVAL && strstr(q.errmsg, "longer than 255"), "libwd: too long -> -EINVAL: %s",
	   q.errmsg);
	unsetenv("WD_BROKER_SOCKET");
}

/* A malformed set sent raw: the broker closes that connection only. */
static void wire_part(void)
{
	struct wdp_msg q = { .type = WDP_REQ_QUEUE, .seq = 1, .queue.node = -1 };
	unsigned char buf[512], b[16];
	struct pollfd p;
	ssize_t len;
	int s = wdp_client_connect(BV_SOCK);

	strcpy(q.queue.alg, "sha256,crc32c");
	len = wdp_encode(&q, buf, sizeof(buf));
	memcpy(buf + 16 + 7, "sha256", 6);	/* "sha256,sha256" */
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	ok(s >= 0 && len > 0 && send(s, buf, (size_t)len, MSG_NOSIGNAL) == len &&
	   poll(&p, 1, 10000) == 1 && recv(s, b, sizeof(b), 0) == 0,
	   "a set naming sha256 twice on the wire: the broker closes the connection");
	if (s >= 0)
		close(s);
}

int main(void)
{
	struct bv_client c;
	const char *a;
	long avail0;

	vm_require();
	if (vm_load_modules("num_devices=1 queues=4") < 0)
		bail_out("cannot load uacce/wdsoft");
	avail0 = bv_available(DEV);
	diag("%s: %ld free instances", DEV, avail0);

	bv_policy("[global]\nmax_queues = unlimited\n"
		  "[user:65534]\nmax_queues = 2\nalgorithms = sha256 crc32c deflate inflate\n"
		  "[user:root]\nalgorithms = sha256 crc32c\n");
	ok(bv_start() == 0, "broker started by systemd");

	bv_client_new(&c);
	is_str(bv_cmd(&c, "connect"), "0", "uid 65534 connects");
	a = bv_cmd(&c, "req sha256,crc32c -1");
	ok(a[0] == 'G' && strstr(a, DEV), "uid 65534 is granted one sha256,crc32c queue: %s", a);
	is_str(bv_cmd(&c, "start"), "0", "it starts (bound to the client)");
	ok(bv_wait_available(DEV, avail0 - 1, 5000), "one instance taken for the set");
	is_str(bv_cmd(&c, "op sha256"), "0", "the kernel runs sha256 on it");
	is_str(bv_cmd(&c, "op crc32c"), "0", "and crc32c");
	is_str(bv_cmd(&c, "op memcpy"), "-1",
	       "memcpy, outside the set, completes with -EPERM: the kernel holds the lease's set");

	a = bv_cmd(&c, "req sha256,memcpy,crc32c -1");
	ok(a[0] == 'R' && atoi(a + 2) == WDP_REASON_ALG_DENIED &&
	   strstr(a, "algorithm memcpy is not allowed for user nobody") &&
	   strstr(a, "so the set sha256,memcpy,crc32c is refused"),
	   "memcpy forbidden: the whole set refused, naming memcpy: %s", a);
	ok(bv_available(DEV) == avail0 - 1, "the refusal took no instance");

	/* quota of 2: the set is one queue */
	a = bv_cmd(&c, "req crc32c -1");
	ok(a[0] == 'G', "a second queue (crc32c) within the quota of 2: %s", a);
	a = bv_cmd(&c, "req sha256 -1");
	ok(a[0] == 'R' && atoi(a + 2) == WDP_REASON_QUOTA_USER && strstr(a, "quota of 2 queues"),
	   "the third is over the quota: the set counted once: %s", a);
	is_str(bv_cmd(&c, "list"), "2", "two leases listed");
	ok(vm_system("journalctl -q -b -u " BV_UNIT " --no-pager | grep -q 'granted sha256,crc32c queue on "
		     DEV "'") == 0, "the journal names the set in the grant");
	bv_client_kill(&c);
	ok(bv_wait_available(DEV, avail0, 5000), "kill -9: the instances are back");

	libwd_part();
	wire_part();

	return bv_finish();
}
