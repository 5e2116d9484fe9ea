/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay live run: one virtual agent per scenario node, each a tier_clink (one lease
 * stream to its rack, the same child code the agent daemon runs) on one libuv loop. Every plant
 * step the agent reads the cap in force (floor + valid lease - throttle), draws
 * min(demand, cap), reports that draw to its rack (so the rack's breaker model and emergency
 * path see it) and asks for its predicted peak over the scenario's horizon.
 *
 * Time: the trace advances @speed x faster than the wall clock; one plant step (step_ms of
 * trace time) takes step_ms / speed of wall time, and the daemons run in real time. Leases,
 * renewals and latency are therefore real, but measured against a trace that moves @speed x
 * faster: a lease round trip of L costs speed x L of trace time. speed 0 means "as fast as the
 * closed loop allows": one plant step per RP_RUN_MAX_STEP_WALL_MS of wall time (the racks'
 * default tick), i.e. 20 x for 100 ms steps.
 *
 * Miners (scenario miners:, needs @cluster_target): one more lease session, a child of the
 * cluster with tier agent and id RP_MINERS_ID, class flexible, floor 0, always wanting the whole
 * fleet. The cluster steers its lease ceiling. Every plant step it commands the fleet model
 * (wt/miners.h) to floor(cap / unit_w) units and draws what the model says, in trace time (the
 * miners are plant: their latencies are the hardware's, like the GPUs' traces); it reports that
 * draw to the cluster like the GPU agents report theirs. The cluster's own site model runs in
 * wall time, so at speeds above 1 it sees every trace edge that much steeper. */
#ifndef RP_RUN_H
#define RP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "sources.h"

#define RP_RUN_MAX_STEP_WALL_MS 5u

struct rp_run_opts {
	double speed;			/* trace seconds per wall second; 0: max */
	const char *const *rack_target; /* per rack "host:port" */
	const char *cluster_target;	/* "host:port" of the cluster; NULL: no miner agent */
	uint32_t warmup_ms;		/* wall time before step 0 (sessions, quarantines) */
	bool progress;			/* progress bar on stderr */
};

struct rp_live {
	struct rp_alloc drawn; /* what each virtual agent drew per step */
	struct rp_vec lat_us;  /* demand -> grant, agent tier, microseconds (wall) */
	uint64_t grants, throttles, deadline_misses, expiries, reconnects, unmet_samples;
	uint64_t late_steps; /* steps processed more than one step late (the loop fell behind) */
	double wall_s;
	double speed; /* effective */
	/* the miner agent (have_miners: it ran; the rest is zero otherwise) */
	bool have_miners;
	double *miners_w;	 /* fleet draw per step (n_steps entries), owned */
	uint32_t *miners_on;	 /* units drawing (on or shedding) per step, owned */
	uint64_t miner_sheds;	 /* units commanded off, total */
	uint64_t miner_restores; /* units commanded on, total */
	uint64_t miner_grants;	 /* leases the miner agent received */
};

/* Run the replay against racks at @o->rack_target. Returns 0, or a negative code with the
 * reason in @err (e.g. agents that never connected). On 0 release @out with
 * rp_live_deinit(). */
int rp_run(const struct rp_scenario *s, const struct rp_demand *d, const struct rp_run_opts *o,
	   struct rp_live *out, char *err, size_t errlen);

void rp_live_deinit(struct rp_live *l);

#endif
