/* SPDX-License-Identifier: Apache-2.0 */
/* Config module: schema walk over the node tree built by cfg_yaml.c. Applies defaults, decodes
 * and range-checks every value into a scratch struct, runs the daemon's cross-field callback,
 * and only then copies the result out, so a bad file never leaves a half-applied config. Also
 * the reload diff, the effective-config dump and the schema help.
 *
 * Error messages are part of the interface (operators read them, tests compare them): each names
 * the key path and what would have been accepted. Values are decoded into int64_t first and
 * stored by field size, so one path serves every integer-like type. */
#include "wt/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_tree.h"
#include "wt/err.h"
#include "wt/mem.h"

#define PATH_MAX_LEN 128 /* key paths; longer ones are truncated in messages */
#define DESC_MAX     320 /* "expected ..." descriptions */
#define SHOW_MAX     48	 /* bytes of a value quoted back in a message */

struct wt_cfg_ctx {
	const char *name;
	struct wt__cfg_doc doc;
	struct wt_cfg_errors *errs;
};

/* ---- errors ---- */

/* Messages quote input text; keep them on one line. */
static void make_printable(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			*s = '?';
		}
	}
}

static void errors_vadd(struct wt_cfg_errors *errs, const char *file, uint32_t line,
			const char *key, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void errors_vadd(struct wt_cfg_errors *errs, const char *file, uint32_t line,
			const char *key, const char *fmt, va_list ap)
{
	struct wt_cfg_error *e;

	if (errs->count >= WT_CFG_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	e = &errs->e[errs->count++];
	snprintf(e->file, sizeof(e->file), "%s", file != NULL ? file : "");
	e->line = line;
	snprintf(e->key, sizeof(e->key), "%s", key != NULL ? key : "");
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	make_printable(e->file);
	make_printable(e->key);
	make_printable(e->msg);
}

void wt__cfg_errors_add(struct wt_cfg_errors *errs, const char *file, uint32_t line,
			const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(errs, file, line, key, fmt, ap);
	va_end(ap);
}

static size_t error_total(const struct wt_cfg_errors *errs)
{
	return errs->count + errs->dropped;
}

int wt_cfg_error_str(const struct wt_cfg_error *e, char *buf, size_t size)
{
	if (e->file[0] != '\0' && e->line > 0) {
		return snprintf(buf, size, "%s:%" PRIu32 ": %s", e->file, e->line, e->msg);
	}
	if (e->file[0] != '\0') {
		return snprintf(buf, size, "%s: %s", e->file, e->msg);
	}
	return snprintf(buf, size, "%s", e->msg);
}

int wt_cfg_errors_print(const struct wt_cfg_errors *errs, FILE *f)
{
	char line[sizeof(struct wt_cfg_error)];

	for (size_t i = 0; i < errs->count; i++) {
		wt_cfg_error_str(&errs->e[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (errs->dropped > 0) {
		fprintf(f, "... and %zu more errors\n", errs->dropped);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- field access: integer-like values travel as int64_t, stored by field size ---- */

static void *field_ptr(void *base, const struct wt_cfg_key *k)
{
	return (char *)base + k->offset;
}

static const void *field_cptr(const void *base, const struct wt_cfg_key *k)
{
	return (const char *)base + k->offset;
}

static bool is_int_type(enum wt_cfg_type t)
{
	return t == WT_CFG_TYPE_BOOL || t == WT_CFG_TYPE_U32 || t == WT_CFG_TYPE_U64 ||
	       t == WT_CFG_TYPE_I64 || t == WT_CFG_TYPE_ENUM || t == WT_CFG_TYPE_DURATION_MS ||
	       t == WT_CFG_TYPE_WATTS;
}

static void set_int(const struct wt_cfg_key *k, void *base, int64_t v)
{
	void *p = field_ptr(base, k);

	if (k->type == WT_CFG_TYPE_BOOL) {
		bool b = v != 0;

		memcpy(p, &b, sizeof(b));
	} else if (k->type == WT_CFG_TYPE_ENUM) {
		int i = (int)v;

		memcpy(p, &i, sizeof(i));
	} else if (k->type == WT_CFG_TYPE_I64) {
		memcpy(p, &v, sizeof(v));
	} else if (k->size == sizeof(uint32_t)) {
		uint32_t u = (uint32_t)v;

		memcpy(p, &u, sizeof(u));
	} else {
		uint64_t u = (uint64_t)v;

		memcpy(p, &u, sizeof(u));
	}
}

static int64_t get_int(const struct wt_cfg_key *k, const void *base)
{
	const void *p = field_cptr(base, k);

	if (k->type == WT_CFG_TYPE_BOOL) {
		bool b;

		memcpy(&b, p, sizeof(b));
		return b;
	}
	if (k->type == WT_CFG_TYPE_ENUM) {
		int i;

		memcpy(&i, p, sizeof(i));
		return i;
	}
	if (k->type == WT_CFG_TYPE_I64) {
		int64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	if (k->size == sizeof(uint32_t)) {
		uint32_t u;

		memcpy(&u, p, sizeof(u));
		return u;
	}
	uint64_t u;

	memcpy(&u, p, sizeof(u));
	return u > INT64_MAX ? INT64_MAX : (int64_t)u;
}

static double get_double(const struct wt_cfg_key *k, const void *base)
{
	double d;

	memcpy(&d, field_cptr(base, k), sizeof(d));
	return d;
}

static void set_double(const struct wt_cfg_key *k, void *base, double d)
{
	memcpy(field_ptr(base, k), &d, sizeof(d));
}

static char **str_slot(const struct wt_cfg_key *k, void *base)
{
	return (char **)field_ptr(base, k);
}

static const char *get_str(const struct wt_cfg_key *k, const void *base)
{
	const char *s;

	memcpy(&s, field_cptr(base, k), sizeof(s));
	return s;
}

/* Lists: the item array pointer lives at offset, its size_t length at count_offset. */
static void *list_items(const struct wt_cfg_key *k, const void *base)
{
	void *items;

	memcpy(&items, field_cptr(base, k), sizeof(items));
	return items;
}

static size_t list_count(const struct wt_cfg_key *k, const void *base)
{
	size_t n;

	memcpy(&n, (const char *)base + k->count_offset, sizeof(n));
	return n;
}

static void list_set(const struct wt_cfg_key *k, void *base, void *items, size_t n)
{
	memcpy(field_ptr(base, k), &items, sizeof(items));
	memcpy((char *)base + k->count_offset, &n, sizeof(n));
}

/* ---- formatting of values, ranges and expectations ---- */

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit duration_units[] = {
	{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 }, { NULL, 0 },
};

static const struct unit watt_units[] = {
	{ "GW", 1000000000 }, { "MW", 1000000 }, { "kW", 1000 }, { "W", 1 }, { NULL, 0 },
};

/* The largest unit that divides @v exactly: 3000 -> "3s", 1500 -> "1500ms", 0 -> "0ms". */
static void fmt_units(int64_t v, const struct unit *units, char *buf, size_t size)
{
	const struct unit *u = units;

	while (u[1].name != NULL && (v == 0 || v % (int64_t)u->factor != 0)) {
		u++;
	}
	snprintf(buf, size, "%" PRId64 "%s", v / (int64_t)u->factor, u->name);
}

/* @v as it would be written in the file, for ranges, defaults and dumps. */
static void fmt_int(const struct wt_cfg_key *k, int64_t v, char *buf, size_t size)
{
	if (k->type == WT_CFG_TYPE_DURATION_MS) {
		fmt_units(v, duration_units, buf, size);
	} else if (k->type == WT_CFG_TYPE_WATTS) {
		fmt_units(v, watt_units, buf, size);
	} else {
		snprintf(buf, size, "%" PRId64, v);
	}
}

/* Shortest "%.Ng" that reads back as the same double: 0.95, not 0.94999999999999996. */
static void fmt_double(double d, char *buf, size_t size)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d) {
			return;
		}
	}
}

static void fmt_range(const struct wt_cfg_key *k, char *buf, size_t size)
{
	char lo[32], hi[32];

	if (k->type == WT_CFG_TYPE_DOUBLE) {
		fmt_double(k->min_d, lo, sizeof(lo));
		fmt_double(k->max_d, hi, sizeof(hi));
		snprintf(buf, size, "[%s, %s]", lo, hi);
		return;
	}
	fmt_int(k, k->min, lo, sizeof(lo));
	fmt_int(k, k->max, hi, sizeof(hi));
	snprintf(buf, size, "[%s, %s]", lo, hi);
}

static void fmt_enum_names(const struct wt_cfg_key *k, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct wt_cfg_enum *e = k->enums; e->name != NULL && used < size; e++) {
		int n = snprintf(buf + used, size - used, "%s%s", e == k->enums ? "" : ", ",
				 e->name);

		used += n > 0 ? (size_t)n : 0;
	}
}

/* What a key accepts, for "(expected ...)": "an integer in [1, 4000]". */
static void fmt_expected(const struct wt_cfg_key *k, char *buf, size_t size)
{
	char range[80], names[DESC_MAX - 16];

	fmt_range(k, range, sizeof(range));
	switch (k->type) {
	case WT_CFG_TYPE_BOOL:
		snprintf(buf, size, "true or false");
		break;
	case WT_CFG_TYPE_U32:
	case WT_CFG_TYPE_U64:
	case WT_CFG_TYPE_I64:
		snprintf(buf, size, "an integer in %s", range);
		break;
	case WT_CFG_TYPE_DOUBLE:
		snprintf(buf, size, "a number in %s", range);
		break;
	case WT_CFG_TYPE_STRING:
		snprintf(buf, size, "a string of [%" PRId64 ", %" PRId64 "] bytes", k->min, k->max);
		break;
	case WT_CFG_TYPE_ENUM:
		fmt_enum_names(k, names, sizeof(names));
		snprintf(buf, size, "one of: %s", names);
		break;
	case WT_CFG_TYPE_DURATION_MS:
		snprintf(buf, size, "a duration in %s", range);
		break;
	case WT_CFG_TYPE_WATTS:
		snprintf(buf, size, "a power in %s", range);
		break;
	case WT_CFG_TYPE_MAP:
		snprintf(buf, size, "a map");
		break;
	case WT_CFG_TYPE_LIST:
		snprintf(buf, size, "a list of [%" PRId64 ", %" PRId64 "] maps", k->min, k->max);
		break;
	case WT_CFG_TYPE_STRLIST:
		snprintf(buf, size,
			 "a list of [%" PRId64 ", %" PRId64 "] strings of at most %zu bytes",
			 k->min, k->max, k->max_len);
		break;
	}
}

/* The value as written in the file, cut at SHOW_MAX bytes (on a UTF-8 boundary). */
static void fmt_shown(const struct wt__cfg_node *n, char *buf, size_t size)
{
	size_t len = n->len;
	bool cut = false;

	if (len > SHOW_MAX) {
		len = SHOW_MAX;
		while (len > 0 && ((unsigned char)n->str[len] & 0xc0) == 0x80) {
			len--;
		}
		cut = true;
	}
	snprintf(buf, size, "%s%.*s%s%s", n->plain ? "" : "\"", (int)len, n->str, cut ? "..." : "",
		 n->plain ? "" : "\"");
}

static const char *kind_name(const struct wt__cfg_node *n)
{
	switch (n->kind) {
	case WT__CFG_SCALAR:
		return "string";
	case WT__CFG_MAP:
		return "map";
	case WT__CFG_SEQ:
		return "list";
	}
	return "?";
}

/* Key paths longer than the buffer are truncated on purpose (they only name keys in error
 * messages); the result is checked so that -Wformat-truncation knows it is handled. */
static void join_key(char *buf, size_t size, const char *parent, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", parent, parent[0] != '\0' ? "." : "", name);

	if (n < 0 || (size_t)n >= size) {
		buf[size - 1] = '\0';
	}
}

static void join_index(char *buf, size_t size, const char *parent, size_t i)
{
	int n = snprintf(buf, size, "%s[%zu]", parent, i);

	if (n < 0 || (size_t)n >= size) {
		buf[size - 1] = '\0';
	}
}

/* ---- schema sanity: a broken table is a programming error, caught on every load ---- */

static void schema_check(const struct wt_cfg_key *keys, size_t struct_size)
{
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		WT_ASSERT(k->offset + k->size <= struct_size);
		for (const struct wt_cfg_key *o = keys; o != k; o++) {
			WT_ASSERT(strcmp(o->name, k->name) != 0);
		}
		switch (k->type) {
		case WT_CFG_TYPE_BOOL:
			WT_ASSERT(k->size == sizeof(bool));
			break;
		case WT_CFG_TYPE_U32:
		case WT_CFG_TYPE_U64:
		case WT_CFG_TYPE_I64:
		case WT_CFG_TYPE_DURATION_MS:
		case WT_CFG_TYPE_WATTS:
			WT_ASSERT(k->size == sizeof(uint32_t) || k->size == sizeof(uint64_t));
			WT_ASSERT(k->min <= k->max);
			WT_ASSERT(k->type == WT_CFG_TYPE_I64 || k->min >= 0);
			WT_ASSERT(k->size == sizeof(uint64_t) || k->max <= (int64_t)UINT32_MAX);
			WT_ASSERT(k->required || (k->def >= k->min && k->def <= k->max));
			break;
		case WT_CFG_TYPE_DOUBLE:
			WT_ASSERT(k->size == sizeof(double));
			WT_ASSERT(isfinite(k->min_d) && isfinite(k->max_d) && k->min_d <= k->max_d);
			WT_ASSERT(k->required || (k->def_d >= k->min_d && k->def_d <= k->max_d));
			break;
		case WT_CFG_TYPE_STRING:
			WT_ASSERT(k->size == sizeof(char *));
			WT_ASSERT(k->min >= 0 && k->min <= k->max);
			WT_ASSERT(k->def_s == NULL || ((int64_t)strlen(k->def_s) >= k->min &&
						       (int64_t)strlen(k->def_s) <= k->max));
			break;
		case WT_CFG_TYPE_ENUM: {
			bool found = k->required;

			WT_ASSERT(k->size == sizeof(int));
			WT_ASSERT(k->enums != NULL && k->enums[0].name != NULL);
			for (const struct wt_cfg_enum *e = k->enums; e->name != NULL; e++) {
				found = found || e->value == k->def;
			}
			WT_ASSERT(found);
			break;
		}
		case WT_CFG_TYPE_MAP:
			WT_ASSERT(k->children != NULL && k->size == k->elem_size);
			schema_check(k->children, k->elem_size);
			break;
		case WT_CFG_TYPE_LIST:
		case WT_CFG_TYPE_STRLIST:
			WT_ASSERT(k->size == sizeof(void *));
			WT_ASSERT(k->count_offset + sizeof(size_t) <= struct_size);
			WT_ASSERT(k->min >= 0 && k->min <= k->max);
			if (k->type == WT_CFG_TYPE_LIST) {
				WT_ASSERT(k->children != NULL && k->elem_size > 0);
				schema_check(k->children, k->elem_size);
			} else {
				WT_ASSERT(k->max_len > 0);
			}
			break;
		}
	}
}

/* ---- defaults and freeing ---- */

static void apply_defaults(const struct wt_cfg_key *keys, void *base)
{
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		if (is_int_type(k->type)) {
			set_int(k, base, k->def);
		} else if (k->type == WT_CFG_TYPE_DOUBLE) {
			set_double(k, base, k->def_d);
		} else if (k->type == WT_CFG_TYPE_STRING) {
			*str_slot(k, base) = k->def_s != NULL ? wt_strdup(k->def_s) : NULL;
		} else if (k->type == WT_CFG_TYPE_MAP) {
			apply_defaults(k->children, field_ptr(base, k));
		} else {
			list_set(k, base, NULL, 0);
		}
	}
}

static void free_keys(const struct wt_cfg_key *keys, void *base)
{
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		if (k->type == WT_CFG_TYPE_STRING) {
			WT_FREE(*str_slot(k, base));
		} else if (k->type == WT_CFG_TYPE_MAP) {
			free_keys(k->children, field_ptr(base, k));
		} else if (k->type == WT_CFG_TYPE_LIST || k->type == WT_CFG_TYPE_STRLIST) {
			char *items = list_items(k, base);
			size_t n = list_count(k, base);

			for (size_t i = 0; items != NULL && i < n; i++) {
				if (k->type == WT_CFG_TYPE_LIST) {
					free_keys(k->children, items + i * k->elem_size);
				} else {
					wt_free(((char **)(void *)items)[i]);
				}
			}
			wt_free(items);
			list_set(k, base, NULL, 0);
		}
	}
}

void wt_cfg_free(const struct wt_cfg_key *schema, void *cfg)
{
	if (cfg != NULL) {
		free_keys(schema, cfg);
	}
}

/* ---- scalar parsing ---- */

enum parse_rc {
	PARSE_OK,
	PARSE_SYNTAX,	/* not a number of this kind */
	PARSE_RANGE,	/* a number, but too large for any field */
	PARSE_UNIT,	/* a number with an unknown unit */
	PARSE_FRACTION, /* not a whole number of the base unit */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal integer, optional sign, nothing else. */
static enum parse_rc parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '+' || *p == '-') {
		p++;
	}
	if (!is_digit(*p)) {
		return PARSE_SYNTAX;
	}
	while (is_digit(*p)) {
		p++;
	}
	if (*p != '\0') {
		return PARSE_SYNTAX;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		return PARSE_RANGE;
	}
	*out = v;
	return PARSE_OK;
}

