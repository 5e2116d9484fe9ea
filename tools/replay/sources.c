/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay load sources (see sources.h).
 *
 * Synthetic training model. A job alternates a high phase (high_ms at high_w per GPU) and a
 * low phase (low_ms at low_w), as data-parallel training does between compute and
 * communication/checkpoint. Each worker sees every edge skewed by its own uniform delay in
 * [-jitter, +jitter], drawn afresh per cycle, and carries independent Gaussian noise. With d
 * the duty cycle and A = high - low, the square wave's variance is A^2 d (1 - d); the skews
 * make two workers disagree a fraction m = 2 (2 jitter / 3) / period of the time, lowering the
 * covariance to about A^2 (d (1 - d) - m / 2); the noise variance
 * sigma^2 = A^2 ((d (1 - d) - m / 2) / c - d (1 - d)) then brings the correlation of two
 * workers' power to c (no noise when the skews alone go below c). Everything is a hash of
 * (seed, worker, cycle or time), so any instant can be evaluated on its own. */
#include "sources.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/trace_csv.h"
#include "wt/err.h"
#include "wt/mem.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(e));
		return -e;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			if (cap >= RP_SOURCE_MAX_BYTES) {
				fclose(f);
				wt_free(b);
				snprintf(err, errlen, "%s: larger than %u bytes", path,
					 RP_SOURCE_MAX_BYTES);
				return WT_E2BIG;
			}
			cap = cap ? cap * 2 : 65536;
			b = wt_realloc(b, cap);
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		fclose(f);
		wt_free(b);
		snprintf(err, errlen, "%s: read error", path);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

/* Line iterator over a buffer: "\n" or "\r\n" ends a line; a last line without newline counts. */
struct lines {
	const char *p, *end;
	uint32_t no;
};

static bool next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	if (l->p >= l->end) {
		return false;
	}
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*s = l->p;
	*n = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
	l->p = nl ? nl + 1 : l->end;
	if (*n > 0 && (*s)[*n - 1] == '\r') {
		(*n)--;
	}
	l->no++;
	return true;
}

/* Split @s (@n bytes) at commas into at most @max fields (copied, NUL-terminated, each at most
 * 127 bytes). Returns the number of fields or -1 when a field is too long. */
static int split(const char *s, size_t n, char f[][128], int max)
{
	int k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ',') {
			size_t len = i - start;

			if (k == max || len > 127) {
				return -1;
			}
			memcpy(f[k], s + start, len);
			f[k][len] = '\0';
			k++;
			start = i + 1;
		}
	}
	return k;
}

