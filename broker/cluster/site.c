/* SPDX-License-Identifier: Apache-2.0 */
/* The site model of the cluster orchestrator (see site.h for the rules). */
#include "site.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/mem.h"

#define NS_PER_S 1000000000.0
/* Observations further apart than this are integrated in pieces of it. */
#define OBS_MAX_DT_S 0.05
/* A measured rise may exceed the step by this much before it counts (meters are not exact). */
#define MONITOR_SLACK_W 1.0
/* Room below the set-point must last this long before clu_site_follow() restores miners. */
#define FOLLOW_HOLD_NS (2000ull * 1000000ull)

static bool has_gen(const struct clu_site *s)
{
	return s->cfg.mode == CLU_SITE_GENERATOR;
}

static bool has_miners(const struct clu_site *s)
{
	return s->cfg.miners.n_units > 0;
}

/* Power of one miner unit, or 0 on a site without miners. */
static uint32_t unit_w_of(const struct clu_site *s)
{
	return has_miners(s) ? s->cfg.miners.unit_w : 0;
}

static bool has_bess(const struct clu_site *s)
{
	return s->cfg.bess.power_w > 0;
}

int clu_site_cfg_validate(const struct clu_site_cfg *cfg, char *err, size_t errlen)
{
	char sub[192];

	if (cfg->mode == CLU_SITE_GENERATOR) {
		if (wt_genset_cfg_validate(&cfg->gen, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "generator: %s", sub);
			return WT_ECONFIG;
		}
		if (cfg->setpoint_w > cfg->gen.rated_w) {
			snprintf(err, errlen, "generator.setpoint_w %u W above rated %.0f W",
				 cfg->setpoint_w, cfg->gen.rated_w);
			return WT_ECONFIG;
		}
		if ((double)cfg->capacity_w > cfg->gen.rated_w) {
			snprintf(err, errlen, "budget_w %u W above the generator's rated %.0f W",
				 cfg->capacity_w, cfg->gen.rated_w);
			return WT_ECONFIG;
		}
	}
	if (cfg->mode == CLU_SITE_GRID) {
		if (cfg->import_limit_w == 0) {
			snprintf(err, errlen, "grid.import_limit_w must be > 0");
			return WT_ECONFIG;
		}
		for (uint32_t i = 0; i < cfg->n_dr; i++) {
			if (cfg->dr[i].start_s >= CLU_SITE_DAY_S ||
			    cfg->dr[i].end_s >= CLU_SITE_DAY_S ||
			    cfg->dr[i].start_s == cfg->dr[i].end_s) {
				snprintf(err, errlen,
					 "grid.demand_response[%u]: start and end must be distinct "
					 "times of day",
					 i);
				return WT_ECONFIG;
			}
		}
	}
	if (cfg->n_dr > CLU_SITE_MAX_DR) {
		snprintf(err, errlen, "at most %u demand-response windows", CLU_SITE_MAX_DR);
		return WT_ECONFIG;
	}
	if (cfg->miners.n_units > 0) {
		if (wt_miners_cfg_validate(&cfg->miners, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "miners: %s", sub);
			return WT_ECONFIG;
		}
		if (cfg->miners_initial_on > cfg->miners.n_units) {
			snprintf(err, errlen, "miners.initial_on %u above units %u",
				 cfg->miners_initial_on, cfg->miners.n_units);
			return WT_ECONFIG;
		}
	}
	if (cfg->bess.power_w > 0) {
		if (wt_bess_cfg_validate(&cfg->bess, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "bess: %s", sub);
			return WT_ECONFIG;
		}
		if (!(cfg->bess_initial_soc >= 0 && cfg->bess_initial_soc <= 1)) {
			snprintf(err, errlen, "bess.initial_soc_pct out of 0..100");
			return WT_ECONFIG;
		}
	}
	return 0;
}

/* The largest sudden step over the loadings the site can plan: the nadir bound shrinks as the
 * governor nears full fuel, so take the smallest over loads from 0 to rated - max step. */
