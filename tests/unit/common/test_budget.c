/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for deadline budgets: the defaults fit, each zone that does not fit is named with
 * its numbers, ranges and overflow are refused, and the request-budget helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/budget.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define AGENT_THROTTLE (WT_BUDGET_BIT(WT_BUDGET_AGENT) | WT_BUDGET_BIT(WT_BUDGET_GPU_THROTTLE))

static int group_setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

static int group_teardown(void **state)
{
	wt_mem_set_hooks(NULL);
	return 0;
}

/* Defaults: clearing 300/200/100/50 ms -> deadlines 210/140/70/35 ms; tiers in them sum to
 * 70/70/45/25 ms (agent 5, rack 20, cluster 25, gpu_throttle 20). */
static void test_defaults(void **state)
{
	static const struct {
		enum wt_zone zone;
		uint32_t clearing_ms;
		uint32_t deadline_ms;
		uint32_t sum_ms;
		uint32_t tiers;
	} want[] = {
		{ WT_ZONE_UTILITY_MAIN, 300, 210, 70, WT_BUDGET_ALL },
		{ WT_ZONE_SITE_SWITCHGEAR, 200, 140, 70, WT_BUDGET_ALL },
		{ WT_ZONE_DISTRIBUTION, 100, 70, 45,
		  AGENT_THROTTLE | WT_BUDGET_BIT(WT_BUDGET_RACK) },
		{ WT_ZONE_BRANCH, 50, 35, 25, AGENT_THROTTLE },
	};
	struct wt_budget_cfg cfg;
	char err[256] = "";

	wt_budget_cfg_init(&cfg);
	assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.tier_budget_ms[WT_BUDGET_AGENT], 5);
	assert_int_equal(cfg.tier_budget_ms[WT_BUDGET_RACK], 20);
	assert_int_equal(cfg.tier_budget_ms[WT_BUDGET_CLUSTER], 25);
	assert_int_equal(cfg.tier_budget_ms[WT_BUDGET_GPU_THROTTLE], 20);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		assert_int_equal(cfg.zone_clearing_ms[want[i].zone], want[i].clearing_ms);
		assert_int_equal(wt_budget_deadline_ms(&cfg, want[i].zone), want[i].deadline_ms);
		assert_int_equal(wt_budget_zone_sum_ms(&cfg, want[i].zone), want[i].sum_ms);
		assert_int_equal(cfg.zone_tiers[want[i].zone], want[i].tiers);
	}
}

