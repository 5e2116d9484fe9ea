/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay load sources: the strict decoders of the Azure LLM request arrivals and of
 * the Zeus power-limit profiles, the synthetic training swing, and the demand matrix built from
 * a scenario (every node's demanded watts at every plant step). Traces are decoded by the
 * agent's trace decoder (agent/backend/trace_csv.h), which refuses missing columns,
 * non-monotonic time, NaN and negative watts with file, line and reason.
 * Decoders are pure (no I/O, no globals); the loaders read whole files first. */
#ifndef RP_SOURCES_H
#define RP_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define RP_ARRIVALS_MAX_ROWS 5000000u
#define RP_ZEUS_MAX_ROWS     100000u
#define RP_SOURCE_MAX_BYTES  (256u * 1024u * 1024u)
#define RP_ZEUS_MAX_POINTS   64u

/* Request arrivals: times in s after the first request, non-decreasing. */
struct rp_arrivals {
	size_t n;
	double *t_s;
	double mean_rate; /* requests per s over the file */
	double span_s;	  /* last - first arrival */
};

/* Decode the Azure CSV (header exactly "TIMESTAMP,ContextTokens,GeneratedTokens", rows
 * "YYYY-MM-DD HH:MM:SS[.fraction],<tokens>,<tokens>", times never decreasing, at least two
 * rows spanning > 0 s). Returns 0 (release with rp_arrivals_deinit()) or WT_EBADMSG / WT_E2BIG
 * with "name:line: reason" in @err. */
int rp_arrivals_parse(const char *name, const char *buf, size_t len, struct rp_arrivals *out,
		      char *err, size_t errlen);

int rp_arrivals_load(const char *path, struct rp_arrivals *out, char *err, size_t errlen);

void rp_arrivals_deinit(struct rp_arrivals *a);

/* Arrivals per s in [t - window/2, t + window/2), t taken modulo the span (the file loops). */
double rp_arrivals_rate(const struct rp_arrivals *a, double t_s, double window_s);

/* Zeus profile of one workload: throughput fraction as a function of power fraction, both
 * relative to the row with the highest average power. Points sorted by power. */
struct rp_zeus {
	size_t n;
	double power_frac[RP_ZEUS_MAX_POINTS];
	double work_frac[RP_ZEUS_MAX_POINTS];
};

/* Decode a Zeus summary_power CSV (header exactly
 * "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power"), keeping the
 * rows of @workload ("dataset/network/batch_size/optimizer"). Returns 0, or WT_EBADMSG with
 * "name:line: reason" (or "name: no rows for workload ..."). */
int rp_zeus_parse(const char *name, const char *buf, size_t len, const char *workload,
		  struct rp_zeus *out, char *err, size_t errlen);

int rp_zeus_load(const char *path, const char *workload, struct rp_zeus *out, char *err,
		 size_t errlen);

/* Work done per unit time at @power_frac of the uncapped draw, relative to uncapped (0..1):
 * interpolated between profile points, 1 at or above the top point, linear to (0, 0) below
 * the lowest. */
double rp_zeus_work_frac(const struct rp_zeus *z, double power_frac);

/* Synthetic training: watts of one node of @gpus workers at @t_ms (see sources.c for the
 * model). Deterministic in (cfg->seed, @node_seed, @t_ms). */
double rp_training_node_w(const struct rp_training_cfg *cfg, uint32_t gpus, uint64_t node_seed,
			  uint64_t t_ms);

/* Watts of one worker at @t_ms. */
double rp_training_gpu_w(const struct rp_training_cfg *cfg, uint64_t worker_seed, uint64_t t_ms);

/* The demand of every node at every plant step. */
struct rp_demand {
	size_t n_nodes;
	size_t n_steps; /* duration / step */
	uint32_t step_ms;
	double *w;			 /* w[node * n_steps + k]: demanded watts over step k */
	size_t *rack_of;		 /* node -> rack index */
	const struct rp_node_cfg **node; /* borrowed from the scenario */
};

/* Load every source the scenario names and build the matrix. Nothing is kept open. Returns 0,
 * or a negative code with the reason ("file:line: reason") in @err. */
int rp_demand_build(const struct rp_scenario *s, struct rp_demand *out, char *err, size_t errlen);

void rp_demand_deinit(struct rp_demand *d);

static inline double rp_demand_w(const struct rp_demand *d, size_t node, size_t k)
{
	return d->w[node * d->n_steps + k];
}

#endif
