/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.h - slice names and cgroup path patterns of the policy, and matching them. */
#ifndef WDBROKERD_CGROUP_H
#define WDBROKERD_CGROUP_H

#include <stdbool.h>

/* Why @name is not a slice name ("machine.slice"), or NULL if it is. */
const char *cgroup_slice_problem(const char *name);
/* Why @pattern is not an absolute cgroup path pattern, or NULL if it is. */
const char *cgroup_pattern_problem(const char *pattern);

/* Is one component of the cgroup path @cg the slice @slice? */
bool cgroup_in_slice(const char *cg, const char *slice);
/*
 * Does @pattern match @cg or one of the cgroups above it? fnmatch(3) with
 * FNM_PATHNAME: a '*' never crosses a '/'. False when out of memory: a
 * section that may not apply does not.
 */
bool cgroup_matches(const char *cg, const char *pattern);

#endif
