/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the config loader (common/src/cfg.c, cfg_yaml.c) against the sample schema in
 * tests/harness/cfg_sample.h. Error messages are compared verbatim: they are what operators
 * read, so a change to one should be a deliberate change to a test. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_sample.h"
#include "wt/cfg.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Two lines every case that should get past the required keys starts with. */
#define BASE "listen: \":7000\"\nbudget_w: 50kW\n"

static int load(const char *yaml, struct sample_cfg *out, struct wt_cfg_errors *errs)
{
	return wt_cfg_load_buffer("rack.yaml", yaml, strlen(yaml), sample_keys, out, sizeof(*out),
				  sample_validate, NULL, errs);
}

static const char *err_str(const struct wt_cfg_errors *errs, size_t i)
{
	static char buf[1024];

	assert_true(i < errs->count);
	wt_cfg_error_str(&errs->e[i], buf, sizeof(buf));
	return buf;
}

static int setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

static int teardown(void **state)
{
	wt_mem_set_hooks(NULL);
	return 0;
}

static void test_valid_full(void **state)
{
	static const char yaml[] = "# rack 7\n"
				   "listen: \"[::]:7000\"\n"
				   "name: r7\n"
				   "mode: nvml\n"
				   "budget_w: 1.5MW\n"
				   "lease_ms: 1.5s\n"
				   "dry_run: true\n"
				   "priority: -7\n"
				   "max_sessions: 128\n"
				   "seed: 9223372036854775807\n"
				   "breaker:\n"
				   "  rating_a: 630\n"
				   "  derate: 0.95\n"
				   "children:\n"
				   "  - id: n1\n"
				   "    floor_w: 0.3kW\n"
				   "    ceiling_w: 2kW\n"
				   "    critical: true\n"
				   "  - {id: n2}\n"
				   "peers: [a, \"b c\"]\n";
	struct sample_cfg c;
	struct wt_cfg_errors errs;

	assert_int_equal(load(yaml, &c, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_string_equal(c.listen, "[::]:7000");
	assert_string_equal(c.name, "r7");
	assert_int_equal(c.mode, SAMPLE_MODE_NVML);
	assert_int_equal(c.budget_w, 1500000);
	assert_int_equal(c.lease_ms, 1500);
	assert_true(c.dry_run);
	assert_int_equal(c.priority, -7);
	assert_int_equal(c.max_sessions, 128);
	assert_true(c.seed == INT64_MAX);
	assert_int_equal(c.breaker.rating_a, 630);
	assert_int_equal(c.breaker.trip_ms, 2000); /* default inside a present map */
	assert_true(c.breaker.derate == 0.95);
	assert_int_equal(c.n_children, 2);
	assert_string_equal(c.children[0].id, "n1");
	assert_int_equal(c.children[0].floor_w, 300);
	assert_int_equal(c.children[0].ceiling_w, 2000);
	assert_true(c.children[0].critical);
	assert_string_equal(c.children[1].id, "n2");
	assert_int_equal(c.children[1].floor_w, 0); /* defaults inside list items */
	assert_int_equal(c.children[1].ceiling_w, 10000);
	assert_false(c.children[1].critical);
	assert_int_equal(c.n_peers, 2);
	assert_string_equal(c.peers[0], "a");
	assert_string_equal(c.peers[1], "b c");
	wt_cfg_free(sample_keys, &c);
	assert_null(c.listen);
	assert_null(c.children);
	assert_int_equal(c.n_children, 0);
	wt_cfg_free(sample_keys, &c); /* twice is safe */
}

static void test_defaults(void **state)
{
	struct sample_cfg c;
	struct wt_cfg_errors errs;

	assert_int_equal(load(BASE, &c, &errs), 0);
	assert_string_equal(c.listen, ":7000");
	assert_string_equal(c.name, "rack");
	assert_int_equal(c.mode, SAMPLE_MODE_SIM);
	assert_int_equal(c.budget_w, 50000);
	assert_int_equal(c.lease_ms, 2000);
	assert_false(c.dry_run);
	assert_int_equal(c.priority, 0);
	assert_int_equal(c.max_sessions, 64);
	assert_int_equal(c.seed, 42);
	assert_int_equal(c.breaker.rating_a, 400);
	assert_int_equal(c.breaker.trip_ms, 2000);
	assert_true(c.breaker.derate == 0.8);
	assert_null(c.children);
	assert_int_equal(c.n_children, 0);
	assert_null(c.peers);
	assert_int_equal(c.n_peers, 0);
	wt_cfg_free(sample_keys, &c);
}

/* Each case: the input, how many errors, the first error as printed, and its key path. */
static const struct err_case {
	const char *what;
	const char *yaml;
	size_t count;
	const char *first;
	const char *key;
} err_cases[] = {
	{ "range", BASE "breaker:\n  rating_a: 5000\n", 1,
	  "rack.yaml:4: key 'breaker.rating_a' = 5000 is out of range [1, 4000]",
	  "breaker.rating_a" },
	{ "unknown nested key", BASE "breaker:\n  ratng_a: 5\n", 1,
	  "rack.yaml:4: unknown key 'breaker.ratng_a' (did you mean 'rating_a'? allowed here: "
	  "rating_a, trip_ms, derate)",
	  "breaker.ratng_a" },
	{ "unknown top key", BASE "bogus: 1\n", 1,
	  "rack.yaml:3: unknown key 'bogus' (allowed here: listen, name, mode, budget_w, lease_ms, "
	  "dry_run, priority, max_sessions, seed, breaker, children, peers)",
	  "bogus" },
	{ "duplicate key", BASE "listen: x\n", 1,
	  "rack.yaml:3: duplicate key 'listen' (first on line 1)", "listen" },
	{ "duplicate nested key", BASE "children:\n  - id: a\n    floor_w: 1\n    id: b\n", 1,
	  "rack.yaml:6: duplicate key 'children[0].id' (first on line 4)", "children[0].id" },
	{ "u32 not a number", BASE "max_sessions: abc\n", 1,
	  "rack.yaml:3: key 'max_sessions' = abc is not valid (expected an integer in [1, 1024])",
	  "max_sessions" },
	{ "u32 quoted", BASE "max_sessions: \"abc\"\n", 1,
	  "rack.yaml:3: key 'max_sessions' = \"abc\" is not valid (expected an integer in "
	  "[1, 1024])",
	  "max_sessions" },
	{ "u32 negative", BASE "max_sessions: -5\n", 1,
	  "rack.yaml:3: key 'max_sessions' = -5 is out of range [1, 1024]", "max_sessions" },
	{ "u32 exponent", BASE "max_sessions: 1e20\n", 1,
	  "rack.yaml:3: key 'max_sessions' = 1e20 is not valid (expected an integer in [1, 1024])",
	  "max_sessions" },
	{ "u32 overflow", BASE "max_sessions: 99999999999999999999\n", 1,
	  "rack.yaml:3: key 'max_sessions' = 99999999999999999999 is out of range [1, 1024]",
	  "max_sessions" },
	{ "i64 range", BASE "priority: -101\n", 1,
	  "rack.yaml:3: key 'priority' = -101 is out of range [-100, 100]", "priority" },
	{ "u64 over int64", BASE "seed: 9223372036854775808\n", 1,
	  "rack.yaml:3: key 'seed' = 9223372036854775808 is out of range [0, 9223372036854775807]",
	  "seed" },
	{ "double range", BASE "breaker: {derate: 2}\n", 1,
	  "rack.yaml:3: key 'breaker.derate' = 2 is out of range [0.5, 1]", "breaker.derate" },
	{ "double nan", BASE "breaker: {derate: .nan}\n", 1,
	  "rack.yaml:3: key 'breaker.derate' = .nan is not valid (expected a number in [0.5, 1])",
	  "breaker.derate" },
	{ "double overflow", BASE "breaker: {derate: 1e999}\n", 1,
	  "rack.yaml:3: key 'breaker.derate' = 1e999 is out of range [0.5, 1]", "breaker.derate" },
	{ "bool yes", BASE "dry_run: yes\n", 1,
	  "rack.yaml:3: key 'dry_run' = yes is not valid (expected true or false)", "dry_run" },
	{ "enum", BASE "mode: fast\n", 1,
	  "rack.yaml:3: key 'mode' = fast is not valid (expected one of: sim, trace, nvml)",
	  "mode" },
	{ "watts unit", "listen: x\nbudget_w: 5kw\n", 1,
	  "rack.yaml:2: key 'budget_w' = 5kw has an unknown unit (expected a power in [1kW, 10MW]; "
	  "units: W, kW, MW, GW)",
	  "budget_w" },
	{ "watts fraction", "listen: x\nbudget_w: 1500.5W\n", 1,
	  "rack.yaml:2: key 'budget_w' = 1500.5W is not a whole number of watts (expected a power "
	  "in [1kW, 10MW])",
	  "budget_w" },
	{ "watts range", "listen: x\nbudget_w: 11MW\n", 1,
	  "rack.yaml:2: key 'budget_w' = 11MW is out of range [1kW, 10MW]", "budget_w" },
	{ "duration range", BASE "lease_ms: 2h\n", 1,
	  "rack.yaml:3: key 'lease_ms' = 2h is out of range [100ms, 1h]", "lease_ms" },
	{ "duration fraction", BASE "lease_ms: 0.1005s\n", 1,
	  "rack.yaml:3: key 'lease_ms' = 0.1005s is not a whole number of milliseconds (expected "
	  "a duration in [100ms, 1h])",
	  "lease_ms" },
	{ "no value", "listen: x\nbudget_w:\n", 1,
	  "rack.yaml:2: key 'budget_w' has no value (expected a power in [1kW, 10MW])",
	  "budget_w" },
	{ "null map", BASE "breaker: ~\n", 1,
	  "rack.yaml:3: key 'breaker' has no value (expected a map)", "breaker" },
	{ "scalar for map", BASE "breaker: 5\n", 1,
	  "rack.yaml:3: key 'breaker' is a string (expected a map)", "breaker" },
	{ "list for string", "listen: [1]\nbudget_w: 50kW\n", 1,
	  "rack.yaml:1: key 'listen' is a list (expected a string of [1, 64] bytes)", "listen" },
	{ "string too long",
	  "listen: \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	  "budget_w: 50kW\n",
	  1, "rack.yaml:1: key 'listen' is 70 bytes long (expected a string of [1, 64] bytes)",
	  "listen" },
	{ "string empty", "listen: \"\"\nbudget_w: 50kW\n", 1,
	  "rack.yaml:1: key 'listen' is 0 bytes long (expected a string of [1, 64] bytes)",
	  "listen" },
	{ "list over ceiling",
	  BASE "children: [{id: a}, {id: b}, {id: c}, {id: d}, {id: e}, {id: f}, {id: g}, {id: h},"
	       " {id: i}]\n",
	  1, "rack.yaml:3: key 'children' has 9 items (expected a list of [0, 8] maps)",
	  "children" },
	{ "strlist over ceiling", BASE "peers: [a, b, c, d, e]\n", 1,
	  "rack.yaml:3: key 'peers' has 5 items (expected a list of [0, 4] strings of at most 32 "
	  "bytes)",
	  "peers" },
	{ "strlist item too long", BASE "peers: [a, 0123456789012345678901234567890123456789]\n", 1,
	  "rack.yaml:3: key 'peers[1]' is 40 bytes long (expected a string of at most 32 bytes)",
	  "peers[1]" },
	{ "strlist item map", BASE "peers:\n  - a\n  - {x: 1}\n", 1,
	  "rack.yaml:5: key 'peers[1]' is a map (expected a string of at most 32 bytes)",
	  "peers[1]" },
	{ "list item not a map", BASE "children:\n  - a\n", 1,
	  "rack.yaml:4: key 'children[0]' is a string (expected a map)", "children[0]" },
	{ "list item missing required", BASE "children:\n  - id: a\n  - floor_w: 5\n", 1,
	  "rack.yaml:5: missing required key 'children[1].id'", "children[1].id" },
	{ "list item bad field", BASE "children:\n  - id: a\n    ceiling_w: 0\n", 1,
	  "rack.yaml:5: key 'children[0].ceiling_w' = 0 is out of range [1W, 100kW]",
	  "children[0].ceiling_w" },
	{ "missing required", "{}", 2, "rack.yaml:1: missing required key 'listen'", "listen" },
	{ "empty file", "", 1,
	  "rack.yaml: file is empty (expected a map; write {} to use every default)", "" },
	{ "comments only", "# nothing\n\n", 1,
	  "rack.yaml: file is empty (expected a map; write {} to use every default)", "" },
	{ "empty document", "---\n", 1,
	  "rack.yaml:2: file is empty (expected a map; write {} to use every default)", "" },
	{ "top-level list", "- a\n- b\n", 1, "rack.yaml:1: top level is a list (expected a map)",
	  "" },
	{ "top-level scalar", "hello\n", 1, "rack.yaml:1: top level is a string (expected a map)",
	  "" },
	{ "unclosed bracket", BASE "peers: [a, b\n", 1,
	  "rack.yaml:4: YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
	  "sequence at line 3)",
	  "" },
	{ "tab indentation", BASE "breaker:\n\trating_a: 5\n", 1,
	  "rack.yaml:4: YAML syntax error: tab character (indent with spaces, tabs are not allowed "
	  "in YAML indentation)",
	  "" },
	{ "bad indentation", BASE "breaker:\n  rating_a: 5\n derate: 1\n", 1,
	  "rack.yaml:5: YAML syntax error: did not find expected key (while parsing a block "
	  "mapping at line 1)",
	  "" },
	{ "anchor", BASE "name: &n r7\n", 1,
	  "rack.yaml:3: anchors and aliases are not supported (found anchor '&n')", "" },
	{ "alias", BASE "name: *n\n", 1,
	  "rack.yaml:3: anchors and aliases are not supported (found alias '*n')", "" },
	{ "tag", BASE "name: !!str r7\n", 1,
	  "rack.yaml:3: YAML tags are not supported (found tag 'tag:yaml.org,2002:str')", "" },
	{ "two documents", BASE "---\nlisten: y\n", 1,
	  "rack.yaml:3: more than one YAML document (remove the second '---')", "" },
	{ "complex key", BASE "? [a]\n: 1\n", 1,
	  "rack.yaml:3: map keys must be plain strings, not a list", "" },
	{ "NUL in value", BASE "name: \"a\\0b\"\n", 1,
	  "rack.yaml:3: value contains a NUL character", "" },
	{ "bad UTF-8", BASE "name: \xff\n", 1,
	  "rack.yaml:3: invalid input: invalid leading UTF-8 octet at byte 37", "" },
	{ "depth", "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n", 1,
	  "rack.yaml:1: maps and lists nested deeper than 32 levels", "" },
	{ "control characters are not echoed", BASE "\"bo\\ngus\": 1\n", 1,
	  "rack.yaml:3: unknown key 'bo?gus' (allowed here: listen, name, mode, budget_w, "
	  "lease_ms, dry_run, priority, max_sessions, seed, breaker, children, peers)",
	  "bo?gus" },
	{ "long value is cut",
	  BASE "max_sessions: 1234567890123456789012345678901234567890123456789x\n", 1,
	  "rack.yaml:3: key 'max_sessions' = 123456789012345678901234567890123456789012345678... "
	  "is "
	  "not valid (expected an integer in [1, 1024])",
	  "max_sessions" },
	/* Cross-field errors from the callback carry the line of the key they name. */
	{ "validate callback",
	  "listen: x\n"
	  "budget_w: 1kW\n"
	  "children:\n"
	  "  - id: a\n"
	  "    floor_w: 800W\n"
	  "    ceiling_w: 700W\n"
	  "  - id: a\n"
	  "    floor_w: 500\n",
	  3, "rack.yaml:5: key 'children[0].floor_w': floor 800W is above ceiling_w 700W",
	  "children[0].floor_w" },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		const struct err_case *tc = &err_cases[i];
		struct sample_cfg c;
		struct wt_cfg_errors errs;
		int rc;

		rc = load(tc->yaml, &c, &errs);
		if (rc != WT_ECONFIG || errs.count != tc->count ||
		    strcmp(err_str(&errs, 0), tc->first) != 0 ||
		    strcmp(errs.e[0].key, tc->key) != 0) {
			print_error("case '%s': rc=%d count=%zu\n", tc->what, rc, errs.count);
			wt_cfg_errors_print(&errs, stderr);
		}
		assert_int_equal(rc, WT_ECONFIG);
		assert_int_equal(errs.count, tc->count);
		assert_string_equal(err_str(&errs, 0), tc->first);
		assert_string_equal(errs.e[0].key, tc->key);
		assert_string_equal(errs.e[0].file, "rack.yaml");
	}
}

static void test_all_errors_reported(void **state)
{
	static const char yaml[] = "listen: x\n"
				   "budget_w: 1kW\n"
				   "children:\n"
				   "  - id: a\n"
				   "    floor_w: 800W\n"
				   "    ceiling_w: 700W\n"
				   "  - id: a\n"
				   "    floor_w: 500\n";
	static const char bad[] = "max_sessions: 0\n"
				  "mode: x\n"
				  "breaker: {rating_a: 0, trip_ms: 1ms}\n";
	struct sample_cfg c;
	struct wt_cfg_errors errs;

	assert_int_equal(load(yaml, &c, &errs), WT_ECONFIG);
	assert_int_equal(errs.count, 3);
	assert_string_equal(err_str(&errs, 1),
			    "rack.yaml:7: key 'children[1].id': 'a' is also children[0].id");
	assert_string_equal(err_str(&errs, 2), "rack.yaml:2: key 'budget_w': 1000W is less than "
					       "the sum of the floors (1300W)");

	/* Schema errors are collected too, and the callback does not run after them. */
	assert_int_equal(load(bad, &c, &errs), WT_ECONFIG);
	assert_int_equal(errs.count, 6);
	assert_string_equal(err_str(&errs, 0),
			    "rack.yaml:1: key 'max_sessions' = 0 is out of range [1, 1024]");
	assert_string_equal(err_str(&errs, 2),
			    "rack.yaml:3: key 'breaker.rating_a' = 0 is out of range [1, 4000]");
	assert_string_equal(err_str(&errs, 3),
			    "rack.yaml:3: key 'breaker.trip_ms' = 1ms is out of range [10ms, 1m]");
	assert_string_equal(err_str(&errs, 4), "rack.yaml:1: missing required key 'listen'");
	assert_string_equal(err_str(&errs, 5), "rack.yaml:1: missing required key 'budget_w'");
}

static void test_error_ceiling(void **state)
{
	char yaml[4096];
	size_t used = 0;
	struct sample_cfg c;
	struct wt_cfg_errors errs;
	FILE *f;
	char out[8192];

	used += (size_t)snprintf(yaml + used, sizeof(yaml) - used, BASE);
	for (int i = 0; i < 30; i++) {
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used, "bogus%d: 1\n", i);
	}
	assert_int_equal(load(yaml, &c, &errs), WT_ECONFIG);
	assert_int_equal(errs.count, WT_CFG_ERRORS_MAX);
	assert_int_equal(errs.dropped, 30 - WT_CFG_ERRORS_MAX);
	f = fmemopen(out, sizeof(out), "w");
	assert_non_null(f);
	assert_int_equal(wt_cfg_errors_print(&errs, f), 0);
	fclose(f);
	assert_non_null(strstr(out, "rack.yaml:3: unknown key 'bogus0'"));
	assert_non_null(strstr(out, "\n... and 10 more errors\n"));
}

