/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-plan site file: schema, derived physics configs and cross-field checks. Every range
 * a physics model enforces is checked again here by its own validator, so the message names the
 * section the value came from. */
#include "plan.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "wt/daemon.h"
#include "wt/err.h"

#define GEN  struct plan_generator_yaml
#define BESS struct plan_bess_yaml
#define MNR  struct plan_miners_yaml
#define BRK  struct plan_breakers_yaml
#define FLT  struct plan_fleet_yaml
#define PHS  struct plan_phase
#define SAT  struct plan_satellite_yaml
#define DRV  struct plan_drives_yaml
#define FIB  struct plan_fiber_yaml
#define LNK  struct plan_links_yaml

static const struct wt_cfg_enum iso_classes[] = {
	{ "G1", WT_ISO8528_G1 },
	{ "G2", WT_ISO8528_G2 },
	{ "G3", WT_ISO8528_G3 },
	{ NULL, 0 },
};

static const struct wt_cfg_key generator_keys[] = {
	WT_CFG_WATTS("rated_w", GEN, rated_w, 1000, 1000000000, 0, WT_CFG_REQUIRED,
		     "Rated real power (1 kW .. 1 GW)."),
	WT_CFG_ENUM("iso_class", GEN, iso_class, iso_classes, WT_ISO8528_G2, 0,
		    "ISO 8528-5 performance class the set must hold: G1, G2 or G3."),
	WT_CFG_DOUBLE("max_step_pct", GEN, max_step_pct, 1, 100, 10, 0,
		      "Largest sudden load acceptance, % of rated (datasheet step test)."),
	WT_CFG_DOUBLE("ramp_w_per_s", GEN, ramp_w_per_s, 0, 1e10, 0, 0,
		      "Sustained loading ramp in W/s (0: rated / 30 s)."),
	WT_CFG_DOUBLE("step_recovery_s", GEN, step_recovery_s, 0, 600, 10, 0,
		      "Least time between two maximum steps (s)."),
	WT_CFG_DOUBLE("inertia_h_s", GEN, inertia_h_s, 0.05, 20, 0.5, 0,
		      "Inertia constant H of engine + alternator (s)."),
	WT_CFG_DOUBLE("droop_pct", GEN, droop_pct, 0.5, 15, 5, 0,
		      "Governor droop, % of f0 from no load to rated."),
	WT_CFG_DOUBLE("governor_tau_s", GEN, governor_tau_s, 0.01, 30, 1, 0,
		      "Governor + engine time constant (s)."),
	WT_CFG_DOUBLE("f_nominal_hz", GEN, f_nominal_hz, 50, 60, 60, 0, "50 or 60."),
	WT_CFG_END,
};

static const struct wt_cfg_key bess_keys[] = {
	WT_CFG_WATTS("power_w", BESS, power_w, 1, 1000000000, 0, WT_CFG_REQUIRED,
		     "Largest discharge power."),
	WT_CFG_DOUBLE("energy_wh", BESS, energy_wh, 0.01, 1e10, 0, WT_CFG_REQUIRED,
		      "Usable energy (Wh)."),
	WT_CFG_DURATION_MS("response_ms", BESS, response_ms, 0, 10000, 20, 0,
			   "Request-to-delivery dead time."),
	WT_CFG_DOUBLE("efficiency", BESS, efficiency, 0.5, 1, 0.85, 0,
		      "AC round-trip efficiency (half of the loss is taken on discharge)."),
	WT_CFG_END,
};

static const struct wt_cfg_key miners_keys[] = {
	WT_CFG_U32("units", MNR, units, 0, WT_MINERS_MAX_UNITS, 0, WT_CFG_REQUIRED,
		   "Miner units (0: no miners)."),
	WT_CFG_WATTS("unit_w", MNR, unit_w, 1, WT_MINERS_MAX_UNIT_W, 3200, 0, "Power of one unit."),
	WT_CFG_DURATION_MS("shed_latency_ms", MNR, shed_latency_ms, 0, WT_MINERS_MAX_LAT_MS, 200, 0,
			   "From shed command to the unit drawing 0."),
	WT_CFG_DURATION_MS("restore_latency_ms", MNR, restore_latency_ms, 0, WT_MINERS_MAX_LAT_MS,
			   2000, 0, "From restore command to the unit drawing unit_w."),
	WT_CFG_END,
};