static bool parse_double(const char *s, double *out)
{
	char *e;
	double v;

	if (s[0] == '\0' || s[0] == ' ' || strpbrk(s, "xXnNiI") != NULL) {
		return false; /* no hex, nan, inf */
	}
	errno = 0;
	v = strtod(s, &e);
	if (*e != '\0' || errno != 0 || !isfinite(v)) {
		return false;
	}
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *e;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(s, &e, 10);
	if (*e != '\0' || errno != 0 || v > max) {
		return false;
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS[.fraction]" -> seconds since the epoch (UTC; only differences matter). */
static bool parse_timestamp(const char *s, double *out)
{
	unsigned long long y, mo, d, h, mi, sec;
	char part[8];
	double frac = 0;
	size_t n = strlen(s);

	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') {
		return false;
	}
#define FIELD(off, len, var, max)                                                                  \
	do {                                                                                       \
		memcpy(part, s + (off), (len));                                                    \
		part[(len)] = '\0';                                                                \
		if (!parse_uint(part, (max), &(var))) {                                            \
			return false;                                                              \
		}                                                                                  \
	} while (0)
	FIELD(0, 4, y, 9999);
	FIELD(5, 2, mo, 12);
	FIELD(8, 2, d, 31);
	FIELD(11, 2, h, 23);
	FIELD(14, 2, mi, 59);
	FIELD(17, 2, sec, 60);
#undef FIELD
	if (mo == 0 || d == 0) {
		return false;
	}
	if (n > 19) {
		if (s[19] != '.' || n == 20 || n > 32) {
			return false;
		}
		for (size_t i = 20; i < n; i++) {
			if (s[i] < '0' || s[i] > '9') {
				return false;
			}
		}
		frac = strtod(s + 19, NULL);
	}
	*out = (double)days_from_civil((long long)y, (unsigned)mo, (unsigned)d) * 86400.0 +
	       (double)(h * 3600 + mi * 60 + sec) + frac;
	return true;
}

/* ---- arrivals ---------------------------------------------------------------------------- */

#define ARR_HEADER "TIMESTAMP,ContextTokens,GeneratedTokens"

int rp_arrivals_parse(const char *name, const char *buf, size_t len, struct rp_arrivals *out,
		      char *err, size_t errlen)
{
	struct lines l = { buf, buf + len, 0 };
	const char *s;
	size_t n, cap = 0, rows = 0;
	double *t = NULL;
	double first = 0, prev = 0;
	char f[4][128];

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		l.p += 3;
	}
	if (!next_line(&l, &s, &n) || n != strlen(ARR_HEADER) || memcmp(s, ARR_HEADER, n) != 0) {
		snprintf(err, errlen, "%s:1: missing or wrong header (want " ARR_HEADER ")", name);
		return WT_EBADMSG;
	}
	while (next_line(&l, &s, &n)) {
		double ts;
		unsigned long long tok;
		int k;

		if (n == 0 && l.p >= l.end) {
			break; /* final newline */
		}
		k = split(s, n, f, 4);
		if (k != 3) {
			snprintf(err, errlen, "%s:%u: want 3 columns (" ARR_HEADER "), got %s",
				 name, l.no,
				 k < 0	  ? "a malformed row"
				 : k == 1 ? "1"
					  : "a wrong count");
			goto fail;
		}
		if (!parse_timestamp(f[0], &ts)) {
			snprintf(err, errlen,
				 "%s:%u: TIMESTAMP '%.40s' is not YYYY-MM-DD HH:MM:SS[.f]", name,
				 l.no, f[0]);
			goto fail;
		}
		if (!parse_uint(f[1], 100000000, &tok) || !parse_uint(f[2], 100000000, &tok)) {
			snprintf(err, errlen, "%s:%u: token counts must be non-negative integers",
				 name, l.no);
			goto fail;
		}
		if (rows == 0) {
			first = ts;
		} else if (ts < prev) {
			snprintf(err, errlen, "%s:%u: TIMESTAMP '%.40s' is before the previous row",
				 name, l.no, f[0]);
			goto fail;
		}
		if (rows == RP_ARRIVALS_MAX_ROWS) {
			snprintf(err, errlen, "%s:%u: more than %u rows", name, l.no,
				 RP_ARRIVALS_MAX_ROWS);
			wt_free(t);
			return WT_E2BIG;
		}
		if (rows == cap) {
			cap = cap ? cap * 2 : 4096;
			t = wt_realloc(t, cap * sizeof(*t));
		}
		t[rows++] = ts - first;
		prev = ts;
	}
	if (rows < 2 || t[rows - 1] <= 0) {
		snprintf(err, errlen, "%s: needs at least two arrivals spanning more than 0 s",
			 name);
		goto fail;
	}
	out->n = rows;
	out->t_s = t;
	out->span_s = t[rows - 1];
	out->mean_rate = (double)rows / out->span_s;
	return 0;
fail:
	wt_free(t);
	return WT_EBADMSG;
}

int rp_arrivals_load(const char *path, struct rp_arrivals *out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = read_file(path, &buf, &len, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = rp_arrivals_parse(path, buf, len, out, err, errlen);
	wt_free(buf);
	return rc;
}

void rp_arrivals_deinit(struct rp_arrivals *a)
{
	WT_FREE(a->t_s);
	a->n = 0;
}

/* Index of the first arrival at or after @t. */
static size_t lower(const struct rp_arrivals *a, double t)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->t_s[mid] < t) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Arrivals in [lo, hi) with 0 <= lo <= hi <= span. */
static double count_in(const struct rp_arrivals *a, double lo, double hi)
{
	return (double)(lower(a, hi) - lower(a, lo));
}

double rp_arrivals_rate(const struct rp_arrivals *a, double t_s, double window_s)
{
	double span = a->span_s;
	double lo, hi, c;

	if (window_s >= span) {
		return a->mean_rate;
	}
	t_s = fmod(t_s, span);
	if (t_s < 0) {
		t_s += span;
	}
	lo = t_s - window_s / 2;
	hi = t_s + window_s / 2;
	if (lo < 0) {
		c = count_in(a, 0, hi) + count_in(a, span + lo, span);
	} else if (hi > span) {
		c = count_in(a, lo, span) + count_in(a, 0, hi - span);
	} else {
		c = count_in(a, lo, hi);
	}
	return c / window_s;
}

