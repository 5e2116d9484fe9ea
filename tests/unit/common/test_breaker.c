/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the breaker model: trip times per region against hand-computed values, relay
 * curves, thermal memory (I^2 t accumulation, cooling, warm start, short-time memory), the
 * largest safe power per lease duration, watts/amps conversions, config validation, and the
 * sourced rows of tests/data/power-equipment-reference/breaker_trip_characteristics.csv. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt/breaker.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* @got equals @want within @rel_tol relative (both infinite also counts as equal). */
static void check_near(double got, double want, double rel_tol, const char *what)
{
	if (isinf(want) && isinf(got) && (want > 0) == (got > 0)) {
		return;
	}
	if (!(fabs(got - want) <= rel_tol * fabs(want))) {
		print_error("%s: got %.10g, want %.10g (rel tol %g)\n", what, got, want, rel_tol);
		fail();
	}
}

/* 100 A three-phase 415 V breaker with the IEC 60947-2 defaults (pickup 1.05 x In, pf 0.95),
 * then tr = 4 s, instantaneous 10 x In, clearing 30 ms: long-time I^2 t band K = 36 * 4 = 144 s
 * at 1 x In. */
static struct wt_breaker_cfg cfg_lt(void)
{
	struct wt_breaker_cfg c;

	wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 100.0, 415.0, 3);
	c.lt_delay_s = 4.0;
	c.inst_pickup_x = 10.0;
	c.clearing_ms = 30.0;
	return c;
}

/* The same with a short-time element: 4 x In, 200 ms definite time (LSI). */
static struct wt_breaker_cfg cfg_lsi(void)
{
	struct wt_breaker_cfg c = cfg_lt();

	c.st_pickup_x = 4.0;
	c.st_delay_ms = 200.0;
	return c;
}

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

static void test_defaults(void **state)
{
	struct wt_breaker_cfg c;
	char err[256] = "";

	wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 63.0, 400.0, 3);
	assert_int_equal(wt_breaker_cfg_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.lt_curve, WT_BREAKER_CURVE_I2T);
	check_near(c.lt_pickup_x, 1.05, 0, "60947-2 pickup");
	check_near(c.lt_delay_s, 0.5, 0, "tr");
	check_near(c.inst_pickup_x, 5.0, 0, "inst");
	check_near(c.clearing_ms, 50.0, 0, "clearing");
	check_near(c.power_factor, 0.95, 0, "pf");
	assert_true(c.st_pickup_x == 0.0);
	assert_int_equal(c.voltage_ref, WT_BREAKER_V_LINE_LINE);

	wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60898_1, 32.0, 230.0, 1);
	assert_int_equal(wt_breaker_cfg_validate(&c, err, sizeof(err)), 0);
	check_near(c.lt_pickup_x, 1.13, 0, "60898-1 pickup");
	/* The derived time constant 36 * tr / p^2 = 18 / 1.2769 = 14.0966 s. */
	check_near(wt_breaker_cool_tau_s(&c), 14.096640, 1e-6, "tau 60898");
}

