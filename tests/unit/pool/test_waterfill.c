/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for water-filling: exact targets for hand-made cases (equal split, small demand
 * leaves more for others, class priority, exact fit, idle remainder), add/remove symmetry, and
 * a seeded comparison against a naive O(n * H) reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "waterfill.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define MAXD 8

struct wf_case {
	const char *name;
	uint32_t max_tok;
	uint64_t headroom;
	uint32_t n;
	uint8_t cls[MAXD];
	uint32_t demand[MAXD];
	uint32_t target[MAXD];
};

static void test_init_limits(void **state)
{
	struct pool_wf wf;

	assert_int_equal(pool_wf_init(&wf, 0), WT_ECONFIG);
	assert_int_equal(pool_wf_init(&wf, POOL_WF_MAX_TOKENS + 1), WT_ECONFIG);
	assert_int_equal(pool_wf_init(&wf, POOL_WF_MAX_TOKENS), 0);
	pool_wf_add(&wf, POOL_CLASS_BATCH, POOL_WF_MAX_TOKENS);
	assert_int_equal(pool_wf_total(&wf, POOL_CLASS_BATCH), POOL_WF_MAX_TOKENS);
	pool_wf_deinit(&wf);
	assert_int_equal(pool_wf_init(&wf, 1), 0);
	pool_wf_deinit(&wf);
	assert_false(pool_class_valid(0));
	assert_true(pool_class_valid(1));
	assert_true(pool_class_valid(4));
	assert_false(pool_class_valid(5));
}

static void test_cases(void **state)
{
	static const struct wf_case cases[] = {
		{ "equal split", 100, 90, 3, { 2, 2, 2 }, { 50, 50, 50 }, { 30, 30, 30 } },
		{ "small demand leaves more",
		  100,
		  90,
		  3,
		  { 2, 2, 2 },
		  { 10, 100, 100 },
		  { 10, 40, 40 } },
		{ "all fit", 100, 90, 3, { 2, 2, 2 }, { 10, 20, 30 }, { 10, 20, 30 } },
		{ "exact fit", 100, 60, 3, { 2, 2, 2 }, { 10, 20, 30 }, { 10, 20, 30 } },
		{ "one token over", 100, 59, 3, { 2, 2, 2 }, { 10, 20, 30 }, { 10, 20, 29 } },
		{ "remainder idle", 100, 10, 3, { 3, 3, 3 }, { 9, 9, 9 }, { 3, 3, 3 } },
		{ "zero headroom", 100, 0, 2, { 1, 4 }, { 5, 5 }, { 0, 0 } },
		{ "zero demand", 100, 50, 2, { 1, 1 }, { 0, 70 }, { 0, 50 } },
		{ "class priority",
		  100,
		  100,
		  4,
		  { 4, 1, 2, 3 },
		  { 100, 60, 30, 30 },
		  { 0, 60, 30, 10 } },
		{ "critical takes all", 100, 50, 3, { 1, 1, 4 }, { 40, 40, 40 }, { 25, 25, 0 } },
		{ "lower class fills rest",
		  100,
		  100,
		  3,
		  { 1, 3, 3 },
		  { 20, 100, 10 },
		  { 20, 70, 10 } },
		{ "max size demand", 7, 100, 2, { 2, 2 }, { 7, 7 }, { 7, 7 } },
		{ "max size split", 7, 9, 2, { 2, 2 }, { 7, 7 }, { 4, 4 } },
		{ "huge headroom", 65536, UINT64_MAX / 2, 2, { 1, 4 }, { 65536, 1 }, { 65536, 1 } },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct wf_case *tc = &cases[k];
		struct pool_wf wf;
		struct pool_wf_levels lv;

		assert_int_equal(pool_wf_init(&wf, tc->max_tok), 0);
		for (uint32_t i = 0; i < tc->n; i++) {
			pool_wf_add(&wf, (enum pool_class)tc->cls[i], tc->demand[i]);
		}
		pool_wf_levels(&wf, tc->headroom, &lv);
		for (uint32_t i = 0; i < tc->n; i++) {
			uint32_t t =
				pool_wf_target(&lv, (enum pool_class)tc->cls[i], tc->demand[i]);

			if (t != tc->target[i]) {
				print_error("case '%s' holder %u: target %u want %u\n", tc->name, i,
					    t, tc->target[i]);
			}
			assert_int_equal(t, tc->target[i]);
		}
		pool_wf_deinit(&wf);
	}
}

