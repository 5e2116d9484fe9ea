/* SPDX-License-Identifier: Apache-2.0 */
/* Damper: per-holder hysteresis and flap suppression for lease sizes (DESIGN.md section 4).
 * Pure: no clock reads (time is an argument), no allocation, no I/O, no logging. The pool runs
 * one per child; the agent can run one for its own cap. Safety always beats damping: a result
 * never exceeds the caller's @fit_max, and a shrink forced by @fit_max is never damped.
 *
 * Rules, applied to eff = min(proposed, fit_max) against the current size cur:
 * - Hysteresis: grow only if eff > cur * (1 + grow_pct/100), shrink only if
 *   eff < cur * (1 - shrink_pct/100); otherwise hold min(cur, fit_max).
 * - Reversals: a change whose direction differs from the previous change is a reversal. The
 *   first reversal opens a window of window_ms; reversals within it are counted (a reversal
 *   after the window opens a new one). More than max_reversals in one window holds the size
 *   and starts a cooldown of cooldown_ms during which every change is held (except shrinks
 *   forced by fit_max). After the cooldown the counters start from zero. */
#ifndef POOL_DAMPER_H
#define POOL_DAMPER_H

#include <stdbool.h>
#include <stdint.h>

#define POOL_DAMPER_GROW_PCT	  5
#define POOL_DAMPER_SHRINK_PCT	  10
#define POOL_DAMPER_MAX_REVERSALS 3
#define POOL_DAMPER_WINDOW_MS	  1000
#define POOL_DAMPER_COOLDOWN_MS	  500
/* Limits accepted by pool_damper_cfg_check(). */
#define POOL_DAMPER_PCT_MAX  1000
#define POOL_DAMPER_TIME_MAX (3600u * 1000u)

struct pool_damper_cfg {
	uint32_t grow_pct;	/* 0..POOL_DAMPER_PCT_MAX; 0 disables grow hysteresis */
	uint32_t shrink_pct;	/* 0..99; 0 disables shrink hysteresis */
	uint32_t max_reversals; /* reversals tolerated per window; UINT32_MAX: never hold */
	uint32_t window_ms;	/* 1..POOL_DAMPER_TIME_MAX */
	uint32_t cooldown_ms;	/* 0..POOL_DAMPER_TIME_MAX */
};

/* Per-holder state, embedded by the caller (24 bytes). Private: use the API. */
struct pool_damper {
	uint64_t window_start_ns;
	uint64_t cooldown_until_ns;
	uint32_t reversals;
	int8_t last_dir; /* -1 shrink, 0 none yet, +1 grow */
};

/* Fill @cfg with the defaults above. */
void pool_damper_cfg_default(struct pool_damper_cfg *cfg);

/* Returns 0 if @cfg is within the documented ranges, else WT_ECONFIG. */
int pool_damper_cfg_check(const struct pool_damper_cfg *cfg);

/* Reset @d to "no history" (also for a holder that restarted). */
void pool_damper_init(struct pool_damper *d);

/* Decide the next size for a holder now at @cur that should get @proposed, when at most
 * @fit_max is safe. Returns the size to use (<= @fit_max, either min(@proposed, @fit_max) or
 * min(@cur, @fit_max)). *@damped (may be NULL) is set true when the result differs from
 * min(@proposed, @fit_max) because of hysteresis, reversals or cooldown. @now_ns is monotonic. */
uint32_t pool_damper_step(struct pool_damper *d, const struct pool_damper_cfg *cfg, uint32_t cur,
			  uint32_t proposed, uint32_t fit_max, uint64_t now_ns, bool *damped);

/* Returns true while @d holds sizes after too many reversals. */
bool pool_damper_cooling(const struct pool_damper *d, uint64_t now_ns);

#endif
