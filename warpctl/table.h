/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table.h - warpctl's output: one table per command, shown as aligned columns
 * for people or as a JSON array of objects for scripts.
 */
#ifndef WARPCTL_TABLE_H
#define WARPCTL_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct table;

/* How a cell prints; JSON keeps the raw value (CELL_NULL: "-" and null). */
enum cell_kind {
	CELL_NULL,	/* the value is unknown here */
	CELL_STRING,	/* "" prints as "-" */
	CELL_INT,
	CELL_UINT,
	CELL_BOOL,
	CELL_BYTES,	/* uint shown as "4.0K" */
	CELL_NSEC,	/* uint nanoseconds shown as "1.250s" */
	CELL_STRV,	/* strings shown comma-separated, a JSON array */
	CELL_DOUBLE,	/* shown with 3 significant digits, JSON keeps all */
};

enum json_mode {
	JSON_OFF,
	JSON_SHORT,
	JSON_PRETTY,
};

/*
 * A table with @n columns; @headers[i] is the title shown to people, and
 * @keys[i] the JSON member name. Returns NULL when out of memory.
 */
struct table *table_new(size_t n, const char *const *headers, const char *const *keys);
struct table *table_free(struct table *t);

/* One value handed to table_add_row(); the table copies what it needs. */
struct table_cell {
	enum cell_kind kind;
	union {
		const char *s;
		int64_t i;
		uint64_t u;
		bool b;
		char *const *v;	/* NULL-terminated */
		double d;
	};
};

#define C_NULL		((struct table_cell){ .kind = CELL_NULL })
#define C_STR(x)	((struct table_cell){ .kind = CELL_STRING, .s = (x) })
#define C_INT(x)	((struct table_cell){ .kind = CELL_INT, .i = (x) })
#define C_UINT(x)	((struct table_cell){ .kind = CELL_UINT, .u = (x) })
#define C_BOOL(x)	((struct table_cell){ .kind = CELL_BOOL, .b = (x) })
#define C_BYTES(x)	((struct table_cell){ .kind = CELL_BYTES, .u = (x) })
#define C_NSEC(x)	((struct table_cell){ .kind = CELL_NSEC, .u = (x) })
#define C_DOUBLE(x)	((struct table_cell){ .kind = CELL_DOUBLE, .d = (x) })
#define C_STRV(x)	((struct table_cell){ .kind = CELL_STRV, .v = (x) })

/* Append one row: @cells holds one value per column. */
int table_add_row(struct table *t, const struct table_cell *cells);
#define TABLE_ROW(t, ...) table_add_row((t), (const struct table_cell[]){ __VA_ARGS__ })
size_t table_rows(const struct table *t);
/* Sort the rows by the string in column @col. */
void table_sort(struct table *t, size_t col);

/* Print to @f: JSON per @mode, or columns (with a header unless !@legend). */
int table_print(const struct table *t, FILE *f, enum json_mode mode, bool legend);

/* The number formats the table uses, for callers' own messages. */
void format_bytes(char *buf, size_t size, uint64_t bytes);
void format_nsec(char *buf, size_t size, uint64_t ns);

static inline void table_freep(struct table **t)
{
	table_free(*t);
}

#endif
