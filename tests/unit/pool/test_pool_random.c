/* SPDX-License-Identifier: Apache-2.0 */
/* Randomized test of the token pool against an independent shadow model. Seeded and
 * deterministic: 20,000 random operations per configuration (demands, renewals, releases,
 * rebalances, revoke acks, child restarts, per-child ceilings, upstream records and lowering,
 * time jumps, stale and invalid requests). After every operation:
 * - pool_invariant_ok() holds;
 * - the shadow, which keeps every grant record exactly (no merging, no record limit) and
 *   applies releases, acks and restarts with the protocol's exact meaning, satisfies
 *   floors + sum(outstanding(t)) <= capacity(t) now and at every later capacity drop;
 * - the pool never counts a child below the shadow (over-counting is allowed, never under);
 * - every grant is a whole number of tokens within child_max_w and the child's ceiling, new
 *   lease ids only grow; after a rebalance no child holds more than its ceiling without a
 *   pending revoke down to it.
 * At the end it checks that every kind of event actually happened. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

#define MS(x)	 ((uint64_t)(x)*1000000ull)
#define T0	 MS(1000)
#define NCH	 12
#define MAXREC	 512
#define MAXUP	 512
#define MAXREV	 64
#define TOKEN	 100
#define CHILDMAX 6000

struct sh_rec {
	uint64_t expires_ns;
	uint64_t created; /* operation counter when created */
	uint32_t watts;
	bool pinned;
};

struct sh_child {
	uint32_t floor_w;
	uint32_t ceil_w; /* as set, POOL_CEILING_NONE: none */
	uint64_t last_seq;
	uint64_t lease_id;
	uint32_t n;
	struct sh_rec rec[MAXREC];
};

struct sh_up {
	uint64_t expires_ns;
	uint32_t watts;
};

struct pending_rv {
	struct pool_revoke rv;
	uint64_t issued; /* operation counter at the revoke */
};

struct world {
	struct pool *p;
	struct pool_cfg cfg;
	uint64_t rng;
	uint64_t now_ns;
	uint64_t op;
	uint64_t last_new_lease;
	struct sh_child ch[NCH];
	uint32_t nup;
	struct sh_up up[MAXUP];
	uint32_t nrv;
	struct pending_rv rv[MAXREV];
	/* Event counters, to prove the run exercised everything. */
	uint64_t n_grant, n_zero, n_quar, n_stale, n_e2big, n_einval, n_notfound, n_release, n_ack,
		n_revoke, n_reset, n_up_ok, n_up_busy, n_lower_ok, n_lower_busy, n_clipped, n_full,
		n_damped, n_ack_stale, n_ceiling, n_ceil_grant, n_ceil_revoke;
};

static uint64_t rnd(struct world *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static uint64_t rnd_below(struct world *w, uint64_t n)
{
	return n == 0 ? 0 : rnd(w) % n;
}

static uint32_t round_up(uint32_t v)
{
	return (v + TOKEN - 1) / TOKEN * TOKEN;
}

/* The most child @idx may be granted now: its ceiling in whole tokens, within child_max_w. */
static uint32_t cap_w(const struct world *w, uint32_t idx)
{
	uint32_t c = w->ch[idx].ceil_w / TOKEN * TOKEN;

	return c < CHILDMAX ? c : CHILDMAX;
}

/* ---- shadow ---- */

static void sh_prune(struct world *w)
{
	for (int i = 0; i < NCH; i++) {
		struct sh_child *c = &w->ch[i];
		uint32_t n = 0;

		for (uint32_t r = 0; r < c->n; r++) {
			if (c->rec[r].expires_ns > w->now_ns) {
				c->rec[n++] = c->rec[r];
			}
		}
		c->n = n;
	}
}

static uint32_t sh_out(const struct sh_child *c, uint64_t t)
{
	uint32_t m = 0;

	for (uint32_t r = 0; r < c->n; r++) {
		if (c->rec[r].expires_ns > t && c->rec[r].watts > m) {
			m = c->rec[r].watts;
		}
	}
	return m;
}

static uint64_t sh_cap(const struct world *w, uint64_t t)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < w->nup; i++) {
		if (w->up[i].expires_ns > t && w->up[i].watts > m) {
			m = w->up[i].watts;
		}
	}
	return (uint64_t)w->cfg.base_w + m;
}

