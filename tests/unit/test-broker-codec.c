// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-codec: the broker protocol encoder/decoder and its fd-passing
 * transport, including every malformed-message case the decoder must reject.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "wdproto.h"

/* Wire offsets (see docs/broker-protocol.md). */
#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_TYPE	6
#define OFF_SIZE	8
#define OFF_SEQ		12
#define OFF_BODY	16

static unsigned char buf[65536];

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

static struct wdp_lease sample_lease(uint64_t id)
{
	struct wdp_lease l = { .id = id, .node = 1, .flags = 5 };

	snprintf(l.device, sizeof(l.device), "wdsoft-%llu", (unsigned long long)id);
	strcpy(l.api, "wdsoft_v1");
	strcpy(l.alg, "zlib");
	return l;
}

static ssize_t enc(const struct wdp_msg *m)
{
	memset(buf, 0, sizeof(buf));
	return wdp_encode(m, buf, sizeof(buf));
}

/* Decode buf[0..n) expecting @want; print why on mismatch. */
static void expect_decode(size_t n, int want, const char *what)
{
	struct wdp_msg m;
	const char *why = NULL;
	int r = wdp_decode(buf, n, &m, &why);

	if (!ok_errno(r, want, "decode: %s", what) || r < 0)
		diag("  why: %s", why ? why : "(none)");
	if (r < 0 && !why)
		diag("  decoder gave no reason");
	wdp_msg_clear(&m);
}

static void test_roundtrip(void)
{
	struct wdp_msg m = { 0 }, d;
	unsigned char again[sizeof(buf)];
	struct wdp_lease ls[3];
	ssize_t n, n2;

	/* queue */
	m.type = WDP_REQ_QUEUE;
	m.seq = 7;
	strcpy(m.queue.alg, "zlib");
	strcpy(m.queue.device, "wdsoft-0");
	m.queue.node = 1;
	m.queue.flags = WDP_QUEUE_NODE_STRICT;
	n = enc(&m);
	is(n, 152, "queue request is 152 bytes");
	ok(wdp_decode(buf, (size_t)n, &d, NULL) == 0 && d.type == WDP_REQ_QUEUE &&
	   d.seq == 7 && !strcmp(d.queue.alg, "zlib") &&
	   !strcmp(d.queue.device, "wdsoft-0") && d.queue.node == 1 &&
	   d.queue.flags == WDP_QUEUE_NODE_STRICT, "queue request round-trips");
	n2 = wdp_encode(&d, again, sizeof(again));
	ok(n2 == n && !memcmp(again, buf, (size_t)n), "queue request re-encodes identically");

	/* queue with no device, any node */
	memset(&m.queue, 0, sizeof(m.queue));
	strcpy(m.queue.alg, "sha256");
	m.queue.node = -1;
	n = enc(&m);
	ok(n > 0 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.queue.device[0] == 0 && d.queue.node == -1, "queue request without hints round-trips");

	/* release / released / revoked */
	m = (struct wdp_msg){ .type = WDP_REQ_RELEASE, .seq = 9, .lease = 0x1122334455667788ULL };
	n = enc(&m);
	ok(n == 24 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.type == WDP_REQ_RELEASE && d.lease == m.lease, "release round-trips");
	m.type = WDP_REP_RELEASED;
	n = enc(&m);
	ok(n == 24 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.type == WDP_REP_RELEASED && d.lease == m.lease, "released round-trips");
	m.type = WDP_EVT_REVOKED;
	m.seq = 0;
	n = enc(&m);
	ok(n == 24 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.type == WDP_EVT_REVOKED && d.lease == m.lease, "revoked round-trips");

	/* list request */
	m = (struct wdp_msg){ .type = WDP_REQ_LIST, .seq = 3 };
	n = enc(&m);
	ok(n == 16 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.type == WDP_REQ_LIST && d.seq == 3, "list request round-trips");

	/* grant */
	m = (struct wdp_msg){ .type = WDP_REP_GRANT, .seq = 4 };
	m.grant = sample_lease(42);
	n = enc(&m);
	ok(n == 224 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.type == WDP_REP_GRANT && !memcmp(&d.grant, &m.grant, sizeof(m.grant)),
	   "grant round-trips");

	/* refusal */
	m = (struct wdp_msg){ .type = WDP_REP_REFUSE, .seq = 5 };
	m.refusal.reason = WDP_REASON_QUOTA_USER;
	strcpy(m.refusal.text, "quota of 4 queues for user alice reached");
	n = enc(&m);
	ok(n == 280 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.refusal.reason == WDP_REASON_QUOTA_USER &&
	   !strcmp(d.refusal.text, m.refusal.text), "refusal round-trips");

	/* leases */
	for (int i = 0; i < 3; i++)
		ls[i] = sample_lease((uint64_t)i + 1);
	m = (struct wdp_msg){ .type = WDP_REP_LEASES, .seq = 6 };
	m.list.count = 3;
	m.list.total = 5;
	m.list.leases = ls;
	n = enc(&m);
	ok(n == 16 + 8 + 3 * 208 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.list.count == 3 && d.list.total == 5 &&
	   !memcmp(d.list.leases, ls, sizeof(ls)), "lease list round-trips");
	wdp_msg_clear(&d);
	ok(d.list.leases == NULL, "wdp_msg_clear frees the list");

	m.list.count = 0;
	m.list.total = 0;
	m.list.leases = NULL;
	n = enc(&m);
	ok(n == 24 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   d.list.count == 0 && d.list.leases == NULL, "empty lease list round-trips");

	is(wdp_msg_size_max(), 16 + 8 + WDP_LIST_MAX * 400,
	   "largest message size: a full version 2 lease list");
}

