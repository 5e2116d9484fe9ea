/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-cluster state and lifecycle (see cluster.h). */
#include "cluster.h"

#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

static void on_stop(void *arg)
{
	struct clu_ctx *c = arg;

	clu_svc_close(c->svc);
	c->svc = NULL;
}

static void on_final(void *arg)
{
	struct clu_ctx *c = arg;

	tier_plink_close(c->pl);
	c->pl = NULL;
}

static void on_metrics(void *arg, struct wt_metrics *m, uint64_t now_ns)
{
	struct clu_ctx *c = arg;

	if (c->pl != NULL) {
		tier_daemon_metrics_parent(m, c->pl, now_ns);
	}
	if (c->svc != NULL) {
		clu_svc_metrics(c->svc, m, now_ns);
	}
}

static void on_reload(void *arg)
{
	struct clu_ctx *c = arg;
	struct clu_cfg fresh = { 0 };

	struct pool_damper_cfg damper;

	/* All or nothing: an invalid file or a change to a non-reloadable key keeps the running
	 * configuration untouched. Reloadable: damper.* */
	if (clu_cfg_load(c->d.opts->config_path, &fresh) < 0) {
		WT_LOG_WARN("cluster",
			    "reload refused path=%s (invalid config, keeping the old one)",
			    c->d.opts->config_path);
		return;
	}
	if (clu_cfg_reload_check(&c->cfg, &fresh) > 0) {
		WT_LOG_WARN("cluster",
			    "reload refused path=%s (non-reloadable keys changed: restart "
			    "to apply them)",
			    c->d.opts->config_path);
		clu_cfg_free(&fresh);
		return;
	}
	damper = (struct pool_damper_cfg){ fresh.damper.grow_pct, fresh.damper.shrink_pct,
					   fresh.damper.max_reversals, fresh.damper.window_ms,
					   fresh.damper.cooldown_ms };
	if (c->pl != NULL && tier_parent_set_damper(tier_plink_parent(c->pl), &damper) < 0) {
		WT_LOG_WARN("cluster", "reload refused path=%s (damper out of range)",
			    c->d.opts->config_path);
		clu_cfg_free(&fresh);
		return;
	}
	clu_cfg_free(&c->cfg);
	c->cfg = fresh;
	WT_LOG_INFO("cluster", "reload applied path=%s", c->d.opts->config_path);
}

int clu_init(struct clu_ctx *c, struct wt_daemon_opts *opts)
{
	struct tier_plink_cfg pcfg = { 0 };
	struct wt_rpc_tls tls;
	char err[256];
	int rc;

	rc = wt_daemon_tls(&c->cfg.tls, opts->insecure, &tls, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wattlease-cluster: %s: %s\n", opts->config_path, err);
		return rc;
	}
	rc = tier_daemon_init(&c->d, "wattlease-cluster", opts, c->cfg.listen, &tls);
	if (rc < 0) {
		return rc;
	}
	c->d.on_stop = on_stop;
	c->d.on_reload = on_reload;
	c->d.on_final = on_final;
	c->d.arg = c;
	pcfg.loop = &c->d.loop;
	pcfg.srv = c->d.srv;
	pcfg.tick_ms = c->cfg.tick_ms;
	tier_cfg_to_parent(c->cfg.children, (uint32_t)c->cfg.n_children, &c->cfg.lease,
			   &c->cfg.damper, c->cfg.budget_w, CLU_RACK_TOKEN_W, &pcfg.parent,
			   &c->pchildren);
	/* The miner block is leased directly: its agent speaks as an agent, not as a rack. */
	for (size_t i = 0; i < c->cfg.n_children && c->cfg.site.miners.holder_id != NULL; i++) {
		if (strcmp(c->cfg.children[i].id, c->cfg.site.miners.holder_id) == 0) {
			c->pchildren[i].tier = WT_TIER_AGENT;
		}
	}
	snprintf(pcfg.parent.id, sizeof(pcfg.parent.id), "%s", c->cfg.id);
	pcfg.parent.tier = WT_TIER_CLUSTER;
	pcfg.parent.pool.has_upstream = false;
	pcfg.parent.pool.start_ns = tier_now_ns();
	pcfg.parent.require_identity = !tls.insecure;
	rc = tier_plink_new(&c->pl, &pcfg);
	wt_free(c->pchildren);
	c->pchildren = NULL;
	if (rc < 0) {
		WT_LOG_ERR("cluster", "cannot build the lease service (%s)", wt_strerror(rc));
		return rc;
	}
	rc = clu_svc_new(&c->svc, c);
	if (rc < 0) {
		WT_LOG_ERR("cluster", "cannot build the scheduler API (%s)", wt_strerror(rc));
		return rc;
	}
	rc = tier_daemon_metrics_start(&c->d, c->cfg.metrics_listen, c->cfg.id, on_metrics, NULL);
	if (rc < 0) {
		return rc;
	}
	tier_plink_start(c->pl);
	WT_LOG_INFO(
		"cluster", "site ready id=%s budget_w=%u racks=%zu quarantine_ms=%u", c->cfg.id,
		c->cfg.budget_w, c->cfg.n_children,
		pool_quarantine_left_ms(tier_parent_pool(tier_plink_parent(c->pl)), tier_now_ns()));
	return 0;
}
