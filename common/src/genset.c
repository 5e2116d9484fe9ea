/* SPDX-License-Identifier: Apache-2.0 */
/* Genset swing-equation + droop-governor model, ISO 8528-5 limits and pacing helpers (see
 * wt/genset.h for the equations). Pure arithmetic apart from wt_iso8528_load(), which reads one
 * small file: no clock, no allocation, no logging. Every default below cites the row of
 * tests/data/power-equipment-reference/ it comes from, or says plainly that it does not. */
#include "wt/genset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt/err.h"

/* DESIGN.md section 1: natural-gas sets accept a sudden step of "~10-33 %" of rating. The data
 * has diesel figures (genset_load_acceptance.csv, "Wartsila 32 ... maximum instant load steps
 * without air assist,0-28-60-100", S4; "Wartsila 46F ... maximum permissible instant load step
 * (warm engine),33", S5), says gas engines take smaller steps ("Natural gas gensets in general
 * ... smaller acceptable step", S12) and has only a low-confidence gas figure (25-40 %, S13). The
 * default is the low end of DESIGN.md's range; a datasheet value should replace it. */
#define DEFAULT_MAX_STEP_PCT 10.0
/* genset_load_acceptance.csv, row "Wartsila 34DF / 50DF ... load acceptance in gas mode": 0->100 %
 * "over roughly 30 s" in gas operation (S7; read from a figure, approximate). */
#define DEFAULT_RAMP_FULL_S 30.0
/* genset_load_acceptance.csv, rows "Wartsila 32 ... minimum recovery time between maximum load
 * steps,10,s" (S4) and "Wartsila 46F ... minimum recovery time between maximum load steps,10"
 * (S5). */
#define DEFAULT_STEP_RECOVERY_S 10.0
/* DESIGN.md section 1: "inertia H ~0.5-2 s". Not in the data. The low end: a smaller H gives a
 * steeper RoCoF and, in this model, a deeper nadir, so it is the cautious choice. */
#define DEFAULT_INERTIA_H_S 0.5
/* DESIGN.md section 1: "droop ~4-5 %"; iso8528_5_limits.csv row "frequency_droop ... G2 5" (S1,
 * sourced) is the most a G2 set may have. A larger droop deepens the nadir in this model. */
#define DEFAULT_DROOP_PCT 5.0
/* Not in the data. Governor + actuator + engine response of a gas engine is of the order of a
 * second; in this model both the nadir and the recovery time grow with tau, so the slow end. */
#define DEFAULT_GOVERNOR_TAU_S 1.0
/* Not in the data: GPU servers behind active-PFC supplies draw constant power (D = 0); damping
 * from motor loads would only reduce the dip. */
#define DEFAULT_LOAD_DAMPING 0.0
/* Not in the data: lean-burn gas engine vendors commonly ask for >= 30 % continuous loading
 * (emissions, combustion stability). Only the orchestrator's backfill set-point uses it. */
#define DEFAULT_MIN_LOAD_PCT 30.0

/* Horizon after the last profile point (see the header). */
#define TAIL_MIN_S	30.0
#define TAIL_TAU_FACTOR 40.0
#define TAIL_2HR_FACTOR 40.0
/* Below this fraction of f0 the set has stalled; the model is meaningless beyond. */
#define STALL_FRACTION 0.5
/* Sampling interval of the internal simulations behind the pacing helpers. */
#define PACING_DT_S 1e-3
/* Bisection of wt_genset_max_step_w() stops when the bracket is this narrow (W). */
#define BISECT_W 0.5
/* Exact multiples of the step size must not count one step more (rounding). */
#define CEIL_EPS 1e-9

/* iso8528_5_limits.csv, copied: G2 sourced (S1); G1/G3 of the dip and recovery rows from the
 * vendor page S2; the other G1/G3 values are marked "recollection (verify)" in the file. The unit
 * test test_builtin_limits_match_csv keeps this table equal to the file. */
static const struct wt_iso8528_limits builtin_limits = {
	.cls = {
		[WT_ISO8528_G1] = { 8.0, 2.5, -15.0, 18.0, 10.0, 5.0, -25.0, 35.0, 10.0 },
		[WT_ISO8528_G2] = { 5.0, 1.5, -10.0, 12.0, 5.0, 2.5, -20.0, 25.0, 6.0 },
		[WT_ISO8528_G3] = { 3.0, 0.5, -7.0, 10.0, 3.0, 1.0, -15.0, 20.0, 4.0 },
	},
};

static const char *const class_names[WT_ISO8528_CLASS_COUNT] = { "G1", "G2", "G3" };

void wt_iso8528_limits_default(struct wt_iso8528_limits *out)
{
	*out = builtin_limits;
}

const char *wt_iso8528_class_name(enum wt_iso8528_class cls)
{
	if ((unsigned)cls >= WT_ISO8528_CLASS_COUNT) {
		return "?";
	}
	return class_names[cls];
}