static uint32_t envelope_step(const struct wt_genset_cfg *g)
{
	double pct_w = g->rated_w * g->max_step_pct / 100.0;
	uint64_t best = (uint64_t)pct_w;

	for (int k = 0; k <= 9; k++) {
		struct wt_genset_state st;
		double load = g->rated_w * k / 10.0;
		uint64_t step;

		if (load + pct_w > g->rated_w) {
			break;
		}
		wt_genset_state_init(g, &st, load);
		step = wt_genset_max_step_w(g, &st);
		if (step < best) {
			best = step;
		}
	}
	return best > UINT32_MAX ? UINT32_MAX : (uint32_t)best;
}

int clu_site_new(struct clu_site **out, const struct clu_site_cfg *cfg, uint64_t now_ns)
{
	struct clu_site *s = wt_calloc(1, sizeof(*s));

	s->cfg = *cfg;
	s->start_ns = now_ns;
	if (has_gen(s)) {
		s->step_w = envelope_step(&cfg->gen);
		s->window_ns = (uint64_t)(wt_genset_step_interval_s(&cfg->gen) * NS_PER_S);
		s->ramp_w_per_s = cfg->gen.ramp_w_per_s;
	} else {
		s->step_w = UINT32_MAX;
		s->window_ns = 0;
		s->ramp_w_per_s = INFINITY;
	}
	s->bucket_w = s->step_w;
	s->bucket_ns = now_ns;
	s->last_rise_ns = now_ns;
	if (has_miners(s)) {
		wt_miners_state_init(&cfg->miners, &s->ms, cfg->miners_initial_on, now_ns);
		s->miners_plan = cfg->miners_initial_on;
	}
	if (has_bess(s)) {
		wt_bess_state_init(&s->bs, cfg->bess_initial_soc);
	}
	s->nadir_win_hz = has_gen(s) ? cfg->gen.f_nominal_hz : 0;
	s->st.nadir_hz = s->nadir_win_hz;
	*out = s;
	return 0;
}

void clu_site_free(struct clu_site *s)
{
	wt_free(s);
}

uint32_t clu_site_step_w(const struct clu_site *s)
{
	return s->step_w;
}

uint64_t clu_site_window_ns(const struct clu_site *s)
{
	return s->window_ns;
}

double clu_site_ramp(const struct clu_site *s)
{
	return s->ramp_w_per_s;
}

static uint32_t day_s(int64_t unix_s)
{
	int64_t d = unix_s % (int64_t)CLU_SITE_DAY_S;

	return (uint32_t)(d < 0 ? d + CLU_SITE_DAY_S : d);
}

static bool dr_active(const struct clu_dr_window *w, uint32_t t)
{
	if (w->start_s < w->end_s) {
		return t >= w->start_s && t < w->end_s;
	}
	return t >= w->start_s || t < w->end_s; /* wraps past midnight */
}

uint32_t clu_site_capacity_at(const struct clu_site *s, int64_t unix_s)
{
	uint32_t cap = s->cfg.capacity_w;

	if (s->cfg.mode != CLU_SITE_GRID) {
		return cap;
	}
	if (s->cfg.import_limit_w < cap) {
		cap = s->cfg.import_limit_w;
	}
	for (uint32_t i = 0; i < s->cfg.n_dr; i++) {
		if (dr_active(&s->cfg.dr[i], day_s(unix_s)) && s->cfg.dr[i].target_w < cap) {
			cap = s->cfg.dr[i].target_w;
		}
	}
	return cap;
}

uint32_t clu_site_capacity_over(const struct clu_site *s, int64_t unix_s, uint64_t dur_s)
{
	uint32_t cap = clu_site_capacity_at(s, unix_s);

	if (s->cfg.mode != CLU_SITE_GRID) {
		return cap;
	}
	if (dur_s == 0 || dur_s > CLU_SITE_DAY_S) {
		dur_s = CLU_SITE_DAY_S;
	}
	/* Capacity only changes at window edges: check every edge inside the span. */
	for (uint32_t i = 0; i < s->cfg.n_dr; i++) {
		uint32_t now = day_s(unix_s);
		uint32_t start = s->cfg.dr[i].start_s;
		uint64_t until = (start >= now) ? start - now : CLU_SITE_DAY_S - now + start;
		uint32_t c;

		if (until < dur_s) {
			c = clu_site_capacity_at(s, unix_s + (int64_t)until);
			if (c < cap) {
				cap = c;
			}
		}
	}
	return cap;
}

