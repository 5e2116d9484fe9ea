/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-cluster configuration: schema (type, range, default, reloadable per key) and the
 * cross-field rules. */
#include "cluster.h"

#include <stddef.h>
#include <stdio.h>

#include "wt/err.h"
#include "wt/http.h"
#include "wt/lease_msg.h"

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
	WT_CFG_END,
};

static int validate(struct wt_cfg_ctx *ctx, const void *p, void *arg)
{
	const struct clu_cfg *c = p;
	struct sockaddr_storage ss;

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
