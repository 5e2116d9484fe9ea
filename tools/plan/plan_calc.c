/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-plan computations. Every figure carries the assumption it rests on; the physics is
 * that of common/ (genset swing + governor model, BESS, miners, breaker), never re-derived here.
 *
 * Site state assumed throughout (stated in the report):
 *   - the fleet starts in phase 0 (idle) and goes through the phases in order; the last phase
 *     returns to phase 0 (teardown);
 *   - miners are the counterweight: before bring-up they run as many whole units as fit between
 *     the idle fleet and min(rated, fleet peak), so that the genset already carries the peak and
 *     a bring-up swaps miner load for GPU load; a rise of the GPUs sheds miners 1:1 while any
 *     run;
 *   - a phase change of N GPUs with correlation C lands C x N x |dP| on one edge (the rest is
 *     spread out and does not add up). */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"

/* Sampling interval of the nadir simulations (s). */
#define NADIR_DT_S 0.002

static struct plan_fig *add(struct plan_result *r, const char *section, const char *name,
			    double value, const char *unit, enum plan_check check, const char *fmt,
			    ...) __attribute__((format(printf, 7, 8)));

static struct plan_fig *add(struct plan_result *r, const char *section, const char *name,
			    double value, const char *unit, enum plan_check check, const char *fmt,
			    ...)
{
	struct plan_fig *f;
	va_list ap;

	WT_ASSERT(r->n < PLAN_MAX_FIGS);
	f = &r->figs[r->n++];
	snprintf(f->section, sizeof(f->section), "%s", section);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	f->value = value;
	f->check = check;
	va_start(ap, fmt);
	vsnprintf(f->assumption, sizeof(f->assumption), fmt, ap);
	va_end(ap);
	if (check != PLAN_INFO) {
		r->checks++;
		if (check == PLAN_FAIL) {
			r->failed++;
		}
	}
	return f;
}

static enum plan_check verdict(bool ok)
{
	return ok ? PLAN_PASS : PLAN_FAIL;
}

const struct plan_fig *plan_fig_find(const struct plan_result *r, const char *section,
				     const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->figs[i].section, section) == 0 &&
		    strcmp(r->figs[i].name, name) == 0) {
			return &r->figs[i];
		}
	}
	return NULL;
}

/* What the site looks like before the bring-up. */
struct site {
	double n, c;
	double idle_w, peak_w; /* fleet at phase 0 and at its highest phase */
	double miners_on_w;    /* counterweight running before the bring-up */
	uint32_t miners_on_units;
	double shed_s; /* miners' shed latency (0 without miners) */
	double ramp_w_per_s;
};

static void site_init(const struct plan_cfg *cfg, struct site *s)
{
	const struct plan_fleet_yaml *fl = &cfg->fleet;
	double hi = 0;
	double room;

	memset(s, 0, sizeof(*s));
	s->n = fl->gpus;
	s->c = fl->correlation;
	for (size_t i = 0; i < fl->n_phases; i++) {
		hi = fmax(hi, fl->phases[i].watts_per_gpu);
	}
	s->idle_w = s->n * fl->phases[0].watts_per_gpu;
	s->peak_w = s->n * hi;
	room = fmin(cfg->gcfg.rated_w, s->peak_w) - s->idle_w;
	if (cfg->miners.units > 0 && room > 0) {
		double units = floor(room / cfg->miners.unit_w);

		s->miners_on_units = (uint32_t)fmin(units, cfg->miners.units);
		s->miners_on_w = (double)s->miners_on_units * cfg->miners.unit_w;
		s->shed_s = cfg->miners.shed_latency_ms / 1000.0;
	}
	s->ramp_w_per_s = cfg->gcfg.ramp_w_per_s;
}

/* Miner load still running when the fleet is in phase @from (swapped 1:1 for every GPU watt
 * above idle), and the genset load then. */
static double miners_left_w(const struct site *s, double fleet_w)
{
	return fmax(0.0, s->miners_on_w - fmax(0.0, fleet_w - s->idle_w));
}

