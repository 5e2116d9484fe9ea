/* SPDX-License-Identifier: Apache-2.0 */
/* YAML pieces every parent tier (rack, cluster) shares: its children with their floors and
 * classes, lease timings and the damper; and how they become a tier_parent_cfg. Keeping them in
 * one place keeps the rack's and the cluster's config files alike. */
#ifndef TIER_CFG_H
#define TIER_CFG_H

#include <stdint.h>

#include "tier_parent.h"
#include "wt/cfg.h"

/* One configured child. */
struct tier_cfg_child {
	char *id;
	uint32_t floor_w;
	int load_class; /* enum wt_load_class */
};

struct tier_cfg_lease {
	uint32_t ttl_min_ms;
	uint32_t ttl_max_ms;
	uint32_t skew_margin_ms;
	uint32_t quarantine_ms; /* 0: ttl_max + margin (the safe minimum) */
};

struct tier_cfg_damper {
	uint32_t grow_pct;
	uint32_t shrink_pct;
	uint32_t max_reversals;
	uint32_t window_ms;
	uint32_t cooldown_ms;
};

/* Enum table for "critical" | "training" | "batch" | "flexible". */
extern const struct wt_cfg_enum tier_cfg_classes[];
extern const struct wt_cfg_key tier_cfg_child_keys[];
extern const struct wt_cfg_key tier_cfg_damper_keys[];

/* Lease timing keys with the defaults of a tier whose children hold @what leases: agents'
 * (10-50 ms) or racks' (50-200 ms). */
extern const struct wt_cfg_key tier_cfg_agent_lease_keys[];
extern const struct wt_cfg_key tier_cfg_rack_lease_keys[];

/* Cross-field checks shared by rack and cluster: unique child ids, the sum of floors within
 * @own_floor_w (named @own_key in the message), ttl_min <= ttl_max. Reports through @ctx. */
void tier_cfg_check_children(struct wt_cfg_ctx *ctx, const struct tier_cfg_child *children,
			     uint32_t n, uint64_t own_floor_w, const char *own_key);

void tier_cfg_check_lease(struct wt_cfg_ctx *ctx, const struct tier_cfg_lease *lease);

/* Fill the pool and children parts of @out (children array newly allocated into *@children_out,
 * owned by the caller: wt_free it after tier_parent_new()). */
void tier_cfg_to_parent(const struct tier_cfg_child *children, uint32_t n,
			const struct tier_cfg_lease *lease, const struct tier_cfg_damper *damper,
			uint32_t base_w, uint32_t token_w, struct tier_parent_cfg *out,
			struct tier_parent_child **children_out);

#endif
