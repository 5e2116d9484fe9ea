/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated site: processes (cluster, racks, agents) wired as the tier headers require the
 * tier state machines to be, streams between them with delivery times, and the seeded fault
 * schedule. One event is processed at a time (the earliest due; ties broken by a fixed scan
 * order, so a seed always replays the same way) and sim_check_all() runs after each one.
 *
 * How a rack is wired (the rules a real rack must follow; each one broken is a violation):
 * - every grant the rack's tier_child accepts is handed to tier_parent_upstream() with the
 *   child's own view of the lease (watts, until);
 * - the rack's tier_child wants tier_parent_upstream_want() above its floor;
 * - before a Release goes upstream the rack lowers its own pool to the kept watts
 *   (tier_parent_upstream_lower()); if the agents do not fit the Release is not sent (the
 *   cluster cuts its records at once: a pool still granting against the old upstream lease
 *   overdraws, see SIM_BUG_RACK_RELEASE);
 * - a RevokeAck goes upstream only once tier_parent_upstream_lower(now_w) succeeds; until
 *   then it is held (the agents are being revoked) and retried after every rack event.
 * Agents and racks poll their tier_child after every event that concerns them and when
 * tier_child_next_ns() is due; parents tick every ttl_min/2 and when tier_parent_next_ns() is
 * due (tier_parent.h). */
#include "sim_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

enum fault_kind {
	F_AGENT_CRASH,
	F_RACK_CRASH,
	F_CLUSTER_CRASH,
	F_PARTITION,
	F_STALL,
	F_RESET,
	F_THROTTLE,
	F_SURGE,
	F_COUNT,
};

static const char *const fault_names[F_COUNT] = {
	"agent-crash", "rack-crash", "cluster-crash", "partition",
	"stall",       "reset",	     "throttle",      "surge",
};

/* Relative weights of the fault kinds. */
static const uint32_t fault_weight[F_COUNT] = { 15, 9, 5, 15, 18, 20, 6, 12 };

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- trace ---------------------------------------------------------------------------------- */

static const char *child_kind_str(int k)
{
	switch (k) {
	case WT_CHILD_MSG_HELLO:
		return "hello";
	case WT_CHILD_MSG_DEMAND:
		return "demand";
	case WT_CHILD_MSG_RENEW:
		return "renew";
	case WT_CHILD_MSG_RELEASE:
		return "release";
	case WT_CHILD_MSG_REPORT:
		return "report";
	case WT_CHILD_MSG_REVOKE_ACK:
		return "revoke-ack";
	}
	return "?";
}

static const char *parent_kind_str(int k)
{
	switch (k) {
	case WT_PARENT_MSG_WELCOME:
		return "welcome";
	case WT_PARENT_MSG_GRANT:
		return "grant";
	case WT_PARENT_MSG_REVOKE:
		return "revoke";
	case WT_PARENT_MSG_THROTTLE:
		return "throttle";
	case WT_PARENT_MSG_ERROR:
		return "error";
	}
	return "?";
}

static void trace_print(const struct sim_world *w, const struct sim_tr *e)
{
	const char *name = e->node < w->nn ? w->node[e->node].id : "-";
	char what[160];

	switch (e->type) {
	case TR_FAULT:
		snprintf(what, sizeof(what), "FAULT %s a=%" PRIu64 " b=%" PRIu64,
			 e->kind < F_COUNT ? fault_names[e->kind] : "?", e->a, e->b);
		break;
	case TR_RESTART:
		snprintf(what, sizeof(what), "restart inc=%" PRIu64, e->a);
		break;
	case TR_TICK:
		snprintf(what, sizeof(what), "tick upstream_want=%" PRIu64, e->a);
		break;
	case TR_POLL:
		snprintf(what, sizeof(what), "poll cap=%" PRIu64 " lease=%" PRIu64, e->a, e->b);
		break;
	case TR_WANT:
		snprintf(what, sizeof(what), "want=%" PRIu64, e->a);
		break;
	case TR_CONNECT:
		snprintf(what, sizeof(what), "connect sess=%u", e->sess);
		break;
	case TR_CONNECT_FAIL:
		snprintf(what, sizeof(what), "connect failed retry_ms=%" PRIu64, e->a);
		break;
	case TR_REPORT:
		snprintf(what, sizeof(what), "report");
		break;
	case TR_BREAK:
		snprintf(what, sizeof(what), "stream broken sess=%u lost=%" PRIu64, e->sess, e->a);
		break;
	case TR_CHILD_DOWN:
		snprintf(what, sizeof(what), "child sees stream end sess=%u", e->sess);
		break;
	case TR_PARENT_CLOSE:
		snprintf(what, sizeof(what), "parent closes sess=%u", e->sess);
		break;
	case TR_HANG_END:
		snprintf(what, sizeof(what), "partition ends sess=%u", e->sess);
		break;
	case TR_SEND_UP:
	case TR_DELIVER_UP:
		snprintf(what, sizeof(what), "%s up sess=%u %s seq=%" PRIu64 " w=%" PRIu64,
			 e->type == TR_SEND_UP ? "send" : "DELIVER", e->sess,
			 child_kind_str((int)e->kind), e->seq, e->a);
		break;
	case TR_SEND_DOWN:
	case TR_DELIVER_DOWN:
		snprintf(what, sizeof(what),
			 "%s down sess=%u %s seq=%" PRIu64 " w=%" PRIu64 " ttl/code=%" PRIu64,
			 e->type == TR_SEND_DOWN ? "send" : "DELIVER", e->sess,
			 parent_kind_str((int)e->kind), e->seq, e->a, e->b);
		break;
	case TR_DROP:
		snprintf(what, sizeof(what), "dropped sess=%u kind=%u", e->sess, e->kind);
		break;
	case TR_STALE:
		snprintf(what, sizeof(what), "grant seq=%" PRIu64 " ignored (rc %" PRId64 ")",
			 e->seq, (int64_t)e->a);
		break;
	case TR_HELD:
		snprintf(what, sizeof(what), "%s held: agents do not fit %" PRIu64 " W above floor",
			 e->kind == 1 ? "release" : "revoke-ack", e->a);
		break;
	default:
		snprintf(what, sizeof(what), "note %" PRIu64 " %" PRIu64, e->a, e->b);
		break;
	}
	printf("  t=%9.3fms ev=%-6" PRIu64 " %-10s %s\n", (double)e->t_ns / 1e6, e->ev, name, what);
}

void sim_trace(struct sim_world *w, enum sim_tr_type type, uint32_t node, uint32_t sess,
	       uint32_t kind, uint64_t seq, uint64_t a, uint64_t b)
{
	struct sim_tr *e = &w->trace[w->ntrace++ % SIM_TRACE];

	*e = (struct sim_tr){ w->now, w->events, (uint16_t)type, (uint16_t)node, sess, kind, seq,
			      a,      b };
	if (w->o.verbose) {
		trace_print(w, e);
	}
}