/* Trip times from cold, table-driven. K = 144 s for cfg_lt/cfg_lsi: t = 144 / x^2 s. */
static void test_trip_time_regions(void **state)
{
	static const struct {
		const char *what;
		bool lsi;
		double amps;
		double want_ms;
	} cases[] = {
		{ "zero current", false, 0.0, INFINITY },
		{ "rated current", false, 100.0, INFINITY },
		{ "just below pickup", false, 104.99, INFINITY },
		{ "exactly at pickup (the non-tripping current)", false, 105.0, INFINITY },
		/* 144 / 1.06^2 = 144 / 1.1236 = 128.159 s */
		{ "just above pickup, 1.06 x In", false, 106.0, 128159.487362 },
		/* 144 / 2.25 = 64 s */
		{ "1.5 x In", false, 150.0, 64000.0 },
		/* 144 / 4 = 36 s */
		{ "2 x In", false, 200.0, 36000.0 },
		/* 144 / 36 = 4 s = tr, by definition of tr */
		{ "6 x In", false, 600.0, 4000.0 },
		/* 144 / 99.8001 = 1.442884 s: long time still, just under instantaneous */
		{ "9.99 x In", false, 999.0, 1442.884326 },
		{ "at instantaneous: clearing time", false, 1000.0, 30.0 },
		{ "far above instantaneous", false, 5000.0, 30.0 },
		{ "negative current counts by magnitude", false, -600.0, 4000.0 },
		{ "NaN current counts as a fault", false, NAN, 30.0 },
		/* With the short-time element at 4 x In / 200 ms. */
		{ "lsi 2 x In: long time", true, 200.0, 36000.0 },
		/* 144 / 15.9201 = 9.045169 s */
		{ "lsi 3.99 x In: long time", true, 399.0, 9045.169314 },
		{ "lsi at short-time pickup", true, 400.0, 200.0 },
		{ "lsi 6 x In: short time beats 4 s", true, 600.0, 200.0 },
		{ "lsi at instantaneous", true, 1000.0, 30.0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_breaker_cfg c = cases[i].lsi ? cfg_lsi() : cfg_lt();

		assert_int_equal(wt_breaker_cfg_validate(&c, NULL, 0), 0);
		check_near(wt_breaker_trip_time_ms(&c, cases[i].amps), cases[i].want_ms, 1e-9,
			   cases[i].what);
	}
}

/* IEC 60255-151 and IEEE C37.112 curves at I/Is = 2, 5 and 10 with TMS (TD) = 0.1, computed
 * by hand from relay_inverse_time_curves.csv:
 *   2^0.02 = 1.0139595, 5^0.02 = 1.0327124, 10^0.02 = 1.0471285
 *   IEC SI  0.1 * 0.14 / (M^0.02 - 1): 0.014 / 0.0139595 = 1.002903 s,
 *           0.014 / 0.0327124 = 0.427972 s, 0.014 / 0.0471285 = 0.297060 s
 *   IEC VI  0.1 * 13.5 / (M - 1):   1.35 / 1 = 1.35 s, 1.35 / 4 = 0.3375 s, 1.35 / 9 = 0.15 s
 *   IEC EI  0.1 * 80 / (M^2 - 1):   8 / 3 = 2.666667 s, 8 / 24 = 0.333333 s, 8 / 99 = 0.080808 s
 *   IEC LTI 0.1 * 120 / (M - 1):    12 s, 3 s, 1.333333 s
 *   IEEE MI 0.1 * (0.0515 / (M^0.02 - 1) + 0.114): 0.1 * (3.689249 + 0.114) = 0.380325 s,
 *           0.1 * (1.574326 + 0.114) = 0.168833 s, 0.1 * (1.092756 + 0.114) = 0.120676 s
 *   IEEE VI 0.1 * (19.61 / (M^2 - 1) + 0.491): 0.1 * (6.536667 + 0.491) = 0.702767 s,
 *           0.1 * (0.817083 + 0.491) = 0.130808 s, 0.1 * (0.198081 + 0.491) = 0.068908 s
 *   IEEE EI 0.1 * (28.2 / (M^2 - 1) + 0.1217): 0.1 * (9.4 + 0.1217) = 0.952170 s,
 *           0.1 * (1.175 + 0.1217) = 0.129670 s, 0.1 * (0.284848 + 0.1217) = 0.040655 s */
static void test_relay_curves(void **state)
{
	static const struct {
		enum wt_breaker_curve curve;
		double want_ms[3];
	} cases[] = {
		{ WT_BREAKER_CURVE_IEC_SI, { 1002.9027, 427.9720, 297.0599 } },
		{ WT_BREAKER_CURVE_IEC_VI, { 1350.0, 337.5, 150.0 } },
		{ WT_BREAKER_CURVE_IEC_EI, { 2666.6667, 333.3333, 80.8081 } },
		{ WT_BREAKER_CURVE_IEC_LTI, { 12000.0, 3000.0, 1333.3333 } },
		{ WT_BREAKER_CURVE_IEEE_MI, { 380.3249, 168.8326, 120.6756 } },
		{ WT_BREAKER_CURVE_IEEE_VI, { 702.7667, 130.8083, 68.9081 } },
		{ WT_BREAKER_CURVE_IEEE_EI, { 952.1700, 129.6700, 40.6548 } },
	};

	static const double m[3] = { 2.0, 5.0, 10.0 };

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_breaker_cfg c = cfg_lt();
		char err[256] = "";

		/* Is = 1.0 x In = 100 A; instantaneous at its maximum so that 10 x Is is timed. */
		c.lt_curve = cases[i].curve;
		c.lt_tms = 0.1;
		c.lt_pickup_x = 1.0;
		c.inst_pickup_x = 20.0;
		assert_int_equal(wt_breaker_cfg_validate(&c, err, sizeof(err)), 0);
		for (size_t j = 0; j < 3; j++) {
			char what[64];

			snprintf(what, sizeof(what), "%s at %g x Is",
				 wt_breaker_curve_name(cases[i].curve), m[j]);
			check_near(wt_breaker_curve_time_s(cases[i].curve, 0.1, m[j]) * 1000.0,
				   cases[i].want_ms[j], 2e-6, what);
			check_near(wt_breaker_trip_time_ms(&c, 100.0 * m[j]), cases[i].want_ms[j],
				   2e-6, what);
		}
		/* At or below Is the relay never operates. */
		check_near(wt_breaker_trip_time_ms(&c, 100.0), INFINITY, 0, "relay at Is");
		check_near(wt_breaker_curve_time_s(cases[i].curve, 0.1, 0.5), INFINITY, 0, "m<1");
	}
}

static void test_curve_names(void **state)
{
	for (unsigned i = 0; i < WT_BREAKER_CURVE_COUNT; i++) {
		enum wt_breaker_curve out = WT_BREAKER_CURVE_COUNT;

		assert_int_equal(wt_breaker_curve_parse(wt_breaker_curve_name(i), &out), 0);
		assert_int_equal(out, i);
	}
	assert_string_equal(wt_breaker_curve_name(WT_BREAKER_CURVE_IEC_SI), "iec_si");
	assert_string_equal(wt_breaker_curve_name(WT_BREAKER_CURVE_COUNT), "?");
	{
		enum wt_breaker_curve out = WT_BREAKER_CURVE_I2T;

		assert_int_equal(wt_breaker_curve_parse("ansi_vi", &out), -EINVAL);
	}
}

