/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the simulated GPU backend: config checks; determinism (same seed, same
 * samples, whatever the sampling pattern); the phases at their configured watts and the
 * compute jitter; the 8 ms ramp; caps honoured after the response time and not before, with
 * min/max clamping; correlation 1 (all devices step together) against 0 and 0.9;
 * predict_peak against hand-computed values and against dense sampling; time going backwards
 * and the cap queue limit; holding a phase (from the config and on command: the held watts,
 * the linear ramp at a switch, caps, predict_peak exact and bounded, back to cycling, argument
 * checks and the hold queue limit). Times are on an arbitrary origin T0. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/miner.h"
#include "backend/sim.h"
#include "wt/err.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0	     1234567890123ULL /* the backend's start, in ns */
#define MS(x)	     (T0 + (uint64_t)((x)*1000000.0 + 0.5))

/* Defaults without jitter: every phase at exactly its watts. */
static struct agt_sim_cfg flat_cfg(uint32_t n)
{
	struct agt_sim_cfg c;

	agt_sim_cfg_init(&c);
	c.n_devices = n;
	c.phase[AGT_SIM_COMPUTE].jitter_pct = 0;
	return c;
}

static struct agt_backend *mk(const struct agt_sim_cfg *c)
{
	struct agt_backend *b = NULL;

	assert_int_equal(agt_backend_sim_new(&b, c, T0), 0);
	assert_non_null(b);
	return b;
}

static struct agt_sample sample_at(struct agt_backend *b, uint64_t t)
{
	struct agt_sample s;

	assert_int_equal(agt_backend_sample(b, t, &s), 0);
	assert_int_equal(s.t_ns, t);
	return s;
}

static void test_defaults_and_validate(void **state)
{
	struct agt_sim_cfg c;
	char err[160];

	agt_sim_cfg_init(&c);
	assert_int_equal(c.n_devices, 8);
	assert_int_equal(c.phase[AGT_SIM_IDLE].watts, 100);
	assert_int_equal(c.phase[AGT_SIM_IDLE].duration_ms, 2000);
	assert_int_equal(c.phase[AGT_SIM_PRELOAD].watts, 250);
	assert_int_equal(c.phase[AGT_SIM_PRELOAD].duration_ms, 1000);
	assert_int_equal(c.phase[AGT_SIM_COMPUTE].watts, 650);
	assert_int_equal(c.phase[AGT_SIM_COMPUTE].duration_ms, 6000);
	assert_int_equal(c.phase[AGT_SIM_COMPUTE].jitter_pct, 10);
	assert_int_equal(c.phase[AGT_SIM_TEARDOWN].watts, 200);
	assert_int_equal(c.phase[AGT_SIM_TEARDOWN].duration_ms, 500);
	assert_int_equal(c.ramp_ms, 8);
	assert_int_equal(c.cap_response_ms, 20);
	assert_int_equal(c.min_cap_w, 100);
	assert_int_equal(c.max_cap_w, 700);
	assert_int_equal(c.hold_phase, AGT_SIM_CYCLE);
	assert_int_equal(agt_sim_cfg_validate(&c, err, sizeof(err)), 0);
}

struct bad_cfg {
	const char *msg;
	void (*mutate)(struct agt_sim_cfg *c);
};

static void bad_n0(struct agt_sim_cfg *c)
{
	c->n_devices = 0;
}

static void bad_n17(struct agt_sim_cfg *c)
{
	c->n_devices = 17;
}

static void bad_watts(struct agt_sim_cfg *c)
{
	c->phase[AGT_SIM_COMPUTE].watts = AGT_SIM_MAX_W + 1;
}

static void bad_jitter(struct agt_sim_cfg *c)
{
	c->phase[AGT_SIM_PRELOAD].jitter_pct = 101;
}

static void bad_cycle(struct agt_sim_cfg *c)
{
	for (int p = 0; p < AGT_SIM_PHASES; p++) {
		c->phase[p].duration_ms = 0;
	}
}

static void bad_period(struct agt_sim_cfg *c)
{
	c->jitter_period_ms = 0;
}

static void bad_ramp(struct agt_sim_cfg *c)
{
	c->ramp_ms = AGT_SIM_MAX_RAMP_MS + 1;
}

static void bad_caps(struct agt_sim_cfg *c)
{
	c->min_cap_w = 800;
}

static void bad_horizon(struct agt_sim_cfg *c)
{
	c->predict_horizon_ms = AGT_SIM_MAX_HORIZON_MS + 1;
}

static void bad_corr(struct agt_sim_cfg *c)
{
	c->correlation = 1.5;
}

static void bad_corr_nan(struct agt_sim_cfg *c)
{
	c->correlation = NAN;
}

static void bad_hold_high(struct agt_sim_cfg *c)
{
	c->hold_phase = AGT_SIM_PHASES;
}

static void bad_hold_low(struct agt_sim_cfg *c)
{
	c->hold_phase = -2;
}

