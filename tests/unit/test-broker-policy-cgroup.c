// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-policy-cgroup: the per-container policy sections. [slice:X]
 * matches any process whose cgroup lies under the slice, however deep;
 * [cgroup:PATTERN] matches a cgroup or any cgroup above it, a '*' staying
 * within one component. Bad names are refused with a reason; each section
 * keeps a quota of its own; placement comes from the most specific section.
 */
#include "policy.h"
#include "test-policy-parse.h"
#include "test-broker-lib.h"
#include "cleanup.h"

static const struct tp_bad bad_files[] = {
	{ "[slice:machine]\n", "test.conf:1: section [slice:machine]: a slice name ends in \".slice\"" },
	{ "[slice:.slice]\n", "a slice name ends in \".slice\"" },
	{ "[slice:-.slice]\n", "-.slice is the root of every cgroup: use [global]" },
	{ "[slice:machine-.slice]\n", "no leading, trailing or doubled '-'" },
	{ "[slice:a--b.slice]\n", "no leading, trailing or doubled '-'" },
	{ "[slice:ma*.slice]\n", "a slice name holds only letters, digits" },
	{ "[slice:a/b.slice]\n", "a slice name holds only" },
	{ "[cgroup:machine.slice]\n", "test.conf:1: section [cgroup:machine.slice]: a cgroup pattern is an absolute path" },
	{ "[cgroup:/]\n", "/ is the root of every cgroup: use [global]" },
	{ "[cgroup:/machine.slice/]\n", "no empty component" },
	{ "[cgroup://machine.slice]\n", "no empty component" },
	{ "[cgroup:/machine.slice/../x]\n", "no \".\" or \"..\" component" },
	{ "[cgroup:/a/./b]\n", "no \".\" or \"..\" component" },
	{ "[cgroup:/a\\*]\n", "no blanks, brackets or backslashes; use * and ?" },
	{ "[global]\n\n[cgroup:/machine.slice/libpod-[0-9]*.scope]\n",
	  "test.conf:3: section header \"[cgroup:/machine.slice/libpod-[0-9]*.scope]\" holds a '['" },
	{ "[container:foo]\n", "expected [global], [user:NAME], [group:NAME], [unit:NAME], [slice:NAME.slice] or [cgroup:/PATH-PATTERN]" },
};

static void test_bad(void)
{
	tp_check_bad(bad_files, ARRAY_SIZE(bad_files));
}

/* Does section @spec of @p match a process in cgroup @cg? */
static bool matches(struct policy *p, const char *spec, const char *cg)
{
	struct identity id = { .uid = 1000, .gid = 1000, .user = "alice", .cgroup = (char *)cg };
	struct policy_section **m, *s;
	bool found = false;
	int n;

	if (policy_section_get(p, spec, false, &s) < 0)
		bail_out("no section %s", spec);
	n = policy_match(p, &id, &m);
	if (n < 0)
		bail_out("oom");
	for (int i = 0; i < n; i++)
		found |= m[i] == s;
	free(m);
	return found;
}

