// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdi.c - `warpctl cdi generate`: a Container Device Interface spec for
 * WarpDrive, which podman, containerd, CRI-O and Docker read from
 * /etc/cdi and /var/run/cdi (docs/containers.md).
 *
 * A CDI spec file has one kind, so there are two specs, one per --kind:
 *
 *   warpdrive.org/broker=default   the broker socket, read-write, at the
 *                                  same path, and WD_BROKER_SOCKET naming it
 *   warpdrive.org/broker=libwd     the same plus the host's libwd.so.1,
 *                                  read-only, for images without libwd
 *   warpdrive.org/uacce=NAME       the device node /dev/NAME (direct mode,
 *                                  for trusted containers only)
 *   warpdrive.org/uacce=all        every device node
 *
 * The uacce devices are those in sysfs when the spec is written; the unit
 * warpdrive-cdi.service writes both files again whenever a device comes or
 * goes (udev restarts it). A file is written to a temporary name and
 * renamed, so a runtime never reads half a spec; the termination signals
 * wait while the temporary file exists, so a restart that stops a running
 * generation leaves no temporary file behind.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "util.h"
#include "warpctl.h"
#include "wdproto.h"

#ifndef WD_LIBWD_PATH
#define WD_LIBWD_PATH "/usr/lib/x86_64-linux-gnu/libwd.so.1"
#endif

/* CDI 0.5.0: the newest version Debian 12's podman 4.3.1 accepts (docs/containers.md). */
#define CDI_VERSION "0.5.0"
#define CDI_VENDOR "warpdrive.org"

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/* A bind mount of @path at the same place in the container, @mode "rw" or "ro". */
static void add_mount(struct json_object *edits, const char *path, const char *mode)
{
	struct json_object *mounts, *mnt = json_object_new_object(), *opts = json_object_new_array();

	if (!json_object_object_get_ex(edits, "mounts", &mounts)) {
		mounts = json_object_new_array();
		json_object_object_add(edits, "mounts", mounts);
	}
	json_object_object_add(mnt, "hostPath", jstr(path));
	json_object_object_add(mnt, "containerPath", jstr(path));
	json_object_array_add(opts, jstr("bind"));
	json_object_array_add(opts, jstr(mode));
	json_object_object_add(mnt, "options", opts);
	json_object_array_add(mounts, mnt);
}

static void add_env_and_socket(struct json_object *edits, const char *socket)
{
	struct json_object *env = json_object_new_array();
	char *kv = NULL;

	if (asprintf(&kv, WDP_SOCKET_ENV "=%s", socket) >= 0)
		json_object_array_add(env, jstr(kv));
	free(kv);
	json_object_object_add(edits, "env", env);
	add_mount(edits, socket, "rw");
}

static struct json_object *device_new(struct json_object *devices, const char *name)
{
	struct json_object *d = json_object_new_object(), *edits = json_object_new_object();

	json_object_object_add(d, "name", jstr(name));
	json_object_object_add(d, "containerEdits", edits);
	json_object_array_add(devices, d);
	return edits;
}

static struct json_object *spec_new(const char *class, struct json_object **devices)
{
	struct json_object *spec = json_object_new_object();

	json_object_object_add(spec, "cdiVersion", jstr(CDI_VERSION));
	json_object_object_add(spec, "kind", jstr(class));
	*devices = json_object_new_array();
	json_object_object_add(spec, "devices", *devices);
	return spec;
}

static struct json_object *spec_broker(void)
{
	struct json_object *devices, *spec = spec_new(CDI_VENDOR "/broker", &devices);
	const char *socket = WDP_SOCKET_DEFAULT;

	add_env_and_socket(device_new(devices, "default"), socket);
	/* Only what this machine has: a spec must not mount what is not there. */
	if (access(WD_LIBWD_PATH, R_OK) == 0) {
		struct json_object *edits = device_new(devices, "libwd");

		add_env_and_socket(edits, socket);
		add_mount(edits, WD_LIBWD_PATH, "ro");
	}
	return spec;
}

static void add_node(struct json_object *edits, const char *name)
{
	struct json_object *nodes, *n = json_object_new_object();
	char path[PATH_MAX];

	if (!json_object_object_get_ex(edits, "deviceNodes", &nodes)) {
		nodes = json_object_new_array();
		json_object_object_add(edits, "deviceNodes", nodes);
	}
	snprintf(path, sizeof(path), "/dev/%s", name);
	/* The runtime takes type, major and minor from the host's node. */
	json_object_object_add(n, "path", jstr(path));
	json_object_object_add(n, "permissions", jstr("rw"));
	json_object_array_add(nodes, n);
}