static void test_encode_rejects(void)
{
	struct wdp_msg m = { .type = WDP_REQ_QUEUE };
	struct wdp_lease many[WDP_LIST_MAX + 1];

	m.queue.node = -1;
	ok_errno(enc(&m), -EINVAL, "encode: empty algorithm");
	strcpy(m.queue.alg, "zl ib");
	ok_errno(enc(&m), -EINVAL, "encode: space in algorithm");
	memset(m.queue.alg, 'a', sizeof(m.queue.alg));
	ok_errno(enc(&m), -EINVAL, "encode: unterminated algorithm");
	strcpy(m.queue.alg, "zlib");
	strcpy(m.queue.device, "../etc");
	ok_errno(enc(&m), -EINVAL, "encode: slash in device hint");
	m.queue.device[0] = 0;
	m.queue.node = -2;
	ok_errno(enc(&m), -EINVAL, "encode: node -2");
	m.queue.node = 0;
	m.queue.flags = 0x80;
	ok_errno(enc(&m), -EINVAL, "encode: unknown queue flag");
	m.queue.flags = 0;
	ok_errno(wdp_encode(&m, buf, 151), -EMSGSIZE, "encode: buffer one byte short");

	m = (struct wdp_msg){ .type = WDP_REQ_RELEASE, .lease = 0 };
	ok_errno(enc(&m), -EINVAL, "encode: lease 0");
	m = (struct wdp_msg){ .type = 0x55 };
	ok_errno(enc(&m), -EINVAL, "encode: unknown type");

	m = (struct wdp_msg){ .type = WDP_REP_REFUSE };
	strcpy(m.refusal.text, "no");
	ok_errno(enc(&m), -EINVAL, "encode: refusal reason NONE");
	m.refusal.reason = WDP_REASON_MAX;
	ok_errno(enc(&m), -EINVAL, "encode: refusal reason past the last");
	m.refusal.reason = WDP_REASON_BUSY;
	m.refusal.text[0] = 0;
	ok_errno(enc(&m), -EINVAL, "encode: empty refusal text");
	strcpy(m.refusal.text, "bad\nline");
	ok_errno(enc(&m), -EINVAL, "encode: control character in refusal text");

	m = (struct wdp_msg){ .type = WDP_REP_GRANT };
	m.grant = sample_lease(1);
	m.grant.api[0] = 0;
	ok_errno(enc(&m), -EINVAL, "encode: grant without api");

	for (int i = 0; i <= WDP_LIST_MAX; i++)
		many[i] = sample_lease((uint64_t)i + 1);
	m = (struct wdp_msg){ .type = WDP_REP_LEASES };
	m.list.leases = many;
	m.list.count = WDP_LIST_MAX + 1;
	m.list.total = WDP_LIST_MAX + 1;
	ok_errno(enc(&m), -EINVAL, "encode: list longer than WDP_LIST_MAX");
	m.list.count = 2;
	m.list.total = 1;
	ok_errno(enc(&m), -EINVAL, "encode: list total below count");
	m.list.count = WDP_LIST_MAX;
	m.list.total = 1000;
	is(enc(&m), 16 + 8 + WDP_LIST_MAX * 208, "encode: a full list of single algorithms goes as version 1");
	m.version = 2;
	ok(enc(&m) == (ssize_t)wdp_msg_size_max(), "encode: a full version 2 list fits the maximum");
}

