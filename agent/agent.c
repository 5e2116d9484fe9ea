/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-agent state and lifecycle (see agent.h). */
#include "agent.h"

#include <stdio.h>
#include <string.h>

#include "backend/cap_split.h"
#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"
#include "wt/rand.h"

#define NS_PER_MS 1000000ull

/* Split the node cap over the devices (by their draw; the sum never exceeds the cap) and apply
 * what changed. A cap below n x the device minimum cannot be met: each device gets its minimum
 * and the emergency path reports the excess. */
static void apply_caps(struct agt_ctx *a, uint32_t cap_w, const struct agt_sample *s, uint64_t now)
{
	uint32_t caps[AGT_MAX_DEVICES];
	uint32_t n = s->n;

	agt_cap_split(cap_w, s, a->dev_min_w, a->dev_max_w, caps);
	for (uint32_t i = 0; i < n; i++) {
		if (caps[i] != a->dev_cap_w[i]) {
			agt_backend_set_cap(a->be, i, caps[i], now);
			a->dev_cap_w[i] = caps[i];
		}
	}
}

static void report(struct agt_ctx *a, uint64_t now)
{
	struct wt_report r = { 0 };

	if (a->rep_n == 0) {
		return;
	}
	r.power_avg_w = (uint32_t)(a->rep_sum_w / a->rep_n);
	r.power_peak_w = a->rep_peak_w;
	r.cap_w = a->cap_w;
	r.interval_ms = (uint32_t)((now - a->rep_start_ns) / NS_PER_MS);
	r.emergency_throttles = a->rep_emergencies;
	tier_clink_report(a->cl, &r);
	a->rep_sum_w = 0;
	a->rep_n = 0;
	a->rep_peak_w = 0;
	a->rep_emergencies = 0;
	a->rep_start_ns = now;
}

/* The sampling loop: the cap in force is recomputed from the clock every time, so a lease ends
 * here exactly when it ends, whatever the timers did. */
static void on_sample(uv_timer_t *t)
{
	struct agt_ctx *a = t->data;
	uint64_t now = tier_now_ns();
	struct agt_sample s;
	uint32_t cap = tier_clink_cap_w(a->cl, now);
	uint32_t floor = tier_child_floor_w(tier_clink_child(a->cl));
	uint32_t peak, want;

	if (now < a->emerg_until_ns && a->emerg_cap_w < cap) {
		cap = a->emerg_cap_w;
	}
	if (agt_backend_sample(a->be, now, &s) < 0) {
		return;
	}
	if (cap < a->cap_w) {
		a->cap_cut_ns = now;
	}
	/* Readings are whole watts per device, each rounded: their sum may exceed the sum of the
	 * device caps by up to n/2 W while every device honours its cap (the caps are re-split
	 * by draw at every sample, so the devices are rarely at whole watts). Without this
	 * margin such a reading trips the emergency path, which cuts 25 % below the floor and,
	 * when the cut ends, trips again. */
	if (s.total_w > cap + (s.n + 1) / 2 && now >= a->emerg_until_ns &&
	    now - a->cap_cut_ns >= (uint64_t)a->cfg.emergency.grace_ms * NS_PER_MS) {
		/* Emergency path: measured above the cap in force. Cut now, locally. */
		a->emerg_cap_w =
			(uint32_t)((uint64_t)cap * (100u - a->cfg.emergency.cut_pct) / 100u);
		a->emerg_until_ns = now + (uint64_t)a->cfg.emergency.hold_ms * NS_PER_MS;
		cap = a->emerg_cap_w;
		apply_caps(a, cap, &s, now);
		a->emerg_last_ns = tier_now_ns() - now;
		if (a->emerg_last_ns > a->emerg_max_ns) {
			a->emerg_max_ns = a->emerg_last_ns;
		}
		a->emergencies++;
		a->rep_emergencies++;
		WT_LOG_INFO("agent", "emergency throttle id=%s measured_w=%u cap_w=%u took_us=%llu",
			    a->cfg.id, s.total_w, cap,
			    (unsigned long long)(a->emerg_last_ns / 1000));
	} else {
		apply_caps(a, cap, &s, now);
	}
	a->cap_w = cap;
	a->last_measured_w = s.total_w;
	peak = agt_backend_predict_peak(a->be, now, a->cfg.predict_ms);
	want = peak > floor ? peak - floor : 0;
	tier_clink_set_want(a->cl, want, peak);

	if (a->rep_n == 0) {
		a->rep_start_ns = now;
	}
	a->rep_sum_w += s.total_w;
	a->rep_n++;
	if (s.total_w > a->rep_peak_w) {
		a->rep_peak_w = s.total_w;
	}
	if (now - a->rep_start_ns >= (uint64_t)a->cfg.report_ms * NS_PER_MS) {
		report(a, now);
	}
}

