/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the child side of a lease session (broker/tier/tier_child): Hello content,
 * Welcome floors, demand/renew/release sequencing, validity counted from the send time, stale,
 * duplicate and unknown grants ignored without a state change, promises (Release, RevokeAck)
 * clamping grants in flight, revoke before ack, throttles, the expiry boundary, the pending
 * request timeout, reconnects (leases of an earlier session), errors without request storms,
 * and a seeded random walk checking that tier_child_next_ns() never leaves a timer spinning. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tier_child.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt_test.h"

#define MS(x) ((uint64_t)(x)*1000000ull)
#define T0    MS(1000)

/* ---- helpers ---- */

static void cfg_agent(struct tier_child_cfg *c)
{
	*c = (struct tier_child_cfg){ 0 };
	snprintf(c->id, sizeof(c->id), "agent-7");
	c->tier = WT_TIER_AGENT;
	c->load_class = WT_LOAD_CLASS_TRAINING;
	c->floor_w = 500;
	c->nameplate_w = 2500;
	c->ttl_ms = 40;
	c->renew_pct = 50;
	c->budget_ms = 10;
	c->boot_id = 0xb007;
	c->software_version = "1.2.3";
}

static void mk(struct tier_child *tc)
{
	struct tier_child_cfg c;

	cfg_agent(&c);
	assert_int_equal(tier_child_init(tc, &c), 0);
}

static int welcome(struct tier_child *tc, uint64_t now, uint32_t floor_w, uint32_t token_w,
		   uint32_t quarantine_left_ms)
{
	struct wt_parent_msg m = { 0 };
	struct tier_child_out out;

	m.kind = WT_PARENT_MSG_WELCOME;
	m.welcome.floor_w = floor_w;
	m.welcome.token_w = token_w;
	m.welcome.ttl_min_ms = 10;
	m.welcome.ttl_max_ms = 50;
	m.welcome.quarantine_left_ms = quarantine_left_ms;
	m.welcome.parent_boot_id = 0xfeed;
	return tier_child_on_msg(tc, &m, now, &out);
}

/* Open a session and get welcomed (floor 500, token 100, no quarantine). */
static void up(struct tier_child *tc, uint64_t now)
{
	struct tier_child_out out;

	tier_child_session_up(tc, now, &out);
	assert_int_equal(out.msg.kind, WT_CHILD_MSG_HELLO);
	assert_int_equal(welcome(tc, now, 500, 100, 0), 0);
}

static int grant(struct tier_child *tc, uint64_t now, uint64_t seq, uint64_t lease_id,
		 uint32_t watts, uint32_t ttl_ms, uint32_t retry_after_ms)
{
	struct wt_parent_msg m = { 0 };
	struct tier_child_out out;

	m.kind = WT_PARENT_MSG_GRANT;
	m.grant.seq = seq;
	m.grant.lease_id = lease_id;
	m.grant.watts = watts;
	m.grant.ttl_ms = ttl_ms;
	m.grant.retry_after_ms = retry_after_ms;
	snprintf(m.grant.reason, sizeof(m.grant.reason), "%s", watts > 0 ? "ok" : "no_headroom");
	return tier_child_on_msg(tc, &m, now, &out);
}

static struct wt_child_msg poll1(struct tier_child *tc, uint64_t now, enum wt_child_msg_kind kind)
{
	struct tier_child_out out;

	assert_int_equal(tier_child_poll(tc, now, &out), 1);
	assert_int_equal(out.msg.kind, kind);
	return out.msg;
}

static void poll0(struct tier_child *tc, uint64_t now)
{
	struct tier_child_out out;

	assert_int_equal(tier_child_poll(tc, now, &out), 0);
	assert_true(tier_child_next_ns(tc) > now);
}

static int error_msg(struct tier_child *tc, uint64_t now, uint64_t seq,
		     enum wt_lease_error_code code)
{
	struct wt_parent_msg m = { 0 };
	struct tier_child_out out;

	m.kind = WT_PARENT_MSG_ERROR;
	m.error.code = code;
	m.error.seq = seq;
	return tier_child_on_msg(tc, &m, now, &out);
}

