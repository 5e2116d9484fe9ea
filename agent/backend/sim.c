/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated GPU backend. Everything is computed from the time: the level of a device is a
 * closed-form function of (time since start + its offset) and of the hold mode in force (a step
 * function of time, like the caps), and its power is the integral of min(level, cap) over the
 * last ramp_ns divided by ramp_ns. Internally times are signed ns
 * relative to the start ("rel"), so the look-back window may reach before the start (the
 * schedule is periodic, so it is defined there too). */
#include "backend/sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "backend/internal.h"
#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000LL

struct sim {
	struct agt_backend base;
	struct agt_sim_cfg cfg;
	uint64_t start_ns;
	int64_t last_rel;    /* latest sample/set_cap time */
	int64_t ramp_ns;     /* R */
	int64_t response_ns; /* cap set at t engages at t + response_ns - R (or t) */
	int64_t cycle_ns;    /* sum of phase durations */
	int64_t slot_ns;     /* jitter period */
	int64_t phase_ns[AGT_SIM_PHASES];
	uint32_t amp_w[AGT_SIM_PHASES]; /* jitter amplitude: watts * jitter_pct / 100 */
	uint32_t max_level_w;		/* highest level any device can reach */
	int64_t offset_ns[AGT_MAX_DEVICES];
	uint64_t key[AGT_MAX_DEVICES]; /* noise key per device */
	struct agt__capq caps[AGT_MAX_DEVICES];
	struct agt__capq hold; /* mode over time, shared by all devices: 0 cycle, 1 + phase held */
};

static struct sim *to_sim(struct agt_backend *b)
{
	return (struct sim *)b;
}

void agt_sim_cfg_init(struct agt_sim_cfg *cfg)
{
	*cfg = (struct agt_sim_cfg){
		.n_devices = 8,
		.phase = {
			[AGT_SIM_IDLE] = { .watts = 100, .duration_ms = 2000 },
			[AGT_SIM_PRELOAD] = { .watts = 250, .duration_ms = 1000 },
			[AGT_SIM_COMPUTE] = { .watts = 650, .duration_ms = 6000, .jitter_pct = 10 },
			[AGT_SIM_TEARDOWN] = { .watts = 200, .duration_ms = 500 },
		},
		.jitter_period_ms = 100,
		.ramp_ms = 8,
		.cap_response_ms = 20,
		.min_cap_w = 100,
		.max_cap_w = 700,
		.predict_horizon_ms = 200,
		.correlation = 1.0,
		.seed = 1,
		.hold_phase = AGT_SIM_CYCLE,
	};
}

static const char *const phase_names[AGT_SIM_PHASES] = { "idle", "preload", "compute", "teardown" };

const char *agt_sim_phase_name(int phase)
{
	if (phase == AGT_SIM_CYCLE) {
		return "cycle";
	}
	return phase >= 0 && phase < AGT_SIM_PHASES ? phase_names[phase] : "?";
}

