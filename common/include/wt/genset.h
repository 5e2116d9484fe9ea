/* SPDX-License-Identifier: Apache-2.0 */
/* Generator set model: the frequency of an islanded genset (natural-gas engine + synchronous
 * alternator) under a load profile, the ISO 8528-5 class check of that response, and the pacing
 * helpers the cluster orchestrator and wattlease-plan use (largest sudden step now, minimum
 * bring-up time). The orchestrator uses it to refuse load rises the engine cannot take; the
 * simulator uses it as the plant.
 *
 * Pure and clock-free: time is always an argument, nothing here reads a clock, allocates, logs or
 * keeps global state; the only I/O is wt_iso8528_load() reading the limits CSV. All functions are
 * thread-safe on distinct state.
 *
 * The model (per unit on S = rated_w and f0 = f_nominal_hz; R = droop_pct / 100; D = load_damping;
 * df = f / f0 - 1):
 *   swing      2H d(df)/dt = (Pm - Pe) / S               (inertia_h_s = H)
 *   load       Pe = P_load * (1 + D * df)                D = 0 (default): constant-power load, as
 *              GPU servers behind switch-mode supplies are; D > 0 (motors, 1-2) only helps.
 *   governor   Pm_ref = P_set - S * df / R, clamped to 0 .. S (no overload capacity modelled)
 *              tau dPm/dt = Pm_ref - Pm                 (governor_tau_s = tau)
 * P_set is the governor's load reference: the load at which droop gives exactly f0. A state made
 * by wt_genset_state_init() sits in equilibrium at f0 with P_set = its load, and P_set stays fixed
 * while the model runs (no secondary / isochronous control): after the load changes by dP the
 * frequency settles at df = (P_set - P_load) / (S / R + D * P_load), i.e. -R * dP / S for D = 0.
 * The swing equation is linearised (power instead of torque, f ~ f0), which is the textbook form
 * for deviations of a few percent; it is integrated with classical Runge-Kutta (RK4) in substeps of
 * at most WT_GENSET_MAX_SUBSTEP_FRACTION of the fastest time constant.
 *
 * For a step dP from equilibrium (D = 0, underdamped: wn > 1 / (2 tau)) the response is
 * closed-form, which the unit tests use: df(t) = -R dP / S * (1 - exp(-t / (2 tau)) * (cos(wd t) +
 * B sin(wd t))), wn^2 = 1 / (2 H R tau), wd = sqrt(wn^2 - 1 / (4 tau^2)), B = (1 / (2 tau) - 1 / (2
 * H R)) / wd, lowest at wd t* = pi - atan(2 tau wd), as long as the governor stays below full fuel
 * (Pm_ref <= S, i.e. a dip under R * (S - P_set) / S). With the defaults (H 0.5 s, R 5 %, tau 1 s)
 * a step of dP dips 0.235 * dP / S below f0 (2.35 % for 10 %). Deeper dips saturate the governor
 * and the response is worse than linear: the G2 limit of -10 % is reached at 36 % from no load.
 * Not modelled: the engine's torque limit at low boost (turbocharger lag) and the mixture
 * transport delay of gas engines, which make real dips at large steps deeper than a linear
 * model's. Fit tau (and H) to the manufacturer's step test; max_step_pct and step_recovery_s,
 * which come from such tests, are enforced as limits of their own.
 *
 * ISO 8528-5 (iso8528_5_limits.csv): deviations are relative to the rated frequency f0. The
 * transient dip (load increase) and overshoot (load decrease) limits are applied to the lowest and
 * highest frequency of whatever profile was simulated. Recovery is measured per constant-load
 * segment of the profile (a step, or the end of a ramp, starts one): the time from its start until
 * the frequency stays within +-band/2 of that segment's steady-state frequency, band being the
 * class's steady-state frequency band (a width, so half of it each side; the narrower reading).
 * A segment that ends (the load changes again) before the frequency settled counts as not
 * recovered (INFINITY). */
