// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-warpctl-cdi: `warpctl cdi generate` writes CDI specs that follow the
 * CDI specification 0.5.0 (the version they declare): the kind's vendor
 * and class, device names, unique names, container edits that are not
 * empty, only the fields 0.5.0 defines and none that needs a later version;
 * the broker kind mounts the socket read-write and names it in
 * WD_BROKER_SOCKET; the uacce kind has one entry per device in sysfs plus
 * "all"; --output writes atomically, mode 0644; bad input gets a clear
 * error, and a spec for no devices removes the stale file.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "test-warpctl-lib.h"

static struct fake_tree t;

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Letters, digits and @extra only; first a letter (or digit), last alnum. */
static bool cdi_word(const char *s, const char *extra, bool digit_first)
{
	size_t n = strlen(s);

	if (!n || !(is_alpha(s[0]) || (digit_first && is_alnum(s[0]))) || !is_alnum(s[n - 1]))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* CDI 0.5.0: "vendor/class"; the vendor a domain-like name, the class without dots. */
static bool kind_ok(const char *kind)
{
	const char *slash = strchr(kind, '/');
	char vendor[256];

	if (!slash || slash == kind || (size_t)(slash - kind) >= sizeof(vendor))
		return false;
	snprintf(vendor, sizeof(vendor), "%.*s", (int)(slash - kind), kind);
	return cdi_word(vendor, "-_.", false) && cdi_word(slash + 1, "-_", false);
}

/* Does object @o have only keys out of @allowed (NULL-terminated)? */
static bool only_keys(struct json_object *o, const char *const *allowed, const char **bad)
{
	json_object_object_foreach(o, key, val) {
		const char *const *a;

		(void)val;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			*bad = key;
			return false;
		}
	}
	return true;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

static struct json_object *get(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

/* One containerEdits object: known fields of 0.5.0 only, each well formed. */
static bool edits_ok(struct json_object *e, const char **why)
{
	static const char *const edit_keys[] = { "env", "deviceNodes", "hooks", "mounts", NULL };
	static const char *const mount_keys[] = { "hostPath", "containerPath", "options", NULL };
	static const char *const node_keys[] = { "path", "type", "major", "minor", "fileMode",
						 "permissions", "uid", "gid", NULL };
	struct json_object *env = get(e, "env", json_type_array);
	struct json_object *mounts = get(e, "mounts", json_type_array);
	struct json_object *nodes = get(e, "deviceNodes", json_type_array);
	const char *bad = NULL;

	if (!only_keys(e, edit_keys, &bad))
		return *why = "an unknown field in containerEdits", false;
	if (!env && !mounts && !nodes)
		return *why = "empty containerEdits", false;
	for (size_t i = 0; env && i < json_object_array_length(env); i++) {
		const char *kv = json_object_get_string(json_object_array_get_idx(env, i));

		if (!kv || !strchr(kv, '=') || kv[0] == '=')
			return *why = "an env entry that is not NAME=VALUE", false;
	}
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);
		const char *h = str_of(m, "hostPath"), *c = str_of(m, "containerPath");

		/* "type" in a mount would need 0.4.0, which is fine, but we set none */
		if (!only_keys(m, mount_keys, &bad) || !h || !c || h[0] != '/' || c[0] != '/')
			return *why = "a mount without absolute hostPath and containerPath", false;
	}
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		const char *p = str_of(n, "path"), *perm = str_of(n, "permissions");

		/* hostPath in a device node is 0.5.0's own addition; unused here */
		if (!only_keys(n, node_keys, &bad) || !p || p[0] != '/' ||
		    (perm && (!*perm || strspn(perm, "rwm") != strlen(perm))))
			return *why = "a device node without an absolute path or with bad permissions",
				false;
	}
	return true;
}

/* The whole spec: top-level fields, the kind, devices. Returns the devices. */
static struct json_object *spec_ok(struct json_object *spec, const char *kind, const char **why)
{
	static const char *const top_keys[] = { "cdiVersion", "kind", "devices", "containerEdits",
						NULL };
	static const char *const dev_keys[] = { "name", "containerEdits", NULL };
	struct json_object *devs = get(spec, "devices", json_type_array);
	const char *bad = NULL;

