/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the token pool: configuration and floors, grant edge cases (zero, exact fit,
 * one token over, rounding, ceilings), expiry and quarantine boundaries, stale requests with
 * no state change, unknown leases, renew/release/shrink records, record merging, upstream
 * nesting (ttl clipping, shrink, record limits, lowering), revocations by class, the damper in
 * the pool, uint32 overflow, child restarts, and 10,000 children. Every test checks exact
 * numbers and pool_invariant_ok() along the way. */
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

#define MS(x) ((uint64_t)(x)*1000000ull)
#define T0    MS(1000)
#define TRAIN POOL_CLASS_TRAINING

/* ---- helpers ---- */

/* No upstream, no quarantine, damper off: decisions are plain arithmetic. */
static void cfg_flat(struct pool_cfg *cfg, uint32_t base_w)
{
	pool_cfg_default(cfg);
	cfg->base_w = base_w;
	cfg->child_max_w = 20000;
	cfg->quarantine_ms = 0;
	cfg->has_upstream = false;
	cfg->boot_nonce = 0xabcd;
	cfg->start_ns = T0;
	cfg->damper = (struct pool_damper_cfg){ 0, 0, UINT32_MAX, 1000, 0 };
}

static struct pool *mk(const struct pool_cfg *cfg)
{
	struct pool *p = NULL;

	assert_int_equal(pool_new(&p, cfg), 0);
	assert_non_null(p);
	return p;
}

static uint32_t add(struct pool *p, uint32_t floor_w, enum pool_class cls)
{
	int idx = pool_child_add(p, 1000 + pool_child_count(p), floor_w, cls);

	assert_true(idx >= 0);
	return (uint32_t)idx;
}

static struct pool_child_status cst(const struct pool *p, uint32_t idx)
{
	struct pool_child_status s;

	assert_int_equal(pool_child_status(p, idx, &s), 0);
	return s;
}

static uint64_t next_seq(const struct pool *p, uint32_t idx)
{
	return cst(p, idx).last_seq + 1;
}

static struct pool_decision dem(struct pool *p, uint32_t idx, uint32_t want_w, enum pool_class cls,
				uint32_t ttl_ms, uint64_t now_ns)
{
	struct pool_decision d;

	assert_int_equal(pool_demand(p, idx, next_seq(p, idx), want_w, cls, ttl_ms, now_ns, &d), 0);
	assert_true(pool_invariant_ok(p, now_ns));
	return d;
}

static struct pool_decision renew(struct pool *p, uint32_t idx, uint64_t now_ns)
{
	struct pool_decision d;

	assert_int_equal(pool_renew(p, idx, next_seq(p, idx), cst(p, idx).lease_id, now_ns, &d), 0);
	assert_true(pool_invariant_ok(p, now_ns));
	return d;
}

static uint32_t outw(const struct pool *p, uint32_t idx)
{
	return cst(p, idx).outstanding_w;
}

static struct pool_status st(const struct pool *p)
{
	struct pool_status s;

	pool_status_get(p, &s);
	return s;
}

static struct pool_stats stats(const struct pool *p)
{
	struct pool_stats s;

	pool_stats_get(p, &s);
	return s;
}

static void at(struct pool *p, uint64_t now_ns)
{
	pool_advance(p, now_ns);
	assert_true(pool_invariant_ok(p, now_ns));
}

struct revokes {
	int n;
	struct pool_revoke rv[8];
};

static void collect(void *arg, const struct pool_revoke *rv)
{
	struct revokes *r = arg;

	assert_true(r->n < 8);
	r->rv[r->n++] = *rv;
}

/* Full observable state, for "no state change" checks. */
struct snap {
	struct pool_stats stats;
	struct pool_status status;
	uint32_t n;
	struct pool_child_status ch[4];
};

static void snap_take(const struct pool *p, struct snap *s)
{
	s->stats = stats(p);
	s->status = st(p);
	s->n = pool_child_count(p);
	assert_true(s->n <= 4);
	for (uint32_t i = 0; i < s->n; i++) {
		s->ch[i] = cst(p, i);
	}
}

static void snap_equal(const struct snap *a, const struct snap *b, uint64_t extra_stale)
{
	assert_int_equal(a->stats.grants, b->stats.grants);
	assert_int_equal(a->stats.denials, b->stats.denials);
	assert_int_equal(a->stats.quarantine_denials, b->stats.quarantine_denials);
	assert_int_equal(a->stats.expiries, b->stats.expiries);
	assert_int_equal(a->stats.damped, b->stats.damped);
	assert_int_equal(a->stats.stale + extra_stale, b->stats.stale);
	assert_int_equal(a->stats.revokes, b->stats.revokes);
	assert_int_equal(a->stats.revoke_acks, b->stats.revoke_acks);
	assert_int_equal(a->stats.releases, b->stats.releases);
	assert_int_equal(a->status.now_ns, b->status.now_ns);
	assert_int_equal(a->status.capacity_w, b->status.capacity_w);
	assert_int_equal(a->status.grant_level_w, b->status.grant_level_w);
	assert_int_equal(a->status.floors_w, b->status.floors_w);
	assert_int_equal(a->status.outstanding_w, b->status.outstanding_w);
	assert_int_equal(a->status.headroom_w, b->status.headroom_w);
	assert_int_equal(a->status.upstream_w, b->status.upstream_w);
	assert_int_equal(a->status.upstream_left_ms, b->status.upstream_left_ms);
	assert_int_equal(a->status.quarantine_left_ms, b->status.quarantine_left_ms);
	assert_int_equal(a->status.children, b->status.children);
	assert_int_equal(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++) {
		const struct pool_child_status *x = &a->ch[i], *y = &b->ch[i];

		assert_int_equal(x->id, y->id);
		assert_int_equal(x->last_seq, y->last_seq);
		assert_int_equal(x->lease_id, y->lease_id);
		assert_int_equal(x->revoke_seq, y->revoke_seq);
		assert_int_equal(x->cls, y->cls);
		assert_int_equal(x->floor_w, y->floor_w);
		assert_int_equal(x->outstanding_w, y->outstanding_w);
		assert_int_equal(x->lease_w, y->lease_w);
		assert_int_equal(x->lease_left_ms, y->lease_left_ms);
		assert_int_equal(x->demand_w, y->demand_w);
		assert_int_equal(x->target_w, y->target_w);
		assert_int_equal(x->revoke_w, y->revoke_w);
		assert_int_equal(x->records, y->records);
		assert_int_equal(x->damped, y->damped);
		assert_int_equal(x->ceiling_w, y->ceiling_w);
	}
}

/* ---- configuration and children ---- */

static void test_cfg_invalid(void **state)
{
	static const struct {
		int field;
		uint32_t value;
	} cases[] = {
		{ 0, 0 },	 /* token_w */
		{ 1, 0 },	 /* ttl_min_ms */
		{ 1, 51 },	 /* ttl_min > ttl_max */
		{ 2, 3600001 },	 /* ttl_max_ms */
		{ 3, 3600001 },	 /* skew_margin_ms */
		{ 4, 99 },	 /* child_max_w below one token */
		{ 4, 6553700 },	 /* 65537 tokens */
		{ 5, 100 },	 /* damper shrink_pct */
		{ 6, 1u << 23 }, /* children_hint */
		{ 7, 0 },	 /* damper window */
	};
	struct pool *sentinel = (struct pool *)&cases;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_cfg cfg;
		struct pool *p = sentinel;

		cfg_flat(&cfg, 10000);
		switch (cases[i].field) {
		case 0:
			cfg.token_w = cases[i].value;
			break;
		case 1:
			cfg.ttl_min_ms = cases[i].value;
			break;
		case 2:
			cfg.ttl_max_ms = cases[i].value;
			break;
		case 3:
			cfg.skew_margin_ms = cases[i].value;
			break;
		case 4:
			cfg.child_max_w = cases[i].value;
			break;
		case 5:
			cfg.damper.shrink_pct = cases[i].value;
			break;
		case 6:
			cfg.children_hint = cases[i].value;
			break;
		default:
			cfg.damper.window_ms = cases[i].value;
			break;
		}
		assert_int_equal(pool_new(&p, &cfg), WT_ECONFIG);
		assert_ptr_equal(p, sentinel);
	}
	pool_free(NULL);
}

