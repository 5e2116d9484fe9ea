/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the power-trace CSV decoder (agt_trace_parse, agent/backend/trace_csv.h) and check its
 * promises on every input:
 *   - a refusal returns WT_EBADMSG or WT_E2BIG, leaves the output untouched and writes one
 *     printable message "fuzz.csv:<line>: <reason>" whose line is within the input;
 *   - an accepted trace has rows, times from 0 strictly increasing, finite watts within
 *     limits, a mean between the smallest and largest row;
 *   - replaying it (trace backend, 3 GPUs, looping, scaled) gives samples whose devices add up
 *     to the demand and a predicted peak never below the demand anywhere in its window.
 * Links wt_agent_backend (agent/backend/CMakeLists.txt adds it). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/trace.h"
#include "backend/trace_csv.h"
#include "fuzz.h"
#include "wt/err.h"

#define NAME "fuzz.csv"

static bool printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
			return false;
		}
	}
	return true;
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++) {
		n += data[i] == '\n';
	}
	return n;
}

static void check_refusal(int rc, const char *err, const uint8_t *data, size_t size)
{
	size_t line = 0;
	int used = 0;

	WT_ASSERT(rc == WT_EBADMSG || rc == WT_E2BIG);
	WT_ASSERT(strncmp(err, NAME ":", sizeof(NAME)) == 0);
	WT_ASSERT(sscanf(err + sizeof(NAME), "%zu: %n", &line, &used) == 1 && used > 0);
	WT_ASSERT(line >= 1 && line <= count_lines(data, size) + 1);
	WT_ASSERT(err[sizeof(NAME) + used] != '\0');
	WT_ASSERT(printable(err));
}

static void check_trace(const struct agt_trace *t)
{
	size_t n = agt_trace_rows(t);
	double lo = 1e300, hi = 0.0;

	WT_ASSERT(n >= 1 && n <= AGT_TRACE_MAX_ROWS);
	WT_ASSERT(t->t_ns[0] == 0);
	for (size_t i = 0; i < n; i++) {
		WT_ASSERT(i == 0 || t->t_ns[i] > t->t_ns[i - 1]);
		WT_ASSERT(t->w[i] >= 0.0 && t->w[i] <= AGT_TRACE_MAX_W);
		lo = t->w[i] < lo ? t->w[i] : lo;
		hi = t->w[i] > hi ? t->w[i] : hi;
	}
	WT_ASSERT(agt_trace_max_w(t) == hi);
	WT_ASSERT(agt_trace_mean_w(t) >= lo * (1 - 1e-9) && agt_trace_mean_w(t) <= hi * (1 + 1e-9));
	WT_ASSERT(n == 1 || agt_trace_period_ns(t) > agt_trace_duration_ns(t));
}

static void replay(const struct agt_trace *t)
{
	static const uint32_t at_ms[] = { 0, 1, 50, 99, 100, 1000, 7777, 60000, 3600000 };
	struct agt_trace_cfg c;
	struct agt_backend *b;

	agt_trace_cfg_init(&c);
	c.trace = t;
	c.n_devices = 3;
	c.scale = 1.5;
	c.offset_ms = 123;
	WT_ASSERT(agt_backend_trace_new(&b, &c, 1000) == 0);
	for (size_t i = 0; i < sizeof(at_ms) / sizeof(at_ms[0]); i++) {
		uint64_t now = 1000 + (uint64_t)at_ms[i] * 1000000;
		uint32_t sum = 0, peak;
		struct agt_sample s;

		WT_ASSERT(agt_backend_sample(b, now, &s) == 0);
		for (uint32_t d = 0; d < s.n; d++) {
			sum += s.dev_w[d];
		}
		WT_ASSERT(sum == s.demand_w && s.total_w == s.demand_w);
		WT_ASSERT(s.predicted_peak_w >= s.demand_w);
		peak = agt_backend_predict_peak(b, now, 5000);
		WT_ASSERT(peak >= s.demand_w);
		for (uint32_t k = 1; k <= 10; k++) {
			WT_ASSERT(agt_backend_predict_peak(b, now + k * 500000000ULL, 0) <= peak);
		}
	}
	agt_backend_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[AGT_TRACE_ERR_MAX];
	struct agt_trace t, before;
	int rc;

	memset(&t, 0x5a, sizeof(t));
	memcpy(&before, &t, sizeof(t));
	err[0] = '\0';
	rc = agt_trace_parse(NAME, (const char *)data, size, &t, err, sizeof(err));
	if (rc != 0) {
		check_refusal(rc, err, data, size);
		WT_ASSERT(memcmp(&t, &before, sizeof(t)) == 0);
		return 0;
	}
	check_trace(&t);
	replay(&t);
	agt_trace_deinit(&t);
	return 0;
}