/* ---- ledger ----------------------------------------------------------------------------- */

static const struct clu_rise *rise_at(const struct clu_site *s, uint32_t i)
{
	return &s->rises[(s->r_head + i) % CLU_SITE_MAX_RISES];
}

/* Planned rises landed in (t - T, t] (t - T may be before the clock's origin): the ring plus
 * @n extra (later) ones. */
static double window_sum(const struct clu_site *s, const struct clu_rise *extra, uint32_t n,
			 uint64_t t)
{
	double sum = 0;

	for (uint32_t i = 0; i < s->r_len; i++) {
		const struct clu_rise *r = rise_at(s, i);

		if (r->t_ns + s->window_ns > t && r->t_ns <= t) {
			sum += r->w;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (extra[i].t_ns + s->window_ns > t && extra[i].t_ns <= t) {
			sum += extra[i].w;
		}
	}
	return sum;
}

/* The earliest time after @t when a rise in the window leaves it, or UINT64_MAX. */
static uint64_t next_expiry(const struct clu_site *s, const struct clu_rise *extra, uint32_t n,
			    uint64_t t)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t i = 0; i < s->r_len; i++) {
		const struct clu_rise *r = rise_at(s, i);

		if (r->t_ns + s->window_ns > t && r->t_ns + s->window_ns < best) {
			best = r->t_ns + s->window_ns;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (extra[i].t_ns + s->window_ns > t && extra[i].t_ns + s->window_ns < best) {
			best = extra[i].t_ns + s->window_ns;
		}
	}
	return best;
}

static double bucket_level(double level, uint64_t since_ns, double ramp, double depth, uint64_t t)
{
	double v;

	if (t <= since_ns) {
		return level;
	}
	v = level + ramp * ((double)(t - since_ns) / NS_PER_S);
	return v > depth ? depth : v;
}

/* A planning cursor: the state clu_site_plan() advances on a copy. */
struct cursor {
	uint64_t t;
	double bucket;
	uint64_t bucket_ns;
	uint32_t on; /* miner units on in the plan */
	struct clu_rise extra[CLU_SITE_MAX_RISES];
	uint32_t n_extra;
};

static double avail_at(const struct clu_site *s, const struct cursor *c, uint64_t t)
{
	double win = window_sum(s, c->extra, c->n_extra, t);
	double b = bucket_level(c->bucket, c->bucket_ns, s->ramp_w_per_s, s->step_w, t);
	double a = (double)s->step_w - win;

	if (b < a) {
		a = b;
	}
	return a < 0 ? 0 : a;
}

/* The next instant after @t at which avail_at() can reach @need. */
static uint64_t next_time(const struct clu_site *s, const struct cursor *c, uint64_t t, double need)
{
	uint64_t e = next_expiry(s, c->extra, c->n_extra, t);
	double b = bucket_level(c->bucket, c->bucket_ns, s->ramp_w_per_s, s->step_w, t);
	uint64_t bt = t + 1000000; /* 1 ms: the bucket refills continuously */

	if (b < need && s->ramp_w_per_s > 0) {
		bt = t + (uint64_t)ceil((need - b) / s->ramp_w_per_s * NS_PER_S);
	}
	if (window_sum(s, c->extra, c->n_extra, t) + need <= (double)s->step_w) {
		return bt > t ? bt : t + 1;
	}
	return e != UINT64_MAX && e > t ? (e > bt ? e : bt) : bt;
}

static void cursor_push(const struct clu_site *s, struct cursor *c, uint64_t t, double net)
{
	c->bucket = bucket_level(c->bucket, c->bucket_ns, s->ramp_w_per_s, s->step_w, t) - net;
	c->bucket_ns = t;
	if (net > 0) {
		c->extra[c->n_extra].t_ns = t;
		c->extra[c->n_extra].w = (uint32_t)ceil(net);
		c->n_extra++;
	}
}

