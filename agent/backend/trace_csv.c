/* SPDX-License-Identifier: Apache-2.0 */
/* The trace CSV decoder and trace lookups. The decoder reads the input once to count lines (so
 * it allocates exactly once, bounded by the input and AGT_TRACE_MAX_ROWS), then line by line;
 * every field is checked for its characters before strtod() sees it, so strtod's extras (hex,
 * nan, inf, leading spaces) never get through. Messages quote input only after replacing
 * non-printable bytes, so they are safe to log. */
#include "backend/trace_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/internal.h"
#include "wt/err.h"
#include "wt/mem.h"

#define BLOCK	   256u
#define COL_TIME   "relative_time_s"
#define COL_POWER  "power_total_W"
#define HEADER	   COL_TIME "," COL_POWER
#define QUOTE_MAX  24 /* input bytes quoted in a message */
#define NUMBER_MAX 64 /* a longer number field is refused as bad */

struct parser {
	const char *name;
	char *err;
	size_t errlen;
	size_t line;
};

__attribute__((format(printf, 3, 4))) static int perr(const struct parser *ps, int rc,
						      const char *fmt, ...)
{
	char reason[128];
	va_list ap;

	if (ps->errlen == 0) {
		return rc;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%zu: %s", ps->name, ps->line, reason);
	return rc;
}

/* Copy at most QUOTE_MAX bytes of @s into @buf for a message: non-printable bytes become '?',
 * and "..." marks a cut. */
static const char *quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = len > QUOTE_MAX ? QUOTE_MAX : len;
	size_t i;

	WT_ASSERT(size >= QUOTE_MAX + 4);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c >= 0x7f || c == '\'') ? '?' : (char)c;
	}
	if (len > n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Next line of the input from *@p to @end: sets *@ls and its length *@ll (without "\n" or
 * "\r\n") and moves *@p past it. Returns false at the end of input. */
static bool next_line(const char **p, const char *end, const char **ls, size_t *ll)
{
	const char *nl;

	if (*p >= end) {
		return false;
	}
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*ls = *p;
	if (nl == NULL) {
		*ll = (size_t)(end - *p);
		*p = end;
	} else {
		*ll = (size_t)(nl - *p);
		*p = nl + 1;
	}
	if (*ll > 0 && (*ls)[*ll - 1] == '\r') {
		(*ll)--;
	}
	return true;
}

static bool field_is(const char *f, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(f, want, len) == 0;
}

static int check_header(struct parser *ps, const char *s, size_t len)
{
	static const char *const cols[] = { COL_TIME, COL_POWER };
	char q[QUOTE_MAX + 4];
	size_t i = 0, col = 0;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.') {
		return perr(ps, WT_EBADMSG, "missing header (want " HEADER ")");
	}
	while (i <= len) {
		const char *f = s + i;
		const char *comma = memchr(f, ',', len - i);
		size_t flen = comma ? (size_t)(comma - f) : len - i;

		if (col >= 2 || !field_is(f, flen, cols[col])) {
			return perr(ps, WT_EBADMSG, "unknown header column '%s' (want " HEADER ")",
				    quote(q, sizeof(q), f, flen));
		}
		col++;
		i += flen + 1;
	}
	if (col < 2) {
		return perr(ps, WT_EBADMSG, "missing header column '" COL_POWER "'");
	}
	return 0;
}

