/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wdproto.h - the WarpDrive broker wire protocol, shared by libwd (client)
 * and wdbrokerd (server).
 *
 * Transport: AF_UNIX SOCK_SEQPACKET on /run/warpdrive/broker.sock
 * (WD_BROKER_SOCKET overrides). One datagram = one message; every message
 * starts with struct wdp_hdr and has a size fixed by its type (the lease
 * list is header + count * entry, and checked as such). The full
 * specification is docs/broker-protocol.md.
 *
 * Callers work with the host-side structures (struct wdp_msg and friends)
 * and never see the wire layout: wdp_encode()/wdp_decode() translate and
 * validate, wdp_send()/wdp_recv() add fd passing, and the wdp_client_*()
 * helpers do a whole request/reply exchange.
 *
 * Every function returns 0 (or a size/fd) on success and a negative errno on
 * failure; none of them touches errno as its interface.
 */
#ifndef WD_COMMON_WDPROTO_H
#define WD_COMMON_WDPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WDP_SOCKET_DEFAULT	"/run/warpdrive/broker.sock"
#define WDP_SOCKET_ENV		"WD_BROKER_SOCKET"

#define WDP_MAGIC		0x42504457U	/* "WDPB" in memory order */
/*
 * Versions spoken: 1..WDP_VERSION. Version 2 differs from 1 only in the
 * layouts that carry algorithms (QUEUE and the lease entry of GRANT and
 * LEASES), which hold a set of names instead of one. Version 3 adds the
 * COUNTERS request and its COUNTED reply and changes nothing else. Every
 * message goes out in the lowest version that can carry it, so a peer that
 * speaks only version 1 never sees version 2 unless a set of algorithms is
 * asked for, and a version 2 broker answers COUNTERS with a version
 * refusal (then closes that connection) instead of seeing an unknown type.
 */
#define WDP_VERSION_MIN		1
#define WDP_VERSION		3

/* Bytes in a name field, including the terminating NUL. */
#define WDP_NAME_MAX		64
/*
 * Bytes in an algorithm field, including the terminating NUL. It holds one
 * name or a set: names joined by commas ("sha256,crc32c"), at most
 * WDP_ALGS_NAMES_MAX of them, none empty, none twice. Version 1 carries
 * only one name (WDP_NAME_MAX bytes on the wire).
 */
#define WDP_ALGS_MAX		256
#define WDP_ALGS_NAMES_MAX	16
/* Bytes in a refusal's human sentence, including the terminating NUL. */
#define WDP_TEXT_MAX		256
/* Most leases one WDP_LEASES reply carries (total says how many exist). */
#define WDP_LIST_MAX		64
/* Most counters one WDP_REQ_COUNTERS carries (send more in several). */
#define WDP_COUNTERS_MAX	32

/* Message types. Requests go client -> broker, replies broker -> client. */
enum wdp_type {
	WDP_REQ_QUEUE		= 0x01,	/* give me a queue */
	WDP_REQ_RELEASE		= 0x02,	/* I am done with lease N */
	WDP_REQ_LIST		= 0x03,	/* which leases do I hold? */
	WDP_REQ_COUNTERS	= 0x04,	/* add these to my counters (version 3) */

	WDP_REP_GRANT		= 0x81,	/* a queue fd (SCM_RIGHTS) + lease */
	WDP_REP_REFUSE		= 0x82,	/* no: reason code + sentence */
	WDP_REP_RELEASED	= 0x83,	/* lease N is released */
	WDP_REP_LEASES		= 0x84,	/* list of leases */
	WDP_REP_COUNTED		= 0x85,	/* counters stored / dropped (version 3) */

	/* Unsolicited (seq 0): the broker revoked lease N. */
	WDP_EVT_REVOKED		= 0xc1,
};

/* WDP_REQ_QUEUE flags. */
#define WDP_QUEUE_NODE_STRICT	(1U << 0)	/* only a device on node */
#define WDP_QUEUE_FLAGS_ALL	(WDP_QUEUE_NODE_STRICT)

/*
 * Refusal reasons: stable numbers, never renumbered. wdp_reason_errno() maps
 * each to the errno the client library reports.
 */
enum wdp_reason {
	WDP_REASON_NONE		= 0,
	WDP_REASON_PROTOCOL	= 1,	/* malformed request (EPROTO) */
	WDP_REASON_VERSION	= 2,	/* protocol version not spoken (EPROTONOSUPPORT) */
	WDP_REASON_NO_DEVICE	= 3,	/* no device offers the alg / named device (ENODEV) */
	WDP_REASON_ALG_DENIED	= 4,	/* policy forbids the algorithm (EACCES) */
	WDP_REASON_DEVICE_DENIED = 5,	/* policy forbids the device(s) (EACCES) */
	WDP_REASON_QUOTA_USER	= 6,	/* per-user queue quota reached (EDQUOT) */
	WDP_REASON_QUOTA_GROUP	= 7,	/* per-group queue quota reached (EDQUOT) */
	WDP_REASON_QUOTA_UNIT	= 8,	/* per-unit queue quota reached (EDQUOT) */
	WDP_REASON_QUOTA_GLOBAL	= 9,	/* broker-wide queue limit reached (EDQUOT) */
	WDP_REASON_BUSY		= 10,	/* every allowed device is full or isolated (EBUSY) */
	WDP_REASON_NODE		= 11,	/* strict node: nothing free on that node (EXDEV) */
	WDP_REASON_NO_LEASE	= 12,	/* no such lease on this connection (ENOENT) */
	WDP_REASON_INTERNAL	= 13,	/* broker-side failure (EIO) */
	WDP_REASON_MAX,
};

