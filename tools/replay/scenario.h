/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scenario: one YAML file that describes the site to drive (racks with their
 * branch limit and floors, the cluster budget, the generator) and maps a load source to every
 * node (an ML.ENERGY power trace, a synthetic training swing or a constant) with its time
 * offset, scaling and whether Azure request arrivals shape it. Loaded with the project's schema
 * loader (wt/cfg.h): every error names the file, the line and the key. Relative paths are taken
 * from the scenario file's directory. Pure apart from reading the file; no clock, no network. */
#ifndef RP_SCENARIO_H
#define RP_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tier_cfg.h"
#include "wt/bess.h"
#include "wt/breaker.h"
#include "wt/cfg.h"
#include "wt/genset.h"
#include "wt/miners.h"

#define RP_MAX_NODES 4096u
#define RP_MAX_RACKS 256u
/* Holder id of the virtual miner agent (a child of the cluster). */
#define RP_MINERS_ID "miners"

enum rp_source_kind {
	RP_SRC_TRACE,	 /* ML.ENERGY CSV: relative_time_s,power_total_W */
	RP_SRC_TRAINING, /* synthetic training swing (the scenario's training: block) */
	RP_SRC_CONSTANT, /* constant_w */
};

struct rp_node_cfg {
	char *id;		     /* agent id, "<rack>/node-N" by convention */
	int source;		     /* enum rp_source_kind */
	char *trace;		     /* RP_SRC_TRACE: path (relative to the scenario's directory) */
	uint64_t offset_ms;	     /* start this far into the source (traces loop) */
	double scale;		     /* multiply the source's watts */
	bool arrivals;		     /* shape the load by the request arrival rate */
	uint64_t arrivals_offset_ms; /* start this far into the arrivals file */
	uint32_t gpus;		     /* RP_SRC_TRAINING: workers (GPUs) of this node */
	uint32_t constant_w;	     /* RP_SRC_CONSTANT */
	uint32_t nameplate_w;	     /* installed maximum draw; demand is clipped to it */
	uint32_t floor_w;	     /* static floor (the rack's children entry) */
	int load_class;		     /* enum wt_load_class */
};

struct rp_rack_cfg {
	char *id;
	uint32_t limit_w; /* pool capacity: 0.8 x the branch breaker's continuous rating */
	uint32_t floor_w; /* the rack's floor (cluster children entry); whole kW */
	int load_class;
	double voltage_v;
	uint32_t phases;
	struct rp_node_cfg *nodes;
	size_t n_nodes;
	/* derived at load time: the breaker whose pool capacity is limit_w (rated_a rounded up
	 * to 1 mA, as written into the rack's config) */
	struct wt_breaker_cfg bcfg;
	uint64_t pool_w; /* wt_breaker_pool_capacity_w(&bcfg), >= limit_w */
};

struct rp_training_cfg {
	double low_w;	    /* per GPU */
	double high_w;	    /* per GPU */
	uint64_t high_ms;   /* compute phase */
	uint64_t low_ms;    /* communication / checkpoint phase */
	double correlation; /* target cross-GPU correlation of power (0.5 .. 1) */
	uint64_t jitter_ms; /* per-worker, per-cycle skew of the phase edges (uniform +-) */
	uint64_t seed;
};

struct rp_arrivals_cfg {
	char *file;	    /* Azure LLM inference CSV; NULL or "": no shaping */
	uint64_t window_ms; /* sliding window of the rate */
	double max_factor;  /* rate / mean rate is clipped to [0, max_factor] */
};

struct rp_genset_yaml {
	uint64_t rated_w; /* 0: the cluster budget */
	double f_nominal_hz;
	int iso_class; /* enum wt_iso8528_class */
	double max_step_pct;
	double inertia_h_s;
	double droop_pct;
	double governor_tau_s;
	double step_recovery_s; /* least time between two maximum steps (the step window) */
	double min_load_pct;	/* the set's minimum loading, % of rated */
	double setpoint_pct;	/* loading the miners backfill towards (0: min_load_pct) */
	bool orchestrated;	/* write a site: block (mode generator) into the cluster config;
				 * implied by miners or bess */
};

/* The miner fleet leased by the cluster as its counterweight (units 0: none). One virtual miner
 * agent (holder "miners", tier agent, class flexible) draws what wt/miners.h says for the
 * target floor(lease cap / unit_w), in trace time. */
struct rp_miners_yaml {
	uint32_t units;
	uint32_t unit_w;
	uint64_t shed_latency_ms;
	uint64_t restore_latency_ms;
	uint64_t min_off_ms;
};

/* A BESS on the generator's bus (power_w 0: none). */
struct rp_bess_yaml {
	uint64_t power_w;
	double energy_wh;
	uint64_t response_ms;
};

struct rp_scenario {
	uint64_t duration_ms;	/* trace time replayed */
	uint32_t step_ms;	/* plant step in trace time */
	uint32_t predict_ms;	/* virtual agents ask for their peak over this horizon */
	uint64_t budget_w;	/* cluster budget; 0: sum of the racks' limits */
	double static_fraction; /* static derating baseline: caps at this x nameplate */
	uint32_t agent_ttl_ms;	/* lease an agent asks of its rack */
	uint32_t rack_ttl_ms;	/* lease a rack asks of the cluster */
	char *zeus_profile;	/* Zeus summary_power CSV; NULL or "": no work-loss figure */
	char *zeus_workload;	/* "dataset/network/batch_size/optimizer" */
	struct rp_training_cfg training;
	struct rp_arrivals_cfg arrivals;
	struct rp_genset_yaml genset;
	struct rp_miners_yaml miners;
	struct rp_bess_yaml bess;
	struct tier_cfg_damper damper;
	struct rp_rack_cfg *racks;
	size_t n_racks;
	/* derived */
	char dir[512]; /* directory of the scenario file */
	size_t n_nodes;
	struct wt_genset_cfg gcfg;
	bool have_miners; /* miners.units > 0: mcfg is valid */
	struct wt_miners_cfg mcfg;
	bool have_bess; /* bess.power_w > 0: bess_cfg is valid */
	struct wt_bess_cfg bess_cfg;
	uint64_t miners_w; /* the fleet at full power (units x unit_w), 0 without miners */
};

/* Does the loopback cluster get a site: block (generator mode)? */
static inline bool rp_scenario_orchestrated(const struct rp_scenario *s)
{
	return s->genset.orchestrated || s->have_miners || s->have_bess;
}

extern const struct wt_cfg_key rp_scenario_keys[];

/* Load and validate @path into @out. Returns 0, or a negative code after writing every error
 * to @errs (file:line: key ...). On success release with rp_scenario_free(). */
int rp_scenario_load(const char *path, struct rp_scenario *out, struct wt_cfg_errors *errs);

/* Same from a buffer; @dir is where relative paths are resolved. */
int rp_scenario_load_buffer(const char *name, const char *dir, const char *buf, size_t len,
			    struct rp_scenario *out, struct wt_cfg_errors *errs);

void rp_scenario_free(struct rp_scenario *s);

/* Resolve @rel against the scenario directory into @out (absolute paths are kept). Returns 0
 * or -ENAMETOOLONG. */
int rp_scenario_path(const struct rp_scenario *s, const char *rel, char *out, size_t len);

/* The breaker whose pool capacity (0.8 x In) is at least @limit_w on @voltage_v / @phases:
 * In rounded up to 1 mA. Used both here and when writing the rack's config. */
void rp_breaker_for_limit(uint32_t limit_w, double voltage_v, uint32_t phases,
			  struct wt_breaker_cfg *out);

#endif
