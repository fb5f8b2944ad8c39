// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-policy: the policy parser (good and bad files, with the
 * FILE:LINE of each error), policy.d ordering, section matching, quotas and
 * placement precedence, and `wdbrokerd --check-policy`.
 */
#include "policy.h"
#include "test-broker-lib.h"

static struct policy *parse(const char *text, char **err)
{
	struct policy *p;

	*err = NULL;
	if (policy_new_default(&p) < 0)
		bail_out("oom");
	if (policy_parse_string(p, "test.conf", text, err) < 0)
		return policy_free(p);
	return p;
}

struct bad {
	const char *text;
	const char *want;	/* substring of the error */
};

static const struct bad bad_files[] = {
	{ "[global]\nmax_queues = lots\n", "test.conf:2: max_queues = \"lots\"" },
	{ "[global]\nmax_queues = -3\n", "test.conf:2: max_queues" },
	{ "[global]\nmax_queues = 99999999999\n", "test.conf:2: max_queues" },
	{ "[global]\n\n# c\nplacement = closest\n", "test.conf:4: placement = \"closest\"" },
	{ "[global]\ncolour = blue\n", "test.conf:2: unknown key \"colour\"" },
	{ "[usr:alice]\nmax_queues = 1\n", "test.conf:1: unknown section [usr:alice]" },
	{ "[user:]\nmax_queues = 1\n", "test.conf:1: section [user:]: the name after \"user:\" must be" },
	{ "[user:a b]\nmax_queues = 1\n", "test.conf:1: section [user:a b]: the name" },
	/* A header is checked even when no key follows it (inih never reports it). */
	{ "[planet:mars]\n", "test.conf:1: unknown section [planet:mars]" },
	{ "[global]\nmax_queues = 1\n\n[planet:mars]\n# nothing here\n", "test.conf:4: unknown section [planet:mars]" },
	{ "[global]\n[group:a/b]\n[user:alice]\nmax_queues = 1\n", "test.conf:2: section [group:a/b]" },
	{ "[]\n", "test.conf:1: unknown section []" },
	{ "[global]\n[user:alice\n", "test.conf:2: section header \"[user:alice\" has no closing ']'" },
	{ "[global]\n[user:alice ;]\n", "test.conf:2: section header \"[user:alice ;]\" has no closing" },
	{ "[global]x\nmax_queues = 1\n", "test.conf:1: text \"x\" after the section header" },
	/* inih cuts section names at 49 characters: the full name must count. */
	{ "[unit:a-unit-name-well-beyond-the-forty-nine-characters-inih-keeps.service]\n"
	  "[unit:a-unit-name-well-beyond-the-forty-nine-characters-inih-keeps.service/x]\n",
	  "test.conf:2: section [unit:a-unit-name-well-beyond-the-forty-nine-characters-inih-keeps.service/x]" },
	{ "[global]\nalgorithms = zlib\n# a comment longer than a line may be: "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx gzip\n",
	  "test.conf:3: line longer than 198 characters" },
	{ "max_queues = 1\n", "test.conf:1: key \"max_queues\" outside of any section" },
	{ "[global]\nalgorithms = zlib, gz/ip\n", "test.conf:2: algorithms: \"gz/ip\"" },
	{ "[global]\ndevices =\n", "test.conf:2: devices: empty list" },
	{ "[global]\nthis line has no equals\n", "test.conf:2: syntax error" },
	{ "[global\nmax_queues = 1\n", "test.conf:1: section header \"[global\" has no closing ']'" },
	{ "[global]\nmax_queues = 4\n[unit:x.service]\nmax_queues = 1\nplacement = near\n",
	  "test.conf:5: placement" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		char *err;
		struct policy *p = parse(bad_files[i].text, &err);

		ok(!p && err && strstr(err, bad_files[i].want), "bad file %zu refused: %s", i,
		   bad_files[i].want);
		if (!err || !strstr(err, bad_files[i].want))
			diag("  got: %s", err ? err : "(no error)");
		free(err);
		policy_free(p);
	}
}