	*why = NULL;
	if (!spec || !only_keys(spec, top_keys, &bad))
		return *why = "an unknown top-level field (annotations need 0.6.0)", NULL;
	if (!str_of(spec, "cdiVersion") || strcmp(str_of(spec, "cdiVersion"), "0.5.0"))
		return *why = "cdiVersion is not 0.5.0", NULL;
	if (!str_of(spec, "kind") || !kind_ok(str_of(spec, "kind")) ||
	    strcmp(str_of(spec, "kind"), kind))
		return *why = "kind is not a valid vendor/class or not the one asked for", NULL;
	if (!devs || json_object_array_length(devs) == 0)
		return *why = "no devices", NULL;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i), *e;
		const char *name = str_of(d, "name");

		if (!only_keys(d, dev_keys, &bad) || !name || !cdi_word(name, "-_.:", true))
			return *why = "a device name CDI refuses", NULL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name, str_of(json_object_array_get_idx(devs, j), "name")))
				return *why = "two devices of the same name", NULL;
		e = get(d, "containerEdits", json_type_object);
		if (!e)
			return *why = "a device without containerEdits", NULL;
		if (!edits_ok(e, why))
			return NULL;
	}
	return devs;
}

static struct json_object *device(struct json_object *devs, const char *name)
{
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++)
		if (!strcmp(str_of(json_object_array_get_idx(devs, i), "name"), name))
			return get(json_object_array_get_idx(devs, i), "containerEdits",
				   json_type_object);
	return NULL;
}

/* The checks themselves must refuse what CDI refuses. */
static void check_checker(void)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[]}", "no devices" },
		{ "{\"cdiVersion\":\"0.6.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "cdiVersion" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/bro.ker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "kind" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "kind" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"-a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "name" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{}}]}", "empty" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}},{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "same name" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"annotations\":{},\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}", "top-level" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"mounts\":[{\"hostPath\":\"x\",\"containerPath\":\"/x\"}]}}]}", "mount" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"warpdrive.org/broker\",\"devices\":[{\"name\":\"a\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/x\",\"permissions\":\"rx\"}]}}]}", "permissions" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *o = json_tokener_parse(bad[i].json);
		const char *why = NULL;

		ok(o && !spec_ok(o, "warpdrive.org/broker", &why) && why && strstr(why, bad[i].why),
		   "the checker refuses a spec with %s (%s)", bad[i].why, why ? why : "accepted");
		json_object_put(o);
	}
}

static void check_broker(void)
{
	struct json_object *o, *devs, *e, *m;
	const char *why = NULL;
	struct run r;

	is(wt_run(&r, "cdi", "generate"), 0, "cdi generate: exit 0 (%s)", r.err);
	o = json_tokener_parse(r.out);
	devs = spec_ok(o, "warpdrive.org/broker", &why);
	ok(devs, "the broker spec follows CDI 0.5.0 (%s)", why ? why : "ok");
	e = device(devs, "default");
	m = e ? json_object_array_get_idx(get(e, "mounts", json_type_array), 0) : NULL;
	ok(m && !strcmp(str_of(m, "hostPath"), "/run/warpdrive/broker.sock") &&
	   !strcmp(str_of(m, "containerPath"), "/run/warpdrive/broker.sock") &&
	   strstr(json_object_to_json_string(get(m, "options", json_type_array)), "\"rw\"") &&
	   strstr(json_object_to_json_string(get(m, "options", json_type_array)), "\"bind\""),
	   "broker=default bind-mounts the socket read-write at the same path");
	ok(e && !strcmp(json_object_get_string(json_object_array_get_idx(get(e, "env", json_type_array), 0)),
			"WD_BROKER_SOCKET=/run/warpdrive/broker.sock"),
	   "and sets WD_BROKER_SOCKET to it");
	ok(e && !get(e, "deviceNodes", json_type_array), "and gives no device node");
	json_object_put(o);
	run_clear(&r);
}