int agt_sim_cfg_validate(const struct agt_sim_cfg *cfg, char *err, size_t errlen)
{
	uint64_t cycle_ms = 0;

	if (cfg->n_devices < 1 || cfg->n_devices > AGT_MAX_DEVICES) {
		return wt_err_config(err, errlen, "sim n_devices = %u out of range 1-%u",
				     cfg->n_devices, AGT_MAX_DEVICES);
	}
	for (int p = 0; p < AGT_SIM_PHASES; p++) {
		const struct agt_sim_phase_cfg *ph = &cfg->phase[p];

		if (ph->watts > AGT_SIM_MAX_W) {
			return wt_err_config(err, errlen, "sim %s watts = %u out of range 0-%u",
					     phase_names[p], ph->watts, AGT_SIM_MAX_W);
		}
		if (ph->duration_ms > AGT_SIM_MAX_PHASE_MS) {
			return wt_err_config(err, errlen,
					     "sim %s duration_ms = %u out of range 0-%u",
					     phase_names[p], ph->duration_ms, AGT_SIM_MAX_PHASE_MS);
		}
		if (ph->jitter_pct > 100) {
			return wt_err_config(err, errlen,
					     "sim %s jitter_pct = %u out of range 0-100",
					     phase_names[p], ph->jitter_pct);
		}
		cycle_ms += ph->duration_ms;
	}
	if (cycle_ms == 0) {
		return wt_err_config(err, errlen,
				     "sim phases have no duration (need one phase > 0 ms)");
	}
	if (cfg->jitter_period_ms < 1 || cfg->jitter_period_ms > AGT_SIM_MAX_PHASE_MS) {
		return wt_err_config(err, errlen, "sim jitter_period_ms = %u out of range 1-%u",
				     cfg->jitter_period_ms, AGT_SIM_MAX_PHASE_MS);
	}
	if (cfg->ramp_ms > AGT_SIM_MAX_RAMP_MS) {
		return wt_err_config(err, errlen, "sim ramp_ms = %u out of range 0-%u",
				     cfg->ramp_ms, AGT_SIM_MAX_RAMP_MS);
	}
	if (cfg->cap_response_ms > AGT_SIM_MAX_RESPONSE_MS) {
		return wt_err_config(err, errlen, "sim cap_response_ms = %u out of range 0-%u",
				     cfg->cap_response_ms, AGT_SIM_MAX_RESPONSE_MS);
	}
	if (cfg->max_cap_w < 1 || cfg->min_cap_w > cfg->max_cap_w) {
		return wt_err_config(
			err, errlen,
			"sim min_cap_w = %u, max_cap_w = %u (need 1 <= max, min <= max)",
			cfg->min_cap_w, cfg->max_cap_w);
	}
	if (cfg->predict_horizon_ms > AGT_SIM_MAX_HORIZON_MS) {
		return wt_err_config(err, errlen, "sim predict_horizon_ms = %u out of range 0-%u",
				     cfg->predict_horizon_ms, AGT_SIM_MAX_HORIZON_MS);
	}
	if (!(cfg->correlation >= 0.0 && cfg->correlation <= 1.0)) {
		return wt_err_config(err, errlen, "sim correlation = %g out of range 0-1",
				     cfg->correlation);
	}
	if (cfg->hold_phase < AGT_SIM_CYCLE || cfg->hold_phase >= AGT_SIM_PHASES) {
		return wt_err_config(err, errlen,
				     "sim hold_phase = %d out of range %d (cycle) to %d",
				     cfg->hold_phase, AGT_SIM_CYCLE, AGT_SIM_PHASES - 1);
	}
	return 0;
}

/* splitmix64's finaliser, then one xorshift step of wt_rand32: a counter-based generator, so
 * the noise of a slot depends on nothing but (seed, device, slot). */
static uint32_t hash3(uint64_t key, uint64_t a, uint64_t b)
{
	uint64_t z = key ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	if (z == 0) {
		z = 0x853c49e6748fea9bULL;
	}
	return wt_rand32(&z);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0))) {
		q--;
	}
	return q;
}

/* Watts of phase @p for device @d at @x (rel), with its jitter; lowers *@next to the end of
 * the jitter slot when the phase has jitter. */
static uint32_t phase_level(const struct sim *s, uint32_t d, int p, int64_t x, int64_t *next)
{
	int64_t local = x + s->offset_ns[d];
	int64_t slot, slot_end;
	uint32_t a = s->amp_w[p], r;

	if (a == 0) {
		return s->cfg.phase[p].watts;
	}
	slot = floor_div(local, s->slot_ns);
	slot_end = x + ((slot + 1) * s->slot_ns - local);
	r = hash3(s->key[d], (uint64_t)p, (uint64_t)slot) % (2 * a + 1);
	if (slot_end < *next) {
		*next = slot_end;
	}
	return s->cfg.phase[p].watts - a + r;
}