#ifndef WT_GENSET_H
#define WT_GENSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RK4 substeps are at most this fraction of the fastest time constant of the linearised model. */
#define WT_GENSET_MAX_SUBSTEP_FRACTION 0.05
/* wt_genset_simulate() refuses (WT_E2BIG) profiles that need more output samples than this. */
#define WT_GENSET_MAX_SAMPLES 20000000u
/* wt_iso8528_load() refuses files larger than this (WT_E2BIG). */
#define WT_ISO8528_MAX_BYTES 65536u

/* ISO 8528-5 performance classes (G1 loosest .. G3 strictest). G4 is "agreed" and not offered. */
enum wt_iso8528_class {
	WT_ISO8528_G1,
	WT_ISO8528_G2,
	WT_ISO8528_G3,
	WT_ISO8528_CLASS_COUNT,
};

/* The operating limits of one class, in the units and signs of iso8528_5_limits.csv. */
struct wt_iso8528_class_limits {
	double droop_pct;	/* frequency_droop: at most this (> 0) */
	double band_pct;	/* steady_state_frequency_band: width (> 0) */
	double dip_pct;		/* transient_frequency_deviation_load_increase (< 0) */
	double overshoot_pct;	/* transient_frequency_deviation_load_decrease (> 0) */
	double recovery_s;	/* frequency_recovery_time (> 0) */
	double v_steady_pct;	/* steady_state_voltage_deviation, +- (not modelled) */
	double v_dip_pct;	/* transient_voltage_deviation_load_increase (< 0, not modelled) */
	double v_overshoot_pct; /* transient_voltage_deviation_load_decrease (not modelled) */
	double v_recovery_s;	/* voltage_recovery_time (not modelled) */
};

struct wt_iso8528_limits {
	struct wt_iso8528_class_limits cls[WT_ISO8528_CLASS_COUNT];
};

/* Generator settings. Fill with wt_genset_cfg_init(), override what the datasheet says, then check
 * with wt_genset_cfg_validate(); the other functions assume a valid config. */
struct wt_genset_cfg {
	double rated_w;		/* S: rated real power, W (1 kW .. 1 GW) */
	double f_nominal_hz;	/* f0: 50 or 60 */
	double max_step_pct;	/* largest sudden load acceptance, % of rated (1-100) */
	double ramp_w_per_s;	/* sustained loading ramp, W/s (> 0) */
	double step_recovery_s; /* least time between two maximum steps, s (0-600) */
	double inertia_h_s;	/* H, s (0.05-20) */
	double droop_pct;	/* R, % of f0 from no load to rated (0.5-15) */
	double governor_tau_s;	/* tau, s (0.01-30) */
	double load_damping;	/* D, pu load per pu frequency (0-5) */
	double min_load_pct;	/* least continuous loading, % of rated (0-90) */
	enum wt_iso8528_class iso_class;
	/* The limits of iso_class: wt_genset_cfg_init() copies the built-in table (equal to
	 * iso8528_5_limits.csv, which a unit test checks); wt_genset_cfg_use_limits() replaces them
	 * by a loaded table. */
	struct wt_iso8528_class_limits iso;
};

/* Dynamic state. Caller-owned value (copy it freely, e.g. to predict); fields are private: use
 * the API (tests and the simulator may read them). */
struct wt_genset_state {
	double f_hz;	/* electrical frequency */
	double pm_w;	/* mechanical power of the engine */
	double p_set_w; /* governor load reference: the load at which droop gives f0 */
	double load_w;	/* electrical load applied in the last step */
	double t_s;	/* time integrated since wt_genset_state_init() */
};

/* One point of a load profile. Between points the load is linear in time; two points with the
 * same time make a step; before the first point the initial load holds, after the last the last
 * load. Times are seconds from the start of the simulation, non-decreasing. */
struct wt_genset_point {
	double t_s;
	double load_w;
};

