/* SPDX-License-Identifier: Apache-2.0 */
/* Shared parent-tier YAML pieces (see tier_cfg.h). */
#include "tier_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt/backoff.h"
#include "wt/mem.h"
#include "wt/rand.h"

const struct wt_cfg_enum tier_cfg_classes[] = {
	{ "critical", WT_LOAD_CLASS_CRITICAL },
	{ "training", WT_LOAD_CLASS_TRAINING },
	{ "batch", WT_LOAD_CLASS_BATCH },
	{ "flexible", WT_LOAD_CLASS_FLEXIBLE },
	{ NULL, 0 },
};

const struct wt_cfg_key tier_cfg_child_keys[] = {
	WT_CFG_STRING("id", struct tier_cfg_child, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Identity of the child (its certificate's common name under mTLS)."),
	WT_CFG_WATTS("floor_w", struct tier_cfg_child, floor_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Static floor cap the child enforces whenever it holds no valid lease."),
	WT_CFG_ENUM("class", struct tier_cfg_child, load_class, tier_cfg_classes,
		    WT_LOAD_CLASS_BATCH, 0,
		    "Priority class: critical > training > batch > flexible (miners)."),
	WT_CFG_END,
};

const struct wt_cfg_key tier_cfg_damper_keys[] = {
	WT_CFG_U32("grow_pct", struct tier_cfg_damper, grow_pct, 0, 100, 5, WT_CFG_RELOADABLE,
		   "Grow a child's grant only when the new size is this % above the old."),
	WT_CFG_U32("shrink_pct", struct tier_cfg_damper, shrink_pct, 0, 99, 10, WT_CFG_RELOADABLE,
		   "Shrink only when the new size is this % below the old."),
	WT_CFG_U32("max_reversals", struct tier_cfg_damper, max_reversals, 1, 1000, 3,
		   WT_CFG_RELOADABLE, "Direction changes tolerated inside window_ms."),
	WT_CFG_DURATION_MS("window_ms", struct tier_cfg_damper, window_ms, 1, 3600000, 2000,
			   WT_CFG_RELOADABLE, "Window of the reversal counter."),
	WT_CFG_DURATION_MS("cooldown_ms", struct tier_cfg_damper, cooldown_ms, 0, 3600000, 1000,
			   WT_CFG_RELOADABLE, "Hold time after too many reversals."),
	WT_CFG_END,
};

#define LEASE_KEYS(min_def, max_def, margin_def)                                                   \
	{                                                                                          \
		WT_CFG_DURATION_MS("ttl_min_ms", struct tier_cfg_lease, ttl_min_ms, 1, 3600000,    \
				   min_def, 0, "Shortest lease granted to a child."),              \
			WT_CFG_DURATION_MS("ttl_max_ms", struct tier_cfg_lease, ttl_max_ms, 1,     \
					   3600000, max_def, 0, "Longest lease granted."),         \
			WT_CFG_DURATION_MS("skew_margin_ms", struct tier_cfg_lease,                \
					   skew_margin_ms, 0, 60000, margin_def, 0,                \
					   "Added to every grant's parent-side lifetime."),        \
			WT_CFG_DURATION_MS("quarantine_ms", struct tier_cfg_lease, quarantine_ms,  \
					   0, 3600000, 0, 0,                                       \
					   "Grant nothing above floors this long after a start "   \
					   "(0: ttl_max_ms + skew_margin_ms, the safe minimum)."), \
			WT_CFG_END,                                                                \
	}

const struct wt_cfg_key tier_cfg_agent_lease_keys[] = LEASE_KEYS(10, 50, 5);
const struct wt_cfg_key tier_cfg_rack_lease_keys[] = LEASE_KEYS(50, 200, 10);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tier_cfg_check_children(struct wt_cfg_ctx *ctx, const struct tier_cfg_child *children,
			     uint32_t n, uint64_t own_floor_w, const char *own_key)
{
	uint64_t sum = 0;
	char **ids;

	for (uint32_t i = 0; i < n; i++) {
		sum += children[i].floor_w;
	}
	if (sum > own_floor_w) {
		wt_cfg_error(ctx, "children",
			     "sum of children's floor_w is %llu W, above %s = %llu W (floors must "
			     "fit without any lease)",
			     (unsigned long long)sum, own_key, (unsigned long long)own_floor_w);
	}
	if (n < 2) {
		return;
	}
	ids = wt_calloc(n, sizeof(*ids));
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = children[i].id;
	}
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (uint32_t i = 1; i < n; i++) {
		if (strcmp(ids[i - 1], ids[i]) == 0) {
			for (uint32_t j = 0; j < n; j++) {
				if (strcmp(children[j].id, ids[i]) == 0) {
					char key[64];

					snprintf(key, sizeof(key), "children[%u].id", j);
					wt_cfg_error(ctx, key, "duplicate child id '%s'", ids[i]);
				}
			}
			break;
		}
	}
	wt_free(ids);
}

void tier_cfg_check_lease(struct wt_cfg_ctx *ctx, const struct tier_cfg_lease *lease)
{
	if (lease->ttl_min_ms > lease->ttl_max_ms) {
		wt_cfg_error(ctx, "lease.ttl_min_ms", "ttl_min_ms %u is above ttl_max_ms %u",
			     lease->ttl_min_ms, lease->ttl_max_ms);
	}
	if (lease->quarantine_ms != 0 &&
	    lease->quarantine_ms < lease->ttl_max_ms + lease->skew_margin_ms) {
		wt_cfg_error(
			ctx, "lease.quarantine_ms",
			"quarantine_ms %u is shorter than ttl_max_ms + skew_margin_ms = %u ms: "
			"a restart could grant twice",
			lease->quarantine_ms, lease->ttl_max_ms + lease->skew_margin_ms);
	}
}

void tier_cfg_to_parent(const struct tier_cfg_child *children, uint32_t n,
			const struct tier_cfg_lease *lease, const struct tier_cfg_damper *damper,
			uint32_t base_w, uint32_t token_w, struct tier_parent_cfg *out,
			struct tier_parent_child **children_out)
{
	struct tier_parent_child *pc = wt_calloc(n ? n : 1, sizeof(*pc));
	uint64_t seed = wt_rand_seed();

	pool_cfg_default(&out->pool);
	out->pool.base_w = base_w;
	out->pool.token_w = token_w;
	out->pool.ttl_min_ms = lease->ttl_min_ms;
	out->pool.ttl_max_ms = lease->ttl_max_ms;
	out->pool.skew_margin_ms = lease->skew_margin_ms;
	out->pool.quarantine_ms =
		lease->quarantine_ms != 0 ? lease->quarantine_ms : POOL_QUARANTINE_DEFAULT;
	out->pool.children_hint = n;
	out->pool.damper.grow_pct = damper->grow_pct;
	out->pool.damper.shrink_pct = damper->shrink_pct;
	out->pool.damper.max_reversals = damper->max_reversals;
	out->pool.damper.window_ms = damper->window_ms;
	out->pool.damper.cooldown_ms = damper->cooldown_ms;
	out->pool.boot_nonce = wt_rand32(&seed);
	out->boot_id = ((uint64_t)wt_rand32(&seed) << 32) | wt_rand32(&seed);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(pc[i].id, sizeof(pc[i].id), "%s", children[i].id);
		pc[i].floor_w = children[i].floor_w;
		pc[i].load_class = (enum wt_load_class)children[i].load_class;
	}
	out->children = pc;
	out->n_children = n;
	*children_out = pc;
}
