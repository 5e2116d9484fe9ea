/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the genset model: the swing equation's initial RoCoF, the closed-form step
 * response and the droop steady state against hand-computed values, flat response to no step,
 * monotonicity in H, recovery per constant-load segment, the nadir-limited largest step, the
 * bring-up formula, the ISO 8528-5 class check on constructed results, and the strict CSV decoder
 * against tests/data/power-equipment-reference/iso8528_5_limits.csv and malformed variants. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/genset.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define ISO_CSV WT_TEST_DATA_DIR "/power-equipment-reference/iso8528_5_limits.csv"

/* |got - want| <= abs_tol (both infinite of the same sign also counts as equal). */
static void check_abs(double got, double want, double abs_tol, const char *what)
{
	if (isinf(want) && isinf(got) && (want > 0) == (got > 0)) {
		return;
	}
	if (!(fabs(got - want) <= abs_tol)) {
		print_error("%s: got %.12g, want %.12g (abs tol %g)\n", what, got, want, abs_tol);
		fail();
	}
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

/* 1 MW, 50 Hz, G2, H = 1 s, R = 5 %, tau = 0.5 s, any step allowed. */
static struct wt_genset_cfg cfg_h1(void)
{
	struct wt_genset_cfg c;

	wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G2);
	c.inertia_h_s = 1.0;
	c.governor_tau_s = 0.5;
	c.max_step_pct = 100.0;
	assert_int_equal(wt_genset_cfg_validate(&c, NULL, 0), 0);
	return c;
}

/* The closed-form frequency (Hz) after a step of @dp_pu from equilibrium, D = 0 (genset.h). */
static double closed_form_hz(const struct wt_genset_cfg *c, double dp_pu, double t)
{
	double h = c->inertia_h_s, r = c->droop_pct / 100.0, tau = c->governor_tau_s;
	double wn2 = 1.0 / (2.0 * h * r * tau), sigma = 1.0 / (2.0 * tau);
	double wd = sqrt(wn2 - sigma * sigma);
	double b = (sigma - 1.0 / (2.0 * h * r)) / wd;
	double y = 1.0 - exp(-sigma * t) * (cos(wd * t) + b * sin(wd * t));

	return c->f_nominal_hz * (1.0 - r * dp_pu * y);
}

/* The closed-form nadir time: wd t* = pi - atan(2 tau wd). */
static double closed_form_nadir_t(const struct wt_genset_cfg *c)
{
	double h = c->inertia_h_s, r = c->droop_pct / 100.0, tau = c->governor_tau_s;
	double wd = sqrt(1.0 / (2.0 * h * r * tau) - 1.0 / (4.0 * tau * tau));

	return (M_PI - atan(2.0 * tau * wd)) / wd;
}

static void test_defaults(void **state)
{
	struct wt_genset_cfg c;
	char err[256] = "";

	wt_genset_cfg_init(&c, 2e6, 60.0, WT_ISO8528_G2);
	assert_int_equal(wt_genset_cfg_validate(&c, err, sizeof(err)), 0);
	check_abs(c.max_step_pct, 10.0, 0, "max step");
	check_abs(c.ramp_w_per_s, 2e6 / 30.0, 1e-9, "ramp");
	check_abs(c.step_recovery_s, 10.0, 0, "step recovery");
	check_abs(c.inertia_h_s, 0.5, 0, "H");
	check_abs(c.droop_pct, 5.0, 0, "droop");
	check_abs(c.governor_tau_s, 1.0, 0, "tau");
	check_abs(c.load_damping, 0.0, 0, "D");
	check_abs(c.min_load_pct, 30.0, 0, "min load");
	assert_int_equal(wt_genset_min_load_w(&c), 600000);
	/* G2 limits from the built-in table. */
	check_abs(c.iso.dip_pct, -10.0, 0, "G2 dip");
	check_abs(c.iso.recovery_s, 5.0, 0, "G2 recovery");
	check_abs(c.iso.band_pct, 1.5, 0, "G2 band");
	/* G1 accepts the default droop; G3 (3 % at most) does not. */
	wt_genset_cfg_init(&c, 2e6, 50.0, WT_ISO8528_G1);
	assert_int_equal(wt_genset_cfg_validate(&c, err, sizeof(err)), 0);
	wt_genset_cfg_init(&c, 2e6, 50.0, WT_ISO8528_G3);
	assert_int_equal(wt_genset_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "genset droop_pct = 5 above the G3 limit of 3 %");
	c.droop_pct = 3.0;
	assert_int_equal(wt_genset_cfg_validate(&c, err, sizeof(err)), 0);
}