/* What wt_genset_simulate() reports. */
struct wt_genset_result {
	double nadir_hz;       /* lowest frequency */
	double nadir_t_s;      /* when */
	double peak_hz;	       /* highest frequency */
	double max_rocof_hz_s; /* largest |df/dt| (exact, from the model's derivative) */
	double recovery_s;     /* longest recovery of a constant-load segment (see above) */
	double steady_dev_hz;  /* frequency at the end minus f0 */
	double end_t_s;	       /* simulated horizon */
	double band_pct;       /* the steady-state band recovery was measured with */
	bool stalled;	       /* frequency fell below half of f0: the model ends there */
};

/* Fill @cfg for a set of @rated_w at @f_nominal_hz held to @iso_class. Defaults (genset.c cites
 * the source of each): max step 10 %, ramp rated / 30 s, 10 s between maximum steps, H 0.5 s,
 * droop 5 %, governor tau 1 s, D 0, minimum load 30 %. Does not validate. */
void wt_genset_cfg_init(struct wt_genset_cfg *cfg, double rated_w, double f_nominal_hz,
			enum wt_iso8528_class iso_class);

/* Check every field against its range (see struct wt_genset_cfg) and droop_pct against the
 * class's droop limit. Returns 0 or WT_ECONFIG with a message naming the field, its value and
 * the range in @err (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). */
int wt_genset_cfg_validate(const struct wt_genset_cfg *cfg, char *err, size_t errlen);

/* Copy the limits of cfg->iso_class from @limits (borrowed) into @cfg. */
void wt_genset_cfg_use_limits(struct wt_genset_cfg *cfg, const struct wt_iso8528_limits *limits);

/* The built-in table (the values of iso8528_5_limits.csv). */
void wt_iso8528_limits_default(struct wt_iso8528_limits *out);

/* "G1", "G2", "G3" or "?". */
const char *wt_iso8528_class_name(enum wt_iso8528_class cls);

/* Parse "G1".."G3". Returns 0 or -EINVAL. */
int wt_iso8528_class_parse(const char *s, enum wt_iso8528_class *out);

/* Decode the text of iso8528_5_limits.csv (@len bytes, need not be NUL-terminated; @name is used
 * in messages). Strict: the exact header, 10 fields per row (RFC 4180 quoting), every frequency
 * and voltage parameter exactly once with its unit, numbers that parse completely, the sign the
 * file's convention says, G1 no stricter than G2 no stricter than G3; the informational row
 * "test_load_steps_G2_spec_example" is skipped, any other parameter is an error. Returns 0 and
 * fills @out, WT_E2BIG above WT_ISO8528_MAX_BYTES, or WT_EBADMSG with "NAME:LINE: reason" in
 * @err (@out is then unspecified). Pure: no I/O. */
int wt_iso8528_parse(const char *text, size_t len, const char *name, struct wt_iso8528_limits *out,
		     char *err, size_t errlen);

/* Read @path and decode it with wt_iso8528_parse(). Returns 0, a negative errno when the file
 * cannot be read, or what the decoder returns; the reason is in @err. */
int wt_iso8528_load(const char *path, struct wt_iso8528_limits *out, char *err, size_t errlen);

/* Put @state in equilibrium at f0 carrying @load_w, with the governor reference at @load_w. */
void wt_genset_state_init(const struct wt_genset_cfg *cfg, struct wt_genset_state *state,
			  double load_w);

/* The frequency the set settles at with constant @load_w from @state's governor reference, or
 * NAN when there is none (load above rating without load damping: the set stalls). */
double wt_genset_steady_hz(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state,
			   double load_w);

/* Advance @state by @dt_s (negative or NaN counts as 0) with the electrical load @load_w
 * (negative counts as 0) constant over the step. Returns df/dt in Hz/s at the start of the step,
 * with the new load applied: for a step dP from equilibrium, the initial RoCoF -dP / (2 H S) * f0
 * (the load-damping term is 0 at f0). The frequency never goes below 0. */
