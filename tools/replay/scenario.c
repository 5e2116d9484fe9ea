/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scenario: schema, cross-field rules and derived values (see scenario.h). */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/lease_msg.h"

static const struct wt_cfg_enum sources[] = {
	{ "trace", RP_SRC_TRACE },
	{ "training", RP_SRC_TRAINING },
	{ "constant", RP_SRC_CONSTANT },
	{ NULL, 0 },
};

static const struct wt_cfg_enum iso_classes[] = {
	{ "G1", WT_ISO8528_G1 },
	{ "G2", WT_ISO8528_G2 },
	{ "G3", WT_ISO8528_G3 },
	{ NULL, 0 },
};

static const struct wt_cfg_key node_keys[] = {
	WT_CFG_STRING("id", struct rp_node_cfg, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Agent id (the rack's children entry)."),
	WT_CFG_ENUM("source", struct rp_node_cfg, source, sources, RP_SRC_TRACE, 0,
		    "trace, training or constant."),
	WT_CFG_STRING("trace", struct rp_node_cfg, trace, 1, 480, NULL, 0,
		      "source trace: ML.ENERGY power CSV (relative to this file)."),
	WT_CFG_DURATION_MS("offset", struct rp_node_cfg, offset_ms, 0, 1000000000, 0, 0,
			   "Start this far into the source (traces loop)."),
	WT_CFG_DOUBLE("scale", struct rp_node_cfg, scale, 0.01, 100, 1, 0,
		      "Multiply the source's watts."),
	WT_CFG_BOOL("arrivals", struct rp_node_cfg, arrivals, false, 0,
		    "Shape the load by the request arrival rate (arrivals: block)."),
	WT_CFG_DURATION_MS("arrivals_offset", struct rp_node_cfg, arrivals_offset_ms, 0, 1000000000,
			   0, 0, "Start this far into the arrivals file."),
	WT_CFG_U32("gpus", struct rp_node_cfg, gpus, 1, 64, 8, 0,
		   "source training: workers (GPUs) in this node."),
	WT_CFG_WATTS("constant_w", struct rp_node_cfg, constant_w, 0, WT_WATTS_MAX, 0, 0,
		     "source constant: the draw."),
	WT_CFG_WATTS("nameplate_w", struct rp_node_cfg, nameplate_w, 100, WT_WATTS_MAX, 5600, 0,
		     "Installed maximum draw (demand is clipped to it)."),
	WT_CFG_WATTS("floor_w", struct rp_node_cfg, floor_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Static floor of this node."),
	WT_CFG_ENUM("class", struct rp_node_cfg, load_class, tier_cfg_classes,
		    WT_LOAD_CLASS_CRITICAL, 0, "critical, training, batch or flexible."),
	WT_CFG_END,
};

static const struct wt_cfg_key rack_keys[] = {
	WT_CFG_STRING("id", struct rp_rack_cfg, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Rack id."),
	WT_CFG_WATTS("limit_w", struct rp_rack_cfg, limit_w, 1000, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Pool capacity (0.8 x the branch breaker's continuous rating); the breaker "
		     "is sized from it."),
	WT_CFG_WATTS("floor_w", struct rp_rack_cfg, floor_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Rack floor, whole kW; the nodes' floors must fit in it."),
	WT_CFG_ENUM("class", struct rp_rack_cfg, load_class, tier_cfg_classes,
		    WT_LOAD_CLASS_CRITICAL, 0, "Class of the rack towards the cluster."),
	WT_CFG_DOUBLE("voltage_v", struct rp_rack_cfg, voltage_v, 50, 1000, 415, 0,
		      "Branch voltage (line-to-line for 3 phases)."),
	WT_CFG_U32("phases", struct rp_rack_cfg, phases, 1, 3, 3, 0, "1 or 3."),
	WT_CFG_LIST("nodes", struct rp_rack_cfg, nodes, n_nodes, struct rp_node_cfg, node_keys, 1,
		    RP_MAX_NODES, WT_CFG_REQUIRED, "The rack's nodes and their load sources."),
	WT_CFG_END,
};

static const struct wt_cfg_key training_keys[] = {
	WT_CFG_DOUBLE("low_w", struct rp_training_cfg, low_w, 0, 2000, 120, 0,
		      "Per-GPU watts in the low phase."),
	WT_CFG_DOUBLE("high_w", struct rp_training_cfg, high_w, 0, 2000, 540, 0,
		      "Per-GPU watts in the high phase."),
	WT_CFG_DURATION_MS("high", struct rp_training_cfg, high_ms, 1, 86400000, 47000, 0,
			   "Length of the high (compute) phase."),
	WT_CFG_DURATION_MS("low", struct rp_training_cfg, low_ms, 1, 86400000, 22000, 0,
			   "Length of the low phase."),
	WT_CFG_DOUBLE("correlation", struct rp_training_cfg, correlation, 0.5, 1, 0.995, 0,
		      "Target cross-GPU correlation of power."),
	WT_CFG_DURATION_MS("jitter", struct rp_training_cfg, jitter_ms, 0, 600000, 200, 0,
			   "Per-worker skew of each phase edge (uniform, +-)."),
	WT_CFG_U64("seed", struct rp_training_cfg, seed, 0, INT64_MAX, 1, 0, "PRNG seed."),
	WT_CFG_END,
};

static const struct wt_cfg_key arrivals_keys[] = {
	WT_CFG_STRING("file", struct rp_arrivals_cfg, file, 0, 480, NULL, 0,
		      "Azure LLM inference trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens)."),
	WT_CFG_DURATION_MS("window", struct rp_arrivals_cfg, window_ms, 100, 3600000, 10000, 0,
			   "Sliding window of the arrival rate."),
	WT_CFG_DOUBLE("max_factor", struct rp_arrivals_cfg, max_factor, 0.1, 100, 3, 0,
		      "Rate / mean rate is clipped to [0, max_factor]."),
	WT_CFG_END,
};

static const struct wt_cfg_key genset_keys[] = {
	WT_CFG_WATTS("rated_w", struct rp_genset_yaml, rated_w, 0, 1000000000, 0, 0,
		     "Generator rating (0: the cluster budget)."),
	WT_CFG_DOUBLE("f_nominal_hz", struct rp_genset_yaml, f_nominal_hz, 50, 60, 60, 0,
		      "50 or 60."),
	WT_CFG_ENUM("class", struct rp_genset_yaml, iso_class, iso_classes, WT_ISO8528_G2, 0,
		    "ISO 8528-5 class G1..G3."),
	WT_CFG_DOUBLE("max_step_pct", struct rp_genset_yaml, max_step_pct, 1, 100, 10, 0,
		      "Largest sudden load acceptance, % of rated (over any 1 s)."),
	WT_CFG_DOUBLE("inertia_h_s", struct rp_genset_yaml, inertia_h_s, 0.05, 20, 0.5, 0,
		      "Inertia constant H (s)."),
	WT_CFG_DOUBLE("droop_pct", struct rp_genset_yaml, droop_pct, 0.5, 15, 5, 0, "Droop (%)."),
	WT_CFG_DOUBLE("governor_tau_s", struct rp_genset_yaml, governor_tau_s, 0.01, 30, 1, 0,
		      "Governor time constant (s)."),
	WT_CFG_DOUBLE("step_recovery_s", struct rp_genset_yaml, step_recovery_s, 0, 600, 10, 0,
		      "Least time between two maximum steps: the step window of the cluster's "
		      "pacing and of the BESS (s)."),
	WT_CFG_DOUBLE("min_load_pct", struct rp_genset_yaml, min_load_pct, 0, 90, 30, 0,
		      "Least continuous loading, % of rated."),
	WT_CFG_DOUBLE("setpoint_pct", struct rp_genset_yaml, setpoint_pct, 0, 100, 0, 0,
		      "Loading the cluster backfills the miners towards, % of rated (0: "
		      "min_load_pct)."),
	WT_CFG_BOOL("orchestrated", struct rp_genset_yaml, orchestrated, false, 0,
		    "Give the loopback cluster a site: block (mode generator) even without "
		    "miners or bess (which imply it)."),
	WT_CFG_END,
};

static const struct wt_cfg_key miners_keys[] = {
	WT_CFG_U32("units", struct rp_miners_yaml, units, 0, 100000, 0, 0,
		   "Miner units (0: no miners)."),
	WT_CFG_WATTS("unit_w", struct rp_miners_yaml, unit_w, 1000, WT_MINERS_MAX_UNIT_W, 3200, 0,
		     "Draw of one unit (at least 1 kW: the cluster leases whole kW)."),
	WT_CFG_DURATION_MS("shed_latency_ms", struct rp_miners_yaml, shed_latency_ms, 0,
			   WT_MINERS_MAX_LAT_MS, 200, 0,
			   "A unit told to stop keeps drawing this long (trace time)."),
	WT_CFG_DURATION_MS("restore_latency_ms", struct rp_miners_yaml, restore_latency_ms, 0,
			   WT_MINERS_MAX_LAT_MS, 2000, 0,
			   "A unit told to start draws nothing this long (trace time)."),
	WT_CFG_DURATION_MS("min_off_ms", struct rp_miners_yaml, min_off_ms, 0, WT_MINERS_MAX_LAT_MS,
			   10000, 0, "A unit stays off at least this long (trace time)."),
	WT_CFG_END,
};

static const struct wt_cfg_key bess_keys[] = {
	WT_CFG_WATTS("power_w", struct rp_bess_yaml, power_w, 0, 1000000000, 0, 0,
		     "Largest charge or discharge power (0: no BESS)."),
	WT_CFG_DOUBLE("energy_wh", struct rp_bess_yaml, energy_wh, 0, 1e10, 0, 0,
		      "Usable energy, Wh (starts full)."),
	WT_CFG_DURATION_MS("response_ms", struct rp_bess_yaml, response_ms, 0, 10000, 20, 0,
			   "Request-to-delivery dead time."),
	WT_CFG_END,
};

const struct wt_cfg_key rp_scenario_keys[] = {
	WT_CFG_DURATION_MS("duration", struct rp_scenario, duration_ms, 100, 86400000, 60000, 0,
			   "Trace time to replay."),
	WT_CFG_DURATION_MS("step", struct rp_scenario, step_ms, 10, 1000, 100, 0,
			   "Plant step in trace time (the ML.ENERGY traces have 100 ms)."),
	WT_CFG_DURATION_MS("predict", struct rp_scenario, predict_ms, 0, 10000, 200, 0,
			   "Virtual agents ask for their peak over this horizon (trace time)."),
	WT_CFG_WATTS("budget_w", struct rp_scenario, budget_w, 0, 1000000000, 0, 0,
		     "Cluster budget (0: the sum of the racks' limits)."),
	WT_CFG_DOUBLE("static_fraction", struct rp_scenario, static_fraction, 0.05, 1, 0.7, 0,
		      "Static derating baseline: fixed caps at this fraction of nameplate."),
	WT_CFG_DURATION_MS("agent_ttl", struct rp_scenario, agent_ttl_ms, 10, 50, 40, 0,
			   "Lease an agent asks of its rack."),
	WT_CFG_DURATION_MS("rack_ttl", struct rp_scenario, rack_ttl_ms, 50, 200, 150, 0,
			   "Lease a rack asks of the cluster."),
	WT_CFG_STRING("zeus_profile", struct rp_scenario, zeus_profile, 0, 480, NULL, 0,
		      "Zeus summary_power CSV (cap -> slowdown); absent: no work-loss figure."),
	WT_CFG_STRING("zeus_workload", struct rp_scenario, zeus_workload, 3, 200,
		      "imagenet/resnet50/128/adadelta", 0,
		      "Rows of the Zeus profile to use: dataset/network/batch_size/optimizer."),
	WT_CFG_MAP("training", struct rp_scenario, training, struct rp_training_cfg, training_keys,
		   0, "Synthetic training swing (sources 'training')."),
	WT_CFG_MAP("arrivals", struct rp_scenario, arrivals, struct rp_arrivals_cfg, arrivals_keys,
		   0, "Request arrivals that shape nodes with arrivals: true."),
	WT_CFG_MAP("genset", struct rp_scenario, genset, struct rp_genset_yaml, genset_keys, 0,
		   "Generator model fed with the site's draw."),
	WT_CFG_MAP("miners", struct rp_scenario, miners, struct rp_miners_yaml, miners_keys, 0,
		   "Miner fleet leased by the cluster as the genset's counterweight."),
	WT_CFG_MAP("bess", struct rp_scenario, bess, struct rp_bess_yaml, bess_keys, 0,
		   "BESS on the generator's bus."),
	WT_CFG_MAP("damper", struct rp_scenario, damper, struct tier_cfg_damper,
		   tier_cfg_damper_keys, 0, "Damper of the generated rack and cluster configs."),
	WT_CFG_LIST("racks", struct rp_scenario, racks, n_racks, struct rp_rack_cfg, rack_keys, 1,
		    RP_MAX_RACKS, WT_CFG_REQUIRED, "Racks and their nodes."),
	WT_CFG_END,
};

void rp_breaker_for_limit(uint32_t limit_w, double voltage_v, uint32_t phases,
			  struct wt_breaker_cfg *out)
{
	double w_per_a;
	double rated;

	wt_breaker_cfg_init(out, WT_BREAKER_STD_IEC60947_2, 1.0, voltage_v, phases);
	w_per_a = wt_breaker_amps_to_watts(out, 1.0);
	rated = ceil((double)limit_w / (WT_BREAKER_CONTINUOUS_FRACTION * w_per_a) * 1000.0) /
		1000.0;
	/* Round-trips through "%.3f" in the rack's config unchanged. */
	while (wt_breaker_cfg_init(out, WT_BREAKER_STD_IEC60947_2, rated, voltage_v, phases),
	       wt_breaker_pool_capacity_w(out) < limit_w) {
		rated += 0.001;
	}
}

static bool has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	const struct rp_scenario *s = p;
	uint64_t floors = 0, limits = 0;
	size_t n = 0;
	char key[160];

	(void)arg;
	for (size_t r = 0; r < s->n_racks; r++) {
		const struct rp_rack_cfg *rk = &s->racks[r];
		uint64_t nf = 0;
		struct wt_breaker_cfg b;

		rp_breaker_for_limit(rk->limit_w, rk->voltage_v, rk->phases, &b);
		snprintf(key, sizeof(key), "racks[%zu].limit_w", r);
		if (wt_breaker_cfg_validate(&b, NULL, 0) < 0) {
			wt_cfg_error(ctx, key,
				     "%u W needs a breaker of %.3f A, outside [1, 6300] A",
				     rk->limit_w, b.rated_a);
		}
		snprintf(key, sizeof(key), "racks[%zu].floor_w", r);
		if (rk->floor_w % 1000u != 0) {
			wt_cfg_error(ctx, key, "floor %u W is not a whole number of kW",
				     rk->floor_w);
		}
		if (rk->floor_w > rk->limit_w) {
			wt_cfg_error(ctx, key, "floor %u W is above limit_w %u W", rk->floor_w,
				     rk->limit_w);
		}
		for (size_t r2 = 0; r2 < r; r2++) {
			if (strcmp(s->racks[r2].id, rk->id) == 0) {
				snprintf(key, sizeof(key), "racks[%zu].id", r);
				wt_cfg_error(ctx, key, "'%s' is used twice", rk->id);
			}
		}
		for (size_t i = 0; i < rk->n_nodes; i++) {
			const struct rp_node_cfg *nd = &rk->nodes[i];

			nf += nd->floor_w;
			n++;
			if (nd->source == RP_SRC_TRACE && !has_text(nd->trace)) {
				snprintf(key, sizeof(key), "racks[%zu].nodes[%zu].trace", r, i);
				wt_cfg_error(ctx, key, "required for source trace");
			}
			if (nd->floor_w > nd->nameplate_w) {
				snprintf(key, sizeof(key), "racks[%zu].nodes[%zu].floor_w", r, i);
				wt_cfg_error(ctx, key, "floor %u W is above nameplate_w %u W",
					     nd->floor_w, nd->nameplate_w);
			}
			if (nd->arrivals && !has_text(s->arrivals.file)) {
				snprintf(key, sizeof(key), "racks[%zu].nodes[%zu].arrivals", r, i);
				wt_cfg_error(ctx, key, "needs arrivals.file");
			}
			for (size_t r2 = 0; r2 <= r; r2++) {
				size_t lim = r2 == r ? i : s->racks[r2].n_nodes;

				for (size_t j = 0; j < lim; j++) {
					if (strcmp(s->racks[r2].nodes[j].id, nd->id) == 0) {
						snprintf(key, sizeof(key),
							 "racks[%zu].nodes[%zu].id", r, i);
						wt_cfg_error(ctx, key, "'%s' is used twice",
							     nd->id);
					}
				}
			}
		}
		if (nf > rk->floor_w) {
			snprintf(key, sizeof(key), "racks[%zu].nodes", r);
			wt_cfg_error(ctx, key, "nodes' floors add up to %llu W, above floor_w %u W",
				     (unsigned long long)nf, rk->floor_w);
		}
		floors += rk->floor_w;
		limits += rk->limit_w;
	}
	if (n > RP_MAX_NODES) {
		wt_cfg_error(ctx, "racks", "%zu nodes, at most %u", n, RP_MAX_NODES);
	}
	if (s->budget_w != 0 && s->budget_w < floors) {
		wt_cfg_error(ctx, "budget_w", "%llu W is below the racks' floors (%llu W)",
			     (unsigned long long)s->budget_w, (unsigned long long)floors);
	}
	if (s->budget_w == 0 && limits > WT_WATTS_MAX) {
		wt_cfg_error(ctx, "budget_w", "the racks' limits add up to more than %llu W",
			     (unsigned long long)WT_WATTS_MAX);
	}
	if (s->step_ms > s->duration_ms) {
		wt_cfg_error(ctx, "step", "longer than duration");
	}
	if (s->training.high_w < s->training.low_w) {
		wt_cfg_error(ctx, "training.high_w", "below low_w");
	}
	if (s->bess.power_w > 0 && !(s->bess.energy_wh > 0)) {
		wt_cfg_error(ctx, "bess.energy_wh", "required (> 0) with bess.power_w");
	}
	if (s->bess.power_w == 0 && s->bess.energy_wh > 0) {
		wt_cfg_error(ctx, "bess.power_w", "required (> 0) with bess.energy_wh");
	}
	if (s->bess.energy_wh > 0 && s->bess.energy_wh < 0.01) {
		wt_cfg_error(ctx, "bess.energy_wh", "%g Wh, at least 0.01", s->bess.energy_wh);
	}
	if ((uint64_t)s->miners.units * s->miners.unit_w > WT_WATTS_MAX) {
		wt_cfg_error(ctx, "miners.units", "%u x %u W is more than %llu W", s->miners.units,
			     s->miners.unit_w, (unsigned long long)WT_WATTS_MAX);
	}
	if (s->genset.setpoint_pct > 0 && s->genset.setpoint_pct < s->genset.min_load_pct) {
		wt_cfg_error(ctx, "genset.setpoint_pct", "%g %% is below min_load_pct %g %%",
			     s->genset.setpoint_pct, s->genset.min_load_pct);
	}
	return 0;
}

/* A model's own validation failed after the schema passed: one error naming @key; frees @s. */
static int one_error(struct rp_scenario *s, struct wt_cfg_errors *errs, const char *key,
		     const char *msg)
{
	errs->count = 1;
	errs->dropped = 0;
	memset(&errs->e[0], 0, sizeof(errs->e[0]));
	snprintf(errs->e[0].key, sizeof(errs->e[0].key), "%s", key);
	snprintf(errs->e[0].msg, sizeof(errs->e[0].msg), "key '%s': %s", key, msg);
	rp_scenario_free(s);
	return WT_ECONFIG;
}

static int finish(struct rp_scenario *s, const char *dir, struct wt_cfg_errors *errs)
{
	uint64_t limits = 0;
	uint64_t rated;
	char err[256];

	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->n_nodes = 0;
	for (size_t r = 0; r < s->n_racks; r++) {
		struct rp_rack_cfg *rk = &s->racks[r];

		rp_breaker_for_limit(rk->limit_w, rk->voltage_v, rk->phases, &rk->bcfg);
		rk->pool_w = wt_breaker_pool_capacity_w(&rk->bcfg);
		limits += rk->limit_w;
		s->n_nodes += rk->n_nodes;
	}
	if (s->budget_w == 0) {
		s->budget_w = limits;
	}
	s->have_miners = s->miners.units > 0;
	s->miners_w = (uint64_t)s->miners.units * s->miners.unit_w;
	if (s->have_miners) {
		wt_miners_cfg_init(&s->mcfg);
		s->mcfg.n_units = s->miners.units;
		s->mcfg.unit_w = s->miners.unit_w;
		s->mcfg.shed_latency_ms = (uint32_t)s->miners.shed_latency_ms;
		s->mcfg.restore_latency_ms = (uint32_t)s->miners.restore_latency_ms;
		s->mcfg.min_off_ms = (uint32_t)s->miners.min_off_ms;
		if (wt_miners_cfg_validate(&s->mcfg, err, sizeof(err)) < 0) {
			return one_error(s, errs, "miners", err);
		}
	}
	s->have_bess = s->bess.power_w > 0;
	if (s->have_bess) {
		wt_bess_cfg_init(&s->bess_cfg, (double)s->bess.power_w, s->bess.energy_wh);
		s->bess_cfg.response_ms = (double)s->bess.response_ms;
		if (wt_bess_cfg_validate(&s->bess_cfg, err, sizeof(err)) < 0) {
			return one_error(s, errs, "bess", err);
		}
	}
	/* The set carries the GPUs' budget and the miners at full power. */
	rated = s->genset.rated_w != 0 ? s->genset.rated_w : s->budget_w + s->miners_w;
	wt_genset_cfg_init(&s->gcfg, (double)rated, s->genset.f_nominal_hz,
			   (enum wt_iso8528_class)s->genset.iso_class);
	s->gcfg.max_step_pct = s->genset.max_step_pct;
	s->gcfg.inertia_h_s = s->genset.inertia_h_s;
	s->gcfg.droop_pct = s->genset.droop_pct;
	s->gcfg.governor_tau_s = s->genset.governor_tau_s;
	s->gcfg.step_recovery_s = s->genset.step_recovery_s;
	s->gcfg.min_load_pct = s->genset.min_load_pct;
	if (wt_genset_cfg_validate(&s->gcfg, err, sizeof(err)) < 0) {
		return one_error(s, errs, "genset", err);
	}
	return 0;
}

int rp_scenario_load(const char *path, struct rp_scenario *out, struct wt_cfg_errors *errs)
{
	char dir[512];
	const char *slash = strrchr(path, '/');
	int rc;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (dir[0] == '\0') {
			snprintf(dir, sizeof(dir), "/");
		}
	}
	rc = wt_cfg_load_file(path, rp_scenario_keys, out, sizeof(*out), validate, NULL, errs);
	if (rc < 0) {
		return rc;
	}
	return finish(out, dir, errs);
}

int rp_scenario_load_buffer(const char *name, const char *dir, const char *buf, size_t len,
			    struct rp_scenario *out, struct wt_cfg_errors *errs)
{
	int rc = wt_cfg_load_buffer(name, buf, len, rp_scenario_keys, out, sizeof(*out), validate,
				    NULL, errs);

	if (rc < 0) {
		return rc;
	}
	return finish(out, dir, errs);
}

void rp_scenario_free(struct rp_scenario *s)
{
	wt_cfg_free(rp_scenario_keys, s);
}

int rp_scenario_path(const struct rp_scenario *s, const char *rel, char *out, size_t len)
{
	int n;

	if (rel[0] == '/') {
		n = snprintf(out, len, "%s", rel);
	} else {
		n = snprintf(out, len, "%s/%s", s->dir, rel);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