static void cursor_init(const struct clu_site *s, struct cursor *c, uint64_t now_ns)
{
	c->t = now_ns > s->last_rise_ns ? now_ns : s->last_rise_ns;
	c->bucket = s->bucket_w;
	c->bucket_ns = s->bucket_ns;
	c->on = s->miners_plan;
	c->n_extra = 0;
}

static uint32_t units_for(const struct clu_site *s, uint64_t gross, uint32_t on)
{
	uint64_t u;

	if (!has_miners(s)) {
		return 0;
	}
	u = gross / s->cfg.miners.unit_w;
	return u > on ? on : (uint32_t)u;
}

/* The rise of @g GPUs net of the miner units shed with it. */
static double net_of(const struct clu_site *s, uint64_t g, uint64_t dw, uint32_t on)
{
	return (double)(g * dw) - (double)units_for(s, g * dw, on) * unit_w_of(s);
}

int clu_site_plan(const struct clu_site *s, uint64_t now_ns, uint32_t gpus, int32_t dw_per_gpu,
		  uint32_t quantum, struct clu_batch *out, uint32_t max)
{
	struct cursor *c;
	uint32_t remaining = gpus, nb = 0;
	uint64_t shed_ns = has_miners(s) ? (uint64_t)s->cfg.miners.shed_latency_ms * 1000000u : 0;
	uint64_t dw;
	int rc = 0;

	if (max == 0) {
		return WT_E2BIG;
	}
	if (gpus == 0) {
		return 0;
	}
	if (quantum == 0) {
		quantum = 1;
	}
	if (dw_per_gpu <= 0 || !has_gen(s)) {
		out[0] =
			(struct clu_batch){ .t_ns = now_ns, .lead_ns = 0, .gpus = gpus, .shed = 0 };
		return 1;
	}
	dw = (uint64_t)dw_per_gpu;
	if (dw > s->step_w && !(has_miners(s) && s->cfg.miners.unit_w <= dw)) {
		return -ERANGE;
	}
	c = wt_malloc(sizeof(*c));
	cursor_init(s, c, now_ns);
	while (remaining > 0) {
		uint64_t lead = c->on > 0 ? shed_ns : 0;
		double avail;
		uint64_t g, u;

		if (c->t < now_ns + lead) {
			c->t = now_ns + lead;
		}
		avail = avail_at(s, c, c->t);
		/* While the ramp limits, wait for a worthwhile batch (an eighth of a step, or all
		 * that is left) rather than trickling GPUs out one per millisecond. */
		{
			double left = (double)remaining * (double)dw - (double)c->on * unit_w_of(s);
			double min_w = (double)s->step_w / 8.0;

			if (left < min_w) {
				min_w = left;
			}
			if (min_w > 0 && avail < min_w && avail < (double)s->step_w) {
				c->t = next_time(s, c, c->t, min_w);
				continue;
			}
		}
		/* The most GPUs whose rise, net of the units shed with it, fits. */
		g = (uint64_t)((avail + (double)c->on * unit_w_of(s)) / (double)dw);
		if (g > remaining) {
			g = remaining;
		}
		while (g > 0 && net_of(s, g, dw, c->on) > avail) {
			g--;
		}
		if (g < remaining) {
			g -= g % quantum; /* whole nodes, except for what is left */
		}
		if (g == 0) {
			uint64_t q = quantum < remaining ? quantum : remaining;
			double need = net_of(s, q, dw, c->on);

			if (need > (double)s->step_w) {
				rc = -ERANGE;
				break;
			}
			c->t = next_time(s, c, c->t, need);
			continue;
		}
		if (nb == max || s->r_len + c->n_extra + 1 > CLU_SITE_MAX_RISES) {
			rc = WT_E2BIG;
			break;
		}
		u = units_for(s, g * dw, c->on);
		out[nb] = (struct clu_batch){ .t_ns = c->t,
					      .lead_ns = u > 0 ? shed_ns : 0,
					      .gpus = (uint32_t)g,
					      .shed = (uint32_t)u };
		cursor_push(s, c, c->t, net_of(s, g, dw, c->on));
		c->on -= (uint32_t)u;
		remaining -= (uint32_t)g;
		nb++;
	}
	wt_free(c);
	return rc < 0 ? rc : (int)nb;
}

