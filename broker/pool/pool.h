/* SPDX-License-Identifier: Apache-2.0 */
/* Token pool: the parent side of one tier (DESIGN.md sections 3-5). A pool owns a capacity and
 * leases the headroom above its children's static floors, in whole tokens, for bounded times.
 * Pure logic: no libuv, gRPC, protobuf, clock reads or I/O. Time is always an argument `now_ns`
 * (monotonic ns); a `now_ns` smaller than one already seen is treated as the latest seen, since
 * going back in time could only shorten what the pool counts outstanding.
 *
 * Safety rule kept at every instant t >= now (the invariant, checked by pool_invariant_ok()):
 *     sum(child floors) + sum over children of outstanding(t) <= capacity(t)
 * capacity(t) = base_w + max{watts of upstream records with expires_ns > t}; outstanding(t) of a
 * child = max watts of its grant records with expires_ns > t (parent view: grant time + ttl +
 * skew margin). Both sides only decrease with time. Boundary convention, used everywhere: a
 * record (grant, demand, upstream lease, lease) with expires_ns <= now is expired; one with
 * expires_ns == now + 1 still counts. Quarantine ends at start_ns + quarantine_ms exactly: a
 * request at that instant may be granted.
 *
 * Lease protocol contract the tier must keep (why reductions are safe):
 * - Demand/Renew create grant records; a grant that shrinks a lease leaves the older, larger
 *   record outstanding until it expires, since the child may not have received the shrink.
 * - Release(seq, keep_w) is sent by the child only after it lowered its cap to keep_w, and the
 *   child clamps any grant that answers a request with a smaller seq (still in flight) to
 *   keep_w. So every record existing when the Release arrives may be cut to keep_w at once.
 * - Revoke and Grant travel on one ordered stream. A RevokeAck(now_w) therefore covers exactly
 *   the records that existed when the Revoke was issued (the child had received them before
 *   the Revoke); only those are cut to now_w. Records granted after the Revoke stay.
 * - The child counts a lease from the send time of its request, so it always stops before the
 *   parent stops counting it.
 *
 * Cost: decisions are O(log N + log T) (N children, T = child_max_w / token_w): a running sum of
 * outstanding watts, a binary min-heap of each child's next expiry, and Fenwick trees of demands
 * for water-filling. pool_advance() is O(k log N) for k expiring children. pool_rebalance() and
 * pool_invariant_ok() are O(N). Memory: pool_child_bytes() per child (152 + 4 bytes of heap
 * index on LP64, less than 200), array growth by doubling (pre-size with children_hint), plus
 * 48 x (T + 1) bytes of water-filling trees per pool.
 *
 * Not thread-safe: use one pool from one thread (the tier's loop). */
#ifndef POOL_POOL_H
#define POOL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "damper.h"
#include "waterfill.h"

/* quarantine_ms value meaning "ttl_max_ms + skew_margin_ms" (the safe minimum). */
#define POOL_QUARANTINE_DEFAULT UINT32_MAX
/* child_max_w == 0 means POOL_DEFAULT_MAX_TOKENS tokens. */
#define POOL_DEFAULT_MAX_TOKENS 4096u
#define POOL_MAX_CHILDREN	(1u << 22)
/* Upstream lease records kept (see pool_upstream_set()). */
#define POOL_UPSTREAM_MAX 4
/* Grant records kept per child. */
#define POOL_CHILD_RECS 2
#define POOL_TTL_MAX_MS (3600u * 1000u)
/* pool_child_ceiling_set() value meaning "no per-child ceiling". */
#define POOL_CEILING_NONE UINT32_MAX

struct pool;

struct pool_cfg {
	uint32_t base_w;      /* own capacity without upstream: a rack's own floor, the site
			       * budget at the top tier */
	uint32_t token_w;     /* children's token (100 for agents, 1000 for racks), >= 1 */
	uint32_t child_max_w; /* ceiling for want_w (rounded down to tokens); 0: default */
	uint32_t ttl_min_ms;  /* 1 <= ttl_min_ms <= ttl_max_ms <= POOL_TTL_MAX_MS */
	uint32_t ttl_max_ms;
	uint32_t skew_margin_ms; /* <= POOL_TTL_MAX_MS */
	uint32_t quarantine_ms;	 /* POOL_QUARANTINE_DEFAULT or any value; shorter than
				  * ttl_max + margin is unsafe after a restart (tests only) */
	uint32_t boot_nonce;	 /* random per process start; high half of lease ids */
	uint32_t children_hint;	 /* expected number of children (pre-sizes arrays), may be 0 */
	bool has_upstream;	 /* false at the top tier: capacity is base_w forever */
	uint64_t start_ns;	 /* pool creation time; quarantine counts from here */
	struct pool_damper_cfg damper;
};

