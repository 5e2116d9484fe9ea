/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the parent side of a tier (broker/tier/tier_parent): configuration errors,
 * Hello checks (unknown holder, identity mismatch, wrong tier: fatal Error, stream closed, no
 * pool change), Welcome content, takeover by a second session, requests before Hello, refused
 * requests (absurd or fractional watts, seq 0, stale seq, unknown lease ids) with no state
 * change, the grant flow, parking for upstream (answered by tier_parent_upstream() or by the
 * deadline from local headroom, bounded by half the ttl), revocations by rebalance, per-child
 * ceilings (immediate Revoke, grants capped, no parking above the ceiling), restart
 * quarantine, upstream want and lowering, throttles and status. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"
#include "tier_parent.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt_test.h"

#define MS(x)	 ((uint64_t)(x)*1000000ull)
#define T0	 MS(1000)
#define MAX_CAPT 64

/* ---- capture of what the tier sends ---- */

struct capt {
	uint32_t n;

	struct {
		void *link;
		struct wt_parent_msg msg;
	} m[MAX_CAPT];

	uint32_t closes;
	void *closed_link;
	char close_reason[WT_ERROR_MESSAGE_MAX + 1];
};

static void on_emit(void *arg, void *link, const struct wt_parent_msg *msg)
{
	struct capt *c = arg;

	assert_true(c->n < MAX_CAPT);
	c->m[c->n].link = link;
	c->m[c->n].msg = *msg;
	c->n++;
}

static void on_close(void *arg, void *link, const char *reason)
{
	struct capt *c = arg;

	c->closes++;
	c->closed_link = link;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
}

/* The last message sent on @link; fails if none. */
static const struct wt_parent_msg *last(const struct capt *c, void *link)
{
	for (uint32_t i = c->n; i > 0; i--) {
		if (c->m[i - 1].link == link) {
			return &c->m[i - 1].msg;
		}
	}
	fail_msg("no message on link %p", link);
	return NULL;
}

static uint32_t count_on(const struct capt *c, void *link)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		k += c->m[i].link == link;
	}
	return k;
}

/* ---- a rack with three agents ---- */

static const struct tier_parent_child kids[] = {
	{ "a1", 300, WT_LOAD_CLASS_TRAINING },
	{ "a2", 200, WT_LOAD_CLASS_BATCH },
	{ "a3", 100, WT_LOAD_CLASS_FLEXIBLE },
};

static int link1, link2, link3, link4; /* addresses used as stream handles */

/* base 2000 W, floors 600 W, token 100 W, ttl 10-50 ms, margin 5 ms, damper off. */
static void cfg_rack(struct tier_parent_cfg *c, struct capt *cap, bool upstream, uint32_t q_ms)
{
	*c = (struct tier_parent_cfg){ 0 };
	snprintf(c->id, sizeof(c->id), "rack1");
	c->tier = WT_TIER_RACK;
	pool_cfg_default(&c->pool);
	c->pool.base_w = 2000;
	c->pool.child_max_w = 3000;
	c->pool.quarantine_ms = q_ms;
	c->pool.has_upstream = upstream;
	c->pool.boot_nonce = 0x1234;
	c->pool.start_ns = T0;
	c->pool.damper = (struct pool_damper_cfg){ 0, 0, UINT32_MAX, 1000, 0 };
	c->children = kids;
	c->n_children = 3;
	c->require_identity = true;
	c->own_budget_ms = 20;
	c->upstream_budget_ms = 25;
	c->boot_id = 0xabc;
	c->emit = on_emit;
	c->close = on_close;
	c->arg = cap;
}

static struct tier_parent *mk(struct capt *cap, bool upstream, uint32_t q_ms)
{
	struct tier_parent_cfg c;
	struct tier_parent *tp = NULL;

	memset(cap, 0, sizeof(*cap));
	cfg_rack(&c, cap, upstream, q_ms);
	assert_int_equal(tier_parent_new(&tp, &c), 0);
	return tp;
}

static void hello_tier(struct tier_parent *tp, struct tier_psess *s, const char *id,
		       enum wt_tier tier, uint64_t now)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_HELLO;
	snprintf(m.hello.holder_id, sizeof(m.hello.holder_id), "%s", id);
	m.hello.tier = tier;
	m.hello.boot_id = 42;
	tier_parent_on_msg(tp, s, &m, now);
}

/* Open a stream for @id and say Hello; expects a Welcome. */
static struct tier_psess *join(struct tier_parent *tp, struct capt *cap, void *link, const char *id,
			       uint64_t now)
{
	struct tier_psess *s = tier_parent_session_open(tp, link, id, now);

	hello_tier(tp, s, id, WT_TIER_AGENT, now);
	assert_int_equal(last(cap, link)->kind, WT_PARENT_MSG_WELCOME);
	return s;
}