/* A failed load leaves the output struct byte for byte as it was. */
static void test_unchanged_on_error(void **state)
{
	static const char *const bad[] = {
		BASE "breaker:\n  rating_a: 5000\n",
		BASE "children: [{id: a}, {id: b, floor_w: x}]\n",
		BASE "peers: [a, b, 0123456789012345678901234567890123456789]\n",
		"listen: x\nbudget_w: 1kW\nchildren: [{id: a, floor_w: 2kW}]\n", /* callback */
		BASE "peers: [a, b\n",
		"",
	};
	struct sample_cfg c, before;
	struct wt_cfg_errors errs;

	memset(&c, 0xa5, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(load(bad[i], &c, &errs), WT_ECONFIG);
		assert_true(errs.count > 0);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static int fail_validate(struct wt_cfg_ctx *ctx, const void *cfg, void *arg)
{
	int *calls = arg;

	(*calls)++;
	return WT_ENOCAP;
}

static int path_validate(struct wt_cfg_ctx *ctx, const void *cfg, void *arg)
{
	/* Paths that are absent from the file fall back to the nearest ancestor's line. */
	wt_cfg_error(ctx, "breaker.trip_ms", "default used");
	wt_cfg_error(ctx, "children[5].id", "no such item");
	wt_cfg_error(ctx, "children[1].floor_w", "defaulted field");
	wt_cfg_error(ctx, "nope.x[3]", "not in the file");
	wt_cfg_error(ctx, NULL, "whole file: %d", 7);
	return 0;
}

static void test_validate_callback(void **state)
{
	static const char yaml[] = BASE "breaker:\n"
					"  rating_a: 5\n"
					"children:\n"
					"  - id: a\n"
					"  - id: b\n";
	struct sample_cfg c;
	struct wt_cfg_errors errs;
	int calls = 0;

	assert_int_equal(wt_cfg_load_buffer("r.yaml", yaml, strlen(yaml), sample_keys, &c,
					    sizeof(c), fail_validate, &calls, &errs),
			 WT_ECONFIG);
	assert_int_equal(calls, 1);
	assert_int_equal(errs.count, 1);
	assert_string_equal(err_str(&errs, 0), "r.yaml: configuration rejected (no headroom)");

	assert_int_equal(wt_cfg_load_buffer("r.yaml", yaml, strlen(yaml), sample_keys, &c,
					    sizeof(c), path_validate, NULL, &errs),
			 WT_ECONFIG);
	assert_int_equal(errs.count, 5);
	assert_string_equal(err_str(&errs, 0), "r.yaml:3: key 'breaker.trip_ms': default used");
	assert_string_equal(err_str(&errs, 1), "r.yaml:5: key 'children[5].id': no such item");
	assert_string_equal(err_str(&errs, 2),
			    "r.yaml:7: key 'children[1].floor_w': defaulted field");
	assert_string_equal(err_str(&errs, 3), "r.yaml:1: key 'nope.x[3]': not in the file");
	assert_string_equal(err_str(&errs, 4), "r.yaml: whole file: 7");
	assert_string_equal(errs.e[4].key, "");
}

/* Units, through a schema with the widest ranges so that only syntax is tested. */
struct units_cfg {
	uint64_t w;
	uint32_t ms;
};

static const struct wt_cfg_key units_keys[] = {
	WT_CFG_WATTS("w", struct units_cfg, w, 0, INT64_MAX, 0, 0, NULL),
	WT_CFG_DURATION_MS("ms", struct units_cfg, ms, 0, UINT32_MAX, 0, 0, NULL),
	WT_CFG_END,
};

static void test_units(void **state)
{
	static const struct {
		const char *key;
		const char *in;
		uint64_t want;	 /* when err is NULL */
		const char *err; /* substring of the error */
	} cases[] = {
		{ "w", "700", 700, NULL },
		{ "w", "700W", 700, NULL },
		{ "w", "1.5kW", 1500, NULL },
		{ "w", "0.05kW", 50, NULL },
		{ "w", ".5kW", 500, NULL },
		{ "w", "5.kW", 5000, NULL },
		{ "w", "+5W", 5, NULL },
		{ "w", "2MW", 2000000, NULL },
		{ "w", "1.25GW", 1250000000, NULL },
		{ "w", "0", 0, NULL },
		{ "w", "0.000kW", 0, NULL },
		{ "w", "1.000000000000000000000000000kW", 1000, NULL },
		{ "w", "0.000000000000000000001GW", 0, "not a whole number of watts" },
		{ "w", "9223372036854775807", INT64_MAX, NULL },
		{ "w", "9223372036854775808", 0, "out of range [0W, 9223372036854775807W]" },
		{ "w", "18446744073709551616", 0, "out of range" },
		{ "w", "10000000000GW", 0, "out of range" },
		{ "w", "1.5", 0, "not a whole number of watts" },
		{ "w", "0.5W", 0, "not a whole number of watts" },
		{ "w", "0.0005kW", 0, "not a whole number of watts" },
		{ "w", "-5W", 0, "= -5W is out of range [0W, 9223372036854775807W]" },
		{ "w", "5kw", 0, "has an unknown unit" },
		{ "w", "5mW", 0, "has an unknown unit" },
		{ "w", "5 kW", 0, "has an unknown unit" },
		{ "w", "5WW", 0, "has an unknown unit" },
		{ "w", "1e3W", 0, "has an unknown unit" },
		{ "w", "kW", 0, "is not valid (expected a power in" },
		{ "w", ".W", 0, "is not valid" },
		{ "w", "\"-\"", 0, "is not valid" },
		{ "w", "+", 0, "is not valid" },
		{ "w", "\"\"", 0, "is not valid" },
		{ "ms", "1500", 1500, NULL },
		{ "ms", "150ms", 150, NULL },
		{ "ms", "2s", 2000, NULL },
		{ "ms", "1.5s", 1500, NULL },
		{ "ms", "0.001s", 1, NULL },
		{ "ms", "1.0010s", 1001, NULL },
		{ "ms", "1.5m", 90000, NULL },
		{ "ms", "1h", 3600000, NULL },
		{ "ms", "4294967295", UINT32_MAX, NULL },
		{ "ms", "4294967296", 0, "out of range [0ms, 4294967295ms]" },
		{ "ms", "0.5ms", 0, "not a whole number of milliseconds" },
		{ "ms", "1.0005s", 0, "not a whole number of milliseconds" },
		{ "ms", "1.5", 0, "not a whole number of milliseconds" },
		{ "ms", "2d", 0,
		  "has an unknown unit (expected a duration in [0ms, 4294967295ms]; "
		  "units: ms, s, m, h)" },
		{ "ms", "2S", 0, "has an unknown unit" },
		{ "ms", "2us", 0, "has an unknown unit" },
		{ "ms", "s", 0, "is not valid" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct units_cfg u = { 0 };
		struct wt_cfg_errors errs;
		char yaml[128];
		int rc;

		snprintf(yaml, sizeof(yaml), "%s: %s\n", cases[i].key, cases[i].in);
		rc = wt_cfg_load_buffer("u.yaml", yaml, strlen(yaml), units_keys, &u, sizeof(u),
					NULL, NULL, &errs);
		if (cases[i].err == NULL) {
			if (rc != 0) {
				print_error("case '%s': %s\n", cases[i].in, err_str(&errs, 0));
			}
			assert_int_equal(rc, 0);
			assert_true((cases[i].key[0] == 'w' ? u.w : u.ms) == cases[i].want);
			continue;
		}
		if (rc != WT_ECONFIG || strstr(err_str(&errs, 0), cases[i].err) == NULL) {
			print_error("case '%s': rc=%d %s\n", cases[i].in, rc,
				    errs.count > 0 ? err_str(&errs, 0) : "");
		}
		assert_int_equal(rc, WT_ECONFIG);
		assert_int_equal(errs.count, 1);
		assert_non_null(strstr(err_str(&errs, 0), cases[i].err));
	}
}

static void test_file(void **state)
{
	static const char yaml[] = BASE "breaker:\n  rating_a: 5000\n";
	char path[] = "/tmp/wt_test_cfg_XXXXXX";
	struct sample_cfg c;
	struct wt_cfg_errors errs;
	char want[256];
	int fd;

	/* Not found: the path and the errno text. */
	assert_int_equal(wt_cfg_load_file("/nonexistent/rack.yaml", sample_keys, &c, sizeof(c),
					  NULL, NULL, &errs),
			 -ENOENT);
	assert_int_equal(errs.count, 1);
	snprintf(want, sizeof(want), "/nonexistent/rack.yaml: cannot open file (%s)",
		 strerror(ENOENT));
	assert_string_equal(err_str(&errs, 0), want);

	/* A directory opens but cannot be read. */
	assert_int_equal(wt_cfg_load_file("/tmp", sample_keys, &c, sizeof(c), NULL, NULL, &errs),
			 -EISDIR);
	snprintf(want, sizeof(want), "/tmp: cannot read file (%s)", strerror(EISDIR));
	assert_string_equal(err_str(&errs, 0), want);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	assert_int_equal(
		wt_cfg_load_file(path, sample_keys, &c, sizeof(c), sample_validate, NULL, &errs),
		WT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:4: key 'breaker.rating_a' = 5000 is out of range [1, 4000]", path);
	assert_string_equal(err_str(&errs, 0), want);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, BASE, strlen(BASE)), (ssize_t)strlen(BASE));
	close(fd);
	assert_int_equal(
		wt_cfg_load_file(path, sample_keys, &c, sizeof(c), sample_validate, NULL, &errs),
		0);
	assert_int_equal(c.budget_w, 50000);
	wt_cfg_free(sample_keys, &c);
	unlink(path);
}

static void test_too_large(void **state)
{
	size_t len = WT_CFG_FILE_MAX + 1;
	char *big = wt_malloc(len);
	char path[] = "/tmp/wt_test_cfg_XXXXXX";
	struct sample_cfg c;
	struct wt_cfg_errors errs;
	char want[256];
	int fd;

	/* A valid document padded with a comment, so only the size is wrong. */
	memset(big, ' ', len);
	memcpy(big, BASE "#", strlen(BASE) + 1);
	big[len - 1] = '\n';
	assert_int_equal(wt_cfg_load_buffer("big.yaml", big, len, sample_keys, &c, sizeof(c), NULL,
					    NULL, &errs),
			 WT_E2BIG);
	snprintf(want, sizeof(want), "big.yaml: file is larger than %d bytes", WT_CFG_FILE_MAX);
	assert_string_equal(err_str(&errs, 0), want);
	assert_int_equal(wt_cfg_load_buffer("big.yaml", big, len - 1, sample_keys, &c, sizeof(c),
					    NULL, NULL, &errs),
			 0);
	wt_cfg_free(sample_keys, &c);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, len), (ssize_t)len);
	close(fd);
	assert_int_equal(wt_cfg_load_file(path, sample_keys, &c, sizeof(c), NULL, NULL, &errs),
			 WT_E2BIG);
	snprintf(want, sizeof(want), "%s: file is larger than %d bytes", path, WT_CFG_FILE_MAX);
	assert_string_equal(err_str(&errs, 0), want);
	unlink(path);
	wt_free(big);
}

