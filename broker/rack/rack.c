/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-rack state and lifecycle (see rack.h). */
#include "rack.h"

#include <stdio.h>
#include <string.h>

#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"
#include "wt/rand.h"

#define NS_PER_MS      1000000ull
#define RACK_REPORT_NS (100ull * NS_PER_MS)

static struct tier_parent *parent_of(struct rack_ctx *r)
{
	return tier_plink_parent(r->pl);
}

/* Try to acknowledge a held upstream Revoke: only once the agents fit under it. */
static void try_revoke(struct rack_ctx *r, uint64_t now)
{
	if (!r->revoke_held) {
		return;
	}
	if (tier_parent_upstream_lower(parent_of(r), r->held_revoke.revoke.watts, now) == 0) {
		r->revoke_held = false;
		tier_clink_deliver(r->cl, &r->held_revoke);
	}
}

/* Aggregate power reported to the cluster about every 100 ms. */
static void report_upstream(struct rack_ctx *r, uint64_t measured, uint64_t now)
{
	struct wt_report rep = { 0 };

	r->rep_sum_w += measured;
	r->rep_n++;
	if (measured > r->rep_peak_w) {
		r->rep_peak_w = measured;
	}
	if (now - r->rep_start_ns < RACK_REPORT_NS) {
		return;
	}
	rep.power_avg_w = (uint32_t)(r->rep_sum_w / r->rep_n);
	rep.power_peak_w = (uint32_t)r->rep_peak_w;
	rep.cap_w = tier_clink_cap_w(r->cl, now);
	rep.interval_ms = (uint32_t)((now - r->rep_start_ns) / NS_PER_MS);
	rep.emergency_throttles = (uint32_t)(r->emergency_throttles - r->rep_emergencies);
	rep.deadline_misses = (uint32_t)tier_parent_stats(parent_of(r))->deadline_misses;
	r->rep_emergencies = r->emergency_throttles;
	tier_clink_report(r->cl, &rep);
	r->rep_sum_w = 0;
	r->rep_n = 0;
	r->rep_peak_w = 0;
	r->rep_start_ns = now;
}

/* Breaker model, upstream want and the emergency path, every tick. */
static void on_tick(void *arg, uint64_t now)
{
	struct rack_ctx *r = arg;
	struct tier_parent *tp = parent_of(r);
	uint64_t measured = tier_parent_measured_w(tp);
	double dt_ms = r->last_tick_ns ? (double)(now - r->last_tick_ns) / 1e6 : 0.0;
	uint64_t cont = wt_breaker_pool_capacity_w(&r->cfg.bcfg);
	uint64_t burst = wt_breaker_burst_ceiling_w(&r->cfg.bcfg);
	uint64_t over_lease, want, allowed;

	if (r->cl == NULL) {
		return; /* stopping: the child link is closed */
	}
	r->last_tick_ns = now;
	if (wt_breaker_step(&r->cfg.bcfg, &r->bstate,
			    wt_breaker_watts_to_amps(&r->cfg.bcfg, (double)measured), dt_ms)) {
		WT_LOG_ERR("rack", "breaker model tripped id=%s measured_w=%llu", r->cfg.id,
			   (unsigned long long)measured);
		wt_breaker_state_init(&r->bstate);
	}
	/* What the breaker can carry for one whole upstream lease from its present state. */
	over_lease = wt_breaker_max_watts(&r->cfg.bcfg, &r->bstate, r->cfg.upstream_ttl_ms);
	r->limit_w = over_lease < burst ? over_lease : burst;
	if (r->limit_w < cont) {
		r->limit_w = cont;
	}
	/* Whole kW tokens: round the need up (a 300 W shortfall needs a token), and the breaker's
	 * allowance down (never ask for what it cannot carry). */
	want = (tier_parent_upstream_want(tp) + RACK_TOKEN_W - 1) / RACK_TOKEN_W * RACK_TOKEN_W;
	allowed = r->limit_w > r->cfg.floor_w ? r->limit_w - r->cfg.floor_w : 0;
	allowed = allowed / RACK_TOKEN_W * RACK_TOKEN_W;
	if (want > allowed) {
		want = allowed;
	}
	tier_clink_set_want(r->cl, (uint32_t)want, (uint32_t)measured);
	try_revoke(r, now);
	report_upstream(r, measured, now);

	/* Emergency: near the pickup (or above what we may draw), cut every agent at once. */
	if (now >= r->throttle_until_ns &&
	    (measured * 100 >= burst * r->cfg.emergency.near_pct || measured > r->limit_w)) {
		uint32_t n = tier_parent_throttle_all(tp, r->cfg.emergency.cut_pct,
						      r->cfg.emergency.hold_ms, "near pickup");

		r->throttle_until_ns = now + (uint64_t)r->cfg.emergency.hold_ms * NS_PER_MS;
		r->emergency_throttles++;
		WT_LOG_WARN(
			"rack", "emergency throttle id=%s measured_w=%llu limit_w=%llu agents=%u",
			r->cfg.id, (unsigned long long)measured, (unsigned long long)r->limit_w, n);
	}
}