/* wdp_algs_parse(@set) fails with -EINVAL and a message containing @word. */
static void algs_bad(const char *set, const char *word, const char *what)
{
	struct wdp_algs a;
	char err[WDP_TEXT_MAX] = "";

	ok(wdp_algs_parse(set, &a, err, sizeof(err)) == -EINVAL && strstr(err, word),
	   "algorithm set, %s: -EINVAL, \"%s\"", what, err);
}

/* The spelling of an algorithm set, and how versions 1 and 2 carry it. */
static void test_algorithm_sets(void)
{
	struct wdp_msg m = { .type = WDP_REQ_QUEUE, .seq = 8 }, d;
	unsigned char again[sizeof(buf)];
	struct wdp_lease ls[2];
	struct wdp_algs a;
	char s[400];
	ssize_t n;

	ok(wdp_algs_parse("sha256", &a, NULL, 0) == 1 && !strcmp(a.name[0], "sha256"),
	   "algorithm set: one name is a set of one");
	ok(wdp_algs_parse("sha256,crc32c,memcpy", &a, NULL, 0) == 3 &&
	   !strcmp(a.name[0], "sha256") && !strcmp(a.name[1], "crc32c") &&
	   !strcmp(a.name[2], "memcpy") && wdp_algs_has(&a, "crc32c") && !wdp_algs_has(&a, "crc"),
	   "algorithm set: three names, in the order given");
	algs_bad("", "empty", "empty");
	algs_bad("sha256,,crc32c", "empty name", "empty element");
	algs_bad(",sha256", "empty name", "leading comma");
	algs_bad("sha256,", "empty name", "trailing comma");
	algs_bad("sha256,crc32c,sha256", "sha256 is named twice", "duplicate");
	algs_bad("sha256,crc 32c", "\"crc 32c\" is not an algorithm name", "bad character");
	memset(s, 'a', 64);
	s[64] = 0;
	algs_bad(s, "longer than 63", "a name of 64 characters");
	s[0] = 0;
	for (int i = 0; i < WDP_ALGS_NAMES_MAX + 1; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%sa%d", i ? "," : "", i);
	algs_bad(s, "more than 16", "17 names");
	memset(s, 'b', sizeof(s));
	for (int i = 10; i < WDP_ALGS_MAX + 10; i += 11)
		s[i] = ',';
	s[WDP_ALGS_MAX + 10] = 0;
	algs_bad(s, "longer than 255", "266 characters");

	/* one name: version 1, as before; a set: version 2 */
	strcpy(m.queue.alg, "sha256");
	m.queue.node = -1;
	n = enc(&m);
	ok(n == 152 && buf[OFF_VERSION] == 1, "queue of one algorithm: version 1, 152 bytes");
	strcpy(m.queue.alg, "sha256,crc32c");
	strcpy(m.queue.device, "wdsoft-1");
	n = enc(&m);
	ok(n == 16 + 328 && buf[OFF_VERSION] == 2, "queue of a set: version 2, 344 bytes");
	ok(wdp_decode(buf, (size_t)n, &d, NULL) == 0 && d.version == 2 &&
	   !strcmp(d.queue.alg, "sha256,crc32c") && !strcmp(d.queue.device, "wdsoft-1") &&
	   d.queue.node == -1, "queue of a set round-trips");
	ok(wdp_encode(&d, again, sizeof(again)) == n && !memcmp(again, buf, (size_t)n),
	   "queue of a set re-encodes identically");
	m.version = 1;
	ok_errno(enc(&m), -EINVAL, "encode: a set in version 1");
	m.version = WDP_VERSION + 1;
	ok_errno(enc(&m), -EINVAL, "encode: a version not spoken");
	m.version = 2;
	strcpy(m.queue.alg, "sha256");
	n = enc(&m);
	ok(n == 344 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 && d.version == 2 &&
	   !strcmp(d.queue.alg, "sha256"), "one name in version 2 is valid too");
	m.version = 0;
	strcpy(m.queue.alg, "sha256,,crc32c");
	ok_errno(enc(&m), -EINVAL, "encode: malformed set");

	/* grant and list */
	m = (struct wdp_msg){ .type = WDP_REP_GRANT, .seq = 9 };
	m.grant = sample_lease(3);
	strcpy(m.grant.alg, "sha256,crc32c");
	n = enc(&m);
	ok(n == 16 + 400 && buf[OFF_VERSION] == 2 && wdp_decode(buf, (size_t)n, &d, NULL) == 0 &&
	   !memcmp(&d.grant, &m.grant, sizeof(m.grant)), "grant of a set: version 2, round-trips");
	ls[0] = sample_lease(1);
	ls[1] = sample_lease(2);
	strcpy(ls[1].alg, "memcpy,crc32c");
	m = (struct wdp_msg){ .type = WDP_REP_LEASES, .seq = 10 };
	m.list.count = m.list.total = 2;
	m.list.leases = ls;
	n = enc(&m);
	ok(n == 16 + 8 + 2 * 400 && buf[OFF_VERSION] == 2 &&
	   wdp_decode(buf, (size_t)n, &d, NULL) == 0 && d.list.count == 2 &&
	   !memcmp(d.list.leases, ls, sizeof(ls)), "a list with one set goes as version 2, round-trips");
	wdp_msg_clear(&d);

	/* the decoder's side */
	m = (struct wdp_msg){ .type = WDP_REQ_QUEUE, .seq = 8, .queue.node = -1 };
	strcpy(m.queue.alg, "sha256");
	n = enc(&m);
	buf[OFF_BODY + 6] = ',';
	buf[OFF_BODY + 7] = 'x';
	expect_decode((size_t)n, -EBADMSG, "a set in a version 1 queue");
	strcpy(m.queue.alg, "sha256,crc32c");
	n = enc(&m);
	buf[OFF_BODY + 7] = ',';
	expect_decode((size_t)n, -EBADMSG, "version 2 queue: empty name in the set");
	n = enc(&m);
	memcpy(buf + OFF_BODY + 7, "sha256", 6);
	expect_decode((size_t)n, -EBADMSG, "version 2 queue: a name twice");
	n = enc(&m);
	memset(buf + OFF_BODY, 'a', WDP_ALGS_MAX);
	expect_decode((size_t)n, -EBADMSG, "version 2 queue: unterminated set");
	n = enc(&m);
	buf[OFF_BODY + 20] = 'x';
	expect_decode((size_t)n, -EBADMSG, "version 2 queue: garbage after the set's NUL");
	strcpy(m.queue.alg, "sha256");
	n = enc(&m);
	put16(buf + OFF_VERSION, 2);
	expect_decode((size_t)n, -EBADMSG, "version 2 header on a version 1 body");
}

/* Encode a valid @m, apply a mutation, decode, expect -EBADMSG. */
#define MUTATE(m, what, stmt) do {					\
	n = enc(m);							\
	stmt;								\
	expect_decode((size_t)n, -EBADMSG, what);			\
} while (0)

