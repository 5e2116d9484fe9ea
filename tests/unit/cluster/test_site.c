/* SPDX-License-Identifier: Apache-2.0 */
/* The orchestrator's site model against hand-computed cases: the envelope it derives, the
 * staircase and ramp pacing, miners paired with GPU rises, the monitor and the BESS, the
 * backfill after a drop, droop, and the grid-tied limits. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "site.h"
#include "wt/err.h"
#include "wt_test.h"

#define S  1000000000ull /* ns per s */
#define MS 1000000ull

static void gen_site(struct clu_site_cfg *c, double rated_w)
{
	memset(c, 0, sizeof(*c));
	c->mode = CLU_SITE_GENERATOR;
	c->capacity_w = (uint32_t)rated_w;
	wt_genset_cfg_init(&c->gen, rated_w, 60, WT_ISO8528_G2);
	c->gen.step_recovery_s = 10;
	c->gen.governor_tau_s =
		0.5; /* a brisk governor: the 10 % datasheet step binds everywhere */
	c->gen.ramp_w_per_s = rated_w / 30.0;
	c->setpoint_w = (uint32_t)(rated_w * 0.3);
}

static void add_miners(struct clu_site_cfg *c, uint32_t units)
{
	wt_miners_cfg_init(&c->miners);
	c->miners.n_units = units;
	c->miners.min_off_ms = 0;
	c->miners_initial_on = units;
}

static int setup(void **state)
{
	(void)state;
	wt_test_use_cmocka_alloc();
	return 0;
}

/* 10 % of 2 MW with the default model (a 10 % step dips 2.35 %, well inside G2's 10 %): the
 * step is the datasheet's 200 kW; the window is step_recovery_s. */
static void test_envelope(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	char err[128];

	(void)state;
	gen_site(&c, 2e6);
	assert_int_equal(clu_site_cfg_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	assert_int_equal(clu_site_step_w(s), 200000);
	assert_true(clu_site_window_ns(s) >= 10 * S);
	assert_true(fabs(clu_site_ramp(s) - 2e6 / 30.0) < 1e-6);
	clu_site_free(s);
}

/* A tight G3-like dip limit makes the nadir, not the datasheet, bound the step. */
static void test_envelope_nadir_bound(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;

	(void)state;
	gen_site(&c, 2e6);
	c.gen.iso.dip_pct = -1.0; /* 1 % dip: about 0.01 / 0.235 = 4.3 % of rated */
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	assert_true(clu_site_step_w(s) < 200000);
	assert_true(clu_site_step_w(s) > 60000 && clu_site_step_w(s) < 100000);
	clu_site_free(s);
}

/* No miners: 1000 GPUs x 500 W = 500 kW in steps of 200 kW (400 GPUs) every T. */
static void test_staircase(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[16];
	uint64_t T;
	int n;

	(void)state;
	gen_site(&c, 2e6);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	T = clu_site_window_ns(s);
	n = clu_site_plan(s, 5 * S, 1000, 500, 1, b, 16);
	assert_int_equal(n, 3);
	assert_int_equal(b[0].gpus, 400);
	assert_int_equal(b[1].gpus, 400);
	assert_int_equal(b[2].gpus, 200);
	assert_true(b[0].t_ns == 5 * S && b[0].lead_ns == 0);
	assert_true(b[1].t_ns == 5 * S + T);
	assert_true(b[2].t_ns == 5 * S + 2 * T);
	/* Nothing changes until commit; after it the next plan queues behind. */
	assert_int_equal(clu_site_plan(s, 5 * S, 1000, 500, 1, b, 16), 3);
	clu_site_commit(s, 5 * S, 500, b, 3);
	assert_int_equal(clu_site_gpu_plan_w(s), 500000);
	n = clu_site_plan(s, 5 * S, 100, 500, 1, b, 16);
	assert_int_equal(n, 1);
	assert_true(b[0].t_ns == 5 * S + 2 * T); /* 200 kW of the window is still free there */
	/* Too few batches allowed: refused, nothing committed. */
	assert_int_equal(clu_site_plan(s, 5 * S, 1000, 500, 1, b, 1), WT_E2BIG);
	clu_site_free(s);
}

/* Batches are whole nodes: 333 GPUs of 600 W would fit a 200 kW step, 41 nodes of 8 do. */
static void test_whole_nodes(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[16];
	uint32_t total = 0;
	int n;

	(void)state;
	gen_site(&c, 2e6);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	n = clu_site_plan(s, 0, 1000, 600, 8, b, 16);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		assert_true(i == n - 1 || b[i].gpus == 328);
		total += b[i].gpus;
	}
	assert_int_equal(total, 1000);
	assert_int_equal(b[n - 1].gpus, 1000 - 3 * 328);
	/* A node's rise above the step can never be paced, even if one GPU's could. */
	gen_site(&c, 20000); /* s = 2 kW */
	clu_site_free(s);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	assert_int_equal(clu_site_plan(s, 0, 16, 400, 8, b, 16), -ERANGE);
	assert_int_equal(clu_site_plan(s, 0, 16, 400, 1, b, 16), 4);
	clu_site_free(s);
}

