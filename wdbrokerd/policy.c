// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy.c - parsing and evaluating the broker policy (policy/policy.conf).
 *
 * A policy is a list of sections: [global] and any number of [user:X],
 * [group:X], [unit:X], [slice:X] and [cgroup:PATTERN]. The last two place
 * containers and other groups of units: a slice matches every process
 * whose cgroup lies under it, however deep, and a cgroup pattern matches a
 * process whose cgroup or any cgroup above it the pattern matches
 * (fnmatch(3) with FNM_PATHNAME, so a '*' stays within one path
 * component). Both read the cgroup path the peer had when it connected
 * (peer.c). A request must pass every section that matches
 * the caller; each section's max_queues is its own quota counted over all
 * the callers it matches (the counter lives in the section, see
 * policy_section.used, maintained by the manager as leases come and go).
 *
 * Parsing uses inih. inih reports the line of the first syntax error or
 * handler refusal; the handler keeps the reason of the first refusal so the
 * message reads "FILE:LINE: why". A policy is built completely before it is
 * handed out, so a broken file never leaves a half-applied policy.
 *
 * inih calls the handler only for keys, so a section header followed by no
 * key would never be seen, and it cuts section names at 49 characters. Our
 * line reader therefore checks every header itself as inih reads it (see
 * check_line()) and keeps the full name of the current section. A known
 * section without keys, such as a bare [user:alice], is accepted: it is a
 * section that sets no limit, exactly as if it were absent. An unknown or
 * malformed header is refused whether or not keys follow it.
 */
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <ini.h>
#include <limits.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "util.h"

void identity_clear(struct identity *id)
{
	free(id->groups);
	id->groups = NULL;
	if (id->group_names) {
		for (int i = 0; i < id->n_groups; i++)
			free(id->group_names[i]);
		free(id->group_names);
		id->group_names = NULL;
	}
	id->n_groups = 0;
	free(id->user);
	id->user = NULL;
	free(id->unit);
	id->unit = NULL;
	free(id->cgroup);
	id->cgroup = NULL;
}

static struct policy_section *section_free(struct policy_section *s)
{
	if (!s)
		return NULL;
	free(s->name);
	strv_freep(&s->algorithms);
	strv_freep(&s->devices);
	free(s->file);
	free(s);
	return NULL;
}

struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	for (unsigned i = 0; i < p->n; i++)
		section_free(p->v[i]);
	free(p->v);
	free(p);
	return NULL;
}

static const char *const kind_names[] = {
	[SEC_GLOBAL] = "global",
	[SEC_USER] = "user",
	[SEC_GROUP] = "group",
	[SEC_UNIT] = "unit",
	[SEC_SLICE] = "slice",
	[SEC_CGROUP] = "cgroup",
};

const char *policy_section_label(const struct policy_section *s, char *buf, size_t size)
{
	if (s->kind == SEC_GLOBAL)
		snprintf(buf, size, "[global]");
	else
		snprintf(buf, size, "[%s:%s]", kind_names[s->kind], s->name);
	return buf;
}

/* User, group and unit names: printable, no blanks or brackets. */
static bool section_name_ok(const char *n)
{
	if (!*n || strlen(n) > 255)
		return false;
	for (; *n; n++) {
		unsigned char c = (unsigned char)*n;

		if (c <= ' ' || c == 0x7f || c == '[' || c == ']' || c == '/')
			return false;
	}
	return true;
}

/* Why @name cannot name a section of @kind, or NULL if it can. */
static const char *name_problem(enum section_kind kind, const char *name)
{
	switch (kind) {
	case SEC_SLICE:
		return cgroup_slice_problem(name);
	case SEC_CGROUP:
		return cgroup_pattern_problem(name);
	default:
		return section_name_ok(name) ? NULL :
			"must be 1-255 printable characters without blanks, brackets or '/'";
	}
}

static const struct {
	const char *prefix;
	enum section_kind kind;
} kinds[] = {
	{ "user:", SEC_USER },
	{ "group:", SEC_GROUP },
	{ "unit:", SEC_UNIT },
	{ "slice:", SEC_SLICE },
	{ "cgroup:", SEC_CGROUP },
};

/* The kind of "KIND:NAME" @spec and where NAME starts; -EINVAL if none. */
static int section_kind_of(const char *spec, enum section_kind *kind, const char **name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix))) {
			*kind = kinds[i].kind;
			*name = spec + strlen(kinds[i].prefix);
			return 0;
		}
	return -EINVAL;
}

