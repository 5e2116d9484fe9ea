/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the BESS model: config validation, the response dead time (nothing before it,
 * the previous set-point held while a change is in flight), the power clip, the energy clip
 * (never more energy out than the cells held, hand-computed cases), charging to full, the round
 * trip efficiency, and a randomised comparison against a delayed-request reference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/bess.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void check_abs(double got, double want, double abs_tol, const char *what)
{
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

/* 100 kW, 1 kWh, 20 ms, eta 0.81 (sqrt = 0.9: easy hand arithmetic). */
static struct wt_bess_cfg cfg_small(void)
{
	struct wt_bess_cfg c;

	wt_bess_cfg_init(&c, 1e5, 1000.0);
	c.efficiency = 0.81;
	assert_int_equal(wt_bess_cfg_validate(&c, NULL, 0), 0);
	return c;
}

static void test_defaults_validate(void **state)
{
	static const struct {
		int field;
		double v;
		const char *want;
	} cases[] = {
		{ 0, 0.0, "bess power_w = 0 out of range 1-1e9 W" },
		{ 1, 0.0, "bess energy_wh = 0 out of range 0.01-1e10 Wh" },
		{ 2, -1.0, "bess response_ms = -1 out of range 0-10000 ms" },
		{ 3, 1.1, "bess efficiency = 1.1 out of range 0.5-1" },
		{ 3, NAN, "bess efficiency = nan out of range 0.5-1" },
	};
	struct wt_bess_cfg c;
	char err[128] = "";

	wt_bess_cfg_init(&c, 5e5, 2e5);
	assert_int_equal(wt_bess_cfg_validate(&c, err, sizeof(err)), 0);
	check_abs(c.response_ms, 20.0, 0, "response");
	check_abs(c.efficiency, 0.85, 0, "efficiency");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		wt_bess_cfg_init(&c, 5e5, 2e5);
		switch (cases[i].field) {
		case 0:
			c.power_w = cases[i].v;
			break;
		case 1:
			c.energy_wh = cases[i].v;
			break;
		case 2:
			c.response_ms = cases[i].v;
			break;
		default:
			c.efficiency = cases[i].v;
			break;
		}
		assert_int_equal(wt_bess_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, cases[i].want);
	}
}

/* An idle BESS asked for 50 kW delivers nothing for 20 ms, then 50 kW. */
static void test_response_dead_time(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;
	double e = 0.0;

	wt_bess_state_init(&st, 1.0);
	for (int i = 0; i < 19; i++) {
		check_abs(wt_bess_step(&c, &st, 5e4, 1e-3), 0.0, 0, "before the response time");
	}
	/* The 20th millisecond ends at the due time, give or take rounding of the sum. */
	e += wt_bess_step(&c, &st, 5e4, 1e-3);
	check_abs(e, 0.0, 1e-6, "up to 20 ms");
	check_abs(wt_bess_step(&c, &st, 5e4, 1e-3), 5e4, 1e-6, "after");
	check_abs(st.delivered_w, 5e4, 0, "delivered now");

	/* One long step straddling the due time: 30 of 50 ms at 50 kW = 30 kW mean. */
	wt_bess_state_init(&st, 1.0);
	check_abs(wt_bess_step(&c, &st, 5e4, 0.05), 3e4, 1e-6, "mean over a straddling step");

	/* A change while delivering: the old set-point holds for 20 ms, not zero. */
	wt_bess_state_init(&st, 1.0);
	wt_bess_step(&c, &st, 8e4, 0.1);
	check_abs(wt_bess_step(&c, &st, 2e4, 0.01), 8e4, 1e-6, "old set-point held");
	check_abs(wt_bess_step(&c, &st, 2e4, 0.01), 8e4, 1e-6, "still held at 20 ms");
	check_abs(wt_bess_step(&c, &st, 2e4, 0.01), 2e4, 1e-6, "new set-point");

	/* Zero response: at once. A zero step reports the instantaneous power. */
	c.response_ms = 0.0;
	wt_bess_state_init(&st, 1.0);
	check_abs(wt_bess_step(&c, &st, 5e4, 0.0), 0.0, 0, "zero step returns 0");
	check_abs(st.delivered_w, 5e4, 0, "instantaneous");
	check_abs(wt_bess_step(&c, &st, 5e4, 1e-3), 5e4, 0, "immediate");
}

