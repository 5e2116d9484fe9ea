/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-plan computations against hand-computed values, and a site that must fail. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

static char n_idle[] = "idle", n_preload[] = "preload", n_compute[] = "compute";
static struct plan_phase phases[3] = {
	{ n_idle, 100 },
	{ n_preload, 250 },
	{ n_compute, 650 },
};

static void site(struct plan_cfg *c, uint32_t miners)
{
	memset(c, 0, sizeof(*c));
	c->generator = (struct plan_generator_yaml){ .rated_w = 2000000,
						     .iso_class = WT_ISO8528_G2,
						     .max_step_pct = 10,
						     .ramp_w_per_s = 66000,
						     .step_recovery_s = 10,
						     .inertia_h_s = 0.5,
						     .droop_pct = 5,
						     .governor_tau_s = 1,
						     .f_nominal_hz = 60 };
	c->bess = (struct plan_bess_yaml){ 250000, 50000, 20, 0.85 };
	c->miners = (struct plan_miners_yaml){ miners, 3200, 200, 2000 };
	c->fleet = (struct plan_fleet_yaml){ 512, phases, 3, 0.99 };
	plan_cfg_derive(c);
}

static double fig(const struct plan_result *r, const char *sec, const char *name)
{
	const struct plan_fig *f = plan_fig_find(r, sec, name);

	assert_non_null(f);
	return f->value;
}

static void test_step_w(void **state)
{
	struct plan_cfg c;
	struct plan_result r;

	(void)state;
	site(&c, 200);
	assert_int_equal(plan_calc(&c, &r), 0);
	/* 0.99 x 512 x 150 = 76032; x 400 = 202752; x -550 = -278784 */
	assert_float_equal(fig(&r, "fleet", "idle->preload.step_w"), 76032, 1e-6);
	assert_float_equal(fig(&r, "fleet", "preload->compute.step_w"), 202752, 1e-6);
	assert_float_equal(fig(&r, "fleet", "compute->idle.step_w"), -278784, 1e-6);
}

static void test_gpus_per_s(void **state)
{
	struct plan_cfg c;
	struct plan_result r;
	struct wt_genset_state st;
	double s, t, want;

	(void)state;
	site(&c, 200);
	assert_int_equal(plan_calc(&c, &r), 0);
	/* the genset carries 512 x 100 + 88 x 3200 = 332800 W before idle->preload */
	wt_genset_state_init(&c.gcfg, &st, 332800);
	s = (double)wt_genset_max_step_w(&c.gcfg, &st);
	assert_float_equal(s, 200000, 1); /* 10 % of rated binds */
	t = wt_genset_step_interval_s(&c.gcfg);
	want = fmin(66000, s / t) / (0.99 * 150);
	assert_float_equal(fig(&r, "pacing", "idle->preload.gpus_per_s"), want, 1e-9);
	assert_float_equal(fig(&r, "pacing", "preload->compute.gpus_per_s"),
			   fmin(66000, s / t) / (0.99 * 400), 1e-9);
}

static void test_bringup(void **state)
{
	struct plan_cfg c;
	struct plan_result r;

	(void)state;
	site(&c, 0);
	assert_int_equal(plan_calc(&c, &r), 0);
	/* rise 512 x 550 = 281600 W; s = 200 kW, T = 10 s, r = 66 kW/s:
	 * max((ceil(1.408) - 1) x 10, 81600 / 66000) = 10 s */
	assert_float_equal(fig(&r, "bringup", "rise_w"), 281600, 1e-6);
	assert_float_equal(fig(&r, "bringup", "min_s"), 10, 1e-9);
	/* with 200 miners: 88 units fill idle 51200 W up to the 332800 W peak: net rise 0 */
	site(&c, 200);
	assert_int_equal(plan_calc(&c, &r), 0);
	assert_float_equal(fig(&r, "bringup", "miners_on_w"), 281600, 1e-6);
	assert_float_equal(fig(&r, "bringup", "min_s"), 0, 1e-9);
}

static void test_bess(void **state)
{
	struct plan_cfg c;
	struct plan_result r;

	(void)state;
	site(&c, 200);
	assert_int_equal(plan_calc(&c, &r), 0);
	/* edge 202752 W, genset step 200000 W: power 2752 W for 200 ms = 0.152889 Wh */
	assert_float_equal(fig(&r, "bess", "power_needed_w"), 2752, 1);
	assert_float_equal(fig(&r, "bess", "energy_needed_wh"), 2752 * 0.2 / 3600, 1e-3);
	assert_int_equal(plan_fig_find(&r, "bess", "power_needed_w")->check, PLAN_PASS);
	/* no miners: the BESS hands 2752 W to the genset at 66 kW/s: 2752^2 / 132000 / 3600 Wh */
	site(&c, 0);
	assert_int_equal(plan_calc(&c, &r), 0);
	assert_float_equal(fig(&r, "bess", "energy_needed_wh"), 2752.0 * 2752 / 132000 / 3600,
			   1e-3);
}

static void test_failing_site(void **state)
{
	struct plan_cfg c;
	struct plan_result r;

	(void)state;
	site(&c, 0);
	c.fleet.gpus = 4096; /* 4096 x 650 = 2.66 MW on a 2 MW set */
	c.bess.power_w = 1000;
	plan_cfg_derive(&c);
	assert_int_equal(plan_calc(&c, &r), 0);
	assert_true(r.failed > 0);
	assert_int_equal(plan_fig_find(&r, "capacity", "fleet_peak_w")->check, PLAN_FAIL);
	assert_int_equal(plan_fig_find(&r, "bess", "power_needed_w")->check, PLAN_FAIL);
}

static void test_cfg_refuses(void **state)
{
	static const char bad[] = "generator: { rated_w: 2MW }\n"
				  "bess: { power_w: 10kW, energy_wh: 100 }\n"
				  "miners: { units: 0 }\n"
				  "fleet:\n  gpus: 8\n  correlation: 1.5\n  phases:\n"
				  "    - { name: idle, watts_per_gpu: 100 }\n"
				  "    - { name: run, watts_per_gpu: 600 }\n";
	struct plan_cfg c;
	struct wt_cfg_errors errs = { 0 };

	(void)state;
	assert_true(plan_cfg_load_buffer("bad.yaml", bad, sizeof(bad) - 1, &c, &errs) < 0);
	assert_true(errs.count >= 1);
	assert_non_null(strstr(errs.e[0].key, "fleet.correlation"));
	assert_int_equal(errs.e[0].line, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_w),	     cmocka_unit_test(test_gpus_per_s),
		cmocka_unit_test(test_bringup),	     cmocka_unit_test(test_bess),
		cmocka_unit_test(test_failing_site), cmocka_unit_test(test_cfg_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
