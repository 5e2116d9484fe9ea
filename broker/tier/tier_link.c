/* SPDX-License-Identifier: Apache-2.0 */
/* Parent and child links (see tier_link.h): decode at the edge, drive the pure state machines,
 * encode what they emit, and keep their timers. */
#include "tier_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000ull

uint64_t tier_now_ns(void)
{
	return uv_hrtime();
}

static uint64_t ms_until(uint64_t when_ns, uint64_t now_ns)
{
	if (when_ns <= now_ns) {
		return 0;
	}
	return (when_ns - now_ns + NS_PER_MS - 1) / NS_PER_MS;
}

/* ---- parent link ------------------------------------------------------------------------- */

struct tier_plink {
	struct tier_plink_cfg cfg;
	struct tier_parent *tp;
	uv_timer_t t_tick;
	uint64_t bad_messages;
	bool closing;
};

static void pl_emit(void *arg, void *link, const struct wt_parent_msg *msg)
{
	struct wt_rpc_sstream *s = link;
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;
	int rc = wt_parent_msg_encode(msg, buf, sizeof(buf), &len);

	if (rc == 0) {
		rc = wt_rpc_sstream_send(s, buf, len);
	}
	if (rc < 0) {
		/* A peer that does not read its stream loses it: better than unbounded memory. */
		WT_LOG_WARN("tier", "send to child failed peer=%s kind=%d (%s)",
			    wt_rpc_sstream_peer(s), (int)msg->kind, wt_strerror(rc));
		if (rc == WT_EBUSY) {
			wt_rpc_sstream_finish(s, WT_RPC_RESOURCE_EXHAUSTED, "send queue full");
		}
	}
}

static void pl_close(void *arg, void *link, const char *reason)
{
	wt_rpc_sstream_finish(link, WT_RPC_PERMISSION_DENIED, reason);
}

static int pl_open(void *arg, struct wt_rpc_sstream *s)
{
	struct tier_plink *pl = arg;
	struct tier_psess *ps;

	if (pl->closing) {
		return WT_ECLOSED;
	}
	ps = tier_parent_session_open(pl->tp, s, wt_rpc_sstream_identity(s), tier_now_ns());
	wt_rpc_sstream_set_data(s, ps);
	return 0;
}

static void pl_msg(void *arg, struct wt_rpc_sstream *s, const uint8_t *buf, size_t len)
{
	struct tier_plink *pl = arg;
	struct tier_psess *ps = wt_rpc_sstream_data(s);
	struct wt_child_msg m;
	int rc = wt_child_msg_decode(buf, len, WT_LEASE_MSG_MAX_BYTES, &m);
	uint64_t esc, now;

	if (rc < 0) {
		struct wt_parent_msg e = { 0 };

		pl->bad_messages++;
		e.kind = WT_PARENT_MSG_ERROR;
		e.error.code = WT_LEASE_ERROR_BAD_REQUEST;
		snprintf(e.error.message, sizeof(e.error.message), "undecodable message (%s)",
			 wt_strerror(rc));
		WT_LOG_INFO("tier", "bad message peer=%s bytes=%zu (%s)", wt_rpc_sstream_peer(s),
			    len, wt_strerror(rc));
		pl_emit(pl, s, &e);
		return;
	}
	esc = tier_parent_stats(pl->tp)->escalations;
	now = tier_now_ns();
	tier_parent_on_msg(pl->tp, ps, &m, now);
	if (tier_parent_stats(pl->tp)->escalations != esc && pl->cfg.on_tick != NULL) {
		/* A request was parked for upstream: let the tier pass its new want on now, not
		 * at the next housekeeping tick (that tick was most of an escalation's time). */
		pl->cfg.on_tick(pl->cfg.arg, now);
	}
}

static void pl_closed(void *arg, struct wt_rpc_sstream *s, enum wt_rpc_code code)
{
	struct tier_plink *pl = arg;
	struct tier_psess *ps = wt_rpc_sstream_data(s);

	if (ps != NULL) {
		tier_parent_session_close(pl->tp, ps, tier_now_ns());
	}
}