int wt_iso8528_class_parse(const char *s, enum wt_iso8528_class *out)
{
	for (unsigned i = 0; i < WT_ISO8528_CLASS_COUNT; i++) {
		if (strcmp(s, class_names[i]) == 0) {
			*out = (enum wt_iso8528_class)i;
			return 0;
		}
	}
	return -EINVAL;
}

void wt_genset_cfg_init(struct wt_genset_cfg *cfg, double rated_w, double f_nominal_hz,
			enum wt_iso8528_class iso_class)
{
	*cfg = (struct wt_genset_cfg){
		.rated_w = rated_w,
		.f_nominal_hz = f_nominal_hz,
		.max_step_pct = DEFAULT_MAX_STEP_PCT,
		.ramp_w_per_s = rated_w / DEFAULT_RAMP_FULL_S,
		.step_recovery_s = DEFAULT_STEP_RECOVERY_S,
		.inertia_h_s = DEFAULT_INERTIA_H_S,
		.droop_pct = DEFAULT_DROOP_PCT,
		.governor_tau_s = DEFAULT_GOVERNOR_TAU_S,
		.load_damping = DEFAULT_LOAD_DAMPING,
		.min_load_pct = DEFAULT_MIN_LOAD_PCT,
		.iso_class = iso_class,
	};
	if ((unsigned)iso_class < WT_ISO8528_CLASS_COUNT) {
		cfg->iso = builtin_limits.cls[iso_class];
	}
}

void wt_genset_cfg_use_limits(struct wt_genset_cfg *cfg, const struct wt_iso8528_limits *limits)
{
	if ((unsigned)cfg->iso_class < WT_ISO8528_CLASS_COUNT) {
		cfg->iso = limits->cls[cfg->iso_class];
	}
}

/* True when lo <= v <= hi; false for NaN. */
static bool in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

int wt_genset_cfg_validate(const struct wt_genset_cfg *cfg, char *err, size_t errlen)
{
	const struct wt_iso8528_class_limits *l = &cfg->iso;

	if (!in_range(cfg->rated_w, 1e3, 1e9)) {
		return wt_err_config(err, errlen, "genset rated_w = %g out of range 1e3-1e9 W",
				     cfg->rated_w);
	}
	if (cfg->f_nominal_hz != 50.0 && cfg->f_nominal_hz != 60.0) {
		return wt_err_config(err, errlen, "genset f_nominal_hz = %g must be 50 or 60",
				     cfg->f_nominal_hz);
	}
	if (!in_range(cfg->max_step_pct, 1.0, 100.0)) {
		return wt_err_config(err, errlen,
				     "genset max_step_pct = %g out of range 1-100 %% of rated",
				     cfg->max_step_pct);
	}
	if (!(cfg->ramp_w_per_s > 0.0 && cfg->ramp_w_per_s <= cfg->rated_w)) {
		return wt_err_config(err, errlen,
				     "genset ramp_w_per_s = %g out of range (0, rated_w %g] W/s",
				     cfg->ramp_w_per_s, cfg->rated_w);
	}
	if (!in_range(cfg->step_recovery_s, 0.0, 600.0)) {
		return wt_err_config(err, errlen,
				     "genset step_recovery_s = %g out of range 0-600 s",
				     cfg->step_recovery_s);
	}
	if (!in_range(cfg->inertia_h_s, 0.05, 20.0)) {
		return wt_err_config(err, errlen, "genset inertia_h_s = %g out of range 0.05-20 s",
				     cfg->inertia_h_s);
	}
	if (!in_range(cfg->droop_pct, 0.5, 15.0)) {
		return wt_err_config(err, errlen, "genset droop_pct = %g out of range 0.5-15 %%",
				     cfg->droop_pct);
	}
	if (!in_range(cfg->governor_tau_s, 0.01, 30.0)) {
		return wt_err_config(err, errlen,
				     "genset governor_tau_s = %g out of range 0.01-30 s",
				     cfg->governor_tau_s);
	}
	if (!in_range(cfg->load_damping, 0.0, 5.0)) {
		return wt_err_config(err, errlen, "genset load_damping = %g out of range 0-5 pu/pu",
				     cfg->load_damping);
	}
	if (!in_range(cfg->min_load_pct, 0.0, 90.0)) {
		return wt_err_config(err, errlen,
				     "genset min_load_pct = %g out of range 0-90 %% of rated",
				     cfg->min_load_pct);
	}
	if ((unsigned)cfg->iso_class >= WT_ISO8528_CLASS_COUNT) {
		return wt_err_config(err, errlen, "genset iso_class = %d unknown (G1, G2, G3)",
				     (int)cfg->iso_class);
	}
	if (!(l->band_pct > 0.0 && l->dip_pct < 0.0 && l->overshoot_pct > 0.0 &&
	      l->recovery_s > 0.0 && l->droop_pct > 0.0)) {
		return wt_err_config(err, errlen, "genset iso limits of %s not set",
				     class_names[cfg->iso_class]);
	}
	if (cfg->droop_pct > l->droop_pct) {
		return wt_err_config(err, errlen,
				     "genset droop_pct = %g above the %s limit of %g %%",
				     cfg->droop_pct, class_names[cfg->iso_class], l->droop_pct);
	}
	return 0;
}

