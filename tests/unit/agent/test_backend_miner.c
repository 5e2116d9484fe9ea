/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the miner block backend: config checks; the cap -> allowed units rule and the
 * device groups; shed and restore latencies (never faster), minimum on and off times, a
 * pending restore cancelled, a shed that cannot be called back; results independent of the
 * sampling rate; and a seeded random schedule checking on every 1 ms sample that no unit
 * changes state faster than the hardware allows, and that the block settles at its caps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/miner.h"
#include "wt/backoff.h"
#include "wt/err.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0	     777000000000ULL
#define MS(x)	     (T0 + (uint64_t)((x)*1000000.0 + 0.5))
#define UNIT_W	     3200u

static struct agt_miner_cfg cfg_units(uint32_t units, uint32_t min_on_ms, uint32_t min_off_ms)
{
	struct agt_miner_cfg c;

	agt_miner_cfg_init(&c);
	c.n_units = units;
	c.min_on_ms = min_on_ms;
	c.min_off_ms = min_off_ms;
	return c;
}

static struct agt_backend *mk(const struct agt_miner_cfg *c)
{
	struct agt_backend *b = NULL;

	assert_int_equal(agt_backend_miner_new(&b, c, T0), 0);
	return b;
}

static struct agt_sample sample_at(struct agt_backend *b, uint64_t t)
{
	struct agt_sample s;

	assert_int_equal(agt_backend_sample(b, t, &s), 0);
	return s;
}

/* One step of a script: at @ms either set a cap (dev >= 0) or check dev_w[-dev - 1]. */
struct step {
	double ms;
	int dev;      /* >= 0: set_cap(dev, cap); < 0: expect dev_w[-dev - 1] == w */
	uint32_t val; /* cap or expected watts */
};

#define CAP(ms, dev, cap)                                                                          \
	{                                                                                          \
		ms, dev, cap                                                                       \
	}
#define EXPECT(ms, dev, w)                                                                         \
	{                                                                                          \
		ms, -(dev)-1, w                                                                    \
	}

static void run(const char *name, const struct agt_miner_cfg *c, const struct step *st, size_t n)
{
	struct agt_backend *b = mk(c);

	for (size_t i = 0; i < n; i++) {
		if (st[i].dev >= 0) {
			assert_int_equal(agt_backend_set_cap(b, (uint32_t)st[i].dev, st[i].val,
							     MS(st[i].ms)),
					 0);
			continue;
		}
		{
			struct agt_sample s = sample_at(b, MS(st[i].ms));
			uint32_t d = (uint32_t)(-st[i].dev - 1);

			if (s.dev_w[d] != st[i].val) {
				print_error("%s: at %.3f ms dev %u draws %u W, want %u\n", name,
					    st[i].ms, d, s.dev_w[d], st[i].val);
				fail();
			}
		}
	}
	agt_backend_free(b);
}

static void test_defaults_and_validate(void **state)
{
	struct agt_miner_cfg c;
	struct agt_backend *b = (struct agt_backend *)&c;
	char err[160];

	agt_miner_cfg_init(&c);
	assert_int_equal(c.unit_w, 3200);
	assert_int_equal(c.shed_latency_ms, 200);
	assert_int_equal(c.restore_latency_ms, 2000);
	assert_int_equal(agt_miner_cfg_validate(&c, err, sizeof(err)), 0);
	c.n_units = 0;
	assert_int_equal(agt_miner_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "miner n_units = 0 out of range 1-1024");
	assert_int_equal(agt_backend_miner_new(&b, &c, T0), WT_ECONFIG);
	assert_ptr_equal(b, (struct agt_backend *)&c);
	c.n_units = 4;
	c.unit_w = 0;
	assert_int_equal(agt_miner_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "miner unit_w = 0 out of range 1-100000");
	c.unit_w = UNIT_W;
	c.restore_latency_ms = 600001;
	assert_int_equal(agt_miner_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "miner restore_latency_ms = 600001 out of range 0-600000");
	c.restore_latency_ms = 2000;
	c.initial_on = 5;
	assert_int_equal(agt_miner_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "miner initial_on = 5 out of range 0-4 (n_units)");
}

struct group_case {
	uint32_t units, initial_on;
	uint32_t n;		 /* device groups */
	uint32_t dev0_w, last_w; /* dev_w[0], dev_w[n - 1] */
	uint32_t total_w;
};