/* Step at @amps in @dt_ms steps from @st until a trip or @limit_ms; returns the elapsed ms at
 * the trip, or INFINITY. */
static double run_until_trip(const struct wt_breaker_cfg *c, struct wt_breaker_state *st,
			     double amps, double dt_ms, double limit_ms)
{
	double t_ms = 0.0;

	while (t_ms < limit_ms) {
		t_ms += dt_ms;
		if (wt_breaker_step(c, st, amps, dt_ms)) {
			return t_ms;
		}
	}
	return INFINITY;
}

/* Accumulating I^2 t over steps reproduces the constant-current trip time within one step. */
static void test_step_matches_trip_time(void **state)
{
	static const struct {
		bool lsi;
		double amps;
		double dt_ms;
	} cases[] = {
		{ false, 106.0, 100.0 }, { false, 200.0, 1.0 }, { false, 200.0, 7.0 },
		{ false, 600.0, 0.5 },	 { false, 999.0, 3.0 }, { true, 400.0, 1.0 },
		{ true, 600.0, 0.25 },	 { true, 399.0, 10.0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_breaker_cfg c = cases[i].lsi ? cfg_lsi() : cfg_lt();
		struct wt_breaker_state st;
		double want = wt_breaker_trip_time_ms(&c, cases[i].amps);
		double got;

		wt_breaker_state_init(&st);
		got = run_until_trip(&c, &st, cases[i].amps, cases[i].dt_ms, 2.0 * want);
		if (!(got >= want - 1e-6 && got < want + cases[i].dt_ms + 1e-6)) {
			print_error("case %zu: tripped at %g ms, constant-current %g ms (dt %g)\n",
				    i, got, want, cases[i].dt_ms);
			fail();
		}
		assert_true(st.tripped);
		/* The trip latches. */
		assert_true(wt_breaker_step(&c, &st, 0.0, 1000.0));
		check_near(wt_breaker_state_trip_time_ms(&c, &st, 0.0), 0.0, 0, "tripped");
		assert_int_equal(wt_breaker_max_watts(&c, &st, 1.0), 0);
	}
}

/* Heat from several currents adds as fractions of each current's trip time. */
static void test_heat_adds(void **state)
{
	struct wt_breaker_cfg c = cfg_lt();
	struct wt_breaker_state st;

	wt_breaker_state_init(&st);
	/* 10 s at 2 x In: 10 / 36; 1 s at 6 x In: 1 / 4. Total 0.527778. */
	assert_false(wt_breaker_step(&c, &st, 200.0, 10000.0));
	assert_false(wt_breaker_step(&c, &st, 600.0, 1000.0));
	check_near(st.heat, 10.0 / 36.0 + 0.25, 1e-12, "heat");
	/* From there 3 x In (16 s from cold) trips after (1 - 0.527778) * 16 s = 7.5556 s. */
	check_near(wt_breaker_state_trip_time_ms(&c, &st, 300.0), (1.0 - st.heat) * 16000.0, 1e-12,
		   "warm trip time");
	check_near(wt_breaker_state_trip_time_ms(&c, &st, 300.0), 7555.555556, 1e-9, "7.56 s");
	/* Instantaneous trips whatever the step length, even zero. */
	assert_true(wt_breaker_step(&c, &st, 1000.0, 0.0));
}

static void test_cooling_and_warming(void **state)
{
	struct wt_breaker_cfg c = cfg_lt();
	struct wt_breaker_state st;
	const double tau_s = 144.0 / (1.05 * 1.05); /* 36 * tr / p^2 = 130.6122 s */

	check_near(wt_breaker_cool_tau_s(&c), tau_s, 1e-12, "derived tau");
	check_near(wt_breaker_cool_tau_s(&c), 130.612245, 1e-8, "tau by hand");

	/* Heat to 0.5 (18 s at 2 x In), then no current for one tau: 0.5 / e = 0.183940. */
	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 200.0, 18000.0));
	check_near(st.heat, 0.5, 1e-12, "heated");
	assert_false(wt_breaker_step(&c, &st, 0.0, tau_s * 1000.0));
	check_near(st.heat, 0.183940, 1e-5, "cooled one tau");
	/* Many small steps give the same as one long one (the relaxation is exact per step). */
	{
		struct wt_breaker_state s2;

		wt_breaker_state_init(&s2);
		assert_false(wt_breaker_step(&c, &s2, 200.0, 18000.0));
		for (int i = 0; i < 1000; i++) {
			assert_false(wt_breaker_step(&c, &s2, 0.0, tau_s));
		}
		check_near(s2.heat, st.heat, 1e-9, "cooled in steps");
	}
	/* Cooling restores burst capacity: 2 x In now lasts (1 - 0.18394) * 36 s = 29.378 s. */
	check_near(wt_breaker_state_trip_time_ms(&c, &st, 200.0), (1.0 - st.heat) * 36000.0, 1e-12,
		   "after cooling");

	/* Carrying 0.8 x pickup for ten tau warms towards 0.8^2 = 0.64: 0.64 (1 - e^-10). */
	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 0.8 * 105.0, 10.0 * tau_s * 1000.0));
	check_near(st.heat, 0.639971, 1e-5, "warm steady state");
	/* Exactly at pickup forever: never trips, though the heat approaches (here rounds to) 1,
	 * so that anything above pickup would then trip at once. */
	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 105.0, 1e12));
	assert_true(st.heat <= 1.0 && !st.tripped);
	check_near(wt_breaker_state_trip_time_ms(&c, &st, 105.0), INFINITY, 0, "at pickup, hot");

	/* An explicit time constant overrides the derived one. */
	c.lt_cool_tau_s = 60.0;
	check_near(wt_breaker_cool_tau_s(&c), 60.0, 0, "override tau");
	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 200.0, 18000.0));
	assert_false(wt_breaker_step(&c, &st, 0.0, 60000.0));
	check_near(st.heat, 0.183940, 1e-5, "cooled one explicit tau");
}