static void test_validate_refuses(void **state)
{
	static const struct bad_cfg bad[] = {
		{ "sim n_devices = 0 out of range 1-16", bad_n0 },
		{ "sim n_devices = 17 out of range 1-16", bad_n17 },
		{ "sim compute watts = 100001 out of range 0-100000", bad_watts },
		{ "sim preload jitter_pct = 101 out of range 0-100", bad_jitter },
		{ "sim phases have no duration (need one phase > 0 ms)", bad_cycle },
		{ "sim jitter_period_ms = 0 out of range 1-86400000", bad_period },
		{ "sim ramp_ms = 1001 out of range 0-1000", bad_ramp },
		{ "sim min_cap_w = 800, max_cap_w = 700 (need 1 <= max, min <= max)", bad_caps },
		{ "sim predict_horizon_ms = 60001 out of range 0-60000", bad_horizon },
		{ "sim correlation = 1.5 out of range 0-1", bad_corr },
		{ "sim correlation = nan out of range 0-1", bad_corr_nan },
		{ "sim hold_phase = 4 out of range -1 (cycle) to 3", bad_hold_high },
		{ "sim hold_phase = -2 out of range -1 (cycle) to 3", bad_hold_low },
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct agt_backend *b = (struct agt_backend *)&bad; /* must stay untouched */
		struct agt_sim_cfg c;
		char err[160];

		agt_sim_cfg_init(&c);
		bad[i].mutate(&c);
		assert_int_equal(agt_sim_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(agt_sim_cfg_validate(&c, NULL, 0), WT_ECONFIG);
		assert_int_equal(agt_backend_sim_new(&b, &c, T0), WT_ECONFIG);
		assert_ptr_equal(b, (struct agt_backend *)&bad);
	}
}

static void test_kind_and_dispatch(void **state)
{
	struct agt_sim_cfg c = flat_cfg(3);
	struct agt_backend *b = mk(&c);

	assert_int_equal(agt_backend_get_kind(b), AGT_BACKEND_SIM);
	assert_int_equal(agt_backend_devices(b), 3);
	assert_string_equal(agt_backend_get_ops(b)->name, "sim");
	assert_int_equal(agt_backend_kind_parse("sim"), AGT_BACKEND_SIM);
	assert_int_equal(agt_backend_kind_parse("trace"), AGT_BACKEND_TRACE);
	assert_int_equal(agt_backend_kind_parse("miner"), AGT_BACKEND_MINER);
	assert_int_equal(agt_backend_kind_parse("nvml"), AGT_BACKEND_NVML);
	assert_int_equal(agt_backend_kind_parse("Sim"), -EINVAL);
	assert_int_equal(agt_backend_kind_parse(""), -EINVAL);
	assert_int_equal(agt_backend_kind_parse("simulator"), -EINVAL);
	assert_string_equal(agt_backend_kind_name(AGT_BACKEND_NVML), "nvml");
	assert_string_equal(agt_backend_kind_name((enum agt_backend_kind)0), "?");
	assert_string_equal(agt_backend_kind_name((enum agt_backend_kind)9), "?");
	agt_backend_free(b);
	agt_backend_free(NULL);
}

/* Same seed: identical samples, whether sampled every 1 ms or every 37 ms. */
static void test_deterministic(void **state)
{
	struct agt_sim_cfg c;
	struct agt_backend *a, *b, *o;
	int differ = 0;

	agt_sim_cfg_init(&c);
	c.correlation = 0.3;
	c.seed = 42;
	a = mk(&c);
	b = mk(&c);
	c.seed = 43;
	o = mk(&c);
	for (uint32_t ms = 0; ms <= 20000; ms++) {
		struct agt_sample sa = sample_at(a, MS(ms));

		if (ms % 37 == 0) {
			struct agt_sample sb = sample_at(b, MS(ms));
			struct agt_sample so = sample_at(o, MS(ms));

			assert_memory_equal(&sa, &sb, sizeof(sa));
			differ += memcmp(sa.dev_w, so.dev_w, sizeof(sa.dev_w)) != 0;
		}
	}
	/* Another seed gives other offsets and noise. */
	assert_true(differ > 400);
	agt_backend_free(a);
	agt_backend_free(b);
	agt_backend_free(o);
}

struct at_watts {
	double ms;
	uint32_t w; /* per device */
};

static void test_phases(void **state)
{
	static const struct at_watts tab[] = {
		/* The first 8 ms ramp down from the previous cycle's teardown (periodic). */
		{ 0, 200 },	      { 4, 150 },	    { 8, 100 },
		{ 1000, 100 },	      { 1999, 100 },	    { 2500, 250 },
		{ 2990, 250 },	      { 3500, 650 },	    { 8999, 650 },
		{ 9250, 200 },	      { 9499, 200 },	    { 9600, 100 },
		{ 9500 + 2500, 250 }, { 9500 + 6000, 650 }, { 95000 + 9250, 200 },
	};
	struct agt_sim_cfg c = flat_cfg(2);
	struct agt_backend *b = mk(&c);

	for (size_t i = 0; i < ARRAY_LEN(tab); i++) {
		struct agt_sample s = sample_at(b, MS(tab[i].ms));

		if (s.dev_w[0] != tab[i].w) {
			print_error("at %.3f ms: %u W, want %u\n", tab[i].ms, s.dev_w[0], tab[i].w);
		}
		assert_int_equal(s.n, 2);
		assert_int_equal(s.dev_w[0], tab[i].w);
		assert_int_equal(s.dev_w[1], tab[i].w);
		assert_int_equal(s.dev_w[2], 0);
		assert_int_equal(s.total_w, 2 * tab[i].w);
		assert_int_equal(s.demand_w, 2 * tab[i].w);
	}
	agt_backend_free(b);
}

/* Compute with the default +-10 % jitter: every 100 ms slot a new value in [585, 715]; the
 * drawn power is cut at the 700 W default limit, the demand is not. */
static void test_compute_jitter(void **state)
{
	struct agt_sim_cfg c;
	struct agt_backend *b;
	uint32_t lo = UINT32_MAX, hi = 0, over_700 = 0, changes = 0, prev = 0;
	uint64_t sum = 0;
	int n = 0;

	agt_sim_cfg_init(&c);
	c.n_devices = 1;
	b = mk(&c);
	for (uint32_t ms = 3050; ms < 9000; ms += 100) {
		struct agt_sample s = sample_at(b, MS(ms));

		assert_true(s.demand_w >= 585 && s.demand_w <= 715);
		assert_int_equal(s.dev_w[0], s.demand_w < 700 ? s.demand_w : 700);
		lo = s.demand_w < lo ? s.demand_w : lo;
		hi = s.demand_w > hi ? s.demand_w : hi;
		over_700 += s.demand_w > 700;
		changes += s.demand_w != prev;
		prev = s.demand_w;
		sum += s.demand_w;
		n++;
	}
	assert_true(changes >= 50);
	assert_true(lo < 600 && hi > 700 && over_700 > 0);
	assert_true(sum / (uint64_t)n >= 635 && sum / (uint64_t)n <= 665);
	agt_backend_free(b);
}

/* Steps ramp linearly over ramp_ms: 100 -> 250 at 2 s, 250 -> 650 at 3 s, and the DESIGN.md
 * step 100 -> 700 in 8 ms. */
static void test_ramp(void **state)
{
	static const struct at_watts preload[] = {
		{ 1999, 100 }, { 2000, 100 }, { 2001, 119 },   { 2004, 175 },
		{ 2007, 231 }, { 2008, 250 }, { 2020, 250 },   { 3000, 250 },
		{ 3002, 350 }, { 3004, 450 }, { 3007.5, 625 }, { 3008, 650 },
	};
	static const struct at_watts h100_step[] = {
		{ 2000, 100 },	 { 2002, 250 }, { 2004, 400 }, { 2006, 550 },
		{ 2007.9, 693 }, { 2008, 700 }, { 2500, 700 },
	};
	struct agt_sim_cfg c = flat_cfg(1);
	struct agt_backend *b = mk(&c);

	for (size_t i = 0; i < ARRAY_LEN(preload); i++) {
		struct agt_sample s = sample_at(b, MS(preload[i].ms));

		assert_int_equal(s.dev_w[0], preload[i].w);
	}
	agt_backend_free(b);

	c.phase[AGT_SIM_PRELOAD].duration_ms = 0;
	c.phase[AGT_SIM_COMPUTE].watts = 700;
	b = mk(&c);
	for (size_t i = 0; i < ARRAY_LEN(h100_step); i++) {
		struct agt_sample s = sample_at(b, MS(h100_step[i].ms));

		assert_int_equal(s.dev_w[0], h100_step[i].w);
	}
	agt_backend_free(b);

	/* ramp_ms = 0: an ideal step. */
	c = flat_cfg(1);
	c.ramp_ms = 0;
	b = mk(&c);
	assert_int_equal(sample_at(b, MS(1999.999)).dev_w[0], 100);
	assert_int_equal(sample_at(b, MS(2000)).dev_w[0], 250);
	agt_backend_free(b);
}

struct cap_step {
	double ms;
	uint32_t w, demand;
};

static void run_caps(struct agt_backend *b, const struct cap_step *tab, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct agt_sample s = sample_at(b, MS(tab[i].ms));

		if (s.dev_w[0] != tab[i].w || s.demand_w != tab[i].demand) {
			print_error("at %.3f ms: dev_w %u demand %u, want %u %u\n", tab[i].ms,
				    s.dev_w[0], s.demand_w, tab[i].w, tab[i].demand);
			fail();
		}
	}
}

