/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-cluster: command line, config check, run. */
#include <stdio.h>

#include "cluster.h"
#include "wt/log.h"

static const char summary[] =
	"The site orchestrator: holds the site budget and leases it to rack coordinators\n"
	"(1 kW tokens, 50-200 ms leases) by priority and max-min fairness. Racks that lose it\n"
	"fall to their static floors within one lease period.";

int main(int argc, char **argv)
{
	struct wt_daemon_opts opts;
	struct clu_ctx c = { 0 };
	int rc = wt_daemon_parse_args(argc, argv, "wattlease-cluster", summary, &opts);

	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	wt_daemon_apply_logging(&opts);
	if (clu_cfg_load(opts.config_path, &c.cfg) < 0) {
		return 1;
	}
	if (opts.check_config) {
		static const char *const modes[] = { "none", "generator", "grid" };

		printf("%s: configuration OK (%zu children, budget %u W, site %s%s)\n",
		       opts.config_path, c.cfg.n_children, c.cfg.budget_w,
		       modes[c.cfg.site.mode % 3],
		       c.cfg.site.miners.units > 0 ? " with miners" : "");
		clu_cfg_free(&c.cfg);
		return 0;
	}
	if (clu_init(&c, &opts) < 0) {
		clu_cfg_free(&c.cfg);
		return 1;
	}
	rc = tier_daemon_run(&c.d);
	clu_cfg_free(&c.cfg);
	return rc;
}
