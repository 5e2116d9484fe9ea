/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the trace CSV decoder and the trace replay backend: every refusal with its
 * exact message (file, line, reason), the accepted variants (CRLF, BOM, no final newline),
 * the row and line limits, file loading; the shipped ML.ENERGY traces (row count, mean and
 * maximum computed with awk/python when this test was written); interpolation, loop, scale,
 * offset, even split over the GPUs, caps after the response time, and predict_peak against the
 * trace and against dense sampling. */
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
#include "backend/internal.h"
#include "backend/trace.h"
#include "backend/trace_csv.h"
#include "wt/err.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0	     5000000000ULL
#define MS(x)	     (T0 + (uint64_t)((x)*1000000.0 + 0.5))
#define HDR	     "relative_time_s,power_total_W\n"
#define DATA_DIR     WT_TEST_DATA_DIR "/mlenergy-h100-llm-inference-power/"
#define TRACE_8B     DATA_DIR "Llama-3.1-8B_num_gpus_1_max_num_seqs_8.csv"
#define TRACE_70B    DATA_DIR "Llama-3.1-70B_num_gpus_4_max_num_seqs_128.csv"

struct bad_input {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int rc;
	const char *msg;
};

static const struct bad_input bad[] = {
	{ "", 0, WT_EBADMSG, "t.csv:1: empty file" },
	{ "0.0,408.9\n0.1,409\n", 0, WT_EBADMSG,
	  "t.csv:1: missing header (want relative_time_s,power_total_W)" },
	{ "\n0.0,1\n", 0, WT_EBADMSG,
	  "t.csv:1: missing header (want relative_time_s,power_total_W)" },
	{ "\xef\xbb\xbf", 0, WT_EBADMSG,
	  "t.csv:1: missing header (want relative_time_s,power_total_W)" },
	{ "relative_time_s,power_W\n0,1\n", 0, WT_EBADMSG,
	  "t.csv:1: unknown header column 'power_W' (want relative_time_s,power_total_W)" },
	{ "time,power_total_W\n0,1\n", 0, WT_EBADMSG,
	  "t.csv:1: unknown header column 'time' (want relative_time_s,power_total_W)" },
	{ "power_total_W,relative_time_s\n0,1\n", 0, WT_EBADMSG,
	  "t.csv:1: unknown header column 'power_total_W' (want relative_time_s,power_total_W)" },
	{ "relative_time_s,power_total_W,gpu\n0,1,2\n", 0, WT_EBADMSG,
	  "t.csv:1: unknown header column 'gpu' (want relative_time_s,power_total_W)" },
	{ "relative_time_s\n0\n", 0, WT_EBADMSG, "t.csv:1: missing header column 'power_total_W'" },
	{ "relative_time_s,power_total_W \n0,1\n", 0, WT_EBADMSG,
	  "t.csv:1: unknown header column 'power_total_W ' (want relative_time_s,power_total_W)" },
	{ HDR, 0, WT_EBADMSG, "t.csv:2: no data rows" },
	{ HDR "0.0,1\n0.1,2\n0.1,3\n", 0, WT_EBADMSG,
	  "t.csv:4: relative_time_s '0.1' not after the previous row" },
	{ HDR "0.0,1\n0.2,2\n0.1,3\n", 0, WT_EBADMSG,
	  "t.csv:4: relative_time_s '0.1' not after the previous row" },
	{ HDR "0.0,1\n0.1,nan\n", 0, WT_EBADMSG, "t.csv:3: power_total_W 'nan' is not finite" },
	{ HDR "0.0,1\n0.1,-NaN\n", 0, WT_EBADMSG, "t.csv:3: power_total_W '-NaN' is not finite" },
	{ HDR "inf,1\n", 0, WT_EBADMSG, "t.csv:2: relative_time_s 'inf' is not finite" },
	{ HDR "0,Infinity\n", 0, WT_EBADMSG, "t.csv:2: power_total_W 'Infinity' is not finite" },
	{ HDR "0,1e999\n", 0, WT_EBADMSG, "t.csv:2: power_total_W '1e999' is not finite" },
	{ HDR "0.0,-1\n", 0, WT_EBADMSG, "t.csv:2: negative power_total_W '-1'" },
	{ HDR "0.0,1\n0.1,-0.5\n", 0, WT_EBADMSG, "t.csv:3: negative power_total_W '-0.5'" },
	{ HDR "-0.1,1\n", 0, WT_EBADMSG, "t.csv:2: negative relative_time_s '-0.1'" },
	{ HDR "0.0,abc\n", 0, WT_EBADMSG, "t.csv:2: bad number 'abc' in power_total_W" },
	{ HDR "0.0x,1\n", 0, WT_EBADMSG, "t.csv:2: bad number '0.0x' in relative_time_s" },
	{ HDR "0x10,1\n", 0, WT_EBADMSG, "t.csv:2: bad number '0x10' in relative_time_s" },
	{ HDR "0, 1\n", 0, WT_EBADMSG, "t.csv:2: bad number ' 1' in power_total_W" },
	{ HDR "0,1e\n", 0, WT_EBADMSG, "t.csv:2: bad number '1e' in power_total_W" },
	{ HDR "0,1.2.3\n", 0, WT_EBADMSG, "t.csv:2: bad number '1.2.3' in power_total_W" },
	{ HDR "0,--1\n", 0, WT_EBADMSG, "t.csv:2: bad number '--1' in power_total_W" },
	{ HDR "0,\"1\"\n", 0, WT_EBADMSG, "t.csv:2: bad number '\"1\"' in power_total_W" },
	{ HDR "0,1\x00"
	      "5\n",
	  sizeof(HDR) - 1 + 6, WT_EBADMSG, "t.csv:2: bad number '1?5' in power_total_W" },
	{ HDR "0,12345678901234567890123456789012345\n", 0, WT_EBADMSG,
	  "t.csv:2: power_total_W '123456789012345678901234...' too large (max 1e+07 W)" },
	{ HDR "0,1234567890123456789012345678901234567890123456789012345678901234567890\n", 0,
	  WT_EBADMSG, "t.csv:2: bad number '123456789012345678901234...' in power_total_W" },
	{ HDR "0,1\n,2\n", 0, WT_EBADMSG, "t.csv:3: empty relative_time_s" },
	{ HDR "0,1\n0.1,\n", 0, WT_EBADMSG, "t.csv:3: empty power_total_W" },
	{ HDR "0,1,2\n", 0, WT_EBADMSG, "t.csv:2: expected 2 fields, got 3" },
	{ HDR "0\n", 0, WT_EBADMSG, "t.csv:2: expected 2 fields, got 1" },
	{ HDR "0,1\n\n0.2,1\n", 0, WT_EBADMSG, "t.csv:3: empty line" },
	{ HDR "0,1\n\n", 0, WT_EBADMSG, "t.csv:3: empty line" },
	{ HDR "0,1\r\n\r\n", 0, WT_EBADMSG, "t.csv:3: empty line" },
	{ HDR "2e9,1\n", 0, WT_EBADMSG, "t.csv:2: relative_time_s '2e9' too large (max 1e+09 s)" },
	{ HDR "0,1e8\n", 0, WT_EBADMSG, "t.csv:2: power_total_W '1e8' too large (max 1e+07 W)" },
	{ HDR "0,1\n0.0000000001,1\n", 0, WT_EBADMSG,
	  "t.csv:3: relative_time_s '0.0000000001' not after the previous row" },
};