static const struct wt_cfg_key breakers_keys[] = {
	WT_CFG_DOUBLE("rating_a", BRK, rating_a, 0, 6300, 0, 0,
		      "Continuous rating In of the breaker feeding the GPU fleet (A); 0: none."),
	WT_CFG_DOUBLE("voltage_v", BRK, voltage_v, 50, 1000, 415, 0,
		      "Line-to-line voltage for 3 phases, line-to-neutral for 1 (V)."),
	WT_CFG_U32("phases", BRK, phases, 1, 3, 3, 0, "1 or 3."),
	WT_CFG_END,
};

static const struct wt_cfg_key phase_keys[] = {
	WT_CFG_STRING("name", PHS, name, 1, 32, NULL, WT_CFG_REQUIRED, "Phase name (idle, ...)."),
	WT_CFG_WATTS("watts_per_gpu", PHS, watts_per_gpu, 0, 100000, 0, WT_CFG_REQUIRED,
		     "Power of one GPU (with its share of the server) in this phase."),
	WT_CFG_END,
};

static const struct wt_cfg_key fleet_keys[] = {
	WT_CFG_U32("gpus", FLT, gpus, 1, 10000000, 0, WT_CFG_REQUIRED, "GPUs on the site."),
	WT_CFG_LIST("phases", FLT, phases, n_phases, PHS, phase_keys, 2, PLAN_MAX_PHASES,
		    WT_CFG_REQUIRED,
		    "Phases in the order a job goes through them; the first is the idle state "
		    "the fleet starts from and returns to."),
	WT_CFG_DOUBLE(
		"correlation", FLT, correlation, 0, 1, 0, WT_CFG_REQUIRED,
		"C: fraction of a phase change that lands on the same edge across the fleet."),
	WT_CFG_END,
};

static const struct wt_cfg_key satellite_keys[] = {
	WT_CFG_DOUBLE("cap_tb_per_month", SAT, cap_tb_per_month, 0, 1e6, 0, 0,
		      "Data cap of the plan (TB per month)."),
	WT_CFG_DOUBLE("mbps", SAT, mbps, 0, 1e6, 0, 0, "Sustained uplink throughput (Mbit/s)."),
	WT_CFG_DOUBLE("latency_ms", SAT, latency_ms, 0, 10000, 0, 0, "Round-trip latency (ms)."),
	WT_CFG_DOUBLE("usd_per_month", SAT, usd_per_month, 0, 1e9, 0, 0, "Plan price (USD/month)."),
	WT_CFG_END,
};

static const struct wt_cfg_key drives_keys[] = {
	WT_CFG_DOUBLE("tb_per_drive", DRV, tb_per_drive, 0, 1e4, 0, 0,
		      "Capacity of one drive (TB)."),
	WT_CFG_DOUBLE("usd_per_drive", DRV, usd_per_drive, 0, 1e7, 0, 0,
		      "Price of one drive (USD)."),
	WT_CFG_DOUBLE("days_in_transit", DRV, days_in_transit, 0, 365, 0, 0,
		      "Door-to-door shipping time (days)."),
	WT_CFG_END,
};

static const struct wt_cfg_key fiber_keys[] = {
	WT_CFG_DOUBLE("gbps", FIB, gbps, 0, 1e5, 0, 0, "Line rate (Gbit/s)."),
	WT_CFG_DOUBLE("latency_ms", FIB, latency_ms, 0, 10000, 0, 0, "Round-trip latency (ms)."),
	WT_CFG_DOUBLE("usd_per_month", FIB, usd_per_month, 0, 1e9, 0, 0,
		      "Lease price (USD/month)."),
	WT_CFG_END,
};

static const struct wt_cfg_key links_keys[] = {
	WT_CFG_DOUBLE("monthly_tb", LNK, monthly_tb, 0, 1e6, 0, 0,
		      "Data the site must move per month (TB); required with any link."),
	WT_CFG_MAP("satellite", LNK, satellite, SAT, satellite_keys, 0, "Satellite plan."),
	WT_CFG_MAP("drives", LNK, drives, DRV, drives_keys, 0, "Shipped drives."),
	WT_CFG_MAP("fiber", LNK, fiber, FIB, fiber_keys, 0, "Leased fiber."),
	WT_CFG_END,
};

