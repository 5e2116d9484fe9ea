/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay reports (see report.h). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "wt/lease_msg.h"
#include "wt/mem.h"

#define PLOT_POINTS 600u
#define PLOT_W	    900.0
#define PLOT_H	    260.0
#define PAD_L	    70.0
#define PAD_R	    140.0
#define PAD_T	    30.0
#define PAD_B	    40.0

void rp_summary_compute(struct rp_summary *sum, const struct rp_scenario *s,
			const struct rp_demand *d, const struct rp_live *live,
			const struct rp_zeus *zeus)
{
	struct rp_alloc a;

	memset(sum, 0, sizeof(*sum));
	sum->s = s;
	sum->d = d;
	sum->live = live;
	sum->have_zeus = zeus != NULL;
	rp_energy_of(s, d, &live->drawn, zeus, &sum->wl);
	rp_plant_eval_site(s, &live->drawn, live->have_miners ? live->miners_w : NULL, &sum->p_wl);
	rp_alloc_static(s, d, s->static_fraction, &a);
	rp_energy_of(s, d, &a, zeus, &sum->static_frac);
	rp_plant_eval(s, &a, &sum->p_static);
	rp_alloc_deinit(&a);
	/* Static caps that fit the limit: each node gets limit x its share of the nameplate. */
	rp_alloc_init(&a, d->n_nodes, d->n_steps);
	for (size_t i = 0; i < d->n_nodes; i++) {
		const struct rp_rack_cfg *rk = &s->racks[d->rack_of[i]];
		double np = 0, cap;

		for (size_t j = 0; j < rk->n_nodes; j++) {
			np += rk->nodes[j].nameplate_w;
		}
		cap = (double)rk->limit_w * d->node[i]->nameplate_w / np;
		for (size_t k = 0; k < d->n_steps; k++) {
			double w = rp_demand_w(d, i, k);

			*rp_alloc_at(&a, i, k) = w < cap ? w : cap;
		}
	}
	rp_energy_of(s, d, &a, zeus, &sum->static_fit);
	rp_alloc_deinit(&a);
	rp_alloc_oracle(s, d, &a);
	rp_energy_of(s, d, &a, zeus, &sum->oracle);
	rp_plant_eval(s, &a, &sum->p_oracle);
	rp_alloc_deinit(&a);
	rp_percentiles(live->lat_us.v, live->lat_us.n, &sum->lat);
}