static void test_parse_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].in);
		struct agt_trace t, keep;
		char err[AGT_TRACE_ERR_MAX];
		int rc;

		memset(&t, 0x5a, sizeof(t));
		keep = t;
		rc = agt_trace_parse("t.csv", bad[i].in, len, &t, err, sizeof(err));
		if (rc != bad[i].rc || strcmp(err, bad[i].msg) != 0) {
			print_error("input %zu: rc %d '%s', want %d '%s'\n", i, rc, err, bad[i].rc,
				    bad[i].msg);
			fail();
		}
		assert_memory_equal(&t, &keep, sizeof(t));
		/* No message buffer, or a tiny one: same result, no overflow. */
		assert_int_equal(agt_trace_parse("t.csv", bad[i].in, len, &t, NULL, 0), rc);
		assert_int_equal(agt_trace_parse("t.csv", bad[i].in, len, &t, err, 6), rc);
		assert_string_equal(err, "t.csv");
	}
}

static void test_parse_limits(void **state)
{
	char line[AGT_TRACE_MAX_LINE + 64];
	char err[AGT_TRACE_ERR_MAX];
	struct agt_trace t;
	char buf[1024];
	int n;

	/* A line of exactly the limit passes the length check (and fails on its number). */
	memset(line, '1', sizeof(line));
	n = snprintf(buf, sizeof(buf), HDR "0,%.*s\n", AGT_TRACE_MAX_LINE - 2, line);
	assert_int_equal(agt_trace_parse("t.csv", buf, (size_t)n, &t, err, sizeof(err)),
			 WT_EBADMSG);
	n = snprintf(buf, sizeof(buf), HDR "0,%.*s\n", AGT_TRACE_MAX_LINE - 1, line);
	assert_int_equal(agt_trace_parse("t.csv", buf, (size_t)n, &t, err, sizeof(err)), WT_E2BIG);
	assert_string_equal(err, "t.csv:2: line longer than 256 bytes");
	n = snprintf(buf, sizeof(buf), "%.*s\n", AGT_TRACE_MAX_LINE + 1, line);
	assert_int_equal(agt_trace_parse("t.csv", buf, (size_t)n, &t, err, sizeof(err)), WT_E2BIG);
	assert_string_equal(err, "t.csv:1: line longer than 256 bytes");

	/* The row limit, reported at the first row over it. */
	n = snprintf(buf, sizeof(buf), HDR "0,1\n1,1\n2,1\n3,1\n");
	assert_int_equal(agt__trace_parse_max("t.csv", buf, (size_t)n, 3, &t, err, sizeof(err)),
			 WT_E2BIG);
	assert_string_equal(err, "t.csv:5: more than 3 rows");
	assert_int_equal(agt__trace_parse_max("t.csv", buf, (size_t)n, 4, &t, err, sizeof(err)), 0);
	assert_int_equal(agt_trace_rows(&t), 4);
	agt_trace_deinit(&t);
}

