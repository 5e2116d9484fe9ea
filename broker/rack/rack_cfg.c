/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-rack configuration: schema and the cross-field rules (floors fit the rack's own
 * floor, the floor fits the breaker, deadline budgets fit every protection zone). */
#include "rack.h"

#include <stddef.h>
#include <stdio.h>

#include "wt/err.h"
#include "wt/http.h"
#include "wt/lease_msg.h"

static const struct wt_cfg_enum standards[] = {
	{ "iec60947-2", WT_BREAKER_STD_IEC60947_2 },
	{ "iec60898-1", WT_BREAKER_STD_IEC60898_1 },
	{ NULL, 0 },
};

static const struct wt_cfg_key breaker_keys[] = {
	WT_CFG_ENUM("standard", struct rack_breaker_yaml, standard, standards,
		    WT_BREAKER_STD_IEC60947_2, 0, "Trip characteristic family."),
	WT_CFG_DOUBLE("rating_a", struct rack_breaker_yaml, rating_a, 1, 6300, 0, WT_CFG_REQUIRED,
		      "Continuous rating In (A)."),
	WT_CFG_DOUBLE("voltage_v", struct rack_breaker_yaml, voltage_v, 50, 1000, 415, 0,
		      "Line-to-line voltage for 3 phases, line-to-neutral for 1 (V)."),
	WT_CFG_U32("phases", struct rack_breaker_yaml, phases, 1, 3, 3, 0, "1 or 3."),
	WT_CFG_DOUBLE("power_factor", struct rack_breaker_yaml, power_factor, 0.5, 1, 0.95, 0,
		      "Converts watts to amps."),
	WT_CFG_DOUBLE("inst_pickup_x", struct rack_breaker_yaml, inst_pickup_x, 0, 20, 0, 0,
		      "Instantaneous pickup, multiple of In (0: the standard's default)."),
	WT_CFG_DOUBLE("lt_delay_s", struct rack_breaker_yaml, lt_delay_s, 0, 24, 0, 0,
		      "Long-time band at 6 x In in s (0: default)."),
	WT_CFG_DURATION_MS("clearing_ms", struct rack_breaker_yaml, clearing_ms, 1, 1000, 50, 0,
			   "Time from instantaneous pickup to interruption."),
	WT_CFG_END,
};

#define BUDGET_KEY(name, field, def, help)                                                         \
	WT_CFG_DURATION_MS(name, struct rack_budget_yaml, field, 1, 60000, def, 0, help)

static const struct wt_cfg_key budget_keys[] = {
	BUDGET_KEY("agent_ms", agent_ms, 5, "Meter + agent decision budget."),
	BUDGET_KEY("rack_ms", rack_ms, 20, "Rack decision budget."),
	BUDGET_KEY("cluster_ms", cluster_ms, 25, "Cluster decision budget."),
	BUDGET_KEY("gpu_throttle_ms", gpu_throttle_ms, 20, "From cap issued to power reduced."),
	BUDGET_KEY("utility_main_ms", utility_main_ms, 300, "Clearing time of the utility main."),
	BUDGET_KEY("site_switchgear_ms", site_switchgear_ms, 200, "Clearing time, switchgear."),
	BUDGET_KEY("distribution_ms", distribution_ms, 100, "Clearing time, distribution."),
	BUDGET_KEY("branch_ms", branch_ms, 50, "Clearing time of the branch breaker."),
	WT_CFG_END,
};

static const struct wt_cfg_key emergency_keys[] = {
	WT_CFG_U32("near_pct", struct rack_emergency_yaml, near_pct, 50, 100, 95, 0,
		   "Throttle every agent when measured power reaches this % of the burst "
		   "ceiling (0.85 x instantaneous pickup)."),
	WT_CFG_U32("cut_pct", struct rack_emergency_yaml, cut_pct, 1, 90, 25, 0,
		   "Cut asked of every agent."),
	WT_CFG_DURATION_MS("hold_ms", struct rack_emergency_yaml, hold_ms, 1, 60000, 200, 0,
			   "How long the cut holds."),
	WT_CFG_END,
};