/* A slow ramp (r T < s) paces by the ramp: the bucket refills at r. */
static void test_ramp_bound(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[64];
	double last_s;
	int n;

	(void)state;
	gen_site(&c, 2e6);
	c.gen.ramp_w_per_s = 10000; /* 10 kW/s: after the first 200 kW, 300 kW take 30 s */
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	n = clu_site_plan(s, 0, 1000, 500, 1, b, 64);
	assert_true(n > 2);
	assert_int_equal(b[0].gpus, 400);
	last_s = (double)b[n - 1].t_ns / S;
	assert_true(last_s >= 30.0 && last_s <= 30.0 + 25000.0 / 10000.0 + 1e-6);
	for (int i = 1; i < n; i++) {
		/* never more than s + r dt since the first batch */
		uint32_t sum = 0;

		for (int k = 0; k <= i; k++) {
			sum += b[k].gpus * 500;
		}
		assert_true(sum <= 200000 + 10000.0 * (double)b[i].t_ns / S + 1);
	}
	clu_site_free(s);
}

/* Miners: a 76.8 kW preload rise is swapped 1:1 for 24 units, commanded 200 ms ahead. */
static void test_miners_pairing(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[8];
	int n;

	(void)state;
	gen_site(&c, 2e6);
	add_miners(&c, 25);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	n = clu_site_plan(s, 1 * S, 512, 150, 1, b, 8);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].gpus, 512);
	assert_int_equal(b[0].shed, 24);
	assert_true(b[0].lead_ns == 200 * MS && b[0].t_ns == 1 * S + 200 * MS);
	clu_site_commit(s, 1 * S, 150, b, 1);
	/* Shed commanded at 1 s lands at 1.2 s: 25 units draw until then, 1 after. */
	clu_site_advance(s, 1 * S);
	assert_true(clu_site_miners_model_w(s, 1 * S + 199 * MS) == 25 * 3200.0);
	assert_true(clu_site_miners_model_w(s, 1 * S + 200 * MS) == 1 * 3200.0);
	/* The remaining rise has one unit left to swap: 204.8 kW - 3.2 kW > 200 kW: two batches. */
	n = clu_site_plan(s, 2 * S, 512, 400, 1, b, 8);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].gpus, 508);
	assert_int_equal(b[0].shed, 1);
	assert_int_equal(b[1].gpus, 4);
	clu_site_free(s);
}

/* One GPU's rise above the step can never be paced. */
static void test_gpu_too_big(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[4];

	(void)state;
	gen_site(&c, 10000); /* 10 % = 1 kW */
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	assert_int_equal(clu_site_plan(s, 0, 1, 1500, 1, b, 4), -ERANGE);
	assert_int_equal(clu_site_plan(s, 0, 1, 900, 1, b, 4), 1);
	clu_site_free(s);
}

/* The monitor: a measured jump above the step is a violation; one within it is not. */
static void test_monitor(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;

	(void)state;
	gen_site(&c, 2e6);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	clu_site_observe(s, 0, 500000, -1);
	clu_site_observe(s, 100 * MS, 690000, -1);
	assert_int_equal(clu_site_stats(s)->violations, 0);
	clu_site_observe(s, 200 * MS, 710000, -1); /* 210 kW above the window's 500 kW */
	assert_int_equal(clu_site_stats(s)->violations, 1);
	assert_true(clu_site_freq_hz(s) < 60.0);
	clu_site_free(s);
}

