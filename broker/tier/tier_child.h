/* SPDX-License-Identifier: Apache-2.0 */
/* The child side of a lease session, as a pure state machine: what an agent (or a rack, towards
 * the cluster) holds, what it may draw, and what it must send. No I/O, no clock reads: time is an
 * argument (monotonic ns) and messages go in and out as domain structs (wt/lease_msg.h). The
 * daemons wrap it with a stream and timers (tier_link.h); the deterministic simulation drives it
 * directly.
 *
 * Safety, on the child's side of the invariant:
 * - The cap is floor + lease watts while the lease is valid, floor otherwise. Validity is counted
 *   from the moment the child *sent* the request that produced the grant, so the child always
 *   stops using a lease before its parent stops counting it (the parent counts from its own,
 *   later, grant time plus a skew margin).
 * - The floor is the smaller of the locally configured floor and the parent's (Welcome).
 * - A grant that answers an unknown, duplicated or already-superseded request is ignored.
 * - Release: the cap is lowered *before* the Release is sent, and grants answering requests sent
 *   before it are clamped to the kept size (the parent may cut its records at once).
 * - Revoke: the cap is lowered before the RevokeAck is sent, and (as for a Release) grants
 *   answering requests sent before it are clamped to the acknowledged size.
 * Not thread-safe: one loop owns it. */
#ifndef TIER_CHILD_H
#define TIER_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "wt/lease_msg.h"

/* Requests whose send time is remembered; an answer to an older one is treated as stale. */
#define TIER_CHILD_INFLIGHT 32

struct tier_child_cfg {
	char id[WT_HOLDER_ID_MAX + 1];
	enum wt_tier tier;
	enum wt_load_class load_class;
	uint32_t floor_w;	/* local static floor (used until Welcome; min with the parent's) */
	uint32_t nameplate_w;	/* installed maximum behind this child */
	uint32_t ttl_ms;	/* lease length asked for (the parent clips it) */
	uint32_t renew_pct;	/* renew at this % of the ttl (1-90; default 50) */
	uint32_t budget_ms;	/* deadline budget put on each request */
	uint32_t grow_retry_ms; /* after a refused grow, ask again no sooner (0: use retry_after) */
	/* Never send Release; shrink only through renewals. A tier that re-grants its lease (a
	 * rack) must: a Release lets the parent cut its records at once, while the tier's own
	 * children may still hold grants made against the larger lease. A shrinking renewal is
	 * safe: the parent counts the larger record until it expires. */
	bool never_release;
	uint64_t boot_id;
	const char *software_version;
};

/* A message the child must send now. */
struct tier_child_out {
	struct wt_child_msg msg;
};

struct tier_child_stats {
	uint64_t grants;    /* grants applied */
	uint64_t stale;	    /* grants ignored as unknown/duplicate/superseded/expired */
	uint64_t expiries;  /* leases that lapsed without renewal */
	uint64_t revokes;   /* revokes applied */
	uint64_t throttles; /* throttles applied */
	uint64_t requests;  /* demands and renewals sent */
	uint64_t releases;  /* releases sent */
	uint64_t errors;    /* Error messages received */
	uint64_t sessions;  /* sessions started */
};

struct tier_child {
	/* private: use the API */
	struct tier_child_cfg cfg;
	bool session_up;
	bool welcomed;
	uint32_t floor_w;
	uint32_t token_w;
	uint32_t ttl_min_ms, ttl_max_ms;
	uint64_t parent_boot_id;
	uint64_t next_seq;

	struct {
		uint64_t seq;
		uint64_t sent_ns;
	} sent[TIER_CHILD_INFLIGHT];

	uint32_t sent_next;
	uint64_t release_seq; /* grants answering seq < release_seq are clamped to release_w
			       * (set by a Release or a RevokeAck: a promise to the parent) */
	uint32_t release_w;
	uint64_t lease_id;
	uint32_t lease_w;
	uint64_t lease_until_ns; /* child view: send time + ttl; 0 when no lease */
	uint64_t lease_seq;	 /* request the lease answers */
	uint64_t renew_at_ns;
	uint64_t pending_seq; /* last request sent and not yet answered, 0 if none */
	uint64_t pending_sent_ns;
	uint64_t retry_at_ns; /* no new grow request before this */
	uint32_t want_w;      /* wanted above floor (token multiple) */
	uint32_t predicted_peak_w;
	uint32_t throttle_pct;
	uint64_t throttle_until_ns;
	struct tier_child_stats stats;
};

/* Initialise from @cfg (copied). Returns 0 or -EINVAL (empty id, ttl 0, renew_pct > 90). */
int tier_child_init(struct tier_child *tc, const struct tier_child_cfg *cfg);

/* A stream to the parent opened: fills @out with the Hello to send first. The lease held so far
 * stays valid until it expires (the parent counts it too), but the parent forgets its id with
 * the new session: it is renewed with a Demand, and shrinking it only lowers the cap. */
void tier_child_session_up(struct tier_child *tc, uint64_t now_ns, struct tier_child_out *out);

/* The stream ended. Requests in flight will never be answered. */
void tier_child_session_down(struct tier_child *tc, uint64_t now_ns);

/* Set what the load wants above its floor (rounded up to the token once known) and its predicted
 * peak (total W). Takes effect at the next tier_child_poll(). */
void tier_child_set_want(struct tier_child *tc, uint32_t want_w, uint32_t predicted_peak_w);

/* Apply a message from the parent. May fill @out with an answer (RevokeAck); returns 1 when
 * @out was filled, 0 when not, WT_ESTALE for an ignored grant, WT_EBADMSG for a message that
 * makes no sense here (logged by the caller). */
int tier_child_on_msg(struct tier_child *tc, const struct wt_parent_msg *msg, uint64_t now_ns,
		      struct tier_child_out *out);

/* Housekeeping at @now_ns: expire the lease, and decide whether to send a Demand (grow, shrink
 * or renew) or a Release. Returns 1 and fills @out when a message must be sent, else 0. Call it
 * after every event and when tier_child_next_ns() is due. */
int tier_child_poll(struct tier_child *tc, uint64_t now_ns, struct tier_child_out *out);

/* The earliest time tier_child_poll() has something to do (renewal, expiry, retry), or
 * UINT64_MAX. */
uint64_t tier_child_next_ns(const struct tier_child *tc);

/* Watts this child may draw now: floor + valid lease, less an active throttle. */
uint32_t tier_child_cap_w(const struct tier_child *tc, uint64_t now_ns);

/* Lease above the floor valid at @now_ns (0 if none) and when it ends (child view). */
uint32_t tier_child_lease_w(const struct tier_child *tc, uint64_t now_ns);

uint64_t tier_child_lease_until_ns(const struct tier_child *tc);

uint32_t tier_child_floor_w(const struct tier_child *tc);

/* Age of the oldest unanswered request (ns), 0 if none: a parent that stops answering (hung,
 * not dead) shows here, and the link restarts the stream past a limit. */
uint64_t tier_child_pending_age_ns(const struct tier_child *tc, uint64_t now_ns);

const struct tier_child_stats *tier_child_stats(const struct tier_child *tc);

#endif