static void on_status(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct agt_ctx *a = arg;
	const struct tier_child *tc = tier_clink_child(a->cl);
	const struct tier_child_stats *cs = tier_child_stats(tc);
	uint64_t now = tier_now_ns();
	struct wt_status st = { 0 };
	bool children;
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc = wt_status_request_decode(req, len, WT_STATUS_REQUEST_MAX_BYTES, &children);

	if (rc < 0) {
		wt_rpc_call_reply(call, WT_RPC_INVALID_ARGUMENT, wt_strerror(rc), NULL, 0);
		return;
	}
	snprintf(st.id, sizeof(st.id), "%s", a->cfg.id);
	st.tier = WT_TIER_AGENT;
	st.floor_w = tier_child_floor_w(tc);
	st.upstream_lease_w = tier_child_lease_w(tc, now);
	st.upstream_left_ms =
		tier_child_lease_until_ns(tc) > now
			? (uint32_t)((tier_child_lease_until_ns(tc) - now) / NS_PER_MS)
			: 0;
	st.cap_w = a->cap_w;
	st.capacity_w = tier_clink_cap_w(a->cl, now);
	st.measured_w = a->last_measured_w;
	st.emergency_throttles = a->emergencies;
	st.grants = cs->grants;
	st.expiries = cs->expiries;
	st.protocol_errors = cs->errors + cs->stale;
	st.uptime_ms = (now - a->start_ns) / NS_PER_MS;
	rc = wt_status_encode(&st, WT_STATUS_MAX_BYTES, &out, &out_len);
	if (rc < 0) {
		wt_rpc_call_reply(call, WT_RPC_INTERNAL, wt_strerror(rc), NULL, 0);
		return;
	}
	wt_rpc_call_reply(call, WT_RPC_OK, NULL, out, out_len);
	wt_free(out);
}

static void on_metrics(void *arg, struct wt_metrics *m, uint64_t now_ns)
{
	struct agt_ctx *a = arg;

	if (a->cl == NULL) {
		return; /* stopping */
	}
	tier_daemon_metrics_child(m, a->cl, now_ns);
	wt_metrics_gauge(m, "wattlease_cap_watts",
			 "Node cap in force at the last sample (floor + lease, or the emergency "
			 "cut).",
			 NULL, a->cap_w);
	wt_metrics_gauge(m, "wattlease_measured_watts", "Node power at the last sample.", NULL,
			 a->last_measured_w);
	wt_metrics_gauge(m, "wattlease_nameplate_watts", "Installed maximum draw of the node.",
			 NULL, a->cfg.nameplate_w);
	wt_metrics_gauge(m, "wattlease_emergency_active", "1 while a local emergency cut holds.",
			 NULL, now_ns < a->emerg_until_ns ? 1 : 0);
	wt_metrics_counter(m, "wattlease_emergency_throttles_total",
			   "Local emergency cuts (a sample above the cap in force).", NULL,
			   a->emergencies);
}

static void on_health(void *arg, struct wt_http_body *body)
{
	struct agt_ctx *a = arg;

	tier_daemon_health_child(body, a->cl);
}

static void on_stop(void *arg)
{
	struct agt_ctx *a = arg;

	uv_close((uv_handle_t *)&a->t_sample, NULL);
	tier_clink_close(a->cl);
	a->cl = NULL;
}

