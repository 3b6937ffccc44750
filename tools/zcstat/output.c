// SPDX-License-Identifier: GPL-2.0
/* Aligned human tables with units, and a small JSON writer. */

#include <inttypes.h>
#include <string.h>

#include "output.h"

const char *fmt_bytes(char *buf, uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = v;
	unsigned int u = 0;

	if (v < 1024) {
		snprintf(buf, FMT_LEN, "%" PRIu64 " B", v);
		return buf;
	}
	d /= 1024;
	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	snprintf(buf, FMT_LEN, "%.1f %s", d, units[u]);
	return buf;
}

const char *fmt_value(char *buf, uint64_t v, bool bytes)
{
	if (bytes)
		return fmt_bytes(buf, v);
	snprintf(buf, FMT_LEN, "%" PRIu64, v);
	return buf;
}

/* Labels up to this wide keep the value column fixed. */
#define LABEL_COLS 34

void table_row(int indent, const char *label, const char *value, const char *note)
{
	int pad = LABEL_COLS - indent;

	printf("%*s%-*s %12s", indent, "", pad > 0 ? pad : 0, label, value);
	if (note && *note)
		printf("  %s", note);
	putchar('\n');
}

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->comma = false;
}

static void json_key(struct json *j, const char *key)
{
	if (j->comma)
		fputc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key)
		fprintf(j->f, "\"%s\": ", key);	/* keys are ours: no escaping needed */
	j->comma = true;
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	fputc(bracket, j->f);
	j->depth++;
	j->comma = false;
}

void json_close(struct json *j, char bracket)
{
	bool empty = !j->comma;

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
	j->comma = true;
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_fixed2(struct json *j, const char *key, double v)
{
	json_key(j, key);
	fprintf(j->f, "%.2f", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

/*
 * The length of the UTF-8 sequence at s, or 0 when it is not one (RFC
 * 3629: no overlong form, surrogate, nor code point past U+10FFFF).
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int cp, least;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	/* A continuation byte, or no lead byte at all. */
	if (s[0] < 0xc0 || s[0] >= 0xf8)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	least = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	cp = s[0] & (0x7f >> n);
	/* A NUL ends the string here too: it is no continuation byte. */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	return cp < least || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : n;
}

/*
 * Paths and a command's arguments are bytes, JSON is UTF-8: a byte that
 * is not part of a valid sequence becomes U+FFFD.
 */
void json_str(struct json *j, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	json_key(j, key);
	if (!s) {
		fputs("null", j->f);
		return;
	}
	fputc('"', j->f);
	while (*p) {
		size_t n = utf8_len(p);

		if (!n)
			fputs("\\ufffd", j->f);
		else if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, j->f);
		p += n ? n : 1;
	}
	fputc('"', j->f);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}