static void test_good(void)
{
	struct identity alice = { .uid = 1000, .gid = 1000, .pid = 1 };
	struct identity bob = { .uid = 1001, .gid = 100, .pid = 1 };
	gid_t ag[] = { 1000, 27 }, bg[] = { 100 };
	char *an[] = { "alice", "batch" }, *bn[] = { "users" };
	struct policy_section **m, *deny = NULL, *full;
	struct policy *p;
	char *err, text[256];
	int n;

	alice.groups = ag; alice.n_groups = 2; alice.group_names = an; alice.user = "alice";
	alice.unit = "nginx.service";
	bob.groups = bg; bob.n_groups = 1; bob.group_names = bn; bob.user = "bob";

	p = parse("# comment\n; comment\n"
		  "[global]\nmax_queues = 10\nalgorithms = zlib, gzip, sha*\ndevices = *\n"
		  "placement = nearest\n"
		  "[user:alice]\nmax_queues = 4\n"
		  "[group:27]\nmax_queues = 2\nplacement = spread\n"
		  "[unit:nginx.service]\nalgorithms = zlib,\n  gzip\nplacement = strict-node\n"
		  "[user:1001]\nmax_queues = unlimited\ndevices = wdsoft-*\n", &err);
	ok(p != NULL, "a good file parses");
	if (!p) {
		diag("error: %s", err);
		free(err);
		return;
	}
	is(p->n, 5, "five sections");
	is(p->global->max_queues, 10, "[global] max_queues");

	n = policy_match(p, &alice, &m);
	is(n, 4, "alice matches global, user, group 27 and her unit");
	ok(policy_alg_allowed(m, n, "gzip", NULL), "gzip allowed (continuation line)");
	ok(!policy_alg_allowed(m, n, "sha256", &deny) && deny->kind == SEC_UNIT,
	   "sha256 refused by the unit section although global allows sha*");
	{
		struct wdp_algs set;
		const char *refused = NULL;

		wdp_algs_parse("gzip,sha256", &set, NULL, 0);
		deny = NULL;
		ok(!policy_algs_allowed(m, n, &set, &deny, &refused) && refused &&
		   !strcmp(refused, "sha256") && deny && deny->kind == SEC_UNIT,
		   "the set gzip,sha256 is refused, naming sha256 and the unit section");
		wdp_algs_parse("gzip", &set, NULL, 0);
		ok(policy_algs_allowed(m, n, &set, NULL, NULL), "the set of gzip alone is allowed");
	}
	is(policy_placement(m, n), PLACE_STRICT_NODE, "unit placement wins over group and global");
	ok(policy_quota_full(m, n, 1) == NULL, "no quota full yet");
	for (int i = 0; i < n; i++)
		m[i]->used++;
	ok(policy_quota_full(m, n, 1) == NULL, "one lease: fine");
	for (int i = 0; i < n; i++)
		m[i]->used++;
	full = policy_quota_full(m, n, 1);
	ok(full && full->kind == SEC_GROUP, "two leases: group 27 (max 2) is full");
	if (full) {
		policy_quota_text(full, text, sizeof(text));
		is_str(text, "quota of 2 queues for group 27 reached", "quota sentence");
		is(policy_quota_reason(full), WDP_REASON_QUOTA_GROUP, "group quota reason");
	}
	free(m);

	n = policy_match(p, &bob, &m);
	is(n, 2, "bob (uid 1001) matches global and [user:1001]");
	ok(policy_device_allowed(m, n, "wdsoft-3") && !policy_device_allowed(m, n, "hisi_zip-0"),
	   "device patterns apply");
	ok(!policy_alg_allowed(m, n, "lz4", &deny) && deny->kind == SEC_GLOBAL,
	   "global algorithm list applies to everyone");
	is(policy_placement(m, n), PLACE_NEAREST, "global placement");
	free(m);
	policy_free(p);

	p = parse("[global]\nmax_queues = 0\n", &err);
	n = policy_match(p, &bob, &m);
	full = policy_quota_full(m, n, 1);
	ok(full == p->global, "max_queues = 0 forbids");
	policy_quota_text(full, text, sizeof(text));
	is_str(text, "broker-wide limit of 0 queues reached", "global limit sentence");
	free(m);
	policy_free(p);
}