static void test_cfg_defaults(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;

	pool_cfg_default(&cfg);
	assert_int_equal(cfg.token_w, 100);
	assert_int_equal(cfg.ttl_min_ms, 10);
	assert_int_equal(cfg.ttl_max_ms, 50);
	assert_int_equal(cfg.skew_margin_ms, 5);
	assert_int_equal(cfg.quarantine_ms, POOL_QUARANTINE_DEFAULT);
	assert_true(cfg.has_upstream);
	/* Default per-child ceiling with a huge token stays within uint32. */
	cfg.token_w = 1000000;
	cfg.start_ns = T0;
	p = mk(&cfg);
	assert_int_equal(pool_quarantine_left_ms(p, T0), 55);
	pool_free(p);
	assert_true(pool_child_bytes() <= 200);
}

static void test_child_add_floors(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	assert_int_equal(pool_child_add(p, 1, 6000, TRAIN), 0);
	assert_int_equal(pool_child_add(p, 2, 4001, TRAIN), WT_ECONFIG);
	assert_int_equal(pool_child_count(p), 1);
	assert_int_equal(st(p).floors_w, 6000);
	assert_int_equal(pool_child_add(p, 2, 100, 0), -EINVAL);
	assert_int_equal(pool_child_add(p, 2, 100, 5), -EINVAL);
	assert_int_equal(pool_child_add(p, 2, 4000, POOL_CLASS_FLEXIBLE), 1); /* exact fit */
	assert_int_equal(pool_child_add(p, 3, 1, TRAIN), WT_ECONFIG);
	assert_int_equal(pool_child_add(p, 3, 0, TRAIN), 2);
	assert_int_equal(st(p).floors_w, 10000);
	assert_int_equal(st(p).headroom_w, 0);
	assert_int_equal(cst(p, 1).floor_w, 4000);
	assert_int_equal(cst(p, 1).id, 2);
	assert_int_equal(cst(p, 1).cls, POOL_CLASS_FLEXIBLE);
	assert_true(pool_invariant_ok(p, T0));
	pool_free(p);

	/* A floor that fits base_w but not beside outstanding grants: WT_EBUSY. */
	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 8000, TRAIN, 0, T0).granted_w, 8000);
	assert_int_equal(pool_child_add(p, 9, 2001, TRAIN), WT_EBUSY);
	assert_int_equal(pool_child_add(p, 9, 2000, TRAIN), 1);
	assert_true(pool_invariant_ok(p, T0));
	pool_free(p);
}

/* ---- grants ---- */

static void test_grant_edges(void **state)
{
	static const struct {
		uint32_t want, granted;
		int rc;
		enum pool_reason reason;
	} cases[] = {
		{ 0, 0, 0, POOL_REASON_OK },
		{ 100, 100, 0, POOL_REASON_OK },
		{ 250, 200, 0, POOL_REASON_OK },	     /* rounded down to tokens */
		{ 99, 0, 0, POOL_REASON_OK },		     /* below one token: nothing */
		{ 8000, 8000, 0, POOL_REASON_OK },	     /* exact fit */
		{ 8100, 8000, 0, POOL_REASON_NO_HEADROOM },  /* one token over */
		{ 20000, 8000, 0, POOL_REASON_NO_HEADROOM }, /* the ceiling */
		{ 20099, 8000, 0, POOL_REASON_NO_HEADROOM }, /* still 200 tokens */
		{ 20100, 0, WT_E2BIG, POOL_REASON_OK },	     /* over the ceiling */
		{ UINT32_MAX, 0, WT_E2BIG, POOL_REASON_OK },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_cfg cfg;
		struct pool_decision d = { .granted_w = 12345 };
		struct pool *p;
		int rc;

		cfg_flat(&cfg, 10000);
		p = mk(&cfg);
		add(p, 2000, TRAIN);
		rc = pool_demand(p, 0, 1, cases[i].want, TRAIN, 0, T0, &d);
		assert_int_equal(rc, cases[i].rc);
		assert_true(pool_invariant_ok(p, T0));
		if (rc < 0) {
			assert_int_equal(d.granted_w, 12345); /* untouched */
			assert_int_equal(cst(p, 0).last_seq, 0);
			pool_free(p);
			continue;
		}
		assert_int_equal(d.granted_w, cases[i].granted);
		assert_int_equal(d.reason, cases[i].reason);
		assert_int_equal(st(p).outstanding_w, cases[i].granted);
		assert_int_equal(st(p).headroom_w, 8000 - cases[i].granted);
		if (d.granted_w > 0) {
			assert_int_equal(d.ttl_ms, 50); /* ttl 0 means ttl_max */
			assert_int_equal(d.lease_id, (0xabcdull << 32) | 1);
			assert_int_equal(cst(p, 0).lease_left_ms, 55);
			assert_int_equal(stats(p).grants, 1);
		} else {
			assert_int_equal(d.lease_id, 0);
			assert_int_equal(d.ttl_ms, 0);
			assert_int_equal(stats(p).grants, 0);
		}
		if (d.granted_w < cases[i].want - cases[i].want % 100) {
			assert_int_equal(d.retry_after_ms, 50);
		} else {
			assert_int_equal(d.retry_after_ms, 0);
		}
		assert_int_equal(stats(p).denials, 0);
		pool_free(p);
	}
}

