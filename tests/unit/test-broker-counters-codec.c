// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-counters-codec: the COUNTERS request and COUNTED reply of
 * protocol version 3: round trips, the version they must travel in, every
 * malformed shape the decoder rejects (no counter, too many, a bad or
 * unterminated name, a name twice, a size that disagrees, a reserved
 * field set), and what an older broker answers (a version refusal).
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "wdproto.h"

#define HDR	16
#define BODY	(HDR + 8)	/* first counter entry */
#define ENTRY	72

static unsigned char buf[4096];

static struct wdp_counter cnt[WDP_COUNTERS_MAX + 1];

static ssize_t enc(uint32_t n)
{
	struct wdp_msg m = { .type = WDP_REQ_COUNTERS, .counters = { .count = n, .v = cnt } };

	memset(buf, 0, sizeof(buf));
	return wdp_encode(&m, buf, sizeof(buf));
}

/* Encode @n counters, apply @mutate, expect -EBADMSG. */
#define MUTATE(n, what, mutate) do {						\
	struct wdp_msg d;							\
	ssize_t len = enc(n);							\
	const char *why = NULL;							\
	mutate;									\
	is(wdp_decode(buf, (size_t)len, &d, &why), -EBADMSG, "malformed: %s (%s)", what, \
	   why ? why : "?");							\
} while (0)

static void put32(size_t off, uint32_t v) { memcpy(buf + off, &v, 4); }

int main(void)
{
	struct wdp_msg m = { 0 }, md;
	ssize_t mlen;
	uint16_t v;

	for (int i = 0; i <= WDP_COUNTERS_MAX; i++) {
		snprintf(cnt[i].name, sizeof(cnt[i].name), "zlib.test.%d", i);
		cnt[i].value = (uint64_t)i << 40 | 7;
	}

	mlen = enc(3);
	memcpy(&v, buf + 4, 2);
	is(mlen, HDR + 8 + 3 * ENTRY, "COUNTERS of 3: %d bytes", HDR + 8 + 3 * ENTRY);
	is(v, 3, "COUNTERS goes out in version 3");
	ok(wdp_decode(buf, (size_t)mlen, &md, NULL) == 0 && md.type == WDP_REQ_COUNTERS &&
	   md.counters.count == 3 && !strcmp(md.counters.v[2].name, "zlib.test.2") &&
	   md.counters.v[2].value == ((uint64_t)2 << 40 | 7), "it decodes back, names and values");
	wdp_msg_clear(&md);
	ok(md.counters.v == NULL, "wdp_msg_clear frees the counters");

	mlen = enc(WDP_COUNTERS_MAX);
	ok(mlen > 0 && wdp_decode(buf, (size_t)mlen, &md, NULL) == 0 &&
	   md.counters.count == WDP_COUNTERS_MAX, "%d counters, the most one message carries",
	   WDP_COUNTERS_MAX);
	wdp_msg_clear(&md);
	ok((size_t)mlen < wdp_msg_size_max(), "the largest COUNTERS is below the largest message");

	is(enc(WDP_COUNTERS_MAX + 1), -EINVAL, "encode: one counter too many");
	is(enc(0), -EINVAL, "encode: no counter");
	strcpy(cnt[1].name, "zlib.test.0");
	is(enc(2), -EINVAL, "encode: a name twice");
	strcpy(cnt[1].name, "zlib test");
	is(enc(2), -EINVAL, "encode: a blank in a name");
	strcpy(cnt[1].name, "zlib.test.1");
	m = (struct wdp_msg){ .version = 2, .type = WDP_REQ_COUNTERS,
			      .counters = { .count = 1, .v = cnt } };
	is(wdp_encode(&m, buf, sizeof(buf)), -EINVAL, "encode: COUNTERS in version 2");

	m = (struct wdp_msg){ .type = WDP_REP_COUNTED, .seq = 9, .counted = { 17, 1 } };
	mlen = wdp_encode(&m, buf, sizeof(buf));
	ok(mlen == HDR + 8 && wdp_decode(buf, (size_t)mlen, &md, NULL) == 0 &&
	   md.type == WDP_REP_COUNTED && md.seq == 9 && md.counted.stored == 17 &&
	   md.counted.dropped == 1, "COUNTED round trip: 24 bytes, stored and dropped");
	MUTATE(0, "COUNTED with a body too long",
	       (len = wdp_encode(&m, buf, sizeof(buf)) + 4, put32(8, (uint32_t)len)));

	MUTATE(2, "COUNTERS in version 2", (buf[4] = 2));
	MUTATE(2, "count 0", (put32(HDR, 0), put32(8, HDR + 8), len = HDR + 8));
	MUTATE(2, "count above the maximum", put32(HDR, WDP_COUNTERS_MAX + 1));
	MUTATE(2, "count says 3, carries 2", put32(HDR, 3));
	MUTATE(2, "reserved field set", put32(HDR + 4, 1));
	MUTATE(2, "a name not terminated", memset(buf + BODY, 'a', 64));
	MUTATE(2, "garbage after a name's NUL", buf[BODY + 62] = 'x');
	MUTATE(2, "an empty name", memset(buf + BODY, 0, 64));
	MUTATE(2, "a slash in a name", buf[BODY + 1] = '/');
	MUTATE(2, "a name twice", memcpy(buf + BODY + ENTRY, buf + BODY, 64));
	MUTATE(2, "one byte short", (put32(8, (uint32_t)len - 1), len--));

	/* An older broker: it speaks 1 and 2 and refuses version 3 by a version refusal. */
	{
		int sv[2];
		struct wdp_counted res;
		struct wdp_refusal why;
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			bail_out("socketpair: %s", strerror(errno));
		pid = fork();
		if (pid == 0) {
			struct wdp_msg rq, rf = { .type = WDP_REP_REFUSE,
						  .refusal = { .reason = WDP_REASON_VERSION } };
			ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
			int r = n > 0 ? wdp_decode(buf, (size_t)n, &rq, NULL) : -1;
			uint16_t ver = 0;

			memcpy(&ver, buf + 4, 2);
			/* what a version 2 peer does with a version 3 message */
			rf.seq = rq.seq;
			strcpy(rf.refusal.text, "protocol version 3 is not supported");
			_exit(r == 0 && ver == 3 && wdp_send(sv[1], &rf, -1) == 0 ? 0 : 1);
		}
		close(sv[1]);
		is(wdp_client_report(sv[0], cnt, 2, &res, &why), -EPROTONOSUPPORT,
		   "an older broker's version refusal gives -EPROTONOSUPPORT");
		is(why.reason, WDP_REASON_VERSION, "... with the reason, for the client to give up");
		close(sv[0]);
		waitpid(pid, NULL, 0);
	}
	return done_testing();
}