/* Decimal number with optional fraction and exponent; no hex floats, nan or inf (which
 * strtod() would take). */
static enum parse_rc parse_double(const char *s, double *out)
{
	const char *p = s;
	size_t digits = 0;
	char *end;
	double d;

	if (*p == '+' || *p == '-') {
		p++;
	}
	for (; is_digit(*p); p++) {
		digits++;
	}
	if (*p == '.') {
		for (p++; is_digit(*p); p++) {
			digits++;
		}
	}
	if (digits == 0) {
		return PARSE_SYNTAX;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-') {
			p++;
		}
		if (!is_digit(*p)) {
			return PARSE_SYNTAX;
		}
		while (is_digit(*p)) {
			p++;
		}
	}
	if (*p != '\0') {
		return PARSE_SYNTAX;
	}
	d = strtod(s, &end);
	if (!isfinite(d)) {
		return PARSE_RANGE;
	}
	*out = d;
	return PARSE_OK;
}

static bool mul_add(uint64_t *acc, uint64_t mul, uint64_t add)
{
	if (*acc > (UINT64_MAX - add) / mul) {
		return false;
	}
	*acc = *acc * mul + add;
	return true;
}

/* "<decimal>[unit]" in exact integer arithmetic (no binary floating point: "0.05kW" must be
 * 50, not 49.999...). A bare number is in the smallest unit. The result must be a whole number
 * of that unit. */
