/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-rack: one per rack / branch circuit. Leases 100 W tokens to its agents (10-50 ms)
 * out of its own floor plus the 1 kW-token lease it holds from the cluster (50-200 ms), and
 * never more than its breaker allows: 0.8 x the continuous rating, or a burst up to 0.85 x the
 * instantaneous pickup for as long as the trip curve (from the breaker's present thermal state)
 * allows over a lease. When the measured aggregate nears the pickup it tells every agent to
 * throttle at once. */
#ifndef RACK_RACK_H
#define RACK_RACK_H

#include <stdint.h>

#include "tier_cfg.h"
#include "tier_daemon.h"
#include "tier_link.h"
#include "wt/breaker.h"
#include "wt/budget.h"
#include "wt/daemon.h"

#define RACK_AGENT_TOKEN_W 100u
#define RACK_TOKEN_W	   1000u

struct rack_breaker_yaml {
	int standard; /* enum wt_breaker_std */
	double rating_a;
	double voltage_v;
	uint32_t phases;
	double power_factor;
	double inst_pickup_x; /* 0: the standard's default */
	double lt_delay_s;    /* 0: default */
	uint32_t clearing_ms;
};

struct rack_budget_yaml {
	uint32_t agent_ms, rack_ms, cluster_ms, gpu_throttle_ms;
	uint32_t utility_main_ms, site_switchgear_ms, distribution_ms, branch_ms;
};

struct rack_emergency_yaml {
	uint32_t near_pct; /* of the burst ceiling */
	uint32_t cut_pct;
	uint32_t hold_ms;
};

struct rack_cfg {
	char *id;
	char *listen;
	char *metrics_listen; /* NULL or "": no /metrics */
	char *parent;
	uint32_t floor_w;
	int load_class;
	uint32_t upstream_ttl_ms;
	uint32_t tick_ms;
	struct rack_breaker_yaml breaker;
	struct rack_budget_yaml budgets;
	struct rack_emergency_yaml emergency;
	struct tier_cfg_lease lease;
	struct tier_cfg_damper damper;
	struct wt_daemon_tls_cfg tls;
	struct tier_cfg_child *children;
	size_t n_children;
	/* derived at load time */
	struct wt_breaker_cfg bcfg;
	struct wt_budget_cfg budget;
};

int rack_cfg_load(const char *path, struct rack_cfg *out);

void rack_cfg_free(struct rack_cfg *cfg);

/* SIGHUP: number of non-reloadable keys that differ (printed to stderr); 0 means apply. */
int rack_cfg_reload_check(const struct rack_cfg *old, const struct rack_cfg *fresh);

struct rack_ctx {
	struct tier_daemon d;
	struct rack_cfg cfg;
	struct tier_plink *pl;
	struct tier_clink *cl;
	struct tier_parent_child *pchildren;
	struct wt_breaker_state bstate;
	uint64_t last_tick_ns;
	uint64_t limit_w; /* what the breaker allows over one upstream lease, now */
	uint64_t throttle_until_ns;
	uint64_t emergency_throttles;
	uint64_t rep_sum_w, rep_peak_w, rep_start_ns, rep_emergencies;
	uint32_t rep_n;
	bool revoke_held;
	struct wt_parent_msg held_revoke;
};

int rack_init(struct rack_ctx *r, struct wt_daemon_opts *opts);

#endif