void rp_summary_deinit(struct rp_summary *sum)
{
	rp_energy_deinit(&sum->wl);
	rp_energy_deinit(&sum->static_frac);
	rp_energy_deinit(&sum->static_fit);
	rp_energy_deinit(&sum->oracle);
	rp_plant_deinit(&sum->p_wl);
	rp_plant_deinit(&sum->p_static);
	rp_plant_deinit(&sum->p_oracle);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void jnum(FILE *f, double v)
{
	if (!isfinite(v)) {
		fputs("null", f);
	} else if (v == floor(v) && fabs(v) < 1e15) {
		fprintf(f, "%.0f", v);
	} else {
		fprintf(f, "%.6g", v);
	}
}

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

/* "key": value with a separator. */
#define JK(f, first, key) fprintf((f), "%s\"%s\": ", (first) ? "" : ", ", (key))

static double share(const struct rp_energy *e)
{
	return e->demanded_wh > 0 ? e->delivered_wh / e->demanded_wh : NAN;
}

static double site_nameplate(const struct rp_scenario *s, size_t r)
{
	double np = 0;

	for (size_t i = 0; i < s->racks[r].n_nodes; i++) {
		np += s->racks[r].nodes[i].nameplate_w;
	}
	return np;
}

/* "miners" and "bess" of "plant" (null when the scenario has none), closing "plant". */
static void json_site_plant(const struct rp_summary *sum, FILE *f)
{
	const struct rp_scenario *s = sum->s;
	const struct rp_live *l = sum->live;
	const struct rp_plant *p = &sum->p_wl;

	fprintf(f, "    \"miners\": ");
	if (l->have_miners) {
		double wh = 0;
		uint32_t min_on = UINT32_MAX;

		bool started = false;

		/* min_on_units: fewest units drawing once the fleet first ran (it starts off). */
		for (size_t k = 0; k < sum->d->n_steps; k++) {
			wh += l->miners_w[k] * s->step_ms / 3.6e6;
			started = started || l->miners_on[k] > 0;
			if (started) {
				min_on = l->miners_on[k] < min_on ? l->miners_on[k] : min_on;
			}
		}
		fprintf(f, "{\"units\": %u, \"unit_w\": %u", s->mcfg.n_units, s->mcfg.unit_w);
		JK(f, 0, "energy_kwh");
		jnum(f, wh / 1000);
		fprintf(f,
			", \"sheds\": %llu, \"restores\": %llu, \"min_on_units\": %u, "
			"\"grants\": %llu}",
			(unsigned long long)l->miner_sheds, (unsigned long long)l->miner_restores,
			min_on == UINT32_MAX ? 0 : min_on, (unsigned long long)l->miner_grants);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\n    \"bess\": ");
	if (s->have_bess) {
		fprintf(f, "{\"power_w\": %llu", (unsigned long long)s->bess.power_w);
		JK(f, 0, "energy_wh");
		jnum(f, s->bess.energy_wh);
		JK(f, 0, "energy_out_wh");
		jnum(f, round(p->bess_out_wh * 1000) / 1000);
		JK(f, 0, "peak_w");
		jnum(f, round(p->bess_peak_w));
		JK(f, 0, "min_soc");
		jnum(f, round(p->bess_min_soc * 1e4) / 1e4);
		fprintf(f, "}");
	} else {
		fputs("null", f);
	}
	fprintf(f, "},\n");
}

int rp_report_json(const struct rp_summary *sum, FILE *f)
{
	const struct rp_scenario *s = sum->s;
	const struct rp_live *l = sum->live;
	const struct rp_plant *p = &sum->p_wl;
	double np = 0, lim = 0, static_caps = 0;

	for (size_t r = 0; r < s->n_racks; r++) {
		np += site_nameplate(s, r);
		lim += s->racks[r].limit_w;
	}
	static_caps = np * s->static_fraction;
	fprintf(f, "{\n  \"tool\": \"wattlease-replay\", \"version\": ");
	jstr(f, WT_VERSION);
	fprintf(f, ", \"scenario\": ");
	jstr(f, sum->scenario_path);
	fprintf(f, ", \"mode\": ");
	jstr(f, sum->mode);
	fprintf(f, ",\n  \"speed\": ");
	jnum(f, l->speed);
	fprintf(f, ", \"step_ms\": %u, \"duration_s\": ", s->step_ms);
	jnum(f, (double)sum->d->n_steps * s->step_ms / 1000.0);
	fprintf(f, ", \"wall_s\": ");
	jnum(f, l->wall_s);
	fprintf(f, ", \"late_steps\": %llu,\n", (unsigned long long)l->late_steps);

	fprintf(f, "  \"site\": {\"racks\": %zu, \"nodes\": %zu, \"nameplate_w\": ", s->n_racks,
		s->n_nodes);
	jnum(f, np);
	fprintf(f, ", \"limit_w\": ");
	jnum(f, lim);
	fprintf(f, ", \"budget_w\": %llu, \"oversubscription\": ", (unsigned long long)s->budget_w);
	jnum(f, np / lim);
	fprintf(f, "},\n");

	fprintf(f, "  \"energy\": {");
	JK(f, 1, "demanded_kwh");
	jnum(f, sum->wl.demanded_wh / 1000);
	JK(f, 0, "wattlease_kwh");
	jnum(f, sum->wl.delivered_wh / 1000);
	JK(f, 0, "static_kwh");
	jnum(f, sum->static_frac.delivered_wh / 1000);
	JK(f, 0, "static_fit_kwh");
	jnum(f, sum->static_fit.delivered_wh / 1000);
	JK(f, 0, "oracle_kwh");
	jnum(f, sum->oracle.delivered_wh / 1000);
	JK(f, 0, "wattlease_share");
	jnum(f, share(&sum->wl));
	JK(f, 0, "static_share");
	jnum(f, share(&sum->static_frac));
	JK(f, 0, "static_fit_share");
	jnum(f, share(&sum->static_fit));
	JK(f, 0, "oracle_share");
	jnum(f, share(&sum->oracle));
	JK(f, 0, "wattlease_vs_oracle_points");
	jnum(f, 100 * (share(&sum->wl) - share(&sum->oracle)));
	JK(f, 0, "static_fraction");
	jnum(f, s->static_fraction);
	JK(f, 0, "static_fits_limit");
	fputs(static_caps <= lim ? "true" : "false", f);
	fprintf(f, "},\n");

	fprintf(f, "  \"work_lost_pct\": {");
	JK(f, 1, "wattlease");
	jnum(f, sum->wl.work_lost_pct);
	JK(f, 0, "static");
	jnum(f, sum->static_frac.work_lost_pct);
	JK(f, 0, "static_fit");
	jnum(f, sum->static_fit.work_lost_pct);
	JK(f, 0, "oracle");
	jnum(f, sum->oracle.work_lost_pct);
	JK(f, 0, "workload");
	if (sum->have_zeus) {
		jstr(f, s->zeus_workload);
	} else {
		fputs("null", f);
	}
	fprintf(f, "},\n");

	fprintf(f,
		"  \"plant\": {\"breaker_trips\": %llu, \"static_breaker_trips\": %llu, "
		"\"oracle_breaker_trips\": %llu,\n    \"generator\": {\"rated_w\": ",
		(unsigned long long)p->breaker_trips,
		(unsigned long long)sum->p_static.breaker_trips,
		(unsigned long long)sum->p_oracle.breaker_trips);
	jnum(f, s->gcfg.rated_w);
	fprintf(f, ", \"class\": ");
	jstr(f, wt_iso8528_class_name(s->gcfg.iso_class));
	fprintf(f, ", \"peak_load_w\": ");
	jnum(f, p->site_max_w);
	fprintf(f, ", \"nadir_hz\": ");
	jnum(f, p->nadir_hz);
	fprintf(f, ", \"peak_hz\": ");
	jnum(f, p->peak_hz);
	fprintf(f, ", \"max_recovery_s\": ");
	jnum(f, p->max_recovery_s);
	fprintf(f,
		", \"violations\": %llu, \"dip\": %llu, \"overshoot\": %llu, \"step\": %llu, "
		"\"recovery\": %llu, \"overload\": %llu, \"static_violations\": %llu, "
		"\"oracle_violations\": %llu},\n",
		(unsigned long long)p->violations, (unsigned long long)p->dip_violations,
		(unsigned long long)p->overshoot_violations, (unsigned long long)p->step_violations,
		(unsigned long long)p->recovery_violations,
		(unsigned long long)p->overload_violations,
		(unsigned long long)sum->p_static.violations,
		(unsigned long long)sum->p_oracle.violations);
	json_site_plant(sum, f);

	fprintf(f,
		"  \"leases\": {\"grants\": %llu, \"emergency_throttles\": %llu, "
		"\"deadline_misses\": %llu, \"expiries\": %llu, \"reconnects\": %llu, "
		"\"unmet_samples\": %llu, \"rack_model_trips\": ",
		(unsigned long long)l->grants, (unsigned long long)l->throttles,
		(unsigned long long)l->deadline_misses, (unsigned long long)l->expiries,
		(unsigned long long)l->reconnects, (unsigned long long)l->unmet_samples);
	if (sum->have_daemons) {
		fprintf(f, "%llu, \"rack_emergency_throttles\": %llu, \"daemons_bad_exit\": %d},\n",
			(unsigned long long)sum->rack_model_trips,
			(unsigned long long)sum->rack_emergencies, sum->daemons_bad_exit);
	} else {
		fprintf(f, "null, \"rack_emergency_throttles\": null, \"daemons_bad_exit\": "
			   "null},\n");
	}

	fprintf(f, "  \"latency_us\": {\"agent\": {\"count\": %llu",
		(unsigned long long)sum->lat.count);
	JK(f, 0, "p50");
	jnum(f, sum->lat.p50);
	JK(f, 0, "p99");
	jnum(f, sum->lat.p99);
	JK(f, 0, "p999");
	jnum(f, sum->lat.p999);
	JK(f, 0, "max");
	jnum(f, sum->lat.max);
	JK(f, 0, "mean");
	jnum(f, sum->lat.mean);
	fprintf(f, "}, \"rack\": null},\n");

	fprintf(f, "  \"racks\": [");
	for (size_t r = 0; r < s->n_racks; r++) {
		double rnp = site_nameplate(s, r), dem = 0;

		for (size_t i = 0; i < sum->d->n_nodes; i++) {
			if (sum->d->rack_of[i] != r) {
				continue;
			}
			for (size_t k = 0; k < sum->d->n_steps; k++) {
				dem += rp_demand_w(sum->d, i, k) * s->step_ms / 3600000.0;
			}
		}
		fprintf(f, "%s\n    {\"id\": ", r ? "," : "");
		jstr(f, s->racks[r].id);
		fprintf(f, ", \"limit_w\": %u, \"nameplate_w\": ", s->racks[r].limit_w);
		jnum(f, rnp);
		JK(f, 0, "oversubscription");
		jnum(f, rnp / s->racks[r].limit_w);
		JK(f, 0, "demanded_kwh");
		jnum(f, dem / 1000);
		JK(f, 0, "wattlease_kwh");
		jnum(f, sum->wl.rack_wh[r] / 1000);
		JK(f, 0, "static_kwh");
		jnum(f, sum->static_frac.rack_wh[r] / 1000);
		JK(f, 0, "oracle_kwh");
		jnum(f, sum->oracle.rack_wh[r] / 1000);
		fprintf(f, ", \"breaker_trips\": %llu", (unsigned long long)p->rack_trips[r]);
		JK(f, 0, "max_draw_w");
		jnum(f, p->rack_max_w[r]);
		JK(f, 0, "min_headroom_w");
		jnum(f, p->rack_min_headroom_w[r]);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
	return ferror(f) ? -EIO : 0;
}

/* ---- HTML -------------------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
				       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

/* A series of @n values to plot against time (0 .. @t_end_s). */
struct series {
	const char *name;
	const double *v;
	bool dashed;
};

/* Bucket @n values into @m points (mean, or min when @use_min). */
static void bucket(const double *v, size_t n, size_t m, bool use_min, double *out)
{
	for (size_t j = 0; j < m; j++) {
		size_t a = j * n / m, b = (j + 1) * n / m;
		double acc = use_min ? INFINITY : 0;

		if (b <= a) {
			b = a + 1;
		}
		for (size_t i = a; i < b && i < n; i++) {
			acc = use_min ? (v[i] < acc ? v[i] : acc) : acc + v[i];
		}
		out[j] = use_min ? acc : acc / (double)(b - a);
	}
}

static void axes(FILE *f, const char *title, const char *ylabel, double x_max, double y_min,
		 double y_max, const char *xlabel)
{
	double pw = PLOT_W - PAD_L - PAD_R, ph = PLOT_H - PAD_T - PAD_B;

	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" class=\"plot\">\n<title>",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	esc(f, title);
	fprintf(f, "</title>\n<text x=\"%.0f\" y=\"18\" class=\"t\">", PAD_L);
	esc(f, title);
	fprintf(f,
		"</text>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"none\" stroke=\"#999\"/>\n",
		PAD_L, PAD_T, pw, ph);
	for (int i = 0; i <= 4; i++) {
		double y = PAD_T + ph - ph * i / 4.0;
		double vy = y_min + (y_max - y_min) * i / 4.0;
		double x = PAD_L + pw * i / 4.0;

		fprintf(f,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"a\">%.4g</text>\n",
			PAD_L, y, PAD_L + pw, y, PAD_L - 4, y + 4, vy);
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
			"class=\"a\">%.4g</text>\n",
			x, PAD_T + ph + 14, x_max * i / 4.0);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" class=\"a\">",
		PAD_L + pw / 2, PLOT_H - 6);
	esc(f, xlabel);
	fprintf(f,
		"</text><text x=\"12\" y=\"%.0f\" class=\"a\" transform=\"rotate(-90 12 %.0f)\" "
		"text-anchor=\"middle\">",
		PAD_T + ph / 2, PAD_T + ph / 2);
	esc(f, ylabel);
	fprintf(f, "</text>\n");
}

static void legend(FILE *f, int i, const char *name, const char *color)
{
	double x = PLOT_W - PAD_R + 8, y = PAD_T + 14 * i + 8;

	fprintf(f,
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		"<text x=\"%.0f\" y=\"%.0f\" class=\"a\">",
		x, y - 8, color, x + 14, y + 1);
	esc(f, name);
	fprintf(f, "</text>\n");
}

/* Line chart (or stacked areas when @stacked) of @ns series of @n points over @t_end_s. */
static void chart(FILE *f, const char *title, const char *ylabel, const struct series *ser,
		  size_t ns, size_t n, double t_end_s, bool stacked, bool use_min)
{
	size_t m = n < PLOT_POINTS ? n : PLOT_POINTS;
	double *pts = wt_calloc(ns * (m ? m : 1), sizeof(double));
	double *base = wt_calloc(m ? m : 1, sizeof(double));
	double lo = INFINITY, hi = -INFINITY;
	double pw = PLOT_W - PAD_L - PAD_R, ph = PLOT_H - PAD_T - PAD_B;

	for (size_t j = 0; j < ns; j++) {
		bucket(ser[j].v, n, m, use_min, pts + j * m);
	}
	for (size_t i = 0; i < m; i++) {
		double acc = 0;

		for (size_t j = 0; j < ns; j++) {
			double v = pts[j * m + i];

			if (stacked && !ser[j].dashed) {
				acc += v;
				v = acc;
			}
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	if (stacked || lo > 0) {
		lo = stacked ? 0 : lo;
	}
	if (!(hi > lo)) {
		hi = lo + 1;
	}
	if (!stacked) {
		double padv = (hi - lo) * 0.05;

		lo -= padv;
		hi += padv;
	}
	axes(f, title, ylabel, t_end_s, lo, hi, "trace time (s)");
	for (size_t j = 0; j < ns; j++) {
		const char *color = palette[j % 10];

		if (stacked && !ser[j].dashed) {
			fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.75\" stroke=\"none\" d=\"",
				color);
			for (size_t i = 0; i < m; i++) {
				double x = PAD_L + pw * (double)i / (double)(m > 1 ? m - 1 : 1);
				double y = PAD_T + ph -
					   ph * (base[i] + pts[j * m + i] - lo) / (hi - lo);

				fprintf(f, "%s%.1f,%.1f", i ? " L" : "M", x, y);
			}
			for (size_t i = m; i-- > 0;) {
				double x = PAD_L + pw * (double)i / (double)(m > 1 ? m - 1 : 1);
				double y = PAD_T + ph - ph * (base[i] - lo) / (hi - lo);

				fprintf(f, " L%.1f,%.1f", x, y);
			}
			fprintf(f, " Z\"/>\n");
			for (size_t i = 0; i < m; i++) {
				base[i] += pts[j * m + i];
			}
		} else {
			fprintf(f,
				"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\"%s "
				"points=\"",
				stacked ? "#000" : color,
				ser[j].dashed ? " stroke-dasharray=\"4 3\"" : "");
			for (size_t i = 0; i < m; i++) {
				double x = PAD_L + pw * (double)i / (double)(m > 1 ? m - 1 : 1);
				double y = PAD_T + ph - ph * (pts[j * m + i] - lo) / (hi - lo);

				fprintf(f, "%s%.1f,%.1f", i ? " " : "", x, y);
			}
			fprintf(f, "\"/>\n");
		}
		legend(f, (int)j, ser[j].name, stacked && ser[j].dashed ? "#000" : color);
	}
	fprintf(f, "</svg>\n");
	wt_free(pts);
	wt_free(base);
}

static void histogram(FILE *f, const struct rp_vec *lat)
{
	enum {
		BINS = 24
	};

	uint64_t count[BINS] = { 0 };
	double lo = 10, hi = 1e6; /* 10 us .. 1 s, log bins */
	uint64_t top = 1;
	double pw = PLOT_W - PAD_L - PAD_R, ph = PLOT_H - PAD_T - PAD_B;

	for (size_t i = 0; i < lat->n; i++) {
		double x = lat->v[i] < lo ? lo : lat->v[i];
		int b = (int)(log10(x / lo) / log10(hi / lo) * BINS);

		b = b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
		count[b]++;
	}
	for (int b = 0; b < BINS; b++) {
		top = count[b] > top ? count[b] : top;
	}
	axes(f, "Lease latency, demand -> grant (agent tier)", "requests", 0, 0, (double)top,
	     "latency (log scale, 10 us .. 1 s)");
	for (int b = 0; b < BINS; b++) {
		double x = PAD_L + pw * b / BINS;
		double h = ph * (double)count[b] / (double)top;
		double from = lo * pow(hi / lo, (double)b / BINS);

		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
			"<title>%.0f us and up: %llu</title></rect>\n",
			x + 1, PAD_T + ph - h, pw / BINS - 2, h, palette[0], from,
			(unsigned long long)count[b]);
		if (b % 4 == 0) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"a\">%.0f us</text>\n", x,
				PAD_T + ph + 28, from);
		}
	}
	fprintf(f, "</svg>\n");
}

