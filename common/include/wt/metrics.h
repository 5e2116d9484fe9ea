/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition format (version 0.0.4) rendered into a buffer: "# HELP" and
 * "# TYPE" once per metric family, then one sample line per call, label values and help text
 * escaped as the format asks (label values: backslash, double quote, newline; help: backslash,
 * newline). Pure: no I/O, no clock, no global state; the daemons serve the text on /metrics
 * (wt/http.h). Samples of one family must be rendered one after another (the format requires
 * families to be contiguous); a family is announced when its name differs from the previous
 * call's. Names are program constants, so a bad one is reported like any other error: the
 * first error sticks and wt_metrics_end() returns it.
 *
 * Conventions (README "Monitoring"): names start with "wattlease_", carry their unit
 * ("_watts", "_seconds"), counters end in "_total". */
#ifndef WT_METRICS_H
#define WT_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Content-Type of the rendered text. */
#define WT_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Default ceiling for wt_metrics_init(). */
#define WT_METRICS_MAX_BYTES (256 * 1024)

/* One label; arrays end with { NULL, NULL }. Both strings are borrowed for the call. */
struct wt_metrics_label {
	const char *name;
	const char *value;
};

/* A page under construction; embed it and use the API. */
struct wt_metrics {
	/* private: use the API */
	char *buf;
	size_t len, cap, max_bytes;
	int err;
	char family[128];
};

/* Prepare an empty page that may grow to @max_bytes. Allocates nothing yet. */
void wt_metrics_init(struct wt_metrics *m, size_t max_bytes);

/* Free the buffer; the struct may be initialised again. */
void wt_metrics_deinit(struct wt_metrics *m);

/* Start a new page (empties the text, clears the error; keeps the buffer). */
void wt_metrics_begin(struct wt_metrics *m);

/* Add one gauge sample "name{labels} value". @labels may be NULL. @value is rendered as the
 * shortest decimal that reads back the same (integers without a fraction), or NaN, +Inf, -Inf.
 * Returns 0, -EINVAL (name, label name or help invalid) or WT_E2BIG (page over max_bytes). */
int wt_metrics_gauge(struct wt_metrics *m, const char *name, const char *help,
		     const struct wt_metrics_label *labels, double value);

/* Add one counter sample; @name must end in "_total". As wt_metrics_gauge(). */
int wt_metrics_counter(struct wt_metrics *m, const char *name, const char *help,
		       const struct wt_metrics_label *labels, uint64_t value);

/* Finish the page: returns 0 and sets *@text (borrowed from @m until the next call on it; NUL
 * terminated) and *@len, or the first error of the page (then *@text is NULL, *@len 0). */
int wt_metrics_end(struct wt_metrics *m, const char **text, size_t *len);

#endif
