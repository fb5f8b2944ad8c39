// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-counters: the broker's totals of client counters
 * (wdbrokerd/counters.c): summed per uid and unit, kept apart otherwise,
 * capped in names per identity, identities per uid and identities in all,
 * with what does not fit dropped and counted, never evicting; values stop
 * at UINT64_MAX instead of wrapping.
 */
#include <stdint.h>

#include "counters.h"
#include "tap.h"

static struct wdp_counter c1(const char *name, uint64_t v)
{
	struct wdp_counter c = { .value = v };

	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

static uint64_t total(struct counters_table *t, uid_t uid, const char *unit, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->v[i]->uid == uid && !strcmp(t->v[i]->unit, unit))
			for (unsigned j = 0; j < t->v[i]->n; j++)
				if (!strcmp(t->v[i]->v[j].name, name))
					return t->v[i]->v[j].value;
	return 0;
}

static struct wdp_counted add(struct counters_table *t, uid_t uid, const char *unit,
			      const char *name, uint64_t v)
{
	struct wdp_counter c = c1(name, v);
	struct wdp_counted res = { 99, 99 };

	if (counters_add(t, uid, unit, &c, 1, &res) < 0)
		bail_out("counters_add: out of memory");
	return res;
}

int main(void)
{
	struct counters_table t = { 0 };
	struct wdp_counted res;
	char name[64], unit[64];

	add(&t, 1000, "a.service", "zlib.deflate.streams", 2);
	add(&t, 1000, "a.service", "zlib.deflate.streams", 3);
	add(&t, 1000, "b.service", "zlib.deflate.streams", 7);
	add(&t, 1001, "a.service", "zlib.deflate.streams", 11);
	res = add(&t, 1000, NULL, "zlib.inflate.streams", 1);
	is(total(&t, 1000, "a.service", "zlib.deflate.streams"), 5, "one identity's reports add up");
	is(total(&t, 1000, "b.service", "zlib.deflate.streams"), 7, "another unit of the uid is its own row");
	is(total(&t, 1001, "a.service", "zlib.deflate.streams"), 11, "another uid in the same unit too");
	is(total(&t, 1000, "", "zlib.inflate.streams"), 1, "no unit is the row \"\"");
	ok(res.stored == 1 && res.dropped == 0, "stored 1, dropped 0");
	is(t.n, 4, "4 identities");

	add(&t, 1000, "a.service", "zlib.deflate.bytes_in", UINT64_MAX - 1);
	add(&t, 1000, "a.service", "zlib.deflate.bytes_in", 5);
	ok(total(&t, 1000, "a.service", "zlib.deflate.bytes_in") == UINT64_MAX,
	   "a total stops at UINT64_MAX instead of wrapping");

	/* names: a.service of 1000 has 2, fill it to the cap */
	for (int i = 2; i < COUNTERS_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "fill.%d", i);
		add(&t, 1000, "a.service", name, 1);
	}
	res = add(&t, 1000, "a.service", "one.too.many", 1);
	ok(res.stored == 0 && res.dropped == 1 && t.dropped == 1,
	   "a new name past %d per identity is dropped and counted", COUNTERS_NAMES_MAX);
	res = add(&t, 1000, "a.service", "zlib.deflate.streams", 1);
	ok(res.stored == 1 && total(&t, 1000, "a.service", "zlib.deflate.streams") == 6,
	   "a name it has still adds");
	res = add(&t, 1000, "b.service", "one.too.many", 1);
	ok(res.stored == 1, "another identity has room of its own");
	{
		struct wdp_counter two[2] = { c1("fill.3", 1), c1("yet.another", 1) };

		counters_add(&t, 1000, "a.service", two, 2, &res);
		ok(res.stored == 1 && res.dropped == 1, "one message: the known name stored, the new dropped");
	}

	/* identities per uid: 1000 has a, b and "" */
	for (int i = 3; i < COUNTERS_IDENTS_PER_UID; i++) {
		snprintf(unit, sizeof(unit), "run-u%d.service", i);
		add(&t, 1000, unit, "zlib.deflate.streams", 1);
	}
	res = add(&t, 1000, "run-over.service", "zlib.deflate.streams", 1);
	ok(res.dropped == 1 && total(&t, 1000, "run-over.service", "zlib.deflate.streams") == 0,
	   "uid 1000's %d-th+1 unit is dropped", COUNTERS_IDENTS_PER_UID);
	res = add(&t, 1001, "run-over.service", "zlib.deflate.streams", 1);
	ok(res.stored == 1, "... while another uid still gets rows");

	/* identities in all */
	for (uid_t u = 2000; t.n < COUNTERS_IDENTS_MAX; u++)
		add(&t, u, "x.service", "zlib.deflate.streams", 1);
	res = add(&t, 5000, "x.service", "zlib.deflate.streams", 1);
	ok(res.dropped == 1 && res.stored == 0, "the %d+1-th identity is dropped", COUNTERS_IDENTS_MAX);
	res = add(&t, 1001, "a.service", "zlib.deflate.streams", 1);
	ok(res.stored == 1 && total(&t, 1001, "a.service", "zlib.deflate.streams") == 12,
	   "existing identities keep adding when the table is full");
	is(t.n, COUNTERS_IDENTS_MAX, "nothing was evicted");

	counters_table_deinit(&t);
	is(t.n, 0, "deinit empties the table");
	return done_testing();
}