struct good_input {
	const char *in;
	size_t rows;
	double first_w, last_w;
	uint64_t duration_ns;
};

static void test_parse_variants(void **state)
{
	static const struct good_input good[] = {
		{ HDR "0.0,408.984\n0.1,408.99\n", 2, 408.984, 408.99, 100000000 },
		{ HDR "0.0,1\n0.1,2", 2, 1, 2, 100000000 }, /* no final newline */
		{ "relative_time_s,power_total_W\r\n0,1\r\n0.5,3\r\n", 2, 1, 3, 500000000 },
		{ "\xef\xbb\xbf" HDR "0,1\n", 1, 1, 1, 0 },		/* BOM */
		{ HDR "10.0,5\n10.1,6\n", 2, 5, 6, 100000000 },		/* starts late */
		{ HDR "0,0\n1e2,+7.5E1\n", 2, 0, 75, 100000000000ULL }, /* exponents */
		{ HDR "-0,1\n", 1, 1, 1, 0 },
		{ HDR "0.30000000000000004,1\n0.4,2\n", 2, 1, 2, 100000000 }, /* float noise */
	};

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		char err[AGT_TRACE_ERR_MAX] = "";
		struct agt_trace t;

		if (agt_trace_parse("g.csv", good[i].in, strlen(good[i].in), &t, err,
				    sizeof(err)) != 0) {
			print_error("input %zu refused: %s\n", i, err);
			fail();
		}
		assert_int_equal(agt_trace_rows(&t), good[i].rows);
		assert_true(agt_trace_value_w(&t, 0, false) == good[i].first_w);
		assert_true(agt_trace_value_w(&t, UINT64_MAX, false) == good[i].last_w);
		assert_int_equal(agt_trace_duration_ns(&t), good[i].duration_ns);
		agt_trace_deinit(&t);
	}
}