const struct wt_cfg_key plan_cfg_keys[] = {
	WT_CFG_MAP("generator", struct plan_cfg, generator, GEN, generator_keys, WT_CFG_REQUIRED,
		   "The natural-gas genset the site runs on."),
	WT_CFG_MAP("bess", struct plan_cfg, bess, BESS, bess_keys, WT_CFG_REQUIRED,
		   "Battery / UPS that covers sub-second edges."),
	WT_CFG_MAP("miners", struct plan_cfg, miners, MNR, miners_keys, WT_CFG_REQUIRED,
		   "Bitcoin miners used as counterweight."),
	WT_CFG_MAP("breakers", struct plan_cfg, breakers, BRK, breakers_keys, 0,
		   "Optional: the breaker feeding the GPU fleet."),
	WT_CFG_MAP("fleet", struct plan_cfg, fleet, FLT, fleet_keys, WT_CFG_REQUIRED,
		   "The GPU fleet and its phases."),
	WT_CFG_MAP("links", struct plan_cfg, links, LNK, links_keys, 0,
		   "Optional: data links to compare."),
	WT_CFG_END,
};

void plan_cfg_derive(struct plan_cfg *c)
{
	const struct plan_generator_yaml *g = &c->generator;

	wt_genset_cfg_init(&c->gcfg, (double)g->rated_w, g->f_nominal_hz,
			   (enum wt_iso8528_class)g->iso_class);
	c->gcfg.max_step_pct = g->max_step_pct;
	if (g->ramp_w_per_s > 0) {
		c->gcfg.ramp_w_per_s = g->ramp_w_per_s;
	}
	c->gcfg.step_recovery_s = g->step_recovery_s;
	c->gcfg.inertia_h_s = g->inertia_h_s;
	c->gcfg.droop_pct = g->droop_pct;
	c->gcfg.governor_tau_s = g->governor_tau_s;

	wt_bess_cfg_init(&c->bcfg, (double)c->bess.power_w, c->bess.energy_wh);
	c->bcfg.response_ms = c->bess.response_ms;
	c->bcfg.efficiency = c->bess.efficiency;

	wt_miners_cfg_init(&c->mcfg);
	c->mcfg.n_units = c->miners.units;
	c->mcfg.unit_w = c->miners.unit_w;
	c->mcfg.shed_latency_ms = c->miners.shed_latency_ms;
	c->mcfg.restore_latency_ms = c->miners.restore_latency_ms;

	if (c->breakers.rating_a > 0) {
		wt_breaker_cfg_init(&c->brcfg, WT_BREAKER_STD_IEC60947_2, c->breakers.rating_a,
				    c->breakers.voltage_v, c->breakers.phases);
	}
}

/* A link section is "given" when any of its values is non-zero; then every value it needs must
 * be positive. */
static void check_positive(struct wt_cfg_ctx *ctx, const char *section, const char *field, double v)
{
	if (!(v > 0)) {
		wt_cfg_error(ctx, field, "must be > 0 when links.%s is given (got %g)", section, v);
	}
}