/* ---- zeus -------------------------------------------------------------------------------- */

#define ZEUS_HEADER "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power"

int rp_zeus_parse(const char *name, const char *buf, size_t len, const char *workload,
		  struct rp_zeus *out, char *err, size_t errlen)
{
	struct lines l = { buf, buf + len, 0 };
	const char *s;
	size_t n, rows = 0;
	char f[8][128];
	double pw[RP_ZEUS_MAX_POINTS], tp[RP_ZEUS_MAX_POINTS];
	size_t k = 0;
	double pmax = 0, tmax = 0;

	if (!next_line(&l, &s, &n) || n != strlen(ZEUS_HEADER) || memcmp(s, ZEUS_HEADER, n) != 0) {
		snprintf(err, errlen, "%s:1: missing or wrong header (want " ZEUS_HEADER ")", name);
		return WT_EBADMSG;
	}
	while (next_line(&l, &s, &n)) {
		char key[520];
		double limit, tpe, avg;

		if (n == 0 && l.p >= l.end) {
			break;
		}
		if (++rows > RP_ZEUS_MAX_ROWS) {
			snprintf(err, errlen, "%s:%u: more than %u rows", name, l.no,
				 RP_ZEUS_MAX_ROWS);
			return WT_E2BIG;
		}
		if (split(s, n, f, 8) != 7) {
			snprintf(err, errlen, "%s:%u: want 7 columns (" ZEUS_HEADER ")", name,
				 l.no);
			return WT_EBADMSG;
		}
		if (!parse_double(f[4], &limit) || !parse_double(f[5], &tpe) ||
		    !parse_double(f[6], &avg) || limit <= 0 || tpe <= 0 || avg <= 0) {
			snprintf(err, errlen,
				 "%s:%u: power_limit, time_per_epoch and average_power must be "
				 "positive numbers",
				 name, l.no);
			return WT_EBADMSG;
		}
		snprintf(key, sizeof(key), "%s/%s/%s/%s", f[0], f[1], f[2], f[3]);
		if (strcmp(key, workload) != 0) {
			continue;
		}
		if (k == RP_ZEUS_MAX_POINTS) {
			snprintf(err, errlen, "%s:%u: more than %u rows for %s", name, l.no,
				 RP_ZEUS_MAX_POINTS, workload);
			return WT_E2BIG;
		}
		pw[k] = avg;
		tp[k] = 1.0 / tpe;
		k++;
	}
	if (k == 0) {
		snprintf(err, errlen, "%s: no rows for workload '%s'", name, workload);
		return WT_EBADMSG;
	}
	/* Relative to the row drawing the most; throughput relative to the best row, so a
	 * noisy top point never makes the curve exceed 1. */
	for (size_t i = 0; i < k; i++) {
		pmax = pw[i] > pmax ? pw[i] : pmax;
		tmax = tp[i] > tmax ? tp[i] : tmax;
	}
	/* Insertion sort by power. */
	for (size_t i = 1; i < k; i++) {
		for (size_t j = i; j > 0 && pw[j] < pw[j - 1]; j--) {
			double a = pw[j], b = tp[j];

			pw[j] = pw[j - 1];
			tp[j] = tp[j - 1];
			pw[j - 1] = a;
			tp[j - 1] = b;
		}
	}
	out->n = k;
	for (size_t i = 0; i < k; i++) {
		out->power_frac[i] = pw[i] / pmax;
		out->work_frac[i] = tp[i] / tmax;
	}
	return 0;
}