static double max_step_at(const struct plan_cfg *cfg, double load_w)
{
	struct wt_genset_state st;

	wt_genset_state_init(&cfg->gcfg, &st, fmin(load_w, cfg->gcfg.rated_w));
	return (double)wt_genset_max_step_w(&cfg->gcfg, &st);
}

static void phase_name(char *buf, size_t size, const struct plan_fleet_yaml *fl, size_t i,
		       const char *suffix)
{
	size_t j = (i + 1) % fl->n_phases;

	snprintf(buf, size, "%s->%s%s", fl->phases[i].name, fl->phases[j].name, suffix);
}

/* The edge the BESS and the nadir check are sized on. */
struct edge {
	bool any;
	size_t from;
	double step_w, load0_w, miners_w, s_w;
	double bess_p_w, tail_w; /* BESS power during the shed latency; uncovered after it */
};

/* Genset load at @t_s after the edge (@before: just before @t_s). The BESS answers after its
 * response time with min(power, step - s); miners take min(left, step) off after their shed
 * latency; what they leave above s the BESS carries on, handing it to the genset at its ramp. */
static double edge_load(const struct plan_cfg *cfg, const struct site *s, const struct edge *e,
			double t_s, bool before)
{
	double resp_s = cfg->bcfg.response_ms / 1000.0;
	bool bess_on = before ? t_s > resp_s : t_s >= resp_s;
	bool shed = before ? t_s > s->shed_s : t_s >= s->shed_s;
	double load = e->load0_w + e->step_w;
	double bess = 0;

	if (t_s < 0 || (before && t_s == 0)) {
		return e->load0_w;
	}
	if (shed) {
		double tail = fmin(cfg->bcfg.power_w, e->tail_w);
		double tr = e->tail_w / s->ramp_w_per_s;

		load -= e->miners_w;
		if (tr > 0 && t_s < s->shed_s + tr) {
			bess = tail * (1.0 - (t_s - s->shed_s) / tr);
		}
	} else {
		bess = fmin(cfg->bcfg.power_w, e->bess_p_w);
	}
	return load - (bess_on ? bess : 0.0);
}

static int simulate_edge(const struct plan_cfg *cfg, const struct site *s, const struct edge *e,
			 struct wt_genset_result *res)
{
	double times[4] = { 0, cfg->bcfg.response_ms / 1000.0, s->shed_s,
			    s->shed_s + e->tail_w / s->ramp_w_per_s };
	struct wt_genset_point pts[8];
	struct wt_genset_state st;
	struct wt_genset_result tail;
	struct wt_genset_point last;
	size_t n = 0;
	int rc;

	/* sort the four instants (insertion sort) */
	for (size_t i = 1; i < 4; i++) {
		for (size_t j = i; j > 0 && times[j] < times[j - 1]; j--) {
			double t = times[j];

			times[j] = times[j - 1];
			times[j - 1] = t;
		}
	}
	for (size_t i = 0; i < 4; i++) {
		if (i > 0 && times[i] == times[i - 1]) {
			continue;
		}
		pts[n++] =
			(struct wt_genset_point){ times[i], edge_load(cfg, s, e, times[i], true) };
		pts[n++] =
			(struct wt_genset_point){ times[i], edge_load(cfg, s, e, times[i], false) };
	}
	last = (struct wt_genset_point){ 0, pts[n - 1].load_w };
	rc = wt_genset_simulate(&cfg->gcfg, e->load0_w, pts, n, NADIR_DT_S, res);
	if (rc < 0) {
		return rc;
	}
	/* The BESS and miner segments last well under a second by design, so the model counts
	 * them as not recovered; recovery is measured from the last change instead: advance a
	 * state through the profile (1 ms steps, load linear between points) and simulate the
	 * constant load from there. Nadir, peak and RoCoF stay those of the whole profile. */
	wt_genset_state_init(&cfg->gcfg, &st, e->load0_w);
	for (size_t i = 1; i < n; i++) {
		double t0 = pts[i - 1].t_s;
		double span = pts[i].t_s - t0;
		size_t k = (size_t)ceil(span / 0.001);

		for (size_t j = 0; j < k; j++) {
			double a = (j + 0.5) / (double)k;

			wt_genset_step(&cfg->gcfg, &st,
				       pts[i - 1].load_w + a * (pts[i].load_w - pts[i - 1].load_w),
				       span / (double)k);
		}
	}
	rc = wt_genset_simulate_from(&cfg->gcfg, &st, &last, 1, NADIR_DT_S, &tail);
	if (rc < 0) {
		return rc;
	}
	res->recovery_s = tail.recovery_s;
	return 0;
}