/* One zone at a time made not to fit, with the exact message; and the boundary that fits. */
static void test_zone_messages(void **state)
{
	static const struct {
		enum wt_zone zone;
		uint32_t clearing_ms;
		const char *want; /* NULL: fits */
	} cases[] = {
		{ WT_ZONE_BRANCH, 30,
		  "zone 'branch': budgets agent 5 ms + gpu_throttle 20 ms = 25 ms exceed 0.7 x "
		  "clearing 30 ms = 21 ms" },
		{ WT_ZONE_BRANCH, 16,
		  "zone 'branch': budgets agent 5 ms + gpu_throttle 20 ms = 25 ms exceed 0.7 x "
		  "clearing 16 ms = 11.2 ms" },
		/* 25 / 0.7 = 35.71: 35 ms is 24.5 ms, too short; 36 ms is 25.2 ms, enough. */
		{ WT_ZONE_BRANCH, 35,
		  "zone 'branch': budgets agent 5 ms + gpu_throttle 20 ms = 25 ms exceed 0.7 x "
		  "clearing 35 ms = 24.5 ms" },
		{ WT_ZONE_BRANCH, 36, NULL },
		{ WT_ZONE_DISTRIBUTION, 64,
		  "zone 'distribution': budgets agent 5 ms + rack 20 ms + gpu_throttle 20 ms = 45 "
		  "ms "
		  "exceed 0.7 x clearing 64 ms = 44.8 ms" },
		{ WT_ZONE_DISTRIBUTION, 65, NULL },
		{ WT_ZONE_SITE_SWITCHGEAR, 99,
		  "zone 'site_switchgear': budgets agent 5 ms + rack 20 ms + cluster 25 ms + "
		  "gpu_throttle 20 ms = 70 ms exceed 0.7 x clearing 99 ms = 69.3 ms" },
		/* Exactly 0.7 x 100 = 70 ms fits. */
		{ WT_ZONE_SITE_SWITCHGEAR, 100, NULL },
		{ WT_ZONE_UTILITY_MAIN, 50,
		  "zone 'utility_main': budgets agent 5 ms + rack 20 ms + cluster 25 ms + "
		  "gpu_throttle 20 ms = 70 ms exceed 0.7 x clearing 50 ms = 35 ms" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_budget_cfg cfg;
		char err[256] = "";

		wt_budget_cfg_init(&cfg);
		cfg.zone_clearing_ms[cases[i].zone] = cases[i].clearing_ms;
		if (cases[i].want == NULL) {
			if (wt_budget_validate(&cfg, err, sizeof(err)) != 0) {
				fail_msg("case %zu rejected: %s", i, err);
			}
			continue;
		}
		assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}
}

/* Tier budgets that do not fit, and zone tier lists overridden by the config. */
static void test_tier_budgets_and_overrides(void **state)
{
	struct wt_budget_cfg cfg;
	char err[256] = "";

	/* A slower rack breaks distribution first (zones are checked in enum order and the
	 * upstream zones still fit: 110 <= 210, 110 <= 140). */
	wt_budget_cfg_init(&cfg);
	cfg.tier_budget_ms[WT_BUDGET_RACK] = 60;
	assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "zone 'distribution': budgets agent 5 ms + rack 60 ms + "
				 "gpu_throttle 20 ms = 85 ms exceed 0.7 x clearing 100 ms = 70 ms");

	/* Fast branch breakers (16 ms) fit when only the agent acts in the branch zone. */
	wt_budget_cfg_init(&cfg);
	cfg.zone_clearing_ms[WT_ZONE_BRANCH] = 16;
	cfg.zone_tiers[WT_ZONE_BRANCH] = WT_BUDGET_BIT(WT_BUDGET_AGENT);
	assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(wt_budget_zone_sum_ms(&cfg, WT_ZONE_BRANCH), 5);

	/* Or with a faster throttle: 5 + 6 = 11 <= 11.2. */
	wt_budget_cfg_init(&cfg);
	cfg.zone_clearing_ms[WT_ZONE_BRANCH] = 16;
	cfg.tier_budget_ms[WT_BUDGET_GPU_THROTTLE] = 6;
	assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), 0);

	/* Adding the rack to the branch zone is checked like any other list. */
	wt_budget_cfg_init(&cfg);
	cfg.zone_tiers[WT_ZONE_BRANCH] |= WT_BUDGET_BIT(WT_BUDGET_RACK);
	assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "zone 'branch': budgets agent 5 ms + rack 20 ms + gpu_throttle "
				 "20 ms = 45 ms exceed 0.7 x clearing 50 ms = 35 ms");
}

