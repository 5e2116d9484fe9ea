/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scoring (see score.h). */
#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wt/mem.h"

void rp_alloc_init(struct rp_alloc *a, size_t n_nodes, size_t n_steps)
{
	a->n_nodes = n_nodes;
	a->n_steps = n_steps;
	a->w = wt_calloc(n_nodes * n_steps > 0 ? n_nodes * n_steps : 1, sizeof(double));
}

void rp_alloc_deinit(struct rp_alloc *a)
{
	WT_FREE(a->w);
}

void rp_alloc_static(const struct rp_scenario *s, const struct rp_demand *d, double fraction,
		     struct rp_alloc *out)
{
	(void)s;
	rp_alloc_init(out, d->n_nodes, d->n_steps);
	for (size_t i = 0; i < d->n_nodes; i++) {
		double cap = fraction * d->node[i]->nameplate_w;

		for (size_t k = 0; k < d->n_steps; k++) {
			double w = rp_demand_w(d, i, k);

			*rp_alloc_at(out, i, k) = w < cap ? w : cap;
		}
	}
}

void rp_alloc_oracle(const struct rp_scenario *s, const struct rp_demand *d, struct rp_alloc *out)
{
	double *dem = wt_calloc(s->n_racks, sizeof(double));
	double *got = wt_calloc(s->n_racks, sizeof(double));

	rp_alloc_init(out, d->n_nodes, d->n_steps);
	for (size_t k = 0; k < d->n_steps; k++) {
		double sum = 0, site;

		memset(dem, 0, s->n_racks * sizeof(double));
		for (size_t i = 0; i < d->n_nodes; i++) {
			dem[d->rack_of[i]] += rp_demand_w(d, i, k);
		}
		for (size_t r = 0; r < s->n_racks; r++) {
			double lim = s->racks[r].limit_w;

			got[r] = dem[r] < lim ? dem[r] : lim;
			sum += got[r];
		}
		site = sum > (double)s->budget_w ? (double)s->budget_w / sum : 1.0;
		for (size_t i = 0; i < d->n_nodes; i++) {
			size_t r = d->rack_of[i];
			double f = dem[r] > 0 ? got[r] / dem[r] : 0;

			*rp_alloc_at(out, i, k) = rp_demand_w(d, i, k) * f * site;
		}
	}
	wt_free(dem);
	wt_free(got);
}

void rp_energy_of(const struct rp_scenario *s, const struct rp_demand *d, const struct rp_alloc *a,
		  const struct rp_zeus *zeus, struct rp_energy *out)
{
	double h = (double)d->step_ms / 3600000.0;
	double lost = 0;
	uint64_t busy = 0;

	memset(out, 0, sizeof(*out));
	out->rack_wh = wt_calloc(s->n_racks, sizeof(double));
	for (size_t i = 0; i < d->n_nodes; i++) {
		for (size_t k = 0; k < d->n_steps; k++) {
			double want = rp_demand_w(d, i, k);
			double got = a->w[i * a->n_steps + k];

			out->demanded_wh += want * h;
			out->delivered_wh += got * h;
			out->rack_wh[d->rack_of[i]] += got * h;
			if (got < want - 1.0) {
				out->capped_samples++;
			}
			if (want > 0 && zeus != NULL) {
				lost += 1.0 - rp_zeus_work_frac(zeus, got / want);
				busy++;
			}
		}
	}
	out->work_lost_pct = zeus != NULL && busy > 0 ? 100.0 * lost / (double)busy : NAN;
}

void rp_energy_deinit(struct rp_energy *e)
{
	WT_FREE(e->rack_wh);
}

/* Counts rising edges of a condition. */
static void episode(bool now, bool *prev, uint64_t *count)
{
	if (now && !*prev) {
		(*count)++;
	}
	*prev = now;
}

void rp_plant_eval(const struct rp_scenario *s, const struct rp_alloc *a, struct rp_plant *out)
{
	rp_plant_eval_site(s, a, NULL, out);
}

/* Lowest of @v[k - win .. k]: the window's span is win steps, as in the step check below. */
static double trailing_min(const double *v, size_t k, size_t win)
{
	double lo = v[k];

	for (size_t j = k >= win ? k - win : 0; j < k; j++) {
		lo = v[j] < lo ? v[j] : lo;
	}
	return lo;
}