/* --- The model --- */

static double droop(const struct wt_genset_cfg *cfg)
{
	return cfg->droop_pct / 100.0;
}

/* Derivatives at frequency deviation @df (pu), mechanical power @pm_w and load @load_w:
 * d(df)/dt in pu/s and dPm/dt in W/s. */
static void deriv(const struct wt_genset_cfg *cfg, double p_set_w, double df, double pm_w,
		  double load_w, double *ddf, double *dpm)
{
	double s = cfg->rated_w;
	double pe = load_w * (1.0 + cfg->load_damping * df);
	double pm_ref = p_set_w - s * df / droop(cfg);

	pm_ref = fmin(fmax(pm_ref, 0.0), s);
	*ddf = (pm_w - pe) / (2.0 * cfg->inertia_h_s * s);
	*dpm = (pm_ref - pm_w) / cfg->governor_tau_s;
}

/* Largest RK4 substep: a fraction of the fastest time constant of the linearised loop: the
 * governor (tau), the natural period (sqrt(2 H R tau)), the frequency loop's own (2 H R) and the
 * load damping's (2 H / D). */
static double max_substep_s(const struct wt_genset_cfg *cfg)
{
	double h2 = 2.0 * cfg->inertia_h_s;
	double r = droop(cfg);
	double t = fmin(cfg->governor_tau_s, fmin(sqrt(h2 * r * cfg->governor_tau_s), h2 * r));

	if (cfg->load_damping > 0.0) {
		t = fmin(t, h2 / cfg->load_damping);
	}
	return WT_GENSET_MAX_SUBSTEP_FRACTION * t;
}

/* A load that is linear in time over one piece of a profile. */
struct piece {
	double a_s, b_s;       /* [a, b) */
	double load_a, load_b; /* load at a and (left limit) at b */
};

static double piece_load(const struct piece *p, double t)
{
	if (!isfinite(p->b_s) || p->b_s <= p->a_s || p->load_a == p->load_b) {
		return p->load_a;
	}
	return p->load_a + (p->load_b - p->load_a) * (t - p->a_s) / (p->b_s - p->a_s);
}

/* One RK4 step of @h from @t on piece @p. Frequency is state as pu deviation @df. */
static void rk4(const struct wt_genset_cfg *cfg, double p_set_w, const struct piece *p, double t,
		double h, double *df, double *pm)
{
	double k1f, k1p, k2f, k2p, k3f, k3p, k4f, k4p;
	double lm = piece_load(p, t + h / 2.0);

	deriv(cfg, p_set_w, *df, *pm, piece_load(p, t), &k1f, &k1p);
	deriv(cfg, p_set_w, *df + h / 2.0 * k1f, *pm + h / 2.0 * k1p, lm, &k2f, &k2p);
	deriv(cfg, p_set_w, *df + h / 2.0 * k2f, *pm + h / 2.0 * k2p, lm, &k3f, &k3p);
	deriv(cfg, p_set_w, *df + h * k3f, *pm + h * k3p, piece_load(p, t + h), &k4f, &k4p);
	*df += h / 6.0 * (k1f + 2.0 * k2f + 2.0 * k3f + k4f);
	*pm += h / 6.0 * (k1p + 2.0 * k2p + 2.0 * k3p + k4p);
	if (*df < -1.0) {
		/* Frequency cannot go below zero; the set stalled long before. */
		*df = -1.0;
	}
}

/* Integrate @st over [t0, t1] on piece @p (in substeps of at most max_substep_s()). */
static void integrate(const struct wt_genset_cfg *cfg, struct wt_genset_state *st,
		      const struct piece *p, double t0, double t1)
{
	double f0 = cfg->f_nominal_hz;
	double df = st->f_hz / f0 - 1.0;
	double span = t1 - t0;
	double hmax = max_substep_s(cfg);
	uint64_t n;

	if (!(span > 0.0)) {
		return;
	}
	n = (uint64_t)ceil(span / hmax);
	if (n == 0) {
		n = 1;
	}
	for (uint64_t i = 0; i < n; i++) {
		double t = t0 + span * (double)i / (double)n;
		double h = t0 + span * (double)(i + 1) / (double)n - t;

		rk4(cfg, st->p_set_w, p, t, h, &df, &st->pm_w);
	}
	st->f_hz = f0 * (1.0 + df);
	st->load_w = piece_load(p, t1);
	st->t_s += span;
}