/* A 300 W cap set at 5 s in compute (650 W): the throttle engages at 5.012 s and ramps down
 * over 8 ms, so the device is still above the cap at 5.0199 s and at it from 5.020 s. */
static void test_cap_response(void **state)
{
	static const struct cap_step before[] = {
		{ 4999, 650, 650 },
	};
	static const struct cap_step down[] = {
		{ 5000, 650, 650 }, { 5011.999, 650, 650 }, { 5012, 650, 650 }, { 5016, 475, 650 },
		{ 5019, 344, 650 }, { 5019.9, 304, 650 },   { 5020, 300, 650 }, { 5500, 300, 650 },
	};
	/* Cap below the 100 W minimum: clamped to 100. */
	static const struct cap_step floor[] = {
		{ 6012, 300, 650 },
		{ 6016, 200, 650 },
		{ 6020, 100, 650 },
		{ 6900, 100, 650 },
	};
	/* AGT_CAP_NONE: back to the 700 W limit, i.e. uncapped for 650 W; ramps up. */
	static const struct cap_step lift[] = {
		{ 7012, 100, 650 },
		{ 7016, 375, 650 },
		{ 7020, 650, 650 },
	};
	/* Into teardown (200 W) under a 150 W cap, then idle (100 W) below it. */
	static const struct cap_step later[] = {
		{ 9100, 150, 200 },
		{ 9600, 100, 100 },
	};
	struct agt_sim_cfg c = flat_cfg(1);
	struct agt_backend *b = mk(&c);

	run_caps(b, before, ARRAY_LEN(before));
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(5000)), 0);
	run_caps(b, down, ARRAY_LEN(down));
	assert_int_equal(agt_backend_set_cap(b, 0, 5, MS(6000)), 0);
	run_caps(b, floor, ARRAY_LEN(floor));
	assert_int_equal(agt_backend_set_cap(b, 0, AGT_CAP_NONE, MS(7000)), 0);
	run_caps(b, lift, ARRAY_LEN(lift));
	assert_int_equal(agt_backend_set_cap(b, 0, 150, MS(8000)), 0);
	run_caps(b, later, ARRAY_LEN(later));
	agt_backend_free(b);

	/* A response shorter than the ramp: engaged at once, honoured after the ramp. */
	c.cap_response_ms = 0;
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(5000)), 0);
	assert_int_equal(sample_at(b, MS(5004)).dev_w[0], 475);
	assert_int_equal(sample_at(b, MS(5008)).dev_w[0], 300);
	agt_backend_free(b);
}

