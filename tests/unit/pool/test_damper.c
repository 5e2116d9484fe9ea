/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the damper: hysteresis in both directions, safety over damping, reversal
 * counting, the cooldown and its end, window expiry, configuration limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "damper.h"
#include "wt/err.h"
#include "wt_test.h"

#define MS(x) ((uint64_t)(x)*1000000ull)

static void test_cfg(void **state)
{
	static const struct {
		struct pool_damper_cfg cfg;
		int rc;
	} cases[] = {
		{ { 5, 10, 3, 1000, 500 }, 0 },
		{ { 0, 0, 0, 1, 0 }, 0 },
		{ { 1000, 99, UINT32_MAX, 3600000, 3600000 }, 0 },
		{ { 1001, 10, 3, 1000, 500 }, WT_ECONFIG },
		{ { 5, 100, 3, 1000, 500 }, WT_ECONFIG },
		{ { 5, 10, 3, 0, 500 }, WT_ECONFIG },
		{ { 5, 10, 3, 3600001, 500 }, WT_ECONFIG },
		{ { 5, 10, 3, 1000, 3600001 }, WT_ECONFIG },
	};
	struct pool_damper_cfg def;

	pool_damper_cfg_default(&def);
	assert_int_equal(def.grow_pct, 5);
	assert_int_equal(def.shrink_pct, 10);
	assert_int_equal(def.max_reversals, 3);
	assert_int_equal(def.window_ms, 1000);
	assert_int_equal(def.cooldown_ms, 500);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pool_damper_cfg_check(&cases[i].cfg), cases[i].rc);
	}
}

/* One decision from fresh state with the default config. */
static void test_hysteresis_table(void **state)
{
	static const struct {
		uint32_t cur, proposed, fit, want_res;
		bool damped;
	} cases[] = {
		{ 1000, 1000, 5000, 1000, false }, /* no change */
		{ 1000, 1050, 5000, 1000, true },  /* +5 % exactly: not above, held */
		{ 1000, 1051, 5000, 1051, false }, /* just above +5 % */
		{ 1000, 900, 5000, 1000, true },   /* -10 % exactly: not below, held */
		{ 1000, 899, 5000, 899, false },   /* just below -10 % */
		{ 0, 100, 5000, 100, false },	   /* from nothing: any growth */
		{ 100, 0, 5000, 0, false },	   /* to nothing: any shrink */
		{ 0, 0, 0, 0, false },
		{ 1000, 950, 900, 900, false },	   /* forced shrink by fit: never damped */
		{ 1000, 1200, 600, 600, false },   /* fit below cur: forced, not damped */
		{ 1000, 1200, 1100, 1100, false }, /* growth limited by fit, still > +5 % */
		{ 1000, 1200, 1040, 1000, true },  /* what fits is inside the band: held */
		{ 1000, 500, 700, 500, false },	   /* voluntary shrink below what fits */
		{ 1000, 950, 1000, 1000, true },   /* held at cur, which fits exactly */
		/* 64-bit band: 4e9 * 1.05 = 4.2e9 exactly, not above. */
		{ 4000000000u, 4200000000u, UINT32_MAX, 4000000000u, true },
		{ 4000000000u, 4200000001u, UINT32_MAX, 4200000001u, false },
		{ UINT32_MAX, 3865470565u, UINT32_MAX, 3865470565u, false }, /* < 90 % */
		{ UINT32_MAX, 3865470566u, UINT32_MAX, UINT32_MAX, true },
	};
	struct pool_damper_cfg cfg;

	pool_damper_cfg_default(&cfg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_damper d;
		bool damped = !cases[i].damped;
		uint32_t res;

		pool_damper_init(&d);
		res = pool_damper_step(&d, &cfg, cases[i].cur, cases[i].proposed, cases[i].fit,
				       MS(1), &damped);
		if (res != cases[i].want_res || damped != cases[i].damped) {
			print_error("case %zu: res=%u damped=%d\n", i, res, damped);
		}
		assert_int_equal(res, cases[i].want_res);
		assert_int_equal(damped, cases[i].damped);
	}
}

