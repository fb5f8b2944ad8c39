// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the broker policy parser (built and run by
 * tools/fuzz). Any text must parse or fail with a "NAME:LINE: why"
 * message, without crash, leak or undefined behaviour; a parsed policy is
 * then evaluated against a sample caller.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gid_t groups[] = { 100, 27 };
	char *gnames[] = { "users", "batch" };
	struct identity id = {
		.uid = 1000, .gid = 100, .pid = 1, .groups = groups, .n_groups = 2,
		.user = "alice", .group_names = gnames, .unit = "nginx.service",
	};
	struct policy_section **m;
	struct policy *p;
	char *text, *err = NULL;
	int n;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (policy_new_default(&p) < 0)
		abort();
	if (policy_parse_string(p, "fuzz.conf", text, &err) < 0) {
		if (!err || strncmp(err, "fuzz.conf:", 10))
			abort();	/* errors always carry FILE:LINE */
		free(err);
	} else {
		n = policy_match(p, &id, &m);
		if (n > 0) {
			policy_alg_allowed(m, n, "zlib", NULL);
			policy_device_allowed(m, n, "wdsoft-0");
			policy_quota_full(m, n, 1);
			policy_placement(m, n);
			free(m);
		}
	}
	policy_free(p);
	free(text);
	return 0;
}