static enum parse_rc parse_units(const char *s, const struct unit *units, int64_t *out)
{
	const char *p = s;
	const struct unit *u = NULL;
	uint64_t mant = 0, div = 1;
	size_t digits = 0, zeros = 0;
	bool neg = false;

	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	for (; is_digit(*p); p++, digits++) {
		if (!mul_add(&mant, 10, (uint64_t)(*p - '0'))) {
			return PARSE_RANGE;
		}
	}
	if (*p == '.') {
		/* Trailing zeros of the fraction are only counted, so "1.000000000000000000000s"
		 * does not overflow. */
		for (p++; is_digit(*p); p++, digits++) {
			if (*p == '0') {
				zeros++;
				continue;
			}
			/* A divisor past 10^19 with a non-zero last digit can never give a
			 * whole number of the base unit (the largest factor is 10^9). */
			for (; zeros > 0; zeros--) {
				if (!mul_add(&mant, 10, 0)) {
					return PARSE_RANGE;
				}
				if (!mul_add(&div, 10, 0)) {
					return PARSE_FRACTION;
				}
			}
			if (!mul_add(&mant, 10, (uint64_t)(*p - '0'))) {
				return PARSE_RANGE;
			}
			if (!mul_add(&div, 10, 0)) {
				return PARSE_FRACTION;
			}
		}
	}
	if (digits == 0) {
		return PARSE_SYNTAX;
	}
	if (*p == '\0') {
		while (units[1].name != NULL) {
			units++;
		}
		u = units; /* the smallest unit is last */
	} else {
		for (u = units; u->name != NULL && strcmp(u->name, p) != 0; u++) {
		}
		if (u->name == NULL) {
			return PARSE_UNIT;
		}
	}
	if (!mul_add(&mant, u->factor, 0)) {
		return PARSE_RANGE;
	}
	if (mant % div != 0) {
		return PARSE_FRACTION;
	}
	mant /= div;
	if (mant > (uint64_t)INT64_MAX) {
		return PARSE_RANGE;
	}
	*out = neg ? -(int64_t)mant : (int64_t)mant;
	return PARSE_OK;
}