/* Welcomed child holding lease 77 of 400 W, asked at T0 (seq 1) for 40 ms. */
static void holding_400(struct tier_child *tc)
{
	struct wt_child_msg m;

	mk(tc);
	up(tc, T0);
	tier_child_set_want(tc, 400, 900);
	m = poll1(tc, T0, WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.seq, 1);
	assert_int_equal(grant(tc, T0 + MS(1), 1, 77, 400, 40, 0), 0);
	assert_int_equal(tier_child_cap_w(tc, T0 + MS(1)), 900);
}

/* The state must not change except the stale counter. */
static void assert_same_but_stale(const struct tier_child *a, const struct tier_child *b)
{
	struct tier_child x = *a;

	x.stats.stale = b->stats.stale;
	assert_memory_equal(&x, b, sizeof(x));
}

/* ---- tests ---- */

static void test_init_errors(void **state)
{
	struct tier_child tc;
	struct tier_child_cfg c;

	cfg_agent(&c);
	c.id[0] = '\0';
	assert_int_equal(tier_child_init(&tc, &c), -EINVAL);
	cfg_agent(&c);
	c.ttl_ms = 0;
	assert_int_equal(tier_child_init(&tc, &c), -EINVAL);
	cfg_agent(&c);
	c.renew_pct = 91;
	assert_int_equal(tier_child_init(&tc, &c), -EINVAL);
	cfg_agent(&c);
	c.renew_pct = 0; /* default 50 */
	assert_int_equal(tier_child_init(&tc, &c), 0);
	assert_int_equal(tier_child_floor_w(&tc), 500);
	assert_int_equal(tier_child_cap_w(&tc, T0), 500);
	assert_true(tier_child_next_ns(&tc) == UINT64_MAX);
}

static void test_hello(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;
	const struct wt_hello *h = &out.msg.hello;

	mk(&tc);
	tier_child_session_up(&tc, T0, &out);
	assert_int_equal(out.msg.kind, WT_CHILD_MSG_HELLO);
	assert_string_equal(h->holder_id, "agent-7");
	assert_int_equal(h->tier, WT_TIER_AGENT);
	assert_int_equal(h->load_class, WT_LOAD_CLASS_TRAINING);
	assert_int_equal(h->floor_w, 500);
	assert_int_equal(h->nameplate_w, 2500);
	assert_int_equal(h->boot_id, 0xb007);
	assert_string_equal(h->software_version, "1.2.3");
	assert_int_equal(tier_child_stats(&tc)->sessions, 1);
	/* Nothing is asked before the Welcome, and no timer is armed for it. */
	tier_child_set_want(&tc, 1000, 0);
	poll0(&tc, T0);
	assert_true(tier_child_next_ns(&tc) == UINT64_MAX);
}

static void test_welcome_floor(void **state)
{
	struct tier_child tc;

	/* The parent configures less than we do: its floor wins. */
	mk(&tc);
	tier_child_session_up(&tc, T0, &(struct tier_child_out){ 0 });
	assert_int_equal(welcome(&tc, T0, 300, 100, 0), 0);
	assert_int_equal(tier_child_floor_w(&tc), 300);
	assert_int_equal(tier_child_cap_w(&tc, T0), 300);
	/* The parent configures more: ours wins. */
	mk(&tc);
	tier_child_session_up(&tc, T0, &(struct tier_child_out){ 0 });
	assert_int_equal(welcome(&tc, T0, 800, 100, 0), 0);
	assert_int_equal(tier_child_floor_w(&tc), 500);
	/* Token 0 makes no sense: refused, still not welcomed. */
	mk(&tc);
	tier_child_session_up(&tc, T0, &(struct tier_child_out){ 0 });
	assert_int_equal(welcome(&tc, T0, 300, 0, 0), WT_EBADMSG);
	tier_child_set_want(&tc, 400, 0);
	poll0(&tc, T0);
	/* The Welcome's token rounds wants up. */
	assert_int_equal(welcome(&tc, T0, 500, 1000, 0), 0);
	assert_int_equal(poll1(&tc, T0, WT_CHILD_MSG_DEMAND).demand.want_w, 1000);
}