static void demand(struct tier_parent *tp, struct tier_psess *s, uint64_t seq, uint32_t want_w,
		   uint32_t budget_ms, uint32_t ttl_ms, uint64_t now)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_DEMAND;
	m.demand.seq = seq;
	m.demand.want_w = want_w;
	m.demand.load_class = WT_LOAD_CLASS_UNSPECIFIED; /* the configured class */
	m.demand.budget_ms = budget_ms;
	m.demand.ttl_ms = ttl_ms;
	tier_parent_on_msg(tp, s, &m, now);
}

static void renew(struct tier_parent *tp, struct tier_psess *s, uint64_t seq, uint64_t lease_id,
		  uint64_t now)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_RENEW;
	m.renew.seq = seq;
	m.renew.lease_id = lease_id;
	tier_parent_on_msg(tp, s, &m, now);
}

static void release(struct tier_parent *tp, struct tier_psess *s, uint64_t seq, uint64_t lease_id,
		    uint32_t keep_w, uint64_t now)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_RELEASE;
	m.release.seq = seq;
	m.release.lease_id = lease_id;
	m.release.keep_w = keep_w;
	tier_parent_on_msg(tp, s, &m, now);
}

static void revoke_ack(struct tier_parent *tp, struct tier_psess *s, uint64_t revoke_seq,
		       uint64_t lease_id, uint32_t now_w, uint64_t now)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_REVOKE_ACK;
	m.revoke_ack.revoke_seq = revoke_seq;
	m.revoke_ack.lease_id = lease_id;
	m.revoke_ack.now_w = now_w;
	tier_parent_on_msg(tp, s, &m, now);
}

static const struct wt_grant *expect_grant(const struct capt *cap, void *link, uint64_t seq)
{
	const struct wt_parent_msg *m = last(cap, link);

	assert_int_equal(m->kind, WT_PARENT_MSG_GRANT);
	assert_int_equal(m->grant.seq, seq);
	return &m->grant;
}

static void expect_error(const struct capt *cap, void *link, enum wt_lease_error_code code,
			 uint64_t seq, bool fatal)
{
	const struct wt_parent_msg *m = last(cap, link);

	assert_int_equal(m->kind, WT_PARENT_MSG_ERROR);
	assert_int_equal(m->error.code, code);
	assert_int_equal(m->error.seq, seq);
	assert_int_equal(m->error.fatal, fatal);
}

/* Everything the pool says about itself and its children, for "no state change" checks. */
struct snap {
	struct pool_status st;
	struct pool_child_status ch[3];
};

static void snap(const struct tier_parent *tp, struct snap *s)
{
	const struct pool *p = tier_parent_pool(tp);

	memset(s, 0, sizeof(*s));
	pool_status_get(p, &s->st);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(pool_child_status(p, i, &s->ch[i]), 0);
	}
}

static void assert_unchanged(const struct tier_parent *tp, const struct snap *before)
{
	struct snap now;

	snap(tp, &now);
	assert_memory_equal(&now, before, sizeof(now));
	assert_true(pool_invariant_ok(tier_parent_pool(tp), now.st.now_ns));
}

/* ---- tests ---- */

static void test_new_errors(void **state)
{
	struct tier_parent_cfg c;
	struct tier_parent *tp = NULL;
	struct capt cap;
	struct tier_parent_child dup[2] = { { "x", 100, WT_LOAD_CLASS_BATCH },
					    { "x", 100, WT_LOAD_CLASS_BATCH } };
	struct tier_parent_child empty[1] = { { "", 100, WT_LOAD_CLASS_BATCH } };
	struct tier_parent_child fat[1] = { { "x", 2001, WT_LOAD_CLASS_BATCH } };

	cfg_rack(&c, &cap, true, 0);
	c.children = dup;
	c.n_children = 2;
	assert_int_equal(tier_parent_new(&tp, &c), -EINVAL);
	c.children = empty;
	c.n_children = 1;
	assert_int_equal(tier_parent_new(&tp, &c), -EINVAL);
	c.children = fat;
	assert_int_equal(tier_parent_new(&tp, &c), WT_ECONFIG);
	cfg_rack(&c, &cap, true, 0);
	c.emit = NULL;
	assert_int_equal(tier_parent_new(&tp, &c), -EINVAL);
	cfg_rack(&c, &cap, true, 0);
	c.id[0] = '\0';
	assert_int_equal(tier_parent_new(&tp, &c), -EINVAL);
	cfg_rack(&c, &cap, true, 0);
	c.pool.ttl_min_ms = 0;
	assert_int_equal(tier_parent_new(&tp, &c), WT_ECONFIG);
	assert_null(tp);
	/* No children is a valid (if idle) tier. */
	cfg_rack(&c, &cap, true, 0);
	c.n_children = 0;
	assert_int_equal(tier_parent_new(&tp, &c), 0);
	tier_parent_free(tp);
	tier_parent_free(NULL);
}