static void test_ttl_range(void **state)
{
	static const struct {
		uint32_t ttl_req, ttl;
	} cases[] = {
		{ 0, 50 }, { 1, 10 }, { 9, 10 }, { 10, 10 }, { 33, 33 }, { 50, 50 }, { 51, 50 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_cfg cfg;
		struct pool *p;
		struct pool_decision d;

		cfg_flat(&cfg, 10000);
		p = mk(&cfg);
		add(p, 0, TRAIN);
		d = dem(p, 0, 1000, TRAIN, cases[i].ttl_req, T0);
		assert_int_equal(d.ttl_ms, cases[i].ttl);
		assert_false(d.ttl_clipped);
		assert_int_equal(cst(p, 0).lease_left_ms, cases[i].ttl + 5);
		pool_free(p);
	}
}

/* A record with expires == now is expired: granted at T0 with ttl 20 and margin 5, it counts
 * until T0 + 25 ms - 1 ns and not at T0 + 25 ms. */
static void test_expiry_boundary(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	d = dem(p, 0, 10000, TRAIN, 20, T0);
	assert_int_equal(d.granted_w, 10000);
	lease = d.lease_id;
	at(p, T0 + MS(25) - 1);
	assert_int_equal(outw(p, 0), 10000);
	assert_int_equal(cst(p, 0).lease_left_ms, 1);
	assert_int_equal(cst(p, 0).demand_w, 10000);
	/* Child 1 still gets nothing one nanosecond before. */
	assert_int_equal(dem(p, 1, 5000, TRAIN, 0, T0 + MS(25) - 1).granted_w, 0);
	assert_int_equal(stats(p).expiries, 0);
	at(p, T0 + MS(25));
	assert_int_equal(outw(p, 0), 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_int_equal(cst(p, 0).lease_left_ms, 0);
	assert_int_equal(cst(p, 0).demand_w, 0);
	assert_int_equal(cst(p, 0).records, 0);
	assert_int_equal(stats(p).expiries, 1);
	assert_int_equal(st(p).outstanding_w, 0);
	d = (struct pool_decision){ 0 };
	assert_int_equal(pool_renew(p, 0, next_seq(p, 0), lease, T0 + MS(25), &d), WT_ENOTFOUND);
	/* At the boundary the headroom is free again. */
	assert_int_equal(dem(p, 1, 5000, TRAIN, 0, T0 + MS(25)).granted_w, 5000);
	pool_free(p);
}

static void test_quarantine_boundary(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_flat(&cfg, 10000);
	cfg.quarantine_ms = POOL_QUARANTINE_DEFAULT; /* 50 + 5 ms */
	p = mk(&cfg);
	add(p, 0, TRAIN);
	assert_int_equal(pool_quarantine_left_ms(p, T0), 55);
	assert_int_equal(st(p).quarantine_left_ms, 55);
	assert_int_equal(pool_demand(p, 0, 1, 3000, TRAIN, 0, T0, &d), WT_EQUARANTINE);
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(d.lease_id, 0);
	assert_int_equal(d.retry_after_ms, 55);
	assert_int_equal(d.reason, POOL_REASON_QUARANTINE);
	assert_int_equal(cst(p, 0).demand_w, 3000); /* recorded */
	assert_int_equal(cst(p, 0).last_seq, 1);    /* used */
	assert_int_equal(pool_rebalance(p, T0 + 1, NULL, NULL), 0);
	assert_int_equal(pool_demand(p, 0, 2, 3000, TRAIN, 0, T0 + MS(55) - 1, &d), WT_EQUARANTINE);
	assert_int_equal(d.retry_after_ms, 1);
	assert_int_equal(pool_quarantine_left_ms(p, T0 + MS(55) - 1), 1);
	assert_int_equal(pool_quarantine_left_ms(p, T0 + MS(55)), 0);
	assert_true(pool_invariant_ok(p, T0 + MS(55) - 1));
	assert_int_equal(st(p).outstanding_w, 0);
	/* Exactly at the end: granted. */
	assert_int_equal(pool_demand(p, 0, 3, 3000, TRAIN, 0, T0 + MS(55), &d), 0);
	assert_int_equal(d.granted_w, 3000);
	assert_int_equal(d.reason, POOL_REASON_OK);
	assert_int_equal(stats(p).quarantine_denials, 2);
	assert_int_equal(stats(p).denials, 2);
	assert_int_equal(stats(p).grants, 1);
	assert_int_equal(st(p).quarantine_left_ms, 0);
	pool_free(p);

	/* Explicit quarantine; a zero want is not a denial. */
	cfg_flat(&cfg, 10000);
	cfg.quarantine_ms = 100;
	p = mk(&cfg);
	add(p, 0, TRAIN);
	assert_int_equal(pool_demand(p, 0, 1, 0, TRAIN, 0, T0 + MS(40), &d), WT_EQUARANTINE);
	assert_int_equal(d.retry_after_ms, 60);
	assert_int_equal(stats(p).denials, 0);
	assert_int_equal(stats(p).quarantine_denials, 0);
	pool_free(p);
}

/* Stale, duplicate and invalid requests change nothing but the stale counter, even when they
 * carry a later time at which records would expire. */
static void test_stale_no_change(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d = { 0 };
	struct snap a, b;
	uint64_t lease, late = T0 + MS(100);

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(pool_demand(p, 0, 5, 4000, TRAIN, 0, T0, &d), 0);
	lease = d.lease_id;
	assert_int_equal(pool_demand(p, 1, 1, 2000, TRAIN, 0, T0, &d), 0);
	snap_take(p, &a);
	assert_int_equal(pool_demand(p, 0, 5, 9000, TRAIN, 0, late, &d), WT_ESTALE); /* dup */
	assert_int_equal(pool_demand(p, 0, 4, 9000, TRAIN, 0, late, &d), WT_ESTALE); /* old */
	assert_int_equal(pool_demand(p, 0, 0, 9000, TRAIN, 0, late, &d), WT_ESTALE);
	assert_int_equal(pool_renew(p, 0, 5, lease, late, &d), WT_ESTALE);
	assert_int_equal(pool_release(p, 0, 3, lease, 0, late), WT_ESTALE);
	assert_int_equal(pool_demand(p, 1, 1, 100, TRAIN, 0, late, &d), WT_ESTALE);
	assert_int_equal(pool_revoke_ack(p, 0, 1, lease, 0, T0), WT_ESTALE); /* none pending */
	snap_take(p, &b);
	snap_equal(&a, &b, 7);
	/* Other refusals: no change at all, not even counters. */
	assert_int_equal(pool_demand(p, 0, 6, 20100, TRAIN, 0, late, &d), WT_E2BIG);
	assert_int_equal(pool_demand(p, 0, 6, 100, 0, 0, late, &d), -EINVAL);
	assert_int_equal(pool_demand(p, 0, 6, 100, 5, 0, late, &d), -EINVAL);
	assert_int_equal(pool_demand(p, 7, 6, 100, TRAIN, 0, late, &d), WT_ENOTFOUND);
	assert_int_equal(pool_renew(p, 0, 6, lease + 1, T0, &d), WT_ENOTFOUND);
	assert_int_equal(pool_renew(p, 0, 6, lease, late, &d), WT_ENOTFOUND); /* expired then */
	assert_int_equal(pool_renew(p, 7, 6, lease, T0, &d), WT_ENOTFOUND);
	assert_int_equal(pool_release(p, 0, 6, lease, 4100, T0), -EINVAL);
	assert_int_equal(pool_release(p, 0, 6, 0, 0, T0), WT_ENOTFOUND);
	assert_int_equal(pool_release(p, 9, 6, lease, 0, T0), WT_ENOTFOUND);
	assert_int_equal(pool_revoke_ack(p, 0, 1, lease + 1, 0, T0), WT_ENOTFOUND);
	assert_int_equal(pool_revoke_ack(p, 9, 1, lease, 0, T0), WT_ENOTFOUND);
	assert_int_equal(pool_child_reset(p, 9, late), WT_ENOTFOUND);
	snap_take(p, &a);
	snap_equal(&b, &a, 0);
	assert_true(pool_invariant_ok(p, T0));
	/* The next valid seq is still accepted. */
	assert_int_equal(pool_demand(p, 0, 6, 4000, TRAIN, 0, T0 + 1, &d), 0);
	assert_int_equal(d.granted_w, 4000);
	assert_int_equal(d.lease_id, lease);
	pool_free(p);
}

static void test_lease_ids(void **state)
{
	struct pool_cfg cfg;
	struct pool *p, *q;
	struct pool_decision d;
	uint64_t first;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	cfg.boot_nonce = 0x1234;
	q = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	add(q, 0, TRAIN);
	first = dem(p, 0, 1000, TRAIN, 0, T0).lease_id;
	assert_int_equal(first, (0xabcdull << 32) | 1);
	assert_int_equal(dem(p, 1, 1000, TRAIN, 0, T0).lease_id, (0xabcdull << 32) | 2);
	/* Resizing and renewing keep the lease. */
	assert_int_equal(dem(p, 0, 3000, TRAIN, 0, T0 + 1).lease_id, first);
	assert_int_equal(renew(p, 0, T0 + 2).lease_id, first);
	/* A lease that ended gets a new id next time. */
	assert_int_equal(dem(p, 0, 0, TRAIN, 0, T0 + 3).lease_id, 0);
	d = dem(p, 0, 1000, TRAIN, 0, T0 + 4);
	assert_int_equal(d.lease_id, (0xabcdull << 32) | 3);
	assert_int_equal(dem(q, 0, 1000, TRAIN, 0, T0).lease_id, (0x1234ull << 32) | 1);
	pool_free(p);
	pool_free(q);
}

/* ---- renew, release, shrink ---- */

static void test_renew(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	d = dem(p, 0, 6000, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 6000);
	lease = d.lease_id;
	/* Same size for another ttl. */
	d = renew(p, 0, T0 + MS(10));
	assert_int_equal(d.granted_w, 6000);
	assert_int_equal(d.ttl_ms, 50);
	assert_int_equal(d.lease_id, lease);
	assert_int_equal(cst(p, 0).lease_left_ms, 55);
	assert_int_equal(cst(p, 0).records, 1); /* the old record is covered */
	/* B's fair share is 5000 but only 4000 fit. */
	d = dem(p, 1, 6000, TRAIN, 50, T0 + MS(11));
	assert_int_equal(d.granted_w, 4000);
	assert_int_equal(d.reason, POOL_REASON_NO_HEADROOM);
	assert_int_equal(cst(p, 1).target_w, 5000);
	/* A's renewal shrinks to its fair share; the old record stays outstanding. */
	d = renew(p, 0, T0 + MS(12));
	assert_int_equal(d.granted_w, 5000);
	assert_int_equal(d.reason, POOL_REASON_FAIR_SHARE);
	assert_int_equal(d.lease_id, lease);
	assert_int_equal(cst(p, 0).lease_w, 5000);
	assert_int_equal(outw(p, 0), 6000);
	assert_int_equal(st(p).outstanding_w, 10000);
	/* The 6000 record ends at T0 + 65 ms (renewed at 10 ms). */
	at(p, T0 + MS(65) - 1);
	assert_int_equal(outw(p, 0), 6000);
	at(p, T0 + MS(65));
	assert_int_equal(outw(p, 0), 5000);
	d = dem(p, 1, 6000, TRAIN, 50, T0 + MS(65));
	assert_int_equal(d.granted_w, 5000);
	assert_int_equal(stats(p).grants, 5);
	pool_free(p);
}

static void test_release(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	d = dem(p, 0, 5000, TRAIN, 0, T0);
	lease = d.lease_id;
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 2000, T0 + 1), 0);
	assert_true(pool_invariant_ok(p, T0 + 1));
	assert_int_equal(outw(p, 0), 2000);
	assert_int_equal(cst(p, 0).lease_w, 2000);
	assert_int_equal(cst(p, 0).demand_w, 2000);
	assert_int_equal(st(p).outstanding_w, 2000);
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 2100, T0 + 2), -EINVAL);
	/* Not a token multiple: rounded up, never count less than the child enforces. */
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 250, T0 + 2), 0);
	assert_int_equal(outw(p, 0), 300);
	assert_int_equal(cst(p, 0).lease_w, 300);
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 0, T0 + 3), 0);
	assert_true(pool_invariant_ok(p, T0 + 3));
	assert_int_equal(outw(p, 0), 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_int_equal(cst(p, 0).demand_w, 0);
	assert_int_equal(st(p).outstanding_w, 0);
	assert_int_equal(stats(p).releases, 3);
	assert_int_equal(pool_renew(p, 0, next_seq(p, 0), lease, T0 + 4, &d), WT_ENOTFOUND);

	/* Release after a shrink cuts both records. */
	d = dem(p, 0, 5000, TRAIN, 0, T0 + 5);
	lease = d.lease_id;
	assert_int_equal(dem(p, 0, 2000, TRAIN, 0, T0 + MS(1)).granted_w, 2000);
	assert_int_equal(outw(p, 0), 5000);
	assert_int_equal(cst(p, 0).records, 2);
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 1000, T0 + MS(2)), 0);
	assert_int_equal(outw(p, 0), 1000);
	assert_int_equal(cst(p, 0).records, 1); /* the earlier cut record is covered */
	assert_true(pool_invariant_ok(p, T0 + MS(2)));
	pool_free(p);
}