int policy_section_get(struct policy *p, const char *spec, bool create,
		       struct policy_section **out)
{
	enum section_kind kind;
	const char *name = NULL;
	struct policy_section *s, **nv;

	if (!strcmp(spec, "global")) {
		kind = SEC_GLOBAL;
	} else if (section_kind_of(spec, &kind, &name) < 0 || name_problem(kind, name)) {
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n; i++) {
		s = p->v[i];
		if (s->kind == kind && (kind == SEC_GLOBAL || !strcmp(s->name, name))) {
			*out = s;
			return 0;
		}
	}
	if (!create)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->max_queues = QUOTA_UNLIMITED;
	if (name) {
		s->name = strdup(name);
		if (!s->name) {
			section_free(s);
			return -ENOMEM;
		}
	}
	nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv) {
		section_free(s);
		return -ENOMEM;
	}
	p->v = nv;
	p->v[p->n++] = s;
	if (kind == SEC_GLOBAL)
		p->global = s;
	*out = s;
	return 0;
}

int policy_new_default(struct policy **out)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct policy_section *g;
	int r;

	if (!p)
		return -ENOMEM;
	r = policy_section_get(p, "global", true, &g);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* ---- parsing ---- */

struct parse_ctx {
	struct policy *p;
	const char *file;
	char *error;		/* reason of the first refusal */
	int err_line;		/* and its line */
	int line;		/* line inih is on (counted by our reader) */
	FILE *f;		/* source: a file, */
	const char *str;	/* or a string */
	/* Full name of the section inih is in ("" before the first header). */
	char section[sizeof("cgroup:") + 256];
	/* inih would take an indented line as a continuation (it has a key). */
	bool have_key;
	/* inih calls again for continuation lines of a multi-line value. */
	char prev_section[sizeof("cgroup:") + 256];
	char prev_key[64];
};

__attribute__((format(printf, 2, 3)))
static int refuse(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->error) {
		c->err_line = c->line;
		va_start(ap, fmt);
		if (vasprintf(&c->error, fmt, ap) < 0)
			c->error = NULL;
		va_end(ap);
	}
	return 0;	/* inih: error on this line */
}

static bool pattern_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_.:+-*?[]!", c)))
			return false;
	}
	return true;
}

/* Parse "a, b, c" into patterns; append to @old for continuation lines. */
static int parse_list(struct parse_ctx *c, const char *key, const char *value,
		      char ***dst, bool append)
{
	_cleanup_(strv_freep) char **v = NULL;
	int r;

	r = strv_split(value, ", \t", &v);
	if (r < 0)
		return refuse(c, "out of memory");
	if (!v[0] && !append)
		return refuse(c, "%s: empty list; use \"*\" for any, or max_queues = 0 to forbid", key);
	for (char **it = v; *it; it++)
		if (strlen(*it) >= WDP_NAME_MAX || !pattern_ok(*it))
			return refuse(c, "%s: \"%s\" is not a name or shell pattern of [A-Za-z0-9_.:+-*?[]!]",
				      key, *it);
	if (append && *dst) {
		size_t a = strv_length(*dst), b = strv_length(v);
		char **nv = realloc(*dst, (a + b + 1) * sizeof(char *));

		if (!nv)
			return refuse(c, "out of memory");
		memcpy(nv + a, v, (b + 1) * sizeof(char *));
		free(v);
		v = NULL;
		*dst = nv;
		return 1;
	}
	strv_freep(dst);
	*dst = TAKE_PTR(v);
	return 1;
}

