/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay reports: the JSON summary (every key documented in the README section
 * "wattlease-replay") and the self-contained HTML report with inline SVG plots (site power
 * stack by class, generator load and frequency, per-rack headroom, lease latency histogram).
 * The HTML is well-formed XML (XHTML serialisation) so that a plain XML parser reads it. */
#ifndef RP_REPORT_H
#define RP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"
#include "score.h"

struct rp_summary {
	const struct rp_scenario *s;
	const struct rp_demand *d;
	const char *scenario_path;
	const char *mode;	    /* "loopback" or "connect" */
	const struct rp_live *live; /* the wattlease run */
	struct rp_energy wl, static_frac, static_fit, oracle;
	struct rp_plant p_wl, p_static, p_oracle;
	struct rp_pct lat;
	bool have_zeus;
	const char *zeus_workload;
	bool have_daemons;	   /* loopback: the counters below are read from their logs */
	uint64_t rack_model_trips; /* "breaker model tripped" lines in the racks' logs */
	uint64_t rack_emergencies; /* "emergency throttle" lines in the racks' logs */
	int daemons_bad_exit;	   /* daemons that did not exit 0 on SIGTERM */
};

/* Compute every score of @sum from @s, @d, @live and the optional @zeus (borrowed; the
 * summary borrows @s, @d and @live too). Release with rp_summary_deinit(). */
void rp_summary_compute(struct rp_summary *sum, const struct rp_scenario *s,
			const struct rp_demand *d, const struct rp_live *live,
			const struct rp_zeus *zeus);

void rp_summary_deinit(struct rp_summary *sum);

/* Write the JSON summary. Returns 0 or -EIO. */
int rp_report_json(const struct rp_summary *sum, FILE *f);

/* Write the HTML report. Returns 0 or -EIO. */
int rp_report_html(const struct rp_summary *sum, FILE *f);

/* Print the human summary (a few lines). */
void rp_report_text(const struct rp_summary *sum, FILE *f);

#endif