static void test_shrink_keeps_old_record(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0).granted_w, 5000);
	assert_int_equal(dem(p, 0, 2000, TRAIN, 50, T0 + MS(10)).granted_w, 2000);
	assert_int_equal(cst(p, 0).lease_w, 2000);
	assert_int_equal(outw(p, 0), 5000);
	/* B sees only 5000 of room until the old record ends at T0 + 55 ms. */
	assert_int_equal(dem(p, 1, 8000, TRAIN, 50, T0 + MS(20)).granted_w, 5000);
	at(p, T0 + MS(55));
	assert_int_equal(outw(p, 0), 2000);
	assert_int_equal(dem(p, 1, 8000, TRAIN, 50, T0 + MS(56)).granted_w, 8000);
	at(p, T0 + MS(65));
	assert_int_equal(outw(p, 0), 0);
	assert_int_equal(stats(p).expiries, 1);
	pool_free(p);
}

/* Three staircase records merge into two, never under-counting: P(5000, 55), Q(3000, 65),
 * R(1000, 75) -> P and {3000, 75} (equal over-count either way: the newer pair merges). */
static void test_records_merge(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	dem(p, 0, 5000, TRAIN, 50, T0);
	dem(p, 0, 3000, TRAIN, 50, T0 + MS(10));
	assert_int_equal(dem(p, 0, 1000, TRAIN, 50, T0 + MS(20)).granted_w, 1000);
	assert_int_equal(cst(p, 0).records, 2);
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(55) - 1);
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(55));
	assert_int_equal(outw(p, 0), 3000);
	at(p, T0 + MS(75) - 1);
	assert_int_equal(outw(p, 0), 3000);
	at(p, T0 + MS(75));
	assert_int_equal(outw(p, 0), 0);
	/* Growth covers older records: one record. */
	dem(p, 0, 1000, TRAIN, 50, T0 + MS(80));
	dem(p, 0, 5000, TRAIN, 50, T0 + MS(81));
	assert_int_equal(cst(p, 0).records, 1);
	/* Unequal costs: P(5000, 136) Q(4900, 137) R(100, 146): merging P+Q costs 100 x 1 ms,
	 * Q+R 4800 x 9 ms: P+Q -> {5000, 137}, R stays. */
	dem(p, 0, 4900, TRAIN, 50, T0 + MS(82));
	dem(p, 0, 100, TRAIN, 50, T0 + MS(91));
	assert_int_equal(cst(p, 0).records, 2);
	at(p, T0 + MS(136));
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(137));
	assert_int_equal(outw(p, 0), 100);
	at(p, T0 + MS(146));
	assert_int_equal(outw(p, 0), 0);
	pool_free(p);
}

/* ---- upstream ---- */

static void cfg_rack(struct pool_cfg *cfg, uint32_t base_w)
{
	cfg_flat(cfg, base_w);
	cfg->has_upstream = true;
}

static void test_upstream_ttl_clip(void **state)
{
	static const struct {
		int64_t up_left_ns; /* -1: no upstream record */
		uint32_t want, ttl_req;
		uint32_t granted, ttl;
		bool clipped;
		enum pool_reason reason;
	} cases[] = {
		{ MS(40), 9000, 50, 9000, 30, true, POOL_REASON_OK },
		{ MS(40), 9000, 20, 9000, 20, false, POOL_REASON_OK },
		{ MS(20), 9000, 50, 9000, 10, true, POOL_REASON_OK },
		{ MS(20) - 1, 9000, 50, 2000, 50, false, POOL_REASON_UPSTREAM_TTL },
		{ MS(5), 9000, 50, 2000, 50, false, POOL_REASON_UPSTREAM_TTL },
		{ -1, 9000, 50, 2000, 50, false, POOL_REASON_NO_HEADROOM },
		{ MS(100), 1500, 50, 1500, 50, false, POOL_REASON_OK }, /* base preferred */
		{ MS(100), 12000, 50, 10000, 50, false, POOL_REASON_NO_HEADROOM },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_cfg cfg;
		struct pool *p;
		struct pool_decision d;

		/* A rack with own floor 12000; child 0 (idle) has floor 10000. */
		cfg_rack(&cfg, 12000);
		p = mk(&cfg);
		add(p, 10000, TRAIN);
		add(p, 0, TRAIN);
		if (cases[i].up_left_ns >= 0) {
			assert_int_equal(
				pool_upstream_set(p, 8000, T0 + (uint64_t)cases[i].up_left_ns), 0);
		}
		d = dem(p, 1, cases[i].want, TRAIN, cases[i].ttl_req, T0);
		if (d.granted_w != cases[i].granted || d.ttl_ms != cases[i].ttl ||
		    d.reason != cases[i].reason) {
			print_error("case %zu: granted=%u ttl=%u reason=%s\n", i, d.granted_w,
				    d.ttl_ms, pool_reason_str(d.reason));
		}
		assert_int_equal(d.granted_w, cases[i].granted);
		assert_int_equal(d.ttl_ms, cases[i].ttl);
		assert_int_equal(d.ttl_clipped, cases[i].clipped);
		assert_int_equal(d.reason, cases[i].reason);
		if (d.ttl_clipped) {
			/* The record ends exactly one margin before the upstream lease. */
			assert_int_equal(cst(p, 1).lease_left_ms,
					 (uint64_t)cases[i].up_left_ns / 1000000 - 5);
		}
		pool_free(p);
	}
}

/* The upstream lease shrinks while grants made against the larger one are outstanding: new
 * grants are refused until the old records expire, and capacity covers them throughout. */