static uint64_t sh_used(const struct world *w, uint64_t t)
{
	uint64_t s = 0;

	for (int i = 0; i < NCH; i++) {
		s += w->ch[i].floor_w + sh_out(&w->ch[i], t);
	}
	return s;
}

static void sh_add(struct world *w, uint32_t idx, uint32_t watts, uint32_t ttl_ms)
{
	struct sh_child *c = &w->ch[idx];

	assert_true(c->n < MAXREC);
	c->rec[c->n++] =
		(struct sh_rec){ .expires_ns = w->now_ns + MS(ttl_ms) + MS(w->cfg.skew_margin_ms),
				 .created = w->op,
				 .watts = watts };
}

static void sh_cut(struct world *w, uint32_t idx, uint32_t watts, uint64_t created_before)
{
	struct sh_child *c = &w->ch[idx];

	for (uint32_t r = 0; r < c->n; r++) {
		if (!c->rec[r].pinned && c->rec[r].created < created_before &&
		    c->rec[r].watts > watts) {
			c->rec[r].watts = watts;
		}
	}
}

/* ---- checks ---- */

static void check_all(struct world *w)
{
	struct pool_status ps;

	sh_prune(w);
	if (!pool_invariant_ok(w->p, w->now_ns)) {
		fail_msg("pool invariant violated at op %llu", (unsigned long long)w->op);
	}
	/* Shadow safety now and at every later capacity drop. */
	if (sh_used(w, w->now_ns) > sh_cap(w, w->now_ns)) {
		fail_msg("shadow over capacity at op %llu: used %llu cap %llu",
			 (unsigned long long)w->op, (unsigned long long)sh_used(w, w->now_ns),
			 (unsigned long long)sh_cap(w, w->now_ns));
	}
	for (uint32_t i = 0; i < w->nup; i++) {
		uint64_t t = w->up[i].expires_ns;

		if (t > w->now_ns && sh_used(w, t) > sh_cap(w, t)) {
			fail_msg(
				"shadow over future capacity at op %llu t=%llu: used %llu cap %llu",
				(unsigned long long)w->op, (unsigned long long)(t - w->now_ns),
				(unsigned long long)sh_used(w, t),
				(unsigned long long)sh_cap(w, t));
		}
	}
	/* The pool never counts less than the shadow. */
	pool_status_get(w->p, &ps);
	assert_int_equal(ps.now_ns, w->now_ns);
	for (uint32_t i = 0; i < NCH; i++) {
		struct pool_child_status cs;

		assert_int_equal(pool_child_status(w->p, i, &cs), 0);
		if (cs.outstanding_w < sh_out(&w->ch[i], w->now_ns)) {
			fail_msg("under-count at op %llu child %u: pool %u shadow %u",
				 (unsigned long long)w->op, i, cs.outstanding_w,
				 sh_out(&w->ch[i], w->now_ns));
		}
		assert_int_equal(cs.last_seq, w->ch[i].last_seq);
		assert_int_equal(cs.ceiling_w, w->ch[i].ceil_w);
		assert_int_equal(pool_child_ceiling(w->p, i), w->ch[i].ceil_w);
		assert_true(cs.demand_w <= cap_w(w, i));
		assert_true(cs.target_w <= cap_w(w, i));
	}
}

static void check_decision(struct world *w, uint32_t idx, int rc, const struct pool_decision *d)
{
	struct sh_child *c = &w->ch[idx];

	assert_int_equal(d->granted_w % TOKEN, 0);
	assert_true(d->granted_w <= CHILDMAX);
	assert_true(d->granted_w <= cap_w(w, idx));
	w->n_ceil_grant += d->reason == POOL_REASON_CEILING;
	if (rc == WT_EQUARANTINE) {
		assert_int_equal(d->granted_w, 0);
		assert_int_equal(d->reason, POOL_REASON_QUARANTINE);
		assert_true(d->retry_after_ms > 0);
		w->n_quar++;
		return;
	}
	assert_int_equal(rc, 0);
	w->n_clipped += d->ttl_clipped;
	w->n_full += d->reason == POOL_REASON_RECORDS_FULL;
	w->n_damped += d->damped;
	if (d->granted_w == 0) {
		assert_int_equal(d->lease_id, 0);
		assert_int_equal(d->ttl_ms, 0);
		c->lease_id = 0;
		w->n_zero++;
		return;
	}
	assert_true(d->ttl_ms >= w->cfg.ttl_min_ms && d->ttl_ms <= w->cfg.ttl_max_ms);
	assert_int_not_equal(d->lease_id, 0);
	if (d->lease_id != c->lease_id) {
		/* A new lease: ids of one incarnation only grow. */
		assert_true(d->lease_id > w->last_new_lease);
		w->last_new_lease = d->lease_id;
	}
	c->lease_id = d->lease_id;
	sh_add(w, idx, d->granted_w, d->ttl_ms);
	w->n_grant++;
}

