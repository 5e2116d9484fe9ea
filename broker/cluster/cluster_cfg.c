/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-cluster configuration: schema (type, range, default, reloadable per key) and the
 * cross-field rules. */
#include "cluster.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "site.h"
#include "wt/err.h"
#include "wt/http.h"
#include "wt/lease_msg.h"

#define SITE struct clu_site_yaml
#define DR   struct clu_dr_yaml
#define SCH  struct clu_sched_yaml

static const struct wt_cfg_enum site_modes[] = {
	{ "none", CLU_SITE_NONE },
	{ "generator", CLU_SITE_GENERATOR },
	{ "grid", CLU_SITE_GRID },
	{ NULL, 0 },
};

static const struct wt_cfg_enum iso_classes[] = {
	{ "G1", WT_ISO8528_G1 },
	{ "G2", WT_ISO8528_G2 },
	{ "G3", WT_ISO8528_G3 },
	{ NULL, 0 },
};

#define gen_y	 clu_gen_yaml
#define grid_y	 clu_grid_yaml
#define miners_y clu_miners_yaml
#define bess_y	 clu_bess_yaml

static const struct wt_cfg_key gen_keys[] = {
	WT_CFG_WATTS("rated_w", struct gen_y, rated_w, 0, 1000000000, 0, 0,
		     "Rated real power of the generator set (required with mode: generator)."),
	WT_CFG_ENUM("iso_class", struct gen_y, iso_class, iso_classes, WT_ISO8528_G2, 0,
		    "ISO 8528-5 class the set must hold: G1, G2 or G3."),
	WT_CFG_DOUBLE("max_step_pct", struct gen_y, max_step_pct, 1, 100, 10, 0,
		      "Largest sudden load acceptance, % of rated (datasheet step test)."),
	WT_CFG_DOUBLE("ramp_w_per_s", struct gen_y, ramp_w_per_s, 0, 1e10, 0, 0,
		      "Sustained loading ramp, W/s (0: rated / 30 s)."),
	WT_CFG_DOUBLE("step_recovery_s", struct gen_y, step_recovery_s, 0, 600, 10, 0,
		      "Least time between two maximum steps, s."),
	WT_CFG_DOUBLE("inertia_h_s", struct gen_y, inertia_h_s, 0.05, 20, 0.5, 0,
		      "Inertia constant H, s."),
	WT_CFG_DOUBLE("droop_pct", struct gen_y, droop_pct, 0.5, 15, 5, 0, "Governor droop, %."),
	WT_CFG_DOUBLE("governor_tau_s", struct gen_y, governor_tau_s, 0.01, 30, 1, 0,
		      "Governor + engine time constant, s."),
	WT_CFG_DOUBLE("f_nominal_hz", struct gen_y, f_nominal_hz, 50, 60, 60, 0, "50 or 60."),
	WT_CFG_DOUBLE("min_load_pct", struct gen_y, min_load_pct, 0, 90, 30, 0,
		      "Least continuous loading, % of rated."),
	WT_CFG_DOUBLE("setpoint_pct", struct gen_y, setpoint_pct, 0, 100, 0, 0,
		      "Loading the miners backfill towards, % of rated (0: min_load_pct)."),
	WT_CFG_END,
};