static int simulate_step(const struct plan_cfg *cfg, double load0_w, double step_w,
			 struct wt_genset_result *res)
{
	struct wt_genset_point pt = { 0, fmax(0.0, load0_w + step_w) };

	return wt_genset_simulate(&cfg->gcfg, load0_w, &pt, 1, NADIR_DT_S, res);
}

static void calc_fleet(const struct plan_cfg *cfg, const struct site *s, struct plan_result *r,
		       struct edge *rise, struct edge *drop)
{
	const struct plan_fleet_yaml *fl = &cfg->fleet;
	double interval_s = wt_genset_step_interval_s(&cfg->gcfg);
	char name[80];

	for (size_t i = 0; i < fl->n_phases; i++) {
		size_t j = (i + 1) % fl->n_phases;
		double dp = (double)fl->phases[j].watts_per_gpu - fl->phases[i].watts_per_gpu;
		double step = s->c * s->n * fabs(dp);
		double fleet_w = s->n * fl->phases[i].watts_per_gpu;
		double left = miners_left_w(s, fleet_w);
		double load0 = fleet_w + left;
		struct edge *e = dp > 0 ? rise : drop;

		phase_name(name, sizeof(name), fl, i, ".step_w");
		add(r, "fleet", name, dp > 0 ? step : -step, "W", PLAN_INFO,
		    "C x N x dP = %.3g x %.0f x %+.0f W: the part of the phase change that lands "
		    "on "
		    "one edge (%s)",
		    s->c, s->n, dp,
		    dp > 0   ? "rise"
		    : dp < 0 ? "drop"
			     : "no change");
		if (dp != 0 && (!e->any || step > e->step_w)) {
			*e = (struct edge){ .any = true,
					    .from = i,
					    .step_w = step,
					    .load0_w = load0,
					    .miners_w = fmin(left, step) };
		}
		if (dp <= 0) {
			continue;
		}
		double sw = max_step_at(cfg, load0);
		double rate_w = fmin(s->ramp_w_per_s, sw / interval_s);
		double gps = s->c > 0 ? rate_w / (s->c * dp) : INFINITY;

		phase_name(name, sizeof(name), fl, i, ".gpus_per_s");
		add(r, "pacing", name, gps, "GPU/s", PLAN_INFO,
		    "min(ramp %.0f W/s, max step %.0f W / interval %.2f s) / (C %.3g x dP %.0f W); "
		    "genset alone from its load before the change (%.0f W, miners included): "
		    "miners "
		    "are not counted, their shed lands %.0f ms after the GPU edge so inside that "
		    "window the genset sees the whole rise",
		    s->ramp_w_per_s, sw, interval_s, s->c, dp, load0, s->shed_s * 1000.0);
		phase_name(name, sizeof(name), fl, i, ".first_batch_gpus");
		add(r, "pacing", name, s->c > 0 ? floor(sw / (s->c * dp)) : INFINITY, "GPU",
		    PLAN_INFO,
		    "largest batch released at once: max step %.0f W (wt_genset_max_step_w at "
		    "%.0f W) / (C x dP)",
		    sw, load0);
	}
}

