/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scenario: a good file with its derived values, and refusals that name the
 * file, the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "wt_test.h"

#define RACK_A                                                                                     \
	"racks:\n"                                                                                 \
	"  - id: rack-a\n"                                                                         \
	"    limit_w: 11.6kW\n"                                                                    \
	"    floor_w: 6kW\n"                                                                       \
	"    nodes:\n"                                                                             \
	"      - {id: rack-a/node-1, source: constant, constant_w: 3kW, floor_w: 2kW}\n"           \
	"      - {id: rack-a/node-2, source: training, gpus: 4, floor_w: 2kW, class: training}\n"

static int setup(void **state)
{
	(void)state;
	wt_test_use_cmocka_alloc();
	return 0;
}

static void test_good(void **state)
{
	static const char y[] = "duration: 10s\nbudget_w: 0\n" RACK_A;
	struct rp_scenario s = { 0 };
	struct wt_cfg_errors errs;

	(void)state;
	assert_int_equal(rp_scenario_load_buffer("good.yaml", "/data", y, sizeof(y) - 1, &s, &errs),
			 0);
	assert_int_equal(s.n_racks, 1);
	assert_int_equal(s.n_nodes, 2);
	assert_int_equal(s.duration_ms, 10000);
	assert_int_equal(s.step_ms, 100);
	/* Budget defaults to the sum of the limits; the breaker carries at least the limit. */
	assert_int_equal(s.budget_w, 11600);
	assert_true(s.racks[0].pool_w >= 11600);
	assert_true(s.racks[0].pool_w < 11600 + 5);
	assert_int_equal(s.racks[0].nodes[1].gpus, 4);
	assert_int_equal(s.racks[0].nodes[0].nameplate_w, 5600);
	assert_float_equal(s.training.high_w, 540, 1e-9);
	assert_int_equal(s.training.high_ms, 47000);
	assert_int_equal(s.training.low_ms, 22000);
	assert_float_equal(s.training.correlation, 0.995, 1e-12);
	assert_float_equal(s.static_fraction, 0.7, 1e-12);
	{
		char p[128];

		assert_int_equal(rp_scenario_path(&s, "t.csv", p, sizeof(p)), 0);
		assert_string_equal(p, "/data/t.csv");
		assert_int_equal(rp_scenario_path(&s, "/abs/t.csv", p, sizeof(p)), 0);
		assert_string_equal(p, "/abs/t.csv");
	}
	rp_scenario_free(&s);
}

static void refused(const char *y, const char *want)
{
	struct rp_scenario s = { 0 };
	struct wt_cfg_errors errs;
	char line[900];
	bool found = false;

	assert_true(rp_scenario_load_buffer("bad.yaml", ".", y, strlen(y), &s, &errs) < 0);
	for (size_t i = 0; i < errs.count; i++) {
		wt_cfg_error_str(&errs.e[i], line, sizeof(line));
		if (strstr(line, want) != NULL) {
			found = true;
		}
	}
	if (!found) {
		for (size_t i = 0; i < errs.count; i++) {
			wt_cfg_error_str(&errs.e[i], line, sizeof(line));
			fprintf(stderr, "got: %s\n", line);
		}
		fail_msg("no error containing '%s'", want);
	}
}

static void test_refusals(void **state)
{
	(void)state;
	refused("bogus: 1\n" RACK_A, "bad.yaml:1: unknown key 'bogus'");
	refused("duration: 10s\n" RACK_A "      - {id: rack-a/node-3, floor_w: 2kW}\n",
		"bad.yaml:9: key 'racks[0].nodes[2].trace': required for source trace");
	refused("duration: 10s\n" RACK_A
		"      - {id: rack-a/node-3, source: constant, floor_w: 2.5kW}\n",
		"nodes' floors add up to 6500 W, above floor_w 6000 W");
	refused("duration: 10s\n" RACK_A
		"      - {id: rack-a/node-1, source: constant, floor_w: 0}\n",
		"'rack-a/node-1' is used twice");
	refused("racks:\n  - {id: r, limit_w: 5kW, floor_w: 6kW, nodes: [{id: n, source: constant, "
		"floor_w: 0}]}\n",
		"bad.yaml:2: key 'racks[0].floor_w': floor 6000 W is above limit_w 5000 W");
	refused("racks:\n  - {id: r, limit_w: 5kW, floor_w: 1500, nodes: [{id: n, source: "
		"constant, "
		"floor_w: 0}]}\n",
		"not a whole number of kW");
	refused("duration: 10s\n" RACK_A "      - {id: x, source: constant, floor_w: 0, arrivals: "
		"true}\n",
		"needs arrivals.file");
	refused("training: {correlation: 0.2}\n" RACK_A,
		"key 'training.correlation' = 0.2 is out of range");
}