static const struct wt_cfg_key dr_keys[] = {
	WT_CFG_STRING("start", DR, start, 5, 5, NULL, WT_CFG_REQUIRED, "Window start, HH:MM UTC."),
	WT_CFG_STRING("end", DR, end, 5, 5, NULL, WT_CFG_REQUIRED, "Window end, HH:MM UTC."),
	WT_CFG_WATTS("target_w", DR, target_w, 0, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Most the site may import during the window."),
	WT_CFG_END,
};

static const struct wt_cfg_key grid_keys[] = {
	WT_CFG_WATTS("import_limit_w", struct grid_y, import_limit_w, 0, WT_WATTS_MAX, 0, 0,
		     "Contracted import limit (required with mode: grid)."),
	WT_CFG_LIST("demand_response", struct grid_y, dr, n_dr, DR, dr_keys, 0, CLU_SITE_MAX_DR, 0,
		    "Daily demand-response windows with their import targets."),
	WT_CFG_END,
};

static const struct wt_cfg_key miners_keys[] = {
	WT_CFG_STRING("holder_id", struct miners_y, holder_id, 1, WT_HOLDER_ID_MAX, NULL, 0,
		      "The miner agent among children (class flexible); absent: modelled only."),
	WT_CFG_U32("units", struct miners_y, units, 0, WT_MINERS_MAX_UNITS, 0, 0,
		   "Miner units (0: none)."),
	WT_CFG_WATTS("unit_w", struct miners_y, unit_w, 1, WT_MINERS_MAX_UNIT_W, 3200, 0,
		     "Power of one unit."),
	WT_CFG_DURATION_MS("shed_latency_ms", struct miners_y, shed_latency_ms, 0,
			   WT_MINERS_MAX_LAT_MS, 200, 0, "Shed command to the unit drawing 0."),
	WT_CFG_DURATION_MS("restore_latency_ms", struct miners_y, restore_latency_ms, 0,
			   WT_MINERS_MAX_LAT_MS, 2000, 0, "Restore command to full draw."),
	WT_CFG_DURATION_MS("min_on_ms", struct miners_y, min_on_ms, 0, WT_MINERS_MAX_LAT_MS, 0, 0,
			   "A unit sheds only after running this long."),
	WT_CFG_DURATION_MS("min_off_ms", struct miners_y, min_off_ms, 0, WT_MINERS_MAX_LAT_MS,
			   10000, 0, "A unit restores only after being off this long."),
	WT_CFG_U32("initial_on", struct miners_y, initial_on, 0, CLU_MINERS_ALL, CLU_MINERS_ALL, 0,
		   "Units running at start (default: all)."),
	WT_CFG_END,
};

static const struct wt_cfg_key bess_keys[] = {
	WT_CFG_WATTS("power_w", struct bess_y, power_w, 0, 1000000000, 0, 0,
		     "Charge/discharge power limit (0: no BESS)."),
	WT_CFG_DOUBLE("energy_wh", struct bess_y, energy_wh, 0, 1e10, 0, 0, "Usable energy, Wh."),
	WT_CFG_DURATION_MS("response_ms", struct bess_y, response_ms, 0, 10000, 20, 0,
			   "Request-to-delivery dead time."),
	WT_CFG_DOUBLE("efficiency", struct bess_y, efficiency, 0.5, 1, 0.85, 0,
		      "AC round-trip efficiency."),
	WT_CFG_DOUBLE("initial_soc_pct", struct bess_y, initial_soc_pct, 0, 100, 100, 0,
		      "State of charge at start, %."),
	WT_CFG_END,
};

static const struct wt_cfg_key site_keys[] = {
	WT_CFG_ENUM("mode", SITE, mode, site_modes, CLU_SITE_NONE, 0,
		    "none (capacity only), generator (off-grid) or grid (import limit)."),
	WT_CFG_WATTS("gpu_idle_w", SITE, gpu_idle_w, 0, 10000, 0, 0,
		     "Draw of a GPU before its job starts (already on the bus); start plans "
		     "pace the rise from it."),
	WT_CFG_DURATION_MS("monitor_smooth_ms", SITE, smooth_ms, 0, 5000, 500, 0,
			   "The envelope monitor averages the measured net load over this long "
			   "(children report at different times; 0: raw)."),
	WT_CFG_MAP("generator", SITE, generator, struct gen_y, gen_keys, 0,
		   "The generator set (mode: generator)."),
	WT_CFG_MAP("grid", SITE, grid, struct grid_y, grid_keys, 0,
		   "Import limit and demand response (mode: grid)."),
	WT_CFG_MAP("miners", SITE, miners, struct miners_y, miners_keys, 0,
		   "The miner block, the counterweight."),
	WT_CFG_MAP("bess", SITE, bess, struct bess_y, bess_keys, 0,
		   "The battery that covers what the miners' latency leaves."),
	WT_CFG_END,
};

static const struct wt_cfg_key sched_keys[] = {
	WT_CFG_STRLIST("clients", SCH, clients, n_clients, 0, 1000, WT_HOLDER_ID_MAX, 0,
		       "Certificate names with the scheduler role (mTLS); others are refused."),
	WT_CFG_DURATION_MS("watch_min_ms", SCH, watch_min_ms, 10, 60000, 50, 0,
			   "Shortest WatchSite interval granted."),
	WT_CFG_DURATION_MS("watch_default_ms", SCH, watch_default_ms, 10, 60000, 500, 0,
			   "WatchSite interval when the caller asks for 0."),
	WT_CFG_U32("max_jobs", SCH, max_jobs, 1, 100000, 4096, 0, "Live jobs at most."),
	WT_CFG_END,
};

static const struct wt_cfg_key clu_keys[] = {
	WT_CFG_STRING("id", struct clu_cfg, id, 1, WT_HOLDER_ID_MAX, NULL, WT_CFG_REQUIRED,
		      "Identity of this orchestrator (its certificate's common name)."),
	WT_CFG_STRING("listen", struct clu_cfg, listen, 3, 255, "127.0.0.1:7000", 0,
		      "Address for racks and tools, host:port (port 0 picks one)."),
	WT_CFG_STRING("metrics_listen", struct clu_cfg, metrics_listen, 0, 255, NULL, 0,
		      "HTTP address of /metrics and /healthz, numeric host:port (port 0 "
		      "picks one); absent or \"\": off."),
	WT_CFG_WATTS("budget_w", struct clu_cfg, budget_w, 1000, WT_WATTS_MAX, 0, WT_CFG_REQUIRED,
		     "Site budget: what all racks together may draw."),
	WT_CFG_DURATION_MS("tick_ms", struct clu_cfg, tick_ms, 1, 1000, 10, 0,
			   "Housekeeping period (expiry, revocations)."),
	WT_CFG_MAP("lease", struct clu_cfg, lease, struct tier_cfg_lease, tier_cfg_rack_lease_keys,
		   0, "Leases granted to racks (1 kW tokens)."),
	WT_CFG_MAP("damper", struct clu_cfg, damper, struct tier_cfg_damper, tier_cfg_damper_keys,
		   0, "Anti-oscillation damper applied per rack."),
	WT_CFG_MAP("tls", struct clu_cfg, tls, struct wt_daemon_tls_cfg, wt_daemon_tls_keys, 0,
		   "mTLS material (required unless --insecure)."),
	WT_CFG_LIST("children", struct clu_cfg, children, n_children, struct tier_cfg_child,
		    tier_cfg_child_keys, 1, 100000, WT_CFG_REQUIRED,
		    "Rack coordinators with their static floors and classes."),
	WT_CFG_MAP("site", struct clu_cfg, site, SITE, site_keys, 0,
		   "The site model: generator envelope, grid limits, miners, BESS."),
	WT_CFG_MAP("scheduler_api", struct clu_cfg, sched, SCH, sched_keys, 0,
		   "wattlease.v1.Scheduler: who may call it."),
	WT_CFG_END,
};

static int hhmm(const char *s, uint32_t *out)
{
	unsigned h, m;
	char tail;

	if (s == NULL || sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23 || m > 59) {
		return -1;
	}
	*out = h * 3600u + m * 60u;
	return 0;
}

void clu_cfg_site(const struct clu_cfg *cfg, struct clu_site_cfg *o)
{
	const struct clu_site_yaml *y = &cfg->site;

	memset(o, 0, sizeof(*o));
	o->mode = (enum clu_site_mode)y->mode;
	o->capacity_w = cfg->budget_w;
	o->gpu_idle_w = y->gpu_idle_w;
	o->smooth_ms = y->smooth_ms;
	if (y->generator.rated_w > 0) {
		wt_genset_cfg_init(&o->gen, (double)y->generator.rated_w, y->generator.f_nominal_hz,
				   (enum wt_iso8528_class)y->generator.iso_class);
		o->gen.max_step_pct = y->generator.max_step_pct;
		if (y->generator.ramp_w_per_s > 0) {
			o->gen.ramp_w_per_s = y->generator.ramp_w_per_s;
		}
		o->gen.step_recovery_s = y->generator.step_recovery_s;
		o->gen.inertia_h_s = y->generator.inertia_h_s;
		o->gen.droop_pct = y->generator.droop_pct;
		o->gen.governor_tau_s = y->generator.governor_tau_s;
		o->gen.min_load_pct = y->generator.min_load_pct;
		o->setpoint_w =
			(uint32_t)((double)y->generator.rated_w *
				   (y->generator.setpoint_pct > 0 ? y->generator.setpoint_pct
								  : y->generator.min_load_pct) /
				   100.0);
	}
	o->import_limit_w = y->grid.import_limit_w;
	for (size_t i = 0; i < y->grid.n_dr && i < CLU_SITE_MAX_DR; i++) {
		(void)hhmm(y->grid.dr[i].start, &o->dr[i].start_s);
		(void)hhmm(y->grid.dr[i].end, &o->dr[i].end_s);
		o->dr[i].target_w = y->grid.dr[i].target_w;
		o->n_dr++;
	}
	if (y->miners.units > 0) {
		wt_miners_cfg_init(&o->miners);
		o->miners.n_units = y->miners.units;
		o->miners.unit_w = y->miners.unit_w;
		o->miners.shed_latency_ms = y->miners.shed_latency_ms;
		o->miners.restore_latency_ms = y->miners.restore_latency_ms;
		o->miners.min_on_ms = y->miners.min_on_ms;
		o->miners.min_off_ms = y->miners.min_off_ms;
		o->miners_initial_on = y->miners.initial_on > y->miners.units
					       ? y->miners.units
					       : y->miners.initial_on;
	}
	if (y->bess.power_w > 0) {
		wt_bess_cfg_init(&o->bess, (double)y->bess.power_w, y->bess.energy_wh);
		o->bess.response_ms = y->bess.response_ms;
		o->bess.efficiency = y->bess.efficiency;
		o->bess_initial_soc = y->bess.initial_soc_pct / 100.0;
	}
}

static void validate_site(struct wt_cfg_ctx *ctx, const struct clu_cfg *c)
{
	const struct clu_site_yaml *y = &c->site;
	struct clu_site_cfg sc;
	char err[256];

	if (y->mode == CLU_SITE_GENERATOR && y->generator.rated_w == 0) {
		wt_cfg_error(ctx, "site.generator.rated_w", "mode generator needs a generator");
		return;
	}
	if (y->mode == CLU_SITE_GRID && y->grid.import_limit_w == 0) {
		wt_cfg_error(ctx, "site.grid.import_limit_w", "mode grid needs an import limit");
		return;
	}
	for (size_t i = 0; i < y->grid.n_dr; i++) {
		uint32_t t;
		char key[64];

		snprintf(key, sizeof(key), "site.grid.demand_response[%zu]", i);
		if (hhmm(y->grid.dr[i].start, &t) < 0 || hhmm(y->grid.dr[i].end, &t) < 0) {
			wt_cfg_error(ctx, key, "start and end are HH:MM (00:00 .. 23:59, UTC)");
			return;
		}
	}
	if (y->bess.power_w > 0 && y->bess.energy_wh < 0.01) {
		wt_cfg_error(ctx, "site.bess.energy_wh",
			     "a BESS with power needs energy (>= 0.01)");
		return;
	}
	if (y->miners.holder_id != NULL) {
		bool found = false;

		for (size_t i = 0; i < c->n_children; i++) {
			if (strcmp(c->children[i].id, y->miners.holder_id) == 0) {
				found = true;
				if (c->children[i].load_class != WT_LOAD_CLASS_FLEXIBLE) {
					wt_cfg_error(ctx, "site.miners.holder_id",
						     "child '%s' must have load_class flexible",
						     y->miners.holder_id);
				}
			}
		}
		if (!found) {
			wt_cfg_error(ctx, "site.miners.holder_id", "'%s' is not among children",
				     y->miners.holder_id);
		}
		if (y->miners.units == 0) {
			wt_cfg_error(ctx, "site.miners.units", "a miner agent needs units > 0");
		}
	}
	clu_cfg_site(c, &sc);
	if (clu_site_cfg_validate(&sc, err, sizeof(err)) < 0) {
		wt_cfg_error(ctx, "site", "%s", err);
	}
	if (c->sched.watch_default_ms < c->sched.watch_min_ms) {
		wt_cfg_error(ctx, "scheduler_api.watch_default_ms", "below watch_min_ms (%u)",
			     c->sched.watch_min_ms);
	}
}

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	const struct clu_cfg *c = p;
	struct sockaddr_storage ss;

	validate_site(ctx, c);
	tier_cfg_check_children(ctx, c->children, (uint32_t)c->n_children, c->budget_w, "budget_w");
	tier_cfg_check_lease(ctx, &c->lease);
	if (wt_daemon_check_addr(c->listen) < 0) {
		wt_cfg_error(ctx, "listen", "'%s' is not host:port", c->listen);
	}
	if (c->metrics_listen != NULL && c->metrics_listen[0] != '\0' &&
	    wt_http_addr_parse(c->metrics_listen, &ss) < 0) {
		wt_cfg_error(ctx, "metrics_listen", "'%s' is not a numeric host:port",
			     c->metrics_listen);
	}
	for (size_t i = 0; i < c->n_children; i++) {
		if (c->children[i].floor_w % CLU_RACK_TOKEN_W != 0) {
			char key[64];

			snprintf(key, sizeof(key), "children[%zu].floor_w", i);
			wt_cfg_error(ctx, key, "floor %u W is not a whole number of kW",
				     c->children[i].floor_w);
		}
	}
	return 0;
}

int clu_cfg_load(const char *path, struct clu_cfg *out)
{
	return wt_daemon_cfg_load("wattlease-cluster", path, clu_keys, out, sizeof(*out), validate);
}

int clu_cfg_reload_check(const struct clu_cfg *old, const struct clu_cfg *fresh)
{
	return wt_daemon_cfg_reload_check("wattlease-cluster", clu_keys, old, fresh);
}

void clu_cfg_free(struct clu_cfg *cfg)
{
	wt_cfg_free(clu_keys, cfg);
}

void clu_cfg_dump(const struct clu_cfg *cfg, FILE *f)
{
	wt_cfg_dump(clu_keys, cfg, f);
}
