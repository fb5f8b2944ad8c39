// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-policy: the policy parser (good and bad files, with the
 * FILE:LINE of each error), policy.d ordering, section matching, quotas and
 * placement precedence, `wdbrokerd --check-policy`, and the refusal of
 * policy files and directories someone other than root could have written
 * (symbolic links, group- or world-writable, another owner).
 */
#include "policy.h"
#include "test-policy-parse.h"
#include "test-broker-lib.h"

static const struct tp_bad bad_files[] = {
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
	tp_check_bad(bad_files, sizeof(bad_files) / sizeof(bad_files[0]));
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

	p = tp_parse("# comment\n; comment\n"
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

	p = tp_parse("[global]\nmax_queues = 0\n", &err);
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

	p = tp_parse("[global]\nmax_queues = 3\n[user:alice]\n\n[group:27]\n# placeholder\n", &err);
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
	p = tp_parse(text, &err);
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

	p = tp_parse("\xef\xbb\xbf[global]\nmax_queues = 2\n", &err);
	ok(p && p->global->max_queues == 2, "a UTF-8 BOM before the first header is skipped");
	free(err);
	policy_free(p);

	p = tp_parse("[global]\nalgorithms = zlib,\n  [gz]ip\n  ; c\n\n  crc32c\n[user:bob]\n", &err);
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

/* Run @tmpl with each @ replaced by @dir; its exit status. */
static int run_in(const char *tmpl, const char *dir)
{
	char cmd[2000];
	size_t n = 0;

	for (const char *t = tmpl; *t; t++) {
		if (n >= sizeof(cmd) - 300)
			bail_out("command too long: %s", tmpl);
		if (*t == '@')
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s", dir);
		else
			cmd[n++] = *t;
	}
	cmd[n] = 0;
	return system(cmd);
}

/* One thing in the policy directory @ that someone but root could have written. */
struct untrusted {
	const char *what;
	const char *setup;	/* shell; @ is the policy directory */
	const char *undo;
	const char *want;	/* in the error, after the directory */
	bool root_only;		/* needs chown */
};

static const struct untrusted untrusted_cases[] = {
	{ "a symbolic link in policy.d", "ln -s @/elsewhere.conf @/policy.d/60-link.conf",
	  "rm @/policy.d/60-link.conf", "/policy.d/60-link.conf: refusing it: a symbolic link", false },
	{ "policy.conf as a symbolic link", "mv @/policy.conf @/real.conf && ln -s real.conf @/policy.conf",
	  "mv @/real.conf @/policy.conf", "/policy.conf: refusing it: a symbolic link", false },
	{ "a world-writable file", "chmod 0666 @/policy.d/50-ok.conf",
	  "chmod 0644 @/policy.d/50-ok.conf",
	  "/policy.d/50-ok.conf: refusing it: writable by everyone (mode 0666); chmod go-w", false },
	{ "a group-writable policy.conf", "chmod 0664 @/policy.conf", "chmod 0644 @/policy.conf",
	  "/policy.conf: refusing it: writable by its group (mode 0664)", false },
	{ "a world-writable policy.d", "chmod 0777 @/policy.d", "chmod 0755 @/policy.d",
	  "/policy.d: refusing it: writable by everyone (mode 0777)", false },
	{ "a world-writable policy directory, sticky or not", "chmod 1777 @", "chmod 0755 @",
	  ": refusing it: writable by everyone (mode 1777)", false },
	{ "policy.d as a symbolic link", "mv @/policy.d @/d && ln -s d @/policy.d",
	  "rm @/policy.d && mv @/d @/policy.d", "/policy.d: refusing it: a symbolic link", false },
	/* A FIFO would block a plain open() for ever. */
	{ "a FIFO in policy.d", "mkfifo @/policy.d/70-fifo.conf", "rm @/policy.d/70-fifo.conf",
	  "/policy.d/70-fifo.conf: refusing it: not a regular file", false },
	{ "a directory named *.conf in policy.d", "mkdir @/policy.d/80-dir.conf",
	  "rmdir @/policy.d/80-dir.conf", "/policy.d/80-dir.conf: refusing it: not a regular file", false },
	{ "a file owned by another user", "chown 65534 @/policy.d/50-ok.conf",
	  "chown 0 @/policy.d/50-ok.conf",
	  "/policy.d/50-ok.conf: refusing it: owned by uid 65534, not root; chown root", true },
	{ "policy.d owned by another user", "chown 65534 @/policy.d", "chown 0 @/policy.d",
	  "/policy.d: refusing it: owned by uid 65534", true },
};

/*
 * Load @dir after @u's setup made one thing in it untrustworthy: refused
 * with the path and the reason in the error and from --check-policy, and
 * loaded again once its undo put it right.
 */
static void untrusted(const char *dir, const struct untrusted *u)
{
	struct policy *p = NULL;
	char cmd[2000], want[800], *err = NULL;
	int r;

	snprintf(want, sizeof(want), "%s%s", dir, u->want);
	if (run_in(u->setup, dir) != 0)
		bail_out("cannot set up %s: %s", u->what, u->setup);
	r = policy_load_dir(dir, &p, &err);
	ok(r < 0 && !p && err && strstr(err, want), "%s is refused: %s", u->what, want);
	diag("error: %s", err ? err : "(none)");
	free(err);
	policy_free(p);
	snprintf(cmd, sizeof(cmd), "%s --check-policy %s 2>&1 | grep -qF -- '%s'", tb_broker_path(),
		 dir, want);
	is(system(cmd), 0, "--check-policy says so");
	if (run_in(u->undo, dir) != 0)
		bail_out("cannot undo %s: %s", u->what, u->undo);
	p = NULL;
	err = NULL;
	r = policy_load_dir(dir, &p, &err);
	ok(r == 0 && p, "put right, the directory loads again (%s)", err ? err : "ok");
	free(err);
	policy_free(p);
}

/* Files and directories anyone but root could have written are refused. */
static void test_trust(void)
{
	struct fake_tree t;
	struct policy *p = NULL;
	struct policy_section *s;
	char dir[300], f[400], *err = NULL;
	int r;

	tb_init(&t);
	snprintf(dir, sizeof(dir), "%s/policy", t.root);
	tb_policy(&t, "[global]\nmax_queues = 8\n");
	snprintf(f, sizeof(f), "%s/policy.d/50-ok.conf", dir);
	tb_write(f, "[user:alice]\nmax_queues = 2\n");
	/* Neither policy.conf nor in policy.d: never read, but a link target. */
	snprintf(f, sizeof(f), "%s/elsewhere.conf", dir);
	tb_write(f, "[user:alice]\nmax_queues = unlimited\n");
	r = policy_load_dir(dir, &p, &err);
	ok(r == 0 && p && policy_section_get(p, "user:alice", false, &s) == 0 && s->max_queues == 2,
	   "a root-owned directory of 0644 files loads (%s)", err ? err : "ok");
	free(err);
	policy_free(p);
	for (size_t i = 0; i < sizeof(untrusted_cases) / sizeof(untrusted_cases[0]); i++) {
		if (untrusted_cases[i].root_only && geteuid() != 0)
			skip(3, "only root can give a file to another user");
		else
			untrusted(dir, &untrusted_cases[i]);
	}
	tb_cleanup(&t);
}

int main(void)
{
	test_bad();
	test_good();
	test_headers();
	test_dir();
	test_trust();
	return exit_status();
}