void sim_trace_dump(const struct sim_world *w)
{
	uint32_t n = w->ntrace < SIM_TRACE ? w->ntrace : SIM_TRACE;

	printf("last %u trace records:\n", n);
	for (uint32_t i = w->ntrace - n; i < w->ntrace; i++) {
		trace_print(w, &w->trace[i % SIM_TRACE]);
	}
}

/* ---- streams ------------------------------------------------------------------------------ */

static uint64_t latency_ns(struct sim_world *w)
{
	return rng_range(&w->rng, w->lat_min_us, w->lat_max_us) * NS_PER_US;
}

/* Detection delay of a broken stream: usually fast (RST), sometimes a keepalive timeout. */
static uint64_t detect_ns(struct sim_world *w)
{
	if (rng_permille(&w->rng, 150)) {
		return rng_range(&w->rng, 30, 300) * NS_PER_MS;
	}
	return rng_range(&w->rng, 0, 20000) * NS_PER_US;
}

static void queue_push(struct sim_world *w, struct sim_sess *s, struct sim_queue *q,
		       const void *msg, size_t len)
{
	uint64_t at = w->now + latency_ns(w);
	int copies = 1;

	if (w->o.adversarial) {
		if (rng_permille(&w->rng, w->loss_pm)) {
			w->r->counts.lost++;
			return;
		}
		if (rng_permille(&w->rng, w->dup_pm)) {
			copies = 2;
			w->r->counts.dups++;
		}
	}
	for (int i = 0; i < copies; i++) {
		struct sim_msg *m;

		if (q->n == SIM_QCAP) {
			/* Flow control would stall the sender; a stream this far behind is reset.
			 */
			if (s->break_at == NEVER) {
				s->break_at = w->now;
			}
			return;
		}
		if (w->o.adversarial && rng_permille(&w->rng, w->reorder_pm)) {
			at += rng_range(&w->rng, 0, 30) * NS_PER_MS;
		} else if (!w->o.adversarial) {
			at = max_u64(at, q->last_at);
		}
		m = &q->m[q->n++];
		m->at_ns = at;
		memcpy(&m->u, msg, len);
		q->last_at = max_u64(q->last_at, at);
		at += latency_ns(w);
	}
}

/* Index of the message to deliver next (earliest, first sent on ties). */
static uint32_t queue_head(const struct sim_queue *q)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i < q->n; i++) {
		if (q->m[i].at_ns < q->m[best].at_ns) {
			best = i;
		}
	}
	return best;
}

static void queue_take(struct sim_queue *q, uint32_t i, struct sim_msg *out)
{
	*out = q->m[i];
	memmove(&q->m[i], &q->m[i + 1], (q->n - i - 1) * sizeof(q->m[0]));
	q->n--;
}

static void queue_clear(struct sim_world *w, struct sim_queue *q)
{
	w->r->counts.lost += q->n;
	q->n = 0;
	q->last_at = 0;
}

static uint32_t sess_index(const struct sim_world *w, const struct sim_sess *s)
{
	return (uint32_t)(s - w->sess);
}

static void sess_maybe_free(struct sim_sess *s)
{
	if (!s->child_open && s->ps == NULL && s->child_down_at == NEVER &&
	    s->parent_close_at == NEVER && (s->broken || (s->up.n == 0 && s->down.n == 0))) {
		s->used = false;
	}
}

/* The transport of @s is gone now: nothing in flight arrives; each side notices later. */
static void sess_break(struct sim_world *w, struct sim_sess *s)
{
	uint64_t lost = s->up.n + s->down.n;

	if (!s->broken) {
		queue_clear(w, &s->up);
		queue_clear(w, &s->down);
		s->broken = true;
		sim_trace(w, TR_BREAK, s->child, s->serial, 0, 0, lost, 0);
	}
	s->break_at = NEVER;
	s->hang_until = 0;
	if (s->child_open && s->child_down_at == NEVER) {
		s->child_down_at = w->now + detect_ns(w);
	}
	if (s->ps != NULL && s->parent_close_at == NEVER) {
		s->parent_close_at = w->now + detect_ns(w);
	}
	sess_maybe_free(s);
}

static void send_up(struct sim_world *w, struct sim_node *n, const struct wt_child_msg *m)
{
	struct sim_sess *s;
	uint64_t seq = 0, watts = 0;

	if (n->sess < 0) {
		return;
	}
	s = &w->sess[n->sess];
	switch (m->kind) {
	case WT_CHILD_MSG_DEMAND:
		seq = m->demand.seq;
		watts = m->demand.want_w;
		break;
	case WT_CHILD_MSG_RENEW:
		seq = m->renew.seq;
		break;
	case WT_CHILD_MSG_RELEASE:
		seq = m->release.seq;
		watts = m->release.keep_w;
		break;
	case WT_CHILD_MSG_REVOKE_ACK:
		seq = m->revoke_ack.revoke_seq;
		watts = m->revoke_ack.now_w;
		break;
	default:
		break;
	}
	sim_trace(w, TR_SEND_UP, n->idx, s->serial, m->kind, seq, watts, 0);
	if (s->broken) {
		return;
	}
	queue_push(w, s, &s->up, m, sizeof(*m));
}

/* tier_parent_emit_cb: @link is the session. */
static void on_emit(void *arg, void *link, const struct wt_parent_msg *m)
{
	struct sim_world *w = arg;
	struct sim_sess *s = link;
	uint64_t seq = 0, watts = 0, extra = 0;

	switch (m->kind) {
	case WT_PARENT_MSG_GRANT:
		seq = m->grant.seq;
		watts = m->grant.watts;
		extra = m->grant.ttl_ms;
		break;
	case WT_PARENT_MSG_REVOKE:
		seq = m->revoke.seq;
		watts = m->revoke.watts;
		break;
	case WT_PARENT_MSG_ERROR:
		seq = m->error.seq;
		extra = (uint64_t)m->error.code;
		break;
	case WT_PARENT_MSG_WELCOME:
		watts = m->welcome.floor_w;
		extra = m->welcome.quarantine_left_ms;
		break;
	default:
		break;
	}
	sim_trace(w, TR_SEND_DOWN, s->parent, s->serial, m->kind, seq, watts, extra);
	if (s->broken) {
		return;
	}
	queue_push(w, s, &s->down, m, sizeof(*m));
}

/* tier_parent_close_cb: finish the stream after what was emitted; the parent side is closed
 * at the next event (the callback must not call back into the tier). */
static void on_close(void *arg, void *link, const char *reason)
{
	struct sim_world *w = arg;
	struct sim_sess *s = link;

	if (s->broken) {
		return;
	}
	s->break_at = min_u64(s->break_at, max_u64(s->down.last_at, w->now) + 1);
	s->parent_close_at = w->now;
	w->r->counts.takeovers += strstr(reason, "superseded") != NULL;
}