static void test_groups(void **state)
{
	static const struct group_case cases[] = {
		{ 1, AGT_MINER_ALL, 1, 3200, 3200, 3200 },
		{ 4, AGT_MINER_ALL, 4, 3200, 3200, 12800 },
		{ 16, AGT_MINER_ALL, 16, 3200, 3200, 51200 },
		{ 17, AGT_MINER_ALL, 16, 6400, 3200, 54400 },
		{ 40, AGT_MINER_ALL, 16, 9600, 6400, 128000 }, /* 8 x 3 units, 8 x 2 */
		{ 1024, AGT_MINER_ALL, 16, 204800, 204800, 3276800 },
		{ 40, 4, 16, 9600, 0, 12800 }, /* units 0-3: groups 0, 1 */
		{ 40, 0, 16, 0, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct agt_miner_cfg c = cfg_units(cases[i].units, 0, 0);
		struct agt_backend *b;
		struct agt_sample s;

		c.initial_on = cases[i].initial_on;
		b = mk(&c);
		assert_int_equal(agt_backend_devices(b), cases[i].n);
		/* Nothing moves by itself: the initial caps keep the initial state. */
		s = sample_at(b, MS(60000));
		assert_int_equal(s.n, cases[i].n);
		assert_int_equal(s.dev_w[0], cases[i].dev0_w);
		assert_int_equal(s.dev_w[s.n - 1], cases[i].last_w);
		assert_int_equal(s.total_w, cases[i].total_w);
		assert_int_equal(s.demand_w, cases[i].units * UNIT_W);
		assert_int_equal(s.predicted_peak_w, cases[i].units * UNIT_W);
		assert_int_equal(agt_backend_predict_peak(b, MS(60000), 10),
				 cases[i].units * UNIT_W);
		agt_backend_free(b);
	}
}

/* A cap allows floor(cap / unit_w) units of the group. 40 units: group 0 has 3. */
static void test_cap_to_units(void **state)
{
	static const struct step st[] = {
		CAP(1000, 0, 7000),	    EXPECT(1200, 0, 6400), /* 2 units */
		CAP(1300, 0, 6399),	    EXPECT(1500, 0, 3200), /* 1 */
		CAP(1600, 0, 3199),	    EXPECT(1800, 0, 0),	   /* 0 */
		CAP(1900, 0, AGT_CAP_NONE), EXPECT(3900, 0, 9600), /* all 3 (min_off 0) */
		CAP(4000, 15, 0),	    EXPECT(4200, 15, 0),    EXPECT(4200, 14, 6400),
		CAP(4300, 10, 100000),	    EXPECT(4600, 10, 6400), /* more than the group: 2 */
	};
	struct agt_miner_cfg c = cfg_units(40, 0, 0);

	run("cap_to_units", &c, st, ARRAY_LEN(st));
}

static void test_shed_latency(void **state)
{
	static const struct step st[] = {
		EXPECT(999, 3, 3200),  CAP(1000, 3, 0),		  EXPECT(1000, 3, 3200),
		EXPECT(1100, 3, 3200), EXPECT(1199.999, 3, 3200), EXPECT(1200, 3, 0),
		EXPECT(1200, 2, 3200), EXPECT(5000, 3, 0),
	};
	struct agt_miner_cfg c = cfg_units(4, 0, 0);
	struct agt_backend *b;
	struct agt_sample s;

	run("shed", &c, st, ARRAY_LEN(st));
	/* Slower hardware: a 1 s shed. */
	c.shed_latency_ms = 1000;
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 1, 0, MS(0)), 0);
	s = sample_at(b, MS(999));
	assert_int_equal(s.total_w, 4 * UNIT_W);
	s = sample_at(b, MS(1000));
	assert_int_equal(s.total_w, 3 * UNIT_W);
	assert_int_equal(s.dev_w[1], 0);
	agt_backend_free(b);
}

static void test_restore_latency(void **state)
{
	static const struct step st[] = {
		CAP(1000, 3, 0),       EXPECT(1200, 3, 0),     CAP(1500, 3, 3200),
		EXPECT(1500, 3, 0),    EXPECT(3499.999, 3, 0), EXPECT(3500, 3, 3200),
		EXPECT(9000, 3, 3200),
	};
	struct agt_miner_cfg c = cfg_units(4, 0, 0);

	run("restore", &c, st, ARRAY_LEN(st));
}

/* min_off 10 s: off at 1.2 s, so the restore is commanded at 11.2 s, power at 13.2 s. */
static void test_min_off(void **state)
{
	static const struct step st[] = {
		CAP(1000, 0, 0),     EXPECT(1200, 0, 0),      CAP(1500, 0, 3200),
		EXPECT(11199, 0, 0), EXPECT(13199.999, 0, 0), EXPECT(13200, 0, 3200),
	};
	struct agt_miner_cfg c = cfg_units(4, 0, 10000);

	run("min_off", &c, st, ARRAY_LEN(st));
}

