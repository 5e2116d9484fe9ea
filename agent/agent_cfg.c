/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-agent configuration: schema and cross-field rules. */
#include "agent.h"

#include <stddef.h>
#include <stdio.h>

#include "tier_cfg.h"
#include "wt/err.h"
#include "wt/http.h"
#include "wt/lease_msg.h"

static const struct wt_cfg_enum backends[] = {
	{ "sim", AGT_BACKEND_SIM },
	{ "trace", AGT_BACKEND_TRACE },
	{ "miner", AGT_BACKEND_MINER },
	{ "nvml", AGT_BACKEND_NVML },
	{ NULL, 0 },
};

static const struct wt_cfg_key trace_keys[] = {
	WT_CFG_STRING("file", struct agt_trace_yaml, file, 1, 4096, NULL, 0,
		      "Power trace CSV (relative_time_s,power_total_W at 0.1 s steps)."),
	WT_CFG_U32("gpus", struct agt_trace_yaml, gpus, 1, AGT_MAX_DEVICES, 8, 0,
		   "GPUs the trace's total is spread over."),
	WT_CFG_BOOL("loop", struct agt_trace_yaml, loop, true, 0, "Start over at the end."),
	WT_CFG_DURATION_MS("offset_ms", struct agt_trace_yaml, offset_ms, 0, 86400000, 0, 0,
			   "Start this far into the trace (de-correlates nodes)."),
	WT_CFG_DOUBLE("scale", struct agt_trace_yaml, scale, 0, 100, 1, 0,
		      "Multiply the trace's watts by this."),
	WT_CFG_END,
};

static const struct wt_cfg_key nvml_keys[] = {
	WT_CFG_STRING("lib_path", struct agt_nvml_yaml, lib_path, 1, AGT_NVML_MAX_PATH,
		      AGT_NVML_LIB, 0,
		      "NVIDIA Management Library to dlopen() (name or absolute path)."),
	WT_CFG_U32("max_devices", struct agt_nvml_yaml, max_devices, 1, AGT_MAX_DEVICES,
		   AGT_MAX_DEVICES, 0, "Manage at most this many GPUs (the first in NVML order)."),
	WT_CFG_END,
};

static const struct wt_cfg_key miner_keys[] = {
	WT_CFG_U32("units", struct agt_miner_yaml, units, 1, AGT_MINER_MAX_UNITS, 16, 0,
		   "Miner units in this block."),
	WT_CFG_WATTS("unit_w", struct agt_miner_yaml, unit_w, 1, AGT_MINER_MAX_UNIT_W, 3200, 0,
		     "Draw of one unit."),
	WT_CFG_DURATION_MS("shed_latency_ms", struct agt_miner_yaml, shed_latency_ms, 0, 600000,
			   200, 0, "A shed unit keeps drawing this long."),
	WT_CFG_DURATION_MS("restore_latency_ms", struct agt_miner_yaml, restore_latency_ms, 0,
			   600000, 2000, 0, "A restored unit draws nothing this long."),
	WT_CFG_DURATION_MS("min_off_ms", struct agt_miner_yaml, min_off_ms, 0, 3600000, 10000, 0,
			   "A shed unit stays off at least this long."),
	WT_CFG_END,
};

/* "" (quoted) and "cycle" both mean no hold; the dump writes "cycle". */
static const struct wt_cfg_enum hold_phases[] = {
	{ "cycle", AGT_SIM_CYCLE },
	{ "idle", AGT_SIM_IDLE },
	{ "preload", AGT_SIM_PRELOAD },
	{ "compute", AGT_SIM_COMPUTE },
	{ "teardown", AGT_SIM_TEARDOWN },
	{ "", AGT_SIM_CYCLE },
	{ NULL, 0 },
};

#define SIM_W(name, field, def, help)                                                              \
	WT_CFG_WATTS(name, struct agt_sim_yaml, field, 0, AGT_SIM_MAX_W, def, 0, help)
