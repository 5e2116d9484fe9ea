/* SPDX-License-Identifier: Apache-2.0 */
/* For backend implementations only (agt__ names; never include from the daemon): the common
 * head every backend embeds first, and the per-device queue of cap changes in flight that the
 * GPU-like backends (sim, trace, later nvml) share. Also the trace parser with an explicit row
 * limit, so that tests can reach the limit without 10 million rows. */
#ifndef AGT_BACKEND_INTERNAL_H
#define AGT_BACKEND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

struct agt_trace;

/* Embedded first in every backend; the dispatch helpers read it. */
struct agt_backend {
	const struct agt_backend_ops *ops;
	enum agt_backend_kind kind;
	uint32_t n; /* devices, 1..AGT_MAX_DEVICES */
};

/* Cap changes of one device still inside the model's look-back, oldest first. A GPU applies a
 * cap some time after it is asked (response time), so a cap set at t takes effect at
 * t + response: each entry is (time it takes effect, cap). Times are ns on the backend's own
 * time axis (signed: relative to its start). */
#define AGT__CAPQ_LEN 32

struct agt__capq {
	uint32_t base; /* cap in force before ev[0].at */
	uint32_t len;

	struct {
		int64_t at;
		uint32_t cap;
	} ev[AGT__CAPQ_LEN];
};

void agt__capq_init(struct agt__capq *q, uint32_t cap);

/* The most recently requested cap (in force or pending). */
uint32_t agt__capq_last(const struct agt__capq *q);

/* Queue @cap to take effect at @at (>= every queued time: WT_ASSERT). A cap equal to the last
 * requested one is dropped. Returns 0, or WT_EBUSY when the queue is full. */
int agt__capq_push(struct agt__capq *q, int64_t at, uint32_t cap);

/* The cap in force at @x; *@next (may be NULL) gets the time of the next change after @x, or
 * INT64_MAX. */
uint32_t agt__capq_at(const struct agt__capq *q, int64_t x, int64_t *next);

/* Fold the changes that took effect at or before @x into the base. Call only with an @x
 * before which the model will never look again. */
void agt__capq_retire(struct agt__capq *q, int64_t x);

/* agt_trace_parse() with @max_rows (>= 1) instead of AGT_TRACE_MAX_ROWS. */
int agt__trace_parse_max(const char *name, const char *buf, size_t len, size_t max_rows,
			 struct agt_trace *out, char *err, size_t errlen);

#endif