static void pl_status(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct tier_plink *pl = arg;
	struct wt_status st;
	bool children = false;
	uint8_t *out = NULL;
	size_t out_len = 0;
	uint64_t now = tier_now_ns();
	int rc = wt_status_request_decode(req, len, WT_STATUS_REQUEST_MAX_BYTES, &children);

	if (rc < 0) {
		wt_rpc_call_reply(call, WT_RPC_INVALID_ARGUMENT, wt_strerror(rc), NULL, 0);
		return;
	}
	tier_parent_status(pl->tp, now, children, &st);
	st.protocol_errors += pl->bad_messages;
	if (pl->cfg.on_status != NULL) {
		pl->cfg.on_status(pl->cfg.arg, &st, now);
	}
	rc = wt_status_encode(&st, WT_STATUS_MAX_BYTES, &out, &out_len);
	wt_status_deinit(&st);
	if (rc < 0) {
		wt_rpc_call_reply(call, WT_RPC_INTERNAL, wt_strerror(rc), NULL, 0);
		return;
	}
	wt_rpc_call_reply(call, WT_RPC_OK, NULL, out, out_len);
	wt_free(out);
}

static void pl_tick(uv_timer_t *t)
{
	struct tier_plink *pl = t->data;
	uint64_t now = tier_now_ns();

	tier_parent_tick(pl->tp, now);
	if (pl->cfg.on_tick != NULL) {
		pl->cfg.on_tick(pl->cfg.arg, now);
	}
}

int tier_plink_new(struct tier_plink **out, const struct tier_plink_cfg *cfg)
{
	static const struct wt_rpc_stream_handlers h = { pl_open, pl_msg, pl_closed };
	struct tier_plink *pl = wt_calloc(1, sizeof(*pl));
	int rc;

	pl->cfg = *cfg;
	pl->cfg.parent.emit = pl_emit;
	pl->cfg.parent.close = pl_close;
	pl->cfg.parent.arg = pl;
	if (pl->cfg.tick_ms == 0) {
		pl->cfg.tick_ms = 5;
	}
	rc = tier_parent_new(&pl->tp, &pl->cfg.parent);
	if (rc < 0) {
		goto fail;
	}
	rc = wt_rpc_server_add_stream(cfg->srv, TIER_LEASE_SESSION_METHOD, &h, pl);
	if (rc == 0) {
		rc = wt_rpc_server_add_unary(cfg->srv, TIER_LEASE_STATUS_METHOD, pl_status, pl);
	}
	if (rc < 0) {
		goto fail;
	}
	uv_timer_init(cfg->loop, &pl->t_tick);
	pl->t_tick.data = pl;
	*out = pl;
	return 0;
fail:
	tier_parent_free(pl->tp);
	wt_free(pl);
	return rc;
}

void tier_plink_start(struct tier_plink *pl)
{
	uv_timer_start(&pl->t_tick, pl_tick, pl->cfg.tick_ms, pl->cfg.tick_ms);
}

static void pl_closed_handle(uv_handle_t *h)
{
	struct tier_plink *pl = h->data;

	tier_parent_free(pl->tp);
	wt_free(pl);
}

void tier_plink_close(struct tier_plink *pl)
{
	if (pl == NULL || pl->closing) {
		return;
	}
	pl->closing = true;
	uv_close((uv_handle_t *)&pl->t_tick, pl_closed_handle);
}

struct tier_parent *tier_plink_parent(struct tier_plink *pl)
{
	return pl->tp;
}

uint64_t tier_plink_bad_messages(const struct tier_plink *pl)
{
	return pl->bad_messages;
}

/* ---- child link -------------------------------------------------------------------------- */

struct tier_clink {
	struct tier_clink_cfg cfg;
	struct tier_child child;
	struct wt_rpc_channel *ch;
	struct wt_rpc_cstream *cs;
	uv_timer_t t_poll;
	uint64_t report_seq;
	uint64_t reconnects;
	/* Send time of the oldest request (Hello, Demand, Renew) that no message from the parent
	 * has followed yet; 0 if none. A parent that accepts bytes but answers nothing (hung, not
	 * dead) shows here. tier_child_pending_age_ns() cannot show it: the child forgets a lost
	 * request after its pending timeout and sends a new one, so that age never exceeds
	 * hung_ms. */
	uint64_t unanswered_ns;
	bool closing;
	bool stream_gone;
	bool timer_gone;
};

static void cl_send(struct tier_clink *cl, const struct tier_child_out *o)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;
	int rc = wt_child_msg_encode(&o->msg, buf, sizeof(buf), &len);

	if (rc == 0 && cl->cs != NULL) {
		rc = wt_rpc_cstream_send(cl->cs, buf, len);
	}
	if (rc == 0 && cl->unanswered_ns == 0 &&
	    (o->msg.kind == WT_CHILD_MSG_HELLO || o->msg.kind == WT_CHILD_MSG_DEMAND ||
	     o->msg.kind == WT_CHILD_MSG_RENEW)) {
		cl->unanswered_ns = tier_now_ns();
	}
	if (rc < 0) {
		WT_LOG_DEBUG("tier", "send to parent failed kind=%d (%s)", (int)o->msg.kind,
			     wt_strerror(rc));
	}
}

