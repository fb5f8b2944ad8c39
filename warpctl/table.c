// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * table.c - the table every warpctl listing fills.
 *
 * A command adds typed cells; the table decides how they look. People get
 * columns padded to the widest cell, under a header line; scripts get a
 * JSON array with one object per row, built with json-c so quoting and
 * escaping are never ours to get wrong. A cell of kind CELL_NULL is "-" in
 * the columns and null in JSON: a value this source cannot know (leased
 * instances without the broker, engine counters without debugfs).
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "util.h"

struct cell {
	enum cell_kind kind;
	union {
		char *s;
		int64_t i;
		uint64_t u;
		bool b;
		char **v;
		double d;
	};
};

struct table {
	size_t n_cols;
	const char *const *headers;
	const char *const *keys;
	struct cell *cells;	/* n_rows * n_cols */
	size_t n_rows;
};

struct table *table_new(size_t n, const char *const *headers, const char *const *keys)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_cols = n;
	t->headers = headers;
	t->keys = keys;
	return t;
}

static void cell_clear(struct cell *c)
{
	if (c->kind == CELL_STRING)
		free(c->s);
	else if (c->kind == CELL_STRV)
		strv_freep(&c->v);
}

struct table *table_free(struct table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		cell_clear(&t->cells[i]);
	free(t->cells);
	free(t);
	return NULL;
}

static char **strv_copy(char *const *v)
{
	size_t n = 0;
	char **c;

	while (v && v[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			strv_freep(&c);
			return NULL;
		}
	}
	return c;
}

int table_add_row(struct table *t, const struct table_cell *cells)
{
	struct cell *nc, *row;
	bool oom = false;

	nc = realloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	t->cells = nc;
	row = nc + t->n_rows * t->n_cols;
	for (size_t i = 0; i < t->n_cols; i++) {
		struct cell *c = &row[i];

		c->kind = cells[i].kind;
		switch (c->kind) {
		case CELL_NULL:
			break;
		case CELL_STRING:
			c->s = strdup(cells[i].s);
			oom |= !c->s;
			break;
		case CELL_INT:
			c->i = cells[i].i;
			break;
		case CELL_UINT:
		case CELL_BYTES:
		case CELL_NSEC:
			c->u = cells[i].u;
			break;
		case CELL_BOOL:
			c->b = cells[i].b;
			break;
		case CELL_DOUBLE:
			c->d = cells[i].d;
			break;
		case CELL_STRV:
			c->v = strv_copy(cells[i].v);
			oom |= !c->v;
			break;
		}
	}
	t->n_rows++;	/* even on failure, so table_free() frees what was copied */
	return oom ? -ENOMEM : 0;
}

size_t table_rows(const struct table *t)
{
	return t->n_rows;
}

static size_t sort_col;	/* qsort has no context argument; warpctl is single-threaded */

static int cmp_rows(const void *a, const void *b)
{
	const struct cell *x = (const struct cell *)a + sort_col;
	const struct cell *y = (const struct cell *)b + sort_col;

	if (x->kind != CELL_STRING || y->kind != CELL_STRING)
		return (int)x->kind - (int)y->kind;
	return strverscmp(x->s, y->s);
}

void table_sort(struct table *t, size_t col)
{
	if (t->n_rows < 2)
		return;		/* and cells may be NULL, which qsort must not get */
	sort_col = col;
	qsort(t->cells, t->n_rows, t->n_cols * sizeof(struct cell), cmp_rows);
}

void format_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

void format_nsec(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.1fms", ns / 1e6);
	else
		snprintf(buf, size, "%.3fs", ns / 1e9);
}

/* The text of one cell for the columns; malloc'd. */
static char *cell_text(const struct cell *c)
{
	char buf[64];
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	switch (c->kind) {
	case CELL_NULL:
		return strdup("-");
	case CELL_STRING:
		return strdup(*c->s ? c->s : "-");
	case CELL_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
		break;
	case CELL_UINT:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)c->u);
		break;
	case CELL_BOOL:
		snprintf(buf, sizeof(buf), "%s", c->b ? "yes" : "no");
		break;
	case CELL_BYTES:
		format_bytes(buf, sizeof(buf), c->u);
		break;
	case CELL_NSEC:
		format_nsec(buf, sizeof(buf), c->u);
		break;
	case CELL_DOUBLE:
		snprintf(buf, sizeof(buf), c->d >= 1000 ? "%.0f" : "%.3g", c->d);
		break;
	case CELL_STRV:
		if (!c->v[0])
			return strdup("-");
		f = open_memstream(&s, &len);
		if (!f)
			return NULL;
		for (char **p = c->v; *p; p++)
			fprintf(f, "%s%s", *p, p[1] ? "," : "");
		fclose(f);
		return s;
	}
	return strdup(buf);
}