/* Why a decision gave less than asked (or the lease size it kept). */
enum pool_reason {
	POOL_REASON_OK = 0,	  /* granted what was asked */
	POOL_REASON_FAIR_SHARE,	  /* limited by the water-filling target */
	POOL_REASON_NO_HEADROOM,  /* limited by what fits beside other children's records */
	POOL_REASON_UPSTREAM_TTL, /* upstream lease too close to expiry; only base capacity */
	POOL_REASON_QUARANTINE,	  /* restart quarantine: nothing above floors */
	POOL_REASON_DAMPED,	  /* size held by the damper (hysteresis or cooldown) */
	POOL_REASON_RECORDS_FULL, /* would need a third record per child that cannot be merged
				   * safely yet; retry when the old record expires */
	POOL_REASON_CEILING,	  /* limited by the child's ceiling (pool_child_ceiling_set()) */
};

struct pool_decision {
	uint64_t lease_id;	 /* the child's lease after the decision, 0 if none */
	uint32_t granted_w;	 /* new lease size above floor (multiple of token_w); 0: none */
	uint32_t ttl_ms;	 /* validity of this grant (child view), 0 when granted_w is 0 */
	uint32_t retry_after_ms; /* when less than asked: ask again no sooner than this */
	enum pool_reason reason;
	bool damped;	  /* the damper changed the size */
	bool ttl_clipped; /* ttl shortened to end before the upstream lease */
};

/* A revocation chosen by pool_rebalance(): ask child @child_idx to shrink lease @lease_id to
 * @watts now; answer with pool_revoke_ack(@revoke_seq). @reason is POOL_REASON_CEILING when
 * @watts is the child's ceiling (it holds more than the ceiling allows), else
 * POOL_REASON_FAIR_SHARE (the excess serves children of a higher or equal class). */
struct pool_revoke {
	uint32_t child_idx;
	uint32_t watts;
	uint64_t lease_id;
	uint64_t revoke_seq;
	enum pool_reason reason;
};

typedef void pool_revoke_cb(void *arg, const struct pool_revoke *rv);

struct pool_stats {
	uint64_t grants;	     /* decisions with granted_w > 0 (demands and renewals) */
	uint64_t denials;	     /* decisions with granted_w == 0 although want_w > 0 */
	uint64_t quarantine_denials; /* subset of denials answered WT_EQUARANTINE */
	uint64_t expiries;	     /* leases that ran out without renewal */
	uint64_t damped;	     /* decisions changed by the damper */
	uint64_t stale;		     /* requests refused with WT_ESTALE */
	uint64_t revokes;	     /* revocations issued by pool_rebalance() */
	uint64_t revoke_acks;	     /* acknowledgements applied */
	uint64_t releases;	     /* releases applied */
};

/* A tier's view of itself, as of the last operation or pool_advance() (now_ns). */
struct pool_status {
	uint64_t now_ns;
	uint64_t capacity_w;	/* capacity(now_ns) */
	uint64_t grant_level_w; /* capacity new grants are checked against */
	uint64_t floors_w;	/* sum of children's floors */
	uint64_t outstanding_w; /* sum of children's outstanding watts */
	uint64_t headroom_w;	/* capacity - floors - outstanding (0 if negative) */
	uint32_t base_w;
	uint32_t upstream_w;	   /* latest upstream record's watts, 0 if none */
	uint32_t upstream_left_ms; /* time left on it, 0 if none */
	uint32_t quarantine_left_ms;
	uint32_t children;
};

/* One child as its parent sees it, as of the last operation or pool_advance(). */
struct pool_child_status {
	uint64_t id;
	uint64_t last_seq;
	uint64_t lease_id;   /* 0 if no lease */
	uint64_t revoke_seq; /* pending revoke, 0 if none */
	enum pool_class cls;
	uint32_t floor_w;
	uint32_t outstanding_w; /* max of unexpired grant records */
	uint32_t lease_w;	/* current lease size (last grant, revoke or release) */
	uint32_t lease_left_ms; /* until the parent-view expiry, rounded up */
	uint32_t demand_w;	/* recorded demand (multiple of token_w, at most the ceiling), 0 if
				 * none */
	uint32_t target_w;	/* fair share of the demand now */
	uint32_t revoke_w;	/* size asked by the pending revoke */
	uint32_t records;	/* grant records held (<= POOL_CHILD_RECS) */
	uint32_t damped;	/* damped decisions for this child */
	uint32_t ceiling_w;	/* as set, POOL_CEILING_NONE: none (pool_child_ceiling_set()) */
};

/* Fill @cfg with defaults: token 100 W, ttl 10-50 ms, margin 5 ms, default quarantine, upstream
 * present, default damper; base_w, boot_nonce and start_ns are 0 and must be set. */