/* min_on 5 s: the initial units may shed at once; a unit restored at 4 s may shed only from
 * 9 s, so a cap at 5 s takes power off at 9.2 s. */
static void test_min_on(void **state)
{
	static const struct step st[] = {
		CAP(1000, 0, 0),       EXPECT(1200, 0, 0),	  CAP(2000, 0, 3200),
		EXPECT(3999, 0, 0),    EXPECT(4000, 0, 3200),	  CAP(5000, 0, 0),
		EXPECT(5200, 0, 3200), EXPECT(9199.999, 0, 3200), EXPECT(9200, 0, 0),
	};
	struct agt_miner_cfg c = cfg_units(4, 5000, 0);

	run("min_on", &c, st, ARRAY_LEN(st));
}

/* A restore still pending when the cap drops again is cancelled: the unit never draws. */
static void test_cancel_restore(void **state)
{
	static const struct step st[] = {
		CAP(1000, 2, 0), EXPECT(1200, 2, 0), CAP(1300, 2, 3200),
		CAP(2000, 2, 0), EXPECT(3300, 2, 0), EXPECT(10000, 2, 0),
	};
	struct agt_miner_cfg c = cfg_units(4, 0, 0);

	run("cancel_restore", &c, st, ARRAY_LEN(st));
}

/* A shed cannot be called back: raising the cap 100 ms later still loses the unit at 1.2 s;
 * it then restores with the full latency. */
static void test_shed_irrevocable(void **state)
{
	static const struct step st[] = {
		CAP(1000, 1, 0),    CAP(1100, 1, 3200),	    EXPECT(1199, 1, 3200),
		EXPECT(1200, 1, 0), EXPECT(3199.999, 1, 0), EXPECT(3200, 1, 3200),
	};
	struct agt_miner_cfg c = cfg_units(4, 0, 0);

	run("shed_irrevocable", &c, st, ARRAY_LEN(st));
}

struct cmd {
	uint32_t ms, dev, cap;
};

/* A seeded schedule of caps on 8 single-unit devices. */
static size_t make_schedule(struct cmd *cmds, size_t max, uint64_t seed)
{
	uint32_t t = 0;
	size_t n = 0;

	while (n < max) {
		uint32_t gap = wt_rand32(&seed) % 4 == 0 ? 6500 + wt_rand32(&seed) % 3000
							 : wt_rand32(&seed) % 700;

		t += gap;
		cmds[n].ms = t;
		cmds[n].dev = wt_rand32(&seed) % 8;
		cmds[n].cap = wt_rand32(&seed) % 2 ? UNIT_W + wt_rand32(&seed) % 1000
						   : wt_rand32(&seed) % UNIT_W;
		n++;
	}
	return n;
}

/* Same commands, sampled every 1 ms, every 7 ms, or only at the commands: same state. */
static void test_sampling_independent(void **state)
{
	struct agt_miner_cfg c = cfg_units(8, 1000, 3000);
	struct agt_backend *dense = mk(&c), *sparse = mk(&c), *coarse = mk(&c);
	struct cmd cmds[200];
	size_t n = make_schedule(cmds, ARRAY_LEN(cmds), 11);
	uint32_t ms = 0;

	for (size_t i = 0; i < n; i++) {
		struct agt_sample a, b, k;

		for (; ms < cmds[i].ms; ms++) {
			sample_at(dense, MS(ms));
			if (ms % 7 == 0) {
				sample_at(coarse, MS(ms));
			}
		}
		a = sample_at(dense, MS(ms));
		b = sample_at(sparse, MS(ms));
		k = sample_at(coarse, MS(ms));
		assert_memory_equal(&a, &b, sizeof(a));
		assert_memory_equal(&a, &k, sizeof(a));
		assert_int_equal(agt_backend_set_cap(dense, cmds[i].dev, cmds[i].cap, MS(ms)), 0);
		assert_int_equal(agt_backend_set_cap(sparse, cmds[i].dev, cmds[i].cap, MS(ms)), 0);
		assert_int_equal(agt_backend_set_cap(coarse, cmds[i].dev, cmds[i].cap, MS(ms)), 0);
	}
	agt_backend_free(dense);
	agt_backend_free(sparse);
	agt_backend_free(coarse);
}

/* Cap allowed by the commands of @dev at @t (the latest command at or before @t wins; a unit
 * starts allowed). */
static uint32_t allowed_at(const struct cmd *cmds, size_t done, uint32_t dev, int64_t t)
{
	for (size_t i = done; i-- > 0;) {
		if (cmds[i].dev == dev && (int64_t)cmds[i].ms <= t) {
			return cmds[i].cap >= UNIT_W;
		}
	}
	return 1;
}