/* A lease, as granted or listed. Strings are NUL-terminated. */
struct wdp_lease {
	uint64_t id;
	char device[WDP_NAME_MAX];	/* e.g. "wdsoft-0"; node /dev/<device> */
	char api[WDP_NAME_MAX];		/* e.g. "wdsoft_v1": picks the user driver */
	char alg[WDP_ALGS_MAX];		/* the algorithm(s) asked for */
	int32_t node;			/* device NUMA node, -1 if none */
	uint32_t flags;			/* UACCE_DEV_* of the device */
};

struct wdp_queue_req {
	char alg[WDP_ALGS_MAX];		/* required: a name or a set */
	char device[WDP_NAME_MAX];	/* "" = any; else only that device */
	int32_t node;			/* -1 = the broker uses the caller's CPU */
	uint32_t flags;			/* WDP_QUEUE_* */
};

struct wdp_refusal {
	uint32_t reason;		/* enum wdp_reason */
	char text[WDP_TEXT_MAX];	/* one human sentence */
};

struct wdp_lease_list {
	uint32_t count;			/* entries in leases[] */
	uint32_t total;			/* leases held; > count if cut short */
	struct wdp_lease *leases;	/* malloc'd by wdp_decode() */
};

/*
 * A named counter a client reports: what it did since its last report
 * (the broker adds it to its totals). @name is a name as above
 * (wdp_name_valid), by convention "library.what", e.g.
 * "zlib.deflate.streams".
 */
struct wdp_counter {
	char name[WDP_NAME_MAX];
	uint64_t value;
};

struct wdp_counters {
	uint32_t count;			/* 1..WDP_COUNTERS_MAX entries in v[] */
	struct wdp_counter *v;		/* malloc'd by wdp_decode(); names differ */
};

/* The broker's answer to COUNTERS: how many it added, how many it could not. */
struct wdp_counted {
	uint32_t stored;
	uint32_t dropped;		/* over the broker's caps (see wdbrokerd(8)) */
};

/*
 * A decoded message. Only the member for @type is meaningful. @version is
 * the version it came in; for wdp_encode() 0 means the lowest version that
 * carries it (what senders use), else exactly that version.
 */
struct wdp_msg {
	uint16_t version;
	uint16_t type;			/* enum wdp_type */
	uint32_t seq;			/* echoed from request to reply */
	union {
		struct wdp_queue_req queue;	/* WDP_REQ_QUEUE */
		uint64_t lease;			/* RELEASE, RELEASED, REVOKED */
		struct wdp_lease grant;		/* WDP_REP_GRANT */
		struct wdp_refusal refusal;	/* WDP_REP_REFUSE */
		struct wdp_lease_list list;	/* WDP_REP_LEASES */
		struct wdp_counters counters;	/* WDP_REQ_COUNTERS */
		struct wdp_counted counted;	/* WDP_REP_COUNTED */
	};
};

/* Largest valid message on the wire (a full WDP_REP_LEASES). */
size_t wdp_msg_size_max(void);

/* Free what wdp_decode() allocated (lease list, counters); safe on any msg. */
void wdp_msg_clear(struct wdp_msg *m);

/*
 * wdp_encode - serialize @m into @buf, in version @m->version (0: the
 * lowest that carries @m). Returns the byte count, -EMSGSIZE if @size is
 * too small, -EINVAL if @m is not valid (unknown type or version,
 * unterminated or bad string, a set of algorithms in version 1, list too
 * long).
 */
ssize_t wdp_encode(const struct wdp_msg *m, void *buf, size_t size);

/*
 * wdp_decode - validate and parse one datagram, of any version from
 * WDP_VERSION_MIN to WDP_VERSION (m->version says which).
 * Returns 0, -EPROTONOSUPPORT for another protocol version (m->version and
 * m->seq are then filled so the broker can refuse), or -EBADMSG for anything
 * malformed. If @why is not NULL it receives a static description of what
 * was wrong, for logs.
 */
int wdp_decode(const void *buf, size_t len, struct wdp_msg *m, const char **why);

/*
 * wdp_send - encode @m and send it as one datagram, with @fd attached by
 * SCM_RIGHTS if @fd >= 0. MSG_NOSIGNAL: a gone peer gives -EPIPE.
 */