static void test_site_keys(void **state)
{
	static const char y[] = "genset: {setpoint_pct: 90, step_recovery_s: 5}\n"
				"miners: {units: 4, unit_w: 2kW, shed_latency_ms: 100ms}\n"
				"bess: {power_w: 3kW, energy_wh: 50}\n" RACK_A;
	static const char plain[] = "duration: 10s\n" RACK_A;
	struct rp_scenario s = { 0 };
	struct wt_cfg_errors errs;

	(void)state;
	assert_int_equal(rp_scenario_load_buffer("site.yaml", ".", y, sizeof(y) - 1, &s, &errs), 0);
	assert_true(s.have_miners);
	assert_true(s.have_bess);
	assert_true(rp_scenario_orchestrated(&s));
	assert_int_equal(s.miners_w, 8000);
	assert_int_equal(s.mcfg.n_units, 4);
	assert_int_equal(s.mcfg.shed_latency_ms, 100);
	assert_int_equal(s.mcfg.restore_latency_ms, 2000); /* defaults of the cluster's keys */
	assert_int_equal(s.mcfg.min_off_ms, 10000);
	assert_float_equal(s.bess_cfg.power_w, 3000, 0);
	assert_float_equal(s.bess_cfg.response_ms, 20, 0);
	/* The set carries the GPUs' budget and the miners at full power. */
	assert_float_equal(s.gcfg.rated_w, 11600 + 8000, 0);
	assert_float_equal(s.gcfg.step_recovery_s, 5, 0);
	rp_scenario_free(&s);
	/* Without miners: or bess: nothing changes and the cluster gets no site: block. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(
		rp_scenario_load_buffer("p.yaml", ".", plain, sizeof(plain) - 1, &s, &errs), 0);
	assert_false(s.have_miners);
	assert_false(s.have_bess);
	assert_false(rp_scenario_orchestrated(&s));
	assert_float_equal(s.gcfg.rated_w, 11600, 0);
	rp_scenario_free(&s);
}

static void test_site_refusals(void **state)
{
	(void)state;
	refused("bess: {power_w: 2kW}\n" RACK_A,
		"bad.yaml:1: key 'bess.energy_wh': required (> 0) with bess.power_w");
	refused("bess: {energy_wh: 10}\n" RACK_A,
		"bad.yaml:1: key 'bess.power_w': required (> 0) with bess.energy_wh");
	refused("bess: {power_w: 2kW, energy_wh: 10, response_ms: 20s}\n" RACK_A,
		"key 'bess.response_ms'");
	refused("miners: {units: 4, unit_w: 500}\n" RACK_A, "key 'miners.unit_w'");
	refused("miners: {units: 200000}\n" RACK_A, "key 'miners.units'");
	refused("miners: {units: 4, shed_latency_ms: 20min}\n" RACK_A,
		"key 'miners.shed_latency_ms'");
	refused("miners: {units: 4, bogus: 1}\n" RACK_A, "bad.yaml:1: unknown key");
	refused("genset: {setpoint_pct: 20}\n" RACK_A,
		"bad.yaml:1: key 'genset.setpoint_pct': 20 % is below min_load_pct 30 %");
	refused("genset: {step_recovery_s: 601}\n" RACK_A, "key 'genset.step_recovery_s'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_site_keys, setup),
		cmocka_unit_test_setup(test_site_refusals, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