/* Parse one numeric field of column @col into *@v. */
static int parse_num(struct parser *ps, const char *f, size_t len, const char *col, double *v)
{
	char buf[NUMBER_MAX + 1], q[QUOTE_MAX + 4];
	const char *w = f;
	size_t wl = len;
	char *end;

	if (len == 0) {
		return perr(ps, WT_EBADMSG, "empty %s", col);
	}
	if (wl > 0 && (w[0] == '+' || w[0] == '-')) {
		w++;
		wl--;
	}
	if ((wl == 3 && (strncasecmp(w, "nan", 3) == 0 || strncasecmp(w, "inf", 3) == 0)) ||
	    (wl == 8 && strncasecmp(w, "infinity", 8) == 0)) {
		return perr(ps, WT_EBADMSG, "%s '%s' is not finite", col,
			    quote(q, sizeof(q), f, len));
	}
	if (len > NUMBER_MAX) {
		goto bad;
	}
	for (size_t i = 0; i < len; i++) {
		if (strchr("0123456789.eE+-", f[i]) == NULL || f[i] == '\0') {
			goto bad;
		}
	}
	memcpy(buf, f, len);
	buf[len] = '\0';
	*v = strtod(buf, &end);
	if (end != buf + len) {
		goto bad;
	}
	if (!isfinite(*v)) {
		return perr(ps, WT_EBADMSG, "%s '%s' is not finite", col,
			    quote(q, sizeof(q), f, len));
	}
	return 0;
bad:
	return perr(ps, WT_EBADMSG, "bad number '%s' in %s", quote(q, sizeof(q), f, len), col);
}

static void finish(struct agt_trace *t)
{
	size_t nb = (t->n + BLOCK - 1) / BLOCK;

	t->blk_max = wt_malloc(nb * sizeof(*t->blk_max));
	t->sum_w = 0.0;
	t->max_w = 0.0;
	for (size_t b = 0; b < nb; b++) {
		t->blk_max[b] = 0.0;
	}
	for (size_t i = 0; i < t->n; i++) {
		t->sum_w += t->w[i];
		if (t->w[i] > t->max_w) {
			t->max_w = t->w[i];
		}
		if (t->w[i] > t->blk_max[i / BLOCK]) {
			t->blk_max[i / BLOCK] = t->w[i];
		}
	}
	if (t->n >= 2) {
		t->period_ns = 2 * t->t_ns[t->n - 1] - t->t_ns[t->n - 2];
	} else {
		t->period_ns = 0;
	}
}

static size_t count_lines(const char *p, const char *end)
{
	size_t n = 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL) {
			break;
		}
		n++;
		p = nl + 1;
	}
	return n;
}

/* The decoder: optional BOM, the header line, then one row per line until the end. Every check
 * that can fail names its line; nothing is written to @out before the last row passed. */
int agt__trace_parse_max(const char *name, const char *buf, size_t len, size_t max_rows,
			 struct agt_trace *out, char *err, size_t errlen)
{
	struct parser ps = { .name = name, .err = err, .errlen = errlen, .line = 1 };
	const char *p = buf, *end = buf + len;
	struct agt_trace t = { 0 };
	uint64_t first_ns = 0, prev_ns = 0;
	const char *ls;
	size_t ll, cap;
	int rc;

