/* SPDX-License-Identifier: GPL-2.0 */
/* Aligned human tables with units, and a small JSON writer. */
#ifndef ZCSTAT_OUTPUT_H
#define ZCSTAT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FMT_LEN 24

/* 0 B, 512 B, 1.5 KiB, 16.0 MiB... into buf (FMT_LEN bytes). */
const char *fmt_bytes(char *buf, uint64_t v);
/* Human value of v in unit (bytes or a plain count). */
const char *fmt_value(char *buf, uint64_t v, bool bytes);

/*
 * One line of a two-column table: label at indent, value right-aligned so
 * that the values line up, then an optional note; fits 80 columns.
 */
void table_row(int indent, const char *label, const char *value, const char *note);

/* Pretty-printed JSON on f; key is NULL for array elements. */
struct json {
	FILE *f;
	int depth;
	bool comma;
};

void json_init(struct json *j, FILE *f);
void json_open(struct json *j, const char *key, char bracket);	/* '{' or '[' */
void json_close(struct json *j, char bracket);			/* '}' or ']' */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_fixed2(struct json *j, const char *key, double v);	/* 2 decimals */
void json_str(struct json *j, const char *key, const char *s);	/* NULL: null */
void json_bool(struct json *j, const char *key, bool v);
/* Ends the document with a newline once the outermost value is closed. */
void json_finish(struct json *j);

#endif