static void test_decode_rejects(void)
{
	struct wdp_msg q = { .type = WDP_REQ_QUEUE, .seq = 1 };
	struct wdp_msg rel = { .type = WDP_REQ_RELEASE, .seq = 1, .lease = 5 };
	struct wdp_msg rev = { .type = WDP_EVT_REVOKED, .lease = 5 };
	struct wdp_msg lst = { .type = WDP_REQ_LIST, .seq = 1 };
	struct wdp_msg g = { .type = WDP_REP_GRANT, .seq = 1 };
	struct wdp_msg rf = { .type = WDP_REP_REFUSE, .seq = 1 };
	struct wdp_msg ll = { .type = WDP_REP_LEASES, .seq = 1 };
	struct wdp_lease two[2] = { sample_lease(1), sample_lease(2) };
	struct wdp_msg d;
	ssize_t n;

	strcpy(q.queue.alg, "zlib");
	q.queue.node = -1;
	g.grant = sample_lease(9);
	rf.refusal.reason = WDP_REASON_BUSY;
	strcpy(rf.refusal.text, "all devices are busy");
	ll.list.count = 2;
	ll.list.total = 2;
	ll.list.leases = two;

	/* header */
	expect_decode(0, -EBADMSG, "empty datagram");
	MUTATE(&q, "15 bytes (shorter than the header)", n = 15);
	MUTATE(&q, "bad magic", put32(buf + OFF_MAGIC, 0xdeadbeef));
	n = enc(&q);
	put16(buf + OFF_VERSION, WDP_VERSION + 1);
	put32(buf + OFF_SEQ, 77);
	memset(&d, 0, sizeof(d));
	ok(wdp_decode(buf, (size_t)n, &d, NULL) == -EPROTONOSUPPORT &&
	   d.version == WDP_VERSION + 1 && d.seq == 77,
	   "decode: version %d gives -EPROTONOSUPPORT with version and seq", WDP_VERSION + 1);
	{	/* version 0 is also "not ours": -EPROTONOSUPPORT */
		n = enc(&q);
		put16(buf + OFF_VERSION, 0);
		ok(wdp_decode(buf, (size_t)n, &d, NULL) == -EPROTONOSUPPORT,
		   "decode: version 0 is another version");
	}
	MUTATE(&q, "size field larger than datagram", put32(buf + OFF_SIZE, (uint32_t)n + 1));
	MUTATE(&q, "size field smaller than datagram", put32(buf + OFF_SIZE, (uint32_t)n - 1));
	MUTATE(&q, "datagram truncated by one byte",
	       put32(buf + OFF_SIZE, (uint32_t)n - 1); n--);
	MUTATE(&q, "datagram with one extra byte",
	       put32(buf + OFF_SIZE, (uint32_t)n + 1); n++);
	MUTATE(&q, "unknown type 0", put16(buf + OFF_TYPE, 0));
	MUTATE(&q, "unknown type 0x7f", put16(buf + OFF_TYPE, 0x7f));
	MUTATE(&q, "list type with a queue body", put16(buf + OFF_TYPE, WDP_REQ_LIST));
	MUTATE(&q, "grant type with a queue body", put16(buf + OFF_TYPE, WDP_REP_GRANT));

	/* queue request body */
	MUTATE(&q, "queue: unterminated algorithm",
	       memset(buf + OFF_BODY, 'a', WDP_NAME_MAX));
	MUTATE(&q, "queue: garbage after the algorithm's NUL",
	       buf[OFF_BODY + 10] = 'x');
	MUTATE(&q, "queue: empty algorithm", buf[OFF_BODY] = 0;
	       memset(buf + OFF_BODY, 0, 8));
	MUTATE(&q, "queue: control character in algorithm", buf[OFF_BODY] = '\n');
	MUTATE(&q, "queue: slash in device", memcpy(buf + OFF_BODY + 64, "a/b", 3));
	MUTATE(&q, "queue: unterminated device",
	       memset(buf + OFF_BODY + 64, 'd', WDP_NAME_MAX));
	MUTATE(&q, "queue: node -2", put32(buf + OFF_BODY + 128, (uint32_t)-2));
	MUTATE(&q, "queue: node 1024", put32(buf + OFF_BODY + 128, 1024));
	MUTATE(&q, "queue: unknown flag", put32(buf + OFF_BODY + 132, 2));

	/* lease-id messages */
	MUTATE(&rel, "release: lease 0", put64(buf + OFF_BODY, 0));
	MUTATE(&rel, "release: short body", put32(buf + OFF_SIZE, 20); n = 20);
	MUTATE(&rev, "revoked: non-zero seq", put32(buf + OFF_SEQ, 3));
	MUTATE(&lst, "list: with a body", put32(buf + OFF_SIZE, 24); n = 24);

	/* grant */
	MUTATE(&g, "grant: lease 0", put64(buf + OFF_BODY, 0));
	MUTATE(&g, "grant: empty device", memset(buf + OFF_BODY + 8, 0, 64));
	MUTATE(&g, "grant: empty api", memset(buf + OFF_BODY + 72, 0, 64));
	MUTATE(&g, "grant: unterminated alg", memset(buf + OFF_BODY + 136, 'z', 64));
	MUTATE(&g, "grant: node 5000", put32(buf + OFF_BODY + 200, 5000));
	MUTATE(&g, "grant: short by 8", put32(buf + OFF_SIZE, (uint32_t)n - 8); n -= 8);

	/* refusal */
	MUTATE(&rf, "refusal: reason 0", put32(buf + OFF_BODY, 0));
	MUTATE(&rf, "refusal: reason past the last", put32(buf + OFF_BODY, WDP_REASON_MAX));
	MUTATE(&rf, "refusal: reserved not zero", put32(buf + OFF_BODY + 4, 1));
	MUTATE(&rf, "refusal: empty text", memset(buf + OFF_BODY + 8, 0, 256));
	MUTATE(&rf, "refusal: unterminated text", memset(buf + OFF_BODY + 8, 'x', 256));
	MUTATE(&rf, "refusal: escape in text", buf[OFF_BODY + 8] = 0x1b);

	/* lease list */
	MUTATE(&ll, "leases: count says 3, carries 2", put32(buf + OFF_BODY, 3));
	MUTATE(&ll, "leases: count says 1, carries 2", put32(buf + OFF_BODY, 1));
	MUTATE(&ll, "leases: total below count", put32(buf + OFF_BODY + 4, 1));
	MUTATE(&ll, "leases: count past WDP_LIST_MAX",
	       put32(buf + OFF_BODY, WDP_LIST_MAX + 1));
	MUTATE(&ll, "leases: second entry has lease 0",
	       put64(buf + OFF_BODY + 8 + 208, 0));
	MUTATE(&ll, "leases: shorter than the list header",
	       put32(buf + OFF_SIZE, 20); n = 20);
	MUTATE(&ll, "leases: count 2^32-1 (overflow attempt)",
	       put32(buf + OFF_BODY, 0xffffffffu); put32(buf + OFF_BODY + 4, 0xffffffffu));
}

