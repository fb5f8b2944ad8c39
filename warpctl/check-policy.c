// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-policy.c - warpctl check-policy DIR: validate a policy directory with
 * the broker's own parser (wdbrokerd/policy.c), so what passes here is what
 * the broker will load, and show what it grants, section by section.
 */
#include <sys/stat.h>

#include "policy.h"
#include "util.h"
#include "warpctl.h"

static char *const any[] = { (char *)"*", NULL };

int verb_check_policy(int argc, char **argv)
{
	static const char *const headers[] = { "SECTION", "MAX-QUEUES", "ALGORITHMS", "DEVICES",
					       "PLACEMENT", "FILE" };
	static const char *const keys[] = { "section", "max_queues", "algorithms", "devices",
					    "placement", "file" };
	_cleanup_(table_freep) struct table *t = table_new(ARRAY_SIZE(keys), headers, keys);
	_cleanup_(freep) char *err = NULL;
	const char *dir = argv[1];
	struct policy *p = NULL;
	struct stat st;
	unsigned files = 0;
	int r;

	if (!t)
		return EXIT_FAIL;
	r = stat(dir, &st) < 0 ? -errno : 0;
	if (r < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "warpctl: %s: %s; give the directory that holds policy.conf "
			"and policy.d/ (the broker's is /etc/warpdrive)\n",
			dir, r < 0 ? strerror(-r) : "not a directory");
		return EXIT_FAIL;
	}
	r = policy_load_dir(dir, &p, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err ? err : strerror(-r));
		return EXIT_FAIL;
	}
	for (unsigned i = 0; r >= 0 && i < p->n; i++) {
		struct policy_section *s = p->v[i];
		bool unlimited = !s->has_max || s->max_queues == QUOTA_UNLIMITED;
		enum placement place = s->placement;
		char label[300];

		/* what the broker does with an unset key: no limit, any, nearest */
		if (place == PLACE_UNSET && s == p->global)
			place = PLACE_NEAREST;
		policy_section_label(s, label, sizeof(label));
		r = TABLE_ROW(t, C_STR(label),
			      unlimited ? C_STR("unlimited") : C_INT(s->max_queues),
			      C_STRV(s->algorithms ? s->algorithms : any),
			      C_STRV(s->devices ? s->devices : any),
			      place == PLACE_UNSET ? C_NULL : C_STR(placement_name(place)),
			      s->file ? C_STR(s->file) : C_NULL);
		for (unsigned j = 0; s->file && j < i; j++)
			if (p->v[j]->file && !strcmp(p->v[j]->file, s->file))
				goto seen;
		files += s->file != NULL;
seen:;
	}
	policy_free(p);
	if (r < 0) {
		fprintf(stderr, "warpctl: %s\n", strerror(-r));
		return EXIT_FAIL;
	}
	r = show_table(t);
	if (r == EXIT_OK && arg.json == JSON_OFF && arg.legend)
		printf("The policy in %s is valid: %zu section(s) from %u file(s).\n", dir,
		       table_rows(t), files);
	return r;
}