static void test_match(void)
{
	static const struct {
		const char *spec, *cgroup;
		bool want;
	} rows[] = {
		{ "slice:machine.slice", "/machine.slice/libpod-0123abcd.scope/container", true },
		{ "slice:machine.slice", "/machine.slice/machine-web.scope/payload", true },
		{ "slice:machine.slice", "/machine.slice", true },
		{ "slice:machine.slice", "/system.slice/machine.slice.service", false },
		{ "slice:machine.slice", "/user.slice/user-1000.slice/machine.slicex", false },
		{ "slice:machine.slice", "/system.slice/wdbrokerd.service", false },
		{ "slice:machine.slice", NULL, false },
		{ "slice:user-1000.slice", "/user.slice/user-1000.slice/session-2.scope", true },
		{ "slice:user.slice", "/user.slice/user-1000.slice/session-2.scope", true },
		{ "slice:batch-night.slice", "/batch.slice/batch-night.slice/job.service", true },
		{ "slice:batch-night.slice", "/batch.slice/job.service", false },
		{ "cgroup:/machine.slice/libpod-*.scope", "/machine.slice/libpod-0123abcd.scope/container", true },
		{ "cgroup:/machine.slice/libpod-*.scope", "/machine.slice/libpod-0123abcd.scope", true },
		{ "cgroup:/machine.slice/libpod-*.scope", "/machine.slice/machine-web.scope", false },
		{ "cgroup:/machine.slice/libpod-*.scope", "/machine.slice", false },
		{ "cgroup:/machine.slice/libpod-*.scope", "/user.slice/machine.slice/libpod-1.scope", false },
		/* FNM_PATHNAME: one '*' is one component, never several */
		{ "cgroup:/machine.slice/*", "/machine.slice/a.scope/b", true },
		{ "cgroup:/*/libpod-*.scope", "/machine.slice/libpod-9.scope", true },
		{ "cgroup:/*/libpod-*.scope", "/user.slice/u.slice/libpod-9.scope", false },
		{ "cgroup:/machine.slice/libpod-?.scope", "/machine.slice/libpod-9.scope", true },
		{ "cgroup:/machine.slice/libpod-?.scope", "/machine.slice/libpod-99.scope", false },
		{ "cgroup:/machine.slice/libpod-*.scope", NULL, false },
	};
	char *err;
	struct policy *p = tp_parse("[slice:machine.slice]\n[slice:user-1000.slice]\n[slice:user.slice]\n"
				 "[slice:batch-night.slice]\n"
				 "[cgroup:/machine.slice/libpod-*.scope]\n[cgroup:/machine.slice/*]\n"
				 "[cgroup:/*/libpod-*.scope]\n[cgroup:/machine.slice/libpod-?.scope]\n",
				 &err);

	ok(p != NULL, "slice and cgroup sections parse");
	if (!p) {
		diag("error: %s", err);
		free(err);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		ok(matches(p, rows[i].spec, rows[i].cgroup) == rows[i].want, "[%s] %s %s",
		   rows[i].spec, rows[i].want ? "matches" : "does not match",
		   rows[i].cgroup ? rows[i].cgroup : "an unknown cgroup");
	policy_free(p);
}

/*
 * Every container under machine.slice shares the slice's quota; one
 * container has a quota and an algorithm list of its own on top; the host
 * user's own quota is a separate count.
 */
static void test_quota(void)
{
	struct identity web = { .uid = 1000, .user = "alice",
				.cgroup = "/machine.slice/libpod-aaaa.scope/container" };
	struct identity db = { .uid = 1000, .user = "alice",
			       .cgroup = "/machine.slice/libpod-bbbb.scope/container" };
	struct identity host = { .uid = 1000, .user = "alice",
				 .cgroup = "/user.slice/user-1000.slice/session-1.scope" };
	struct policy_section **mw, **md, **mh, *full, *deny;
	int nw, nd, nh;
	char *err, text[256];
	struct policy *p = tp_parse("[global]\nplacement = nearest\n"
				 "[user:alice]\nmax_queues = 1\n"
				 "[slice:machine.slice]\nmax_queues = 3\nplacement = spread\n"
				 "[cgroup:/machine.slice/libpod-aaaa.scope]\nmax_queues = 1\n"
				 "algorithms = crc32c\nplacement = strict-node\n", &err);

	ok(p != NULL, "a container policy parses");
	if (!p) {
		diag("error: %s", err);
		free(err);
		return;
	}
	nw = policy_match(p, &web, &mw);
	nd = policy_match(p, &db, &md);
	nh = policy_match(p, &host, &mh);
	is(nw, 4, "web matches global, user, slice and its own cgroup section");
	is(nd, 3, "db matches global, user and slice");
	is(nh, 2, "the host session matches global and user");
	is(policy_placement(mw, nw), PLACE_STRICT_NODE, "the cgroup section's placement wins");
	is(policy_placement(md, nd), PLACE_SPREAD, "the slice's placement wins over global");
	is(policy_placement(mh, nh), PLACE_NEAREST, "the host keeps global placement");
	ok(!policy_alg_allowed(mw, nw, "deflate", &deny) && deny->kind == SEC_CGROUP,
	   "web may not use deflate: its own algorithm list");
	ok(policy_alg_allowed(md, nd, "deflate", NULL), "db may");

	/* [user:alice] would stop the containers too: here it applies to all. */
	(void)policy_section_get(p, "user:alice", false, &full);
	full->max_queues = QUOTA_UNLIMITED;

	for (int i = 0; i < nw; i++)
		mw[i]->used++;
	full = policy_quota_full(mw, nw, 1);
	ok(full && full->kind == SEC_CGROUP, "web's second queue: its own quota of 1 is full");
	if (full) {
		policy_quota_text(full, text, sizeof(text));
		is_str(text, "quota of 1 queues for cgroup /machine.slice/libpod-aaaa.scope reached",
		       "the sentence names the cgroup section");
		is(policy_quota_reason(full), WDP_REASON_QUOTA_UNIT, "refused as a unit quota");
	}
	ok(policy_quota_full(md, nd, 2) == NULL, "db may take two more (slice: 1 of 3 used)");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < nd; i++)
			md[i]->used++;
	full = policy_quota_full(md, nd, 1);
	ok(full && full->kind == SEC_SLICE, "then the slice's shared quota of 3 is full");
	if (full) {
		policy_quota_text(full, text, sizeof(text));
		is_str(text, "quota of 3 queues for slice machine.slice reached", "slice sentence");
	}
	ok(policy_quota_full(mh, nh, 1) == NULL, "the host user is not charged for the containers");
	free(mw);
	free(md);
	free(mh);
	policy_free(p);
}

/* Equals: a deeper pattern or inner slice wins; then the one read last. */
static void test_order(void)
{
	struct identity id = { .uid = 0, .user = "root",
			       .cgroup = "/batch.slice/batch-night.slice/libpod-1.scope/container" };
	struct policy_section **m;
	char *err;
	int n;
	struct policy *p = tp_parse("[cgroup:/batch.slice/batch-night.slice/libpod-1.scope]\nplacement = spread\n"
				 "[cgroup:/batch.slice/*]\nplacement = strict-node\n"
				 "[slice:batch-night.slice]\nplacement = nearest\n"
				 "[slice:batch.slice]\nplacement = strict-node\n", &err);

	if (!p)
		bail_out("%s", err);
	n = policy_match(p, &id, &m);
	is(n, 5, "all four sections and global match");
	is(policy_placement(m, n), PLACE_SPREAD, "the deepest cgroup pattern wins");
	m[1]->placement = PLACE_UNSET;
	is(policy_placement(m, n), PLACE_STRICT_NODE, "then the other cgroup pattern");
	m[2]->placement = PLACE_UNSET;
	is(policy_placement(m, n), PLACE_NEAREST, "then the inner slice, though read first");
	free(m);
	policy_free(p);

	p = tp_parse("[cgroup:/a/*]\nplacement = spread\n[cgroup:/*/b]\nplacement = strict-node\n", &err);
	if (!p)
		bail_out("%s", err);
	id.cgroup = "/a/b";
	n = policy_match(p, &id, &m);
	is(policy_placement(m, n), PLACE_STRICT_NODE, "equally deep patterns: the one read last wins");
	free(m);
	policy_free(p);
}

int main(void)
{
	test_bad();
	test_match();
	test_quota();
	test_order();
	return exit_status();
}
