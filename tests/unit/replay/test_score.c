/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay scoring on hand-made cases: static derating, perfect foresight (rack limit
 * and site budget), energy shares, work lost, the plant's breaker trips and generator step
 * violations, percentiles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "score.h"
#include "wt_test.h"

/* Two racks of two nodes (nameplate 1 kW), limits 1.5 kW and 1 kW, budget 2 kW, 1 s steps. */
static const char scenario[] =
	"step: 1s\nduration: 4s\nbudget_w: 2kW\n"
	"racks:\n"
	"  - {id: a, limit_w: 1.5kW, floor_w: 0, nodes: [{id: a/1, source: constant, nameplate_w: "
	"1kW, floor_w: 0}, {id: a/2, source: constant, nameplate_w: 1kW, floor_w: 0}]}\n"
	"  - {id: b, limit_w: 1kW, floor_w: 0, nodes: [{id: b/1, source: constant, nameplate_w: "
	"1kW, floor_w: 0}, {id: b/2, source: constant, nameplate_w: 1kW, floor_w: 0}]}\n";

/* Demand per node per step (W). */
static const double dem[4][4] = {
	{ 1000, 500, 900, 0 }, /* a/1 */
	{ 1000, 500, 100, 0 }, /* a/2 */
	{ 200, 1000, 400, 0 }, /* b/1 */
	{ 200, 1000, 700, 0 }, /* b/2 */
};

struct fixture {
	struct rp_scenario s;
	struct rp_demand d;
	const struct rp_node_cfg *nodes[4];
	size_t rack_of[4];
	double w[16];
};

static int setup(void **state)
{
	static struct fixture fx;
	struct wt_cfg_errors errs;

	wt_test_use_cmocka_alloc();
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(rp_scenario_load_buffer("s.yaml", ".", scenario, sizeof(scenario) - 1,
						 &fx.s, &errs),
			 0);
	fx.d.n_nodes = 4;
	fx.d.n_steps = 4;
	fx.d.step_ms = 1000;
	fx.d.w = fx.w;
	fx.d.node = fx.nodes;
	fx.d.rack_of = fx.rack_of;
	for (size_t i = 0; i < 4; i++) {
		fx.nodes[i] = &fx.s.racks[i / 2].nodes[i % 2];
		fx.rack_of[i] = i / 2;
		for (size_t k = 0; k < 4; k++) {
			fx.w[i * 4 + k] = dem[i][k];
		}
	}
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	rp_scenario_free(&fx->s);
	return 0;
}

static void test_static(void **state)
{
	struct fixture *fx = *state;
	struct rp_alloc a;
	struct rp_energy e;

	rp_alloc_static(&fx->s, &fx->d, 0.7, &a);
	/* min(demand, 700) */
	assert_float_equal(*rp_alloc_at(&a, 0, 0), 700, 1e-9);
	assert_float_equal(*rp_alloc_at(&a, 0, 1), 500, 1e-9);
	assert_float_equal(*rp_alloc_at(&a, 3, 2), 700, 1e-9);
	rp_energy_of(&fx->s, &fx->d, &a, NULL, &e);
	/* demanded: 2400 + 1600 + 1600 + 1900 = 7500 W s = 7500/3600 Wh */
	assert_float_equal(e.demanded_wh, 7500.0 / 3600, 1e-9);
	/* delivered: step0 700+700+200+200, step1 500+500+700+700, step2 700+100+400+700 */
	assert_float_equal(e.delivered_wh, (1800 + 2400 + 1900) / 3600.0, 1e-9);
	assert_float_equal(e.rack_wh[0], (1400 + 1000 + 800) / 3600.0, 1e-9);
	assert_int_equal(e.capped_samples, 5);
	assert_true(isnan(e.work_lost_pct));
	rp_energy_deinit(&e);
	rp_alloc_deinit(&a);
}