/* Caps act per device. */
static void test_cap_per_device(void **state)
{
	struct agt_sim_cfg c = flat_cfg(3);
	struct agt_backend *b = mk(&c);
	struct agt_sample s;

	assert_int_equal(agt_backend_set_cap(b, 1, 400, MS(4000)), 0);
	assert_int_equal(agt_backend_set_cap(b, 1, 400, MS(4001)), 0); /* same cap: no-op */
	s = sample_at(b, MS(4100));
	assert_int_equal(s.dev_w[0], 650);
	assert_int_equal(s.dev_w[1], 400);
	assert_int_equal(s.dev_w[2], 650);
	assert_int_equal(s.total_w, 1700);
	assert_int_equal(s.demand_w, 1950);
	agt_backend_free(b);
}

/* Correlation 1: every device leaves idle at the same instant (here with jitter, checked on a
 * 0.5 ms grid around the idle -> preload and preload -> compute steps). */
static void test_correlation_one(void **state)
{
	struct agt_sim_cfg c;
	struct agt_backend *b;

	agt_sim_cfg_init(&c); /* 8 devices, correlation 1, compute jitter on */
	b = mk(&c);
	for (double ms = 1990; ms <= 3020; ms += 0.5) {
		struct agt_sample s = sample_at(b, MS(ms));

		for (uint32_t d = 1; d < s.n; d++) {
			if (ms < 3000) {
				assert_int_equal(s.dev_w[d], s.dev_w[0]);
			}
		}
		if (ms > 3000 && ms < 3004) {
			/* All mid-ramp into compute together (below 250 + (585 - 250) / 2). */
			for (uint32_t d = 0; d < s.n; d++) {
				assert_true(s.dev_w[d] > 250 && s.dev_w[d] < 585);
			}
		}
		if (ms == 2000.5) {
			assert_true(s.dev_w[0] > 100);
		}
		if (ms == 2000) {
			assert_int_equal(s.dev_w[0], 100);
		}
	}
	agt_backend_free(b);
}