/* The short-time element remembers a burst for as long as it lasted. */
static void test_short_time_memory(void **state)
{
	struct wt_breaker_cfg c = cfg_lsi();
	struct wt_breaker_state st;

	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 500.0, 150.0));
	check_near(st.st_used, 0.75, 1e-12, "st after 150 ms");
	check_near(wt_breaker_state_trip_time_ms(&c, &st, 500.0), 50.0, 1e-12, "st left");
	assert_false(wt_breaker_step(&c, &st, 100.0, 100.0));
	check_near(st.st_used, 0.25, 1e-12, "st drained 100 ms");
	{
		struct wt_breaker_state s2 = st;

		assert_false(wt_breaker_step(&c, &s2, 500.0, 149.0));
	}
	assert_true(wt_breaker_step(&c, &st, 500.0, 150.0));
	/* Fully drained after a long pause. */
	wt_breaker_state_init(&st);
	assert_false(wt_breaker_step(&c, &st, 500.0, 150.0));
	assert_false(wt_breaker_step(&c, &st, 0.0, 10000.0));
	check_near(st.st_used, 0.0, 0, "st drained");
	/* Negative and NaN step lengths count as zero. */
	assert_false(wt_breaker_step(&c, &st, 500.0, -5.0));
	assert_false(wt_breaker_step(&c, &st, 500.0, NAN));
	check_near(st.st_used, 0.0, 0, "no time passed");
}

/* max_watts: hand-computed points, monotone in duration, never above the burst ceiling, and
 * consistent with stepping (the returned power does not trip within the duration; 0.5 % more
 * does, or crosses the ceiling). */
