/* SPDX-License-Identifier: Apache-2.0 */
/* Simulated GPUs: N H100-like devices, each cycling idle -> preload -> compute -> teardown ->
 * idle with configured watts and durations. A pure function of time: the same config and seed
 * give the same watts at the same instant however often (or rarely) the model is sampled.
 *
 * Model, per device:
 *   - Level: the watts of the current phase, held for the phase's duration. A phase with
 *     jitter_pct > 0 draws watts +- jitter_pct % uniform noise, a new value every
 *     jitter_period_ms (seeded from cfg.seed, the device and the slot index; wt_rand32).
 *   - Ramp: power is the mean of the level over the last ramp_ms, so a step becomes a linear
 *     ramp of ramp_ms (100 W -> 700 W in 8 ms, DESIGN.md section 1); closely spaced steps
 *     blend as they would through a low-pass filter. ramp_ms = 0 gives ideal steps.
 *   - Correlation: device d runs the shared cycle shifted by (1 - correlation) * u_d * cycle,
 *     u_d uniform in [0, 1) from the seed. 1: every device changes phase at the same instant
 *     (one job; measured power correlation ~0.99); 0: offsets spread over the whole cycle.
 *     It is a phase-alignment knob, not a Pearson coefficient.
 *   - Caps: a cap set at t limits the device from t + max(cap_response_ms, ramp_ms) on: the
 *     throttle engages at t + cap_response_ms - ramp_ms and power ramps down over ramp_ms, so
 *     it is at or below the cap exactly when the response time has passed, and above it just
 *     before (emulating a GPU's power-limit loop; DESIGN.md "GPU throttle 20 ms"). Raising a
 *     cap ramps up the same way. Caps are clamped to [min_cap_w, max_cap_w]; the device starts
 *     at max_cap_w, its default power limit (an H100 SXM's 700 W TDP), so the jitter of a 650 W
 *     compute phase may be cut at 700 W while demand_w still shows it.
 *   - The phase schedule does not slow down under a cap (open loop): the model answers "what
 *     power", not "how much work". The Zeus data (shared/data/zeus-power-limit-profiles) shows a
 *     capped job taking longer; a closed-loop model is not needed for power control.
 *   - Hold: instead of cycling, every device may hold one phase (a batch scheduler moves a
 *     node's GPUs into a phase when told to): its level is that phase's watts, with that
 *     phase's jitter as above, for as long as the hold lasts. cfg.hold_phase holds from the
 *     start; agt_sim_hold() changes the mode at t, and the level steps at t, so power ramps
 *     from where it was to the new level over ramp_ms, exactly as at a phase change. The cycle
 *     itself never stops: returning to it resumes the schedule where it stands at that time.
 *     Caps apply as above.
 * Devices start at the beginning of idle (shifted by their offset) at the constructor's time;
 * the schedule is periodic, so the first ramp_ms still ramp from the previous cycle's teardown.
 * Not thread-safe. */
#ifndef AGT_BACKEND_SIM_H
#define AGT_BACKEND_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

enum agt_sim_phase {
	AGT_SIM_IDLE = 0,
	AGT_SIM_PRELOAD = 1,
	AGT_SIM_COMPUTE = 2,
	AGT_SIM_TEARDOWN = 3,
};

#define AGT_SIM_PHASES 4
/* hold_phase / agt_sim_hold() value: no hold, cycle through the phases. */
#define AGT_SIM_CYCLE (-1)

/* Limits checked by agt_sim_cfg_validate(). */
#define AGT_SIM_MAX_W		100000u	  /* per device and phase */
#define AGT_SIM_MAX_PHASE_MS	86400000u /* one day */
#define AGT_SIM_MAX_RAMP_MS	1000u
#define AGT_SIM_MAX_RESPONSE_MS 60000u
#define AGT_SIM_MAX_HORIZON_MS	60000u /* predict_horizon_ms: every sample() predicts */

/* predict_peak(now, h) is exactly the largest demand_w that sample() would report at any time
 * in [now, now + h]: it walks every level change in the window (phases, jitter slots, hold
 * changes), about 2 N (h / jitter_period + phases) steps. Above this horizon it returns an
 * upper bound instead: the sum over devices of the highest level the modes still in the
 * look-back or in force can reach (cycling: the highest phase watts plus jitter; holding a
 * phase: its watts plus jitter). */
#define AGT_SIM_PREDICT_EXACT_MS 600000u

struct agt_sim_phase_cfg {
	uint32_t watts;
	uint32_t duration_ms; /* 0 skips the phase */
	uint32_t jitter_pct;  /* 0..100: uniform noise of +-jitter_pct % of watts */
};

struct agt_sim_cfg {
	uint32_t n_devices;				/* 1..AGT_MAX_DEVICES; default 8 */
	struct agt_sim_phase_cfg phase[AGT_SIM_PHASES]; /* indexed by enum agt_sim_phase */
	uint32_t jitter_period_ms;			/* >= 1; default 100 */
	uint32_t ramp_ms;				/* 0..1000; default 8 */
	uint32_t cap_response_ms;			/* default 20 */
	uint32_t min_cap_w;				/* default 100 */
	uint32_t max_cap_w;				/* >= min_cap_w; default 700 */
	uint32_t predict_horizon_ms;			/* for sample(); <= 60000; default 200 */
	double correlation;				/* 0..1; default 1 */
	uint64_t seed;					/* any value; default 1 */
	int hold_phase; /* AGT_SIM_CYCLE (default) or an enum agt_sim_phase held from the start */
};

/* Fill @cfg with the defaults: 8 devices; idle 100 W 2 s, preload 250 W 1 s, compute 650 W 6 s
 * with +-10 % jitter every 100 ms, teardown 200 W 0.5 s; ramp 8 ms; cap response 20 ms; caps
 * 100..700 W; prediction horizon 200 ms; correlation 1; seed 1; cycling (no hold). */
void agt_sim_cfg_init(struct agt_sim_cfg *cfg);

/* Check @cfg. Returns 0 or WT_ECONFIG with the field, its value and the allowed range written
 * to @err (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). */
int agt_sim_cfg_validate(const struct agt_sim_cfg *cfg, char *err, size_t errlen);

/* Make a sim backend from @cfg (copied) whose time axis starts at @now_ns. Returns 0 and sets
 * *@out (free with agt_backend_free()), or WT_ECONFIG when agt_sim_cfg_validate() refuses
 * @cfg (*@out untouched). */
int agt_backend_sim_new(struct agt_backend **out, const struct agt_sim_cfg *cfg, uint64_t now_ns);

/* From @now_ns on, every device of sim backend @b holds phase @phase (an enum agt_sim_phase),
 * or cycles again with AGT_SIM_CYCLE; power ramps to the new level over ramp_ms (see the model
 * above). The same mode as the last one asked for is a no-op. Returns 0; -EINVAL when @b is not
 * a sim backend, @phase is out of range or @now_ns is earlier than a previous
 * sample/set_cap/hold time (nothing changed); WT_EBUSY when too many hold changes are still
 * inside the ramp window (not applied: retry later). */
int agt_sim_hold(struct agt_backend *b, int phase, uint64_t now_ns);

/* The mode last asked for (cfg.hold_phase or agt_sim_hold()): an enum agt_sim_phase or
 * AGT_SIM_CYCLE; AGT_SIM_CYCLE too when @b is not a sim backend. */
int agt_sim_hold_get(const struct agt_backend *b);

/* "cycle" for AGT_SIM_CYCLE, "idle", "preload", "compute", "teardown", or "?". */
const char *agt_sim_phase_name(int phase);

#endif