static enum parse_rc parse_bool(const char *s, int64_t *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return PARSE_OK;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return PARSE_OK;
		}
	}
	return PARSE_SYNTAX;
}

static enum parse_rc parse_enum(const struct wt_cfg_key *k, const char *s, int64_t *out)
{
	for (const struct wt_cfg_enum *e = k->enums; e->name != NULL; e++) {
		if (strcmp(e->name, s) == 0) {
			*out = e->value;
			return PARSE_OK;
		}
	}
	return PARSE_SYNTAX;
}

/* ---- decoding against the schema ---- */

static void add_error(struct wt_cfg_ctx *ctx, uint32_t line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_error(struct wt_cfg_ctx *ctx, uint32_t line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(ctx->errs, ctx->name, line, key, fmt, ap);
	va_end(ap);
}

/* A scalar value that failed to parse: say why, and what would have been accepted. */
static void report_scalar(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, const char *path,
			  const struct wt__cfg_node *v, uint32_t line, enum parse_rc rc)
{
	char shown[SHOW_MAX + 8], expected[DESC_MAX], range[80];
	const char *base_unit = k->type == WT_CFG_TYPE_WATTS ? "watts" : "milliseconds";

	fmt_shown(v, shown, sizeof(shown));
	fmt_expected(k, expected, sizeof(expected));
	fmt_range(k, range, sizeof(range));
	switch (rc) {
	case PARSE_RANGE:
		add_error(ctx, line, path, "key '%s' = %s is out of range %s", path, shown, range);
		break;
	case PARSE_UNIT:
		add_error(ctx, line, path,
			  "key '%s' = %s has an unknown unit (expected %s; units: %s)", path, shown,
			  expected, k->type == WT_CFG_TYPE_WATTS ? "W, kW, MW, GW" : "ms, s, m, h");
		break;
	case PARSE_FRACTION:
		add_error(ctx, line, path,
			  "key '%s' = %s is not a whole number of %s (expected %s)", path, shown,
			  base_unit, expected);
		break;
	case PARSE_SYNTAX:
	case PARSE_OK:
	default:
		add_error(ctx, line, path, "key '%s' = %s is not valid (expected %s)", path, shown,
			  expected);
		break;
	}
}

static void decode_scalar(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, void *base,
			  const char *path, const struct wt__cfg_node *v, uint32_t line)
{
	enum parse_rc rc = PARSE_SYNTAX;
	int64_t iv = 0;
	double dv = 0;

	switch (k->type) {
	case WT_CFG_TYPE_BOOL:
		rc = parse_bool(v->str, &iv);
		break;
	case WT_CFG_TYPE_U32:
	case WT_CFG_TYPE_U64:
	case WT_CFG_TYPE_I64:
		rc = parse_int(v->str, &iv);
		break;
	case WT_CFG_TYPE_DURATION_MS:
		rc = parse_units(v->str, duration_units, &iv);
		break;
	case WT_CFG_TYPE_WATTS:
		rc = parse_units(v->str, watt_units, &iv);
		break;
	case WT_CFG_TYPE_ENUM:
		rc = parse_enum(k, v->str, &iv);
		break;
	case WT_CFG_TYPE_DOUBLE:
		rc = parse_double(v->str, &dv);
		if (rc == PARSE_OK && (dv < k->min_d || dv > k->max_d)) {
			rc = PARSE_RANGE;
		}
		if (rc == PARSE_OK) {
			set_double(k, base, dv);
		}
		break;
	case WT_CFG_TYPE_STRING: {
		char **slot = str_slot(k, base);

		if ((int64_t)v->len < k->min || (int64_t)v->len > k->max) {
			char expected[DESC_MAX];

			fmt_expected(k, expected, sizeof(expected));
			add_error(ctx, line, path, "key '%s' is %zu bytes long (expected %s)", path,
				  v->len, expected);
			return;
		}
		wt_free(*slot);
		*slot = wt_strdup(v->str);
		return;
	}
	case WT_CFG_TYPE_MAP:
	case WT_CFG_TYPE_LIST:
	case WT_CFG_TYPE_STRLIST:
		WT_ASSERT(!"not a scalar type");
		break;
	}
	if (rc == PARSE_OK && is_int_type(k->type) && k->type != WT_CFG_TYPE_BOOL &&
	    k->type != WT_CFG_TYPE_ENUM && (iv < k->min || iv > k->max)) {
		rc = PARSE_RANGE;
	}
	if (rc != PARSE_OK) {
		report_scalar(ctx, k, path, v, line, rc);
		return;
	}
	if (k->type != WT_CFG_TYPE_DOUBLE) {
		set_int(k, base, iv);
	}
}

static void decode_map(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *keys, void *base,
		       const char *path, const struct wt__cfg_node *map, uint32_t line);

/* A list size is checked before anything is allocated for it. */
static bool check_count(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, const char *path,
			const struct wt__cfg_node *v, uint32_t line)
{
	char expected[DESC_MAX];

	if ((int64_t)v->count >= k->min && (int64_t)v->count <= k->max) {
		return true;
	}
	fmt_expected(k, expected, sizeof(expected));
	add_error(ctx, line, path, "key '%s' has %" PRIu32 " items (expected %s)", path, v->count,
		  expected);
	return false;
}

static void decode_list(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, void *base,
			const char *path, const struct wt__cfg_node *v, uint32_t line)
{
	char item_path[PATH_MAX_LEN];
	char *items;
	size_t i = 0;

	if (!check_count(ctx, k, path, v, line)) {
		return;
	}
	/* Attach the array first so that wt_cfg_free() releases it whatever happens below. */
	items = wt_calloc(v->count, k->elem_size);
	list_set(k, base, items, v->count);
	for (const struct wt__cfg_node *it = v->child; it != NULL; it = it->next, i++) {
		char *item = items + i * k->elem_size;

		join_index(item_path, sizeof(item_path), path, i);
		apply_defaults(k->children, item);
		if (wt__cfg_node_is_null(it)) {
			add_error(ctx, it->line, item_path,
				  "key '%s' has no value (expected a map)", item_path);
			continue;
		}
		if (it->kind != WT__CFG_MAP) {
			add_error(ctx, it->line, item_path, "key '%s' is a %s (expected a map)",
				  item_path, kind_name(it));
			continue;
		}
		decode_map(ctx, k->children, item, item_path, it, it->line);
	}
}

static void decode_strlist(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, void *base,
			   const char *path, const struct wt__cfg_node *v, uint32_t line)
{
	char item_path[PATH_MAX_LEN];
	char **items;
	size_t i = 0;

	if (!check_count(ctx, k, path, v, line)) {
		return;
	}
	items = wt_calloc(v->count, sizeof(char *));
	list_set(k, base, items, v->count);
	for (const struct wt__cfg_node *it = v->child; it != NULL; it = it->next, i++) {
		join_index(item_path, sizeof(item_path), path, i);
		if (wt__cfg_node_is_null(it)) {
			add_error(ctx, it->line, item_path,
				  "key '%s' has no value (expected a string of at most %zu bytes)",
				  item_path, k->max_len);
			continue;
		}
		if (it->kind != WT__CFG_SCALAR) {
			add_error(ctx, it->line, item_path,
				  "key '%s' is a %s (expected a string of at most %zu bytes)",
				  item_path, kind_name(it), k->max_len);
			continue;
		}
		if (it->len > k->max_len) {
			add_error(ctx, it->line, item_path,
				  "key '%s' is %zu bytes long (expected a string of at most %zu "
				  "bytes)",
				  item_path, it->len, k->max_len);
			continue;
		}
		items[i] = wt_strdup(it->str);
	}
}

static void decode_value(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *k, void *base,
			 const char *path, const struct wt__cfg_node *v, uint32_t line)
{
	enum wt__cfg_kind want = WT__CFG_SCALAR;
	char expected[DESC_MAX];

	if (k->type == WT_CFG_TYPE_MAP) {
		want = WT__CFG_MAP;
	} else if (k->type == WT_CFG_TYPE_LIST || k->type == WT_CFG_TYPE_STRLIST) {
		want = WT__CFG_SEQ;
	}
	if (v == NULL || wt__cfg_node_is_null(v)) {
		fmt_expected(k, expected, sizeof(expected));
		add_error(ctx, line, path, "key '%s' has no value (expected %s)", path, expected);
		return;
	}
	if (v->kind != want) {
		fmt_expected(k, expected, sizeof(expected));
		add_error(ctx, line, path, "key '%s' is a %s (expected %s)", path, kind_name(v),
			  expected);
		return;
	}
	switch (k->type) {
	case WT_CFG_TYPE_MAP:
		decode_map(ctx, k->children, field_ptr(base, k), path, v, v->line);
		break;
	case WT_CFG_TYPE_LIST:
		decode_list(ctx, k, base, path, v, line);
		break;
	case WT_CFG_TYPE_STRLIST:
		decode_strlist(ctx, k, base, path, v, line);
		break;
	default:
		decode_scalar(ctx, k, base, path, v, line);
		break;
	}
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[33];

	if (la > 32 || lb > 32) {
		return SIZE_MAX;
	}
	for (size_t j = 0; j <= lb; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void report_unknown(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *keys, const char *path,
			   const struct wt__cfg_node *kn)
{
	char full[PATH_MAX_LEN], allowed[DESC_MAX], hint[80] = "";
	const struct wt_cfg_key *best = NULL;
	size_t best_d = SIZE_MAX, used = 0;

	if (ctx->errs->count >= WT_CFG_ERRORS_MAX) {
		ctx->errs->dropped++; /* skip the suggestions: a file may hold thousands of keys */
		return;
	}
	join_key(full, sizeof(full), path, kn->str);
	allowed[0] = '\0';
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		size_t d = edit_distance(kn->str, k->name);
		int n;

		if (d < best_d && d <= 2 && d < strlen(k->name)) {
			best_d = d;
			best = k;
		}
		if (used < sizeof(allowed)) {
			n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s",
				     k == keys ? "" : ", ", k->name);
			used += n > 0 ? (size_t)n : 0;
		}
	}
	if (used >= sizeof(allowed)) {
		memcpy(allowed + sizeof(allowed) - sizeof(", ..."), ", ...", sizeof(", ..."));
	}
	if (best != NULL) {
		snprintf(hint, sizeof(hint), "did you mean '%s'? ", best->name);
	}
	add_error(ctx, kn->line, full, "unknown key '%s' (%sallowed here: %s)", full, hint,
		  keys->name != NULL ? allowed : "none");
}

static const struct wt__cfg_node *map_find(const struct wt__cfg_node *map, const char *name,
					   size_t len)
{
	for (const struct wt__cfg_node *kn = map != NULL ? map->child : NULL; kn != NULL;
	     kn = kn->next) {
		if (kn->len == len && memcmp(kn->str, name, len) == 0) {
			return kn;
		}
	}
	return NULL;
}

/* Decode the entries of @map (NULL: the map is absent, which only reports missing required
 * keys below it) into @base. @line is where the map starts, for missing keys. */
static void decode_map(struct wt_cfg_ctx *ctx, const struct wt_cfg_key *keys, void *base,
		       const char *path, const struct wt__cfg_node *map, uint32_t line)
{
	char sub[PATH_MAX_LEN];

	for (const struct wt__cfg_node *kn = map != NULL ? map->child : NULL; kn != NULL;
	     kn = kn->next) {
		const struct wt_cfg_key *k = keys;

		while (k->name != NULL && strcmp(k->name, kn->str) != 0) {
			k++;
		}
		if (k->name == NULL) {
			report_unknown(ctx, keys, path, kn);
			continue;
		}
		join_key(sub, sizeof(sub), path, k->name);
		decode_value(ctx, k, base, sub, kn->value, kn->line);
	}
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		if (map_find(map, k->name, strlen(k->name)) != NULL) {
			continue;
		}
		join_key(sub, sizeof(sub), path, k->name);
		if (k->required) {
			add_error(ctx, line, sub, "missing required key '%s'", sub);
		} else if (k->type == WT_CFG_TYPE_MAP) {
			decode_map(ctx, k->children, field_ptr(base, k), sub, NULL, line);
		}
	}
}

