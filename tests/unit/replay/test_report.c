/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay reports: the JSON summary has every documented key and the HTML report is
 * well-formed with its SVG plots; both are checked by tests/replay/check_report.py (python3's
 * XML parser and json module). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "wt_proc.h"
#include "wt_test.h"

static const char scenario[] =
	"step: 100ms\nduration: 30s\n"
	"training: {high: 4s, low: 2s}\n"
	"racks:\n"
	"  - {id: \"rack <a> & co\", limit_w: 8kW, floor_w: 2kW, nodes: [{id: a/1, source: "
	"training, gpus: 8, floor_w: 1kW}, {id: a/2, source: constant, constant_w: 3kW, floor_w: "
	"1kW, class: batch}]}\n"
	"  - {id: b, limit_w: 5kW, floor_w: 1kW, nodes: [{id: b/1, source: training, offset: 2s, "
	"gpus: 8, floor_w: 1kW, class: training}]}\n";

static void check(const char *kind, const char *path, const char *extra)
{
	const char *script = getenv("WT_REPLAY_CHECK");
	const char *argv[] = { "python3", script, kind, path, extra, NULL };

	assert_non_null(script);
	assert_int_equal(wt_proc_run(argv, 1), 0);
}

static void test_reports(void **state)
{
	struct rp_scenario s = { 0 };
	struct rp_demand d = { 0 };
	struct rp_live live = { 0 };
	struct rp_summary sum;
	struct wt_cfg_errors errs;
	char dir[256], json[300], html[300], err[256];
	FILE *f;

	(void)state;
	wt_test_use_cmocka_alloc();
	assert_int_equal(wt_proc_tmpdir(dir, sizeof(dir), "replay-report"), 0);
	assert_int_equal(
		rp_scenario_load_buffer("r.yaml", ".", scenario, sizeof(scenario) - 1, &s, &errs),
		0);
	assert_int_equal(rp_demand_build(&s, &d, err, sizeof(err)), 0);
	/* A made-up run: every node capped at 4 kW, latencies 100 us .. 50 ms. */
	rp_alloc_init(&live.drawn, d.n_nodes, d.n_steps);
	for (size_t i = 0; i < d.n_nodes; i++) {
		for (size_t k = 0; k < d.n_steps; k++) {
			double w = rp_demand_w(&d, i, k);

			*rp_alloc_at(&live.drawn, i, k) = w < 4000 ? w : 4000;
		}
	}
	for (int i = 0; i < 500; i++) {
		rp_vec_push(&live.lat_us, 100 * pow(500, i / 500.0));
	}
	live.speed = 20;
	live.wall_s = 1.5;
	rp_summary_compute(&sum, &s, &d, &live, NULL);
	sum.scenario_path = "r.yaml";
	sum.mode = "loopback";
	assert_true(sum.wl.delivered_wh <= sum.wl.demanded_wh);
	assert_true(sum.oracle.delivered_wh >= sum.static_fit.delivered_wh);
	assert_int_equal(sum.lat.count, 500);

	snprintf(json, sizeof(json), "%s/r.json", dir);
	snprintf(html, sizeof(html), "%s/r.html", dir);
	f = fopen(json, "w");
	assert_non_null(f);
	assert_int_equal(rp_report_json(&sum, f), 0);
	fclose(f);
	f = fopen(html, "w");
	assert_non_null(f);
	assert_int_equal(rp_report_html(&sum, f), 0);
	fclose(f);
	check("json", json, "--no-trips");
	/* Stack, generator load, frequency, headroom, latency histogram. */
	check("html", html, "5");

	rp_summary_deinit(&sum);
	rp_live_deinit(&live);
	rp_demand_deinit(&d);
	rp_scenario_free(&s);
	wt_proc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