static void test_max_watts(void **state)
{
	static const double durations_ms[] = { 0,   1,	  10,	50,    100,   199,    200,   201,
					       500, 1000, 5000, 10000, 60000, 600000, 3.6e6, 1e9 };
	struct wt_breaker_cfg c = cfg_lsi();
	struct wt_breaker_state states[4];
	const uint64_t ceiling = wt_breaker_burst_ceiling_w(&c);
	const double w_per_a = wt_breaker_amps_to_watts(&c, 1.0);

	/* 0.85 x 10 x 100 A x sqrt(3) x 415 V x 0.95 = 580431.876 W */
	assert_int_equal(ceiling, 580431);
	/* Cold, short lease: the ceiling binds. */
	wt_breaker_state_init(&states[0]);
	assert_true(wt_breaker_max_watts(&c, &states[0], 0.0) <= ceiling);
	assert_true(wt_breaker_max_watts(&c, &states[0], 100.0) >= ceiling - 1);
	/* Cold, 200 ms reaches the short-time delay: below 4 x In = 400 A = 273144 W. */
	assert_int_equal(wt_breaker_max_watts(&c, &states[0], 200.0),
			 (uint64_t)floor(400.0 * w_per_a * (1.0 - 1e-9)));
	/* Cold, 10 s: long time, x = 6 sqrt(4 / 10) = 3.794733 -> 379.4733 A = 259127.54 W. */
	assert_int_equal(wt_breaker_max_watts(&c, &states[0], 10000.0), 259127);

	/* Warm: heat 0.5; 10 s allows x = 6 sqrt(4 * 0.5 / 10) = 2.683282 -> 183232.4 W. */
	wt_breaker_state_init(&states[1]);
	assert_false(wt_breaker_step(&c, &states[1], 200.0, 18000.0));
	assert_int_equal(wt_breaker_max_watts(&c, &states[1], 10000.0),
			 (uint64_t)floor(268.3281573 * w_per_a));
	/* Short-time memory 0.75 plus a little heat. */
	wt_breaker_state_init(&states[2]);
	assert_false(wt_breaker_step(&c, &states[2], 500.0, 150.0));
	/* Near the end of the long-time band: 9.4 s of 144 / 3.9^2 = 9.4675 s, heat 0.992875. */
	wt_breaker_state_init(&states[3]);
	assert_false(wt_breaker_step(&c, &states[3], 390.0, 9400.0));
	check_near(states[3].heat, 0.992875, 1e-5, "nearly tripped");

	int trip_checks = 0;

	for (size_t s = 0; s < ARRAY_LEN(states); s++) {
		uint64_t prev = UINT64_MAX;

		for (size_t i = 0; i < ARRAY_LEN(durations_ms); i++) {
			double d = durations_ms[i];
			uint64_t w = wt_breaker_max_watts(&c, &states[s], d);
			struct wt_breaker_state sim = states[s];
			double amps = wt_breaker_watts_to_amps(&c, (double)w);

			if (w > prev || w > ceiling) {
				print_error("state %zu duration %g: %" PRIu64 " W after %" PRIu64
					    " W, ceiling %" PRIu64 "\n",
					    s, d, w, prev, ceiling);
				fail();
			}
			prev = w;
			if (d <= 0.0) {
				continue;
			}
			/* 1000 steps over the duration at the allowed power: no trip. */
			for (int k = 0; k < 1000; k++) {
				if (wt_breaker_step(&c, &sim, amps, d / 1000.0)) {
					print_error("state %zu: %" PRIu64
						    " W tripped within %g ms\n",
						    s, w, d);
					fail();
				}
			}
			/* 0.5 % more either trips within the duration or is above the ceiling. */
			if ((double)w * 1.005 <= (double)ceiling) {
				sim = states[s];
				trip_checks++;
				if (!isfinite(run_until_trip(&c, &sim, amps * 1.005, d / 1000.0,
							     d))) {
					print_error("state %zu: %" PRIu64
						    " W + 0.5 %% survived %g ms\n",
						    s, w, d);
					fail();
				}
			}
		}
		/* Over an hour the limit is the long-time pickup. */
		assert_true(wt_breaker_max_watts(&c, &states[s], 1e9) <=
			    (uint64_t)(105.0 * w_per_a));
	}
	/* The trip side was exercised wherever the ceiling did not bind. */
	assert_true(trip_checks >= 40);
}

static void test_conversions(void **state)
{
	static const struct {
		const char *what;
		unsigned phases;
		enum wt_breaker_vref vref;
		double volts;
		double pf;
		double amps;
		double watts;
	} cases[] = {
		/* 230 V x 10 A x 1 */
		{ "1-phase 230 V", 1, WT_BREAKER_V_LINE_NEUTRAL, 230.0, 1.0, 10.0, 2300.0 },
		/* 208 V x 30 A x 0.95 = 5928 W: single phase across two lines */
		{ "1-phase 208 V line-line", 1, WT_BREAKER_V_LINE_LINE, 208.0, 0.95, 30.0, 5928.0 },
		/* sqrt(3) x 400 V x 32 A x 0.9 = 1.7320508 x 11520 = 19953.225 W */
		{ "3-phase 400 V LL", 3, WT_BREAKER_V_LINE_LINE, 400.0, 0.9, 32.0, 19953.225303 },
		/* 3 x 230 V x 32 A x 1 = 22080 W */
		{ "3-phase 230 V LN", 3, WT_BREAKER_V_LINE_NEUTRAL, 230.0, 1.0, 32.0, 22080.0 },
		/* sqrt(3) x 415 V x 100 A x 0.95 = 68286.103 W */
		{ "3-phase 415 V LL", 3, WT_BREAKER_V_LINE_LINE, 415.0, 0.95, 100.0, 68286.103088 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_breaker_cfg c;

		wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 100.0, cases[i].volts,
				    cases[i].phases);
		c.voltage_ref = cases[i].vref;
		c.power_factor = cases[i].pf;
		check_near(wt_breaker_amps_to_watts(&c, cases[i].amps), cases[i].watts, 1e-9,
			   cases[i].what);
		check_near(wt_breaker_watts_to_amps(&c, cases[i].watts), cases[i].amps, 1e-9,
			   cases[i].what);
	}
}

static void test_rack_limits(void **state)
{
	struct wt_breaker_cfg c;

	/* 1-phase 32 A 230 V pf 1: 0.8 x 32 x 230 = 5888 W exactly (no off-by-one from rounding);
	 * burst 0.85 x 5 x 32 x 230 = 31280 W. */
	wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60898_1, 32.0, 230.0, 1);
	c.power_factor = 1.0;
	assert_int_equal(wt_breaker_pool_capacity_w(&c), 5888);
	assert_int_equal(wt_breaker_burst_ceiling_w(&c), 31280);
	/* 3-phase 100 A 415 V pf 0.95: 0.8 x 68286.103 = 54628.88 W; 0.85 x 5 x = 290215.94 W. */
	wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 100.0, 415.0, 3);
	assert_int_equal(wt_breaker_pool_capacity_w(&c), 54628);
	assert_int_equal(wt_breaker_burst_ceiling_w(&c), 290215);
}