static void test_upstream_shrink(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_rack(&cfg, 2000);
	p = mk(&cfg);
	add(p, 1000, TRAIN);
	add(p, 1000, TRAIN);
	assert_int_equal(pool_upstream_set(p, 10000, T0 + MS(300)), 0);
	assert_int_equal(dem(p, 0, 6000, TRAIN, 50, T0).granted_w, 6000);
	assert_int_equal(dem(p, 1, 4000, TRAIN, 50, T0).granted_w, 4000);
	assert_int_equal(st(p).headroom_w, 0);
	/* Renewal from the parent: smaller, later. */
	assert_int_equal(pool_upstream_set(p, 3000, T0 + MS(600)), 0);
	assert_int_equal(st(p).capacity_w, 12000);
	assert_int_equal(st(p).grant_level_w, 5000);
	assert_int_equal(st(p).upstream_w, 3000);
	assert_int_equal(st(p).upstream_left_ms, 600);
	assert_true(pool_invariant_ok(p, T0));
	/* A's renewal does not fit beside B's 4000 under the new level: refused. */
	d = renew(p, 0, T0 + MS(20));
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(d.reason, POOL_REASON_NO_HEADROOM);
	assert_true(d.retry_after_ms > 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_int_equal(outw(p, 0), 6000); /* still outstanding */
	assert_int_equal(stats(p).denials, 1);
	assert_int_equal(dem(p, 1, 5000, TRAIN, 50, T0 + MS(21)).granted_w, 0);
	for (uint64_t t = T0 + MS(21); t <= T0 + MS(700); t += MS(7)) {
		assert_true(pool_invariant_ok(p, t));
	}
	at(p, T0 + MS(55));
	assert_int_equal(st(p).outstanding_w, 0);
	/* Once B's demand (T0 + 21 ms + 55 ms) is gone too, grants resume at the smaller level:
	 * 3000 of headroom for A alone. */
	d = dem(p, 0, 6000, TRAIN, 50, T0 + MS(80));
	assert_int_equal(d.granted_w, 3000);
	assert_int_equal(d.ttl_ms, 50);
	at(p, T0 + MS(300));
	assert_int_equal(st(p).capacity_w, 5000);
	at(p, T0 + MS(600));
	assert_int_equal(st(p).capacity_w, 2000);
	assert_int_equal(st(p).outstanding_w, 0);
	pool_free(p);
}

static void test_upstream_records(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;

	cfg_flat(&cfg, 1000);
	p = mk(&cfg);
	assert_int_equal(pool_upstream_set(p, 5000, T0 + MS(100)), -EINVAL);
	assert_int_equal(pool_upstream_lower(p, 0), -EINVAL);
	assert_int_equal(pool_capacity_w(p, T0), 1000);
	pool_free(p);

	cfg_rack(&cfg, 1000);
	p = mk(&cfg);
	assert_int_equal(pool_upstream_set(p, 5000, T0), WT_ESTALE); /* expires == now */
	assert_int_equal(pool_upstream_set(p, 0, T0 + MS(100)), 0);
	assert_int_equal(st(p).upstream_w, 0);
	assert_int_equal(pool_upstream_set(p, 5000, T0 + MS(100)), 0);
	assert_int_equal(pool_upstream_set(p, 4000, T0 + MS(50)), 0);  /* dominated */
	assert_int_equal(pool_upstream_set(p, 5000, T0 + MS(100)), 0); /* duplicate */
	assert_int_equal(pool_capacity_w(p, T0 + MS(60)), 6000);
	assert_int_equal(pool_upstream_set(p, 6000, T0 + MS(100)), 0); /* dominates */
	assert_int_equal(pool_upstream_set(p, 5000, T0 + MS(200)), 0);
	assert_int_equal(pool_upstream_set(p, 4000, T0 + MS(300)), 0);
	assert_int_equal(pool_upstream_set(p, 3000, T0 + MS(400)), 0);
	assert_int_equal(pool_upstream_set(p, 2000, T0 + MS(500)), WT_EBUSY);
	assert_int_equal(pool_capacity_w(p, T0), 7000);
	assert_int_equal(pool_capacity_w(p, T0 + MS(100) - 1), 7000);
	assert_int_equal(pool_capacity_w(p, T0 + MS(100)), 6000);
	assert_int_equal(pool_capacity_w(p, T0 + MS(399)), 4000);
	assert_int_equal(pool_capacity_w(p, T0 + MS(400)), 1000);
	assert_int_equal(st(p).upstream_w, 3000);
	assert_int_equal(st(p).grant_level_w, 4000);
	/* After the first expires there is room again. */
	at(p, T0 + MS(100));
	assert_int_equal(pool_upstream_set(p, 2000, T0 + MS(500)), 0);
	assert_int_equal(pool_capacity_w(p, T0 + MS(450)), 3000);
	pool_free(p);
}

static void test_upstream_lower(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	uint64_t lease;

	cfg_rack(&cfg, 0);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(pool_upstream_set(p, 10000, T0 + MS(1000)), 0);
	assert_int_equal(pool_upstream_set(p, 9000, T0 + MS(2000)), 0);
	lease = dem(p, 0, 6000, TRAIN, 50, T0).lease_id;
	assert_int_equal(pool_upstream_lower(p, 5900), WT_EBUSY);
	assert_int_equal(st(p).capacity_w, 10000);
	assert_int_equal(pool_upstream_lower(p, 6000), 0);
	assert_true(pool_invariant_ok(p, T0));
	assert_int_equal(st(p).capacity_w, 6000);
	assert_int_equal(pool_capacity_w(p, T0 + MS(1500)), 6000);
	assert_int_equal(dem(p, 1, 1000, TRAIN, 50, T0 + 1).granted_w, 0);
	assert_int_equal(pool_release(p, 0, next_seq(p, 0), lease, 2000, T0 + 2), 0);
	assert_int_equal(pool_upstream_lower(p, 2000), 0);
	assert_int_equal(st(p).capacity_w, 2000);
	assert_true(pool_invariant_ok(p, T0 + 2));
	assert_int_equal(pool_upstream_lower(p, 0), WT_EBUSY);
	pool_free(p);
}

/* Sums above uint32: two 4 GW grants in a 4 GW + 4 GW pool. */
static void test_overflow(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_rack(&cfg, 4000000000u);
	cfg.token_w = 1000000;
	cfg.child_max_w = 4000000000u;
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(pool_upstream_set(p, 4000000000u, T0 + MS(10000)), 0);
	assert_int_equal(st(p).capacity_w, 8000000000ull);
	d = dem(p, 0, 4000000000u, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 4000000000u);
	d = dem(p, 1, 4000000000u, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 4000000000u);
	assert_int_equal(st(p).outstanding_w, 8000000000ull);
	assert_int_equal(st(p).headroom_w, 0);
	d = dem(p, 2, 1000000, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(cst(p, 2).target_w, 1000000); /* one token of fair share, no room */
	assert_true(pool_invariant_ok(p, T0));
	at(p, T0 + MS(55));
	assert_int_equal(st(p).outstanding_w, 0);
	pool_free(p);
}

/* ---- revocations ---- */

static void test_revoke_ack(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 8000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	lease = dem(p, 0, 8000, TRAIN, 50, T0).lease_id;
	d = dem(p, 1, 4000, TRAIN, 50, T0 + 1);
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(d.reason, POOL_REASON_NO_HEADROOM);
	assert_int_equal(cst(p, 0).target_w, 4000);
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 4000);
	assert_int_equal(r.rv[0].lease_id, lease);
	assert_int_equal(r.rv[0].revoke_seq, 1);
	assert_int_equal(cst(p, 0).revoke_w, 4000);
	assert_int_equal(cst(p, 0).revoke_seq, 1);
	assert_int_equal(cst(p, 0).lease_w, 4000);
	assert_int_equal(outw(p, 0), 8000); /* revoked watts stay until acked */
	assert_true(pool_invariant_ok(p, T0 + 2));
	/* Already asked: not again. */
	assert_int_equal(pool_rebalance(p, T0 + 3, collect, &r), 0);
	assert_int_equal(dem(p, 1, 4000, TRAIN, 50, T0 + 4).granted_w, 0);
	/* A renewal cannot restore the revoked size. */
	assert_int_equal(renew(p, 0, T0 + 5).granted_w, 4000);
	assert_int_equal(pool_revoke_ack(p, 0, 1, lease, 4000, T0 + 6), 0);
	assert_true(pool_invariant_ok(p, T0 + 6));
	assert_int_equal(outw(p, 0), 4000);
	assert_int_equal(cst(p, 0).revoke_seq, 0);
	assert_int_equal(pool_revoke_ack(p, 0, 1, lease, 4000, T0 + 7), WT_ESTALE);
	assert_int_equal(dem(p, 1, 4000, TRAIN, 50, T0 + 8).granted_w, 4000);
	assert_int_equal(stats(p).revokes, 1);
	assert_int_equal(stats(p).revoke_acks, 1);
	assert_int_equal(pool_rebalance(p, T0 + 9, collect, &r), 0);
	pool_free(p);
}

/* A grant sent after the revoke may reach the child after it acked: the ack cuts only the
 * records that existed when the revoke was issued, also when a newer record was absorbed. */
static void test_revoke_ack_order(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };
	uint64_t lease;

	cfg_flat(&cfg, 8000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	lease = dem(p, 0, 8000, TRAIN, 50, T0).lease_id;
	dem(p, 1, 4000, TRAIN, 50, T0 + 1);
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 1);
	/* After the revoke, A is granted 4000 (its fair share) with a later expiry. */
	assert_int_equal(dem(p, 0, 8000, TRAIN, 50, T0 + MS(1)).granted_w, 4000);
	assert_int_equal(cst(p, 0).records, 2);
	/* The child acks having cut to 0 before it saw that grant. */
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, lease, 0, T0 + MS(2)), 0);
	assert_true(pool_invariant_ok(p, T0 + MS(2)));
	assert_int_equal(outw(p, 0), 4000);
	assert_int_equal(cst(p, 0).lease_id, 0); /* lease size 0: ended */
	pool_free(p);

	/* Absorbed: a shorter, smaller grant after the revoke hides under the marked record,
	 * which then can no longer be cut by the ack. */
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	lease = dem(p, 0, 8000, TRAIN, 50, T0).lease_id;
	dem(p, 1, 4000, TRAIN, 50, T0 + 1);
	r.n = 0;
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 1);
	assert_int_equal(dem(p, 0, 8000, TRAIN, 10, T0 + MS(1)).granted_w, 4000);
	assert_int_equal(cst(p, 0).records, 1);
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, lease, 0, T0 + MS(2)), 0);
	assert_int_equal(outw(p, 0), 8000);
	assert_true(pool_invariant_ok(p, T0 + MS(2)));
	pool_free(p);
}