void rp_plant_eval_site(const struct rp_scenario *s, const struct rp_alloc *a,
			const double *miners_w, struct rp_plant *out)
{
	size_t n = a->n_steps;
	double dt_ms = (double)s->step_ms;
	struct wt_breaker_state *bs = wt_calloc(s->n_racks, sizeof(*bs));
	double *rack = wt_calloc(s->n_racks, sizeof(double));
	size_t *rack_of = wt_calloc(a->n_nodes ? a->n_nodes : 1, sizeof(size_t));
	const struct wt_genset_cfg *g = &s->gcfg;
	struct wt_genset_state gs;
	double f0 = g->f_nominal_hz;
	double dip_hz = f0 * (1 + g->iso.dip_pct / 100);
	double over_hz = f0 * (1 + g->iso.overshoot_pct / 100);
	double half_band = f0 * g->iso.band_pct / 200;
	double max_step = g->rated_w * g->max_step_pct / 100;
	size_t win = (size_t)(1000 / s->step_ms) ? (size_t)(1000 / s->step_ms) : 1;
	bool in_dip = false, in_over = false, in_step = false, in_rec = false, in_load = false;
	bool rec_counted = false;
	double out_since = 0;
	size_t idx = 0;
	double *bus = wt_calloc(n ? n : 1, sizeof(double)); /* GPUs + miners, before the BESS */
	size_t bess_win = (size_t)ceil(g->step_recovery_s * 1000.0 / dt_ms);
	double setpoint = g->rated_w *
			  (s->genset.setpoint_pct > 0 ? s->genset.setpoint_pct : g->min_load_pct) /
			  100.0;
	struct wt_bess_state bst;

	memset(out, 0, sizeof(*out));
	out->rack_trips = wt_calloc(s->n_racks, sizeof(uint64_t));
	out->rack_max_w = wt_calloc(s->n_racks, sizeof(double));
	out->rack_min_headroom_w = wt_calloc(s->n_racks, sizeof(double));
	out->freq_hz = wt_calloc(n ? n : 1, sizeof(double));
	out->site_w = wt_calloc(n ? n : 1, sizeof(double));
	out->bess_w = wt_calloc(n ? n : 1, sizeof(double));
	out->bess_min_soc = 1;
	bess_win = bess_win ? bess_win : 1;
	wt_bess_state_init(&bst, 1.0);
	for (size_t r = 0; r < s->n_racks; r++) {
		wt_breaker_state_init(&bs[r]);
		out->rack_min_headroom_w[r] = INFINITY;
		for (size_t i = 0; i < s->racks[r].n_nodes; i++) {
			rack_of[idx++] = r;
		}
	}
	out->nadir_hz = INFINITY;
	out->peak_hz = -INFINITY;
	for (size_t k = 0; k < n; k++) {
		double site = 0;

		memset(rack, 0, s->n_racks * sizeof(double));
		for (size_t i = 0; i < a->n_nodes && i < idx; i++) {
			rack[rack_of[i]] += a->w[i * n + k];
		}
		for (size_t r = 0; r < s->n_racks; r++) {
			const struct wt_breaker_cfg *b = &s->racks[r].bcfg;
			double head = (double)s->racks[r].limit_w - rack[r];

			site += rack[r];
			if (wt_breaker_step(b, &bs[r], wt_breaker_watts_to_amps(b, rack[r]),
					    dt_ms)) {
				out->rack_trips[r]++;
				out->breaker_trips++;
				wt_breaker_state_init(&bs[r]);
			}
			out->rack_max_w[r] =
				rack[r] > out->rack_max_w[r] ? rack[r] : out->rack_max_w[r];
			out->rack_min_headroom_w[r] = head < out->rack_min_headroom_w[r]
							      ? head
							      : out->rack_min_headroom_w[r];
		}
		if (miners_w != NULL) {
			site += miners_w[k];
		}
		bus[k] = site;
		if (s->have_bess) {
			double allowed = trailing_min(bus, k, bess_win) + max_step;
			double req = site > allowed ? site - allowed : 0;
			double got;

			if (req == 0 && site < setpoint && bst.soc < 1.0) {
				req = -s->bess_cfg.power_w / 20.0;
			}
			got = wt_bess_step(&s->bess_cfg, &bst, req, dt_ms / 1000.0);
			out->bess_w[k] = got;
			if (got > 0) {
				out->bess_out_wh += got * dt_ms / 3.6e6;
			}
			out->bess_peak_w = got > out->bess_peak_w ? got : out->bess_peak_w;
			out->bess_min_soc =
				bst.soc < out->bess_min_soc ? bst.soc : out->bess_min_soc;
			site = site - got > 0 ? site - got : 0;
		}
		out->site_w[k] = site;
		out->site_max_w = site > out->site_max_w ? site : out->site_max_w;
		if (k == 0) {
			wt_genset_state_init(g, &gs, site);
		}
		wt_genset_step(g, &gs, site, dt_ms / 1000.0);
		out->freq_hz[k] = gs.f_hz;
		out->nadir_hz = gs.f_hz < out->nadir_hz ? gs.f_hz : out->nadir_hz;
		out->peak_hz = gs.f_hz > out->peak_hz ? gs.f_hz : out->peak_hz;
		episode(gs.f_hz < dip_hz, &in_dip, &out->dip_violations);
		episode(gs.f_hz > over_hz, &in_over, &out->overshoot_violations);
		episode(site > g->rated_w, &in_load, &out->overload_violations);
		{
			double lo = site;

			for (size_t j = k >= win ? k - win : 0; j < k; j++) {
				lo = out->site_w[j] < lo ? out->site_w[j] : lo;
			}
			/* 1 mW of slack: a BESS holding the set at exactly base + step
			 * leaves float noise. */
			episode(site - lo > max_step + 1e-3, &in_step, &out->step_violations);
		}
		{
			double steady = wt_genset_steady_hz(g, &gs, site);
			bool outside = isnan(steady) || fabs(gs.f_hz - steady) > half_band;
			double t = (double)(k + 1) * dt_ms / 1000.0;

			if (outside && !in_rec) {
				out_since = t - dt_ms / 1000.0;
				rec_counted = false;
			}
			if (outside) {
				double len = t - out_since;

				out->max_recovery_s =
					len > out->max_recovery_s ? len : out->max_recovery_s;
				if (len > g->iso.recovery_s && !rec_counted) {
					out->recovery_violations++;
					rec_counted = true;
				}
			}
			in_rec = outside;
		}
	}
	if (n == 0) {
		out->nadir_hz = out->peak_hz = f0;
	}
	for (size_t r = 0; r < s->n_racks; r++) {
		if (isinf(out->rack_min_headroom_w[r])) {
			out->rack_min_headroom_w[r] = s->racks[r].limit_w;
		}
	}
	out->violations = out->dip_violations + out->overshoot_violations + out->step_violations +
			  out->recovery_violations + out->overload_violations;
	wt_free(bs);
	wt_free(rack);
	wt_free(rack_of);
	wt_free(bus);
}