static void test_validate(void **state)
{
	static const struct {
		const char *field; /* set to value */
		double value;
		const char *want; /* NULL: valid */
	} cases[] = {
		{ "inst_pickup_x", 25.0,
		  "breaker inst_pickup_x = 25 out of range 2-20 x In (types Z to D)" },
		{ "inst_pickup_x", 1.9,
		  "breaker inst_pickup_x = 1.9 out of range 2-20 x In (types Z to D)" },
		{ "inst_pickup_x", 2.0, NULL },
		{ "inst_pickup_x", 20.0, NULL },
		{ "clearing_ms", 0.0, "breaker clearing_ms = 0 out of range 1-1000 ms" },
		{ "clearing_ms", 1001.0, "breaker clearing_ms = 1001 out of range 1-1000 ms" },
		{ "clearing_ms", 16.0, NULL },
		{ "lt_pickup_x", 0.99,
		  "breaker lt_pickup_x = 0.99 out of range 1-1.45 x In (rating carried "
		  "indefinitely .. highest conventional tripping current)" },
		{ "lt_pickup_x", 1.5,
		  "breaker lt_pickup_x = 1.5 out of range 1-1.45 x In (rating carried "
		  "indefinitely .. highest conventional tripping current)" },
		{ "lt_pickup_x", NAN,
		  "breaker lt_pickup_x = nan out of range 1-1.45 x In (rating carried "
		  "indefinitely .. highest conventional tripping current)" },
		{ "lt_delay_s", 0.4,
		  "breaker lt_delay_s = 0.4 out of range 0.5-24 s (tr at 6 x In)" },
		{ "lt_delay_s", 25.0,
		  "breaker lt_delay_s = 25 out of range 0.5-24 s (tr at 6 x In)" },
		{ "rated_a", 0.0, "breaker rated_a = 0 out of range (0, 10000] A" },
		{ "rated_a", INFINITY, "breaker rated_a = inf out of range (0, 10000] A" },
		{ "voltage_v", 0.0, "breaker voltage_v = 0 out of range 50-1000 V (low voltage)" },
		{ "power_factor", 0.0, "breaker power_factor = 0 out of range 0.5-1" },
		{ "power_factor", 1.01, "breaker power_factor = 1.01 out of range 0.5-1" },
		{ "phases", 2.0, "breaker phases = 2 must be 1 or 3" },
		{ "lt_cool_tau_s", -1.0,
		  "breaker lt_cool_tau_s = -1 must be 0 (derived) or in 0.001-86400 s" },
		{ "st_pickup_x", 1.0,
		  "breaker st_pickup_x = 1 must be 0 (none) or between lt_pickup_x 1.05 and "
		  "inst_pickup_x 5 x In" },
		{ "st_pickup_x", 5.0,
		  "breaker st_pickup_x = 5 must be 0 (none) or between lt_pickup_x 1.05 and "
		  "inst_pickup_x 5 x In" },
		{ "st_pickup_x", 3.0, "breaker st_delay_ms = 0 out of range 1-1000 ms" },
		{ "lt_curve", 99.0, "breaker lt_curve = 99 unknown" },
		{ "lt_tms", 0.0, NULL }, /* ignored for the I2T band */
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_breaker_cfg c;
		char err[256] = "";
		const char *f = cases[i].field;
		double v = cases[i].value;

		wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 100.0, 415.0, 3);
		if (strcmp(f, "inst_pickup_x") == 0) {
			c.inst_pickup_x = v;
		} else if (strcmp(f, "clearing_ms") == 0) {
			c.clearing_ms = v;
		} else if (strcmp(f, "lt_pickup_x") == 0) {
			c.lt_pickup_x = v;
		} else if (strcmp(f, "lt_delay_s") == 0) {
			c.lt_delay_s = v;
		} else if (strcmp(f, "rated_a") == 0) {
			c.rated_a = v;
		} else if (strcmp(f, "voltage_v") == 0) {
			c.voltage_v = v;
		} else if (strcmp(f, "power_factor") == 0) {
			c.power_factor = v;
		} else if (strcmp(f, "phases") == 0) {
			c.phases = (unsigned)v;
		} else if (strcmp(f, "lt_cool_tau_s") == 0) {
			c.lt_cool_tau_s = v;
		} else if (strcmp(f, "st_pickup_x") == 0) {
			c.st_pickup_x = v;
		} else if (strcmp(f, "lt_curve") == 0) {
			c.lt_curve = (enum wt_breaker_curve)(int)v;
		} else if (strcmp(f, "lt_tms") == 0) {
			c.lt_tms = v;
		} else {
			fail_msg("unknown field %s", f);
		}
		if (cases[i].want == NULL) {
			if (wt_breaker_cfg_validate(&c, err, sizeof(err)) != 0) {
				fail_msg("case %zu (%s = %g) rejected: %s", i, f, v, err);
			}
			continue;
		}
		assert_int_equal(wt_breaker_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}
	/* Relay curves check the time multiplier instead of tr. */
	{
		struct wt_breaker_cfg c;
		char err[256] = "";
		char small[8];

		wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, 100.0, 415.0, 3);
		c.lt_curve = WT_BREAKER_CURVE_IEEE_VI;
		c.lt_delay_s = 0.0;
		c.lt_tms = 0.0;
		assert_int_equal(wt_breaker_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, "breaker lt_tms = 0 out of range 0.01-15 (TMS or TD)");
		/* Truncated, still terminated; no buffer at all is fine too. */
		assert_int_equal(wt_breaker_cfg_validate(&c, small, sizeof(small)), WT_ECONFIG);
		assert_string_equal(small, "breaker");
		assert_int_equal(wt_breaker_cfg_validate(&c, NULL, 0), WT_ECONFIG);
	}
}

