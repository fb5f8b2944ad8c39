// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroup.c - cgroup paths for the [slice:] and [cgroup:] policy sections.
 *
 * The policy names containers by where they sit in the cgroup tree, which
 * is where systemd, podman and systemd-nspawn put them: a slice is a
 * component of the path (/machine.slice/libpod-ID.scope/container lies in
 * machine.slice), a pattern matches the path or a cgroup above it. The
 * checks here refuse names that could never match, so a typing mistake in
 * the policy is an error rather than a section that silently never applies.
 */
#include "cgroup.h"

#include <ctype.h>
#include <fnmatch.h>

#include "util.h"

/*
 * What is wrong with the slice name @n, or NULL. Slices are named by their
 * place in the tree: "a-b.slice" lies in "a.slice", "-.slice" is the root.
 */
const char *cgroup_slice_problem(const char *n)
{
	size_t len = strlen(n);

	if (len <= 6 || strcmp(n + len - 6, ".slice"))
		return "a slice name ends in \".slice\" (machine.slice, user-1000.slice)";
	if (len > 255)
		return "a slice name has at most 255 characters";
	if (!strcmp(n, "-.slice"))
		return "-.slice is the root of every cgroup: use [global]";
	if (n[0] == '-' || n[len - 7] == '-' || strstr(n, "--"))
		return "a slice name has no leading, trailing or doubled '-' before \".slice\"";
	for (const char *c = n; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(":_.-\\", *c))
			return "a slice name holds only letters, digits and \":_.-\\\"";
	return NULL;
}

/*
 * What is wrong with the cgroup path pattern @n, or NULL. fnmatch(3)
 * brackets cannot appear in a section header, so '*' and '?' are the only
 * wildcards; backslashes are refused so that every pattern is plain.
 */
const char *cgroup_pattern_problem(const char *n)
{
	if (n[0] != '/')
		return "a cgroup pattern is an absolute path such as /machine.slice/libpod-*.scope";
	if (!n[1])
		return "/ is the root of every cgroup: use [global]";
	if (strlen(n) > 255)
		return "a cgroup pattern has at most 255 characters";
	for (const char *c = n; *c; c++) {
		unsigned char u = (unsigned char)*c;

		if (u <= ' ' || u == 0x7f || u == '[' || u == ']' || u == '\\')
			return "a cgroup pattern has no blanks, brackets or backslashes; use * and ?";
	}
	for (const char *c = n; *c; c = c + strcspn(c + 1, "/") + 1) {
		size_t l = strcspn(c + 1, "/");

		if (l == 0)
			return "a cgroup pattern has no empty component (\"//\" or a trailing '/')";
		if ((l == 1 && c[1] == '.') || (l == 2 && c[1] == '.' && c[2] == '.'))
			return "a cgroup pattern has no \".\" or \"..\" component";
	}
	return NULL;
}

/* Is one component of the cgroup path @cg the slice @slice? */
bool cgroup_in_slice(const char *cg, const char *slice)
{
	size_t len = strlen(slice);

	for (const char *c = cg; *c; c += strcspn(c, "/")) {
		c += strspn(c, "/");
		if (!strncmp(c, slice, len) && (c[len] == '/' || !c[len]))
			return true;
	}
	return false;
}

/* Does @pattern match the cgroup path @cg or one of the cgroups above it? */
bool cgroup_matches(const char *cg, const char *pattern)
{
	_cleanup_(freep) char *path = strdup(cg);
	char *end;

	if (!path)
		return false;	/* never wider: a section that may not apply does not */
	for (end = path + 1;; end++) {
		if (*end && *end != '/')
			continue;
		char saved = *end;

		*end = 0;
		if (fnmatch(pattern, path, FNM_PATHNAME) == 0)
			return true;
		if (!saved)
			return false;
		*end = saved;
	}
}
