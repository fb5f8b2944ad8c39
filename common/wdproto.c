// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wdproto.c - encoder, decoder and client helpers for the broker protocol.
 *
 * The wire structures below are private: native byte order (the socket is
 * local), fixed widths, no implicit padding (checked by static asserts).
 * The decoder trusts nothing: it checks the length before reading any
 * field, requires each string to be NUL-terminated inside its field with
 * zero bytes after the NUL, rejects unknown types, flags and reasons, and
 * requires reserved fields to be zero. A message that passes is canonical:
 * re-encoding it in the version it came in gives the same bytes.
 *
 * Versions 1 and 2 differ only in the width of the algorithm field (one
 * name in 64 bytes, or a set in 256). Both directions work on the version
 * 2 wire structures; a version 1 message is widened on the way in and
 * narrowed on the way out (get_wire/put_wire), so every check is written
 * once.
 */
#include "wdproto.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct wdp_wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t size;		/* whole message, header included */
	uint32_t seq;
};

struct wdp_wire_queue {
	char alg[WDP_NAME_MAX];
	char device[WDP_NAME_MAX];
	int32_t node;
	uint32_t flags;
};

struct wdp_wire_queue2 {
	char alg[WDP_ALGS_MAX];
	char device[WDP_NAME_MAX];
	int32_t node;
	uint32_t flags;
};

struct wdp_wire_lease_id {
	uint64_t lease;
};

struct wdp_wire_lease {
	uint64_t id;
	char device[WDP_NAME_MAX];
	char api[WDP_NAME_MAX];
	char alg[WDP_NAME_MAX];
	int32_t node;
	uint32_t flags;
};

struct wdp_wire_lease2 {
	uint64_t id;
	char device[WDP_NAME_MAX];
	char api[WDP_NAME_MAX];
	char alg[WDP_ALGS_MAX];
	int32_t node;
	uint32_t flags;
};

struct wdp_wire_refuse {
	uint32_t reason;
	uint32_t reserved;
	char text[WDP_TEXT_MAX];
};

struct wdp_wire_leases {
	uint32_t count;
	uint32_t total;
	/* struct wdp_wire_lease[count] follows */
};

_Static_assert(sizeof(struct wdp_wire_hdr) == 16, "wire header layout");
_Static_assert(sizeof(struct wdp_wire_queue) == 136, "wire queue layout");
_Static_assert(sizeof(struct wdp_wire_lease) == 208, "wire lease layout");
_Static_assert(sizeof(struct wdp_wire_queue2) == 328, "wire queue layout, version 2");
_Static_assert(sizeof(struct wdp_wire_lease2) == 400, "wire lease layout, version 2");
/* put_wire()/get_wire() rely on it: version 1 = version 2 with a narrower alg. */
_Static_assert(offsetof(struct wdp_wire_queue, alg) == offsetof(struct wdp_wire_queue2, alg) &&
	       sizeof(struct wdp_wire_queue2) - sizeof(struct wdp_wire_queue) ==
	       WDP_ALGS_MAX - WDP_NAME_MAX, "queue layouts differ only in alg");
_Static_assert(offsetof(struct wdp_wire_lease, alg) == offsetof(struct wdp_wire_lease2, alg) &&
	       sizeof(struct wdp_wire_lease2) - sizeof(struct wdp_wire_lease) ==
	       WDP_ALGS_MAX - WDP_NAME_MAX, "lease layouts differ only in alg");
_Static_assert(sizeof(struct wdp_wire_refuse) == 264, "wire refuse layout");
_Static_assert(sizeof(struct wdp_wire_leases) == 8, "wire leases layout");

/* Highest NUMA node number accepted in a message (Linux MAX_NUMNODES). */
#define WDP_NODE_LIMIT		1024

#define HDR_SZ		sizeof(struct wdp_wire_hdr)

static size_t queue_size(unsigned int v)
{
	return v == 1 ? sizeof(struct wdp_wire_queue) : sizeof(struct wdp_wire_queue2);
}

static size_t lease_size(unsigned int v)
{
	return v == 1 ? sizeof(struct wdp_wire_lease) : sizeof(struct wdp_wire_lease2);
}

static size_t leases_size(unsigned int v, size_t n)
{
	return HDR_SZ + sizeof(struct wdp_wire_leases) + n * lease_size(v);
}

