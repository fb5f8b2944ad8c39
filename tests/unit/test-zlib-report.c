// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libwdz's report of its counters to the broker (wdz_report, COUNTERS of
 * protocol version 3), against a fake broker on a socket of its own: the
 * first report carries what the streams did, by the names warpctl shows,
 * with the same figures as WD_ZLIB_STATS; a report with nothing new sends
 * nothing; the next carries only the increase; no broker listening is an
 * error that keeps the counts for later; a broker that refuses the
 * version turns reporting off for the process, so no connection is made
 * again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define Z_PREFIX
#define ZLIB_CONST
#include <zlib.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wdz.h"
#include "wdproto.h"

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

#define N 100000
static uint8_t text[N], z[2 * N];

/* The fake broker: answers each COUNTERS with COUNTED, or refuses the version. */
static struct {
	int lfd;
	bool refuse;
	unsigned int conns;
	struct wdp_counter got[WDP_COUNTERS_MAX];
	uint32_t n;
} fb;

static void *fake_broker(void *arg)
{
	int c;

	while ((c = accept4(fb.lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct wdp_msg m, rep = { .type = WDP_REP_COUNTED };

		fb.conns++;
		if (wdp_recv(c, &m, NULL, NULL) == 0 && m.type == WDP_REQ_COUNTERS) {
			rep.seq = m.seq;
			if (fb.refuse) {
				rep.type = WDP_REP_REFUSE;
				rep.refusal.reason = WDP_REASON_VERSION;
				strcpy(rep.refusal.text, "protocol version 3 is not supported");
			} else {
				fb.n = m.counters.count;
				memcpy(fb.got, m.counters.v, fb.n * sizeof(fb.got[0]));
				rep.counted.stored = fb.n;
			}
			wdp_send(c, &rep, -1);
			wdp_msg_clear(&m);
		}
		close(c);
	}
	return NULL;
}

static uint64_t got(const char *name)
{
	for (uint32_t i = 0; i < fb.n; i++)
		if (!strcmp(fb.got[i].name, name))
			return fb.got[i].value;
	return 0;
}

static bool deflate_n(size_t n)
{
	uLongf zl = sizeof(z);

	return compress2(z, &zl, text, n, 6) == Z_OK;
}

int main(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/wdz-report.XXXXXX";
	pthread_t th;
	unsigned int conns;

	for (size_t i = 0; i < N; i++)
		text[i] = (uint8_t)("warpdrive "[i % 10] + (i / 1000) % 3);
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/broker.sock", dir);
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	ok(deflate_n(N) && deflate_n(N) && deflate_n(1000), "two streams on the device, one small");
	is(wdz_count(-1), 2, "2 deflate streams on the device");

	/* Nobody listens at the path wdd_sysfs() exported. */
	is(wdz_report(true), -ENOENT, "no broker: -ENOENT, counts kept for later");

	fb.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fb.lfd < 0 || bind(fb.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fb.lfd, 4) < 0)
		bail_out("fake broker: %s", strerror(errno));
	pthread_create(&th, NULL, fake_broker, NULL);
	setenv("WD_BROKER_SOCKET", sa.sun_path, 1);

	is(wdz_report(true), 0, "a report to the broker");
	is(got("zlib.deflate.streams"), 2, "zlib.deflate.streams 2, as WD_ZLIB_STATS counts");
	ok(got("zlib.deflate.bytes_in") == 2 * N && got("zlib.deflate.bytes_out") > 0 &&
	   got("zlib.deflate.bytes_out") < 2 * N, "bytes in %d, bytes out in between", 2 * N);
	is(got("zlib.fallback.small"), 1, "zlib.fallback.small 1");
	ok(fb.n == 4 && !got("zlib.inflate.streams"), "only the counters that changed are sent");

	conns = fb.conns;
	is(wdz_report(true), 0, "nothing new: a report of nothing");
	is(fb.conns, conns, "... makes no connection");

	ok(deflate_n(N), "one more stream on the device");
	is(wdz_report(true), 0, "the next report");
	ok(fb.n == 3 && got("zlib.deflate.streams") == 1 && got("zlib.deflate.bytes_in") == N,
	   "carries the increase only");

	fb.refuse = true;
	ok(deflate_n(1000), "one more small stream");
	is(wdz_report(true), -EPROTONOSUPPORT, "a broker that does not speak version 3: -EPROTONOSUPPORT");
	fb.refuse = false;
	conns = fb.conns;
	ok(deflate_n(1000), "and another");
	is(wdz_report(true), -EPROTONOSUPPORT, "reporting stays off for the process");
	is(fb.conns, conns, "... without connecting again");

	wdd_uninstall();
	wdd_sysfs_cleanup();
	shutdown(fb.lfd, SHUT_RDWR);
	close(fb.lfd);
	pthread_join(th, NULL);
	unlink(sa.sun_path);
	rmdir(dir);
	return done_testing();
}