static void on_change(void *arg, uint64_t now)
{
	struct rack_ctx *r = arg;
	const struct tier_child *tc = tier_clink_child(r->cl);

	if (r->revoke_held && !tier_clink_connected(r->cl)) {
		/* The stream it came on is gone; the cluster forgot it with the session, and the
		 * lease it was about simply runs out. */
		r->revoke_held = false;
	}
	tier_parent_upstream(parent_of(r), tier_child_lease_w(tc, now),
			     tier_child_lease_until_ns(tc), now);
}

static int filter(void *arg, const struct wt_parent_msg *m, uint64_t now)
{
	struct rack_ctx *r = arg;

	if (m->kind == WT_PARENT_MSG_THROTTLE) {
		/* The cluster's emergency reaches the GPUs through us. */
		tier_parent_throttle_all(parent_of(r), m->throttle.cut_pct, m->throttle.hold_ms,
					 m->throttle.reason);
		return 0;
	}
	if (m->kind != WT_PARENT_MSG_REVOKE) {
		return 0;
	}
	r->held_revoke = *m;
	r->revoke_held = true;
	try_revoke(r, now);
	return 1;
}

static void on_status(void *arg, struct wt_status *st, uint64_t now)
{
	struct rack_ctx *r = arg;
	const struct tier_child *tc;

	st->cap_w = (uint32_t)r->limit_w;
	if (r->cl == NULL) {
		return;
	}
	tc = tier_clink_child(r->cl);
	st->emergency_throttles += r->emergency_throttles;
	st->upstream_lease_w = tier_child_lease_w(tc, now);
	st->upstream_left_ms =
		tier_child_lease_until_ns(tc) > now
			? (uint32_t)((tier_child_lease_until_ns(tc) - now) / NS_PER_MS)
			: 0;
}

static void on_metrics(void *arg, struct wt_metrics *m, uint64_t now_ns)
{
	struct rack_ctx *r = arg;

	if (r->pl == NULL || r->cl == NULL) {
		return; /* stopping */
	}
	tier_daemon_metrics_parent(m, r->pl, now_ns);
	tier_daemon_metrics_child(m, r->cl, now_ns);
	wt_metrics_gauge(m, "wattlease_cap_watts",
			 "What this rack may draw now: floor + valid upstream lease.", NULL,
			 tier_clink_cap_w(r->cl, now_ns));
	wt_metrics_gauge(m, "wattlease_breaker_limit_watts",
			 "What the breaker allows over one upstream lease from its present state.",
			 NULL, (double)r->limit_w);
	wt_metrics_counter(m, "wattlease_emergency_throttles_total",
			   "Local emergency throttles (every agent cut near the pickup).", NULL,
			   r->emergency_throttles);
}

static void on_health(void *arg, struct wt_http_body *body)
{
	struct rack_ctx *r = arg;

	tier_daemon_health_child(body, r->cl);
}

static void on_stop(void *arg)
{
	struct rack_ctx *r = arg;

	tier_clink_close(r->cl);
	r->cl = NULL;
}

static void on_final(void *arg)
{
	struct rack_ctx *r = arg;

	tier_plink_close(r->pl);
	r->pl = NULL;
}

static void on_reload(void *arg)
{
	struct rack_ctx *r = arg;
	struct rack_cfg fresh = { 0 };

	struct pool_damper_cfg damper;

	/* All or nothing. Reloadable: emergency.*, damper.* */
	if (rack_cfg_load(r->d.opts->config_path, &fresh) < 0) {
		WT_LOG_WARN("rack", "reload refused path=%s (invalid config, keeping the old one)",
			    r->d.opts->config_path);
		return;
	}
	if (rack_cfg_reload_check(&r->cfg, &fresh) > 0) {
		WT_LOG_WARN("rack",
			    "reload refused path=%s (non-reloadable keys changed: restart to "
			    "apply them)",
			    r->d.opts->config_path);
		rack_cfg_free(&fresh);
		return;
	}
	damper = (struct pool_damper_cfg){ fresh.damper.grow_pct, fresh.damper.shrink_pct,
					   fresh.damper.max_reversals, fresh.damper.window_ms,
					   fresh.damper.cooldown_ms };
	if (r->pl != NULL && tier_parent_set_damper(parent_of(r), &damper) < 0) {
		WT_LOG_WARN("rack", "reload refused path=%s (damper out of range)",
			    r->d.opts->config_path);
		rack_cfg_free(&fresh);
		return;
	}
	rack_cfg_free(&r->cfg);
	r->cfg = fresh;
	WT_LOG_INFO("rack", "reload applied path=%s emergency_cut_pct=%u", r->d.opts->config_path,
		    r->cfg.emergency.cut_pct);
}