/* --- The sourced reference rows --- */

#define CSV_FIELDS 7

struct csv_row {
	char buf[1024];
	char *f[CSV_FIELDS]; /* standard_or_device quantity value unit condition source status */
};

/* Split one CSV line in place (double-quoted fields with "" escapes). Returns the number of
 * fields. */
static int csv_split(struct csv_row *r)
{
	char *in = r->buf;
	char *out = r->buf;
	int n = 0;

	r->buf[strcspn(r->buf, "\r\n")] = '\0';
	while (n < CSV_FIELDS) {
		bool quoted = *in == '"';

		r->f[n++] = out;
		if (quoted) {
			in++;
		}
		for (;;) {
			if (*in == '\0') {
				*out = '\0';
				return n;
			}
			if (quoted && in[0] == '"' && in[1] == '"') {
				*out++ = '"';
				in += 2;
			} else if (quoted && *in == '"') {
				quoted = false;
				in++;
			} else if (!quoted && *in == ',') {
				in++;
				*out++ = '\0';
				break;
			} else {
				*out++ = *in++;
			}
		}
	}
	return n;
}

/* Parse "a-b" (a range in a field) into @lo and @hi. */
static void parse_band(const char *s, double *lo, double *hi)
{
	char *end;

	*lo = strtod(s, &end);
	assert_true(end != s && *end == '-');
	*hi = strtod(end + 1, &end);
	assert_true(*hi > *lo);
}

static struct wt_breaker_cfg std_cfg(const char *device, double rated_a)
{
	struct wt_breaker_cfg c;

	if (strncmp(device, "IEC 60898-1", 11) == 0) {
		wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60898_1, rated_a, 230.0, 1);
	} else {
		assert_true(strncmp(device, "IEC 60947-2", 11) == 0 ||
			    strncmp(device, "UL 489", 6) == 0);
		wt_breaker_cfg_init(&c, WT_BREAKER_STD_IEC60947_2, rated_a, 400.0, 3);
	}
	assert_int_equal(wt_breaker_cfg_validate(&c, NULL, 0), 0);
	return c;
}

/* Checks each row of breaker_trip_characteristics.csv that the model can be held to, against
 * the defaults of the matching standard. Rows it cannot check (instantaneous tolerance,
 * reference temperature) are counted apart, so a changed file fails loudly. */