static void cl_poll_timer(uv_timer_t *t);

/* Run the state machine until it has nothing to send, then arm the timer for its next due
 * time. */
static void cl_pump(struct tier_clink *cl, uint64_t now)
{
	struct tier_child_out o;
	uint64_t next;
	int guard = 8;

	while (guard-- > 0 && tier_child_poll(&cl->child, now, &o) == 1) {
		cl_send(cl, &o);
	}
	if (cl->closing) {
		return;
	}
	if (cl->unanswered_ns != 0 && now > cl->unanswered_ns &&
	    now - cl->unanswered_ns > (uint64_t)cl->cfg.hung_ms * NS_PER_MS && cl->cs != NULL &&
	    wt_rpc_cstream_is_open(cl->cs)) {
		/* The parent accepts bytes but answers nothing (hung, not dead): reconnect. */
		WT_LOG_WARN("tier", "parent not answering id=%s waited_ms=%llu (restarting stream)",
			    cl->cfg.child.id,
			    (unsigned long long)((now - cl->unanswered_ns) / NS_PER_MS));
		cl->unanswered_ns = 0;
		wt_rpc_cstream_restart(cl->cs);
	}
	next = tier_child_next_ns(&cl->child);
	if (next == UINT64_MAX) {
		/* Nothing due; still wake up to notice a hung parent. */
		next = now + (uint64_t)cl->cfg.hung_ms * NS_PER_MS;
	}
	if (cl->unanswered_ns != 0 &&
	    cl->unanswered_ns + (uint64_t)(cl->cfg.hung_ms + 1) * NS_PER_MS < next) {
		next = cl->unanswered_ns + (uint64_t)(cl->cfg.hung_ms + 1) * NS_PER_MS;
	}
	/* Never 0: what is due now was just handled; a due time that poll cannot act on must not
	 * turn into a busy loop. */
	uv_timer_start(&cl->t_poll, cl_poll_timer, ms_until(next, now) ? ms_until(next, now) : 1,
		       0);
}

static void cl_notify(struct tier_clink *cl, uint64_t now)
{
	if (cl->cfg.on_change != NULL) {
		cl->cfg.on_change(cl->cfg.arg, now);
	}
}

static void cl_poll_timer(uv_timer_t *t)
{
	struct tier_clink *cl = t->data;
	uint64_t now = tier_now_ns();
	uint32_t before = tier_child_cap_w(&cl->child, now - 1);

	cl_pump(cl, now);
	if (tier_child_cap_w(&cl->child, now) != before) {
		cl_notify(cl, now);
	}
}

static void cl_open(void *arg, struct wt_rpc_cstream *cs)
{
	struct tier_clink *cl = arg;
	struct tier_child_out o;
	uint64_t now = tier_now_ns();

	cl->cs = cs;
	cl->unanswered_ns = 0;
	tier_child_session_up(&cl->child, now, &o);
	cl_send(cl, &o);
	cl_notify(cl, now);
}

static void cl_msg(void *arg, struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len)
{
	struct tier_clink *cl = arg;
	struct wt_parent_msg m;
	uint64_t now = tier_now_ns();
	int rc = wt_parent_msg_decode(buf, len, WT_LEASE_MSG_MAX_BYTES, &m);

	cl->unanswered_ns = 0; /* the parent is alive, whatever it said */
	if (rc < 0) {
		WT_LOG_WARN("tier", "bad message from parent id=%s bytes=%zu (%s)",
			    cl->cfg.child.id, len, wt_strerror(rc));
		return;
	}
	if (m.kind == WT_PARENT_MSG_ERROR) {
		WT_LOG_INFO("tier", "parent refused id=%s code=%d seq=%llu fatal=%d (%s)",
			    cl->cfg.child.id, (int)m.error.code, (unsigned long long)m.error.seq,
			    (int)m.error.fatal, m.error.message);
	}
	if (cl->cfg.filter != NULL && cl->cfg.filter(cl->cfg.arg, &m, now) == 1) {
		return;
	}
	tier_clink_deliver(cl, &m);
}

