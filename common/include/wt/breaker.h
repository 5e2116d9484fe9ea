/* SPDX-License-Identifier: Apache-2.0 */
/* Branch-circuit breaker model: the time-current curve of a thermal-magnetic or electronic (LSI)
 * trip unit, a thermal memory that integrates I^2 t over time, and the largest power a rack may
 * let flow for a lease without reaching a trip. The rack coordinator uses it to refuse grants that
 * would trip within the lease; the simulator uses it as the plant.
 *
 * Pure and clock-free: time is always an argument, nothing here reads a clock, allocates, logs or
 * keeps global state. All functions are thread-safe on distinct state.
 *
 * The model, in the three regions of an LSI curve (x = I / In):
 *   L  long time   x > lt_pickup_x (strictly): t = tr * 36 / x^2 seconds for the I^2 t band
 *                  ("t = tr * (6*Ir/I)^2", tr = delay at 6 x Ir), or an inverse-time relay curve
 *                  t = TMS * (k / (M^alpha - 1) + B), M = I / (lt_pickup_x * In).
 *   S  short time  x >= st_pickup_x: definite time st_delay_ms (optional; thermal-magnetic
 *                  breakers have none).
 *   I  instant.    x >= inst_pickup_x: the release latches at once, the current is interrupted
 *                  after clearing_ms.
 * The trip time at a constant current is the smallest of the regions that apply.
 *
 * lt_pickup_x is the highest current that never trips, i.e. the conventional NON-tripping current
 * of the standard (1.05 x In for IEC 60947-2, 1.13 x In for IEC 60898-1), not the conventional
 * tripping current: a breaker may start timing anywhere above the former, so a model that must
 * never predict a trip later than the real breaker starts there. inst_pickup_x is likewise the
 * LOWEST current that may trip instantaneously: the lower edge of an MCB's band (type C: 5) or
 * 0.8 x the setting of an MCCB (+-20 % tolerance).
 *
 * Thermal memory (struct wt_breaker_state.heat, 0 = cold, 1 = long-time trip): h is the thermal
 * element's temperature rise as a fraction of the rise at which it trips.
 *   above pickup:  dh/dt = 1 / t_L(I)          adiabatic: from cold, a constant current trips
 *                                              exactly at t_L(I); from h0 at (1 - h0) * t_L(I).
 *   at/below it:   h -> h_eq + (h - h_eq) * exp(-dt / tau),  h_eq = (I / I_pickup)^2 < 1
 *                  a first-order element that cools towards (or warms up to) the steady rise
 *                  of the current it carries; it never trips there. A breaker that has carried
 *                  0.8 x pickup for long starts a burst at h = 0.64 (the "hot" curve).
 *   tau = 4 x t_L(2 x I_pickup), unless lt_cool_tau_s overrides it. For the I^2 t band this is
 *   36 * tr / lt_pickup_x^2, the time constant of the first-order element whose high-current
 *   asymptote is the band, so heating just below and just above pickup agree. With the same
 *   pickup, a shorter tr (and so a shorter tau) reaches h = 1 no later for any current profile:
 *   below pickup the slower element's heat is a weighted average of the faster one's (checked
 *   numerically across pickup too). Hence the default tr is the shortest sourced choice.
 * Short-time memory (st_used, 0..1): fills at 1/st_delay_ms per ms while x >= st_pickup_x and
 * drains at the same rate below it, so a burst is remembered for as long as it lasted.
 *
 * Power: 1 phase  P = V * I * pf;  3 phases  P = sqrt(3) * V_LL * I * pf = 3 * V_LN * I * pf.
 * Rack limits (DESIGN.md section 4): pool capacity = 0.8 x In continuous, bursts at most
 * 0.85 x inst_pickup_x x In and only as long as wt_breaker_max_watts() allows. */
#ifndef WT_BREAKER_H
#define WT_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fraction of the continuous rating a rack pool may hand out (DESIGN.md section 4). */
#define WT_BREAKER_CONTINUOUS_FRACTION 0.8
/* Bursts stay below this fraction of the instantaneous pickup (DESIGN.md section 4). */
#define WT_BREAKER_BURST_MARGIN 0.85