static void test_validate(void **state)
{
	static const struct {
		const char *field;
		double v;
		const char *want;
	} cases[] = {
		{ "rated_w", 10.0, "genset rated_w = 10 out of range 1e3-1e9 W" },
		{ "rated_w", NAN, "genset rated_w = nan out of range 1e3-1e9 W" },
		{ "f_nominal_hz", 55.0, "genset f_nominal_hz = 55 must be 50 or 60" },
		{ "max_step_pct", 0.5, "genset max_step_pct = 0.5 out of range 1-100 % of rated" },
		{ "ramp_w_per_s", 0.0,
		  "genset ramp_w_per_s = 0 out of range (0, rated_w 1e+06] W/s" },
		{ "step_recovery_s", -1.0, "genset step_recovery_s = -1 out of range 0-600 s" },
		{ "inertia_h_s", 0.01, "genset inertia_h_s = 0.01 out of range 0.05-20 s" },
		{ "droop_pct", 0.1, "genset droop_pct = 0.1 out of range 0.5-15 %" },
		{ "governor_tau_s", 0.0, "genset governor_tau_s = 0 out of range 0.01-30 s" },
		{ "load_damping", -1.0, "genset load_damping = -1 out of range 0-5 pu/pu" },
		{ "min_load_pct", 95.0, "genset min_load_pct = 95 out of range 0-90 % of rated" },
		{ "iso_class", 7.0, "genset iso_class = 7 unknown (G1, G2, G3)" },
		{ "droop_pct", 6.0, "genset droop_pct = 6 above the G2 limit of 5 %" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_genset_cfg c;
		char err[256] = "";

		wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G2);
		if (strcmp(cases[i].field, "rated_w") == 0) {
			c.rated_w = cases[i].v;
		} else if (strcmp(cases[i].field, "f_nominal_hz") == 0) {
			c.f_nominal_hz = cases[i].v;
		} else if (strcmp(cases[i].field, "max_step_pct") == 0) {
			c.max_step_pct = cases[i].v;
		} else if (strcmp(cases[i].field, "ramp_w_per_s") == 0) {
			c.ramp_w_per_s = cases[i].v;
		} else if (strcmp(cases[i].field, "step_recovery_s") == 0) {
			c.step_recovery_s = cases[i].v;
		} else if (strcmp(cases[i].field, "inertia_h_s") == 0) {
			c.inertia_h_s = cases[i].v;
		} else if (strcmp(cases[i].field, "droop_pct") == 0) {
			c.droop_pct = cases[i].v;
		} else if (strcmp(cases[i].field, "governor_tau_s") == 0) {
			c.governor_tau_s = cases[i].v;
		} else if (strcmp(cases[i].field, "load_damping") == 0) {
			c.load_damping = cases[i].v;
		} else if (strcmp(cases[i].field, "min_load_pct") == 0) {
			c.min_load_pct = cases[i].v;
		} else {
			c.iso_class = (enum wt_iso8528_class)cases[i].v;
		}
		assert_int_equal(wt_genset_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}
}

static void test_class_names(void **state)
{
	enum wt_iso8528_class cls;

	for (unsigned i = 0; i < WT_ISO8528_CLASS_COUNT; i++) {
		assert_int_equal(wt_iso8528_class_parse(wt_iso8528_class_name(i), &cls), 0);
		assert_int_equal(cls, i);
	}
	assert_string_equal(wt_iso8528_class_name(WT_ISO8528_CLASS_COUNT), "?");
	assert_int_equal(wt_iso8528_class_parse("G4", &cls), -EINVAL);
}

/* Swing equation at the instant of a step from equilibrium: 2H d(df)/dt = -dP / S, so
 * df/dt = -dP / (2 H S) * f0 = -1e5 / (2 * 1 * 1e6) * 50 = -2.5 Hz/s exactly. One 1 ms step
 * later the frequency is 50 - 2.5e-3 = 49.9975 Hz up to the third-order term
 * f0 / (2HS) * d2Pm/dt2 * dt^3 / 6 = 50 Hz/s^3 * 1e-9 / 6 = 8.3e-9 Hz (the governor has not
 * moved at t = 0: Pm = Pm_ref). */
static void test_initial_rocof(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_state st;
	struct wt_genset_point step = { 0.0, 6e5 };
	struct wt_genset_result r;
	double rocof;

	wt_genset_state_init(&c, &st, 5e5);
	rocof = wt_genset_step(&c, &st, 6e5, 1e-3);
	check_abs(rocof, -2.5, 1e-12, "initial RoCoF");
	check_abs(st.f_hz, 49.9975, 2e-8, "f after 1 ms");
	check_abs(st.t_s, 1e-3, 1e-15, "time");

	assert_int_equal(wt_genset_simulate(&c, 5e5, &step, 1, 1e-3, &r), 0);
	check_abs(r.max_rocof_hz_s, 2.5, 1e-12, "simulated max RoCoF");

	/* H = 0.5 s doubles it; a 60 Hz set scales it by 60 / 50; a drop reverses the sign. */
	c.inertia_h_s = 0.5;
	wt_genset_state_init(&c, &st, 5e5);
	check_abs(wt_genset_step(&c, &st, 6e5, 1e-3), -5.0, 1e-12, "H 0.5");
	c.f_nominal_hz = 60.0;
	wt_genset_state_init(&c, &st, 5e5);
	check_abs(wt_genset_step(&c, &st, 6e5, 1e-3), -6.0, 1e-12, "60 Hz");
	wt_genset_state_init(&c, &st, 5e5);
	check_abs(wt_genset_step(&c, &st, 4e5, 1e-3), 6.0, 1e-12, "load drop");
}

/* The whole response to a 0.1 pu step against the closed form of genset.h. For H = 1, R = 0.05,
 * tau = 0.5: wn^2 = 20, sigma = 1, wd = sqrt(19) = 4.3589, B = (1 - 10) / wd = -2.0647; the
 * nadir at t* = (pi - atan(4.3589)) / 4.3589 = 0.412102 s is
 * 50 * (1 - 0.005 * 2.480851) = 49.379787 Hz (values computed by hand from the formula). */
static void test_step_closed_form(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_state st;
	struct wt_genset_point step = { 0.0, 6e5 };
	struct wt_genset_result r;
	double t = 0.0, worst = 0.0;

	check_abs(closed_form_nadir_t(&c), 0.412102, 1e-6, "t*");
	check_abs(closed_form_hz(&c, 0.1, 0.412102), 49.379787, 1e-6, "nadir by hand");
	wt_genset_state_init(&c, &st, 5e5);
	for (int i = 0; i < 5000; i++) {
		wt_genset_step(&c, &st, 6e5, 1e-3);
		t += 1e-3;
		worst = fmax(worst, fabs(st.f_hz - closed_form_hz(&c, 0.1, t)));
	}
	/* RK4 with 1 ms substeps: far below a micro-hertz. */
	check_abs(worst, 0.0, 1e-7, "trajectory vs closed form");

	assert_int_equal(wt_genset_simulate(&c, 5e5, &step, 1, 1e-3, &r), 0);
	check_abs(r.nadir_hz, closed_form_hz(&c, 0.1, closed_form_nadir_t(&c)), 1e-5, "nadir");
	check_abs(r.nadir_t_s, closed_form_nadir_t(&c), 1e-3, "nadir time");
	check_abs(r.peak_hz, 50.0, 0, "no overshoot above f0");
	assert_false(r.stalled);
	/* Horizon: 30 s after the last point (max(30, 40 * 0.5, 80 * 1 * 0.05)). */
	check_abs(r.end_t_s, 30.0, 1e-9, "horizon");
}

/* Steady state follows droop: df / f0 = (P_set - P) / (S / R + D * P), -R dP / S for D = 0. */
static void test_droop_steady_state(void **state)
{
	static const struct {
		double f0, droop_pct, d, load0, load1, want_dev_hz;
	} cases[] = {
		/* -0.05 * 0.1 * 50 = -0.25 Hz */
		{ 50.0, 5.0, 0.0, 5e5, 6e5, -0.25 },
		/* +0.05 * 0.2 * 50 = +0.5 Hz */
		{ 50.0, 5.0, 0.0, 5e5, 3e5, 0.5 },
		/* -0.04 * 0.25 * 60 = -0.6 Hz */
		{ 60.0, 4.0, 0.0, 2e5, 4.5e5, -0.6 },
		/* D = 1: -0.1 / (20 + 0.6) * 50 = -0.242718447 Hz */
		{ 50.0, 5.0, 1.0, 5e5, 6e5, -0.1 / 20.6 * 50.0 },
		/* D = 2, drop to 0.2: +0.3 / (20 + 0.4) * 50 = +0.735294118 Hz */
		{ 50.0, 5.0, 2.0, 5e5, 2e5, 0.3 / 20.4 * 50.0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_genset_cfg c = cfg_h1();
		struct wt_genset_point step = { 1.0, cases[i].load1 };
		struct wt_genset_state st;
		struct wt_genset_result r;

		c.f_nominal_hz = cases[i].f0;
		c.droop_pct = cases[i].droop_pct;
		c.load_damping = cases[i].d;
		assert_int_equal(wt_genset_cfg_validate(&c, NULL, 0), 0);
		assert_int_equal(wt_genset_simulate(&c, cases[i].load0, &step, 1, 1e-3, &r), 0);
		check_abs(r.steady_dev_hz, cases[i].want_dev_hz, 1e-7, "settled deviation");
		wt_genset_state_init(&c, &st, cases[i].load0);
		check_abs(wt_genset_steady_hz(&c, &st, cases[i].load1) - cases[i].f0,
			  cases[i].want_dev_hz, 1e-12, "steady_hz");
	}
}

/* No step: nothing moves, exactly. */
static void test_zero_step_flat(void **state)
{
	static const struct wt_genset_point same[] = { { 0.0, 5e5 } };
	static const struct wt_genset_point holds[] = { { 2.0, 5e5 }, { 5.0, 5e5 }, { 5.0, 5e5 } };

	static const struct {
		const struct wt_genset_point *p;
		size_t n;
	} cases[] = { { NULL, 0 }, { same, 1 }, { holds, 3 } };

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_genset_cfg c = cfg_h1();
		struct wt_genset_result r;

		assert_int_equal(wt_genset_simulate(&c, 5e5, cases[i].p, cases[i].n, 1e-2, &r), 0);
		assert_true(r.nadir_hz == 50.0 && r.peak_hz == 50.0);
		assert_true(r.max_rocof_hz_s == 0.0);
		assert_true(r.recovery_s == 0.0);
		assert_true(r.steady_dev_hz == 0.0);
		assert_false(r.stalled);
		assert_int_equal(wt_genset_check_iso(&c, &r, NULL, NULL, 0), 0);
	}
}

/* A larger inertia gives a shallower nadir (and RoCoF dP f0 / (2 H S)), monotonically. */
static void test_inertia_monotone(void **state)
{
	static const double hs[] = { 0.25, 0.5, 1.0, 2.0, 4.0, 8.0 };
	struct wt_genset_point step = { 0.0, 3e5 };
	double prev = 0.0;

	for (size_t i = 0; i < ARRAY_LEN(hs); i++) {
		struct wt_genset_cfg c = cfg_h1();
		struct wt_genset_result r;

		c.inertia_h_s = hs[i];
		c.governor_tau_s = 1.0;
		assert_int_equal(wt_genset_simulate(&c, 0.0, &step, 1, 1e-3, &r), 0);
		check_abs(r.max_rocof_hz_s, 0.3 / (2.0 * hs[i]) * 50.0, 1e-9, "RoCoF");
		if (i > 0 && !(r.nadir_hz > prev)) {
			fail_msg("H %g: nadir %.6f Hz not above %.6f Hz at H %g", hs[i], r.nadir_hz,
				 prev, hs[i - 1]);
		}
		prev = r.nadir_hz;
	}
}

/* The same rise as a ramp dips less and changes more slowly than as a step; its recovery is
 * counted from the end of the ramp. */
static void test_ramp_vs_step(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_point step[] = { { 1.0, 2e5 }, { 1.0, 5e5 } };
	struct wt_genset_point ramp[] = { { 1.0, 2e5 }, { 11.0, 5e5 } };
	struct wt_genset_result rs, rr;

	assert_int_equal(wt_genset_simulate(&c, 2e5, step, 2, 1e-3, &rs), 0);
	assert_int_equal(wt_genset_simulate(&c, 2e5, ramp, 2, 1e-3, &rr), 0);
	assert_true(rr.nadir_hz > rs.nadir_hz);
	assert_true(rr.max_rocof_hz_s < rs.max_rocof_hz_s / 10.0);
	check_abs(rs.max_rocof_hz_s, 0.3 / 2.0 * 50.0, 1e-9, "step RoCoF");
	/* Both settle at the same droop frequency: -0.05 * 0.3 * 50 = -0.75 Hz. */
	check_abs(rs.steady_dev_hz, -0.75, 1e-7, "step settles");
	check_abs(rr.steady_dev_hz, -0.75, 1e-7, "ramp settles");
	/* The ramp (0.03 pu/s) is tracked closely: when it ends the frequency is already within
	 * the G2 band (+-0.375 Hz) of the droop line, so that segment needs no recovery; the step
	 * needs about 1.5 s. */
	check_abs(rr.recovery_s, 0.0, 0, "ramp recovery");
	assert_true(rs.recovery_s > 1.0);
	check_abs(rr.end_t_s, 41.0, 1e-9, "horizon after the ramp");
}

/* Recovery per constant-load segment, against a brute-force scan of the same trajectory. */
static void test_recovery(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_point step = { 0.0, 8e5 };
	struct wt_genset_point split[] = { { 0.0, 8e5 }, { 3.0, 8e5 }, { 6.0, 8e5 } };
	struct wt_genset_point early[] = { { 0.0, 8e5 }, { 0.2, 8e5 }, { 0.2, 5e5 } };
	struct wt_genset_state st;
	struct wt_genset_result r;
	double f_ss, hb = 1.5 / 200.0 * 50.0, last_out = -1.0, t = 0.0;

	/* 0.3 pu step: f_ss = 50 * (1 - 0.015) = 49.25 Hz; band +-0.375 Hz. */
	wt_genset_state_init(&c, &st, 5e5);
	f_ss = wt_genset_steady_hz(&c, &st, 8e5);
	check_abs(f_ss, 49.25, 1e-12, "f_ss");
	for (int i = 0; i < 20000; i++) {
		wt_genset_step(&c, &st, 8e5, 1e-3);
		t += 1e-3;
		if (fabs(st.f_hz - f_ss) > hb) {
			last_out = t;
		}
	}
	assert_true(last_out > 0.5 && last_out < 5.0);
	assert_int_equal(wt_genset_simulate(&c, 5e5, &step, 1, 1e-3, &r), 0);
	check_abs(r.recovery_s, last_out + 1e-3, 1.5e-3, "recovery");
	check_abs(r.band_pct, 1.5, 0, "band");

	/* Points of the same load do not cut the segment. */
	struct wt_genset_result r2;

	assert_int_equal(wt_genset_simulate(&c, 5e5, split, 3, 1e-3, &r2), 0);
	check_abs(r2.recovery_s, r.recovery_s, 1e-12, "split segment");

	/* A load change before the frequency settled: that segment never recovered. */
	assert_int_equal(wt_genset_simulate(&c, 5e5, early, 3, 1e-3, &r2), 0);
	assert_true(isinf(r2.recovery_s));
	assert_true(wt_genset_check_iso(&c, &r2, NULL, NULL, 0) > 0);
}

/* Above the rating with no load damping there is no equilibrium: the set stalls. */
static void test_stall(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_point over = { 0.0, 1.2e6 };
	struct wt_genset_state st;
	struct wt_genset_result r;
	char why[128];

	wt_genset_state_init(&c, &st, 5e5);
	assert_true(isnan(wt_genset_steady_hz(&c, &st, 1.2e6)));
	assert_int_equal(wt_genset_simulate(&c, 5e5, &over, 1, 1e-3, &r), 0);
	assert_true(r.stalled);
	assert_true(r.nadir_hz < 25.0);
	assert_true(isinf(r.recovery_s));
	assert_true(wt_genset_check_iso(&c, &r, NULL, why, sizeof(why)) >= 2);
	assert_non_null(strstr(why, "stalled"));
}

/* The largest step reproduces the class's dip limit (bisection over the model). With a -2 % limit
 * the governor stays below full fuel (Pm_ref = S * 0.02 / 0.05 = 0.4 S from no load), the model
 * is linear and the closed form applies: the defaults dip 0.235037 * dP / S below f0, so the
 * limit is reached at dP = 0.02 / 0.235037 = 0.0850930 pu (by hand from genset.h). At the G2
 * limit of -10 % the governor saturates (Pm_ref would be 2 S), so only the property is checked. */
static void test_max_step_bisection(void **state)
{
	struct wt_genset_cfg c;
	struct wt_genset_state st;
	struct wt_genset_point step;
	struct wt_genset_result r;
	uint64_t s;

	wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G2);
	c.max_step_pct = 100.0;
	c.iso.dip_pct = -2.0;
	wt_genset_state_init(&c, &st, 0.0);
	s = wt_genset_max_step_w(&c, &st);
	check_abs((double)s, 85093.0, 5.0, "step at a -2 % limit, closed form");
	step = (struct wt_genset_point){ 0.0, (double)s };
	assert_int_equal(wt_genset_simulate(&c, 0.0, &step, 1, 1e-3, &r), 0);
	check_abs(r.nadir_hz, 49.0, 1e-4, "nadir at the -2 % limit");

	/* G2, -10 %: saturating, bisection only. */
	c.iso.dip_pct = -10.0;
	s = wt_genset_max_step_w(&c, &st);
	assert_true(s > 100000 && s < 425465);
	step = (struct wt_genset_point){ 0.0, (double)s };
	assert_int_equal(wt_genset_simulate(&c, 0.0, &step, 1, 1e-3, &r), 0);
	assert_true(r.nadir_hz >= 45.0);
	check_abs(r.nadir_hz, 45.0, 1e-4, "nadir at the limit");
	step.load_w = (double)s + 100.0;
	assert_int_equal(wt_genset_simulate(&c, 0.0, &step, 1, 1e-3, &r), 0);
	assert_true(r.nadir_hz < 45.0);

	/* G3 (droop 3 %, dip -7 %): same property. */
	wt_genset_cfg_init(&c, 1e6, 60.0, WT_ISO8528_G3);
	c.droop_pct = 3.0;
	c.max_step_pct = 100.0;
	wt_genset_state_init(&c, &st, 2e5);
	s = wt_genset_max_step_w(&c, &st);
	assert_true(s > 0 && s < 8e5);
	step = (struct wt_genset_point){ 0.0, 2e5 + (double)s };
	assert_int_equal(wt_genset_simulate(&c, 2e5, &step, 1, 1e-3, &r), 0);
	check_abs(r.nadir_hz, 60.0 * 0.93, 1e-4, "G3 nadir at the limit");

	/* The configured step binds first by default: 10 % of 1 MW. */
	wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G2);
	wt_genset_state_init(&c, &st, 0.0);
	assert_int_equal(wt_genset_max_step_w(&c, &st), 100000);
	/* Headroom binds near the rating. */
	wt_genset_state_init(&c, &st, 9.5e5);
	assert_int_equal(wt_genset_max_step_w(&c, &st), 50000);
	wt_genset_state_init(&c, &st, 1e6);
	assert_int_equal(wt_genset_max_step_w(&c, &st), 0);
	/* Already below the limit and falling: nothing. */
	wt_genset_state_init(&c, &st, 5e5);
	st.f_hz = 44.9;
	assert_int_equal(wt_genset_max_step_w(&c, &st), 0);
}