static void test_class_priority(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };
	uint64_t lease;

	/* Flexible holds everything; critical arrives: flexible is revoked to what is left. */
	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, POOL_CLASS_FLEXIBLE);
	add(p, 0, POOL_CLASS_CRITICAL);
	lease = dem(p, 0, 10000, POOL_CLASS_FLEXIBLE, 50, T0).lease_id;
	assert_int_equal(dem(p, 1, 6000, POOL_CLASS_CRITICAL, 50, T0 + 1).granted_w, 0);
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 1);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 4000);
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, lease, 4000, T0 + 3), 0);
	assert_int_equal(dem(p, 1, 6000, POOL_CLASS_CRITICAL, 50, T0 + 4).granted_w, 6000);
	pool_free(p);

	/* Critical holds everything; flexible gets nothing and revokes nobody. */
	p = mk(&cfg);
	add(p, 0, POOL_CLASS_CRITICAL);
	add(p, 0, POOL_CLASS_FLEXIBLE);
	dem(p, 0, 10000, POOL_CLASS_CRITICAL, 50, T0);
	assert_int_equal(dem(p, 1, 5000, POOL_CLASS_FLEXIBLE, 50, T0 + 1).granted_w, 0);
	assert_int_equal(cst(p, 1).target_w, 0);
	r.n = 0;
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 0);
	pool_free(p);

	/* Batch and training hold 5000 each; critical wants 6000: batch is asked first (to 0),
	 * then training to its share (4000). */
	p = mk(&cfg);
	add(p, 0, POOL_CLASS_BATCH);
	add(p, 0, POOL_CLASS_TRAINING);
	add(p, 0, POOL_CLASS_CRITICAL);
	dem(p, 0, 5000, POOL_CLASS_BATCH, 50, T0);
	dem(p, 1, 5000, POOL_CLASS_TRAINING, 50, T0);
	assert_int_equal(dem(p, 2, 6000, POOL_CLASS_CRITICAL, 50, T0 + 1).granted_w, 0);
	r.n = 0;
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 2);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 0);
	assert_int_equal(r.rv[1].child_idx, 1);
	assert_int_equal(r.rv[1].watts, 4000);
	/* The batch lease is at 0 but alive until acked. */
	assert_int_equal(cst(p, 0).lease_w, 0);
	assert_int_not_equal(cst(p, 0).lease_id, 0);
	assert_true(pool_invariant_ok(p, T0 + 2));
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, r.rv[0].lease_id, 0, T0 + 3), 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_int_equal(outw(p, 0), 0);
	assert_int_equal(dem(p, 2, 6000, POOL_CLASS_CRITICAL, 50, T0 + 4).granted_w, 5000);
	assert_int_equal(pool_revoke_ack(p, 1, r.rv[1].revoke_seq, r.rv[1].lease_id, 4000, T0 + 5),
			 0);
	assert_int_equal(dem(p, 2, 6000, POOL_CLASS_CRITICAL, 50, T0 + 6).granted_w, 6000);
	assert_int_equal(st(p).outstanding_w, 10000);
	pool_free(p);
}

/* Water-filling through the pool: three equal demands on 9000 W end at 3000 each after
 * revocations; a small demand leaves more for the others. */
static void test_fair_shares(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };

	cfg_flat(&cfg, 9000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0).granted_w, 5000);
	assert_int_equal(dem(p, 1, 5000, TRAIN, 50, T0).granted_w, 4000);
	assert_int_equal(dem(p, 2, 5000, TRAIN, 50, T0).granted_w, 0);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(cst(p, i).target_w, 3000);
	}
	assert_int_equal(pool_rebalance(p, T0 + 1, collect, &r), 2);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 3000);
	assert_int_equal(r.rv[1].child_idx, 1);
	assert_int_equal(r.rv[1].watts, 3000);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pool_revoke_ack(p, r.rv[i].child_idx, r.rv[i].revoke_seq,
						 r.rv[i].lease_id, 3000, T0 + 2),
				 0);
	}
	assert_int_equal(dem(p, 2, 5000, TRAIN, 50, T0 + 3).granted_w, 3000);
	assert_int_equal(st(p).outstanding_w, 9000);
	pool_free(p);

	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 1000, TRAIN, 50, T0).granted_w, 1000);
	assert_int_equal(dem(p, 1, 5000, TRAIN, 50, T0).granted_w, 5000);
	assert_int_equal(dem(p, 2, 5000, TRAIN, 50, T0).granted_w, 3000);
	assert_int_equal(cst(p, 1).target_w, 4000);
	assert_int_equal(cst(p, 2).target_w, 4000);
	r.n = 0;
	assert_int_equal(pool_rebalance(p, T0 + 1, collect, &r), 1);
	assert_int_equal(r.rv[0].child_idx, 1);
	assert_int_equal(r.rv[0].watts, 4000);
	pool_free(p);
}

/* ---- damper in the pool ---- */

static void test_damper_in_pool(void **state)
{
	static const struct {
		uint32_t want, granted;
		bool damped;
	} steps[] = {
		{ 2000, 2000, false }, /* grow */
		{ 2100, 2000, true },  /* +5 %: held */
		{ 1900, 2000, true },  /* -5 %: held */
		{ 1800, 2000, true },  /* -10 %: held */
		{ 1700, 1700, false }, /* shrink: reversal 1 */
		{ 3000, 3000, false }, /* reversal 2 */
		{ 1700, 1700, false }, /* reversal 3 */
		{ 3000, 1700, true },  /* reversal 4 at T0 + 35 ms: held, cooldown 500 ms */
		{ 5000, 1700, true },  /* cooldown */
	};
	struct pool_cfg cfg;
	struct pool *p;
	uint64_t t = T0;

	cfg_flat(&cfg, 10000);
	pool_damper_cfg_default(&cfg.damper);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pool_decision d = dem(p, 0, steps[i].want, TRAIN, 50, t);

		assert_int_equal(d.granted_w, steps[i].granted);
		assert_int_equal(d.damped, steps[i].damped);
		if (steps[i].damped) {
			assert_int_equal(d.reason, POOL_REASON_DAMPED);
		}
		t += MS(5);
	}
	assert_int_equal(stats(p).damped, 5);
	assert_int_equal(cst(p, 0).damped, 5);
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0 + MS(50)).granted_w, 1700);
	/* The lease ran out during the cooldown: held at nothing until its last instant. */
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0 + MS(535) - 1).granted_w, 0);
	assert_int_equal(stats(p).damped, 7);
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0 + MS(535)).granted_w, 5000);
	pool_free(p);
}

/* ---- restarts ---- */

static void test_child_reset(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	lease = dem(p, 0, 5000, TRAIN, 50, T0).lease_id;
	assert_int_equal(pool_child_reset(p, 0, T0 + MS(1)), 0);
	assert_true(pool_invariant_ok(p, T0 + MS(1)));
	assert_int_equal(cst(p, 0).last_seq, 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_int_equal(cst(p, 0).demand_w, 0);
	assert_int_equal(outw(p, 0), 5000);
	assert_int_equal(pool_renew(p, 0, 1, lease, T0 + MS(2), &d), WT_ENOTFOUND);
	/* New session: seq 1 is fresh again. */
	assert_int_equal(pool_demand(p, 0, 1, 1000, TRAIN, 50, T0 + MS(2), &d), 0);
	assert_int_equal(d.granted_w, 1000);
	assert_int_not_equal(d.lease_id, lease);
	/* The new session cannot release what the old process may still enforce. */
	assert_int_equal(pool_release(p, 0, 2, d.lease_id, 0, T0 + MS(3)), 0);
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(55));
	assert_int_equal(outw(p, 0), 0);
	pool_free(p);
}