int wdp_send(int sock, const struct wdp_msg *m, int fd);

/*
 * wdp_recv - receive and decode one datagram. Fds arrive MSG_CMSG_CLOEXEC.
 * A WDP_REP_GRANT must carry exactly one fd, returned in *@fd (or closed if
 * @fd is NULL); every other message must carry none. A truncated datagram
 * or control part (MSG_TRUNC/MSG_CTRUNC), a wrong fd count or a malformed
 * message gives -EBADMSG with every received fd closed; EOF gives
 * -ECONNRESET. @why as in wdp_decode().
 */
int wdp_recv(int sock, struct wdp_msg *m, int *fd, const char **why);

/*
 * wdp_recv_discard - wdp_recv(), but every received fd that is not handed
 * back in *@fd goes to @discard(fd, @ud) instead of close(). The broker
 * uses it so that closing a client-supplied fd (one on FUSE, a lingering
 * TCP socket...) never blocks its event loop. Room is made for the most
 * fds one message can carry (SCM_MAX_FD), so the kernel itself never has
 * to drop (and thus release) one in the receiver's thread.
 */
int wdp_recv_discard(int sock, struct wdp_msg *m, int *fd, const char **why,
		     void (*discard)(int fd, void *ud), void *ud);

/* Stable lowercase token for a reason ("quota-user"), "unknown" if none. */
const char *wdp_reason_name(uint32_t reason);
/* Negative errno the client reports for a refusal reason. */
int wdp_reason_errno(uint32_t reason);
/* Message type as a token ("grant"), for logs. */
const char *wdp_type_name(uint16_t type);

/* Valid algorithm/device/api name: 1..63 of [A-Za-z0-9_.:+-]. */
bool wdp_name_valid(const char *s);

/* The names of an algorithm set, in the order given. */
struct wdp_algs {
	unsigned int n;
	char name[WDP_ALGS_NAMES_MAX][WDP_NAME_MAX];
};

/*
 * wdp_algs_parse - split @set ("sha256" or "sha256,crc32c") into @out.
 * Returns the number of names, or -EINVAL for a bad spelling: empty, an
 * empty name ("a,,b", a comma at either end), a name that is not valid, a
 * name given twice, more than WDP_ALGS_NAMES_MAX names, or WDP_ALGS_MAX
 * bytes or more. @err (may be NULL) then receives one sentence saying
 * which, naming the offending element.
 */
int wdp_algs_parse(const char *set, struct wdp_algs *out, char *err, size_t errsize);

/* Does the parsed set @a hold @name? */
bool wdp_algs_has(const struct wdp_algs *a, const char *name);

/* ---- client helpers (libwd uses only these) ---- */

/*
 * $WD_BROKER_SOCKET if set and non-empty, else WDP_SOCKET_DEFAULT. Read with
 * secure_getenv(): a setuid/setgid/capability program always gets the default.
 */
const char *wdp_socket_path(void);

/*
 * wdp_client_connect - connect a SOCK_SEQPACKET|SOCK_CLOEXEC socket to
 * @path (NULL: wdp_socket_path()). Returns the socket or -errno
 * (-ENOENT / -ECONNREFUSED when no broker runs; -ENAMETOOLONG).
 */
int wdp_client_connect(const char *path);

/*
 * wdp_client_request_queue - ask for a queue and wait for the answer.
 * On grant: returns 0, *@fd is the queue fd (O_CLOEXEC, caller owns it) and
 * @grant describes the lease. On refusal: returns wdp_reason_errno() and
 * fills @refusal if not NULL. Protocol or transport failure: -EBADMSG,
 * -ECONNRESET, -EPIPE... (@refusal->reason is then WDP_REASON_NONE).
 * Revocation notices that arrive meanwhile are skipped.
 */
int wdp_client_request_queue(int sock, const struct wdp_queue_req *req,
			     struct wdp_lease *grant, int *fd,
			     struct wdp_refusal *refusal);

/* Release a lease held on this connection. 0, or as above. */
int wdp_client_release(int sock, uint64_t lease, struct wdp_refusal *refusal);

/*
 * List the leases of this connection: on success *@leases is a malloc'd
 * array of *@count entries (free() it; NULL when 0).
 */
int wdp_client_list(int sock, struct wdp_lease **leases, size_t *count,
		    struct wdp_refusal *refusal);

/*
 * wdp_client_report - send @n (1..WDP_COUNTERS_MAX) counters, each the
 * amount to add since the last report, and wait for the broker's answer.
 * Returns 0 with @counted filled (may be NULL), or as
 * wdp_client_request_queue(): a broker older than version 3 refuses with
 * reason "version" (-EPROTONOSUPPORT) and then closes the connection.
 */
int wdp_client_report(int sock, const struct wdp_counter *v, uint32_t n,
		      struct wdp_counted *counted, struct wdp_refusal *refusal);

#ifdef __cplusplus
}
#endif

#endif /* WD_COMMON_WDPROTO_H */