static const struct wt_cfg_key rack_keys[] = {
	WT_CFG_STRING("id", struct rack_cfg, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Identity (the cluster's children entry; the certificate's common name)."),
	WT_CFG_STRING("listen", struct rack_cfg, listen, 3, 255, "127.0.0.1:7001", 0,
		      "Address for agents and tools, host:port (port 0 picks one)."),
	WT_CFG_STRING("metrics_listen", struct rack_cfg, metrics_listen, 0, 255, NULL, 0,
		      "HTTP address of /metrics and /healthz, numeric host:port (port 0 "
		      "picks one); absent or \"\": off."),
	WT_CFG_STRING("parent", struct rack_cfg, parent, 3, 255, NULL, WT_CFG_REQUIRED,
		      "The cluster orchestrator, host:port."),
	WT_CFG_WATTS("floor_w", struct rack_cfg, floor_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Static floor: equal to the cluster's floor_w for this rack."),
	WT_CFG_ENUM("class", struct rack_cfg, load_class, tier_cfg_classes, WT_LOAD_CLASS_BATCH, 0,
		    "Class of the rack's load towards the cluster."),
	WT_CFG_DURATION_MS("upstream_ttl_ms", struct rack_cfg, upstream_ttl_ms, 10, 3600000, 150, 0,
			   "Lease asked of the cluster."),
	WT_CFG_DURATION_MS("tick_ms", struct rack_cfg, tick_ms, 1, 1000, 5, 0,
			   "Housekeeping and breaker-model period."),
	WT_CFG_MAP("breaker", struct rack_cfg, breaker, struct rack_breaker_yaml, breaker_keys,
		   WT_CFG_REQUIRED, "The branch breaker protecting this rack."),
	WT_CFG_MAP("budgets", struct rack_cfg, budgets, struct rack_budget_yaml, budget_keys, 0,
		   "Deadline budgets per tier and clearing times per protection zone."),
	WT_CFG_MAP("emergency", struct rack_cfg, emergency, struct rack_emergency_yaml,
		   emergency_keys, WT_CFG_RELOADABLE,
		   "Local emergency throttling near the pickup (reloadable)."),
	WT_CFG_MAP("lease", struct rack_cfg, lease, struct tier_cfg_lease,
		   tier_cfg_agent_lease_keys, 0, "Leases granted to agents (100 W tokens)."),
	WT_CFG_MAP("damper", struct rack_cfg, damper, struct tier_cfg_damper, tier_cfg_damper_keys,
		   0, "Anti-oscillation damper applied per agent."),
	WT_CFG_MAP("tls", struct rack_cfg, tls, struct wt_daemon_tls_cfg, wt_daemon_tls_keys, 0,
		   "mTLS material (required unless --insecure)."),
	WT_CFG_LIST("children", struct rack_cfg, children, n_children, struct tier_cfg_child,
		    tier_cfg_child_keys, 1, 100000, WT_CFG_REQUIRED,
		    "Agents with their static floors and classes."),
	WT_CFG_END,
};

static void derive(struct rack_cfg *c)
{
	const struct rack_breaker_yaml *b = &c->breaker;
	struct wt_budget_cfg *g = &c->budget;

	wt_breaker_cfg_init(&c->bcfg, (enum wt_breaker_std)b->standard, b->rating_a, b->voltage_v,
			    b->phases);
	c->bcfg.power_factor = b->power_factor;
	if (b->inst_pickup_x > 0) {
		c->bcfg.inst_pickup_x = b->inst_pickup_x;
	}
	if (b->lt_delay_s > 0) {
		c->bcfg.lt_delay_s = b->lt_delay_s;
	}
	c->bcfg.clearing_ms = b->clearing_ms;
	wt_budget_cfg_init(g);
	g->tier_budget_ms[WT_BUDGET_AGENT] = c->budgets.agent_ms;
	g->tier_budget_ms[WT_BUDGET_RACK] = c->budgets.rack_ms;
	g->tier_budget_ms[WT_BUDGET_CLUSTER] = c->budgets.cluster_ms;
	g->tier_budget_ms[WT_BUDGET_GPU_THROTTLE] = c->budgets.gpu_throttle_ms;
	g->zone_clearing_ms[WT_ZONE_UTILITY_MAIN] = c->budgets.utility_main_ms;
	g->zone_clearing_ms[WT_ZONE_SITE_SWITCHGEAR] = c->budgets.site_switchgear_ms;
	g->zone_clearing_ms[WT_ZONE_DISTRIBUTION] = c->budgets.distribution_ms;
	g->zone_clearing_ms[WT_ZONE_BRANCH] = c->budgets.branch_ms;
}

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	/* A shallow copy is enough: derive() only fills the derived fields. */
	struct rack_cfg copy = *(const struct rack_cfg *)p;
	struct rack_cfg *c = &copy;
	char err[256];
	uint64_t cont_w;
	struct sockaddr_storage ss;

	derive(c);
	tier_cfg_check_children(ctx, c->children, (uint32_t)c->n_children, c->floor_w, "floor_w");
	tier_cfg_check_lease(ctx, &c->lease);
	if (wt_daemon_check_addr(c->listen) < 0) {
		wt_cfg_error(ctx, "listen", "'%s' is not host:port", c->listen);
	}
	if (wt_daemon_check_addr(c->parent) < 0) {
		wt_cfg_error(ctx, "parent", "'%s' is not host:port", c->parent);
	}
	if (c->metrics_listen != NULL && c->metrics_listen[0] != '\0' &&
	    wt_http_addr_parse(c->metrics_listen, &ss) < 0) {
		wt_cfg_error(ctx, "metrics_listen", "'%s' is not a numeric host:port",
			     c->metrics_listen);
	}
	if (wt_breaker_cfg_validate(&c->bcfg, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "breaker", "%s", err);
		return 0;
	}
	cont_w = wt_breaker_pool_capacity_w(&c->bcfg);
	if (c->floor_w > cont_w) {
		wt_cfg_error(ctx, "floor_w",
			     "floor %u W is above 0.8 x the breaker's continuous rating = %llu W",
			     c->floor_w, (unsigned long long)cont_w);
	}
	if (c->floor_w % RACK_TOKEN_W != 0) {
		wt_cfg_error(ctx, "floor_w", "floor %u W is not a whole number of kW", c->floor_w);
	}
	if (wt_budget_validate(&c->budget, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "budgets", "%s", err);
	}
	return 0;
}

int rack_cfg_load(const char *path, struct rack_cfg *out)
{
	int rc = wt_daemon_cfg_load("wattlease-rack", path, rack_keys, out, sizeof(*out), validate);

	if (rc == 0) {
		derive(out);
	}
	return rc;
}

int rack_cfg_reload_check(const struct rack_cfg *old, const struct rack_cfg *fresh)
{
	return wt_daemon_cfg_reload_check("wattlease-rack", rack_keys, old, fresh);
}

void rack_cfg_free(struct rack_cfg *cfg)
{
	wt_cfg_free(rack_keys, cfg);
}