static void test_welcome_quarantine(void **state)
{
	struct tier_child tc;

	mk(&tc);
	tier_child_session_up(&tc, T0, &(struct tier_child_out){ 0 });
	assert_int_equal(welcome(&tc, T0, 500, 100, 55), 0);
	tier_child_set_want(&tc, 300, 0);
	poll0(&tc, T0);
	assert_true(tier_child_next_ns(&tc) == T0 + MS(55));
	poll0(&tc, T0 + MS(55) - 1);
	poll1(&tc, T0 + MS(55), WT_CHILD_MSG_DEMAND);
}

static void test_sequencing(void **state)
{
	struct tier_child tc;
	struct wt_child_msg m;

	mk(&tc);
	up(&tc, T0);
	tier_child_set_want(&tc, 350, 900);
	m = poll1(&tc, T0, WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.seq, 1);
	assert_int_equal(m.demand.want_w, 400); /* rounded up to the token */
	assert_int_equal(m.demand.predicted_peak_w, 900);
	assert_int_equal(m.demand.load_class, WT_LOAD_CLASS_TRAINING);
	assert_int_equal(m.demand.budget_ms, 10);
	assert_int_equal(m.demand.ttl_ms, 40);
	/* One request in flight at a time; its timeout is max(ttl, 2 budget, 50 ms). */
	poll0(&tc, T0);
	assert_true(tier_child_next_ns(&tc) == T0 + MS(50));
	assert_true(tier_child_pending_age_ns(&tc, T0 + MS(3)) == MS(3));

	assert_int_equal(grant(&tc, T0 + MS(2), 1, 77, 400, 40, 0), 0);
	assert_int_equal(tier_child_lease_w(&tc, T0 + MS(2)), 400);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(2)), 900);
	assert_true(tier_child_lease_until_ns(&tc) == T0 + MS(40));
	assert_true(tier_child_pending_age_ns(&tc, T0 + MS(3)) == 0);
	/* Renewal at 50 % of the ttl, counted from the send time. */
	assert_true(tier_child_next_ns(&tc) == T0 + MS(20));
	poll0(&tc, T0 + MS(20) - 1);
	m = poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW);
	assert_int_equal(m.renew.seq, 2);
	assert_int_equal(m.renew.lease_id, 77);
	assert_int_equal(m.renew.budget_ms, 10);
	assert_int_equal(grant(&tc, T0 + MS(21), 2, 77, 400, 40, 0), 0);
	assert_true(tier_child_lease_until_ns(&tc) == T0 + MS(60));

	/* A grow asks for the new total. */
	tier_child_set_want(&tc, 1000, 0);
	m = poll1(&tc, T0 + MS(22), WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.seq, 3);
	assert_int_equal(m.demand.want_w, 1000);
	/* Granted less: no new grow before the retry hint (or 5 ms at least). */
	assert_int_equal(grant(&tc, T0 + MS(23), 3, 77, 700, 40, 8), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(23)), 1200);
	poll0(&tc, T0 + MS(23));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(31));
	poll1(&tc, T0 + MS(31), WT_CHILD_MSG_DEMAND);
	assert_int_equal(grant(&tc, T0 + MS(32), 4, 77, 1000, 40, 0), 0);

	/* Want drops: the cap falls before the Release is handed out. */
	tier_child_set_want(&tc, 0, 0);
	m = poll1(&tc, T0 + MS(33), WT_CHILD_MSG_RELEASE);
	assert_int_equal(m.release.seq, 5);
	assert_int_equal(m.release.lease_id, 77);
	assert_int_equal(m.release.keep_w, 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(33)), 500);
	assert_true(tier_child_lease_until_ns(&tc) == 0);
	poll0(&tc, T0 + MS(33));
	assert_int_equal(tier_child_stats(&tc)->releases, 1);
	assert_int_equal(tier_child_stats(&tc)->requests, 4);
	assert_int_equal(tier_child_stats(&tc)->grants, 4);
}

static void test_partial_release(void **state)
{
	struct tier_child tc;
	struct wt_child_msg m;

	holding_400(&tc);
	/* Less than a quarter (or a token) below: keep the lease, shrink at the renewal. */
	tier_child_set_want(&tc, 320, 0); /* rounds to 400 */
	poll0(&tc, T0 + MS(2));
	tier_child_set_want(&tc, 300, 0);
	m = poll1(&tc, T0 + MS(2), WT_CHILD_MSG_RELEASE);
	assert_int_equal(m.release.keep_w, 300);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(2)), 800);
	/* The rest of the lease is kept until it ends. */
	assert_true(tier_child_lease_until_ns(&tc) == T0 + MS(40));
	/* The renewal is for the kept size. */
	m = poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW);
	assert_int_equal(m.renew.lease_id, 77);
}

