/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.h - the broker policy: who may have how many queues, of what, where. */
#ifndef WDBROKERD_POLICY_H
#define WDBROKERD_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#include "wdproto.h"

enum placement {
	PLACE_UNSET = 0,
	PLACE_NEAREST,
	PLACE_SPREAD,
	PLACE_STRICT_NODE,
};

enum section_kind {
	SEC_GLOBAL,
	SEC_USER,
	SEC_GROUP,
	SEC_UNIT,
	SEC_SLICE,
	SEC_CGROUP,
};

#define QUOTA_UNLIMITED (-1LL)

struct policy_section {
	enum section_kind kind;
	char *name;		/* NULL for [global]; user/group name or number, unit,
				 * slice, cgroup path pattern */
	bool has_max;
	long long max_queues;	/* QUOTA_UNLIMITED or >= 0 */
	char **algorithms;	/* NULL: not set; else patterns */
	char **devices;		/* NULL: not set; else patterns */
	enum placement placement;
	char *file;		/* file that last set a key of it */
	unsigned used;		/* leases counted against this section */
};

struct policy {
	struct policy_section **v;
	unsigned n;
	struct policy_section *global;	/* always present */
};

/* Who is asking (built once per connection). */
struct identity {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t *groups;		/* primary + supplementary */
	int n_groups;
	char *user;		/* name, or the uid in decimal */
	char **group_names;	/* parallel to groups (name or number) */
	char *unit;		/* systemd unit, NULL if none */
	char *cgroup;		/* cgroup path ("/machine.slice/x.scope"), NULL if unknown */
};

void identity_clear(struct identity *id);

/* A built-in policy: everything allowed, unlimited, nearest. */
int policy_new_default(struct policy **out);

/*
 * Load DIR/policy.conf (optional) then DIR/policy.d/ *.conf in name order.
 * On error, returns a negative errno and *@error = "FILE:LINE: why" (malloc'd).
 */
int policy_load_dir(const char *dir, struct policy **out, char **error);

/* Parse one file into @p (used by policy_load_dir and the fuzzer). */
int policy_parse_file(struct policy *p, const char *path, char **error);
/* Parse an in-memory buffer (fuzzer); @name is used in error messages. */
int policy_parse_string(struct policy *p, const char *name, const char *text, char **error);

struct policy *policy_free(struct policy *p);

/* Find or create a section ("global", "user:alice"...); -EINVAL if bad. */
int policy_section_get(struct policy *p, const char *spec, bool create,
		       struct policy_section **out);
/* "[user:alice]" style label of a section, static buffer per call site. */
const char *policy_section_label(const struct policy_section *s, char *buf, size_t size);

/*
 * Sections that apply to @id, global first. Returns the count, fills @out
 * (caller frees) or -ENOMEM.
 */
int policy_match(const struct policy *p, const struct identity *id,
		 struct policy_section ***out);

/* Does every section in @m allow @alg / @device? */
/*
 * Does every section in @m allow each algorithm of @a? If not, *@refused is
 * the first algorithm refused and *@deny the section refusing it.
 */
bool policy_algs_allowed(struct policy_section **m, int n, const struct wdp_algs *a,
			 struct policy_section **deny, const char **refused);
bool policy_alg_allowed(struct policy_section **m, int n, const char *alg,
			struct policy_section **deny);
bool policy_device_allowed(struct policy_section **m, int n, const char *device);

/*
 * The first section in @m whose quota is full, or NULL. @extra is the number
 * of queues about to be added.
 */
struct policy_section *policy_quota_full(struct policy_section **m, int n, unsigned extra);

/*
 * The placement mode for @m, from the most specific section that sets one:
 * cgroup (the deeper pattern first) > unit > slice (the inner one first) >
 * user > group > global; between equals, the section read last. Nearest if
 * none sets it.
 */
enum placement policy_placement(struct policy_section **m, int n);

const char *placement_name(enum placement p);

/* Refusal reason for a full section. */
enum wdp_reason policy_quota_reason(const struct policy_section *s);

/* Human sentence for a full quota: "quota of 4 queues for user alice reached". */
void policy_quota_text(const struct policy_section *s, char *buf, size_t size);

#endif