/* First time (1 ms grid, within the first cycle) at which each device reaches preload. */
static void preload_onsets(double corr, uint32_t onset_ms[8])
{
	struct agt_sim_cfg c = flat_cfg(8);
	struct agt_backend *b;
	uint32_t seen = 0;

	c.correlation = corr;
	c.seed = 7;
	c.phase[AGT_SIM_TEARDOWN].watts = 100; /* only preload sits at 250 */
	c.phase[AGT_SIM_COMPUTE].watts = 100;
	b = mk(&c);
	for (uint32_t d = 0; d < 8; d++) {
		onset_ms[d] = UINT32_MAX;
	}
	for (uint32_t ms = 0; ms < 9500 && seen < 8; ms++) {
		struct agt_sample s = sample_at(b, MS(ms));

		for (uint32_t d = 0; d < 8; d++) {
			if (onset_ms[d] == UINT32_MAX && s.dev_w[d] == 250) {
				onset_ms[d] = ms;
				seen++;
			}
		}
	}
	agt_backend_free(b);
}

static void spread(const uint32_t v[8], uint32_t *lo, uint32_t *hi)
{
	*lo = UINT32_MAX;
	*hi = 0;
	for (int d = 0; d < 8; d++) {
		*lo = v[d] < *lo ? v[d] : *lo;
		*hi = v[d] > *hi ? v[d] : *hi;
	}
}

static void test_correlation_spread(void **state)
{
	uint32_t on[8], lo, hi;

	/* 1: all at 2008 ms (step at 2000, ramp 8). */
	preload_onsets(1.0, on);
	spread(on, &lo, &hi);
	assert_int_equal(lo, 2008);
	assert_int_equal(hi, 2008);
	/* 0.9: offsets within 10 % of the 9.5 s cycle, so onsets within 950 ms (+1 ms grid). */
	preload_onsets(0.9, on);
	spread(on, &lo, &hi);
	assert_true(hi != UINT32_MAX);
	assert_true(hi - lo > 0 && hi - lo <= 951);
	/* 0: spread over the whole cycle; with 8 devices far more than 950 ms apart. */
	preload_onsets(0.0, on);
	spread(on, &lo, &hi);
	assert_true(hi != UINT32_MAX);
	assert_true(hi - lo > 2000);
}

struct peak_case {
	double now_ms;
	uint32_t horizon_ms;
	uint32_t want;
};

/* 4 flat devices, correlation 1: idle 400 W, preload 1000 W, compute 2600 W, teardown
 * 800 W in total. */
static void test_predict_table(void **state)
{
	static const struct peak_case tab[] = {
		{ 1500, 0, 400 },     { 1500, 400, 400 }, /* up to 1.9 s: idle */
		{ 1500, 1000, 1000 },			  /* sees the preload from 2 s */
		{ 2500, 400, 1000 },			  /* up to 2.9 s */
		{ 2500, 600, 2600 },			  /* sees the compute phase from 3 s */
		{ 2995, 5, 1000 },			  /* 3.000: the ramp has not started */
		{ 2995, 9, 1800 },			  /* 3.004: half way, 4 * 450 */
		{ 2995, 13, 2600 },			  /* 3.008: there */
		{ 9100, 500, 800 },			  /* teardown, then idle */
		{ 9000, 4, 2600 },   /* ramping down into teardown: peak at the start */
		{ 9001, 3, 2375 },   /* 4 * (650 - 450 / 8) */
		{ 0, 600000, 2600 }, /* exact walk over 10 min */
		{ 0, 9500, 2600 },
	};
	struct agt_sim_cfg c = flat_cfg(4);
	struct agt_backend *b = mk(&c);

	for (size_t i = 0; i < ARRAY_LEN(tab); i++) {
		uint32_t got = agt_backend_predict_peak(b, MS(tab[i].now_ms), tab[i].horizon_ms);

		if (got != tab[i].want) {
			print_error("predict(%.3f ms, %u ms) = %u, want %u\n", tab[i].now_ms,
				    tab[i].horizon_ms, got, tab[i].want);
			fail();
		}
	}
	/* predict_peak() does not advance the model: sampling earlier still works. */
	assert_int_equal(sample_at(b, MS(1500)).predicted_peak_w,
			 agt_backend_predict_peak(b, MS(1500), c.predict_horizon_ms));
	assert_int_equal(sample_at(b, MS(1900)).predicted_peak_w, 1000);
	agt_backend_free(b);

	/* Beyond AGT_SIM_PREDICT_EXACT_MS: the schedule's bound, 4 * (650 + 65). */
	agt_sim_cfg_init(&c);
	c.n_devices = 4;
	b = mk(&c);
	assert_int_equal(agt_backend_predict_peak(b, MS(0), AGT_SIM_PREDICT_EXACT_MS + 1), 2860);
	agt_backend_free(b);
}

/* Max of demand_w sampled every @step_ms over [now, now + horizon] on a fresh backend. */
static uint32_t sampled_peak(const struct agt_sim_cfg *c, double now_ms, uint32_t horizon_ms,
			     double step_ms)
{
	struct agt_backend *b = mk(c);
	uint32_t peak = 0;

	for (double ms = now_ms; ms <= now_ms + horizon_ms + 1e-9; ms += step_ms) {
		struct agt_sample s = sample_at(b, MS(ms));

		peak = s.demand_w > peak ? s.demand_w : peak;
	}
	agt_backend_free(b);
	return peak;
}

