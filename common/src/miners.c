/* SPDX-License-Identifier: Apache-2.0 */
/* Miner fleet model: cohorts of anonymous units moved between off, restoring, on and shedding by
 * an event-driven reconcile (see wt/miners.h). The same discrete-event scheme as the agent's
 * backend (agent/backend/miner.c): reconcile() brings the fleet towards its target at one
 * instant; advance() finds the next instant anything can change (a completion, or units becoming
 * eligible while the fleet is away from its target) and reconciles there, until the requested
 * time. Pure: no clock, no allocation, no logging. */
#include "wt/miners.h"

#include <errno.h>
#include <stdbool.h>

#include "wt/err.h"

#define NS_PER_MS 1000000LL
/* Cohort time of units that are eligible (on or off for long enough). */
#define ELIGIBLE INT64_MIN

void wt_miners_cfg_init(struct wt_miners_cfg *cfg)
{
	/* The defaults of agt_miner_cfg_init() (agent/backend/miner.c), which explains them. */
	*cfg = (struct wt_miners_cfg){
		.n_units = 16,
		.unit_w = 3200,
		.shed_latency_ms = 200,
		.restore_latency_ms = 2000,
		.min_on_ms = 0,
		.min_off_ms = 10000,
	};
}

int wt_miners_cfg_validate(const struct wt_miners_cfg *cfg, char *err, size_t errlen)
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

	if (cfg->n_units < 1 || cfg->n_units > WT_MINERS_MAX_UNITS) {
		return wt_err_config(err, errlen, "miners n_units = %u out of range 1-%u",
				     cfg->n_units, WT_MINERS_MAX_UNITS);
	}
	if (cfg->unit_w < 1 || cfg->unit_w > WT_MINERS_MAX_UNIT_W) {
		return wt_err_config(err, errlen, "miners unit_w = %u out of range 1-%u",
				     cfg->unit_w, WT_MINERS_MAX_UNIT_W);
	}
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		if (lat[i].v > WT_MINERS_MAX_LAT_MS) {
			return wt_err_config(err, errlen, "miners %s = %u out of range 0-%u",
					     lat[i].name, lat[i].v, WT_MINERS_MAX_LAT_MS);
		}
	}
	return 0;
}

uint32_t wt_miners_units(const struct wt_miners_state *state, enum wt_miners_phase phase)
{
	uint32_t u = 0;

	for (uint32_t i = 0; i < state->n; i++) {
		if (state->c[i].phase == (uint32_t)phase) {
			u += state->c[i].units;
		}
	}
	return u;
}

static void remove_at(struct wt_miners_state *st, uint32_t i)
{
	st->c[i] = st->c[--st->n];
}

/* Drop empty cohorts and merge equal (phase, time) ones. */
static void compact(struct wt_miners_state *st)
{
	for (uint32_t i = 0; i < st->n;) {
		bool merged = false;

		if (st->c[i].units == 0) {
			remove_at(st, i);
			continue;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (st->c[j].phase == st->c[i].phase && st->c[j].t_ns == st->c[i].t_ns) {
				st->c[j].units += st->c[i].units;
				remove_at(st, i);
				merged = true;
				break;
			}
		}
		if (!merged) {
			i++;
		}
	}
}

/* Free one slot of a full state: merge the two cohorts of one phase whose times are closest
 * into the later time (ELIGIBLE counts as earliest), which only ever delays a unit. */
static void merge_closest(struct wt_miners_state *st)
{
	uint32_t bi = 0, bj = 0;
	uint64_t best = UINT64_MAX;

	for (uint32_t i = 0; i < st->n; i++) {
		for (uint32_t j = i + 1; j < st->n; j++) {
			uint64_t d;

			if (st->c[i].phase != st->c[j].phase) {
				continue;
			}
			d = st->c[i].t_ns > st->c[j].t_ns
				    ? (uint64_t)st->c[i].t_ns - (uint64_t)st->c[j].t_ns
				    : (uint64_t)st->c[j].t_ns - (uint64_t)st->c[i].t_ns;
			if (d < best) {
				best = d;
				bi = i;
				bj = j;
			}
		}
	}
	/* A full state has more cohorts than phases, so a pair exists. */
	WT_ASSERT(best != UINT64_MAX);
	if (st->c[bj].t_ns > st->c[bi].t_ns) {
		st->c[bi].t_ns = st->c[bj].t_ns;
	}
	st->c[bi].units += st->c[bj].units;
	remove_at(st, bj);
}