static void test_validity_from_send_time(void **state)
{
	struct tier_child tc;

	mk(&tc);
	up(&tc, T0);
	tier_child_set_want(&tc, 400, 0);
	poll1(&tc, T0, WT_CHILD_MSG_DEMAND);
	/* The grant arrives 30 ms late: 10 ms are left of its 40. */
	assert_int_equal(grant(&tc, T0 + MS(30), 1, 77, 400, 40, 0), 0);
	assert_true(tier_child_lease_until_ns(&tc) == T0 + MS(40));
	/* Boundary: valid until the instant before, expired at it. */
	assert_int_equal(tier_child_lease_w(&tc, T0 + MS(40) - 1), 400);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(40) - 1), 900);
	assert_int_equal(tier_child_lease_w(&tc, T0 + MS(40)), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(40)), 500);
	/* The renewal was due at T0 + 20 ms already. */
	poll1(&tc, T0 + MS(30), WT_CHILD_MSG_RENEW);
	assert_int_equal(tier_child_stats(&tc)->expiries, 0);

	/* A grant arriving after its own end is of no use. */
	mk(&tc);
	up(&tc, T0);
	tier_child_set_want(&tc, 400, 0);
	poll1(&tc, T0, WT_CHILD_MSG_DEMAND);
	assert_int_equal(grant(&tc, T0 + MS(40), 1, 77, 400, 40, 0), WT_ESTALE);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(40)), 500);
	assert_int_equal(tier_child_stats(&tc)->stale, 1);
}

static void test_expiry_boundary(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;

	holding_400(&tc);
	tier_child_session_down(&tc, T0 + MS(2)); /* no renewal */
	assert_true(tier_child_next_ns(&tc) == T0 + MS(40));
	assert_int_equal(tier_child_poll(&tc, T0 + MS(40) - 1, &out), 0);
	assert_int_equal(tier_child_stats(&tc)->expiries, 0);
	assert_int_equal(tier_child_poll(&tc, T0 + MS(40), &out), 0);
	assert_int_equal(tier_child_stats(&tc)->expiries, 1);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(40)), 500);
	assert_true(tier_child_lease_until_ns(&tc) == 0);
	assert_true(tier_child_next_ns(&tc) == UINT64_MAX);
}

static void test_stale_grants_no_change(void **state)
{
	struct tier_child tc, before;

	holding_400(&tc);
	before = tc;
	/* Duplicate of the grant already applied. */
	assert_int_equal(grant(&tc, T0 + MS(2), 1, 77, 900, 40, 0), WT_ESTALE);
	assert_same_but_stale(&before, &tc);
	/* Unknown seq (never sent), seq 0, and a future seq. */
	assert_int_equal(grant(&tc, T0 + MS(2), 99, 77, 900, 40, 0), WT_ESTALE);
	assert_int_equal(grant(&tc, T0 + MS(2), 0, 77, 900, 40, 0), WT_ESTALE);
	assert_int_equal(grant(&tc, T0 + MS(2), 2, 77, 900, 40, 0), WT_ESTALE);
	assert_same_but_stale(&before, &tc);
	assert_int_equal(tier_child_stats(&tc)->stale, 4);

	/* After a newer grant, an older one that was still known is superseded. */
	(void)poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW); /* seq 2 */
	assert_int_equal(grant(&tc, T0 + MS(21), 2, 77, 400, 40, 0), 0);
	before = tc;
	assert_int_equal(grant(&tc, T0 + MS(22), 2, 77, 900, 40, 0), WT_ESTALE);
	assert_int_equal(grant(&tc, T0 + MS(22), 1, 77, 900, 40, 0), WT_ESTALE);
	assert_same_but_stale(&before, &tc);
}