static int ini_cb(void *user, const char *ini_section, const char *key, const char *value)
{
	struct parse_ctx *c = user;
	const char *section = c->section;	/* inih's copy may be cut short */
	struct policy_section *s;
	bool cont;
	int r;

	(void)ini_section;
	if (!*section)
		return refuse(c, "key \"%s\" outside of any section; start with [global]", key);
	/* check_line() created the section when it read the header. */
	r = policy_section_get(c->p, section, false, &s);
	if (r < 0)
		return refuse(c, "internal error: section [%s] was not registered", section);
	cont = !strcmp(c->prev_section, section) && !strcmp(c->prev_key, key);
	snprintf(c->prev_section, sizeof(c->prev_section), "%s", section);
	snprintf(c->prev_key, sizeof(c->prev_key), "%s", key);

	if (!strcmp(key, "max_queues")) {
		long long v;

		if (cont)
			return refuse(c, "max_queues takes one value");
		if (!strcmp(value, "unlimited")) {
			v = QUOTA_UNLIMITED;
		} else if (parse_int(value, 0, 1000000, &v) < 0) {
			return refuse(c, "max_queues = \"%s\": expected a number 0..1000000 or \"unlimited\"",
				      value);
		}
		s->has_max = true;
		s->max_queues = v;
		return 1;
	}
	if (!strcmp(key, "algorithms"))
		return parse_list(c, key, value, &s->algorithms, cont);
	if (!strcmp(key, "devices"))
		return parse_list(c, key, value, &s->devices, cont);
	if (!strcmp(key, "placement")) {
		if (cont)
			return refuse(c, "placement takes one value");
		if (!strcmp(value, "nearest"))
			s->placement = PLACE_NEAREST;
		else if (!strcmp(value, "spread"))
			s->placement = PLACE_SPREAD;
		else if (!strcmp(value, "strict-node"))
			s->placement = PLACE_STRICT_NODE;
		else
			return refuse(c, "placement = \"%s\": expected nearest, spread or strict-node",
				      value);
		return 1;
	}
	return refuse(c, "unknown key \"%s\"; expected max_queues, algorithms, devices or placement",
		      key);
}

/*
 * inih's inline comment rule: ';' after a blank starts a comment. Returns
 * the first of @chars or the comment start, or the end of @s.
 */
static const char *find_or_comment(const char *s, const char *chars)
{
	bool blank = false;

	for (; *s && !strchr(chars, *s) && !(blank && *s == ';'); s++)
		blank = isspace((unsigned char)*s);
	return s;
}

/* The header of a new section: name checked, section registered. */
static bool check_header(struct parse_ctx *c, const char *start)
{
	const char *end = find_or_comment(start + 1, "]"), *name;
	const char *after;
	struct policy_section *s;
	enum section_kind kind;
	int r;

	if (*end == ']' && memchr(start + 1, '[', (size_t)(end - start - 1)))
		return refuse(c, "section header \"%.*s\" holds a '['; section names have no brackets (in a [cgroup:] pattern, use * and ?)",
			      (int)strcspn(start, "\r\n"), start);
	if (*end != ']')
		return refuse(c, "section header \"%.*s\" has no closing ']'",
			      (int)strcspn(start, "\r\n"), start);
	after = end + 1;
	while (isspace((unsigned char)*after))
		after++;
	if (*after && *after != ';' && *after != '#')
		return refuse(c, "text \"%.*s\" after the section header; put keys on lines of their own",
			      (int)strcspn(after, "\r\n"), after);
	if (end - start - 1 >= (long)sizeof(c->section))
		return refuse(c, "section name \"%.20s...\" is longer than 255 characters", start + 1);
	snprintf(c->section, sizeof(c->section), "%.*s", (int)(end - start - 1), start + 1);
	c->have_key = false;
	r = policy_section_get(c->p, c->section, true, &s);
	if (r == -ENOMEM)
		return refuse(c, "out of memory");
	if (r < 0 && section_kind_of(c->section, &kind, &name) == 0 &&
	    (kind == SEC_SLICE || kind == SEC_CGROUP))
		return refuse(c, "section [%s]: %s", c->section, name_problem(kind, name));
	if (r < 0 && section_kind_of(c->section, &kind, &name) == 0)
		return refuse(c, "section [%s]: the name after \"%.*s\" %s", c->section,
			      (int)(name - c->section), c->section, name_problem(kind, name));
	if (r < 0)
		return refuse(c, "unknown section [%s]; expected [global], [user:NAME], [group:NAME], [unit:NAME], [slice:NAME.slice] or [cgroup:/PATH-PATTERN]",
			      c->section);
	free(s->file);
	s->file = strdup(c->file);
	if (!s->file)
		return refuse(c, "out of memory");
	return true;
}

/*
 * Follow inih's reading of one whole line (blank and comment lines, the
 * continuation of a value, a header, a key) to check headers and track the
 * section. Returns false if the line is refused.
 */