/* Bring-up: max((ceil(P / s) - 1) * T, (P - s) / r), 0 for one step. Defaults on 2 MW: s = 200 kW
 * (10 %, nadir -2.35 % passes G2), T = max(10 s, model recovery of 200 kW < 10 s) = 10 s,
 * r = 66.667 kW/s. */
static void test_min_bringup(void **state)
{
	static const struct {
		double ramp_w_per_s, total_w, want_s;
	} cases[] = {
		{ 0, 0.0, 0.0 },
		{ 0, -5.0, 0.0 },
		{ 0, 150e3, 0.0 },
		{ 0, 200e3, 0.0 },
		/* two steps: max(10, 1 / 66667) */
		{ 0, 200001.0, 10.0 },
		/* 1 MW: 5 steps, max(40, 800e3 / 66667 = 12) */
		{ 0, 1e6, 40.0 },
		/* exactly 2 MW: 10 steps: 90 s */
		{ 0, 2e6, 90.0 },
		{ 0, 2e6 + 1.0, INFINITY },
		/* slow ramp 5 kW/s: max(40, 800e3 / 5e3 = 160) */
		{ 5e3, 1e6, 160.0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_genset_cfg c;

		wt_genset_cfg_init(&c, 2e6, 50.0, WT_ISO8528_G2);
		if (cases[i].ramp_w_per_s > 0) {
			c.ramp_w_per_s = cases[i].ramp_w_per_s;
		}
		assert_int_equal(wt_genset_cfg_validate(&c, NULL, 0), 0);
		check_abs(wt_genset_min_bringup_s(&c, cases[i].total_w), cases[i].want_s, 1e-9,
			  "bring-up");
	}

	/* Without a manufacturer interval, the model's own recovery time sets the spacing. */
	struct wt_genset_cfg c;
	struct wt_genset_state st;
	struct wt_genset_point step = { 0.0, 2e5 };
	struct wt_genset_result r;
	double t;

	wt_genset_cfg_init(&c, 2e6, 50.0, WT_ISO8528_G2);
	c.step_recovery_s = 0.0;
	t = wt_genset_step_interval_s(&c);
	wt_genset_state_init(&c, &st, 0.0);
	assert_int_equal(wt_genset_simulate(&c, 0.0, &step, 1, 1e-3, &r), 0);
	assert_true(r.recovery_s > 0.5 && r.recovery_s < 5.0);
	check_abs(t, r.recovery_s, 1e-12, "model interval");
	check_abs(wt_genset_min_bringup_s(&c, 1e6), fmax(4.0 * t, 12.0), 1e-9, "model spacing");
}

/* The class check on constructed results: G2 on 50 Hz is dip >= 45 Hz, peak <= 56 Hz,
 * recovery <= 5 s, droop <= 5 %. */
static void test_check_iso(void **state)
{
	static const struct {
		const char *what;
		double nadir, peak, recovery_s, droop;
		bool stalled;
		int want;
		const char *why;
	} cases[] = {
		{ "inside", 46.0, 52.0, 4.9, 5.0, false, 0, "" },
		{ "exactly at the limits", 45.0, 56.0, 5.0, 5.0, false, 0, "" },
		{ "dip", 44.9, 50.0, 1.0, 5.0, false, 1,
		  "nadir 44.900 Hz = -10.20 % below G2 limit -10 %" },
		{ "overshoot", 50.0, 56.5, 1.0, 5.0, false, 1,
		  "peak 56.500 Hz = +13.00 % above G2 limit +12 %" },
		{ "recovery", 49.0, 50.0, 5.5, 5.0, false, 1,
		  "recovery 5.500 s into the +-0.75 % band longer than G2 limit 5 s" },
		{ "never recovered", 49.0, 50.0, INFINITY, 5.0, false, 1,
		  "recovery inf s into the +-0.75 % band longer than G2 limit 5 s" },
		{ "droop", 49.0, 50.0, 1.0, 6.0, false, 1, "droop 6 % above G2 limit 5 %" },
		{ "three at once, first reported", 40.0, 60.0, 9.0, 5.0, false, 3,
		  "nadir 40.000 Hz = -20.00 % below G2 limit -10 %" },
		{ "stalled", 24.0, 50.0, INFINITY, 5.0, true, 3,
		  "stalled: frequency 24.000 Hz below half of 50 Hz" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_genset_cfg c;
		struct wt_genset_result r = { 0 };
		char why[160] = "x";

		wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G2);
		c.droop_pct = cases[i].droop;
		r.nadir_hz = cases[i].nadir;
		r.peak_hz = cases[i].peak;
		r.recovery_s = cases[i].recovery_s;
		r.stalled = cases[i].stalled;
		r.band_pct = 1.5;
		if (wt_genset_check_iso(&c, &r, NULL, why, sizeof(why)) != cases[i].want) {
			fail_msg("%s: count %d, want %d (%s)", cases[i].what,
				 wt_genset_check_iso(&c, &r, NULL, NULL, 0), cases[i].want, why);
		}
		assert_string_equal(why, cases[i].why);
	}

	/* Against a table: G1 on the same result passes what G2 refuses. */
	struct wt_genset_cfg c;
	struct wt_genset_result r = { .nadir_hz = 44.0, .peak_hz = 50.0, .recovery_s = 8.0 };
	struct wt_iso8528_limits lim;
	char why[160];

	wt_iso8528_limits_default(&lim);
	wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G1);
	r.band_pct = 2.5;
	assert_int_equal(wt_genset_check_iso(&c, &r, &lim, why, sizeof(why)), 0);
	/* A result measured with another band cannot be judged against this class. */
	r.band_pct = 1.5;
	assert_int_equal(wt_genset_check_iso(&c, &r, &lim, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "recovery measured with a 1.5 % band, G1 has 2.5 %");
}

static void test_simulate_errors(void **state)
{
	struct wt_genset_cfg c = cfg_h1();
	struct wt_genset_point back[] = { { 2.0, 1e5 }, { 1.0, 2e5 } };
	struct wt_genset_point nan_load = { 1.0, NAN };
	struct wt_genset_point neg_t = { -1.0, 1e5 };
	struct wt_genset_point far = { 1000.0, 1e5 };
	struct wt_genset_state st;
	struct wt_genset_result r;

	assert_int_equal(wt_genset_simulate(&c, 0.0, back, 2, 1e-3, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, &nan_load, 1, 1e-3, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, &neg_t, 1, 1e-3, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, NULL, 1, 1e-3, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, -1.0, NULL, 0, 1e-3, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, NULL, 0, 0.0, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, NULL, 0, 0.5, &r), -EINVAL);
	assert_int_equal(wt_genset_simulate(&c, 0.0, &far, 1, 1e-5, &r), WT_E2BIG);
	/* From a state: does not touch it. */
	wt_genset_state_init(&c, &st, 1e5);
	assert_int_equal(wt_genset_simulate_from(&c, &st, &far, 1, 1e-2, &r), 0);
	check_abs(st.f_hz, 50.0, 0, "state untouched");
	check_abs(st.t_s, 0.0, 0, "state time untouched");
	/* Degenerate steps: zero or NaN dt, negative load. */
	check_abs(wt_genset_step(&c, &st, -5.0, NAN), 1e5 / 2e6 * 50.0, 1e-12, "load 0");
	check_abs(st.t_s, 0.0, 0, "no time");
	check_abs(st.load_w, 0.0, 0, "load clamped");
}

/* --- iso8528_5_limits.csv --- */

static void test_builtin_limits_match_csv(void **state)
{
	struct wt_iso8528_limits file, builtin;
	struct wt_genset_cfg c;
	char err[256] = "";

	assert_int_equal(wt_iso8528_load(ISO_CSV, &file, err, sizeof(err)), 0);
	wt_iso8528_limits_default(&builtin);
	for (unsigned k = 0; k < WT_ISO8528_CLASS_COUNT; k++) {
		const struct wt_iso8528_class_limits *a = &file.cls[k], *b = &builtin.cls[k];

		assert_true(a->droop_pct == b->droop_pct && a->band_pct == b->band_pct);
		assert_true(a->dip_pct == b->dip_pct && a->overshoot_pct == b->overshoot_pct);
		assert_true(a->recovery_s == b->recovery_s);
		assert_true(a->v_steady_pct == b->v_steady_pct && a->v_dip_pct == b->v_dip_pct);
		assert_true(a->v_overshoot_pct == b->v_overshoot_pct &&
			    a->v_recovery_s == b->v_recovery_s);
	}
	/* DESIGN.md section 1: "frequency dip -15/-10/-7 %, recovery 10/5/3 s". */
	check_abs(file.cls[WT_ISO8528_G1].dip_pct, -15.0, 0, "G1 dip");
	check_abs(file.cls[WT_ISO8528_G3].dip_pct, -7.0, 0, "G3 dip");
	check_abs(file.cls[WT_ISO8528_G1].recovery_s, 10.0, 0, "G1 recovery");
	check_abs(file.cls[WT_ISO8528_G3].recovery_s, 3.0, 0, "G3 recovery");
	/* A loaded table replaces the class limits of a config. */
	wt_genset_cfg_init(&c, 1e6, 50.0, WT_ISO8528_G3);
	file.cls[WT_ISO8528_G3].dip_pct = -6.0;
	wt_genset_cfg_use_limits(&c, &file);
	check_abs(c.iso.dip_pct, -6.0, 0, "used limits");
}

static const char valid_csv[] =
	"parameter,condition,G1,G2,G3,unit,sign_convention,source_G2,source_G1_G3,status\n"
	"frequency_droop,steady state,8,5,3,percent of rated frequency,max,S1,S3,x\n"
	"steady_state_frequency_band,constant load,2.5,1.5,0.5,percent of rated frequency,"
	"max,S1,S3,x\n"
	"transient_frequency_deviation_load_decrease,\"100% sudden, decrease\",18,12,10,"
	"percent of rated frequency,overshoot (+),S1,S3,x\n"
	"transient_frequency_deviation_load_increase,increase,-15,-10,-7,"
	"percent of rated frequency,dip (-),S1,S2,x\n"
	"frequency_recovery_time,after,10,5,3,s,max,S1,S2,x\n"
	"steady_state_voltage_deviation,single,5,2.5,1,percent of rated voltage,+/- max,S1,S3,x\n"
	"transient_voltage_deviation_load_decrease,d,35,25,20,percent of rated voltage,o,S1,S3,x\n"
	"transient_voltage_deviation_load_increase,i,-25,-20,-15,percent of rated voltage,d,S1,"
	"S2,x\n"
	"voltage_recovery_time,after,10,6,4,s,max,S1,S3,\"say \"\"verify\"\"\"\n"
	"test_load_steps_G2_spec_example,steps,,0-50-80-100,,pct,,S1,,sourced\n";

/* Copy valid_csv into @out replacing the first @from by @to. */
static void mutate(char *out, size_t cap, const char *from, const char *to)
{
	const char *at = strstr(valid_csv, from);
	int n;

	assert_non_null(at);
	n = snprintf(out, cap, "%.*s%s%s", (int)(at - valid_csv), valid_csv, to, at + strlen(from));
	assert_true(n > 0 && (size_t)n < cap);
}

static void test_csv_valid_variants(void **state)
{
	struct wt_iso8528_limits lim;
	char buf[4096], err[256] = "";

	assert_int_equal(
		wt_iso8528_parse(valid_csv, strlen(valid_csv), "t", &lim, err, sizeof(err)), 0);
	check_abs(lim.cls[WT_ISO8528_G2].band_pct, 1.5, 0, "band");
	check_abs(lim.cls[WT_ISO8528_G3].v_recovery_s, 4.0, 0, "v recovery");
	/* CRLF line ends and no final newline are fine. */
	size_t o = 0;

	for (const char *p = valid_csv; *p != '\0'; p++) {
		if (*p == '\n') {
			buf[o++] = '\r';
		}
		buf[o++] = *p;
	}
	assert_int_equal(wt_iso8528_parse(buf, o - 2, "t", &lim, err, sizeof(err)), 0);
	/* Rows in another order are fine. */
	mutate(buf, sizeof(buf),
	       "frequency_droop,steady state,8,5,3,percent of rated frequency,"
	       "max,S1,S3,x\n",
	       "");
	strncat(buf, "frequency_droop,steady state,8,5,3,percent of rated frequency,max,S1,S3,x\n",
		sizeof(buf) - strlen(buf) - 1);
	assert_int_equal(wt_iso8528_parse(buf, strlen(buf), "t", &lim, err, sizeof(err)), 0);
	check_abs(lim.cls[WT_ISO8528_G1].droop_pct, 8.0, 0, "moved row");
}

static void test_csv_errors(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "parameter,", "param,", "t:1: header field 1 is 'param', expected 'parameter'" },
		{ ",status\n", "\n", "t:1: 9 fields, expected 10" },
		{ "frequency_droop,", "frequency_drop,",
		  "t:2: unknown parameter 'frequency_drop'" },
		{ ",8,5,3,", ",8,5,3,x,", "t:2: more than 10 fields" },
		{ ",8,5,3,", ",8,five,3,",
		  "t:2: frequency_droop: G2 value 'five' is not a number" },
		{ ",8,5,3,", ",8,5x,3,", "t:2: frequency_droop: G2 value '5x' is not a number" },
		{ ",8,5,3,", ",8, 5,3,", "t:2: frequency_droop: G2 value ' 5' is not a number" },
		{ ",8,5,3,", ",8,,3,", "t:2: frequency_droop: G2 value '' is not a number" },
		{ ",8,5,3,", ",8,inf,3,", "t:2: frequency_droop: G2 value 'inf' is not a number" },
		{ ",8,5,3,", ",8,-5,3,", "t:2: frequency_droop: G2 value -5 must be positive" },
		{ ",8,5,3,", ",8,5,9,", "t:2: frequency_droop: G3 (9) looser than G2 (5)" },
		{ "-15,-10,-7", "-15,-10,7",
		  "t:5: transient_frequency_deviation_load_increase: G3 value 7 must be negative" },
		{ "-15,-10,-7", "-9,-10,-7",
		  "t:5: transient_frequency_deviation_load_increase: G2 (-10) looser than G1 "
		  "(-9)" },
		{ "10,5,3,s,", "10,5,3,ms,",
		  "t:6: frequency_recovery_time: unit 'ms', expected 's'" },
		{ "\"100% sudden, decrease\"", "\"100% sudden", "t:4: unterminated quoted field" },
		{ "\"100% sudden, decrease\"", "\"100%\"x", "t:4: text after a closing quote" },
		{ "\"100% sudden, decrease\"", "100\"%",
		  "t:4: quote or NUL inside an unquoted field" },
		{ "frequency_recovery_time,after,10,5,3,s,max,S1,S2,x\n", "",
		  "t:10: missing row 'frequency_recovery_time'" },
		{ "frequency_recovery_time,after,10,5,3,s,max,S1,S2,x\n",
		  "frequency_recovery_time,after,10,5,3,s,max,S1,S2,x\n\n", "t:7: empty line" },
		{ "voltage_recovery_time,", "frequency_droop,",
		  "t:10: frequency_droop: duplicate row" },
	};

	char buf[4096];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct wt_iso8528_limits lim;
		char err[256] = "";

		mutate(buf, sizeof(buf), cases[i].from, cases[i].to);
		assert_int_equal(wt_iso8528_parse(buf, strlen(buf), "t", &lim, err, sizeof(err)),
				 WT_EBADMSG);
		assert_string_equal(err, cases[i].want);
	}

	/* Empty input, header only, a NUL inside, a long line, and too much text. */
	struct wt_iso8528_limits lim;
	char err[256] = "";
	static char big[WT_ISO8528_MAX_BYTES + 2];

	assert_int_equal(wt_iso8528_parse("", 0, "t", &lim, err, sizeof(err)), WT_EBADMSG);
	assert_string_equal(err, "t:1: empty file");
	assert_int_equal(wt_iso8528_parse(valid_csv, 80, "t", &lim, err, sizeof(err)), WT_EBADMSG);
	assert_string_equal(err, "t:1: missing row 'frequency_droop'");
	memcpy(buf, valid_csv, sizeof(valid_csv));
	buf[90] = '\0';
	assert_int_equal(wt_iso8528_parse(buf, strlen(valid_csv), "t", &lim, err, sizeof(err)),
			 WT_EBADMSG);
	assert_string_equal(err, "t:2: quote or NUL inside an unquoted field");
	memset(big, 'a', sizeof(big));
	assert_int_equal(wt_iso8528_parse(big, 2000, "t", &lim, err, sizeof(err)), WT_EBADMSG);
	assert_string_equal(err, "t:1: line too long");
	assert_int_equal(wt_iso8528_parse(big, sizeof(big), "t", &lim, NULL, 0), WT_E2BIG);
	/* A truncated message is still terminated. */
	char small[6];

	assert_int_equal(wt_iso8528_parse("", 0, "name", &lim, small, sizeof(small)), WT_EBADMSG);
	assert_string_equal(small, "name:");
}

static void test_csv_load_errors(void **state)
{
	struct wt_iso8528_limits lim;
	char err[256] = "";

	assert_int_equal(
		wt_iso8528_load(WT_TEST_DATA_DIR "/no/such/file.csv", &lim, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	/* A file of another format fails on its header, naming the file and line. */
	assert_int_equal(wt_iso8528_load(WT_TEST_DATA_DIR
					 "/power-equipment-reference/genset_load_acceptance.csv",
					 &lim, err, sizeof(err)),
			 WT_EBADMSG);
	assert_non_null(strstr(err, "genset_load_acceptance.csv:1: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_initial_rocof),
		cmocka_unit_test(test_step_closed_form),
		cmocka_unit_test(test_droop_steady_state),
		cmocka_unit_test(test_zero_step_flat),
		cmocka_unit_test(test_inertia_monotone),
		cmocka_unit_test(test_ramp_vs_step),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_max_step_bisection),
		cmocka_unit_test(test_min_bringup),
		cmocka_unit_test(test_check_iso),
		cmocka_unit_test(test_simulate_errors),
		cmocka_unit_test(test_builtin_limits_match_csv),
		cmocka_unit_test(test_csv_valid_variants),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_load_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