static void test_hysteresis_disabled(void **state)
{
	struct pool_damper_cfg cfg = { 0, 0, UINT32_MAX, 1000, 0 };
	struct pool_damper d;
	uint32_t cur = 1000;

	pool_damper_init(&d);
	/* Any change goes through; reversals never hold. */
	for (int i = 0; i < 100; i++) {
		uint32_t next = (i % 2) ? 1001 : 999;
		bool damped = true;

		cur = pool_damper_step(&d, &cfg, cur, next, UINT32_MAX, MS(i), &damped);
		assert_int_equal(cur, next);
		assert_false(damped);
	}
	/* NULL damped pointer is allowed. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 2000, UINT32_MAX, MS(200), NULL), 2000);
}

/* Alternating grow/shrink: reversals 1..3 pass, the 4th (more than 3) holds and starts the
 * cooldown; during the cooldown every change is held except forced shrinks; after it the
 * history is clear. */
static void test_reversal_cooldown(void **state)
{
	struct pool_damper_cfg cfg;
	struct pool_damper d;
	uint32_t cur = 1000;
	bool damped;
	static const uint32_t seq[] = { 2000, 1000, 2000, 1000, 2000 };

	pool_damper_cfg_default(&cfg); /* window 1000 ms, cooldown 500 ms */
	pool_damper_init(&d);
	/* First change sets a direction, next three are reversals 1, 2, 3. */
	for (int i = 0; i < 4; i++) {
		cur = pool_damper_step(&d, &cfg, cur, seq[i], 10000, MS(10 + 10 * i), &damped);
		assert_int_equal(cur, seq[i]);
		assert_false(damped);
		assert_false(pool_damper_cooling(&d, MS(10 + 10 * i)));
	}
	/* Reversal 4 at t=50 ms: held at 1000, cooldown until 550 ms. */
	cur = pool_damper_step(&d, &cfg, cur, seq[4], 10000, MS(50), &damped);
	assert_int_equal(cur, 1000);
	assert_true(damped);
	assert_true(pool_damper_cooling(&d, MS(50)));
	assert_true(pool_damper_cooling(&d, MS(550) - 1));
	assert_false(pool_damper_cooling(&d, MS(550)));
	/* During the cooldown: growth and voluntary shrink are held. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 3000, 10000, MS(100), &damped), 1000);
	assert_true(damped);
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 100, 10000, MS(100), &damped), 1000);
	assert_true(damped);
	/* No change is not a damped decision. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 1000, 10000, MS(100), &damped), 1000);
	assert_false(damped);
	/* Safety beats damping: a shrink forced by fit happens in the cooldown. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 3000, 400, MS(200), &damped), 400);
	assert_false(damped);
	/* A voluntary shrink in the cooldown is held at the most that fits. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 100, 400, MS(200), &damped), 400);
	assert_true(damped);
	/* Last instant of the cooldown still holds. */
	assert_int_equal(pool_damper_step(&d, &cfg, 1000, 3000, 10000, MS(550) - 1, &damped), 1000);
	assert_true(damped);
	/* At its end: changes apply, and the first change after is not a reversal. */
	cur = pool_damper_step(&d, &cfg, 1000, 3000, 10000, MS(550), &damped);
	assert_int_equal(cur, 3000);
	assert_false(damped);
	for (int i = 0; i < 3; i++) {
		uint32_t next = (i % 2) ? 3000 : 1000;

		cur = pool_damper_step(&d, &cfg, cur, next, 10000, MS(560 + i), &damped);
		assert_int_equal(cur, next);
		assert_false(damped);
	}
	/* Fourth reversal after the cooldown holds again. */
	assert_int_equal(pool_damper_step(&d, &cfg, cur, 3000, 10000, MS(570), &damped), 1000);
	assert_true(damped);
}

/* Reversals spread wider than the window never add up to a hold. */
static void test_reversal_window(void **state)
{
	struct pool_damper_cfg cfg;
	struct pool_damper d;
	uint32_t cur = 1000;
	bool damped;

	pool_damper_cfg_default(&cfg);
	pool_damper_init(&d);
	cur = pool_damper_step(&d, &cfg, cur, 2000, 10000, MS(0), &damped);
	/* Reversals 3 per window, windows 1000 ms apart: 40 changes, none held. */
	for (int i = 1; i <= 40; i++) {
		uint32_t next = cur == 2000 ? 1000 : 2000;
		uint64_t t = MS((uint64_t)((i - 1) / 3) * 1000 + (uint64_t)((i - 1) % 3) * 10 + 1);

		cur = pool_damper_step(&d, &cfg, cur, next, 10000, t, &damped);
		assert_int_equal(cur, next);
		assert_false(damped);
	}
	/* Same direction twice is not a reversal. */
	pool_damper_init(&d);
	for (int i = 0; i < 20; i++) {
		cur = pool_damper_step(&d, &cfg, 1000 * (uint32_t)(i + 1), 2000 * (uint32_t)(i + 1),
				       UINT32_MAX, MS(i), &damped);
		assert_int_equal(cur, 2000 * (uint32_t)(i + 1));
		assert_false(damped);
	}
}

static void test_max_reversals_zero(void **state)
{
	struct pool_damper_cfg cfg = { 0, 0, 0, 1000, 100 };
	struct pool_damper d;
	bool damped;

	pool_damper_init(&d);
	assert_int_equal(pool_damper_step(&d, &cfg, 0, 500, 1000, MS(1), &damped), 500);
	assert_int_equal(pool_damper_step(&d, &cfg, 500, 600, 1000, MS(2), &damped), 600);
	/* First reversal is already one too many. */
	assert_int_equal(pool_damper_step(&d, &cfg, 600, 100, 1000, MS(3), &damped), 600);
	assert_true(damped);
	/* Cooldown 100 ms: over at 103 ms. */
	assert_int_equal(pool_damper_step(&d, &cfg, 600, 100, 1000, MS(103) - 1, &damped), 600);
	assert_int_equal(pool_damper_step(&d, &cfg, 600, 100, 1000, MS(103), &damped), 100);
	assert_false(damped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_hysteresis_table),
		cmocka_unit_test(test_hysteresis_disabled),
		cmocka_unit_test(test_reversal_cooldown),
		cmocka_unit_test(test_reversal_window),
		cmocka_unit_test(test_max_reversals_zero),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