static void test_power_clip(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;

	c.response_ms = 0.0;
	wt_bess_state_init(&st, 0.5);
	check_abs(wt_bess_step(&c, &st, 3e5, 1.0), 1e5, 1e-9, "discharge clip");
	check_abs(wt_bess_step(&c, &st, -3e5, 1.0), -1e5, 1e-9, "charge clip");
	check_abs(wt_bess_step(&c, &st, NAN, 1.0), 0.0, 0, "NaN request");
}

/* soc 0.5 of 1 kWh at eta 0.81 holds 500 Wh in the cells = 450 Wh = 1.62 MJ at the bus: 16.2 s
 * at 100 kW. Second 17 delivers for 0.2 s: mean 20 kW; then nothing. */
static void test_energy_clip(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;
	double total = 0.0;

	c.response_ms = 0.0;
	wt_bess_state_init(&st, 0.5);
	check_abs(wt_bess_available_wh(&c, &st), 450.0, 1e-9, "available");
	check_abs(wt_bess_endurance_s(&c, &st, 1e5), 16.2, 1e-9, "endurance");
	check_abs(wt_bess_endurance_s(&c, &st, 2e5), 0.0, 0, "above rating");
	assert_true(isinf(wt_bess_endurance_s(&c, &st, 0.0)));
	for (int i = 1; i <= 30; i++) {
		double p = wt_bess_step(&c, &st, 1e5, 1.0);

		if (i <= 16) {
			check_abs(p, 1e5, 1e-6, "full power");
		} else if (i == 17) {
			check_abs(p, 2e4, 1e-6, "empties inside the step");
		} else {
			check_abs(p, 0.0, 0, "empty");
		}
		assert_true(st.soc >= 0.0);
		total += p * 1.0;
	}
	check_abs(total, 1.62e6, 1e-3, "energy out = energy held * sqrt(eta)");
	check_abs(st.soc, 0.0, 0, "empty");
	check_abs(st.cell_out_wh, 500.0, 1e-9, "cells gave what they held");
}

/* soc 0.99 of 1 kWh: 10 Wh = 36 kJ of room; charging at 50 kW stores 45 kW: full after 0.8 s,
 * having absorbed 40 kJ: mean -40 kW over 1 s. Then a full discharge returns eta of it. */
static void test_charge_and_round_trip(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;
	double in_j = 0.0, out_j = 0.0, p;

	c.response_ms = 0.0;
	wt_bess_state_init(&st, 0.99);
	check_abs(wt_bess_step(&c, &st, -5e4, 1.0), -4e4, 1e-6, "fills inside the step");
	check_abs(st.soc, 1.0, 0, "full");
	check_abs(wt_bess_step(&c, &st, -5e4, 1.0), 0.0, 0, "full takes nothing");

	wt_bess_state_init(&st, 0.0);
	for (int i = 0; i < 200; i++) {
		in_j -= wt_bess_step(&c, &st, -1e5, 0.1) * 0.1;
	}
	do {
		p = wt_bess_step(&c, &st, 1e5, 0.1);
		out_j += p * 0.1;
	} while (p > 0.0);
	check_abs(out_j / in_j, 0.81, 1e-9, "round trip");
}

/* The request history, for the reference: request r[i] made at t[i]. */
struct hist {
	double t[4096];
	double r[4096];
	size_t n;
};

/* Mean over [a, b] of the request made at least @delay before, clipped to +-@pmax. */
static double delayed_mean(const struct hist *h, double a, double b, double delay, double pmax)
{
	double e = 0.0, t = a;

	while (t < b) {
		double v = 0.0, next = b;

		for (size_t i = 0; i < h->n; i++) {
			if (h->t[i] + delay <= t) {
				v = h->r[i];
			} else if (h->t[i] + delay < next) {
				next = h->t[i] + delay;
				break;
			}
		}
		e += fmin(fmax(v, -pmax), pmax) * (next - t);
		t = next;
	}
	return e / (b - a);
}