static double rocof_hz_s(const struct wt_genset_cfg *cfg, const struct wt_genset_state *st,
			 double load_w)
{
	double ddf, dpm;

	deriv(cfg, st->p_set_w, st->f_hz / cfg->f_nominal_hz - 1.0, st->pm_w, load_w, &ddf, &dpm);
	return ddf * cfg->f_nominal_hz;
}

void wt_genset_state_init(const struct wt_genset_cfg *cfg, struct wt_genset_state *state,
			  double load_w)
{
	*state = (struct wt_genset_state){
		.f_hz = cfg->f_nominal_hz,
		.pm_w = load_w,
		.p_set_w = load_w,
		.load_w = load_w,
		.t_s = 0.0,
	};
}

double wt_genset_steady_hz(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state,
			   double load_w)
{
	double s = cfg->rated_w, r = droop(cfg), d = cfg->load_damping;
	double df = (state->p_set_w - load_w) / (s / r + d * load_w);

	if (state->p_set_w - s * df / r > s) {
		/* The governor is at full fuel: only the load's damping can balance it. */
		if (!(d > 0.0 && load_w > 0.0)) {
			return NAN;
		}
		df = (s / load_w - 1.0) / d;
	}
	if (df < STALL_FRACTION - 1.0) {
		return NAN;
	}
	return cfg->f_nominal_hz * (1.0 + df);
}

double wt_genset_step(const struct wt_genset_cfg *cfg, struct wt_genset_state *state, double load_w,
		      double dt_s)
{
	struct piece p;
	double rocof;

	if (!(load_w > 0.0)) {
		load_w = 0.0;
	}
	if (!(dt_s > 0.0)) {
		dt_s = 0.0;
	}
	p = (struct piece){ .a_s = 0.0, .b_s = INFINITY, .load_a = load_w, .load_b = load_w };
	rocof = rocof_hz_s(cfg, state, load_w);
	integrate(cfg, state, &p, 0.0, dt_s);
	state->load_w = load_w;
	return rocof;
}

/* Piece @k (0 .. n) of a profile of @n points starting from @load0: piece 0 holds @load0 until the
 * first point, piece k runs from point k-1 to point k, piece n holds the last load for ever. */
static struct piece profile_piece(const struct wt_genset_point *pr, size_t n, double load0,
				  size_t k)
{
	if (n == 0) {
		return (struct piece){ 0.0, INFINITY, load0, load0 };
	}
	if (k == 0) {
		return (struct piece){ 0.0, pr[0].t_s, load0, load0 };
	}
	if (k >= n) {
		return (struct piece){ pr[n - 1].t_s, INFINITY, pr[n - 1].load_w,
				       pr[n - 1].load_w };
	}
	return (struct piece){ pr[k - 1].t_s, pr[k].t_s, pr[k - 1].load_w, pr[k].load_w };
}

/* Recovery bookkeeping of one constant-load segment. */
struct segment {
	bool active;
	double load_w;
	double start_s;
	double f_ss_hz;	   /* NAN: no equilibrium */
	double last_out_s; /* < 0: never out of band */
	double in_since_s; /* < 0: out of band at the last point */
};

static void segment_point(struct segment *sg, double t, double f_hz, double half_band_hz)
{
	if (!sg->active) {
		return;
	}
	if (isnan(sg->f_ss_hz) || fabs(f_hz - sg->f_ss_hz) > half_band_hz) {
		sg->last_out_s = t;
		sg->in_since_s = -1.0;
	} else if (sg->in_since_s < 0.0) {
		sg->in_since_s = t;
	}
}

/* Close @sg and fold its recovery time into @out. */
static void segment_end(struct segment *sg, struct wt_genset_result *out)
{
	double rec;

	if (!sg->active) {
		return;
	}
	if (sg->last_out_s < 0.0) {
		rec = 0.0;
	} else if (sg->in_since_s < 0.0) {
		rec = INFINITY;
	} else {
		rec = sg->in_since_s - sg->start_s;
	}
	out->recovery_s = fmax(out->recovery_s, rec);
	sg->active = false;
}

static void note_point(const struct wt_genset_state *st, double t, struct wt_genset_result *out)
{
	if (st->f_hz < out->nadir_hz) {
		out->nadir_hz = st->f_hz;
		out->nadir_t_s = t;
	}
	out->peak_hz = fmax(out->peak_hz, st->f_hz);
}

static int check_profile(const struct wt_genset_point *pr, size_t n, double dt_s)
{
	if (!(dt_s >= 1e-5 && dt_s <= 0.1)) {
		return -EINVAL;
	}
	if (n > 0 && pr == NULL) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(pr[i].t_s >= 0.0 && isfinite(pr[i].t_s) && pr[i].load_w >= 0.0 &&
		      isfinite(pr[i].load_w))) {
			return -EINVAL;
		}
		if (i > 0 && pr[i].t_s < pr[i - 1].t_s) {
			return -EINVAL;
		}
	}
	return 0;
}

