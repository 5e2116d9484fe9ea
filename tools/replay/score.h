/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scoring: everything computed from matrices of watts per node per plant step,
 * so the live run only records what each virtual agent drew. Pure: no I/O, no clock.
 *   - baselines computed offline over the same demand: static derating (every node capped at
 *     a fixed fraction of nameplate) and perfect foresight (per rack and step, delivered =
 *     min(demand, rack limit); the site's budget on top: min(budget, sum over racks));
 *   - the plant: each rack's breaker (wt/breaker.h) on the rack's draw, the generator
 *     (wt/genset.h) on the site's draw, with trips and envelope violations counted;
 *   - GPU work lost to caps through a Zeus power-limit profile;
 *   - latency percentiles. */
#ifndef RP_SCORE_H
#define RP_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "sources.h"

/* What one policy delivered. */
struct rp_energy {
	double demanded_wh;
	double delivered_wh;
	double *rack_wh;	 /* per rack delivered (n_racks entries), owned */
	double work_lost_pct;	 /* NAN without a Zeus profile */
	uint64_t capped_samples; /* node-steps delivered below demand (by more than 1 W) */
};

/* Delivered watts per node per step (same layout as struct rp_demand). */
struct rp_alloc {
	size_t n_nodes, n_steps;
	double *w; /* owned */
};

void rp_alloc_init(struct rp_alloc *a, size_t n_nodes, size_t n_steps);

void rp_alloc_deinit(struct rp_alloc *a);

static inline double *rp_alloc_at(struct rp_alloc *a, size_t node, size_t k)
{
	return &a->w[node * a->n_steps + k];
}

/* Static derating: node i gets min(demand, @fraction x nameplate_i). */
void rp_alloc_static(const struct rp_scenario *s, const struct rp_demand *d, double fraction,
		     struct rp_alloc *out);

/* Perfect foresight: per rack and step min(D_r, limit_r), then the site budget
 * min(budget, sum); shared within a rack in proportion to demand (the energy is optimal
 * whatever the split). */
void rp_alloc_oracle(const struct rp_scenario *s, const struct rp_demand *d, struct rp_alloc *out);

/* Energy of @a against @d; @zeus may be NULL. Work lost: for every node-step with demand, the
 * fraction of work not done at delivered / demand of the power (rp_zeus_work_frac()), averaged
 * over those node-steps, in %. */
void rp_energy_of(const struct rp_scenario *s, const struct rp_demand *d, const struct rp_alloc *a,
		  const struct rp_zeus *zeus, struct rp_energy *out);

void rp_energy_deinit(struct rp_energy *e);

/* The plant's verdict on one allocation. */
struct rp_plant {
	uint64_t breaker_trips;	     /* all racks */
	uint64_t *rack_trips;	     /* per rack, owned */
	double *rack_max_w;	     /* per rack, owned */
	double *rack_min_headroom_w; /* limit - draw, lowest, per rack, owned */
	double site_max_w;
	/* generator */
	double nadir_hz, peak_hz;
	double max_recovery_s; /* longest time outside +-band/2 of the steady frequency */
	uint64_t dip_violations, overshoot_violations, step_violations, recovery_violations,
		overload_violations;
	uint64_t violations; /* sum of the five */
	/* BESS (the scenario's bess:; zero without) */
	double bess_out_wh;  /* energy delivered to the bus */
	double bess_peak_w;  /* highest mean discharge over a step */
	double bess_min_soc; /* lowest state of charge, 0..1 (1 without a BESS) */
	/* series for the report (n_steps entries each), owned */
	double *freq_hz;
	double *site_w; /* the generator's load: GPUs + miners - BESS */
	double *bess_w; /* BESS output (+ discharge, - charge) */
};

/* Run the breakers and the generator over the draw @a (step s->step_ms). Breaker trips latch
 * for the rest of the step and the breaker is reset (counted again if it trips again). Step
 * violations: episodes where the site load rose by more than max_step_pct of rated within the
 * trailing second. Dip/overshoot: episodes below/above the class limits. Recovery: episodes
 * outside +-band/2 of the steady-state frequency longer than the class's recovery time.
 * Overload: episodes above the rating. */
void rp_plant_eval(const struct rp_scenario *s, const struct rp_alloc *a, struct rp_plant *out);

/* Same with the miners' draw per step @miners_w (n_steps entries; NULL: none) on the bus, and
 * the scenario's BESS (if any) between the bus and the generator. The BESS rule is the cluster's
 * (broker/cluster/site.c clu_site_observe), in trace time: with load = GPUs + miners and
 * base = the lowest load over the trailing step window (genset.step_recovery_s: the steps
 * k - T/step .. k, the same span convention as the step check), it is asked to discharge max(0,
 * load - (base + max_step_pct of rated)); when it is not discharging and the load is below the
 * set-point (genset.setpoint_pct, else min_load_pct) it recharges at a twentieth of its power.
 * wt_bess_step() owns power, energy (never more than it holds, starting full) and response time;
 * the generator sees load - BESS (>= 0). */
void rp_plant_eval_site(const struct rp_scenario *s, const struct rp_alloc *a,
			const double *miners_w, struct rp_plant *out);

void rp_plant_deinit(struct rp_plant *p);

/* Percentiles of @n samples (copied and sorted; @v unchanged). */
struct rp_pct {
	uint64_t count;
	double p50, p99, p999, max, mean;
};

void rp_percentiles(const double *v, size_t n, struct rp_pct *out);

/* A growable vector of doubles (latency samples). */
struct rp_vec {
	double *v;
	size_t n, cap;
};

void rp_vec_push(struct rp_vec *vec, double x);

void rp_vec_deinit(struct rp_vec *vec);

#endif
