/* SPDX-License-Identifier: Apache-2.0 */
/* Site-level miner fleet: the orchestrator's and the simulator's view of the bitcoin miners that
 * act as the site's counterweight (DESIGN.md section 5). A fleet is n_units interchangeable units
 * of unit_w each, only ever fully on or off. The orchestrator commands how many units should run;
 * the model says what the fleet really draws, never faster than the hardware allows.
 *
 * Pure and clock-free: time is an argument (a monotonic ns clock of the caller's choosing, never
 * going backwards); nothing here reads a clock, allocates, logs or keeps global state.
 * Thread-safe on distinct state. The state is a plain value: copy it to predict the future.
 *
 * Same semantics as the agent's per-block miner backend (agent/backend/miner.h), with the same
 * config names and defaults, so that the orchestrator's prediction and an agent's block agree:
 *   - shed: a running unit commanded off keeps drawing for shed_latency_ms, then draws 0. A shed,
 *     once commanded, completes (a later higher target cannot call it back).
 *   - restore: an off unit commanded on draws 0 for restore_latency_ms, then unit_w. A pending
 *     restore is cancelled (it never draws) if the target drops again before it completes.
 *   - min_on_ms: a unit sheds only after it has drawn power that long; min_off_ms: a unit is
 *     restored only after it has been off that long. Commands wait until units are eligible, so
 *     the fleet can stay above (or below) its target for a while: the model reports that.
 *   - every command and transition happens at its own instant (event-driven, exact), so results
 *     do not depend on how often the model is stepped.
 * Differences, all invisible in the aggregate power: units are anonymous (the agent orders them
 * by index); when more restores are pending than the target allows, the ones that would complete
 * last are cancelled first (the agent cancels the highest index first).
 *
 * Representation: units sharing a phase and a time are kept as one cohort, at most
 * WT_MINERS_MAX_COHORTS of them. Units that have become eligible (on for min_on_ms, off for
 * min_off_ms) share one cohort per phase. Only a burst of more distinct commands than that within
 * one latency or minimum time can run out of cohorts; then the two closest cohorts of one phase
 * merge into the later time: a unit may then shed, restore or become eligible later than it
 * would have, never earlier. */
#ifndef WT_MINERS_H
#define WT_MINERS_H

#include <stddef.h>
#include <stdint.h>

#define WT_MINERS_MAX_UNITS   1000000u
#define WT_MINERS_MAX_UNIT_W  100000u
#define WT_MINERS_MAX_LAT_MS  600000u
#define WT_MINERS_MAX_COHORTS 64u

struct wt_miners_cfg {
	uint32_t n_units;	     /* 1..WT_MINERS_MAX_UNITS; default 16 */
	uint32_t unit_w;	     /* 1..WT_MINERS_MAX_UNIT_W; default 3200 (an S19-class unit) */
	uint32_t shed_latency_ms;    /* default 200 */
	uint32_t restore_latency_ms; /* default 2000 */
	uint32_t min_on_ms;	     /* default 0: a shed is a safety request, never delay it */
	uint32_t min_off_ms;	     /* default 10000: a flapping target must not power-cycle */
};

enum wt_miners_phase {
	WT_MINERS_OFF,
	WT_MINERS_RESTORING, /* off, draws 0 until done */
	WT_MINERS_ON,
	WT_MINERS_SHEDDING, /* on, draws unit_w until done */
	WT_MINERS_PHASE_COUNT,
};

/* Units in one phase since (on/off) or until (restoring/shedding) one instant. Private. */
struct wt_miners_cohort {
	uint32_t phase; /* enum wt_miners_phase */
	uint32_t units;
	int64_t t_ns; /* on/off: since (INT64_MIN: eligible); restoring/shedding: done at */
};

/* Caller-owned value; fields are private: use the API. */
struct wt_miners_state {
	uint64_t start_ns; /* the time axis starts here */
	int64_t now_ns;	   /* relative to start_ns: everything up to here is applied */
	uint32_t target;   /* units that should run */
	uint32_t n;	   /* cohorts in use */
	struct wt_miners_cohort c[WT_MINERS_MAX_COHORTS];
};

/* Fill @cfg with the defaults above (those of agt_miner_cfg_init()). */
void wt_miners_cfg_init(struct wt_miners_cfg *cfg);

/* Check @cfg. Returns 0 or WT_ECONFIG with the field, its value and the range in @err
 * (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). */
int wt_miners_cfg_validate(const struct wt_miners_cfg *cfg, char *err, size_t errlen);

/* Start a fleet at @now_ns with @initial_on units running (clamped to n_units); the target is
 * @initial_on. Running units may shed at once and off units may restore at once (they count as
 * having been in their phase for long). */
void wt_miners_state_init(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
			  uint32_t initial_on, uint64_t now_ns);

/* Set the number of units that should run to @target_on_units (clamped to n_units) at @now_ns,
 * after applying everything due up to then; units are commanded at once as far as they are
 * eligible, the others when they become so. Returns 0, or -EINVAL when @now_ns is earlier than
 * the last time the state was advanced to (nothing changes then). */
int wt_miners_command(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
		      uint32_t target_on_units, uint64_t now_ns);

/* Advance @state to @now_ns and return the power drawn at that instant in W (>= 0: units on or
 * shedding, times unit_w), or -EINVAL when @now_ns is earlier than the last time. */
int64_t wt_miners_step(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
		       uint64_t now_ns);

/* Units in @phase right now (as of the last command or step). */
uint32_t wt_miners_units(const struct wt_miners_state *state, enum wt_miners_phase phase);

/* The lowest power, in W, the fleet can be drawing at @at_ns if every unit is commanded off at
 * @now_ns: what shedding can remove by then. Does not change @state; -EINVAL when a time is
 * earlier than the state's. */
int64_t wt_miners_min_power_w(const struct wt_miners_cfg *cfg, const struct wt_miners_state *state,
			      uint64_t now_ns, uint64_t at_ns);

#endif
