/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the miner fleet model: config validation, hand-computed scenarios (shed latency,
 * restore latency, min on/off times, cancelled restores, sheds that complete), and randomised
 * command sequences: against an independent per-unit reference at 1 ms resolution, and, with
 * enough commands to exhaust the cohorts, against the rule that no unit stops drawing sooner than
 * shed_latency_ms after it was running, nor starts sooner than restore_latency_ms after it was
 * off. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/mem.h"
#include "wt/miners.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MS	     1000000ULL
/* An arbitrary start on the caller's clock: the model only uses differences. */
#define T0 (5000 * MS)

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

static void test_defaults_validate(void **state)
{
	static const struct {
		int field;
		uint32_t v;
		const char *want;
	} cases[] = {
		{ 0, 0, "miners n_units = 0 out of range 1-1000000" },
		{ 1, 0, "miners unit_w = 0 out of range 1-100000" },
		{ 1, 100001, "miners unit_w = 100001 out of range 1-100000" },
		{ 2, 600001, "miners shed_latency_ms = 600001 out of range 0-600000" },
		{ 5, 700000, "miners min_off_ms = 700000 out of range 0-600000" },
	};
	struct wt_miners_cfg c;
	char err[128] = "";

	/* The agent's defaults (agt_miner_cfg_init): 16 x 3.2 kW, 200 ms / 2 s, 0 / 10 s. */
	wt_miners_cfg_init(&c);
	assert_int_equal(wt_miners_cfg_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.n_units, 16);
	assert_int_equal(c.unit_w, 3200);
	assert_int_equal(c.shed_latency_ms, 200);
	assert_int_equal(c.restore_latency_ms, 2000);
	assert_int_equal(c.min_on_ms, 0);
	assert_int_equal(c.min_off_ms, 10000);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		wt_miners_cfg_init(&c);
		switch (cases[i].field) {
		case 0:
			c.n_units = cases[i].v;
			break;
		case 1:
			c.unit_w = cases[i].v;
			break;
		case 2:
			c.shed_latency_ms = cases[i].v;
			break;
		default:
			c.min_off_ms = cases[i].v;
			break;
		}
		assert_int_equal(wt_miners_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}
}

/* One scripted event: at @t_ms command @target (or only step when negative), then expect
 * @power_w. */
struct ev {
	uint32_t t_ms;
	int target;
	int64_t power_w;
};

struct scenario {
	const char *what;
	uint32_t min_on_ms, initial_on;
	struct ev ev[12];
};