size_t wdp_msg_size_max(void)
{
	return leases_size(WDP_VERSION, WDP_LIST_MAX);
}

void wdp_msg_clear(struct wdp_msg *m)
{
	if (!m)
		return;
	if (m->type == WDP_REP_LEASES) {
		free(m->list.leases);
		m->list.leases = NULL;
		m->list.count = 0;
	}
}

bool wdp_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (n >= WDP_NAME_MAX - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == ':' || c == '+' || c == '-'))
			return false;
	}
	return n > 0;
}

int wdp_algs_parse(const char *set, struct wdp_algs *out, char *err, size_t errsize)
{
	char dummy[1];
	const char *p = set;

	if (!err) {
		err = dummy;
		errsize = sizeof(dummy);
	}
	out->n = 0;
	if (!*set) {
		snprintf(err, errsize, "the algorithm set is empty: name an algorithm, such as sha256, or several joined by commas");
		return -EINVAL;
	}
	if (strnlen(set, WDP_ALGS_MAX) == WDP_ALGS_MAX) {
		snprintf(err, errsize, "the algorithm set is longer than %d characters", WDP_ALGS_MAX - 1);
		return -EINVAL;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		char name[WDP_NAME_MAX];

		if (!n) {
			snprintf(err, errsize, "the algorithm set \"%s\" has an empty name (two commas, or a comma at either end)",
				 set);
			return -EINVAL;
		}
		if (n >= WDP_NAME_MAX) {
			snprintf(err, errsize, "an algorithm name in \"%s\" is longer than %d characters",
				 set, WDP_NAME_MAX - 1);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = 0;
		if (!wdp_name_valid(name)) {
			snprintf(err, errsize, "\"%s\" is not an algorithm name: use letters, digits and _.:+-",
				 name);
			return -EINVAL;
		}
		if (wdp_algs_has(out, name)) {
			snprintf(err, errsize, "algorithm %s is named twice in \"%s\"", name, set);
			return -EINVAL;
		}
		if (out->n == WDP_ALGS_NAMES_MAX) {
			snprintf(err, errsize, "the algorithm set \"%s\" names more than %d algorithms",
				 set, WDP_ALGS_NAMES_MAX);
			return -EINVAL;
		}
		memcpy(out->name[out->n++], name, n + 1);
		if (!p[n])
			return (int)out->n;
		p += n + 1;
	}
}

bool wdp_algs_has(const struct wdp_algs *a, const char *name)
{
	for (unsigned int i = 0; i < a->n; i++)
		if (!strcmp(a->name[i], name))
			return true;
	return false;
}

/* A valid algorithm field: one name, or a set of them. */
static bool algs_valid(const char *s)
{
	struct wdp_algs a;

	return wdp_algs_parse(s, &a, NULL, 0) > 0;
}

/*
 * Lowest protocol version that carries the algorithm field @s (bounded:
 * the encoder asks before it has checked the field is terminated).
 */
static unsigned int algs_version(const char *s)
{
	return memchr(s, ',', strnlen(s, WDP_ALGS_MAX)) ? 2 : 1;
}

/* A host string fits a field of @size (NUL included)? */
static bool str_fits(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/* Field of @size bytes: NUL-terminated, zero-padded after the NUL. */
static bool field_canonical(const char *f, size_t size)
{
	size_t n = strnlen(f, size);

	if (n == size)
		return false;
	for (size_t i = n; i < size; i++)
		if (f[i])
			return false;
	return true;
}

static bool text_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool node_valid(int32_t node)
{
	return node >= -1 && node < WDP_NODE_LIMIT;
}

/* Copy a host string into a zero-padded wire field. */
static void put_str(char *field, size_t size, const char *s)
{
	memset(field, 0, size);
	memcpy(field, s, strnlen(s, size - 1));
}

/* The algorithm field @alg is valid and fits version @v? */
static bool alg_fits(const char *alg, unsigned int v)
{
	return str_fits(alg, WDP_ALGS_MAX) && algs_valid(alg) && algs_version(alg) <= v;
}

static bool lease_valid(const struct wdp_lease *l, unsigned int v)
{
	return l->id != 0 && str_fits(l->device, WDP_NAME_MAX) &&
	       wdp_name_valid(l->device) && str_fits(l->api, WDP_NAME_MAX) &&
	       wdp_name_valid(l->api) && alg_fits(l->alg, v) && node_valid(l->node);
}

/*
 * Every version 1 layout is its version 2 layout with the algorithm field
 * (at byte @off) 64 bytes wide instead of 256. put_wire() writes the
 * version 2 structure @w (@size bytes) at @p in version @v; its algorithm
 * field must then hold one name, so nothing is lost.
 */
static void put_wire(unsigned char *p, const void *w, size_t size, size_t off, unsigned int v)
{
	const unsigned char *s = w;

	if (v == 1) {
		memcpy(p, s, off + WDP_NAME_MAX);
		memcpy(p + off + WDP_NAME_MAX, s + off + WDP_ALGS_MAX, size - off - WDP_ALGS_MAX);
	} else {
		memcpy(p, s, size);
	}
}

/* Write @l at @p in the lease layout of version @v. */
static void put_lease(unsigned char *p, const struct wdp_lease *l, unsigned int v)
{
	struct wdp_wire_lease2 w;

	memset(&w, 0, sizeof(w));
	w.id = l->id;
	put_str(w.device, sizeof(w.device), l->device);
	put_str(w.api, sizeof(w.api), l->api);
	put_str(w.alg, sizeof(w.alg), l->alg);
	w.node = l->node;
	w.flags = l->flags;
	put_wire(p, &w, sizeof(w), offsetof(struct wdp_wire_lease2, alg), v);
}

/* The lowest version that carries every algorithm field of @m. */
static unsigned int msg_version(const struct wdp_msg *m)
{
	unsigned int v = 1;

	switch (m->type) {
	case WDP_REQ_QUEUE:
		return algs_version(m->queue.alg);
	case WDP_REP_GRANT:
		return algs_version(m->grant.alg);
	case WDP_REP_LEASES:
		for (uint32_t i = 0; i < m->list.count && m->list.leases; i++)
			if (algs_version(m->list.leases[i].alg) > v)
				v = algs_version(m->list.leases[i].alg);
		return v;
	default:
		return v;
	}
}

ssize_t wdp_encode(const struct wdp_msg *m, void *buf, size_t size)
{
	struct wdp_wire_hdr h = {
		.magic = WDP_MAGIC,
		.type = m->type,
		.seq = m->seq,
	};
	unsigned char *p = buf;
	unsigned int v = m->version ? m->version : msg_version(m);
	size_t need;

	if (v < WDP_VERSION_MIN || v > WDP_VERSION)
		return -EINVAL;
	h.version = (uint16_t)v;
	switch (m->type) {
	case WDP_REQ_QUEUE: {
		const struct wdp_queue_req *q = &m->queue;

		if (!alg_fits(q->alg, v) || !str_fits(q->device, WDP_NAME_MAX) ||
		    (q->device[0] && !wdp_name_valid(q->device)) ||
		    !node_valid(q->node) || (q->flags & ~WDP_QUEUE_FLAGS_ALL))
			return -EINVAL;
		need = HDR_SZ + queue_size(v);
		break;
	}
	case WDP_REQ_RELEASE:
	case WDP_REP_RELEASED:
	case WDP_EVT_REVOKED:
		if (m->lease == 0)
			return -EINVAL;
		need = HDR_SZ + sizeof(struct wdp_wire_lease_id);
		break;
	case WDP_REQ_LIST:
		need = HDR_SZ;
		break;
	case WDP_REP_GRANT:
		if (!lease_valid(&m->grant, v))
			return -EINVAL;
		need = HDR_SZ + lease_size(v);
		break;
	case WDP_REP_REFUSE:
		if (m->refusal.reason == WDP_REASON_NONE ||
		    m->refusal.reason >= WDP_REASON_MAX ||
		    !str_fits(m->refusal.text, WDP_TEXT_MAX) ||
		    !text_valid(m->refusal.text))
			return -EINVAL;
		need = HDR_SZ + sizeof(struct wdp_wire_refuse);
		break;
	case WDP_REP_LEASES:
		if (m->list.count > WDP_LIST_MAX || m->list.total < m->list.count ||
		    (m->list.count && !m->list.leases))
			return -EINVAL;
		for (uint32_t i = 0; i < m->list.count; i++)
			if (!lease_valid(&m->list.leases[i], v))
				return -EINVAL;
		need = leases_size(v, m->list.count);
		break;
	default:
		return -EINVAL;
	}
	if (size < need)
		return -EMSGSIZE;

	h.size = (uint32_t)need;
	memcpy(p, &h, HDR_SZ);
	p += HDR_SZ;

	switch (m->type) {
	case WDP_REQ_QUEUE: {
		struct wdp_wire_queue2 w;

		memset(&w, 0, sizeof(w));
		put_str(w.alg, sizeof(w.alg), m->queue.alg);
		put_str(w.device, sizeof(w.device), m->queue.device);
		w.node = m->queue.node;
		w.flags = m->queue.flags;
		put_wire(p, &w, sizeof(w), offsetof(struct wdp_wire_queue2, alg), v);
		break;
	}
	case WDP_REQ_RELEASE:
	case WDP_REP_RELEASED:
	case WDP_EVT_REVOKED: {
		struct wdp_wire_lease_id w = { .lease = m->lease };

		memcpy(p, &w, sizeof(w));
		break;
	}
	case WDP_REP_GRANT:
		put_lease(p, &m->grant, v);
		break;
	case WDP_REP_REFUSE: {
		struct wdp_wire_refuse w;

		memset(&w, 0, sizeof(w));
		w.reason = m->refusal.reason;
		put_str(w.text, sizeof(w.text), m->refusal.text);
		memcpy(p, &w, sizeof(w));
		break;
	}
	case WDP_REP_LEASES: {
		struct wdp_wire_leases w = {
			.count = m->list.count,
			.total = m->list.total,
		};

		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
		for (uint32_t i = 0; i < m->list.count; i++) {
			put_lease(p, &m->list.leases[i], v);
			p += lease_size(v);
		}
		break;
	}
	default:
		break;
	}
	return (ssize_t)need;
}

#define BAD(msg) do { if (why) *why = (msg); return -EBADMSG; } while (0)

/*
 * The reverse of put_wire(): read the version @v structure at @p into its
 * version 2 form @w (@size bytes), then check the algorithm field at @off:
 * NUL-terminated and zero-padded in its wire width, one name in version 1,
 * a name or a set in version 2. @queue: it is a queue request's (else a
 * lease's), for the reason given in *@why.
 */
static int get_wire(void *w, size_t size, const unsigned char *p, size_t off, unsigned int v,
		    bool queue, const char **why)
{
	unsigned char *d = w;
	const char *alg = (const char *)d + off;

	if (v == 1) {
		memset(d, 0, size);
		memcpy(d, p, off + WDP_NAME_MAX);
		memcpy(d + off + WDP_ALGS_MAX, p + off + WDP_NAME_MAX, size - off - WDP_ALGS_MAX);
	} else {
		memcpy(d, p, size);
	}
	if (!field_canonical(alg, v == 1 ? WDP_NAME_MAX : WDP_ALGS_MAX))
		BAD(queue ? "queue request algorithm not NUL-terminated and zero-padded" :
			    "lease algorithm not NUL-terminated and zero-padded");
	if (v == 1 ? !wdp_name_valid(alg) : !algs_valid(alg))
		BAD(queue ? "queue request algorithm empty, with invalid characters, or a malformed set" :
			    "lease algorithm empty, with invalid characters, or a malformed set");
	return 0;
}

/* Read the lease entry at @p, in the layout of version @v. */
static int get_lease(const unsigned char *p, unsigned int v, struct wdp_lease *l,
		     const char **why)
{
	struct wdp_wire_lease2 w;
	int r;

	r = get_wire(&w, sizeof(w), p, offsetof(struct wdp_wire_lease2, alg), v, false, why);
	if (r < 0)
		return r;
	if (w.id == 0)
		BAD("lease id 0");
	if (!field_canonical(w.device, sizeof(w.device)) ||
	    !field_canonical(w.api, sizeof(w.api)))
		BAD("lease string not NUL-terminated and zero-padded");
	if (!wdp_name_valid(w.device) || !wdp_name_valid(w.api))
		BAD("lease name empty or with invalid characters");
	if (!node_valid(w.node))
		BAD("lease node out of range");
	l->id = w.id;
	memcpy(l->device, w.device, sizeof(l->device));
	memcpy(l->api, w.api, sizeof(l->api));
	memcpy(l->alg, w.alg, sizeof(l->alg));
	l->node = w.node;
	l->flags = w.flags;
	return 0;
}

int wdp_decode(const void *buf, size_t len, struct wdp_msg *m, const char **why)
{
	const unsigned char *p = buf;
	struct wdp_wire_hdr h;
	size_t body;
	int r;

	memset(m, 0, sizeof(*m));
	if (len < HDR_SZ)
		BAD("shorter than the message header");
	memcpy(&h, p, HDR_SZ);
	if (h.magic != WDP_MAGIC)
		BAD("bad magic");
	m->version = h.version;
	m->seq = h.seq;
	if (h.version < WDP_VERSION_MIN || h.version > WDP_VERSION) {
		if (why)
			*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (h.size != len)
		BAD("size field disagrees with the datagram length");
	p += HDR_SZ;
	body = len - HDR_SZ;

	switch (h.type) {
	case WDP_REQ_QUEUE: {
		struct wdp_wire_queue2 w;

		if (body != queue_size(h.version))
			BAD("queue request has the wrong size");
		r = get_wire(&w, sizeof(w), p, offsetof(struct wdp_wire_queue2, alg), h.version,
			     true, why);
		if (r < 0)
			return r;
		if (!field_canonical(w.device, sizeof(w.device)))
			BAD("queue request string not NUL-terminated and zero-padded");
		if (w.device[0] && !wdp_name_valid(w.device))
			BAD("queue request device name has invalid characters");
		if (!node_valid(w.node))
			BAD("queue request node out of range");
		if (w.flags & ~WDP_QUEUE_FLAGS_ALL)
			BAD("queue request has unknown flags");
		memcpy(m->queue.alg, w.alg, sizeof(w.alg));
		memcpy(m->queue.device, w.device, sizeof(w.device));
		m->queue.node = w.node;
		m->queue.flags = w.flags;
		break;
	}
	case WDP_REQ_RELEASE:
	case WDP_REP_RELEASED:
	case WDP_EVT_REVOKED: {
		struct wdp_wire_lease_id w;

		if (body != sizeof(w))
			BAD("lease message has the wrong size");
		memcpy(&w, p, sizeof(w));
		if (w.lease == 0)
			BAD("lease id 0");
		if (h.type == WDP_EVT_REVOKED && h.seq != 0)
			BAD("revocation notice with a non-zero sequence number");
		m->lease = w.lease;
		break;
	}
	case WDP_REQ_LIST:
		if (body != 0)
			BAD("list request has a body");
		break;
	case WDP_REP_GRANT:
		if (body != lease_size(h.version))
			BAD("grant has the wrong size");
		r = get_lease(p, h.version, &m->grant, why);
		if (r < 0)
			return r;
		break;
	case WDP_REP_REFUSE: {
		struct wdp_wire_refuse w;

		if (body != sizeof(w))
			BAD("refusal has the wrong size");
		memcpy(&w, p, sizeof(w));
		if (w.reason == WDP_REASON_NONE || w.reason >= WDP_REASON_MAX)
			BAD("refusal with an unknown reason");
		if (w.reserved)
			BAD("refusal reserved field not zero");
		if (!field_canonical(w.text, sizeof(w.text)) || !text_valid(w.text))
			BAD("refusal text empty, unterminated or not printable");
		m->refusal.reason = w.reason;
		memcpy(m->refusal.text, w.text, sizeof(w.text));
		break;
	}
	case WDP_REP_LEASES: {
		struct wdp_wire_leases w;
		struct wdp_lease *v = NULL;

		if (body < sizeof(w))
			BAD("lease list shorter than its header");
		memcpy(&w, p, sizeof(w));
		if (w.count > WDP_LIST_MAX)
			BAD("lease list longer than the protocol allows");
		if (w.total < w.count)
			BAD("lease list total below its count");
		if (len != leases_size(h.version, w.count))
			BAD("lease list size disagrees with its count");
		p += sizeof(w);
		if (w.count) {
			v = calloc(w.count, sizeof(*v));
			if (!v)
				return -ENOMEM;
		}
		for (uint32_t i = 0; i < w.count; i++) {
			r = get_lease(p + (size_t)i * lease_size(h.version), h.version, &v[i], why);
			if (r < 0) {
				free(v);
				return r;
			}
		}
		m->list.count = w.count;
		m->list.total = w.total;
		m->list.leases = v;
		break;
	}
	default:
		BAD("unknown message type");
	}
	m->type = h.type;
	return 0;
}

int wdp_send(int sock, const struct wdp_msg *m, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	unsigned char *buf;
	size_t max = wdp_msg_size_max();
	ssize_t n;
	int r = 0;

	buf = malloc(max);
	if (!buf)
		return -ENOMEM;
	n = wdp_encode(m, buf, max);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != iov.iov_len)
		r = -EIO;	/* SOCK_SEQPACKET never sends a part */
	free(buf);
	return r;
}

/* Dispose of every fd an SCM_RIGHTS control message carried, except @keep. */
static void close_fds(struct msghdr *mh, int keep, void (*discard)(int fd, void *ud), void *ud)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd == keep)
				continue;
			if (discard)
				discard(fd, ud);
			else
				close(fd);
		}
	}
}