/* ---- operations ---- */

static uint64_t pick_seq(struct world *w, uint32_t idx, bool *stale)
{
	*stale = w->ch[idx].last_seq > 0 && rnd_below(w, 12) == 0;
	if (*stale) {
		return rnd_below(w, w->ch[idx].last_seq + 1);
	}
	if (w->ch[idx].last_seq == 0 && rnd_below(w, 20) == 0) {
		*stale = true;
		return 0;
	}
	return w->ch[idx].last_seq + 1 + rnd_below(w, 3);
}

static void op_demand(struct world *w)
{
	uint32_t idx = (uint32_t)rnd_below(w, NCH);
	bool stale;
	uint64_t seq = pick_seq(w, idx, &stale);
	uint32_t want = (uint32_t)rnd_below(w, CHILDMAX + 300);
	int cls = 1 + (int)rnd_below(w, 4);
	uint32_t ttl = (uint32_t)rnd_below(w, 70);
	struct pool_decision d;
	int rc;

	if (rnd_below(w, 50) == 0) {
		cls = rnd_below(w, 2) ? 0 : 5;
	}
	rc = pool_demand(w->p, idx, seq, want, (enum pool_class)cls, ttl, w->now_ns, &d);
	if (stale) {
		assert_int_equal(rc, WT_ESTALE);
		w->n_stale++;
		return;
	}
	if (cls == 0 || cls == 5) {
		assert_int_equal(rc, -EINVAL);
		w->n_einval++;
		return;
	}
	if (want / TOKEN > CHILDMAX / TOKEN) {
		assert_int_equal(rc, WT_E2BIG);
		w->n_e2big++;
		return;
	}
	w->ch[idx].last_seq = seq;
	check_decision(w, idx, rc, &d);
}

static void op_renew(struct world *w)
{
	uint32_t idx = (uint32_t)rnd_below(w, NCH);
	bool stale;
	uint64_t seq = pick_seq(w, idx, &stale);
	uint64_t lease = w->ch[idx].lease_id;
	struct pool_child_status cs;
	struct pool_decision d;
	int rc;

	if (rnd_below(w, 10) == 0) {
		lease = rnd_below(w, 2) ? lease + 1 : 0;
	}
	assert_int_equal(pool_child_status(w->p, idx, &cs), 0);
	rc = pool_renew(w->p, idx, seq, lease, w->now_ns, &d);
	if (stale) {
		assert_int_equal(rc, WT_ESTALE);
		w->n_stale++;
		return;
	}
	if (lease == 0 || lease != cs.lease_id) {
		assert_int_equal(rc, WT_ENOTFOUND);
		w->n_notfound++;
		return;
	}
	w->ch[idx].last_seq = seq;
	check_decision(w, idx, rc, &d);
}

static void op_release(struct world *w)
{
	uint32_t idx = (uint32_t)rnd_below(w, NCH);
	bool stale;
	uint64_t seq = pick_seq(w, idx, &stale);
	struct pool_child_status cs;
	uint32_t keep;
	int rc;

	assert_int_equal(pool_child_status(w->p, idx, &cs), 0);
	keep = (uint32_t)rnd_below(w, cs.lease_w + 150);
	rc = pool_release(w->p, idx, seq, cs.lease_id, keep, w->now_ns);
	if (stale) {
		assert_int_equal(rc, WT_ESTALE);
		w->n_stale++;
		return;
	}
	if (cs.lease_id == 0) {
		assert_int_equal(rc, WT_ENOTFOUND);
		w->n_notfound++;
		return;
	}
	if (keep > cs.lease_w) {
		assert_int_equal(rc, -EINVAL);
		w->n_einval++;
		return;
	}
	assert_int_equal(rc, 0);
	w->ch[idx].last_seq = seq;
	/* The child lowered its cap before Release and clamps late grants: every record of its
	 * session goes down to keep. */
	sh_cut(w, idx, round_up(keep), UINT64_MAX);
	if (round_up(keep) == 0) {
		w->ch[idx].lease_id = 0;
	}
	w->n_release++;
}