/* Standard whose conventional currents set the defaults of wt_breaker_cfg_init(). */
enum wt_breaker_std {
	WT_BREAKER_STD_IEC60947_2, /* MCCB / industrial CB, electronic or thermal-magnetic */
	WT_BREAKER_STD_IEC60898_1, /* MCB (household and similar) */
};

/* What voltage_v is measured between. Single-phase loads use the voltage across the load
 * either way; for three phases it selects sqrt(3) * V_LL or 3 * V_LN. */
enum wt_breaker_vref {
	WT_BREAKER_V_LINE_LINE,
	WT_BREAKER_V_LINE_NEUTRAL,
};

/* Shape of the long-time element (relay_inverse_time_curves.csv). */
enum wt_breaker_curve {
	WT_BREAKER_CURVE_I2T,	  /* t = tr * 36 / (I/In)^2; electronic LSI long time (default) */
	WT_BREAKER_CURVE_IEC_SI,  /* IEC 60255-151 standard inverse  k 0.14, alpha 0.02 */
	WT_BREAKER_CURVE_IEC_VI,  /* IEC 60255-151 very inverse      k 13.5, alpha 1 */
	WT_BREAKER_CURVE_IEC_EI,  /* IEC 60255-151 extremely inverse k 80,   alpha 2 */
	WT_BREAKER_CURVE_IEC_LTI, /* IEC 60255-151 long-time inverse k 120,  alpha 1 */
	WT_BREAKER_CURVE_IEEE_MI, /* IEEE C37.112 moderately inverse A 0.0515, p 0.02, B 0.114 */
	WT_BREAKER_CURVE_IEEE_VI, /* IEEE C37.112 very inverse       A 19.61, p 2, B 0.491 */
	WT_BREAKER_CURVE_IEEE_EI, /* IEEE C37.112 extremely inverse  A 28.2, p 2, B 0.1217 */
	WT_BREAKER_CURVE_COUNT,
};

/* Breaker settings. Fill with wt_breaker_cfg_init(), override what the datasheet says, then
 * check with wt_breaker_cfg_validate(); the other functions assume a valid config. */
struct wt_breaker_cfg {
	/* In, the continuous rating in A; for an electronic unit, Ir (the long-time setting). */
	double rated_a;
	/* Line-to-line or line-to-neutral as voltage_ref says (50-1000 V). */
	double voltage_v;
	enum wt_breaker_vref voltage_ref;
	/* 1 or 3. */
	unsigned phases;
	/* Converts watts to amps (0.5-1). */
	double power_factor;
	/* Long time: shape; the multiple of In at or below which it never trips (1.0-1.45); tr,
	 * the I2T band's time at 6 x In in s (0.5-24); TMS (IEC) or TD (IEEE) for relay curves
	 * (0.01-15); thermal time constant in s, 0 for the derived one. */
	enum wt_breaker_curve lt_curve;
	double lt_pickup_x;
	double lt_delay_s;
	double lt_tms;
	double lt_cool_tau_s;
	/* Short time: pickup x In, 0 for none (else between lt_pickup_x and inst_pickup_x);
	 * definite delay in ms (1-1000). */
	double st_pickup_x;
	double st_delay_ms;
	/* Instantaneous: lowest trip current x In (2-20); latch to interruption in ms (1-1000). */
	double inst_pickup_x;
	double clearing_ms;
};

/* Thermal and short-time memory of one breaker. Caller-owned value; zero it with
 * wt_breaker_state_init(). Fields are private: use the API (tests may read them). */
struct wt_breaker_state {
	double heat;	/* long-time element, 0 cold .. 1 trip */
	double st_used; /* short-time delay used, 0 .. 1 */
	bool tripped;	/* latched by wt_breaker_step() until wt_breaker_state_init() */
};

/* Fill @cfg with the defaults of @std for a breaker of @rated_a on @voltage_v with @phases
 * (1 or 3; the voltage is line-to-line for 3 and across the load for 1). Defaults (breaker.c
 * cites the row of tests/data/power-equipment-reference/ behind each): I2T long time, pickup =
 * the standard's conventional non-tripping current, tr = 0.5 s, no short time, instantaneous
 * 5 x In; and two that the data does not cover: clearing 50 ms (DESIGN.md section 1), power
 * factor 0.95. Does not validate. */