#define SIM_MS(name, field, def, help)                                                             \
	WT_CFG_DURATION_MS(name, struct agt_sim_yaml, field, 0, AGT_SIM_MAX_PHASE_MS, def, 0, help)

static const struct wt_cfg_key sim_keys[] = {
	WT_CFG_U32("gpus", struct agt_sim_yaml, gpus, 1, AGT_MAX_DEVICES, 8, 0,
		   "Simulated GPUs in this node."),
	WT_CFG_U64("seed", struct agt_sim_yaml, seed, 0, INT64_MAX, 1, 0,
		   "Seed: the same seed gives the same power, sample for sample."),
	WT_CFG_DOUBLE("correlation", struct agt_sim_yaml, correlation, 0, 1, 1, 0,
		      "1: all GPUs change phase together; 0: independent offsets."),
	SIM_W("idle_w", idle_w, 100, "Per-GPU power when idle."),
	SIM_W("preload_w", preload_w, 250, "Per-GPU power while loading."),
	SIM_W("compute_w", compute_w, 650, "Per-GPU power while computing."),
	SIM_W("teardown_w", teardown_w, 200, "Per-GPU power while tearing down."),
	SIM_MS("idle_ms", idle_ms, 2000, "Length of the idle phase."),
	SIM_MS("preload_ms", preload_ms, 1000, "Length of the preload phase."),
	SIM_MS("compute_ms", compute_ms, 6000, "Length of the compute phase."),
	SIM_MS("teardown_ms", teardown_ms, 500, "Length of the teardown phase."),
	WT_CFG_U32("jitter_pct", struct agt_sim_yaml, jitter_pct, 0, 100, 10, 0,
		   "Noise on compute power, +- this %."),
	WT_CFG_WATTS("min_cap_w", struct agt_sim_yaml, min_cap_w, 1, AGT_SIM_MAX_W, 100, 0,
		     "Lowest per-GPU cap the device accepts."),
	WT_CFG_WATTS("max_cap_w", struct agt_sim_yaml, max_cap_w, 1, AGT_SIM_MAX_W, 700, 0,
		     "Highest per-GPU cap (nameplate)."),
	WT_CFG_ENUM(
		"hold_phase", struct agt_sim_yaml, hold_phase, hold_phases, AGT_SIM_CYCLE,
		WT_CFG_RELOADABLE,
		"Hold every GPU in this phase instead of cycling (a batch scheduler's command); "
		"cycle or \"\": cycle (reloadable: GPUs ramp to the new phase)."),
	WT_CFG_END,
};

static const struct wt_cfg_key emergency_keys[] = {
	WT_CFG_U32("cut_pct", struct agt_emergency_yaml, cut_pct, 1, 90, 25, 0,
		   "Cut applied at once when a sample exceeds the cap."),
	WT_CFG_DURATION_MS("hold_ms", struct agt_emergency_yaml, hold_ms, 1, 60000, 200, 0,
			   "How long the cut holds."),
	WT_CFG_DURATION_MS("grace_ms", struct agt_emergency_yaml, grace_ms, 0, 10000, 25, 0,
			   "After the cap goes down, readings above it are expected for this long "
			   "(the devices' cap response time, budget gpu_throttle)."),
	WT_CFG_END,
};

