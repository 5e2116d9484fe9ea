/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay sources: bad traces are refused with file, line and reason before anything
 * runs; the arrivals and Zeus decoders; the synthetic training swing's levels and correlation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sources.h"
#include "wt/err.h"
#include "wt_proc.h"
#include "wt_test.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	wt_test_use_cmocka_alloc();
	return wt_proc_tmpdir(dir, sizeof(dir), "replay-src");
}

static int teardown(void **state)
{
	(void)state;
	wt_proc_rmtree(dir);
	return 0;
}

static void put(const char *name, const char *text)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A one-node scenario replaying @trace; returns rp_demand_build()'s code and its message. */
static int build(const char *trace, char *err, size_t errlen)
{
	char y[600];
	struct rp_scenario s = { 0 };
	struct rp_demand d = { 0 };
	struct wt_cfg_errors errs;
	int rc;

	snprintf(y, sizeof(y),
		 "duration: 1s\nracks:\n  - {id: r, limit_w: 5kW, floor_w: 1kW, nodes: [{id: r/n, "
		 "trace: %s, floor_w: 1kW}]}\n",
		 trace);
	assert_int_equal(rp_scenario_load_buffer("s.yaml", dir, y, strlen(y), &s, &errs), 0);
	rc = rp_demand_build(&s, &d, err, errlen);
	if (rc == 0) {
		assert_int_equal(d.n_steps, 10);
		assert_float_equal(rp_demand_w(&d, 0, 0), 400, 1e-9);
		assert_float_equal(rp_demand_w(&d, 0, 1), 500, 1e-9);
		rp_demand_deinit(&d);
	}
	rp_scenario_free(&s);
	return rc;
}

static void test_trace_refusals(void **state)
{
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
		{ "nocol.csv", "relative_time_s\n0.0\n",
		  ":1: missing header column 'power_total_W'" },
		{ "order.csv", "relative_time_s,power_total_W\n0.0,400\n0.2,500\n0.1,450\n",
		  ":4: relative_time_s '0.1' not after the previous row" },
		{ "nan.csv", "relative_time_s,power_total_W\n0.0,400\n0.1,nan\n", ":3:" },
		{ "neg.csv", "relative_time_s,power_total_W\n0.0,400\n0.1,-5\n",
		  ":3: negative power_total_W '-5'" },
		{ "short.csv", "relative_time_s,power_total_W\n0.0,400\n0.1\n", ":3:" },
	};

	char err[256];

	(void)state;
	put("ok.csv", "relative_time_s,power_total_W\n0.0,400\n0.1,500\n0.2,600\n");
	assert_int_equal(build("ok.csv", err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(cases[i].name, cases[i].text);
		err[0] = '\0';
		assert_true(build(cases[i].name, err, sizeof(err)) < 0);
		if (strstr(err, cases[i].want) == NULL || strstr(err, cases[i].name) == NULL) {
			fail_msg("%s: got '%s', want the file name and '%s'", cases[i].name, err,
				 cases[i].want);
		}
	}
	assert_true(build("missing.csv", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "missing.csv: cannot open"));
}

static void test_arrivals(void **state)
{
	static const char ok[] = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
				 "2023-11-16 18:17:00.0000000,10,1\n"
				 "2023-11-16 18:17:01.5000000,10,1\n"
				 "2023-11-16 18:17:01.5000000,10,1\n"
				 "2023-11-16 18:17:10,10,1\n";

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "TIMESTAMP,ContextTokens\n2023-11-16 18:17:00,1\n",
		  "a.csv:1: missing or wrong header" },
		{ "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:02,1,1\n"
		  "2023-11-16 18:17:01,1,1\n",
		  "a.csv:3: TIMESTAMP '2023-11-16 18:17:01' is before the previous row" },
		{ "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:02,1\n",
		  "a.csv:2: want 3 columns" },
		{ "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-16 18:17:02,1,1\n",
		  "a.csv:2: TIMESTAMP" },
		{ "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:02,-1,1\n",
		  "a.csv:2: token counts" },
		{ "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:02,1,1\n",
		  "needs at least two arrivals" },
	};
	struct rp_arrivals a = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(rp_arrivals_parse("a.csv", ok, sizeof(ok) - 1, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 4);
	assert_float_equal(a.span_s, 10, 1e-9);
	assert_float_equal(a.mean_rate, 0.4, 1e-9);
	assert_float_equal(a.t_s[1], 1.5, 1e-6);
	/* [0.5, 2.5): the two at 1.5 s. */
	assert_float_equal(rp_arrivals_rate(&a, 1.5, 2), 1.0, 1e-9);
	/* Wraps: [9, 11) = [9, 10) + [0, 1): the first arrival only (10 s is the span's end). */
	assert_float_equal(rp_arrivals_rate(&a, 10, 2), 0.5, 1e-9);
	rp_arrivals_deinit(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_true(rp_arrivals_parse("a.csv", bad[i].text, strlen(bad[i].text), &a, err,
					      sizeof(err)) < 0);
		if (strstr(err, bad[i].want) == NULL) {
			fail_msg("case %zu: got '%s', want '%s'", i, err, bad[i].want);
		}
	}
}