static void on_final(void *arg)
{
	struct agt_ctx *a = arg;

	agt_backend_free(a->be);
	a->be = NULL;
	agt_trace_deinit(&a->trace);
}

static void on_reload(void *arg)
{
	struct agt_ctx *a = arg;
	struct agt_cfg fresh = { 0 };

	/* All or nothing. Reloadable: emergency.*, report_ms, sim.hold_phase */
	if (agt_cfg_load(a->d.opts->config_path, &fresh) < 0) {
		WT_LOG_WARN("agent", "reload refused path=%s (invalid config, keeping the old one)",
			    a->d.opts->config_path);
		return;
	}
	if (agt_cfg_reload_check(&a->cfg, &fresh) > 0) {
		WT_LOG_WARN("agent",
			    "reload refused path=%s (non-reloadable keys changed: restart "
			    "to apply them)",
			    a->d.opts->config_path);
		agt_cfg_free(&fresh);
		return;
	}
	/* The only step that can fail, so it goes before the swap. Other backends ignore it. */
	if (a->cfg.backend == AGT_BACKEND_SIM && fresh.sim.hold_phase != a->cfg.sim.hold_phase) {
		int rc = agt_sim_hold(a->be, fresh.sim.hold_phase, tier_now_ns());

		if (rc < 0) {
			WT_LOG_WARN("agent",
				    "reload refused path=%s sim_hold_phase=%s (%s, keeping the old "
				    "config)",
				    a->d.opts->config_path,
				    agt_sim_phase_name(fresh.sim.hold_phase), wt_strerror(rc));
			agt_cfg_free(&fresh);
			return;
		}
	}
	agt_cfg_free(&a->cfg);
	a->cfg = fresh;
	WT_LOG_INFO("agent",
		    "reload applied path=%s emergency_cut_pct=%u report_ms=%u sim_hold_phase=%s",
		    a->d.opts->config_path, a->cfg.emergency.cut_pct, a->cfg.report_ms,
		    agt_sim_phase_name(a->cfg.sim.hold_phase));
}

static int start_backend(struct agt_ctx *a)
{
	struct agt_sim_cfg scfg;
	struct agt_trace_cfg tcfg;
	struct agt_miner_cfg mcfg;
	struct agt_nvml_cfg ncfg;
	char err[256];
	int rc;

	switch (a->cfg.backend) {
	case AGT_BACKEND_TRACE:
		rc = agt_trace_load_file(a->cfg.trace.file, &a->trace, err, sizeof(err));
		if (rc < 0) {
			WT_LOG_ERR("agent", "cannot load trace (%s)", err);
			return rc;
		}
		agt_trace_cfg_init(&tcfg);
		tcfg.trace = &a->trace;
		tcfg.n_devices = a->cfg.trace.gpus;
		tcfg.loop = a->cfg.trace.loop;
		tcfg.offset_ms = a->cfg.trace.offset_ms;
		tcfg.scale = a->cfg.trace.scale;
		tcfg.predict_horizon_ms = a->cfg.predict_ms;
		a->dev_min_w = tcfg.min_cap_w;
		a->dev_max_w = a->cfg.nameplate_w / tcfg.n_devices;
		rc = agt_backend_trace_new(&a->be, &tcfg, a->start_ns);
		break;
	case AGT_BACKEND_NVML:
		agt_cfg_nvml(&a->cfg, &ncfg);
		rc = agt_backend_nvml_new(&a->be, &ncfg, a->start_ns, err, sizeof(err));
		if (rc < 0) {
			WT_LOG_ERR("agent", "cannot start the nvml backend (%s)", err);
			return rc;
		}
		/* The backend clamps each GPU to its own range: the split may use the widest. */
		a->dev_min_w = 0;
		a->dev_max_w = 0;
		for (uint32_t d = 0; d < agt_backend_devices(a->be); d++) {
			uint32_t lo, hi;

			agt_backend_nvml_range(a->be, d, &lo, &hi);
			a->dev_min_w = lo > a->dev_min_w ? lo : a->dev_min_w;
			a->dev_max_w = hi > a->dev_max_w ? hi : a->dev_max_w;
		}
		break;
	case AGT_BACKEND_MINER:
		agt_cfg_miner(&a->cfg, &mcfg);
		a->dev_min_w = 0;
		a->dev_max_w = UINT32_MAX;
		rc = agt_backend_miner_new(&a->be, &mcfg, a->start_ns);
		break;
	default:
		agt_cfg_sim(&a->cfg, &scfg);
		a->dev_min_w = scfg.min_cap_w;
		a->dev_max_w = scfg.max_cap_w;
		rc = agt_backend_sim_new(&a->be, &scfg, a->start_ns);
		break;
	}
	if (rc < 0) {
		WT_LOG_ERR("agent", "cannot start the backend kind=%s (%s)",
			   agt_backend_kind_name((enum agt_backend_kind)a->cfg.backend),
			   wt_strerror(rc));
	}
	return rc;
}

