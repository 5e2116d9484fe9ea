/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for logging, error strings and the allocator hooks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"
#include "wt_test.h"

struct capture {
	char last[WT_LOG_LINE_MAX];
	size_t len;
	int count;
};

static void capture_sink(void *arg, enum wt_log_level level, const char *line, size_t len)
{
	struct capture *c = arg;

	snprintf(c->last, sizeof(c->last), "%s", line);
	c->len = len;
	c->count++;
}

static void test_format_and_levels(void **state)
{
	struct capture c = { 0 };

	wt_log_set_sink(capture_sink, &c);
	wt_log_set_level(WT_LOG_LEVEL_INFO);
	WT_LOG_INFO("pool", "lease granted holder=%s watts=%u", "n1", 300u);
	assert_string_equal(c.last, "info pool: lease granted holder=n1 watts=300");
	WT_LOG_DEBUG("pool", "hidden");
	assert_int_equal(c.count, 1);
	assert_int_equal(wt_log_set_debug("rpc,pool"), 0);
	WT_LOG_DEBUG("pool", "shown");
	assert_int_equal(c.count, 2);
	WT_LOG_DEBUG("tier", "hidden");
	assert_int_equal(c.count, 2);
	assert_int_equal(wt_log_set_debug(""), 0);
	WT_LOG_DEBUG("pool", "hidden again");
	assert_int_equal(c.count, 2);
	wt_log_set_sink(NULL, NULL);
}

static void test_truncation(void **state)
{
	struct capture c = { 0 };
	char big[3 * WT_LOG_LINE_MAX];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wt_log_set_sink(capture_sink, &c);
	WT_LOG_WARN("t", "%s", big);
	assert_true(c.len < WT_LOG_LINE_MAX);
	assert_int_equal(strlen(c.last), c.len);
	wt_log_set_sink(NULL, NULL);
}

static void test_level_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum wt_log_level out;
	} cases[] = {
		{ "debug", 0, WT_LOG_LEVEL_DEBUG },	{ "INFO", 0, WT_LOG_LEVEL_INFO },
		{ "warning", 0, WT_LOG_LEVEL_WARN },	{ "err", 0, WT_LOG_LEVEL_ERR },
		{ "loud", -EINVAL, WT_LOG_LEVEL_INFO }, { "", -EINVAL, WT_LOG_LEVEL_INFO },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum wt_log_level lvl = WT_LOG_LEVEL_INFO;

		assert_int_equal(wt_log_level_parse(cases[i].in, &lvl), cases[i].rc);
		assert_int_equal(lvl, cases[i].out);
	}
}

static void test_strerror(void **state)
{
	assert_string_equal(wt_strerror(WT_E2BIG), "size over limit");
	assert_string_equal(wt_strerror(WT_EBUSY), "busy, retry later");
	assert_string_equal(wt_strerror(-EINVAL), strerror(EINVAL));
	assert_string_equal(wt_strerror(0), "success");
	assert_string_equal(wt_strerror(WT_ELAST), "unknown error");
	assert_string_equal(wt_strerror(12345), "unknown error");
}

static void test_mem_hooks(void **state)
{
	char *s, *t;

	wt_test_use_cmocka_alloc();
	s = wt_strdup("hello");
	t = wt_strndup("hello", 3);

	assert_string_equal(s, "hello");
	assert_string_equal(t, "hel");
	WT_FREE(s);
	assert_null(s);
	wt_free(t);
	wt_free(NULL);
	wt_mem_set_hooks(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_levels), cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_level_parse),	  cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_mem_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