/* ---- scale ---- */

static void test_10k_children(void **state)
{
	enum {
		N = 10000
	};
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_stats s;

	cfg_flat(&cfg, 10000000);
	cfg.children_hint = N;
	p = mk(&cfg);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(pool_child_add(p, i, 100, (enum pool_class)(1 + i % 4)), (int)i);
	}
	assert_int_equal(st(p).floors_w, 1000000);
	for (uint32_t i = 0; i < N; i++) {
		struct pool_decision d;

		assert_int_equal(pool_demand(p, i, 1, 500, (enum pool_class)(1 + i % 4),
					     10 + i % 41, T0, &d),
				 0);
		assert_int_equal(d.granted_w, 500);
	}
	assert_true(pool_invariant_ok(p, T0));
	assert_int_equal(st(p).outstanding_w, 5000000);
	assert_int_equal(st(p).headroom_w, 10000000 - 1000000 - 5000000);
	/* Half-way: those with ttl 10..29 (+5 margin) are gone at T0 + 35 ms. */
	at(p, T0 + MS(35));
	{
		uint64_t left = 0;

		for (uint32_t i = 0; i < N; i++) {
			left += 10 + i % 41 + 5 > 35 ? 500 : 0;
		}
		assert_int_equal(st(p).outstanding_w, left);
	}
	at(p, T0 + MS(55));
	assert_int_equal(st(p).outstanding_w, 0);
	assert_int_equal(st(p).headroom_w, 9000000);
	pool_stats_get(p, &s);
	assert_int_equal(s.grants, N);
	assert_int_equal(s.expiries, N);
	for (uint32_t i = 0; i < N; i += 997) {
		assert_int_equal(cst(p, i).records, 0);
		assert_int_equal(cst(p, i).lease_id, 0);
		assert_int_equal(cst(p, i).demand_w, 0);
	}
	pool_free(p);
}

/* ---- per-child ceilings ---- */

/* Decisions never exceed the ceiling (rounded down to tokens); the demand is recorded cut to it;
 * an unknown child is refused with no state change. */
static void test_ceiling_grants(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;
	struct snap a, b;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 1000, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(cst(p, 0).ceiling_w, POOL_CEILING_NONE);
	assert_int_equal(pool_child_ceiling(p, 0), POOL_CEILING_NONE);
	assert_int_equal(pool_child_ceiling(p, 7), POOL_CEILING_NONE);

	snap_take(p, &a);
	assert_int_equal(pool_child_ceiling_set(p, 2, 500), -EINVAL);
	assert_int_equal(pool_child_ceiling_set(p, UINT32_MAX, 500), -EINVAL);
	snap_take(p, &b);
	snap_equal(&a, &b, 0);

	/* 2550 W: 25 tokens. */
	assert_int_equal(pool_child_ceiling_set(p, 0, 2550), 0);
	assert_int_equal(cst(p, 0).ceiling_w, 2550);
	assert_int_equal(pool_child_ceiling(p, 0), 2550);
	d = dem(p, 0, 5000, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 2500);
	assert_int_equal(d.reason, POOL_REASON_CEILING);
	assert_true(d.retry_after_ms > 0);
	assert_int_equal(cst(p, 0).demand_w, 2500);
	assert_int_equal(cst(p, 0).target_w, 2500);
	assert_int_equal(outw(p, 0), 2500);
	/* At or below the ceiling: plain grants. */
	d = dem(p, 0, 2500, TRAIN, 50, T0 + 1);
	assert_int_equal(d.granted_w, 2500);
	assert_int_equal(d.reason, POOL_REASON_OK);
	d = dem(p, 0, 1200, TRAIN, 50, T0 + 2);
	assert_int_equal(d.granted_w, 1200);
	assert_int_equal(d.reason, POOL_REASON_OK);
	/* Below the ceiling, the room limits: 10000 - 1000 floor - 6000 beside it. */
	assert_int_equal(dem(p, 1, 6000, TRAIN, 50, T0 + 3).granted_w, 6000);
	assert_int_equal(pool_child_ceiling_set(p, 0, 5000), 0);
	d = dem(p, 0, 5000, TRAIN, 50, T0 + 4);
	assert_int_equal(d.granted_w, 3000);
	assert_int_equal(d.reason, POOL_REASON_NO_HEADROOM);

	/* Below one token: nothing above the floor, the demand is recorded as none. */
	assert_int_equal(pool_child_ceiling_set(p, 1, 99), 0);
	d = dem(p, 1, 500, TRAIN, 50, T0 + 5);
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(d.lease_id, 0);
	assert_int_equal(d.reason, POOL_REASON_CEILING);
	assert_int_equal(cst(p, 1).demand_w, 0);
	assert_int_equal(cst(p, 1).ceiling_w, 99);
	assert_int_equal(stats(p).denials, 1);
	/* Removing the ceiling: the next request is limited by the room only. */
	assert_int_equal(pool_child_ceiling_set(p, 1, POOL_CEILING_NONE), 0);
	at(p, T0 + MS(60)); /* the 7000 W record expired */
	d = dem(p, 1, 6000, TRAIN, 50, T0 + MS(60));
	assert_int_equal(d.granted_w, 6000);
	assert_int_equal(d.reason, POOL_REASON_OK);
	assert_true(pool_invariant_ok(p, T0 + MS(60)));
	pool_free(p);
}

/* Lowering the ceiling below a grant: the next rebalance revokes the excess (reason ceiling)
 * whatever the others want, once; a renewal meanwhile is cut to the ceiling; raising it
 * changes nothing until the child asks again. */
static void test_ceiling_revoke(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };
	struct pool_decision d;
	uint64_t lease;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, POOL_CLASS_FLEXIBLE);
	d = dem(p, 0, 6000, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 6000);
	lease = d.lease_id;
	/* Lowering changes the demand at once, nothing else until the rebalance. */
	assert_int_equal(pool_child_ceiling_set(p, 0, 2050), 0);
	assert_true(pool_invariant_ok(p, T0));
	assert_int_equal(cst(p, 0).demand_w, 2000);
	assert_int_equal(cst(p, 0).lease_w, 6000);
	assert_int_equal(outw(p, 0), 6000);
	assert_int_equal(stats(p).revokes, 0);

	assert_int_equal(pool_rebalance(p, T0 + 1, collect, &r), 1);
	assert_true(pool_invariant_ok(p, T0 + 1));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 2000);
	assert_int_equal(r.rv[0].lease_id, lease);
	assert_int_equal(r.rv[0].reason, POOL_REASON_CEILING);
	assert_int_equal(cst(p, 0).lease_w, 2000);
	assert_int_equal(cst(p, 0).revoke_w, 2000);
	assert_int_equal(outw(p, 0), 6000); /* until acknowledged */
	/* Not asked again while the revoke is pending. */
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 0);
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, lease, 2000, T0 + 3), 0);
	assert_true(pool_invariant_ok(p, T0 + 3));
	assert_int_equal(outw(p, 0), 2000);
	assert_int_equal(pool_rebalance(p, T0 + 4, collect, &r), 0);

	/* Raising: nothing changes until the child asks again. */
	assert_int_equal(pool_child_ceiling_set(p, 0, 8000), 0);
	assert_int_equal(cst(p, 0).demand_w, 2000);
	assert_int_equal(cst(p, 0).lease_w, 2000);
	assert_int_equal(pool_rebalance(p, T0 + 5, collect, &r), 0);
	assert_int_equal(renew(p, 0, T0 + 6).granted_w, 2000);
	d = dem(p, 0, 9000, TRAIN, 50, T0 + 7);
	assert_int_equal(d.granted_w, 8000);
	assert_int_equal(d.reason, POOL_REASON_CEILING);

	/* A renewal before the rebalance is cut to the ceiling (older record stays counted), and
	 * the rebalance then revokes the rest; ceiling 0 revokes down to nothing. */
	assert_int_equal(pool_child_ceiling_set(p, 0, 3000), 0);
	d = renew(p, 0, T0 + 8);
	assert_int_equal(d.granted_w, 3000);
	assert_int_equal(d.reason, POOL_REASON_CEILING);
	assert_int_equal(outw(p, 0), 8000);
	assert_int_equal(pool_child_ceiling_set(p, 0, 0), 0);
	assert_int_equal(cst(p, 0).demand_w, 0);
	r.n = 0;
	assert_int_equal(pool_rebalance(p, T0 + 9, collect, &r), 1);
	assert_int_equal(r.rv[0].watts, 0);
	assert_int_equal(r.rv[0].reason, POOL_REASON_CEILING);
	assert_int_equal(cst(p, 0).lease_w, 0);
	assert_true(pool_invariant_ok(p, T0 + 9));
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, lease, 0, T0 + 10), 0);
	assert_int_equal(outw(p, 0), 0);
	assert_int_equal(cst(p, 0).lease_id, 0);
	assert_true(pool_invariant_ok(p, T0 + 10));
	assert_int_equal(stats(p).revokes, 2);
	pool_free(p);
}