static void test_hello_refused(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s;
	struct snap before;

	struct {
		const char *identity, *holder;
		enum wt_tier tier;
		enum wt_lease_error_code code;
	} cases[] = {
		{ "zz", "zz", WT_TIER_AGENT, WT_LEASE_ERROR_NOT_ALLOWED },   /* unknown holder */
		{ "a2", "a1", WT_TIER_AGENT, WT_LEASE_ERROR_NOT_ALLOWED },   /* identity mismatch */
		{ "", "a1", WT_TIER_AGENT, WT_LEASE_ERROR_NOT_ALLOWED },     /* no identity */
		{ "a1", "a1", WT_TIER_RACK, WT_LEASE_ERROR_BAD_REQUEST },    /* wrong tier */
		{ "a1", "a1", WT_TIER_CLUSTER, WT_LEASE_ERROR_BAD_REQUEST }, /* wrong tier */
	};

	/* a2 holds a lease, so a change to the pool would show. */
	s = join(tp, &cap, &link2, "a2", T0);
	demand(tp, s, 1, 500, 0, 30, T0);
	assert_int_equal(expect_grant(&cap, &link2, 1)->watts, 500);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tier_psess *bad;
		uint32_t sent;

		snap(tp, &before);
		cap.closes = 0;
		bad = tier_parent_session_open(tp, &link1, cases[i].identity, T0 + MS(1));
		hello_tier(tp, bad, cases[i].holder, cases[i].tier, T0 + MS(1));
		expect_error(&cap, &link1, cases[i].code, 0, true);
		assert_int_equal(cap.closes, 1);
		assert_ptr_equal(cap.closed_link, &link1);
		assert_unchanged(tp, &before);
		assert_false(tier_parent_child_connected(tp, 0));
		/* The refused stream is ignored from now on. */
		sent = count_on(&cap, &link1);
		demand(tp, bad, 1, 500, 0, 30, T0 + MS(1));
		assert_int_equal(count_on(&cap, &link1), sent);
		tier_parent_session_close(tp, bad, T0 + MS(1));
	}
	assert_int_equal(tier_parent_stats(tp)->refused, 5);
	assert_true(tier_parent_child_connected(tp, 1));
	tier_parent_session_close(tp, s, T0 + MS(2));
	tier_parent_free(tp);
}

static void test_welcome(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, POOL_QUARANTINE_DEFAULT);
	struct tier_psess *s = tier_parent_session_open(tp, &link1, "a1", T0 + MS(5));
	const struct wt_welcome *w;

	/* Tier unspecified is accepted (older children). */
	hello_tier(tp, s, "a1", WT_TIER_UNSPECIFIED, T0 + MS(5));
	w = &last(&cap, &link1)->welcome;
	assert_int_equal(last(&cap, &link1)->kind, WT_PARENT_MSG_WELCOME);
	assert_int_equal(w->floor_w, 300);
	assert_int_equal(w->token_w, 100);
	assert_int_equal(w->ttl_min_ms, 10);
	assert_int_equal(w->ttl_max_ms, 50);
	assert_int_equal(w->quarantine_left_ms, 50); /* 50 + 5 - 5 */
	assert_int_equal(w->parent_boot_id, 0xabc);
	assert_true(tier_parent_child_connected(tp, 0));
	assert_int_equal(tier_parent_child_index(tp, "a3"), 2);
	assert_int_equal(tier_parent_child_index(tp, "nope"), -1);
	/* A second Hello on the same stream is refused, not fatal. */
	hello_tier(tp, s, "a1", WT_TIER_AGENT, T0 + MS(6));
	expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	assert_int_equal(cap.closes, 0);
	tier_parent_session_close(tp, s, T0 + MS(7));
	assert_false(tier_parent_child_connected(tp, 0));
	tier_parent_free(tp);
}