/* Random requests and step lengths against the delayed, clipped request (energy large enough
 * not to bind): the BESS never answers early, never late. With a small battery: soc stays in
 * 0..1 and the energy books balance. */
static void test_random_against_reference(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;
	static struct hist h;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	double t = 0.0;

	c.energy_wh = 1e7;
	wt_bess_state_init(&st, 0.5);
	h.n = 0;
	for (int i = 0; i < 3000; i++) {
		double req, dt, got, want;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* New request 1 time in 3, -150..150 kW; steps 2-9 ms: at most 10 in flight. */
		req = h.n > 0 ? h.r[h.n - 1] : 0.0;
		if (x % 3 == 0) {
			req = (double)((int64_t)(x >> 8) % 300001 - 150000);
			if (h.n < ARRAY_LEN(h.t) && (h.n == 0 || req != h.r[h.n - 1])) {
				h.t[h.n] = t;
				h.r[h.n] = req;
				h.n++;
			}
		}
		dt = (double)(2 + (x >> 40) % 8) * 1e-3;
		got = wt_bess_step(&c, &st, req, dt);
		want = delayed_mean(&h, t, t + dt, 0.02, c.power_w);
		if (fabs(got - want) > 1e-4) {
			fail_msg("step %d at t=%.4f: delivered %.6f W, reference %.6f W", i, t, got,
				 want);
		}
		t += dt;
	}

	/* Small battery, random charge and discharge: books balance, soc in range. */
	c.energy_wh = 5.0;
	wt_bess_state_init(&st, 0.3);
	double out_j = 0.0, in_j = 0.0;

	for (int i = 0; i < 20000; i++) {
		double p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p = wt_bess_step(&c, &st, (double)((int64_t)(x % 240001) - 120000), 0.01);
		assert_true(st.soc >= 0.0 && st.soc <= 1.0);
		assert_true(fabs(p) <= c.power_w * (1.0 + 1e-12));
		if (p > 0) {
			out_j += p * 0.01;
		} else {
			in_j -= p * 0.01;
		}
	}
	/* Cells: 0.3 * 5 Wh + stored - taken = soc * 5 Wh; bus: out <= (held + stored) * 0.9. */
	check_abs(st.cell_out_wh, out_j / 3600.0 / 0.9, 1e-6, "cell energy out");
	check_abs(st.cell_in_wh, in_j / 3600.0 * 0.9, 1e-6, "cell energy in");
	check_abs(1.5 + st.cell_in_wh - st.cell_out_wh, st.soc * 5.0, 1e-6, "books balance");
	assert_true(out_j / 3600.0 <= (1.5 + st.cell_in_wh) * 0.9 + 1e-9);
}

/* More changes in flight than the queue holds: nothing is applied early. */
static void test_pending_overflow(void **state)
{
	struct wt_bess_cfg c = cfg_small();
	struct wt_bess_state st;

	c.response_ms = 100.0;
	wt_bess_state_init(&st, 1.0);
	for (int i = 0; i < 40; i++) {
		check_abs(wt_bess_step(&c, &st, 1000.0 * (i + 1), 1e-3), 0.0, 0, "in flight");
		assert_true(st.n_pending <= WT_BESS_MAX_PENDING);
	}
	/* 40 ms in: requests from 24 ms on are kept; the first due is at 124 ms. */
	check_abs(wt_bess_step(&c, &st, 40000.0, 0.083), 0.0, 1e-6, "oldest dropped, none early");
	/* 25 kW (made at 24 ms) for the last 0.5 ms of 1.5 ms. */
	check_abs(wt_bess_step(&c, &st, 40000.0, 0.0015), 25000.0 / 3.0, 1e-3,
		  "the kept ones apply on time");
	wt_bess_step(&c, &st, 40000.0, 0.1);
	check_abs(st.delivered_w, 40000.0, 0, "last request in effect");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_validate),
		cmocka_unit_test(test_response_dead_time),
		cmocka_unit_test(test_power_clip),
		cmocka_unit_test(test_energy_clip),
		cmocka_unit_test(test_charge_and_round_trip),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_pending_overflow),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