static void mcmd_add(struct clu_site *s, uint64_t t_ns, int32_t delta)
{
	uint32_t i;

	if (delta == 0) {
		return;
	}
	if (s->n_mcmd == CLU_SITE_MAX_MCMDS) {
		/* Full: merge into the last command (later, never earlier). */
		s->mcmd[s->n_mcmd - 1].delta += delta;
		if (t_ns > s->mcmd[s->n_mcmd - 1].t_ns) {
			s->mcmd[s->n_mcmd - 1].t_ns = t_ns;
		}
		return;
	}
	i = s->n_mcmd;
	while (i > 0 && s->mcmd[i - 1].t_ns > t_ns) {
		s->mcmd[i] = s->mcmd[i - 1];
		i--;
	}
	s->mcmd[i] = (struct clu_mcmd){ t_ns, delta };
	s->n_mcmd++;
}

static void ledger_push(struct clu_site *s, uint64_t t, double net)
{
	s->bucket_w = bucket_level(s->bucket_w, s->bucket_ns, s->ramp_w_per_s, s->step_w, t) - net;
	s->bucket_ns = t;
	if (t > s->last_rise_ns) {
		s->last_rise_ns = t;
	}
	if (net <= 0) {
		return;
	}
	if (s->r_len == CLU_SITE_MAX_RISES) { /* plan refuses before this; keep the newest */
		s->r_head = (s->r_head + 1) % CLU_SITE_MAX_RISES;
		s->r_len--;
	}
	s->rises[(s->r_head + s->r_len) % CLU_SITE_MAX_RISES] =
		(struct clu_rise){ t, (uint32_t)ceil(net) };
	s->r_len++;
	s->st.rises_planned++;
}

/* Restore miners towards the set-point through the ledger (restores are rises too). */
static void restore_to(struct clu_site *s, uint64_t now_ns, uint32_t want);

static void backfill(struct clu_site *s, uint64_t now_ns)
{
	int64_t room;

	if (!has_miners(s) || !has_gen(s)) {
		return;
	}
	room = (int64_t)s->cfg.setpoint_w - s->gpu_plan_w;
	restore_to(s, now_ns, room <= 0 ? 0 : (uint32_t)(room / s->cfg.miners.unit_w));
}

/* Restore units up to @want running, each restore a rise paced through the ledger. */
static void restore_to(struct clu_site *s, uint64_t now_ns, uint32_t want)
{
	uint64_t rest_ns = (uint64_t)s->cfg.miners.restore_latency_ms * 1000000u;
	uint32_t unit_w = s->cfg.miners.unit_w;
	struct cursor *c;

	if (want > s->cfg.miners.n_units) {
		want = s->cfg.miners.n_units;
	}
	if (want <= s->miners_plan) {
		return;
	}
	if (!has_gen(s)) {
		/* No envelope to pace against (grid): restore at once. */
		mcmd_add(s, now_ns, (int32_t)(want - s->miners_plan));
		s->st.miner_restores += want - s->miners_plan;
		s->miners_plan = want;
		return;
	}
	c = wt_malloc(sizeof(*c));
	cursor_init(s, c, now_ns + rest_ns);
	while (want > s->miners_plan) {
		double avail = avail_at(s, c, c->t);
		uint32_t u = (uint32_t)(avail / unit_w);

		if (u > want - s->miners_plan) {
			u = want - s->miners_plan;
		}
		if (u == 0) {
			if (unit_w > s->step_w) {
				break; /* one unit is a step the set cannot take: never restore */
			}
			c->t = next_time(s, c, c->t, unit_w);
			continue;
		}
		if (s->r_len + 1 > CLU_SITE_MAX_RISES) {
			break;
		}
		ledger_push(s, c->t, (double)u * unit_w);
		cursor_push(s, c, c->t, 0); /* keep the cursor's bucket in step with the site */
		c->bucket = s->bucket_w;
		mcmd_add(s, c->t - rest_ns, (int32_t)u);
		s->miners_plan += u;
		s->st.miner_restores += u;
	}
	wt_free(c);
}