int rp_zeus_load(const char *path, const char *workload, struct rp_zeus *out, char *err,
		 size_t errlen)
{
	char *buf;
	size_t len;
	int rc = read_file(path, &buf, &len, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = rp_zeus_parse(path, buf, len, workload, out, err, errlen);
	wt_free(buf);
	return rc;
}

double rp_zeus_work_frac(const struct rp_zeus *z, double p)
{
	if (z->n == 0 || p >= z->power_frac[z->n - 1]) {
		return 1.0;
	}
	if (p <= 0) {
		return 0.0;
	}
	if (p <= z->power_frac[0]) {
		return z->work_frac[0] * p / z->power_frac[0];
	}
	for (size_t i = 1; i < z->n; i++) {
		if (p <= z->power_frac[i]) {
			double x0 = z->power_frac[i - 1], x1 = z->power_frac[i];
			double y0 = z->work_frac[i - 1], y1 = z->work_frac[i];

			return x1 > x0 ? y0 + (y1 - y0) * (p - x0) / (x1 - x0) : y1;
		}
	}
	return 1.0;
}

/* ---- synthetic training ------------------------------------------------------------------ */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Uniform in (0, 1). */
static double unit(uint64_t h)
{
	return ((double)(h >> 11) + 0.5) / 9007199254740992.0;
}

/* Signed skew of edge @edge (0 rise, 1 fall) of cycle @cycle, in ms. */
static double skew_ms(const struct rp_training_cfg *c, uint64_t worker, int64_t cycle, int edge)
{
	uint64_t h = mix(worker ^ mix((uint64_t)cycle * 2 + (uint64_t)edge));

	return ((unit(h) * 2.0) - 1.0) * (double)c->jitter_ms;
}

double rp_training_gpu_w(const struct rp_training_cfg *c, uint64_t worker, uint64_t t_ms)
{
	uint64_t period = c->high_ms + c->low_ms;
	int64_t cycle = (int64_t)(t_ms / period);
	double x = (double)(t_ms % period);
	double d = (double)c->high_ms / (double)period;
	double amp = c->high_w - c->low_w;
	double sigma, u1, u2, noise, w;
	bool high;

	/* High from this cycle's (skewed) rise to its (skewed) fall; the next cycle's rise may
	 * come early, the previous cycle's fall late. */
	high = x >= skew_ms(c, worker, cycle, 0) &&
	       x < (double)c->high_ms + skew_ms(c, worker, cycle, 1);
	if (x >= (double)period + skew_ms(c, worker, cycle + 1, 0)) {
		high = true;
	}
	if (cycle > 0 && x < skew_ms(c, worker, cycle - 1, 1) - (double)c->low_ms) {
		high = true;
	}
	w = high ? c->high_w : c->low_w;
	{
		/* Two workers disagree for |skew1 - skew2| at each edge, 2 j / 3 on average for
		 * uniform skews in [-j, j]: that alone lowers the covariance. The noise makes up
		 * the rest of the decorrelation (none when the skew already goes past it). */
		double m = 2.0 * (2.0 * (double)c->jitter_ms / 3.0) / (double)period;
		double var = ((d * (1 - d) - m / 2) / c->correlation - d * (1 - d)) * amp * amp;

		sigma = var > 0 ? sqrt(var) : 0;
	}
	if (sigma > 0) {
		uint64_t h = mix(worker ^ mix(t_ms ^ 0x5bd1e995ull));

		u1 = unit(h);
		u2 = unit(mix(h));
		noise = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2) * sigma;
		w += noise;
	}
	return w < 0 ? 0 : w;
}

double rp_training_node_w(const struct rp_training_cfg *c, uint32_t gpus, uint64_t node_seed,
			  uint64_t t_ms)
{
	double sum = 0;

	for (uint32_t g = 0; g < gpus; g++) {
		sum += rp_training_gpu_w(c, mix(c->seed ^ mix(node_seed * 131 + g)), t_ms);
	}
	return sum;
}

/* ---- demand matrix ----------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	return h;
}

/* Traces named by several nodes are decoded once. */
struct trace_slot {
	char path[512];
	struct agt_trace tr;
	double base_w; /* smallest value on the step grid over one period: the idle floor the
			* arrivals shaping scales around */
};

static int node_demand(const struct rp_scenario *s, const struct rp_node_cfg *nd,
		       const struct trace_slot *ts, const struct rp_arrivals *arr,
		       struct rp_demand *d, size_t idx)
{
	double *row = d->w + idx * d->n_steps;
	uint64_t seed = hash_str(nd->id);