static bool check_line(struct parse_ctx *c, const char *line)
{
	const char *start = line, *end;

	if (c->line == 1 && !strncmp(start, "\xef\xbb\xbf", 3))
		start += 3;	/* inih skips a UTF-8 BOM */
	while (isspace((unsigned char)*start))
		start++;
	if (!*start || *start == ';' || *start == '#')
		return true;
	if (c->have_key && start > line)
		return true;	/* indented: continues the last key's value */
	if (*start == '[')
		return check_header(c, start);
	end = find_or_comment(start, "=:");
	if (*end == '=' || *end == ':')
		c->have_key = true;
	return true;
}

/*
 * inih reader: fgets over the file or the string, one whole line at a
 * time. A line longer than inih's buffer would reach inih in pieces, each
 * parsed as a line of its own, so it is refused instead.
 */
static char *reader(char *buf, int size, void *ud)
{
	struct parse_ctx *c = ud;
	bool whole;
	int n = 0;

	if (c->error)
		return NULL;	/* stop at our first refusal */
	if (c->f) {
		if (!fgets(buf, size, c->f))
			return NULL;
		whole = strchr(buf, '\n') || feof(c->f);
	} else {
		if (!*c->str)
			return NULL;
		while (n < size - 1 && c->str[n]) {
			buf[n] = c->str[n];
			if (c->str[n++] == '\n')
				break;
		}
		buf[n] = 0;
		c->str += n;
		whole = buf[n - 1] == '\n' || !*c->str;
	}
	c->line++;
	if (!whole) {
		refuse(c, "line longer than %d characters; continue a long list on indented lines",
		       size - 2);
		return NULL;
	}
	if (!check_line(c, buf))
		return NULL;
	return buf;
}

static int run(struct parse_ctx *c, char **error)
{
	int line = ini_parse_stream(reader, c, ini_cb, c);

	/* inih counts from 1 for the line it was on; ours is already past it. */
	if (line == 0 && !c->error)
		return 0;
	if (line == -2) {
		free(c->error);
		if (error)
			*error = strdup("out of memory");
		return -ENOMEM;
	}
	/* Report whichever came first: inih's syntax error or our refusal. */
	if (c->error && (line <= 0 || c->err_line <= line)) {
		if (error && asprintf(error, "%s:%d: %s", c->file, c->err_line, c->error) < 0)
			*error = NULL;
	} else if (error && asprintf(error, "%s:%d: syntax error (expected [section] or key = value)",
				     c->file, line) < 0) {
		*error = NULL;
	}
	free(c->error);
	return -EINVAL;
}

/* Parse the open file @f, named @path in messages. Closes @f. */
static int parse_stream(struct policy *p, const char *path, FILE *f, char **error)
{
	struct parse_ctx c = { .p = p, .file = path, .f = f };
	int r = run(&c, error);

	fclose(f);
	return r;
}

int policy_parse_file(struct policy *p, const char *path, char **error)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		r = -errno;
		if (error && asprintf(error, "%s: cannot open: %s", path, strerror(-r)) < 0)
			*error = NULL;
		return r;
	}
	return parse_stream(p, path, f, error);
}

int policy_parse_string(struct policy *p, const char *name, const char *text, char **error)
{
	struct parse_ctx c = { .p = p, .file = name, .str = text };

	return run(&c, error);
}

__attribute__((format(printf, 3, 4)))
static int refuse_path(char **error, int r, const char *fmt, ...)
{
	va_list ap;

	if (error) {
		va_start(ap, fmt);
		if (vasprintf(error, fmt, ap) < 0)
			*error = NULL;
		va_end(ap);
	}
	return r;
}

/*
 * Only root (or the uid the broker runs as, who could rewrite its policy
 * anyway) may decide the policy: refuse what anyone else could have
 * written or swapped. @fd is already open (O_NOFOLLOW, so not a link);
 * the checks are on what was opened, not on the name, so nothing can be
 * swapped in between.
 */