void clu_site_commit(struct clu_site *s, uint64_t now_ns, int32_t dw_per_gpu,
		     const struct clu_batch *b, uint32_t n)
{
	uint32_t unit_w = unit_w_of(s);

	for (uint32_t i = 0; i < n; i++) {
		int64_t gross = (int64_t)b[i].gpus * dw_per_gpu;

		s->gpu_plan_w += gross;
		if (gross > 0 && has_gen(s)) {
			ledger_push(s, b[i].t_ns, (double)gross - (double)b[i].shed * unit_w);
		}
		if (b[i].shed > 0) {
			mcmd_add(s, b[i].t_ns - b[i].lead_ns, -(int32_t)b[i].shed);
			s->miners_plan -= b[i].shed;
			s->st.miner_sheds += b[i].shed;
		}
	}
	if (dw_per_gpu < 0) {
		backfill(s, now_ns);
	}
}

static double window_min(const struct clu_site *s, uint64_t t, double fallback);

void clu_site_follow(struct clu_site *s, uint64_t now_ns, int64_t unix_s, double gpu_w)
{
	uint32_t unit_w, u;
	double limit, load, excess;

	if (!has_miners(s) || gpu_w < 0) {
		return;
	}
	unit_w = s->cfg.miners.unit_w;
	load = gpu_w + (double)s->miners_plan * unit_w;
	if (has_gen(s)) {
		/* What the set may carry now without a step beyond s over the window's base. */
		limit = (s->h_len > 0 ? window_min(s, now_ns, s->gen_w) : s->gen_w) + s->step_w;
	} else if (s->cfg.mode == CLU_SITE_GRID) {
		limit = clu_site_capacity_at(s, unix_s);
	} else {
		return;
	}
	excess = load - limit;
	if (excess > 0 && now_ns >= s->react_until_ns && s->miners_plan > 0) {
		/* Shed now what the GPUs took beyond the envelope (they land after the shed
		 * latency; the BESS carries the gap), then wait for them before judging again. */
		u = (uint32_t)ceil(excess / unit_w);
		if (u > s->miners_plan) {
			u = s->miners_plan;
		}
		mcmd_add(s, now_ns, -(int32_t)u);
		s->miners_plan -= u;
		s->st.miner_sheds += u;
		s->st.reactive_sheds += u;
		s->react_until_ns =
			now_ns + (uint64_t)s->cfg.miners.shed_latency_ms * 1000000u + 1000000u;
		s->room_since_ns = 0;
		return;
	}
	/* Backfill: only while no paced change is under way (its sheds are already counted),
	 * and only after the room has lasted FOLLOW_HOLD_NS (no chasing every dip). */
	{
		double target = has_gen(s) ? (double)s->cfg.setpoint_w : limit;
		double room = target - gpu_w;
		uint32_t want = room <= 0 ? 0 : (uint32_t)(room / unit_w);

		if (want <= s->miners_plan || now_ns < s->last_rise_ns || s->n_mcmd > 0) {
			s->room_since_ns = 0;
			return;
		}
		if (s->room_since_ns == 0) {
			s->room_since_ns = now_ns;
		}
		if (now_ns - s->room_since_ns >= FOLLOW_HOLD_NS) {
			restore_to(s, now_ns, want);
			s->room_since_ns = 0;
		}
	}
}

void clu_site_drop(struct clu_site *s, uint64_t now_ns, uint32_t w)
{
	s->gpu_plan_w -= w;
	backfill(s, now_ns);
}

static void prune(struct clu_site *s, uint64_t now_ns)
{
	while (s->r_len > 0 && rise_at(s, 0)->t_ns + s->window_ns < now_ns) {
		s->r_head = (s->r_head + 1) % CLU_SITE_MAX_RISES;
		s->r_len--;
	}
}

