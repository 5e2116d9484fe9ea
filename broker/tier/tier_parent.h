/* SPDX-License-Identifier: Apache-2.0 */
/* The parent side of a tier, as a pure state machine: sessions of configured children, their
 * requests decided by the token pool (broker/pool), answers and revocations handed back through
 * a callback. No I/O, no clock reads; the daemons wrap it with gRPC streams and timers
 * (tier_link.h) and the deterministic simulation drives it directly.
 *
 * Rules it enforces on top of the pool:
 * - A session speaks for exactly one configured child, named by its Hello; with identities
 *   required (mTLS), the Hello must name the certificate's identity. Anything else is refused
 *   with an Error and the session is closed; no pool state changes.
 * - One live session per child: a new Hello for a child takes over (the old session is told
 *   and closed, the child's records stay outstanding until they expire: pool_child_reset()).
 * - Requests before Hello, malformed values, stale sequence numbers and unknown lease ids are
 *   answered with an Error and change nothing.
 * - Escalation: a Demand that local headroom cannot serve, on a tier with an upstream, is parked
 *   while the deadline budget allows asking upstream; it is answered when the upstream lease
 *   grows (tier_parent_upstream()) or, at the latest, when its budget runs out, from local
 *   headroom (counted as a deadline miss). It waits at most half the ttl it asked for: the
 *   child counts the lease from its send time, so a later answer would be of little use.
 * Not thread-safe: one loop owns it. */
#ifndef TIER_PARENT_H
#define TIER_PARENT_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"
#include "wt/lease_msg.h"

struct tier_parent;
struct tier_psess;

struct tier_parent_child {
	char id[WT_HOLDER_ID_MAX + 1];
	uint32_t floor_w;
	enum wt_load_class load_class;
	/* Tier the child must say it is in Hello; WT_TIER_UNSPECIFIED (0): the tier below the
	 * parent's. The orchestrator sets WT_TIER_AGENT for a miner agent it leases directly. */
	enum wt_tier tier;
};

/* Send @msg on the stream behind @link (the caller's session handle). Must not call back. */
typedef void tier_parent_emit_cb(void *arg, void *link, const struct wt_parent_msg *msg);
/* Finish the stream behind @link (after the messages already emitted). Must not call back. */
typedef void tier_parent_close_cb(void *arg, void *link, const char *reason);

struct tier_parent_cfg {
	char id[WT_HOLDER_ID_MAX + 1];
	enum wt_tier tier;
	struct pool_cfg pool; /* base_w, token_w, ttls, margin, damper, upstream, nonce, start */
	const struct tier_parent_child *children; /* copied */
	uint32_t n_children;
	bool require_identity;	     /* Hello.holder_id must equal the session identity */
	uint32_t own_budget_ms;	     /* this tier's decision budget */
	uint32_t upstream_budget_ms; /* what asking upstream costs (its budget) */
	uint64_t boot_id;
	tier_parent_emit_cb *emit;
	tier_parent_close_cb *close;
	void *arg;
};

/* Create from @cfg. Returns 0, -EINVAL (duplicate or empty child id, no callbacks), or
 * WT_ECONFIG (pool config out of range, children's floors above base_w). */
int tier_parent_new(struct tier_parent **out, const struct tier_parent_cfg *cfg);

void tier_parent_free(struct tier_parent *tp);

/* A stream opened with verified @identity ("" when none). Returns the session (owned by @tp
 * until tier_parent_session_close()). */
struct tier_psess *tier_parent_session_open(struct tier_parent *tp, void *link,
					    const char *identity, uint64_t now_ns);

/* The stream behind @s ended; @s is freed. */
void tier_parent_session_close(struct tier_parent *tp, struct tier_psess *s, uint64_t now_ns);

/* A decoded message arrived on @s. */
void tier_parent_on_msg(struct tier_parent *tp, struct tier_psess *s,
			const struct wt_child_msg *msg, uint64_t now_ns);

/* Housekeeping: expire, answer parked requests whose budget ran out, rebalance (revokes).
 * Call at least every ttl_min/2 and when tier_parent_next_ns() is due. */