static void row(FILE *f, const char *name, double v, const char *unit)
{
	fprintf(f, "<tr><td>");
	esc(f, name);
	fprintf(f, "</td><td class=\"n\">");
	if (isfinite(v)) {
		fprintf(f, "%.4g", v);
	} else {
		fprintf(f, "n/a");
	}
	fprintf(f, " ");
	esc(f, unit);
	fprintf(f, "</td></tr>\n");
}

int rp_report_html(const struct rp_summary *sum, FILE *f)
{
	const struct rp_scenario *s = sum->s;
	const struct rp_demand *d = sum->d;
	const struct rp_live *l = sum->live;
	size_t n = d->n_steps;
	double t_end = (double)n * s->step_ms / 1000.0;
	static const char *const class_names[] = { "unspecified", "critical", "training", "batch",
						   "flexible" };
	double *cls = wt_calloc(6 * (n ? n : 1), sizeof(double));
	double *lim = wt_calloc(n ? n : 1, sizeof(double));
	double *rk = wt_calloc((s->n_racks + 1) * (n ? n : 1), sizeof(double));
	struct series ser[RP_MAX_RACKS + 6];
	size_t ns = 0;
	char title[160];

	for (size_t i = 0; i < d->n_nodes; i++) {
		int c = d->node[i]->load_class;

		c = c < 0 || c > 4 ? 0 : c;
		for (size_t k = 0; k < n; k++) {
			cls[(size_t)c * n + k] += l->drawn.w[i * n + k];
			cls[5 * n + k] += rp_demand_w(d, i, k);
			rk[d->rack_of[i] * n + k] += l->drawn.w[i * n + k];
		}
	}
	if (l->have_miners) {
		/* The miner fleet is the site's flexible load. */
		for (size_t k = 0; k < n; k++) {
			cls[4 * n + k] += l->miners_w[k];
		}
	}
	for (size_t k = 0; k < n; k++) {
		double sum_lim = (double)s->miners_w;

		for (size_t r = 0; r < s->n_racks; r++) {
			sum_lim += s->racks[r].limit_w;
			rk[r * n + k] = s->racks[r].limit_w - rk[r * n + k];
		}
		lim[k] = sum_lim < (double)(s->budget_w + s->miners_w)
				 ? sum_lim
				 : (double)(s->budget_w + s->miners_w);
	}

	fprintf(f,
		"<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
		"<head><meta charset=\"utf-8\"/><title>wattlease-replay report</title>\n"
		"<style>body{font-family:sans-serif;margin:24px;color:#222}"
		"table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}"
		"td.n{text-align:right;font-variant-numeric:tabular-nums}"
		"svg.plot{display:block;margin:18px 0}"
		"svg .t{font-size:14px;font-weight:bold}svg .a{font-size:11px;fill:#444}"
		"</style></head>\n<body>\n<h1>wattlease-replay</h1>\n<p>Scenario <code>");
	esc(f, sum->scenario_path);
	fprintf(f,
		"</code>, %zu racks, %zu nodes, %.1f s of trace at %.3g x (%s), %.1f s wall.</p>\n",
		s->n_racks, s->n_nodes, t_end, l->speed, sum->mode, l->wall_s);
	fprintf(f, "<h2>Scores</h2>\n<table>\n");
	row(f, "energy demanded", sum->wl.demanded_wh / 1000, "kWh");
	row(f, "delivered, wattlease", 100 * share(&sum->wl), "%");
	snprintf(title, sizeof(title), "delivered, static caps at %.0f %% of nameplate",
		 100 * s->static_fraction);
	row(f, title, 100 * share(&sum->static_frac), "%");
	row(f, "delivered, static caps that fit the limit", 100 * share(&sum->static_fit), "%");
	row(f, "delivered, perfect foresight", 100 * share(&sum->oracle), "%");
	row(f, "breaker trips (plant model)", (double)sum->p_wl.breaker_trips, "");
	row(f, "generator envelope violations", (double)sum->p_wl.violations, "");
	row(f, "frequency nadir", sum->p_wl.nadir_hz, "Hz");
	if (s->have_bess) {
		row(f, "BESS energy delivered", sum->p_wl.bess_out_wh, "Wh");
		row(f, "BESS lowest state of charge", 100 * sum->p_wl.bess_min_soc, "%");
	}
	if (l->have_miners) {
		row(f, "miner units shed (commanded off)", (double)l->miner_sheds, "");
	}
	row(f, "longest frequency recovery", sum->p_wl.max_recovery_s, "s");
	row(f, "emergency throttles (agent side)", (double)l->throttles, "");
	row(f, "deadline misses (lease lapsed while needed)", (double)l->deadline_misses, "");
	row(f, "GPU work lost to caps, wattlease", sum->wl.work_lost_pct, "%");
	row(f, "lease latency p50", sum->lat.p50, "us");
	row(f, "lease latency p99", sum->lat.p99, "us");
	row(f, "lease latency p999", sum->lat.p999, "us");
	fprintf(f, "</table>\n<h2>Plots</h2>\n");

	ns = 0;
	for (int c = 1; c <= 4; c++) {
		bool any = false;

		for (size_t k = 0; k < n && !any; k++) {
			any = cls[(size_t)c * n + k] > 0;
		}
		if (any) {
			ser[ns++] = (struct series){ class_names[c], cls + (size_t)c * n, false };
		}
	}
	ser[ns++] = (struct series){ "demand", cls + 5 * n, true };
	ser[ns++] = (struct series){ "limit", lim, true };
	chart(f, "Site power by class (wattlease, drawn)", "W", ser, ns, n, t_end, true, false);

	ser[0] = (struct series){ "generator load", sum->p_wl.site_w, false };
	ns = 1;
	if (l->have_miners) {
		ser[ns++] = (struct series){ "miners", l->miners_w, false };
	}
	if (s->have_bess) {
		ser[ns++] = (struct series){ "BESS (+ discharge)", sum->p_wl.bess_w, false };
	}
	chart(f, "Generator load", "W", ser, ns, n, t_end, false, false);
	ser[0] = (struct series){ "frequency", sum->p_wl.freq_hz, false };
	chart(f, "Generator frequency (genset model)", "Hz", ser, 1, n, t_end, false, true);

	ns = 0;
	for (size_t r = 0; r < s->n_racks && r < RP_MAX_RACKS; r++) {
		ser[ns++] = (struct series){ s->racks[r].id, rk + r * n, false };
	}
	chart(f, "Per-rack headroom (limit - draw, lowest per pixel)", "W", ser, ns, n, t_end,
	      false, true);
	histogram(f, &l->lat_us);
	fprintf(f, "</body>\n</html>\n");
	wt_free(cls);
	wt_free(lim);
	wt_free(rk);
	return ferror(f) ? -EIO : 0;
}