static void calc_bringup(const struct plan_cfg *cfg, const struct site *s, struct plan_result *r)
{
	double rise = s->peak_w - s->idle_w;
	double net = fmax(0.0, rise - s->miners_on_w);

	add(r, "bringup", "rise_w", rise, "W", PLAN_INFO,
	    "N x (highest phase - %s) per GPU: every GPU gets there, so C does not reduce it",
	    cfg->fleet.phases[0].name);
	add(r, "bringup", "miners_on_w", s->miners_on_w, "W", PLAN_INFO,
	    "%u of %u units x %u W run before the bring-up: as many as fit between the idle fleet "
	    "and min(rated, fleet peak)",
	    s->miners_on_units, cfg->miners.units, cfg->miners.unit_w);
	add(r, "bringup", "net_rise_w", net, "W", PLAN_INFO,
	    "rise - miners shed 1:1 with the GPU rise: what the genset must pick up");
	add(r, "bringup", "min_s_without_miners", wt_genset_min_bringup_s(&cfg->gcfg, rise), "s",
	    PLAN_INFO,
	    "wt_genset_min_bringup_s(rise): steps of max step every interval, ramp %.0f W/s",
	    s->ramp_w_per_s);
	add(r, "bringup", "min_s", wt_genset_min_bringup_s(&cfg->gcfg, net), "s", PLAN_INFO,
	    "wt_genset_min_bringup_s(net rise): the swapped part leaves the genset load flat; its "
	    "sub-second edges are the BESS's (section bess)");
}

static void calc_bess(const struct plan_cfg *cfg, const struct site *s, struct edge *e,
		      struct plan_result *r)
{
	struct wt_bess_state st;
	double need_wh, avail_wh, tail_wh;

	if (!e->any) {
		return;
	}
	e->s_w = max_step_at(cfg, e->load0_w);
	e->bess_p_w = fmax(0.0, e->step_w - e->s_w);
	e->tail_w = fmax(0.0, e->step_w - e->miners_w - e->s_w);
	tail_wh = e->tail_w * e->tail_w / (2.0 * s->ramp_w_per_s) / 3600.0;
	need_wh = e->bess_p_w * s->shed_s / 3600.0 + tail_wh;
	wt_bess_state_init(&st, 1.0);
	avail_wh = wt_bess_available_wh(&cfg->bcfg, &st);

	add(r, "bess", "edge_w", e->step_w, "W", PLAN_INFO,
	    "largest rising edge C x N x dP (%s->%s) released at once, from a genset load of %.0f "
	    "W",
	    cfg->fleet.phases[e->from].name,
	    cfg->fleet.phases[(e->from + 1) % cfg->fleet.n_phases].name, e->load0_w);
	add(r, "bess", "genset_step_w", e->s_w, "W", PLAN_INFO,
	    "wt_genset_max_step_w at %.0f W: what the genset takes at once (max_step_pct, "
	    "headroom and the class's dip limit)",
	    e->load0_w);
	add(r, "bess", "miners_shed_w", e->miners_w, "W", PLAN_INFO,
	    "min(miners still running, edge), off after shed_latency %.0f ms", s->shed_s * 1000.0);
	add(r, "bess", "power_needed_w", e->bess_p_w, "W",
	    verdict(cfg->bcfg.power_w >= e->bess_p_w),
	    "edge - genset step, carried until the miners' shed lands; BESS has %.0f W",
	    cfg->bcfg.power_w);
	add(r, "bess", "energy_needed_wh", need_wh, "Wh", verdict(avail_wh >= need_wh),
	    "power x shed latency %.0f ms (response time counted in, conservative) + %.3f Wh for "
	    "the %.0f W miners leave above the genset step, handed to the genset at its ramp; BESS "
	    "full has %.3f Wh deliverable (x sqrt(efficiency %.2f))",
	    s->shed_s * 1000.0, tail_wh, e->tail_w, avail_wh, cfg->bcfg.efficiency);
}

