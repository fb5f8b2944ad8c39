// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peer.c - client identity.
 *
 * Everything comes from the kernel, never from the client: credentials and
 * groups are those the socket captured at connect(), so a client cannot
 * change identity later by exec'ing something else. The unit and the cgroup
 * path are read from the peer's /proc entry through libsystemd when it
 * connects: a process that moves to another cgroup later keeps the identity
 * of its connection, as it keeps its uid.
 */
#include "peer.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <systemd/sd-login.h>

#include "util.h"

/*
 * A user's or group's name, or its number when the database has no entry
 * (a DynamicUser, a container's ids). A lookup that *fails* (NSS down, an
 * entry too large) is an error, not a number: answering with the number
 * would silently skip the [user:NAME] / [group:NAME] policy sections that
 * apply to the caller, so the policy would fail open.
 */
int peer_name_of_uid(uid_t uid, char **out)
{
	for (size_t size = 4096; size <= (1U << 24); size *= 2) {
		_cleanup_(freep) char *buf = malloc(size);
		struct passwd pw, *res = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwuid_r(uid, &pw, buf, size, &res);
		if (r == ERANGE)
			continue;
		if (r)
			return -r;
		if (res)
			*out = strdup(res->pw_name);
		else if (asprintf(out, "%u", (unsigned)uid) < 0)
			*out = NULL;
		return *out ? 0 : -ENOMEM;
	}
	return -ERANGE;
}

int peer_name_of_gid(gid_t gid, char **out)
{
	for (size_t size = 16384; size <= (1U << 24); size *= 2) {
		_cleanup_(freep) char *buf = malloc(size);
		struct group gr, *res = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getgrgid_r(gid, &gr, buf, size, &res);
		if (r == ERANGE)
			continue;
		if (r)
			return -r;
		if (res)
			*out = strdup(res->gr_name);
		else if (asprintf(out, "%u", (unsigned)gid) < 0)
			*out = NULL;
		return *out ? 0 : -ENOMEM;
	}
	return -ERANGE;
}

static int peer_groups(int fd, gid_t primary, gid_t **out, int *n_out)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *g = NULL;
	int n;

	for (;;) {
		gid_t *ng = realloc(g, len + sizeof(gid_t));

		if (!ng) {
			free(g);
			return -ENOMEM;
		}
		g = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g + 1, &len) == 0)
			break;
		if (errno != ERANGE) {
			len = 0;	/* old kernel or not AF_UNIX: primary only */
			break;
		}
	}
	n = (int)(len / sizeof(gid_t));
	g[0] = primary;
	/* drop the primary gid if repeated */
	for (int i = 1; i <= n; i++)
		if (g[i] == primary) {
			g[i] = g[n];
			n--;
			break;
		}
	*out = g;
	*n_out = n + 1;
	return 0;
}

int peer_identify(int fd, struct identity *id)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int r;

	memset(id, 0, sizeof(*id));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	id->uid = cred.uid;
	id->gid = cred.gid;
	id->pid = cred.pid;
	r = peer_groups(fd, cred.gid, &id->groups, &id->n_groups);
	if (r < 0)
		return r;
	r = peer_name_of_uid(cred.uid, &id->user);
	if (r < 0) {
		identity_clear(id);
		return r;
	}
	id->group_names = calloc((size_t)id->n_groups, sizeof(char *));
	if (!id->group_names) {
		identity_clear(id);
		return -ENOMEM;
	}
	for (int i = 0; i < id->n_groups; i++) {
		r = peer_name_of_gid(id->groups[i], &id->group_names[i]);
		if (r < 0) {
			identity_clear(id);
			return r;
		}
	}
	r = sd_peer_get_unit(fd, &id->unit);
	if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) {
		/*
		 * Not knowing the unit is not the same as having none: a
		 * [unit:NAME] section would silently not apply.
		 */
		identity_clear(id);
		return r;
	}
	if (r < 0)
		id->unit = NULL;	/* not in a unit (or no systemd) */
	/* The same holds for the cgroup, which [slice:] and [cgroup:] match. */
	r = sd_peer_get_cgroup(fd, &id->cgroup);
	if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) {
		identity_clear(id);
		return r;
	}
	if (r < 0)
		id->cgroup = NULL;
	return 0;
}

int peer_cpu(pid_t pid)
{
	_cleanup_(freep) char *path = NULL, *line = NULL;
	_cleanup_(strv_freep) char **f = NULL;
	long long cpu;
	char *p;
	int r;

	if (asprintf(&path, "/proc/%d/stat", (int)pid) < 0)
		return -ENOMEM;
	r = read_one_line(path, &line);
	if (r < 0)
		return r;
	/* comm may hold spaces and ')': fields restart after the last ')'. */
	p = strrchr(line, ')');
	if (!p)
		return -EIO;
	r = strv_split(p + 1, " ", &f);
	if (r < 0)
		return r;
	/* after ')' come field 3 (state) onwards; "processor" is field 39 */
	if (strv_length(f) < 37 || parse_int(f[36], 0, 65535, &cpu) < 0)
		return -EIO;
	return (int)cpu;
}