static void test_takeover(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s1, *s2;
	struct pool_child_status cs;
	uint32_t sent;

	s1 = join(tp, &cap, &link1, "a1", T0);
	demand(tp, s1, 7, 500, 0, 30, T0);
	assert_int_equal(expect_grant(&cap, &link1, 7)->watts, 500);
	/* The restarted child reconnects before its old stream is noticed dead. */
	s2 = join(tp, &cap, &link2, "a1", T0 + MS(2));
	assert_int_equal(cap.closes, 1);
	assert_ptr_equal(cap.closed_link, &link1);
	expect_error(&cap, &link1, WT_LEASE_ERROR_NOT_ALLOWED, 0, true);
	assert_non_null(strstr(cap.close_reason, "superseded"));
	/* The old grant stays counted until it ends; the lease and the seq are forgotten. */
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 0, &cs), 0);
	assert_int_equal(cs.outstanding_w, 500);
	assert_int_equal(cs.lease_id, 0);
	assert_int_equal(cs.last_seq, 0);
	/* The new session starts its seqs afresh and is counted beside the old record. */
	demand(tp, s2, 1, 300, 0, 30, T0 + MS(3));
	assert_int_equal(expect_grant(&cap, &link2, 1)->watts, 300);
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 0, &cs), 0);
	assert_int_equal(cs.outstanding_w, 500);
	/* The old stream is deaf now, and closing it leaves the new one connected. */
	sent = count_on(&cap, &link1);
	demand(tp, s1, 8, 900, 0, 30, T0 + MS(3));
	assert_int_equal(count_on(&cap, &link1), sent);
	tier_parent_session_close(tp, s1, T0 + MS(4));
	assert_true(tier_parent_child_connected(tp, 0));
	tier_parent_session_close(tp, s2, T0 + MS(5));
	assert_false(tier_parent_child_connected(tp, 0));
	tier_parent_free(tp);
}

static void test_request_before_hello(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s = tier_parent_session_open(tp, &link1, "a1", T0);
	struct snap before;

	snap(tp, &before);
	demand(tp, s, 1, 500, 0, 30, T0);
	expect_error(&cap, &link1, WT_LEASE_ERROR_NO_HELLO, 0, false);
	renew(tp, s, 2, 5, T0);
	expect_error(&cap, &link1, WT_LEASE_ERROR_NO_HELLO, 0, false);
	assert_int_equal(cap.closes, 0);
	assert_unchanged(tp, &before);
	/* Hello still works after that. */
	hello_tier(tp, s, "a1", WT_TIER_AGENT, T0);
	assert_int_equal(last(&cap, &link1)->kind, WT_PARENT_MSG_WELCOME);
	demand(tp, s, 1, 500, 0, 30, T0);
	assert_int_equal(expect_grant(&cap, &link1, 1)->watts, 500);
	assert_int_equal(tier_parent_stats(tp)->protocol_errors, 2);
	tier_parent_session_close(tp, s, T0);
	tier_parent_free(tp);
}

