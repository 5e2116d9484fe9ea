/* SPDX-License-Identifier: Apache-2.0 */
/* Wiring of the pure tier state machines to the world: a parent link serves the Lease service
 * (Session stream + Status) around a tier_parent, a child link keeps the one stream to the
 * parent around a tier_child, with timers for renewals, expiry and housekeeping. Time is the
 * loop's monotonic clock (uv_hrtime). Everything here runs on the loop thread.
 *
 * Safety does not depend on these timers: a lease's validity is a deadline the owner checks
 * against the clock whenever it enforces a cap (tier_clink_cap_w()), so a late timer only
 * delays a renewal, never extends a lease. */
#ifndef TIER_LINK_H
#define TIER_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "tier_child.h"
#include "tier_parent.h"
#include "wt/rpc.h"

#define TIER_LEASE_SESSION_METHOD "/wattlease.v1.Lease/Session"
#define TIER_LEASE_STATUS_METHOD  "/wattlease.v1.Lease/Status"

/* Monotonic now in ns, as every link and daemon uses it. */
uint64_t tier_now_ns(void);

/* ---- parent link ------------------------------------------------------------------------- */

struct tier_plink;

/* Called after every housekeeping tick (the daemon's own periodic work: breaker checks,
 * upstream want). */
typedef void tier_plink_tick_cb(void *arg, uint64_t now_ns);
/* Lets the daemon add its own fields (cap, measured power, counters) to a Status answer. */
typedef void tier_plink_status_cb(void *arg, struct wt_status *st, uint64_t now_ns);

struct tier_plink_cfg {
	uv_loop_t *loop;
	struct wt_rpc_server *srv;     /* not started yet: the link registers its methods on it */
	struct tier_parent_cfg parent; /* emit/close/arg are set by the link */
	uint32_t tick_ms;	       /* housekeeping period (>= 1) */
	tier_plink_tick_cb *on_tick;
	tier_plink_status_cb *on_status;
	void *arg;
};

/* Create the tier_parent and register Session and Status on @cfg->srv. Returns 0, or what
 * tier_parent_new() / wt_rpc_server_add_*() returned. */
int tier_plink_new(struct tier_plink **out, const struct tier_plink_cfg *cfg);

/* Start the housekeeping timer. */
void tier_plink_start(struct tier_plink *pl);

/* Stop timers and close handles; @pl is freed when its handles are closed (the loop must run).
 * Sessions still open are closed by wt_rpc_close() on the runtime. */
void tier_plink_close(struct tier_plink *pl);

struct tier_parent *tier_plink_parent(struct tier_plink *pl);

/* Messages that could not be decoded (answered with an Error). */
uint64_t tier_plink_bad_messages(const struct tier_plink *pl);

/* ---- child link -------------------------------------------------------------------------- */

struct tier_clink;

/* The lease or the session changed (grant, expiry, revoke, throttle, session up/down). */
typedef void tier_clink_change_cb(void *arg, uint64_t now_ns);

/* Sees each message from the parent before the state machine. Return 1 to hold it (the owner
 * passes it on later with tier_clink_deliver()), 0 to let it through now. A rack holds Revokes:
 * it may acknowledge one only after its own children fit under the smaller lease. */
typedef int tier_clink_filter_cb(void *arg, const struct wt_parent_msg *msg, uint64_t now_ns);

struct tier_clink_cfg {
	uv_loop_t *loop;
	struct wt_rpc *rt;
	struct wt_rpc_channel_cfg channel; /* target, TLS, timeouts */
	struct tier_child_cfg child;
	uint32_t hung_ms; /* restart the stream when a request waits longer (0: 4 x ttl) */
	tier_clink_change_cb *on_change;
	tier_clink_filter_cb *filter; /* may be NULL */
	void *arg;
};

int tier_clink_new(struct tier_clink **out, const struct tier_clink_cfg *cfg);

/* Open the stream (it reconnects by itself with backoff). */
int tier_clink_start(struct tier_clink *cl);

/* Stop the stream and timers; @cl is freed once closed (the loop must run). */
void tier_clink_close(struct tier_clink *cl);

/* Update what the load wants above its floor; sends a request at once when needed. */
void tier_clink_set_want(struct tier_clink *cl, uint32_t want_w, uint32_t predicted_peak_w);

/* Pass a message the filter held to the state machine now (and send its answer). */
void tier_clink_deliver(struct tier_clink *cl, const struct wt_parent_msg *msg);

/* Send a power report (best effort: dropped while disconnected). */
void tier_clink_report(struct tier_clink *cl, const struct wt_report *r);

/* Cap in force at @now_ns: floor + valid lease - throttle. */
uint32_t tier_clink_cap_w(const struct tier_clink *cl, uint64_t now_ns);

const struct tier_child *tier_clink_child(const struct tier_clink *cl);

bool tier_clink_connected(const struct tier_clink *cl);

/* Restarts of the stream (reconnects), for metrics. */
uint64_t tier_clink_reconnects(const struct tier_clink *cl);

#endif