	for (size_t k = 0; k < d->n_steps; k++) {
		uint64_t t_ms = (uint64_t)k * d->step_ms + nd->offset_ms;
		double w, base = 0;

		switch (nd->source) {
		case RP_SRC_TRACE:
			w = agt_trace_value_w(&ts->tr, t_ms * 1000000ull, true);
			base = ts->base_w;
			break;
		case RP_SRC_TRAINING:
			w = rp_training_node_w(&s->training, nd->gpus, seed, t_ms);
			base = s->training.low_w * nd->gpus;
			break;
		default:
			w = nd->constant_w;
			base = 0;
			break;
		}
		w *= nd->scale;
		base *= nd->scale;
		if (nd->arrivals && arr != NULL) {
			double ta = (double)(k * d->step_ms + nd->arrivals_offset_ms) / 1000.0;
			double f =
				rp_arrivals_rate(arr, ta, (double)s->arrivals.window_ms / 1000.0) /
				arr->mean_rate;

			if (f > s->arrivals.max_factor) {
				f = s->arrivals.max_factor;
			}
			w = w > base ? base + (w - base) * f : w;
		}
		if (w > nd->nameplate_w) {
			w = nd->nameplate_w;
		}
		row[k] = w < 0 ? 0 : w;
	}
	return 0;
}

int rp_demand_build(const struct rp_scenario *s, struct rp_demand *out, char *err, size_t errlen)
{
	struct rp_demand d = { 0 };
	struct trace_slot *slots = NULL;
	size_t n_slots = 0;
	struct rp_arrivals arr = { 0 };
	bool have_arr = false;
	size_t idx = 0;
	char path[512];
	int rc = 0;

	d.n_nodes = s->n_nodes;
	d.step_ms = s->step_ms;
	d.n_steps = (size_t)(s->duration_ms / s->step_ms);
	if (s->arrivals.file != NULL && s->arrivals.file[0] != '\0') {
		if (rp_scenario_path(s, s->arrivals.file, path, sizeof(path)) < 0) {
			snprintf(err, errlen, "arrivals.file: path too long");
			return -ENAMETOOLONG;
		}
		rc = rp_arrivals_load(path, &arr, err, errlen);
		if (rc < 0) {
			return rc;
		}
		have_arr = true;
	}
	slots = wt_calloc(s->n_nodes, sizeof(*slots));
	d.w = wt_calloc(d.n_nodes * d.n_steps, sizeof(double));
	d.rack_of = wt_calloc(d.n_nodes, sizeof(size_t));
	d.node = wt_calloc(d.n_nodes, sizeof(*d.node));
	for (size_t r = 0; r < s->n_racks; r++) {
		for (size_t i = 0; i < s->racks[r].n_nodes; i++, idx++) {
			const struct rp_node_cfg *nd = &s->racks[r].nodes[i];
			struct trace_slot *ts = NULL;

			d.rack_of[idx] = r;
			d.node[idx] = nd;
			if (nd->source == RP_SRC_TRACE) {
				if (rp_scenario_path(s, nd->trace, path, sizeof(path)) < 0) {
					snprintf(err, errlen, "%s: path too long", nd->trace);
					rc = -ENAMETOOLONG;
					goto fail;
				}
				for (size_t j = 0; j < n_slots; j++) {
					if (strcmp(slots[j].path, path) == 0) {
						ts = &slots[j];
					}
				}
				if (ts == NULL) {
					uint64_t period;

					ts = &slots[n_slots];
					rc = agt_trace_load_file(path, &ts->tr, err, errlen);
					if (rc < 0) {
						goto fail;
					}
					n_slots++;
					snprintf(ts->path, sizeof(ts->path), "%s", path);
					period = agt_trace_period_ns(&ts->tr);
					ts->base_w = agt_trace_max_w(&ts->tr);
					for (uint64_t t = 0; t <= period;
					     t += s->step_ms * 1000000ull) {
						double v = agt_trace_value_w(&ts->tr, t, true);

						ts->base_w = v < ts->base_w ? v : ts->base_w;
					}
				}
			}
			node_demand(s, nd, ts, have_arr ? &arr : NULL, &d, idx);
		}
	}
	*out = d;
	d.w = NULL;
	d.rack_of = NULL;
	d.node = NULL;
fail:
	for (size_t j = 0; j < n_slots; j++) {
		agt_trace_deinit(&slots[j].tr);
	}
	wt_free(slots);
	rp_demand_deinit(&d);
	rp_arrivals_deinit(&arr);
	return rc;
}

void rp_demand_deinit(struct rp_demand *d)
{
	WT_FREE(d->w);
	WT_FREE(d->rack_of);
	WT_FREE(d->node);
}