/* Level of device @d at @x (rel) on the cycle, valid on [x, *next); *next > x. */
static uint32_t cycle_level(const struct sim *s, uint32_t d, int64_t x, int64_t *next)
{
	int64_t local = x + s->offset_ns[d];
	int64_t pos = local - floor_div(local, s->cycle_ns) * s->cycle_ns;
	int64_t start = 0;
	int p = 0;

	/* A zero-length phase never matches: pos < start + 0 is false. */
	while (p < AGT_SIM_PHASES - 1 && pos >= start + s->phase_ns[p]) {
		start += s->phase_ns[p];
		p++;
	}
	*next = x + (start + s->phase_ns[p] - pos);
	return phase_level(s, d, p, x, next);
}

/* Level of device @d at @x (rel) in the mode in force then (cycle or a held phase), valid on
 * [x, *next); *next > x. */
static uint32_t level_at(const struct sim *s, uint32_t d, int64_t x, int64_t *next)
{
	int64_t mode_next;
	uint32_t mode = agt__capq_at(&s->hold, x, &mode_next);
	uint32_t w;

	if (mode == 0) {
		w = cycle_level(s, d, x, next);
	} else {
		*next = INT64_MAX;
		w = phase_level(s, d, (int)mode - 1, x, next);
	}
	if (mode_next < *next) {
		*next = mode_next;
	}
	return w;
}

/* Highest level a device reaches in @mode (0 cycle, 1 + phase held). */
static uint32_t mode_max_w(const struct sim *s, uint32_t mode)
{
	if (mode == 0) {
		return s->max_level_w;
	}
	return s->cfg.phase[mode - 1].watts + s->amp_w[mode - 1];
}

/* Highest level any device can reach from now on: over every mode still queued or in force
 * (the base may still be inside the ramp window). */
static uint32_t level_bound(const struct sim *s)
{
	uint32_t m = mode_max_w(s, s->hold.base);

	for (uint32_t i = 0; i < s->hold.len; i++) {
		uint32_t w = mode_max_w(s, s->hold.ev[i].cap);

		if (w > m) {
			m = w;
		}
	}
	return m;
}

/* Integrals of the level (*@dem) and of min(level, cap) (*@capped) of device @d over
 * [x - R, x), in W*ns; with R = 0 the values at @x. */
static void integrate(const struct sim *s, uint32_t d, int64_t x, uint64_t *dem, uint64_t *capped)
{
	int64_t t = x - s->ramp_ns;
	int64_t nl, nc;
	uint32_t l, c;

	if (s->ramp_ns == 0) {
		l = level_at(s, d, x, &nl);
		c = agt__capq_at(&s->caps[d], x, NULL);
		*dem = l;
		*capped = l < c ? l : c;
		return;
	}
	*dem = 0;
	*capped = 0;
	while (t < x) {
		int64_t e;

		l = level_at(s, d, t, &nl);
		c = agt__capq_at(&s->caps[d], t, &nc);
		e = nl < nc ? nl : nc;
		if (e > x) {
			e = x;
		}
		*dem += (uint64_t)l * (uint64_t)(e - t);
		*capped += (uint64_t)(l < c ? l : c) * (uint64_t)(e - t);
		t = e;
	}
}

static uint32_t div_round(uint64_t v, int64_t r)
{
	uint64_t q;

	if (r == 0) {
		q = v;
	} else {
		q = (v + (uint64_t)r / 2) / (uint64_t)r;
	}
	return q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
}

static int64_t rel_of(const struct sim *s, uint64_t now_ns)
{
	return (int64_t)(now_ns - s->start_ns);
}

/* When a level change at @x leaves the ramp window. A held level without jitter never changes
 * (INT64_MAX): saturate rather than overflow. */
static int64_t lag_end(const struct sim *s, int64_t x)
{
	return x > INT64_MAX - s->ramp_ns ? INT64_MAX : x + s->ramp_ns;
}

/* Peak of the total ramped demand over [x0, x0 + h]. The total is the moving mean of the
 * summed level L, so its slope is (L(x) - L(x - R)) / R: piecewise constant, changing only
 * where a level changes ("lead") or where a change leaves the window ("lag", R later). We walk
 * those instants in order and keep the running integral S = R * demand; its maximum is at one
 * of them. Cost: about 2 * N * (changes per device in the horizon) steps of O(N). */
