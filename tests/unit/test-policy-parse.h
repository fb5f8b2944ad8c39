/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-policy-parse.h - parse a policy from a string; check that bad ones are refused. */
#ifndef WD_TEST_POLICY_PARSE_H
#define WD_TEST_POLICY_PARSE_H

#include "policy.h"
#include "tap.h"

/* @text parsed as "test.conf", or NULL with *@err the parser's message. */
static inline struct policy *tp_parse(const char *text, char **err)
{
	struct policy *p;

	*err = NULL;
	if (policy_new_default(&p) < 0)
		bail_out("oom");
	if (policy_parse_string(p, "test.conf", text, err) < 0)
		return policy_free(p);
	return p;
}

struct tp_bad {
	const char *text;
	const char *want;	/* substring of the error */
};

/* Each of @rows is refused with an error holding its want. */
static inline void tp_check_bad(const struct tp_bad *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *err;
		struct policy *p = tp_parse(rows[i].text, &err);

		ok(!p && err && strstr(err, rows[i].want), "bad file %zu refused: %s", i,
		   rows[i].want);
		if (!err || !strstr(err, rows[i].want))
			diag("  got: %s", err ? err : "(no error)");
		free(err);
		policy_free(p);
	}
}

#endif