void pool_cfg_default(struct pool_cfg *cfg);

/* Create a pool from @cfg (copied). Returns 0 and writes *@out, or WT_ECONFIG when a field is
 * out of range (*@out untouched). Free with pool_free(). */
int pool_new(struct pool **out, const struct pool_cfg *cfg);

/* Free @p and everything it owns. NULL is a no-op. */
void pool_free(struct pool *p);

/* Add a child with opaque caller id @id (not checked for uniqueness), static floor @floor_w and
 * initial class @cls. Returns the child index (>= 0, dense from 0), -EINVAL for a bad class,
 * WT_ECONFIG if the sum of floors would exceed base_w, WT_EBUSY if it fits base_w but not
 * beside the grants outstanding now (the floors must fit beside them at all times),
 * WT_E2BIG past POOL_MAX_CHILDREN. State is unchanged on error. */
int pool_child_add(struct pool *p, uint64_t id, uint32_t floor_w, enum pool_class cls);

uint32_t pool_child_count(const struct pool *p);

/* The most child @idx may hold in grants above its floor: @ceiling_w, rounded down to whole
 * tokens (below one token: nothing above the floor); POOL_CEILING_NONE (the default) for no
 * ceiling beyond child_max_w. Takes effect at once on the recorded demand (cut to the ceiling,
 * so fair shares and revocations see the cut) and on every later decision (never more than the
 * ceiling, reason POOL_REASON_CEILING when it binds). A grant already above it is revoked down
 * to it by the next pool_rebalance() (reason POOL_REASON_CEILING); until then the child keeps
 * it, and a renewal meanwhile is cut to the ceiling. Raising it changes nothing until the child
 * asks again. Only ever lowers grants: the safety rule is unaffected. Does not read or advance
 * time. Returns 0, or -EINVAL for an unknown @idx (no state change). */
int pool_child_ceiling_set(struct pool *p, uint32_t idx, uint32_t ceiling_w);

/* Child @idx's ceiling as set (POOL_CEILING_NONE by default), or POOL_CEILING_NONE for an
 * unknown @idx. */
uint32_t pool_child_ceiling(const struct pool *p, uint32_t idx);

/* Record a lease this tier holds from its own parent: @watts above base_w until @expires_ns
 * (child view, i.e. already conservative). Expired records are pruned; a record dominated by
 * another in both watts and expiry adds nothing and is dropped. Returns 0 (also when the new
 * record is itself dominated), -EINVAL without upstream, WT_ESTALE if @expires_ns is not after
 * the pool's now, WT_EBUSY when POOL_UPSTREAM_MAX non-dominated records are live (the record
 * is not kept: under-estimating capacity is safe; retry after the next expiry). */
int pool_upstream_set(struct pool *p, uint32_t watts, uint64_t expires_ns);

/* The tier promises its parent to use at most @watts of upstream from now on (acknowledging an
 * upstream Revoke): every upstream record is cut to @watts. Only allowed when the children's
 * outstanding already fits: floors + outstanding <= base_w + @watts. Returns 0, -EINVAL without
 * upstream, or WT_EBUSY (no change: revoke children first, then retry). */
int pool_upstream_lower(struct pool *p, uint32_t watts);

/* Replace the damper settings (SIGHUP reload). Per-child damper history is kept. Returns 0 or
 * WT_ECONFIG (out of range, nothing changed). */
int pool_damper_set(struct pool *p, const struct pool_damper_cfg *cfg);

/* Expire grant records, demands, leases and upstream records due at @now_ns (expires <= now).
 * Every other call that takes now_ns does this first. */
void pool_advance(struct pool *p, uint64_t now_ns);

/* Child @idx asks for a lease of @want_w in total above its floor (absolute, not a delta), in
 * class @cls, for @ttl_ms (clipped to [ttl_min, ttl_max]; 0 means ttl_max). Request seq @seq
 * must exceed the child's last seq (seq 0 is never valid). The demand, cut to the child's
 * ceiling, is recorded until its ttl (+ margin) ends or it is replaced, for fair shares and
 * revocations.
 * Returns 0 with the decision in *@out (granted_w may be 0, see reason); WT_EQUARANTINE with
 * *@out filled (granted 0, retry_after_ms = quarantine left, demand recorded, seq used);
 * WT_ENOTFOUND (unknown child), WT_ESTALE (seq not increasing, counted in stats.stale),
 * -EINVAL (bad class), WT_E2BIG (more whole tokens than child_max_w): on these no state changes
 * and *@out is untouched. granted_w = min(want, ceiling, fair-share target, what fits now) in
 * whole tokens, then damped against the current lease size (0 without a live lease; the damper
 * may keep a size above want, never above what fits or the ceiling). It replaces the child's
 * lease size; 0 ends the lease (its records stay outstanding until they expire). */