/* With correlation 1 every level change (phases, 100 ms jitter slots, 8 ms ramps) falls on
 * the 1 ms grid, so the peak of dense sampling is the exact peak. With random offsets the
 * prediction is never below a sample and at most one grid step of slope above the best one. */
static void test_predict_vs_sampling(void **state)
{
	struct agt_sim_cfg c;
	struct agt_backend *p;

	agt_sim_cfg_init(&c);
	c.n_devices = 4;
	c.seed = 99;
	p = mk(&c);
	for (int k = 0; k < 12; k++) {
		double now = 2900 + k * 537.0;
		uint32_t want = sampled_peak(&c, now, 700, 1.0);

		assert_int_equal(agt_backend_predict_peak(p, MS(now), 700), want);
	}
	agt_backend_free(p);

	c.correlation = 0.37;
	p = mk(&c);
	for (int k = 0; k < 12; k++) {
		double now = 1000 + k * 811.0;
		uint32_t got = agt_backend_predict_peak(p, MS(now), 500);
		uint32_t seen = sampled_peak(&c, now, 500, 0.1);

		/* Slope at most 4 * 715 W / 8 ms: 18 W per half step of 0.1 ms. */
		assert_true(got >= seen);
		assert_true(got <= seen + 20);
	}
	agt_backend_free(p);
}

static void test_time_and_args(void **state)
{
	struct agt_sim_cfg c = flat_cfg(2);
	struct agt_backend *b = mk(&c);
	struct agt_sample s, keep;

	s = sample_at(b, MS(100));
	keep = s;
	assert_int_equal(agt_backend_sample(b, MS(99), &s), -EINVAL);
	assert_memory_equal(&s, &keep, sizeof(s));
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(99)), -EINVAL);
	assert_int_equal(agt_backend_set_cap(b, 2, 300, MS(100)), -EINVAL);
	assert_int_equal(agt_backend_sample(b, T0 - 1, &s), -EINVAL);
	sample_at(b, MS(100)); /* the same time again is fine */
	agt_backend_free(b);
}

/* At most AGT__CAPQ_LEN (32) cap changes in flight per device; more is WT_EBUSY until the
 * oldest have taken effect. */
static void test_cap_queue_limit(void **state)
{
	struct agt_sim_cfg c = flat_cfg(1);
	struct agt_backend *b = mk(&c);
	int rc = 0;
	uint32_t i;

	for (i = 0; i < 64 && rc == 0; i++) {
		rc = agt_backend_set_cap(b, 0, 200 + i, MS(4000 + i * 0.1));
	}
	assert_int_equal(rc, WT_EBUSY);
	assert_int_equal(i, 33);
	/* The refused cap was not applied: the last accepted one (231 W) wins. */
	assert_int_equal(sample_at(b, MS(4100)).dev_w[0], 231);
	assert_int_equal(agt_backend_set_cap(b, 0, 400, MS(4100)), 0);
	assert_int_equal(sample_at(b, MS(4120)).dev_w[0], 400);
	agt_backend_free(b);
}

/* ---- holding a phase ---- */

/* Per-device watts at @ms, failing with the time in the message. */
static void expect_w(struct agt_backend *b, double ms, uint32_t w)
{
	struct agt_sample s = sample_at(b, MS(ms));

	for (uint32_t d = 0; d < s.n; d++) {
		if (s.dev_w[d] != w) {
			print_error("at %.3f ms: dev_w[%u] = %u, want %u\n", ms, d, s.dev_w[d], w);
			fail();
		}
	}
}

/* Holding compute, from the config or on command: compute watts once ramp_ms has passed, for
 * as long as the hold lasts, whatever phase the cycle would be in. */
static void test_hold_compute(void **state)
{
	static const double cycle_times[] = { 0, 1000, 2500, 5000, 9200, 9600, 12000 };
	struct agt_sim_cfg c = flat_cfg(3);
	struct agt_backend *b;

	c.hold_phase = AGT_SIM_COMPUTE;
	b = mk(&c);
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_COMPUTE);
	/* Held from the start: no ramp from the cycle's teardown at 0. */
	for (size_t i = 0; i < ARRAY_LEN(cycle_times); i++) {
		expect_w(b, cycle_times[i], 650);
		assert_int_equal(sample_at(b, MS(cycle_times[i])).demand_w, 3 * 650);
	}
	agt_backend_free(b);

	/* On command at 500 ms, in idle. */
	c.hold_phase = AGT_SIM_CYCLE;
	b = mk(&c);
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_CYCLE);
	expect_w(b, 400, 100);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(500)), 0);
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_COMPUTE);
	expect_w(b, 500, 100);
	expect_w(b, 507.9, 643);
	expect_w(b, 508, 650);
	for (size_t i = 2; i < ARRAY_LEN(cycle_times); i++) {
		expect_w(b, cycle_times[i], 650);
	}
	/* The same mode again changes nothing. */
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(12000)), 0);
	expect_w(b, 12004, 650);
	agt_backend_free(b);
}