static void test_node_ceiling(void **state)
{
	size_t len = 3 * WT_CFG_NODES_MAX + 16;
	char *yaml = wt_malloc(len);
	struct sample_cfg c;
	struct wt_cfg_errors errs;
	size_t used = 0;

	yaml[used++] = '[';
	for (int i = 0; i < WT_CFG_NODES_MAX; i++) {
		yaml[used++] = '1';
		yaml[used++] = ',';
	}
	yaml[used++] = ']';
	assert_int_equal(wt_cfg_load_buffer("n.yaml", yaml, used, sample_keys, &c, sizeof(c), NULL,
					    NULL, &errs),
			 WT_ECONFIG);
	{
		char want[80];

		snprintf(want, sizeof(want), "n.yaml:1: document has more than %d nodes",
			 WT_CFG_NODES_MAX);
		assert_string_equal(err_str(&errs, 0), want);
	}
	wt_free(yaml);
}

static void test_reload_diff(void **state)
{
	static const char old_yaml[] = "listen: \":7000\"\nbudget_w: 50kW\nmode: sim\n"
				       "breaker: {rating_a: 100, trip_ms: 1s}\n"
				       "children: [{id: a, floor_w: 1kW}, {id: b}]\n"
				       "peers: [x]\n";
	/* Reloadable changes only: budget, trip time, floors, peers, name. */
	static const char ok_yaml[] = "listen: \":7000\"\nbudget_w: 60kW\nname: r2\nmode: sim\n"
				      "breaker: {rating_a: 100, trip_ms: 2s}\n"
				      "children: [{id: a, floor_w: 2kW}, {id: b}]\n"
				      "peers: [x, y]\n";
	static const char bad_yaml[] =
		"listen: \":7001\"\nbudget_w: 50kW\nmode: nvml\n"
		"breaker: {rating_a: 200, trip_ms: 1s}\n"
		"children: [{id: a, floor_w: 1kW}, {id: c, critical: true}]\n"
		"peers: [x]\n";
	static const char fewer_yaml[] = "listen: \":7000\"\nbudget_w: 50kW\n"
					 "breaker: {rating_a: 100, trip_ms: 1s}\n"
					 "children: [{id: a, floor_w: 1kW}]\n";
	struct sample_cfg old_c, new_c;
	struct wt_cfg_errors errs;

	assert_int_equal(load(old_yaml, &old_c, &errs), 0);

	assert_int_equal(load(old_yaml, &new_c, &errs), 0);
	assert_int_equal(wt_cfg_diff_reloadable(sample_keys, &old_c, &new_c, &errs), 0);
	wt_cfg_free(sample_keys, &new_c);

	assert_int_equal(load(ok_yaml, &new_c, &errs), 0);
	assert_int_equal(wt_cfg_diff_reloadable(sample_keys, &old_c, &new_c, &errs), 0);
	assert_int_equal(errs.count, 0);
	wt_cfg_free(sample_keys, &new_c);

	assert_int_equal(load(bad_yaml, &new_c, &errs), 0);
	assert_int_equal(wt_cfg_diff_reloadable(sample_keys, &old_c, &new_c, &errs), 5);
	assert_int_equal(errs.count, 5);
	assert_string_equal(err_str(&errs, 0),
			    "key 'listen' is not reloadable (restart to change it)");
	assert_string_equal(errs.e[0].key, "listen");
	assert_string_equal(errs.e[0].file, "");
	assert_int_equal(errs.e[0].line, 0);
	assert_string_equal(err_str(&errs, 1),
			    "key 'mode' is not reloadable (restart to change it)");
	assert_string_equal(err_str(&errs, 2),
			    "key 'breaker.rating_a' is not reloadable (restart to change it)");
	assert_string_equal(err_str(&errs, 3),
			    "key 'children[1].id' is not reloadable (restart to change it)");
	assert_string_equal(err_str(&errs, 4),
			    "key 'children[1].critical' is not reloadable (restart to change it)");
	wt_cfg_free(sample_keys, &new_c);

	assert_int_equal(load(fewer_yaml, &new_c, &errs), 0);
	assert_int_equal(wt_cfg_diff_reloadable(sample_keys, &old_c, &new_c, &errs), 1);
	assert_string_equal(err_str(&errs, 0),
			    "key 'children' is not reloadable (restart to change it)");
	wt_cfg_free(sample_keys, &new_c);
	wt_cfg_free(sample_keys, &old_c);
}