/* Headers without keys, names inih would cut short, a BOM. */
static void test_headers(void)
{
	static const char long_unit[] =
		"a-unit-name-well-beyond-the-forty-nine-characters-inih-keeps.service";
	struct identity id = { .uid = 1000, .gid = 1000, .pid = 1, .user = "alice" };
	struct policy_section **m, *s;
	struct policy *p;
	char *err, text[512];
	int n;

	p = parse("[global]\nmax_queues = 3\n[user:alice]\n\n[group:27]\n# placeholder\n", &err);
	ok(p && p->n == 3, "known sections without keys are accepted");
	if (p) {
		n = policy_match(p, &id, &m);
		is(n, 2, "alice matches global and her empty section");
		ok(n == 2 && m[1]->kind == SEC_USER && m[1]->max_queues == QUOTA_UNLIMITED &&
		   !m[1]->algorithms && !m[1]->devices && m[1]->placement == PLACE_UNSET,
		   "an empty section sets no limit");
		ok(n == 2 && m[1]->file && !strcmp(m[1]->file, "test.conf"),
		   "an empty section still records its file");
		free(m);
	}
	free(err);
	policy_free(p);

	snprintf(text, sizeof(text), "[unit:%s]\nmax_queues = 1\n", long_unit);
	p = parse(text, &err);
	ok(p && policy_section_get(p, text + 1, false, &s) < 0 &&
	   policy_section_get(p, "unit:a-unit-name-well-beyond-the-forty-nine-characters-inih-keeps.service",
			      false, &s) == 0 && s->max_queues == 1,
	   "a section name longer than inih's 49 characters is kept whole");
	if (p) {
		id.unit = (char *)long_unit;
		n = policy_match(p, &id, &m);
		ok(n == 2 && policy_quota_full(m, n, 2) == m[1], "and its quota applies to that unit");
		free(m);
		id.unit = NULL;
	} else {
		skip(1, "no policy: %s", err ? err : "?");
	}
	free(err);
	policy_free(p);

	p = parse("\xef\xbb\xbf[global]\nmax_queues = 2\n", &err);
	ok(p && p->global->max_queues == 2, "a UTF-8 BOM before the first header is skipped");
	free(err);
	policy_free(p);

	p = parse("[global]\nalgorithms = zlib,\n  [gz]ip\n  ; c\n\n  crc32c\n[user:bob]\n", &err);
	ok(p && p->global->algorithms && p->global->algorithms[2] && !p->global->algorithms[3],
	   "an indented line after a key continues its value, even one starting with '['");
	free(err);
	policy_free(p);
}

/* A broken policy.d file fails to load and --check-policy says FILE:LINE: why. */
static void refused_in_dir(const char *dir, const char *text, const char *want, const char *what)
{
	struct policy *p = NULL;
	char f[400], cmd[1200], *err = NULL;
	int r;

	snprintf(f, sizeof(f), "%s/policy.d/60-broken.conf", dir);
	tb_write(f, "%s", text);
	r = policy_load_dir(dir, &p, &err);
	ok(r < 0 && !p && err && strstr(err, want), "%s in policy.d is refused: %s", what, want);
	diag("error: %s", err ? err : "(none)");
	free(err);
	policy_free(p);
	snprintf(cmd, sizeof(cmd), "%s --check-policy %s 2>&1 | grep -qF '%s'", tb_broker_path(), dir,
		 want);
	is(system(cmd), 0, "--check-policy prints it as FILE:LINE: why");
	snprintf(cmd, sizeof(cmd), "%s --check-policy %s >/dev/null 2>&1", tb_broker_path(), dir);
	ok(system(cmd) != 0, "--check-policy exits non-zero");
}

static void test_dir(void)
{
	struct fake_tree t;
	struct policy *p = NULL;
	struct policy_section *s;
	char dir[300], f[400], *err = NULL, cmd[900];
	int r;

	tb_init(&t);
	snprintf(dir, sizeof(dir), "%s/policy", t.root);
	r = policy_load_dir(dir, &p, &err);
	ok(r == 0 && p && p->n == 1 && p->global->max_queues == QUOTA_UNLIMITED,
	   "no policy.conf: built-in default (unlimited)");
	policy_free(p);

	tb_policy(&t, "[global]\nmax_queues = 8\n[user:alice]\nmax_queues = 4\nalgorithms = zlib\n");
	snprintf(f, sizeof(f), "%s/policy.d/50-alice.conf", dir);
	tb_write(f, "[user:alice]\nmax_queues = 2\n");
	snprintf(f, sizeof(f), "%s/policy.d/10-first.conf", dir);
	tb_write(f, "[user:alice]\nmax_queues = 3\n");
	snprintf(f, sizeof(f), "%s/policy.d/README", dir);
	tb_write(f, "not a conf file [[[\n");
	r = policy_load_dir(dir, &p, &err);
	ok(r == 0 && p, "policy.conf + policy.d load");
	if (p && policy_section_get(p, "user:alice", false, &s) == 0) {
		is(s->max_queues, 2, "policy.d files apply in name order, later keys replace");
		ok(s->algorithms && !strcmp(s->algorithms[0], "zlib"),
		   "keys a later file does not set are kept");
	} else {
		ok(0, "user:alice section present");
		skip(1, "no section");
	}
	policy_free(p);
	p = NULL;

	snprintf(cmd, sizeof(cmd), "%s --check-policy %s >/dev/null 2>&1", tb_broker_path(), dir);
	is(system(cmd), 0, "--check-policy accepts the directory");

	refused_in_dir(dir, "[global]\n\nmax_queues = several\n", "60-broken.conf:3: max_queues",
		       "a bad value");
	refused_in_dir(dir, "[global]\nmax_queues = 4\n\n[planet:mars]\n",
		       "60-broken.conf:4: unknown section [planet:mars]", "an empty unknown section");
	tb_cleanup(&t);
}

int main(void)
{
	test_bad();
	test_good();
	test_headers();
	test_dir();
	return exit_status();
}