static void test_bad_requests_no_change(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s = join(tp, &cap, &link1, "a1", T0);
	uint64_t lease;
	struct snap before;

	demand(tp, s, 5, 500, 0, 30, T0);
	lease = expect_grant(&cap, &link1, 5)->lease_id;
	assert_true(lease != 0);
	snap(tp, &before);

	/* Absurd watts (above child_max_w 3000 but within the wire limit). */
	demand(tp, s, 6, 100000, 0, 30, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 6, false);
	/* Not a multiple of the 100 W token. */
	demand(tp, s, 6, 250, 0, 30, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 6, false);
	/* seq 0 is never valid. */
	demand(tp, s, 0, 500, 0, 30, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	/* Stale seq: the one just used and an older one. */
	demand(tp, s, 5, 900, 0, 30, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_STALE_SEQ, 5, false);
	demand(tp, s, 3, 900, 0, 30, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_STALE_SEQ, 3, false);
	renew(tp, s, 4, lease, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_STALE_SEQ, 4, false);
	release(tp, s, 5, lease, 0, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_STALE_SEQ, 5, false);
	/* Unknown lease ids. */
	renew(tp, s, 6, lease + 1, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_UNKNOWN_LEASE, 6, false);
	release(tp, s, 6, lease + 1, 0, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_UNKNOWN_LEASE, 6, false);
	revoke_ack(tp, s, 1, lease + 1, 0, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_UNKNOWN_LEASE, 1, false);
	/* A revoke ack for no pending revoke. */
	revoke_ack(tp, s, 1, lease, 0, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_STALE_SEQ, 1, false);
	/* Keeping more than the lease. */
	release(tp, s, 6, lease, 600, T0 + MS(1));
	expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 6, false);
	/* Not a message a child sends... (kind 0 is never decoded; the tier still copes). */
	{
		struct wt_child_msg m = { 0 };

		m.kind = (enum wt_child_msg_kind)77;
		tier_parent_on_msg(tp, s, &m, T0 + MS(1));
		expect_error(&cap, &link1, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	}
	assert_int_equal(cap.closes, 0);
	assert_unchanged(tp, &before);
	/* And the lease still works. */
	renew(tp, s, 6, lease, T0 + MS(2));
	assert_int_equal(expect_grant(&cap, &link1, 6)->lease_id, lease);
	tier_parent_session_close(tp, s, T0 + MS(3));
	tier_parent_free(tp);
}

static void test_grant_flow(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s1 = join(tp, &cap, &link1, "a1", T0);
	struct tier_psess *s2 = join(tp, &cap, &link2, "a2", T0);
	const struct wt_grant *g;
	struct pool_child_status cs;
	struct wt_child_msg rep = { 0 };
	uint64_t lease;

	demand(tp, s1, 1, 500, 0, 30, T0);
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 500);
	assert_int_equal(g->ttl_ms, 30);
	assert_string_equal(g->reason, "ok");
	assert_false(g->from_local_headroom);
	lease = g->lease_id;
	/* ttl clipped to the configured range. */
	demand(tp, s2, 1, 200, 0, 500, T0);
	assert_int_equal(expect_grant(&cap, &link2, 1)->ttl_ms, 50);
	demand(tp, s2, 2, 200, 0, 1, T0);
	assert_int_equal(expect_grant(&cap, &link2, 2)->ttl_ms, 10);
	/* Renewal keeps the lease id and size. */
	renew(tp, s1, 2, lease, T0 + MS(15));
	g = expect_grant(&cap, &link1, 2);
	assert_int_equal(g->lease_id, lease);
	assert_int_equal(g->watts, 500);
	/* Release cuts what the parent counts at once. */
	release(tp, s1, 3, lease, 200, T0 + MS(16));
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 0, &cs), 0);
	assert_int_equal(cs.outstanding_w, 200);
	assert_int_equal(cs.lease_w, 200);
	/* Asking more than fits: what fits (base 2000 - floors 600 - a1 200 = 1200). */
	demand(tp, s2, 3, 3000, 0, 30, T0 + MS(17));
	g = expect_grant(&cap, &link2, 3);
	assert_int_equal(g->watts, 1200);
	assert_true(g->retry_after_ms > 0);
	/* Reports add up. */
	rep.kind = WT_CHILD_MSG_REPORT;
	rep.report.power_avg_w = 700;
	tier_parent_on_msg(tp, s1, &rep, T0 + MS(18));
	rep.report.power_avg_w = 900;
	tier_parent_on_msg(tp, s2, &rep, T0 + MS(18));
	rep.report.power_avg_w = 600;
	tier_parent_on_msg(tp, s1, &rep, T0 + MS(18));
	assert_true(tier_parent_measured_w(tp) == 1500);
	tier_parent_session_close(tp, s1, T0 + MS(19));
	assert_true(tier_parent_measured_w(tp) == 900);
	assert_true(pool_invariant_ok(tier_parent_pool(tp), T0 + MS(19)));
	tier_parent_session_close(tp, s2, T0 + MS(19));
	tier_parent_free(tp);
}

static void test_park_until_upstream(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s = join(tp, &cap, &link1, "a1", T0);
	const struct wt_grant *g;
	uint32_t sent = count_on(&cap, &link1);

	assert_true(tier_parent_upstream_want(tp) == 0);
	/* 2000 W does not fit the 1400 W of local headroom: parked, no answer yet. */
	demand(tp, s, 1, 2000, 100, 40, T0);
	assert_int_equal(count_on(&cap, &link1), sent);
	assert_int_equal(tier_parent_stats(tp)->escalations, 1);
	/* Waits min(budget 100 - own 20, ttl 40 / 2) = 20 ms. */
	assert_true(tier_parent_next_ns(tp) == T0 + MS(20));
	/* The link can ask upstream at once (not only after the next tick). */
	assert_true(tier_parent_upstream_want(tp) >= 2000);
	tier_parent_tick(tp, T0 + MS(1));
	assert_int_equal(count_on(&cap, &link1), sent);
	assert_true(tier_parent_upstream_want(tp) == 2000 + 300 + 200 + 100 - 2000);
	/* The upstream lease grows: answered from it, not from local headroom. */
	tier_parent_upstream(tp, 1000, T0 + MS(200), T0 + MS(5));
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 2000);
	assert_int_equal(g->ttl_ms, 40);
	assert_false(g->from_local_headroom);
	assert_true(tier_parent_next_ns(tp) == UINT64_MAX);
	assert_int_equal(tier_parent_stats(tp)->deadline_misses, 0);
	assert_true(pool_invariant_ok(tier_parent_pool(tp), T0 + MS(5)));
	/* The children hold more than base: the want never drops below that, even before a
	 * tick, so a Release down to it always fits. */
	assert_true(tier_parent_upstream_want(tp) >= 300 + 200 + 100 + 2000 - 2000);
	assert_int_equal(tier_parent_upstream_lower(tp, 500, T0 + MS(6)), WT_EBUSY);
	assert_int_equal(tier_parent_upstream_lower(tp, tier_parent_upstream_want(tp), T0 + MS(6)),
			 0);
	tier_parent_session_close(tp, s, T0 + MS(7));
	tier_parent_free(tp);
}