void clu_site_advance(struct clu_site *s, uint64_t now_ns)
{
	uint32_t done = 0;

	prune(s, now_ns);
	if (!has_miners(s)) {
		return;
	}
	while (done < s->n_mcmd && s->mcmd[done].t_ns <= now_ns) {
		const struct clu_mcmd *m = &s->mcmd[done];
		int64_t target = (int64_t)s->ms.target + m->delta;
		uint64_t t = m->t_ns;

		if ((int64_t)(t - s->ms.start_ns) < s->ms.now_ns) {
			t = s->ms.start_ns + (uint64_t)s->ms.now_ns;
		}
		if (target < 0) {
			target = 0;
		}
		(void)wt_miners_command(&s->cfg.miners, &s->ms, (uint32_t)target, t);
		done++;
	}
	if (done > 0) {
		memmove(s->mcmd, s->mcmd + done, (s->n_mcmd - done) * sizeof(s->mcmd[0]));
		s->n_mcmd -= done;
	}
}

/* Append to a ring of @cap samples, dropping the oldest when full. */
static void ring_push(struct clu_obs *ring, uint32_t cap, uint32_t *head, uint32_t *len, uint64_t t,
		      double w)
{
	if (*len == cap) {
		*head = (*head + 1) % cap;
		(*len)--;
	}
	ring[(*head + *len) % cap] = (struct clu_obs){ t, w };
	(*len)++;
}

static void hist_push(struct clu_site *s, uint64_t t, double w)
{
	ring_push(s->hist, CLU_SITE_HISTORY, &s->h_head, &s->h_len, t, w);
}

static const struct clu_obs *hist_at(const struct clu_site *s, uint32_t i)
{
	return &s->hist[(s->h_head + i) % CLU_SITE_HISTORY];
}

/* The lowest load in the step window before @t (the base a step is measured from). */
static double window_min(const struct clu_site *s, uint64_t t, double fallback)
{
	double m = fallback;

	for (uint32_t i = 0; i < s->h_len; i++) {
		const struct clu_obs *o = hist_at(s, i);

		if (o->t_ns + s->window_ns > t && o->w < m) {
			m = o->w;
		}
	}
	return m;
}

static void monitor(struct clu_site *s, uint64_t t, double w)
{
	bool bad = false;
	char why[160] = "";
	double ramp_span;
	uint64_t keep;

	for (uint32_t i = 0; i < s->h_len && !bad; i++) {
		const struct clu_obs *o = hist_at(s, i);
		double dt = (double)(t - o->t_ns) / NS_PER_S;
		double rise = w - o->w;

		if (rise > s->st.worst_step_w && o->t_ns + s->window_ns > t) {
			s->st.worst_step_w = rise;
		}
		if (o->t_ns + s->window_ns > t && rise > s->step_w + MONITOR_SLACK_W) {
			bad = true;
			snprintf(why, sizeof(why), "rise %.0f W within %.3f s > step %u W", rise,
				 dt, s->step_w);
		} else if (rise > s->step_w + s->ramp_w_per_s * dt + MONITOR_SLACK_W) {
			bad = true;
			snprintf(why, sizeof(why),
				 "rise %.0f W over %.3f s > step %u W + ramp %.0f W/s", rise, dt,
				 s->step_w, s->ramp_w_per_s);
		}
	}
	if (bad) {
		s->st.violations++;
		memcpy(s->st.last_violation, why, sizeof(why));
		/* Count a violation once: restart the history from here. */
		s->h_len = 0;
	}
	/* Drop samples older than the longest span a check can fail over: window, or the time
	 * the ramp needs to make up one step. */
	keep = s->window_ns;
	ramp_span = s->ramp_w_per_s > 0 ? (double)s->step_w / s->ramp_w_per_s : 0;
	if (ramp_span * NS_PER_S > (double)keep) {
		keep = (uint64_t)(ramp_span * NS_PER_S);
	}
	while (s->h_len > 0 && hist_at(s, 0)->t_ns + keep < t) {
		s->h_head = (s->h_head + 1) % CLU_SITE_HISTORY;
		s->h_len--;
	}
	hist_push(s, t, w);
}