/* The most fds the kernel passes in one message (SCM_MAX_FD). */
#define WDP_SCM_MAX_FD 253

int wdp_recv(int sock, struct wdp_msg *m, int *fdp, const char **why)
{
	return wdp_recv_discard(sock, m, fdp, why, NULL, NULL);
}

int wdp_recv_discard(int sock, struct wdp_msg *m, int *fdp, const char **why,
		     void (*discard)(int fd, void *ud), void *ud)
{
	/* Room for every fd one message may carry: a peer sending too many
	 * is seen as such (count > 1), and none is dropped by the kernel. */
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(WDP_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	unsigned char *buf;
	size_t max = wdp_msg_size_max();
	int fd = -1, nfds = 0, r;
	ssize_t n;

	if (fdp)
		*fdp = -1;
	memset(m, 0, sizeof(*m));
	/* One byte more than the largest message so oversize shows up. */
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = max + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	if (n == 0 && !(mh.msg_flags & MSG_CTRUNC) && mh.msg_controllen == 0) {
		free(buf);
		if (why)
			*why = "connection closed";
		return -ECONNRESET;
	}

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (k >= 1 && fd < 0)
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
			nfds += (int)k;
		} else {
			/* e.g. SCM_CREDENTIALS: not part of the protocol */
			nfds += 1000;
		}
	}

	r = 0;
	if (mh.msg_flags & MSG_CTRUNC) {
		r = -EBADMSG;
		if (why)
			*why = "control data truncated (too many fds)";
	} else if (mh.msg_flags & MSG_TRUNC || (size_t)n > max) {
		r = -EBADMSG;
		if (why)
			*why = "message larger than the protocol allows";
	} else {
		r = wdp_decode(buf, (size_t)n, m, why);
		if (r == 0) {
			int want = m->type == WDP_REP_GRANT ? 1 : 0;

			if (nfds != want) {
				wdp_msg_clear(m);
				r = -EBADMSG;
				if (why)
					*why = want ? "grant without exactly one fd" :
						      "unexpected fd or control message";
			}
		}
	}

	if (r < 0 || !fdp) {
		close_fds(&mh, -1, discard, ud);
	} else if (fd >= 0) {
		*fdp = fd;
	}
	free(buf);
	return r;
}