/* The simulation behind wt_genset_simulate_from() and the pacing helpers. With @to_trough it
 * stops at the first sample where df/dt turns from negative to non-negative (see
 * wt_genset_max_step_w()); recovery is then not meaningful. */
static int run(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state0,
	       const struct wt_genset_point *pr, size_t n, double dt_s, bool to_trough,
	       struct wt_genset_result *out)
{
	struct wt_genset_state st = *state0;
	double f0 = cfg->f_nominal_hz;
	double half_band_hz = cfg->iso.band_pct / 200.0 * f0;
	double tail = fmax(TAIL_MIN_S, fmax(TAIL_TAU_FACTOR * cfg->governor_tau_s,
					    TAIL_2HR_FACTOR * 2.0 * cfg->inertia_h_s * droop(cfg)));
	struct segment sg = { .active = false };
	bool falling = false;
	uint64_t total, next = 1;
	double t = 0.0, samples;
	size_t k = 0;
	struct piece p;
	int rc;

	rc = check_profile(pr, n, dt_s);
	if (rc < 0) {
		return rc;
	}
	samples = ceil(((n > 0 ? pr[n - 1].t_s : 0.0) + tail) / dt_s - CEIL_EPS);
	if (!(samples <= (double)WT_GENSET_MAX_SAMPLES)) {
		return WT_E2BIG;
	}
	total = (uint64_t)samples;
	*out = (struct wt_genset_result){
		.nadir_hz = st.f_hz,
		.nadir_t_s = 0.0,
		.peak_hz = st.f_hz,
		.max_rocof_hz_s = 0.0,
		.recovery_s = 0.0,
		.band_pct = cfg->iso.band_pct,
		.stalled = false,
	};
	p = profile_piece(pr, n, st.load_w, 0);
	for (;;) {
		double t_next, r;

		/* Enter every piece that starts at or before t (zero-length ones are steps). A
		 * constant-load segment spans consecutive pieces of the same constant load. */
		while (!(p.b_s > t)) {
			p = profile_piece(pr, n, st.load_w, ++k);
			if (!(p.load_a == p.load_b && p.load_a == sg.load_w)) {
				segment_end(&sg, out);
			}
		}
		if (!sg.active && p.load_a == p.load_b) {
			sg = (struct segment){
				.active = true,
				.load_w = p.load_a,
				.start_s = t,
				.f_ss_hz = wt_genset_steady_hz(cfg, &st, p.load_a),
				.last_out_s = -1.0,
				.in_since_s = -1.0,
			};
		}
		r = rocof_hz_s(cfg, &st, piece_load(&p, t));
		out->max_rocof_hz_s = fmax(out->max_rocof_hz_s, fabs(r));
		note_point(&st, t, out);
		segment_point(&sg, t, st.f_hz, half_band_hz);
		if (to_trough) {
			if (r < 0.0) {
				falling = true;
			} else if (falling) {
				break;
			}
		}
		if (st.f_hz < STALL_FRACTION * f0) {
			out->stalled = true;
			out->recovery_s = INFINITY;
			break;
		}
		if (next > total) {
			break;
		}
		t_next = fmin((double)next * dt_s, p.b_s);
		integrate(cfg, &st, &p, t, t_next);
		if (t_next >= (double)next * dt_s) {
			next++;
		}
		t = t_next;
	}
	segment_end(&sg, out);
	out->end_t_s = t;
	out->steady_dev_hz = st.f_hz - f0;
	if (out->stalled) {
		out->recovery_s = INFINITY;
	}
	return 0;
}

int wt_genset_simulate_from(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state,
			    const struct wt_genset_point *profile, size_t n, double dt_s,
			    struct wt_genset_result *out)
{
	return run(cfg, state, profile, n, dt_s, false, out);
}

int wt_genset_simulate(const struct wt_genset_cfg *cfg, double initial_load_w,
		       const struct wt_genset_point *profile, size_t n, double dt_s,
		       struct wt_genset_result *out)
{
	struct wt_genset_state st;

	if (!(initial_load_w >= 0.0 && isfinite(initial_load_w))) {
		return -EINVAL;
	}
	wt_genset_state_init(cfg, &st, initial_load_w);
	return run(cfg, &st, profile, n, dt_s, false, out);
}

/* --- ISO 8528-5 check --- */

/* Deviation of @f_hz from f0 in percent. */
static double dev_pct(const struct wt_genset_cfg *cfg, double f_hz)
{
	return (f_hz / cfg->f_nominal_hz - 1.0) * 100.0;
}