static uint64_t peak_integral(const struct sim *s, int64_t x0, int64_t h)
{
	uint32_t n = s->base.n;
	uint32_t lead[AGT_MAX_DEVICES], lag[AGT_MAX_DEVICES];
	int64_t lead_next[AGT_MAX_DEVICES], lag_next[AGT_MAX_DEVICES];
	int64_t x = x0, end = x0 + h;
	int64_t acc = 0, best;

	for (uint32_t d = 0; d < n; d++) {
		uint64_t dem, capped;

		integrate(s, d, x0, &dem, &capped);
		acc += (int64_t)dem;
		lead[d] = level_at(s, d, x0, &lead_next[d]);
		lag[d] = level_at(s, d, x0 - s->ramp_ns, &lag_next[d]);
	}
	best = acc;
	while (x < end) {
		int64_t next = end, slope = 0;

		for (uint32_t d = 0; d < n; d++) {
			if (lead_next[d] < next) {
				next = lead_next[d];
			}
			if (s->ramp_ns > 0 && lag_end(s, lag_next[d]) < next) {
				next = lag_end(s, lag_next[d]);
			}
			slope += (int64_t)lead[d] - (int64_t)lag[d];
		}
		if (s->ramp_ns > 0) {
			acc += slope * (next - x);
		}
		x = next;
		for (uint32_t d = 0; d < n; d++) {
			if (lead_next[d] == x) {
				lead[d] = level_at(s, d, x, &lead_next[d]);
			}
			if (s->ramp_ns > 0 && lag_end(s, lag_next[d]) == x) {
				lag[d] = level_at(s, d, x - s->ramp_ns, &lag_next[d]);
			}
		}
		if (s->ramp_ns == 0) {
			acc = 0;
			for (uint32_t d = 0; d < n; d++) {
				acc += lead[d];
			}
		}
		if (acc > best) {
			best = acc;
		}
	}
	return (uint64_t)best;
}

static uint32_t sim_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms)
{
	struct sim *s = to_sim(b);

	if (horizon_ms > AGT_SIM_PREDICT_EXACT_MS) {
		uint64_t bound = (uint64_t)level_bound(s) * b->n;

		return bound > UINT32_MAX ? UINT32_MAX : (uint32_t)bound;
	}
	return div_round(peak_integral(s, rel_of(s, now_ns), (int64_t)horizon_ms * NS_PER_MS),
			 s->ramp_ns);
}

static int sim_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out)
{
	struct sim *s = to_sim(b);
	int64_t x = rel_of(s, now_ns);
	uint64_t dem_sum = 0;

	if (x < s->last_rel) {
		return -EINVAL;
	}
	s->last_rel = x;
	agt__capq_retire(&s->hold, x - s->ramp_ns);
	*out = (struct agt_sample){ .t_ns = now_ns, .n = b->n };
	for (uint32_t d = 0; d < b->n; d++) {
		uint64_t dem, capped;

		/* The window never again reaches before x - R. */
		agt__capq_retire(&s->caps[d], x - s->ramp_ns);
		integrate(s, d, x, &dem, &capped);
		dem_sum += dem;
		out->dev_w[d] = div_round(capped, s->ramp_ns);
		out->total_w += out->dev_w[d];
	}
	out->demand_w = div_round(dem_sum, s->ramp_ns);
	out->predicted_peak_w = sim_predict_peak(b, now_ns, s->cfg.predict_horizon_ms);
	return 0;
}

static int sim_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns)
{
	struct sim *s = to_sim(b);
	int64_t x = rel_of(s, now_ns);
	int64_t at;

	if (dev >= b->n || x < s->last_rel) {
		return -EINVAL;
	}
	s->last_rel = x;
	if (cap_w < s->cfg.min_cap_w) {
		cap_w = s->cfg.min_cap_w;
	}
	if (cap_w > s->cfg.max_cap_w) {
		cap_w = s->cfg.max_cap_w;
	}
	at = x + (s->response_ns > s->ramp_ns ? s->response_ns - s->ramp_ns : 0);
	agt__capq_retire(&s->caps[dev], x - s->ramp_ns);
	return agt__capq_push(&s->caps[dev], at, cap_w);
}