int agt_init(struct agt_ctx *a, struct wt_daemon_opts *opts)
{
	struct tier_clink_cfg ccfg = { 0 };
	struct wt_rpc_tls tls;
	char err[256];
	uint64_t seed = wt_rand_seed();
	int rc;

	rc = wt_daemon_tls(&a->cfg.tls, opts->insecure, &tls, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wattlease-agent: %s: %s\n", opts->config_path, err);
		return rc;
	}
	rc = tier_daemon_init(&a->d, "wattlease-agent", opts, a->cfg.listen, &tls);
	if (rc < 0) {
		return rc;
	}
	a->d.on_stop = on_stop;
	a->d.on_reload = on_reload;
	a->d.on_final = on_final;
	a->d.arg = a;
	a->start_ns = tier_now_ns();
	rc = start_backend(a);
	if (rc < 0) {
		return rc;
	}
	rc = wt_rpc_server_add_unary(a->d.srv, TIER_LEASE_STATUS_METHOD, on_status, a);
	if (rc < 0) {
		return rc;
	}
	ccfg.loop = &a->d.loop;
	ccfg.rt = a->d.rt;
	ccfg.channel.target = a->cfg.parent;
	ccfg.channel.connect_timeout_ms = 500;
	ccfg.channel.backoff_max_ms = 1000;
	ccfg.channel.tls = tls;
	snprintf(ccfg.child.id, sizeof(ccfg.child.id), "%s", a->cfg.id);
	ccfg.child.tier = WT_TIER_AGENT;
	ccfg.child.load_class = (enum wt_load_class)a->cfg.load_class;
	ccfg.child.floor_w = a->cfg.floor_w;
	ccfg.child.nameplate_w = a->cfg.nameplate_w;
	ccfg.child.ttl_ms = a->cfg.lease_ttl_ms;
	ccfg.child.budget_ms = a->cfg.budget_ms;
	ccfg.child.boot_id = ((uint64_t)wt_rand32(&seed) << 32) | wt_rand32(&seed);
	ccfg.child.software_version = WT_VERSION;
	rc = tier_clink_new(&a->cl, &ccfg);
	if (rc < 0) {
		WT_LOG_ERR("agent", "cannot reach the rack parent=%s (%s)", a->cfg.parent,
			   wt_strerror(rc));
		return rc;
	}
	rc = tier_daemon_metrics_start(&a->d, a->cfg.metrics_listen, a->cfg.id, on_metrics,
				       on_health);
	if (rc < 0) {
		return rc;
	}
	uv_timer_init(&a->d.loop, &a->t_sample);
	a->t_sample.data = a;
	uv_timer_start(&a->t_sample, on_sample, 0, a->cfg.sample_ms);
	tier_clink_start(a->cl);
	WT_LOG_INFO("agent",
		    "agent ready id=%s floor_w=%u nameplate_w=%u backend=%s devices=%u "
		    "parent=%s",
		    a->cfg.id, a->cfg.floor_w, a->cfg.nameplate_w,
		    agt_backend_kind_name((enum agt_backend_kind)a->cfg.backend),
		    agt_cfg_devices(&a->cfg), a->cfg.parent);
	return 0;
}