void rp_report_text(const struct rp_summary *sum, FILE *f)
{
	const struct rp_scenario *s = sum->s;

	fprintf(f,
		"wattlease-replay: %zu racks, %zu nodes, %.1f s of trace at %.3g x in %.1f s\n"
		"  energy delivered / demanded: wattlease %.2f %%, static %.0f %% caps %.2f %%, "
		"static caps that fit %.2f %%, perfect foresight %.2f %%\n"
		"  breaker trips %llu, generator violations %llu (nadir %.3f Hz), "
		"emergency throttles %llu, deadline misses %llu\n"
		"  lease latency (agent tier) p50 %.0f us, p99 %.0f us, p999 %.0f us (%llu "
		"samples)\n",
		s->n_racks, s->n_nodes, (double)sum->d->n_steps * s->step_ms / 1000.0,
		sum->live->speed, sum->live->wall_s, 100 * share(&sum->wl),
		100 * s->static_fraction, 100 * share(&sum->static_frac),
		100 * share(&sum->static_fit), 100 * share(&sum->oracle),
		(unsigned long long)sum->p_wl.breaker_trips,
		(unsigned long long)sum->p_wl.violations, sum->p_wl.nadir_hz,
		(unsigned long long)sum->live->throttles,
		(unsigned long long)sum->live->deadline_misses, sum->lat.p50, sum->lat.p99,
		sum->lat.p999, (unsigned long long)sum->lat.count);
	if (sum->live->have_miners || s->have_bess) {
		double wh = 0;

		for (size_t k = 0; sum->live->have_miners && k < sum->d->n_steps; k++) {
			wh += sum->live->miners_w[k] * s->step_ms / 3.6e6;
		}
		fprintf(f,
			"  miners %.3f kWh (%llu units shed, %llu restored), BESS %.1f Wh out, "
			"peak %.0f W, lowest charge %.1f %%\n",
			wh / 1000, (unsigned long long)sum->live->miner_sheds,
			(unsigned long long)sum->live->miner_restores, sum->p_wl.bess_out_wh,
			sum->p_wl.bess_peak_w, 100 * sum->p_wl.bess_min_soc);
	}
}