/* ---- processes ---------------------------------------------------------------------------- */

static struct sim_node *parent_of(struct sim_world *w, const struct sim_node *n)
{
	return &w->node[n->parent];
}

static void sent_record(struct sim_node *n, uint64_t seq, uint64_t now)
{
	n->sent[n->sent_next].inc = n->inc;
	n->sent[n->sent_next].seq = seq;
	n->sent[n->sent_next].sent_ns = now;
	n->sent_next = (n->sent_next + 1) % SIM_SENT;
}

static bool sent_lookup(const struct sim_node *n, uint64_t seq, uint64_t *sent_ns)
{
	for (uint32_t i = 0; i < SIM_SENT; i++) {
		if (n->sent[i].inc == n->inc && n->sent[i].seq == seq && seq != 0) {
			*sent_ns = n->sent[i].sent_ns;
			return true;
		}
	}
	return false;
}

static uint32_t cur_sess_serial(const struct sim_world *w, const struct sim_node *n)
{
	return n->sess >= 0 ? w->sess[n->sess].serial : 0;
}

/* A rack's RevokeAck goes up only once its agents fit the acknowledged size. */
static void rack_try_held_ack(struct sim_world *w, struct sim_node *r)
{
	int rc = 0;

	if (!r->held) {
		return;
	}
	if (w->o.bug != SIM_BUG_RACK_NO_LOWER) {
		rc = tier_parent_upstream_lower(r->tp, r->held_msg.revoke_ack.now_w, w->now);
	}
	if (rc != 0) {
		if (!r->held_counted) {
			r->held_counted = true;
			w->r->counts.acks_held++;
			sim_trace(w, TR_HELD, r->idx, 0, 2, 0, r->held_msg.revoke_ack.now_w, 0);
		}
		return;
	}
	r->held = false;
	w->r->counts.ack_hold_ns += w->now - r->held_since;
	if (w->now - r->held_since > w->r->counts.max_ack_hold_ns) {
		w->r->counts.max_ack_hold_ns = w->now - r->held_since;
	}
	sim_ledger_cut(r, cur_sess_serial(w, r), r->held_order, r->held_msg.revoke_ack.now_w);
	send_up(w, r, &r->held_msg);
}

/* Poll the child side until it has nothing to send. */
static void child_pump(struct sim_world *w, struct sim_node *n)
{
	struct tier_child_out out;

	if (!n->alive) {
		return;
	}
	if (n->kind == KIND_RACK) {
		tier_child_set_want(&n->tc, tier_parent_upstream_want(n->tp), 0);
		n->dirty = true; /* upstream_lower() below */
	}
	for (int i = 0; i < 8; i++) {
		const struct wt_child_msg *m = &out.msg;

		if (tier_child_poll(&n->tc, w->now, &out) != 1) {
			uint64_t next = tier_child_next_ns(&n->tc);

			if (next <= w->now) {
				sim_fail(w, SIM_CHECK_TIMERS,
					 "%s: tier_child_next_ns()=%" PRIu64
					 " is not after now=%" PRIu64
					 " although poll has nothing to do (a timer on it spins)",
					 n->id, next, w->now);
				n->poll_floor = w->now + NS_PER_MS;
			}
			break;
		}
		switch (m->kind) {
		case WT_CHILD_MSG_DEMAND:
			sent_record(n, m->demand.seq, w->now);
			break;
		case WT_CHILD_MSG_RENEW:
			sent_record(n, m->renew.seq, w->now);
			break;
		case WT_CHILD_MSG_RELEASE:
			if (n->kind == KIND_RACK && w->o.bug != SIM_BUG_RACK_NO_LOWER &&
			    w->o.bug != SIM_BUG_RACK_RELEASE &&
			    tier_parent_upstream_lower(n->tp, m->release.keep_w, w->now) != 0) {
				/* Its agents still hold more: keep counting the whole lease
				 * upstream (the child only under-uses it). */
				w->r->counts.release_withheld++;
				sim_trace(w, TR_HELD, n->idx, 0, 1, 0, m->release.keep_w, 0);
				continue;
			}
			sim_ledger_cut(n, cur_sess_serial(w, n), NEVER, m->release.keep_w);
			break;
		default:
			break;
		}
		send_up(w, n, m);
	}
	if (n->kind == KIND_RACK) {
		rack_try_held_ack(w, n);
	}
}

static void deliver_to_child(struct sim_world *w, struct sim_sess *s, const struct sim_msg *sm)
{
	struct sim_node *n = &w->node[s->child];
	const struct wt_parent_msg *m = &sm->u.p;
	struct tier_child_out out;
	int rc;

	if (!s->child_open || !n->alive || n->inc != s->child_inc) {
		sim_trace(w, TR_DROP, n->idx, s->serial, m->kind, 0, 0, 0);
		return;
	}
	sim_trace(w, TR_DELIVER_DOWN, n->idx, s->serial, m->kind,
		  m->kind == WT_PARENT_MSG_GRANT    ? m->grant.seq
		  : m->kind == WT_PARENT_MSG_REVOKE ? m->revoke.seq
		  : m->kind == WT_PARENT_MSG_ERROR  ? m->error.seq
						    : 0,
		  m->kind == WT_PARENT_MSG_GRANT    ? m->grant.watts
		  : m->kind == WT_PARENT_MSG_REVOKE ? m->revoke.watts
						    : 0,
		  m->kind == WT_PARENT_MSG_GRANT   ? m->grant.ttl_ms
		  : m->kind == WT_PARENT_MSG_ERROR ? (uint64_t)m->error.code
						   : 0);
	if (m->kind == WT_PARENT_MSG_REVOKE) {
		/* Leases held when the Revoke arrives are the ones its ack promises to cut. */
		n->held_order = n->led_order;
	}
	rc = tier_child_on_msg(&n->tc, m, w->now, &out);
	switch (m->kind) {
	case WT_PARENT_MSG_WELCOME:
		s->welcomed = true;
		break;
	case WT_PARENT_MSG_GRANT:
		if (rc != 0) {
			uint64_t sent_ns;

			w->r->counts.stale++;
			sim_trace(w, TR_STALE, n->idx, s->serial, 0, m->grant.seq, (uint64_t)rc, 0);
			if (m->grant.watts > 0 && sent_lookup(n, m->grant.seq, &sent_ns) &&
			    sent_ns + (uint64_t)m->grant.ttl_ms * NS_PER_MS <= w->now) {
				/* Useless: it came after the end of its own lease. */
				w->r->counts.late_grants++;
				if (++n->late_run == 3) {
					w->r->counts.starved++;
				}
			}
			break;
		}
		n->late_run = 0;
		w->r->counts.grants++;
		if (m->grant.watts > 0 && tier_child_lease_w(&n->tc, w->now) > 0) {
			uint64_t sent_ns;

			if (!sent_lookup(n, m->grant.seq, &sent_ns)) {
				sim_fail(w, SIM_CHECK_CHILD,
					 "%s accepted a grant for seq %" PRIu64
					 " that it never sent",
					 n->id, m->grant.seq);
				sent_ns = w->now;
			}
			sim_ledger_add(w, n, tier_child_lease_w(&n->tc, w->now),
				       sent_ns + (uint64_t)m->grant.ttl_ms * NS_PER_MS, s->serial,
				       s->parent_inc);
			n->lease_sess = s->serial;
			n->lease_pinc = s->parent_inc;
		} else if (tier_child_lease_w(&n->tc, w->now) == 0) {
			n->lease_sess = 0;
			n->lease_pinc = 0;
		}
		if (m->grant.watts == 0) {
			if (strcmp(m->grant.reason, "quarantine") == 0) {
				w->r->counts.quarantine_grants0++;
			}
		}
		if (n->kind == KIND_RACK) {
			n->dirty = true;
			tier_parent_upstream(n->tp, tier_child_lease_w(&n->tc, w->now),
					     tier_child_lease_until_ns(&n->tc), w->now);
		}
		break;
	case WT_PARENT_MSG_REVOKE:
		w->r->counts.revokes++;
		break;
	case WT_PARENT_MSG_ERROR:
		w->r->counts.errors++;
		w->r->counts.err_code[m->error.code < 6 ? m->error.code : 0]++;
		break;
	default:
		break;
	}
	if (rc == 1 && out.msg.kind == WT_CHILD_MSG_REVOKE_ACK) {
		if (n->kind == KIND_RACK) {
			if (!n->held) {
				n->held_since = w->now;
			}
			n->held = true;
			n->held_counted = false;
			n->held_msg = out.msg;
		} else {
			sim_ledger_cut(n, s->serial, n->held_order, out.msg.revoke_ack.now_w);
			send_up(w, n, &out.msg);
		}
	}
	child_pump(w, n);
}