	WT_ASSERT(max_rows >= 1);
	if (len == 0) {
		return perr(&ps, WT_EBADMSG, "empty file");
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
	}
	if (!next_line(&p, end, &ls, &ll)) {
		ls = p; /* only a BOM */
		ll = 0;
	}
	if (ll > AGT_TRACE_MAX_LINE) {
		return perr(&ps, WT_E2BIG, "line longer than %u bytes", AGT_TRACE_MAX_LINE);
	}
	rc = check_header(&ps, ls, ll);
	if (rc < 0) {
		return rc;
	}
	/* Rows are at most the lines left; the row limit is reported at its line below. */
	cap = p < end ? count_lines(p, end) : 1;
	if (cap > max_rows) {
		cap = max_rows;
	}
	t.t_ns = wt_malloc(cap * sizeof(*t.t_ns));
	t.w = wt_malloc(cap * sizeof(*t.w));
	while (next_line(&p, end, &ls, &ll)) {
		char q[QUOTE_MAX + 4];
		const char *comma, *f2;
		double ts, w;
		uint64_t ns;

		ps.line++;
		if (ll > AGT_TRACE_MAX_LINE) {
			rc = perr(&ps, WT_E2BIG, "line longer than %u bytes", AGT_TRACE_MAX_LINE);
			goto fail;
		}
		if (ll == 0) {
			rc = perr(&ps, WT_EBADMSG, "empty line");
			goto fail;
		}
		comma = memchr(ls, ',', ll);
		f2 = comma ? comma + 1 : NULL;
		if (comma == NULL || memchr(f2, ',', ll - (size_t)(f2 - ls)) != NULL) {
			size_t fields = 1;

			for (size_t i = 0; i < ll; i++) {
				fields += ls[i] == ',';
			}
			rc = perr(&ps, WT_EBADMSG, "expected 2 fields, got %zu", fields);
			goto fail;
		}
		if (t.n == max_rows) {
			rc = perr(&ps, WT_E2BIG, "more than %zu rows", max_rows);
			goto fail;
		}
		rc = parse_num(&ps, ls, (size_t)(comma - ls), COL_TIME, &ts);
		if (rc < 0) {
			goto fail;
		}
		rc = parse_num(&ps, f2, ll - (size_t)(f2 - ls), COL_POWER, &w);
		if (rc < 0) {
			goto fail;
		}
		if (ts < 0.0) {
			rc = perr(&ps, WT_EBADMSG, "negative " COL_TIME " '%s'",
				  quote(q, sizeof(q), ls, (size_t)(comma - ls)));
			goto fail;
		}
		if (ts > AGT_TRACE_MAX_TIME_S) {
			rc = perr(&ps, WT_EBADMSG, COL_TIME " '%s' too large (max %g s)",
				  quote(q, sizeof(q), ls, (size_t)(comma - ls)),
				  AGT_TRACE_MAX_TIME_S);
			goto fail;
		}
		if (w < 0.0) {
			rc = perr(&ps, WT_EBADMSG, "negative " COL_POWER " '%s'",
				  quote(q, sizeof(q), f2, ll - (size_t)(f2 - ls)));
			goto fail;
		}
		if (w > AGT_TRACE_MAX_W) {
			rc = perr(&ps, WT_EBADMSG, COL_POWER " '%s' too large (max %g W)",
				  quote(q, sizeof(q), f2, ll - (size_t)(f2 - ls)), AGT_TRACE_MAX_W);
			goto fail;
		}
		ns = (uint64_t)(ts * 1e9 + 0.5);
		if (t.n == 0) {
			first_ns = ns;
		} else if (ns <= prev_ns) {
			rc = perr(&ps, WT_EBADMSG, COL_TIME " '%s' not after the previous row",
				  quote(q, sizeof(q), ls, (size_t)(comma - ls)));
			goto fail;
		}
		prev_ns = ns;
		t.t_ns[t.n] = ns - first_ns;
		t.w[t.n] = w + 0.0; /* no -0 */
		t.n++;
	}
	if (t.n == 0) {
		ps.line++;
		rc = perr(&ps, WT_EBADMSG, "no data rows");
		goto fail;
	}
	finish(&t);
	*out = t;
	return 0;
fail:
	wt_free(t.w);
	wt_free(t.t_ns);
	return rc;
}

int agt_trace_parse(const char *name, const char *buf, size_t len, struct agt_trace *out, char *err,
		    size_t errlen)
{
	return agt__trace_parse_max(name, buf, len, AGT_TRACE_MAX_ROWS, out, err, errlen);
}

int agt_trace_load_file(const char *path, struct agt_trace *out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail_msg;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail_msg;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto fail_msg;
	}
	if (st.st_size > (off_t)AGT_TRACE_MAX_FILE_BYTES) {
		if (errlen > 0) {
			snprintf(err, errlen, "%s: larger than %u bytes", path,
				 AGT_TRACE_MAX_FILE_BYTES);
		}
		rc = WT_E2BIG;
		goto fail;
	}
	buf = wt_malloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			rc = -errno;
			goto fail_msg;
		}
		if (r == 0) {
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	rc = agt_trace_parse(path, buf, got, out, err, errlen);
	wt_free(buf);
	return rc;
fail_msg:
	if (errlen > 0) {
		snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(-rc));
	}
fail:
	wt_free(buf);
	if (fd >= 0) {
		close(fd);
	}
	return rc;
}

void agt_trace_deinit(struct agt_trace *t)
{
	wt_free(t->t_ns);
	wt_free(t->w);
	wt_free(t->blk_max);
	*t = (struct agt_trace){ 0 };
}

size_t agt_trace_rows(const struct agt_trace *t)
{
	return t->n;
}

