// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wdproto.c - encoder and decoder of the broker protocol (wdproto-io.c sends
 * and receives).
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
 *
 * Version 3 adds COUNTERS and COUNTED, which exist only in version 3;
 * every other message has its version 2 layout there.
 */
#include "wdproto.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct wdp_wire_counters {
	uint32_t count;
	uint32_t reserved;
	/* struct wdp_wire_counter[count] follows */
};

struct wdp_wire_counter {
	char name[WDP_NAME_MAX];
	uint64_t value;
};

struct wdp_wire_counted {
	uint32_t stored;
	uint32_t dropped;
};

_Static_assert(sizeof(struct wdp_wire_hdr) == 16, "wire header layout");
_Static_assert(sizeof(struct wdp_wire_counters) == 8, "wire counters layout");
_Static_assert(sizeof(struct wdp_wire_counter) == 72, "wire counter layout");
_Static_assert(sizeof(struct wdp_wire_counted) == 8, "wire counted layout");
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

static size_t counters_size(size_t n)
{
	return HDR_SZ + sizeof(struct wdp_wire_counters) + n * sizeof(struct wdp_wire_counter);
}

_Static_assert(HDR_SZ + sizeof(struct wdp_wire_counters) +
	       WDP_COUNTERS_MAX * sizeof(struct wdp_wire_counter) <
	       HDR_SZ + sizeof(struct wdp_wire_leases) + WDP_LIST_MAX * sizeof(struct wdp_wire_lease2),
	       "the longest message is still a full lease list");

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
	} else if (m->type == WDP_REQ_COUNTERS) {
		free(m->counters.v);
		m->counters.v = NULL;
		m->counters.count = 0;
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

/* 1..WDP_COUNTERS_MAX counters, each a valid name, no name twice. */
static bool counters_valid(const struct wdp_counters *c)
{
	if (c->count == 0 || c->count > WDP_COUNTERS_MAX || !c->v)
		return false;
	for (uint32_t i = 0; i < c->count; i++) {
		if (!str_fits(c->v[i].name, WDP_NAME_MAX) || !wdp_name_valid(c->v[i].name))
			return false;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->v[i].name, c->v[j].name))
				return false;
	}
	return true;
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
	case WDP_REQ_COUNTERS:
	case WDP_REP_COUNTED:
		return 3;
	default:
		return v;
	}
}

