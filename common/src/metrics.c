/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text rendering (see wt/metrics.h). */
#include "wt/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt/err.h"
#include "wt/mem.h"

void wt_metrics_init(struct wt_metrics *m, size_t max_bytes)
{
	*m = (struct wt_metrics){ .max_bytes = max_bytes };
}

void wt_metrics_deinit(struct wt_metrics *m)
{
	WT_FREE(m->buf);
	m->len = 0;
	m->cap = 0;
}

void wt_metrics_begin(struct wt_metrics *m)
{
	m->len = 0;
	m->err = 0;
	m->family[0] = '\0';
	if (m->buf != NULL) {
		m->buf[0] = '\0';
	}
}

static void fail(struct wt_metrics *m, int err)
{
	if (m->err == 0) {
		m->err = err;
	}
}

/* Append @n bytes; on overflow the page is marked WT_E2BIG. */
static void put(struct wt_metrics *m, const char *s, size_t n)
{
	if (m->err != 0) {
		return;
	}
	if (n >= m->max_bytes || m->len >= m->max_bytes - n) {
		fail(m, WT_E2BIG);
		return;
	}
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;

		while (cap < m->len + n + 1) {
			cap *= 2;
		}
		m->buf = wt_realloc(m->buf, cap);
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void put_str(struct wt_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

/* @s with backslash and newline escaped, and double quote too when @quote. */
static void put_escaped(struct wt_metrics *m, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;

		if (*s == '\\') {
			esc = "\\\\";
		} else if (*s == '\n') {
			esc = "\\n";
		} else if (*s == '"' && quote) {
			esc = "\\\"";
		}
		if (esc != NULL) {
			put(m, run, (size_t)(s - run));
			put_str(m, esc);
			run = s + 1;
		}
	}
	put(m, run, (size_t)(s - run));
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; without ':' for label names. */
static bool valid_name(const char *s, bool colon)
{
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9')) {
		return false;
	}
	for (; *s != '\0'; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			  (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':');

		if (!ok) {
			return false;
		}
	}
	return true;
}

/* "# HELP"/"# TYPE" when @name starts a new family, then "name{labels} ". */
static int sample_start(struct wt_metrics *m, const char *name, const char *help, const char *type,
			const struct wt_metrics_label *labels)
{
	if (!valid_name(name, true) || help == NULL || strlen(name) >= sizeof(m->family)) {
		fail(m, -EINVAL);
		return m->err;
	}
	for (const struct wt_metrics_label *l = labels; l != NULL && l->name != NULL; l++) {
		/* Names starting with "__" are reserved for Prometheus itself. */
		if (!valid_name(l->name, false) || strncmp(l->name, "__", 2) == 0 ||
		    l->value == NULL) {
			fail(m, -EINVAL);
			return m->err;
		}
	}
	if (strcmp(m->family, name) != 0) {
		put_str(m, "# HELP ");
		put_str(m, name);
		put_str(m, " ");
		put_escaped(m, help, false);
		put_str(m, "\n# TYPE ");
		put_str(m, name);
		put_str(m, " ");
		put_str(m, type);
		put_str(m, "\n");
		snprintf(m->family, sizeof(m->family), "%s", name);
	}
	put_str(m, name);
	if (labels != NULL && labels[0].name != NULL) {
		put_str(m, "{");
		for (const struct wt_metrics_label *l = labels; l->name != NULL; l++) {
			if (l != labels) {
				put_str(m, ",");
			}
			put_str(m, l->name);
			put_str(m, "=\"");
			put_escaped(m, l->value, true);
			put_str(m, "\"");
		}
		put_str(m, "}");
	}
	put_str(m, " ");
	return m->err;
}

/* Shortest text that reads back as @v. */
static void format_double(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
	} else if (isinf(v)) {
		snprintf(out, n, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == 0) {
		snprintf(out, n, "0");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, n, "%.0f", v);
	} else {
		snprintf(out, n, "%.15g", v);
		if (strtod(out, NULL) != v) {
			snprintf(out, n, "%.17g", v);
		}
	}
}

int wt_metrics_gauge(struct wt_metrics *m, const char *name, const char *help,
		     const struct wt_metrics_label *labels, double value)
{
	char num[40];

	if (sample_start(m, name, help, "gauge", labels) < 0) {
		return m->err;
	}
	format_double(value, num, sizeof(num));
	put_str(m, num);
	put_str(m, "\n");
	return m->err;
}

int wt_metrics_counter(struct wt_metrics *m, const char *name, const char *help,
		       const struct wt_metrics_label *labels, uint64_t value)
{
	size_t n = name != NULL ? strlen(name) : 0;
	char num[24];

	if (n < 6 || strcmp(name + n - 6, "_total") != 0) {
		fail(m, -EINVAL);
		return m->err;
	}
	if (sample_start(m, name, help, "counter", labels) < 0) {
		return m->err;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	put_str(m, num);
	put_str(m, "\n");
	return m->err;
}

int wt_metrics_end(struct wt_metrics *m, const char **text, size_t *len)
{
	if (m->err != 0) {
		*text = NULL;
		*len = 0;
		return m->err;
	}
	*text = m->buf != NULL ? m->buf : "";
	*len = m->len;
	return 0;
}
