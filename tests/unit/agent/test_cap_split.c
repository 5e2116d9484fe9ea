/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for agt_cap_split(): hand-computed splits (proportional, clamped at max and min,
 * zero draw, rounding), the infeasible and invalid cases, and 200,000 seeded random cases
 * checking the promises: sum never above the cap (exactly min(cap, n * max) when feasible),
 * every cap within [min, max], and shares ordered like the draws. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backend/cap_split.h"
#include "wt/backoff.h"
#include "wt/err.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct split_case {
	const char *name;
	uint32_t cap, min, max, n;
	uint32_t dev_w[AGT_MAX_DEVICES];
	int rc;
	uint32_t want[AGT_MAX_DEVICES];
};

static const struct split_case cases[] = {
	{ "proportional", 800, 0, 700, 2, { 300, 100 }, 0, { 600, 200 } },
	{ "proportional with min", 800, 100, 700, 2, { 300, 100 }, 0, { 600, 200 } },
	/* lambda = 2.5 would give the first 750 > max: it stays at 700, the other gets 300. */
	{ "one at max", 1000, 0, 700, 2, { 300, 100 }, 0, { 700, 300 } },
	{ "shrink below draw",
	  800,
	  100,
	  700,
	  4,
	  { 400, 400, 400, 400 },
	  0,
	  { 200, 200, 200, 200 } },
	/* Both would exceed max: the budget is n * max = 1400, not the cap. */
	{ "both at max", 2000, 0, 700, 2, { 600, 100 }, 0, { 700, 700 } },
	/* The big one is clamped at 700; the whole cap is handed out, so the small one gets 300,
	 * six times its draw. */
	{ "max then the small one", 1000, 100, 700, 2, { 650, 50 }, 0, { 700, 300 } },
	{ "min floor", 1000, 200, 700, 3, { 650, 10, 10 }, 0, { 600, 200, 200 } },
	{ "zero draw gets min, leftover evenly",
	  1000,
	  100,
	  700,
	  3,
	  { 900, 0, 0 },
	  0,
	  { 700, 150, 150 } },
	{ "nobody draws: even", 1000, 0, 700, 3, { 0, 0, 0 }, 0, { 334, 333, 333 } },
	{ "nobody draws, capped by max", 10000, 0, 700, 3, { 0, 0, 0 }, 0, { 700, 700, 700 } },
	{ "rounding: largest fraction first", 1000, 0, 700, 3, { 1, 1, 1 }, 0, { 334, 333, 333 } },
	{ "rounding: fractions", 100, 0, 700, 3, { 1, 2, 4 }, 0, { 14, 29, 57 } },
	{ "zero cap, zero min", 0, 0, 700, 4, { 500, 500, 500, 500 }, 0, { 0, 0, 0, 0 } },
	{ "zero cap, min 100: infeasible", 0, 100, 700, 2, { 500, 500 }, WT_ENOCAP, { 100, 100 } },
	{ "n * min above cap", 250, 100, 700, 3, { 500, 500, 500 }, WT_ENOCAP, { 100, 100, 100 } },
	{ "exactly n * min", 300, 100, 700, 3, { 500, 10, 500 }, 0, { 100, 100, 100 } },
	{ "one device", 450, 100, 700, 1, { 650 }, 0, { 450 } },
	{ "one device above max", 9000, 100, 700, 1, { 650 }, 0, { 700 } },
	{ "min == max", 5000, 300, 300, 2, { 1, 1000 }, 0, { 300, 300 } },
	{ "sixteen",
	  16 * 500 + 7,
	  100,
	  700,
	  16,
	  { 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600 },
	  0,
	  { 501, 501, 501, 501, 501, 501, 501, 500, 500, 500, 500, 500, 500, 500, 500, 500 } },
};

static void test_table(void **state)
{
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		const struct split_case *k = &cases[c];
		struct agt_sample s = { .n = k->n };
		uint32_t out[AGT_MAX_DEVICES];
		int rc;

		memcpy(s.dev_w, k->dev_w, sizeof(s.dev_w));
		rc = agt_cap_split(k->cap, &s, k->min, k->max, out);
		if (rc != k->rc || memcmp(out, k->want, k->n * sizeof(out[0])) != 0) {
			print_error("case '%s': rc %d (want %d), caps:", k->name, rc, k->rc);
			for (uint32_t i = 0; i < k->n; i++) {
				print_error(" %u/%u", out[i], k->want[i]);
			}
			print_error("\n");
			fail();
		}
	}
}

static void test_invalid(void **state)
{
	struct agt_sample s = { .n = 2, .dev_w = { 100, 100 } };
	uint32_t out[AGT_MAX_DEVICES] = { 7, 7 };

	assert_int_equal(agt_cap_split(1000, &s, 701, 700, out), -EINVAL);
	s.n = 0;
	assert_int_equal(agt_cap_split(1000, &s, 0, 700, out), -EINVAL);
	s.n = AGT_MAX_DEVICES + 1;
	assert_int_equal(agt_cap_split(1000, &s, 0, 700, out), -EINVAL);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 7);
}

static uint32_t rnd_below(uint64_t *rng, uint32_t n)
{
	return n == 0 ? 0 : wt_rand32(rng) % n;
}

static void test_random(void **state)
{
	uint64_t rng = 0x5eed;

	for (int iter = 0; iter < 200000; iter++) {
		struct agt_sample s = { .n = 1 + rnd_below(&rng, AGT_MAX_DEVICES) };
		uint32_t out[AGT_MAX_DEVICES];
		uint32_t min, max, cap;
		uint64_t sum = 0, budget;
		int rc;

		/* Mix of GPU-sized and extreme values. */
		switch (rnd_below(&rng, 4)) {
		case 0:
			min = rnd_below(&rng, 300);
			max = min + rnd_below(&rng, 800);
			cap = rnd_below(&rng, s.n * 900 + 1);
			break;
		case 1:
			min = 0;
			max = rnd_below(&rng, 5) == 0 ? UINT32_MAX : wt_rand32(&rng);
			cap = wt_rand32(&rng);
			break;
		case 2:
			min = rnd_below(&rng, 1000);
			max = min;
			cap = rnd_below(&rng, s.n * 1200 + 1);
			break;
		default:
			min = rnd_below(&rng, 100);
			max = min + 1 + rnd_below(&rng, 3);
			cap = rnd_below(&rng, s.n * 110 + 1);
			break;
		}
		for (uint32_t i = 0; i < s.n; i++) {
			uint32_t kind = rnd_below(&rng, 8);

			s.dev_w[i] = kind == 0	 ? 0
				     : kind == 1 ? wt_rand32(&rng)
						 : rnd_below(&rng, 900);
		}
		rc = agt_cap_split(cap, &s, min, max, out);
		for (uint32_t i = 0; i < s.n; i++) {
			assert_true(out[i] >= min && out[i] <= max);
			sum += out[i];
		}
		if ((uint64_t)s.n * min > cap) {
			assert_int_equal(rc, WT_ENOCAP);
			continue;
		}
		assert_int_equal(rc, 0);
		budget = (uint64_t)s.n * max < cap ? (uint64_t)s.n * max : cap;
		assert_true(sum <= cap);
		assert_true(sum == budget);
		/* Shares follow the draws: a device drawing more never gets over one watt less. */
		for (uint32_t i = 0; i < s.n; i++) {
			for (uint32_t j = 0; j < s.n; j++) {
				if (s.dev_w[i] > s.dev_w[j] && s.dev_w[j] > 0) {
					assert_true(out[i] + 1 >= out[j]);
				}
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_random),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