static void test_load_file_errors(void **state)
{
	char err[AGT_TRACE_ERR_MAX];
	struct agt_trace t;

	assert_int_equal(agt_trace_load_file(DATA_DIR "nope.csv", &t, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, DATA_DIR "nope.csv: cannot open (No such file or directory)");
	assert_int_equal(agt_trace_load_file(DATA_DIR, &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, DATA_DIR ": cannot open (Invalid argument)");
	/* A file that is not a trace: the decode error names the path. */
	assert_int_equal(agt_trace_load_file(DATA_DIR "index.csv", &t, err, sizeof(err)),
			 WT_EBADMSG);
	assert_string_equal(err, DATA_DIR "index.csv:1: unknown header column 'file' (want "
					  "relative_time_s,power_total_W)");
}

/* Reference values computed from the shipped files when this test was written:
 *   awk -F, 'NR>1{s+=$2;n++} END{printf "%d %.6f\n", n, s/n}' <file>
 * and the maximum with python3 (float(max)). */
struct shipped {
	const char *path;
	size_t rows;
	double mean_w, max_w, max_at_s;
	uint64_t duration_ns;
	uint32_t gpus;
};

static const struct shipped shipped[] = {
	{ TRACE_8B, 3702, 486.604503, 846.6813912512029, 181.7, 370100000000ULL, 1 },
	{ TRACE_70B, 822, 2183.376742, 2814.8821900361063, 64.9, 82100000000ULL, 4 },
};

static void test_shipped_traces(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(shipped); i++) {
		const struct shipped *sh = &shipped[i];
		char err[AGT_TRACE_ERR_MAX] = "";
		struct agt_trace_cfg c;
		struct agt_backend *b;
		struct agt_trace t;
		uint64_t sum = 0;

		if (agt_trace_load_file(sh->path, &t, err, sizeof(err)) != 0) {
			print_error("%s\n", err);
			fail();
		}
		assert_int_equal(agt_trace_rows(&t), sh->rows);
		assert_int_equal(agt_trace_duration_ns(&t), sh->duration_ns);
		assert_int_equal(agt_trace_period_ns(&t), sh->duration_ns + 100000000);
		assert_true(fabs(agt_trace_mean_w(&t) - sh->mean_w) < 1e-6);
		assert_true(agt_trace_max_w(&t) == sh->max_w);

		/* Replayed on its GPUs, one sample per row: same mean (each sample rounded). */
		agt_trace_cfg_init(&c);
		c.trace = &t;
		c.n_devices = sh->gpus;
		assert_int_equal(agt_backend_trace_new(&b, &c, T0), 0);
		for (size_t r = 0; r < sh->rows; r++) {
			struct agt_sample s;
			uint32_t dsum = 0;

			assert_int_equal(agt_backend_sample(b, MS(r * 100.0), &s), 0);
			for (uint32_t d = 0; d < s.n; d++) {
				dsum += s.dev_w[d];
				assert_true(s.dev_w[d] + 1 >= s.demand_w / s.n);
				assert_true(s.dev_w[d] <= s.demand_w / s.n + 1);
			}
			assert_int_equal(dsum, s.demand_w);
			assert_int_equal(s.total_w, s.demand_w);
			sum += s.demand_w;
		}
		assert_true(fabs((double)sum / (double)sh->rows - sh->mean_w) < 0.5);
		/* The peak is seen coming, and is the peak of the whole trace. */
		assert_int_equal(agt_backend_predict_peak(b, MS(sh->max_at_s * 1000 - 900), 1000),
				 (uint32_t)(sh->max_w + 0.5));
		assert_int_equal(
			agt_backend_predict_peak(b, MS(0), (uint32_t)(sh->duration_ns / 1000000)),
			(uint32_t)(sh->max_w + 0.5));
		assert_true(agt_backend_predict_peak(b, MS(sh->max_at_s * 1000 - 900), 800) <
			    (uint32_t)(sh->max_w + 0.5));
		agt_backend_free(b);
		agt_trace_deinit(&t);
	}
}

/* Three rows: 100 W at 0 s, 200 W at 1 s, 300 W at 2 s; loop period 3 s. */
static void parse_small(struct agt_trace *t)
{
	static const char in[] = HDR "0,100\n1,200\n2,300\n";
	char err[AGT_TRACE_ERR_MAX];

	assert_int_equal(agt_trace_parse("small.csv", in, sizeof(in) - 1, t, err, sizeof(err)), 0);
	assert_int_equal(agt_trace_period_ns(t), 3000000000ULL);
}

static struct agt_backend *mk(const struct agt_trace *t, uint32_t n, bool loop, uint32_t offset_ms,
			      double scale)
{
	struct agt_trace_cfg c;
	struct agt_backend *b = NULL;

	agt_trace_cfg_init(&c);
	c.trace = t;
	c.n_devices = n;
	c.loop = loop;
	c.offset_ms = offset_ms;
	c.scale = scale;
	assert_int_equal(agt_backend_trace_new(&b, &c, T0), 0);
	return b;
}

struct replay_case {
	const char *name;
	bool loop;
	uint32_t offset_ms;
	double scale;

	struct {
		double ms;
		uint32_t w;
	} at[8];
};

static void test_replay(void **state)
{
	static const struct replay_case cases[] = {
		{ "interpolation",
		  true,
		  0,
		  1.0,
		  { { 0, 100 },
		    { 250, 125 },
		    { 500, 150 },
		    { 1000, 200 },
		    { 1999, 300 },
		    { 2000, 300 } } },
		{ "loop: last -> first over one step, then again",
		  true,
		  0,
		  1.0,
		  { { 2500, 200 },
		    { 2750, 150 },
		    { 3000, 100 },
		    { 3500, 150 },
		    { 30500, 150 },
		    { 32000, 300 } } },
		{ "no loop: the last row holds",
		  false,
		  0,
		  1.0,
		  { { 1500, 250 }, { 2000, 300 }, { 2500, 300 }, { 100000, 300 } } },
		{ "scale", true, 0, 2.5, { { 0, 250 }, { 500, 375 }, { 2000, 750 } } },
		{ "scale 0", true, 0, 0.0, { { 0, 0 }, { 2000, 0 } } },
		{ "offset", true, 500, 1.0, { { 0, 150 }, { 500, 200 }, { 2500, 100 } } },
		{ "offset past the end, looping", true, 3500 + 30000, 1.0, { { 0, 150 } } },
		{ "offset past the end, no loop", false, 3500, 1.0, { { 0, 300 } } },
	};
	struct agt_trace t;

	parse_small(&t);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct replay_case *k = &cases[i];
		struct agt_backend *b = mk(&t, 1, k->loop, k->offset_ms, k->scale);

		for (size_t j = 0; j < ARRAY_LEN(k->at) && (j == 0 || k->at[j].ms > 0); j++) {
			struct agt_sample s;

			assert_int_equal(agt_backend_sample(b, MS(k->at[j].ms), &s), 0);
			if (s.demand_w != k->at[j].w || s.dev_w[0] != k->at[j].w) {
				print_error("%s at %.1f ms: %u W, want %u\n", k->name, k->at[j].ms,
					    s.demand_w, k->at[j].w);
				fail();
			}
			/* At most the peak over the next horizon, which starts here. */
			assert_true(s.predicted_peak_w >= s.demand_w);
			assert_int_equal(agt_backend_predict_peak(b, MS(k->at[j].ms), 0),
					 s.demand_w);
		}
		agt_backend_free(b);
	}
	agt_trace_deinit(&t);
}