/* Write the first reason only; count all. */
static void why_first(int *count, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void why_first(int *count, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (*count == 0 && why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	(*count)++;
}

int wt_genset_check_iso(const struct wt_genset_cfg *cfg, const struct wt_genset_result *result,
			const struct wt_iso8528_limits *limits, char *why, size_t whylen)
{
	const struct wt_iso8528_class_limits *l =
		limits != NULL ? &limits->cls[cfg->iso_class] : &cfg->iso;
	const char *cls = wt_iso8528_class_name(cfg->iso_class);
	double dip = dev_pct(cfg, result->nadir_hz);
	double over = dev_pct(cfg, result->peak_hz);
	int count = 0;

	if (why != NULL && whylen > 0) {
		why[0] = '\0';
	}
	if (result->band_pct != l->band_pct) {
		if (why != NULL && whylen > 0) {
			snprintf(why, whylen, "recovery measured with a %g %% band, %s has %g %%",
				 result->band_pct, cls, l->band_pct);
		}
		return -EINVAL;
	}
	if (result->stalled) {
		why_first(&count, why, whylen, "stalled: frequency %.3f Hz below half of %g Hz",
			  result->nadir_hz, cfg->f_nominal_hz);
	}
	/* Compared in hertz: f0 * (1 + limit / 100) is exact for the listed limits. */
	if (result->nadir_hz < cfg->f_nominal_hz * (1.0 + l->dip_pct / 100.0)) {
		why_first(&count, why, whylen, "nadir %.3f Hz = %.2f %% below %s limit %g %%",
			  result->nadir_hz, dip, cls, l->dip_pct);
	}
	if (result->peak_hz > cfg->f_nominal_hz * (1.0 + l->overshoot_pct / 100.0)) {
		why_first(&count, why, whylen, "peak %.3f Hz = +%.2f %% above %s limit +%g %%",
			  result->peak_hz, over, cls, l->overshoot_pct);
	}
	if (!(result->recovery_s <= l->recovery_s)) {
		why_first(&count, why, whylen,
			  "recovery %.3f s into the +-%g %% band longer than %s limit %g s",
			  result->recovery_s, l->band_pct / 2.0, cls, l->recovery_s);
	}
	if (cfg->droop_pct > l->droop_pct) {
		why_first(&count, why, whylen, "droop %g %% above %s limit %g %%", cfg->droop_pct,
			  cls, l->droop_pct);
	}
	return count;
}

/* --- Pacing helpers --- */

/* True when a step of @step_w on @st keeps the first trough at or above @limit_hz. */
static bool step_ok(const struct wt_genset_cfg *cfg, const struct wt_genset_state *st,
		    double step_w, double limit_hz)
{
	struct wt_genset_point pt = { 0.0, st->load_w + step_w };
	struct wt_genset_result r;

	if (run(cfg, st, &pt, 1, PACING_DT_S, true, &r) < 0) {
		return false;
	}
	return !r.stalled && r.nadir_hz >= limit_hz;
}

uint64_t wt_genset_max_step_w(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state)
{
	double cap = fmin(cfg->max_step_pct / 100.0 * cfg->rated_w, cfg->rated_w - state->load_w);
	double limit_hz = cfg->f_nominal_hz * (1.0 + cfg->iso.dip_pct / 100.0);
	double lo = 0.0, hi;

	if (!(cap >= 1.0)) {
		return 0;
	}
	cap = floor(cap);
	if (step_ok(cfg, state, cap, limit_hz)) {
		return (uint64_t)cap;
	}
	if (!step_ok(cfg, state, 0.0, limit_hz)) {
		return 0;
	}
	/* Invariant: lo passes, hi fails. */
	hi = cap;
	while (hi - lo > BISECT_W) {
		double mid = (lo + hi) / 2.0;

		if (step_ok(cfg, state, mid, limit_hz)) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return (uint64_t)floor(lo);
}

double wt_genset_step_interval_s(const struct wt_genset_cfg *cfg)
{
	struct wt_genset_state st;
	struct wt_genset_point pt;
	struct wt_genset_result r;
	uint64_t s;

	wt_genset_state_init(cfg, &st, 0.0);
	s = wt_genset_max_step_w(cfg, &st);
	if (s == 0) {
		return cfg->step_recovery_s;
	}
	pt = (struct wt_genset_point){ 0.0, (double)s };
	if (run(cfg, &st, &pt, 1, PACING_DT_S, false, &r) < 0) {
		return INFINITY;
	}
	return fmax(cfg->step_recovery_s, r.recovery_s);
}

double wt_genset_min_bringup_s(const struct wt_genset_cfg *cfg, double step_total_w)
{
	struct wt_genset_state st;
	double s, n;

	if (!(step_total_w > 0.0)) {
		return 0.0;
	}
	if (step_total_w > cfg->rated_w) {
		return INFINITY;
	}
	wt_genset_state_init(cfg, &st, 0.0);
	s = (double)wt_genset_max_step_w(cfg, &st);
	if (s <= 0.0) {
		return INFINITY;
	}
	if (step_total_w <= s) {
		return 0.0;
	}
	n = ceil(step_total_w / s * (1.0 - CEIL_EPS));
	return fmax((n - 1.0) * wt_genset_step_interval_s(cfg),
		    (step_total_w - s) / cfg->ramp_w_per_s);
}

uint64_t wt_genset_min_load_w(const struct wt_genset_cfg *cfg)
{
	return (uint64_t)ceil(cfg->min_load_pct / 100.0 * cfg->rated_w * (1.0 - CEIL_EPS));
}

/* --- iso8528_5_limits.csv --- */

#define CSV_FIELDS   10
#define CSV_LINE_MAX 1024

static const char *const csv_header[CSV_FIELDS] = {
	"parameter", "condition",	"G1",	     "G2",	     "G3",
	"unit",	     "sign_convention", "source_G2", "source_G1_G3", "status",
};

/* The rows the decoder requires, each with its unit, sign and place in the struct. */
static const struct {
	const char *name;
	const char *unit;
	int sign; /* +1: positive, looser is larger; -1: negative, looser is more negative */
	size_t off;
} csv_params[] = {
	{ "frequency_droop", "percent of rated frequency", 1,
	  offsetof(struct wt_iso8528_class_limits, droop_pct) },
	{ "steady_state_frequency_band", "percent of rated frequency", 1,
	  offsetof(struct wt_iso8528_class_limits, band_pct) },
	{ "transient_frequency_deviation_load_decrease", "percent of rated frequency", 1,
	  offsetof(struct wt_iso8528_class_limits, overshoot_pct) },
	{ "transient_frequency_deviation_load_increase", "percent of rated frequency", -1,
	  offsetof(struct wt_iso8528_class_limits, dip_pct) },
	{ "frequency_recovery_time", "s", 1, offsetof(struct wt_iso8528_class_limits, recovery_s) },
	{ "steady_state_voltage_deviation", "percent of rated voltage", 1,
	  offsetof(struct wt_iso8528_class_limits, v_steady_pct) },
	{ "transient_voltage_deviation_load_decrease", "percent of rated voltage", 1,
	  offsetof(struct wt_iso8528_class_limits, v_overshoot_pct) },
	{ "transient_voltage_deviation_load_increase", "percent of rated voltage", -1,
	  offsetof(struct wt_iso8528_class_limits, v_dip_pct) },
	{ "voltage_recovery_time", "s", 1, offsetof(struct wt_iso8528_class_limits, v_recovery_s) },
};

#define CSV_NPARAMS (sizeof(csv_params) / sizeof(csv_params[0]))

/* Informational rows that are recognised and skipped. */
static const char *const csv_skip[] = { "test_load_steps_G2_spec_example" };

struct csv_line {
	char buf[CSV_LINE_MAX];
	char *f[CSV_FIELDS];
	int n;
};

static int csv_bad(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int csv_bad(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err != NULL && errlen > 0) {
		n = snprintf(err, errlen, "%s:%u: ", name, line);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return WT_EBADMSG;
}

/* Split @len bytes at @s (one line, no terminator) into @l. RFC 4180 quoting: a field that
 * starts with '"' runs to the closing quote, "" is a quote; text after a closing quote, a quote
 * inside an unquoted field or an unterminated quote is an error. Returns 0 or -1 with @what
 * set. */
static int csv_split(const char *s, size_t len, struct csv_line *l, const char **what)
{
	size_t i = 0, o = 0;

	l->n = 0;
	if (len >= CSV_LINE_MAX) {
		*what = "line too long";
		return -1;
	}
	for (;;) {
		bool quoted = i < len && s[i] == '"';

		if (l->n == CSV_FIELDS) {
			*what = "more than 10 fields";
			return -1;
		}
		l->f[l->n++] = &l->buf[o];
		if (quoted) {
			i++;
			for (;;) {
				if (i >= len) {
					*what = "unterminated quoted field";
					return -1;
				}
				if (s[i] == '"' && i + 1 < len && s[i + 1] == '"') {
					l->buf[o++] = '"';
					i += 2;
				} else if (s[i] == '"') {
					i++;
					break;
				} else {
					l->buf[o++] = s[i++];
				}
			}
			if (i < len && s[i] != ',') {
				*what = "text after a closing quote";
				return -1;
			}
		} else {
			while (i < len && s[i] != ',') {
				if (s[i] == '"' || s[i] == '\0') {
					*what = "quote or NUL inside an unquoted field";
					return -1;
				}
				l->buf[o++] = s[i++];
			}
		}
		l->buf[o++] = '\0';
		if (i >= len) {
			return 0;
		}
		i++; /* the comma */
	}
}

/* Parse a whole field as a finite number. */
static int parse_num(const char *s, double *out)
{
	char *end;

	if (*s == '\0' || !(*s == '-' || *s == '+' || *s == '.' || (*s >= '0' && *s <= '9'))) {
		return -1;
	}
	errno = 0;
	*out = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(*out)) {
		return -1;
	}
	return 0;
}

/* Check and store one parameter row. */
static int csv_param(const struct csv_line *l, size_t pi, struct wt_iso8528_limits *out,
		     const char *name, unsigned line, char *err, size_t errlen)
{
	double v[WT_ISO8528_CLASS_COUNT];
	int sign = csv_params[pi].sign;

	if (strcmp(l->f[5], csv_params[pi].unit) != 0) {
		return csv_bad(err, errlen, name, line, "%s: unit '%s', expected '%s'",
			       csv_params[pi].name, l->f[5], csv_params[pi].unit);
	}
	for (unsigned c = 0; c < WT_ISO8528_CLASS_COUNT; c++) {
		if (parse_num(l->f[2 + c], &v[c]) < 0) {
			return csv_bad(err, errlen, name, line, "%s: %s value '%s' is not a number",
				       csv_params[pi].name, class_names[c], l->f[2 + c]);
		}
		if (!(v[c] * sign > 0.0)) {
			return csv_bad(err, errlen, name, line, "%s: %s value %g must be %s",
				       csv_params[pi].name, class_names[c], v[c],
				       sign > 0 ? "positive" : "negative");
		}
		if (c > 0 && v[c] * sign > v[c - 1] * sign) {
			return csv_bad(err, errlen, name, line, "%s: %s (%g) looser than %s (%g)",
				       csv_params[pi].name, class_names[c], v[c],
				       class_names[c - 1], v[c - 1]);
		}
	}
	for (unsigned c = 0; c < WT_ISO8528_CLASS_COUNT; c++) {
		*(double *)((char *)&out->cls[c] + csv_params[pi].off) = v[c];
	}
	return 0;
}

/* One data line: a known parameter (once), a skipped row, or an error. */
static int csv_row(const struct csv_line *l, bool *seen, struct wt_iso8528_limits *out,
		   const char *name, unsigned line, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(csv_skip) / sizeof(csv_skip[0]); i++) {
		if (strcmp(l->f[0], csv_skip[i]) == 0) {
			return 0;
		}
	}
	for (size_t pi = 0; pi < CSV_NPARAMS; pi++) {
		if (strcmp(l->f[0], csv_params[pi].name) != 0) {
			continue;
		}
		if (seen[pi]) {
			return csv_bad(err, errlen, name, line, "%s: duplicate row", l->f[0]);
		}
		seen[pi] = true;
		return csv_param(l, pi, out, name, line, err, errlen);
	}
	return csv_bad(err, errlen, name, line, "unknown parameter '%s'", l->f[0]);
}

int wt_iso8528_parse(const char *text, size_t len, const char *name, struct wt_iso8528_limits *out,
		     char *err, size_t errlen)
{
	bool seen[CSV_NPARAMS] = { false };
	struct wt_iso8528_limits lim = { 0 };
	struct csv_line l;
	unsigned line = 0;
	size_t pos = 0;
	int rc;

	if (len > WT_ISO8528_MAX_BYTES) {
		csv_bad(err, errlen, name, 0, "%zu bytes, more than %u", len, WT_ISO8528_MAX_BYTES);
		return WT_E2BIG;
	}
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
		const char *what = NULL;

		pos += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r') {
			n--;
		}
		if (n == 0) {
			if (pos >= len) {
				break; /* a final empty line */
			}
			return csv_bad(err, errlen, name, line, "empty line");
		}
		if (csv_split(s, n, &l, &what) < 0) {
			return csv_bad(err, errlen, name, line, "%s", what);
		}
		if (l.n != CSV_FIELDS) {
			return csv_bad(err, errlen, name, line, "%d fields, expected %d", l.n,
				       CSV_FIELDS);
		}
		if (line == 1) {
			for (int i = 0; i < CSV_FIELDS; i++) {
				if (strcmp(l.f[i], csv_header[i]) != 0) {
					return csv_bad(err, errlen, name, line,
						       "header field %d is '%s', expected '%s'",
						       i + 1, l.f[i], csv_header[i]);
				}
			}
			continue;
		}
		rc = csv_row(&l, seen, &lim, name, line, err, errlen);
		if (rc < 0) {
			return rc;
		}
	}
	if (line == 0) {
		return csv_bad(err, errlen, name, 1, "empty file");
	}
	for (size_t pi = 0; pi < CSV_NPARAMS; pi++) {
		if (!seen[pi]) {
			return csv_bad(err, errlen, name, line, "missing row '%s'",
				       csv_params[pi].name);
		}
	}
	*out = lim;
	return 0;
}

int wt_iso8528_load(const char *path, struct wt_iso8528_limits *out, char *err, size_t errlen)
{
	char buf[WT_ISO8528_MAX_BYTES + 1];
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc;

	if (fp == NULL) {
		rc = -errno;
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(-rc));
		}
		return rc;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		rc = -EIO;
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: read error", path);
		}
		fclose(fp);
		return rc;
	}
	fclose(fp);
	return wt_iso8528_parse(buf, n, path, out, err, errlen);
}