static void check_links(struct wt_cfg_ctx *ctx, const struct plan_links_yaml *l)
{
	const struct plan_satellite_yaml *s = &l->satellite;
	const struct plan_drives_yaml *d = &l->drives;
	const struct plan_fiber_yaml *f = &l->fiber;
	bool any = s->cap_tb_per_month > 0 || s->mbps > 0 || s->usd_per_month > 0 ||
		   s->latency_ms > 0 || d->tb_per_drive > 0 || d->usd_per_drive > 0 ||
		   d->days_in_transit > 0 || f->gbps > 0 || f->usd_per_month > 0 ||
		   f->latency_ms > 0;

	if (any && !(l->monthly_tb > 0)) {
		wt_cfg_error(ctx, "links.monthly_tb", "must be > 0 when a link is given (got %g)",
			     l->monthly_tb);
	}

	if (s->cap_tb_per_month > 0 || s->mbps > 0 || s->usd_per_month > 0 || s->latency_ms > 0) {
		check_positive(ctx, "satellite", "links.satellite.cap_tb_per_month",
			       s->cap_tb_per_month);
		check_positive(ctx, "satellite", "links.satellite.mbps", s->mbps);
	}
	if (d->tb_per_drive > 0 || d->usd_per_drive > 0 || d->days_in_transit > 0) {
		check_positive(ctx, "drives", "links.drives.tb_per_drive", d->tb_per_drive);
		check_positive(ctx, "drives", "links.drives.days_in_transit", d->days_in_transit);
	}
	if (f->gbps > 0 || f->usd_per_month > 0 || f->latency_ms > 0) {
		check_positive(ctx, "fiber", "links.fiber.gbps", f->gbps);
	}
}

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	struct plan_cfg c = *(const struct plan_cfg *)p; /* shallow: derive() fills fields only */
	const struct plan_fleet_yaml *fl = &c.fleet;
	char err[256];
	char key[64];

	(void)arg;
	plan_cfg_derive(&c);
	if (c.generator.f_nominal_hz != 50 && c.generator.f_nominal_hz != 60) {
		wt_cfg_error(ctx, "generator.f_nominal_hz", "= %g must be 50 or 60",
			     c.generator.f_nominal_hz);
	}
	if (wt_genset_cfg_validate(&c.gcfg, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "generator", "%s", err);
	}
	if (wt_bess_cfg_validate(&c.bcfg, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "bess", "%s", err);
	}
	if (c.miners.units > 0 && wt_miners_cfg_validate(&c.mcfg, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "miners", "%s", err);
	}
	if (c.breakers.rating_a > 0 && c.breakers.phases == 2) {
		wt_cfg_error(ctx, "breakers.phases", "= 2 must be 1 or 3");
	} else if (c.breakers.rating_a > 0 &&
		   wt_breaker_cfg_validate(&c.brcfg, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "breakers", "%s", err);
	}
	for (size_t i = 0; i < fl->n_phases; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(fl->phases[i].name, fl->phases[j].name) == 0) {
				snprintf(key, sizeof(key), "fleet.phases[%zu].name", i);
				wt_cfg_error(ctx, key, "'%s' repeats fleet.phases[%zu].name",
					     fl->phases[i].name, j);
			}
		}
	}
	if (fl->n_phases > 0) {
		uint32_t lo = fl->phases[0].watts_per_gpu;
		uint32_t hi = lo;

		for (size_t i = 1; i < fl->n_phases; i++) {
			uint32_t w = fl->phases[i].watts_per_gpu;

			lo = w < lo ? w : lo;
			hi = w > hi ? w : hi;
		}
		if (hi == lo) {
			wt_cfg_error(ctx, "fleet.phases",
				     "every phase draws %u W per GPU: nothing to plan", hi);
		}
	}
	check_links(ctx, &c.links);
	return 0;
}

static int load(const char *name, const char *buf, size_t len, const char *path,
		struct plan_cfg *out, struct wt_cfg_errors *errs)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (buf != NULL) {
		rc = wt_cfg_load_buffer(name, buf, len, plan_cfg_keys, out, sizeof(*out), validate,
					NULL, errs);
	} else {
		rc = wt_cfg_load_file(path, plan_cfg_keys, out, sizeof(*out), validate, NULL, errs);
	}
	if (rc == 0) {
		plan_cfg_derive(out);
	}
	return rc;
}

int plan_cfg_load_buffer(const char *name, const char *buf, size_t len, struct plan_cfg *out,
			 struct wt_cfg_errors *errs)
{
	return load(name, buf, len, NULL, out, errs);
}

int plan_cfg_load(const char *path, struct plan_cfg *out)
{
	struct wt_cfg_errors errs = { 0 };
	int rc = load(path, NULL, 0, path, out, &errs);

	if (rc < 0) {
		if (errs.count == 0) {
			fprintf(stderr, "wattlease-plan: %s: %s\n", path, wt_strerror(rc));
		}
		wt_daemon_print_cfg_errors("wattlease-plan", &errs);
	}
	return rc;
}

void plan_cfg_free(struct plan_cfg *cfg)
{
	wt_cfg_free(plan_cfg_keys, cfg);
}