/* ---- cross-field errors ---- */

/* Line of @key_path in the file, or of its nearest ancestor present. */
static uint32_t path_line(const struct wt_cfg_ctx *ctx, const char *key_path)
{
	const struct wt__cfg_node *n = ctx->doc.root;
	uint32_t line = n != NULL ? n->line : 0;
	const char *p = key_path;

	while (n != NULL && p != NULL && *p != '\0') {
		size_t len = strcspn(p, ".[");
		const struct wt__cfg_node *kn;

		if (len > 0) {
			kn = n->kind == WT__CFG_MAP ? map_find(n, p, len) : NULL;
			if (kn == NULL) {
				break;
			}
			line = kn->line;
			n = kn->value;
			p += len;
		}
		while (n != NULL && *p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			const struct wt__cfg_node *it = n->kind == WT__CFG_SEQ ? n->child : NULL;

			if (*end != ']') {
				return line;
			}
			for (; it != NULL && idx > 0; idx--) {
				it = it->next;
			}
			if (it == NULL) {
				return line;
			}
			line = it->line;
			n = it;
			p = end + 1;
		}
		if (*p == '.') {
			p++;
		} else if (*p != '\0') {
			break;
		}
	}
	return line;
}

void wt_cfg_error(struct wt_cfg_ctx *ctx, const char *key_path, const char *fmt, ...)
{
	char msg[sizeof(ctx->errs->e[0].msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key_path == NULL || key_path[0] == '\0') {
		add_error(ctx, 0, NULL, "%s", msg);
		return;
	}
	add_error(ctx, path_line(ctx, key_path), key_path, "key '%s': %s", key_path, msg);
}

/* ---- loading ---- */

int wt_cfg_load_buffer(const char *name, const char *buf, size_t len,
		       const struct wt_cfg_key *schema, void *out, size_t out_size,
		       wt_cfg_validate_cb *validate, void *arg, struct wt_cfg_errors *errs)
{
	struct wt_cfg_ctx ctx = { .name = name, .errs = errs };
	const struct wt__cfg_node *root;
	void *tmp = NULL;
	int rc;

	WT_ASSERT(errs != NULL && out != NULL && schema != NULL);
	WT_ASSERT(buf != NULL || len == 0);
	errs->count = 0;
	errs->dropped = 0;
	schema_check(schema, out_size);
	if (buf == NULL) {
		buf = ""; /* libyaml asserts on a NULL input even when empty */
	}
	rc = wt__cfg_doc_parse(&ctx.doc, name, buf, len, errs);
	if (rc < 0) {
		goto out;
	}
	root = ctx.doc.root;
	rc = WT_ECONFIG;
	if (root == NULL || wt__cfg_node_is_null(root)) {
		add_error(&ctx, root != NULL ? root->line : 0, NULL,
			  "file is empty (expected a map; write {} to use every default)");
		goto out;
	}
	if (root->kind != WT__CFG_MAP) {
		add_error(&ctx, root->line, NULL, "top level is a %s (expected a map)",
			  kind_name(root));
		goto out;
	}
	tmp = wt_calloc(1, out_size);
	apply_defaults(schema, tmp);
	decode_map(&ctx, schema, tmp, "", root, root->line);
	if (error_total(errs) > 0) {
		goto out;
	}
	if (validate != NULL) {
		int vrc = validate(&ctx, tmp, arg);

		if (vrc < 0 && error_total(errs) == 0) {
			add_error(&ctx, 0, NULL, "configuration rejected (%s)", wt_strerror(vrc));
		}
		if (error_total(errs) > 0) {
			goto out;
		}
	}
	memcpy(out, tmp, out_size); /* ownership of the allocations moves to @out */
	WT_FREE(tmp);
	rc = 0;
out:
	if (tmp != NULL) {
		wt_cfg_free(schema, tmp);
		wt_free(tmp);
	}
	wt__cfg_doc_free(&ctx.doc);
	return rc;
}

/* Read all of @fd, up to WT_CFG_FILE_MAX bytes. Returns the length or a negative code after
 * adding an error. Works for pipes too (-c /dev/stdin), so it does not trust st_size. */
static ssize_t read_all(int fd, const char *path, char **out, struct wt_cfg_errors *errs)
{
	size_t cap = 16384, len = 0;
	char *buf = wt_malloc(cap);

	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > WT_CFG_FILE_MAX) {
				wt_free(buf);
				wt__cfg_errors_add(errs, path, 0, NULL,
						   "file is larger than %d bytes", WT_CFG_FILE_MAX);
				return WT_E2BIG;
			}
			cap = cap * 2 > WT_CFG_FILE_MAX ? WT_CFG_FILE_MAX + 1 : cap * 2;
			buf = wt_realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int err = -errno;

			wt_free(buf);
			wt__cfg_errors_add(errs, path, 0, NULL, "cannot read file (%s)",
					   wt_strerror(err));
			return err;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	if (len > WT_CFG_FILE_MAX) {
		wt_free(buf);
		wt__cfg_errors_add(errs, path, 0, NULL, "file is larger than %d bytes",
				   WT_CFG_FILE_MAX);
		return WT_E2BIG;
	}
	*out = buf;
	return (ssize_t)len;
}

