/* SPDX-License-Identifier: Apache-2.0 */
/* The miner block backend: a small discrete-event model. Per unit a state (off, restoring, on,
 * shedding), the instant it entered on/off ("since") and the instant an in-flight command
 * completes ("done"). reconcile() brings a group towards its allowed count at one instant;
 * advance() finds the next instant anything can change (a completion, or a unit becoming
 * eligible while the group is away from its target) and reconciles there, until the requested
 * time. Times are signed ns relative to the start. */
#include "backend/miner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "backend/internal.h"
#include "wt/err.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000LL

enum unit_state {
	UNIT_OFF = 0,
	UNIT_RESTORING, /* off, draws 0 until done */
	UNIT_ON,
	UNIT_SHEDDING, /* on, draws unit_w until done */
};

struct unit {
	enum unit_state state;
	int64_t since; /* on: power came at; off: power went at */
	int64_t done;  /* restoring/shedding: completes at */
};

struct miner {
	struct agt_backend base;
	struct agt_miner_cfg cfg;
	uint64_t start_ns;
	int64_t now_rel; /* everything up to here is applied */
	int64_t shed_ns, restore_ns, min_on_ns, min_off_ns;
	uint32_t first[AGT_MAX_DEVICES + 1]; /* group g: units first[g] .. first[g + 1] - 1 */
	uint32_t allowed[AGT_MAX_DEVICES];
	struct unit *u;
};

static struct miner *to_miner(struct agt_backend *b)
{
	return (struct miner *)b;
}

void agt_miner_cfg_init(struct agt_miner_cfg *cfg)
{
	*cfg = (struct agt_miner_cfg){
		.n_units = 16,
		.unit_w = 3200,
		.shed_latency_ms = 200,
		.restore_latency_ms = 2000,
		.min_on_ms = 0,
		.min_off_ms = 10000,
		.initial_on = AGT_MINER_ALL,
	};
}

int agt_miner_cfg_validate(const struct agt_miner_cfg *cfg, char *err, size_t errlen)
{
	const struct {
		const char *name;
		uint32_t v;
	} lat[] = {
		{ "shed_latency_ms", cfg->shed_latency_ms },
		{ "restore_latency_ms", cfg->restore_latency_ms },
		{ "min_on_ms", cfg->min_on_ms },
		{ "min_off_ms", cfg->min_off_ms },
	};

	if (cfg->n_units < 1 || cfg->n_units > AGT_MINER_MAX_UNITS) {
		return wt_err_config(err, errlen, "miner n_units = %u out of range 1-%u",
				     cfg->n_units, AGT_MINER_MAX_UNITS);
	}
	if (cfg->unit_w < 1 || cfg->unit_w > AGT_MINER_MAX_UNIT_W) {
		return wt_err_config(err, errlen, "miner unit_w = %u out of range 1-%u",
				     cfg->unit_w, AGT_MINER_MAX_UNIT_W);
	}
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		if (lat[i].v > AGT_MINER_MAX_LAT_MS) {
			return wt_err_config(err, errlen, "miner %s = %u out of range 0-%u",
					     lat[i].name, lat[i].v, AGT_MINER_MAX_LAT_MS);
		}
	}
	if (cfg->initial_on != AGT_MINER_ALL && cfg->initial_on > cfg->n_units) {
		return wt_err_config(err, errlen,
				     "miner initial_on = %u out of range 0-%u (n_units)",
				     cfg->initial_on, cfg->n_units);
	}
	return 0;
}

static uint32_t committed(const struct miner *m, uint32_t g)
{
	uint32_t c = 0;

	for (uint32_t i = m->first[g]; i < m->first[g + 1]; i++) {
		c += m->u[i].state == UNIT_ON || m->u[i].state == UNIT_RESTORING;
	}
	return c;
}

/* Apply what is due at @x in group @g: completions, then commands towards allowed[g]. */
static void reconcile(struct miner *m, uint32_t g, int64_t x)
{
	uint32_t lo = m->first[g], hi = m->first[g + 1];
	uint32_t c, need;

	for (uint32_t i = lo; i < hi; i++) {
		struct unit *u = &m->u[i];

		if (u->state == UNIT_SHEDDING && u->done <= x) {
			u->state = UNIT_OFF;
			u->since = u->done;
		} else if (u->state == UNIT_RESTORING && u->done <= x) {
			u->state = UNIT_ON;
			u->since = u->done;
		}
	}
	c = committed(m, g);
	if (c > m->allowed[g]) {
		need = c - m->allowed[g];
		/* Cancelling a restore costs nothing: the unit never drew power. */
		for (uint32_t i = hi; i-- > lo && need > 0;) {
			if (m->u[i].state == UNIT_RESTORING) {
				m->u[i].state = UNIT_OFF;
				need--;
			}
		}
		for (uint32_t i = hi; i-- > lo && need > 0;) {
			struct unit *u = &m->u[i];

			if (u->state == UNIT_ON && x >= u->since + m->min_on_ns) {
				u->state = UNIT_SHEDDING;
				u->done = x + m->shed_ns;
				need--;
			}
		}
	} else if (c < m->allowed[g]) {
		need = m->allowed[g] - c;
		for (uint32_t i = lo; i < hi && need > 0; i++) {
			struct unit *u = &m->u[i];

			if (u->state == UNIT_OFF && x >= u->since + m->min_off_ns) {
				u->state = UNIT_RESTORING;
				u->done = x + m->restore_ns;
				need--;
			}
		}
	}
}