void tier_parent_tick(struct tier_parent *tp, uint64_t now_ns);

/* Earliest time tier_parent_tick() must run (parked deadlines), or UINT64_MAX. */
uint64_t tier_parent_next_ns(const struct tier_parent *tp);

/* The tier's own upstream lease changed: @watts above base until @until_ns (child view, from
 * tier_child). Parked requests are retried. */
void tier_parent_upstream(struct tier_parent *tp, uint32_t watts, uint64_t until_ns,
			  uint64_t now_ns);

/* The tier's parent revoked down to @watts: returns 0 when the children already fit (the
 * upstream records are cut to @watts; the caller may acknowledge now), WT_EBUSY when they do
 * not: nothing is granted beyond what they hold meanwhile, revokes go out where fair shares
 * allow, and the caller retries (e.g. after every event) until 0, then acknowledges. */
int tier_parent_upstream_lower(struct tier_parent *tp, uint32_t watts, uint64_t now_ns);

/* What this tier should ask upstream for, above its own base: floors + recorded demands +
 * parked demands - base_w, never negative. Recomputed by tier_parent_tick() and raised at once
 * when a request is parked; never below floors + outstanding - base_w at the last operation,
 * so a Release down to it (with tier_parent_upstream_lower()) always fits the children. */
uint32_t tier_parent_upstream_want(const struct tier_parent *tp);

/* Sum of the children's last reported average power (W). */
uint64_t tier_parent_measured_w(const struct tier_parent *tp);

/* Broadcast a Throttle to every connected child. Returns how many were sent. */
uint32_t tier_parent_throttle_all(struct tier_parent *tp, uint32_t cut_pct, uint32_t hold_ms,
				  const char *reason);

struct tier_parent_stats {
	uint64_t sessions;	  /* sessions opened */
	uint64_t refused;	  /* sessions refused (unknown id, identity mismatch) */
	uint64_t protocol_errors; /* Error messages sent */
	uint64_t deadline_misses; /* parked requests answered from local headroom */
	uint64_t escalations;	  /* requests parked for upstream */
	uint64_t revokes_sent;
	uint64_t throttles_sent;
};

const struct tier_parent_stats *tier_parent_stats(const struct tier_parent *tp);

/* The underlying pool, for status and invariant checks (borrowed, read-only use). */
const struct pool *tier_parent_pool(const struct tier_parent *tp);

/* Fill @st (and, when @with_children, a new array st->children owned by @st: release with
 * wt_status_deinit()) with this tier's state at @now_ns. */
void tier_parent_status(struct tier_parent *tp, uint64_t now_ns, bool with_children,
			struct wt_status *st);

/* Replace the damper settings of the pool (SIGHUP reload). Returns 0 or WT_ECONFIG. */
int tier_parent_set_damper(struct tier_parent *tp, const struct pool_damper_cfg *cfg);

/* Set the most child @idx may hold above its floor to @ceiling_w (rounded down to tokens;
 * POOL_CEILING_NONE: no ceiling, the default; see pool_child_ceiling_set()) and rebalance at
 * @now_ns at once: if the child holds more, a Revoke down to the ceiling (reason "ceiling") goes
 * to it now when connected (otherwise its records run out on their own), and later requests
 * are granted at most the ceiling. Raising it changes nothing until the child asks again.
 * Returns 0, or -EINVAL for an unknown @idx (nothing changed, nothing sent). */
int tier_parent_set_ceiling(struct tier_parent *tp, uint32_t idx, uint32_t ceiling_w,
			    uint64_t now_ns);

/* Child index for @id, or -1. */
int tier_parent_child_index(const struct tier_parent *tp, const char *id);

/* Is child @idx connected (a session has said Hello for it)? */
bool tier_parent_child_connected(const struct tier_parent *tp, uint32_t idx);

/* Child @idx's last reported mean draw, W (0 when it is not connected or unknown). */
uint32_t tier_parent_child_measured_w(const struct tier_parent *tp, uint32_t idx);

#endif
