/* SPDX-License-Identifier: Apache-2.0 */
/* BESS / UPS model: dead-time response, power clip, energy bookkeeping with round-trip losses
 * (see wt/bess.h). Pure arithmetic: no clock, no allocation, no logging. */
#include "wt/bess.h"

#include <math.h>

#include "wt/err.h"

/* Not in the project's data: grid-forming / UPS inverters answer a set-point change within one or
 * two mains cycles; 20 ms is one cycle at 50 Hz. A site with a slower BESS must say so. */
#define DEFAULT_RESPONSE_MS 20.0
/* Not in the project's data: lithium-ion systems are quoted at 85-90 % AC round trip; the low
 * end, so that the model never promises energy the battery does not return. */
#define DEFAULT_EFFICIENCY 0.85

#define S_PER_H 3600.0

void wt_bess_cfg_init(struct wt_bess_cfg *cfg, double power_w, double energy_wh)
{
	*cfg = (struct wt_bess_cfg){
		.power_w = power_w,
		.energy_wh = energy_wh,
		.response_ms = DEFAULT_RESPONSE_MS,
		.efficiency = DEFAULT_EFFICIENCY,
	};
}

/* True when lo <= v <= hi; false for NaN. */
static bool in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

int wt_bess_cfg_validate(const struct wt_bess_cfg *cfg, char *err, size_t errlen)
{
	if (!in_range(cfg->power_w, 1.0, 1e9)) {
		return wt_err_config(err, errlen, "bess power_w = %g out of range 1-1e9 W",
				     cfg->power_w);
	}
	if (!in_range(cfg->energy_wh, 0.01, 1e10)) {
		return wt_err_config(err, errlen, "bess energy_wh = %g out of range 0.01-1e10 Wh",
				     cfg->energy_wh);
	}
	if (!in_range(cfg->response_ms, 0.0, 10000.0)) {
		return wt_err_config(err, errlen, "bess response_ms = %g out of range 0-10000 ms",
				     cfg->response_ms);
	}
	if (!in_range(cfg->efficiency, 0.5, 1.0)) {
		return wt_err_config(err, errlen, "bess efficiency = %g out of range 0.5-1",
				     cfg->efficiency);
	}
	return 0;
}

void wt_bess_state_init(struct wt_bess_state *state, double soc)
{
	if (!(soc > 0.0)) {
		soc = 0.0;
	}
	*state = (struct wt_bess_state){
		.soc = fmin(soc, 1.0),
		.t_s = 0.0,
		.setpoint_w = 0.0,
		.delivered_w = 0.0,
		.last_request_w = 0.0,
		.cell_out_wh = 0.0,
		.cell_in_wh = 0.0,
		.n_pending = 0,
	};
}

/* Queue @request_w, due response_ms from now. A full queue drops its oldest entry. */
static void push_request(const struct wt_bess_cfg *cfg, struct wt_bess_state *st, double request_w)
{
	if (st->n_pending == WT_BESS_MAX_PENDING) {
		for (unsigned i = 1; i < st->n_pending; i++) {
			st->pending[i - 1] = st->pending[i];
		}
		st->n_pending--;
	}
	st->pending[st->n_pending++] = (struct wt_bess_pending){
		.request_w = request_w,
		.due_s = st->t_s + cfg->response_ms / 1000.0,
	};
}

/* Apply every pending request due at or before now, in order. */
static void apply_due(struct wt_bess_state *st)
{
	unsigned k = 0;

	while (k < st->n_pending && st->pending[k].due_s <= st->t_s) {
		st->setpoint_w = st->pending[k].request_w;
		k++;
	}
	for (unsigned i = k; i < st->n_pending; i++) {
		st->pending[i - k] = st->pending[i];
	}
	st->n_pending -= k;
}

/* Run the set-point for @dt_s (> 0). Returns the energy delivered to the bus in W*s. */
static double run_constant(const struct wt_bess_cfg *cfg, struct wt_bess_state *st, double dt_s)
{
	double p = fmin(fmax(st->setpoint_w, -cfg->power_w), cfg->power_w);
	double k = sqrt(cfg->efficiency);
	double e_ws;

	if (p > 0.0) {
		double held_ws = st->soc * cfg->energy_wh * S_PER_H;
		double need_ws = p * dt_s / k;

		if (need_ws >= held_ws) {
			/* Empty inside the step: deliver until the cells hold nothing. */
			e_ws = held_ws * k;
			st->cell_out_wh += held_ws / S_PER_H;
			st->soc = 0.0;
			st->delivered_w = 0.0;
			return e_ws;
		}
		st->cell_out_wh += need_ws / S_PER_H;
		st->soc -= need_ws / (cfg->energy_wh * S_PER_H);
		st->delivered_w = p;
		return p * dt_s;
	}
	if (p < 0.0) {
		double room_ws = (1.0 - st->soc) * cfg->energy_wh * S_PER_H;
		double store_ws = -p * dt_s * k;

		if (store_ws >= room_ws) {
			e_ws = -room_ws / k;
			st->cell_in_wh += room_ws / S_PER_H;
			st->soc = 1.0;
			st->delivered_w = 0.0;
			return e_ws;
		}
		st->cell_in_wh += store_ws / S_PER_H;
		st->soc += store_ws / (cfg->energy_wh * S_PER_H);
		st->delivered_w = p;
		return p * dt_s;
	}
	st->delivered_w = 0.0;
	return 0.0;
}

double wt_bess_step(const struct wt_bess_cfg *cfg, struct wt_bess_state *state, double request_w,
		    double dt_s)
{
	double t_end, e_ws = 0.0;

	if (isnan(request_w)) {
		request_w = 0.0;
	}
	if (!(dt_s > 0.0)) {
		dt_s = 0.0;
	}
	if (request_w != state->last_request_w) {
		push_request(cfg, state, request_w);
		state->last_request_w = request_w;
	}
	t_end = state->t_s + dt_s;
	for (;;) {
		double seg_end = t_end;

		apply_due(state);
		if (state->n_pending > 0 && state->pending[0].due_s < seg_end) {
			seg_end = state->pending[0].due_s;
		}
		if (seg_end > state->t_s) {
			e_ws += run_constant(cfg, state, seg_end - state->t_s);
		} else {
			/* The power at this instant (a zero step, or nothing left to run). */
			double p = fmin(fmax(state->setpoint_w, -cfg->power_w), cfg->power_w);

			state->delivered_w =
				(p > 0.0 && state->soc <= 0.0) || (p < 0.0 && state->soc >= 1.0)
					? 0.0
					: p;
		}
		state->t_s = seg_end;
		if (!(seg_end < t_end)) {
			break;
		}
	}
	return dt_s > 0.0 ? e_ws / dt_s : 0.0;
}

double wt_bess_available_wh(const struct wt_bess_cfg *cfg, const struct wt_bess_state *state)
{
	return state->soc * cfg->energy_wh * sqrt(cfg->efficiency);
}

double wt_bess_endurance_s(const struct wt_bess_cfg *cfg, const struct wt_bess_state *state,
			   double power_w)
{
	if (!(power_w > 0.0)) {
		return INFINITY;
	}
	if (power_w > cfg->power_w) {
		return 0.0;
	}
	return wt_bess_available_wh(cfg, state) * S_PER_H / power_w;
}