static void test_names(void)
{
	ok(wdp_name_valid("hisi_zip-0") && wdp_name_valid("sha2.256+x:y"),
	   "names: usual device and algorithm names are valid");
	ok(!wdp_name_valid("") && !wdp_name_valid("a b") && !wdp_name_valid("a/b"),
	   "names: empty, space and slash are invalid");
	is_str(wdp_reason_name(WDP_REASON_QUOTA_USER), "quota-user", "reason name");
	is_str(wdp_reason_name(999), "unknown", "unknown reason name");
	is(wdp_reason_errno(WDP_REASON_QUOTA_GLOBAL), -EDQUOT, "quota maps to EDQUOT");
	is(wdp_reason_errno(WDP_REASON_ALG_DENIED), -EACCES, "denial maps to EACCES");
	is(wdp_reason_errno(WDP_REASON_BUSY), -EBUSY, "busy maps to EBUSY");
	is(wdp_reason_errno(WDP_REASON_NO_LEASE), -ENOENT, "no lease maps to ENOENT");
	is_str(wdp_type_name(WDP_REP_GRANT), "grant", "type name");
}

/* Send raw bytes with @nfds copies of @fd attached. */
static int send_raw(int s, const void *data, size_t len, int fd, int nfds)
{
	char ctl[CMSG_SPACE(16 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void test_transport(void)
{
	struct wdp_msg m = { .type = WDP_REP_GRANT, .seq = 2 }, d;
	const char *why;
	int sv[2], pfd[2], fd, base, r;
	unsigned char *big;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("socketpair/pipe: %s", strerror(errno));
	base = count_fds();

	m.grant = sample_lease(3);
	ok_errno(wdp_send(sv[0], &m, pfd[0]), 0, "send a grant with an fd");
	r = wdp_recv(sv[1], &d, &fd, &why);
	ok(r == 0 && d.type == WDP_REP_GRANT && fd >= 0 && d.grant.id == 3,
	   "grant arrives with its fd");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fd is close-on-exec");
	ok(fd >= 0 && write(pfd[1], "x", 1) == 1 && ({ char c = 0;
	   read(fd, &c, 1) == 1 && c == 'x'; }), "received fd is the pipe sent");
	if (fd >= 0)
		close(fd);
	is(count_fds(), base, "no fd leaked after a good grant");

	/* grant without fd */
	ok_errno(wdp_send(sv[0], &m, -1), 0, "send a grant without fd");
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -EBADMSG, "grant without fd is a protocol error");
	is(fd, -1, "no fd handed out");

	/* request carrying an fd */
	n = enc(&(struct wdp_msg){ .type = WDP_REQ_LIST, .seq = 1 });
	send_raw(sv[0], buf, (size_t)n, pfd[0], 1);
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -EBADMSG, "request with an fd is a protocol error");
	is(count_fds(), base, "the unexpected fd was closed");

	/* grant with two fds */
	n = enc(&m);
	send_raw(sv[0], buf, (size_t)n, pfd[0], 2);
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -EBADMSG, "grant with two fds is a protocol error");
	is(count_fds(), base, "both fds were closed");

	/* too many fds: control truncated */
	send_raw(sv[0], buf, (size_t)n, pfd[0], 12);
	r = wdp_recv(sv[1], &d, &fd, &why);
	ok_errno(r, -EBADMSG, "MSG_CTRUNC is a protocol error");
	if (r < 0)
		diag("why: %s", why);
	is(count_fds(), base, "fds that did arrive were closed");

	/* oversized datagram */
	big = calloc(1, wdp_msg_size_max() + 100);
	memcpy(big, buf, 16);
	send_raw(sv[0], big, wdp_msg_size_max() + 100, -1, 0);
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -EBADMSG, "oversized datagram is rejected");
	free(big);

	/* malformed bytes */
	send_raw(sv[0], "garbage", 7, -1, 0);
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -EBADMSG, "garbage is rejected");

	/* recv with fd==NULL closes a grant's fd */
	wdp_send(sv[0], &m, pfd[0]);
	ok_errno(wdp_recv(sv[1], &d, NULL, &why), 0, "grant received without taking the fd");
	is(count_fds(), base, "its fd was closed");

	/* EOF */
	close(sv[0]);
	ok_errno(wdp_recv(sv[1], &d, &fd, &why), -ECONNRESET, "EOF is -ECONNRESET");
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