/* Switching the hold from idle to compute at t ramps linearly over ramp_ms from t, as a phase
 * change does; then to teardown the same way down. */
static void test_hold_switch_ramp(void **state)
{
	struct agt_sim_cfg c = flat_cfg(2);
	struct agt_backend *b;

	c.hold_phase = AGT_SIM_IDLE;
	b = mk(&c);
	expect_w(b, 4999, 100); /* the cycle would be in compute */
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(5000)), 0);
	for (int k = 0; k <= 16; k++) {
		double ms = 5000 + k * 0.5;
		double frac = k * 0.5 / 8 > 1 ? 1 : k * 0.5 / 8;
		uint32_t want = (uint32_t)(100 + 550 * frac + 0.5);

		expect_w(b, ms, want);
	}
	expect_w(b, 5500, 650);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_TEARDOWN, MS(6000)), 0);
	expect_w(b, 6000, 650);
	expect_w(b, 6002, 538); /* 650 - 450 / 4 = 537.5, rounded half up */
	expect_w(b, 6004, 425);
	expect_w(b, 6008, 200);
	/* A switch during a ramp blends, as closely spaced phase changes do: the level steps
	 * 200 -> 650 at 7000 and 650 -> 100 at 7004; at 7008 the window holds 4 ms of each. */
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(7000)), 0);
	expect_w(b, 7004, 425);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_IDLE, MS(7004)), 0);
	expect_w(b, 7008, 375);
	expect_w(b, 7012, 100);
	agt_backend_free(b);

	/* ramp_ms = 0: an ideal step at the switch. */
	c.ramp_ms = 0;
	b = mk(&c);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_PRELOAD, MS(300)), 0);
	expect_w(b, 300, 250);
	agt_backend_free(b);
}

/* Caps apply to a held phase as to the cycle. */
static void test_hold_caps(void **state)
{
	struct agt_sim_cfg c = flat_cfg(1);
	struct agt_backend *b;
	struct agt_sample s;

	c.hold_phase = AGT_SIM_COMPUTE;
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(1000)), 0);
	expect_w(b, 1011.9, 650);
	s = sample_at(b, MS(1020));
	assert_int_equal(s.dev_w[0], 300);
	assert_int_equal(s.demand_w, 650);
	/* Switching to idle under the cap: 100 W after the ramp. */
	assert_int_equal(agt_sim_hold(b, AGT_SIM_IDLE, MS(1100)), 0);
	s = sample_at(b, MS(1108));
	assert_int_equal(s.dev_w[0], 100);
	assert_int_equal(s.demand_w, 100);
	agt_backend_free(b);
}

/* predict_peak covers a held phase: exact against dense sampling with jitter, its watts plus
 * jitter as the long-horizon bound, and the ramp after a switch. */
static void test_hold_predict(void **state)
{
	struct agt_sim_cfg c;
	struct agt_backend *b;

	/* Held compute with +-10 % jitter: the exact walk equals the peak of dense sampling
	 * (correlation 1: every change on the 1 ms grid), never above 4 * (650 + 65). */
	agt_sim_cfg_init(&c);
	c.n_devices = 4;
	c.seed = 7;
	c.hold_phase = AGT_SIM_COMPUTE;
	b = mk(&c);
	for (int k = 0; k < 10; k++) {
		double now = 100 + k * 1237.0;
		uint32_t want = sampled_peak(&c, now, 700, 1.0);
		uint32_t got = agt_backend_predict_peak(b, MS(now), 700);

		assert_int_equal(got, want);
		assert_true(got <= 2860);
		assert_true(got > 2600);
	}
	assert_int_equal(agt_backend_predict_peak(b, MS(0), AGT_SIM_PREDICT_EXACT_MS + 1), 2860);
	agt_backend_free(b);

	/* Held idle, no jitter: flat at 400 W, and the bound is 4 * 100, not the cycle's. */
	c.hold_phase = AGT_SIM_IDLE;
	b = mk(&c);
	assert_int_equal(agt_backend_predict_peak(b, MS(2500), 600000), 400);
	agt_backend_free(b);
	/* After a switch to compute (no jitter) at 5 s the prediction sees the ramp. */
	c.phase[AGT_SIM_COMPUTE].jitter_pct = 0;
	b = mk(&c);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(5000)), 0);
	assert_int_equal(agt_backend_predict_peak(b, MS(5002), 3), 1775); /* 4 * 443.75 */
	assert_int_equal(agt_backend_predict_peak(b, MS(5002), 50), 2600);
	assert_int_equal(agt_backend_predict_peak(b, MS(5000), 0), 400);
	assert_int_equal(sample_at(b, MS(5005)).demand_w, 1775);
	agt_backend_free(b);

	/* Cycling -> idle: the cycle's bound while the cycle is still in the ramp window, then
	 * the held phase's alone. */
	agt_sim_cfg_init(&c);
	c.n_devices = 4;
	b = mk(&c);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_IDLE, MS(5000)), 0);
	assert_int_equal(agt_backend_predict_peak(b, MS(5000), AGT_SIM_PREDICT_EXACT_MS + 1), 2860);
	sample_at(b, MS(5100));
	assert_int_equal(agt_backend_predict_peak(b, MS(5100), AGT_SIM_PREDICT_EXACT_MS + 1), 400);
	agt_backend_free(b);
}

