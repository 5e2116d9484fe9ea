/* SPDX-License-Identifier: Apache-2.0 */
/* Battery energy storage / UPS model: what a BESS actually delivers when asked for a power, with
 * its power rating, the energy it holds, its response time and its losses. The orchestrator uses
 * it to decide what the BESS can cover (the sub-second edges miners are too slow for); the
 * simulator uses it as the plant. No fiction: it never delivers more energy than it holds and
 * never answers faster than its response time.
 *
 * Pure and clock-free: time advances only by the @dt_s a caller passes; nothing here reads a
 * clock, allocates, logs or keeps global state. Thread-safe on distinct state.
 *
 * Sign: positive power is discharge (the BESS feeds the site bus), negative is charge.
 *
 * The model:
 *   response   a pure dead time. A request made at time t takes effect at t + response_ms; until
 *              then the BESS keeps delivering what it was delivering (zero for a BESS that was
 *              idle: the case of a new edge). Every change of the request is one pending command
 *              (up to WT_BESS_MAX_PENDING in flight); when more are in flight the oldest pending
 *              one is dropped, its successor keeps its own time, so nothing is ever applied
 *              early, only a short-lived set-point is skipped.
 *   power      the applied set-point is clipped to +-power_w.
 *   energy     soc in 0..1 of energy_wh (usable energy). The round-trip efficiency eta is split
 *              evenly: discharging P for dt takes P * dt / sqrt(eta) from the cells, charging P
 *              for dt stores P * dt * sqrt(eta). When the cells run empty (or full) inside a step,
 *              the BESS delivers (absorbs) until that instant and nothing after it; the step
 *              returns the mean power over the step, so energy delivered = returned power * dt
 *              exactly, never more than the cells held times sqrt(eta).
 *   no standby losses, no power derating with soc or temperature. */
#ifndef WT_BESS_H
#define WT_BESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Requests in flight (made less than response_ms ago) kept exactly. */
#define WT_BESS_MAX_PENDING 16

/* BESS settings. Fill with wt_bess_cfg_init(), override, check with wt_bess_cfg_validate(). */
struct wt_bess_cfg {
	double power_w;	    /* largest charge or discharge power, W (1 .. 1e9) */
	double energy_wh;   /* usable energy, Wh (0.01 .. 1e10) */
	double response_ms; /* request-to-delivery dead time, ms (0 .. 10000) */
	double efficiency;  /* AC round-trip efficiency (0.5 .. 1) */
};

/* One request in flight. */
struct wt_bess_pending {
	double request_w;
	double due_s; /* when it takes effect, on the state's clock */
};

/* Dynamic state. Caller-owned value (copy it to predict); fields are private: use the API (tests
 * and the simulator may read them). */
struct wt_bess_state {
	double soc;	       /* 0 .. 1 of energy_wh */
	double t_s;	       /* time advanced since wt_bess_state_init() */
	double setpoint_w;     /* request in effect (before clipping) */
	double delivered_w;    /* power at the end of the last step, after clipping */
	double last_request_w; /* the most recent request */
	double cell_out_wh;    /* energy taken from the cells, total */
	double cell_in_wh;     /* energy stored into the cells, total */
	unsigned n_pending;
	struct wt_bess_pending pending[WT_BESS_MAX_PENDING];
};

/* Fill @cfg for a BESS of @power_w and @energy_wh. Defaults (not in the project's data):
 * response 20 ms, round-trip efficiency 0.85. Does not validate. */
void wt_bess_cfg_init(struct wt_bess_cfg *cfg, double power_w, double energy_wh);

/* Check every field against its range. Returns 0 or WT_ECONFIG with a message naming the field,
 * its value and the range in @err (NUL-terminated, truncated to @errlen; @err may be NULL when
 * @errlen is 0). */
int wt_bess_cfg_validate(const struct wt_bess_cfg *cfg, char *err, size_t errlen);

/* Idle BESS at @soc (clamped to 0..1; NaN counts as 0). */
void wt_bess_state_init(struct wt_bess_state *state, double soc);

/* Ask for @request_w (+ discharge, - charge; NaN counts as 0) from now on and advance @state by
 * @dt_s (negative or NaN counts as 0). Returns the mean power delivered over the step in W
 * (0 for a zero step: the power at that instant is in state->delivered_w). */
double wt_bess_step(const struct wt_bess_cfg *cfg, struct wt_bess_state *state, double request_w,
		    double dt_s);

/* Energy, in Wh, the BESS can still deliver to the bus: soc * energy_wh * sqrt(eta). */
double wt_bess_available_wh(const struct wt_bess_cfg *cfg, const struct wt_bess_state *state);

/* Seconds it can sustain @power_w of discharge from now (ignoring its response time): available
 * energy / power; INFINITY for power <= 0, 0 when above power_w is asked (it cannot). */
double wt_bess_endurance_s(const struct wt_bess_cfg *cfg, const struct wt_bess_state *state,
			   double power_w);

#endif