void wt_breaker_cfg_init(struct wt_breaker_cfg *cfg, enum wt_breaker_std std, double rated_a,
			 double voltage_v, unsigned phases);

/* Check every field against its allowed range and the cross-field order
 * lt_pickup_x < st_pickup_x < inst_pickup_x. Returns 0 or WT_ECONFIG with a message naming the
 * field, its value and the range written to @err (NUL-terminated, truncated to @errlen; @err may
 * be NULL when @errlen is 0). */
int wt_breaker_cfg_validate(const struct wt_breaker_cfg *cfg, char *err, size_t errlen);

/* Name of @curve as in the config ("i2t", "iec_si", ..., "ieee_ei"), or "?". */
const char *wt_breaker_curve_name(enum wt_breaker_curve curve);

/* Parse a curve name as returned by wt_breaker_curve_name(). Returns 0 or -EINVAL. */
int wt_breaker_curve_parse(const char *s, enum wt_breaker_curve *out);

/* Seconds to operate for a relay curve at multiple @m of its pickup with time multiplier @tms:
 * tms * (k / (m^alpha - 1) + B). INFINITY when m <= 1. For WT_BREAKER_CURVE_I2T, @tms is tr and
 * the result is tr * 36 / m^2 (m > 1 only, as above). */
double wt_breaker_curve_time_s(enum wt_breaker_curve curve, double tms, double m);

/* Milliseconds until the current is interrupted when @current_a flows constantly from cold:
 * the minimum over the L, S and I regions; INFINITY when no element picks up. */
double wt_breaker_trip_time_ms(const struct wt_breaker_cfg *cfg, double current_a);

/* Same from @state instead of from cold: (1 - heat) * t_L, (1 - st_used) * st_delay or the
 * clearing time; 0 when @state has tripped. */
double wt_breaker_state_trip_time_ms(const struct wt_breaker_cfg *cfg,
				     const struct wt_breaker_state *state, double current_a);

/* The thermal time constant in seconds: lt_cool_tau_s, or the derived one when that is 0. */
double wt_breaker_cool_tau_s(const struct wt_breaker_cfg *cfg);

/* Reset @state to cold and not tripped. */
void wt_breaker_state_init(struct wt_breaker_state *state);

/* Advance @state by @dt_ms (negative or NaN counts as 0) during which @current_a flowed.
 * Returns true when the breaker has tripped (now or before; the trip latches). A current at or
 * above the instantaneous pickup trips at once, whatever @dt_ms. Everywhere in this API the sign
 * of a current is ignored and a NaN current counts as a fault (above every pickup). */
bool wt_breaker_step(const struct wt_breaker_cfg *cfg, struct wt_breaker_state *state,
		     double current_a, double dt_ms);

/* The largest constant power, in whole watts, that may flow for @duration_ms starting from
 * @state without reaching a long-time or short-time trip and staying at or below
 * WT_BREAKER_BURST_MARGIN x the instantaneous pickup. Non-increasing in @duration_ms; 0 once
 * tripped. The rack also caps what it grants by wt_breaker_pool_capacity_w(). */
uint64_t wt_breaker_max_watts(const struct wt_breaker_cfg *cfg,
			      const struct wt_breaker_state *state, double duration_ms);

/* Convert between line current (A) and real power (W) with the config's voltage, phases and
 * power factor. */
double wt_breaker_amps_to_watts(const struct wt_breaker_cfg *cfg, double amps);

double wt_breaker_watts_to_amps(const struct wt_breaker_cfg *cfg, double watts);

/* WT_BREAKER_CONTINUOUS_FRACTION x In, in whole watts: what a rack pool may hand out. */
uint64_t wt_breaker_pool_capacity_w(const struct wt_breaker_cfg *cfg);

/* WT_BREAKER_BURST_MARGIN x inst_pickup_x x In, in whole watts: no burst goes above it. */
uint64_t wt_breaker_burst_ceiling_w(const struct wt_breaker_cfg *cfg);

#endif