static void test_dump_roundtrip(void **state)
{
	static const char yaml[] =
		"listen: \"[::]:7000\"\nname: \"r\\\"7\\\\\"\nmode: trace\n"
		"budget_w: 1.5MW\nlease_ms: 1.5s\npriority: -3\n"
		"breaker: {derate: 0.95}\n"
		"children: [{id: n1, floor_w: 0.3kW, ceiling_w: 2kW}, {id: n2}]\n"
		"peers: [a, \"b c\"]\n";
	static const char want[] = "listen: \"[::]:7000\"\n"
				   "name: \"r\\\"7\\\\\"\n"
				   "mode: trace\n"
				   "budget_w: 1500kW\n"
				   "lease_ms: 1500ms\n"
				   "dry_run: false\n"
				   "priority: -3\n"
				   "max_sessions: 64\n"
				   "seed: 42\n"
				   "breaker:\n"
				   "  rating_a: 400\n"
				   "  trip_ms: 2s\n"
				   "  derate: 0.95\n"
				   "children:\n"
				   "  - id: \"n1\"\n"
				   "    floor_w: 300W\n"
				   "    ceiling_w: 2kW\n"
				   "    critical: false\n"
				   "  - id: \"n2\"\n"
				   "    floor_w: 0W\n"
				   "    ceiling_w: 10kW\n"
				   "    critical: false\n"
				   "peers:\n"
				   "  - \"a\"\n"
				   "  - \"b c\"\n";
	struct sample_cfg c, again;
	struct wt_cfg_errors errs;
	char out[4096], out2[4096];
	FILE *f;

	assert_int_equal(load(yaml, &c, &errs), 0);
	f = fmemopen(out, sizeof(out), "w");
	assert_non_null(f);
	assert_int_equal(wt_cfg_dump(sample_keys, &c, f), 0);
	fclose(f);
	assert_string_equal(out, want);

	/* The dump loads back to the same values. */
	assert_int_equal(load(out, &again, &errs), 0);
	f = fmemopen(out2, sizeof(out2), "w");
	assert_non_null(f);
	assert_int_equal(wt_cfg_dump(sample_keys, &again, f), 0);
	fclose(f);
	assert_string_equal(out, out2);
	assert_string_equal(again.name, "r\"7\\");
	wt_cfg_free(sample_keys, &again);
	wt_cfg_free(sample_keys, &c);
}