/* Zero, overflow and malformed values are refused before any sum is formed. */
static void test_ranges(void **state)
{
	static const struct {
		int kind; /* 0: tier budget, 1: zone clearing, 2: zone tiers */
		unsigned index;
		uint32_t value;
		const char *want;
	} cases[] = {
		{ 0, WT_BUDGET_AGENT, 0, "tier 'agent': budget 0 ms out of range 1-10000 ms" },
		{ 0, WT_BUDGET_CLUSTER, UINT32_MAX,
		  "tier 'cluster': budget 4294967295 ms out of range 1-10000 ms" },
		{ 0, WT_BUDGET_GPU_THROTTLE, 10001,
		  "tier 'gpu_throttle': budget 10001 ms out of range 1-10000 ms" },
		{ 0, WT_BUDGET_RACK, 10000,
		  "zone 'utility_main': budgets agent 5 ms + rack 10000 ms + cluster 25 ms + "
		  "gpu_throttle 20 ms = 10050 ms exceed 0.7 x clearing 300 ms = 210 ms" },
		{ 1, WT_ZONE_UTILITY_MAIN, 0,
		  "zone 'utility_main': clearing 0 ms out of range 1-60000 ms" },
		{ 1, WT_ZONE_BRANCH, UINT32_MAX,
		  "zone 'branch': clearing 4294967295 ms out of range 1-60000 ms" },
		{ 1, WT_ZONE_DISTRIBUTION, 60001,
		  "zone 'distribution': clearing 60001 ms out of range 1-60000 ms" },
		{ 1, WT_ZONE_BRANCH, 1,
		  "zone 'branch': budgets agent 5 ms + gpu_throttle 20 ms = 25 ms exceed 0.7 x "
		  "clearing 1 ms = 0.7 ms" },
		{ 2, WT_ZONE_DISTRIBUTION, 0, "zone 'distribution': no tier acts in it" },
		{ 2, WT_ZONE_SITE_SWITCHGEAR, WT_BUDGET_ALL | 0x30u,
		  "zone 'site_switchgear': unknown tier bits 0x30" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_budget_cfg cfg;
		char err[256] = "";

		wt_budget_cfg_init(&cfg);
		if (cases[i].kind == 0) {
			cfg.tier_budget_ms[cases[i].index] = cases[i].value;
		} else if (cases[i].kind == 1) {
			cfg.zone_clearing_ms[cases[i].index] = cases[i].value;
		} else {
			cfg.zone_tiers[cases[i].index] = cases[i].value;
		}
		assert_int_equal(wt_budget_validate(&cfg, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}

	/* The largest accepted values do not overflow: 4 x 10000 ms <= 0.7 x 60000 ms. */
	{
		struct wt_budget_cfg cfg;
		char small[16];

		wt_budget_cfg_init(&cfg);
		for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
			cfg.tier_budget_ms[t] = WT_BUDGET_TIER_MAX_MS;
		}
		for (unsigned z = 0; z < WT_ZONE_COUNT; z++) {
			cfg.zone_clearing_ms[z] = WT_BUDGET_CLEARING_MAX_MS;
		}
		assert_int_equal(wt_budget_validate(&cfg, NULL, 0), 0);
		assert_int_equal(wt_budget_deadline_ms(&cfg, WT_ZONE_BRANCH), 42000);
		/* Truncated messages stay terminated. */
		cfg.zone_clearing_ms[WT_ZONE_BRANCH] = 1;
		assert_int_equal(wt_budget_validate(&cfg, small, sizeof(small)), WT_ECONFIG);
		assert_string_equal(small, "zone 'branch': ");
		assert_int_equal(wt_budget_validate(&cfg, NULL, 0), WT_ECONFIG);
	}
}

static void test_names(void **state)
{
	for (unsigned z = 0; z < WT_ZONE_COUNT; z++) {
		enum wt_zone out = WT_ZONE_COUNT;

		assert_int_equal(wt_zone_parse(wt_zone_name(z), &out), 0);
		assert_int_equal(out, z);
	}
	for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
		enum wt_budget_tier out = WT_BUDGET_TIER_COUNT;

		assert_int_equal(wt_budget_tier_parse(wt_budget_tier_name(t), &out), 0);
		assert_int_equal(out, t);
	}
	assert_string_equal(wt_zone_name(WT_ZONE_SITE_SWITCHGEAR), "site_switchgear");
	assert_string_equal(wt_budget_tier_name(WT_BUDGET_GPU_THROTTLE), "gpu_throttle");
	assert_string_equal(wt_zone_name(WT_ZONE_COUNT), "?");
	assert_string_equal(wt_budget_tier_name(WT_BUDGET_TIER_COUNT), "?");
	{
		enum wt_zone z = WT_ZONE_BRANCH;
		enum wt_budget_tier t = WT_BUDGET_AGENT;

		assert_int_equal(wt_zone_parse("feeder", &z), -EINVAL);
		assert_int_equal(wt_budget_tier_parse("Agent", &t), -EINVAL);
		assert_int_equal(z, WT_ZONE_BRANCH);
	}
}

/* Request budgets along the chain with the defaults. */
static void test_request_chain(void **state)
{
	static const struct {
		enum wt_zone zone;
		enum wt_budget_tier origin;
		uint32_t want_ms;
	} cases[] = {
		/* deadline - agent 5 - gpu_throttle 20 */
		{ WT_ZONE_SITE_SWITCHGEAR, WT_BUDGET_AGENT, 115 },
		{ WT_ZONE_UTILITY_MAIN, WT_BUDGET_AGENT, 185 },
		{ WT_ZONE_DISTRIBUTION, WT_BUDGET_AGENT, 45 },
		{ WT_ZONE_BRANCH, WT_BUDGET_AGENT, 10 },
		/* A rack-originated request also reserves its own 20 ms: 140 - 45 = 95. */
		{ WT_ZONE_SITE_SWITCHGEAR, WT_BUDGET_RACK, 95 },
		/* The rack does not act in the branch zone; only tiers of the zone below it and
		 * its own budget count: 35 - 20 - 5 - 20 = -10 -> 0. */
		{ WT_ZONE_BRANCH, WT_BUDGET_RACK, 0 },
		/* The throttle itself reserves only its own budget. */
		{ WT_ZONE_BRANCH, WT_BUDGET_GPU_THROTTLE, 15 },
	};
	struct wt_budget_cfg cfg;
	uint32_t at_rack, at_cluster;

	wt_budget_cfg_init(&cfg);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(wt_budget_request_ms(&cfg, cases[i].zone, cases[i].origin),
				 cases[i].want_ms);
	}

	/* Agent -> rack -> cluster in the site switchgear zone: 115 ms reach the rack, which
	 * keeps 20 and may escalate with 95 left; the cluster needs 25 and keeps 70 spare. */
	at_rack = wt_budget_request_ms(&cfg, WT_ZONE_SITE_SWITCHGEAR, WT_BUDGET_AGENT);
	at_cluster = wt_budget_remaining_ms(at_rack, cfg.tier_budget_ms[WT_BUDGET_RACK]);
	assert_int_equal(at_cluster, 95);
	assert_true(wt_budget_can_escalate(at_cluster, cfg.tier_budget_ms[WT_BUDGET_CLUSTER]));
	assert_int_equal(wt_budget_remaining_ms(at_cluster, cfg.tier_budget_ms[WT_BUDGET_CLUSTER]),
			 70);
	/* Branch: the agent's 10 ms leave the rack nothing: it answers locally or denies. */
	at_rack = wt_budget_request_ms(&cfg, WT_ZONE_BRANCH, WT_BUDGET_AGENT);
	assert_int_equal(wt_budget_remaining_ms(at_rack, cfg.tier_budget_ms[WT_BUDGET_RACK]), 0);
	assert_false(wt_budget_can_escalate(0, cfg.tier_budget_ms[WT_BUDGET_CLUSTER]));
}