void rp_plant_deinit(struct rp_plant *p)
{
	WT_FREE(p->rack_trips);
	WT_FREE(p->rack_max_w);
	WT_FREE(p->rack_min_headroom_w);
	WT_FREE(p->freq_hz);
	WT_FREE(p->site_w);
	WT_FREE(p->bess_w);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static double rank(const double *v, size_t n, double q)
{
	size_t i = (size_t)ceil(q * (double)n);

	return v[i == 0 ? 0 : i - 1];
}

void rp_percentiles(const double *v, size_t n, struct rp_pct *out)
{
	double *c;
	double sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		out->p50 = out->p99 = out->p999 = out->max = out->mean = NAN;
		return;
	}
	c = wt_malloc(n * sizeof(double));
	memcpy(c, v, n * sizeof(double));
	qsort(c, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++) {
		sum += c[i];
	}
	out->count = n;
	out->p50 = rank(c, n, 0.5);
	out->p99 = rank(c, n, 0.99);
	out->p999 = rank(c, n, 0.999);
	out->max = c[n - 1];
	out->mean = sum / (double)n;
	wt_free(c);
}

void rp_vec_push(struct rp_vec *vec, double x)
{
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 1024;
		vec->v = wt_realloc(vec->v, vec->cap * sizeof(double));
	}
	vec->v[vec->n++] = x;
}

void rp_vec_deinit(struct rp_vec *vec)
{
	WT_FREE(vec->v);
	vec->n = vec->cap = 0;
}