static void test_arrivals_shared_file(void **state)
{
	struct rp_arrivals a = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(rp_arrivals_load(WT_TEST_DATA_DIR
					  "/azure-llm-inference-2023/"
					  "AzureLLMInferenceTrace_code_first1500.csv",
					  &a, err, sizeof(err)),
			 0);
	assert_int_equal(a.n, 1500);
	assert_float_equal(a.span_s, 604.2, 0.1);
	rp_arrivals_deinit(&a);
}

static void test_zeus(void **state)
{
	struct rp_zeus z = { 0 };
	char err[256];
	static const char bad[] =
		"dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n"
		"a,b,1,o,100,nan,50\n";

	(void)state;
	assert_int_equal(rp_zeus_load(WT_TEST_DATA_DIR "/zeus-power-limit-profiles/"
						       "summary_power_a40.csv",
				      "imagenet/resnet50/128/adadelta", &z, err, sizeof(err)),
			 0);
	assert_int_equal(z.n, 9);
	/* The top row (300 W limit, 244.3 W, 3739.5 s) is the reference; the lowest is
	 * 114.7 W at 11009.39 s: 0.470 of the power does 0.340 of the work. */
	assert_float_equal(z.power_frac[z.n - 1], 1.0, 1e-12);
	assert_float_equal(z.power_frac[0], 114.70916054489874 / 244.26058546458663, 1e-9);
	assert_float_equal(z.work_frac[0], 3739.5 / 11009.39, 1e-9);
	assert_float_equal(rp_zeus_work_frac(&z, 1.0), 1.0, 1e-12);
	assert_float_equal(rp_zeus_work_frac(&z, 0.0), 0.0, 1e-12);
	assert_float_equal(rp_zeus_work_frac(&z, z.power_frac[0] / 2), z.work_frac[0] / 2, 1e-9);
	assert_true(rp_zeus_work_frac(&z, 0.8) < 1.0);
	assert_true(rp_zeus_work_frac(&z, 0.8) > rp_zeus_work_frac(&z, 0.6));
	assert_true(rp_zeus_parse("z.csv", bad, sizeof(bad) - 1, "a/b/1/o", &z, err, sizeof(err)) <
		    0);
	assert_non_null(strstr(err, "z.csv:2:"));
	assert_true(rp_zeus_load(WT_TEST_DATA_DIR "/zeus-power-limit-profiles/"
						  "summary_power_a40.csv",
				 "no/such/1/x", &z, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "no rows for workload"));
}

static void test_training(void **state)
{
	struct rp_training_cfg c = { .low_w = 120,
				     .high_w = 540,
				     .high_ms = 47000,
				     .low_ms = 22000,
				     .correlation = 0.995,
				     .jitter_ms = 200,
				     .seed = 7 };
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, hi = 0, lo = 0;
	size_t n = 0, nh = 0, nl = 0;

	(void)state;
	/* 20 cycles sampled every 100 ms; two workers of one job. */
	for (uint64_t t = 0; t < 20 * 69000; t += 100) {
		double x = rp_training_gpu_w(&c, 1, t), y = rp_training_gpu_w(&c, 2, t);

		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
		n++;
		if (t % 69000 > 1000 && t % 69000 < 46000) {
			hi += x;
			nh++;
		} else if (t % 69000 > 48000 && t % 69000 < 68000) {
			lo += x;
			nl++;
		}
	}
	{
		double cov = sxy / n - (sx / n) * (sy / n);
		double r = cov /
			   sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));

		assert_true(r > 0.99);
		assert_true(r < 0.999);
	}
	assert_float_equal(hi / nh, 540, 3);
	assert_float_equal(lo / nl, 120, 3);
	/* A node is the sum of its workers, deterministic in time. */
	assert_float_equal(rp_training_node_w(&c, 8, 3, 12345), rp_training_node_w(&c, 8, 3, 12345),
			   0);
	assert_float_equal(rp_training_node_w(&c, 8, 3, 10000), 8 * 540, 8 * 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trace_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrivals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrivals_shared_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_training, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