/* 10 units of 1 kW, shed 200 ms, restore 2000 ms, min_off 10 s; min_on as listed. */
static void test_scenarios(void **state)
{
	static const struct scenario cases[] = {
		{ "shed waits for its latency, restore for min_off and its latency",
		  0,
		  10,
		  {
			  { 0, 7, 10000 },
			  { 199, -1, 10000 },
			  { 200, -1, 7000 },
			  /* off since 200 ms: eligible at 10.2 s, draws at 12.2 s */
			  { 300, 10, 7000 },
			  { 10199, -1, 7000 },
			  { 12199, -1, 7000 },
			  { 12200, -1, 10000 },
			  { 0, 0, -2 },
		  } },
		{ "min_on holds a shed until the units have run that long",
		  5000,
		  0,
		  {
			  { 0, 10, 0 },
			  { 1999, -1, 0 },
			  /* on since 2 s: may shed from 7 s, stops drawing at 7.2 s */
			  { 2000, -1, 10000 },
			  { 3000, 5, 10000 },
			  { 7199, -1, 10000 },
			  { 7200, -1, 5000 },
			  { 0, 0, -2 },
		  } },
		{ "a pending restore is cancelled and the unit stays eligible",
		  0,
		  5,
		  {
			  { 0, 10, 5000 },
			  { 1000, 5, 5000 },
			  { 2000, -1, 5000 },
			  { 1500 + 500, -1, 5000 },
			  { 2500, 10, 5000 },
			  { 4499, -1, 5000 },
			  { 4500, -1, 10000 },
			  { 0, 0, -2 },
		  } },
		{ "a shed once commanded completes",
		  0,
		  10,
		  {
			  { 0, 0, 10000 },
			  { 100, 10, 10000 },
			  { 199, -1, 10000 },
			  { 200, -1, 0 },
			  { 10199, -1, 0 },
			  { 12199, -1, 0 },
			  { 12200, -1, 10000 },
			  { 0, 0, -2 },
		  } },
		{ "partial eligibility: two cohorts restore at their own times",
		  0,
		  10,
		  {
			  { 0, 8, 10000 },
			  { 200, -1, 8000 },
			  { 5000, 6, 8000 },
			  { 5200, -1, 6000 },
			  /* 2 off since 0.2 s, 2 since 5.2 s */
			  { 6000, 10, 6000 },
			  { 12199, -1, 6000 },
			  { 12200, -1, 8000 },
			  { 17199, -1, 8000 },
			  { 17200, -1, 10000 },
			  { 0, 0, -2 },
		  } },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_miners_cfg c;
		struct wt_miners_state st;

		wt_miners_cfg_init(&c);
		c.n_units = 10;
		c.unit_w = 1000;
		c.min_on_ms = cases[i].min_on_ms;
		wt_miners_state_init(&c, &st, cases[i].initial_on, T0);
		for (size_t k = 0; cases[i].ev[k].power_w != -2; k++) {
			const struct ev *e = &cases[i].ev[k];
			uint64_t now = T0 + e->t_ms * MS;
			int64_t p;

			if (e->target >= 0) {
				assert_int_equal(
					wt_miners_command(&c, &st, (uint32_t)e->target, now), 0);
			}
			p = wt_miners_step(&c, &st, now);
			if (p != e->power_w) {
				fail_msg("%s: at %u ms power %lld W, want %lld W", cases[i].what,
					 e->t_ms, (long long)p, (long long)e->power_w);
			}
		}
	}
}

static void test_api_edges(void **state)
{
	struct wt_miners_cfg c;
	struct wt_miners_state st;

	wt_miners_cfg_init(&c);
	wt_miners_state_init(&c, &st, 99, T0);
	assert_int_equal(wt_miners_units(&st, WT_MINERS_ON), 16);
	assert_int_equal(wt_miners_step(&c, &st, T0 + 10 * MS), 16 * 3200);
	/* Time does not run backwards. */
	assert_int_equal(wt_miners_step(&c, &st, T0 + 5 * MS), -EINVAL);
	assert_int_equal(wt_miners_command(&c, &st, 0, T0 - 1), -EINVAL);
	assert_int_equal(wt_miners_units(&st, WT_MINERS_ON), 16);
	/* Targets above the fleet clamp. */
	assert_int_equal(wt_miners_command(&c, &st, 1000, T0 + 10 * MS), 0);
	assert_int_equal(wt_miners_units(&st, WT_MINERS_SHEDDING), 0);
	/* What shedding can remove: nothing within the latency, everything after it. */
	assert_int_equal(wt_miners_min_power_w(&c, &st, T0 + 20 * MS, T0 + 219 * MS), 16 * 3200);
	assert_int_equal(wt_miners_min_power_w(&c, &st, T0 + 20 * MS, T0 + 220 * MS), 0);
	assert_int_equal(wt_miners_min_power_w(&c, &st, T0 + 20 * MS, T0 + 10 * MS), -EINVAL);
	/* The prediction did not touch the state. */
	assert_int_equal(wt_miners_step(&c, &st, T0 + 300 * MS), 16 * 3200);
}

/* --- Per-unit reference (the agent's semantics, 1 ms resolution) --- */

enum {
	R_OFF,
	R_RESTORING,
	R_ON,
	R_SHEDDING
};

struct ref_unit {
	int state;
	int64_t since, done;
};

struct ref {
	struct ref_unit u[64];
	uint32_t n, target;
	int64_t shed, restore, min_on, min_off;
};