static void test_pending_timeout(void **state)
{
	struct tier_child tc;
	struct wt_child_msg m;

	mk(&tc);
	up(&tc, T0);
	tier_child_set_want(&tc, 400, 0);
	poll1(&tc, T0, WT_CHILD_MSG_DEMAND);
	poll0(&tc, T0 + MS(50) - 1);
	assert_true(tier_child_pending_age_ns(&tc, T0 + MS(50) - 1) == MS(50) - 1);
	m = poll1(&tc, T0 + MS(50), WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.seq, 2);
	/* The lost answer turns up: refused as unknown, no state change. */
	assert_int_equal(grant(&tc, T0 + MS(51), 1, 77, 400, 40, 0), WT_ESTALE);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(51)), 500);
	assert_int_equal(grant(&tc, T0 + MS(51), 2, 77, 400, 40, 0), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(51)), 900);

	/* A long budget stretches the timeout to twice the budget. */
	{
		struct tier_child_cfg c;

		cfg_agent(&c);
		c.budget_ms = 60;
		assert_int_equal(tier_child_init(&tc, &c), 0);
		up(&tc, T0);
		tier_child_set_want(&tc, 400, 0);
		poll1(&tc, T0, WT_CHILD_MSG_DEMAND);
		assert_true(tier_child_next_ns(&tc) == T0 + MS(120));
	}
}

static void test_revoke(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;
	struct wt_parent_msg rv = { 0 };

	holding_400(&tc);
	tier_child_set_want(&tc, 400, 0);
	(void)poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW); /* seq 2 in flight */
	rv.kind = WT_PARENT_MSG_REVOKE;
	rv.revoke.seq = 5;
	rv.revoke.lease_id = 77;
	rv.revoke.watts = 100;
	assert_int_equal(tier_child_on_msg(&tc, &rv, T0 + MS(21), &out), 1);
	/* The cap is already down when the ack is handed out. */
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(21)), 600);
	assert_int_equal(out.msg.kind, WT_CHILD_MSG_REVOKE_ACK);
	assert_int_equal(out.msg.revoke_ack.revoke_seq, 5);
	assert_int_equal(out.msg.revoke_ack.lease_id, 77);
	assert_int_equal(out.msg.revoke_ack.now_w, 100);
	assert_int_equal(tier_child_stats(&tc)->revokes, 1);
	/* The renewal sent before the Revoke came back with the old size: the ack promised
	 * 100 W of everything granted so far, so it is clamped. */
	assert_int_equal(grant(&tc, T0 + MS(22), 2, 77, 400, 40, 0), 0);
	assert_int_equal(tier_child_lease_w(&tc, T0 + MS(22)), 100);
	/* The revoked watts are not asked back within a ttl: the renewal at 50 % is for the
	 * revoked size, not a grow. */
	poll0(&tc, T0 + MS(22));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(40));
	poll0(&tc, T0 + MS(40) - 1);
	assert_int_equal(poll1(&tc, T0 + MS(40), WT_CHILD_MSG_DEMAND).demand.want_w, 100);
	assert_int_equal(grant(&tc, T0 + MS(41), 3, 77, 100, 40, 0), 0);
	/* A Revoke that asks for more than we hold changes nothing. */
	rv.revoke.seq = 6;
	rv.revoke.watts = 300;
	assert_int_equal(tier_child_on_msg(&tc, &rv, T0 + MS(23), &out), 1);
	assert_int_equal(out.msg.revoke_ack.now_w, 100);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(23)), 600);
}

static void test_revoke_promise_after_renewal(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;
	struct wt_parent_msg rv = { 0 };
	struct wt_child_msg m;

	/* A grant answering a request sent after the Revoke is not clamped. */
	holding_400(&tc);
	rv.kind = WT_PARENT_MSG_REVOKE;
	rv.revoke.seq = 1;
	rv.revoke.lease_id = 77;
	rv.revoke.watts = 200;
	assert_int_equal(tier_child_on_msg(&tc, &rv, T0 + MS(5), &out), 1);
	tier_child_set_want(&tc, 200, 0);
	m = poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW);
	assert_int_equal(grant(&tc, T0 + MS(21), m.renew.seq, 77, 300, 40, 0), 0);
	assert_int_equal(tier_child_lease_w(&tc, T0 + MS(21)), 300);
}