/* A scripted fake broker for the client helpers. */
static int srv_sock, srv_pipe;

static void *fake_broker(void *arg)
{
	struct wdp_msg req, rep;
	const char *why;
	int step = 0;

	while (wdp_recv(srv_sock, &req, NULL, &why) == 0) {
		memset(&rep, 0, sizeof(rep));
		rep.seq = req.seq;
		switch (step++) {
		case 0:	/* revocation notice first, then a grant */
			wdp_send(srv_sock, &(struct wdp_msg){ .type = WDP_EVT_REVOKED, .lease = 99 }, -1);
			rep.type = WDP_REP_GRANT;
			rep.grant = sample_lease(1);
			strcpy(rep.grant.alg, req.queue.alg);
			wdp_send(srv_sock, &rep, srv_pipe);
			break;
		case 1:	/* refusal */
			rep.type = WDP_REP_REFUSE;
			rep.refusal.reason = WDP_REASON_QUOTA_USER;
			strcpy(rep.refusal.text, "quota of 1 queues for user test reached");
			wdp_send(srv_sock, &rep, -1);
			break;
		case 2:	/* list */
			rep.type = WDP_REP_LEASES;
			rep.list.count = rep.list.total = 1;
			rep.list.leases = &(struct wdp_lease){ 0 };
			*rep.list.leases = sample_lease(1);
			wdp_send(srv_sock, &rep, -1);
			break;
		case 3:	/* release */
			rep.type = WDP_REP_RELEASED;
			rep.lease = req.lease;
			wdp_send(srv_sock, &rep, -1);
			break;
		case 4:	/* wrong seq */
			rep.type = WDP_REP_RELEASED;
			rep.lease = req.lease;
			rep.seq = req.seq + 100;
			wdp_send(srv_sock, &rep, -1);
			break;
		default:	/* wrong reply type */
			rep.type = WDP_REP_RELEASED;
			rep.lease = 1;
			wdp_send(srv_sock, &rep, -1);
			break;
		}
	}
	return arg;
}