int rack_init(struct rack_ctx *r, struct wt_daemon_opts *opts)
{
	struct tier_plink_cfg pcfg = { 0 };
	struct tier_clink_cfg ccfg = { 0 };
	struct wt_rpc_tls tls;
	char err[256];
	uint64_t seed = wt_rand_seed();
	int rc;

	rc = wt_daemon_tls(&r->cfg.tls, opts->insecure, &tls, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wattlease-rack: %s: %s\n", opts->config_path, err);
		return rc;
	}
	rc = tier_daemon_init(&r->d, "wattlease-rack", opts, r->cfg.listen, &tls);
	if (rc < 0) {
		return rc;
	}
	r->d.on_stop = on_stop;
	r->d.on_reload = on_reload;
	r->d.on_final = on_final;
	r->d.arg = r;
	wt_breaker_state_init(&r->bstate);
	r->limit_w = wt_breaker_pool_capacity_w(&r->cfg.bcfg);

	pcfg.loop = &r->d.loop;
	pcfg.srv = r->d.srv;
	pcfg.tick_ms = r->cfg.tick_ms;
	pcfg.on_tick = on_tick;
	pcfg.on_status = on_status;
	pcfg.arg = r;
	tier_cfg_to_parent(r->cfg.children, (uint32_t)r->cfg.n_children, &r->cfg.lease,
			   &r->cfg.damper, r->cfg.floor_w, RACK_AGENT_TOKEN_W, &pcfg.parent,
			   &r->pchildren);
	snprintf(pcfg.parent.id, sizeof(pcfg.parent.id), "%s", r->cfg.id);
	pcfg.parent.tier = WT_TIER_RACK;
	pcfg.parent.pool.has_upstream = true;
	pcfg.parent.pool.start_ns = tier_now_ns();
	pcfg.parent.require_identity = !tls.insecure;
	pcfg.parent.own_budget_ms = r->cfg.budgets.rack_ms;
	pcfg.parent.upstream_budget_ms = r->cfg.budgets.cluster_ms;
	rc = tier_plink_new(&r->pl, &pcfg);
	wt_free(r->pchildren);
	r->pchildren = NULL;
	if (rc < 0) {
		WT_LOG_ERR("rack", "cannot build the lease service (%s)", wt_strerror(rc));
		return rc;
	}

	ccfg.loop = &r->d.loop;
	ccfg.rt = r->d.rt;
	ccfg.channel.target = r->cfg.parent;
	ccfg.channel.connect_timeout_ms = 1000;
	ccfg.channel.backoff_max_ms = 2000;
	ccfg.channel.tls = tls;
	snprintf(ccfg.child.id, sizeof(ccfg.child.id), "%s", r->cfg.id);
	ccfg.child.tier = WT_TIER_RACK;
	ccfg.child.load_class = (enum wt_load_class)r->cfg.load_class;
	ccfg.child.floor_w = r->cfg.floor_w;
	ccfg.child.nameplate_w = (uint32_t)wt_breaker_burst_ceiling_w(&r->cfg.bcfg);
	ccfg.child.ttl_ms = r->cfg.upstream_ttl_ms;
	ccfg.child.budget_ms = r->cfg.budgets.cluster_ms;
	ccfg.child.boot_id = ((uint64_t)wt_rand32(&seed) << 32) | wt_rand32(&seed);
	ccfg.child.software_version = WT_VERSION;
	ccfg.child.never_release = true; /* see tier_child_cfg: we re-grant this lease */
	ccfg.on_change = on_change;
	ccfg.filter = filter;
	ccfg.arg = r;
	rc = tier_clink_new(&r->cl, &ccfg);
	if (rc < 0) {
		WT_LOG_ERR("rack", "cannot reach the cluster parent=%s (%s)", r->cfg.parent,
			   wt_strerror(rc));
		return rc;
	}
	rc = tier_daemon_metrics_start(&r->d, r->cfg.metrics_listen, r->cfg.id, on_metrics,
				       on_health);
	if (rc < 0) {
		return rc;
	}
	tier_plink_start(r->pl);
	tier_clink_start(r->cl);
	WT_LOG_INFO("rack",
		    "rack ready id=%s floor_w=%u agents=%zu breaker_cont_w=%llu "
		    "burst_ceiling_w=%llu parent=%s",
		    r->cfg.id, r->cfg.floor_w, r->cfg.n_children,
		    (unsigned long long)wt_breaker_pool_capacity_w(&r->cfg.bcfg),
		    (unsigned long long)wt_breaker_burst_ceiling_w(&r->cfg.bcfg), r->cfg.parent);
	return 0;
}
