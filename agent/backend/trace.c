/* SPDX-License-Identifier: Apache-2.0 */
/* The trace replay backend: a thin clock-free layer over the decoded trace (offset, loop,
 * scale, even split) plus the per-device cap queue shared with the sim. */
#include "backend/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "backend/internal.h"
#include "wt/err.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000ULL

struct trace_be {
	struct agt_backend base;
	struct agt_trace_cfg cfg;
	uint64_t start_ns;
	int64_t last_rel;
	struct agt__capq caps[AGT_MAX_DEVICES];
};

static struct trace_be *to_tb(struct agt_backend *b)
{
	return (struct trace_be *)b;
}

void agt_trace_cfg_init(struct agt_trace_cfg *cfg)
{
	*cfg = (struct agt_trace_cfg){
		.trace = NULL,
		.n_devices = 1,
		.loop = true,
		.offset_ms = 0,
		.scale = 1.0,
		.cap_response_ms = 20,
		.min_cap_w = 100,
		.max_cap_w = AGT_CAP_NONE,
		.predict_horizon_ms = 200,
	};
}

int agt_trace_cfg_validate(const struct agt_trace_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->trace == NULL || agt_trace_rows(cfg->trace) == 0) {
		return wt_err_config(err, errlen, "trace backend has no decoded trace");
	}
	if (cfg->n_devices < 1 || cfg->n_devices > AGT_MAX_DEVICES) {
		return wt_err_config(err, errlen, "trace n_devices = %u out of range 1-%u",
				     cfg->n_devices, AGT_MAX_DEVICES);
	}
	if (!(cfg->scale >= 0.0 && cfg->scale <= AGT_TRACE_MAX_SCALE)) {
		return wt_err_config(err, errlen, "trace scale = %g out of range 0-%g", cfg->scale,
				     AGT_TRACE_MAX_SCALE);
	}
	if (cfg->cap_response_ms > 60000) {
		return wt_err_config(err, errlen, "trace cap_response_ms = %u out of range 0-60000",
				     cfg->cap_response_ms);
	}
	if (cfg->max_cap_w < 1 || cfg->min_cap_w > cfg->max_cap_w) {
		return wt_err_config(
			err, errlen,
			"trace min_cap_w = %u, max_cap_w = %u (need 1 <= max, min <= max)",
			cfg->min_cap_w, cfg->max_cap_w);
	}
	return 0;
}

/* Nearest integer of @w >= 0, saturating: the one rounding rule, so that sample() and
 * predict_peak() agree (predict(now, 0) == demand_w at now). */
static uint32_t round_w(double w)
{
	if (!(w > 0.0)) {
		return 0;
	}
	if (w >= (double)UINT32_MAX) {
		return UINT32_MAX;
	}
	return (uint32_t)(w + 0.5);
}

/* Replay position of rel time @x (>= 0). */
static uint64_t position(const struct trace_be *tb, int64_t x)
{
	return (uint64_t)x + (uint64_t)tb->cfg.offset_ms * NS_PER_MS;
}

static uint32_t demand_at(const struct trace_be *tb, int64_t x)
{
	return round_w(tb->cfg.scale *
		       agt_trace_value_w(tb->cfg.trace, position(tb, x), tb->cfg.loop));
}

static int trace_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out)
{
	struct trace_be *tb = to_tb(b);
	int64_t x = (int64_t)(now_ns - tb->start_ns);
	uint32_t demand, share, extra;

	if (x < tb->last_rel) {
		return -EINVAL;
	}
	tb->last_rel = x;
	demand = demand_at(tb, x);
	share = demand / b->n;
	extra = demand % b->n;
	*out = (struct agt_sample){ .t_ns = now_ns, .n = b->n, .demand_w = demand };
	for (uint32_t d = 0; d < b->n; d++) {
		uint32_t want = share + (d < extra ? 1 : 0);
		uint32_t cap;

		agt__capq_retire(&tb->caps[d], x);
		cap = agt__capq_at(&tb->caps[d], x, NULL);
		out->dev_w[d] = want < cap ? want : cap;
		out->total_w += out->dev_w[d];
	}
	out->predicted_peak_w = b->ops->predict_peak(b, now_ns, tb->cfg.predict_horizon_ms);
	return 0;
}

static int trace_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns)
{
	struct trace_be *tb = to_tb(b);
	int64_t x = (int64_t)(now_ns - tb->start_ns);

	if (dev >= b->n || x < tb->last_rel) {
		return -EINVAL;
	}
	tb->last_rel = x;
	if (cap_w < tb->cfg.min_cap_w) {
		cap_w = tb->cfg.min_cap_w;
	}
	if (cap_w > tb->cfg.max_cap_w) {
		cap_w = tb->cfg.max_cap_w;
	}
	agt__capq_retire(&tb->caps[dev], x);
	return agt__capq_push(&tb->caps[dev], x + (int64_t)tb->cfg.cap_response_ms * 1000000,
			      cap_w);
}

static uint32_t trace_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms)
{
	struct trace_be *tb = to_tb(b);
	int64_t x = (int64_t)(now_ns - tb->start_ns);
	double m;

	if (x < 0) {
		x = 0;
	}
	m = agt_trace_max_in(tb->cfg.trace, position(tb, x), (uint64_t)horizon_ms * NS_PER_MS,
			     tb->cfg.loop);
	return round_w(tb->cfg.scale * m);
}

static void trace_free(struct agt_backend *b)
{
	wt_free(to_tb(b));
}

static const struct agt_backend_ops trace_ops = {
	.name = "trace",
	.sample = trace_sample,
	.set_cap = trace_set_cap,
	.predict_peak = trace_predict_peak,
	.free = trace_free,
};

int agt_backend_trace_new(struct agt_backend **out, const struct agt_trace_cfg *cfg,
			  uint64_t now_ns)
{
	struct trace_be *tb;
	int rc;

	rc = agt_trace_cfg_validate(cfg, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	tb = wt_calloc(1, sizeof(*tb));
	tb->base.ops = &trace_ops;
	tb->base.kind = AGT_BACKEND_TRACE;
	tb->base.n = cfg->n_devices;
	tb->cfg = *cfg;
	tb->start_ns = now_ns;
	for (uint32_t d = 0; d < cfg->n_devices; d++) {
		agt__capq_init(&tb->caps[d], cfg->max_cap_w);
	}
	*out = &tb->base;
	return 0;
}