static void deliver_to_parent(struct sim_world *w, struct sim_sess *s, const struct sim_msg *sm)
{
	struct sim_node *p = &w->node[s->parent];
	const struct wt_child_msg *m = &sm->u.c;

	if (s->ps == NULL) {
		if (s->parent_opened || !p->alive || p->inc != s->parent_inc) {
			sim_trace(w, TR_DROP, p->idx, s->serial, m->kind, 1, 0, 0);
			return;
		}
		s->ps = tier_parent_session_open(p->tp, s, w->node[s->child].id, w->now);
		s->parent_opened = true;
		w->r->counts.sessions++;
	}
	sim_trace(w, TR_DELIVER_UP, p->idx, s->serial, m->kind,
		  m->kind == WT_CHILD_MSG_DEMAND       ? m->demand.seq
		  : m->kind == WT_CHILD_MSG_RENEW      ? m->renew.seq
		  : m->kind == WT_CHILD_MSG_RELEASE    ? m->release.seq
		  : m->kind == WT_CHILD_MSG_REVOKE_ACK ? m->revoke_ack.revoke_seq
						       : 0,
		  m->kind == WT_CHILD_MSG_DEMAND       ? m->demand.want_w
		  : m->kind == WT_CHILD_MSG_RELEASE    ? m->release.keep_w
		  : m->kind == WT_CHILD_MSG_REVOKE_ACK ? m->revoke_ack.now_w
						       : 0,
		  0);
	tier_parent_on_msg(p->tp, s->ps, m, w->now);
	p->dirty = true;
	if (p->kind == KIND_RACK) {
		child_pump(w, p);
	}
}

static void node_start_child(struct sim_world *w, struct sim_node *n)
{
	n->tcc.boot_id = rng_next(&w->rng);
	WT_ASSERT(tier_child_init(&n->tc, &n->tcc) == 0);
	n->sess = -1;
	n->reconnect_at = w->now + rng_range(&w->rng, 0, 5000) * NS_PER_US;
	n->backoff_ms = 5;
	n->poll_floor = 0;
	n->lease_sess = 0;
	n->lease_pinc = 0;
	n->held = false;
	if (n->kind == KIND_AGENT) {
		tier_child_set_want(&n->tc, n->want_w, n->floor_w + n->want_w);
	}
}

static void node_start_parent(struct sim_world *w, struct sim_node *n)
{
	n->tpc.pool.start_ns = w->now;
	n->tpc.pool.boot_nonce = (uint32_t)rng_next(&w->rng);
	n->tpc.boot_id = rng_next(&w->rng);
	n->tpc.pool.quarantine_ms =
		w->o.bug == SIM_BUG_NO_QUARANTINE && n->inc > 1 ? 0 : POOL_QUARANTINE_DEFAULT;
	WT_ASSERT(tier_parent_new(&n->tp, &n->tpc) == 0);
	n->dirty = true;
	n->tick_at = w->now + rng_range(&w->rng, 0, n->tick_ns);
}

static void node_restart(struct sim_world *w, struct sim_node *n)
{
	n->alive = true;
	n->inc++;
	n->restart_at = NEVER;
	sim_trace(w, TR_RESTART, n->idx, 0, 0, 0, n->inc, 0);
	if (n->kind != KIND_AGENT) {
		node_start_parent(w, n);
	}
	if (n->kind != KIND_CLUSTER) {
		node_start_child(w, n);
	}
}

static uint64_t ttl_bound_ns(const struct sim_node *parent)
{
	return ((uint64_t)parent->tpc.pool.ttl_max_ms + parent->tpc.pool.skew_margin_ms) *
	       NS_PER_MS;
}

static void node_crash(struct sim_world *w, struct sim_node *n, uint64_t down_ns)
{
	if (!n->alive) {
		return;
	}
	w->r->counts.crashes++;
	if (n->kind != KIND_CLUSTER) {
		if (n->sess >= 0) {
			struct sim_sess *s = &w->sess[n->sess];

			/* What the child sent before dying may still arrive; nothing reaches it. */
			s->child_open = false;
			s->child_down_at = NEVER;
			queue_clear(w, &s->down);
			if (!s->broken) {
				s->break_at = min_u64(s->break_at, w->now + latency_ns(w));
			}
			n->sess = -1;
		}
		if (tier_child_lease_w(&n->tc, w->now) > 0) {
			struct sim_ghost *g = &n->ghost[n->nghost < SIM_GHOSTS ? n->nghost++ : 0];

			/* The last cap it set stays enforced until its lease ends. */
			g->tc = n->tc;
			g->sess = n->lease_sess;
			g->pinc = n->lease_pinc;
		}
		n->held = false;
	}
	if (n->kind != KIND_AGENT) {
		for (uint32_t i = 0; i < w->sess_hi; i++) {
			struct sim_sess *s = &w->sess[i];

			if (!s->used || s->parent != n->idx || s->parent_inc != n->inc) {
				continue;
			}
			if (s->ps != NULL) {
				tier_parent_session_close(n->tp, s->ps, w->now);
				s->ps = NULL;
			}
			s->parent_opened = true; /* never opens again */
			s->parent_close_at = NEVER;
			queue_clear(w, &s->up);
			if (!s->broken) {
				s->break_at = min_u64(s->break_at, w->now + latency_ns(w));
			}
			sess_maybe_free(s);
		}
		for (uint32_t k = 0; k < n->n_children; k++) {
			struct sim_node *c = &w->node[n->first_child + k];

			if (c->alive && c->lease_pinc == n->inc &&
			    tier_child_lease_w(&c->tc, w->now) > 0) {
				sim_watch_add(w, c->idx, 0, n->inc, ttl_bound_ns(n));
			}
		}
		w->r->counts.parked += tier_parent_stats(n->tp)->escalations;
		w->r->counts.deadline_misses += tier_parent_stats(n->tp)->deadline_misses;
		tier_parent_free(n->tp);
		n->tp = NULL;
	}
	n->alive = false;
	n->restart_at = w->now + down_ns;
}

