/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-agent: command line, config check, run. */
#include <stdio.h>

#include "agent.h"

static const char summary[] =
	"The edge agent, one per GPU node: samples power, holds 100 W tokens on 10-50 ms leases\n"
	"from its rack, enforces per-GPU caps = floor + lease, cuts its cap at once when a sample\n"
	"exceeds it, and falls back to its static floor whenever its lease lapses.";

int main(int argc, char **argv)
{
	struct wt_daemon_opts opts;
	struct agt_ctx a = { 0 };
	int rc = wt_daemon_parse_args(argc, argv, "wattlease-agent", summary, &opts);

	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	wt_daemon_apply_logging(&opts);
	if (agt_cfg_load(opts.config_path, &a.cfg) < 0) {
		return 1;
	}
	if (opts.check_config) {
		printf("%s: configuration OK (floor %u W, nameplate %u W, backend %s, %u "
		       "devices)\n",
		       opts.config_path, a.cfg.floor_w, a.cfg.nameplate_w,
		       agt_backend_kind_name((enum agt_backend_kind)a.cfg.backend),
		       agt_cfg_devices(&a.cfg));
		agt_cfg_free(&a.cfg);
		return 0;
	}
	if (agt_init(&a, &opts) < 0) {
		agt_cfg_free(&a.cfg);
		return 1;
	}
	rc = tier_daemon_run(&a.d);
	agt_cfg_free(&a.cfg);
	return rc;
}
