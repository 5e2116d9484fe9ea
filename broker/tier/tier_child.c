/* SPDX-License-Identifier: Apache-2.0 */
/* Child side of a lease session (see tier_child.h for the safety argument). One request is in
 * flight at a time: the lease is small, answers are fast, and it keeps the parent's view and
 * ours trivially ordered. */
#include "tier_child.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"

#define NS_PER_MS	       1000000ull
#define DEFAULT_RENEW_PCT      50u
#define MIN_RETRY_MS	       5u
#define ERROR_RETRY_MS	       100u
#define AGENT_TOKEN_W	       100u
#define RACK_TOKEN_W	       1000u
#define CLUSTER_TOKEN_W	       10000u
#define PENDING_TIMEOUT_MIN_MS 50u

static uint32_t default_token(enum wt_tier tier)
{
	switch (tier) {
	case WT_TIER_RACK:
		return RACK_TOKEN_W;
	case WT_TIER_CLUSTER:
		return CLUSTER_TOKEN_W;
	default:
		return AGENT_TOKEN_W;
	}
}

int tier_child_init(struct tier_child *tc, const struct tier_child_cfg *cfg)
{
	if (cfg->id[0] == '\0' || cfg->ttl_ms == 0 || cfg->renew_pct > 90) {
		return -EINVAL;
	}
	memset(tc, 0, sizeof(*tc));
	tc->cfg = *cfg;
	if (tc->cfg.renew_pct == 0) {
		tc->cfg.renew_pct = DEFAULT_RENEW_PCT;
	}
	tc->floor_w = cfg->floor_w;
	tc->token_w = default_token(cfg->tier);
	tc->next_seq = 1;
	return 0;
}

static void forget_inflight(struct tier_child *tc)
{
	memset(tc->sent, 0, sizeof(tc->sent));
	tc->pending_seq = 0;
	tc->pending_sent_ns = 0;
}

void tier_child_session_up(struct tier_child *tc, uint64_t now_ns, struct tier_child_out *out)
{
	struct wt_hello *h = &out->msg.hello;

	tc->session_up = true;
	tc->welcomed = false;
	tc->stats.sessions++;
	forget_inflight(tc);
	/* A parent forgets a child's lease when it starts a new session (its records stay
	 * counted until they expire): we keep enforcing it until it ends, but its id means
	 * nothing any more, so it is renewed with a Demand and never Released. */
	tc->lease_id = 0;
	memset(out, 0, sizeof(*out));
	out->msg.kind = WT_CHILD_MSG_HELLO;
	snprintf(h->holder_id, sizeof(h->holder_id), "%s", tc->cfg.id);
	h->tier = tc->cfg.tier;
	h->load_class = tc->cfg.load_class;
	h->floor_w = tc->cfg.floor_w;
	h->nameplate_w = tc->cfg.nameplate_w;
	h->boot_id = tc->cfg.boot_id;
	snprintf(h->software_version, sizeof(h->software_version), "%s",
		 tc->cfg.software_version != NULL ? tc->cfg.software_version : "");
}

void tier_child_session_down(struct tier_child *tc, uint64_t now_ns)
{
	tc->session_up = false;
	tc->welcomed = false;
	forget_inflight(tc);
}

void tier_child_set_want(struct tier_child *tc, uint32_t want_w, uint32_t predicted_peak_w)
{
	tc->want_w = want_w;
	tc->predicted_peak_w = predicted_peak_w;
}

static bool lease_valid(const struct tier_child *tc, uint64_t now_ns)
{
	return tc->lease_until_ns > now_ns && tc->lease_w > 0;
}

uint32_t tier_child_lease_w(const struct tier_child *tc, uint64_t now_ns)
{
	return lease_valid(tc, now_ns) ? tc->lease_w : 0;
}

uint64_t tier_child_lease_until_ns(const struct tier_child *tc)
{
	return tc->lease_w > 0 ? tc->lease_until_ns : 0;
}

uint32_t tier_child_floor_w(const struct tier_child *tc)
{
	return tc->floor_w;
}

uint32_t tier_child_cap_w(const struct tier_child *tc, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)tc->floor_w + tier_child_lease_w(tc, now_ns);

	if (tc->throttle_pct > 0 && now_ns < tc->throttle_until_ns) {
		cap = cap * (100u - tc->throttle_pct) / 100u;
	}
	return (uint32_t)cap;
}

const struct tier_child_stats *tier_child_stats(const struct tier_child *tc)
{
	return &tc->stats;
}

uint64_t tier_child_pending_age_ns(const struct tier_child *tc, uint64_t now_ns)
{
	if (tc->pending_seq == 0 || now_ns < tc->pending_sent_ns) {
		return 0;
	}
	return now_ns - tc->pending_sent_ns;
}