static const char *const reason_names[WDP_REASON_MAX] = {
	[WDP_REASON_NONE] = "none",
	[WDP_REASON_PROTOCOL] = "protocol",
	[WDP_REASON_VERSION] = "version",
	[WDP_REASON_NO_DEVICE] = "no-device",
	[WDP_REASON_ALG_DENIED] = "alg-denied",
	[WDP_REASON_DEVICE_DENIED] = "device-denied",
	[WDP_REASON_QUOTA_USER] = "quota-user",
	[WDP_REASON_QUOTA_GROUP] = "quota-group",
	[WDP_REASON_QUOTA_UNIT] = "quota-unit",
	[WDP_REASON_QUOTA_GLOBAL] = "quota-global",
	[WDP_REASON_BUSY] = "busy",
	[WDP_REASON_NODE] = "node",
	[WDP_REASON_NO_LEASE] = "no-lease",
	[WDP_REASON_INTERNAL] = "internal",
};

const char *wdp_reason_name(uint32_t reason)
{
	return reason < WDP_REASON_MAX ? reason_names[reason] : "unknown";
}

int wdp_reason_errno(uint32_t reason)
{
	switch (reason) {
	case WDP_REASON_NONE:		return 0;
	case WDP_REASON_PROTOCOL:	return -EPROTO;
	case WDP_REASON_VERSION:	return -EPROTONOSUPPORT;
	case WDP_REASON_NO_DEVICE:	return -ENODEV;
	case WDP_REASON_ALG_DENIED:
	case WDP_REASON_DEVICE_DENIED:	return -EACCES;
	case WDP_REASON_QUOTA_USER:
	case WDP_REASON_QUOTA_GROUP:
	case WDP_REASON_QUOTA_UNIT:
	case WDP_REASON_QUOTA_GLOBAL:	return -EDQUOT;
	case WDP_REASON_BUSY:		return -EBUSY;
	case WDP_REASON_NODE:		return -EXDEV;
	case WDP_REASON_NO_LEASE:	return -ENOENT;
	default:			return -EIO;
	}
}