static void test_client(void)
{
	struct wdp_queue_req q = { .alg = "zlib", .node = -1 };
	struct wdp_refusal rf;
	struct wdp_lease g, *ls;
	size_t cnt;
	pthread_t t;
	int sv[2], pfd[2], fd, r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("socketpair/pipe: %s", strerror(errno));
	srv_sock = sv[1];
	srv_pipe = pfd[0];
	pthread_create(&t, NULL, fake_broker, NULL);

	r = wdp_client_request_queue(sv[0], &q, &g, &fd, &rf);
	ok(r == 0 && fd >= 0 && g.id == 1 && !strcmp(g.alg, "zlib"),
	   "client: grant received past a revocation notice");
	if (fd >= 0)
		close(fd);
	r = wdp_client_request_queue(sv[0], &q, &g, &fd, &rf);
	ok(r == -EDQUOT && fd == -1 && rf.reason == WDP_REASON_QUOTA_USER &&
	   strstr(rf.text, "quota of 1"), "client: refusal gives -EDQUOT and the sentence");
	r = wdp_client_list(sv[0], &ls, &cnt, &rf);
	ok(r == 0 && cnt == 1 && ls[0].id == 1, "client: list");
	free(ls);
	ok_errno(wdp_client_release(sv[0], 1, &rf), 0, "client: release");
	ok_errno(wdp_client_release(sv[0], 1, &rf), -EBADMSG, "client: reply with the wrong seq");
	ok_errno(wdp_client_request_queue(sv[0], &q, &g, &fd, &rf), -EBADMSG,
		 "client: reply of the wrong type");
	q.alg[0] = 0;
	ok_errno(wdp_client_request_queue(sv[0], &q, &g, &fd, &rf), -EINVAL,
		 "client: invalid request is refused locally");

	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);

	setenv(WDP_SOCKET_ENV, "/nonexistent/wd.sock", 1);
	is_str(wdp_socket_path(), "/nonexistent/wd.sock", "WD_BROKER_SOCKET overrides the path");
	ok_errno(wdp_client_connect(NULL), -ENOENT, "connect to a missing socket: -ENOENT");
	unsetenv(WDP_SOCKET_ENV);
	is_str(wdp_socket_path(), WDP_SOCKET_DEFAULT, "default path");
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = 0;
		ok_errno(wdp_client_connect(longp), -ENAMETOOLONG, "connect: path too long");
	}
}

int main(void)
{
	test_roundtrip();
	test_encode_rejects();
	test_decode_rejects();
	test_algorithm_sets();
	test_names();
	test_transport();
	test_client();
	return exit_status();
}