static void node_connect(struct sim_world *w, struct sim_node *n)
{
	struct sim_node *p = parent_of(w, n);
	struct tier_child_out out;
	struct sim_sess *s = NULL;

	n->reconnect_at = NEVER;
	if (p->alive && w->now >= n->part_until) {
		for (uint32_t i = 0; i < SIM_MAX_SESS && s == NULL; i++) {
			if (!w->sess[i].used) {
				s = &w->sess[i];
			}
		}
	}
	if (s == NULL) {
		uint64_t wait = rng_range(&w->rng, n->backoff_ms / 2, n->backoff_ms);

		n->reconnect_at = w->now + wait * NS_PER_MS;
		n->backoff_ms = n->backoff_ms * 2 > 200 ? 200 : n->backoff_ms * 2;
		sim_trace(w, TR_CONNECT_FAIL, n->idx, 0, 0, 0, wait, 0);
		return;
	}
	s->used = true;
	if (sess_index(w, s) >= w->sess_hi) {
		w->sess_hi = sess_index(w, s) + 1;
	}
	s->serial = ++w->serial;
	s->child = n->idx;
	s->parent = p->idx;
	s->child_inc = n->inc;
	s->parent_inc = p->inc;
	s->ps = NULL;
	s->parent_opened = false;
	s->child_open = true;
	s->broken = false;
	s->welcomed = false;
	s->break_at = NEVER;
	s->child_down_at = NEVER;
	s->parent_close_at = NEVER;
	s->hang_until = 0;
	s->hang_breaks = false;
	s->up.n = 0;
	s->up.last_at = 0;
	s->down.n = 0;
	s->down.last_at = 0;
	n->sess = (int32_t)sess_index(w, s);
	n->backoff_ms = 5;
	sim_trace(w, TR_CONNECT, n->idx, s->serial, 0, 0, 0, 0);
	tier_child_session_up(&n->tc, w->now, &out);
	send_up(w, n, &out.msg);
	child_pump(w, n);
}

static void child_down(struct sim_world *w, struct sim_sess *s)
{
	struct sim_node *n = &w->node[s->child];

	s->child_down_at = NEVER;
	sim_trace(w, TR_CHILD_DOWN, n->idx, s->serial, 0, 0, 0, 0);
	if (s->child_open && n->alive && n->inc == s->child_inc && n->sess >= 0 &&
	    &w->sess[n->sess] == s) {
		tier_child_session_down(&n->tc, w->now);
		n->sess = -1;
		n->held = false;
		n->reconnect_at =
			w->now + rng_range(&w->rng, n->backoff_ms / 2, n->backoff_ms) * NS_PER_MS;
	}
	s->child_open = false;
	sess_maybe_free(s);
}

static void parent_close(struct sim_world *w, struct sim_sess *s)
{
	struct sim_node *p = &w->node[s->parent];

	s->parent_close_at = NEVER;
	sim_trace(w, TR_PARENT_CLOSE, p->idx, s->serial, 0, 0, 0, 0);
	if (s->ps != NULL) {
		WT_ASSERT(p->alive && p->inc == s->parent_inc);
		tier_parent_session_close(p->tp, s->ps, w->now);
		p->dirty = true;
		s->ps = NULL;
	}
	s->parent_opened = true;
	sess_maybe_free(s);
}

/* ---- faults -------------------------------------------------------------------------------- */

static struct sim_node *pick(struct sim_world *w, enum sim_kind kind)
{
	uint32_t cand[SIM_MAX_NODES], n = 0;

	for (uint32_t i = 0; i < w->nn; i++) {
		if (w->node[i].kind == kind) {
			cand[n++] = i;
		}
	}
	return &w->node[cand[rng_range(&w->rng, 0, n - 1)]];
}

static uint64_t down_time_ns(struct sim_world *w)
{
	if (rng_permille(&w->rng, 200)) {
		return 0; /* immediate restart */
	}
	return rng_range(&w->rng, 1, 400) * NS_PER_MS;
}

static void fault(struct sim_world *w)
{
	uint32_t total = 0, x;
	enum fault_kind k = F_RESET;
	struct sim_node *n;

	for (int i = 0; i < F_COUNT; i++) {
		total += fault_weight[i];
	}
	x = (uint32_t)rng_range(&w->rng, 0, total - 1);
	for (int i = 0; i < F_COUNT; i++) {
		if (x < fault_weight[i]) {
			k = (enum fault_kind)i;
			break;
		}
		x -= fault_weight[i];
	}
	w->fault_at = w->now + rng_range(&w->rng, 1, 2 * w->fault_mean_ms) * NS_PER_MS;
	switch (k) {
	case F_AGENT_CRASH:
	case F_RACK_CRASH:
	case F_CLUSTER_CRASH: {
		uint64_t down = down_time_ns(w);

		n = pick(w, k == F_AGENT_CRASH	? KIND_AGENT
			    : k == F_RACK_CRASH ? KIND_RACK
						: KIND_CLUSTER);
		sim_trace(w, TR_FAULT, n->idx, 0, k, 0, down / NS_PER_MS, n->alive);
		node_crash(w, n, down);
		break;
	}
	case F_PARTITION:
	case F_STALL:
	case F_RESET: {
		struct sim_sess *s;
		uint64_t d;

		n = rng_permille(&w->rng, 500) ? pick(w, KIND_AGENT) : pick(w, KIND_RACK);
		if (!n->alive) {
			break;
		}
		d = rng_permille(&w->rng, 300) ? rng_range(&w->rng, 100, 600)
					       : rng_range(&w->rng, 1, 100);
		sim_trace(w, TR_FAULT, n->idx, 0, k, 0, d, (uint64_t)n->sess);
		if (k == F_PARTITION) {
			w->r->counts.partitions++;
			n->part_until = w->now + d * NS_PER_MS;
		}
		if (n->sess < 0) {
			break;
		}
		s = &w->sess[n->sess];
		if (s->broken) {
			break;
		}
		if (k == F_RESET) {
			w->r->counts.resets++;
			sess_break(w, s);
			break;
		}
		if (k == F_STALL) {
			w->r->counts.stalls++;
		} else if (n->lease_sess == s->serial && tier_child_lease_w(&n->tc, w->now) > 0) {
			sim_watch_add(w, n->idx, s->serial, 0, ttl_bound_ns(parent_of(w, n)));
		}
		s->hang_until = max_u64(s->hang_until, w->now + d * NS_PER_MS);
		s->hang_breaks = s->hang_breaks || k == F_PARTITION;
		if (s->hang_breaks) {
			s->break_at = min_u64(s->break_at, s->hang_until);
		}
		break;
	}
	case F_THROTTLE:
		n = rng_permille(&w->rng, 700) ? pick(w, KIND_RACK) : pick(w, KIND_CLUSTER);
		sim_trace(w, TR_FAULT, n->idx, 0, k, 0, 0, 0);
		if (n->alive) {
			tier_parent_throttle_all(n->tp, (uint32_t)rng_range(&w->rng, 1, 50),
						 (uint32_t)rng_range(&w->rng, 1, 200), "sim");
		}
		break;
	case F_SURGE:
		sim_trace(w, TR_FAULT, 0, 0, k, 0, 0, 0);
		for (uint32_t i = 0; i < w->nn; i++) {
			struct sim_node *a = &w->node[i];

			if (a->kind == KIND_AGENT) {
				a->want_at = w->now;
			}
		}
		break;
	default:
		break;
	}
}