static void test_throttle(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;
	struct wt_parent_msg th = { 0 };

	holding_400(&tc);
	th.kind = WT_PARENT_MSG_THROTTLE;
	th.throttle.cut_pct = 25;
	th.throttle.hold_ms = 10;
	assert_int_equal(tier_child_on_msg(&tc, &th, T0 + MS(2), &out), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(2)), 675);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(12) - 1), 675);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(12)), 900);
	assert_true(tier_child_next_ns(&tc) == T0 + MS(12));
	/* Once over, the throttle no longer keeps a timer due (it used to spin). */
	poll0(&tc, T0 + MS(12));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(20));
	assert_int_equal(tier_child_stats(&tc)->throttles, 1);
	th.throttle.cut_pct = 0;
	assert_int_equal(tier_child_on_msg(&tc, &th, T0 + MS(13), &out), WT_EBADMSG);
	th.throttle.cut_pct = 101;
	assert_int_equal(tier_child_on_msg(&tc, &th, T0 + MS(13), &out), WT_EBADMSG);
	th.throttle.cut_pct = 100;
	assert_int_equal(tier_child_on_msg(&tc, &th, T0 + MS(13), &out), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(13)), 0);
}

static void test_errors_no_storm(void **state)
{
	struct tier_child tc;
	struct wt_child_msg m;

	holding_400(&tc);
	m = poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW);
	/* A refused renewal is not repeated at once: retried after 100 ms. */
	assert_int_equal(error_msg(&tc, T0 + MS(21), m.renew.seq, WT_LEASE_ERROR_STALE_SEQ), 0);
	poll0(&tc, T0 + MS(21));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(40)); /* the lease ends first */
	assert_int_equal(tier_child_stats(&tc)->errors, 1);
	/* An Error for another seq leaves the pending request alone. */
	holding_400(&tc);
	m = poll1(&tc, T0 + MS(20), WT_CHILD_MSG_RENEW);
	assert_int_equal(error_msg(&tc, T0 + MS(21), 99, WT_LEASE_ERROR_BAD_REQUEST), 0);
	assert_true(tier_child_pending_age_ns(&tc, T0 + MS(21)) == MS(1));
	/* The parent does not know the lease: ask afresh with a Demand, right away. */
	assert_int_equal(error_msg(&tc, T0 + MS(21), m.renew.seq, WT_LEASE_ERROR_UNKNOWN_LEASE), 0);
	m = poll1(&tc, T0 + MS(21), WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.want_w, 400);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(21)), 900);
}

static void test_reconnect(void **state)
{
	struct tier_child tc;
	struct tier_child_out out;
	struct wt_child_msg m;

	holding_400(&tc);
	tier_child_session_down(&tc, T0 + MS(5));
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(5)), 900); /* still valid */
	poll0(&tc, T0 + MS(20));				  /* no session: no renewal */
	tier_child_session_up(&tc, T0 + MS(21), &out);
	assert_int_equal(out.msg.kind, WT_CHILD_MSG_HELLO);
	assert_int_equal(tier_child_stats(&tc)->sessions, 2);
	/* The restarted parent is in quarantine for 30 ms. */
	assert_int_equal(welcome(&tc, T0 + MS(22), 500, 100, 30), 0);
	/* The parent forgot the lease id with the new session: renew with a Demand. */
	m = poll1(&tc, T0 + MS(22), WT_CHILD_MSG_DEMAND);
	assert_int_equal(m.demand.want_w, 400);
	/* Refused in quarantine: the earlier lease stays in force until it ends. */
	assert_int_equal(grant(&tc, T0 + MS(23), m.demand.seq, 0, 0, 0, 29), 0);
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(23)), 900);
	poll0(&tc, T0 + MS(23));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(40));
	/* Using less of an earlier session's lease sends nothing (it cannot be released). */
	tier_child_set_want(&tc, 0, 0);
	poll0(&tc, T0 + MS(24));
	assert_int_equal(tier_child_cap_w(&tc, T0 + MS(24)), 500);
	assert_int_equal(tier_child_stats(&tc)->releases, 0);
}

static void test_sent_at_time_zero(void **state)
{
	struct tier_child tc;

	mk(&tc);
	up(&tc, 0);
	tier_child_set_want(&tc, 100, 0);
	poll1(&tc, 0, WT_CHILD_MSG_DEMAND);
	assert_int_equal(grant(&tc, MS(1), 1, 5, 100, 40, 0), 0);
	assert_true(tier_child_lease_until_ns(&tc) == MS(40));
}