/* Strings with characters a YAML reader folds or refuses when raw still round-trip (the fuzzer
 * found U+2028 being folded into a space). */
static void test_dump_escapes(void **state)
{
	static const char yaml[] =
		"listen: \"a\\Lb\\Nc\\x80d\\uFEFFe\\uFFFEf\\tg\\x7fh\\P\\u00e9\"\n"
		"budget_w: 50kW\n";
	static const char want[] =
		"listen: \"a\\u2028b\\x85c\\x80d\\uFEFFe\\uFFFEf\\x09g\\x7fh\\u2029\xc3\xa9\"\n";
	struct sample_cfg c, again;
	struct wt_cfg_errors errs;
	char out[4096];
	FILE *f;

	assert_int_equal(load(yaml, &c, &errs), 0);
	assert_string_equal(c.listen, "a\xe2\x80\xa8"
				      "b\xc2\x85"
				      "c\xc2\x80"
				      "d\xef\xbb\xbf"
				      "e\xef\xbf\xbe"
				      "f\tg\x7fh\xe2\x80\xa9\xc3\xa9");
	f = fmemopen(out, sizeof(out), "w");
	assert_non_null(f);
	assert_int_equal(wt_cfg_dump(sample_keys, &c, f), 0);
	fclose(f);
	assert_memory_equal(out, want, strlen(want));
	assert_int_equal(load(out, &again, &errs), 0);
	assert_string_equal(again.listen, c.listen);
	wt_cfg_free(sample_keys, &again);
	wt_cfg_free(sample_keys, &c);
}

