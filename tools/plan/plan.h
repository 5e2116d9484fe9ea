/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-plan: the site calculator. plan_cfg.c loads a site description (generator, BESS,
 * miners, breakers, GPU fleet, data links) through a wt_cfg schema; plan_calc.c turns it into a
 * list of figures (value, unit, the assumption it rests on, and a PASS/FAIL when it is a check)
 * using the site physics of common/ (genset.h, bess.h, miners.h, breaker.h); plan.c prints them
 * as a report, JSON or CSV. plan_calc() is pure: no I/O, no allocation, no clock. */
#ifndef PLAN_H
#define PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wt/bess.h"
#include "wt/breaker.h"
#include "wt/cfg.h"
#include "wt/genset.h"
#include "wt/miners.h"

#define PLAN_MAX_PHASES 16
#define PLAN_MAX_FIGS	160
/* A month, for the data links: 30 days. */
#define PLAN_MONTH_S (30.0 * 86400.0)

struct plan_generator_yaml {
	uint64_t rated_w;
	int iso_class; /* enum wt_iso8528_class */
	double max_step_pct;
	double ramp_w_per_s; /* 0: rated / 30 s (the genset default) */
	double step_recovery_s;
	double inertia_h_s;
	double droop_pct;
	double governor_tau_s;
	double f_nominal_hz;
};

struct plan_bess_yaml {
	uint64_t power_w;
	double energy_wh;
	uint32_t response_ms;
	double efficiency;
};

struct plan_miners_yaml {
	uint32_t units; /* 0: no miners */
	uint32_t unit_w;
	uint32_t shed_latency_ms;
	uint32_t restore_latency_ms;
};

struct plan_breakers_yaml {
	double rating_a; /* 0: section absent */
	double voltage_v;
	uint32_t phases;
};

struct plan_phase {
	char *name;
	uint32_t watts_per_gpu;
};

struct plan_fleet_yaml {
	uint32_t gpus;
	struct plan_phase *phases;
	size_t n_phases;
	double correlation;
};

struct plan_satellite_yaml {
	double cap_tb_per_month, mbps, latency_ms, usd_per_month;
};

struct plan_drives_yaml {
	double tb_per_drive, usd_per_drive, days_in_transit;
};

struct plan_fiber_yaml {
	double gbps, latency_ms, usd_per_month;
};

struct plan_links_yaml {
	double monthly_tb; /* 0: section absent */
	struct plan_satellite_yaml satellite;
	struct plan_drives_yaml drives;
	struct plan_fiber_yaml fiber;
};

/* The decoded file plus the physics configs derived from it (plan_cfg_derive()). */
struct plan_cfg {
	struct plan_generator_yaml generator;
	struct plan_bess_yaml bess;
	struct plan_miners_yaml miners;
	struct plan_breakers_yaml breakers;
	struct plan_fleet_yaml fleet;
	struct plan_links_yaml links;
	/* derived */
	struct wt_genset_cfg gcfg;
	struct wt_bess_cfg bcfg;
	struct wt_miners_cfg mcfg;
	struct wt_breaker_cfg brcfg;
};

enum plan_check {
	PLAN_INFO, /* a figure, not a check */
	PLAN_PASS,
	PLAN_FAIL,
};

struct plan_fig {
	char section[16]; /* "fleet", "pacing", "bringup", "bess", "nadir", "capacity", "links" */
	char name[64];	  /* unique within the section */
	double value;	  /* NAN when it does not apply, INFINITY when unbounded */
	char unit[16];
	enum plan_check check;
	char assumption[400]; /* how it was computed; for a FAIL, why */
};

struct plan_result {
	size_t n;
	unsigned checks, failed;
	struct plan_fig figs[PLAN_MAX_FIGS];
};

/* Schema of a site file (for --help). */
extern const struct wt_cfg_key plan_cfg_keys[];

/* Load and check @path into @out; on failure print every error ("file:line: key '...': ...")
 * to stderr. Returns 0, -errno, WT_E2BIG or WT_ECONFIG. Release with plan_cfg_free(). */
int plan_cfg_load(const char *path, struct plan_cfg *out);

/* As plan_cfg_load() on a buffer; errors go to @errs instead of stderr (tests). */
int plan_cfg_load_buffer(const char *name, const char *buf, size_t len, struct plan_cfg *out,
			 struct wt_cfg_errors *errs);

/* Fill the derived physics configs of @c from its YAML fields (done by the loaders; tests that
 * build a plan_cfg by hand call it). */
void plan_cfg_derive(struct plan_cfg *c);

void plan_cfg_free(struct plan_cfg *cfg);

/* Compute every figure and check for @cfg (borrowed, valid) into @out. Pure. Returns 0, or
 * -EINVAL when a simulation refused its input (not expected for a validated config). */
int plan_calc(const struct plan_cfg *cfg, struct plan_result *out);

/* The figure @section/@name of @r, or NULL. */
const struct plan_fig *plan_fig_find(const struct plan_result *r, const char *section,
				     const char *name);

#endif