/*
 * A uacce device's name as a CDI device name: CDI allows letters, digits
 * and "-_.:", beginning and ending with a letter or digit. Kernel names
 * (driver-N) always fit; anything else is left out with a warning.
 */
static bool cdi_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || !isalnum((unsigned char)n[0]) || !isalnum((unsigned char)n[len - 1]))
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && !strchr("-_.:", *n))
			return false;
	return true;
}

static int spec_uacce(struct json_object **out)
{
	struct json_object *devices, *spec = spec_new(CDI_VENDOR "/uacce", &devices), *all;
	struct devtable *t = NULL;
	struct stat st;
	int r;

	r = devtable_new(arg.sysfs_root, "/dev", &t);
	if (r >= 0)
		r = devtable_scan(t, NULL, NULL, NULL);
	if (r < 0) {
		devtable_free(t);
		json_object_put(spec);
		fprintf(stderr, "warpctl: cannot read %s/class/uacce: %s\n", arg.sysfs_root,
			strerror(-r));
		return EXIT_FAIL;
	}
	all = json_object_new_object();
	for (unsigned i = 0; i < t->n; i++) {
		const char *name = t->v[i]->name;

		if (!cdi_name_ok(name) || !strcmp(name, "all")) {
			fprintf(stderr, "warpctl: left out device \"%s\": not a CDI device name\n",
				name);
			continue;
		}
		add_node(device_new(devices, name), name);
		add_node(all, name);
	}
	devtable_free(t);
	/* CDI wants at least one device; with none, "all" would have no edits. */
	if (json_object_array_length(devices) == 0) {
		json_object_put(all);
		json_object_put(spec);
		fprintf(stderr, "warpctl: no uacce devices in %s/class/uacce; load a driver "
			"(modprobe wdsoft) and run this again\n", arg.sysfs_root);
		/*
		 * A spec of devices that are gone would hand containers dead
		 * nodes. Only a regular file is a spec: --output /dev/stdout
		 * (a symlink) or a fifo stays.
		 */
		if (arg.output && strcmp(arg.output, "-") && lstat(arg.output, &st) == 0 &&
		    S_ISREG(st.st_mode) && unlink(arg.output) == 0)
			fprintf(stderr, "warpctl: removed %s\n", arg.output);
		return EXIT_FAIL;
	}
	{
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "name", jstr("all"));
		json_object_object_add(d, "containerEdits", all);
		json_object_array_add(devices, d);
	}
	*out = spec;
	return EXIT_OK;
}

/*
 * Write @text to @path through a temporary file in the same directory. A
 * SIGTERM (systemd stopping the unit), SIGINT or SIGHUP arriving meanwhile
 * is held until the temporary file is renamed or removed, then acts.
 */
static int write_atomic(const char *path, const char *text)
{
	_cleanup_(freep) char *tmp = NULL;
	size_t len = strlen(text);
	sigset_t term, old;
	int fd, r = 0;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGHUP);
	sigprocmask(SIG_BLOCK, &term, &old);
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* Runtimes run as root, but rootless podman reads the file too. */
	if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int verb_cdi(int argc, char **argv)
{
	struct json_object *spec = NULL;
	const char *text;
	int r;

	if (strcmp(argv[1], "generate"))
		return usage_error("cdi: unknown subcommand \"%s\"; the only one is generate.", argv[1]);
	if (!strcmp(arg.cdi_kind, "broker")) {
		spec = spec_broker();
	} else if (!strcmp(arg.cdi_kind, "uacce")) {
		r = spec_uacce(&spec);
		if (r != EXIT_OK)
			return r;
	} else {
		return usage_error("--kind takes broker or uacce, not \"%s\".", arg.cdi_kind);
	}
	text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!arg.output || !strcmp(arg.output, "-")) {
		r = puts(text) < 0 ? -EIO : 0;
	} else {
		r = write_atomic(arg.output, text);
		if (r < 0)
			fprintf(stderr, "warpctl: cannot write %s: %s\n", arg.output, strerror(-r));
	}
	json_object_put(spec);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