/* AGT_SIM_CYCLE returns to the schedule where it stands then (the cycle never stopped). */
static void test_hold_back_to_cycle(void **state)
{
	struct agt_sim_cfg c = flat_cfg(2);
	struct agt_backend *b = mk(&c);

	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(500)), 0);
	expect_w(b, 900, 650);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_CYCLE, MS(1000)), 0);
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_CYCLE);
	expect_w(b, 1004, 375); /* ramping down to the cycle's idle */
	expect_w(b, 1008, 100);
	expect_w(b, 2500, 250); /* preload, on the original schedule */
	expect_w(b, 3500, 650);
	expect_w(b, 9250, 200);
	agt_backend_free(b);
}

/* Bad arguments change nothing; at most AGT__CAPQ_LEN (32) hold changes inside the ramp
 * window, then WT_EBUSY until the oldest leave it. */
static void test_hold_args(void **state)
{
	struct agt_sim_cfg c = flat_cfg(1);
	struct agt_miner_cfg mc;
	struct agt_backend *b = mk(&c), *m = NULL;
	int rc = 0;
	uint32_t i;

	sample_at(b, MS(100));
	assert_int_equal(agt_sim_hold(b, AGT_SIM_PHASES, MS(100)), -EINVAL);
	assert_int_equal(agt_sim_hold(b, -2, MS(100)), -EINVAL);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(99)), -EINVAL);
	assert_int_equal(agt_sim_hold(NULL, AGT_SIM_COMPUTE, MS(100)), -EINVAL);
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_CYCLE);
	expect_w(b, 200, 100);
	agt_miner_cfg_init(&mc);
	assert_int_equal(agt_backend_miner_new(&m, &mc, T0), 0);
	assert_int_equal(agt_sim_hold(m, AGT_SIM_COMPUTE, MS(100)), -EINVAL);
	assert_int_equal(agt_sim_hold_get(m), AGT_SIM_CYCLE);
	agt_backend_free(m);

	for (i = 0; i < 64 && rc == 0; i++) {
		rc = agt_sim_hold(b, i % 2 == 0 ? AGT_SIM_COMPUTE : AGT_SIM_PRELOAD,
				  MS(1000 + i * 0.1));
	}
	assert_int_equal(rc, WT_EBUSY);
	assert_int_equal(i, 33);
	/* The refused change was not applied: the last accepted one (preload) holds. */
	assert_int_equal(agt_sim_hold_get(b), AGT_SIM_PRELOAD);
	expect_w(b, 1100, 250);
	assert_int_equal(agt_sim_hold(b, AGT_SIM_COMPUTE, MS(1100)), 0);
	expect_w(b, 1108, 650);
	agt_backend_free(b);

	assert_string_equal(agt_sim_phase_name(AGT_SIM_CYCLE), "cycle");
	assert_string_equal(agt_sim_phase_name(AGT_SIM_IDLE), "idle");
	assert_string_equal(agt_sim_phase_name(AGT_SIM_PRELOAD), "preload");
	assert_string_equal(agt_sim_phase_name(AGT_SIM_COMPUTE), "compute");
	assert_string_equal(agt_sim_phase_name(AGT_SIM_TEARDOWN), "teardown");
	assert_string_equal(agt_sim_phase_name(7), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_validate),
		cmocka_unit_test(test_validate_refuses),
		cmocka_unit_test(test_kind_and_dispatch),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_compute_jitter),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_cap_response),
		cmocka_unit_test(test_cap_per_device),
		cmocka_unit_test(test_correlation_one),
		cmocka_unit_test(test_correlation_spread),
		cmocka_unit_test(test_predict_table),
		cmocka_unit_test(test_predict_vs_sampling),
		cmocka_unit_test(test_time_and_args),
		cmocka_unit_test(test_cap_queue_limit),
		cmocka_unit_test(test_hold_compute),
		cmocka_unit_test(test_hold_switch_ramp),
		cmocka_unit_test(test_hold_caps),
		cmocka_unit_test(test_hold_predict),
		cmocka_unit_test(test_hold_back_to_cycle),
		cmocka_unit_test(test_hold_args),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