/* ---- demand ------------------------------------------------------------------------------ */

static void agent_want(struct sim_world *w, struct sim_node *a)
{
	uint32_t room = a->tcc.nameplate_w - a->tcc.floor_w;
	uint32_t cur = a->want_w;
	uint32_t want;
	uint64_t x = rng_range(&w->rng, 0, 99);

	if (x < 40) {
		int64_t step = (int64_t)rng_range(&w->rng, 0, 800) - 400;
		int64_t v = (int64_t)cur + step;

		want = v < 0 ? 0 : v > room ? room : (uint32_t)v;
	} else if (x < 70) {
		want = (uint32_t)rng_range(&w->rng, 0, room);
	} else if (x < 85) {
		want = 0;
	} else {
		want = room;
	}
	a->want_at = w->now + rng_range(&w->rng, 1, 2 * w->want_mean_ms) * NS_PER_MS;
	a->want_w = want;
	sim_trace(w, TR_WANT, a->idx, 0, 0, 0, want, 0);
	if (a->alive) {
		tier_child_set_want(&a->tc, want, a->tcc.floor_w + want);
		child_pump(w, a);
	}
}

static void agent_report(struct sim_world *w, struct sim_node *a)
{
	struct wt_child_msg m = { 0 };

	a->report_at = w->now + rng_range(&w->rng, 50, 200) * NS_PER_MS;
	if (!a->alive || a->sess < 0) {
		return;
	}
	m.kind = WT_CHILD_MSG_REPORT;
	m.report.cap_w = tier_child_cap_w(&a->tc, w->now);
	m.report.power_avg_w = m.report.cap_w * 9 / 10;
	m.report.power_peak_w = m.report.cap_w;
	m.report.interval_ms = 100;
	send_up(w, a, &m);
}

/* ---- topology ---------------------------------------------------------------------------- */

static void cfg_parent(struct sim_world *w, struct sim_node *n, uint32_t base_w, uint32_t token_w,
		       uint32_t ttl_lo, uint32_t ttl_hi, uint32_t margin_hi)
{
	struct tier_parent_cfg *c = &n->tpc;
	struct pool_cfg *p = &c->pool;

	*c = (struct tier_parent_cfg){ 0 };
	snprintf(c->id, sizeof(c->id), "%s", n->id);
	c->tier = n->kind == KIND_CLUSTER ? WT_TIER_CLUSTER : WT_TIER_RACK;
	pool_cfg_default(p);
	p->base_w = base_w;
	p->token_w = token_w;
	/* Small token ranges keep pool_invariant_ok() (O(T log T) per class) cheap enough to run
	 * after every event: an agent wants at most 2 kW (20 tokens), a rack at most 4 x 2 kW. */
	p->child_max_w = (n->kind == KIND_CLUSTER ? 8 : 20) * token_w;
	p->ttl_min_ms = (uint32_t)rng_range(&w->rng, ttl_lo, (ttl_lo + ttl_hi) / 2);
	p->ttl_max_ms = (uint32_t)rng_range(&w->rng, p->ttl_min_ms, ttl_hi);
	p->skew_margin_ms = (uint32_t)rng_range(&w->rng, 1, margin_hi);
	p->has_upstream = n->kind == KIND_RACK;
	p->children_hint = n->n_children;
	if (rng_permille(&w->rng, 400)) {
		p->damper = (struct pool_damper_cfg){ 0, 0, UINT32_MAX, 1000, 0 };
	}
	for (uint32_t k = 0; k < n->n_children; k++) {
		const struct sim_node *ch = &w->node[n->first_child + k];

		snprintf(n->kids[k].id, sizeof(n->kids[k].id), "%s", ch->id);
		n->kids[k].floor_w = ch->floor_w;
		n->kids[k].load_class = ch->tcc.load_class;
	}
	c->children = n->kids;
	c->n_children = n->n_children;
	c->require_identity = true;
	c->own_budget_ms = n->kind == KIND_CLUSTER ? 25 : 20;
	c->upstream_budget_ms = n->kind == KIND_CLUSTER ? 0 : 25;
	c->emit = on_emit;
	c->close = on_close;
	c->arg = w;
	n->tick_ns = (uint64_t)(p->ttl_min_ms / 2 ? p->ttl_min_ms / 2 : 1) * NS_PER_MS;
}

static void cfg_child(struct sim_world *w, struct sim_node *n, const struct sim_node *parent)
{
	struct tier_child_cfg *c = &n->tcc;
	const struct pool_cfg *pp = &parent->tpc.pool;

	*c = (struct tier_child_cfg){ 0 };
	snprintf(c->id, sizeof(c->id), "%s", n->id);
	c->tier = n->kind == KIND_RACK ? WT_TIER_RACK : WT_TIER_AGENT;
	c->floor_w = n->floor_w;
	c->ttl_ms = (uint32_t)rng_range(&w->rng, pp->ttl_min_ms / 2 + 1, pp->ttl_max_ms * 6 / 5);
	c->renew_pct = rng_permille(&w->rng, 300) ? 0 : (uint32_t)rng_range(&w->rng, 30, 70);
	c->budget_ms = (uint32_t)(n->kind == KIND_RACK ? rng_range(&w->rng, 20, 60)
						       : rng_range(&w->rng, 0, 90));
	c->grow_retry_ms = (uint32_t)rng_range(&w->rng, 0, 20);
	c->software_version = "sim";
}