static void collect(void *arg, const struct pool_revoke *rv)
{
	struct world *w = arg;

	if (w->nrv == MAXREV) {
		memmove(&w->rv[0], &w->rv[1], (MAXREV - 1) * sizeof(w->rv[0]));
		w->nrv--;
	}
	w->rv[w->nrv++] = (struct pending_rv){ .rv = *rv, .issued = w->op };
	w->n_revoke++;
	assert_true(rv->reason == POOL_REASON_FAIR_SHARE || rv->reason == POOL_REASON_CEILING);
	if (rv->reason == POOL_REASON_CEILING) {
		assert_int_equal(rv->watts, cap_w(w, rv->child_idx));
		w->n_ceil_revoke++;
	}
	assert_true(rv->watts <= cap_w(w, rv->child_idx));
}

static void op_rebalance(struct world *w)
{
	int n = pool_rebalance(w->p, w->now_ns, collect, w);

	assert_true(n >= 0);
	if (pool_quarantine_left_ms(w->p, w->now_ns) > 0) {
		return;
	}
	/* Nobody keeps more than its ceiling without being asked to shrink to it. */
	for (uint32_t i = 0; i < NCH; i++) {
		struct pool_child_status cs;

		assert_int_equal(pool_child_status(w->p, i, &cs), 0);
		if (cs.lease_id == 0) {
			continue;
		}
		assert_true(cs.lease_w <= cap_w(w, i));
		assert_true(cs.outstanding_w <= cap_w(w, i) ||
			    (cs.revoke_seq != 0 && cs.revoke_w <= cap_w(w, i)));
	}
}

/* Set a ceiling: mostly below what children ask for, sometimes none, below one token, or for an
 * unknown child (refused, nothing changes). */
static void op_ceiling(struct world *w)
{
	uint32_t idx = (uint32_t)rnd_below(w, NCH + 1);
	uint64_t r = rnd_below(w, 8);
	uint32_t ceil_w;

	if (r == 0) {
		ceil_w = POOL_CEILING_NONE;
	} else if (r == 1) {
		ceil_w = (uint32_t)rnd_below(w, TOKEN);
	} else {
		ceil_w = (uint32_t)rnd_below(w, CHILDMAX + 500);
	}
	if (idx == NCH) {
		assert_int_equal(
			pool_child_ceiling_set(w->p, idx + (uint32_t)rnd_below(w, 3), ceil_w),
			-EINVAL);
		w->n_einval++;
		return;
	}
	assert_int_equal(pool_child_ceiling_set(w->p, idx, ceil_w), 0);
	w->ch[idx].ceil_w = ceil_w;
	w->n_ceiling++;
}

static void op_ack(struct world *w)
{
	struct pending_rv prv;
	struct pool_child_status cs;
	uint32_t k, now_w;
	int rc;

	if (w->nrv == 0) {
		return;
	}
	k = (uint32_t)rnd_below(w, w->nrv);
	prv = w->rv[k];
	memmove(&w->rv[k], &w->rv[k + 1], (w->nrv - k - 1) * sizeof(w->rv[0]));
	w->nrv--;
	/* Mostly what was asked; sometimes less, sometimes more than asked. */
	now_w = prv.rv.watts;
	if (rnd_below(w, 4) == 0) {
		now_w = (uint32_t)rnd_below(w, prv.rv.watts + 1000);
	}
	assert_int_equal(pool_child_status(w->p, prv.rv.child_idx, &cs), 0);
	rc = pool_revoke_ack(w->p, prv.rv.child_idx, prv.rv.revoke_seq, prv.rv.lease_id, now_w,
			     w->now_ns);
	if (cs.lease_id == 0 || cs.lease_id != prv.rv.lease_id) {
		assert_int_equal(rc, WT_ENOTFOUND);
		return;
	}
	if (cs.revoke_seq != prv.rv.revoke_seq) {
		assert_int_equal(rc, WT_ESTALE);
		w->n_ack_stale++;
		return;
	}
	assert_int_equal(rc, 0);
	/* Exactly the records that existed when the revoke was issued. */
	sh_cut(w, prv.rv.child_idx, round_up(now_w), prv.issued + 1);
	w->n_ack++;
}