/* Send time of request @seq into *@sent_ns; false when unknown (never sent, forgotten, or
 * answered). A request sent at time 0 is known like any other. */
static bool sent_time(const struct tier_child *tc, uint64_t seq, uint64_t *sent_ns)
{
	for (uint32_t i = 0; i < TIER_CHILD_INFLIGHT; i++) {
		if (tc->sent[i].seq == seq && seq != 0) {
			*sent_ns = tc->sent[i].sent_ns;
			return true;
		}
	}
	return false;
}

static void forget_sent(struct tier_child *tc, uint64_t seq)
{
	for (uint32_t i = 0; i < TIER_CHILD_INFLIGHT; i++) {
		if (tc->sent[i].seq == seq) {
			tc->sent[i].seq = 0;
		}
	}
}

static uint64_t record_sent(struct tier_child *tc, uint64_t now_ns)
{
	uint64_t seq = tc->next_seq++;

	tc->sent[tc->sent_next].seq = seq;
	tc->sent[tc->sent_next].sent_ns = now_ns;
	tc->sent_next = (tc->sent_next + 1) % TIER_CHILD_INFLIGHT;
	return seq;
}

/* We promise the parent to use at most @watts of every lease it granted so far (a Release, or
 * the ack of a Revoke, after which the parent may cut all its older records): a grant that
 * answers a request sent before now (seq < next_seq) and arrives later is clamped to @watts.
 * Only grants with seq > lease_seq can still be applied, so an older promise that covers some
 * of them (release_seq > lease_seq + 1) is folded in by taking the smaller size. */
static void promise(struct tier_child *tc, uint32_t watts)
{
	if (tc->release_seq > tc->lease_seq + 1 && tc->release_w < watts) {
		watts = tc->release_w;
	}
	tc->release_seq = tc->next_seq;
	tc->release_w = watts;
}