/* The BESS carries what exceeds the step, so the generator sees no violation. */
static void test_bess_covers(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;

	(void)state;
	gen_site(&c, 2e6);
	wt_bess_cfg_init(&c.bess, 250000, 50000);
	c.bess.response_ms = 0;
	c.bess_initial_soc = 1.0;
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	clu_site_observe(s, 0, 700000, -1);
	clu_site_observe(s, 10 * MS, 700000, -1);
	clu_site_observe(s, 20 * MS, 930000, -1); /* a 230 kW edge */
	clu_site_observe(s, 30 * MS, 930000, -1);
	assert_int_equal(clu_site_stats(s)->violations, 0);
	assert_true(clu_site_gen_w(s) <= 700000 + 200000 + 1);
	assert_true(s->bs.soc < 1.0);
	clu_site_free(s);
}

/* After a drop the miners are backfilled towards the set-point through the ledger: restores
 * are commanded at once and land restore_latency later. */
static void test_backfill(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	struct clu_batch b[8];
	int n;

	(void)state;
	gen_site(&c, 2e6);
	add_miners(&c, 50);
	c.miners_initial_on = 0;
	c.setpoint_w = 600000;
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	n = clu_site_plan(s, 0, 1200, 500, 1, b, 8); /* 600 kW: 3 steps, no miners to swap */
	assert_int_equal(n, 3);
	clu_site_commit(s, 0, 500, b, (uint32_t)n);
	clu_site_drop(s, 100 * S, 160000); /* room 160 kW below the set-point: 50 units */
	clu_site_advance(s, 100 * S);
	assert_true(clu_site_miners_model_w(s, 100 * S + 1999 * MS) == 0);
	assert_true(clu_site_miners_model_w(s, 102 * S) == 50 * 3200.0);
	assert_true(clu_site_stats(s)->miner_restores == 50);
	clu_site_free(s);
}

/* Unscheduled rises (measured, not paced): the miners are shed at once for what exceeds a step
 * over the window's base, once per shed latency; room below the set-point that lasts 2 s is
 * backfilled, paced. */
static void test_follow_generator(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;

	(void)state;
	gen_site(&c, 2e6);
	add_miners(&c, 100); /* 320 kW running */
	c.setpoint_w = 900000;
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	clu_site_observe(s, 0, 500000, -1); /* 820 kW net */
	clu_site_follow(s, 0, 0, 500000);
	assert_int_equal(clu_site_stats(s)->miner_sheds, 0);
	/* GPUs jump 260 kW: 60 kW beyond the 200 kW step: 19 units (60.8 kW) go. */
	clu_site_follow(s, 10 * MS, 0, 760000);
	clu_site_observe(s, 10 * MS, 760000, -1);
	assert_int_equal(clu_site_stats(s)->reactive_sheds, 19);
	clu_site_follow(s, 20 * MS, 0, 760000); /* landing: not again */
	assert_int_equal(clu_site_stats(s)->reactive_sheds, 19);
	clu_site_advance(s, 210 * MS);
	assert_true(clu_site_miners_model_w(s, 210 * MS) == 81 * 3200.0);
	/* The GPUs fall back: room below the 900 kW set-point, backfilled after 2 s. */
	for (uint64_t t = 300; t <= 2400; t += 100) {
		clu_site_follow(s, t * MS, 0, 500000);
		clu_site_observe(s, t * MS, 500000, -1);
	}
	assert_true(clu_site_stats(s)->miner_restores > 0);
	assert_true(s->miners_plan == 100);
	clu_site_free(s);
}