/* A lowered ceiling frees the fair share it held for others: the revoke goes to the ceiling
 * (reason ceiling, one revoke), and the other child gets the rest. */
static void test_ceiling_frees_share(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct revokes r = { 0 };
	struct pool_decision d;

	cfg_flat(&cfg, 10000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 8000, TRAIN, 50, T0).granted_w, 8000);
	d = dem(p, 1, 8000, TRAIN, 50, T0 + 1);
	assert_int_equal(d.granted_w, 2000);
	assert_int_equal(cst(p, 1).target_w, 5000);
	assert_int_equal(pool_child_ceiling_set(p, 0, 3000), 0);
	assert_int_equal(cst(p, 1).target_w, 7000);
	assert_int_equal(pool_rebalance(p, T0 + 2, collect, &r), 1);
	assert_int_equal(r.rv[0].child_idx, 0);
	assert_int_equal(r.rv[0].watts, 3000);
	assert_int_equal(r.rv[0].reason, POOL_REASON_CEILING);
	assert_int_equal(pool_revoke_ack(p, 0, r.rv[0].revoke_seq, r.rv[0].lease_id, 3000, T0 + 3),
			 0);
	d = dem(p, 1, 8000, TRAIN, 50, T0 + 4);
	assert_int_equal(d.granted_w, 7000); /* fair share and room both end at 7000 */
	assert_int_equal(d.reason, POOL_REASON_NO_HEADROOM);
	assert_true(pool_invariant_ok(p, T0 + 4));
	pool_free(p);
}

/* The damper may hold a size against a small shrink, never above the ceiling. */
static void test_ceiling_damper(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_flat(&cfg, 10000);
	pool_damper_cfg_default(&cfg.damper);
	cfg.damper.shrink_pct = 50;
	p = mk(&cfg);
	add(p, 0, TRAIN);
	assert_int_equal(dem(p, 0, 6000, TRAIN, 50, T0).granted_w, 6000);
	d = dem(p, 0, 4000, TRAIN, 50, T0 + MS(1));
	assert_int_equal(d.granted_w, 6000); /* -33 %: held */
	assert_true(d.damped);
	assert_int_equal(pool_child_ceiling_set(p, 0, 4500), 0);
	d = dem(p, 0, 6000, TRAIN, 50, T0 + MS(2));
	assert_int_equal(d.granted_w, 4500);
	assert_false(d.damped);
	assert_int_equal(d.reason, POOL_REASON_CEILING);
	d = renew(p, 0, T0 + MS(3));
	assert_int_equal(d.granted_w, 4500);
	pool_free(p);
}

static void test_reason_strings(void **state)
{
	assert_string_equal(pool_reason_str(POOL_REASON_OK), "ok");
	assert_string_equal(pool_reason_str(POOL_REASON_FAIR_SHARE), "fair_share");
	assert_string_equal(pool_reason_str(POOL_REASON_NO_HEADROOM), "no_headroom");
	assert_string_equal(pool_reason_str(POOL_REASON_UPSTREAM_TTL), "upstream_ttl");
	assert_string_equal(pool_reason_str(POOL_REASON_QUARANTINE), "quarantine");
	assert_string_equal(pool_reason_str(POOL_REASON_DAMPED), "damped");
	assert_string_equal(pool_reason_str(POOL_REASON_RECORDS_FULL), "records_full");
	assert_string_equal(pool_reason_str(POOL_REASON_CEILING), "ceiling");
	assert_string_equal(pool_reason_str((enum pool_reason)99), "unknown");
}

/* Three records that cannot merge under a shrunken upstream level: refused, safely. */
static void test_records_full(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_rack(&cfg, 0);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	add(p, 0, TRAIN);
	assert_int_equal(pool_upstream_set(p, 10000, T0 + MS(200)), 0);
	assert_int_equal(dem(p, 0, 5000, TRAIN, 50, T0).granted_w, 5000);
	assert_int_equal(dem(p, 0, 3000, TRAIN, 50, T0 + MS(10)).granted_w, 3000);
	assert_int_equal(dem(p, 1, 2000, TRAIN, 50, T0 + MS(10)).granted_w, 2000);
	assert_int_equal(pool_upstream_set(p, 3500, T0 + MS(400)), 0);
	d = dem(p, 0, 1000, TRAIN, 50, T0 + MS(20));
	assert_int_equal(d.granted_w, 0);
	assert_int_equal(d.reason, POOL_REASON_RECORDS_FULL);
	assert_int_equal(cst(p, 0).records, 2);
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(55));
	d = dem(p, 0, 1000, TRAIN, 50, T0 + MS(56));
	assert_int_equal(d.granted_w, 1000);
	assert_int_equal(d.reason, POOL_REASON_OK);
	pool_free(p);
}

/* A merge under an upstream level must not outlive it. Records: P(5000, 35) and Q(3000, 45)
 * granted against an upstream lease ending at 50 ms (limit 45 ms), R(1000, 55) from base
 * capacity. Merging Q+R would count 3000 until 55 ms, past the upstream lease: P+Q merge. */
static void test_merge_respects_upstream(void **state)
{
	struct pool_cfg cfg;
	struct pool *p;
	struct pool_decision d;

	cfg_rack(&cfg, 1000);
	p = mk(&cfg);
	add(p, 0, TRAIN);
	d = dem(p, 0, 5000, TRAIN, 50, T0);
	assert_int_equal(d.granted_w, 1000);
	assert_int_equal(d.ttl_ms, 50);
	assert_int_equal(pool_upstream_set(p, 10000, T0 + MS(50)), 0);
	d = dem(p, 0, 5000, TRAIN, 20, T0 + MS(10));
	assert_int_equal(d.granted_w, 5000);
	assert_int_equal(d.ttl_ms, 20);
	d = dem(p, 0, 3000, TRAIN, 50, T0 + MS(12));
	assert_int_equal(d.granted_w, 3000);
	assert_int_equal(d.ttl_ms, 28);
	assert_true(d.ttl_clipped);
	assert_int_equal(cst(p, 0).records, 2);
	at(p, T0 + MS(45) - 1);
	assert_int_equal(outw(p, 0), 5000);
	at(p, T0 + MS(45));
	assert_int_equal(outw(p, 0), 1000);
	at(p, T0 + MS(50));
	assert_int_equal(st(p).capacity_w, 1000);
	at(p, T0 + MS(55));
	assert_int_equal(outw(p, 0), 0);
	pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_invalid),
		cmocka_unit_test(test_cfg_defaults),
		cmocka_unit_test(test_child_add_floors),
		cmocka_unit_test(test_grant_edges),
		cmocka_unit_test(test_ttl_range),
		cmocka_unit_test(test_expiry_boundary),
		cmocka_unit_test(test_quarantine_boundary),
		cmocka_unit_test(test_stale_no_change),
		cmocka_unit_test(test_lease_ids),
		cmocka_unit_test(test_renew),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_shrink_keeps_old_record),
		cmocka_unit_test(test_records_merge),
		cmocka_unit_test(test_records_full),
		cmocka_unit_test(test_merge_respects_upstream),
		cmocka_unit_test(test_upstream_ttl_clip),
		cmocka_unit_test(test_upstream_shrink),
		cmocka_unit_test(test_upstream_records),
		cmocka_unit_test(test_upstream_lower),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_revoke_ack),
		cmocka_unit_test(test_revoke_ack_order),
		cmocka_unit_test(test_class_priority),
		cmocka_unit_test(test_fair_shares),
		cmocka_unit_test(test_damper_in_pool),
		cmocka_unit_test(test_child_reset),
		cmocka_unit_test(test_10k_children),
		cmocka_unit_test(test_ceiling_grants),
		cmocka_unit_test(test_ceiling_revoke),
		cmocka_unit_test(test_ceiling_frees_share),
		cmocka_unit_test(test_ceiling_damper),
		cmocka_unit_test(test_reason_strings),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
