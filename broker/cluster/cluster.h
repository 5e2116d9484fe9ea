/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-cluster: the site's orchestrator. Holds the site budget and leases it to rack
 * coordinators in 1 kW tokens (ttl 50-200 ms) by priority and water-filling. It is the top of
 * the hierarchy: its capacity is the configured budget, forever. The generator envelope, miners
 * and the scheduler API attach here (issue "Off-grid site"): clu_ctx is their seam. */
#ifndef CLU_CLUSTER_H
#define CLU_CLUSTER_H

#include <stdint.h>

#include "tier_cfg.h"
#include "tier_daemon.h"
#include "tier_link.h"
#include "wt/daemon.h"

#define CLU_RACK_TOKEN_W 1000u

/* site: (site.h) as written in YAML; clu_cfg_site() turns it into a struct clu_site_cfg. */
struct clu_dr_yaml {
	char *start; /* "HH:MM" UTC */
	char *end;
	uint32_t target_w;
};

struct clu_gen_yaml {
	uint64_t rated_w;
	int iso_class;
	double max_step_pct, ramp_w_per_s, step_recovery_s, inertia_h_s, droop_pct;
	double governor_tau_s, f_nominal_hz, min_load_pct, setpoint_pct;
};

struct clu_grid_yaml {
	uint32_t import_limit_w;
	struct clu_dr_yaml *dr;
	size_t n_dr;
};

struct clu_miners_yaml {
	char *holder_id; /* the miner agent among children, or NULL: modelled only */
	uint32_t units, unit_w, shed_latency_ms, restore_latency_ms, min_on_ms, min_off_ms;
	uint32_t initial_on; /* CLU_MINERS_ALL: all */
};

struct clu_bess_yaml {
	uint64_t power_w;
	double energy_wh;
	uint32_t response_ms;
	double efficiency, initial_soc_pct;
};

struct clu_site_yaml {
	int mode; /* enum clu_site_mode */
	uint32_t gpu_idle_w;
	uint32_t smooth_ms;
	struct clu_gen_yaml generator;
	struct clu_grid_yaml grid;
	struct clu_miners_yaml miners;
	struct clu_bess_yaml bess;
};

#define CLU_MINERS_ALL 1000000u

/* scheduler_api: who may call it and how often WatchSite streams. */
struct clu_sched_yaml {
	char **clients; /* certificate names with the scheduler role */
	size_t n_clients;
	uint32_t watch_min_ms, watch_default_ms, max_jobs;
};

struct clu_cfg {
	char *id;
	char *listen;
	char *metrics_listen; /* NULL or "": no /metrics */
	uint32_t budget_w;    /* site budget: the pool's capacity */
	uint32_t tick_ms;
	struct tier_cfg_lease lease;
	struct tier_cfg_damper damper;
	struct wt_daemon_tls_cfg tls;
	struct tier_cfg_child *children;
	size_t n_children;
	struct clu_site_yaml site;
	struct clu_sched_yaml sched;
};

/* Load and validate @path into @out. Returns 0, or WT_ECONFIG/-errno with the errors printed
 * to stderr naming the file, line, key and range. */
int clu_cfg_load(const char *path, struct clu_cfg *out);

void clu_cfg_free(struct clu_cfg *cfg);

/* SIGHUP: returns how many non-reloadable keys differ between @old and @fresh (0: apply),
 * printing one line per key to stderr. */
int clu_cfg_reload_check(const struct clu_cfg *old, const struct clu_cfg *fresh);

struct clu_site_cfg;
/* The site model's config from the YAML one (valid after clu_cfg_load()). */
void clu_cfg_site(const struct clu_cfg *cfg, struct clu_site_cfg *out);

/* Print the effective configuration (for --check-config). */
void clu_cfg_dump(const struct clu_cfg *cfg, FILE *f);

struct clu_svc;

struct clu_ctx {
	struct tier_daemon d;
	struct clu_cfg cfg;
	struct tier_plink *pl;
	struct tier_parent_child *pchildren;
	struct clu_svc *svc; /* the scheduler API and the site model (sched_svc.c) */
};

/* Register wattlease.v1.Scheduler on the daemon's server and start the site model's timer. */
int clu_svc_new(struct clu_svc **out, struct clu_ctx *c);
/* Stop the timer and the streams (shutdown). */
void clu_svc_close(struct clu_svc *svc);
struct wt_metrics;
void clu_svc_metrics(struct clu_svc *svc, struct wt_metrics *m, uint64_t now_ns);

/* Build the daemon from a loaded config. Returns 0 or a negative code (logged). */
int clu_init(struct clu_ctx *c, struct wt_daemon_opts *opts);

#endif