static const struct wt_cfg_key agt_keys[] = {
	WT_CFG_STRING("id", struct agt_cfg, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Identity (the rack's children entry; the certificate's common name)."),
	WT_CFG_STRING("parent", struct agt_cfg, parent, 3, 255, NULL, WT_CFG_REQUIRED,
		      "The rack coordinator, host:port."),
	WT_CFG_STRING("listen", struct agt_cfg, listen, 3, 255, "127.0.0.1:0", 0,
		      "Address of this agent's Status service, host:port (port 0 picks one)."),
	WT_CFG_STRING("metrics_listen", struct agt_cfg, metrics_listen, 0, 255, NULL, 0,
		      "HTTP address of /metrics and /healthz, numeric host:port (port 0 "
		      "picks one); absent or \"\": off."),
	WT_CFG_WATTS("floor_w", struct agt_cfg, floor_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Static floor cap: equal to the rack's floor_w for this node."),
	WT_CFG_WATTS("nameplate_w", struct agt_cfg, nameplate_w, 1, WT_WATTS_MAX, 0,
		     WT_CFG_REQUIRED, "Installed maximum draw of the node."),
	WT_CFG_ENUM("class", struct agt_cfg, load_class, tier_cfg_classes, WT_LOAD_CLASS_BATCH, 0,
		    "Priority class of the load."),
	WT_CFG_ENUM("backend", struct agt_cfg, backend, backends, AGT_BACKEND_SIM, 0,
		    "Where power comes from and caps go to."),
	WT_CFG_DURATION_MS("lease_ttl_ms", struct agt_cfg, lease_ttl_ms, 10, 50, 40, 0,
			   "Lease length asked of the rack."),
	WT_CFG_DURATION_MS("budget_ms", struct agt_cfg, budget_ms, 1, 10000, 45, 0,
			   "Deadline budget carried by each request."),
	WT_CFG_DURATION_MS("sample_ms", struct agt_cfg, sample_ms, 1, 1000, 5, 0,
			   "Power sampling and cap enforcement period."),
	WT_CFG_DURATION_MS("report_ms", struct agt_cfg, report_ms, 10, 60000, 100,
			   WT_CFG_RELOADABLE, "Power report period (reloadable)."),
	WT_CFG_DURATION_MS("predict_ms", struct agt_cfg, predict_ms, 1, 10000, 50, 0,
			   "Horizon of the predicted peak that sizes each demand."),
	WT_CFG_MAP("emergency", struct agt_cfg, emergency, struct agt_emergency_yaml,
		   emergency_keys, WT_CFG_RELOADABLE, "The local emergency path (reloadable)."),
	WT_CFG_MAP("sim", struct agt_cfg, sim, struct agt_sim_yaml, sim_keys, 0,
		   "Simulated GPUs (backend: sim)."),
	WT_CFG_MAP("trace", struct agt_cfg, trace, struct agt_trace_yaml, trace_keys, 0,
		   "Trace replay (backend: trace)."),
	WT_CFG_MAP("miner", struct agt_cfg, miner, struct agt_miner_yaml, miner_keys, 0,
		   "A block of bitcoin miners, a flexible load (backend: miner)."),
	WT_CFG_MAP("nvml", struct agt_cfg, nvml, struct agt_nvml_yaml, nvml_keys, 0,
		   "Real NVIDIA GPUs through NVML (backend: nvml; setting limits needs root)."),
	WT_CFG_MAP("tls", struct agt_cfg, tls, struct wt_daemon_tls_cfg, wt_daemon_tls_keys, 0,
		   "mTLS material (required unless --insecure)."),
	WT_CFG_END,
};

void agt_cfg_sim(const struct agt_cfg *c, struct agt_sim_cfg *s)
{
	agt_sim_cfg_init(s);
	s->n_devices = c->sim.gpus;
	s->seed = c->sim.seed;
	s->correlation = c->sim.correlation;
	s->phase[0].watts = c->sim.idle_w;
	s->phase[0].duration_ms = c->sim.idle_ms;
	s->phase[1].watts = c->sim.preload_w;
	s->phase[1].duration_ms = c->sim.preload_ms;
	s->phase[2].watts = c->sim.compute_w;
	s->phase[2].duration_ms = c->sim.compute_ms;
	s->phase[2].jitter_pct = c->sim.jitter_pct;
	s->phase[3].watts = c->sim.teardown_w;
	s->phase[3].duration_ms = c->sim.teardown_ms;
	s->min_cap_w = c->sim.min_cap_w;
	s->max_cap_w = c->sim.max_cap_w;
	s->predict_horizon_ms = c->predict_ms;
	s->hold_phase = c->sim.hold_phase;
}

void agt_cfg_miner(const struct agt_cfg *c, struct agt_miner_cfg *m)
{
	agt_miner_cfg_init(m);
	m->n_units = c->miner.units;
	m->unit_w = c->miner.unit_w;
	m->shed_latency_ms = c->miner.shed_latency_ms;
	m->restore_latency_ms = c->miner.restore_latency_ms;
	m->min_off_ms = c->miner.min_off_ms;
}

void agt_cfg_nvml(const struct agt_cfg *c, struct agt_nvml_cfg *n)
{
	agt_nvml_cfg_init(n);
	if (c->nvml.lib_path != NULL) {
		n->lib_path = c->nvml.lib_path;
	}
	n->max_devices = c->nvml.max_devices;
	n->predict_horizon_ms = c->predict_ms;
}

uint32_t agt_cfg_devices(const struct agt_cfg *c)
{
	switch (c->backend) {
	case AGT_BACKEND_TRACE:
		return c->trace.gpus;
	case AGT_BACKEND_MINER:
		return c->miner.units < AGT_MAX_DEVICES ? c->miner.units : AGT_MAX_DEVICES;
	case AGT_BACKEND_NVML:
		return c->nvml.max_devices; /* an upper bound: the GPUs present may be fewer */
	default:
		return c->sim.gpus;
	}
}

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	const struct agt_cfg *c = p;
	struct agt_sim_cfg s;
	char err[256];
	struct sockaddr_storage ss;

	if (wt_daemon_check_addr(c->parent) < 0) {
		wt_cfg_error(ctx, "parent", "'%s' is not host:port", c->parent);
	}
	if (wt_daemon_check_addr(c->listen) < 0) {
		wt_cfg_error(ctx, "listen", "'%s' is not host:port", c->listen);
	}
	if (c->metrics_listen != NULL && c->metrics_listen[0] != '\0' &&
	    wt_http_addr_parse(c->metrics_listen, &ss) < 0) {
		wt_cfg_error(ctx, "metrics_listen", "'%s' is not a numeric host:port",
			     c->metrics_listen);
	}
	if (c->floor_w > c->nameplate_w) {
		wt_cfg_error(ctx, "floor_w", "floor %u W is above nameplate_w %u W", c->floor_w,
			     c->nameplate_w);
	}
	if (c->backend == AGT_BACKEND_SIM) {
		agt_cfg_sim(c, &s);
		if (agt_sim_cfg_validate(&s, err, sizeof(err)) < 0) {
			wt_cfg_error(ctx, "sim", "%s", err);
		}
	}
	if (c->backend == AGT_BACKEND_TRACE) {
		struct agt_trace t = { 0 };

		if (c->trace.file == NULL) {
			wt_cfg_error(ctx, "trace", "backend 'trace' needs trace.file");
		} else if (agt_trace_load_file(c->trace.file, &t, err, sizeof(err)) < 0) {
			/* The loader names the CSV file, its line and the reason. */
			wt_cfg_error(ctx, "trace.file", "%s", err);
		}
		agt_trace_deinit(&t);
	}
	if (c->backend == AGT_BACKEND_NVML) {
		/* Never loads the library: --check-config works on a host without a GPU. */
		struct agt_nvml_cfg n;

		agt_cfg_nvml(c, &n);
		if (agt_nvml_cfg_validate(&n, err, sizeof(err)) < 0) {
			wt_cfg_error(ctx, "nvml", "%s", err);
		}
	}
	if (c->backend == AGT_BACKEND_MINER) {
		struct agt_miner_cfg m;

		agt_cfg_miner(c, &m);
		if (agt_miner_cfg_validate(&m, err, sizeof(err)) < 0) {
			wt_cfg_error(ctx, "miner", "%s", err);
		}
	}
	return 0;
}

int agt_cfg_load(const char *path, struct agt_cfg *out)
{
	return wt_daemon_cfg_load("wattlease-agent", path, agt_keys, out, sizeof(*out), validate);
}

int agt_cfg_reload_check(const struct agt_cfg *old, const struct agt_cfg *fresh)
{
	return wt_daemon_cfg_reload_check("wattlease-agent", agt_keys, old, fresh);
}

void agt_cfg_free(struct agt_cfg *cfg)
{
	wt_cfg_free(agt_keys, cfg);
}