static uint32_t clamp_ms(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t want_tokens(const struct tier_child *tc);

static int on_grant(struct tier_child *tc, const struct wt_grant *g, uint64_t now_ns)
{
	uint64_t sent_ns = 0;
	uint64_t until_ns;
	uint32_t watts = g->watts;

	if (!sent_time(tc, g->seq, &sent_ns) || g->seq <= tc->lease_seq) {
		/* Unknown, duplicated, or older than the lease we hold. */
		tc->stats.stale++;
		return WT_ESTALE;
	}
	forget_sent(tc, g->seq);
	if (g->seq == tc->pending_seq) {
		tc->pending_seq = 0;
	}
	until_ns = sent_ns + (uint64_t)g->ttl_ms * NS_PER_MS;
	if (g->seq < tc->release_seq && watts > tc->release_w) {
		/* Answers a request sent before our Release: the parent may already have cut its
		 * records to the kept size, so we must not use more. */
		watts = tc->release_w;
	}
	if (watts > 0 && until_ns <= now_ns) {
		/* Arrived after its own validity: nothing to use. */
		tc->stats.stale++;
		return WT_ESTALE;
	}
	if (watts == 0 && tc->lease_id == 0 && lease_valid(tc, now_ns)) {
		/* Refused (quarantine, no room) while we hold a lease of an earlier session: the
		 * parent counts that one until it ends (or, restarted, waits for it in quarantine),
		 * so keep using it, and ask again after the hint. */
		uint32_t wait = clamp_ms(g->retry_after_ms, MIN_RETRY_MS);

		tc->lease_seq = g->seq;
		tc->retry_at_ns = now_ns + (uint64_t)wait * NS_PER_MS;
		tc->renew_at_ns = tc->retry_at_ns;
		tc->stats.grants++;
		return 0;
	}
	tc->lease_seq = g->seq;
	tc->lease_id = g->lease_id;
	tc->lease_w = watts;
	tc->lease_until_ns = watts > 0 ? until_ns : 0;
	tc->renew_at_ns = sent_ns + (uint64_t)g->ttl_ms * tc->cfg.renew_pct / 100u * NS_PER_MS;
	tc->stats.grants++;
	if (watts < want_tokens(tc)) {
		uint32_t wait = clamp_ms(g->retry_after_ms, tc->cfg.grow_retry_ms);
		uint64_t at = now_ns + (uint64_t)clamp_ms(wait, MIN_RETRY_MS) * NS_PER_MS;

		/* Only ever later: a Revoke's "not within a ttl" must survive the next grant. */
		if (at > tc->retry_at_ns) {
			tc->retry_at_ns = at;
		}
	}
	return 0;
}

int tier_child_on_msg(struct tier_child *tc, const struct wt_parent_msg *msg, uint64_t now_ns,
		      struct tier_child_out *out)
{
	switch (msg->kind) {
	case WT_PARENT_MSG_WELCOME: {
		const struct wt_welcome *w = &msg->welcome;

		if (w->token_w == 0) {
			return WT_EBADMSG;
		}
		tc->welcomed = true;
		tc->floor_w = w->floor_w < tc->cfg.floor_w ? w->floor_w : tc->cfg.floor_w;
		tc->token_w = w->token_w;
		tc->ttl_min_ms = w->ttl_min_ms;
		tc->ttl_max_ms = w->ttl_max_ms;
		tc->parent_boot_id = w->parent_boot_id;
		/* A parent in quarantine grants nothing above floors: do not ask before it ends. */
		tc->retry_at_ns = now_ns + (uint64_t)w->quarantine_left_ms * NS_PER_MS;
		return 0;
	}
	case WT_PARENT_MSG_GRANT:
		return on_grant(tc, &msg->grant, now_ns);
	case WT_PARENT_MSG_REVOKE: {
		const struct wt_revoke *r = &msg->revoke;

		if (r->watts < tc->lease_w) {
			tc->lease_w = r->watts;
		}
		/* The ack lets the parent cut every record it had when it sent the Revoke. On one
		 * ordered stream their grants arrived before the Revoke; should a transport ever
		 * reorder, a grant still in flight must not bring the old size back. */
		promise(tc, tc->lease_w);
		tc->stats.revokes++;
		/* Don't ask the revoked watts straight back: the parent gave them to someone. */
		tc->retry_at_ns = now_ns + (uint64_t)tc->cfg.ttl_ms * NS_PER_MS;
		memset(out, 0, sizeof(*out));
		out->msg.kind = WT_CHILD_MSG_REVOKE_ACK;
		out->msg.revoke_ack.revoke_seq = r->seq;
		out->msg.revoke_ack.lease_id = r->lease_id;
		out->msg.revoke_ack.now_w = tc->lease_w;
		return 1;
	}
	case WT_PARENT_MSG_THROTTLE: {
		const struct wt_throttle *t = &msg->throttle;

		if (t->cut_pct == 0 || t->cut_pct > 100) {
			return WT_EBADMSG;
		}
		tc->throttle_pct = t->cut_pct;
		tc->throttle_until_ns = now_ns + (uint64_t)t->hold_ms * NS_PER_MS;
		tc->stats.throttles++;
		return 0;
	}
	case WT_PARENT_MSG_ERROR:
		tc->stats.errors++;
		if (msg->error.seq != 0 && msg->error.seq == tc->pending_seq) {
			forget_sent(tc, tc->pending_seq);
			tc->pending_seq = 0;
			if (msg->error.code == WT_LEASE_ERROR_UNKNOWN_LEASE) {
				/* The parent no longer knows our lease: ask for it afresh. */
				tc->lease_id = 0;
				return 0;
			}
			/* Neither a grow nor a renewal right away: a refused request would only
			 * be refused again, one round trip after the other. */
			tc->retry_at_ns = now_ns + (uint64_t)ERROR_RETRY_MS * NS_PER_MS;
			if (tc->renew_at_ns < tc->retry_at_ns) {
				tc->renew_at_ns = tc->retry_at_ns;
			}
		}
		return 0;
	}
	return WT_EBADMSG;
}

static uint32_t want_tokens(const struct tier_child *tc)
{
	uint64_t want = tc->want_w;
	uint64_t limit = tc->cfg.nameplate_w > tc->floor_w ? tc->cfg.nameplate_w - tc->floor_w : 0;

	if (tc->cfg.nameplate_w > 0 && want > limit) {
		want = limit;
	}
	want = (want + tc->token_w - 1) / tc->token_w * tc->token_w;
	if (want > WT_WATTS_MAX) {
		want = WT_WATTS_MAX / tc->token_w * tc->token_w;
	}
	return (uint32_t)want;
}

static uint64_t pending_timeout_ns(const struct tier_child *tc)
{
	uint32_t ms = tc->cfg.ttl_ms;

	if (ms < 2 * tc->cfg.budget_ms) {
		ms = 2 * tc->cfg.budget_ms;
	}
	return (uint64_t)clamp_ms(ms, PENDING_TIMEOUT_MIN_MS) * NS_PER_MS;
}

static void fill_demand(struct tier_child *tc, uint64_t now_ns, uint32_t want,
			struct tier_child_out *out)
{
	struct wt_demand *d = &out->msg.demand;

	memset(out, 0, sizeof(*out));
	out->msg.kind = WT_CHILD_MSG_DEMAND;
	d->seq = record_sent(tc, now_ns);
	d->want_w = want;
	d->predicted_peak_w = tc->predicted_peak_w;
	d->load_class = tc->cfg.load_class;
	d->budget_ms = tc->cfg.budget_ms;
	d->ttl_ms = tc->cfg.ttl_ms;
	tc->pending_seq = d->seq;
	tc->pending_sent_ns = now_ns;
	tc->stats.requests++;
}

int tier_child_poll(struct tier_child *tc, uint64_t now_ns, struct tier_child_out *out)
{
	uint32_t want, held;

	if (tc->lease_w > 0 && tc->lease_until_ns <= now_ns) {
		tc->stats.expiries++;
		tc->lease_w = 0;
		tc->lease_until_ns = 0;
		tc->lease_id = 0;
	}
	if (tc->throttle_until_ns != 0 && tc->throttle_until_ns <= now_ns) {
		/* Over: forget it, so that tier_child_next_ns() stops reporting it. */
		tc->throttle_pct = 0;
		tc->throttle_until_ns = 0;
	}
	if (!tc->session_up || !tc->welcomed) {
		return 0;
	}
	if (tc->pending_seq != 0) {
		if (now_ns - tc->pending_sent_ns < pending_timeout_ns(tc)) {
			return 0;
		}
		/* The answer is lost; its grant, if it ever comes, is refused as unknown. */
		forget_sent(tc, tc->pending_seq);
		tc->pending_seq = 0;
	}
	want = want_tokens(tc);
	held = tier_child_lease_w(tc, now_ns);
	if (held > 0 && tc->lease_id == 0 &&
	    (uint64_t)want + (held / 4 > tc->token_w ? held / 4 : tc->token_w) <= held) {
		/* A lease of an earlier session cannot be released (the parent counts it until it
		 * ends whatever we say): just use less of it. */
		tc->lease_w = want;
		if (want == 0) {
			tc->lease_until_ns = 0;
		}
		held = want;
	}
	if (held > 0 && !tc->cfg.never_release &&
	    (uint64_t)want + (held / 4 > tc->token_w ? held / 4 : tc->token_w) <= held) {
		/* Give back early: lower the cap first, then tell the parent. */
		memset(out, 0, sizeof(*out));
		out->msg.kind = WT_CHILD_MSG_RELEASE;
		out->msg.release.seq = record_sent(tc, now_ns);
		out->msg.release.lease_id = tc->lease_id;
		out->msg.release.keep_w = want;
		forget_sent(tc, out->msg.release.seq); /* a Release gets no grant */
		promise(tc, want);
		tc->lease_w = want;
		if (want == 0) {
			tc->lease_until_ns = 0;
			tc->lease_id = 0;
		}
		tc->stats.releases++;
		return 1;
	}
	if (want > held && now_ns >= tc->retry_at_ns) {
		fill_demand(tc, now_ns, want, out);
		return 1;
	}
	if (held > 0 && now_ns >= tc->renew_at_ns) {
		if (want == held && tc->lease_id != 0) {
			memset(out, 0, sizeof(*out));
			out->msg.kind = WT_CHILD_MSG_RENEW;
			out->msg.renew.seq = record_sent(tc, now_ns);
			out->msg.renew.lease_id = tc->lease_id;
			out->msg.renew.budget_ms = tc->cfg.budget_ms;
			tc->pending_seq = out->msg.renew.seq;
			tc->pending_sent_ns = now_ns;
			tc->stats.requests++;
			return 1;
		}
		fill_demand(tc, now_ns, want < held ? want : held, out);
		return 1;
	}
	return 0;
}

/* Mirrors tier_child_poll(): after a poll that sent nothing, every time returned here is in the
 * future (a timer armed on it never spins). */
uint64_t tier_child_next_ns(const struct tier_child *tc)
{
	uint64_t next = UINT64_MAX;
	uint32_t held = tc->lease_w > 0 ? tc->lease_w : 0;

	if (held > 0 && tc->lease_until_ns < next) {
		next = tc->lease_until_ns;
	}
	if (tc->throttle_until_ns != 0 && tc->throttle_until_ns < next) {
		next = tc->throttle_until_ns;
	}
	if (!tc->session_up || !tc->welcomed) {
		/* Nothing is sent without a welcomed session; session_up/on_msg change that. */
		return next;
	}
	if (tc->pending_seq != 0) {
		uint64_t t = tc->pending_sent_ns + pending_timeout_ns(tc);

		return t < next ? t : next;
	}
	if (held > 0 && tc->renew_at_ns < next) {
		next = tc->renew_at_ns;
	}
	if (want_tokens(tc) > held && tc->retry_at_ns < next) {
		next = tc->retry_at_ns;
	}
	return next;
}
