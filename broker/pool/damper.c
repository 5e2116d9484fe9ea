/* SPDX-License-Identifier: Apache-2.0 */
/* Damper: hysteresis and reversal counting for lease sizes. Pure integer arithmetic on the
 * caller's state; never reads a clock and never allocates. */
#include "damper.h"

#include <stddef.h>

#include "wt/err.h"

#define NS_PER_MS 1000000ull

void pool_damper_cfg_default(struct pool_damper_cfg *cfg)
{
	cfg->grow_pct = POOL_DAMPER_GROW_PCT;
	cfg->shrink_pct = POOL_DAMPER_SHRINK_PCT;
	cfg->max_reversals = POOL_DAMPER_MAX_REVERSALS;
	cfg->window_ms = POOL_DAMPER_WINDOW_MS;
	cfg->cooldown_ms = POOL_DAMPER_COOLDOWN_MS;
}

int pool_damper_cfg_check(const struct pool_damper_cfg *cfg)
{
	if (cfg->grow_pct > POOL_DAMPER_PCT_MAX || cfg->shrink_pct >= 100) {
		return WT_ECONFIG;
	}
	if (cfg->window_ms == 0 || cfg->window_ms > POOL_DAMPER_TIME_MAX ||
	    cfg->cooldown_ms > POOL_DAMPER_TIME_MAX) {
		return WT_ECONFIG;
	}
	return 0;
}

void pool_damper_init(struct pool_damper *d)
{
	d->window_start_ns = 0;
	d->cooldown_until_ns = 0;
	d->reversals = 0;
	d->last_dir = 0;
}

bool pool_damper_cooling(const struct pool_damper *d, uint64_t now_ns)
{
	return now_ns < d->cooldown_until_ns;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Hysteresis band test in 64-bit so that watts near UINT32_MAX cannot overflow. */
static bool outside_band(const struct pool_damper_cfg *cfg, uint32_t cur, uint32_t eff)
{
	if (eff > cur) {
		return (uint64_t)eff * 100 > (uint64_t)cur * (100 + cfg->grow_pct);
	}
	return (uint64_t)eff * 100 < (uint64_t)cur * (100 - cfg->shrink_pct);
}

/* Counts a reversal; returns true when it is one too many and the cooldown starts. */
static bool count_reversal(struct pool_damper *d, const struct pool_damper_cfg *cfg,
			   uint64_t now_ns)
{
	uint64_t window_ns = (uint64_t)cfg->window_ms * NS_PER_MS;

	if (d->reversals == 0 || now_ns - d->window_start_ns >= window_ns) {
		d->window_start_ns = now_ns;
		d->reversals = 1;
	} else if (d->reversals < UINT32_MAX) {
		d->reversals++;
	}
	if (d->reversals <= cfg->max_reversals) {
		return false;
	}
	d->cooldown_until_ns = add_sat(now_ns, (uint64_t)cfg->cooldown_ms * NS_PER_MS);
	d->reversals = 0;
	d->last_dir = 0;
	return true;
}

uint32_t pool_damper_step(struct pool_damper *d, const struct pool_damper_cfg *cfg, uint32_t cur,
			  uint32_t proposed, uint32_t fit_max, uint64_t now_ns, bool *damped)
{
	uint32_t eff = min_u32(proposed, fit_max);
	uint32_t hold = min_u32(cur, fit_max);
	int8_t dir;

	if (damped != NULL) {
		*damped = false;
	}
	/* Nothing to damp: no change, or a shrink forced by what fits (not the holder's choice,
	 * so it is neither held nor counted as a direction). */
	if (eff == hold) {
		return eff;
	}
	if (pool_damper_cooling(d, now_ns) || !outside_band(cfg, cur, eff)) {
		goto held;
	}
	dir = eff > cur ? 1 : -1;
	if (d->last_dir != 0 && dir != d->last_dir && count_reversal(d, cfg, now_ns)) {
		goto held;
	}
	d->last_dir = dir;
	return eff;
held:
	if (damped != NULL) {
		*damped = true;
	}
	return hold;
}
