/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the lease simulation shared by sim_world.c (processes, streams, events) and
 * sim_check.c (the invariant and the children's lease ledgers). Test code only. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "tier_child.h"
#include "tier_parent.h"
#include "wt/lease_msg.h"

#define NS_PER_MS 1000000ull
#define NS_PER_US 1000ull
#define NEVER	  UINT64_MAX

#define SIM_MAX_RACKS  3
#define SIM_MAX_AGENTS 4 /* per rack */
#define SIM_MAX_KIDS   (SIM_MAX_AGENTS > SIM_MAX_RACKS ? SIM_MAX_AGENTS : SIM_MAX_RACKS)
#define SIM_MAX_NODES  (1 + SIM_MAX_RACKS * (1 + SIM_MAX_AGENTS))
#define SIM_MAX_SESS   96
#define SIM_QCAP       32
#define SIM_LEDGER     24
#define SIM_GHOSTS     4
#define SIM_SENT       64
#define SIM_TRACE      64
#define SIM_WATCH      64
/* SIM_BUG_CHILD_LATE: how long past its end a buggy agent keeps using a lease. */
#define SIM_LATE_NS (10 * NS_PER_MS)

/* splitmix64: small, fast, and good enough to drive a schedule. */
struct sim_rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct sim_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (hi >= lo). */
static inline uint64_t rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_next(r) % (hi - lo + 1);
}

static inline bool rng_permille(struct sim_rng *r, uint32_t pm)
{
	return rng_next(r) % 1000 < pm;
}

enum sim_kind {
	KIND_CLUSTER,
	KIND_RACK,
	KIND_AGENT,
};

struct sim_msg {
	uint64_t at_ns;

	union {
		struct wt_child_msg c;
		struct wt_parent_msg p;
	} u;
};

/* Messages in flight in one direction of one stream. Kept in send order; in FIFO (realistic)
 * mode delivery times never decrease, in adversarial mode they are independent. */
struct sim_queue {
	uint32_t n;
	uint64_t last_at;
	struct sim_msg m[SIM_QCAP];
};

/* One gRPC stream between a child incarnation and a parent incarnation. */
struct sim_sess {
	bool used;
	uint32_t serial; /* unique in a schedule, > 0 */
	uint32_t child, parent;
	uint32_t child_inc, parent_inc;
	struct tier_psess *ps; /* parent side, NULL before the first message or after close */
	bool parent_opened;
	bool child_open; /* the child has not been told the stream ended */
	bool broken;	 /* transport gone: nothing more is delivered */
	bool welcomed;
	uint64_t break_at;	  /* the transport breaks at this time */
	uint64_t child_down_at;	  /* the child notices */
	uint64_t parent_close_at; /* the parent notices (or finishes a stream it closed) */
	uint64_t hang_until;	  /* no delivery before this */
	bool hang_breaks;	  /* a partition: the stream breaks when the hang ends */
	struct sim_queue up, down;
};

/* A lease a child holds (child view, computed by the harness from the send time of the request
 * and the grant's ttl), cut by the Releases and RevokeAcks the child sent. */
struct sim_lent {
	uint64_t until_ns;
	uint64_t order;
	uint32_t w;
	uint32_t sess; /* session serial the grant came on */
	uint32_t pinc; /* parent incarnation that granted it */
};

struct sim_ghost {
	struct tier_child tc; /* frozen state of a crashed incarnation: its lease stays enforced
			       * until it ends */
	uint32_t sess, pinc;
};

struct sim_node {
	enum sim_kind kind;
	uint32_t idx;
	uint32_t parent; /* node index (not for the cluster) */
	uint32_t pos;	 /* index among the parent's children = pool child index */
	uint32_t first_child, n_children;
	char id[32];
	uint32_t floor_w; /* as configured by the parent; a rack's own pool base_w */
	bool alive;
	uint32_t inc; /* incarnation, 1 for the first */
	uint64_t restart_at;

	/* Child side (racks and agents). */
	struct tier_child_cfg tcc;
	struct tier_child tc;
	int32_t sess; /* current session index or -1 */
	uint64_t reconnect_at;
	uint32_t backoff_ms;
	uint64_t part_until; /* link to the parent partitioned: connects fail */
	uint64_t poll_floor; /* no poll before this (only after a spinning timer was reported) */
	uint32_t lease_sess, lease_pinc; /* origin of tc's current lease */
	struct sim_ghost ghost[SIM_GHOSTS];
	uint32_t nghost;