static void op_reset(struct world *w)
{
	uint32_t idx = (uint32_t)rnd_below(w, NCH);
	struct sh_child *c = &w->ch[idx];

	assert_int_equal(pool_child_reset(w->p, idx, w->now_ns), 0);
	for (uint32_t r = 0; r < c->n; r++) {
		c->rec[r].pinned = true;
	}
	c->last_seq = 0;
	c->lease_id = 0;
	w->n_reset++;
}

static void op_upstream(struct world *w)
{
	uint32_t watts = (uint32_t)rnd_below(w, 40000);
	uint64_t exp = w->now_ns + 1 + rnd_below(w, MS(400));
	int rc;

	if (!w->cfg.has_upstream) {
		assert_int_equal(pool_upstream_set(w->p, watts, exp), -EINVAL);
		return;
	}
	rc = pool_upstream_set(w->p, watts, exp);
	if (rc == WT_EBUSY) {
		w->n_up_busy++;
		return;
	}
	assert_int_equal(rc, 0);
	assert_true(w->nup < MAXUP);
	w->up[w->nup++] = (struct sh_up){ exp, watts };
	w->n_up_ok++;
}

static void op_lower(struct world *w)
{
	uint32_t watts = (uint32_t)rnd_below(w, 30000);
	int rc;

	if (!w->cfg.has_upstream) {
		return;
	}
	rc = pool_upstream_lower(w->p, watts);
	if (rc == WT_EBUSY) {
		w->n_lower_busy++;
		return;
	}
	assert_int_equal(rc, 0);
	for (uint32_t i = 0; i < w->nup; i++) {
		if (w->up[i].watts > watts) {
			w->up[i].watts = watts;
		}
	}
	w->n_lower_ok++;
}

static void op_time(struct world *w)
{
	uint64_t r = rnd_below(w, 100);

	if (r < 3) {
		w->now_ns += MS(100) + rnd_below(w, MS(400));
	} else if (r < 10) {
		/* Time going back is treated as the latest seen. */
		pool_advance(w->p, w->now_ns - rnd_below(w, MS(5)));
		return;
	} else {
		w->now_ns += rnd_below(w, MS(12));
	}
	pool_advance(w->p, w->now_ns);
	/* Drop expired shadow upstream records to keep the list short. */
	{
		uint32_t n = 0;

		for (uint32_t i = 0; i < w->nup; i++) {
			if (w->up[i].expires_ns > w->now_ns) {
				w->up[n++] = w->up[i];
			}
		}
		w->nup = n;
	}
}

static void run(struct world *w, int ops)
{
	for (int i = 0; i < ops; i++) {
		uint64_t r = rnd_below(w, 100);

		w->op++;
		if (r < 30) {
			op_demand(w);
		} else if (r < 44) {
			op_renew(w);
		} else if (r < 51) {
			op_release(w);
		} else if (r < 59) {
			op_rebalance(w);
		} else if (r < 69) {
			op_ack(w);
		} else if (r < 71) {
			op_reset(w);
		} else if (r < 78) {
			op_upstream(w);
		} else if (r < 80) {
			op_lower(w);
		} else if (r < 83) {
			op_ceiling(w);
		} else {
			op_time(w);
		}
		check_all(w);
	}
}

static void world_init(struct world *w, uint64_t seed, bool upstream, bool damper)
{
	static const uint32_t floors[NCH] = { 500, 0, 1000, 0, 200, 0, 0, 300, 0, 0, 1000, 0 };

	memset(w, 0, sizeof(*w));
	w->rng = seed;
	w->now_ns = T0;
	pool_cfg_default(&w->cfg);
	w->cfg.base_w = upstream ? 4000 : 20000;
	w->cfg.token_w = TOKEN;
	w->cfg.child_max_w = CHILDMAX;
	w->cfg.quarantine_ms = 30;
	w->cfg.has_upstream = upstream;
	w->cfg.boot_nonce = (uint32_t)seed;
	w->cfg.start_ns = T0;
	if (!damper) {
		w->cfg.damper = (struct pool_damper_cfg){ 0, 0, UINT32_MAX, 1000, 0 };
	} else {
		w->cfg.damper.window_ms = 200;
		w->cfg.damper.cooldown_ms = 50;
	}
	assert_int_equal(pool_new(&w->p, &w->cfg), 0);
	for (uint32_t i = 0; i < NCH; i++) {
		assert_int_equal(pool_child_add(w->p, i, floors[i], (enum pool_class)(1 + i % 4)),
				 (int)i);
		w->ch[i].floor_w = floors[i];
		w->ch[i].ceil_w = POOL_CEILING_NONE;
	}
}