static void check_uacce(const char *sys, const char *dir)
{
	struct json_object *devs, *all;
	const char *why = NULL;
	char out[512];
	struct stat st;
	struct run r;

	snprintf(out, sizeof(out), "%s/warpdrive-uacce.json", dir);
	is(wt_run(&r, "--sysfs-root", sys, "cdi", "generate", "--kind", "uacce", "--output", out), 0,
	   "cdi generate --kind uacce --output FILE: exit 0 (%s)", r.err);
	run_clear(&r);
	ok(stat(out, &st) == 0 && (st.st_mode & 07777) == 0644, "FILE is there, mode 0644");
	{
		struct json_object *f = json_object_from_file(out);

		devs = spec_ok(f, "warpdrive.org/uacce", &why);
		ok(devs, "the uacce spec follows CDI 0.5.0 (%s)", why ? why : "ok");
		is(devs ? (int)json_object_array_length(devs) : -1, 3, "wdsoft-10, wdsoft-2 and all");
		ok(device(devs, "wdsoft-10") && device(devs, "wdsoft-2") &&
		   !strcmp(str_of(json_object_array_get_idx(get(device(devs, "wdsoft-2"), "deviceNodes",
								json_type_array), 0), "path"),
			   "/dev/wdsoft-2"),
		   "one entry per device in sysfs, with its node /dev/NAME");
		all = device(devs, "all");
		ok(all && json_object_array_length(get(all, "deviceNodes", json_type_array)) == 2,
		   "all holds every node");
		json_object_put(f);
	}
	{
		int n = 0;
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d)))
			n += de->d_name[0] != '.';
		if (d)
			closedir(d);
		is(n, 1, "no temporary file left beside it");
	}

	/* failure paths */
	is(wt_run(&r, "cdi", "generate", "--output", "/nonexistent-dir/x.json"), 1,
	   "an unwritable --output: exit 1");
	ok(strstr(r.err, "cannot write /nonexistent-dir/x.json"), "saying so: %s", r.err);
	run_clear(&r);
	is(wt_run(&r, "cdi", "generate", "--kind", "gpu"), 2, "--kind gpu: usage error");
	ok(strstr(r.err, "--kind takes broker or uacce, not \"gpu\""), "naming the kinds: %s", r.err);
	run_clear(&r);
	is(wt_run(&r, "cdi", "make"), 2, "cdi make: usage error");
	ok(strstr(r.err, "the only one is generate"), "naming generate: %s", r.err);
	run_clear(&r);
	is(wt_run(&r, "--output", "x", "devices"), 2, "--output with devices: usage error");
	run_clear(&r);
	tb_remove_device(&t, "wdsoft-10");
	tb_remove_device(&t, "wdsoft-2");
	is(wt_run(&r, "--sysfs-root", sys, "cdi", "generate", "--kind", "uacce", "--output", out), 1,
	   "no devices left: exit 1");
	ok(strstr(r.err, "no uacce devices") && strstr(r.err, "modprobe"), "with a hint: %s", r.err);
	ok(access(out, F_OK) < 0 && errno == ENOENT,
	   "and the stale spec is removed, so runtimes offer no device that is gone");
	run_clear(&r);
	{
		char link[sizeof(out) + 8];

		snprintf(link, sizeof(link), "%s.link", out);
		ok(symlink("/proc/self/fd/1", link) == 0, "a symlink as --output");
		is(wt_run(&r, "--sysfs-root", sys, "cdi", "generate", "--kind", "uacce", "--output",
			  link), 1, "no devices, --output a symlink: exit 1");
		ok(!strstr(r.err, "removed"), "and nothing is said to be removed: %s", r.err);
		ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode),
		   "the symlink stays: only a regular file is a stale spec");
		unlink(link);
		run_clear(&r);
	}
}

int main(void)
{
	char sys[300], dir[300];

	tb_init(&t);
	chmod(t.root, 0755);
	tb_device(&t, "wdsoft-10", "memcpy crc32c", -1, 8);
	tb_device(&t, "wdsoft-2", "sha256", 1, 3);
	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	snprintf(dir, sizeof(dir), "%s/cdi", t.root);
	if (mkdir(dir, 0755) < 0)
		bail_out("mkdir %s", dir);
	check_checker();
	check_broker();
	check_uacce(sys, dir);
	tb_cleanup(&t);
	return exit_status();
}