int pool_demand(struct pool *p, uint32_t idx, uint64_t seq, uint32_t want_w, enum pool_class cls,
		uint32_t ttl_ms, uint64_t now_ns, struct pool_decision *out);

/* Renew lease @lease_id of child @idx: a Demand of the current lease size with the child's last
 * class and ttl (a renewal may shrink, to the fair share or to what fits). Returns as
 * pool_demand(); WT_ENOTFOUND also when @lease_id is not the child's live lease. */
int pool_renew(struct pool *p, uint32_t idx, uint64_t seq, uint64_t lease_id, uint64_t now_ns,
	       struct pool_decision *out);

/* Child @idx shrinks lease @lease_id to @keep_w (rounded up to tokens: never count less than
 * the child enforces; 0 ends the lease). Every grant record of the child's current session is
 * cut to keep_w at once (see the contract above; records from before pool_child_reset() stay)
 * and the demand becomes keep_w. Returns 0, WT_ENOTFOUND (child or live lease unknown), WT_ESTALE
 * (seq), -EINVAL (keep_w above the lease size); no state change on error. */
int pool_release(struct pool *p, uint32_t idx, uint64_t seq, uint64_t lease_id, uint32_t keep_w,
		 uint64_t now_ns);

/* Child @idx acknowledges revoke @revoke_seq of lease @lease_id: it enforces @now_w now.
 * Records that existed when the revoke was issued are cut to @now_w (rounded up to tokens); the
 * lease size becomes at most that (0 ends it). An ack above the revoked size is accepted and
 * cuts less. Returns 0, WT_ENOTFOUND (child or live lease unknown), WT_ESTALE
 * (not the pending revoke: superseded or already acknowledged; counted in stats.stale); no
 * other state change on error. */
int pool_revoke_ack(struct pool *p, uint32_t idx, uint64_t revoke_seq, uint64_t lease_id,
		    uint32_t now_w, uint64_t now_ns);

/* Choose revocations at @now_ns: a child whose outstanding exceeds its fair-share target is
 * asked to shrink to the target while children of a higher or equal class have unmet demand
 * (target above their lease) that the excess would serve; lowest classes are asked first.
 * Then a child whose outstanding exceeds its ceiling (rounded down to tokens) is asked to
 * shrink to the ceiling, whatever the others want (outside quarantine, with a live lease).
 * A child already asked for <= its target (or ceiling) is not asked again; a child is asked
 * at most once per call. Calls @cb (may be NULL) once per revocation, inside this call; @cb
 * must not call back into @p. Revoked watts stay outstanding until acknowledged or expired;
 * the lease size drops to the revoked size at once (a renewal cannot restore it). Returns the
 * number of revocations. O(N). */
int pool_rebalance(struct pool *p, uint64_t now_ns, pool_revoke_cb *cb, void *arg);

/* Child @idx started a new session (restart or reconnect): its grant records stay outstanding
 * until they expire (the old process may still enforce them), the seq restarts, the lease,
 * demand, pending revoke and damper history are forgotten. Returns 0 or WT_ENOTFOUND. */
int pool_child_reset(struct pool *p, uint32_t idx, uint64_t now_ns);

/* Recompute everything from scratch at @now_ns (O(N + T log T), allocates a scratch buffer):
 * the safety rule above at now and at every upstream expiry after now (the only instants where
 * capacity drops, so this covers every future instant and implies that each record expires
 * before the upstream record that carries it, unless base capacity carries it), plus the
 * consistency of sums, heap, trees and per-child bookkeeping. Logs the first violation.
 * For tests and the deterministic simulation. */
bool pool_invariant_ok(const struct pool *p, uint64_t now_ns);

/* Capacity at instant @t_ns (>= the pool's now) from the upstream records held. */
uint64_t pool_capacity_w(const struct pool *p, uint64_t t_ns);

/* Milliseconds of quarantine left at @now_ns (rounded up), 0 once over. */
uint32_t pool_quarantine_left_ms(const struct pool *p, uint64_t now_ns);

void pool_stats_get(const struct pool *p, struct pool_stats *out);

void pool_status_get(const struct pool *p, struct pool_status *out);

/* Returns 0 with *@out filled, or WT_ENOTFOUND. */
int pool_child_status(const struct pool *p, uint32_t idx, struct pool_child_status *out);

/* Short machine-readable reason for Grant.reason ("ok", "fair_share", ...). */
const char *pool_reason_str(enum pool_reason reason);

/* Bytes of pool state per child (the child record plus its heap slot). */
size_t pool_child_bytes(void);

#endif