int wt_cfg_load_file(const char *path, const struct wt_cfg_key *schema, void *out, size_t out_size,
		     wt_cfg_validate_cb *validate, void *arg, struct wt_cfg_errors *errs)
{
	char *buf = NULL;
	ssize_t len;
	int fd, rc;

	WT_ASSERT(errs != NULL && path != NULL);
	errs->count = 0;
	errs->dropped = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		wt__cfg_errors_add(errs, path, 0, NULL, "cannot open file (%s)", wt_strerror(rc));
		return rc;
	}
	len = read_all(fd, path, &buf, errs);
	close(fd);
	if (len < 0) {
		return (int)len;
	}
	rc = wt_cfg_load_buffer(path, buf, (size_t)len, schema, out, out_size, validate, arg, errs);
	wt_free(buf);
	return rc;
}

/* ---- reload diff ---- */

static int diff_report(struct wt_cfg_errors *errs, const char *path)
{
	wt__cfg_errors_add(errs, NULL, 0, path, "key '%s' is not reloadable (restart to change it)",
			   path);
	return 1;
}

static bool str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

static int diff_keys(const struct wt_cfg_key *keys, const void *a, const void *b, const char *path,
		     struct wt_cfg_errors *errs)
{
	char sub[PATH_MAX_LEN], item[PATH_MAX_LEN];
	int n = 0;

	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		if (k->reloadable) {
			continue;
		}
		join_key(sub, sizeof(sub), path, k->name);
		if (is_int_type(k->type)) {
			n += get_int(k, a) != get_int(k, b) ? diff_report(errs, sub) : 0;
		} else if (k->type == WT_CFG_TYPE_DOUBLE) {
			n += get_double(k, a) != get_double(k, b) ? diff_report(errs, sub) : 0;
		} else if (k->type == WT_CFG_TYPE_STRING) {
			n += !str_equal(get_str(k, a), get_str(k, b)) ? diff_report(errs, sub) : 0;
		} else if (k->type == WT_CFG_TYPE_MAP) {
			n += diff_keys(k->children, field_cptr(a, k), field_cptr(b, k), sub, errs);
		} else if (list_count(k, a) != list_count(k, b)) {
			n += diff_report(errs, sub);
		} else if (k->type == WT_CFG_TYPE_LIST) {
			const char *ia = list_items(k, a), *ib = list_items(k, b);

			for (size_t i = 0; i < list_count(k, a); i++) {
				join_index(item, sizeof(item), sub, i);
				n += diff_keys(k->children, ia + i * k->elem_size,
					       ib + i * k->elem_size, item, errs);
			}
		} else {
			char *const *sa = list_items(k, a), *const *sb = list_items(k, b);
			bool same = true;

			for (size_t i = 0; i < list_count(k, a) && same; i++) {
				same = str_equal(sa[i], sb[i]);
			}
			n += same ? 0 : diff_report(errs, sub);
		}
	}
	return n;
}