const char *wdp_type_name(uint16_t type)
{
	switch (type) {
	case WDP_REQ_QUEUE:	return "queue";
	case WDP_REQ_RELEASE:	return "release";
	case WDP_REQ_LIST:	return "list";
	case WDP_REP_GRANT:	return "grant";
	case WDP_REP_REFUSE:	return "refuse";
	case WDP_REP_RELEASED:	return "released";
	case WDP_REP_LEASES:	return "leases";
	case WDP_EVT_REVOKED:	return "revoked";
	default:		return "unknown";
	}
}

/* ---- client helpers ---- */

/*
 * secure_getenv: in a setuid, setgid or file-capability program
 * (AT_SECURE) the caller's environment must not choose which broker the
 * privileged process believes, so only the compiled-in path counts there.
 */
const char *wdp_socket_path(void)
{
	const char *p = secure_getenv(WDP_SOCKET_ENV);

	return p && *p ? p : WDP_SOCKET_DEFAULT;
}

int wdp_client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!path)
		path = wdp_socket_path();
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static uint32_t next_seq(void)
{
	static _Thread_local uint32_t seq;

	if (++seq == 0)
		seq = 1;
	return seq;
}

/*
 * Send @req and wait for the reply with the same seq. Revocation notices in
 * between are skipped (the queue fd itself reports the revocation).
 */