static int check_trusted(int fd, const char *path, bool dir, char **error)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return refuse_path(error, -errno, "%s: cannot stat: %s", path, strerror(errno));
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return refuse_path(error, -EPERM, "%s: refusing it: not a %s", path,
				   dir ? "directory" : "regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return refuse_path(error, -EPERM, "%s: refusing it: owned by uid %u, not root; "
				   "chown root %s", path, (unsigned)st.st_uid, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse_path(error, -EPERM, "%s: refusing it: writable by %s (mode %04o); "
				   "chmod go-w %s", path, st.st_mode & S_IWOTH ? "everyone" : "its group",
				   (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/*
 * Open @name in @dirfd for the policy without following a symbolic link,
 * and check who could have written it. Returns the fd, -ENOENT if it does
 * not exist, or another -errno with *@error saying why.
 */
static int open_trusted(int dirfd, const char *name, const char *path, bool dir, char **error)
{
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
		    (dir ? O_DIRECTORY : 0));
	if (fd < 0) {
		struct stat st;

		r = -errno;
		if (r == -ENOENT)
			return r;
		/* With O_DIRECTORY, a symbolic link gives ENOTDIR rather than ELOOP. */
		if (r == -ELOOP || (r == -ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode)))
			return refuse_path(error, -EPERM, "%s: refusing it: a symbolic link; "
					   "put the %s itself there", path, dir ? "directory" : "file");
		if (r == -ENOTDIR)
			return refuse_path(error, -EPERM, "%s: refusing it: not a directory", path);
		return refuse_path(error, r, "%s: cannot open: %s", path, strerror(-r));
	}
	r = check_trusted(fd, path, dir, error);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Parse @name in @dirfd, after open_trusted(). -ENOENT: not there. */
static int parse_trusted(struct policy *p, int dirfd, const char *name, const char *path,
			 char **error)
{
	int fd = open_trusted(dirfd, name, path, false, error);
	FILE *f;

	if (fd < 0)
		return fd;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	return parse_stream(p, path, f, error);
}

static int conf_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".conf");
}

/*
 * Every file and both directories are opened with O_NOFOLLOW and checked
 * on the open fd (see check_trusted()), and each file is read relative to
 * its directory's fd, so a link or a rename in a parent cannot redirect a
 * read once the directory has been checked.
 */