/* Grid: at a demand-response window's start the miners are shed to the target at once. */
static void test_follow_grid(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	int64_t day = 20000 * 86400ll;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.mode = CLU_SITE_GRID;
	c.capacity_w = 1000000;
	c.import_limit_w = 800000;
	c.dr[0] = (struct clu_dr_window){ 17 * 3600, 20 * 3600, 500000 };
	c.n_dr = 1;
	add_miners(&c, 100);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	clu_site_follow(s, 0, day + 16 * 3600, 400000); /* 400 + 320 kW < 800 kW */
	assert_int_equal(clu_site_stats(s)->miner_sheds, 0);
	clu_site_follow(s, 1 * S, day + 17 * 3600, 400000); /* target 500 kW: 220 kW must go */
	assert_int_equal(clu_site_stats(s)->miner_sheds, 69);
	assert_int_equal(s->miners_plan, 31);
	/* After the window: back up to the import limit once the room lasted 2 s. */
	clu_site_advance(s, 10 * S);
	clu_site_follow(s, 10 * S, day + 20 * 3600, 400000);
	clu_site_follow(s, 13 * S, day + 20 * 3600 + 3, 400000);
	assert_int_equal(s->miners_plan, 100);
	clu_site_free(s);
}

/* Steady state after a load change follows droop: df = -R dP / S. */
static void test_droop(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	double want = 60.0 * (1.0 - 0.05 * 100000.0 / 2e6);

	(void)state;
	gen_site(&c, 2e6);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	clu_site_observe(s, 0, 500000, -1);
	for (uint64_t t = 1; t <= 600; t++) {
		clu_site_observe(s, t * 100 * MS, 600000, -1);
	}
	assert_true(fabs(clu_site_freq_hz(s) - want) < 0.005);
	assert_true(clu_site_take_nadir(s) < want);
	clu_site_free(s);
}

/* Grid-tied: capacity is the least of budget, import limit and an active DR target. */
static void test_grid(void **state)
{
	struct clu_site_cfg c;
	struct clu_site *s;
	char err[128];
	int64_t day = 20000 * 86400ll; /* a midnight */

	(void)state;
	memset(&c, 0, sizeof(c));
	c.mode = CLU_SITE_GRID;
	c.capacity_w = 1000000;
	c.import_limit_w = 800000;
	c.dr[0] = (struct clu_dr_window){ 17 * 3600, 20 * 3600, 300000 };
	c.dr[1] = (struct clu_dr_window){ 23 * 3600, 1 * 3600, 500000 }; /* wraps */
	c.n_dr = 2;
	assert_int_equal(clu_site_cfg_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(clu_site_new(&s, &c, 0), 0);
	assert_int_equal(clu_site_capacity_at(s, day + 12 * 3600), 800000);
	assert_int_equal(clu_site_capacity_at(s, day + 18 * 3600), 300000);
	assert_int_equal(clu_site_capacity_at(s, day + 30 * 60), 500000);
	assert_int_equal(clu_site_capacity_over(s, day + 16 * 3600, 3600), 800000);
	assert_int_equal(clu_site_capacity_over(s, day + 16 * 3600, 2 * 3600), 300000);
	assert_int_equal(clu_site_capacity_over(s, day + 12 * 3600, 0), 300000);
	/* No envelope on the grid: one batch at once. */
	{
		struct clu_batch b[2];

		assert_int_equal(clu_site_plan(s, 0, 1000, 600, 1, b, 2), 1);
	}
	c.dr[0].start_s = c.dr[0].end_s;
	assert_int_equal(clu_site_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	clu_site_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_envelope, setup),
		cmocka_unit_test_setup(test_envelope_nadir_bound, setup),
		cmocka_unit_test_setup(test_staircase, setup),
		cmocka_unit_test_setup(test_whole_nodes, setup),
		cmocka_unit_test_setup(test_ramp_bound, setup),
		cmocka_unit_test_setup(test_miners_pairing, setup),
		cmocka_unit_test_setup(test_gpu_too_big, setup),
		cmocka_unit_test_setup(test_monitor, setup),
		cmocka_unit_test_setup(test_bess_covers, setup),
		cmocka_unit_test_setup(test_backfill, setup),
		cmocka_unit_test_setup(test_follow_generator, setup),
		cmocka_unit_test_setup(test_follow_grid, setup),
		cmocka_unit_test_setup(test_droop, setup),
		cmocka_unit_test_setup(test_grid, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