static int call(int sock, struct wdp_msg *req, struct wdp_msg *rep, int *fd,
		struct wdp_refusal *refusal)
{
	int r;

	if (refusal)
		memset(refusal, 0, sizeof(*refusal));
	req->seq = next_seq();
	r = wdp_send(sock, req, -1);
	if (r < 0)
		return r;
	for (;;) {
		r = wdp_recv(sock, rep, fd, NULL);
		if (r < 0)
			return r;
		if (rep->type == WDP_EVT_REVOKED)
			continue;
		break;
	}
	if (rep->seq != req->seq) {
		if (fd && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		wdp_msg_clear(rep);
		return -EBADMSG;
	}
	if (rep->type == WDP_REP_REFUSE) {
		if (refusal)
			*refusal = rep->refusal;
		return wdp_reason_errno(rep->refusal.reason);
	}
	return 0;
}

int wdp_client_request_queue(int sock, const struct wdp_queue_req *qreq,
			     struct wdp_lease *grant, int *fd,
			     struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_QUEUE }, rep;
	int qfd = -1, r;

	*fd = -1;
	req.queue = *qreq;
	r = call(sock, &req, &rep, &qfd, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_GRANT) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	if (grant)
		*grant = rep.grant;
	*fd = qfd;
	return 0;
}

int wdp_client_release(int sock, uint64_t lease, struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_RELEASE, .lease = lease }, rep;
	int r;

	r = call(sock, &req, &rep, NULL, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_RELEASED || rep.lease != lease) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	return 0;
}

int wdp_client_list(int sock, struct wdp_lease **leases, size_t *count,
		    struct wdp_refusal *refusal)
{
	struct wdp_msg req = { .type = WDP_REQ_LIST }, rep;
	int r;

	*leases = NULL;
	*count = 0;
	r = call(sock, &req, &rep, NULL, refusal);
	if (r < 0)
		return r;
	if (rep.type != WDP_REP_LEASES) {
		wdp_msg_clear(&rep);
		return -EBADMSG;
	}
	*leases = rep.list.leases;
	*count = rep.list.count;
	return 0;
}