static int calc_nadir(const struct plan_cfg *cfg, const struct site *s, const struct edge *rise,
		      const struct edge *drop, struct plan_result *r)
{
	struct wt_genset_result res;
	char why[256];
	int rc, n;

	if (rise->any) {
		rc = simulate_edge(cfg, s, rise, &res);
		if (rc < 0) {
			return rc;
		}
		n = wt_genset_check_iso(&cfg->gcfg, &res, NULL, why, sizeof(why));
		add(r, "nadir", "edge_nadir_hz", res.nadir_hz, "Hz", verdict(n == 0),
		    "bess.edge_w at t=0, BESS min(power, edge - step) after its %.0f ms response, "
		    "miners off after %.0f ms, ISO 8528-5 %s: %s",
		    cfg->bcfg.response_ms, s->shed_s * 1000.0,
		    wt_iso8528_class_name(cfg->gcfg.iso_class), n == 0 ? "inside the class" : why);
		add(r, "nadir", "edge_rocof_hz_s", res.max_rocof_hz_s, "Hz/s", PLAN_INFO,
		    "largest |df/dt| of the same simulation");
		add(r, "nadir", "edge_recovery_s", res.recovery_s, "s", PLAN_INFO,
		    "time back into the steady-state band after the last change (miners' shed or "
		    "BESS handover); the sub-second segments before it are not required to settle");
		rc = simulate_step(cfg, rise->load0_w, rise->step_w, &res);
		if (rc < 0) {
			return rc;
		}
		n = wt_genset_check_iso(&cfg->gcfg, &res, NULL, why, sizeof(why));
		add(r, "nadir", "unmitigated_nadir_hz", res.nadir_hz, "Hz", PLAN_INFO,
		    "the same edge with no BESS and no miners, for comparison: %s",
		    n == 0 ? "inside the class" : why);
	}
	if (drop->any) {
		rc = simulate_step(cfg, drop->load0_w, -drop->step_w, &res);
		if (rc < 0) {
			return rc;
		}
		n = wt_genset_check_iso(&cfg->gcfg, &res, NULL, why, sizeof(why));
		add(r, "nadir", "drop_peak_hz", res.peak_hz, "Hz", verdict(n == 0),
		    "largest falling edge %.0f W from %.0f W as one step, miners' backfill (%u ms "
		    "restore) and BESS charging not counted (conservative), ISO 8528-5 %s: %s",
		    drop->step_w, drop->load0_w, cfg->miners.restore_latency_ms,
		    wt_iso8528_class_name(cfg->gcfg.iso_class), n == 0 ? "inside the class" : why);
	}
	return 0;
}

static void calc_capacity(const struct plan_cfg *cfg, const struct site *s, struct plan_result *r)
{
	double rated = cfg->gcfg.rated_w;
	double min_load = (double)wt_genset_min_load_w(&cfg->gcfg);
	double base = s->idle_w + s->miners_on_w;

	add(r, "capacity", "fleet_peak_w", s->peak_w, "W", verdict(s->peak_w <= rated),
	    "N x highest phase; must fit the genset's rating %.0f W", rated);
	add(r, "capacity", "base_load_w", base, "W", PLAN_INFO,
	    "idle fleet + miners before the bring-up; the genset's minimum continuous loading is "
	    "%.0f W (%s)",
	    min_load,
	    base >= min_load ? "met" : "NOT met: more miners would avoid light-load running");
	if (cfg->breakers.rating_a > 0) {
		double cap = (double)wt_breaker_pool_capacity_w(&cfg->brcfg);

		add(r, "capacity", "breaker_pool_w", cap, "W", verdict(s->peak_w <= cap),
		    "0.8 x continuous rating of %.0f A at %.0f V, %u phase(s), pf %.2f: must carry "
		    "the fleet peak %.0f W (miners on their own feeder)",
		    cfg->breakers.rating_a, cfg->breakers.voltage_v, cfg->breakers.phases,
		    cfg->brcfg.power_factor, s->peak_w);
	}
}

/* TB/month that @mbps carries in a 30-day month. */
static double tb_per_month(double mbps)
{
	return mbps * 1e6 / 8.0 * PLAN_MONTH_S / 1e12;
}

static double mbps_of(double tb_per_month_v)
{
	return tb_per_month_v * 1e12 * 8.0 / PLAN_MONTH_S / 1e6;
}