static void test_nameplate_limit(void **state)
{
	struct tier_child tc;

	mk(&tc);
	up(&tc, T0);
	tier_child_set_want(&tc, 99999, 0); /* nameplate 2500 - floor 500 */
	assert_int_equal(poll1(&tc, T0, WT_CHILD_MSG_DEMAND).demand.want_w, 2000);
	assert_int_equal(grant(&tc, T0 + MS(1), 1, 5, 2000, 40, 0), 0);
	/* Held what the nameplate allows: no retry timer while the want is clamped. */
	poll0(&tc, T0 + MS(1));
	assert_true(tier_child_next_ns(&tc) == T0 + MS(20));
}

/* Seeded random walk over every input: after any poll that sends nothing the next timer is in
 * the future, the cap never exceeds floor + the largest grant seen, and ignored grants change
 * nothing but the stale counter. */
static void test_random_walk(void **state)
{
	uint64_t rng = 12345;
	struct tier_child tc;
	uint64_t now = T0, pend = 0;

	mk(&tc);
	for (int i = 0; i < 20000; i++) {
		struct tier_child_out out;
		uint32_t r;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		r = (uint32_t)(rng >> 33);
		now += (r % 7) * MS(1) / 2;
		switch (r % 11) {
		case 0:
			tier_child_session_up(&tc, now, &out);
			pend = 0;
			break;
		case 1:
			tier_child_session_down(&tc, now);
			pend = 0;
			break;
		case 2:
			(void)welcome(&tc, now, 500, 100, (r >> 8) % 3 == 0 ? 20 : 0);
			break;
		case 3:
			tier_child_set_want(&tc, (r >> 8) % 2500, 0);
			break;
		case 4:
		case 5:
			if (pend != 0) {
				struct tier_child before = tc;
				int rc = grant(&tc, now, pend, 9, ((r >> 8) % 25) * 100,
					       10 + (r >> 16) % 40, (r >> 20) % 30);

				/* Unknown or superseded: nothing changes. (A late answer to the
				 * pending request does end the wait for it.) */
				if (rc != 0 && before.pending_seq != pend) {
					assert_same_but_stale(&before, &tc);
				}
				pend = 0;
			}
			break;
		case 6: {
			struct wt_parent_msg rv = { 0 };

			rv.kind = WT_PARENT_MSG_REVOKE;
			rv.revoke.seq = i;
			rv.revoke.watts = ((r >> 8) % 10) * 100;
			assert_int_equal(tier_child_on_msg(&tc, &rv, now, &out), 1);
			assert_true(out.msg.revoke_ack.now_w <= rv.revoke.watts);
			assert_true(tier_child_lease_w(&tc, now) <= rv.revoke.watts);
			break;
		}
		case 7:
			if (pend != 0) {
				(void)error_msg(&tc, now, pend,
						(enum wt_lease_error_code)(1 + (r >> 8) % 5));
				pend = 0;
			}
			break;
		default:
			break;
		}
		assert_true(tier_child_cap_w(&tc, now) <= 500 + 2400);
		if (tier_child_poll(&tc, now, &out) == 1) {
			if (out.msg.kind == WT_CHILD_MSG_DEMAND) {
				pend = out.msg.demand.seq;
			} else if (out.msg.kind == WT_CHILD_MSG_RENEW) {
				pend = out.msg.renew.seq;
			}
		} else {
			assert_true(tier_child_next_ns(&tc) > now);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_welcome_floor),
		cmocka_unit_test(test_welcome_quarantine),
		cmocka_unit_test(test_sequencing),
		cmocka_unit_test(test_partial_release),
		cmocka_unit_test(test_validity_from_send_time),
		cmocka_unit_test(test_expiry_boundary),
		cmocka_unit_test(test_stale_grants_no_change),
		cmocka_unit_test(test_pending_timeout),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_revoke_promise_after_renewal),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_errors_no_storm),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_sent_at_time_zero),
		cmocka_unit_test(test_nameplate_limit),
		cmocka_unit_test(test_random_walk),
	};

	wt_test_use_cmocka_alloc();
	wt_log_set_level(WT_LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