static void test_helpers(void **state)
{
	static const struct {
		uint32_t budget_ms, own_ms, remaining_ms;
	} rem[] = {
		{ 115, 20, 95 },
		{ 20, 20, 0 },
		{ 10, 20, 0 },
		{ 0, 0, 0 },
		{ UINT32_MAX, 1, UINT32_MAX - 1 },
	};

	static const struct {
		uint32_t remaining_ms, upstream_ms;
		bool want;
	} esc[] = {
		{ 95, 25, true }, { 25, 25, true }, { 24, 25, false },
		{ 0, 25, false }, { 0, 0, false },  { 10, 0, false },
	};

	const uint64_t t0 = 1000000000000ull;

	static const struct {
		uint32_t budget_ms;
		uint64_t elapsed_ns;
		bool backwards;
		uint32_t want_ms;
	} left[] = {
		{ 100, 0, false, 100 },
		{ 100, 30500000, false, 69 }, /* 69.5 ms left, rounded down */
		{ 100, 100000000, false, 0 },
		{ 100, 250000000, false, 0 },
		{ 100, 5000000, true, 100 }, /* clock went backwards: no time passed */
		{ UINT32_MAX, 1000000, false, UINT32_MAX - 1 },
		{ 0, 0, false, 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(rem); i++) {
		assert_int_equal(wt_budget_remaining_ms(rem[i].budget_ms, rem[i].own_ms),
				 rem[i].remaining_ms);
	}
	for (size_t i = 0; i < ARRAY_LEN(esc); i++) {
		assert_int_equal(wt_budget_can_escalate(esc[i].remaining_ms, esc[i].upstream_ms),
				 esc[i].want);
	}
	for (size_t i = 0; i < ARRAY_LEN(left); i++) {
		uint64_t now =
			left[i].backwards ? t0 - left[i].elapsed_ns : t0 + left[i].elapsed_ns;

		assert_int_equal(wt_budget_left_ms(left[i].budget_ms, t0, now), left[i].want_ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_zone_messages),
		cmocka_unit_test(test_tier_budgets_and_overrides),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_request_chain),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