void tier_clink_deliver(struct tier_clink *cl, const struct wt_parent_msg *msg)
{
	struct tier_child_out o;
	uint64_t now = tier_now_ns();

	if (tier_child_on_msg(&cl->child, msg, now, &o) == 1) {
		cl_send(cl, &o);
	}
	if (cl->closing) {
		return;
	}
	cl_pump(cl, now);
	cl_notify(cl, now);
}

static void cl_closed(void *arg, struct wt_rpc_cstream *cs, enum wt_rpc_code code,
		      const char *message, uint32_t restart_in_ms)
{
	struct tier_clink *cl = arg;
	uint64_t now = tier_now_ns();

	tier_child_session_down(&cl->child, now);
	cl->unanswered_ns = 0;
	if (restart_in_ms == 0) {
		cl->cs = NULL;
		cl->stream_gone = true;
		if (cl->closing && cl->timer_gone) {
			wt_free(cl);
		}
		return;
	}
	cl->reconnects++;
	WT_LOG_INFO("tier", "parent stream ended id=%s code=%s restart_ms=%u (%s)",
		    cl->cfg.child.id, wt_rpc_code_name(code), restart_in_ms, message);
	cl_notify(cl, now);
}

int tier_clink_new(struct tier_clink **out, const struct tier_clink_cfg *cfg)
{
	struct tier_clink *cl = wt_calloc(1, sizeof(*cl));
	int rc;

	cl->cfg = *cfg;
	if (cl->cfg.hung_ms == 0) {
		cl->cfg.hung_ms = 4 * cfg->child.ttl_ms;
	}
	rc = tier_child_init(&cl->child, &cfg->child);
	if (rc < 0) {
		wt_free(cl);
		return rc;
	}
	rc = wt_rpc_channel_new(&cl->ch, cfg->rt, &cfg->channel);
	if (rc < 0) {
		wt_free(cl);
		return rc;
	}
	uv_timer_init(cfg->loop, &cl->t_poll);
	cl->t_poll.data = cl;
	cl->stream_gone = true;
	*out = cl;
	return 0;
}

int tier_clink_start(struct tier_clink *cl)
{
	static const struct wt_rpc_cstream_handlers h = { cl_open, cl_msg, cl_closed };
	int rc;

	cl->stream_gone = false;
	rc = wt_rpc_cstream_open(&cl->cs, cl->ch, TIER_LEASE_SESSION_METHOD, &h, cl);
	if (rc < 0) {
		cl->stream_gone = true;
		return rc;
	}
	cl_pump(cl, tier_now_ns());
	return 0;
}

static void cl_timer_closed(uv_handle_t *h)
{
	struct tier_clink *cl = h->data;

	cl->timer_gone = true;
	if (cl->stream_gone) {
		wt_free(cl);
	}
}

void tier_clink_close(struct tier_clink *cl)
{
	if (cl == NULL || cl->closing) {
		return;
	}
	cl->closing = true;
	if (cl->cs != NULL) {
		wt_rpc_cstream_stop(cl->cs);
	}
	wt_rpc_channel_free(cl->ch);
	cl->ch = NULL;
	uv_close((uv_handle_t *)&cl->t_poll, cl_timer_closed);
}

void tier_clink_set_want(struct tier_clink *cl, uint32_t want_w, uint32_t predicted_peak_w)
{
	tier_child_set_want(&cl->child, want_w, predicted_peak_w);
	if (!cl->closing) {
		cl_pump(cl, tier_now_ns());
	}
}

void tier_clink_report(struct tier_clink *cl, const struct wt_report *r)
{
	struct tier_child_out o = { 0 };

	if (cl->closing || cl->cs == NULL || !tier_clink_connected(cl)) {
		return;
	}
	o.msg.kind = WT_CHILD_MSG_REPORT;
	o.msg.report = *r;
	o.msg.report.seq = ++cl->report_seq;
	cl_send(cl, &o);
}

uint32_t tier_clink_cap_w(const struct tier_clink *cl, uint64_t now_ns)
{
	return tier_child_cap_w(&cl->child, now_ns);
}

const struct tier_child *tier_clink_child(const struct tier_clink *cl)
{
	return &cl->child;
}

bool tier_clink_connected(const struct tier_clink *cl)
{
	return cl->cs != NULL && wt_rpc_cstream_is_open(cl->cs) && cl->child.welcomed;
}

uint64_t tier_clink_reconnects(const struct tier_clink *cl)
{
	return cl->reconnects;
}