/* Is there a down command for @dev in (@from, @to)? */
static bool down_between(const struct cmd *cmds, size_t done, uint32_t dev, int64_t from,
			 int64_t to)
{
	for (size_t i = 0; i < done; i++) {
		if (cmds[i].dev == dev && cmds[i].cap < UNIT_W && (int64_t)cmds[i].ms > from &&
		    (int64_t)cmds[i].ms < to) {
			return true;
		}
	}
	return false;
}

/* Every 1 ms over a random schedule, per unit (the model is exact, so these hold to the ms):
 *   - a drop at t: the unit was allowed off at t - shed_latency (when the shed was commanded)
 *     and had drawn power for at least min_on + shed_latency;
 *   - a rise at t: the unit was allowed on at t - restore_latency, no down command came
 *     since (it would have cancelled the restore), and it had been off for at least
 *     min_off + restore_latency.
 * After a quiet spell longer than min_on + shed + min_off + restore, every unit matches its
 * cap. */
static void test_random_no_fiction(void **state)
{
	const uint32_t shed = 200, restore = 2000, min_on = 1000, min_off = 3000;
	struct agt_miner_cfg c = cfg_units(8, min_on, min_off);
	struct agt_backend *b = mk(&c);
	struct cmd cmds[400];
	size_t n = make_schedule(cmds, ARRAY_LEN(cmds), 2024);
	int64_t rise_at[8], drop_at[8];
	uint32_t prev_w[8];
	uint32_t ms = 0, settled_checks = 0, drops = 0, rises = 0;

	for (int d = 0; d < 8; d++) {
		drop_at[d] = INT32_MIN;
		rise_at[d] = -(int64_t)min_on; /* on since before the start, eligible at once */
		prev_w[d] = UNIT_W;
	}
	for (size_t i = 0; i <= n; i++) {
		uint32_t until = i < n ? cmds[i].ms : cmds[n - 1].ms + 10000;
		uint32_t quiet = until - (i > 0 ? cmds[i - 1].ms : 0);

		for (; ms <= until; ms++) {
			struct agt_sample s = sample_at(b, MS(ms));

			for (uint32_t d = 0; d < 8; d++) {
				if (s.dev_w[d] < prev_w[d]) {
					assert_int_equal(allowed_at(cmds, i, d, (int64_t)ms - shed),
							 0);
					assert_true((int64_t)ms - rise_at[d] >= min_on + shed);
					drop_at[d] = ms;
					drops++;
				} else if (s.dev_w[d] > prev_w[d]) {
					assert_int_equal(
						allowed_at(cmds, i, d, (int64_t)ms - restore), 1);
					assert_false(down_between(cmds, i, d, (int64_t)ms - restore,
								  ms));
					assert_true((int64_t)ms - drop_at[d] >= min_off + restore);
					rise_at[d] = ms;
					rises++;
				}
				prev_w[d] = s.dev_w[d];
			}
			if (ms == until && quiet > min_on + shed + min_off + restore) {
				for (uint32_t d = 0; d < 8; d++) {
					assert_int_equal(s.dev_w[d],
							 allowed_at(cmds, i, d, ms) * UNIT_W);
				}
				settled_checks++;
			}
		}
		ms = until;
		if (i == n) {
			break;
		}
		assert_int_equal(agt_backend_set_cap(b, cmds[i].dev, cmds[i].cap, MS(ms)), 0);
		ms++;
	}
	assert_true(settled_checks > 50);
	assert_true(drops > 50 && rises > 50);
	agt_backend_free(b);
}

static void test_time_and_args(void **state)
{
	struct agt_miner_cfg c = cfg_units(4, 0, 0);
	struct agt_backend *b = mk(&c);
	struct agt_sample s;

	sample_at(b, MS(10));
	assert_int_equal(agt_backend_sample(b, MS(9), &s), -EINVAL);
	assert_int_equal(agt_backend_set_cap(b, 0, 0, MS(9)), -EINVAL);
	assert_int_equal(agt_backend_set_cap(b, 4, 0, MS(10)), -EINVAL);
	assert_int_equal(agt_backend_get_kind(b), AGT_BACKEND_MINER);
	assert_string_equal(agt_backend_get_ops(b)->name, "miner");
	agt_backend_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_validate),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_cap_to_units),
		cmocka_unit_test(test_shed_latency),
		cmocka_unit_test(test_restore_latency),
		cmocka_unit_test(test_min_off),
		cmocka_unit_test(test_min_on),
		cmocka_unit_test(test_cancel_restore),
		cmocka_unit_test(test_shed_irrevocable),
		cmocka_unit_test(test_sampling_independent),
		cmocka_unit_test(test_random_no_fiction),
		cmocka_unit_test(test_time_and_args),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