static uint32_t ref_committed(const struct ref *r)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		c += r->u[i].state == R_ON || r->u[i].state == R_RESTORING;
	}
	return c;
}

static void ref_reconcile(struct ref *r, int64_t x)
{
	uint32_t c;

	for (uint32_t i = 0; i < r->n; i++) {
		if (r->u[i].state == R_SHEDDING && r->u[i].done <= x) {
			r->u[i].state = R_OFF;
			r->u[i].since = r->u[i].done;
		} else if (r->u[i].state == R_RESTORING && r->u[i].done <= x) {
			r->u[i].state = R_ON;
			r->u[i].since = r->u[i].done;
		}
	}
	c = ref_committed(r);
	while (c > r->target) {
		/* Cancel the restore that would complete last, else shed an eligible unit. */
		int best = -1;

		for (uint32_t i = 0; i < r->n; i++) {
			if (r->u[i].state == R_RESTORING &&
			    (best < 0 || r->u[i].done > r->u[best].done)) {
				best = (int)i;
			}
		}
		if (best >= 0) {
			r->u[best].state = R_OFF;
			c--;
			continue;
		}
		for (uint32_t i = 0; i < r->n; i++) {
			if (r->u[i].state == R_ON && x - r->u[i].since >= r->min_on) {
				best = (int)i;
				break;
			}
		}
		if (best < 0) {
			break;
		}
		r->u[best].state = R_SHEDDING;
		r->u[best].done = x + r->shed;
		c--;
	}
	while (c < r->target) {
		int best = -1;

		for (uint32_t i = 0; i < r->n; i++) {
			if (r->u[i].state == R_OFF && x - r->u[i].since >= r->min_off) {
				best = (int)i;
				break;
			}
		}
		if (best < 0) {
			break;
		}
		r->u[best].state = R_RESTORING;
		r->u[best].done = x + r->restore;
		c++;
	}
}

static int64_t ref_power(const struct ref *r, int64_t unit_w)
{
	int64_t p = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		p += (r->u[i].state == R_ON || r->u[i].state == R_SHEDDING) ? unit_w : 0;
	}
	return p;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random targets every 150-1000 ms against the per-unit reference, compared every 1 ms. The
 * latencies and minimum times are short enough that the cohorts never run out, so the two must
 * agree exactly. */
static void test_random_against_reference(void **state)
{
	static const struct {
		uint32_t shed, restore, min_on, min_off;
	} timing[] = {
		{ 200, 2000, 0, 3000 },
		{ 50, 700, 400, 1000 },
		{ 0, 0, 0, 0 },
		{ 300, 100, 1000, 0 },
	};

	uint64_t x = 0x2545f4914f6cdd1dULL;

	for (size_t k = 0; k < ARRAY_LEN(timing); k++) {
		struct wt_miners_cfg c;
		struct wt_miners_state st;
		static struct ref r;
		uint32_t next_cmd = 0;

		wt_miners_cfg_init(&c);
		c.n_units = 24;
		c.unit_w = 3200;
		c.shed_latency_ms = timing[k].shed;
		c.restore_latency_ms = timing[k].restore;
		c.min_on_ms = timing[k].min_on;
		c.min_off_ms = timing[k].min_off;
		wt_miners_state_init(&c, &st, 12, T0);
		r = (struct ref){ .n = 24,
				  .target = 12,
				  .shed = c.shed_latency_ms,
				  .restore = c.restore_latency_ms,
				  .min_on = c.min_on_ms,
				  .min_off = c.min_off_ms };
		for (uint32_t i = 0; i < r.n; i++) {
			r.u[i].state = i < 12 ? R_ON : R_OFF;
			r.u[i].since = i < 12 ? -(int64_t)c.min_on_ms : -(int64_t)c.min_off_ms;
		}
		for (uint32_t t = 0; t < 60000; t++) {
			int64_t p;

			for (int k2 = 0; k2 < 3; k2++) {
				ref_reconcile(&r, t);
			}
			if (t == next_cmd) {
				uint32_t target = (uint32_t)(xorshift(&x) % 25);

				assert_int_equal(wt_miners_command(&c, &st, target, T0 + t * MS),
						 0);
				r.target = target;
				/* Zero latencies complete at the same instant. */
				for (int k2 = 0; k2 < 3; k2++) {
					ref_reconcile(&r, t);
				}
				next_cmd = t + 150 + (uint32_t)(xorshift(&x) % 851);
			}
			p = wt_miners_step(&c, &st, T0 + t * MS);
			if (p != ref_power(&r, 3200)) {
				fail_msg("timing %zu at %u ms: model %lld W, reference %lld W", k,
					 t, (long long)p, (long long)ref_power(&r, 3200));
			}
			assert_true(st.n <= WT_MINERS_MAX_COHORTS);
		}
	}
}