static void test_reference_rows(void **state)
{
	const char *path =
		WT_TEST_DATA_DIR "/power-equipment-reference/breaker_trip_characteristics.csv";
	FILE *fp = fopen(path, "r");
	struct csv_row r;
	int checked = 0, skipped = 0;
	const double conventional_ms = 3600.0 * 1000.0; /* 1 h, In <= 63 A (rows S14) */

	if (fp == NULL) {
		fail_msg("cannot open %s", path);
	}
	assert_non_null(fgets(r.buf, sizeof(r.buf), fp));
	assert_int_equal(csv_split(&r), CSV_FIELDS);
	assert_string_equal(r.f[0], "standard_or_device");
	while (fgets(r.buf, sizeof(r.buf), fp) != NULL) {
		const char *dev, *qty, *val, *cond;
		double lo, hi;

		assert_int_equal(csv_split(&r), CSV_FIELDS);
		dev = r.f[0];
		qty = r.f[1];
		val = r.f[2];
		cond = r.f[4];
		if (strcmp(qty, "conventional non-tripping current") == 0) {
			/* Must not trip within 1 h from cold: at the 63 A limit and small. */
			for (double in_a = 16.0; in_a <= 63.0; in_a += 47.0) {
				struct wt_breaker_cfg c = std_cfg(dev, in_a);
				double t = wt_breaker_trip_time_ms(&c, strtod(val, NULL) * in_a);

				if (!(t > conventional_ms)) {
					fail_msg("%s: trips at %s x In after %g ms", dev, val, t);
				}
			}
			checked++;
		} else if (strcmp(qty, "conventional tripping current") == 0) {
			for (double in_a = 16.0; in_a <= 63.0; in_a += 47.0) {
				struct wt_breaker_cfg c = std_cfg(dev, in_a);
				double t = wt_breaker_trip_time_ms(&c, strtod(val, NULL) * in_a);

				if (!(t <= conventional_ms)) {
					fail_msg("%s: no trip at %s x In within 1 h (%g ms)", dev,
						 val, t);
				}
			}
			checked++;
		} else if (strcmp(qty, "2.55 x In test") == 0) {
			/* "1 < t < 60 (In<=32 A)": thermal window for a 32 A MCB. */
			struct wt_breaker_cfg c = std_cfg(dev, 32.0);
			double t = wt_breaker_trip_time_ms(&c, 2.55 * 32.0);

			assert_true(strncmp(val, "1 < t < 60 ", 11) == 0);
			if (!(t > 1000.0 && t < 60000.0)) {
				fail_msg("%s: 2.55 x In trips after %g ms, not within 1-60 s", dev,
					 t);
			}
			checked++;
		} else if (strstr(qty, "instantaneous") != NULL &&
			   strstr(qty, "trip range") != NULL) {
			/* Both band edges are accepted as the instantaneous pickup. */
			struct wt_breaker_cfg c = std_cfg(dev, 32.0);
			char err[256] = "";

			parse_band(val, &lo, &hi);
			c.inst_pickup_x = lo;
			if (wt_breaker_cfg_validate(&c, err, sizeof(err)) != 0) {
				fail_msg("%s: %s", dev, err);
			}
			c.inst_pickup_x = hi;
			if (wt_breaker_cfg_validate(&c, err, sizeof(err)) != 0) {
				fail_msg("%s: %s", dev, err);
			}
			checked++;
		} else if (strcmp(qty, "long-time pickup band") == 0) {
			/* Both defaults lie in the practitioners' band, and its edges validate. */
			struct wt_breaker_cfg c60947 = std_cfg("IEC 60947-2", 100.0);
			struct wt_breaker_cfg c60898 = std_cfg("IEC 60898-1", 32.0);

			parse_band(val, &lo, &hi);
			assert_true(c60947.lt_pickup_x >= lo && c60947.lt_pickup_x <= hi);
			assert_true(c60898.lt_pickup_x >= lo && c60898.lt_pickup_x <= hi);
			c60947.lt_pickup_x = lo;
			assert_int_equal(wt_breaker_cfg_validate(&c60947, NULL, 0), 0);
			c60947.lt_pickup_x = hi;
			assert_int_equal(wt_breaker_cfg_validate(&c60947, NULL, 0), 0);
			checked++;
		} else if (strcmp(qty, "calibration hold") == 0) {
			/* 100 % carried indefinitely. */
			struct wt_breaker_cfg c = std_cfg(dev, 30.0);

			assert_true(strcmp(val, "100") == 0);
			check_near(wt_breaker_trip_time_ms(&c, 30.0), INFINITY, 0, "UL 489 100 %");
			checked++;
		} else if (strncmp(qty, "calibration trip ", 17) == 0) {
			/* "calibration trip 135%" / "trip within 1 h" for small frames (<= 30 A
			 * covers both sourced rows). */
			struct wt_breaker_cfg c = std_cfg(dev, 30.0);
			double pct = strtod(qty + 17, NULL);
			char unit[8] = "";
			double n = 0, limit_ms, t;

			assert_int_equal(sscanf(val, "trip within %lf %7s", &n, unit), 2);
			limit_ms = n * (strcmp(unit, "h") == 0 ? 3600e3 : 60e3);
			assert_true(strcmp(unit, "h") == 0 || strcmp(unit, "min") == 0);
			t = wt_breaker_trip_time_ms(&c, pct / 100.0 * 30.0);
			if (!(t <= limit_ms)) {
				fail_msg("UL 489 %g %%: %g ms > %g ms", pct, t, limit_ms);
			}
			checked++;
		} else if (strcmp(qty, "I2t long-time characteristic") == 0) {
			/* t = tr * (6 Ir / I)^2: at 6 x In the time is tr for every tr choice. */
			const char *tr = strstr(cond, "tr choices ");
			struct wt_breaker_cfg c = std_cfg("IEC 60947-2", 100.0);

			assert_non_null(tr);
			parse_band(tr + strlen("tr choices "), &lo, &hi);
			c.inst_pickup_x = 10.0;
			for (double t_s = lo; t_s <= hi; t_s = t_s < hi ? hi : 2 * hi) {
				c.lt_delay_s = t_s;
				assert_int_equal(wt_breaker_cfg_validate(&c, NULL, 0), 0);
				check_near(wt_breaker_trip_time_ms(&c, 600.0), t_s * 1000.0, 1e-12,
					   "tr at 6 x In");
				check_near(wt_breaker_trip_time_ms(&c, 300.0), t_s * 4000.0, 1e-12,
					   "4 tr at 3 x In");
			}
			checked++;
		} else {
			skipped++;
		}
	}
	fclose(fp);
	assert_int_equal(checked, 15);
	assert_int_equal(skipped, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_trip_time_regions),
		cmocka_unit_test(test_relay_curves),
		cmocka_unit_test(test_curve_names),
		cmocka_unit_test(test_step_matches_trip_time),
		cmocka_unit_test(test_heat_adds),
		cmocka_unit_test(test_cooling_and_warming),
		cmocka_unit_test(test_short_time_memory),
		cmocka_unit_test(test_max_watts),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_rack_limits),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_reference_rows),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