static void test_oracle(void **state)
{
	struct fixture *fx = *state;
	struct rp_alloc a;
	struct rp_energy e;

	rp_alloc_oracle(&fx->s, &fx->d, &a);
	/* step 0: a wants 2000 -> 1500, b 400 -> 400; 1900 <= budget 2000. */
	assert_float_equal(*rp_alloc_at(&a, 0, 0) + *rp_alloc_at(&a, 1, 0), 1500, 1e-9);
	assert_float_equal(*rp_alloc_at(&a, 0, 0), 750, 1e-9);
	assert_float_equal(*rp_alloc_at(&a, 2, 0), 200, 1e-9);
	/* step 1: a 1000 -> 1000, b 2000 -> 1000; 2000 = budget. */
	assert_float_equal(*rp_alloc_at(&a, 2, 1) + *rp_alloc_at(&a, 3, 1), 1000, 1e-9);
	/* step 2: a 1000, b 1100 -> 1000; 2000 fits. */
	rp_energy_of(&fx->s, &fx->d, &a, NULL, &e);
	assert_float_equal(e.delivered_wh, (1900 + 2000 + 2000) / 3600.0, 1e-9);
	rp_energy_deinit(&e);
	rp_alloc_deinit(&a);
	/* A smaller budget binds: everything scaled to 1.5 kW. */
	fx->s.budget_w = 1500;
	rp_alloc_oracle(&fx->s, &fx->d, &a);
	rp_energy_of(&fx->s, &fx->d, &a, NULL, &e);
	assert_float_equal(e.delivered_wh, (1500 + 1500 + 1500) / 3600.0, 1e-9);
	rp_energy_deinit(&e);
	rp_alloc_deinit(&a);
}

static void test_work_lost(void **state)
{
	struct fixture *fx = *state;
	struct rp_zeus z = { .n = 2, .power_frac = { 0.5, 1.0 }, .work_frac = { 0.25, 1.0 } };
	struct rp_alloc a;
	struct rp_energy e;

	rp_alloc_init(&a, 4, 4);
	for (size_t i = 0; i < 4; i++) {
		for (size_t k = 0; k < 4; k++) {
			*rp_alloc_at(&a, i, k) = dem[i][k] / 2; /* half the power everywhere */
		}
	}
	rp_energy_of(&fx->s, &fx->d, &a, &z, &e);
	/* At half the power the profile does a quarter of the work: 75 % lost. */
	assert_float_equal(e.work_lost_pct, 75, 1e-9);
	rp_energy_deinit(&e);
	rp_alloc_deinit(&a);
}

static void test_plant(void **state)
{
	struct fixture *fx = *state;
	struct rp_alloc a;
	struct rp_plant p;
	double big;

	/* Within the limits: no trip; the generator (rated = budget 2 kW) is stepped from 0 to
	 * 1.5 kW at step 1: 75 % of rated in one second, above the 10 % max step. */
	rp_alloc_init(&a, 4, 4);
	*rp_alloc_at(&a, 0, 1) = 750;
	*rp_alloc_at(&a, 1, 1) = 750;
	*rp_alloc_at(&a, 0, 2) = 750;
	*rp_alloc_at(&a, 1, 2) = 750;
	rp_plant_eval(&fx->s, &a, &p);
	assert_int_equal(p.breaker_trips, 0);
	assert_float_equal(p.rack_max_w[0], 1500, 1e-9);
	assert_float_equal(p.rack_min_headroom_w[0], 0, 1e-9);
	assert_float_equal(p.rack_min_headroom_w[1], 1000, 1e-9);
	assert_int_equal(p.step_violations, 1);
	assert_true(p.nadir_hz < 60);
	assert_true(p.violations >= 1);
	rp_plant_deinit(&p);
	/* Rack a at 6 x its breaker's rating: the instantaneous element trips at once, every
	 * step it lasts (the breaker is reset after each counted trip). */
	big = 6 * fx->s.racks[0].bcfg.rated_a * wt_breaker_amps_to_watts(&fx->s.racks[0].bcfg, 1.0);
	for (size_t k = 0; k < 3; k++) {
		*rp_alloc_at(&a, 0, k) = big;
	}
	rp_plant_eval(&fx->s, &a, &p);
	assert_int_equal(p.rack_trips[0], 3);
	assert_int_equal(p.rack_trips[1], 0);
	assert_int_equal(p.breaker_trips, 3);
	assert_true(p.overload_violations >= 1);
	rp_plant_deinit(&p);
	rp_alloc_deinit(&a);
}

static void test_percentiles(void **state)
{
	double v[1000];
	struct rp_pct p;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		v[i] = 1000 - i; /* 1000 .. 1, unsorted order */
	}
	rp_percentiles(v, 1000, &p);
	assert_int_equal(p.count, 1000);
	assert_float_equal(p.p50, 500, 0);
	assert_float_equal(p.p99, 990, 0);
	assert_float_equal(p.p999, 999, 0);
	assert_float_equal(p.max, 1000, 0);
	assert_float_equal(p.mean, 500.5, 1e-9);
	assert_float_equal(v[0], 1000, 0);
	rp_percentiles(v, 0, &p);
	assert_int_equal(p.count, 0);
	assert_true(isnan(p.p99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oracle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_work_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plant, setup, teardown),
		cmocka_unit_test(test_percentiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