int wt_cfg_diff_reloadable(const struct wt_cfg_key *schema, const void *old_cfg,
			   const void *new_cfg, struct wt_cfg_errors *errs)
{
	errs->count = 0;
	errs->dropped = 0;
	return diff_keys(schema, old_cfg, new_cfg, "", errs);
}

/* ---- dump ---- */

/* A YAML double-quoted string that reads back as @s. Besides quotes, backslashes and C0
 * controls, escape what a YAML reader would not take back raw: DEL and C1 controls (refused),
 * NEL, U+2028 and U+2029 (read as line breaks and folded), U+FEFF (a BOM) and U+FFFE/U+FFFF
 * (refused). @s is valid UTF-8: libyaml checked it on the way in. */
static void dump_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(f, "\\x%02x", p[1]); /* U+0080..U+009F */
			p += 2;
		} else if ((p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) ||
			   (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) ||
			   (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))) {
			unsigned cp =
				((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);

			fprintf(f, "\\u%04X", cp);
			p += 3;
		} else {
			fputc(*p, f);
			p++;
		}
	}
	fputc('"', f);
}

static void dump_scalar(FILE *f, const struct wt_cfg_key *k, const void *base)
{
	char buf[64];

	switch (k->type) {
	case WT_CFG_TYPE_BOOL:
		fputs(get_int(k, base) ? "true" : "false", f);
		break;
	case WT_CFG_TYPE_DOUBLE:
		fmt_double(get_double(k, base), buf, sizeof(buf));
		fputs(buf, f);
		break;
	case WT_CFG_TYPE_ENUM: {
		int64_t v = get_int(k, base);
		const struct wt_cfg_enum *e = k->enums;

		while (e->name != NULL && e->value != v) {
			e++;
		}
		if (e->name != NULL) {
			fputs(e->name, f);
		} else {
			fprintf(f, "%" PRId64 " # not a known name", v);
		}
		break;
	}
	default:
		fmt_int(k, get_int(k, base), buf, sizeof(buf));
		fputs(buf, f);
		break;
	}
}