/* Size of @m encoded in version @v, or -EINVAL if it is not valid there. */
static ssize_t msg_size(const struct wdp_msg *m, unsigned int v)
{
	switch (m->type) {
	case WDP_REQ_QUEUE: {
		const struct wdp_queue_req *q = &m->queue;

		if (!alg_fits(q->alg, v) || !str_fits(q->device, WDP_NAME_MAX) ||
		    (q->device[0] && !wdp_name_valid(q->device)) ||
		    !node_valid(q->node) || (q->flags & ~WDP_QUEUE_FLAGS_ALL))
			return -EINVAL;
		return (ssize_t)(HDR_SZ + queue_size(v));
	}
	case WDP_REQ_RELEASE:
	case WDP_REP_RELEASED:
	case WDP_EVT_REVOKED:
		if (m->lease == 0)
			return -EINVAL;
		return (ssize_t)(HDR_SZ + sizeof(struct wdp_wire_lease_id));
	case WDP_REQ_LIST:
		return (ssize_t)HDR_SZ;
	case WDP_REP_GRANT:
		if (!lease_valid(&m->grant, v))
			return -EINVAL;
		return (ssize_t)(HDR_SZ + lease_size(v));
	case WDP_REP_REFUSE:
		if (m->refusal.reason == WDP_REASON_NONE ||
		    m->refusal.reason >= WDP_REASON_MAX ||
		    !str_fits(m->refusal.text, WDP_TEXT_MAX) ||
		    !text_valid(m->refusal.text))
			return -EINVAL;
		return (ssize_t)(HDR_SZ + sizeof(struct wdp_wire_refuse));
	case WDP_REP_LEASES:
		if (m->list.count > WDP_LIST_MAX || m->list.total < m->list.count ||
		    (m->list.count && !m->list.leases))
			return -EINVAL;
		for (uint32_t i = 0; i < m->list.count; i++)
			if (!lease_valid(&m->list.leases[i], v))
				return -EINVAL;
		return (ssize_t)leases_size(v, m->list.count);
	case WDP_REQ_COUNTERS:
		if (v < 3 || !counters_valid(&m->counters))
			return -EINVAL;
		return (ssize_t)counters_size(m->counters.count);
	case WDP_REP_COUNTED:
		if (v < 3)
			return -EINVAL;
		return (ssize_t)(HDR_SZ + sizeof(struct wdp_wire_counted));
	default:
		return -EINVAL;
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
	ssize_t r;
	size_t need;

	if (v < WDP_VERSION_MIN || v > WDP_VERSION)
		return -EINVAL;
	h.version = (uint16_t)v;
	r = msg_size(m, v);
	if (r < 0)
		return r;
	need = (size_t)r;
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
	case WDP_REQ_COUNTERS: {
		struct wdp_wire_counters w = { .count = m->counters.count };

		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
		for (uint32_t i = 0; i < m->counters.count; i++) {
			struct wdp_wire_counter e = { .value = m->counters.v[i].value };

			put_str(e.name, sizeof(e.name), m->counters.v[i].name);
			memcpy(p, &e, sizeof(e));
			p += sizeof(e);
		}
		break;
	}
	case WDP_REP_COUNTED: {
		struct wdp_wire_counted w = {
			.stored = m->counted.stored,
			.dropped = m->counted.dropped,
		};

		memcpy(p, &w, sizeof(w));
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

/* The decoders of each message family: @p is the body, @body its size. */

static int decode_queue(const unsigned char *p, size_t body, unsigned int v,
			struct wdp_msg *m, const char **why)
{
	struct wdp_wire_queue2 w;
	int r;

	if (body != queue_size(v))
		BAD("queue request has the wrong size");
	r = get_wire(&w, sizeof(w), p, offsetof(struct wdp_wire_queue2, alg), v, true, why);
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
	return 0;
}

/* Release, released, revoked: a lease id. */
static int decode_lease_id(const unsigned char *p, size_t body, const struct wdp_wire_hdr *h,
			   struct wdp_msg *m, const char **why)
{
	struct wdp_wire_lease_id w;

	if (body != sizeof(w))
		BAD("lease message has the wrong size");
	memcpy(&w, p, sizeof(w));
	if (w.lease == 0)
		BAD("lease id 0");
	if (h->type == WDP_EVT_REVOKED && h->seq != 0)
		BAD("revocation notice with a non-zero sequence number");
	m->lease = w.lease;
	return 0;
}

static int decode_refuse(const unsigned char *p, size_t body, struct wdp_msg *m,
			 const char **why)
{
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
	return 0;
}

/* @len: the whole datagram, which the count must agree with. */
static int decode_leases(const unsigned char *p, size_t body, size_t len, unsigned int v,
			 struct wdp_msg *m, const char **why)
{
	struct wdp_wire_leases w;
	struct wdp_lease *l = NULL;
	int r;

	if (body < sizeof(w))
		BAD("lease list shorter than its header");
	memcpy(&w, p, sizeof(w));
	if (w.count > WDP_LIST_MAX)
		BAD("lease list longer than the protocol allows");
	if (w.total < w.count)
		BAD("lease list total below its count");
	if (len != leases_size(v, w.count))
		BAD("lease list size disagrees with its count");
	p += sizeof(w);
	if (w.count) {
		l = calloc(w.count, sizeof(*l));
		if (!l)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < w.count; i++) {
		r = get_lease(p + (size_t)i * lease_size(v), v, &l[i], why);
		if (r < 0) {
			free(l);
			return r;
		}
	}
	m->list.count = w.count;
	m->list.total = w.total;
	m->list.leases = l;
	return 0;
}

/* @len: the whole datagram, which the count must agree with. */
static int decode_counters(const unsigned char *p, size_t body, size_t len,
			   struct wdp_msg *m, const char **why)
{
	struct wdp_wire_counters w;
	struct wdp_counter *c;

	if (body < sizeof(w))
		BAD("counters shorter than their header");
	memcpy(&w, p, sizeof(w));
	if (w.count == 0)
		BAD("counters message with no counter");
	if (w.count > WDP_COUNTERS_MAX)
		BAD("counters message longer than the protocol allows");
	if (w.reserved)
		BAD("counters reserved field not zero");
	if (len != counters_size(w.count))
		BAD("counters message size disagrees with its count");
	p += sizeof(w);
	c = calloc(w.count, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (uint32_t i = 0; i < w.count; i++) {
		struct wdp_wire_counter e;
		const char *bad = NULL;

		memcpy(&e, p + (size_t)i * sizeof(e), sizeof(e));
		if (!field_canonical(e.name, sizeof(e.name)))
			bad = "counter name not NUL-terminated and zero-padded";
		else if (!wdp_name_valid(e.name))
			bad = "counter name empty or with invalid characters";
		for (uint32_t j = 0; !bad && j < i; j++)
			if (!strcmp(c[j].name, e.name))
				bad = "counter named twice in one message";
		if (bad) {
			free(c);
			BAD(bad);
		}
		memcpy(c[i].name, e.name, sizeof(e.name));
		c[i].value = e.value;
	}
	m->counters.count = w.count;
	m->counters.v = c;
	return 0;
}

static int decode_body(const unsigned char *p, size_t len, const struct wdp_wire_hdr *h,
		       struct wdp_msg *m, const char **why)
{
	size_t body = len - HDR_SZ;

	switch (h->type) {
	case WDP_REQ_QUEUE:
		return decode_queue(p, body, h->version, m, why);
	case WDP_REQ_RELEASE:
	case WDP_REP_RELEASED:
	case WDP_EVT_REVOKED:
		return decode_lease_id(p, body, h, m, why);
	case WDP_REQ_LIST:
		if (body != 0)
			BAD("list request has a body");
		return 0;
	case WDP_REP_GRANT:
		if (body != lease_size(h->version))
			BAD("grant has the wrong size");
		return get_lease(p, h->version, &m->grant, why);
	case WDP_REP_REFUSE:
		return decode_refuse(p, body, m, why);
	case WDP_REP_LEASES:
		return decode_leases(p, body, len, h->version, m, why);
	case WDP_REQ_COUNTERS:
		if (h->version < 3)
			BAD("counters in a version below 3");
		return decode_counters(p, body, len, m, why);
	case WDP_REP_COUNTED: {
		struct wdp_wire_counted w;

		if (h->version < 3)
			BAD("counted reply in a version below 3");
		if (body != sizeof(w))
			BAD("counted reply has the wrong size");
		memcpy(&w, p, sizeof(w));
		m->counted.stored = w.stored;
		m->counted.dropped = w.dropped;
		return 0;
	}
	default:
		BAD("unknown message type");
	}
}

int wdp_decode(const void *buf, size_t len, struct wdp_msg *m, const char **why)
{
	const unsigned char *p = buf;
	struct wdp_wire_hdr h;
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
	r = decode_body(p + HDR_SZ, len, &h, m, why);
	if (r < 0)
		return r;
	m->type = h.type;
	return 0;
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
	case WDP_REQ_COUNTERS:	return "counters";
	case WDP_REP_COUNTED:	return "counted";
	case WDP_EVT_REVOKED:	return "revoked";
	default:		return "unknown";
	}
}