static void build(struct sim_world *w)
{
	struct sim_node *cl = &w->node[0];
	uint32_t nracks = (uint32_t)rng_range(&w->rng, 2, SIM_MAX_RACKS);
	uint32_t next = 1 + nracks;
	uint64_t floors = 0;

	memset(w->node, 0, sizeof(w->node));
	w->nn = 1 + nracks;
	w->nracks = nracks;
	*cl = (struct sim_node){ .kind = KIND_CLUSTER, .idx = 0, .first_child = 1 };
	cl->n_children = nracks;
	snprintf(cl->id, sizeof(cl->id), "cluster");
	for (uint32_t r = 0; r < nracks; r++) {
		struct sim_node *rk = &w->node[1 + r];
		uint32_t na = (uint32_t)rng_range(&w->rng, 2, SIM_MAX_AGENTS);
		uint64_t afloors = 0;

		*rk = (struct sim_node){ .kind = KIND_RACK, .idx = 1 + r, .parent = 0, .pos = r };
		snprintf(rk->id, sizeof(rk->id), "rack%u", r);
		rk->first_child = next;
		rk->n_children = na;
		for (uint32_t k = 0; k < na; k++) {
			struct sim_node *a = &w->node[next];

			*a = (struct sim_node){
				.kind = KIND_AGENT, .idx = next, .parent = 1 + r, .pos = k
			};
			snprintf(a->id, sizeof(a->id), "agent%u.%u", r, k);
			a->floor_w = 100 * (uint32_t)rng_range(&w->rng, 1, 8);
			a->tcc.nameplate_w = a->floor_w + 100 * (uint32_t)rng_range(&w->rng, 5, 20);
			a->tcc.load_class = (enum wt_load_class)rng_range(&w->rng, 1, 4);
			afloors += a->floor_w;
			next++;
		}
		rk->floor_w = (uint32_t)afloors + 100 * (uint32_t)rng_range(&w->rng, 0, 20);
		rk->tcc.load_class = WT_LOAD_CLASS_BATCH;
		floors += rk->floor_w;
		w->nn = next;
	}
	cfg_parent(w, cl, (uint32_t)floors + 1000 * (uint32_t)rng_range(&w->rng, 0, 3 * nracks),
		   1000, 50, 200, 20);
	for (uint32_t r = 0; r < nracks; r++) {
		struct sim_node *rk = &w->node[1 + r];

		cfg_parent(w, rk, rk->floor_w, 100, 10, 50, 5);
		cfg_child(w, rk, cl);
		/* What the rack may ever ask the cluster for (its breaker, in a real site). */
		rk->tcc.nameplate_w = rk->floor_w + cl->tpc.pool.child_max_w;
		for (uint32_t k = 0; k < rk->n_children; k++) {
			struct sim_node *a = &w->node[rk->first_child + k];
			uint32_t np = a->tcc.nameplate_w;
			enum wt_load_class cls = a->tcc.load_class;

			cfg_child(w, a, rk);
			a->tcc.nameplate_w = np;
			a->tcc.load_class = cls;
		}
		/* The parent copied its children's classes before cfg_child() ran. */
		for (uint32_t k = 0; k < rk->n_children; k++) {
			rk->kids[k].load_class = w->node[rk->first_child + k].tcc.load_class;
		}
	}
	for (uint32_t i = 0; i < w->nn; i++) {
		struct sim_node *n = &w->node[i];

		n->sess = -1;
		n->restart_at = NEVER;
		n->reconnect_at = NEVER;
		n->want_at = NEVER;
		n->report_at = NEVER;
		node_restart(w, n);
		if (n->kind == KIND_AGENT) {
			n->want_at = w->now + rng_range(&w->rng, 0, 50) * NS_PER_MS;
			n->report_at = w->now + rng_range(&w->rng, 50, 200) * NS_PER_MS;
		}
	}
}

/* ---- the event loop ---------------------------------------------------------------------- */

enum ev {
	EV_NONE,
	EV_FAULT,
	EV_RESTART,
	EV_TICK,
	EV_POLL,
	EV_WANT,
	EV_REPORT,
	EV_CONNECT,
	EV_BREAK,
	EV_CHILD_DOWN,
	EV_PARENT_CLOSE,
	EV_UP,
	EV_DOWN,
};

struct cand {
	uint64_t t;
	enum ev ev;
	uint32_t arg;
};

static inline void consider(struct cand *c, uint64_t t, enum ev ev, uint32_t arg)
{
	if (t < c->t) {
		c->t = t;
		c->ev = ev;
		c->arg = arg;
	}
}

static uint64_t deliver_time(const struct sim_sess *s, const struct sim_queue *q)
{
	if (q->n == 0 || s->broken || (s->hang_breaks && s->hang_until > 0)) {
		return NEVER;
	}
	return max_u64(q->m[queue_head(q)].at_ns, s->hang_until);
}

static struct cand next_event(const struct sim_world *w)
{
	struct cand c = { NEVER, EV_NONE, 0 };

	consider(&c, w->fault_at, EV_FAULT, 0);
	for (uint32_t i = 0; i < w->nn; i++) {
		const struct sim_node *n = &w->node[i];

		if (!n->alive) {
			consider(&c, n->restart_at, EV_RESTART, i);
			continue;
		}
		if (n->kind != KIND_AGENT) {
			consider(&c, min_u64(n->tick_at, tier_parent_next_ns(n->tp)), EV_TICK, i);
		}
		if (n->kind != KIND_CLUSTER) {
			consider(&c, max_u64(tier_child_next_ns(&n->tc), n->poll_floor), EV_POLL,
				 i);
			if (n->sess < 0) {
				consider(&c, n->reconnect_at, EV_CONNECT, i);
			}
		}
		if (n->kind == KIND_AGENT) {
			consider(&c, n->want_at, EV_WANT, i);
			consider(&c, n->report_at, EV_REPORT, i);
		}
	}
	for (uint32_t i = 0; i < w->sess_hi; i++) {
		const struct sim_sess *s = &w->sess[i];

		if (!s->used) {
			continue;
		}
		consider(&c, s->break_at, EV_BREAK, i);
		consider(&c, s->child_down_at, EV_CHILD_DOWN, i);
		consider(&c, s->parent_close_at, EV_PARENT_CLOSE, i);
		consider(&c, deliver_time(s, &s->up), EV_UP, i);
		consider(&c, deliver_time(s, &s->down), EV_DOWN, i);
	}
	return c;
}