double wt_genset_step(const struct wt_genset_cfg *cfg, struct wt_genset_state *state, double load_w,
		      double dt_s);

/* Simulate @n points of @profile (borrowed; NULL when @n is 0) from equilibrium at
 * @initial_load_w, writing the summary to @out. @dt_s (1e-5 .. 0.1 s) is the sampling interval of
 * the summary; the integration is finer where needed and splits at every profile point, so steps
 * happen exactly at their time. The horizon is the last point's time plus max(30 s, 40 * tau,
 * 80 * H * R), by which the model has settled. Returns 0, -EINVAL for a bad @dt_s, NaN or negative
 * loads or times, or times that decrease, or WT_E2BIG above WT_GENSET_MAX_SAMPLES. */
int wt_genset_simulate(const struct wt_genset_cfg *cfg, double initial_load_w,
		       const struct wt_genset_point *profile, size_t n, double dt_s,
		       struct wt_genset_result *out);

/* The same from @state (borrowed, not modified): profile times count from now. */
int wt_genset_simulate_from(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state,
			    const struct wt_genset_point *profile, size_t n, double dt_s,
			    struct wt_genset_result *out);

/* Check @result (made with @cfg) against the limits of cfg->iso_class in @limits (borrowed; NULL
 * means cfg->iso): dip, overshoot, recovery time, stall, and cfg->droop_pct against the class's
 * droop. Returns 0 when inside the class, else the number of limits exceeded (> 0) with the first
 * one explained in @why ("nadir 47.8 Hz = -4.40 % below G3 limit -7 %" style; NUL-terminated,
 * truncated to @whylen; @why may be NULL when @whylen is 0); -EINVAL when @result's recovery was
 * measured with another band than @limits has. */
int wt_genset_check_iso(const struct wt_genset_cfg *cfg, const struct wt_genset_result *result,
			const struct wt_iso8528_limits *limits, char *why, size_t whylen);

/* The largest sudden load step, in whole watts, @state may take now: at most max_step_pct of
 * rated, at most the headroom rated - state->load_w, and no larger than the step whose predicted
 * nadir reaches the class's dip limit f0 * (1 + dip_pct / 100), found by bisection over the model
 * (to 1 W; the nadir is the first trough after the step, which for this linear model is the
 * lowest point). The nadir falls monotonically with the step, so the step returned keeps the
 * nadir at or above the limit. 0 when even a tiny step would cross the limit. */
uint64_t wt_genset_max_step_w(const struct wt_genset_cfg *cfg, const struct wt_genset_state *state);

/* Time between maximum steps the bring-up helpers use: max(step_recovery_s, the model's recovery
 * time after a step of wt_genset_max_step_w() from an unloaded set in equilibrium). */
double wt_genset_step_interval_s(const struct wt_genset_cfg *cfg);

/* Physical minimum time, in s, to add @step_total_w of load to a set in equilibrium, given
 *   s = wt_genset_max_step_w() of an unloaded set, T = wt_genset_step_interval_s(), r = ramp:
 *   0                                                  when step_total_w <= s (one sudden step)
 *   max((ceil(step_total_w / s) - 1) * T, (step_total_w - s) / r)  otherwise.
 * The first term is the staircase bound: no window shorter than T may hold more than s of rise,
 * so k windows carry at most k * s. The second is the ramp bound: after the one sudden step the
 * load rises no faster than r. It is a lower bound for any admissible schedule, attained by
 * steps of s every T when s <= r * T (the defaults: 10 % <= 33 %), otherwise within T of it.
 * INFINITY when step_total_w exceeds rated_w or s is 0; 0 for step_total_w <= 0. */
double wt_genset_min_bringup_s(const struct wt_genset_cfg *cfg, double step_total_w);

/* min_load_pct of rated, in whole watts (rounded up): the loading the orchestrator holds the
 * set at with miners. */
uint64_t wt_genset_min_load_w(const struct wt_genset_cfg *cfg);

#endif