/* Commands every 1-20 ms for a minute with long minimum times: the cohorts run out and merge.
 * Whatever happens, (a) units that were running (not shedding) shed_latency_ms ago still draw,
 * so power(t) >= unit_w * on(t - shed); (b) units drawing now were on, shedding or restoring
 * restore_latency_ms ago; (c) no unit is lost. */
static void test_random_latency_rule(void **state)
{
	enum {
		SPAN_MS = 60000
	};

	static uint32_t on_hist[SPAN_MS], busy_hist[SPAN_MS];
	struct wt_miners_cfg c;
	struct wt_miners_state st;
	uint64_t x = 0xda942042e4dd58b5ULL;
	uint32_t next_cmd = 0;
	bool merged = false;
	uint32_t maxn = 0, ncmd = 0;

	wt_miners_cfg_init(&c);
	c.n_units = 500;
	c.unit_w = 3000;
	c.shed_latency_ms = 250;
	c.restore_latency_ms = 1500;
	c.min_on_ms = 4000;
	c.min_off_ms = 8000;
	wt_miners_state_init(&c, &st, 250, T0);
	for (uint32_t t = 0; t < SPAN_MS; t++) {
		int64_t p;
		uint32_t on, shedding, restoring, off;

		if (t == next_cmd) {
			/* A noisy sawtooth: slow rises of about one unit per command (each a new
			 * restoring cohort), then a fall of some 300 units (many shedding ones). */
			uint32_t target = 100 + ncmd++ % 300 + (uint32_t)(xorshift(&x) % 3);

			assert_int_equal(wt_miners_command(&c, &st, target, T0 + t * MS), 0);
			next_cmd = t + 1 + (uint32_t)(xorshift(&x) % 20);
		}
		p = wt_miners_step(&c, &st, T0 + t * MS);
		on = wt_miners_units(&st, WT_MINERS_ON);
		shedding = wt_miners_units(&st, WT_MINERS_SHEDDING);
		restoring = wt_miners_units(&st, WT_MINERS_RESTORING);
		off = wt_miners_units(&st, WT_MINERS_OFF);
		assert_int_equal(on + shedding + restoring + off, 500);
		assert_int_equal(p, (int64_t)(on + shedding) * 3000);
		merged = merged || st.n == WT_MINERS_MAX_COHORTS;
		maxn = st.n > maxn ? st.n : maxn;
		on_hist[t] = on;
		busy_hist[t] = on + shedding + restoring;
		if (t >= c.shed_latency_ms && on + shedding < on_hist[t - c.shed_latency_ms]) {
			fail_msg("at %u ms %u units draw, but %u were on %u ms earlier", t,
				 on + shedding, on_hist[t - c.shed_latency_ms], c.shed_latency_ms);
		}
		if (t >= c.restore_latency_ms &&
		    on + shedding > busy_hist[t - c.restore_latency_ms]) {
			fail_msg("at %u ms %u units draw, only %u were not off %u ms earlier", t,
				 on + shedding, busy_hist[t - c.restore_latency_ms],
				 c.restore_latency_ms);
		}
	}
	/* The test is only meaningful if the cohorts did run out. */
	if (!merged) {
		fail_msg("cohorts never ran out (at most %u)", maxn);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_validate),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_random_latency_rule),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
