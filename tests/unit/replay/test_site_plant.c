/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay plant with miners and a BESS on hand-made cases: the BESS covers what rises
 * more than a step above the step window's lowest load (the cluster's rule) within its power
 * and energy; the miners' draw adds to the generator's load; a shed that lands with a GPU rise
 * leaves the generator flat. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "score.h"
#include "wt_test.h"

#define N 30u /* steps of 100 ms */

/* One node on a 20 kW rack; a 10 kW genset (step 1 kW) with a 1 s step window. */
#define BASE                                                                                       \
	"step: 100ms\nduration: 3s\nbudget_w: 10kW\n"                                              \
	"racks:\n"                                                                                 \
	"  - {id: a, limit_w: 20kW, floor_w: 0, nodes: [{id: a/1, source: constant, "              \
	"nameplate_w: 10kW, floor_w: 0}]}\n"                                                       \
	"genset: {rated_w: 10kW, step_recovery_s: 1}\n"

static void load(const char *y, struct rp_scenario *s)
{
	struct wt_cfg_errors errs;

	memset(s, 0, sizeof(*s));
	assert_int_equal(rp_scenario_load_buffer("p.yaml", ".", y, strlen(y), s, &errs), 0);
}

/* GPUs at @lo W, then @hi W from step 10 on. */
static void gpu(struct rp_alloc *a, double lo, double hi)
{
	rp_alloc_init(a, 1, N);
	for (size_t k = 0; k < N; k++) {
		*rp_alloc_at(a, 0, k) = k < 10 ? lo : hi;
	}
}

static int setup(void **state)
{
	(void)state;
	wt_test_use_cmocka_alloc();
	return 0;
}

static void test_bess_covers_a_step(void **state)
{
	struct rp_scenario s;
	struct rp_alloc a;
	struct rp_plant p;
	double cells_wh;

	(void)state;
	gpu(&a, 5000, 7000);
	/* No BESS: a 2 kW rise on a 1 kW step. */
	load(BASE, &s);
	rp_plant_eval_site(&s, &a, NULL, &p);
	assert_int_equal(p.step_violations, 1);
	assert_float_equal(p.bess_out_wh, 0, 0);
	assert_float_equal(p.bess_min_soc, 1, 0);
	rp_plant_deinit(&p);
	rp_scenario_free(&s);
	/* A 2 kW BESS answering at once: it carries 1 kW (the excess over base + step) until the
	 * 5 kW base leaves the 1 s window (steps 10..19), then the set takes the last 1 kW: two
	 * rises of exactly one step, 0 violations. */
	load(BASE "bess: {power_w: 2kW, energy_wh: 100, response_ms: 0}\n", &s);
	rp_plant_eval_site(&s, &a, NULL, &p);
	assert_int_equal(p.step_violations, 0);
	assert_int_equal(p.violations, 0);
	assert_float_equal(p.bess_w[9], 0, 1e-9);
	assert_float_equal(p.bess_w[10], 1000, 1e-6);
	assert_float_equal(p.bess_w[19], 1000, 1e-6);
	assert_float_equal(p.bess_w[20], 0, 1e-9);
	assert_float_equal(p.site_w[10], 6000, 1e-6);
	assert_float_equal(p.site_w[20], 7000, 1e-6);
	assert_float_equal(p.bess_out_wh, 10 * 0.1 * 1000 / 3600, 1e-9);
	assert_float_equal(p.bess_peak_w, 1000, 1e-6);
	cells_wh = p.bess_out_wh / sqrt(0.85);
	assert_float_equal(p.bess_min_soc, 1 - cells_wh / 100, 1e-9);
	rp_plant_deinit(&p);
	rp_scenario_free(&s);
	/* The same BESS holding 0.1 Wh: it runs empty after about a third of a second, never
	 * delivering more than it holds, and the step comes back. */
	load(BASE "bess: {power_w: 2kW, energy_wh: 0.1, response_ms: 0}\n", &s);
	rp_plant_eval_site(&s, &a, NULL, &p);
	assert_true(p.bess_out_wh <= 0.1 * sqrt(0.85) + 1e-9);
	assert_true(p.bess_out_wh > 0.09);
	assert_float_equal(p.bess_min_soc, 0, 1e-9);
	assert_int_equal(p.step_violations, 1);
	rp_plant_deinit(&p);
	rp_scenario_free(&s);
	rp_alloc_deinit(&a);
}

static void test_miners_on_the_bus(void **state)
{
	struct rp_scenario s;
	struct rp_alloc a;
	struct rp_plant p;
	double m[N];

	(void)state;
	load(BASE, &s);
	/* Miners restored all at once (2 kW) on a flat GPU load: a step violation, and the
	 * generator carries GPUs + miners. */
	gpu(&a, 5000, 5000);
	for (size_t k = 0; k < N; k++) {
		m[k] = k < 10 ? 0 : 2000;
	}
	rp_plant_eval_site(&s, &a, m, &p);
	assert_int_equal(p.step_violations, 1);
	assert_float_equal(p.site_max_w, 7000, 1e-9);
	assert_float_equal(p.site_w[20], 7000, 1e-9);
	rp_plant_deinit(&p);
	rp_alloc_deinit(&a);
	/* The counterweight: the miners' shed lands with a 2 kW GPU rise: the set sees nothing. */
	gpu(&a, 5000, 7000);
	for (size_t k = 0; k < N; k++) {
		m[k] = k < 10 ? 2000 : 0;
	}
	rp_plant_eval_site(&s, &a, m, &p);
	assert_int_equal(p.violations, 0);
	assert_float_equal(p.site_max_w, 7000, 1e-9);
	assert_true(fabs(p.nadir_hz - 60) < 0.5);
	rp_plant_deinit(&p);
	/* Without the miners' array the same GPUs violate: rp_plant_eval() is the GPU-only plant.
	 */
	rp_plant_eval(&s, &a, &p);
	assert_int_equal(p.step_violations, 1);
	rp_plant_deinit(&p);
	rp_alloc_deinit(&a);
	rp_scenario_free(&s);
}

static void test_bess_recharges_below_setpoint(void **state)
{
	struct rp_scenario s;
	struct rp_alloc a;
	struct rp_plant p;

	(void)state;
	/* GPUs 5 -> 7 kW then back to 2 kW (below the 30 % set-point): after discharging, the
	 * BESS recharges at a twentieth of its power (100 W), which the set carries. */
	load(BASE "bess: {power_w: 2kW, energy_wh: 100, response_ms: 0}\n", &s);
	gpu(&a, 5000, 7000);
	for (size_t k = 20; k < N; k++) {
		*rp_alloc_at(&a, 0, k) = 2000;
	}
	rp_plant_eval_site(&s, &a, NULL, &p);
	assert_float_equal(p.bess_w[25], -100, 1e-6);
	assert_float_equal(p.site_w[25], 2100, 1e-6);
	assert_int_equal(p.step_violations, 0);
	rp_plant_deinit(&p);
	rp_alloc_deinit(&a);
	rp_scenario_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bess_covers_a_step, setup),
		cmocka_unit_test_setup(test_miners_on_the_bus, setup),
		cmocka_unit_test_setup(test_bess_recharges_below_setpoint, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