/* Numbers align right, like ls -l and systemctl list-units' counters. */
static bool cell_right(const struct cell *c)
{
	return c->kind == CELL_INT || c->kind == CELL_UINT || c->kind == CELL_BYTES ||
	       c->kind == CELL_NSEC || c->kind == CELL_DOUBLE;
}

static int print_columns(const struct table *t, FILE *f, bool legend)
{
	size_t n = t->n_rows * t->n_cols;
	_cleanup_(freep) size_t *width = calloc(t->n_cols, sizeof(size_t));
	_cleanup_(freep) bool *right = calloc(t->n_cols, sizeof(bool));
	char **text = calloc(n + 1, sizeof(char *));
	int r = 0;

	if (!width || !right || !text) {
		free(text);
		return -ENOMEM;
	}
	for (size_t c = 0; c < t->n_cols; c++)
		width[c] = legend ? strlen(t->headers[c]) : 0;
	for (size_t i = 0; i < n; i++) {
		text[i] = cell_text(&t->cells[i]);
		if (!text[i]) {
			r = -ENOMEM;
			goto out;
		}
		if (strlen(text[i]) > width[i % t->n_cols])
			width[i % t->n_cols] = strlen(text[i]);
		right[i % t->n_cols] |= cell_right(&t->cells[i]);
	}
	for (size_t row = legend ? 0 : 1; row <= t->n_rows; row++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = row ? text[(row - 1) * t->n_cols + c] : t->headers[c];
			bool last = c + 1 == t->n_cols;

			if (right[c])
				fprintf(f, "%*s%s", (int)width[c], s, last ? "" : " ");
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s ", (int)width[c], s);
		}
		fputc('\n', f);
	}
	if (legend)
		fprintf(f, "\n%zu %s listed.\n", t->n_rows, t->n_rows == 1 ? "entry" : "entries");
out:
	strv_freep(&text);
	return r;
}

static struct json_object *cell_json(const struct cell *c)
{
	struct json_object *a;

	switch (c->kind) {
	case CELL_NULL:
		return NULL;
	case CELL_STRING:
		return json_object_new_string(c->s);
	case CELL_INT:
		return json_object_new_int64(c->i);
	case CELL_UINT:
	case CELL_BYTES:
	case CELL_NSEC:
		return json_object_new_uint64(c->u);
	case CELL_BOOL:
		return json_object_new_boolean(c->b);
	case CELL_DOUBLE:
		return json_object_new_double(c->d);
	case CELL_STRV:
		a = json_object_new_array();
		for (char **p = c->v; a && *p; p++)
			json_object_array_add(a, json_object_new_string(*p));
		return a;
	}
	return NULL;
}

static int print_json(const struct table *t, FILE *f, enum json_mode mode)
{
	struct json_object *arr = json_object_new_array();
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (!arr)
		return -ENOMEM;
	for (size_t row = 0; row < t->n_rows; row++) {
		struct json_object *o = json_object_new_object();

		if (!o) {
			json_object_put(arr);
			return -ENOMEM;
		}
		for (size_t c = 0; c < t->n_cols; c++)
			json_object_object_add(o, t->keys[c], cell_json(&t->cells[row * t->n_cols + c]));
		json_object_array_add(arr, o);
	}
	flags |= mode == JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
				     : JSON_C_TO_STRING_PLAIN;
	fprintf(f, "%s\n", json_object_to_json_string_ext(arr, flags));
	json_object_put(arr);
	return 0;
}

int table_print(const struct table *t, FILE *f, enum json_mode mode, bool legend)
{
	int r = mode == JSON_OFF ? print_columns(t, f, legend) : print_json(t, f, mode);

	if (r >= 0 && fflush(f) != 0)
		r = -errno;
	return r;
}