static void test_add_remove(void **state)
{
	struct pool_wf wf;
	struct pool_wf_levels lv;
	uint32_t hist[33] = { 0 };

	assert_int_equal(pool_wf_init(&wf, 32), 0);
	pool_wf_add(&wf, POOL_CLASS_TRAINING, 10);
	pool_wf_add(&wf, POOL_CLASS_TRAINING, 20);
	pool_wf_add(&wf, POOL_CLASS_TRAINING, 0); /* no-op */
	assert_int_equal(pool_wf_count(&wf, POOL_CLASS_TRAINING), 2);
	assert_int_equal(pool_wf_total(&wf, POOL_CLASS_TRAINING), 30);
	hist[10] = 1;
	hist[20] = 1;
	assert_true(pool_wf_verify(&wf, POOL_CLASS_TRAINING, hist));
	hist[20] = 0;
	assert_false(pool_wf_verify(&wf, POOL_CLASS_TRAINING, hist));
	pool_wf_remove(&wf, POOL_CLASS_TRAINING, 20);
	assert_true(pool_wf_verify(&wf, POOL_CLASS_TRAINING, hist));
	pool_wf_levels(&wf, 4, &lv);
	assert_int_equal(pool_wf_target(&lv, POOL_CLASS_TRAINING, 10), 4);
	pool_wf_remove(&wf, POOL_CLASS_TRAINING, 10);
	hist[10] = 0;
	assert_true(pool_wf_verify(&wf, POOL_CLASS_TRAINING, hist));
	assert_int_equal(pool_wf_count(&wf, POOL_CLASS_TRAINING), 0);
	assert_int_equal(pool_wf_total(&wf, POOL_CLASS_TRAINING), 0);
	for (int c = POOL_CLASS_CRITICAL; c <= POOL_CLASS_FLEXIBLE; c++) {
		assert_true(pool_wf_verify(&wf, (enum pool_class)c, hist));
	}
	pool_wf_deinit(&wf);
}

/* xorshift64*: deterministic, seeded. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Naive reference: per class, raise the level one token at a time. */
static void naive_targets(uint32_t n, const uint8_t *cls, const uint32_t *d, uint64_t h,
			  uint32_t *out)
{
	uint64_t left = h;

	for (int c = 1; c <= POOL_CLASS_COUNT; c++) {
		uint64_t total = 0;
		uint32_t level = 0;

		for (uint32_t i = 0; i < n; i++) {
			total += cls[i] == c ? d[i] : 0;
		}
		if (total <= left) {
			for (uint32_t i = 0; i < n; i++) {
				if (cls[i] == c) {
					out[i] = d[i];
				}
			}
			left -= total;
			continue;
		}
		for (;;) {
			uint64_t f = 0;

			for (uint32_t i = 0; i < n; i++) {
				if (cls[i] == c) {
					f += d[i] < level + 1 ? d[i] : level + 1;
				}
			}
			if (f > left) {
				break;
			}
			level++;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (cls[i] == c) {
				out[i] = d[i] < level ? d[i] : level;
			}
		}
		left = 0;
	}
}

static void test_random_vs_naive(void **state)
{
	enum {
		N = 40,
		MAXT = 50,
		ROUNDS = 400
	};

	uint64_t seed = 0x5eed1234abcdull;

	for (int round = 0; round < ROUNDS; round++) {
		struct pool_wf wf;
		struct pool_wf_levels lv;
		uint8_t cls[N];
		uint32_t d[N], want[N];
		uint32_t n = 1 + (uint32_t)(rng_next(&seed) % N);
		uint64_t h = rng_next(&seed) % (N * MAXT);
		uint64_t sum = 0;

		assert_int_equal(pool_wf_init(&wf, MAXT), 0);
		for (uint32_t i = 0; i < n; i++) {
			cls[i] = (uint8_t)(1 + rng_next(&seed) % POOL_CLASS_COUNT);
			d[i] = (uint32_t)(rng_next(&seed) % (MAXT + 1));
			pool_wf_add(&wf, (enum pool_class)cls[i], d[i]);
		}
		/* Churn: remove and re-add some, to exercise removal. */
		for (uint32_t i = 0; i < n; i += 3) {
			pool_wf_remove(&wf, (enum pool_class)cls[i], d[i]);
			d[i] = (uint32_t)(rng_next(&seed) % (MAXT + 1));
			pool_wf_add(&wf, (enum pool_class)cls[i], d[i]);
		}
		naive_targets(n, cls, d, h, want);
		pool_wf_levels(&wf, h, &lv);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t t = pool_wf_target(&lv, (enum pool_class)cls[i], d[i]);

			if (t != want[i]) {
				print_error("round %d holder %u class %u demand %u: %u != %u\n",
					    round, i, cls[i], d[i], t, want[i]);
			}
			assert_int_equal(t, want[i]);
			sum += t;
		}
		assert_true(sum <= h);
		pool_wf_deinit(&wf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_random_vs_naive),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