int policy_load_dir(const char *dir, struct policy **out, char **error)
{
	_cleanup_(freep) char *main_path = NULL, *d_path = NULL;
	_cleanup_(closep) int dfd = -1, ddfd = -1;
	struct dirent **names = NULL;
	struct policy *p;
	int r, n = 0;

	if (error)
		*error = NULL;
	if (asprintf(&main_path, "%s/policy.conf", dir) < 0 ||
	    asprintf(&d_path, "%s/policy.d", dir) < 0)
		return -ENOMEM;
	/* No directory at all: the built-in default, as with an empty one. */
	dfd = open_trusted(AT_FDCWD, dir, dir, true, error);
	if (dfd < 0 && dfd != -ENOENT)
		return dfd;
	r = policy_new_default(&p);
	if (r < 0)
		return r;
	r = dfd < 0 ? -ENOENT : parse_trusted(p, dfd, "policy.conf", main_path, error);
	if (r == -ENOENT)
		r = 0;
	if (r >= 0 && dfd >= 0) {
		ddfd = open_trusted(dfd, "policy.d", d_path, true, error);
		if (ddfd >= 0) {
			n = scandirat(ddfd, ".", &names, conf_filter, alphasort);
			if (n < 0)
				r = refuse_path(error, -errno, "%s: cannot list: %s", d_path,
						strerror(errno));
		} else if (ddfd != -ENOENT) {
			r = ddfd;
		}
	}
	for (int i = 0; i < n; i++) {
		_cleanup_(freep) char *f = NULL;

		if (r >= 0 && asprintf(&f, "%s/%s", d_path, names[i]->d_name) < 0)
			r = -ENOMEM;
		if (r >= 0) {
			r = parse_trusted(p, ddfd, names[i]->d_name, f, error);
			/* Gone since the listing: as if it had never been there. */
			if (r == -ENOENT)
				r = 0;
		}
		free(names[i]);
	}
	free(names);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* ---- evaluation ---- */

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool section_matches(const struct policy_section *s, const struct identity *id)
{
	switch (s->kind) {
	case SEC_GLOBAL:
		return true;
	case SEC_USER:
		if (is_number(s->name))
			return strtoull(s->name, NULL, 10) == id->uid;
		return id->user && !strcmp(id->user, s->name);
	case SEC_GROUP:
		for (int i = 0; i < id->n_groups; i++) {
			if (is_number(s->name)) {
				if (strtoull(s->name, NULL, 10) == id->groups[i])
					return true;
			} else if (id->group_names && id->group_names[i] &&
				   !strcmp(id->group_names[i], s->name)) {
				return true;
			}
		}
		return false;
	case SEC_UNIT:
		return id->unit && !strcmp(id->unit, s->name);
	case SEC_SLICE:
		return id->cgroup && cgroup_in_slice(id->cgroup, s->name);
	case SEC_CGROUP:
		return id->cgroup && cgroup_matches(id->cgroup, s->name);
	}
	return false;
}

int policy_match(const struct policy *p, const struct identity *id,
		 struct policy_section ***out)
{
	struct policy_section **m = malloc((p->n + 1) * sizeof(*m));
	int n = 0;

	if (!m)
		return -ENOMEM;
	m[n++] = p->global;
	for (unsigned i = 0; i < p->n; i++)
		if (p->v[i] != p->global && section_matches(p->v[i], id))
			m[n++] = p->v[i];
	*out = m;
	return n;
}

static bool list_allows(char **patterns, const char *name)
{
	if (!patterns)
		return true;
	for (char **it = patterns; *it; it++)
		if (fnmatch(*it, name, 0) == 0)
			return true;
	return false;
}

bool policy_alg_allowed(struct policy_section **m, int n, const char *alg,
			struct policy_section **deny)
{
	for (int i = 0; i < n; i++)
		if (!list_allows(m[i]->algorithms, alg)) {
			if (deny)
				*deny = m[i];
			return false;
		}
	return true;
}

bool policy_algs_allowed(struct policy_section **m, int n, const struct wdp_algs *a,
			 struct policy_section **deny, const char **refused)
{
	for (unsigned int i = 0; i < a->n; i++)
		if (!policy_alg_allowed(m, n, a->name[i], deny)) {
			if (refused)
				*refused = a->name[i];
			return false;
		}
	return true;
}

bool policy_device_allowed(struct policy_section **m, int n, const char *device)
{
	for (int i = 0; i < n; i++)
		if (!list_allows(m[i]->devices, device))
			return false;
	return true;
}

struct policy_section *policy_quota_full(struct policy_section **m, int n, unsigned extra)
{
	for (int i = 0; i < n; i++)
		if (m[i]->max_queues != QUOTA_UNLIMITED &&
		    (long long)m[i]->used + extra > m[i]->max_queues)
			return m[i];
	return NULL;
}

/* How specific @s is: the order of policy_placement() (policy.h). */
static unsigned section_rank(const struct policy_section *s)
{
	static const unsigned kind_rank[] = {
		[SEC_GLOBAL] = 0, [SEC_GROUP] = 1, [SEC_USER] = 2,
		[SEC_SLICE] = 3, [SEC_UNIT] = 4, [SEC_CGROUP] = 5,
	};
	unsigned depth = 0;

	/* A slice's depth is in its name (a-b.slice is in a.slice), a pattern's in its '/'s. */
	if (s->kind == SEC_SLICE || s->kind == SEC_CGROUP)
		for (const char *c = s->name; *c; c++)
			depth += *c == (s->kind == SEC_SLICE ? '-' : '/');
	return kind_rank[s->kind] * 1024 + depth;
}

enum placement policy_placement(struct policy_section **m, int n)
{
	const struct policy_section *best = NULL;

	/* @m is in the order the sections were read: a later equal wins. */
	for (int i = 0; i < n; i++)
		if (m[i]->placement != PLACE_UNSET &&
		    (!best || section_rank(m[i]) >= section_rank(best)))
			best = m[i];
	return best ? best->placement : PLACE_NEAREST;
}

const char *placement_name(enum placement p)
{
	switch (p) {
	case PLACE_SPREAD:	return "spread";
	case PLACE_STRICT_NODE:	return "strict-node";
	default:		return "nearest";
	}
}

enum wdp_reason policy_quota_reason(const struct policy_section *s)
{
	switch (s->kind) {
	case SEC_USER:	return WDP_REASON_QUOTA_USER;
	case SEC_GROUP:	return WDP_REASON_QUOTA_GROUP;
	/* A slice and a cgroup are units too: a container's scope, its slice. */
	case SEC_UNIT:
	case SEC_SLICE:
	case SEC_CGROUP: return WDP_REASON_QUOTA_UNIT;
	default:	return WDP_REASON_QUOTA_GLOBAL;
	}
}

void policy_quota_text(const struct policy_section *s, char *buf, size_t size)
{
	if (s->kind == SEC_GLOBAL)
		snprintf(buf, size, "broker-wide limit of %lld queues reached", s->max_queues);
	else
		snprintf(buf, size, "quota of %lld queues for %s %s reached",
			 s->max_queues, kind_names[s->kind], s->name);
}