static void add_units(struct wt_miners_state *st, enum wt_miners_phase phase, uint32_t units,
		      int64_t t_ns)
{
	if (units == 0) {
		return;
	}
	for (uint32_t i = 0; i < st->n; i++) {
		if (st->c[i].phase == (uint32_t)phase && st->c[i].t_ns == t_ns) {
			st->c[i].units += units;
			return;
		}
	}
	if (st->n == WT_MINERS_MAX_COHORTS) {
		compact(st);
	}
	if (st->n == WT_MINERS_MAX_COHORTS) {
		merge_closest(st);
	}
	st->c[st->n++] = (struct wt_miners_cohort){ .phase = phase, .units = units, .t_ns = t_ns };
}

/* Has a unit in its on/off phase since @since been there @min_ns at @x? */
static bool eligible(int64_t since, int64_t min_ns, int64_t x)
{
	return since == ELIGIBLE || x - since >= min_ns;
}

static uint32_t committed(const struct wt_miners_state *st)
{
	return wt_miners_units(st, WT_MINERS_ON) + wt_miners_units(st, WT_MINERS_RESTORING);
}

/* Index of the cohort of @phase with the latest time (restoring: completes last), or -1. */
static int latest(const struct wt_miners_state *st, enum wt_miners_phase phase)
{
	int best = -1;

	for (uint32_t i = 0; i < st->n; i++) {
		if (st->c[i].phase == (uint32_t)phase && st->c[i].units > 0 &&
		    (best < 0 || st->c[i].t_ns > st->c[best].t_ns)) {
			best = (int)i;
		}
	}
	return best;
}

