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
};

/* Load and validate @path into @out. Returns 0, or WT_ECONFIG/-errno with the errors printed
 * to stderr naming the file, line, key and range. */
int clu_cfg_load(const char *path, struct clu_cfg *out);

void clu_cfg_free(struct clu_cfg *cfg);

/* SIGHUP: returns how many non-reloadable keys differ between @old and @fresh (0: apply),
 * printing one line per key to stderr. */
int clu_cfg_reload_check(const struct clu_cfg *old, const struct clu_cfg *fresh);

/* Print the effective configuration (for --check-config). */
void clu_cfg_dump(const struct clu_cfg *cfg, FILE *f);

struct clu_ctx {
	struct tier_daemon d;
	struct clu_cfg cfg;
	struct tier_plink *pl;
	struct tier_parent_child *pchildren;
};

/* Build the daemon from a loaded config. Returns 0 or a negative code (logged). */
int clu_init(struct clu_ctx *c, struct wt_daemon_opts *opts);

#endif