static void run_event(struct sim_world *w, const struct cand *c)
{
	struct sim_node *n = c->arg < w->nn ? &w->node[c->arg] : NULL;
	struct sim_sess *s = &w->sess[c->arg < SIM_MAX_SESS ? c->arg : 0];
	struct sim_msg m;

	switch (c->ev) {
	case EV_FAULT:
		fault(w);
		break;
	case EV_RESTART:
		node_restart(w, n);
		break;
	case EV_TICK:
		tier_parent_tick(n->tp, w->now);
		n->dirty = true;
		n->tick_at = w->now + n->tick_ns;
		sim_trace(w, TR_TICK, n->idx, 0, 0, 0, tier_parent_upstream_want(n->tp), 0);
		if (tier_parent_next_ns(n->tp) <= w->now) {
			sim_fail(w, SIM_CHECK_TIMERS,
				 "%s: tier_parent_next_ns() is not after now after a tick", n->id);
		}
		if (n->kind == KIND_RACK) {
			child_pump(w, n);
		}
		break;
	case EV_POLL:
		sim_trace(w, TR_POLL, n->idx, 0, 0, 0, tier_child_cap_w(&n->tc, w->now),
			  tier_child_lease_w(&n->tc, w->now));
		child_pump(w, n);
		break;
	case EV_WANT:
		agent_want(w, n);
		break;
	case EV_REPORT:
		agent_report(w, n);
		break;
	case EV_CONNECT:
		node_connect(w, n);
		break;
	case EV_BREAK:
		sess_break(w, s);
		break;
	case EV_CHILD_DOWN:
		child_down(w, s);
		break;
	case EV_PARENT_CLOSE:
		parent_close(w, s);
		break;
	case EV_UP:
		queue_take(&s->up, queue_head(&s->up), &m);
		deliver_to_parent(w, s, &m);
		break;
	case EV_DOWN:
		queue_take(&s->down, queue_head(&s->down), &m);
		deliver_to_child(w, s, &m);
		break;
	case EV_NONE:
		break;
	}
}

struct sim_world *sim_world_new(void)
{
	return wt_calloc(1, sizeof(struct sim_world));
}

void sim_world_free(struct sim_world *w)
{
	wt_free(w);
}

/* End of a schedule: close every stream the parents still have, then free them (as a daemon's
 * shutdown would), so that leak checkers see nothing. */
static void world_teardown(struct sim_world *w)
{
	for (uint32_t i = 0; i < w->sess_hi; i++) {
		struct sim_sess *s = &w->sess[i];

		if (s->used && s->ps != NULL) {
			tier_parent_session_close(w->node[s->parent].tp, s->ps, w->now);
			s->ps = NULL;
		}
		s->used = false;
	}
	w->sess_hi = 0;
	for (uint32_t i = 0; i < w->nn; i++) {
		tier_parent_free(w->node[i].tp);
		w->node[i].tp = NULL;
	}
	w->nn = 0;
}

static void world_reset(struct sim_world *w, const struct sim_opts *o, struct sim_result *r)
{
	world_teardown(w);
	w->o = *o;
	w->r = r;
	w->rng.s = o->seed * 0x2545f4914f6cdd1dull + 0x1234567;
	w->now = 1000 * NS_PER_MS;
	w->events = 0;
	w->checks = o->checks != 0 ? o->checks : SIM_CHECK_ALL;
	w->serial = 0;
	w->sess_hi = 0;
	w->nwatch = 0;
	w->ntrace = 0;
	w->failed = false;
	w->nn = 0;
}

int sim_run(struct sim_world *w, const struct sim_opts *o, struct sim_result *r)
{
	uint32_t lo = o->events_min, hi = o->events_max;
	uint64_t t_start;

	*r = (struct sim_result){ 0 };
	world_reset(w, o, r);
	if (lo == 0 && hi == 0) {
		lo = 300;
		hi = 2500;
	}
	w->max_events = o->events != 0 ? o->events : rng_range(&w->rng, lo, hi);
	w->lat_min_us = (uint32_t)rng_range(&w->rng, 20, 500);
	w->lat_max_us = w->lat_min_us + (uint32_t)rng_range(&w->rng, 0, 3000);
	w->fault_mean_ms = (uint32_t)rng_range(&w->rng, 20, 400);
	w->want_mean_ms = (uint32_t)rng_range(&w->rng, 5, 300);
	w->loss_pm = (uint32_t)rng_range(&w->rng, 0, 80);
	w->dup_pm = (uint32_t)rng_range(&w->rng, 0, 80);
	w->reorder_pm = (uint32_t)rng_range(&w->rng, 0, 200);
	t_start = w->now;
	build(w);
	w->fault_at = w->now + rng_range(&w->rng, 1, 2 * w->fault_mean_ms) * NS_PER_MS;
	if (o->verbose) {
		printf("seed %" PRIu64 ": %u racks, %u nodes, events %" PRIu64
		       ", latency %u-%u us, fault every ~%u ms%s\n",
		       o->seed, w->nracks, w->nn, w->max_events, w->lat_min_us, w->lat_max_us,
		       w->fault_mean_ms, o->adversarial ? ", adversarial" : "");
		for (uint32_t i = 0; i < w->nn; i++) {
			const struct sim_node *n = &w->node[i];

			printf("  %-10s floor_w=%u", n->id, n->floor_w);
			if (n->kind != KIND_AGENT) {
				printf(" base_w=%u ttl=%u-%u margin=%u", n->tpc.pool.base_w,
				       n->tpc.pool.ttl_min_ms, n->tpc.pool.ttl_max_ms,
				       n->tpc.pool.skew_margin_ms);
			}
			if (n->kind != KIND_CLUSTER) {
				printf(" ask_ttl=%u budget=%u nameplate=%u class=%d", n->tcc.ttl_ms,
				       n->tcc.budget_ms, n->tcc.nameplate_w,
				       (int)n->tcc.load_class);
			}
			printf("\n");
		}
	}
	while (w->events < w->max_events && !w->failed) {
		struct cand c = next_event(w);

		if (c.ev == EV_NONE) {
			break;
		}
		/* Timers that fell due while their process was down fire at once. */
		w->now = max_u64(w->now, c.t);
		w->events++;
		run_event(w, &c);
		if (!w->failed) {
			sim_check_all(w);
		}
	}
	r->events = w->events;
	r->sim_ns = w->now - t_start;
	for (uint32_t i = 0; i < w->nn; i++) {
		if (w->node[i].tp != NULL) {
			const struct tier_parent_stats *st = tier_parent_stats(w->node[i].tp);

			r->counts.parked += st->escalations;
			r->counts.deadline_misses += st->deadline_misses;
		}
	}
	if (w->failed && !o->quiet) {
		sim_trace_dump(w);
	}
	world_teardown(w);
	return w->failed ? 1 : 0;
}

const char *sim_bug_name(enum sim_bug bug)
{
	switch (bug) {
	case SIM_BUG_NONE:
		return "none";
	case SIM_BUG_CHILD_LATE:
		return "child-late";
	case SIM_BUG_NO_QUARANTINE:
		return "no-quarantine";
	case SIM_BUG_RACK_NO_LOWER:
		return "rack-no-lower";
	case SIM_BUG_RACK_RELEASE:
		return "rack-release";
	default:
		return "?";
	}
}