uint64_t agt_trace_duration_ns(const struct agt_trace *t)
{
	return t->n > 0 ? t->t_ns[t->n - 1] : 0;
}

uint64_t agt_trace_period_ns(const struct agt_trace *t)
{
	return t->period_ns;
}

double agt_trace_mean_w(const struct agt_trace *t)
{
	return t->n > 0 ? t->sum_w / (double)t->n : 0.0;
}

double agt_trace_max_w(const struct agt_trace *t)
{
	return t->max_w;
}

/* Number of rows with t_ns <= @pos (@strict: < @pos). */
static size_t rows_upto(const struct agt_trace *t, uint64_t pos, bool strict)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strict ? t->t_ns[mid] < pos : t->t_ns[mid] <= pos) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static double lerp(double a, double b, uint64_t num, uint64_t den)
{
	return a + (b - a) * ((double)num / (double)den);
}

/* Value at @pos in [0, period] (loop) or [0, last] (no loop); n >= 2. */
static double value_in_pass(const struct agt_trace *t, uint64_t pos)
{
	uint64_t last = t->t_ns[t->n - 1];
	size_t i;

	if (pos >= last) {
		if (pos == last) {
			return t->w[t->n - 1];
		}
		if (pos >= t->period_ns) {
			return t->w[0];
		}
		return lerp(t->w[t->n - 1], t->w[0], pos - last, t->period_ns - last);
	}
	i = rows_upto(t, pos, false) - 1; /* t_ns[i] <= pos < t_ns[i + 1] */
	return lerp(t->w[i], t->w[i + 1], pos - t->t_ns[i], t->t_ns[i + 1] - t->t_ns[i]);
}

double agt_trace_value_w(const struct agt_trace *t, uint64_t pos_ns, bool loop)
{
	if (t->n == 1) {
		return t->w[0];
	}
	if (loop) {
		return value_in_pass(t, pos_ns % t->period_ns);
	}
	if (pos_ns >= t->t_ns[t->n - 1]) {
		return t->w[t->n - 1];
	}
	return value_in_pass(t, pos_ns);
}

/* Max of w[i..j] (inclusive, i <= j < n). */
static double rows_max(const struct agt_trace *t, size_t i, size_t j)
{
	double m = 0.0;

	while (i <= j) {
		if (i % BLOCK == 0 && i + BLOCK - 1 <= j) {
			if (t->blk_max[i / BLOCK] > m) {
				m = t->blk_max[i / BLOCK];
			}
			i += BLOCK;
			continue;
		}
		if (t->w[i] > m) {
			m = t->w[i];
		}
		i++;
	}
	return m;
}

/* Max over [a, b] within one pass (b <= period with loop, b <= last without). The function is
 * piecewise linear, so the maximum is at @a, at @b or at a row strictly between. */
static double pass_max(const struct agt_trace *t, uint64_t a, uint64_t b)
{
	double m = fmax(value_in_pass(t, a), value_in_pass(t, b));
	size_t i = rows_upto(t, a, false); /* first row after a */
	size_t j = rows_upto(t, b, true);  /* rows before b: last one is j - 1 */

	if (i < j) {
		m = fmax(m, rows_max(t, i, j - 1));
	}
	return m;
}

double agt_trace_max_in(const struct agt_trace *t, uint64_t pos_ns, uint64_t len_ns, bool loop)
{
	uint64_t last = t->t_ns[t->n - 1];
	uint64_t end;

	if (t->n == 1) {
		return t->w[0];
	}
	if (loop) {
		double m;

		if (len_ns >= t->period_ns) {
			return t->max_w;
		}
		pos_ns %= t->period_ns;
		end = pos_ns + len_ns;
		if (end <= t->period_ns) {
			return pass_max(t, pos_ns, end);
		}
		m = pass_max(t, pos_ns, t->period_ns);
		end -= t->period_ns;
		return fmax(m, pass_max(t, 0, end));
	}
	if (pos_ns >= last) {
		return t->w[t->n - 1];
	}
	end = len_ns > last - pos_ns ? last : pos_ns + len_ns;
	return pass_max(t, pos_ns, end);
}