static void test_park_deadline(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s = join(tp, &cap, &link1, "a1", T0);
	const struct wt_grant *g;
	uint32_t sent = count_on(&cap, &link1);

	/* Budget 60: waits 40 ms... but at most half the 50 ms ttl: 25 ms. */
	demand(tp, s, 1, 2000, 60, 50, T0);
	assert_true(tier_parent_next_ns(tp) == T0 + MS(25));
	tier_parent_tick(tp, T0 + MS(25) - 1);
	assert_int_equal(count_on(&cap, &link1), sent);
	tier_parent_tick(tp, T0 + MS(25));
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 1400);
	assert_true(g->from_local_headroom);
	assert_int_equal(tier_parent_stats(tp)->deadline_misses, 1);
	assert_true(tier_parent_next_ns(tp) == UINT64_MAX);

	/* A budget that cannot cover our own and the upstream's decision is not parked. */
	demand(tp, s, 2, 2000, 44, 50, T0 + MS(26));
	assert_int_equal(expect_grant(&cap, &link1, 2)->watts, 1400);
	/* Nor what local headroom covers. */
	demand(tp, s, 3, 1400, 100, 50, T0 + MS(27));
	assert_int_equal(expect_grant(&cap, &link1, 3)->watts, 1400);
	assert_int_equal(tier_parent_stats(tp)->escalations, 1);
	tier_parent_session_close(tp, s, T0 + MS(28));
	tier_parent_free(tp);
}

static void test_park_second_request_and_close(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s = join(tp, &cap, &link1, "a1", T0);
	uint32_t sent;

	demand(tp, s, 1, 2000, 100, 40, T0);
	/* A second request before the first was answered: the first is answered now. */
	demand(tp, s, 2, 2500, 100, 40, T0 + MS(1));
	sent = count_on(&cap, &link1);
	assert_int_equal(cap.m[cap.n - 1].msg.grant.seq, 1);
	assert_true(cap.m[cap.n - 1].msg.grant.from_local_headroom);
	assert_int_equal(tier_parent_stats(tp)->escalations, 2);
	/* The stream ends while the second waits: nothing is sent, nothing is left parked. */
	tier_parent_session_close(tp, s, T0 + MS(2));
	assert_true(tier_parent_next_ns(tp) == UINT64_MAX);
	tier_parent_tick(tp, T0 + MS(50));
	assert_int_equal(count_on(&cap, &link1), sent);
	tier_parent_free(tp);
}

static void test_rebalance_revokes(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s1 = join(tp, &cap, &link1, "a1", T0);
	struct tier_psess *s3 = join(tp, &cap, &link3, "a3", T0);
	const struct wt_parent_msg *m;
	struct pool_child_status cs;
	uint64_t lease3;

	/* The flexible load takes all the headroom. */
	demand(tp, s3, 1, 1400, 0, 50, T0);
	lease3 = expect_grant(&cap, &link3, 1)->lease_id;
	assert_int_equal(expect_grant(&cap, &link3, 1)->watts, 1400);
	/* Training wants 1000: nothing fits now. */
	demand(tp, s1, 1, 1000, 0, 50, T0 + MS(1));
	assert_int_equal(expect_grant(&cap, &link1, 1)->watts, 0);
	/* The tick asks the lower class to shrink to its fair share. */
	tier_parent_tick(tp, T0 + MS(2));
	m = last(&cap, &link3);
	assert_int_equal(m->kind, WT_PARENT_MSG_REVOKE);
	assert_int_equal(m->revoke.lease_id, lease3);
	assert_int_equal(m->revoke.watts, 400);
	assert_int_equal(tier_parent_stats(tp)->revokes_sent, 1);
	/* Not asked twice. */
	tier_parent_tick(tp, T0 + MS(3));
	assert_int_equal(tier_parent_stats(tp)->revokes_sent, 1);
	/* The revoked watts stay counted until acknowledged. */
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 2, &cs), 0);
	assert_int_equal(cs.outstanding_w, 1400);
	revoke_ack(tp, s3, m->revoke.seq, lease3, 400, T0 + MS(4));
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 2, &cs), 0);
	assert_int_equal(cs.outstanding_w, 400);
	demand(tp, s1, 2, 1000, 0, 50, T0 + MS(5));
	assert_int_equal(expect_grant(&cap, &link1, 2)->watts, 1000);
	assert_true(pool_invariant_ok(tier_parent_pool(tp), T0 + MS(5)));
	tier_parent_session_close(tp, s1, T0 + MS(6));
	tier_parent_session_close(tp, s3, T0 + MS(6));
	tier_parent_free(tp);
}

