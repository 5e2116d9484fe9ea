/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch through the backend vtable, backend names, and the cap queue the GPU-like backends
 * share. Nothing here knows a particular backend. */
#include "backend/backend.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "backend/internal.h"
#include "wt/err.h"

static const char *const kind_names[] = {
	[AGT_BACKEND_SIM] = "sim",
	[AGT_BACKEND_TRACE] = "trace",
	[AGT_BACKEND_MINER] = "miner",
	[AGT_BACKEND_NVML] = "nvml",
};

#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

int agt_backend_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out)
{
	return b->ops->sample(b, now_ns, out);
}

int agt_backend_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns)
{
	return b->ops->set_cap(b, dev, cap_w, now_ns);
}

uint32_t agt_backend_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms)
{
	return b->ops->predict_peak(b, now_ns, horizon_ms);
}

void agt_backend_free(struct agt_backend *b)
{
	if (b == NULL) {
		return;
	}
	b->ops->free(b);
}

const struct agt_backend_ops *agt_backend_get_ops(const struct agt_backend *b)
{
	return b->ops;
}

enum agt_backend_kind agt_backend_get_kind(const struct agt_backend *b)
{
	return b->kind;
}

uint32_t agt_backend_devices(const struct agt_backend *b)
{
	return b->n;
}

int agt_backend_kind_parse(const char *s)
{
	for (size_t k = 1; k < KIND_COUNT; k++) {
		if (kind_names[k] != NULL && strcmp(s, kind_names[k]) == 0) {
			return (int)k;
		}
	}
	return -EINVAL;
}

const char *agt_backend_kind_name(enum agt_backend_kind kind)
{
	if ((size_t)kind < KIND_COUNT && kind_names[kind] != NULL) {
		return kind_names[kind];
	}
	return "?";
}

void agt__capq_init(struct agt__capq *q, uint32_t cap)
{
	q->base = cap;
	q->len = 0;
}

uint32_t agt__capq_last(const struct agt__capq *q)
{
	return q->len > 0 ? q->ev[q->len - 1].cap : q->base;
}

int agt__capq_push(struct agt__capq *q, int64_t at, uint32_t cap)
{
	if (cap == agt__capq_last(q)) {
		return 0;
	}
	WT_ASSERT(q->len == 0 || at >= q->ev[q->len - 1].at);
	if (q->len == AGT__CAPQ_LEN) {
		return WT_EBUSY;
	}
	q->ev[q->len].at = at;
	q->ev[q->len].cap = cap;
	q->len++;
	return 0;
}

uint32_t agt__capq_at(const struct agt__capq *q, int64_t x, int64_t *next)
{
	uint32_t cap = q->base;
	uint32_t i = 0;

	while (i < q->len && q->ev[i].at <= x) {
		cap = q->ev[i].cap;
		i++;
	}
	if (next != NULL) {
		*next = i < q->len ? q->ev[i].at : INT64_MAX;
	}
	return cap;
}

void agt__capq_retire(struct agt__capq *q, int64_t x)
{
	uint32_t i = 0;

	while (i < q->len && q->ev[i].at <= x) {
		q->base = q->ev[i].cap;
		i++;
	}
	if (i > 0) {
		memmove(q->ev, q->ev + i, (q->len - i) * sizeof(q->ev[0]));
		q->len -= i;
	}
}