/* The mean of the raw samples in (now - smooth_ms, now], this one included. */
static double smooth(struct clu_site *s, uint64_t now_ns, double w)
{
	uint64_t span = (uint64_t)s->cfg.smooth_ms * 1000000u;
	double sum = 0;
	uint32_t n = 0;

	if (span == 0) {
		return w;
	}
	ring_push(s->raw, CLU_SITE_RAW, &s->raw_head, &s->raw_len, now_ns, w);
	for (uint32_t i = 0; i < s->raw_len; i++) {
		const struct clu_obs *o = &s->raw[(s->raw_head + i) % CLU_SITE_RAW];

		if (o->t_ns + span > now_ns) {
			sum += o->w;
			n++;
		}
	}
	return n > 0 ? sum / n : w;
}

void clu_site_monitor_reset(struct clu_site *s)
{
	s->h_len = 0;
	s->raw_len = 0;
}

double clu_site_miners_model_w(struct clu_site *s, uint64_t now_ns)
{
	int64_t w;

	if (!has_miners(s)) {
		return 0;
	}
	w = wt_miners_step(&s->cfg.miners, &s->ms, now_ns);
	return w < 0 ? s->miners_w : (double)w;
}

void clu_site_observe(struct clu_site *s, uint64_t now_ns, double gpu_w, double miners_w)
{
	double load, gen, bess_w = 0, dt;

	clu_site_advance(s, now_ns);
	if (miners_w < 0) {
		miners_w = clu_site_miners_model_w(s, now_ns);
	}
	s->miners_w = miners_w;
	load = smooth(s, now_ns, (gpu_w < 0 ? 0 : gpu_w) + miners_w);
	dt = s->have_obs ? (double)(now_ns - s->obs_ns) / NS_PER_S : 0;
	if (!has_gen(s)) {
		s->gen_w = load;
		s->obs_ns = now_ns;
		s->have_obs = true;
		return;
	}
	if (has_bess(s)) {
		/* Discharge what exceeds a step over the window's lowest load; recharge slowly
		 * (a twentieth of its power) while the set is below its set-point. */
		double allowed = window_min(s, now_ns, load) + s->step_w;
		double req = load > allowed ? load - allowed : 0;

		if (req == 0 && load < s->cfg.setpoint_w && s->bs.soc < 1.0) {
			req = -s->cfg.bess.power_w / 20.0;
		}
		(void)wt_bess_step(&s->cfg.bess, &s->bs, req, dt);
		bess_w = s->bs.delivered_w;
	}
	gen = load - bess_w;
	if (gen < 0) {
		gen = 0;
	}
	if (!s->have_obs) {
		wt_genset_state_init(&s->cfg.gen, &s->gs, gen);
	} else {
		while (dt > 0) {
			double piece = dt > OBS_MAX_DT_S ? OBS_MAX_DT_S : dt;

			(void)wt_genset_step(&s->cfg.gen, &s->gs, gen, piece);
			dt -= piece;
			if (s->gs.f_hz < s->nadir_win_hz) {
				s->nadir_win_hz = s->gs.f_hz;
			}
			if (s->gs.f_hz < s->st.nadir_hz) {
				s->st.nadir_hz = s->gs.f_hz;
			}
		}
	}
	monitor(s, now_ns, gen);
	s->gen_w = gen;
	s->obs_ns = now_ns;
	s->have_obs = true;
}

uint32_t clu_site_miners_on(const struct clu_site *s)
{
	if (!has_miners(s)) {
		return 0;
	}
	return wt_miners_units(&s->ms, WT_MINERS_ON) + wt_miners_units(&s->ms, WT_MINERS_SHEDDING);
}

double clu_site_gen_w(const struct clu_site *s)
{
	return s->gen_w;
}

double clu_site_freq_hz(const struct clu_site *s)
{
	return has_gen(s) && s->have_obs ? s->gs.f_hz : (has_gen(s) ? s->cfg.gen.f_nominal_hz : 0);
}

double clu_site_take_nadir(struct clu_site *s)
{
	double n = s->nadir_win_hz;

	s->nadir_win_hz = clu_site_freq_hz(s);
	return n;
}

int64_t clu_site_gpu_plan_w(const struct clu_site *s)
{
	return s->gpu_plan_w;
}

const struct clu_site_stats *clu_site_stats(const struct clu_site *s)
{
	return &s->st;
}