/* 4 GPUs share 1001 W: 251, 250, 250, 250. A 120 W cap on GPU 2 applies 20 ms later; a cap
 * below the 100 W minimum clamps to it; AGT_CAP_NONE lifts it. */
static void test_split_and_caps(void **state)
{
	static const char in[] = HDR "0,1001\n1,1001\n";
	char err[AGT_TRACE_ERR_MAX];
	struct agt_backend *b;
	struct agt_trace t;
	struct agt_sample s;

	assert_int_equal(agt_trace_parse("flat.csv", in, sizeof(in) - 1, &t, err, sizeof(err)), 0);
	b = mk(&t, 4, true, 0, 1.0);
	assert_int_equal(agt_backend_sample(b, MS(0), &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.dev_w[0], 251);
	assert_int_equal(s.dev_w[1], 250);
	assert_int_equal(s.dev_w[3], 250);
	assert_int_equal(s.dev_w[4], 0);
	assert_int_equal(s.total_w, 1001);

	assert_int_equal(agt_backend_set_cap(b, 2, 120, MS(100)), 0);
	assert_int_equal(agt_backend_sample(b, MS(119.999), &s), 0);
	assert_int_equal(s.dev_w[2], 250);
	assert_int_equal(agt_backend_sample(b, MS(120), &s), 0);
	assert_int_equal(s.dev_w[2], 120);
	assert_int_equal(s.total_w, 1001 - 130);
	assert_int_equal(s.demand_w, 1001);
	assert_int_equal(s.predicted_peak_w, 1001);

	assert_int_equal(agt_backend_set_cap(b, 2, 7, MS(200)), 0);
	assert_int_equal(agt_backend_sample(b, MS(220), &s), 0);
	assert_int_equal(s.dev_w[2], 100);
	assert_int_equal(agt_backend_set_cap(b, 2, AGT_CAP_NONE, MS(300)), 0);
	assert_int_equal(agt_backend_sample(b, MS(319), &s), 0);
	assert_int_equal(s.dev_w[2], 100);
	assert_int_equal(agt_backend_sample(b, MS(320), &s), 0);
	assert_int_equal(s.dev_w[2], 250);

	assert_int_equal(agt_backend_set_cap(b, 4, 100, MS(400)), -EINVAL);
	assert_int_equal(agt_backend_set_cap(b, 0, 100, MS(319)), -EINVAL);
	assert_int_equal(agt_backend_sample(b, MS(319), &s), -EINVAL);
	assert_int_equal(agt_backend_get_kind(b), AGT_BACKEND_TRACE);
	assert_string_equal(agt_backend_get_ops(b)->name, "trace");
	agt_backend_free(b);
	agt_trace_deinit(&t);
}

struct peak_case {
	bool loop;
	double now_ms;
	uint32_t horizon_ms;
	uint32_t want;
};

static void test_predict(void **state)
{
	static const struct peak_case cases[] = {
		{ true, 0, 0, 100 },	    { true, 0, 500, 150 },	{ true, 0, 1000, 200 },
		{ true, 0, 2000, 300 },	    { true, 2100, 100, 280 }, /* falling: 300 -> 100 */
		{ true, 2500, 400, 200 },   { true, 2500, 700, 200 }, /* wraps to 100, 120 */
		{ true, 2500, 1600, 210 },  { true, 2500, 2500, 300 },	{ true, 0, 3000, 300 },
		{ true, 0, 99999, 300 },    { false, 2500, 1000, 300 }, { false, 500, 100, 160 },
		{ false, 100000, 10, 300 },
	};
	struct agt_trace t;

	parse_small(&t);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct agt_backend *b = mk(&t, 1, cases[i].loop, 0, 1.0);
		uint32_t got =
			agt_backend_predict_peak(b, MS(cases[i].now_ms), cases[i].horizon_ms);

		if (got != cases[i].want) {
			print_error("case %zu: predict(%.1f, %u) = %u, want %u\n", i,
				    cases[i].now_ms, cases[i].horizon_ms, got, cases[i].want);
			fail();
		}
		agt_backend_free(b);
	}
	agt_trace_deinit(&t);
}

