/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-agent: one per GPU node (or miner block). Samples its load every few ms, holds
 * 100 W tokens on 10-50 ms leases from its rack, enforces per-device caps = floor + lease, and
 * falls back to its static floor whenever it holds no valid lease. The emergency path is local:
 * a sample above the cap in force cuts the cap at once (default -25 %) without waiting for any
 * message, then reports upstream. */
#ifndef AGT_AGENT_H
#define AGT_AGENT_H

#include <stdint.h>

#include "backend/backend.h"
#include "backend/miner.h"
#include "backend/nvml.h"
#include "backend/sim.h"
#include "backend/trace.h"
#include "backend/trace_csv.h"
#include "tier_daemon.h"
#include "tier_link.h"
#include "wt/daemon.h"

struct agt_sim_yaml {
	uint32_t gpus;
	uint64_t seed;
	double correlation;
	uint32_t idle_w, preload_w, compute_w, teardown_w;
	uint32_t idle_ms, preload_ms, compute_ms, teardown_ms;
	uint32_t jitter_pct;
	uint32_t min_cap_w, max_cap_w;
	int hold_phase; /* AGT_SIM_CYCLE or enum agt_sim_phase (reloadable) */
};

struct agt_trace_yaml {
	char *file;
	uint32_t gpus;
	bool loop;
	uint32_t offset_ms;
	double scale;
};

struct agt_miner_yaml {
	uint32_t units;
	uint32_t unit_w;
	uint32_t shed_latency_ms;
	uint32_t restore_latency_ms;
	uint32_t min_off_ms;
};

struct agt_nvml_yaml {
	char *lib_path;
	uint32_t max_devices;
};

struct agt_emergency_yaml {
	uint32_t cut_pct;
	uint32_t hold_ms;
	uint32_t grace_ms; /* after a cap decrease, the devices' time to obey it */
};

struct agt_cfg {
	char *id;
	char *parent;
	char *listen;
	char *metrics_listen; /* NULL or "": no /metrics */
	uint32_t floor_w;
	uint32_t nameplate_w;
	int load_class;
	int backend; /* enum agt_backend_kind */
	uint32_t lease_ttl_ms;
	uint32_t budget_ms;
	uint32_t sample_ms;
	uint32_t report_ms;
	uint32_t predict_ms;
	struct agt_emergency_yaml emergency;
	struct agt_sim_yaml sim;
	struct agt_trace_yaml trace;
	struct agt_miner_yaml miner;
	struct agt_nvml_yaml nvml;
	struct wt_daemon_tls_cfg tls;
};

int agt_cfg_load(const char *path, struct agt_cfg *out);

void agt_cfg_free(struct agt_cfg *cfg);

/* SIGHUP: number of non-reloadable keys that differ (printed to stderr); 0 means apply. */
int agt_cfg_reload_check(const struct agt_cfg *old, const struct agt_cfg *fresh);

/* Build the backend configurations from the YAML blocks. */
void agt_cfg_sim(const struct agt_cfg *cfg, struct agt_sim_cfg *out);

void agt_cfg_miner(const struct agt_cfg *cfg, struct agt_miner_cfg *out);

void agt_cfg_nvml(const struct agt_cfg *cfg, struct agt_nvml_cfg *out);

/* Devices behind the configured backend. */
uint32_t agt_cfg_devices(const struct agt_cfg *cfg);

struct agt_ctx {
	struct tier_daemon d;
	struct agt_cfg cfg;
	struct tier_clink *cl;
	struct agt_backend *be;
	struct agt_trace trace; /* loaded trace (backend: trace), borrowed by be */
	uint32_t dev_min_w, dev_max_w;
	uv_timer_t t_sample;
	uint32_t dev_cap_w[AGT_MAX_DEVICES];
	uint32_t cap_w;		 /* cap in force at the last sample */
	uint64_t cap_cut_ns;	 /* when the cap in force last went down */
	uint32_t emerg_cap_w;	 /* emergency cap while active */
	uint64_t emerg_until_ns; /* emergency active before this */
	uint64_t emergencies;
	uint64_t emerg_last_ns; /* sample -> caps issued, last emergency (ns) */
	uint64_t emerg_max_ns;
	/* report accumulation */
	uint64_t rep_sum_w;
	uint32_t rep_n;
	uint32_t rep_peak_w;
	uint64_t rep_start_ns;
	uint32_t rep_emergencies;
	uint32_t last_measured_w;
	uint64_t start_ns;
};

int agt_init(struct agt_ctx *a, struct wt_daemon_opts *opts);

#endif