/* Print @keys of @base at @indent spaces. With @dash the first line is a list item ("- "). */
static void dump_keys(FILE *f, const struct wt_cfg_key *keys, const void *base, int indent,
		      bool dash)
{
	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		if (dash && k == keys) {
			fprintf(f, "%*s- ", indent - 2, "");
		} else {
			fprintf(f, "%*s", indent, "");
		}
		if (k->type == WT_CFG_TYPE_STRING) {
			const char *s = get_str(k, base);

			if (s == NULL) {
				fprintf(f, "# %s: (not set)\n", k->name);
			} else {
				fprintf(f, "%s: ", k->name);
				dump_string(f, s);
				fputc('\n', f);
			}
		} else if (k->type == WT_CFG_TYPE_MAP) {
			fprintf(f, "%s:\n", k->name);
			dump_keys(f, k->children, field_cptr(base, k), indent + 2, false);
		} else if (k->type == WT_CFG_TYPE_LIST || k->type == WT_CFG_TYPE_STRLIST) {
			const char *items = list_items(k, base);
			size_t n = list_count(k, base);

			fprintf(f, "%s:%s\n", k->name, n == 0 ? " []" : "");
			for (size_t i = 0; i < n; i++) {
				if (k->type == WT_CFG_TYPE_LIST) {
					dump_keys(f, k->children, items + i * k->elem_size,
						  indent + 4, true);
					continue;
				}
				const char *s = ((char *const *)(const void *)items)[i];

				fprintf(f, "%*s- ", indent + 2, "");
				dump_string(f, s != NULL ? s : "");
				fputc('\n', f);
			}
		} else {
			fprintf(f, "%s: ", k->name);
			dump_scalar(f, k, base);
			fputc('\n', f);
		}
	}
	if (dash && keys->name == NULL) {
		fprintf(f, "%*s- {}\n", indent - 2, "");
	}
}

int wt_cfg_dump(const struct wt_cfg_key *schema, const void *cfg, FILE *f)
{
	dump_keys(f, schema, cfg, 0, false);
	return ferror(f) ? -EIO : 0;
}

/* ---- help ---- */

/* "; default 2s", "; required" or nothing (maps, lists). */
static void fmt_default(const struct wt_cfg_key *k, char *buf, size_t size)
{
	char v[64];

	buf[0] = '\0';
	if (k->required) {
		snprintf(buf, size, "; required");
		return;
	}
	switch (k->type) {
	case WT_CFG_TYPE_BOOL:
		snprintf(buf, size, "; default %s", k->def ? "true" : "false");
		break;
	case WT_CFG_TYPE_DOUBLE:
		fmt_double(k->def_d, v, sizeof(v));
		snprintf(buf, size, "; default %s", v);
		break;
	case WT_CFG_TYPE_STRING:
		if (k->def_s == NULL) {
			snprintf(buf, size, "; default none");
		} else {
			snprintf(buf, size, "; default \"%s\"", k->def_s);
		}
		break;
	case WT_CFG_TYPE_ENUM:
		for (const struct wt_cfg_enum *e = k->enums; e->name != NULL; e++) {
			if (e->value == k->def) {
				snprintf(buf, size, "; default %s", e->name);
				break;
			}
		}
		break;
	case WT_CFG_TYPE_U32:
	case WT_CFG_TYPE_U64:
	case WT_CFG_TYPE_I64:
	case WT_CFG_TYPE_DURATION_MS:
	case WT_CFG_TYPE_WATTS:
		fmt_int(k, k->def, v, sizeof(v));
		snprintf(buf, size, "; default %s", v);
		break;
	case WT_CFG_TYPE_MAP:
	case WT_CFG_TYPE_LIST:
	case WT_CFG_TYPE_STRLIST:
		break;
	}
}

static void help_keys(FILE *f, const struct wt_cfg_key *keys, const char *path, bool reloadable)
{
	char sub[PATH_MAX_LEN], expected[DESC_MAX], def[80];

	for (const struct wt_cfg_key *k = keys; k->name != NULL; k++) {
		bool rel = reloadable || k->reloadable;
		const char *reload, *desc;

		join_key(sub, sizeof(sub), path, k->name);
		fmt_expected(k, expected, sizeof(expected));
		fmt_default(k, def, sizeof(def));
		if (k->type == WT_CFG_TYPE_MAP && !rel) {
			reload = "";
		} else if (k->type == WT_CFG_TYPE_LIST && !rel) {
			reload = "; item count: restart to change";
		} else {
			reload = rel ? "; reloadable" : "; restart to change";
		}
		/* "an integer in [1, 4000]" -> "integer in [1, 4000]" */
		desc = expected;
		if (strncmp(desc, "a ", 2) == 0) {
			desc += 2;
		} else if (strncmp(desc, "an ", 3) == 0) {
			desc += 3;
		}
		fprintf(f, "%s: %s%s%s\n", sub, desc, def, reload);
		if (k->help != NULL) {
			fprintf(f, "    %s\n", k->help);
		}
		if (k->type == WT_CFG_TYPE_MAP) {
			help_keys(f, k->children, sub, rel);
		} else if (k->type == WT_CFG_TYPE_LIST) {
			snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "[]");
			help_keys(f, k->children, sub, rel);
		}
	}
}

int wt_cfg_help(const struct wt_cfg_key *schema, FILE *f)
{
	help_keys(f, schema, "", false);
	return ferror(f) ? -EIO : 0;
}
