/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-rack: command line, config check, run. */
#include <stdio.h>

#include "rack.h"

static const char summary[] =
	"The rack coordinator, one per branch circuit: leases 100 W tokens to its agents out of\n"
	"its floor and the lease it holds from the cluster, never beyond what its breaker's trip\n"
	"curve allows, and throttles every agent at once near the instantaneous pickup.";

int main(int argc, char **argv)
{
	struct wt_daemon_opts opts;
	struct rack_ctx r = { 0 };
	int rc = wt_daemon_parse_args(argc, argv, "wattlease-rack", summary, &opts);

	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	wt_daemon_apply_logging(&opts);
	if (rack_cfg_load(opts.config_path, &r.cfg) < 0) {
		return 1;
	}
	if (opts.check_config) {
		printf("%s: configuration OK (%zu agents, floor %u W, breaker %.0f A: pool %llu W, "
		       "burst ceiling %llu W)\n",
		       opts.config_path, r.cfg.n_children, r.cfg.floor_w, r.cfg.breaker.rating_a,
		       (unsigned long long)wt_breaker_pool_capacity_w(&r.cfg.bcfg),
		       (unsigned long long)wt_breaker_burst_ceiling_w(&r.cfg.bcfg));
		rack_cfg_free(&r.cfg);
		return 0;
	}
	if (rack_init(&r, &opts) < 0) {
		rack_cfg_free(&r.cfg);
		return 1;
	}
	rc = tier_daemon_run(&r.d);
	rack_cfg_free(&r.cfg);
	return rc;
}