/* On the real trace, predict_peak equals the maximum of samples on the trace's own grid (the
 * maximum of a piecewise-linear function is at a row), for windows across the loop point. */
static void test_predict_vs_sampling(void **state)
{
	char err[AGT_TRACE_ERR_MAX];
	struct agt_trace t;
	struct agt_backend *p;

	assert_int_equal(agt_trace_load_file(TRACE_8B, &t, err, sizeof(err)), 0);
	p = mk(&t, 1, true, 0, 1.3);
	for (int k = 0; k < 40; k++) {
		uint32_t now_ms = 100 * (uint32_t)(k * 977 % 3702) + 200000 * (k % 3);
		uint32_t horizon_ms = 100 * (uint32_t)(1 + k * 37 % 600);
		struct agt_backend *b = mk(&t, 1, true, 0, 1.3);
		uint32_t seen = 0;

		for (uint32_t ms = now_ms; ms <= now_ms + horizon_ms; ms += 100) {
			struct agt_sample s;

			assert_int_equal(agt_backend_sample(b, MS(ms), &s), 0);
			seen = s.demand_w > seen ? s.demand_w : seen;
		}
		assert_int_equal(agt_backend_predict_peak(p, MS(now_ms), horizon_ms), seen);
		agt_backend_free(b);
	}
	agt_backend_free(p);
	agt_trace_deinit(&t);
}

static void test_cfg_validate(void **state)
{
	struct agt_trace_cfg c;
	struct agt_backend *b = (struct agt_backend *)&c;
	struct agt_trace t, empty = { 0 };
	char err[160];

	parse_small(&t);
	agt_trace_cfg_init(&c);
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "trace backend has no decoded trace");
	c.trace = &empty;
	assert_int_equal(agt_backend_trace_new(&b, &c, T0), WT_ECONFIG);
	assert_ptr_equal(b, (struct agt_backend *)&c);
	c.trace = &t;
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), 0);
	c.n_devices = 17;
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "trace n_devices = 17 out of range 1-16");
	c.n_devices = 1;
	c.scale = -1;
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err, "trace scale = -1 out of range 0-100");
	c.scale = NAN;
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	c.scale = 1;
	c.min_cap_w = 500;
	c.max_cap_w = 400;
	assert_int_equal(agt_trace_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
	assert_string_equal(err,
			    "trace min_cap_w = 500, max_cap_w = 400 (need 1 <= max, min <= max)");
	agt_trace_deinit(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),	    cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_variants),	    cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_shipped_traces),	    cmocka_unit_test(test_replay),
		cmocka_unit_test(test_split_and_caps),	    cmocka_unit_test(test_predict),
		cmocka_unit_test(test_predict_vs_sampling), cmocka_unit_test(test_cfg_validate),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
