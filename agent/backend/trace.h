/* SPDX-License-Identifier: Apache-2.0 */
/* Trace replay backend: a node whose load is a recorded power trace (trace_csv.h), e.g. the
 * ML.ENERGY H100 inference traces in tests/data/. The trace's total is spread evenly over the
 * node's N GPUs (the traces carry no per-GPU values), interpolated linearly between rows,
 * scaled, and clipped per device by caps.
 *
 * Replay position at time t: (t - start) + offset_ms, on the trace's axis (first row = 0).
 * With loop the trace repeats every agt_trace_period_ns(); without, the last row holds.
 * demand_w = round(scale * value); device d gets demand_w / N, the first demand_w % N devices
 * one watt more, so the devices add up to demand_w exactly. A cap set at t applies from
 * t + cap_response_ms on, as a step (the trace's own 0.1 s grid is far coarser than a GPU's
 * ramp); caps are clamped to [min_cap_w, max_cap_w]; devices start at max_cap_w, by default
 * AGT_CAP_NONE: the trace is replayed as recorded, including readings above a 700 W TDP.
 * predict_peak() is the maximum of the scaled, interpolated trace over the window (looked up
 * through per-block maxima, cheap for any horizon), rounded as demand_w is.
 * Not thread-safe. */
#ifndef AGT_BACKEND_TRACE_H
#define AGT_BACKEND_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/trace_csv.h"

#define AGT_TRACE_MAX_SCALE 100.0

struct agt_trace_cfg {
	const struct agt_trace *trace; /* borrowed: must outlive the backend; required */
	uint32_t n_devices;	       /* 1..AGT_MAX_DEVICES; default 1 */
	bool loop;		       /* default true */
	uint32_t offset_ms;	       /* replay starts this far into the trace; default 0 */
	double scale;		       /* 0..AGT_TRACE_MAX_SCALE; default 1 */
	uint32_t cap_response_ms;      /* default 20 (DESIGN.md "GPU throttle 20 ms") */
	uint32_t min_cap_w;	       /* default 100 */
	uint32_t max_cap_w;	       /* >= min_cap_w; default AGT_CAP_NONE */
	uint32_t predict_horizon_ms;   /* for sample(); default 200 */
};

/* Fill @cfg with the defaults above (trace NULL: the caller sets it). */
void agt_trace_cfg_init(struct agt_trace_cfg *cfg);

/* Check @cfg. Returns 0 or WT_ECONFIG with the field, its value and the range in @err
 * (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). */
int agt_trace_cfg_validate(const struct agt_trace_cfg *cfg, char *err, size_t errlen);

/* Make a trace backend replaying @cfg->trace (borrowed) from @now_ns on; @cfg is copied.
 * Returns 0 and sets *@out (free with agt_backend_free()), or WT_ECONFIG (*@out untouched). */
int agt_backend_trace_new(struct agt_backend **out, const struct agt_trace_cfg *cfg,
			  uint64_t now_ns);

#endif