static void world_done(struct world *w)
{
	pool_free(w->p);
	wt_free(w);
}

static void test_random_upstream_damper(void **state)
{
	struct world *w = wt_malloc(sizeof(*w));
	struct pool_stats s;

	world_init(w, 0x9e3779b97f4a7c15ull, true, true);
	run(w, 20000);
	pool_stats_get(w->p, &s);
	print_message("grants %llu zero %llu quarantine %llu stale %llu revokes %llu acks %llu "
		      "releases %llu resets %llu up %llu/%llu lower %llu/%llu clipped %llu "
		      "full %llu damped %llu expiries %llu ceilings %llu/%llu/%llu\n",
		      (unsigned long long)w->n_grant, (unsigned long long)w->n_zero,
		      (unsigned long long)w->n_quar, (unsigned long long)w->n_stale,
		      (unsigned long long)w->n_revoke, (unsigned long long)w->n_ack,
		      (unsigned long long)w->n_release, (unsigned long long)w->n_reset,
		      (unsigned long long)w->n_up_ok, (unsigned long long)w->n_up_busy,
		      (unsigned long long)w->n_lower_ok, (unsigned long long)w->n_lower_busy,
		      (unsigned long long)w->n_clipped, (unsigned long long)w->n_full,
		      (unsigned long long)w->n_damped, (unsigned long long)s.expiries,
		      (unsigned long long)w->n_ceiling, (unsigned long long)w->n_ceil_grant,
		      (unsigned long long)w->n_ceil_revoke);
	assert_true(w->n_grant > 1000);
	assert_true(w->n_zero > 100);
	assert_true(w->n_quar > 0);
	assert_true(w->n_stale > 100);
	assert_true(w->n_e2big > 10);
	assert_true(w->n_einval > 10);
	assert_true(w->n_notfound > 10);
	assert_true(w->n_release > 100);
	assert_true(w->n_revoke > 50);
	assert_true(w->n_ack > 20);
	assert_true(w->n_reset > 50);
	assert_true(w->n_up_ok > 100);
	assert_true(w->n_lower_ok > 0);
	assert_true(w->n_clipped > 10);
	assert_true(w->n_damped > 10);
	assert_true(s.expiries > 100);
	assert_true(w->n_ceiling > 100);
	assert_true(w->n_ceil_grant > 10);
	assert_true(w->n_ceil_revoke > 10);
	assert_int_equal(s.grants, w->n_grant);
	assert_int_equal(s.revokes, w->n_revoke);
	assert_int_equal(s.revoke_acks, w->n_ack);
	assert_int_equal(s.releases, w->n_release);
	assert_int_equal(s.stale, w->n_stale + w->n_ack_stale);
	world_done(w);
}

static void test_random_top_tier(void **state)
{
	struct world *w = wt_malloc(sizeof(*w));
	struct pool_stats s;

	world_init(w, 0x0123456789abcdefull, false, false);
	run(w, 20000);
	pool_stats_get(w->p, &s);
	assert_true(w->n_grant > 1000);
	assert_true(w->n_revoke > 50);
	assert_true(w->n_ack > 20);
	assert_true(w->n_ceil_revoke > 10);
	assert_int_equal(w->n_damped, 0);
	assert_int_equal(s.grants, w->n_grant);
	assert_int_equal(pool_capacity_w(w->p, UINT64_MAX - 1), 20000);
	world_done(w);
}

/* Several seeds, shorter, both configurations. */
static void test_random_seeds(void **state)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct world *w = wt_malloc(sizeof(*w));

		world_init(w, seed * 0x2545f4914f6cdd1dull, seed % 2 == 0, seed % 3 != 0);
		run(w, 5000);
		world_done(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_upstream_damper),
		cmocka_unit_test(test_random_top_tier),
		cmocka_unit_test(test_random_seeds),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
