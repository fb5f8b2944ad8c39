// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper-dbus-setgid: the setgid program of vm-broker-dbus-setgid.
 *
 *   helper-dbus-setgid reply FD
 *	FD is a system bus connection inherited across exec, with a
 *	RequestQueue call in flight that the process sent before it exec'd
 *	this program. Read the answer off the raw stream and print
 *	"granted egid=N" or "refused ERROR.NAME egid=N".
 *   helper-dbus-setgid ask ALG
 *	Connect to the system bus as this program and ask for ALG; print the
 *	same line.
 *
 * Reading the raw stream is enough here: the connection has exactly one
 * call outstanding, so the first method return or error on it is the
 * answer (signals are skipped). Little-endian messages only (the broker's
 * sd-bus writes native order, and the VM is x86).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#define DBUS_METHOD_RETURN	2
#define DBUS_ERROR		3
#define DBUS_FIELD_ERROR_NAME	4

static size_t align(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The ERROR_NAME header field of the message at @m (fields: @len bytes). */
static void error_name(const uint8_t *m, size_t len, char *out, size_t size)
{
	size_t pos = 16, end = 16 + len;

	snprintf(out, size, "(no error name)");
	while (pos + 3 <= end) {
		uint8_t code = m[pos], siglen = m[pos + 1];
		char sig = (char)m[pos + 2];
		uint32_t slen;

		pos += 2 + siglen + 1;
		if (sig == 's' || sig == 'o') {
			pos = align(pos, 4);
			if (pos + 4 > end)
				return;
			memcpy(&slen, m + pos, 4);
			if (pos + 4 + slen + 1 > end)
				return;
			if (code == DBUS_FIELD_ERROR_NAME) {
				snprintf(out, size, "%.*s", (int)slen, (const char *)m + pos + 4);
				return;
			}
			pos += 4 + slen + 1;
		} else if (sig == 'g') {
			pos += 1 + m[pos] + 1;
		} else if (sig == 'u') {
			pos = align(pos, 4) + 4;
		} else {
			return;
		}
		pos = align(pos, 8);
	}
}

static void close_passed_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
}

static int read_reply(int fd, char *out, size_t size)
{
	static uint8_t buf[1 << 16];
	size_t have = 0;

	for (;;) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(16 * sizeof(int))];
		} ctl;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		while (have >= 16) {
			uint32_t body, flen;
			size_t total;

			if (buf[0] != 'l')
				return -EPROTO;
			memcpy(&body, buf + 4, 4);
			memcpy(&flen, buf + 12, 4);
			total = 16 + align(flen, 8) + body;
			if (total > sizeof(buf))
				return -E2BIG;
			if (have < total)
				break;
			if (buf[1] == DBUS_METHOD_RETURN) {
				snprintf(out, size, "granted");
				return 0;
			}
			if (buf[1] == DBUS_ERROR) {
				char name[128];

				error_name(buf, flen, name, sizeof(name));
				snprintf(out, size, "refused %s", name);
				return 0;
			}
			memmove(buf, buf + total, have - total);
			have -= total;
		}
		if (poll(&p, 1, 60000) != 1)
			return -ETIMEDOUT;
		iov = (struct iovec){ buf + have, sizeof(buf) - have };
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		close_passed_fds(&mh);
		have += (size_t)n;
	}
}

static int ask(const char *alg, char *out, size_t size)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *b = NULL;
	int r;

	r = sd_bus_open_system(&b);
	if (r < 0)
		return r;
	r = sd_bus_call_method(b, "org.warpdrive", "/org/warpdrive", "org.warpdrive.Manager1",
			       "RequestQueue", &e, &reply, "si", alg, -1);
	if (r >= 0)
		snprintf(out, size, "granted");
	else if (e.name)
		snprintf(out, size, "refused %s", e.name);
	if (r < 0 && e.name)
		r = 0;
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(b);
	return r;
}

int main(int argc, char **argv)
{
	char res[200] = "";
	int r = -EINVAL;

	if (argc == 3 && !strcmp(argv[1], "reply"))
		r = read_reply(atoi(argv[2]), res, sizeof(res));
	else if (argc == 3 && !strcmp(argv[1], "ask"))
		r = ask(argv[2], res, sizeof(res));
	if (r < 0)
		snprintf(res, sizeof(res), "error %s", strerror(-r));
	printf("%s egid=%u\n", res, (unsigned)getegid());
	return r < 0;
}