/* Earliest instant after a reconcile at @x at which group @g can change, or INT64_MAX. */
static int64_t next_event(const struct miner *m, uint32_t g, int64_t x)
{
	uint32_t c = committed(m, g);
	int64_t te = INT64_MAX;

	for (uint32_t i = m->first[g]; i < m->first[g + 1]; i++) {
		const struct unit *u = &m->u[i];
		int64_t t = INT64_MAX;

		if (u->state == UNIT_SHEDDING || u->state == UNIT_RESTORING) {
			t = u->done;
		} else if (u->state == UNIT_ON && c > m->allowed[g]) {
			t = u->since + m->min_on_ns;
		} else if (u->state == UNIT_OFF && c < m->allowed[g]) {
			t = u->since + m->min_off_ns;
		}
		/* Eligibility at or before @x was acted on by the reconcile at @x. */
		if (u->state == UNIT_ON || u->state == UNIT_OFF) {
			if (t <= x) {
				t = INT64_MAX;
			}
		}
		if (t < te) {
			te = t;
		}
	}
	return te;
}

static void advance(struct miner *m, int64_t now)
{
	for (;;) {
		int64_t te = INT64_MAX;

		for (uint32_t g = 0; g < m->base.n; g++) {
			int64_t t = next_event(m, g, m->now_rel);

			if (t < te) {
				te = t;
			}
		}
		if (te > now) {
			break;
		}
		m->now_rel = te;
		for (uint32_t g = 0; g < m->base.n; g++) {
			reconcile(m, g, te);
		}
	}
	m->now_rel = now;
}

static uint32_t all_on_w(const struct miner *m)
{
	return m->cfg.n_units * m->cfg.unit_w;
}

static int miner_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out)
{
	struct miner *m = to_miner(b);
	int64_t x = (int64_t)(now_ns - m->start_ns);

	if (x < m->now_rel) {
		return -EINVAL;
	}
	advance(m, x);
	*out = (struct agt_sample){ .t_ns = now_ns, .n = b->n };
	for (uint32_t g = 0; g < b->n; g++) {
		for (uint32_t i = m->first[g]; i < m->first[g + 1]; i++) {
			if (m->u[i].state == UNIT_ON || m->u[i].state == UNIT_SHEDDING) {
				out->dev_w[g] += m->cfg.unit_w;
			}
		}
		out->total_w += out->dev_w[g];
	}
	out->demand_w = all_on_w(m);
	out->predicted_peak_w = all_on_w(m);
	return 0;
}

static int miner_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns)
{
	struct miner *m = to_miner(b);
	int64_t x = (int64_t)(now_ns - m->start_ns);
	uint32_t size, units;

	if (dev >= b->n || x < m->now_rel) {
		return -EINVAL;
	}
	advance(m, x);
	size = m->first[dev + 1] - m->first[dev];
	units = cap_w / m->cfg.unit_w;
	m->allowed[dev] = units < size ? units : size;
	reconcile(m, dev, x);
	return 0;
}

static uint32_t miner_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms)
{
	return all_on_w(to_miner(b));
}

static void miner_free(struct agt_backend *b)
{
	struct miner *m = to_miner(b);

	wt_free(m->u);
	wt_free(m);
}

static const struct agt_backend_ops miner_ops = {
	.name = "miner",
	.sample = miner_sample,
	.set_cap = miner_set_cap,
	.predict_peak = miner_predict_peak,
	.free = miner_free,
};

int agt_backend_miner_new(struct agt_backend **out, const struct agt_miner_cfg *cfg,
			  uint64_t now_ns)
{
	uint32_t n, on;
	struct miner *m;
	int rc;

	rc = agt_miner_cfg_validate(cfg, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	n = cfg->n_units < AGT_MAX_DEVICES ? cfg->n_units : AGT_MAX_DEVICES;
	on = cfg->initial_on == AGT_MINER_ALL ? cfg->n_units : cfg->initial_on;
	m = wt_calloc(1, sizeof(*m));
	m->u = wt_calloc(cfg->n_units, sizeof(*m->u));
	m->base.ops = &miner_ops;
	m->base.kind = AGT_BACKEND_MINER;
	m->base.n = n;
	m->cfg = *cfg;
	m->start_ns = now_ns;
	m->shed_ns = cfg->shed_latency_ms * NS_PER_MS;
	m->restore_ns = cfg->restore_latency_ms * NS_PER_MS;
	m->min_on_ns = cfg->min_on_ms * NS_PER_MS;
	m->min_off_ns = cfg->min_off_ms * NS_PER_MS;
	for (uint32_t g = 0; g <= n; g++) {
		/* Sizes floor(U / n) or one more, the larger ones first. */
		uint32_t base = cfg->n_units / n, extra = cfg->n_units % n;

		m->first[g] = g * base + (g < extra ? g : extra);
	}
	for (uint32_t i = 0; i < cfg->n_units; i++) {
		struct unit *u = &m->u[i];

		u->state = i < on ? UNIT_ON : UNIT_OFF;
		u->since = i < on ? -m->min_on_ns : -m->min_off_ns;
	}
	for (uint32_t g = 0; g < n; g++) {
		m->allowed[g] = committed(m, g);
	}
	*out = &m->base;
	return 0;
}