/* A ceiling lowered below a connected child's grant sends a Revoke for the excess at once; a
 * Demand above it is granted only up to it; raising it sends nothing. */
static void test_ceiling(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, 0);
	struct tier_psess *s1 = join(tp, &cap, &link1, "a1", T0);
	const struct wt_parent_msg *m;
	const struct wt_grant *g;
	struct pool_child_status cs;
	uint32_t sent;
	uint64_t lease;

	demand(tp, s1, 1, 1200, 0, 50, T0);
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 1200);
	lease = g->lease_id;
	sent = cap.n;
	assert_int_equal(tier_parent_set_ceiling(tp, 3, 500, T0 + MS(1)), -EINVAL);
	assert_int_equal(cap.n, sent);

	assert_int_equal(tier_parent_set_ceiling(tp, 0, 550, T0 + MS(1)), 0);
	assert_int_equal(cap.n, sent + 1);
	m = last(&cap, &link1);
	assert_int_equal(m->kind, WT_PARENT_MSG_REVOKE);
	assert_int_equal(m->revoke.lease_id, lease);
	assert_int_equal(m->revoke.watts, 500);
	assert_string_equal(m->revoke.reason, "ceiling");
	assert_int_equal(tier_parent_stats(tp)->revokes_sent, 1);
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 0, &cs), 0);
	assert_int_equal(cs.ceiling_w, 550);
	assert_int_equal(cs.outstanding_w, 1200); /* until acknowledged */
	/* Not asked twice. */
	tier_parent_tick(tp, T0 + MS(2));
	assert_int_equal(tier_parent_stats(tp)->revokes_sent, 1);
	revoke_ack(tp, s1, m->revoke.seq, lease, 500, T0 + MS(3));
	assert_int_equal(cap.n, sent + 1); /* no Error */
	assert_int_equal(pool_child_status(tier_parent_pool(tp), 0, &cs), 0);
	assert_int_equal(cs.outstanding_w, 500);

	/* A new Demand above the ceiling gets the ceiling. */
	demand(tp, s1, 2, 1400, 0, 50, T0 + MS(4));
	g = expect_grant(&cap, &link1, 2);
	assert_int_equal(g->watts, 500);
	assert_int_equal(g->lease_id, lease);
	assert_string_equal(g->reason, "ceiling");
	assert_true(pool_invariant_ok(tier_parent_pool(tp), T0 + MS(4)));

	/* A disconnected child: accepted, nothing sent. Raising: nothing sent either. */
	sent = cap.n;
	assert_int_equal(tier_parent_set_ceiling(tp, 1, 0, T0 + MS(5)), 0);
	assert_int_equal(tier_parent_set_ceiling(tp, 0, POOL_CEILING_NONE, T0 + MS(5)), 0);
	assert_int_equal(cap.n, sent);
	demand(tp, s1, 3, 1400, 0, 50, T0 + MS(6));
	assert_int_equal(expect_grant(&cap, &link1, 3)->watts, 1400);
	assert_int_equal(tier_parent_stats(tp)->revokes_sent, 1);
	assert_true(pool_invariant_ok(tier_parent_pool(tp), T0 + MS(6)));
	tier_parent_session_close(tp, s1, T0 + MS(7));
	tier_parent_free(tp);
}

/* A Demand that only the part above the ceiling keeps from fitting is not parked for
 * upstream: upstream could not help. */
static void test_ceiling_no_park(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s1 = join(tp, &cap, &link1, "a1", T0);
	const struct wt_grant *g;

	assert_int_equal(tier_parent_set_ceiling(tp, 0, 1000, T0), 0);
	demand(tp, s1, 1, 2500, 100, 40, T0);
	assert_int_equal(tier_parent_stats(tp)->escalations, 0);
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 1000);
	assert_string_equal(g->reason, "ceiling");
	assert_false(g->from_local_headroom);
	/* Without the ceiling the same Demand waits for upstream. */
	assert_int_equal(tier_parent_set_ceiling(tp, 0, POOL_CEILING_NONE, T0 + MS(1)), 0);
	demand(tp, s1, 2, 2500, 100, 40, T0 + MS(1));
	assert_int_equal(tier_parent_stats(tp)->escalations, 1);
	tier_parent_session_close(tp, s1, T0 + MS(2));
	tier_parent_free(tp);
}

