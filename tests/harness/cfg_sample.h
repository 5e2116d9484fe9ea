/* SPDX-License-Identifier: Apache-2.0 */
/* A sample config schema shaped like a rack coordinator's, shared by the config unit test and
 * the config fuzzer. It uses every key type: nested map, list of maps, list of strings, enum,
 * watts, durations in 32 and 64 bits, string, bool, double, signed and unsigned integers, with
 * reloadable and non-reloadable keys, and a cross-field callback. */
#ifndef WT_CFG_SAMPLE_H
#define WT_CFG_SAMPLE_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wt/cfg.h"
#include "wt/err.h"

enum sample_mode {
	SAMPLE_MODE_SIM = 1,
	SAMPLE_MODE_TRACE = 2,
	SAMPLE_MODE_NVML = 3,
};

struct sample_breaker {
	uint32_t rating_a;
	uint32_t trip_ms;
	double derate;
};

struct sample_child {
	char *id;
	uint64_t floor_w;
	uint32_t ceiling_w;
	bool critical;
};

struct sample_cfg {
	char *listen;
	char *name;
	enum sample_mode mode;
	uint64_t budget_w;
	uint64_t lease_ms;
	bool dry_run;
	int64_t priority;
	uint32_t max_sessions;
	uint64_t seed;
	struct sample_breaker breaker;
	struct sample_child *children;
	size_t n_children;
	char **peers;
	size_t n_peers;
};

static const struct wt_cfg_enum sample_modes[] = {
	{ "sim", SAMPLE_MODE_SIM },
	{ "trace", SAMPLE_MODE_TRACE },
	{ "nvml", SAMPLE_MODE_NVML },
	{ NULL, 0 },
};

#define SAMPLE_RELOAD WT_CFG_RELOADABLE
#define SAMPLE_REQ    WT_CFG_REQUIRED

static const struct wt_cfg_key sample_breaker_keys[] = {
	WT_CFG_U32("rating_a", struct sample_breaker, rating_a, 1, 4000, 400, 0,
		   "Breaker rating in amps."),
	WT_CFG_DURATION_MS("trip_ms", struct sample_breaker, trip_ms, 10, 60000, 2000,
			   SAMPLE_RELOAD, "Time at overload before the breaker trips."),
	WT_CFG_DOUBLE("derate", struct sample_breaker, derate, 0.5, 1.0, 0.8, SAMPLE_RELOAD,
		      "Fraction of the rating that may be used continuously."),
	WT_CFG_END,
};

static const struct wt_cfg_key sample_child_keys[] = {
	WT_CFG_STRING("id", struct sample_child, id, 1, 32, NULL, SAMPLE_REQ, "Child name."),
	WT_CFG_WATTS("floor_w", struct sample_child, floor_w, 0, 100000, 0, SAMPLE_RELOAD,
		     "Power the child may always draw."),
	WT_CFG_WATTS("ceiling_w", struct sample_child, ceiling_w, 1, 100000, 10000, SAMPLE_RELOAD,
		     "Most power the child may ever draw."),
	WT_CFG_BOOL("critical", struct sample_child, critical, false, 0,
		    "Never shed below the floor."),
	WT_CFG_END,
};

static const struct wt_cfg_key sample_keys[] = {
	WT_CFG_STRING("listen", struct sample_cfg, listen, 1, 64, NULL, SAMPLE_REQ,
		      "Address and port to listen on."),
	WT_CFG_STRING("name", struct sample_cfg, name, 1, 32, "rack", SAMPLE_RELOAD,
		      "Name used in logs and metrics."),
	WT_CFG_ENUM("mode", struct sample_cfg, mode, sample_modes, SAMPLE_MODE_SIM, 0,
		    "Where load measurements come from."),
	WT_CFG_WATTS("budget_w", struct sample_cfg, budget_w, 1000, 10000000, 0,
		     SAMPLE_REQ | SAMPLE_RELOAD, "Power budget of the rack."),
	WT_CFG_DURATION_MS("lease_ms", struct sample_cfg, lease_ms, 100, 3600000, 2000,
			   SAMPLE_RELOAD, "Lease length."),
	WT_CFG_BOOL("dry_run", struct sample_cfg, dry_run, false, SAMPLE_RELOAD,
		    "Compute grants but do not send them."),
	WT_CFG_I64("priority", struct sample_cfg, priority, -100, 100, 0, SAMPLE_RELOAD,
		   "Scheduling priority."),
	WT_CFG_U32("max_sessions", struct sample_cfg, max_sessions, 1, 1024, 64, 0,
		   "Most concurrent child sessions."),
	WT_CFG_U64("seed", struct sample_cfg, seed, 0, INT64_MAX, 42, 0, "Simulation seed."),
	WT_CFG_MAP("breaker", struct sample_cfg, breaker, struct sample_breaker,
		   sample_breaker_keys, 0, "Upstream breaker."),
	WT_CFG_LIST("children", struct sample_cfg, children, n_children, struct sample_child,
		    sample_child_keys, 0, 8, 0, "Children of this rack."),
	WT_CFG_STRLIST("peers", struct sample_cfg, peers, n_peers, 0, 4, 32, SAMPLE_RELOAD,
		       "Peer coordinators."),
	WT_CFG_END,
};

/* Cross-field rules: each child's floor is at most its ceiling, ids are unique, and the
 * floors fit in the budget. */
static inline int sample_validate(struct wt_cfg_ctx *ctx, const void *cfg, void *arg)
{
	const struct sample_cfg *c = cfg;
	uint64_t floors = 0;
	char key[64];

	for (size_t i = 0; i < c->n_children; i++) {
		const struct sample_child *ch = &c->children[i];

		if (ch->floor_w > ch->ceiling_w) {
			snprintf(key, sizeof(key), "children[%zu].floor_w", i);
			wt_cfg_error(ctx, key, "floor %" PRIu64 "W is above ceiling_w %" PRIu32 "W",
				     ch->floor_w, ch->ceiling_w);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->children[j].id, ch->id) == 0) {
				snprintf(key, sizeof(key), "children[%zu].id", i);
				wt_cfg_error(ctx, key, "'%s' is also children[%zu].id", ch->id, j);
			}
		}
		floors += ch->floor_w;
	}
	if (floors > c->budget_w) {
		wt_cfg_error(ctx, "budget_w",
			     "%" PRIu64 "W is less than the sum of the floors (%" PRIu64 "W)",
			     c->budget_w, floors);
	}
	return 0;
}

#endif
