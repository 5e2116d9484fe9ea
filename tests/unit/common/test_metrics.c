/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for wt/metrics.h (common/src/metrics.c): exact Prometheus text for gauges and
 * counters, one HELP/TYPE per family, label and help escaping, number formatting, invalid names,
 * the size ceiling, and reuse of a page. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/metrics.h"
#include "wt_test.h"

static int setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

static void assert_page(struct wt_metrics *m, const char *want)
{
	const char *text;
	size_t len;

	assert_int_equal(wt_metrics_end(m, &text, &len), 0);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
}

static void test_exact_text(void **state)
{
	const struct wt_metrics_label rack_a[] = { { "rack", "rack-a" }, { NULL, NULL } };
	const struct wt_metrics_label rack_b[] = { { "rack", "rack-b" },
						   { "class", "critical" },
						   { NULL, NULL } };
	struct wt_metrics m;

	wt_metrics_init(&m, WT_METRICS_MAX_BYTES);
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "wattlease_capacity_watts", "Capacity.", NULL, 30000),
			 0);
	assert_int_equal(wt_metrics_gauge(&m, "wattlease_granted_watts", "Granted.", rack_a, 4000),
			 0);
	assert_int_equal(wt_metrics_gauge(&m, "wattlease_granted_watts", "Granted.", rack_b, 0), 0);
	assert_int_equal(wt_metrics_counter(&m, "wattlease_grants_total", "Grants.", NULL,
					    18446744073709551615ull),
			 0);
	assert_int_equal(wt_metrics_gauge(&m, "wattlease_uptime_seconds", "Uptime.", NULL, 1.5), 0);
	assert_page(&m, "# HELP wattlease_capacity_watts Capacity.\n"
			"# TYPE wattlease_capacity_watts gauge\n"
			"wattlease_capacity_watts 30000\n"
			"# HELP wattlease_granted_watts Granted.\n"
			"# TYPE wattlease_granted_watts gauge\n"
			"wattlease_granted_watts{rack=\"rack-a\"} 4000\n"
			"wattlease_granted_watts{rack=\"rack-b\",class=\"critical\"} 0\n"
			"# HELP wattlease_grants_total Grants.\n"
			"# TYPE wattlease_grants_total counter\n"
			"wattlease_grants_total 18446744073709551615\n"
			"# HELP wattlease_uptime_seconds Uptime.\n"
			"# TYPE wattlease_uptime_seconds gauge\n"
			"wattlease_uptime_seconds 1.5\n");

	/* A new page on the same buffer starts clean (families announced again). */
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "wattlease_capacity_watts", "Capacity.", NULL, 1), 0);
	assert_page(&m, "# HELP wattlease_capacity_watts Capacity.\n"
			"# TYPE wattlease_capacity_watts gauge\n"
			"wattlease_capacity_watts 1\n");
	wt_metrics_deinit(&m);
}

static void test_escaping(void **state)
{
	const struct wt_metrics_label l[] = { { "id", "a\\b\"c\nd" },
					      { "empty", "" },
					      { NULL, NULL } };
	struct wt_metrics m;

	wt_metrics_init(&m, 4096);
	wt_metrics_begin(&m);
	assert_int_equal(
		wt_metrics_gauge(&m, "x:y_z", "Help with \\ and \"quotes\"\nand a line.", l, 2), 0);
	assert_page(&m, "# HELP x:y_z Help with \\\\ and \"quotes\"\\nand a line.\n"
			"# TYPE x:y_z gauge\n"
			"x:y_z{id=\"a\\\\b\\\"c\\nd\",empty=\"\"} 2\n");
	wt_metrics_deinit(&m);
}

static void test_numbers(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 42, "42" },
		{ -7, "-7" },
		{ 0.1, "0.1" },
		{ 1e-9, "1e-09" },
		{ 123456789012345.0, "123456789012345" },
		{ 1e20, "1e+20" },
		{ 1.0 / 3.0, "0.33333333333333331" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wt_metrics m;
		const char *text;
		size_t len;
		char want[128];

		wt_metrics_init(&m, 4096);
		wt_metrics_begin(&m);
		assert_int_equal(wt_metrics_gauge(&m, "g", "h", NULL, cases[i].v), 0);
		assert_int_equal(wt_metrics_end(&m, &text, &len), 0);
		snprintf(want, sizeof(want), "# HELP g h\n# TYPE g gauge\ng %s\n", cases[i].text);
		assert_string_equal(text, want);
		wt_metrics_deinit(&m);
	}
}

static void test_errors(void **state)
{
	const struct wt_metrics_label bad_label[] = { { "1x", "v" }, { NULL, NULL } };
	const struct wt_metrics_label reserved[] = { { "__name__", "v" }, { NULL, NULL } };
	const struct wt_metrics_label colon[] = { { "a:b", "v" }, { NULL, NULL } };
	struct wt_metrics m;
	const char *text;
	size_t len;

	wt_metrics_init(&m, 4096);
	/* Empty page. */
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_end(&m, &text, &len), 0);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);

	static const char *const bad_names[] = { "", "9lives", "a-b", "a b", "caf\xc3\xa9" };

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		wt_metrics_begin(&m);
		assert_int_equal(wt_metrics_gauge(&m, bad_names[i], "h", NULL, 1), -EINVAL);
	}
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "g", "h", bad_label, 1), -EINVAL);
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "g", "h", reserved, 1), -EINVAL);
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "g", "h", colon, 1), -EINVAL);
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "g", NULL, NULL, 1), -EINVAL);
	/* Counters end in _total. */
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_counter(&m, "wattlease_grants", "h", NULL, 1), -EINVAL);
	/* The first error sticks: later good samples do not clear it. */
	assert_int_equal(wt_metrics_counter(&m, "ok_total", "h", NULL, 1), -EINVAL);
	assert_int_equal(wt_metrics_end(&m, &text, &len), -EINVAL);
	assert_null(text);
	assert_int_equal(len, 0);
	wt_metrics_deinit(&m);

	/* The ceiling. */
	wt_metrics_init(&m, 64);
	wt_metrics_begin(&m);
	assert_int_equal(wt_metrics_gauge(&m, "g", "h", NULL, 1), 0);
	assert_int_equal(wt_metrics_gauge(&m, "a_rather_long_metric_name_that_does_not_fit", "help",
					  NULL, 1),
			 WT_E2BIG);
	assert_int_equal(wt_metrics_end(&m, &text, &len), WT_E2BIG);
	wt_metrics_deinit(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