	struct {
		uint32_t inc;
		uint64_t seq;
		uint64_t sent_ns;
	} sent[SIM_SENT];

	uint32_t sent_next;
	struct sim_lent led[SIM_LEDGER];
	uint32_t nled;
	uint64_t led_order;
	bool held; /* rack: a RevokeAck waits until its agents fit */
	bool held_counted;
	uint64_t held_since;
	struct wt_child_msg held_msg;
	uint64_t held_order;
	uint64_t want_at; /* agent: next demand change */
	uint32_t want_w;
	uint64_t report_at;
	uint32_t late_run; /* consecutive grants that arrived after their own end */
	uint32_t late_w;   /* SIM_BUG_CHILD_LATE */
	uint64_t late_until;

	/* Parent side (cluster and racks). */
	struct tier_parent *tp;
	struct tier_parent_cfg tpc;
	struct tier_parent_child kids[SIM_MAX_KIDS];
	uint64_t tick_at;
	uint64_t tick_ns;
	bool dirty; /* the tier_parent was called since its pool was last checked */
};

struct sim_watch {
	uint32_t node;
	uint32_t sess; /* watch leases from this session (0: from parent incarnation pinc) */
	uint32_t pinc;
	uint64_t t0;
	uint64_t bound_ns;
};

enum sim_tr_type {
	TR_FAULT,
	TR_RESTART,
	TR_TICK,
	TR_POLL,
	TR_WANT,
	TR_CONNECT,
	TR_CONNECT_FAIL,
	TR_REPORT,
	TR_BREAK,
	TR_CHILD_DOWN,
	TR_PARENT_CLOSE,
	TR_HANG_END,
	TR_SEND_UP,
	TR_SEND_DOWN,
	TR_DELIVER_UP,
	TR_DELIVER_DOWN,
	TR_DROP,
	TR_STALE,
	TR_HELD,
	TR_NOTE,
};

struct sim_tr {
	uint64_t t_ns;
	uint64_t ev;
	uint16_t type;
	uint16_t node;
	uint32_t sess;
	uint32_t kind; /* message kind, fault kind */
	uint64_t seq;
	uint64_t a, b;
};

struct sim_world {
	struct sim_opts o;
	struct sim_result *r;
	struct sim_rng rng;
	uint64_t now;
	uint64_t events, max_events;
	uint32_t checks;
	uint32_t serial;
	struct sim_node node[SIM_MAX_NODES];
	uint32_t nn;
	uint32_t nracks;
	struct sim_sess sess[SIM_MAX_SESS];
	uint32_t sess_hi; /* sessions at or above this index are unused */
	uint64_t fault_at;
	uint32_t fault_mean_ms;
	uint32_t lat_min_us, lat_max_us;
	uint32_t loss_pm, dup_pm, reorder_pm;
	uint32_t want_mean_ms;
	struct sim_watch watch[SIM_WATCH];
	uint32_t nwatch;
	struct sim_tr trace[SIM_TRACE];
	uint32_t ntrace;
	bool failed;
};

/* sim_check.c */
void sim_ledger_add(struct sim_world *w, struct sim_node *n, uint32_t watts, uint64_t until_ns,
		    uint32_t sess, uint32_t pinc);
void sim_ledger_cut(struct sim_node *n, uint32_t sess, uint64_t before_order, uint32_t watts);
uint32_t sim_ledger_max(const struct sim_node *n, uint64_t t_ns, uint32_t pinc_only);
uint32_t sim_agent_draw(struct sim_world *w, struct sim_node *a);
void sim_check_all(struct sim_world *w);
void sim_fail(struct sim_world *w, uint32_t check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sim_watch_add(struct sim_world *w, uint32_t node, uint32_t sess, uint32_t pinc,
		   uint64_t bound_ns);

/* sim_world.c */
void sim_trace(struct sim_world *w, enum sim_tr_type type, uint32_t node, uint32_t sess,
	       uint32_t kind, uint64_t seq, uint64_t a, uint64_t b);
void sim_trace_dump(const struct sim_world *w);

#endif