static void calc_links(const struct plan_cfg *cfg, struct plan_result *r)
{
	const struct plan_links_yaml *l = &cfg->links;
	double v = l->monthly_tb;

	if (l->satellite.mbps > 0) {
		const struct plan_satellite_yaml *sa = &l->satellite;
		double eff = fmin(sa->cap_tb_per_month, tb_per_month(sa->mbps));

		add(r, "links", "satellite.tb_per_month", eff, "TB/month", PLAN_INFO,
		    "min(cap %g TB, %g Mbit/s for 30 days = %.1f TB)", sa->cap_tb_per_month,
		    sa->mbps, tb_per_month(sa->mbps));
		add(r, "links", "satellite.throughput_mbps", mbps_of(eff), "Mbit/s", PLAN_INFO,
		    "the monthly allowance spread over 30 days");
		add(r, "links", "satellite.months_per_month", v / eff, "month", PLAN_INFO,
		    "months to move one month's %g TB (> 1: the link falls behind)", v);
		add(r, "links", "satellite.latency_ms", sa->latency_ms, "ms", PLAN_INFO,
		    "round trip, as configured");
		add(r, "links", "satellite.usd_per_tb", sa->usd_per_month / fmin(v, eff), "USD/TB",
		    PLAN_INFO, "USD %g per month / TB actually moved min(%g, %.1f)",
		    sa->usd_per_month, v, eff);
	}
	if (l->drives.tb_per_drive > 0) {
		const struct plan_drives_yaml *d = &l->drives;

		add(r, "links", "drives.per_month", ceil(v / d->tb_per_drive), "drive", PLAN_INFO,
		    "ceil(%g TB / %g TB per drive)", v, d->tb_per_drive);
		add(r, "links", "drives.throughput_mbps", v * 8e6 / (d->days_in_transit * 86400.0),
		    "Mbit/s", PLAN_INFO,
		    "one month's %g TB shipped at once, divided by %g days in transit", v,
		    d->days_in_transit);
		add(r, "links", "drives.latency_days", d->days_in_transit, "day", PLAN_INFO,
		    "door to door, plus copy time (not counted)");
		add(r, "links", "drives.usd_per_tb", d->usd_per_drive / d->tb_per_drive, "USD/TB",
		    PLAN_INFO, "drive price / capacity, drives not reused; shipping not included");
	}
	if (l->fiber.gbps > 0) {
		const struct plan_fiber_yaml *f = &l->fiber;
		double cap = tb_per_month(f->gbps * 1000.0);

		add(r, "links", "fiber.tb_per_month", cap, "TB/month", PLAN_INFO,
		    "%g Gbit/s for 30 days", f->gbps);
		add(r, "links", "fiber.throughput_mbps", f->gbps * 1000.0, "Mbit/s", PLAN_INFO,
		    "line rate");
		add(r, "links", "fiber.latency_ms", f->latency_ms, "ms", PLAN_INFO,
		    "round trip, as configured");
		add(r, "links", "fiber.usd_per_tb", f->usd_per_month / fmin(v, cap), "USD/TB",
		    PLAN_INFO, "USD %g per month / %g TB moved", f->usd_per_month, fmin(v, cap));
	}
}

int plan_calc(const struct plan_cfg *cfg, struct plan_result *out)
{
	struct site s;
	struct edge rise = { 0 };
	struct edge drop = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (cfg->fleet.n_phases < 2 || cfg->fleet.n_phases > PLAN_MAX_PHASES) {
		return -EINVAL;
	}
	site_init(cfg, &s);
	calc_fleet(cfg, &s, out, &rise, &drop);
	calc_bringup(cfg, &s, out);
	calc_bess(cfg, &s, &rise, out);
	rc = calc_nadir(cfg, &s, &rise, &drop, out);
	if (rc < 0) {
		return rc;
	}
	calc_capacity(cfg, &s, out);
	calc_links(cfg, out);
	return 0;
}