/* A level with more keys than fit in the message lists what fits and ends with ", ...". */
struct wide_cfg {
	bool f[12];
};

#define WIDE_KEY(i)                                                                                \
	WT_CFG_BOOL("a_rather_long_key_name_number_" #i, struct wide_cfg, f[i], false, 0, NULL)

static const struct wt_cfg_key wide_keys[] = {
	WIDE_KEY(0), WIDE_KEY(1), WIDE_KEY(2), WIDE_KEY(3),  WIDE_KEY(4),  WIDE_KEY(5), WIDE_KEY(6),
	WIDE_KEY(7), WIDE_KEY(8), WIDE_KEY(9), WIDE_KEY(10), WIDE_KEY(11), WT_CFG_END,
};

static void test_unknown_many_keys(void **state)
{
	static const char yaml[] = "a_rather_long_key_name_number_1: true\nzzz: 1\n";
	struct wide_cfg w;
	struct wt_cfg_errors errs;
	const char *msg;
	size_t len;

	assert_int_equal(wt_cfg_load_buffer("w.yaml", yaml, strlen(yaml), wide_keys, &w, sizeof(w),
					    NULL, NULL, &errs),
			 WT_ECONFIG);
	assert_int_equal(errs.count, 1);
	msg = errs.e[0].msg;
	len = strlen(msg);
	assert_true(len < sizeof(errs.e[0].msg));
	assert_non_null(strstr(msg, "unknown key 'zzz' (allowed here: a_rather_long_key_name_"
				    "number_0, a_rather_long_key_name_number_1, "));
	assert_string_equal(msg + len - 6, ", ...)");
}

static void test_help(void **state)
{
	char out[8192];
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	assert_int_equal(wt_cfg_help(sample_keys, f), 0);
	fclose(f);
	assert_non_null(strstr(out, "listen: string of [1, 64] bytes; required; restart to change\n"
				    "    Address and port to listen on.\n"));
	assert_non_null(strstr(out, "lease_ms: duration in [100ms, 1h]; default 2s; reloadable\n"));
	assert_non_null(strstr(out, "mode: one of: sim, trace, nvml; default sim; restart to "
				    "change\n"));
	assert_non_null(strstr(out, "breaker: map\n"));
	assert_non_null(strstr(out, "breaker.rating_a: integer in [1, 4000]; default 400; restart "
				    "to change\n"));
	assert_non_null(strstr(out, "children: list of [0, 8] maps; item count: restart to "
				    "change\n"));
	assert_non_null(strstr(out, "children[].floor_w: power in [0W, 100kW]; default 0W; "
				    "reloadable\n"));
	assert_non_null(strstr(out, "peers: list of [0, 4] strings of at most 32 bytes; "
				    "reloadable\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_error_ceiling),
		cmocka_unit_test(test_unknown_many_keys),
		cmocka_unit_test(test_unchanged_on_error),
		cmocka_unit_test(test_validate_callback),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_node_ceiling),
		cmocka_unit_test(test_reload_diff),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_dump_escapes),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