static void test_quarantine(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, false, POOL_QUARANTINE_DEFAULT);
	struct tier_psess *s = join(tp, &cap, &link1, "a1", T0);
	const struct wt_grant *g;
	struct wt_status st;

	assert_int_equal(last(&cap, &link1)->welcome.quarantine_left_ms, 55);
	tier_parent_status(tp, T0 + MS(10), false, &st);
	assert_true(st.quarantine);
	demand(tp, s, 1, 500, 0, 30, T0 + MS(10));
	g = expect_grant(&cap, &link1, 1);
	assert_int_equal(g->watts, 0);
	assert_string_equal(g->reason, "quarantine");
	assert_int_equal(g->retry_after_ms, 45);
	/* Even a huge budget does not park in quarantine. */
	assert_int_equal(tier_parent_stats(tp)->escalations, 0);
	demand(tp, s, 2, 500, 0, 30, T0 + MS(55) - 1);
	assert_int_equal(expect_grant(&cap, &link1, 2)->watts, 0);
	demand(tp, s, 3, 500, 0, 30, T0 + MS(55));
	assert_int_equal(expect_grant(&cap, &link1, 3)->watts, 500);
	tier_parent_status(tp, T0 + MS(55), false, &st);
	assert_false(st.quarantine);
	tier_parent_session_close(tp, s, T0 + MS(56));
	tier_parent_free(tp);
}

static void test_throttle_and_status(void **state)
{
	struct capt cap;
	struct tier_parent *tp = mk(&cap, true, 0);
	struct tier_psess *s1 = join(tp, &cap, &link1, "a1", T0);
	struct tier_psess *s2 = join(tp, &cap, &link2, "a2", T0);
	struct tier_psess *s4 = tier_parent_session_open(tp, &link4, "a3", T0); /* no hello */
	struct wt_status st;

	assert_int_equal(tier_parent_throttle_all(tp, 25, 10, "breaker"), 2);
	assert_int_equal(last(&cap, &link1)->kind, WT_PARENT_MSG_THROTTLE);
	assert_int_equal(last(&cap, &link2)->throttle.cut_pct, 25);
	assert_string_equal(last(&cap, &link2)->throttle.reason, "breaker");
	assert_int_equal(count_on(&cap, &link4), 0);
	assert_int_equal(tier_parent_stats(tp)->throttles_sent, 2);

	demand(tp, s1, 1, 800, 0, 30, T0);
	tier_parent_upstream(tp, 1000, T0 + MS(100), T0 + MS(1));
	tier_parent_status(tp, T0 + MS(2), true, &st);
	assert_string_equal(st.id, "rack1");
	assert_int_equal(st.tier, WT_TIER_RACK);
	assert_int_equal(st.capacity_w, 3000);
	assert_int_equal(st.floor_w, 2000);
	assert_int_equal(st.upstream_lease_w, 1000);
	assert_int_equal(st.upstream_left_ms, 98);
	assert_int_equal(st.children_floor_w, 600);
	assert_int_equal(st.granted_w, 800);
	assert_int_equal(st.headroom_w, 1600);
	assert_int_equal(st.grants, 1);
	assert_int_equal(st.n_children, 3);
	assert_string_equal(st.children[0].holder_id, "a1");
	assert_true(st.children[0].connected);
	assert_int_equal(st.children[0].granted_w, 800);
	assert_int_equal(st.children[0].floor_w, 300);
	assert_false(st.children[2].connected);
	wt_status_deinit(&st);
	tier_parent_session_close(tp, s4, T0 + MS(3));
	tier_parent_session_close(tp, s2, T0 + MS(3));
	tier_parent_session_close(tp, s1, T0 + MS(3));
	tier_parent_free(tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_hello_refused),
		cmocka_unit_test(test_welcome),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_request_before_hello),
		cmocka_unit_test(test_bad_requests_no_change),
		cmocka_unit_test(test_grant_flow),
		cmocka_unit_test(test_park_until_upstream),
		cmocka_unit_test(test_park_deadline),
		cmocka_unit_test(test_park_second_request_and_close),
		cmocka_unit_test(test_rebalance_revokes),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_ceiling_no_park),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_throttle_and_status),
	};

	wt_test_use_cmocka_alloc();
	wt_log_set_level(WT_LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