/* Index of the eligible cohort of @phase (on or off), or -1. */
static int eligible_cohort(const struct wt_miners_state *st, enum wt_miners_phase phase)
{
	for (uint32_t i = 0; i < st->n; i++) {
		if (st->c[i].phase == (uint32_t)phase && st->c[i].t_ns == ELIGIBLE &&
		    st->c[i].units > 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Apply what is due at @x: completions, eligibility, then commands towards the target. */
static void reconcile(const struct wt_miners_cfg *cfg, struct wt_miners_state *st, int64_t x)
{
	int64_t min_on = cfg->min_on_ms * NS_PER_MS, min_off = cfg->min_off_ms * NS_PER_MS;
	uint32_t c, need, k;
	int i;

	for (uint32_t j = 0; j < st->n; j++) {
		struct wt_miners_cohort *h = &st->c[j];

		if (h->phase == WT_MINERS_SHEDDING && h->t_ns <= x) {
			h->phase = WT_MINERS_OFF;
		} else if (h->phase == WT_MINERS_RESTORING && h->t_ns <= x) {
			h->phase = WT_MINERS_ON;
		}
		/* The completion time is the instant power went or came: "since". */
		if (h->phase == WT_MINERS_ON && eligible(h->t_ns, min_on, x)) {
			h->t_ns = ELIGIBLE;
		} else if (h->phase == WT_MINERS_OFF && eligible(h->t_ns, min_off, x)) {
			h->t_ns = ELIGIBLE;
		}
	}
	compact(st);
	c = committed(st);
	if (c > st->target) {
		need = c - st->target;
		/* Cancelling a restore costs nothing: the unit never drew power. It had been off
		 * long enough to be restored, so it stays eligible. */
		while (need > 0 && (i = latest(st, WT_MINERS_RESTORING)) >= 0) {
			k = st->c[i].units < need ? st->c[i].units : need;
			st->c[i].units -= k;
			need -= k;
			add_units(st, WT_MINERS_OFF, k, ELIGIBLE);
			compact(st);
		}
		if (need > 0 && (i = eligible_cohort(st, WT_MINERS_ON)) >= 0) {
			k = st->c[i].units < need ? st->c[i].units : need;
			st->c[i].units -= k;
			add_units(st, WT_MINERS_SHEDDING, k, x + cfg->shed_latency_ms * NS_PER_MS);
		}
	} else if (c < st->target) {
		need = st->target - c;
		if ((i = eligible_cohort(st, WT_MINERS_OFF)) >= 0) {
			k = st->c[i].units < need ? st->c[i].units : need;
			st->c[i].units -= k;
			add_units(st, WT_MINERS_RESTORING, k,
				  x + cfg->restore_latency_ms * NS_PER_MS);
		}
	}
	compact(st);
}

/* Earliest instant after @x at which the fleet can change, or INT64_MAX. */
static int64_t next_event(const struct wt_miners_cfg *cfg, const struct wt_miners_state *st,
			  int64_t x)
{
	int64_t min_on = cfg->min_on_ms * NS_PER_MS, min_off = cfg->min_off_ms * NS_PER_MS;
	uint32_t c = committed(st);
	int64_t te = INT64_MAX;

	for (uint32_t i = 0; i < st->n; i++) {
		const struct wt_miners_cohort *h = &st->c[i];
		int64_t t = INT64_MAX;

		if (h->phase == WT_MINERS_SHEDDING || h->phase == WT_MINERS_RESTORING) {
			t = h->t_ns;
		} else if (h->t_ns == ELIGIBLE) {
			continue;
		} else if (h->phase == WT_MINERS_ON && c > st->target) {
			t = h->t_ns + min_on;
		} else if (h->phase == WT_MINERS_OFF && c < st->target) {
			t = h->t_ns + min_off;
		}
		/* Eligibility at or before @x was acted on by the reconcile at @x; a completion
		 * at @x (zero latency) is still due. */
		if (h->phase == WT_MINERS_ON || h->phase == WT_MINERS_OFF) {
			if (t <= x) {
				continue;
			}
		}
		if (t < te) {
			te = t;
		}
	}
	return te;
}

static void advance(const struct wt_miners_cfg *cfg, struct wt_miners_state *st, int64_t now)
{
	for (;;) {
		int64_t te = next_event(cfg, st, st->now_ns);

		if (te > now) {
			break;
		}
		st->now_ns = te;
		reconcile(cfg, st, te);
	}
	st->now_ns = now;
}

/* @now_ns on the state's axis, or -1 when it is earlier than the state's present. */
static int64_t rel_time(const struct wt_miners_state *st, uint64_t now_ns)
{
	int64_t x;

	if (now_ns < st->start_ns) {
		return -1;
	}
	x = (int64_t)(now_ns - st->start_ns);
	return x < st->now_ns ? -1 : x;
}

void wt_miners_state_init(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
			  uint32_t initial_on, uint64_t now_ns)
{
	uint32_t on = initial_on < cfg->n_units ? initial_on : cfg->n_units;

	*state = (struct wt_miners_state){ .start_ns = now_ns, .now_ns = 0, .target = on, .n = 0 };
	add_units(state, WT_MINERS_ON, on, ELIGIBLE);
	add_units(state, WT_MINERS_OFF, cfg->n_units - on, ELIGIBLE);
}

int wt_miners_command(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
		      uint32_t target_on_units, uint64_t now_ns)
{
	int64_t x = rel_time(state, now_ns);

	if (x < 0) {
		return -EINVAL;
	}
	advance(cfg, state, x);
	state->target = target_on_units < cfg->n_units ? target_on_units : cfg->n_units;
	reconcile(cfg, state, x);
	/* Zero latencies complete at once. */
	advance(cfg, state, x);
	return 0;
}

int64_t wt_miners_step(const struct wt_miners_cfg *cfg, struct wt_miners_state *state,
		       uint64_t now_ns)
{
	int64_t x = rel_time(state, now_ns);

	if (x < 0) {
		return -EINVAL;
	}
	advance(cfg, state, x);
	return (int64_t)(wt_miners_units(state, WT_MINERS_ON) +
			 wt_miners_units(state, WT_MINERS_SHEDDING)) *
	       (int64_t)cfg->unit_w;
}

int64_t wt_miners_min_power_w(const struct wt_miners_cfg *cfg, const struct wt_miners_state *state,
			      uint64_t now_ns, uint64_t at_ns)
{
	struct wt_miners_state copy = *state;
	int rc;

	if (at_ns < now_ns) {
		return -EINVAL;
	}
	rc = wt_miners_command(cfg, &copy, 0, now_ns);
	if (rc < 0) {
		return rc;
	}
	return wt_miners_step(cfg, &copy, at_ns);
}