int agt_sim_hold(struct agt_backend *b, int phase, uint64_t now_ns)
{
	struct sim *s;
	int64_t x;

	if (b == NULL || b->kind != AGT_BACKEND_SIM || phase < AGT_SIM_CYCLE ||
	    phase >= AGT_SIM_PHASES) {
		return -EINVAL;
	}
	s = to_sim(b);
	x = rel_of(s, now_ns);
	if (x < s->last_rel) {
		return -EINVAL;
	}
	s->last_rel = x;
	/* The level steps at x; integrate() turns the step into the ramp. */
	agt__capq_retire(&s->hold, x - s->ramp_ns);
	return agt__capq_push(&s->hold, x, (uint32_t)(phase + 1));
}

int agt_sim_hold_get(const struct agt_backend *b)
{
	if (b == NULL || b->kind != AGT_BACKEND_SIM) {
		return AGT_SIM_CYCLE;
	}
	return (int)agt__capq_last(&((const struct sim *)b)->hold) - 1;
}

static void sim_free(struct agt_backend *b)
{
	wt_free(to_sim(b));
}

static const struct agt_backend_ops sim_ops = {
	.name = "sim",
	.sample = sim_sample,
	.set_cap = sim_set_cap,
	.predict_peak = sim_predict_peak,
	.free = sim_free,
};

int agt_backend_sim_new(struct agt_backend **out, const struct agt_sim_cfg *cfg, uint64_t now_ns)
{
	uint64_t rng;
	struct sim *s;
	int rc;

	rc = agt_sim_cfg_validate(cfg, NULL, 0);
	if (rc < 0) {
		return rc;
	}
	s = wt_calloc(1, sizeof(*s));
	s->base.ops = &sim_ops;
	s->base.kind = AGT_BACKEND_SIM;
	s->base.n = cfg->n_devices;
	s->cfg = *cfg;
	s->start_ns = now_ns;
	s->ramp_ns = (int64_t)cfg->ramp_ms * NS_PER_MS;
	s->response_ns = (int64_t)cfg->cap_response_ms * NS_PER_MS;
	s->slot_ns = (int64_t)cfg->jitter_period_ms * NS_PER_MS;
	for (int p = 0; p < AGT_SIM_PHASES; p++) {
		const struct agt_sim_phase_cfg *ph = &cfg->phase[p];

		s->phase_ns[p] = (int64_t)ph->duration_ms * NS_PER_MS;
		s->cycle_ns += s->phase_ns[p];
		s->amp_w[p] = (uint32_t)((uint64_t)ph->watts * ph->jitter_pct / 100);
		if (ph->duration_ms > 0 && ph->watts + s->amp_w[p] > s->max_level_w) {
			s->max_level_w = ph->watts + s->amp_w[p];
		}
	}
	/* Offsets and noise keys come from one seeded stream, in device order. */
	rng = cfg->seed ^ 0x6a09e667f3bcc909ULL;
	if (rng == 0) {
		rng = 1;
	}
	for (uint32_t d = 0; d < cfg->n_devices; d++) {
		double u = wt_rand32(&rng) / 4294967296.0;
		double spread = (1.0 - cfg->correlation) * u * (double)s->cycle_ns;

		s->offset_ns[d] = (int64_t)spread;
		s->key[d] = ((uint64_t)wt_rand32(&rng) << 32) | wt_rand32(&rng);
		agt__capq_init(&s->caps[d], cfg->max_cap_w);
	}
	/* Held from the start, also in the look-back before it (as the cycle is periodic). */
	agt__capq_init(&s->hold, (uint32_t)(cfg->hold_phase + 1));
	*out = &s->base;
	return 0;
}
